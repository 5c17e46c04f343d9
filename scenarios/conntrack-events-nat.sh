#!/bin/bash
# conntrack -E on a MASQUERADE router: [NEW] carries the translated reply
# tuple (confirmed after POSTROUTING), -o extended adds the family and
# -o timestamp the time of each event, -s keeps only the client's flows
# (the router's own ping is not shown), and -e DESTROY counts only the
# entries deleted at the end (one at a time: a flush of several reports them
# in hash order). The TCP connection stays open until the listeners stop:
# whether the server acknowledges the client's FIN on its own or with its
# FIN is a race on the kernel, and the events coalesce accordingly.
sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
for n in client router server; do
  ip netns add $n
  ip netns exec $n sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
ip link add eth0 netns client type veth peer name in netns router
ip link add out netns router type veth peer name eth0 netns server
ip -n client link set eth0 address 02:00:00:00:01:01
ip -n router link set in address 02:00:00:00:01:02
ip -n router link set out address 02:00:00:00:02:01
ip -n server link set eth0 address 02:00:00:00:02:02
ip -n client addr add 10.0.1.2/24 dev eth0
ip -n router addr add 10.0.1.1/24 dev in
ip -n router addr add 192.168.0.1/24 dev out
ip -n server addr add 192.168.0.2/24 dev eth0
ip -n client link set eth0 up
ip -n router link set in up
ip -n router link set out up
ip -n server link set eth0 up
ip -n client route add default via 10.0.1.1
ip netns exec router sysctl -qw net.ipv4.ip_forward=1
ip netns exec router iptables -t nat -A POSTROUTING -o out -j MASQUERADE
ip netns exec router conntrack -E -o extended,timestamp -s 10.0.1.2 &
ip netns exec router conntrack -E -e DESTROY > /dev/null &
sleep 1
ip netns exec client ping -c 1 192.168.0.2 > /dev/null
ip netns exec router ping -c 1 192.168.0.2 > /dev/null
ip netns exec server nc -l -p 80 > /dev/null &
sleep 1
ip netns exec client nc 192.168.0.2 80 < /dev/null &
sleep 1
echo ping | ip netns exec client nc -u -w 1 192.168.0.2 53; echo "udp: $?" >&2
ip netns exec router conntrack -D -p tcp > /dev/null
ip netns exec router conntrack -D -p udp > /dev/null
ip netns exec router conntrack -D -s 10.0.1.2 > /dev/null
ip netns exec router conntrack -F
sleep 1
kill -INT %1
wait %1
kill -INT %2
wait %2
kill %4 %3
wait
