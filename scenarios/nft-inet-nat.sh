#!/bin/bash
# Port publishing the way nftables-based container runtimes write it (issue
# 5): one inet table holds the nat chains and the forward filter. In an
# inet table a NAT address needs `dnat ip to` (or an earlier ip match), and
# nft lists it so; without either nft refuses the rule. A client reaches
# the container through the published port, the container reaches the
# client through masquerade, and the forward chain (policy drop) passes
# only published and established traffic.
sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip link set lo up
for ns in client c1; do
  ip netns add $ns
  ip netns exec $ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  ip -n $ns link set lo up
done
ip link add eth9 type veth peer name eth0 netns client
ip link set eth9 address 02:00:00:00:6e:01
ip -n client link set eth0 address 02:00:00:00:6e:02
ip addr add 192.168.50.2/24 dev eth9
ip link set eth9 up
ip -n client addr add 192.168.50.1/24 dev eth0
ip -n client link set eth0 up
ip -n client route add 10.88.0.0/24 via 192.168.50.2
ip link add veth-c1 type veth peer name eth0 netns c1
ip link set veth-c1 address 02:00:00:00:6f:01
ip -n c1 link set eth0 address 02:00:00:00:6f:02
ip addr add 10.88.0.1/24 dev veth-c1
ip link set veth-c1 up
ip -n c1 addr add 10.88.0.2/24 dev eth0
ip -n c1 link set eth0 up
ip -n c1 route add default via 10.88.0.1
sysctl -qw net.ipv4.ip_forward=1
nft add table inet cni
nft add chain inet cni prerouting '{ type nat hook prerouting priority dstnat; }'
nft add rule inet cni prerouting tcp dport 8080 dnat to 10.88.0.2:80; echo "dnat without ip: $?"
nft -f - <<'X'
table inet cni {
	chain prerouting {
		type nat hook prerouting priority dstnat; policy accept;
		fib daddr type local tcp dport 8080 counter dnat ip to 10.88.0.2:80
		ip daddr 192.168.50.2 udp dport 5353 dnat to 10.88.0.2:53
	}

	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		ip saddr 10.88.0.0/24 oifname != "veth-c1" counter masquerade
	}

	chain forward {
		type filter hook forward priority filter; policy drop;
		ct state established,related accept
		iifname "veth-c1" accept
		oifname "veth-c1" ct status dnat counter accept
	}
}
X
echo "nft -f: $?"
echo '<h1>inet nat</h1>' > index.html
ip netns exec c1 python3 -m http.server 80 --bind 10.88.0.2 2>/dev/null &
sleep 1
ip netns exec client curl -sS http://192.168.50.2:8080/; echo "curl through the published port: $?"
ip netns exec client curl -sS --connect-timeout 1 http://10.88.0.2/; echo "curl to the container directly (forward drops): $?"
ip netns exec c1 ping -c 1 192.168.50.1 | grep transmitted
sleep 1
conntrack -L -p tcp --dport 8080
conntrack -L -p icmp
nft list ruleset
kill %1
wait
