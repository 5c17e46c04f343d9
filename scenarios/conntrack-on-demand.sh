#!/bin/bash
# Connection tracking is per namespace and on demand: listing the nat table
# does not create it, so nothing is tracked; a rule that needs conntrack
# (here -m state) turns tracking on, and deleting the last such rule turns
# it off again while the entries already made live out their timeouts.
# Listing, checking, zeroing or flushing a table that does not exist leaves
# it nonexistent (iptables-save prints nothing for it).
ip link set lo up
iptables -t nat -L -n > /dev/null
iptables -t nat -S
iptables -t nat -C POSTROUTING -j ACCEPT; echo "check: $?"
iptables -t mangle -Z
iptables -t raw -F
iptables -L -n > /dev/null
iptables-save
ping -c 1 127.0.0.1 > /dev/null
conntrack -L
iptables -A INPUT -m state --state NEW
ping -c 1 127.0.0.1 > /dev/null
conntrack -L
iptables -D INPUT 1
ping -c 1 127.0.0.2 > /dev/null
conntrack -L
iptables-save
