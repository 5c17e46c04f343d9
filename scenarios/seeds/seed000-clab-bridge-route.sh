#!/bin/bash
# Seed 000, section 3's first lab (a bridge node, `default dev eth1`, no
# gateway): host1 pings the host's LAN address; the host does not answer the
# ARP (strict rp_filter, no route back to 10.0.0.0/24) until
# `ip route add 10.0.0.0/24 dev br0`.
# Preamble (the author's host): eth0 192.168.2.56/24 on a LAN (a veth whose
# peer sits in a namespace), strict rp_filter.
ip netns add lan
ip link add eth0 type veth peer name lan0 netns lan
ip addr add 192.168.2.56/24 dev eth0
ip link set eth0 up
ip -n lan link set lan0 up
sysctl -qw net.ipv4.conf.all.rp_filter=1 net.ipv4.conf.default.rp_filter=1
# --- the article ---

set -v

brctl addbr br0
#ifconfig br0 up
ip link set br0 up

cat <<EOF> clab.yaml | clab deploy -t clab.yaml -
name: basic-bridge-lab
topology:
  nodes:
    br0:
        kind: bridge

    host1:
        kind: linux
        image: nicolaka/netshoot
        network-mode: none
        exec:
        - ip addr add 10.0.0.10/24 dev eth1 
        - ip link set eth1 up
        - ip route add default dev eth1

    host2:
        kind: linux
        image: nicolaka/netshoot
        network-mode: none
        exec:
        - ip addr add 10.0.0.11/24 dev eth1 
        - ip link set eth1 up
        - ip route add default dev eth1

  links:
     - endpoints: ["br0:eth1", "host1:eth1"]
     - endpoints: ["br0:eth2", "host2:eth1"]

EOF

sudo clab destroy -t clab.yaml --cleanup

sudo clab deploy -t clab.yaml
docker exec clab-basic-bridge-lab-host1 ping -c 1 10.0.0.11
tcpdump -pne -i br0 -c 3 arp &
sleep 1
docker exec clab-basic-bridge-lab-host1 ping -c 1 -W 4 192.168.2.56
wait
ip route add 10.0.0.0/24 dev br0
tcpdump -pne -i br0 -c 4 &
sleep 1
docker exec clab-basic-bridge-lab-host1 ping -c 1 192.168.2.56
wait
