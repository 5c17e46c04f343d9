//! Hop throughput: frames through veth and bridge hops per second, with the
//! trace off and on. Each iteration runs a ping across a bridge between two
//! namespaces (ARP, then echo request and reply: 4 devices each way).
//!
//! Run: `cargo bench -p netsim-sim --bench hops`.

use sim::model::HostProfile;

fn main() {
    divan::main();
}

const SCRIPT: &str = r#"
ip link add br0 type bridge
ip link set br0 up
for i in 1 2; do
  ip netns add c$i
  ip link add veth-h$i type veth peer name eth0 netns c$i
  ip link set veth-h$i master br0
  ip link set veth-h$i up
  ip -n c$i addr add 10.0.0.1$i/24 dev eth0
  ip -n c$i link set eth0 up
done
ip netns exec c1 ping -c 200 -i 0.001 10.0.0.12 > /dev/null
"#;

fn hops(trace: bool) -> u64 {
    let r = sim::simulate(SCRIPT, "bench.sh", HostProfile::plain(), 0, trace).expect("bench script runs");
    r.stats.hops
}

#[divan::bench(args = [false, true])]
fn ping_200_across_bridge(bencher: divan::Bencher, trace: bool) {
    let n = hops(trace);
    bencher.counter(divan::counter::ItemsCount::new(n)).bench(|| hops(divan::black_box(trace)));
}
