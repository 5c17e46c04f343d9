#!/bin/bash
# Mistakes people make, and what the real tools answer: the message on
# stderr and the exit status (printed on stdout after each command).
ip netns add ns1
ip netns add ns1; echo "netns add twice: $?"
ip link add veth0 type veth peer name veth1
ip link add veth0 type veth peer name veth1; echo "veth twice: $?"
ip link add veth2 type veth peer name veth0; echo "peer name taken: $?"
ip link set nosuch up; echo "set missing dev: $?"
ip link del nosuch; echo "del missing dev: $?"
ip addr add 10.0.0.1/33 dev veth0; echo "prefix 33: $?"
ip addr add 10.0.0.300/24 dev veth0; echo "bad address: $?"
ip addr add 10.0.0.1/24 dev nosuch; echo "addr on missing dev: $?"
ip addr add 10.0.0.1/24 dev veth0
ip addr add 10.0.0.1/24 dev veth0; echo "addr twice: $?"
ip addr del 10.0.0.9/24 dev veth0; echo "del absent addr: $?"
ip route add 10.9.0.0/24 via 10.8.0.1; echo "gateway off-link: $?"
ip route add 10.9.0.0/24 dev veth0; echo "route via down dev: $?"
ip link set veth0 up
ip link set veth1 up
ip route add 10.9.0.1/24 dev veth0; echo "host bits set: $?"
ip route add 10.9.0.0/24 dev veth0
ip route add 10.9.0.0/24 dev veth0; echo "route twice: $?"
ip route del 10.7.0.0/24; echo "del absent route: $?"
ip link set veth0 master nosuch; echo "master missing: $?"
ip link set veth0 name veth9; echo "rename while up: $?"
ip link show nosuch; echo "show missing: $?"
ip netns exec nosuch ip link; echo "exec missing netns: $?"
brctl addbr br0
brctl addbr br0; echo "addbr twice: $?"
brctl addif br0 nosuch; echo "addif missing: $?"
brctl addif nosuch veth0; echo "addif to missing bridge: $?"
ip link set br0 up
brctl delbr br0; echo "delbr while up: $?"
ping -c 1 10.99.0.1; echo "ping no route: $?"
sysctl net.ipv4.conf.nosuch.rp_filter; echo "sysctl missing dev: $?"
sysctl -w net.ipv4.ip_forward; echo "sysctl -w without value: $?"
ip link set veth1 netns nosuch; echo "netns missing: $?"
ip addr add 10.0.0.2/24 scope link dev veth0; echo "secondary with another scope: $?"
