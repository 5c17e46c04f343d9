#!/bin/bash
# `nft list ruleset` on a Docker host (issue 5): the host of
# docker0-equivalent (Docker Engine 28.0's docker0 and its iptables-nft
# rules, as plain ip/iptables commands, chains declared by iptables-restore)
# seen from nft: iptables-nft's filter and nat tables in creation order,
# each with the "managed by iptables-nft" warning on stderr, the rules as nft
# translates them (jumps, ct state, addrtype as fib, masquerade), with the
# counters a container-to-container ping and a ping of the gateway leave;
# `nft list chain` of one chain (the warning only for a chain holding xt
# expressions; a built-in chain iptables-nft never created does not exist).
modprobe br_netfilter 2>/dev/null
# IPv6 off (its background chatter would perturb the counters).
sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
# The daemon starts: docker0, ip_forward (was 0, so FORWARD policy DROP), its chains.
ip link add docker0 address 02:42:7f:7c:68:0f type bridge
ip link set docker0 txqueuelen 0
ip addr add 172.17.0.1/16 brd 172.17.255.255 dev docker0
ip link set docker0 up
sysctl -qw net.ipv4.ip_forward=1
iptables -P FORWARD DROP
iptables-restore -n <<EOF
*filter
:DOCKER - [0:0]
:DOCKER-ISOLATION-STAGE-1 - [0:0]
:DOCKER-ISOLATION-STAGE-2 - [0:0]
:DOCKER-USER - [0:0]
-A FORWARD -j DOCKER-USER
-A FORWARD -j DOCKER-ISOLATION-STAGE-1
-A DOCKER-USER -j RETURN
COMMIT
*nat
:DOCKER - [0:0]
-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER
-A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER
COMMIT
EOF
iptables -I FORWARD 3 -i docker0 -o docker0 -j ACCEPT
iptables -I FORWARD 3 -i docker0 ! -o docker0 -j ACCEPT
iptables -I FORWARD 3 -o docker0 -j DOCKER
iptables -I FORWARD 3 -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
iptables -A DOCKER ! -i docker0 -o docker0 -j DROP
iptables -A DOCKER-ISOLATION-STAGE-1 -i docker0 ! -o docker0 -j DOCKER-ISOLATION-STAGE-2
iptables -I DOCKER-ISOLATION-STAGE-2 -o docker0 -j DROP
iptables -t nat -I POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE
iptables -t nat -I DOCKER -i docker0 -j RETURN
# docker run -d --name containerB nginx:alpine: a namespace, a veth pair whose peer
# becomes eth0 with the MAC derived from 172.17.0.2, the host end on docker0.
ip netns add containerB
ip netns exec containerB sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip -n containerB link set lo up
ip link add veth63935af type veth peer name veth1c0ffee
ip link set veth63935af address be:4b:ea:af:8a:e5
ip link set veth1c0ffee netns containerB
ip -n containerB link set veth1c0ffee name eth0
ip -n containerB link set eth0 txqueuelen 0
ip link set veth63935af txqueuelen 0
ip -n containerB link set eth0 address 02:42:ac:11:00:02
ip link set veth63935af master docker0
ip link set veth63935af up
ip -n containerB addr add 172.17.0.2/16 brd 172.17.255.255 dev eth0
ip -n containerB link set eth0 up
ip -n containerB route add default via 172.17.0.1 dev eth0
# docker run -d --name containerA nginx:alpine: a namespace, a veth pair whose peer
# becomes eth0 with the MAC derived from 172.17.0.3, the host end on docker0.
ip netns add containerA
ip netns exec containerA sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip -n containerA link set lo up
ip link add veth66c7042 type veth peer name veth2c0ffee
ip link set veth66c7042 address 3e:10:f6:aa:69:2d
ip link set veth2c0ffee netns containerA
ip -n containerA link set veth2c0ffee name eth0
ip -n containerA link set eth0 txqueuelen 0
ip link set veth66c7042 txqueuelen 0
ip -n containerA link set eth0 address 02:42:ac:11:00:03
ip link set veth66c7042 master docker0
ip link set veth66c7042 up
ip -n containerA addr add 172.17.0.3/16 brd 172.17.255.255 dev eth0
ip -n containerA link set eth0 up
ip -n containerA route add default via 172.17.0.1 dev eth0
sleep 2
ip netns exec containerA ping -c 1 172.17.0.2 | grep transmitted
ip netns exec containerB ping -c 1 172.17.0.1 | grep transmitted
nft list ruleset
nft list tables
nft list table ip nat
nft list chain ip filter FORWARD
nft list chain ip filter DOCKER-USER
nft list chain ip filter INPUT; echo "INPUT, never created by iptables-nft: $?"
