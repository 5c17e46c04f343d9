#!/bin/bash
# TCP and UDP endpoints on a veth pair: an nc server and client exchange a
# line (handshake with Linux's SYN options, data with PSH, FIN close);
# nc -zv to an open port and to a closed one (the kernel answers the SYN
# with RST); a UDP datagram to a closed port (ICMP port unreachable).
ip netns add a
ip netns add b
for ns in a b; do
  ip netns exec $ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
ip link add veth-a netns a type veth peer name veth-b netns b
ip -n a link set veth-a address 02:00:00:00:0a:01
ip -n b link set veth-b address 02:00:00:00:0b:01
ip -n a addr add 10.0.0.1/24 dev veth-a
ip -n b addr add 10.0.0.2/24 dev veth-b
ip -n a link set veth-a up
ip -n b link set veth-b up
ip -n a link set lo up
ip -n b link set lo up
ip netns exec b tcpdump -nn -i veth-b -w veth-b.pcap &
sleep 1
ip netns exec b nc -l -p 8080 &
sleep 1
echo hello | ip netns exec a nc -q 1 10.0.0.2 8080
echo "client exit: $?"
wait %2
echo "server exit: $?"
ip netns exec a nc -zv 10.0.0.2 22
echo "closed port: $?"
ip netns exec b nc -l -p 80 &
sleep 1
ip netns exec a nc -zv 10.0.0.2 80
echo "open port: $?"
wait %2
echo "server exit: $?"
ip netns exec a nc -zvn 10.0.0.2 80
echo "after the server left: $?"
echo ping | ip netns exec a nc -u -w 1 10.0.0.2 9999
echo "udp exit: $?"
sleep 2
kill -INT %1
wait
