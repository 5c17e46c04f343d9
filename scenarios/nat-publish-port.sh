#!/bin/bash
# Publishing a container's port the way Docker does: nat PREROUTING and
# OUTPUT jump to DOCKER for local destinations, where tcp/8080 is DNATed to
# the container's port 80 (seed 004, section 5.3.2). With Docker's FORWARD
# policy DROP the first curl times out: the DNAT needs its FORWARD accept.
# Then: curl through the published port, conntrack showing the translated
# reply tuple in TIME_WAIT, curl from the host itself (OUTPUT DNAT and the
# re-route it forces), a REJECT --reject-with tcp-reset answered as if the
# published port refused, and a UDP port published the same way. Only SYN
# and RST segments are captured and FORWARD's counters are not listed:
# whether curl or the server closes first is a race on the kernel.
modprobe br_netfilter 2>/dev/null
sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip link set lo up
ip netns add client
ip netns exec client sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip link add eth0 type veth peer name eth0 netns client
ip link set eth0 address 02:00:00:00:0e:01
ip -n client link set eth0 address 02:00:00:00:0e:02
ip addr add 10.3.8.6/24 dev eth0
ip link set eth0 up
ip -n client addr add 10.3.8.1/24 dev eth0
ip -n client link set eth0 up
ip link add docker0 type bridge
ip link set docker0 address 02:42:00:00:00:01
ip addr add 172.17.0.1/16 dev docker0
ip link set docker0 up
ip netns add web
ip netns exec web sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip link add veth0 type veth peer name eth0 netns web
ip link set veth0 address 02:00:00:00:00:02
ip -n web link set eth0 address 02:42:ac:11:00:02
ip link set veth0 master docker0
ip link set veth0 up
ip -n web addr add 172.17.0.2/16 dev eth0
ip -n web link set eth0 up
ip -n web link set lo up
ip -n web route add default via 172.17.0.1
sysctl -w net.ipv4.ip_forward=1
sleep 2
iptables -t nat -N DOCKER
iptables -t nat -A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER
iptables -t nat -A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER
iptables -t nat -A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE
iptables -t nat -A DOCKER -i docker0 -j RETURN
iptables -t nat -A DOCKER -p tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80
iptables -t nat -A DOCKER -p udp --dport 5353 -j DNAT --to-destination 172.17.0.2:53
iptables -P FORWARD DROP
iptables -A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
iptables -A FORWARD -i docker0 ! -o docker0 -j ACCEPT
echo '<h1>published</h1>' > index.html
ip netns exec web python3 -m http.server 80 --bind 172.17.0.2 2>/dev/null &
sleep 2
ip netns exec client tcpdump -nn -i eth0 -w client.pcap 'tcp[13] & 6 != 0' &
sleep 1
ip netns exec client curl -sS --connect-timeout 2 http://10.3.8.6:8080/; echo "curl without the FORWARD accept: $?"
iptables -A FORWARD -d 172.17.0.2/32 ! -i docker0 -o docker0 -p tcp --dport 80 -j ACCEPT
ip netns exec client curl -sS http://10.3.8.6:8080/; echo "curl through the published port: $?"
sleep 1
conntrack -L -p tcp --dport 8080
curl -sS http://10.3.8.6:8080/; echo "curl from the host: $?"
sleep 1
conntrack -L -p tcp -s 10.3.8.6
iptables -I FORWARD -s 10.3.8.1 -p tcp --dport 80 -j REJECT --reject-with tcp-reset
ip netns exec client curl -sS http://10.3.8.6:8080/; echo "curl with tcp-reset: $?"
iptables -D FORWARD 1
iptables -A FORWARD -d 172.17.0.2/32 ! -i docker0 -o docker0 -p udp --dport 53 -j ACCEPT
ip netns exec web nc -u -l -p 53 &
sleep 1
echo hello | ip netns exec client nc -u -w 1 10.3.8.6 5353
conntrack -L -p udp
iptables -t nat -L -n -v
sleep 2
kill %1 %3
kill -INT %2
wait
