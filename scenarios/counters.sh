#!/bin/bash
# Interface counters after a known exchange: `ip -s link` and `ifconfig`.
# IPv6 is off in both namespaces so the kernel sends nothing else (its
# neighbour discovery and MLD traffic would otherwise be counted too).
ip netns add a
ip netns add b
for ns in a b; do
  ip netns exec $ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
ip link add eth0 netns a type veth peer name eth0 netns b
ip -n a link set eth0 address 02:00:00:00:0c:01
ip -n b link set eth0 address 02:00:00:00:0c:02
ip -n a addr add 10.12.0.1/24 brd + dev eth0
ip -n b addr add 10.12.0.2/24 dev eth0
ip -n a link set eth0 up
ip -n b link set eth0 up
ip netns exec a ping -c 3 -i 0.2 -s 100 10.12.0.2 > /dev/null; echo "ping: $?"
ip -n a -s link show eth0
ip -n b -s link show eth0
ip netns exec a ifconfig eth0
ip netns exec b ifconfig -a
ip -n a -br addr
