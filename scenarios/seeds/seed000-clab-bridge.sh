#!/bin/bash
# Seed 000, section 3 (bridge + gateway + SNAT), as written; then host2 pings
# the bridge's address through br0 and a capture on br0 shows it.

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
        # Host 配置网关指向 br0 
        - ip route add default via 10.0.0.1 dev eth1

    host2:
        kind: linux
        image: nicolaka/netshoot
        network-mode: none
        exec:
        - ip addr add 10.0.0.11/24 dev eth1 
        - ip link set eth1 up
        # Host 配置网关指向 br0 
        - ip route add default via 10.0.0.1 dev eth1

  links:
     - endpoints: ["br0:eth1", "host1:eth1"]
     - endpoints: ["br0:eth2", "host2:eth1"]

EOF

sudo clab destroy -t clab.yaml --cleanup

sudo clab deploy -t clab.yaml

# br0 增加 ip
ip addr add 10.0.0.1/24 dev br0
# 允许 forward 和配置 SNAT 。
sysctl -w net.ipv4.ip_forward=1
iptables -t nat -A POSTROUTING -s 10.0.0.0/24 -j MASQUERADE
brctl show br0
tcpdump -pne -i br0 -c 4 &
sleep 1
docker exec clab-basic-bridge-lab-host2 ping -c 1 10.0.0.1
wait
sudo clab destroy -t clab.yaml --cleanup
ip -br link
