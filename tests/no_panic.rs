//! Robustness: thousands of scripts assembled at random from the commands,
//! options and values scenarios use (many of them nonsense) must each end
//! in output or a clean refusal, never a panic or a hang.

use sim::model::HostProfile;

/// A tiny deterministic generator (SplitMix64), so failures reproduce.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn pick<'a>(&mut self, v: &[&'a str]) -> &'a str {
        v[(self.next() % v.len() as u64) as usize]
    }
}

const HEADS: &[&str] = &[
    "ip",
    "ip -n a",
    "ip -n b",
    "ip netns exec a",
    "ip netns exec b",
    "bridge",
    "brctl",
    "sysctl -w",
    "sysctl",
    "ping -c 1 -W 1",
    "tcpdump -c 1 -i",
    "ifconfig",
    "route -n",
    "arp -n",
    "echo",
    "sleep",
];
const WORDS: &[&str] = &[
    "netns",
    "add",
    "del",
    "link",
    "addr",
    "route",
    "neigh",
    "set",
    "show",
    "up",
    "down",
    "dev",
    "type",
    "veth",
    "bridge",
    "peer",
    "name",
    "master",
    "nomaster",
    "a",
    "b",
    "x0",
    "x1",
    "br0",
    "lo",
    "10.0.0.1/24",
    "10.0.0.2",
    "10.0.0.0/24",
    "default",
    "via",
    "10.0.0.254",
    "onlink",
    "metric",
    "5",
    "address",
    "02:00:00:00:00:01",
    "mtu",
    "1400",
    "fdb",
    "lladdr",
    "nud",
    "permanent",
    "addbr",
    "addif",
    "delif",
    "showmacs",
    "showstp",
    "setageing",
    "0",
    "1",
    "net.ipv4.ip_forward=1",
    "net.ipv4.conf.all.rp_filter=2",
    "net.ipv6.conf.all.disable_ipv6=1",
    "-1",
    "300",
    "",
    "get",
    "flush",
    "replace",
    "unreachable",
    "table",
    "local",
    "all",
    "-br",
    "-d",
    "-s",
    "-j",
    "icmp",
    "arp",
    "or",
    "host",
    "127.0.0.1",
    "255.255.255.255",
    "0.0.0.0/0",
    "/33",
    "::1",
    "%1",
    "&&",
    "||",
    "|",
    ";",
];

#[test]
fn random_scripts_never_panic() {
    let mut g = Gen(2026);
    let (mut ran, mut refused_mid_run) = (0, 0);
    for _ in 0..3000 {
        let mut src = String::from("ip netns add a\nip netns add b\n");
        for _ in 0..(g.next() % 12) {
            src.push_str(g.pick(HEADS));
            for _ in 0..(g.next() % 7) {
                src.push(' ');
                src.push_str(g.pick(WORDS));
            }
            src.push_str(if g.next().is_multiple_of(5) { " &\n" } else { "\n" });
        }
        // Either result is fine; reaching here without a panic is the point.
        match sim::simulate(&src, "fuzz.sh", HostProfile::plain(), g.next(), g.next().is_multiple_of(2)) {
            Ok(_) => ran += 1,
            Err(f) if f.partial.is_some() => refused_mid_run += 1,
            Err(_) => {}
        }
    }
    // The mix must exercise the tools, not only the parser's refusals.
    eprintln!("{ran} ran, {refused_mid_run} stopped at an unsupported command");
    assert!(ran + refused_mid_run > 1000, "only {ran} ran and {refused_mid_run} started");
}
