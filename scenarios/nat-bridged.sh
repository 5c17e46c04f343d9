#!/bin/bash
# NAT on bridged traffic (br_netfilter): two surprises.
# 1. Seed 004's `MASQUERADE -s 192.168.100.0/24` has no `! -o br0`, so even
#    container-to-container pings across the bridge are masqueraded to the
#    bridge's address; the reply comes back to the bridge, is un-NATed and,
#    because its new destination lies behind the same bridge, is bridged
#    again ("bridged DNAT"), after the host ARPs for the container.
# 2. A service address DNATed to a container on the same bridge (what
#    kube-proxy does): the request is bridged to the backend, the reply is
#    bridged straight back but un-NATed on its way through the bridge, so
#    the client sees the service address answer.
modprobe br_netfilter 2>/dev/null
sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip link add br0 type bridge
ip link set br0 address 02:00:00:00:00:b0
ip link set br0 up
ip addr add 192.168.100.1/24 dev br0
for i in 2 3; do
  ip netns add c$i
  ip netns exec c$i sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  ip link add veth$i type veth peer name eth0 netns c$i
  ip link set veth$i address 02:00:00:00:00:0$i
  ip -n c$i link set eth0 address 02:00:00:00:01:0$i
  ip link set veth$i master br0
  ip link set veth$i up
  ip -n c$i addr add 192.168.100.$i/24 dev eth0
  ip -n c$i link set eth0 up
  ip -n c$i route add default via 192.168.100.1
done
sysctl -w net.ipv4.ip_forward=1
sleep 2
iptables -t nat -A POSTROUTING -s 192.168.100.0/24 -j MASQUERADE
ip netns exec c2 tcpdump -nn -e -i eth0 -w c2.pcap icmp or arp &
ip netns exec c3 tcpdump -nn -e -i eth0 -w c3.pcap icmp or arp 2>/dev/null &
sleep 1
ip netns exec c2 ping -c 2 192.168.100.3; echo "c2 to c3: $?"
ip neigh show dev br0
conntrack -L
conntrack -F
iptables -t nat -F POSTROUTING
iptables -t nat -A POSTROUTING -s 192.168.100.0/24 ! -o br0 -j MASQUERADE
iptables -t nat -A PREROUTING -d 10.96.0.10 -p icmp -j DNAT --to-destination 192.168.100.3
ip netns exec c2 ping -c 2 10.96.0.10; echo "c2 to the service: $?"
conntrack -L
iptables -t nat -L -n -v
sleep 2
kill -INT %1 %2
wait
