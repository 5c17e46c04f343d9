#!/bin/bash
# iptables (nf_tables backend) and native nft chains at the same hook
# (issue 5): the kernel runs every base chain of a hook in priority order,
# and among equal priorities the chain registered last first. An nft chain
# at priority mangle marks new connections to tcp/80 before iptables'
# filter INPUT (priority 0) reads the mark; an nft chain registered after
# iptables' filter table, also at priority 0, runs before it; an ACCEPT in
# iptables ends only its own chain, so a later nft chain (filter + 10)
# still drops the pings iptables accepted: a DROP in either drops. (The
# policy counter is not shown: how a TCP exchange ends is a race.)
# At the end `nft list ruleset` shows iptables-nft's tables beside the
# native ones, in creation order, with the rules as nft translates them;
# they are nf_tables tables: `nft delete table` and `nft flush ruleset`
# remove them.
ip netns add client
ip netns add srv
for ns in client srv; do
  ip netns exec $ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  ip -n $ns link set lo up
done
ip link add c0 netns client type veth peer name s0 netns srv
ip -n client link set c0 address 02:00:00:00:3a:01
ip -n srv link set s0 address 02:00:00:00:3a:02
ip -n client addr add 10.6.0.1/24 dev c0
ip -n srv addr add 10.6.0.2/24 dev s0
ip -n client link set c0 up
ip -n srv link set s0 up
ip netns exec srv nft add table inet early
ip netns exec srv nft add chain inet early input '{ type filter hook input priority mangle; }'
ip netns exec srv nft add rule inet early input tcp dport 80 ct state new counter meta mark set 0x1
ip netns exec srv iptables -A INPUT -m mark --mark 0x1 -j ACCEPT
ip netns exec srv iptables -A INPUT -m mark --mark 0x2 -j ACCEPT
ip netns exec srv iptables -A INPUT -p icmp -j ACCEPT
ip netns exec srv nft add table ip same
ip netns exec srv nft add chain ip same input '{ type filter hook input priority filter; }'
ip netns exec srv nft add rule ip same input meta mark 0x1 counter meta mark set 0x2
ip netns exec srv nft add table inet late
ip netns exec srv nft add chain inet late input '{ type filter hook input priority 10; }'
ip netns exec srv nft add rule inet late input meta mark 0x2 counter accept
ip netns exec srv nft add rule inet late input icmp type echo-request counter drop
echo '<h1>priorities</h1>' > index.html
ip netns exec srv python3 -m http.server 80 --bind 10.6.0.2 2>/dev/null &
sleep 1
ip netns exec client curl -sS http://10.6.0.2/; echo "curl: $?"
ip netns exec client ping -c 2 -W 1 10.6.0.2; echo "ping: $?"
ip netns exec srv iptables -L INPUT -v -n -x | grep -v policy
ip netns exec srv nft list table inet early
ip netns exec srv nft list table ip same
ip netns exec srv nft -a list table inet late
ip netns exec srv nft delete table inet late
ip netns exec client ping -c 1 -W 1 10.6.0.2 | grep transmitted
ip netns exec srv iptables -t nat -A POSTROUTING -s 10.6.0.0/24 ! -o s0 -j MASQUERADE
ip netns exec srv iptables -N DOCKER-USER
ip netns exec srv iptables -A DOCKER-USER -i s0 -p tcp --dport 8080 -m conntrack --ctstate NEW -m comment --comment "publish" -j DROP
ip netns exec srv iptables -P FORWARD DROP
ip netns exec srv iptables -A FORWARD -j DOCKER-USER
ip netns exec srv nft list ruleset
ip netns exec srv nft list tables
ip netns exec srv nft add table ip nat; echo "add existing: $?"
ip netns exec srv nft delete table ip nat; echo "delete iptables' nat table: $?"
ip netns exec srv iptables -t nat -S
ip netns exec srv nft list tables
ip netns exec srv nft flush ruleset
ip netns exec srv iptables-save
ip netns exec srv nft list ruleset; echo "after flush: $?"
kill %1
wait
