#!/bin/bash
# Containers reach the host through the bridge gateway (seed 004 §4,
# seed 001 "容器与宿主机间的网络"): br0 has 172.16.100.1/24, each container
# routes by default via it and pings it.
ip link add br-0 type bridge
ip link set br-0 address 02:00:00:00:00:b0
ip link set br-0 up
ip addr add 172.16.100.1/24 dev br-0
for i in 1 2; do
  ip netns add ctr$i
  ip link add veth-$i type veth peer name eth0 netns ctr$i
  ip link set veth-$i address 02:00:00:00:00:0$i
  ip -n ctr$i link set eth0 address 02:00:00:00:01:0$i
  brctl addif br-0 veth-$i
  ip link set veth-$i up
  ip -n ctr$i link set lo up
  ip -n ctr$i addr add 172.16.100.10$i/24 dev eth0
  ip -n ctr$i link set eth0 up
  ip -n ctr$i route add default via 172.16.100.1
done
tcpdump -pnne -i br-0 -w br-0.pcap &
sleep 1
ip netns exec ctr1 ping -c 2 172.16.100.1
ip netns exec ctr2 ping -c 1 172.16.100.101
ip route
ip -n ctr1 route
# libpcap delivers captured frames in blocks; give it time before SIGINT.
sleep 2
kill -INT %1
wait
