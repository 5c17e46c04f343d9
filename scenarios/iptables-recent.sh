#!/bin/bash
# -m recent, as the SSH brute-force recipe uses it, on echo requests: the
# first three pings from an address are let in and stamped (--set), the
# fourth and later are dropped (--update --seconds 60 --hitcount 3); a
# --rcheck --seconds 1 rule counts the pings that came within a second of
# the last stamp; after 1.5 s that window is empty but the 60 s one is not;
# --remove forgets the address and the next ping is let in again.
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
ip netns exec b iptables -A INPUT -p icmp --icmp-type echo-request -m recent --rcheck --seconds 1 --name ping
ip netns exec b iptables -A INPUT -p icmp --icmp-type echo-request -m recent --update --seconds 60 --hitcount 3 --name ping --rsource -j DROP
ip netns exec b iptables -A INPUT -p icmp --icmp-type echo-request -m recent --set --name ping --rsource -j ACCEPT
ip netns exec b iptables -A INPUT -p icmp -m recent ! --rcheck --name other --rdest --mask 255.255.255.0
ip netns exec a ping -c 5 -i 0.2 10.9.0.2
sleep 1.5
ip netns exec a ping -c 1 -W 1 10.9.0.2; echo "rc=$?"
ip netns exec b iptables -I INPUT 1 -p icmp --icmp-type echo-request -m recent --remove --name ping
ip netns exec a ping -c 1 10.9.0.2; echo "rc=$?"
ip netns exec b iptables -L INPUT -n -v
ip netns exec b iptables -L INPUT
ip netns exec b iptables -S INPUT
ip netns exec b iptables -A INPUT -m recent --set --rttl; echo "rc=$?"
ip netns exec b iptables -A INPUT -m recent --rcheck --update; echo "rc=$?"
ip netns exec b iptables -A INPUT -m recent --rcheck --reap; echo "rc=$?"
ip netns exec b iptables -A INPUT -m recent --set --seconds 5; echo "rc=$?"
ip netns exec b iptables -A INPUT -m recent --rcheck --hitcount 65536; echo "rc=$?"
ip netns exec b iptables -A INPUT -m recent --rcheck --name a/b; echo "rc=$?"
ip netns exec b iptables -A INPUT -m recent --name x; echo "rc=$?"
