#!/bin/bash
# conntrack-pickup with net.netfilter.nf_conntrack_tcp_loose=0 in the
# server's namespace: the client's last ACK after the flush can no longer be
# picked up mid-stream, so it is INVALID too and no entry appears. The
# switch is per namespace (a new one starts at the defaults, the host's is
# untouched) and takes only 0 or 1.
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
ip netns exec server sysctl net.netfilter.nf_conntrack_tcp_loose net.netfilter.nf_conntrack_tcp_be_liberal
ip netns exec server sysctl -w net.netfilter.nf_conntrack_tcp_loose=2
echo "loose=2: $?"
ip netns exec server sysctl -w net.netfilter.nf_conntrack_tcp_loose=0
ip netns exec client sysctl net.netfilter.nf_conntrack_tcp_loose
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
