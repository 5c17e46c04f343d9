#!/bin/bash
# Seed 000, section 4 ("外部访问容器"): the bridge lab again, host2 runs
# Alpine's nginx (`apk add nginx`, `nginx` among its exec lines), the host
# forwards, masquerades the lab and DNATs TCP port 12345 to 10.0.0.11:80.
# "Other machines" then reach nginx through the host's address and get
# Alpine's default site: a 404 page without the version (server_tokens off),
# exactly the article's output.
# Preamble (the author's host and LAN): eth0 192.168.2.56/24 on a LAN whose
# other machine is a namespace `other` (192.168.2.100) at the far end of a
# veth. The article's `curl 192.168.2.56:12345` runs there as `curl -s` (the
# progress meter goes to a terminal on the author's machine, not here).
# netsim's `apk add nginx` installs without fetching anything: on a fresh
# host the node could not reach a mirror at deploy time (br0 gets 10.0.0.1
# only after the deploy), so the author's br0 probably kept §3's address and
# NAT; the article shows nginx answering, which is what netsim reproduces.
ip netns add other
ip link add eth0 type veth peer name eth0 netns other
ip addr add 192.168.2.56/24 dev eth0
ip link set eth0 up
ip -n other addr add 192.168.2.100/24 dev eth0
ip -n other link set eth0 up
ip -n other link set lo up
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
        - ip route add default via 10.0.0.1 dev eth1

    host2:
        kind: linux
        # 使用一个完整的 Ubuntu 镜像
        image: nicolaka/netshoot
        network-mode: none
        exec:
        - ip addr add 10.0.0.11/24 dev eth1 
        - ip link set eth1 up
        - ip route add default via 10.0.0.1 dev eth1
        - echo "nameserver 223.5.5.5" > /etc/resolv.conf
        - apk add nginx
        - nginx

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

# 增加 DNAT 规则，把 10.0.0.11:80 映射到宿主机的 12345 端口上。
iptables -t nat -A PREROUTING -p tcp --dport 12345 -j DNAT --to-destination 10.0.0.11:80

# --- 其他机器访问 (from the LAN) ---
ip netns exec other curl -s 192.168.2.56:12345
