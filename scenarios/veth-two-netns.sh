#!/bin/bash
# Two network namespaces joined by one veth pair, pinging each other.
# From the veth article (seed 003): ns1 192.168.1.1/24 <-> ns2 192.168.1.2/24.
ip netns add ns1
ip netns add ns2
ip link add veth-ns1 type veth peer name veth-ns2
ip link set veth-ns1 netns ns1
ip link set veth-ns2 netns ns2
ip -n ns1 link set dev veth-ns1 address 02:00:00:00:01:01
ip -n ns2 link set dev veth-ns2 address 02:00:00:00:01:02
ip netns exec ns1 ip addr add 192.168.1.1/24 dev veth-ns1
ip netns exec ns1 ip link set veth-ns1 up
ip netns exec ns2 ip addr add 192.168.1.2/24 dev veth-ns2
ip netns exec ns2 ip link set veth-ns2 up
ip netns exec ns1 ip link set lo up
ip netns exec ns2 ip link set lo up
ip netns exec ns2 tcpdump -nne -i veth-ns2 -w veth-ns2.pcap &
sleep 1
ip netns exec ns1 ping -c 3 192.168.1.2
echo "ping exit: $?"
ip netns exec ns1 ip neigh show
ip netns exec ns1 ip addr show veth-ns1
ip netns exec ns2 ip route
# libpcap delivers captured frames in blocks; give it time before SIGINT.
sleep 2
kill -INT %1
wait
