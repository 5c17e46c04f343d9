#!/bin/bash
# The classic "missing route back": left reaches right through a router,
# but right has no route to left's subnet (no default route either). The
# echo request is forwarded and arrives; right's kernel answers it, but the
# reply has nowhere to go, so ping sees nothing. `netsim explain` names the
# missing route in right; adding it (the hint's command) makes ping work.
ip netns add left
ip netns add router
ip netns add right
for ns in left router right; do
  ip netns exec $ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
ip link add l0 netns left type veth peer name r-left netns router
ip link add r0 netns right type veth peer name r-right netns router
ip -n left link set l0 address 02:00:00:00:0a:01
ip -n router link set r-left address 02:00:00:00:0a:fe
ip -n right link set r0 address 02:00:00:00:0b:01
ip -n router link set r-right address 02:00:00:00:0b:fe
ip -n left addr add 10.0.1.2/24 dev l0
ip -n left link set l0 up
ip -n left route add default via 10.0.1.1
ip -n router addr add 10.0.1.1/24 dev r-left
ip -n router addr add 10.0.2.1/24 dev r-right
ip -n router link set r-left up
ip -n router link set r-right up
ip netns exec router sysctl -w net.ipv4.ip_forward=1
ip -n right addr add 10.0.2.2/24 dev r0
ip -n right link set r0 up
ip netns exec right tcpdump -nn -e -i r0 -w r0.pcap icmp or arp &
sleep 1
ip netns exec left ping -c 1 -W 1 10.0.2.2; echo "ping without a route back: $?"
ip -n right route
ip -n right route add 10.0.1.0/24 via 10.0.2.1
ip netns exec left ping -c 1 -W 1 10.0.2.2; echo "ping with the route back: $?"
sleep 2
kill -INT %1
wait
