#!/bin/bash
# The LOG target and dmesg: nf_log_syslog's line for a received echo
# request (IN=, the frame's MAC= header), the reply leaving (OUT=, a
# --log-level and a MARK= set before it), the ICMP port unreachable a closed
# UDP port answers with (the quoted packet in [...]), a forwarded packet
# (IN= and OUT=), a TCP SYN to a closed port and the RST it gets. The kernel
# logs from a non-initial namespace only with
# net.netfilter.nf_log_all_netns=1 (netsim verify sets it for the run); the
# log is the machine's, so it is cleared first.
sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
for n in a b r; do
  ip netns add $n
  ip netns exec $n sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
ip link add v0 netns a type veth peer name v1 netns b
ip link add w0 netns a type veth peer name w1 netns r
ip -n a link set v0 address 02:00:00:00:0a:01
ip -n b link set v1 address 02:00:00:00:0b:01
ip -n a link set w0 address 02:00:00:00:0a:02
ip -n r link set w1 address 02:00:00:00:0c:01
ip -n a addr add 10.9.0.1/24 dev v0
ip -n b addr add 10.9.0.2/24 dev v1
ip -n a addr add 10.8.0.1/24 dev w0
ip -n r addr add 10.8.0.2/24 dev w1
ip -n a link set v0 up
ip -n b link set v1 up
ip -n a link set w0 up
ip -n r link set w1 up
ip -n b route add default via 10.9.0.1
ip -n r route add default via 10.8.0.1
ip netns exec a sysctl -qw net.ipv4.ip_forward=1
ip netns exec a ping -c 1 10.9.0.2 > /dev/null
ip netns exec a ping -c 1 10.8.0.2 > /dev/null
dmesg -C
ip netns exec b iptables -A INPUT -p icmp -j LOG --log-prefix "b-in: "
ip netns exec b iptables -A INPUT -p tcp -j LOG --log-prefix "b-tcp: "
ip netns exec b iptables -A OUTPUT -j MARK --set-mark 0x2a
ip netns exec b iptables -A OUTPUT -p tcp -j LOG --log-prefix "b-rst: "
ip netns exec b iptables -A OUTPUT -p icmp -j LOG --log-prefix "b-out: " --log-level info
ip netns exec a iptables -A FORWARD -j LOG --log-prefix "a-fwd "
ip netns exec a iptables -A OUTPUT -o v0 -p udp -j LOG
ip netns exec a ping -c 1 10.9.0.2 > /dev/null
echo hello | ip netns exec a nc -u -w 1 10.9.0.2 9999
# (stderr hidden: netsim's nc -z prints "Connection refused", the real one does not)
ip netns exec a nc -z -w 1 10.9.0.2 7 2>/dev/null; echo "nc rc=$?"
ip netns exec b ping -c 1 10.8.0.2 > /dev/null
dmesg
ip netns exec b iptables -S
ip netns exec b iptables -L -n -v
ip netns exec a iptables -L -v
ip netns exec a iptables -A INPUT -j LOG --log-level 0 --log-tcp-sequence --log-tcp-options --log-ip-options --log-macdecode
ip netns exec a iptables -A INPUT -j LOG --log-level error
ip netns exec a iptables -A INPUT -j LOG --log-level 5 --log-prefix "twenty-nine characters, more"
ip netns exec a iptables -L INPUT
ip netns exec a iptables -L INPUT -n
ip netns exec a iptables -S INPUT
dmesg -C
dmesg
