#!/bin/bash
# Debian 12's nginx (1.22.1, package nginx) in a namespace, reached with curl
# from another one through a bridge: `nginx` daemonises silently, the default
# site serves index.nginx-debian.html for / and nginx's 404 page otherwise
# (CRLF lines, Server: nginx/1.22.1); a second nginx cannot bind 0.0.0.0:80
# or [::]:80 (five tries 500 ms apart, then "still could not bind()");
# -t, -v; -s stop via /run/nginx.pid, then the port refuses; -s quit with no
# pid file. The capture keeps SYNs and RSTs only (who closes a keep-alive
# connection first is a race on the kernel). `curl -si` headers pass through
# grep without Date/Last-Modified/ETag (GNU grep keeps each line's CR).
for n in srv cli; do
  ip netns add $n
  ip netns exec $n sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  ip -n $n link set lo up
done
ip link add br0 type bridge
ip link set br0 address 02:00:00:00:00:fe
ip link add vs type veth peer name eth0 netns srv
ip link add vc type veth peer name eth0 netns cli
ip link set vs address 02:00:00:00:01:01
ip link set vc address 02:00:00:00:02:01
ip -n srv link set eth0 address 02:00:00:00:01:02
ip -n cli link set eth0 address 02:00:00:00:02:02
ip link set vs master br0
ip link set vc master br0
ip -n srv addr add 10.0.0.1/24 dev eth0
ip -n cli addr add 10.0.0.2/24 dev eth0
for l in br0 vs vc; do ip link set $l up; done
ip -n srv link set eth0 up
ip -n cli link set eth0 up
ip netns exec cli ping -c 1 10.0.0.1 > /dev/null
tcpdump -nn -e -i br0 -w br0.pcap 'tcp[13] & 6 != 0' &
sleep 1
ip netns exec srv nginx
echo "nginx: $?"
ip netns exec cli curl -s http://10.0.0.1/
ip netns exec cli curl -s http://10.0.0.1/missing
ip netns exec cli curl -si http://10.0.0.1/missing | grep -v -e '^Date:' -e '^Last-Modified:' -e '^ETag:'
ip netns exec cli curl -sI http://10.0.0.1/ | grep -v -e '^Date:' -e '^Last-Modified:' -e '^ETag:'
ip netns exec cli curl -s -o /dev/null -w '%{http_code} %{size_download}\n' http://10.0.0.1/index.nginx-debian.html
ip netns exec srv nginx
echo "second nginx: $?"
ip netns exec srv nginx -t
echo "test: $?"
ip netns exec srv nginx -v
ip netns exec srv nginx -s stop 2> /dev/null
echo "stop: $?"
sleep 1
ip netns exec cli curl -sS http://10.0.0.1/
echo "after stop: $?"
ip netns exec srv nginx -s quit 2> /dev/null
echo "no pid file: $?"
ip netns exec srv nginx -x
echo "bad option: $?"
sleep 2
kill -INT %1
wait
