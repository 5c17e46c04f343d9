#!/bin/bash
# nft's log and limit statements (issue 5): an input chain lets echo
# requests through at 2 per second with a burst of 1 (nft_limit's token
# bucket) and logs and drops the rest; pings every 0.3 s alternate between
# answered and dropped. The log line is nf_log_syslog's, as for iptables'
# LOG target (verify sets net.netfilter.nf_log_all_netns=1 for a script
# that reads dmesg; the log is the machine's, so it is cleared first).
# The output chain marks the replies
# and logs them without a prefix, the mark in MARK=.
sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
for n in a b; do
  ip netns add $n
  ip netns exec $n sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
ip link add v0 netns a type veth peer name v1 netns b
ip -n a link set v0 address 02:00:00:00:4a:01
ip -n b link set v1 address 02:00:00:00:4b:01
ip -n a addr add 10.7.0.1/24 dev v0
ip -n b addr add 10.7.0.2/24 dev v1
ip -n a link set v0 up
ip -n b link set v1 up
ip netns exec a ping -c 1 10.7.0.2 > /dev/null
ip netns exec b nft -f - <<'X'
table inet t {
	chain input {
		type filter hook input priority filter; policy accept;
		icmp type echo-request limit rate 2/second burst 1 packets counter accept
		icmp type echo-request log prefix "nft-over: " counter drop
	}

	chain output {
		type filter hook output priority filter; policy accept;
		meta mark set 0x2a
		icmp type echo-reply limit rate 10/minute log
	}
}
X
dmesg -C
ip netns exec a ping -c 6 -i 0.3 10.7.0.2 | grep -c "bytes from"
dmesg
ip netns exec b nft list ruleset
