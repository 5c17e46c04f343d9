#!/bin/bash
# -m hashlimit as the kernel's xt_hashlimit (revision 3) runs it: a token
# bucket per source address (--hashlimit-mode srcip) in jiffies. b accepts
# 1 echo request a second per source with a burst of 3 and drops the rest:
# of a's 6 pings 0.3 s apart the first 3 pass, the 4th is dropped (0.9 of a
# token), the 5th passes (1.2), the 6th is dropped; c, another source, has a
# full bucket of its own. The margins (0.1 s and more) absorb ping's timer
# slack. Then --hashlimit-above; rate-match mode (2/sec, burst 1: a window
# of 1 s holds 3 echo requests; the window after one that went over the
# rate is refused whole, the next one is not); a byte rate (1kb/s, burst
# 2kb: a 1028-byte packet costs a whole second's credit, which the burst
# refills twice: 3 of 10 pass); the canonical -S/-L forms
# (rate units, byte rates, defaults left out), -v and the refusals (a
# rate-match rule naming a plain rule's table).
sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
for n in a b c; do
  ip netns add $n
  ip netns exec $n sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
ip link add v0 netns a type veth peer name v1 netns b
ip link add w0 netns c type veth peer name w1 netns b
ip -n a link set v0 address 02:00:00:00:0a:01
ip -n b link set v1 address 02:00:00:00:0b:01
ip -n b link set w1 address 02:00:00:00:0b:02
ip -n c link set w0 address 02:00:00:00:0c:01
ip -n a addr add 10.9.0.1/24 dev v0
ip -n b addr add 10.9.0.2/24 dev v1
ip -n b addr add 10.8.0.2/24 dev w1
ip -n c addr add 10.8.0.1/24 dev w0
ip -n a link set v0 up
ip -n b link set v1 up
ip -n b link set w1 up
ip -n c link set w0 up
ip netns exec a ping -c 1 10.9.0.2 > /dev/null
ip netns exec c ping -c 1 10.8.0.2 > /dev/null
ip netns exec b iptables -A INPUT -p icmp --icmp-type echo-request -m hashlimit --hashlimit-upto 1/sec --hashlimit-burst 3 --hashlimit-mode srcip --hashlimit-name pings -j ACCEPT
ip netns exec b iptables -A INPUT -p icmp --icmp-type echo-request -j DROP
ip netns exec a ping -c 6 -i 0.3 10.9.0.2
ip netns exec c ping -c 3 -i 0.3 10.8.0.2
ip netns exec b iptables -L INPUT -n -v -x
ip netns exec b iptables -F INPUT
sleep 1
ip netns exec b iptables -A INPUT -p icmp --icmp-type echo-request -m hashlimit --hashlimit-above 2/sec --hashlimit-burst 2 --hashlimit-name flood -j DROP
ip netns exec a ping -c 5 -i 0.1 10.9.0.2
ip netns exec b iptables -L INPUT -n -v -x
ip netns exec b iptables -F INPUT
ip netns exec b iptables -A INPUT -p icmp --icmp-type echo-request -m hashlimit --hashlimit-upto 2/sec --hashlimit-burst 1 --hashlimit-name rm --hashlimit-rate-match -j ACCEPT
ip netns exec b iptables -A INPUT -p icmp --icmp-type echo-request -j DROP
ip netns exec a ping -c 6 -i 0.1 10.9.0.2
sleep 1
ip netns exec a ping -c 1 -W 1 10.9.0.2; echo "rc=$?"
sleep 1.5
ip netns exec a ping -c 1 -W 1 10.9.0.2; echo "rc=$?"
ip netns exec b iptables -L INPUT -n -v -x
ip netns exec b iptables -F INPUT
ip netns exec b iptables -A INPUT -p icmp --icmp-type echo-request -m hashlimit --hashlimit-upto 1kb/s --hashlimit-burst 2kb --hashlimit-name bytes -j ACCEPT
ip netns exec b iptables -A INPUT -p icmp --icmp-type echo-request -j DROP
ip netns exec a ping -c 10 -i 0.05 -s 1000 10.9.0.2
ip netns exec b iptables -L INPUT -n -v -x
ip netns exec b iptables -F INPUT
ip netns exec b iptables -A INPUT -p icmp --icmp-type echo-request -m hashlimit --hashlimit-upto 2/sec --hashlimit-burst 1 --hashlimit-name rm --hashlimit-rate-match -j ACCEPT
ip netns exec b iptables -A INPUT -m hashlimit --hashlimit-upto 1/sec --hashlimit-name rm; echo "rc=$?"
ip netns exec b iptables -A INPUT -m hashlimit --hashlimit-upto 40/min --hashlimit-name rm2 --hashlimit-rate-match
ip netns exec b iptables -A INPUT -m hashlimit --hashlimit-upto 4kb/s --hashlimit-name rm3 --hashlimit-rate-match --hashlimit-rate-interval 10
ip netns exec b iptables -S INPUT
ip netns exec b iptables -L INPUT -n
ip netns exec b iptables -F INPUT
ip netns exec b iptables -A INPUT -v -m hashlimit --hashlimit 5/min --hashlimit-name x
ip netns exec b iptables -A INPUT -m hashlimit --hashlimit-upto 4kb/s --hashlimit-burst 400kb --hashlimit-mode srcip,dstport --hashlimit-srcmask 24 --hashlimit-name b1
ip netns exec b iptables -A INPUT -m hashlimit --hashlimit-upto 1000b/s --hashlimit-name b2
ip netns exec b iptables -A INPUT -m hashlimit ! --hashlimit-upto 1000/hour --hashlimit-mode dstport,srcip --hashlimit-name h --hashlimit-htable-size 64 --hashlimit-htable-max 128 --hashlimit-htable-gcinterval 500 --hashlimit-htable-expire 1000
ip netns exec b iptables -A INPUT -m hashlimit --hashlimit-upto 7/m --hashlimit-burst 5kb --hashlimit-name k
ip netns exec b iptables -S INPUT
ip netns exec b iptables -L INPUT
ip netns exec b iptables -A INPUT -m hashlimit --hashlimit-upto 1/sec; echo "rc=$?"
ip netns exec b iptables -A INPUT -m hashlimit --hashlimit-name y; echo "rc=$?"
ip netns exec b iptables -A INPUT -m hashlimit --hashlimit-upto 1/sec --hashlimit-above 1/sec --hashlimit-name y; echo "rc=$?"
ip netns exec b iptables -A INPUT -m hashlimit --hashlimit-upto 0/sec --hashlimit-name y; echo "rc=$?"
ip netns exec b iptables -A INPUT -m hashlimit --hashlimit-upto 1000001/sec --hashlimit-name y; echo "rc=$?"
ip netns exec b iptables -A INPUT -m hashlimit --hashlimit-upto 1/sec --hashlimit-burst 0 --hashlimit-name y; echo "rc=$?"
ip netns exec b iptables -A INPUT -m hashlimit --hashlimit-upto 1/day --hashlimit-name y; echo "rc=$?"
ip netns exec b iptables -A INPUT -m hashlimit --hashlimit-upto 1kb/s --hashlimit-burst 5 --hashlimit-name y; echo "rc=$?"
ip netns exec b iptables -A INPUT -m hashlimit --hashlimit-upto 1/sec --hashlimit-mode srcip,bogus --hashlimit-name y; echo "rc=$?"
ip netns exec b iptables -A INPUT -m hashlimit --hashlimit-upto 1/sec --hashlimit-srcmask 33 --hashlimit-name y; echo "rc=$?"
ip netns exec b iptables -A INPUT -m hashlimit --hashlimit-upto 1/sec --hashlimit-htable-expire 0 --hashlimit-name y; echo "rc=$?"
ip netns exec b iptables -A INPUT -m hashlimit --hashlimit-upto 1/sec --hashlimit-name a/b; echo "rc=$?"
ip netns exec b iptables -A INPUT -m hashlimit --hashlimit-upto 1/sec ! --hashlimit-name y; echo "rc=$?"
