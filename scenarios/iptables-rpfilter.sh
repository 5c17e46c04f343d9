#!/bin/bash
# -m rpfilter in raw PREROUTING, as anti-spoofing rules use it: b routes
# 10.7.0.0/24 through w1, so an echo request from 10.7.0.1 arriving on v1
# fails the strict check (the route back leaves by another device) but
# passes --loose; --invert -j DROP drops it. A request from 10.9.0.1 passes
# both. Also the -S/-L forms and the tables/chains rpfilter is refused in.
sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
for n in a b r; do
  ip netns add $n
  ip netns exec $n sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
ip link add v0 netns a type veth peer name v1 netns b
ip link add w0 netns r type veth peer name w1 netns b
ip -n a link set v0 address 02:00:00:00:0a:01
ip -n b link set v1 address 02:00:00:00:0b:01
ip -n r link set w0 address 02:00:00:00:0c:01
ip -n b link set w1 address 02:00:00:00:0b:02
ip -n a addr add 10.9.0.1/24 dev v0
ip -n a addr add 10.7.0.1/32 dev v0
ip -n b addr add 10.9.0.2/24 dev v1
ip -n b addr add 10.6.0.2/24 dev w1
ip -n r addr add 10.6.0.1/24 dev w0
ip -n a link set v0 up
ip -n b link set v1 up
ip -n b link set w1 up
ip -n r link set w0 up
ip -n b route add 10.7.0.0/24 via 10.6.0.1 dev w1
ip netns exec a ping -c 1 10.9.0.2 > /dev/null
ip netns exec b iptables -t raw -A PREROUTING -p icmp -m rpfilter
ip netns exec b iptables -t raw -A PREROUTING -p icmp -m rpfilter --loose
ip netns exec b iptables -t raw -A PREROUTING -p icmp -m rpfilter --invert -j DROP
ip netns exec a ping -c 1 10.9.0.2; echo "rc=$?"
ip netns exec a ping -c 1 -W 1 -I 10.7.0.1 10.9.0.2; echo "rc=$?"
ip netns exec b iptables -t raw -L PREROUTING -n -v
ip netns exec b iptables -t raw -L PREROUTING
ip netns exec b iptables -t raw -S
ip netns exec b iptables -t mangle -A PREROUTING -m rpfilter --validmark --accept-local
ip netns exec b iptables -t mangle -S PREROUTING
ip netns exec b iptables -t mangle -A INPUT -m rpfilter; echo "rc=$?"
ip netns exec b iptables -A INPUT -m rpfilter; echo "rc=$?"
ip netns exec b iptables -t raw -A PREROUTING -m rpfilter ! --loose; echo "rc=$?"
