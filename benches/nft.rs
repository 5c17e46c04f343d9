//! Native nft rule evaluation: nanoseconds per rule walked. A forward base
//! chain of N rules that do not match (`ip saddr 10.A.B.C counter drop`),
//! then the policy; one rule whose anonymous set holds N addresses; and
//! kube-proxy's `ip daddr . meta l4proto . th dport vmap @service-ips` with
//! N elements, none matching.
//! One hook evaluation per iteration on a prebuilt ICMP packet.
//!
//! Run: `cargo bench -p netsim-sim --bench nft`.

use sim::engine::datapath::ipv4_packet;
use sim::engine::netfilter::NfCtx;
use sim::engine::Engine;
use sim::model::nf::Hook;
use sim::model::nft::{
    BaseChain, CSet, Chain, ChainType, Data, DataType, Elem, Entry, Family, Key, NftState, Rhs, Rule, Sel, SetRef,
    SetType, Stmt, Table, Verdict,
};
use sim::model::{HostProfile, World};

fn main() {
    divan::main();
}

fn addr(i: usize) -> u32 {
    u32::from_be_bytes([10, (i >> 16) as u8, (i >> 8) as u8, i as u8])
}

fn engine_with(rules: Vec<Rule>) -> Engine {
    let mut e = Engine::new(HostProfile::plain(), 0);
    let base = BaseChain { ty: ChainType::Filter, hook: Hook::Forward, prio: 0, drop: false, seq: 0 };
    let chain = Chain { name: "forward".into(), handle: 1, base: Some(base), rules };
    let table = Table {
        family: Family::Inet,
        name: "t".into(),
        handle: 1,
        next_handle: 2,
        sets: Vec::new(),
        csets: Vec::new(),
        chains: vec![chain],
        comment: None,
    };
    let mut st = NftState { tables: vec![table], next_table_handle: 1, ..Default::default() };
    st.update_needs_ct();
    e.world.ns_mut(World::ROOT).nft = st;
    e
}

fn bench_hook(bencher: divan::Bencher, mut e: Engine, n: usize) {
    let mut pkt =
        ipv4_packet([192, 168, 0, 1].into(), [192, 168, 0, 2].into(), 1, 64, 0, true, &[8, 0, 0, 0, 0, 1, 0, 1]);
    let ctx = NfCtx::at(Hook::Forward);
    bencher
        .counter(divan::counter::ItemsCount::new(n))
        .bench_local(|| e.nf_hook(World::ROOT, divan::black_box(&ctx), &mut pkt));
}

/// N rules keyed by source address, none matching: walked linearly.
#[divan::bench(args = [10, 100, 1000, 10000])]
fn forward_chain_walk(bencher: divan::Bencher, n: usize) {
    let rules = (0..n)
        .map(|i| Rule {
            handle: i as u64 + 2,
            stmts: vec![
                Stmt::Match { key: Key::IpSaddr, neg: false, rhs: Rhs::Value(vec![Elem::one(addr(i))]) },
                Stmt::Counter { packets: 0, bytes: 0 },
                Stmt::Verdict(Verdict::Drop),
            ],
            comment: None,
        })
        .collect();
    bench_hook(bencher, engine_with(rules), n);
}

/// One rule `ip saddr { N addresses } drop`; the packet's source is not in
/// the set (elements sorted, as `tools::nft` keeps them: a binary search).
#[divan::bench(args = [10, 100, 1000, 10000])]
fn anonymous_set_lookup(bencher: divan::Bencher, n: usize) {
    let set = (0..n).map(|i| Elem::one(addr(i))).collect();
    let rules = vec![Rule {
        handle: 2,
        stmts: vec![Stmt::Match { key: Key::IpSaddr, neg: false, rhs: Rhs::Set(set) }, Stmt::Verdict(Verdict::Drop)],
        comment: None,
    }];
    bench_hook(bencher, engine_with(rules), n);
}

/// kube-proxy's service lookup: `ip daddr . meta l4proto . th dport vmap
/// @service-ips` with N elements (a linear scan), the packet in none.
#[divan::bench(args = [10, 100, 1000, 10000])]
fn concatenated_map_lookup(bencher: divan::Bencher, n: usize) {
    let rules = vec![Rule {
        handle: 2,
        stmts: vec![Stmt::MapVerdict(
            Sel::Keys(vec![Key::IpDaddr, Key::L4proto, Key::ThDport]),
            SetRef::Named("service-ips".into()),
        )],
        comment: None,
    }];
    let mut e = engine_with(rules);
    let elems = (0..n)
        .map(|i| Entry {
            key: vec![Elem::one(addr(i)), Elem::one(6), Elem::one(80)],
            data: Some(Data::Verdict(Verdict::Drop)),
            comment: None,
        })
        .collect();
    let map = CSet {
        name: "service-ips".into(),
        handle: 3,
        key: vec![SetType::Ipv4Addr, SetType::InetProto, SetType::InetService],
        typeof_key: None,
        data: Some((DataType::Verdict, None)),
        interval: false,
        comment: None,
        elems,
    };
    e.world.ns_mut(World::ROOT).nft.tables[0].csets.push(map);
    // A UDP datagram to port 80 (the map's keys are TCP).
    let mut pkt = ipv4_packet(
        [192, 168, 0, 1].into(),
        [192, 168, 0, 2].into(),
        17,
        64,
        0,
        true,
        &[0x30, 0x39, 0, 80, 0, 8, 0, 0],
    );
    let ctx = NfCtx::at(Hook::Forward);
    bencher
        .counter(divan::counter::ItemsCount::new(n))
        .bench_local(|| e.nf_hook(World::ROOT, divan::black_box(&ctx), &mut pkt));
}
