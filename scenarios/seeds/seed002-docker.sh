#!/bin/bash
# Seed 002 (single-host container networking), its docker commands as written.
# Preamble/adaptation: the article's `docker exec -it containerA sh` sessions
# are written as `docker exec containerA CMD` (interactive shells are not
# modelled); the author's containerA got 172.17.0.3 because of the state of
# their machine, here the addresses follow creation order, so containerB is
# started first to match. Commands inside print as iputils/net-tools do, not as
# the image's busybox.

# 172.17.0.2
docker run -d --name containerB nginx:alpine > /dev/null
# 172.17.0.3
docker run -d --name containerA nginx:alpine > /dev/null

docker exec containerA ifconfig eth0 | grep -v packets
docker exec containerA route -n
docker exec -it containerA ping -c 2 172.17.0.2
docker exec containerA arp -n
brctl show
docker exec containerB ping -c 3 172.17.0.1
iptables -S
iptables -t nat -S
iptables -t nat -L POSTROUTING -n -v
