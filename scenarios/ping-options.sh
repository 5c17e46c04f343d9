#!/bin/bash
# ping options as iputils prints them: -I DEV and -I ADDR, an unknown
# interface, -i/-s/-t, and -w (the count becomes replies awaited, probes
# go on until the deadline).
ip netns add a
ip link add v0 netns a type veth peer name v1
ip -n a link set lo up
ip -n a link set v0 up
ip link set v1 up
ip -n a addr add 10.7.0.1/24 dev v0
ip addr add 10.7.0.2/24 dev v1
ip netns exec a ping -c 1 -I v0 10.7.0.2
ip netns exec a ping -c 1 -I 10.7.0.1 10.7.0.2
ip netns exec a ping -c 1 -I nosuch 10.7.0.2; echo "rc=$?"
ip netns exec a ping -c 2 -i 0.2 -s 1000 -t 5 10.7.0.2
ip netns exec a ping -c 1 -w 2 10.7.0.9; echo "rc=$?"
