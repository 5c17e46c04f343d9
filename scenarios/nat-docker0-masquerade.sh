#!/bin/bash
# Seed 002's docker0 egress: containers on a docker0-style bridge reach an
# outside address only once MASQUERADE rewrites their source to the host's
# eth0 address; conntrack keeps the binding and rewrites the replies back.
# Also: the FORWARD rules Docker installs (ctstate RELATED,ESTABLISHED), an
# ICMP error from beyond the host translated back to the container
# (RELATED), bridged container-to-container traffic tracked but not
# NATed (`! -o docker0`), DNAT of pings to the host onto a container (and
# the FORWARD accept it needs), and
# `conntrack -L/-D/-F`.
modprobe br_netfilter 2>/dev/null
sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
# "upstream": the next hop out of the host, with 8.8.8.8 on its loopback.
ip netns add upstream
ip netns exec upstream sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip link add eth0 type veth peer name eth0 netns upstream
ip link set eth0 address 02:00:00:00:0e:01
ip -n upstream link set eth0 address 02:00:00:00:0e:02
ip addr add 10.3.8.6/24 dev eth0
ip link set eth0 up
ip -n upstream addr add 10.3.8.1/24 dev eth0
ip -n upstream link set eth0 up
ip -n upstream link set lo up
ip -n upstream addr add 8.8.8.8/32 dev lo
ip netns exec upstream sysctl -qw net.ipv4.ip_forward=1
ip route add default via 10.3.8.1
# docker0 and two containers.
ip link add docker0 type bridge
ip link set docker0 address 02:42:00:00:00:01
ip addr add 172.17.0.1/16 dev docker0
ip link set docker0 up
for i in 2 3; do
  ip netns add c$i
  ip netns exec c$i sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  ip link add veth$i type veth peer name eth0 netns c$i
  ip link set veth$i address 02:00:00:00:00:0$i
  ip -n c$i link set eth0 address 02:42:ac:11:00:0$i
  ip link set veth$i master docker0
  ip link set veth$i up
  ip -n c$i addr add 172.17.0.$i/16 dev eth0
  ip -n c$i link set eth0 up
  ip -n c$i route add default via 172.17.0.1
done
sysctl -w net.ipv4.ip_forward=1
# docker0's IGMP reports (repeated within a second of coming up) are not
# modelled; let them pass before conntrack starts tracking.
sleep 2
# Docker's forwarding rules.
iptables -P FORWARD DROP
iptables -A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
iptables -A FORWARD -i docker0 ! -o docker0 -j ACCEPT
iptables -A FORWARD -i docker0 -o docker0 -j ACCEPT
ip netns exec upstream tcpdump -nn -e -i eth0 -w upstream.pcap icmp &
sleep 1
# Without MASQUERADE the request leaves with the container's address and
# upstream has no route back to 172.17.0.0/16.
ip netns exec c2 ping -c 1 -W 1 8.8.8.8; echo "ping without MASQUERADE: $?"
iptables -t nat -A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE
conntrack -L
ip netns exec c2 ping -c 2 -i 0.5 8.8.8.8; echo "ping with MASQUERADE: $?"
ip netns exec c3 ping -c 1 8.8.8.8; echo "second container: $?"
iptables -t nat -L -n -v
conntrack -L -d 8.8.8.8 -o extended
conntrack -L -p icmp -n
# Container to container over the bridge: tracked, not masqueraded.
ip netns exec c3 ping -c 1 172.17.0.2; echo "c3 to c2: $?"
conntrack -L -s 172.17.0.3 -d 172.17.0.2
# An ICMP error from beyond the host comes back RELATED and is translated.
ip netns exec c2 ping -c 1 -W 1 9.9.9.9; echo "ping 9.9.9.9: $?"
iptables -L FORWARD -n -v
# Publish: pings to the host's eth0 address go to c3.
iptables -t nat -A PREROUTING -d 10.3.8.6 -p icmp -j DNAT --to-destination 172.17.0.3
# FORWARD still drops the new connection (policy DROP): the DNAT without a
# FORWARD accept; Docker adds one per published port.
ip netns exec upstream ping -c 1 -W 1 10.3.8.6; echo "ping the host, FORWARD drops it: $?"
iptables -A FORWARD -d 172.17.0.3 -o docker0 -p icmp -j ACCEPT
ip netns exec upstream ping -c 1 10.3.8.6; echo "ping the host, answered by c3: $?"
conntrack -L -p icmp -s 10.3.8.1
iptables -t nat -S
conntrack -D -p icmp -s 172.17.0.3; echo "delete: $?"
conntrack -D -p icmp -s 172.17.0.3; echo "delete again: $?"
conntrack -C
conntrack -F
conntrack -L
sleep 2
kill -INT %1
wait
