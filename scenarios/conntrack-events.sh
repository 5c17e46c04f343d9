#!/bin/bash
# conntrack -E on a server: a ping reports [NEW] at confirm and one
# [UPDATE] when the reply sets SEEN_REPLY; an nc connection reports each
# handshake state (ASSURED with ESTABLISHED) and stays open until the
# listeners stop (whether a server acknowledges a FIN on its own or with
# its own FIN is a race on the kernel, and the events coalesce
# accordingly), so the flush destroys it ESTABLISHED; the RST answering a
# closed port destroys its entry at once (state CLOSE); a CONNMARK on UDP
# shows mark=; conntrack -D/-I/-U/-F report [DESTROY]/[NEW]/[UPDATE] with
# [USERSPACE]; an entry made with -t 3 is destroyed when it expires
# (checked after the kernel's dump has collected it). A second listener
# with -e NEW -p tcp prints only new TCP entries. Both print their count
# on SIGINT. Only the first listener writes to stdout (it flushes each
# event as it comes; everything else goes to stderr, in program order).
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
ip netns exec server iptables -A INPUT -m conntrack --ctstate INVALID -j DROP
ip netns exec server iptables -A INPUT -p udp -j CONNMARK --set-mark 7
ip netns exec server conntrack -E &
ip netns exec server conntrack -E -e NEW -p tcp > /dev/null &
sleep 1
ip netns exec client ping -c 1 10.0.0.2 > /dev/null
ip netns exec server nc -l -p 8080 >&2 &
sleep 1
ip netns exec client nc 10.0.0.2 8080 < /dev/null &
sleep 1
ip netns exec client nc -z 10.0.0.2 22; echo "closed port: $?" >&2
echo ping | ip netns exec client nc -u -w 1 10.0.0.2 9999; echo "udp: $?" >&2
ip netns exec server conntrack -D -p icmp >&2 2>/dev/null
ip netns exec server conntrack -I -s 10.9.9.9 -d 10.0.0.2 -p udp --sport 5000 --dport 53 -t 3
sleep 5
ip netns exec server conntrack -L >&2 2>/dev/null
ip netns exec server conntrack -U -s 10.0.0.1 -p udp -m 9 >&2 2>/dev/null
ip netns exec server conntrack -D -p udp >&2 2>/dev/null
ip netns exec server conntrack -F
sleep 1
kill -INT %1
wait %1
kill -INT %2
wait %2
kill %4 %3
wait
