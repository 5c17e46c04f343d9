//! `netsim explain` on the classic surprises: the stories name the deciding
//! rule, sysctl or route and the kernel's drop reason, and each hint's
//! command is the very fix the scenario applies next, after which the
//! kernel-recorded golden shows the packet getting through. Snapshots of
//! the explain text guard the wording (netsim's own rendering, reviewed
//! with `cargo insta review`, never from the kernel).

use netsim_tests::{name, root, scenarios, simulate};
use sim::capture::filter::Filter;
use sim::explain::{report, run_traced, stories, OutcomeKind, Traced};
use sim::trace::DropReason;
use sim::verify::Golden;

/// Runs a scenario traced, with the host profile its kernel golden was
/// recorded with (so the story is the one the kernel lived).
fn traced(scenario: &str) -> Traced {
    let script = root().join("scenarios").join(format!("{scenario}.sh"));
    let golden = Golden::load(&root().join("golden").join(scenario)).expect("the scenario has a kernel golden");
    let src = std::fs::read_to_string(&script).expect("scenario is readable");
    match run_traced(&src, &format!("scenarios/{scenario}.sh"), golden.profile, 0) {
        Ok(t) => t,
        Err(f) => panic!("{scenario}: {}", f.error),
    }
}

fn script_text(scenario: &str) -> String {
    std::fs::read_to_string(root().join("scenarios").join(format!("{scenario}.sh"))).expect("readable")
}

fn golden_stdout(scenario: &str) -> String {
    std::fs::read_to_string(root().join("golden").join(scenario).join("stdout")).expect("golden stdout")
}

/// The command quoted in backticks after `marker` in a hint.
fn quoted_after(hint: &str, marker: &str) -> String {
    let rest = &hint[hint.find(marker).unwrap_or_else(|| panic!("no {marker:?} in {hint}")) + marker.len()..];
    let start = rest.find('`').expect("a quoted command") + 1;
    let end = start + rest[start..].find('`').expect("closing backquote");
    rest[start..end].to_string()
}

#[test]
fn tracing_changes_nothing_the_script_sees() {
    // The trace only observes: every scenario prints and writes the same
    // bytes with the trace on as with it off.
    for script in scenarios() {
        let profile = Golden::load(&root().join("golden").join(name(&script))).map(|g| g.profile).unwrap_or_default();
        let plain = simulate(&script, profile.clone(), 0);
        let src = std::fs::read_to_string(&script).expect("readable");
        let shown = format!("scenarios/{}", script.file_name().expect("name").to_string_lossy());
        let t = run_traced(&src, &shown, profile, 0).unwrap_or_else(|f| panic!("{}: {}", script.display(), f.error));
        assert_eq!(plain.output, t.run.output, "{}", script.display());
        assert_eq!(plain.files, t.run.files, "{}", script.display());
        assert!(!t.trace.events.is_empty() || plain.stats.hops == 0, "{}: no trace", script.display());
    }
}

#[test]
fn br_netfilter_forward_drop_names_the_policy_and_the_sysctl() {
    // The first echo request is bridged, yet dropped by iptables FORWARD's
    // policy: the story says br_netfilter sent it there because of
    // bridge-nf-call-iptables=1, and the hint's rule is the one the script
    // adds next, after which the kernel's ping succeeds.
    let t = traced("br-netfilter-forward-drop");
    let all = stories(&t.trace, &|f| Filter::parse("icmp").expect("valid").matches(f));
    let first = &all[0];
    assert_eq!(first.outcome.kind, OutcomeKind::Dropped(DropReason::NetfilterDrop));
    assert_eq!(first.outcome.place, "root/br-0");
    let hint = first.outcome.hint.as_deref().expect("a hint");
    assert!(hint.contains("policy DROP"), "{hint}");
    assert!(hint.contains("net.bridge.bridge-nf-call-iptables=1"), "{hint}");
    let fix = quoted_after(hint, "Accept it before the policy: ");
    assert_eq!(fix, "iptables -A FORWARD -i br-0 -o br-0 -j ACCEPT");
    assert!(script_text("br-netfilter-forward-drop").contains(&format!("\n{fix}\n")));
    assert!(golden_stdout("br-netfilter-forward-drop").contains("ping with the accept rule: 0"));
    let off = quoted_after(hint, "also lets it through: ");
    assert!(script_text("br-netfilter-forward-drop").contains(&format!("\n{off}\n")));
    assert!(golden_stdout("br-netfilter-forward-drop").contains("ping with bridge-nf-call-iptables=0: 0"));
    insta::assert_snapshot!("br-netfilter-forward-drop", report(&t, &Filter::parse("icmp").expect("valid"), false));
}

