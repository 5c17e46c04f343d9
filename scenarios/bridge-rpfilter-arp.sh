#!/bin/bash
# Containers on a bridge with no address ping the host's own address on
# another interface (seed 000: "ping 宿主机的 eth0 IP 还是不通"). Under strict
# rp_filter the host ignores their ARP requests: the route back to 10.0.0.10
# goes out eth0, not br0. Adding "ip route add 10.0.0.0/24 dev br0" makes
# the reverse path valid and the host answers.
sysctl -w net.ipv4.conf.all.rp_filter=1
ip netns add wan
ip link add eth0 type veth peer name uplink netns wan
ip link set eth0 address 02:00:00:00:00:e0
ip addr add 192.168.2.56/24 dev eth0
ip link set eth0 up
ip -n wan link set uplink up
ip route add default via 192.168.2.1
ip link add br0 type bridge
ip link set br0 address 9e:be:3b:2d:a3:1f
ip link set br0 up
ip netns add host1
ip link add veth-h1 type veth peer name eth1 netns host1
ip link set veth-h1 address 02:00:00:00:00:01
ip -n host1 link set eth1 address aa:c1:ab:24:30:9e
ip link set veth-h1 master br0
ip link set veth-h1 up
ip -n host1 addr add 10.0.0.10/24 dev eth1
ip -n host1 link set eth1 up
ip -n host1 route add default dev eth1
tcpdump -pne -i br0 -w br0-before.pcap &
sleep 1
# -W 5: wait past the three ARP probes (0, 1, 2 s) and the FAILED at 3 s.
ip netns exec host1 ping -c 1 -W 5 192.168.2.56
# libpcap delivers captured frames in blocks; give it time before SIGINT.
sleep 2
kill -INT %1
wait
ip route add 10.0.0.0/24 dev br0
ip route
tcpdump -pne -i br0 -w br0-after.pcap &
sleep 1
ip netns exec host1 ping -c 1 -W 1 192.168.2.56
# libpcap delivers captured frames in blocks; give it time before SIGINT.
sleep 2
kill -INT %1
wait
