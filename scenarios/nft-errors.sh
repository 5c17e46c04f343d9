#!/bin/bash
# What nft answers to mistakes (issue 5): the kernel's errno as
# "Could not process rule", the command echoed with a caret line under
# the object that is missing or exists, syntax errors with file:line:col
# for `nft -f`, exit status 1, and a failing file applies nothing (the
# batch is a transaction). A missing chain or table of a similar name to
# an existing one gets nft's "did you mean" suggestion. Anonymous sets and
# maps list sorted, an element inside another merged away; an interval set
# refuses overlapping elements.
nft add rule inet filter input accept; echo "no table: $?"
nft add table inet filter
nft add rule inet filter input accept; echo "no chain: $?"
nft create table inet filter; echo "create twice: $?"
nft add table inet filter; echo "add twice: $?"
nft add chain inet filter input '{ type filter hook input priority 0; policy accept; }'
nft create chain inet filter input; echo "create chain twice: $?"
nft add rule inet filter input tcp dport 22 accept
nft delete rule inet filter input handle 99; echo "no handle: $?"
nft delete chain inet filter input; echo "delete chain with rules: $?"
nft add chain inet filter input '{ type filter hook input priority 0; }'
nft add chain inet filter sub
nft add rule inet filter input jump nosuch; echo "jump to missing chain: $?"
nft add rule inet filter input jump sub
nft delete chain inet filter sub; echo "delete referenced chain: $?"
nft add rule inet filter inptu accept; echo "misspelt chain: $?"
nft add rule inet filtre input accept; echo "misspelt table: $?"
nft add rule inet filter input ip saddr @nosuch accept; echo "missing set: $?"
nft add rule inet filter input ip saddr 10.0.0.300 accept; echo "bad address: $?"
nft add rule inet filter input tcp dport 22 bogus; echo "syntax: $?"
nft delete table ip nosuch; echo "delete missing table: $?"
nft list table ip nosuch; echo "list missing table: $?"
nft list chain inet filter nosuch; echo "list missing chain: $?"
cat > bad.nft <<'X'
table ip t {
	chain c {
		type filter hook input priority 0; policy accept;
		tcp dport 22 accept
		nosuch
	}
}
X
nft -f bad.nft; echo "bad file: $?"
nft list tables
cat > half.nft <<'X'
add table ip half
add chain ip half c
add rule ip half nochain accept
X
nft -f half.nft; echo "half file: $?"
nft list tables
nft -f nosuch.nft; echo "missing file: $?"
nft add set inet filter ports '{ type inet_service; }'
nft add element inet filter ports '{ 443, 22, 80 }'
nft add element inet filter ports '{ 10.0.0.1 }'; echo "address in a port set: $?"
nft -a list set inet filter ports
nft add table ip sets
nft add chain ip sets c
nft add rule ip sets c tcp dport '{ 80, 22, 8000-8080, 443 }' accept
nft add rule ip sets c ip saddr '{ 10.0.0.9, 10.0.0.1, 9.0.0.0/8 }' accept
nft add rule ip sets c ct state '{ new, established }' accept
nft add rule ip sets c tcp dport vmap '{ 80 : accept, 22 : drop }'
nft add rule ip sets c ip saddr '{ 10.0.0.0/8, 10.0.0.1 }' accept
nft add set ip sets s '{ type ipv4_addr; flags interval; }'
nft add element ip sets s '{ 10.0.0.0/8, 10.1.0.0/16 }'; echo "overlapping elements: $?"
nft add element ip sets s '{ 10.0.0.0/8 }'; echo "an interval: $?"
nft add element ip sets s '{ 10.0.0.0/8 }'; echo "the same again: $?"
nft add element ip sets s '{ 10.2.0.0/16 }'; echo "inside an existing one: $?"
nft add element ip sets s '{ 192.168.0.1, 192.168.0.1 }'; echo "twice in one command: $?"
nft add table ip nat
nft add chain ip nat p '{ type nat hook prerouting priority dstnat; }'
nft add rule ip nat p dnat to 1.2.3.4:80; echo "port without a protocol match: $?"
nft add rule ip nat p th dport 5 dnat to 1.2.3.4:80; echo "th is not one: $?"
nft add rule ip nat p meta l4proto udp dnat to 1.2.3.4:80
nft add rule ip nat p meta nfproto ipv4 accept; echo "nfproto in an ip table: $?"
nft -a list ruleset
nft flush ruleset
nft list ruleset; echo "after flush: $?"
