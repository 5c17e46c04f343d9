#!/bin/bash
# Static neighbour and FDB entries on a bridge, and what captures see.
# c1 gets a permanent neighbour for c2, so it sends no ARP; the bridge gets
# a static FDB entry for c2, so the first echo is forwarded, not flooded.
# On br0, a promiscuous capture sees the forwarded echoes while tcpdump -p
# sees nothing: forwarded frames reach the bridge device only in
# promiscuous mode. Captures print text when they exit (filters keep IPv6
# noise out); ping's own lines go to /dev/null so nothing interleaves.
# IPv6 is off: its background traffic would teach the bridge c2's MAC
# before the static entry is added, racing `bridge fdb add`.
sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip link add br0 type bridge
ip link set br0 address 02:00:00:00:00:b0
ip link set br0 up
for i in 1 2; do
  ip netns add c$i
  ip netns exec c$i sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  ip link add veth-h$i type veth peer name eth0 netns c$i
  ip link set veth-h$i address 02:00:00:00:00:0$i
  ip -n c$i link set eth0 address 02:00:00:00:01:0$i
  ip link set veth-h$i master br0
  ip link set veth-h$i up
  ip -n c$i addr add 10.0.0.1$i/24 dev eth0
  ip -n c$i link set eth0 up
done
ip -n c1 neigh add 10.0.0.12 lladdr 02:00:00:00:01:02 dev eth0
ip -n c1 neigh add 10.0.0.12 lladdr 02:00:00:00:01:02 dev eth0; echo "neigh add twice: $?"
ip -n c1 neigh replace 10.0.0.99 lladdr 02:00:00:00:01:99 dev eth0 nud stale
ip -n c1 neigh del 10.0.0.98 dev eth0; echo "neigh del absent: $?"
bridge fdb add 02:00:00:00:01:02 dev veth-h2 master static
bridge fdb add 02:00:00:00:01:02 dev veth-h2 master static; echo "fdb add twice: $?"
# Alone, a capture with -p on br0 sees no forwarded frame.
tcpdump -p -nn -i br0 icmp 2>/dev/null &
sleep 1
ip netns exec c1 ping -c 1 10.0.0.12 > /dev/null; echo "ping: $?"
sleep 2
kill -INT %1
wait
# Without -p the bridge turns promiscuous and passes them up too.
tcpdump -nn -e -i br0 icmp 2>/dev/null &
sleep 1
ip netns exec c1 ping -c 2 10.0.0.12 > /dev/null; echo "ping: $?"
sleep 2
kill -INT %1
wait
ip -n c1 neigh show dev eth0
bridge fdb show dev veth-h2 | grep -v 33:33
bridge fdb del 02:00:00:00:01:02 dev veth-h2 master
bridge fdb del 02:00:00:00:01:02 dev veth-h2 master; echo "fdb del twice: $?"
