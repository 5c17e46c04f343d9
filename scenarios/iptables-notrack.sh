#!/bin/bash
# NOTRACK and CT --notrack in the raw table: the echo requests (raw
# PREROUTING) and b's echo replies (raw OUTPUT) are not tracked, so
# `--state UNTRACKED` / `--ctstate UNTRACKED` count them, the nat table's
# DNAT (which would send the pings elsewhere) is never consulted, and
# conntrack -L shows no entry for them; a UDP datagram, not exempted, is
# tracked. Then CT's canonical -S/-L forms, -v and the refusals (CT outside
# raw, a helper without its protocol, a timeout policy that does not exist).
# Last, loopback keeps the untracked mark.
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
ip netns exec b iptables -t raw -A PREROUTING -p icmp -j NOTRACK
ip netns exec b iptables -t raw -A OUTPUT -p icmp --icmp-type echo-reply -j CT --notrack
ip netns exec b iptables -t nat -A PREROUTING -p icmp -j DNAT --to-destination 10.9.0.99
ip netns exec b iptables -A INPUT -p icmp -m state --state UNTRACKED
ip netns exec b iptables -A INPUT -p icmp -m conntrack --ctstate NEW,ESTABLISHED,INVALID
ip netns exec b iptables -A INPUT -p udp -m conntrack --ctstate NEW
ip netns exec b iptables -A OUTPUT -m conntrack --ctstate UNTRACKED
ip netns exec a ping -c 3 -i 0.2 10.9.0.2
ip netns exec b conntrack -L
echo hi | ip netns exec a nc -u -q 0 10.9.0.2 5555
sleep 0.2
ip netns exec b conntrack -L -p udp
ip netns exec b iptables -L -n -v -x
ip netns exec b iptables -t raw -L -n -v -x
ip netns exec b iptables -t nat -L PREROUTING -n -v -x
ip netns exec b iptables -t raw -A PREROUTING -p tcp --dport 8080 -j CT --ctevents new,destroy,mark --expevents new -v
ip netns exec b iptables -t raw -A OUTPUT -j CT --notrack --ctevents related
ip netns exec b iptables -t raw -I OUTPUT -j CT
ip netns exec b iptables -t raw -S
ip netns exec b iptables -t raw -L
ip netns exec b iptables-save -t raw | grep -v '^#'
ip netns exec b iptables -A INPUT -j NOTRACK; echo "rc=$?"
ip netns exec b iptables -t mangle -A PREROUTING -j CT --notrack; echo "rc=$?"
ip netns exec b iptables -t raw -A PREROUTING -j CT --helper ftp; echo "rc=$?"
ip netns exec b iptables -t raw -A PREROUTING -p udp -j CT --helper ftp; echo "rc=$?"
ip netns exec b iptables -t raw -A PREROUTING -j CT --timeout slow; echo "rc=$?"
ip netns exec b iptables -t raw -A PREROUTING -j CT --zone 65536; echo "rc=$?"
ip netns exec b iptables -t raw -A PREROUTING -j CT --ctevents new,bogus; echo "rc=$?"
ip netns exec b iptables -t raw -A PREROUTING -j CT ! --notrack; echo "rc=$?"
ip netns exec b iptables -t raw -A PREROUTING -j NOTRACK --notrack; echo "rc=$?"
ip netns exec b iptables -t raw -A INPUT -j CT; echo "rc=$?"
# Over loopback the packet keeps its untracked mark: a's pings to itself,
# NOTRACKed at OUTPUT, arrive (requests and replies) UNTRACKED.
ip netns exec a ip link set lo up
ip netns exec a iptables -t raw -A OUTPUT -o lo -j NOTRACK
ip netns exec a iptables -A INPUT -i lo -m state --state UNTRACKED
ip netns exec a iptables -A INPUT -i lo -m state --state NEW,ESTABLISHED
ip netns exec a ping -c 2 -i 0.2 127.0.0.1 > /dev/null
ip netns exec a iptables -L INPUT -n -v -x
ip netns exec a conntrack -L
