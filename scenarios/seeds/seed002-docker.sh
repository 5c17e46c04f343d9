#!/bin/bash
# Seed 002 (single-host container networking), its docker commands as written.
# Preamble/adaptation: the article's `docker exec -it containerA sh` sessions
# are written as `docker exec containerA CMD` (interactive shells are not
# modelled); the author's containerA got 172.17.0.3 because of the state of
# their machine, here the addresses follow creation order, so containerB is
# started first to match. ifconfig, ping and arp inside are BusyBox's applets
# as in nginx:alpine; route -n prints the same table in both.
# Preamble (the author's host has an uplink, eth0 10.3.8.6): an "upstream"
# namespace behind eth0 holds 8.8.8.8 on its loopback; the host routes to it.
ip netns add upstream
ip link add eth0 type veth peer name eth0 netns upstream
ip addr add 10.3.8.6/24 dev eth0
ip link set eth0 up
ip -n upstream addr add 10.3.8.1/24 dev eth0
ip -n upstream link set eth0 up
ip -n upstream link set lo up
ip -n upstream addr add 8.8.8.8/32 dev lo
ip route add default via 10.3.8.1
# --- the article ---

# 172.17.0.2
docker run -d --name containerB nginx:alpine > /dev/null
# 172.17.0.3
docker run -d --name containerA nginx:alpine > /dev/null

docker exec containerA ifconfig
docker exec containerA route -n
docker exec -it containerA ping -c 2 172.17.0.2
docker exec containerA arp -n
brctl show
ip a show docker0
# The article captures on containerB's host end (its veth63935af; here
# veth5eeeef4, the @if5 of containerB's eth0) while both containers ping
# docker0. containerB's ARP cache is cold here, so its ARP exchange shows too.
tcpdump -i veth5eeeef4 -nn -c 5 &
sleep 1
docker exec containerA ping -c 3 172.17.0.1
docker exec containerB ping -c 3 172.17.0.1
wait
brctl showmacs docker0
iptables -S
iptables -t nat -S

# veth pair into docker0 by hand (the article's `ip netns exec ns1 /bin/bash`
# session written as ip netns exec ns1 CMD).
ip netns add ns1
ip link add veth-ns1 type veth peer name veth-host
ip link set veth-ns1 netns ns1
ip netns exec ns1 ip link set lo up
ip netns exec ns1 ip addr add 172.17.0.100/16 dev veth-ns1
ip netns exec ns1 ip link set veth-ns1 up
brctl addif docker0 veth-host
ip link set veth-host up
ip netns exec ns1 ping -c 2 172.17.0.2
ping -c 2 172.17.0.100

# containerA reaches 8.8.8.8 through MASQUERADE; captures on eth0 and docker0.
tcpdump -i eth0 -nn host 8.8.8.8 -w eth0.pcap 2>/dev/null &
tcpdump -i docker0 -nn host 8.8.8.8 -w docker0.pcap 2>/dev/null &
sleep 1
docker exec containerA ping -c 2 8.8.8.8
conntrack -L -d 8.8.8.8 -o extended
sleep 2
kill -INT %1 %2
wait
iptables -t nat -L POSTROUTING -n -v

# ns1 with docker0 as its gateway.
ip netns exec ns1 ip route add default via 172.17.0.1
ip netns exec ns1 ip route show
ip netns exec ns1 ping -c 2 8.8.8.8
