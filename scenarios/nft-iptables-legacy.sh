#!/bin/bash
# iptables-legacy beside iptables-nft (issue 5): on this machine `iptables`
# is iptables-nft (nf_tables) and `iptables-legacy` keeps a separate
# x_tables ruleset; the kernel runs both at the same hooks, so a DROP in
# either drops. iptables-nft warns on stderr when legacy tables exist,
# `nft list ruleset` shows only the nf_tables side, a legacy nat table
# redirects a port (its nat INPUT policy counter counts only the first
# packet: the filter counters are left out, how a TCP exchange ends is a race).
ip netns add client
ip netns add srv
for ns in client srv; do
  ip netns exec $ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  ip -n $ns link set lo up
done
ip link add c0 netns client type veth peer name s0 netns srv
ip -n client link set c0 address 02:00:00:00:5a:01
ip -n srv link set s0 address 02:00:00:00:5a:02
ip -n client addr add 10.8.0.1/24 dev c0
ip -n srv addr add 10.8.0.2/24 dev s0
ip -n client link set c0 up
ip -n srv link set s0 up
ip netns exec srv iptables -A INPUT -p icmp -j ACCEPT
ip netns exec srv iptables-legacy -A INPUT -p icmp --icmp-type echo-request -j DROP
ip netns exec client ping -c 2 -W 1 10.8.0.2 | grep transmitted
ip netns exec srv iptables -L INPUT -v -n
ip netns exec srv iptables-legacy -L INPUT -v -n
ip netns exec srv iptables -S
ip netns exec srv iptables-legacy -D INPUT 1
ip netns exec client ping -c 1 -W 1 10.8.0.2 | grep transmitted
ip netns exec srv iptables-legacy -t nat -A PREROUTING -p tcp --dport 8080 -j REDIRECT --to-ports 80
echo '<h1>legacy</h1>' > index.html
ip netns exec srv python3 -m http.server 80 --bind 0.0.0.0 2>/dev/null &
sleep 1
ip netns exec client curl -sS http://10.8.0.2:8080/; echo "curl through the legacy redirect: $?"
ip netns exec srv iptables-legacy-save -t nat | grep -v '^#'
ip netns exec srv iptables-save | grep -v '^# [GC]'
ip netns exec srv nft list ruleset
kill %1
wait
