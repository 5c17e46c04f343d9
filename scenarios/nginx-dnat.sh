#!/bin/bash
# Seed 000 §4's network with Debian's nginx standing in for Alpine's: a node
# (namespace host2, 10.0.0.11) on the host's bridge br0 (10.0.0.1) runs
# nginx; the host forwards, masquerades 10.0.0.0/24 and DNATs TCP 12345 to
# 10.0.0.11:80; a machine on the host's LAN (namespace other) fetches the
# welcome page and a 404 page through 192.168.2.56:12345, and is refused on
# port 80 of the host itself. Captures keep SYNs and RSTs (the close order
# of a keep-alive connection is a race on the kernel).
ip netns add other
ip netns add host2
for n in other host2; do
  ip netns exec $n sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  ip -n $n link set lo up
done
modprobe br_netfilter 2>/dev/null
ip link add eth0 type veth peer name eth0 netns other
ip link set eth0 address 02:00:00:00:02:38
ip -n other link set eth0 address 02:00:00:00:02:64
ip addr add 192.168.2.56/24 dev eth0
ip link set eth0 up
ip -n other addr add 192.168.2.100/24 dev eth0
ip -n other link set eth0 up
ip link add br0 type bridge
ip link set br0 address 02:00:00:00:00:01
ip link set br0 up
ip link add eth2 type veth peer name eth1 netns host2
ip link set eth2 address 02:00:00:00:00:02
ip -n host2 link set eth1 address 02:00:00:00:00:11
ip link set eth2 master br0
ip link set eth2 up
ip -n host2 addr add 10.0.0.11/24 dev eth1
ip -n host2 link set eth1 up
ip -n host2 route add default via 10.0.0.1 dev eth1
ip netns exec host2 nginx
ip addr add 10.0.0.1/24 dev br0
sysctl -w net.ipv4.ip_forward=1
iptables -t nat -A POSTROUTING -s 10.0.0.0/24 -j MASQUERADE
iptables -t nat -A PREROUTING -p tcp --dport 12345 -j DNAT --to-destination 10.0.0.11:80
tcpdump -nn -e -i br0 -w br0.pcap 'tcp[13] & 6 != 0' &
ip netns exec other tcpdump -nn -e -i eth0 -w other.pcap 'tcp[13] & 6 != 0' 2> /dev/null &
sleep 1
ip netns exec other curl -s 192.168.2.56:12345
ip netns exec other curl -s 192.168.2.56:12345/missing
ip netns exec other curl -sS 192.168.2.56:80
echo "port 80 of the host: $?"
iptables -t nat -L PREROUTING -n -v
sleep 2
kill -INT %1 %2
wait
