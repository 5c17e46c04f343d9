//! How cost grows with the size of a scenario: whole generated scenarios
//! (`netsim gen`, whose generator this includes by path) simulated from
//! source, parse and setup included.
//!
//! - `bridges`: N namespaces on 10 bridges, 10 pings; counter = namespaces,
//!   so divan's throughput is namespaces per second.
//! - `kube_proxy`: `iptables-restore` of a kube-proxy filter table with 2 rules
//!   per service, then 2 pings forwarded past all of them; counter = rules.
//!
//! Memory is not measured here (see the README: peak RSS of `netsim run` on
//! the same scripts).
//!
//! Run: `cargo bench -p netsim-sim --bench scale`.

#[path = "../tui/src/gen.rs"]
#[allow(dead_code, unused_imports)]
mod gen;

use sim::model::HostProfile;

fn main() {
    divan::main();
}

fn simulate(src: &str) -> sim::RunOutput {
    let r = sim::simulate(src, "gen.sh", HostProfile::plain(), 0, false).expect("generated scenario runs");
    assert_eq!(r.exit_code, 0, "{}", r.stderr());
    r
}

#[divan::bench(args = [100, 300, 1000, 3000], sample_count = 3, sample_size = 1)]
fn bridges(bencher: divan::Bencher, n: usize) {
    let src = gen::bridges(gen::Bridges { namespaces: n, bridges: 10, pings: 10 }).expect("valid parameters");
    bencher.counter(divan::counter::ItemsCount::new(n)).bench(|| simulate(divan::black_box(&src)));
}

#[divan::bench(args = [1000, 5000, 20000], sample_count = 3, sample_size = 1)]
fn kube_proxy(bencher: divan::Bencher, services: usize) {
    let src = gen::kube_proxy(gen::KubeProxy { services, endpoints: 0, nat: false }).expect("valid parameters");
    bencher.counter(divan::counter::ItemsCount::new(2 * services)).bench(|| simulate(divan::black_box(&src)));
}
