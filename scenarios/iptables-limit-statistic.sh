#!/bin/bash
# -m limit and -m statistic evaluated on echo requests, with the counters
# iptables -L -v shows. limit is nft's packet token bucket (iptables-nft's
# translation): 1/sec burst 3 lets the first 3 of a flood through (6 pings
# 10 ms apart), then after 2.6 s of refill 2 more of the next flood; the
# margins (0.4 s) absorb the real ping's and sleep's timer slack. statistic nth
# (--every 3 --packet 1 drops the 2nd, 5th, 8th ... packet it sees) and
# random mode at probabilities 0 and 1, whose picks do not depend on the
# random numbers; -Z restarts nth's count. Then the canonical -S/-L forms and a few refusals.
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
ip netns exec b iptables -A INPUT -p icmp --icmp-type echo-request -m limit --limit 1/sec --limit-burst 3 -j ACCEPT
ip netns exec b iptables -A INPUT -p icmp --icmp-type echo-request -j DROP
ip netns exec a ping -c 6 -i 0.01 10.9.0.2
sleep 2.6
ip netns exec a ping -c 6 -i 0.01 10.9.0.2
ip netns exec b iptables -L INPUT -n -v -x
ip netns exec b iptables -F INPUT
ip netns exec b iptables -A INPUT -p icmp --icmp-type echo-request -m statistic --mode random --probability 0 -j DROP
ip netns exec b iptables -A INPUT -p icmp --icmp-type echo-request -m statistic --mode nth --every 3 --packet 1 -j DROP
ip netns exec b iptables -A INPUT -p icmp --icmp-type echo-request -m statistic --mode random ! --probability 1 -j DROP
ip netns exec b iptables -A INPUT -p icmp --icmp-type echo-request -m statistic --mode nth ! --every 2 --packet 0
ip netns exec b iptables -A INPUT -p icmp --icmp-type echo-request -m statistic --mode random --probability 1.0
ip netns exec a ping -c 8 -i 0.05 10.9.0.2
ip netns exec b iptables -L INPUT -n -v -x
# iptables-nft zeroes counters by replacing the rules: nth counts from the
# start again: of the next 3 pings the second is dropped (without the
# reset, after 8 pings, it would be the third).
ip netns exec b iptables -Z INPUT
ip netns exec a ping -c 3 -i 0.05 10.9.0.2
ip netns exec b iptables -L INPUT -n -v -x
ip netns exec b iptables -A INPUT -m limit
ip netns exec b iptables -A INPUT -m limit --limit 7/m --limit-burst 0
ip netns exec b iptables -A INPUT -m limit --limit 1000/hour --limit-burst 10000
ip netns exec b iptables -A INPUT -m limit --limit 5 -m statistic --mode random --probability 0.333333333333
ip netns exec b iptables -S INPUT
ip netns exec b iptables -L INPUT
ip netns exec b iptables -A INPUT -m limit --limit 20000/s; echo "rc=$?"
ip netns exec b iptables -A INPUT -m limit --limit 3/hours; echo "rc=$?"
ip netns exec b iptables -A INPUT -m limit ! --limit 1/s; echo "rc=$?"
ip netns exec b iptables -A INPUT -m limit --limit-burst 10001; echo "rc=$?"
ip netns exec b iptables -A INPUT -m statistic --mode nth --every 5; echo "rc=$?"
ip netns exec b iptables -A INPUT -m statistic --mode nth --every 5 --packet 5; echo "rc=$?"
ip netns exec b iptables -A INPUT -m statistic --mode random --probability 1.5; echo "rc=$?"
ip netns exec b iptables -A INPUT -m statistic --probability 0.5; echo "rc=$?"
ip netns exec b iptables -A INPUT -m statistic; echo "rc=$?"
