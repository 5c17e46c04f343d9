#!/bin/bash
# NETMAP maps whole networks host by host. r maps destinations in
# 10.99.0.0/24 to 10.2.0.0/24 (PREROUTING for a's pings, OUTPUT for its
# own) and sources in 10.1.0.0/24 leaving towards b to 10.88.0.0/24
# (POSTROUTING): a's ping to 10.99.0.2 reaches b as 10.88.0.2 -> 10.2.0.2
# (b's capture) and its replies come back from 10.99.0.2; conntrack -L shows
# both bindings. Then the canonical forms of --to and the refusals.
sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
for n in a r b; do
  ip netns add $n
  ip netns exec $n sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
ip link add v0 netns a type veth peer name v1 netns r
ip link add w0 netns r type veth peer name w1 netns b
ip -n a link set v0 address 02:00:00:00:0a:01
ip -n r link set v1 address 02:00:00:00:0c:01
ip -n r link set w0 address 02:00:00:00:0c:02
ip -n b link set w1 address 02:00:00:00:0b:01
ip -n a addr add 10.1.0.2/24 dev v0
ip -n r addr add 10.1.0.1/24 dev v1
ip -n r addr add 10.2.0.1/24 dev w0
ip -n b addr add 10.2.0.2/24 dev w1
ip -n a link set v0 up
ip -n r link set v1 up
ip -n r link set w0 up
ip -n b link set w1 up
ip -n a route add default via 10.1.0.1
ip -n b route add default via 10.2.0.1
ip -n r route add default via 10.2.0.2
ip netns exec r sysctl -qw net.ipv4.ip_forward=1
ip netns exec a ping -c 1 10.2.0.2 > /dev/null
ip netns exec r iptables -t nat -A PREROUTING -d 10.99.0.0/24 -j NETMAP --to 10.2.0.0/24
ip netns exec r iptables -t nat -A OUTPUT -d 10.99.0.0/24 -j NETMAP --to 10.2.0.0/24
ip netns exec r iptables -t nat -A POSTROUTING -s 10.1.0.0/24 -o w0 -j NETMAP --to 10.88.0.0/24
ip netns exec b tcpdump -nn -i w1 -w w1.pcap icmp &
sleep 1
ip netns exec a ping -c 2 -i 0.2 10.99.0.2
ip netns exec r ping -c 1 10.99.0.2
sleep 2
kill -INT %1
wait
ip netns exec r conntrack -L -p icmp
ip netns exec r iptables -t nat -L -n -v -x
ip netns exec r iptables -t nat -A INPUT -s 10.5.0.0/16 -j NETMAP --to 10.6.7.8/16 -v
ip netns exec r iptables -t nat -A POSTROUTING -j NETMAP --to 192.168.1.9
ip netns exec r iptables -t nat -A POSTROUTING -j NETMAP --to 172.16.0.0/255.240.0.0
ip netns exec r iptables -t nat -S
ip netns exec r iptables -t nat -L
ip netns exec r iptables -t nat -A PREROUTING -j NETMAP; echo "rc=$?"
ip netns exec r iptables -t nat -A PREROUTING -j NETMAP ! --to 10.0.0.0/8; echo "rc=$?"
ip netns exec r iptables -t mangle -A PREROUTING -j NETMAP --to 10.0.0.0/8; echo "rc=$?"
ip netns exec r iptables -A FORWARD -j NETMAP --to 10.0.0.0/8; echo "rc=$?"
ip netns exec r iptables -t nat -A PREROUTING -j NETMAP --to 10.0.0.0/8 --to 10.0.0.0/16; echo "rc=$?"
