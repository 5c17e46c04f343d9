#!/bin/bash
# nft notrack (issue 5): a raw-priority output chain marks echo requests
# untracked, so conntrack keeps no entry for them, `ct state untracked`
# counts them in the filter chain and `ct state new` sees none.
ip link set lo up
nft add table ip t
nft add chain ip t raw '{ type filter hook output priority raw; }'
nft add chain ip t f '{ type filter hook output priority filter; }'
nft add rule ip t raw icmp type echo-request notrack
nft add rule ip t f ct state untracked counter
nft add rule ip t f ct state new counter
nft add rule ip t f ct state established counter
ping -c 2 -q 127.0.0.1 > /dev/null; echo rc=$?
conntrack -L 2>&1
nft list ruleset
