#!/bin/bash
# kube-proxy's nftables mode in miniature (its table, map and chain names,
# table/set/element comments, chain names with slashes): the host is a node,
# two "pods" (namespaces ep1, ep2) serve on 8000, and a client namespace
# reaches ClusterIP services through a table shaped like kube-proxy's: the
# service-ips verdict map keyed on `ip daddr . meta l4proto . th dport`, a
# service chain choosing an endpoint with `numgen random mod 2 vmap`,
# endpoint chains doing `dnat to`, the no-endpoint-services map rejecting
# connections to a service without endpoints, the cluster-ips set rejecting
# unknown ports of a ClusterIP, and the masquerade mark (`mark set mark or
# 0x4000`, `mark and 0x4000 == 0 return`, `masquerade fully-random`) for the
# first service's clients from outside the pods. The random choice differs
# between runs (and from the kernel), so only success is printed for that
# service (both pods serve the same page); a second service uses `numgen inc
# mod 2`, which alternates: after three connections the counters of its
# endpoint chains read 2 and 1.
sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip link set lo up
ip netns add client
ip netns exec client sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip link add eth0 type veth peer name eth0 netns client
ip link set eth0 address 02:00:00:00:3e:01
ip -n client link set eth0 address 02:00:00:00:3e:02
ip addr add 10.3.9.6/24 dev eth0
ip link set eth0 up
ip -n client addr add 10.3.9.1/24 dev eth0
ip -n client link set eth0 up
ip -n client route add default via 10.3.9.6
ip netns add ep1
ip netns exec ep1 sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip link add veth1 type veth peer name eth0 netns ep1
ip link set veth1 address 02:00:00:00:41:01
ip -n ep1 link set eth0 address 02:00:00:00:41:02
ip addr add 10.244.1.1/24 dev veth1
ip link set veth1 up
ip -n ep1 addr add 10.244.1.2/24 dev eth0
ip -n ep1 link set eth0 up
ip -n ep1 link set lo up
ip -n ep1 route add default via 10.244.1.1
ip netns add ep2
ip netns exec ep2 sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip link add veth2 type veth peer name eth0 netns ep2
ip link set veth2 address 02:00:00:00:42:01
ip -n ep2 link set eth0 address 02:00:00:00:42:02
ip addr add 10.244.2.1/24 dev veth2
ip link set veth2 up
ip -n ep2 addr add 10.244.2.2/24 dev eth0
ip -n ep2 link set eth0 up
ip -n ep2 link set lo up
ip -n ep2 route add default via 10.244.2.1
echo '<h1>served by a pod</h1>' > index.html
ip netns exec ep1 python3 -m http.server 8000 --bind 10.244.1.2 2>/dev/null &
ip netns exec ep2 python3 -m http.server 8000 --bind 10.244.2.2 2>/dev/null &
sysctl -w net.ipv4.ip_forward=1
# The transaction as kube-proxy writes it: add commands, one per line.
nft -f - <<'X'
add table ip kube-proxy { comment "rules for kube-proxy" ; }
add chain ip kube-proxy nat-prerouting { type nat hook prerouting priority dstnat ; }
add chain ip kube-proxy filter-prerouting { type filter hook prerouting priority -110 ; }
add chain ip kube-proxy filter-prerouting-post-dnat { type filter hook prerouting priority dstnat + 10 ; }
add chain ip kube-proxy nat-postrouting { type nat hook postrouting priority srcnat ; }
add chain ip kube-proxy services
add chain ip kube-proxy mark-for-masquerade
add chain ip kube-proxy masquerading
add chain ip kube-proxy service-endpoints-check
add chain ip kube-proxy cluster-ips-check
add chain ip kube-proxy reject-chain
add map ip kube-proxy service-ips { type ipv4_addr . inet_proto . inet_service : verdict ; comment "ClusterIP, ExternalIP and LoadBalancer IP traffic" ; }
add map ip kube-proxy no-endpoint-services { type ipv4_addr . inet_proto . inet_service : verdict ; comment "vmap to drop or reject packets to services with no endpoints" ; }
add set ip kube-proxy cluster-ips { type ipv4_addr ; comment "Active ClusterIPs" ; }
add rule ip kube-proxy reject-chain reject
add rule ip kube-proxy nat-prerouting jump services
add rule ip kube-proxy nat-postrouting jump masquerading
add rule ip kube-proxy mark-for-masquerade mark set mark or 0x4000
add rule ip kube-proxy masquerading mark and 0x4000 == 0 return
add rule ip kube-proxy masquerading mark set mark xor 0x4000
add rule ip kube-proxy masquerading masquerade fully-random
add rule ip kube-proxy filter-prerouting ct state new jump service-endpoints-check
add rule ip kube-proxy filter-prerouting-post-dnat ct state new jump cluster-ips-check
add rule ip kube-proxy services ip daddr . meta l4proto . th dport vmap @service-ips
add rule ip kube-proxy service-endpoints-check ip daddr . meta l4proto . th dport vmap @no-endpoint-services
add rule ip kube-proxy cluster-ips-check ip daddr @cluster-ips reject
add chain ip kube-proxy service-ULMVA6XW-default/web/tcp/http
add chain ip kube-proxy service-42NFTM6N-default/rr/tcp/http
add chain ip kube-proxy endpoint-5OJB2KTY-default/web/tcp/http__10.244.1.2/8000
add chain ip kube-proxy endpoint-2TXUJ7WU-default/web/tcp/http__10.244.2.2/8000
add chain ip kube-proxy endpoint-QJQR6YQ5-default/rr/tcp/http__10.244.1.2/8000
add chain ip kube-proxy endpoint-Z6X4LQ3M-default/rr/tcp/http__10.244.2.2/8000
add rule ip kube-proxy service-ULMVA6XW-default/web/tcp/http ip daddr 10.96.0.10 tcp dport 80 ip saddr != 10.244.0.0/16 counter jump mark-for-masquerade
add rule ip kube-proxy service-ULMVA6XW-default/web/tcp/http counter numgen random mod 2 vmap { 0 : goto endpoint-5OJB2KTY-default/web/tcp/http__10.244.1.2/8000 , 1 : goto endpoint-2TXUJ7WU-default/web/tcp/http__10.244.2.2/8000 }
add rule ip kube-proxy service-42NFTM6N-default/rr/tcp/http counter numgen inc mod 2 vmap { 0 : goto endpoint-QJQR6YQ5-default/rr/tcp/http__10.244.1.2/8000 , 1 : goto endpoint-Z6X4LQ3M-default/rr/tcp/http__10.244.2.2/8000 }
add rule ip kube-proxy endpoint-5OJB2KTY-default/web/tcp/http__10.244.1.2/8000 meta l4proto tcp dnat to 10.244.1.2:8000
add rule ip kube-proxy endpoint-2TXUJ7WU-default/web/tcp/http__10.244.2.2/8000 meta l4proto tcp dnat to 10.244.2.2:8000
add rule ip kube-proxy endpoint-QJQR6YQ5-default/rr/tcp/http__10.244.1.2/8000 meta l4proto tcp counter dnat to 10.244.1.2:8000
add rule ip kube-proxy endpoint-Z6X4LQ3M-default/rr/tcp/http__10.244.2.2/8000 meta l4proto tcp counter dnat to 10.244.2.2:8000
add element ip kube-proxy cluster-ips { 10.96.0.10 comment "default/web" }
add element ip kube-proxy cluster-ips { 10.96.0.11 }
add element ip kube-proxy cluster-ips { 10.96.0.12 }
add element ip kube-proxy service-ips { 10.96.0.10 . tcp . 80 comment "default/web:http" : goto service-ULMVA6XW-default/web/tcp/http }
add element ip kube-proxy service-ips { 10.96.0.11 . tcp . 80 : goto service-42NFTM6N-default/rr/tcp/http }
add element ip kube-proxy no-endpoint-services { 10.96.0.12 . tcp . 80 comment "default/empty:http" : goto reject-chain }
X
echo "nft -f: $?"
# The pods' python3 servers take a while to start on a loaded machine.
sleep 3
ip netns exec client tcpdump -nn -i eth0 -w client.pcap 'tcp[13] & 2 != 0 or icmp' &
sleep 1
for n in 1 2 3 4; do
	ip netns exec client curl -s -o /dev/null http://10.96.0.10/; echo "random service, try $n: $?"
done
for n in 1 2 3; do
	ip netns exec client curl -sS http://10.96.0.11/; echo "round-robin service, try $n: $?"
done
ip netns exec client curl -s http://10.96.0.12/; echo "service without endpoints: $?"
ip netns exec client curl -s http://10.96.0.10:81/; echo "unknown port of a ClusterIP: $?"
nft list map ip kube-proxy service-ips
nft list set ip kube-proxy cluster-ips
nft delete element ip kube-proxy service-ips '{ 10.96.0.11 . tcp . 80 }'
echo "delete element: $?"
nft delete element ip kube-proxy service-ips '{ 10.96.0.11 . tcp . 80 }'
echo "delete it again: $?"
ip netns exec client curl -s -m 2 http://10.96.0.11/; echo "after the delete: $?"
nft -a list ruleset
nft list maps
conntrack -L -p tcp --dport 80 2>/dev/null | grep -c 10.96.0.1
sleep 2
kill -INT %3
kill %1 %2
wait
