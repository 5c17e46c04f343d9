#!/bin/bash
# A container behind a bridge pings an outside address through the host,
# the two classic NAT surprises in a row (seed 002). First ip_forward is 0:
# the host drops the request as not addressed to it (IP_INADDRERRORS).
# With forwarding on, the request leaves with the container's private
# source and the far side has no route back to it. The MASQUERADE rule
# `netsim explain` suggests rewrites the source to the host's address,
# and the ping gets its reply.
modprobe br_netfilter 2>/dev/null
sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
sysctl -w net.ipv4.ip_forward=0
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
ip route add default via 10.3.8.1
ip link add br0 type bridge
ip link set br0 address 02:42:00:00:00:01
ip addr add 172.17.0.1/16 dev br0
ip link set br0 up
ip netns add c1
ip netns exec c1 sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip link add veth1 type veth peer name eth0 netns c1
ip link set veth1 address 02:00:00:00:00:01
ip -n c1 link set eth0 address 02:42:ac:11:00:02
ip link set veth1 master br0
ip link set veth1 up
ip -n c1 addr add 172.17.0.2/16 dev eth0
ip -n c1 link set eth0 up
ip -n c1 route add default via 172.17.0.1
# br0's IGMP reports are not modelled; let them pass first.
sleep 2
ip netns exec upstream tcpdump -nn -e -i eth0 -w upstream.pcap icmp or arp &
sleep 1
ip netns exec c1 ping -c 1 -W 1 8.8.8.8; echo "ping with ip_forward=0: $?"
sysctl -w net.ipv4.ip_forward=1
ip netns exec c1 ping -c 1 -W 1 8.8.8.8; echo "ping without MASQUERADE: $?"
iptables -t nat -A POSTROUTING -s 172.17.0.0/16 -o eth0 -j MASQUERADE
ip netns exec c1 ping -c 1 -W 1 8.8.8.8; echo "ping with MASQUERADE: $?"
sleep 2
kill -INT %1
wait
