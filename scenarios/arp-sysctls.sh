#!/bin/bash
# When a host answers ARP and which source address its own ARP requests
# carry: arp_ignore 0/1/2, arp_announce 0/1/2, arp_filter and rp_filter
# (strict, loose, no route back), each set through conf.all or conf.DEV.
# `host` has eth0 (10.0.1.1) towards `left` and eth1 (10.0.2.1) towards
# `right`. `left` sends everything straight out of l0 (default dev l0) and
# owns two more addresses to send from: 10.0.8.2, which host routes back
# through eth1 (via right), and 10.0.9.2, which host has no route for.
# Neighbour caches are flushed before each probe so every ping starts with
# a fresh ARP request; one capture on host's eth0 shows them all. A probe
# the host ignores costs 3 s (three requests, then Host Unreachable).
ip netns add host
ip netns add left
ip netns add right
ip link add eth0 netns host type veth peer name l0 netns left
ip link add eth1 netns host type veth peer name r0 netns right
ip -n host link set eth0 address 02:00:00:00:01:01
ip -n left link set l0 address 02:00:00:00:01:02
ip -n host link set eth1 address 02:00:00:00:02:01
ip -n right link set r0 address 02:00:00:00:02:02
ip -n host addr add 10.0.1.1/24 dev eth0
ip -n host addr add 10.0.2.1/24 dev eth1
ip -n host link set eth0 up
ip -n host link set eth1 up
ip -n host route add 10.0.8.0/24 via 10.0.2.2
ip -n left addr add 10.0.1.2/24 dev l0
ip -n left addr add 10.0.8.2/24 dev l0
ip -n left addr add 10.0.9.2/24 dev l0
ip -n left link set l0 up
# lo up: the local "Destination Host Unreachable" reaches ping through lo.
ip -n left link set lo up
ip -n left route add default dev l0
ip -n right addr add 10.0.2.2/24 dev r0
ip -n right link set r0 up
ip netns exec host sysctl net.ipv4.conf.all.rp_filter net.ipv4.conf.eth0.rp_filter
ip netns exec host tcpdump -nn -e -i eth0 -w eth0.pcap &
sleep 1

# arp_ignore=0: host answers for 10.0.2.1, an address of eth1, on eth0.
ip -n host neigh flush all
ip -n left neigh flush all
ip netns exec left ping -c 1 -W 1 10.0.2.1; echo "ignore=0 other-if: $?"
# arp_ignore=1 (conf.all): only addresses of the receiving interface.
ip netns exec host sysctl -w net.ipv4.conf.all.arp_ignore=1
ip -n host neigh flush all
ip -n left neigh flush all
# An ignored request does not touch the sender's neighbour entry either:
# the stale MAC survives the probes sent more than locktime (1 s) later.
ip -n host neigh replace 10.0.1.2 lladdr 02:00:00:00:99:99 dev eth0 nud stale
ip netns exec left ping -c 1 -W 5 10.0.2.1; echo "ignore=1 other-if: $?"
ip -n host neigh show dev eth0
ip -n host neigh flush all
ip -n left neigh flush all
ip netns exec left ping -c 1 -W 1 10.0.1.1; echo "ignore=1 same-if: $?"
# arp_ignore=2 (conf.eth0, all still 1: max is 2): the sender must also be
# in the target's subnet. 10.0.9.2 is not.
ip netns exec host sysctl -w net.ipv4.conf.eth0.arp_ignore=2
ip -n host neigh flush all
ip -n left neigh flush all
ip netns exec left ping -c 1 -W 5 -I 10.0.9.2 10.0.1.1; echo "ignore=2 off-subnet: $?"
ip -n host neigh flush all
ip -n left neigh flush all
ip netns exec left ping -c 1 -W 1 10.0.1.1; echo "ignore=2 on-subnet: $?"
# Any subnet of eth0 holding both addresses will do: 10.0.5.1/16 covers
# 10.0.1.1 and 10.0.9.2 (and routes the echo reply back).
ip -n host addr add 10.0.5.1/16 dev eth0
ip -n host neigh flush all
ip -n left neigh flush all
ip netns exec left ping -c 1 -W 1 -I 10.0.9.2 10.0.1.1; echo "ignore=2 wider subnet: $?"
ip -n host addr del 10.0.5.1/16 dev eth0
# conf.eth0 back to 0 leaves max(all=1, 0) = 1: the off-subnet sender gets
# its ARP reply (the echo reply has no route back to 10.0.9.2).
ip netns exec host sysctl -w net.ipv4.conf.eth0.arp_ignore=0
ip -n host neigh flush all
ip -n left neigh flush all
ip netns exec left ping -c 1 -W 1 -I 10.0.9.2 10.0.1.1; echo "ignore=1 off-subnet: $?"
ip netns exec host sysctl -w net.ipv4.conf.all.arp_ignore=0

