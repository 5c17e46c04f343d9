#!/bin/bash
# A stateful router: FORWARD lets new TCP connections and UDP out from the
# client side only, and anything ESTABLISHED or RELATED back; INVALID is
# dropped. An nc exchange ends in TIME_WAIT [ASSURED]; the RST answering a
# SYN to a closed port passes as ESTABLISHED and deletes the entry at once;
# the ICMP port unreachable for UDP to a closed port passes as RELATED; a
# connection from the server side is dropped as NEW.
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
ip -n router addr add 10.0.2.1/24 dev out
ip -n server addr add 10.0.2.2/24 dev eth0
ip -n client link set eth0 up
ip -n router link set in up
ip -n router link set out up
ip -n server link set eth0 up
ip -n client route add default via 10.0.1.1
ip -n server route add default via 10.0.2.1
ip netns exec router sysctl -qw net.ipv4.ip_forward=1
ip netns exec router iptables -P FORWARD DROP
ip netns exec router iptables -A FORWARD -m conntrack --ctstate INVALID -j DROP
ip netns exec router iptables -A FORWARD -m conntrack --ctstate ESTABLISHED -j ACCEPT
ip netns exec router iptables -A FORWARD -m conntrack --ctstate RELATED -j ACCEPT
ip netns exec router iptables -A FORWARD -i in -p tcp --syn -m conntrack --ctstate NEW -j ACCEPT
ip netns exec router iptables -A FORWARD -i in -p udp -m state --state NEW -j ACCEPT
ip netns exec server nc -l -p 8080 &
sleep 1
echo hello | ip netns exec client nc -q 1 10.0.2.2 8080
wait %1
ip netns exec client nc -zv 10.0.2.2 22; echo "closed port: $?"
ip netns exec client nc -z 10.0.2.2 22; echo "again, without -v nothing is printed: $?"
echo ping | ip netns exec client nc -u -w 1 10.0.2.2 9999; echo "udp: $?"
ip netns exec client nc -l -p 7 &
sleep 1
ip netns exec server nc -zv -w 1 10.0.1.2 7; echo "from the server side: $?"
kill %1
wait
ip netns exec router conntrack -L
ip netns exec router iptables -L FORWARD -n -v
