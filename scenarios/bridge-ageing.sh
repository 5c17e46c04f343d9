#!/bin/bash
# Bridge learning and ageing: after the ageing time without traffic the
# learned entries go, and the next unicast frame to c2 is flooded to every
# port (c3's port sees it too) until the bridge learns again.
# IPv6 is off everywhere so the kernel sends nothing the script did not ask
# for (its background IPv6 traffic would keep the entries fresh).
sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip link add br0 type bridge
ip link set br0 address 02:00:00:00:00:b0
brctl setageing br0 4
ip link set br0 up
for i in 1 2 3; do
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
tcpdump -nn -e -i veth-h3 -w veth-h3.pcap &
sleep 1
ip netns exec c1 ping -c 1 10.0.0.12
brctl showmacs br0
bridge fdb show br br0 | grep -v 'self\|permanent'
sleep 6
brctl showmacs br0
ip netns exec c1 ping -c 1 10.0.0.12
bridge fdb show br br0 | grep -v 'self\|permanent'
ip link set br0 type bridge ageing_time 30000
ip a
sleep 2
kill -INT %1
wait
