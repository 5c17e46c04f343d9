#!/bin/bash
# -m length, -m ttl and -m pkttype on echo requests of two sizes (84 and
# 128 bytes), and NFLOG, which hands packets to nfnetlink_log's group and
# lets them go on (nothing listens here), with the counters -L -v shows,
# their -S/-L forms and a few refusals.
sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
for n in a b; do
  ip netns add $n
  ip netns exec $n sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
ip link add v0 netns a type veth peer name v1 netns b
ip -n a link set v0 address 02:00:00:00:0a:01
ip -n b link set v1 address 02:00:00:00:0b:01
ip -n a addr add 10.9.0.1/24 dev v0
ip -n b addr add 10.9.0.2/24 dev v1
ip -n a link set v0 up
ip -n b link set v1 up
ip netns exec a ping -c 1 10.9.0.2 > /dev/null
ip netns exec b iptables -A INPUT -p icmp -j NFLOG --nflog-group 5 --nflog-prefix "nf log" --nflog-threshold 2
ip netns exec b iptables -A INPUT -p icmp -m length --length :100
ip netns exec b iptables -A INPUT -p icmp -m length ! --length 0:100
ip netns exec b iptables -A INPUT -p icmp -m length --length 128
ip netns exec b iptables -A INPUT -p icmp -m ttl --ttl-eq 64
ip netns exec b iptables -A INPUT -p icmp -m ttl ! --ttl-eq 64
ip netns exec b iptables -A INPUT -p icmp -m ttl --ttl-lt 64
ip netns exec b iptables -A INPUT -p icmp -m ttl --ttl-gt 63
ip netns exec b iptables -A INPUT -p icmp -m pkttype --pkt-type host
ip netns exec b iptables -A INPUT -p icmp -m pkttype ! --pkt-type unicast
ip netns exec b iptables -A INPUT -p icmp -m pkttype --pkt-type broadcast
ip netns exec b iptables -A OUTPUT -p icmp -m pkttype --pkt-type unicast -m length --length 84 -j NFLOG --nflog-size 64
ip netns exec a ping -c 2 -i 0.2 10.9.0.2
ip netns exec a ping -c 1 -s 100 10.9.0.2
ip netns exec b iptables -L -n -v
ip netns exec b iptables -L INPUT
ip netns exec b iptables -S
ip netns exec b iptables -A INPUT -m length --length 0:65536; echo "rc=$?"
ip netns exec b iptables -A INPUT -m length; echo "rc=$?"
ip netns exec b iptables -A INPUT -m ttl ! --ttl-lt 8; echo "rc=$?"
ip netns exec b iptables -A INPUT -m ttl --ttl-eq 1 --ttl-gt 2; echo "rc=$?"
ip netns exec b iptables -A INPUT -m ttl; echo "rc=$?"
ip netns exec b iptables -A INPUT -m pkttype --pkt-type wrong; echo "rc=$?"
ip netns exec b iptables -A INPUT -j NFLOG --nflog-group 65536; echo "rc=$?"
