#!/bin/bash
# nc -l -v reports the listening address and each connection through
# getnameinfo: 127.0.0.1 is "localhost" (/etc/hosts), other addresses need
# DNS, which a fresh namespace cannot reach, so nc warns instead; -n prints
# numbers.
ip netns add a
ip -n a link set lo up
ip netns exec a nc -lv -p 7000 &
sleep 0.5
echo hi | ip netns exec a nc -q 0 127.0.0.1 7000
sleep 0.5
ip netns exec a nc -luv -p 7001 &
udp=$!
sleep 0.5
echo hi | ip netns exec a nc -u -q 0 127.0.0.1 7001
sleep 0.5
ip netns exec a nc -lv 127.0.0.1 7002 &
sleep 0.5
ip netns exec a nc -z 127.0.0.1 7002; echo "z $?"
sleep 0.5
ip netns exec a nc -lvn -p 7003 &
sleep 0.5
ip netns exec a nc -zn 127.0.0.1 7003; echo "zn $?"
sleep 0.5
kill $udp
