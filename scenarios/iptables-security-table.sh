#!/bin/bash
# The security table runs after filter (and after nat at INPUT): an echo
# request filter ACCEPTs is still dropped by a security DROP, and counted in
# both. CHECKSUM --checksum-fill (mangle only) changes nothing netsim-side
# since checksums are always complete. iptables-save lists the tables in
# iptables-nft's order (mangle, security, raw, filter, nat).
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
ip netns exec b iptables -A INPUT -p icmp -j ACCEPT
ip netns exec b iptables -t security -A INPUT -p icmp --icmp-type echo-request -m limit --limit 1/hour --limit-burst 1 -j ACCEPT
ip netns exec b iptables -t security -A INPUT -p icmp -j DROP
ip netns exec b iptables -t mangle -A POSTROUTING -p icmp -j CHECKSUM --checksum-fill
ip netns exec b iptables -t raw -A PREROUTING -p icmp
ip netns exec b iptables -t nat -A INPUT -p icmp
ip netns exec a ping -c 3 -i 0.2 10.9.0.2
ip netns exec b iptables -t security -L -n -v
ip netns exec b iptables -L INPUT -n -v
ip netns exec b iptables -t mangle -L POSTROUTING -n -v
ip netns exec b iptables -t mangle -L POSTROUTING
ip netns exec b iptables-save | grep -v '^#'
ip netns exec b iptables -A INPUT -j CHECKSUM --checksum-fill; echo "rc=$?"
ip netns exec b iptables -t mangle -A INPUT -j CHECKSUM; echo "rc=$?"
ip netns exec b iptables -t security -A PREROUTING -j ACCEPT; echo "rc=$?"
