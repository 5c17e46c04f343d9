#!/bin/bash
# A routing loop between two routers (r1 sends 10.99.0.0/16 to r2, r2 back to r1):
# the echo request bounces until its TTL runs out and the router that
# decrements it to zero answers Time to live exceeded.
for n in a r1 r2; do
  ip netns add $n
  ip netns exec $n sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
ip link add a0 type veth peer name r1a
ip link add r1b type veth peer name r2a
ip link set a0 netns a
ip link set r1a netns r1
ip link set r1b netns r1
ip link set r2a netns r2
ip -n a link set dev a0 address 02:00:00:00:00:0a
ip -n r1 link set dev r1a address 02:00:00:00:01:0a
ip -n r1 link set dev r1b address 02:00:00:00:01:0b
ip -n r2 link set dev r2a address 02:00:00:00:02:0a
ip -n a addr add 10.0.0.1/24 dev a0
ip -n r1 addr add 10.0.0.2/24 dev r1a
ip -n r1 addr add 10.0.1.1/24 dev r1b
ip -n r2 addr add 10.0.1.2/24 dev r2a
ip -n a link set a0 up
ip -n r1 link set r1a up
ip -n r1 link set r1b up
ip -n r2 link set r2a up
ip netns exec r1 sysctl -qw net.ipv4.ip_forward=1
ip netns exec r2 sysctl -qw net.ipv4.ip_forward=1
ip netns exec r2 sysctl -qw net.ipv4.conf.all.send_redirects=0 net.ipv4.conf.r2a.send_redirects=0
ip -n a route add default via 10.0.0.2
ip -n r1 route add 10.99.0.0/16 via 10.0.1.2
ip -n r2 route add 10.0.0.0/24 via 10.0.1.1
ip -n r2 route add 10.99.0.0/16 via 10.0.1.1
ip netns exec a ping -c 1 -W 1 10.99.9.9
echo "exit $?"
ip netns exec a ping -c 2 -i 0.2 -W 1 -t 4 10.99.9.9
echo "exit $?"
