#!/bin/bash
# Two clients behind one MASQUERADE (`nc -p 40000`) use the same source
# port to the same server port. The first keeps its port (NAT changes a
# tuple only when it must: in the server's capture it is the same port
# the client chose); its connection then sits in TIME_WAIT on the router,
# so the second client's tuple would clash and NAT picks another port from
# --to-ports (random on the kernel: verify maps it as an ephemeral port),
# and the replies still find their way back to each client.
sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
for n in c1 c2 router server; do
  ip netns add $n
  ip netns exec $n sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
ip link add br0 netns router type bridge
ip -n router link set br0 address 02:00:00:00:00:b0
ip -n router addr add 10.0.1.1/24 dev br0
ip -n router link set br0 up
for i in 1 2; do
  ip link add eth0 netns c$i type veth peer name p$i netns router
  ip -n c$i link set eth0 address 02:00:00:00:01:0$i
  ip -n router link set p$i address 02:00:00:00:00:0$i
  ip -n router link set p$i master br0
  ip -n router link set p$i up
  ip -n c$i addr add 10.0.1.1$i/24 dev eth0
  ip -n c$i link set eth0 up
  ip -n c$i route add default via 10.0.1.1
done
ip link add out netns router type veth peer name eth0 netns server
ip -n router link set out address 02:00:00:00:02:01
ip -n server link set eth0 address 02:00:00:00:02:02
ip -n router addr add 192.0.2.1/24 dev out
ip -n router link set out up
ip -n server addr add 192.0.2.2/24 dev eth0
ip -n server link set eth0 up
ip netns exec router sysctl -qw net.ipv4.ip_forward=1
ip netns exec router iptables -t nat -A POSTROUTING -o out -p tcp -j MASQUERADE --to-ports 32768-65535
ip netns exec server tcpdump -nn -i eth0 -w server.pcap 'tcp[13] & 2 != 0' &
sleep 1
ip netns exec server nc -l -p 80 &
sleep 1
echo one | ip netns exec c1 nc -q 1 -p 40000 192.0.2.2 80
wait %2
ip netns exec server nc -l -p 80 &
sleep 1
echo two | ip netns exec c2 nc -q 1 -p 40000 192.0.2.2 80
wait %2
ip netns exec router conntrack -L -p tcp --orig-port-src 40000
sleep 2
kill -INT %1
wait
