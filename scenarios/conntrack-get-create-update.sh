#!/bin/bash
# conntrack -I/-G/-U/-S and their errors on a namespace with a tracked
# ping: entries made by hand (a TCP state, a timeout, status bits, a mark),
# "Such conntrack exists", the option checks in conntrack's order, -G by
# the full original tuple (use=2), -U on the entries matching -s/-d (and
# the kernel's refusal of an update without an address), -L by mark and
# in the extended format and with ids, -S's counters (summed over the
# CPUs).
sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
for n in peer fw; do
  ip netns add $n
  ip netns exec $n sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
ip link add eth0 netns peer type veth peer name eth0 netns fw
ip -n peer link set eth0 address 02:00:00:00:03:01
ip -n fw link set eth0 address 02:00:00:00:03:02
ip -n peer addr add 192.168.5.1/24 dev eth0
ip -n fw addr add 192.168.5.2/24 dev eth0
ip -n peer link set eth0 up
ip -n fw link set eth0 up
ip netns exec fw iptables -A INPUT -m state --state INVALID -j DROP
ip netns exec peer ping -c 1 192.168.5.2 > /dev/null
ip netns exec fw conntrack -I -s 10.0.0.1 -d 10.0.0.2 -p tcp --sport 40000 --dport 80 -t 100 --state ESTABLISHED -u ASSURED -m 3; echo "rc=$?"
ip netns exec fw conntrack -I -s 10.0.0.1 -d 10.0.0.2 -p tcp --sport 40000 --dport 80 -t 100 --state ESTABLISHED; echo "rc=$?"
ip netns exec fw conntrack -I -s 10.0.0.2 -d 10.0.0.1 -p tcp --sport 80 --dport 40000 -t 100 --state ESTABLISHED; echo "rc=$?"
ip netns exec fw conntrack -I -s 10.0.0.1 -d 10.0.0.2 -p udp --sport 5353 --dport 53 -t 60 -u SEEN_REPLY,ASSURED; echo "rc=$?"
ip netns exec fw conntrack -I -s 10.0.0.1 -d 10.0.0.3 -p icmp --icmp-type 8 --icmp-code 0 --icmp-id 99 -t 20; echo "rc=$?"
ip netns exec fw conntrack -I -s 10.0.0.1 -d 10.0.0.2 -p udp --sport 1 --dport 2; echo "rc=$?"
ip netns exec fw conntrack -I -s 10.0.0.1 -d 10.0.0.2 -p tcp --sport 1 --dport 2 -t 5; echo "rc=$?"
ip netns exec fw conntrack -I -s 10.0.0.1 -p udp --sport 1 --dport 2 -t 5; echo "rc=$?"
ip netns exec fw conntrack -I -s 10.0.0.1 -d 10.0.0.2 -p udp -t 5; echo "rc=$?"
ip netns exec fw conntrack -I -s 10.0.0.1 -d 10.0.0.2 -p tcp --sport 1 --dport 2 -t 5 --state BOGUS; echo "rc=$?"
ip netns exec fw conntrack -I -s 10.0.0.1 -d 10.0.0.2 -p udp --sport 1 --dport 2 -t 5 -u BOGUS; echo "rc=$?"
ip netns exec fw conntrack -I -s 10.0.0.1 -d 10.0.0.2 -p icmp -t 5; echo "rc=$?"
ip netns exec fw conntrack -I -s 10.0.0.1 -d 10.0.0.2 -t 5; echo "rc=$?"
ip netns exec fw conntrack -G -s 10.0.0.1 -d 10.0.0.2 -p tcp --sport 40000 --dport 80; echo "rc=$?"
ip netns exec fw conntrack -G -s 10.0.0.2 -d 10.0.0.1 -p tcp --sport 80 --dport 40000; echo "rc=$?"
ip netns exec fw conntrack -G -s 10.0.0.1 -d 10.0.0.2 -p tcp --sport 40000 --dport 81; echo "rc=$?"
ip netns exec fw conntrack -G -s 10.0.0.1 -d 10.0.0.2 -p tcp; echo "rc=$?"
ip netns exec fw conntrack -G -p udp --sport 5353 --dport 53; echo "rc=$?"
ip netns exec fw conntrack -G; echo "rc=$?"
ip netns exec fw conntrack -G -s 192.168.5.1 -d 192.168.5.2 -p icmp --icmp-type 8 --icmp-code 0 --icmp-id 1; echo "rc=$?"
ip netns exec fw conntrack -G -s 10.0.0.1 -d 10.0.0.3 -p icmp --icmp-type 8 --icmp-code 0 --icmp-id 99 -o extended; echo "rc=$?"
ip netns exec fw conntrack -U -s 10.0.0.1 -p udp -m 9; echo "rc=$?"
ip netns exec fw conntrack -U -d 10.0.0.3 -t 200 -u ASSURED; echo "rc=$?"
ip netns exec fw conntrack -U -s 10.9.9.9 -m 1; echo "rc=$?"
ip netns exec fw conntrack -U -p tcp -m 5; echo "rc=$?"
ip netns exec fw conntrack -L --mark 9; echo "rc=$?"
ip netns exec fw conntrack -L -m 3 -o extended; echo "rc=$?"
ip netns exec fw conntrack -L -p icmp -s 192.168.5.1; echo "rc=$?"
ip netns exec fw conntrack -L -o id; echo "rc=$?"
ip netns exec fw conntrack -L -p udp -o extended,id; echo "rc=$?"
ip netns exec fw conntrack -C; echo "rc=$?"
ip netns exec fw conntrack -S; echo "rc=$?"
ip netns exec fw conntrack -S -p tcp; echo "rc=$?"
ip netns exec fw conntrack -D -d 10.0.0.3; echo "rc=$?"
ip netns exec fw conntrack -F; echo "rc=$?"
ip netns exec fw conntrack -C; echo "rc=$?"
