#!/bin/bash
# How socket errors reach applications: a SYN to an address whose ARP fails
# (the kernel reports host unreachable to itself after 3 s; nc says so only
# with -v), nc's -w connect timeout, an iptables REJECT's ICMP port
# unreachable and host prohibited (Connection refused, No route to host),
# curl -m against a server that never answers, nc -l -k serving two
# clients, and a UDP datagram to an nc -u listener.
ip netns add a
ip netns add b
for ns in a b; do
  ip netns exec $ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
ip link add veth-a netns a type veth peer name veth-b netns b
ip -n a link set veth-a address 02:00:00:00:0e:01
ip -n b link set veth-b address 02:00:00:00:0e:02
ip -n a addr add 10.0.0.1/24 dev veth-a
ip -n b addr add 10.0.0.2/24 dev veth-b
ip -n a link set veth-a up
ip -n b link set veth-b up
ip -n a link set lo up
ip -n b link set lo up
ip netns exec b iptables -A INPUT -p tcp --dport 23 -j REJECT
ip netns exec b iptables -A INPUT -p tcp --dport 25 -j REJECT --reject-with icmp-host-prohibited
ip netns exec a tcpdump -nn -i veth-a -w veth-a.pcap &
sleep 1
ip netns exec a nc 10.0.0.7 80
echo "arp failure: $?"
ip netns exec a nc -v 10.0.0.7 80
echo "arp failure, -v: $?"
ip netns exec a nc -w 2 10.0.0.8 80
echo "nc -w: $?"
ip netns exec a nc -v -w 2 10.0.0.8 80
echo "nc -v -w: $?"
ip netns exec a nc -v 10.0.0.2 23
echo "reject port-unreachable: $?"
ip netns exec a nc -zv 10.0.0.2 25
echo "reject host-prohibited: $?"
ip netns exec b nc -l -p 8000 > /dev/null &
sleep 1
ip netns exec a curl -sS -m 1 http://10.0.0.2:8000/
echo "curl -m: $?"
ip netns exec b nc -lk -p 9000 &
srv=$!
sleep 1
echo one | ip netns exec a nc -q 1 10.0.0.2 9000
echo "first: $?"
echo two | ip netns exec a nc -q 1 10.0.0.2 9000
echo "second: $?"
sleep 1
kill $srv
ip netns exec b nc -u -l -p 4000 &
srv=$!
sleep 1
echo datagram | ip netns exec a nc -u -q 1 10.0.0.2 4000
echo "udp client: $?"
sleep 1
kill $srv
sleep 2
kill -INT %1
wait
