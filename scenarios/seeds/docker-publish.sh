#!/bin/bash
# docker run -p: a published TCP port reached from outside the host, through
# Docker 28.0's rules (nat DOCKER DNAT, filter DOCKER accept); and a user
# network (br-<id>) isolated from docker0 by DOCKER-ISOLATION-STAGE-1/2.
# The image's own server (nginx -g 'daemon off;') serves its welcome page.
# Preamble: a client beyond the host's eth0 (10.3.8.6).
ip netns add client
ip link add eth0 type veth peer name eth0 netns client
ip addr add 10.3.8.6/24 dev eth0
ip link set eth0 up
ip -n client addr add 10.3.8.1/24 dev eth0
ip -n client link set eth0 up
ip -n client link set lo up
docker run -d --name web -p 8080:80 nginx:alpine > /dev/null
ip netns exec client curl -sS -o /dev/null -w '%{http_code} %{size_download}\n' http://10.3.8.6:8080/
ip netns exec client curl -sS http://10.3.8.6:8080/missing
docker ps
iptables -L DOCKER -n -v
iptables -t nat -L DOCKER -n -v
docker network create backend > /dev/null
docker run -d --name db --network backend alpine sleep infinity > /dev/null
docker exec db ip addr show eth0
docker exec db ping -c 1 -W 1 172.17.0.2
docker exec web ping -c 1 -W 1 172.18.0.2
iptables -L DOCKER-ISOLATION-STAGE-2 -n -v
docker rm -f web db
docker network rm backend
iptables -t nat -S
