#!/bin/bash
# kube-proxy's shape of NAT, with pings: a service address that exists
# nowhere is DNATed to a pod through KUBE-SERVICES/KUBE-SVC/KUBE-SEP chains;
# traffic from outside the pod network is marked 0x4000 (KUBE-MARK-MASQ) and
# masqueraded in KUBE-POSTROUTING because of the mark. Also: CONNMARK set
# and restore with -m connmark, -m state, REDIRECT to the host itself, SNAT
# --to-source, the -L text of every NAT and mark target, and conntrack -L
# showing marks and translated tuples.
sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
for n in client pod; do
  ip netns add $n
  ip netns exec $n sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
ip link add veth-c type veth peer name eth0 netns client
ip link add veth-p type veth peer name eth0 netns pod
ip link set veth-c address 02:00:00:00:01:01
ip link set veth-p address 02:00:00:00:02:01
ip -n client link set eth0 address 02:00:00:00:01:02
ip -n pod link set eth0 address 02:00:00:00:02:02
ip addr add 10.0.1.1/24 dev veth-c
ip addr add 10.244.0.1/24 dev veth-p
ip link set veth-c up
ip link set veth-p up
ip -n client addr add 10.0.1.2/24 dev eth0
ip -n client link set eth0 up
ip -n client route add default via 10.0.1.1
ip -n pod addr add 10.244.0.5/24 dev eth0
ip -n pod link set eth0 up
ip -n pod route add default via 10.244.0.1
sysctl -qw net.ipv4.ip_forward=1
iptables -t nat -N KUBE-SERVICES
iptables -t nat -N KUBE-SVC-DNS
iptables -t nat -N KUBE-SEP-DNS
iptables -t nat -N KUBE-MARK-MASQ
iptables -t nat -N KUBE-POSTROUTING
iptables -t nat -A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
iptables -t nat -A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
iptables -t nat -A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING
iptables -t nat -A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000
iptables -t nat -A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
iptables -t nat -A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0
iptables -t nat -A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE
iptables -t nat -A KUBE-SERVICES -d 10.96.0.10/32 -p icmp -m comment --comment "kube-system/kube-dns cluster IP" -j KUBE-SVC-DNS
iptables -t nat -A KUBE-SVC-DNS ! -s 10.244.0.0/16 -d 10.96.0.10/32 -p icmp -j KUBE-MARK-MASQ
iptables -t nat -A KUBE-SVC-DNS -j KUBE-SEP-DNS
iptables -t nat -A KUBE-SEP-DNS -p icmp -j DNAT --to-destination 10.244.0.5
# REDIRECT: pings to 10.96.0.11 are answered by the host itself.
iptables -t nat -A PREROUTING -d 10.96.0.11/32 -p icmp -j REDIRECT
# SNAT for client traffic straight to the pod network.
iptables -t nat -A POSTROUTING -s 10.0.1.0/24 -d 10.244.0.0/24 -j SNAT --to-source 10.244.0.1
# Connection marks: new connections from the client get 0x7, every packet
# gets its connection's mark back, FORWARD accepts by mark and state. The
# service's packets also carry KUBE-MARK-MASQ's 0x4000 (0x4007): `--mark
# 0x7` matches only the exact value, `--mark 0x7/0x7` the bits.
iptables -t mangle -A PREROUTING -i veth-c -m state --state NEW -j CONNMARK --set-mark 0x7
iptables -t mangle -A PREROUTING -j CONNMARK --restore-mark
iptables -P FORWARD DROP
iptables -A FORWARD -m mark --mark 0x7 -j ACCEPT
iptables -A FORWARD -m mark --mark 0x7/0x7 -j ACCEPT
iptables -A FORWARD -m connmark --mark 0x7 -m state --state ESTABLISHED,RELATED -j ACCEPT
ip netns exec pod tcpdump -nn -i eth0 -w pod.pcap icmp &
sleep 1
ip netns exec client ping -c 2 -i 0.5 10.96.0.10; echo "service: $?"
ip netns exec client ping -c 1 10.96.0.11; echo "redirect: $?"
ip netns exec client ping -c 1 10.244.0.5; echo "pod directly: $?"
# From the pod itself to its own service: DNATed back to itself, its
# connection has no 0x7 mark, so FORWARD's policy drops it.
ip netns exec pod ping -c 1 -W 1 10.96.0.10; echo "pod to service: $?"
conntrack -L -p icmp -o extended
conntrack -L -m 7
iptables -t nat -L -n -v
iptables -t mangle -L -n -v
iptables -L FORWARD -n -v
iptables -t nat -S
# How -L prints NAT and mark targets (a chain nothing jumps to).
iptables -t nat -N SHOW
iptables -t nat -A SHOW -p tcp --dport 8080 -j DNAT --to-destination 192.168.100.2:80
iptables -t nat -A SHOW -p icmp -j DNAT --to-destination 10.0.0.1-10.0.0.3
iptables -t nat -A SHOW -p tcp -j DNAT --to-destination 10.0.0.1:80-90 --random --persistent
iptables -t nat -A SHOW -j SNAT --to-source 1.2.3.4
iptables -t nat -A SHOW -p udp -j SNAT --to-source 1.2.3.4:1000-2000 --random-fully
iptables -t nat -A SHOW -p tcp -j MASQUERADE --to-ports 1024-2000 --random
iptables -t nat -A SHOW -j MASQUERADE --random-fully
iptables -t nat -A SHOW -p tcp --dport 80 -j REDIRECT --to-ports 8080
iptables -t nat -A SHOW -p tcp -j REDIRECT
iptables -t nat -A SHOW -j MARK --set-mark 7
iptables -t nat -A SHOW -j MARK --or-mark 0x10
iptables -t nat -A SHOW -j MARK --and-mark 0x10
iptables -t nat -A SHOW -j MARK --xor-mark 0x3
iptables -t nat -A SHOW -j CONNMARK --save-mark
iptables -t nat -A SHOW -j CONNMARK --save-mark --nfmask 0xff --ctmask 0xf
iptables -t nat -A SHOW -j CONNMARK --restore-mark --mask 0xff
iptables -t nat -A SHOW -m connmark ! --mark 5 -j CONNMARK --set-xmark 0x5/0xf
iptables -t nat -A SHOW -m mark ! --mark 0x1/0x1 -m conntrack --ctstate DNAT,SNAT --ctorigdst 1.2.3.4 --ctdir REPLY -j RETURN
iptables -t nat -L SHOW -n
iptables -t nat -L SHOW
iptables -t nat -S SHOW
sleep 2
kill -INT %1
wait
