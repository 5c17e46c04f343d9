#!/bin/bash
# nc -u with -z or -v probes a UDP port with "X" writes (Debian's udptest):
# a closed port answers the first with ICMP port unreachable and nc exits 1
# without a word; an open one takes five probes over three seconds before
# "succeeded!". An nc -u -l server talks only to its first peer: a datagram
# from another source port finds no socket.
ip netns add a
ip netns add b
for ns in a b; do
  ip netns exec $ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
ip link add va netns a type veth peer name vb netns b
ip -n a link set va address 02:00:00:00:10:01
ip -n b link set vb address 02:00:00:00:10:02
ip -n a addr add 10.0.0.1/24 dev va
ip -n b addr add 10.0.0.2/24 dev vb
ip -n a link set va up
ip -n b link set vb up
ip netns exec b tcpdump -nn -i vb -w vb.pcap 2>/dev/null &
sleep 1
ip netns exec a nc -u -zv 10.0.0.2 9999
echo "closed: $?"
ip netns exec b nc -u -l -p 9998 &
sleep 1
ip netns exec a nc -u -zv 10.0.0.2 9998
echo "open: $?"
echo hi | ip netns exec a nc -u -v -q 1 10.0.0.2 9998
echo "second peer: $?"
sleep 1
kill %2
sleep 2
kill -INT %1
wait