# arp_announce: host pings left from addresses that are not the primary
# address of eth0; watch "tell X" in its requests.
ip -n host addr add 10.0.1.11/24 dev eth0
ip -n host neigh flush all
ip -n left neigh flush all
ip netns exec host ping -c 1 -W 1 -I 10.0.2.1 10.0.1.2; echo "announce=0 other-if: $?"
ip netns exec host sysctl -w net.ipv4.conf.all.arp_announce=1
ip -n host neigh flush all
ip -n left neigh flush all
ip netns exec host ping -c 1 -W 1 -I 10.0.2.1 10.0.1.2; echo "announce=1 other-if: $?"
ip -n host neigh flush all
ip -n left neigh flush all
ip netns exec host ping -c 1 -W 1 -I 10.0.1.11 10.0.1.2; echo "announce=1 secondary: $?"
ip netns exec host sysctl -w net.ipv4.conf.eth0.arp_announce=2
ip -n host neigh flush all
ip -n left neigh flush all
ip netns exec host ping -c 1 -W 1 -I 10.0.1.11 10.0.1.2; echo "announce=2 secondary: $?"
ip netns exec host sysctl -w net.ipv4.conf.all.arp_announce=0
ip netns exec host sysctl -w net.ipv4.conf.eth0.arp_announce=0
ip -n host addr del 10.0.1.11/24 dev eth0

# arp_filter (conf.eth0): the route back to the sender must leave eth0.
ip netns exec host sysctl -w net.ipv4.conf.eth0.arp_filter=1
ip -n host neigh flush all
ip -n left neigh flush all
ip netns exec left ping -c 1 -W 1 10.0.1.1; echo "arp_filter back-via-eth0: $?"
ip -n host neigh flush all
ip -n left neigh flush all
ip netns exec left ping -c 1 -W 5 -I 10.0.8.2 10.0.1.1; echo "arp_filter back-via-eth1: $?"
# conf.all alone enables it too; no route back at all is no reply.
ip netns exec host sysctl -w net.ipv4.conf.eth0.arp_filter=0
ip netns exec host sysctl -w net.ipv4.conf.all.arp_filter=1
ip -n host neigh flush all
ip -n left neigh flush all
ip netns exec left ping -c 1 -W 5 -I 10.0.9.2 10.0.1.1; echo "arp_filter no-route: $?"
ip netns exec host sysctl -w net.ipv4.conf.all.arp_filter=0
# Without it, 10.0.8.2 gets its reply (the echo reply leaves via right).
ip -n host neigh flush all
ip -n left neigh flush all
ip netns exec left ping -c 1 -W 1 -I 10.0.8.2 10.0.1.1; echo "no filter back-via-eth1: $?"

# rp_filter=1 (conf.all, strict): the route back leaves eth1, no reply.
ip netns exec host sysctl -w net.ipv4.conf.all.rp_filter=1
ip -n host neigh flush all
ip -n left neigh flush all
ip netns exec left ping -c 1 -W 5 -I 10.0.8.2 10.0.1.1; echo "rp_filter=1 back-via-eth1: $?"
# rp_filter=2 (conf.eth0, max with all=1 is 2, loose): any route back will
# do, but no route at all is still no reply.
ip netns exec host sysctl -w net.ipv4.conf.eth0.rp_filter=2
ip -n host neigh flush all
ip -n left neigh flush all
ip netns exec left ping -c 1 -W 1 -I 10.0.8.2 10.0.1.1; echo "rp_filter=2 back-via-eth1: $?"
ip -n host neigh flush all
ip -n left neigh flush all
ip netns exec left ping -c 1 -W 5 -I 10.0.9.2 10.0.1.1; echo "rp_filter=2 no-route: $?"
# Loose mode still rejects a route back through another interface when the
# receiving one has no IPv4 address (__fib_validate_source's no_addr).
ip -n host addr flush dev eth0
ip -n host neigh flush all
ip -n left neigh flush all
ip netns exec left ping -c 1 -W 5 -I 10.0.8.2 10.0.2.1; echo "rp_filter=2 no-addr: $?"
# rp_filter=0 does no reverse lookup: the host answers with no route back
# (eth0 still has no address; it answers for eth1's).
ip netns exec host sysctl -w net.ipv4.conf.all.rp_filter=0
ip netns exec host sysctl -w net.ipv4.conf.eth0.rp_filter=0
ip -n host neigh flush all
ip -n left neigh flush all
ip netns exec left ping -c 1 -W 1 -I 10.0.9.2 10.0.2.1; echo "rp_filter=0 no-route: $?"
# libpcap delivers captured frames in blocks; give it time before SIGINT.
sleep 2
kill -INT %1
wait
