#!/bin/bash
# scenarios/seeds/seed001-ctr.sh (seed 001 with containerd's ctr) with each
# ctr step replaced by what it does to the network: `ctr run` is a new
# namespace with lo up (named here by the task's PID, as the article's
# `ln -s /proc/PID/ns/net /var/run/netns/PID` names it), `ctr task exec` is
# `ip netns exec` (ping, arp and ip a as the busybox image's applets), and
# busybox-3 (--with-ns) is busybox-1's namespace. There
# is no containerd here, so this is what the kernel judges; tests/seeds.rs
# holds the ctr script to the same output.
ip netns add lan
ip link add ens3 type veth peer name lan0 netns lan
ip addr add 192.168.64.6/24 dev ens3
ip link set ens3 up
ip -n lan link set lan0 up
modprobe br_netfilter 2>/dev/null
iptables -P FORWARD DROP
ip link add br-0 address ae:d6:21:1e:15:ca type bridge

ip netns add 1000
ip -n 1000 link set lo up
ip netns exec 1000 busybox ip a
ip link add veth-1 type veth peer name veth-2
ip link set veth-2 address 56:28:03:e9:d6:ad
ip link set veth-2 up netns 1000
brctl addif br-0 veth-1
ip link set veth-1 up
ip link set br-0 up
ip addr add 172.16.100.1/24 dev br-0
ip netns ls
ip netns exec 1000 ip addr add 172.16.100.101/24 dev veth-2
ip netns exec 1000 ip route add default  dev veth-2 # 为容器添加默认路由
ip netns exec 1000 busybox ip a
ip netns exec 1000 busybox ping -c 2 172.16.100.1
ip netns exec 1000 busybox ping -c 2 192.168.64.6

ip netns add 1003
ip -n 1003 link set lo up
ip link add veth-3 type veth peer veth-4
ip link set veth-4 address 46:98:5f:6d:85:df
ip link set veth-4 up netns 1003
ip link set veth-3 up
ip netns exec 1003 ip addr add 172.16.100.102/24 dev veth-4
brctl addif br-0 veth-3
sleep 2
tcpdump -n -i br-0 icmp or arp > /dev/null 2>&1 &
ip netns exec 1003 tcpdump -n -i veth-4 -w veth-4.pcap icmp or arp 2>/dev/null &
sleep 1
ip netns exec 1003 busybox ping -c 2 172.16.100.101
ip netns exec 1003 busybox ping -c 2 172.16.100.1
ip netns exec 1003 busybox arp -a
sleep 2
kill -INT %2
wait %2
sysctl net.bridge.bridge-nf-call-iptables
sysctl -w net.bridge.bridge-nf-call-arptables=0
sysctl -w net.bridge.bridge-nf-call-ip6tables=0
sysctl -w net.bridge.bridge-nf-call-iptables=0
ip netns exec 1003 busybox ping -c 2 172.16.100.101

ip netns exec 1000 busybox ip a
ip netns exec 1000 busybox ping -c 1 172.16.100.102
kill -INT %1
wait
