#!/bin/bash
# BusyBox 1.35's `ip route` (as alpine and busybox containers run it):
# print_route without proto or linkdown, " src" and " metric" with a leading
# space, onlink, blackhole/unreachable/prohibit, host routes without /32;
# `ip r`, `ip ro l`, `show dev DEV` (routes without a device left out),
# `show table local`, an empty `table 100`; `ip route get` for a gateway, an on-link and a local
# address and its RTNETLINK errors; a bad verb and an unknown device.
ip netns add a
ip netns add b
ip netns exec a sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip link add v0 netns a type veth peer name v1 netns b
ip -n a link set v0 address 02:00:00:00:0a:01
ip -n b link set v1 address 02:00:00:00:0b:01
ip -n b link set v1 up
ip -n a addr add 10.0.0.1/24 dev v0
ip -n a addr add 10.1.0.1/16 dev v0
ip -n a link set v0 up
ip -n a link set lo up
ip -n a route add default via 10.0.0.254 metric 5
ip -n a route add 192.168.5.0/24 via 10.0.0.2 metric 100
ip -n a route add 172.16.0.0/16 dev v0 scope link
ip -n a route add 10.96.0.0/16 via 10.0.0.3 dev v0 onlink
ip -n a route add 10.5.5.5 via 10.0.0.4
ip -n a route add 10.7.0.0/16 via 10.0.0.9 proto static src 10.0.0.1
ip -n a route add blackhole 10.99.0.0/16
ip -n a route add unreachable 10.98.0.0/16
ip -n a route add prohibit 10.97.0.0/16
echo "== ip route"
ip netns exec a busybox ip route
echo "== ip r"
ip netns exec a busybox ip r
echo "== ip ro l dev v0"
ip netns exec a busybox ip ro l dev v0
echo "== table local"
ip netns exec a busybox ip route show table local
echo "== table 100"
ip netns exec a busybox ip route show table 100
echo "== get"
ip netns exec a busybox ip route get 8.8.8.8
ip netns exec a busybox ip route get 10.0.0.77
ip netns exec a busybox ip route get 10.1.0.1
ip netns exec a busybox ip route get 10.98.1.1
echo "rc=$?"
ip netns exec a busybox ip route get 10.97.1.1
echo "rc=$?"
echo "== b"
ip netns exec b busybox ip route
ip netns exec b busybox ip route get 10.0.0.1
echo "rc=$?"
echo "== errors"
ip netns exec a busybox ip route ls
echo "rc=$?"
ip netns exec a busybox ip route show dev nope
echo "rc=$?"
ip netns exec a busybox ip route show table nope
echo "rc=$?"
ip -n b link set v1 down
ip netns exec a busybox ip route
