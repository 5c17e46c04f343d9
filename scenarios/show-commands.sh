#!/bin/bash
# The views people read while debugging, on a small topology: a container
# on a bridge with a gateway, another namespace on a plain veth. Every
# command's output is compared with the real tools'.
ip netns add c1
ip netns add edge
ip link add br0 type bridge
ip link set br0 address 02:00:00:00:00:b0
ip link add veth-c1 type veth peer name eth0 netns c1
ip link set veth-c1 address 02:00:00:00:00:01
ip -n c1 link set eth0 address 02:00:00:00:01:01
ip link set veth-c1 master br0
ip link add to-edge type veth peer name from-root
ip link set from-root netns edge
ip link set to-edge address 02:00:00:00:00:e1
ip -n edge link set from-root address 02:00:00:00:00:e2
ip link set br0 up
ip link set veth-c1 up
ip link set to-edge up
ip addr add 10.1.0.1/24 dev br0
ip addr add 192.168.50.1/30 brd + dev to-edge
ip -n c1 link set lo up
ip -n c1 link set eth0 up
ip -n c1 addr add 10.1.0.2/24 dev eth0
ip -n c1 addr add 10.1.0.3/24 dev eth0
ip -n c1 route add default via 10.1.0.1
ip -n edge link set from-root up
ip -n edge addr add 192.168.50.2/30 dev from-root
ip -n edge route add 10.1.0.0/24 via 192.168.50.1 metric 10
ip route add 172.20.0.0/16 via 192.168.50.2
ip route add unreachable 198.51.100.0/24
ip netns list
ip -br link
ip -br addr
ip -d link show veth-c1
ip -j link show to-edge
ip -o addr show dev to-edge
ip route
ip route show table local
ip route get 172.20.1.1
ip route get 10.1.0.2
ip -n c1 route
ip -n c1 addr show eth0
ip -n edge route
ip netns exec c1 ping -c 1 10.1.0.1
ip netns exec edge ping -c 1 192.168.50.1
ip neigh
ip -n c1 neigh
brctl show
bridge link
route -n
ip netns exec c1 route -n
ip netns exec c1 arp -n
sysctl net.ipv4.ip_forward net.ipv4.conf.all.rp_filter
ip netns exec c1 sysctl -n net.ipv4.conf.eth0.forwarding
