#!/bin/bash
# -m owner sees the socket behind a locally generated packet (OUTPUT and
# POSTROUTING only). a's ping and nc come from root's sockets (uid 0, gid
# 0); b's echo replies, the RST for its closed TCP port and the port
# unreachable for its closed UDP port come from the kernel's own sockets, which exist but belong to no file, so
# --socket-exists matches them and --uid-owner does not; packets r
# forwards have no socket at all. Then the canonical forms (names with -L,
# numbers with -n and -S), -v, and iptables' own refusals. (r's nat table
# holds a rule without target: a nat table alone does not turn conntrack
# on, so r tracks nothing and the rule counts nothing.)
sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
for n in a r b; do
  ip netns add $n
  ip netns exec $n sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
ip link add v0 netns a type veth peer name v1 netns r
ip link add w0 netns r type veth peer name w1 netns b
ip -n a link set v0 address 02:00:00:00:0a:01
ip -n r link set v1 address 02:00:00:00:0c:01
ip -n r link set w0 address 02:00:00:00:0c:02
ip -n b link set w1 address 02:00:00:00:0b:01
ip -n a addr add 10.1.0.2/24 dev v0
ip -n r addr add 10.1.0.1/24 dev v1
ip -n r addr add 10.2.0.1/24 dev w0
ip -n b addr add 10.2.0.2/24 dev w1
ip -n a link set v0 up
ip -n r link set v1 up
ip -n r link set w0 up
ip -n b link set w1 up
ip -n a route add default via 10.1.0.1
ip -n b route add default via 10.2.0.1
ip netns exec r sysctl -qw net.ipv4.ip_forward=1
ip netns exec a ping -c 1 10.2.0.2 > /dev/null
ip netns exec a iptables -A OUTPUT -m owner --uid-owner root -p icmp
ip netns exec a iptables -A OUTPUT -m owner --uid-owner 0 --gid-owner 0-10 --suppl-groups -p tcp
ip netns exec a iptables -A OUTPUT -m owner ! --socket-exists
ip netns exec a iptables -t nat -A POSTROUTING -m owner --gid-owner root -j MASQUERADE
ip netns exec b iptables -A OUTPUT -p icmp -m owner --socket-exists
ip netns exec b iptables -A OUTPUT -p icmp -m owner --uid-owner 0
ip netns exec b iptables -A OUTPUT -p icmp -m owner ! --uid-owner 0
ip netns exec b iptables -A OUTPUT -p tcp -m owner --socket-exists
ip netns exec b iptables -A OUTPUT -p tcp -m owner ! --gid-owner 0
ip netns exec r iptables -t mangle -A POSTROUTING -m owner --socket-exists
ip netns exec r iptables -t mangle -A POSTROUTING -m owner ! --socket-exists
ip netns exec r iptables -t mangle -A POSTROUTING -m owner ! --uid-owner 0 ! --gid-owner 0
ip netns exec r iptables -t nat -A POSTROUTING -o w0
ip netns exec a ping -c 2 -i 0.2 10.2.0.2
ip netns exec a nc -z -w 1 10.2.0.2 80; echo "nc: $?"
echo x | ip netns exec a nc -u -q 0 10.2.0.2 9999
sleep 0.2
ip netns exec a iptables -L OUTPUT -v -x
ip netns exec a iptables -t nat -L POSTROUTING -n -v -x
ip netns exec b iptables -L OUTPUT -n -v -x
ip netns exec r iptables -t mangle -L POSTROUTING -n -v -x
ip netns exec r iptables -t nat -L POSTROUTING -n -v -x
ip netns exec r conntrack -L
ip netns exec a iptables -A OUTPUT -v -m owner --uid-owner 5:7 ! --gid-owner mail -j ACCEPT
ip netns exec a iptables -A OUTPUT -m owner --uid-owner nobody --socket-exists
ip netns exec a iptables -S OUTPUT
ip netns exec a iptables -L OUTPUT
ip netns exec a iptables -A INPUT -m owner --uid-owner 0; echo "rc=$?"
ip netns exec a iptables -t nat -A PREROUTING -m owner --uid-owner 0; echo "rc=$?"
ip netns exec a iptables -A OUTPUT -m owner --uid-owner 10-5; echo "rc=$?"
ip netns exec a iptables -A OUTPUT -m owner --uid-owner nosuchuser; echo "rc=$?"
ip netns exec a iptables -A OUTPUT -m owner --suppl-groups --gid-owner 0; echo "rc=$?"
ip netns exec a iptables -A OUTPUT -m owner --gid-owner 0 ! --suppl-groups; echo "rc=$?"
ip netns exec a iptables -A OUTPUT -m owner; echo "rc=$?"
ip netns exec a iptables -A OUTPUT -m owner --uid-owner 1 --uid-owner 2; echo "rc=$?"
