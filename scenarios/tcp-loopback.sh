#!/bin/bash
# TCP over loopback in one namespace: lo's 65536-byte MTU gives the SYN an
# MSS of 65495 and the windows that follow from it; nc -N sends FIN at the
# end of its input and the server closes in turn.
ip netns add a
ip netns exec a sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip -n a link set lo up
ip netns exec a tcpdump -nn -i lo -w lo.pcap &
sleep 1
ip netns exec a nc -l -p 7000 &
sleep 1
echo ping | ip netns exec a nc -N 127.0.0.1 7000
echo "client: $?"
wait %2
echo "server: $?"
ip netns exec a nc -zv 127.0.0.1 7001
echo "closed: $?"
sleep 2
kill -INT %1
wait
