#!/bin/bash
# Seed 001, "containers and the host" onwards, with containerd's ctr.
# Preamble (the author's machine): the LAN address 192.168.64.6 on ens3
# (here a veth whose peer sits in a namespace standing in for the LAN),
# Docker installed (br_netfilter loaded, FORWARD policy DROP), and the bridge
# br-0 kept from the previous section, with the article's MAC.
# Adaptations: the task PIDs are the ones `ctr task ls` prints here (1000,
# 1003; the author's were 2592 and 6306); the interactive `sh` sessions are
# `ctr task exec ... CMD`; `^C`-ended pings are `ping -c 2`; `ls /proc/PID/net/`
# is left out. ip a, ping and arp inside are BusyBox's applets.
ip netns add lan
ip link add ens3 type veth peer name lan0 netns lan
ip addr add 192.168.64.6/24 dev ens3
ip link set ens3 up
ip -n lan link set lan0 up
modprobe br_netfilter 2>/dev/null
iptables -P FORWARD DROP
ip link add br-0 address ae:d6:21:1e:15:ca type bridge

ctr run -t -d docker.io/library/busybox:latest busybox-1
ctr task exec -t -exec-id 123 busybox-1 ip a
ctr task ls
ip link add veth-1 type veth peer name veth-2
ip link set veth-2 address 56:28:03:e9:d6:ad
ip link set veth-2 up netns 1000
brctl addif br-0 veth-1
ip link set veth-1 up
ip link set br-0 up
ip addr add 172.16.100.1/24 dev br-0
ip netns exec 1000 ip a
ln -s /proc/1000/ns/net /var/run/netns/1000
ip netns ls
ip netns exec 1000 ip addr add 172.16.100.101/24 dev veth-2
ip netns exec 1000 ip route add default  dev veth-2 # 为容器添加默认路由
ctr task exec -t --exec-id 123 busybox-1 ip a
ctr task exec -t --exec-id 123 busybox-1 ping -c 2 172.16.100.1
ctr task exec -t --exec-id 123 busybox-1 ping -c 2 192.168.64.6

ctr run -t -d docker.io/library/busybox:latest busybox-2
ctr task list
ip link add veth-3 type veth peer veth-4
ip link set veth-4 address 46:98:5f:6d:85:df
ip link set veth-4 up netns 1003
ip link set veth-3 up
ln -s /proc/1003/ns/net /var/run/netns/1003
ip netns exec 1003 ip addr add 172.16.100.102/24 dev veth-4
brctl addif br-0 veth-3
sleep 2
tcpdump -n -i br-0 icmp or arp > /dev/null 2>&1 &
ip netns exec 1003 tcpdump -n -i veth-4 -w veth-4.pcap icmp or arp 2>/dev/null &
sleep 1
ctr task exec -t --exec-id 7 busybox-2 ping -c 2 172.16.100.101
ctr task exec -t --exec-id 7 busybox-2 ping -c 2 172.16.100.1
ctr task exec -t --exec-id 7 busybox-2 arp -a
sleep 2
kill -INT %2
wait %2
sysctl net.bridge.bridge-nf-call-iptables
sysctl -w net.bridge.bridge-nf-call-arptables=0
sysctl -w net.bridge.bridge-nf-call-ip6tables=0
sysctl -w net.bridge.bridge-nf-call-iptables=0
ctr task exec -t --exec-id 7 busybox-2 ping -c 2 172.16.100.101

ctr run -t -d --with-ns network:/var/run/netns/1000  docker.io/library/busybox:latest busybox-3
ctr task exec -t --exec-id 444 busybox-3 ip a
ctr task exec -t --exec-id 444 busybox-3 ping -c 1 172.16.100.102
kill -INT %1
wait