#[test]
fn strict_rp_filter_ignoring_arp_is_explained() {
    // The host owns the pinged address but stays silent: its strict
    // rp_filter finds the route back to the sender through eth0, not br0.
    // The ping's NEIGH_FAILED points at that, and the hint's route is the
    // one the script adds, after which the kernel answers.
    let t = traced("bridge-rpfilter-arp");
    let all = stories(&t.trace, &|_| true);
    let ping = &all[0];
    assert_eq!(ping.outcome.kind, OutcomeKind::Dropped(DropReason::NeighFailed));
    let arp = all.iter().find(|s| s.parent == Some(ping.id)).expect("the ARP request the ping caused");
    assert_eq!(arp.outcome.kind, OutcomeKind::Ignored);
    let hint = arp.outcome.hint.as_deref().expect("a hint");
    assert!(hint.contains("rp_filter=1 (strict) on br0"), "{hint}");
    let fix = quoted_after(hint, "Add a route back through br0: ");
    assert_eq!(fix, "ip route add 10.0.0.0/24 dev br0");
    assert!(script_text("bridge-rpfilter-arp").contains(&format!("\n{fix}\n")));
    assert!(ping.outcome.hint.as_deref().is_some_and(|h| h.contains(&fix)));
    assert!(golden_stdout("bridge-rpfilter-arp").contains("1 packets transmitted, 1 received"));
    insta::assert_snapshot!("bridge-rpfilter-arp", report(&t, &Filter::accept_all(), false));
}

#[test]
fn missing_route_back_is_explained() {
    // The request arrives and is answered; the reply has no route. The hint
    // names the router that delivered the request as the gateway, and that
    // route is what the script adds before the kernel's ping succeeds.
    let t = traced("missing-route-back");
    let all = stories(&t.trace, &|f| Filter::parse("icmp").expect("valid").matches(f));
    assert_eq!(all[0].outcome.kind, OutcomeKind::Delivered);
    let reply = &all[1];
    assert_eq!(reply.parent, Some(all[0].id));
    assert_eq!(reply.outcome.kind, OutcomeKind::Dropped(DropReason::IpOutNoRoutes));
    let hint = reply.outcome.hint.as_deref().expect("a hint");
    let fix = quoted_after(hint, "Add one: ");
    assert_eq!(fix, "ip -n right route add 10.0.1.0/24 via 10.0.2.1");
    assert!(script_text("missing-route-back").contains(&format!("\n{fix}\n")));
    assert!(golden_stdout("missing-route-back").contains("ping with the route back: 0"));
    insta::assert_snapshot!("missing-route-back", report(&t, &Filter::parse("icmp").expect("valid"), false));
}

#[test]
fn unresolved_neighbour_is_explained() {
    // A device-only default route makes the kernel ARP for an off-link
    // address; nobody answers, the entry goes FAILED, NEIGH_FAILED.
    let t = traced("veth-default-dev-route");
    let all = stories(&t.trace, &|f| Filter::parse("icmp").expect("valid").matches(f));
    assert_eq!(all[0].outcome.kind, OutcomeKind::Dropped(DropReason::NeighFailed));
    let hint = all[0].outcome.hint.as_deref().expect("a hint");
    assert!(hint.contains("`default dev veth1 scope link` names only a device"), "{hint}");
    insta::assert_snapshot!("veth-default-dev-route", report(&t, &Filter::parse("icmp").expect("valid"), false));
}

#[test]
fn json_follows_the_documented_schema() {
    // The JSON names the schema, and a dropped packet carries its reason,
    // place, hint and the nf_hook evidence with the policy that decided.
    let t = traced("br-netfilter-forward-drop");
    let doc: serde_json::Value =
        serde_json::from_str(&report(&t, &Filter::parse("icmp").expect("valid"), true)).expect("valid JSON");
    assert_eq!(doc["schema"], sim::explain::json::SCHEMA);
    let p = &doc["packets"][0];
    assert_eq!(p["outcome"]["kind"], "dropped");
    assert_eq!(p["outcome"]["reason"], "NETFILTER_DROP");
    assert_eq!(p["outcome"]["at"]["dev"], "br-0");
    assert!(p["outcome"]["hint"].is_string());
    let hook = p["steps"].as_array().expect("steps").iter().rev().find(|s| s["kind"] == "nf_hook").expect("nf_hook");
    assert_eq!(hook["evidence"]["hook"], "FORWARD");
    assert_eq!(hook["evidence"]["tables"][0]["policy"]["policy"], "DROP");
    for s in p["steps"].as_array().expect("steps") {
        for key in ["time_ns", "at", "ns", "kind", "text", "evidence"] {
            assert!(s.get(key).is_some(), "step without {key}: {s}");
        }
    }
}

