#!/bin/bash
# ICMP error rate limiting: ten UDP datagrams in a row to a closed port get
# six port unreachables (a burst of six seconds of tokens, one second per
# error, per destination); a second and a half later one more.
ip netns add a
ip netns add b
for ns in a b; do ip netns exec $ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1; done
ip link add va netns a type veth peer name vb netns b
ip -n a link set va address 02:00:00:00:0f:01
ip -n b link set vb address 02:00:00:00:0f:02
ip -n a addr add 10.0.0.1/24 dev va
ip -n b addr add 10.0.0.2/24 dev vb
ip -n a link set va up
ip -n b link set vb up
ip netns exec b tcpdump -nn -i vb -w b.pcap 2>/dev/null &
sleep 1
for i in 1 2 3 4 5 6 7 8 9 10; do echo x | ip netns exec a nc -u -q 0 10.0.0.2 9999; done
sleep 1.5
for i in 1 2 3; do echo x | ip netns exec a nc -u -q 0 10.0.0.2 9999; done
sleep 2
kill -INT %1
wait
