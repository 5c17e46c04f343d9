#!/bin/bash
# A native nftables firewall (issue 5): a router namespace between a client
# and a server, with an inet table whose forward chain drops by policy and
# lets only established traffic and new connections to tcp/80 through, and
# a server whose input chain (policy drop) accepts ping and tcp/80. Rules
# are added on the command line and from a file (`nft -f`), with a named
# set, an anonymous set, a verdict map, a jump to a regular chain, reject
# with tcp reset, and `nft -a` handles used to insert and delete rules.
# Counters count only new connections and pings (how a TCP exchange ends is
# a race on the kernel).
ip netns add client
ip netns add router
ip netns add server
for ns in client router server; do
  ip netns exec $ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  ip -n $ns link set lo up
done
ip link add c0 netns client type veth peer name r-c netns router
ip link add s0 netns server type veth peer name r-s netns router
ip -n client link set c0 address 02:00:00:00:1a:01
ip -n router link set r-c address 02:00:00:00:1a:fe
ip -n server link set s0 address 02:00:00:00:1b:01
ip -n router link set r-s address 02:00:00:00:1b:fe
ip -n client addr add 10.5.1.2/24 dev c0
ip -n client link set c0 up
ip -n client route add default via 10.5.1.1
ip -n router addr add 10.5.1.1/24 dev r-c
ip -n router addr add 10.5.2.1/24 dev r-s
ip -n router link set r-c up
ip -n router link set r-s up
ip -n server addr add 10.5.2.2/24 dev s0
ip -n server link set s0 up
ip -n server route add default via 10.5.2.1
ip netns exec router sysctl -qw net.ipv4.ip_forward=1
cat > router.nft <<'X'
table inet fw {
	set admins {
		type ipv4_addr
		elements = { 10.5.1.2 }
	}

	chain forward {
		type filter hook forward priority filter; policy drop;
		ct state established,related accept
		iifname "r-c" oifname "r-s" jump from-client
		counter
	}

	chain from-client {
		ct state new tcp dport 80 counter accept
		ip saddr @admins tcp dport { 22, 2222-2230 } counter accept
		icmp type echo-request counter accept comment "pings from the client"
		tcp dport vmap { 23 : drop, 8080 : accept }
	}
}
X
ip netns exec router nft -f router.nft; echo "nft -f: $?"
ip netns exec server nft add table inet host
ip netns exec server nft add chain inet host input '{ type filter hook input priority 0; policy drop; }'
ip netns exec server nft add rule inet host input ct state established,related accept
ip netns exec server nft add rule inet host input iif lo accept
ip netns exec server nft add rule inet host input ip saddr 10.5.0.0/16 tcp dport 80 counter accept
ip netns exec server nft add rule inet host input tcp dport 81 counter reject with tcp reset
ip netns exec server nft add rule inet host input meta l4proto icmp counter accept
echo '<h1>nft</h1>' > index.html
ip netns exec server python3 -m http.server 80 --bind 10.5.2.2 2>/dev/null &
ip netns exec server nc -l -p 8080 &
sleep 1
ip netns exec client ping -c 2 10.5.2.2
ip netns exec client curl -sS http://10.5.2.2/; echo "curl port 80: $?"
ip netns exec client curl -sS --connect-timeout 2 http://10.5.2.2:81/; echo "curl port 81 (router drops): $?"
ip netns exec client nc -z -w 1 10.5.2.2 23; echo "nc port 23 (vmap drop): $?"
ip netns exec client nc -z -w 1 10.5.2.2 8080; echo "nc port 8080 (vmap accept, server drops): $?"
ip netns exec router nft -a list chain inet fw from-client
ip netns exec router nft insert rule inet fw from-client position 10 tcp dport 81 counter accept
ip netns exec router nft delete rule inet fw from-client handle 99; echo "delete missing handle: $?"
ip netns exec client curl -sS --connect-timeout 2 http://10.5.2.2:81/; echo "curl port 81 (server resets): $?"
ip netns exec router nft add element inet fw admins '{ 10.5.1.3 }'
ip netns exec router nft add rule inet fw nosuch accept; echo "missing chain: $?"
ip netns exec router nft list ruleset
ip netns exec server nft list ruleset
kill %1 %2
wait