#[test]
fn pcapng_has_a_named_interface_per_capture_point_and_a_story_per_frame() {
    // Every traced transmit and receive is one frame, on an interface named
    // ns/ifname, commented with its packet's story; the real tcpdump (and
    // tshark, when installed) read the file back with the same count.
    let t = traced("br-netfilter-forward-drop");
    let bytes = sim::explain::pcapng::pcapng(&t);
    let frames = t
        .trace
        .events
        .iter()
        .filter(|e| matches!(e.kind, sim::trace::TraceKind::Tx { .. } | sim::trace::TraceKind::Rx { .. }))
        .count();
    assert!(bytes.windows(9).any(|w| w == b"root/br-0"));
    assert!(bytes.windows(14).any(|w| w == b"NETFILTER_DROP"));
    let file = std::env::temp_dir().join(format!("netsim-explain-test-{}.pcapng", std::process::id()));
    std::fs::write(&file, &bytes).expect("temp file");
    if let Ok(out) = std::process::Command::new("tcpdump").arg("-nn").arg("-r").arg(&file).output() {
        assert!(out.status.success(), "tcpdump -r: {}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), frames);
    }
    if let Ok(out) = std::process::Command::new("tshark")
        .args(["-r"])
        .arg(&file)
        .args(["-T", "fields", "-e", "frame.interface_name"])
        .output()
    {
        if out.status.success() {
            let names = String::from_utf8_lossy(&out.stdout);
            assert_eq!(names.lines().count(), frames);
            assert!(names.lines().any(|l| l == "ctr1/eth0"), "{names}");
        }
    }
    let _ = std::fs::remove_file(&file);
}

#[test]
fn graph_exports_the_topology() {
    // The bridge scenario's topology: two namespaces' eth0 each paired with a
    // veth in root, both veths ports of br-0.
    let t = traced("br-netfilter-forward-drop");
    let g = sim::graph::topology(&t.world);
    assert_eq!(g.node_count(), 5);
    assert_eq!(g.edge_count(), 4);
    let dot = sim::graph::dot(&g);
    assert!(dot.contains("label=\"br-0\\n172.16.100.1/24\", shape=box"), "{dot}");
    // Graphviz, where installed, must accept it.
    if let Ok(mut child) = std::process::Command::new("dot")
        .arg("-Tsvg")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
    {
        use std::io::Write;
        child.stdin.take().expect("stdin").write_all(dot.as_bytes()).expect("write to dot");
        assert!(child.wait().expect("dot runs").success(), "dot rejected:\n{dot}");
    }
    insta::assert_snapshot!("graph-mermaid", sim::graph::mermaid(&g));
    let s = sim::explain::story(&t.trace, 1).expect("packet 1");
    insta::assert_snapshot!("sequence-packet-1", sim::graph::sequence(&t.trace, &s));
}

#[test]
fn forwarding_off_names_the_sysctl() {
    // The router drops a packet it would have to forward with ip_forward=0
    // (IP_INADDRERRORS); the hint's sysctl is the one the script sets next,
    // after which the kernel forwards (both echoes answered).
    let t = traced("router-forwarding");
    let all = stories(&t.trace, &|f| Filter::parse("icmp").expect("valid").matches(f));
    assert_eq!(all[0].outcome.kind, OutcomeKind::Dropped(DropReason::IpInAddrErrors));
    let hint = all[0].outcome.hint.as_deref().expect("a hint");
    let fix = quoted_after(hint, "forwarding=0): ");
    assert_eq!(fix, "ip netns exec router sysctl -w net.ipv4.ip_forward=1");
    assert!(script_text("router-forwarding").contains(&format!("\n{fix}\n")));
    assert!(golden_stdout("router-forwarding").contains("2 packets transmitted, 2 received"));
}

#[test]
fn every_scenario_explains_without_panicking() {
    // The whole pipeline (stories, text, JSON, pcapng, graphs) on every
    // scenario: each packet has a story with an outcome, the JSON parses.
    for script in scenarios() {
        let scenario = name(&script);
        let profile = Golden::load(&root().join("golden").join(&scenario)).map(|g| g.profile).unwrap_or_default();
        let src = std::fs::read_to_string(&script).expect("readable");
        let t = run_traced(&src, &scenario, profile, 0).unwrap_or_else(|f| panic!("{scenario}: {}", f.error));
        let all = stories(&t.trace, &|_| true);
        for s in &all {
            assert!(!s.events.is_empty(), "{scenario}: packet {} has no events", s.id);
            let _ = sim::graph::sequence(&t.trace, s);
        }
        let json: serde_json::Value =
            serde_json::from_str(&report(&t, &Filter::accept_all(), true)).expect("valid JSON");
        assert_eq!(json["packets"].as_array().map(Vec::len), Some(all.len()), "{scenario}");
        let _ = report(&t, &Filter::accept_all(), false);
        let _ = sim::explain::pcapng::pcapng(&t);
        let g = sim::graph::topology(&t.world);
        let _ = (sim::graph::dot(&g), sim::graph::mermaid(&g));
    }
}

#[test]
fn masquerade_and_ip_forward_are_explained() {
    // The two NAT surprises: with ip_forward=0 the host drops the
    // container's request (IP_INADDRERRORS, hint: the sysctl); with
    // forwarding on, the reply has no way back to the private source (hint:
    // a route back, or MASQUERADE on the host). Both commands are the
    // script's next lines, and the kernel's golden shows the ping working
    // after the MASQUERADE one.
    let t = traced("masquerade-forwarding");
    let icmp = Filter::parse("icmp").expect("valid");
    let all = stories(&t.trace, &|f| icmp.matches(f));
    assert_eq!(all[0].outcome.kind, OutcomeKind::Dropped(DropReason::IpInAddrErrors));
    let fix = quoted_after(all[0].outcome.hint.as_deref().expect("a hint"), "forwarding=0): ");
    assert_eq!(fix, "sysctl -w net.ipv4.ip_forward=1");
    assert!(script_text("masquerade-forwarding").contains(&format!("\n{fix}\n")));
    let reply = all.iter().find(|s| s.outcome.kind == OutcomeKind::Dropped(DropReason::IpOutNoRoutes)).expect("reply");
    let masq = quoted_after(reply.outcome.hint.as_deref().expect("a hint"), "masquerade there: ");
    assert_eq!(masq, "iptables -t nat -A POSTROUTING -s 172.17.0.0/16 -o eth0 -j MASQUERADE");
    assert!(script_text("masquerade-forwarding").contains(&format!("\n{masq}\n")));
    assert!(golden_stdout("masquerade-forwarding").contains("ping with MASQUERADE: 0"));
    insta::assert_snapshot!("masquerade-forwarding", report(&t, &icmp, false));
}

#[test]
fn dnat_without_a_forward_accept_is_explained() {
    // A ping to the host's address is DNATed to a container; FORWARD's
    // policy drops it. The story shows the rewrite and the hint's accept
    // rule is the script's next line, after which the kernel's ping is
    // answered by the container.
    let t = traced("nat-docker0-masquerade");
    let all = stories(&t.trace, &|f| Filter::parse("icmp").expect("valid").matches(f));
    let s = all
        .iter()
        .find(|s| s.outcome.kind == OutcomeKind::Dropped(DropReason::NetfilterDrop))
        .expect("the DNATed ping dropped by FORWARD");
    assert!(s.events.iter().any(|e| matches!(e.kind, sim::trace::TraceKind::Nat { .. })));
    let hint = s.outcome.hint.as_deref().expect("a hint");
    assert!(hint.contains("DNAT at PREROUTING rewrote the destination 10.3.8.6 to 172.17.0.3"), "{hint}");
    let fix = quoted_after(hint, "per published port): ");
    assert_eq!(fix, "iptables -A FORWARD -d 172.17.0.3 -o docker0 -p icmp -j ACCEPT");
    assert!(script_text("nat-docker0-masquerade").contains(&format!("\n{fix}\n")));
    assert!(golden_stdout("nat-docker0-masquerade").contains("ping the host, answered by c3: 0"));
}

#[test]
fn traced_random_scenarios_never_panic() {
    // Robustness of the trace bookkeeping (packets parked, flooded, NATed,
    // rejected, dropped) and of every renderer: a fixed bridge-and-router
    // topology followed by random meaningful commands, 300 scripts, each
    // explained as text, JSON and pcapng, and the trace must not change
    // what the script prints.
    const SETUP: &str = "modprobe br_netfilter 2>/dev/null
ip netns add a
ip netns add b
ip netns add r
ip link add br0 type bridge
ip link set br0 up
ip addr add 10.0.0.1/24 dev br0
ip link add va type veth peer name eth0 netns a
ip link add vb type veth peer name eth0 netns b
ip link set va master br0
ip link set vb master br0
ip link set va up
ip link set vb up
ip -n a addr add 10.0.0.2/24 dev eth0
ip -n b addr add 10.0.0.3/24 dev eth0
ip -n a link set eth0 up
ip -n b link set eth0 up
ip link add up0 type veth peer name eth0 netns r
ip addr add 10.9.0.1/24 dev up0
ip link set up0 up
ip -n r addr add 10.9.0.2/24 dev eth0
ip -n r link set eth0 up
ip -n r link set lo up
";
    const LINES: &[&str] = &[
        "ip netns exec a ping -c 1 -W 1 10.0.0.3",
        "ip netns exec b ping -c 1 -W 1 10.0.0.1",
        "ip netns exec a ping -c 1 -W 1 10.9.0.2",
        "ip netns exec a ping -c 1 -W 1 10.0.0.77",
        "ip netns exec r ping -c 1 -W 1 10.0.0.2",
        "ip -n a route add default via 10.0.0.1",
        "ip -n r route add 10.0.0.0/24 via 10.9.0.1",
        "sysctl -w net.ipv4.ip_forward=1",
        "sysctl -w net.ipv4.conf.all.rp_filter=1",
        "sysctl -w net.bridge.bridge-nf-call-iptables=0",
        "iptables -P FORWARD DROP",
        "iptables -A FORWARD -i br0 -o br0 -j ACCEPT",
        "iptables -A INPUT -p icmp -j REJECT",
        "iptables -I INPUT -p icmp -j ACCEPT",
        "iptables -t nat -A POSTROUTING -s 10.0.0.0/24 -o up0 -j MASQUERADE",
        "iptables -t nat -A PREROUTING -d 10.9.0.1 -p icmp -j DNAT --to-destination 10.0.0.3",
        "iptables -A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
        "ip link set vb down",
        "ip link set vb up",
        "ip -n a neigh flush dev eth0",
        "ip netns exec r ping -c 1 -W 1 10.9.0.1",
        "sleep 1",
    ];
    let mut seed: u64 = 0x1234_5678;
    let mut next = || {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (seed >> 33) as usize
    };
    let icmp = Filter::parse("icmp").expect("valid");
    for n in 0..300 {
        let mut src = SETUP.to_string();
        for _ in 0..8 {
            src.push_str(LINES[next() % LINES.len()]);
            src.push('\n');
        }
        let profile = sim::model::HostProfile::named("docker-host").expect("profile");
        let plain = sim::simulate(&src, "random.sh", profile.clone(), 0, false);
        let Ok(t) = run_traced(&src, "random.sh", profile, 0) else {
            assert!(plain.is_err(), "script {n} fails only when traced:\n{src}");
            continue;
        };
        let plain = plain.unwrap_or_else(|f| panic!("script {n} fails only untraced: {}\n{src}", f.error));
        assert_eq!(plain.output, t.run.output, "script {n}:\n{src}");
        let _ = report(&t, &Filter::accept_all(), false);
        let _ = report(&t, &icmp, true);
        let _ = sim::explain::pcapng::pcapng(&t);
        for s in stories(&t.trace, &|_| true) {
            let _ = sim::graph::sequence(&t.trace, &s);
        }
    }
}

#[test]
fn a_closed_port_is_explained() {
    // A SYN to a port nothing listens on: NO_SOCKET, answered with a reset
    // (the story of the reset is the next packet), and the hint names the
    // namespace, address and port and a listener to start there.
    let t = traced("tcp-udp-endpoints");
    let all = stories(&t.trace, &|f| Filter::parse("tcp port 22").expect("valid").matches(f));
    let syn = &all[0];
    assert_eq!(syn.outcome.kind, OutcomeKind::Dropped(DropReason::NoSocket));
    let hint = syn.outcome.hint.as_deref().expect("a hint");
    assert!(hint.contains("no TCP socket in b is bound to 10.0.0.2:22"), "{hint}");
    assert_eq!(quoted_after(hint, "Start a listener there first ("), "ip netns exec b nc -l -p 22 &");
    let rst = all.iter().find(|s| s.parent == Some(syn.id)).expect("the reset");
    assert_eq!(rst.outcome.kind, OutcomeKind::Delivered);
}
