#!/bin/bash
# Connection tracking is per namespace and on demand: listing the nat table
# does not create it, so nothing is tracked; a rule that needs conntrack
# (here -m state) turns tracking on, and deleting the last such rule turns
# it off again while the entries already made live out their timeouts.
# Listing, checking, zeroing or flushing a table that does not exist leaves
# it nonexistent (iptables-save prints nothing for it). And -P zeroes the
# policy's counters.
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
# -P sends the chain with zero counters: the policy's count starts again.
iptables -P OUTPUT ACCEPT
ping -c 2 -i 0.2 127.0.0.1 > /dev/null
iptables -L OUTPUT -v -n
iptables -P OUTPUT ACCEPT
iptables -L OUTPUT -v -n
# Without -n: "any" for no interface, service names, and 127.0.0.1 named
# from /etc/hosts.
iptables -A FORWARD -i eth0 -p tcp --dport 80 -j ACCEPT
iptables -A FORWARD -o lo -s 127.0.0.1 -j DROP
iptables -L FORWARD -v
