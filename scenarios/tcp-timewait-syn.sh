#!/bin/bash
# A SYN for a 4-tuple the server still holds in TIME_WAIT: the server
# closed first (nc -q 0 after sending its line), so its side of
# 10.0.0.2:8000 <-> 10.0.0.1:40000 is in TIME_WAIT when the client connects
# again from the same port (nc -p 40000). The SYN carries a newer timestamp
# and a sequence number past the old connection's, so the kernel ends the
# TIME_WAIT and the listener answers at once (tcp_timewait_state_process's
# TCP_TW_SYN): a SYN-ACK, no challenge ACK, no RST, no retransmitted SYN.
# The capture keeps SYNs and RSTs (who sends the last ACK first is a race).
for n in srv cli; do
  ip netns add $n
  ip netns exec $n sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
ip link add eth0 netns srv type veth peer name eth0 netns cli
ip -n srv link set eth0 address 02:00:00:00:0a:02
ip -n cli link set eth0 address 02:00:00:00:0a:01
ip -n srv addr add 10.0.0.2/24 dev eth0
ip -n cli addr add 10.0.0.1/24 dev eth0
ip -n srv link set eth0 up
ip -n cli link set eth0 up
ip netns exec cli tcpdump -nn -i eth0 -w cli.pcap 'tcp[13] & 6 != 0' 2>/dev/null &
sleep 1
echo first | ip netns exec srv nc -q 0 -l -p 8000 &
sleep 0.5
ip netns exec cli nc -p 40000 10.0.0.2 8000 < /dev/null
echo "first connection: $?"
sleep 1
echo second | ip netns exec srv nc -q 0 -l -p 8000 &
sleep 0.5
ip netns exec cli nc -p 40000 10.0.0.2 8000 < /dev/null
echo "second connection: $?"
sleep 2
kill -INT %1
wait
