#!/bin/bash
# Seed 000, section 2 (veth pair), as written; then what the author typed in the
# nodes (`host1:~# ip a s veth1`, a capture on host2 while host1 pings), as
# `docker exec clab-LAB-NODE CMD` (interactive shells are not modelled).

set -v

cat <<EOF> clab.yaml | clab deploy -t clab.yaml -
name: basic-veth-pair
topology:
  nodes:
    host1:
        kind: linux
        image: nicolaka/netshoot
        network-mode: none
        exec:
        - ip addr add 192.168.1.2/24 dev veth1 
        - ip link set veth1 up
        - ip route add default dev veth1

    host2:
        kind: linux
        image: nicolaka/netshoot
        network-mode: none
        exec:
        - ip addr add 192.168.1.3/24 dev veth1 
        - ip link set veth1 up
        - ip route add default dev veth1

  links:
     - endpoints: ["host1:veth1", "host2:veth1"]

EOF

sudo clab destroy -t clab.yaml --cleanup

sudo clab deploy -t clab.yaml
docker exec clab-basic-veth-pair-host1 ip a s veth1
docker exec clab-basic-veth-pair-host2 tcpdump -pne -i veth1 -c 4 &
sleep 1
docker exec clab-basic-veth-pair-host1 ping -c 1 192.168.1.3
wait
# 题外话: host1 pings 223.5.5.5 over `default dev veth1`: only ARP, three times.
docker exec clab-basic-veth-pair-host2 tcpdump -pne -i veth1 -c 3 arp &
sleep 1
docker exec clab-basic-veth-pair-host1 ping -c 1 -W 4 223.5.5.5
wait
