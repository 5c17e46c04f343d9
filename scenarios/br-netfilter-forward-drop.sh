#!/bin/bash
# Seed 001's surprise: two containers on one bridge answer each other's ARP
# but never each other's ping. br_netfilter is loaded (as Docker loads it),
# so bridged IPv4 goes through iptables FORWARD, whose policy is DROP (as
# Docker sets it). Two fixes: accept bridge-to-bridge forwarding, or stop
# passing bridged traffic to iptables (bridge-nf-call-iptables=0).
# On the CI machine br_netfilter is built into the kernel and there is no
# /lib/modules, so modprobe complains there; elsewhere it is silent.
modprobe br_netfilter 2>/dev/null
sysctl net.bridge.bridge-nf-call-iptables
ip link add br-0 type bridge
ip link set br-0 address 02:00:00:00:00:b0
ip link set br-0 up
ip addr add 172.16.100.1/24 dev br-0
for i in 1 2; do
  ip netns add ctr$i
  ip link add veth-$i type veth peer name eth0 netns ctr$i
  ip link set veth-$i address 02:00:00:00:00:0$i
  ip -n ctr$i link set eth0 address 02:00:00:00:01:0$i
  ip link set veth-$i master br-0
  ip link set veth-$i up
  ip -n ctr$i addr add 172.16.100.10$i/24 dev eth0
  ip -n ctr$i link set eth0 up
done
iptables -P FORWARD DROP
ip netns exec ctr1 tcpdump -nn -e -i eth0 -w ctr1.pcap icmp or arp &
sleep 1
ip netns exec ctr2 ping -c 2 -W 1 172.16.100.101; echo "ping with FORWARD DROP: $?"
ip -n ctr2 neigh
iptables -L FORWARD -n -v
iptables -A FORWARD -i br-0 -o br-0 -j ACCEPT
ip netns exec ctr2 ping -c 1 172.16.100.101; echo "ping with the accept rule: $?"
iptables -I FORWARD -m physdev --physdev-in veth-2 --physdev-out veth-1 -p icmp --icmp-type echo-request -j DROP
ip netns exec ctr2 ping -c 1 -W 1 172.16.100.101; echo "ping with a physdev drop first: $?"
iptables -L FORWARD -n -v
iptables -D FORWARD 1
iptables -D FORWARD -i br-0 -o br-0 -j ACCEPT
# The host's own address goes through INPUT, not FORWARD.
iptables -A INPUT -i br-0 -p icmp --icmp-type echo-request -j REJECT
ip netns exec ctr1 ping -c 1 172.16.100.1; echo "ping the gateway with REJECT: $?"
iptables -L INPUT -n -v
sysctl -w net.bridge.bridge-nf-call-iptables=0
ip netns exec ctr2 ping -c 1 172.16.100.101; echo "ping with bridge-nf-call-iptables=0: $?"
iptables -L FORWARD -n -v -x --line-numbers
iptables -S
iptables-save -c
sleep 2
kill -INT %1
wait
