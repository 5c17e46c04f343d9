#!/bin/bash
# An HTTP server in one namespace (python3 -m http.server), curl in another:
# curl prints a page, the status of a HEAD and of a missing page. Captured:
# a whole HTTP/1.0 exchange with Python (handshake, request, headers and
# error page in two writes, the server's FIN first, the client's FIN
# carrying the delayed ACK), a refused port (RST, curl exit 7) and a
# connect timeout to an address nobody answers ARP for (curl exit 28).
# The HTTP client in the capture is nc, which closes only after the server:
# whether curl or Python closes first after a response is a race on the
# kernel (about one run in three either way), so curl's own exchanges are
# not captured.
ip netns add web
ip netns add client
for ns in web client; do
  ip netns exec $ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
ip link add eth0 netns web type veth peer name eth0 netns client
ip -n web link set eth0 address 02:00:00:00:0d:01
ip -n client link set eth0 address 02:00:00:00:0d:02
ip -n web addr add 10.0.0.2/24 dev eth0
ip -n client addr add 10.0.0.1/24 dev eth0
ip -n web link set eth0 up
ip -n client link set eth0 up
ip -n web link set lo up
ip -n client link set lo up
echo '<h1>hello from web</h1>' > index.html
ip netns exec web python3 -m http.server 8000 --bind 10.0.0.2 &
sleep 2
ip netns exec client curl -s http://10.0.0.2:8000/
echo "curl: $?"
ip netns exec client curl -sI -o /dev/null -w '%{http_code}\n' http://10.0.0.2:8000/
echo "curl: $?"
ip netns exec client curl -s -o /dev/null -w '%{http_code}\n' http://10.0.0.2:8000/missing
echo "curl: $?"
sleep 1
ip netns exec client tcpdump -nn -i eth0 -w client.pcap 2>/dev/null &
sleep 1
ip netns exec client nc -q 5 10.0.0.2 8000 > /dev/null <<EOF
GET /missing HTTP/1.0

EOF
echo "nc: $?"
ip netns exec client curl -sS http://10.0.0.2:8001/
echo "curl: $?"
ip netns exec client curl -sS --connect-timeout 2 http://10.0.0.9/
echo "curl: $?"
sleep 2
kill %1
kill -INT %2
wait
