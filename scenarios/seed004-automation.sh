#!/bin/bash
# Seed 004, section 7.1: the article's complete automation script, as
# written (sudo and all), then its section 5.3 NAT listings.
# Preamble (the article's host has a real uplink): an "internet" namespace
# behind the host's eth0 holds 8.8.8.8 on its loopback; the host routes to
# it by default. Everything after the preamble is the article's text.
ip netns add internet
ip link add eth0 type veth peer name eth0 netns internet
ip addr add 203.0.113.2/24 dev eth0
ip link set eth0 up
ip -n internet addr add 203.0.113.1/24 dev eth0
ip -n internet link set eth0 up
ip -n internet link set lo up
ip -n internet addr add 8.8.8.8/32 dev lo
ip route add default via 203.0.113.1
# --- the article's script ---
# 搭建完整的容器网络环境
echo "=== 搭建容器网络环境 ==="
# 1. 创建 Network Namespace
sudo ip netns add container1
sudo ip netns add container2
# 2. 创建 Bridge
sudo ip link add name br0 type bridge
sudo ip link set br0 up
sudo ip addr add 192.168.100.1/24 dev br0
# 3. 创建 veth pair
sudo ip link add veth-host1 type veth peer name veth-cont1
sudo ip link add veth-host2 type veth peer name veth-cont2
# 4. 连接 veth 到 Bridge
sudo ip link set veth-host1 master br0
sudo ip link set veth-host2 master br0
sudo ip link set veth-host1 up
sudo ip link set veth-host2 up
# 5. 配置容器网络
sudo ip link set veth-cont1 netns container1
sudo ip link set veth-cont2 netns container2
sudo ip netns exec container1 ip link set veth-cont1 up
sudo ip netns exec container1 ip addr add 192.168.100.2/24 dev veth-cont1
sudo ip netns exec container1 ip route add default via 192.168.100.1
sudo ip netns exec container2 ip link set veth-cont2 up
sudo ip netns exec container2 ip addr add 192.168.100.3/24 dev veth-cont2
sudo ip netns exec container2 ip route add default via 192.168.100.1
# 6. 配置 NAT
sudo sysctl -w net.ipv4.ip_forward=1
sudo iptables -t nat -A POSTROUTING -s 192.168.100.0/24 -j MASQUERADE
# 7. 测试连通性
echo "=== 测试容器间通信 ==="
sudo ip netns exec container1 ping -c 3 192.168.100.3
echo "=== 测试出网 ==="
sudo ip netns exec container1 ping -c 3 8.8.8.8
echo "=== 网络环境搭建完成 ==="
echo "容器1: 192.168.100.2"
echo "容器2: 192.168.100.3"
echo "Bridge: 192.168.100.1"
# --- section 5.3's listings ---
sudo iptables -t nat -L POSTROUTING
sudo iptables -t nat -A PREROUTING -p tcp --dport 8080 -j DNAT --to-destination 192.168.100.2:80
sudo iptables -A FORWARD -p tcp -d 192.168.100.2 --dport 80 -j ACCEPT
sudo iptables -t nat -L PREROUTING
# The bridged ping between the containers and the masqueraded one.
conntrack -L -p icmp -d 8.8.8.8
