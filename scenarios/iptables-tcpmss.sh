#!/bin/bash
# TCPMSS on a router whose link to the server has MTU 1400: --clamp-mss-to-pmtu
# lowers the client's SYN from mss 1460 to 1360 (the smaller MTU less 40) and
# leaves the server's SYN-ACK (already 1360) alone; then --set-mss 1200 in
# POSTROUTING (with --syn: SYNs only) lowers the next SYN. The capture on the
# server's side shows the SYNs' options (only SYNs: how the server acknowledges
# the client's FIN is a timing race on the kernel); -S/-L forms and refusals as iptables 1.8.9 prints them.
for n in a r b; do
  ip netns add $n
  ip netns exec $n sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
ip link add v0 netns a type veth peer name v1 netns r
ip link add w1 netns r type veth peer name w0 netns b
ip -n a link set v0 address 02:00:00:00:0a:01
ip -n r link set v1 address 02:00:00:00:0c:01
ip -n r link set w1 address 02:00:00:00:0c:02
ip -n b link set w0 address 02:00:00:00:0b:01
ip -n r link set w1 mtu 1400
ip -n b link set w0 mtu 1400
ip -n a addr add 10.1.0.1/24 dev v0
ip -n r addr add 10.1.0.254/24 dev v1
ip -n r addr add 10.2.0.254/24 dev w1
ip -n b addr add 10.2.0.2/24 dev w0
ip -n a link set v0 up
ip -n r link set v1 up
ip -n r link set w1 up
ip -n b link set w0 up
ip -n a link set lo up
ip -n b link set lo up
ip -n a route add default via 10.1.0.254
ip -n b route add default via 10.2.0.254
ip netns exec r sysctl -qw net.ipv4.ip_forward=1
ip netns exec r iptables -t mangle -A FORWARD -p tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu
ip netns exec a ping -c 1 10.2.0.2 > /dev/null
ip netns exec b tcpdump -nn -i w0 -w w0.pcap 'tcp[13] & 2 != 0' &
sleep 1
ip netns exec b nc -l -p 80 &
sleep 1
ip netns exec a nc -z 10.2.0.2 80
echo "clamped: $?"
wait %2
ip netns exec r iptables -t mangle -A POSTROUTING -p tcp --syn -j TCPMSS --set-mss 1200
ip netns exec b nc -l -p 80 &
sleep 1
ip netns exec a nc -z 10.2.0.2 80
echo "set: $?"
wait %2
sleep 2
kill -INT %1
wait
ip netns exec r iptables -t mangle -L -n -v
ip netns exec r iptables -t mangle -L
ip netns exec r iptables -t mangle -S
ip netns exec r iptables -t mangle -A INPUT -p tcp --syn -j TCPMSS --clamp-mss-to-pmtu; echo "rc=$?"
ip netns exec r iptables -t mangle -A FORWARD -j TCPMSS --set-mss 1000; echo "rc=$?"
ip netns exec r iptables -t mangle -A FORWARD -p tcp -j TCPMSS; echo "rc=$?"
ip netns exec r iptables -t mangle -A FORWARD -p tcp -j TCPMSS --set-mss 70000; echo "rc=$?"
