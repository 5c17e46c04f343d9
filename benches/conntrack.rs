//! The connection table at scale: inserting N confirmed connections (each
//! indexed by both tuples) and looking one up, for N up to a million, with
//! the bytes allocated per entry (divan's allocation profiler).
//!
//! Run: `cargo bench -p netsim-sim --bench conntrack`.

use sim::model::conntrack::{Conn, ConnTable, Tuple, PROTO_TCP};
use std::net::Ipv4Addr;

#[global_allocator]
static ALLOC: divan::AllocProfiler = divan::AllocProfiler::system();

fn main() {
    divan::main();
}

/// Connection i: a distinct client address and port to one server,
/// masqueraded to one address (as a busy NAT gateway holds them).
fn conn(i: u32) -> Conn {
    let orig = Tuple {
        src: Ipv4Addr::from(0x0a00_0000 | (i >> 8)),
        dst: Ipv4Addr::new(198, 51, 100, 7),
        proto: PROTO_TCP,
        sport: 1024 + (i & 0xff) as u16,
        dport: 443,
    };
    let reply =
        Tuple { src: orig.dst, dst: Ipv4Addr::new(192, 0, 2, 1), proto: PROTO_TCP, sport: 443, dport: i as u16 };
    let mut c = Conn::new(orig, reply, 0);
    c.expires = u64::MAX;
    c
}

fn table(n: u32) -> ConnTable {
    let mut t = ConnTable::default();
    for i in 0..n {
        t.insert(conn(i), 0);
    }
    t
}

/// Building a table of N entries; divan reports the allocations.
#[divan::bench(args = [10_000, 100_000, 1_000_000], sample_count = 3)]
fn insert(bencher: divan::Bencher, n: u32) {
    bencher.counter(divan::counter::ItemsCount::new(n)).bench(|| table(divan::black_box(n)));
}

/// One lookup (a packet's `nf_conntrack_in`) in a table of N entries.
#[divan::bench(args = [10_000, 100_000, 1_000_000], sample_count = 20)]
fn lookup(bencher: divan::Bencher, n: u32) {
    let t = table(n);
    let probe = conn(n / 2).orig;
    bencher.bench_local(|| t.find(divan::black_box(&probe), 1));
}
