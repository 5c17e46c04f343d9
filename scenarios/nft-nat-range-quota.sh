#!/bin/bash
# nft NAT address ranges and flags, `quota` and byte `limit rate over`: a
# router namespace r between a client a (10.7.0.1 and 10.7.0.5) and a
# server b source-NATs to 10.8.0.10-10.8.0.12 (owned by r); conntrack shows
# which address each client address got (nf_nat's hash of the addresses).
# The forward chain drops echo requests from 10.7.0.1 once 300 bytes have
# passed (`quota over`, counted per packet before the comparison), and
# those from 10.7.0.5 beyond 1 kbytes/second with a 500-byte burst
# (nft_limit's byte bucket): 1028-byte pings every 0.3 s alternate.
# Rules with masquerade/snat flags are listed (they never match first).
sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
for n in a r b; do
  ip netns add $n
  ip netns exec $n sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
ip link add v0 netns a type veth peer name v1 netns r
ip link add w0 netns r type veth peer name w1 netns b
ip -n a link set v0 address 02:00:00:00:5a:01
ip -n r link set v1 address 02:00:00:00:5a:02
ip -n r link set w0 address 02:00:00:00:5b:01
ip -n b link set w1 address 02:00:00:00:5b:02
ip -n a addr add 10.7.0.1/24 dev v0
ip -n a addr add 10.7.0.5/24 dev v0
ip -n r addr add 10.7.0.254/24 dev v1
ip -n r addr add 10.8.0.254/24 dev w0
ip -n r addr add 10.8.0.10/24 dev w0
ip -n r addr add 10.8.0.11/24 dev w0
ip -n r addr add 10.8.0.12/24 dev w0
ip -n b addr add 10.8.0.2/24 dev w1
ip -n a link set v0 up
ip -n r link set v1 up
ip -n r link set w0 up
ip -n b link set w1 up
ip -n a route add default via 10.7.0.254
ip -n b route add default via 10.8.0.254
ip netns exec r sysctl -qw net.ipv4.ip_forward=1
ip netns exec r nft -f - <<'X'
table ip t {
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		ip saddr 10.7.0.0/24 oifname "w0" counter snat to 10.8.0.10-10.8.0.12
		meta l4proto tcp snat to 10.8.0.10-10.8.0.12:2000-3000 persistent
		oifname "w0" masquerade fully-random,persistent
		snat to 10.8.0.0/30 random
	}

	chain forward {
		type filter hook forward priority filter; policy accept;
		ip saddr 10.7.0.1 icmp type echo-request quota over 300 bytes counter drop
		ip saddr 10.7.0.5 icmp type echo-request limit rate over 1 kbytes/second burst 500 bytes counter drop
	}
}
X
echo "nft -f: $?"
ip netns exec a ping -c 1 -I 10.7.0.1 10.8.0.2 > /dev/null; echo "ping from 10.7.0.1: $?"
ip netns exec a ping -c 1 -I 10.7.0.5 10.8.0.2 > /dev/null; echo "ping from 10.7.0.5: $?"
ip netns exec r conntrack -L -p icmp
sleep 2
ip netns exec a ping -c 4 -i 0.3 -I 10.7.0.1 10.8.0.2 | grep -c "bytes from"
ip netns exec a ping -c 4 -i 0.3 -s 1000 -I 10.7.0.5 10.8.0.2 | grep -c "bytes from"
ip netns exec r nft list ruleset
