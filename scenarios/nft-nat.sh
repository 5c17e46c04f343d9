#!/bin/bash
# NAT with native nftables (issue 5): the host is the gateway of a "web"
# namespace on 172.18.0.0/24 and publishes its ports to a client outside,
# the way a container runtime using nftables does. An ip table "nat" with
# a dstnat prerouting chain (dnat to ADDR:PORT, a plain map dnat keyed on
# the destination port), an output chain for the host's own connections
# (fib daddr type local), and a srcnat postrouting chain masquerading the
# web subnet. The nat chains see only a connection's first packet: the
# counters count connections, and conntrack shows the translated tuples.
sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip link set lo up
ip netns add client
ip netns exec client sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip link add eth0 type veth peer name eth0 netns client
ip link set eth0 address 02:00:00:00:2e:01
ip -n client link set eth0 address 02:00:00:00:2e:02
ip addr add 10.3.9.6/24 dev eth0
ip link set eth0 up
ip -n client addr add 10.3.9.1/24 dev eth0
ip -n client link set eth0 up
ip netns add web
ip netns exec web sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip link add web0 type veth peer name eth0 netns web
ip link set web0 address 02:00:00:00:2f:01
ip -n web link set eth0 address 02:00:00:00:2f:02
ip addr add 172.18.0.1/24 dev web0
ip link set web0 up
ip -n web addr add 172.18.0.2/24 dev eth0
ip -n web link set eth0 up
ip -n web link set lo up
ip -n web route add default via 172.18.0.1
sysctl -w net.ipv4.ip_forward=1
nft -f - <<'X'
table ip nat {
	chain prerouting {
		type nat hook prerouting priority dstnat; policy accept;
		tcp dport 8080 counter dnat to 172.18.0.2:80
		dnat to tcp dport map { 8081 : 172.18.0.2, 8082 : 172.18.0.3 }
	}

	chain output {
		type nat hook output priority -100; policy accept;
		fib daddr type local tcp dport 8080 counter dnat to 172.18.0.2:80
	}

	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		ip saddr 172.18.0.0/24 oifname != "web0" counter masquerade
	}
}
X
echo "nft -f: $?"
echo '<h1>published by nft</h1>' > index.html
ip netns exec web python3 -m http.server 80 --bind 172.18.0.2 2>/dev/null &
ip netns exec web nc -l -p 8081 &
sleep 1
ip netns exec client tcpdump -nn -i eth0 -w client.pcap 'tcp[13] & 2 != 0 or icmp' &
sleep 1
ip netns exec client curl -sS http://10.3.9.6:8080/; echo "curl through the published port: $?"
sleep 1
conntrack -L -p tcp --dport 8080
curl -sS http://10.3.9.6:8080/; echo "curl from the host: $?"
echo hello | ip netns exec client nc -q 1 10.3.9.6 8081; echo "nc through the map: $?"
ip netns exec web ping -c 2 10.3.9.1
conntrack -L -p icmp
nft list ruleset
sleep 2
kill -INT %3
kill %1
wait
