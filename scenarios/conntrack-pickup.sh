#!/bin/bash
# An idle nc connection whose conntrack entry is flushed: when the client
# closes, its FIN cannot open an entry (INVALID, counted by the INPUT rule),
# nor can the server's FIN (OUTPUT); the client's last ACK is picked up
# mid-stream (nf_conntrack_tcp_loose) as ESTABLISHED [UNREPLIED], with
# window tracking made liberal for it.
sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
for n in client server; do
  ip netns add $n
  ip netns exec $n sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
ip link add eth0 netns client type veth peer name eth0 netns server
ip -n client link set eth0 address 02:00:00:00:01:01
ip -n server link set eth0 address 02:00:00:00:01:02
ip -n client addr add 10.0.0.1/24 dev eth0
ip -n server addr add 10.0.0.2/24 dev eth0
ip -n client link set eth0 up
ip -n server link set eth0 up
ip netns exec server iptables -A INPUT -m conntrack --ctstate INVALID
ip netns exec server iptables -A OUTPUT -m conntrack --ctstate INVALID
ip netns exec server nc -l -p 8080 &
sleep 1
ip netns exec client nc 10.0.0.2 8080 &
sleep 1
ip netns exec server conntrack -L
ip netns exec server conntrack -F
ip netns exec server conntrack -E &
sleep 1
kill %2
sleep 1
ip netns exec server conntrack -L
ip netns exec server conntrack -S
ip netns exec server iptables -L INPUT -v -n
ip netns exec server iptables -L OUTPUT -v -n
kill -INT %3
wait %3
kill %1
