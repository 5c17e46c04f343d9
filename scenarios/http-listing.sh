#!/bin/bash
# python3 -m http.server without --bind and without index.html: it listens
# on the IPv6 wildcard (the log shows ::ffff: addresses) and answers / with
# its listing of the current directory (the files the script wrote, the
# running capture's file included); the size of a 404 page as curl counts it.
# The capture keeps only ARP: whether curl or Python closes first after a
# response is a race on the kernel.
ip netns add web
ip netns add client
for ns in web client; do
  ip netns exec $ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
ip link add eth0 netns web type veth peer name eth0 netns client
ip -n web link set eth0 address 02:00:00:00:11:01
ip -n client link set eth0 address 02:00:00:00:11:02
ip -n web addr add 10.0.0.2/24 dev eth0
ip -n client addr add 10.0.0.1/24 dev eth0
ip -n web link set eth0 up
ip -n client link set eth0 up
echo 'some notes' > notes.txt
echo 'B' > B.txt
ip netns exec client tcpdump -nn -i eth0 -w client.pcap arp 2>/dev/null &
sleep 1
ip netns exec web python3 -m http.server 80 &
sleep 2
ip netns exec client curl -s http://10.0.0.2/
ip netns exec client curl -s http://10.0.0.2/notes.txt
echo "curl: $?"
ip netns exec client curl -s -o /dev/null -w '%{http_code} %{size_download}\n' http://10.0.0.2/nothing
kill %2
sleep 2
kill -INT %1
wait
