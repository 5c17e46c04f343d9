#!/bin/bash
# iptables -v with a rule command prints each rule it hands the kernel
# (iptables-nft's print_firewall without the table layout): one line per
# -s/-d combination, inversions, -f, [goto], the matches' and target's
# text; also for -D, -R, -C and -I, and when the kernel then refuses it.
# Then NFLOG --nflog-range: a warning, ignored.
ip link set lo up
iptables -A INPUT -s 1.2.3.4 -j ACCEPT -v
iptables -v -I INPUT -p tcp --dport 22 -i eth0 -j DROP
iptables -A OUTPUT -v -o lo -d 10.0.0.0/8 -p udp -m udp --sport 53 -m comment --comment hi
iptables -N FOO
iptables -A INPUT -v -j FOO
iptables -A INPUT -v -g FOO
iptables -A INPUT -v ! -s 1.2.3.4 ! -i eth1 -f -j REJECT
iptables -A INPUT -v ! -p 47 -j ACCEPT
iptables -A INPUT -v -p sctp -j ACCEPT
iptables -t nat -A POSTROUTING -v -s 10.0.0.0/24 -d 1.2.3.4,5.6.7.8 -j MASQUERADE
iptables -D INPUT -v -s 1.2.3.4 -j ACCEPT
iptables -R INPUT 1 -v -s 1.2.3.5 -j ACCEPT
iptables -C INPUT -v -s 1.2.3.5 -j ACCEPT
iptables -C INPUT -v -s 1.2.3.6 -j ACCEPT; echo "rc=$?"
iptables -D INPUT 1 -v
iptables -A INPUT -v -c 5 10 -j ACCEPT
iptables -A INPUT -v -m owner --uid-owner 0; echo "rc=$?"
iptables -A INPUT -v -m state --state NEW -m mark --mark 0x5/0xff -j MARK --set-mark 7
iptables -A INPUT -v -p icmp --icmp-type echo-request -j LOG --log-prefix "in: "
iptables -S
iptables -D INPUT -v -s 1.2.3.9 -j ACCEPT; echo "rc=$?"
iptables -R INPUT 50 -v -s 1.2.3.9 -j ACCEPT; echo "rc=$?"
iptables -I INPUT 50 -v -s 1.2.3.9 -j ACCEPT; echo "rc=$?"
iptables -A NOPE -v -s 1.2.3.9 -j ACCEPT; echo "rc=$?"
# NFLOG's --nflog-range is parsed, warned about and ignored (also by
# iptables-restore); with --nflog-size the command is refused.
iptables -A INPUT -j NFLOG --nflog-range 1; echo "rc=$?"
iptables -A INPUT -j NFLOG --nflog-range 5 --nflog-size 7; echo "rc=$?"
iptables -A INPUT -j NFLOG --nflog-range 4294967296; echo "rc=$?"
iptables-restore -n <<'END'
*filter
-A FORWARD -j NFLOG --nflog-range 2
COMMIT
END
echo "rc=$?"
iptables -S
