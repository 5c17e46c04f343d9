//! Hop throughput: frames through veth and bridge hops per second, with the
//! trace off and on. Each iteration runs a ping across a bridge between two
//! namespaces (ARP, then echo request and reply: 4 devices each way).
//! `ping_200_through_masquerade` counts packets through a router that
//! tracks connections and masquerades.
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

/// The same ping, but from a container through a router namespace that
/// tracks connections and masquerades (`-m conntrack` in FORWARD, MASQUERADE
/// in POSTROUTING): every packet is looked up in conntrack and rewritten.
const NAT_SCRIPT: &str = r#"
ip netns add c
ip netns add r
ip netns add o
ip link add eth0 netns c type veth peer name in netns r
ip link add out netns r type veth peer name eth0 netns o
ip -n c addr add 10.0.0.2/24 dev eth0
ip -n c link set eth0 up
ip -n c route add default via 10.0.0.1
ip -n r addr add 10.0.0.1/24 dev in
ip -n r addr add 192.0.2.1/24 dev out
ip -n r link set in up
ip -n r link set out up
ip -n o addr add 192.0.2.2/24 dev eth0
ip -n o link set eth0 up
ip netns exec r sysctl -qw net.ipv4.ip_forward=1
ip netns exec r iptables -A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
ip netns exec r iptables -A FORWARD -i in -j ACCEPT
ip netns exec r iptables -P FORWARD DROP
ip netns exec r iptables -t nat -A POSTROUTING -o out -j MASQUERADE
ip netns exec c ping -c 200 -i 0.001 192.0.2.2 > /dev/null
"#;

fn nat_packets() -> u64 {
    let r = sim::simulate(NAT_SCRIPT, "bench.sh", HostProfile::plain(), 0, false).expect("bench script runs");
    r.stats.packets
}

/// Packets (frames created) per second through the NAT + conntrack path.
#[divan::bench]
fn ping_200_through_masquerade(bencher: divan::Bencher) {
    let n = nat_packets();
    bencher.counter(divan::counter::ItemsCount::new(n)).bench(nat_packets);
}
