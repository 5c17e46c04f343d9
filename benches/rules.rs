//! iptables rule evaluation: nanoseconds per rule walked. A FORWARD chain of
//! N rules that do not match (`-s 10.A.B.C -j DROP`), then the policy; one
//! hook evaluation per iteration on a prebuilt ICMP packet. The indexed case
//! is kube-proxy's shape (`-d VIP/32 -p tcp --dport P -j ...` per service),
//! which the chain index answers without walking every rule.
//!
//! Run: `cargo bench -p netsim-sim --bench rules`.

use sim::engine::datapath::ipv4_packet;
use sim::engine::netfilter::NfCtx;
use sim::engine::Engine;
use sim::model::nf::Hook;
use sim::model::{HostProfile, World};

fn main() {
    divan::main();
}

fn engine_with_rules(n: usize, by_dst: bool) -> Engine {
    let mut e = Engine::new(HostProfile::plain(), 0);
    let rs = &mut e.world.ns_mut(World::ROOT).nf;
    let mut text = String::from("*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n");
    for i in 0..n {
        let a = format!("10.{}.{}.{}", (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff);
        if by_dst {
            text.push_str(&format!("-A FORWARD -d {a}/32 -p tcp -m tcp --dport 80 -j DROP\n"));
        } else {
            text.push_str(&format!("-A FORWARD -s {a}/32 -j DROP\n"));
        }
    }
    text.push_str("COMMIT\n");
    sim::tools::iptables::restore(rs, &text, Default::default()).expect("ruleset loads");
    e
}

/// One FORWARD hook evaluation on a prebuilt ICMP packet that matches no rule.
fn bench_walk(bencher: divan::Bencher, n: usize, by_dst: bool) {
    let mut e = engine_with_rules(n, by_dst);
    let mut pkt =
        ipv4_packet([192, 168, 0, 1].into(), [192, 168, 0, 2].into(), 1, 64, 0, true, &[8, 0, 0, 0, 0, 1, 0, 1]);
    let ctx = NfCtx::at(Hook::Forward);
    bencher
        .counter(divan::counter::ItemsCount::new(n))
        .bench_local(|| e.nf_hook(World::ROOT, divan::black_box(&ctx), &mut pkt));
}

/// N rules keyed by source: walked linearly.
#[divan::bench(args = [10, 100, 1000, 10000])]
fn forward_chain_walk(bencher: divan::Bencher, n: usize) {
    bench_walk(bencher, n, false);
}

/// N kube-proxy-style rules keyed by destination; the packet matches none
/// (its address is not a service), so a linear walk would test all N.
#[divan::bench(args = [10, 100, 1000, 10000])]
fn forward_chain_indexed(bencher: divan::Bencher, n: usize) {
    bench_walk(bencher, n, true);
}

/// `iptables-restore` of a ruleset with N rules (the text built once).
#[divan::bench(args = [10000, 100000], sample_count = 5)]
fn restore_ruleset(bencher: divan::Bencher, n: usize) {
    let mut text = String::from("*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n");
    for i in 0..n {
        text.push_str(&format!(
            "-A FORWARD -s 10.{}.{}.{}/32 -p tcp -m tcp --dport {} -j ACCEPT\n",
            (i >> 16) & 0xff,
            (i >> 8) & 0xff,
            i & 0xff,
            1 + i % 60000
        ));
    }
    text.push_str("COMMIT\n");
    bencher.counter(divan::counter::ItemsCount::new(n)).bench(|| {
        let mut rs = sim::model::nf::Ruleset::new();
        sim::tools::iptables::restore(&mut rs, divan::black_box(&text), Default::default()).expect("ruleset loads");
        rs
    });
}
