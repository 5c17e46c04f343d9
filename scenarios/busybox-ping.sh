#!/bin/bash
# BusyBox's ping, arp, ifconfig and ip applets, as alpine and busybox containers run it (seeds 001
# and 002 show its output): "N data bytes", seq from 0, "packets received",
# "round-trip min/avg/max"; exit 1 when nothing came back; an ICMP error is
# ignored silently; a missing route fails at sendto after the opening line.
sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns add c
ip netns exec c sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip link add v0 address 02:00:00:00:00:01 type veth peer name eth0 netns c
ip -n c link set eth0 address 02:00:00:00:00:02
ip addr add 10.0.0.1/24 dev v0
ip link set v0 up
ip -n c addr add 10.0.0.2/24 dev eth0
ip -n c link set eth0 up
ip -n c link set lo up
ip -n c link set eth0 txqueuelen 0
ip -n c link add br9 address 02:00:00:00:00:09 type bridge
# ifconfig in BusyBox's (net-tools 1.60) layout; counters left out (the
# kernel's IGMP reports, not simulated, count there).
ip netns exec c busybox ifconfig | grep -v -E 'packets|bytes'
ip netns exec c busybox ifconfig -a | grep -v -E 'packets|bytes'
ip netns exec c busybox ifconfig nope; echo "exit $?"
# BusyBox's ip: no state/group/link-netnsid, qlen only when not 0, a veth's
# peer index looked up in its own namespace (eth0's peer v0 has ifindex 2 in
# the host, which here is eth0 itself).
ip -n c link add p0 address 02:00:00:00:00:10 type veth peer name p1
ip -n c link set p1 address 02:00:00:00:00:11
ip -n c link set p0 master br9
ip -n c link set p0 up
ip netns exec c busybox ip a
ip netns exec c busybox ip link show p0
ip netns exec c busybox ip a s nope; echo "exit $?"
tcpdump -i v0 -nn -w v0.pcap icmp 2>/dev/null &
sleep 1
ip netns exec c busybox ping -c 2 10.0.0.1; echo "exit $?"
ip netns exec c busybox ping -c 1 -s 8 10.0.0.1; echo "exit $?"
ip netns exec c busybox ping -c 2 -W 1 10.0.0.9; echo "exit $?"
ip netns exec c busybox ping -c 1 172.16.0.1; echo "exit $?"
# Through the host, which forwards but has no route to 192.0.2.1: its
# "net unreachable" error reaches busybox, which says nothing.
ip -n c route add default via 10.0.0.1
sysctl -qw net.ipv4.ip_forward=1
ip netns exec c busybox ping -c 1 -W 1 192.0.2.1; echo "exit $?"
# BusyBox's arp: BSD-style lines with two spaces before "on" (-n: `arp -a`
# would ask the resolver, whose queries netsim does not model).
ip netns exec c busybox arp -n
sleep 2
kill -INT %1
wait
