#!/bin/bash
# A router namespace between two subnets (seed 002/004's "forward" idea,
# without NAT): forwarding on and off, TTL decrement and expiry, a missing
# route (ICMP net unreachable from the router), an unresolvable neighbour
# (host unreachable), an `onlink` gateway, and proxy ARP answering for a
# device-only default route (seed 000's `default dev` host).
ip netns add left
ip netns add router
ip netns add right
ip link add l0 netns left type veth peer name r-left netns router
ip link add r0 netns right type veth peer name r-right netns router
ip -n left link set l0 address 02:00:00:00:0a:01
ip -n router link set r-left address 02:00:00:00:0a:fe
ip -n right link set r0 address 02:00:00:00:0b:01
ip -n router link set r-right address 02:00:00:00:0b:fe
for ns in left router right; do ip -n $ns link set lo up; done
ip -n left addr add 10.0.1.2/24 dev l0
ip -n left link set l0 up
ip -n left route add default via 10.0.1.1
ip -n router addr add 10.0.1.1/24 dev r-left
ip -n router addr add 10.0.2.1/24 dev r-right
ip -n router link set r-left up
ip -n router link set r-right up
ip -n right addr add 10.0.2.2/24 dev r0
ip -n right link set r0 up
ip -n right route add 10.0.1.0/24 via 10.0.2.1 dev r0 onlink
ip netns exec router tcpdump -nn -e -i r-left -w r-left.pcap &
# Two captures share stderr; keep only one's messages so their order is fixed.
ip netns exec right tcpdump -nn -e -i r0 -w r0.pcap 2>/dev/null &
sleep 1
# Forwarding off: the router drops the packet silently.
ip netns exec left ping -c 1 -W 1 10.0.2.2
ip netns exec router sysctl -w net.ipv4.ip_forward=1
ip netns exec left ping -c 2 10.0.2.2
# TTL 1 expires at the router.
ip netns exec left ping -c 1 -t 1 10.0.2.2
# No route at the router: ICMP net unreachable.
ip netns exec left ping -c 1 10.0.9.9
# On-link but nobody there: ICMP host unreachable after three ARP probes.
ip netns exec left ping -c 1 10.0.2.77
ip -n router neigh
ip -n right route
# Proxy ARP: `right` routes everything out of r0 without a gateway; the
# router answers ARP for addresses it can reach through another device.
ip -n right route del 10.0.1.0/24
ip -n right route add default dev r0
ip netns exec router sysctl -w net.ipv4.conf.r-right.proxy_arp=1
ip netns exec right ping -c 1 10.0.1.2
sleep 2
kill -INT %1
sleep 1
kill -INT %2
wait
