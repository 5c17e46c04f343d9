#!/bin/bash
# LOG --log-uid adds UID= GID= for a packet from a process's socket: a's
# echo request and SYN (root: 0 and 0); not b's echo reply and RST (the
# kernel's own sockets have no file) nor b's SYN-ACK (sent for a request
# sock, not a full socket).
sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
for n in a b; do
  ip netns add $n
  ip netns exec $n sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
ip link add v0 netns a type veth peer name v1 netns b
ip -n a link set v0 address 02:00:00:00:0a:01
ip -n b link set v1 address 02:00:00:00:0b:01
ip -n a addr add 10.9.0.1/24 dev v0
ip -n b addr add 10.9.0.2/24 dev v1
ip -n a link set v0 up
ip -n b link set v1 up
ip netns exec a ping -c 1 10.9.0.2 > /dev/null
dmesg -C
ip netns exec a iptables -A OUTPUT -p icmp -j LOG --log-uid --log-prefix "a-icmp: "
ip netns exec a iptables -A OUTPUT -p tcp --syn -j LOG --log-uid --log-prefix "a-syn: "
ip netns exec b iptables -A OUTPUT -p icmp -j LOG --log-uid --log-prefix "b-icmp: "
ip netns exec b iptables -A OUTPUT -p tcp --tcp-flags SYN,ACK SYN,ACK -j LOG --log-uid --log-prefix "b-synack: "
ip netns exec b iptables -A OUTPUT -p tcp --tcp-flags RST RST -j LOG --log-uid --log-prefix "b-rst: "
ip netns exec a ping -c 1 10.9.0.2 > /dev/null
ip netns exec b nc -l -p 80 > /dev/null &
sleep 0.5
ip netns exec a nc -z 10.9.0.2 80; echo "open: $?"
wait %1
ip netns exec a nc -z 10.9.0.2 81; echo "closed: $?"
sleep 0.2
dmesg
ip netns exec a iptables -S OUTPUT
ip netns exec a iptables -L OUTPUT
