#!/bin/bash
# DNAT without a FORWARD accept, answered by REJECT: the ICMP error is about
# the translated packet, goes out through OUTPUT and POSTROUTING like any
# local packet (not through the nat chains: it is RELATED), and is
# translated back, so the sender sees it come from the address it pinged.
# The rejected connection is never confirmed: conntrack -L stays empty
# until the FORWARD rule accepts.
sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
for n in a b; do
  ip netns add $n
  ip netns exec $n sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  ip link add h$n type veth peer name eth0 netns $n
done
ip link set ha address 02:00:00:00:0a:01
ip link set hb address 02:00:00:00:0b:01
ip -n a link set eth0 address 02:00:00:00:0a:02
ip -n b link set eth0 address 02:00:00:00:0b:02
ip -n a addr add 10.0.1.2/24 dev eth0
ip -n a link set eth0 up
ip -n b addr add 10.0.2.2/24 dev eth0
ip -n b link set eth0 up
ip -n b route add default via 10.0.2.1
ip addr add 10.0.1.1/24 dev ha
ip link set ha up
ip addr add 10.0.2.1/24 dev hb
ip link set hb up
sysctl -qw net.ipv4.ip_forward=1
iptables -t nat -A PREROUTING -d 10.0.1.1 -p icmp -j DNAT --to-destination 10.0.2.2
iptables -A FORWARD -p icmp -j REJECT
iptables -A OUTPUT -p icmp
iptables -t nat -A POSTROUTING -p icmp
iptables -t nat -A OUTPUT -p icmp
iptables -t mangle -A OUTPUT -p icmp
iptables -t mangle -A POSTROUTING -p icmp
ip netns exec a tcpdump -nn -e -i eth0 -w a.pcap icmp &
sleep 1
ip netns exec a ping -c 1 -W 1 10.0.1.1; echo "ping with REJECT: $?"
conntrack -L
iptables -L -n -v -x
iptables -t nat -L -n -v -x
iptables -t mangle -L -n -v -x
iptables -R FORWARD 1 -p icmp -j ACCEPT
ip netns exec a ping -c 1 10.0.1.1; echo "ping with ACCEPT: $?"
conntrack -L
sleep 2
kill -INT %1
wait
