//! nft in the simulator, beyond the kernel-recorded scenarios: the batch
//! is a transaction, rules are evaluated in the datapath as written
//! (sets, ranges, verdict maps, jumps, NAT maps), equal priorities run
//! the later registered chain first, and what is not modelled is refused
//! with a message instead of being skipped.

use sim::model::HostProfile;

fn run(src: &str) -> sim::RunOutput {
    sim::simulate(src, "t.sh", HostProfile::plain(), 0, false).unwrap_or_else(|f| panic!("{}", f.error))
}

fn refused(src: &str) -> String {
    match sim::simulate(src, "t.sh", HostProfile::plain(), 0, false) {
        Ok(o) => panic!("accepted: {}", o.stdout()),
        Err(f) => f.error.to_string(),
    }
}

/// Two namespaces on a veth pair, 10.9.0.1 and 10.9.0.2.
const PAIR: &str = "ip netns add a\nip netns add b\nip link add v0 netns a type veth peer name v1 netns b\n\
ip -n a addr add 10.9.0.1/24 dev v0\nip -n b addr add 10.9.0.2/24 dev v1\n\
ip -n a link set v0 up\nip -n b link set v1 up\n";

// Proves a failing `nft -f` applies none of its commands and exits 1.
#[test]
fn a_failing_file_applies_nothing() {
    let o = run("cat > f.nft <<'X'\nadd table ip t\nadd chain ip t c\nadd rule ip t nope accept\nX\n\
         nft -f f.nft; echo rc=$?\nnft list tables; echo listed=$?\n");
    assert_eq!(o.stdout(), "rc=1\nlisted=0\n");
    assert!(o.stderr().starts_with("f.nft:3:15-18: Error: "), "{}", o.stderr());
}

// Proves anonymous sets with ranges, named sets with prefixes, negation
// and verdict maps decide in the datapath as their text says.
#[test]
fn sets_ranges_and_vmaps_decide() {
    let src = format!(
        "{PAIR}ip netns exec b nft -f - <<'X'\n\
table ip t {{\n\
\tset deny {{ type ipv4_addr; flags interval; elements = {{ 10.9.0.0/30 }} }}\n\
\tchain input {{\n\
\t\ttype filter hook input priority 0; policy accept;\n\
\t\ticmp type vmap {{ echo-request : jump pings }}\n\
\t}}\n\
\tchain pings {{\n\
\t\tip saddr != 10.9.0.1-10.9.0.1 counter accept\n\
\t\tip saddr @deny counter drop\n\
\t}}\n\
}}\nX\n\
ip netns exec a ping -c 1 -W 1 10.9.0.2 > /dev/null; echo ping=$?\n\
ip netns exec b nft delete element ip t deny '{{ 10.9.0.0/30 }}'\n\
ip netns exec a ping -c 1 -W 1 10.9.0.2 > /dev/null; echo ping=$?\n\
ip netns exec b nft list chain ip t pings\n"
    );
    let o = run(&src);
    assert_eq!(
        o.stdout(),
        "ping=1\nping=0\ntable ip t {\n\tchain pings {\n\t\tip saddr != 10.9.0.1-10.9.0.1 counter packets 0 bytes 0 accept\n\t\tip saddr @deny counter packets 1 bytes 84 drop\n\t}\n}\n"
    );
}

// Proves two chains at one priority run the later registered first: its
// mark is already set when the earlier one reads it.
#[test]
fn equal_priority_runs_the_later_chain_first() {
    let src = format!(
        "{PAIR}ip netns exec b nft add table ip x\n\
ip netns exec b nft add chain ip x c '{{ type filter hook input priority 0; }}'\n\
ip netns exec b nft add rule ip x c meta mark 0x7 counter drop\n\
ip netns exec b nft add table ip y\n\
ip netns exec b nft add chain ip y c '{{ type filter hook input priority 0; }}'\n\
ip netns exec b nft add rule ip y c meta mark set 0x7\n\
ip netns exec a ping -c 1 -W 1 10.9.0.2 > /dev/null; echo ping=$?\n"
    );
    assert_eq!(run(&src).stdout(), "ping=1\n");
}

