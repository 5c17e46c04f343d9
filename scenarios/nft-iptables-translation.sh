#!/bin/bash
# `nft list ruleset` of the iptables rules kube-proxy and common firewalls
# write (issue 5): marks (--set-xmark/--or-mark/--xor-mark as libxt_MARK's
# translation prints them), masked and inverted mark matches, statistic
# random, comments (nothing, hence the double spaces), a bare `-m udp`
# keeping `meta l4proto`, multiport, connmark, addrtype, physdev (no
# translation: `xt match physdev`), limit (native: rate in the largest
# whole unit), tcp flags, inverted ports, LOG, CONNMARK save/restore,
# MASQUERADE --random-fully.
iptables -t nat -N KUBE-SERVICES
iptables -t nat -N KUBE-MARK-MASQ
iptables -t nat -N KUBE-POSTROUTING
iptables -t nat -N KUBE-SVC-X
iptables -t nat -A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000
iptables -t nat -A KUBE-MARK-MASQ -j MARK --or-mark 0x4000
iptables -t nat -A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
iptables -t nat -A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0
iptables -t nat -A KUBE-POSTROUTING -j MARK --xor-mark 0x4000
iptables -t nat -A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully
iptables -t nat -A KUBE-SERVICES -d 10.96.0.10/32 -p udp -m comment --comment "kube-system/kube-dns:dns cluster IP" -m udp --dport 53 -j KUBE-SVC-X
iptables -t nat -A KUBE-SVC-X -m statistic --mode random --probability 0.50000000000 -j KUBE-MARK-MASQ
iptables -t nat -A KUBE-SVC-X -p udp -m udp -j DNAT --to-destination 10.244.0.5:53
iptables -t nat -A KUBE-SERVICES -m addrtype --dst-type LOCAL -j KUBE-SVC-X
iptables -A INPUT -m conntrack --ctstate INVALID -j DROP
iptables -A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
iptables -A INPUT -p tcp -m multiport --dports 80,443 -j ACCEPT
iptables -A INPUT -m mark --mark 0x4000/0x4000 -j ACCEPT
iptables -A INPUT -m connmark --mark 0x7 -j ACCEPT
iptables -A INPUT -m addrtype --src-type LOCAL -j ACCEPT
iptables -A INPUT -m physdev --physdev-is-bridged -j ACCEPT
iptables -A INPUT -m limit --limit 5/sec -j ACCEPT
iptables -A INPUT -p tcp --tcp-flags SYN,RST,ACK SYN -j ACCEPT
iptables -A INPUT -p tcp --syn -j ACCEPT
iptables -A INPUT -m state --state NEW -j ACCEPT
iptables -A INPUT -p tcp ! --dport 22 -j DROP
iptables -A INPUT -j LOG --log-prefix "x: "
iptables -t mangle -A PREROUTING -j CONNMARK --restore-mark
iptables -t mangle -A PREROUTING -j CONNMARK --save-mark
iptables -A INPUT -m limit --limit 3/hour --limit-burst 10 -j ACCEPT
iptables -A INPUT -m limit --limit 7/min -j ACCEPT
iptables -A INPUT -m limit --limit 100/day -j ACCEPT
iptables -A INPUT -m limit -j ACCEPT
iptables -A INPUT -p tcp --sport 1000:2000 -j DROP
iptables -A INPUT -p udp ! --sport 53 -j DROP
iptables -A INPUT -m statistic --mode random --probability 0.25 -j DROP
nft list ruleset
nft list chain ip nat KUBE-POSTROUTING
