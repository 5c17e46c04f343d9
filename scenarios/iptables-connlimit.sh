#!/bin/bash
# -m connlimit counts the connections each masked address has through the
# rule (nf_conncount): b drops UDP from a source that has more than 2. Of
# a's datagrams to four ports, the first two open connections (conntrack
# -L shows them), the third and later ones (each nc a new source port, so
# a new connection) would be the third and are dropped: their entries are
# never confirmed and leave the count at the next packet. A --connlimit-upto
# rule per /24 of destinations counts alongside. A TCP connection that has
# closed (TIME_WAIT) no longer counts: three connections one after the
# other all get through a --connlimit-above 1. Then the canonical forms
# and refusals.
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
ip netns exec b iptables -A INPUT -p udp -m connlimit --connlimit-upto 10 --connlimit-mask 24 --connlimit-daddr
ip netns exec b iptables -A INPUT -p udp -m connlimit --connlimit-above 2 -j DROP
ip netns exec b iptables -A INPUT -p udp
echo one | ip netns exec a nc -u -q 0 10.9.0.2 9001
sleep 0.2
echo two | ip netns exec a nc -u -q 0 10.9.0.2 9002
sleep 0.2
echo three | ip netns exec a nc -u -q 0 10.9.0.2 9003
sleep 0.2
echo four | ip netns exec a nc -u -q 0 10.9.0.2 9004
sleep 0.2
echo again | ip netns exec a nc -u -q 0 10.9.0.2 9001
sleep 0.2
ip netns exec b conntrack -L -p udp
ip netns exec b iptables -L INPUT -n -v -x
ip netns exec b iptables -F INPUT
ip netns exec b iptables -A INPUT -p tcp --syn --dport 80 -m connlimit --connlimit-above 1 -j REJECT --reject-with tcp-reset
for i in 1 2 3; do
  ip netns exec b nc -l -p 80 > /dev/null &
  sleep 0.5
  ip netns exec a nc -z 10.9.0.2 80; echo "tcp $i: $?"
  wait %1
  sleep 0.5
done
ip netns exec b conntrack -L -p tcp
ip netns exec b iptables -L INPUT -n -v -x
ip netns exec b iptables -F INPUT
ip netns exec b iptables -A INPUT -m connlimit --connlimit-upto 5 -v
ip netns exec b iptables -A INPUT -m connlimit ! --connlimit-above 5 --connlimit-mask 0
ip netns exec b iptables -A INPUT -m connlimit --connlimit-above 5 --connlimit-mask 255.255.0.0
ip netns exec b iptables -S INPUT
ip netns exec b iptables -L INPUT
ip netns exec b iptables -A INPUT -m connlimit; echo "rc=$?"
ip netns exec b iptables -A INPUT -m connlimit --connlimit-above 5 --connlimit-upto 3; echo "rc=$?"
ip netns exec b iptables -A INPUT -m connlimit --connlimit-above x; echo "rc=$?"
ip netns exec b iptables -A INPUT -m connlimit --connlimit-above 5 --connlimit-saddr --connlimit-daddr; echo "rc=$?"
ip netns exec b iptables -A INPUT -m connlimit --connlimit-above 5 ! --connlimit-saddr; echo "rc=$?"
ip netns exec b iptables -A INPUT -m connlimit --connlimit-above 5 --connlimit-mask foo; echo "rc=$?"
