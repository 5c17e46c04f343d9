#!/bin/bash
# What a veth end shows and does while its peer is down (seed 001's
# `ip a` listings): M-DOWN and LOWERLAYERDOWN, routes marked linkdown,
# frames dropped by the noop qdisc, carrier when both ends are up, a move
# to another namespace closing the device, and neighbours evicted when the
# carrier goes (arp_evict_nocarrier).
ip netns add a
ip link add v1 type veth peer name v2
ip link set v1 address 02:00:00:00:05:01
ip link set v2 address 02:00:00:00:05:02
ip link show
ip link set v1 up
ip addr add 10.5.0.1/24 dev v1
ip link show
ip route
ping -c 1 -W 1 10.5.0.2; echo "ping with the peer down: $?"
ip neigh
ip link set v2 up
ip link show
ip route
ip link set v2 netns a
ip link show v1
ip -n a link show
ip -n a link set lo up
ip -n a addr add 10.5.0.2/24 dev v2
ip -n a link set v2 up
ip -n a link show v2
ping -c 1 10.5.0.2
ip neigh
ip -n a link set v2 down
ip neigh
ip link show v1
ip route
ip -n a addr show v2