// Proves a dnat map rewrites only the keys it holds and the nat chain sees
// a connection's first packet only.
#[test]
fn dnat_map_binds_first_packet_only() {
    let src = format!(
        "{PAIR}ip netns exec b nft add table ip nat\n\
ip netns exec b nft add chain ip nat pre '{{ type nat hook prerouting priority dstnat; }}'\n\
ip netns exec b nft add rule ip nat pre counter dnat to udp dport map {{ 5000 : 10.9.0.2 }}\n\
ip netns exec b nc -u -l -p 5000 &\nsleep 1\n\
ip netns exec a nc -u -w 1 10.9.0.2 5000 <<'X'\na\nb\nX\n\
ip netns exec b nft list table ip nat\nkill %1\n"
    );
    let out = run(&src).stdout();
    assert!(out.contains("counter packets 1 bytes"), "{out}");
}

// Proves a named verdict map keyed on a concatenation decides in the
// datapath, and a deleted element no longer does.
#[test]
fn concatenated_vmap_decides_and_elements_delete() {
    let src = format!(
        "{PAIR}ip netns exec b nft -f - <<'X'\n\
add table ip t\n\
add chain ip t input {{ type filter hook input priority 0 ; }}\n\
add chain ip t deny\n\
add map ip t m {{ type ipv4_addr . inet_proto . inet_service : verdict ; }}\n\
add rule ip t deny counter drop\n\
add rule ip t input ip saddr . meta l4proto . th dport vmap @m\n\
add element ip t m {{ 10.9.0.1 . udp . 5000 : goto deny }}\n\
X\n\
ip netns exec b nc -u -l -p 5000 &\nsleep 1\n\
ip netns exec a nc -u -w 1 10.9.0.2 5000 <<'X'\na\nX\n\
ip netns exec b nft delete element ip t m '{{ 10.9.0.1 . udp . 5000 }}'\n\
ip netns exec a nc -u -w 1 10.9.0.2 5000 <<'X'\nb\nX\n\
ip netns exec b nft list chain ip t deny\nkill %1\n"
    );
    let out = run(&src).stdout();
    assert!(out.starts_with("b\n"), "{out}");
    assert!(out.contains("counter packets 1 bytes 30 drop"), "{out}");
}

// Proves `numgen inc mod 2` alternates from 0 and `dnat to numgen ... map`
// picks the address its number maps to.
#[test]
fn numgen_inc_alternates() {
    let src = format!(
        "{PAIR}ip netns exec b nft -f - <<'X'\n\
table ip t {{\n\
\tchain input {{\n\
\t\ttype filter hook input priority 0; policy accept;\n\
\t\tudp dport 5000 numgen inc mod 2 vmap {{ 0 : jump zero, 1 : jump one }}\n\
\t}}\n\
\tchain zero {{\n\
\t\tcounter\n\
\t}}\n\
\tchain one {{\n\
\t\tcounter\n\
\t}}\n\
}}\nX\n\
ip netns exec b nc -u -l -p 5000 > /dev/null &\nsleep 1\n\
ip netns exec a nc -u -w 1 10.9.0.2 5000 <<'X'\na\nX\n\
ip netns exec a nc -u -w 1 10.9.0.2 5000 <<'X'\nb\nX\n\
ip netns exec a nc -u -w 1 10.9.0.2 5000 <<'X'\nc\nX\n\
ip netns exec b nft list chain ip t zero\nip netns exec b nft list chain ip t one\nkill %1\n"
    );
    let out = run(&src).stdout();
    assert!(out.contains("chain zero {\n\t\tcounter packets 2 bytes"), "{out}");
    assert!(out.contains("chain one {\n\t\tcounter packets 1 bytes"), "{out}");
}

// Proves what is not modelled stops the run with a message naming it.
#[test]
fn unmodelled_forms_are_refused() {
    assert!(refused("nft add table ip6 t\n").contains("family ip6"));
    assert!(refused("nft add table ip t\nnft add chain ip t c\nnft add rule ip t c log flags all\n")
        .contains("log options other than prefix and level"));
    assert!(refused(
        "nft add table ip t\nnft add set ip t s '{ type ipv4_addr; elements = { 1.2.3.4 timeout 1s }; }'\n"
    )
    .contains("element timeout"));
    assert!(refused("nft add table ip t\nnft add map ip t m '{ type ipv4_addr : ether_addr; }'\n")
        .contains("map data type ether_addr"));
    // On the kernel nft's `table ip filter` and iptables-nft's are one table.
    let e = refused("nft add table ip filter\niptables -A INPUT -j ACCEPT\n");
    assert!(e.contains("shared by nft and iptables-nft"), "{e}");
    let e = refused("iptables -A INPUT -m iprange --src-range 10.0.0.1-10.0.0.9 -j ACCEPT\nnft list ruleset\n");
    assert!(e.contains("rule 1 of chain INPUT (-m iprange)"), "{e}");
}
