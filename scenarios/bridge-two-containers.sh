#!/bin/bash
# Two "containers" (namespaces) on one bridge, no address on the bridge:
# they reach each other at layer 2 (seed 000 "Bridge", seed 004 §4.3).
# A promiscuous capture on br0 sees the forwarded frames; the capture on a
# container's veth shows the conversation from its side.
ip link add br0 type bridge
ip link set br0 address 02:00:00:00:00:b0
ip link set br0 up
for i in 1 2; do
  ip netns add c$i
  ip link add veth-h$i type veth peer name eth0 netns c$i
  ip link set veth-h$i address 02:00:00:00:00:0$i
  ip -n c$i link set eth0 address 02:00:00:00:01:0$i
  ip link set veth-h$i master br0
  ip link set veth-h$i up
  ip -n c$i addr add 10.0.0.1$i/24 dev eth0
  ip -n c$i link set eth0 up
  ip -n c$i link set lo up
done
# Two captures share stderr; keep only one's messages so their order is fixed.
tcpdump -nne -i br0 -w br0.pcap &
ip netns exec c2 tcpdump -nne -i eth0 -w c2-eth0.pcap 2>/dev/null &
sleep 1
ip netns exec c1 ping -c 2 10.0.0.12
ip -n c1 neigh
brctl show
# libpcap delivers captured frames in blocks; give it time before SIGINT.
sleep 2
kill -INT %1
sleep 1
kill -INT %2
wait
