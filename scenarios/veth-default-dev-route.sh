#!/bin/bash
# A veth pair whose default route names the device (no gateway): the kernel
# ARPs for every destination, even off-subnet ones (seed 000, "题外话").
# host1 pings 223.5.5.5; nobody answers ARP, so three broadcast requests go
# out one second apart and the ping gets no reply (lo is down, so the local
# "host unreachable" error never reaches ping).
ip netns add host1
ip netns add host2
ip link add veth1 type veth peer name veth1-peer
ip link set veth1 netns host1
ip link set veth1-peer netns host2
ip -n host2 link set veth1-peer name veth1
ip -n host1 link set veth1 address aa:c1:ab:e4:53:e6
ip -n host2 link set veth1 address aa:c1:ab:00:93:d6
ip -n host1 addr add 192.168.2.2/24 dev veth1
ip -n host1 link set veth1 up
ip -n host1 route add default dev veth1
ip -n host2 addr add 192.168.2.3/24 dev veth1
ip -n host2 link set veth1 up
ip -n host2 route add default dev veth1
ip netns exec host2 tcpdump -pne -i veth1 -w host2-veth1.pcap &
sleep 1
ip netns exec host1 ping -c 1 223.5.5.5
echo "ping exit: $?"
ip -n host1 route
ip -n host1 neigh
ip netns exec host1 ping -c 1 192.168.2.3
# libpcap delivers captured frames in blocks; give it time before SIGINT.
sleep 2
kill -INT %1
wait
