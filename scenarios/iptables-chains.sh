#!/bin/bash
# iptables in a namespace: a user chain with RETURN, insert/replace/delete by
# number, zeroing counters, an OUTPUT rule, and the tool's own errors. Each
# namespace has its own tables. Policy counters count only on chains the
# kernel keeps counters for (after -P, -Z or a restore; not after -A alone).
ip netns add h
ip netns add c
ip link add eth0 netns c type veth peer name v-c netns h
ip -n c link set eth0 address 02:00:00:00:03:02
ip -n h link set v-c address 02:00:00:00:03:01
for ns in h c; do ip -n $ns link set lo up; done
ip -n h addr add 10.3.0.1/24 dev v-c
ip -n c addr add 10.3.0.2/24 dev eth0
ip -n c addr add 10.3.0.9/24 dev eth0
ip -n h link set v-c up
ip -n c link set eth0 up
# iptables-nft creates a built-in chain only once something names it.
ip netns exec c iptables -Z OUTPUT; echo "zero a chain never created: $?"
ip netns exec h iptables -N PINGS
ip netns exec h iptables -A PINGS -s 10.3.0.2 -j RETURN
ip netns exec h iptables -A PINGS -j DROP
ip netns exec h iptables -A INPUT -p icmp --icmp-type echo-request -j PINGS
ip netns exec h iptables -I INPUT 1 -i lo -j ACCEPT
ip netns exec c ping -c 1 10.3.0.1 > /dev/null; echo "from .2: $?"
ip netns exec c ping -c 1 -W 1 -I 10.3.0.9 10.3.0.1 > /dev/null; echo "from .9: $?"
ip netns exec h iptables -L -n -v --line-numbers
ip netns exec h iptables -R INPUT 2 -p icmp -m comment --comment "all icmp" -j PINGS
ip netns exec h iptables -Z INPUT
ip netns exec h iptables -S
ip netns exec h iptables -A OUTPUT -o v-c -p icmp --icmp-type echo-reply -j DROP
ip netns exec c ping -c 1 -W 1 10.3.0.1 > /dev/null; echo "with OUTPUT drop: $?"
ip netns exec h iptables -L OUTPUT -n -v
ip netns exec h iptables -D OUTPUT 1
ip netns exec h iptables -X PINGS; echo "delete a referenced chain: $?"
ip netns exec h iptables -A INPUT -j NOSUCH; echo "jump to a missing chain: $?"
ip netns exec h iptables -D INPUT -s 1.2.3.4 -j ACCEPT; echo "delete a missing rule: $?"
ip netns exec h iptables -P PINGS DROP; echo "policy on a user chain: $?"
ip netns exec h iptables -F
ip netns exec h iptables -X PINGS
ip netns exec h iptables-save
ip netns exec c iptables -S
iptables -S
