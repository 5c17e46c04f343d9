#!/bin/bash
# nft's tcp flags forms (issue 5), counted on the output hook while nc
# connects over loopback: `tcp flags syn` matches any of the listed bits
# (the SYN and the SYN-ACK), `== syn` the whole byte (the SYN only),
# `& (syn|ack) == syn|ack` (listed as `syn,ack / syn,ack`) the SYN-ACK, and
# `syn / syn,rst,ack` the SYN. Only SYN-flagged segments are counted: how
# the connection closes is a race on the kernel.
ip link set lo up
nft add table ip t
nft add chain ip t o '{ type filter hook output priority 0; }'
nft add rule ip t o tcp flags syn counter
nft add rule ip t o tcp flags == syn counter
nft add rule ip t o tcp flags '& (syn|ack) == syn|ack' counter
nft add rule ip t o tcp flags syn / syn,rst,ack counter
nc -l -p 5555 >/dev/null &
sleep 1
nc -z 127.0.0.1 5555; echo "nc: $?"
sleep 1
nft list ruleset
wait
