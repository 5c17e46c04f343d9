//! What iproute2 6.1.0 `ip` prints on kernel 6.18: `ip link`, `ip addr`
//! (`-d`, `-s`, `-o`, `-br`, `-j`, `-4`, `-6`), `ip route show` / `ip route
//! get`, `ip neigh show`, `ip netns list` / `list-id`.
//!
//! Every function here is pure: it reads a [`World`] and returns the bytes
//! the real tool writes to stdout (or an [`IpError`] carrying what it writes
//! to stderr). Expected strings in the tests were recorded from the real
//! tools on this machine, in a throwaway `unshare --mount --net` sandbox.
//!
//! Covered: names with `@peer` / `@ifN`, `link-netns NAME` /
//! `link-netnsid N` (a name when the peer namespace is registered under
//! `/run/netns`, the number otherwise, and always the number in JSON),
//! `print_link_flags` order with `NO-CARRIER` and `M-DOWN`, `master`,
//! `qdisc`, `mode DEFAULT` (link only), IPv4 address lines (`brd`,
//! `secondary`, `noprefixroute`, labels), the IPv6 `::1` and EUI-64
//! link-local lines, `-d` for lo / veth / bridge / bridge ports, `-s`
//! counters, the IPv6 routes `ip route show table all` lists.
//!
//! Not covered: `ip -j -d`, `ip -j -s`, `ip -s -s`, `ip -s addr`, policy
//! routing tables other than local/main, IPv6 neighbours, DAD `tentative`
//! (the model has no DAD state), user-set `PROMISC`/`ALLMULTI` flags (not
//! modelled; `tcpdump`'s promiscuity only shows in `-d`).
//!
//! Where the model keeps less history than the kernel, the approximation is
//! marked `DIVERGENCE:` next to the code (qdisc after a down, IPv6 route
//! order, bridge timers, bridge carrier/operstate).

use crate::model::addr::mask;
use crate::model::route::{TABLE_LOCAL, TABLE_MAIN};
use crate::model::{
    Link, LinkId, LinkKind, MacAddr, Neigh, NeighState, NsId, PortState, Route, RouteProto, RouteScope, RouteType,
    World,
};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::{Ipv4Addr, Ipv6Addr};

/// `numtxqueues`/`numrxqueues` of a veth: the kernel gives each veth one
/// queue per possible CPU (2 on the machine the goldens come from).
pub const VETH_NUM_QUEUES: u32 = 2;

/// Nanoseconds per centisecond (`USER_HZ` = 100 clock ticks).
const NS_PER_CS: u64 = 10_000_000;

/// Address family restriction (`ip -4`, `ip -6`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Family {
    /// No `-4`/`-6`.
    #[default]
    Any,
    /// `-4`.
    Inet,
    /// `-6`.
    Inet6,
}

/// The global `ip` options that change the output format.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IpOpts {
    /// `-d`: details.
    pub details: bool,
    /// `-s`: statistics (only one level is rendered).
    pub stats: u8,
    /// `-o`: one line per record.
    pub oneline: bool,
    /// `-br`: brief tables.
    pub brief: bool,
    /// `-j`: JSON.
    pub json: bool,
    /// `-4` / `-6`.
    pub family: Family,
    /// Virtual time in ns, for the timers `-d` prints on bridges.
    pub now_ns: u64,
}

/// What `ip` prints on stderr instead of a listing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IpError {
    /// `ip link show DEV` / `ip addr show DEV` of an unknown device (exit 1).
    #[error("Device \"{0}\" does not exist.")]
    NoDevice(String),
    /// `ip route show dev DEV` / `ip neigh show dev DEV` (exit 1).
    #[error("Cannot find device \"{0}\"")]
    CannotFindDevice(String),
    /// `ip route get` with no route (exit 2).
    #[error("RTNETLINK answers: Network is unreachable")]
    NetUnreachable,
    /// `ip route get` hitting an `unreachable` route.
    #[error("RTNETLINK answers: No route to host")]
    HostUnreachable,
    /// `ip route get` hitting a `prohibit` route.
    #[error("RTNETLINK answers: Permission denied")]
    Prohibited,
    /// `ip route get` hitting a `blackhole` route.
    #[error("RTNETLINK answers: Invalid argument")]
    Invalid,
}

/// Which routing table `ip route show` lists.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TableSel {
    /// The default, `table main`.
    #[default]
    Main,
    /// `table local`.
    Local,
    /// `table all`: main then local, IPv4 then IPv6, with `table local`.
    All,
}

// ---------------------------------------------------------------------------
// Derived link state as the kernel reports it
// ---------------------------------------------------------------------------

/// `IFF_LOWER_UP`: up with carrier.
pub fn lower_up(w: &World, id: LinkId) -> bool {
    w.link(id).admin_up && w.carrier(id)
}

/// The veth peer if it is alive.
fn live_peer(w: &World, l: &Link) -> Option<LinkId> {
    l.veth_peer().filter(|p| w.link_alive(*p))
}

/// The flag names `print_link_flags` prints, in its order: `NO-CARRIER`
/// first when up but not running, `LOOPBACK`, `BROADCAST`, `MULTICAST`, `UP`,
/// `LOWER_UP`, and `M-DOWN` last for a veth whose peer, in the same
/// namespace, is administratively down.
pub fn link_flags(w: &World, id: LinkId) -> Vec<&'static str> {
    let l = w.link(id);
    let mut v = Vec::new();
    if l.admin_up && !w.running(id) {
        v.push("NO-CARRIER");
    }
    if l.is_loopback() {
        v.push("LOOPBACK");
    } else {
        v.push("BROADCAST");
        v.push("MULTICAST");
    }
    if l.admin_up {
        v.push("UP");
    }
    if lower_up(w, id) {
        v.push("LOWER_UP");
    }
    if let Some(p) = live_peer(w, l) {
        let p = w.link(p);
        if p.ns == l.ns && !p.admin_up {
            v.push("M-DOWN");
        }
    }
    v
}

/// `NAME@PEER` for a veth whose peer is in the same namespace, `NAME@ifN`
/// (the peer's ifindex) when it is in another, plain `NAME` otherwise.
pub fn display_name(w: &World, id: LinkId) -> String {
    let l = w.link(id);
    match live_peer(w, l) {
        Some(p) => {
            let p = w.link(p);
            if p.ns == l.ns {
                format!("{}@{}", l.name, p.name)
            } else {
                format!("{}@if{}", l.name, p.ifindex)
            }
        }
        None => l.name.clone(),
    }
}

/// The qdisc name: `noqueue` once the device has been activated, even after
/// it goes down again; `noop` for a device never brought up.
pub fn qdisc(l: &Link) -> &'static str {
    if l.ever_up {
        "noqueue"
    } else {
        "noop"
    }
}

/// The IPv6 link-local address addrconf derives from a MAC (EUI-64).
pub fn ll6_addr(mac: MacAddr) -> Ipv6Addr {
    let m = mac.0;
    Ipv6Addr::new(
        0xfe80,
        0,
        0,
        0,
        u16::from_be_bytes([m[0] ^ 2, m[1]]),
        u16::from_be_bytes([m[2], 0xff]),
        u16::from_be_bytes([0xfe, m[3]]),
        u16::from_be_bytes([m[4], m[5]]),
    )
}

/// The IPv6 addresses of a link as `(address, prefix, scope)`: `::1/128`
/// host on an up `lo`, the EUI-64 link-local when [`Link::ll6`] is set.
// DIVERGENCE: the kernel keeps the link-local derived from the MAC the link
// had when addrconf created it (a later MAC change, e.g. a bridge taking a
// port's MAC, does not change it); the model derives it from the current MAC.
pub fn inet6_addrs(l: &Link) -> Vec<(Ipv6Addr, u8, &'static str)> {
    if l.is_loopback() {
        if l.admin_up && l.ipv6_disable == 0 {
            return vec![(Ipv6Addr::LOCALHOST, 128, "host")];
        }
        return Vec::new();
    }
    if l.ll6 {
        return vec![(ll6_addr(l.mac), 64, "link")];
    }
    Vec::new()
}

// ---------------------------------------------------------------------------
// Namespace ids
// ---------------------------------------------------------------------------

/// The nsids a link dump in `ns` ends up using: the namespace's existing ids
/// plus one for each other namespace a veth peer lives in that has none yet,
/// allocated like `peernet2id_alloc` (lowest free id, in ifindex order).
fn nsid_map(w: &World, ns: NsId) -> BTreeMap<NsId, u32> {
    let mut map = w.ns(ns).nsids.clone();
    for (peer_ns, id) in link_dump_nsids(w, ns) {
        map.insert(peer_ns, id);
    }
    map
}

/// The nsids the kernel allocates in `ns` when it dumps the namespace's
/// links (`ip link`, `ip addr`, `bridge link` there): one for every peer
/// namespace without an id yet, lowest free id first, in ifindex order.
/// The engine should record them in [`crate::model::Netns::nsids`] after
/// such a dump so `ip netns list` shows `(id: N)` as the kernel does.
pub fn link_dump_nsids(w: &World, ns: NsId) -> Vec<(NsId, u32)> {
    let existing = &w.ns(ns).nsids;
    let mut used: Vec<u32> = existing.values().copied().collect();
    let mut out: Vec<(NsId, u32)> = Vec::new();
    for id in w.links_in(ns) {
        let l = w.link(id);
        let Some(p) = live_peer(w, l) else { continue };
        let pns = w.link(p).ns;
        if pns == ns || existing.contains_key(&pns) || out.iter().any(|(n, _)| *n == pns) {
            continue;
        }
        let mut next = 0;
        while used.contains(&next) {
            next += 1;
        }
        used.push(next);
        out.push((pns, next));
    }
    out
}

/// The ` link-netns NAME` / ` link-netnsid N` suffix of the `link/ether`
/// line, or `None` for a link whose peer (if any) is in the same namespace.
fn link_netns(w: &World, id: LinkId, nsids: &BTreeMap<NsId, u32>) -> Option<(u32, Option<String>)> {
    let l = w.link(id);
    let p = live_peer(w, l)?;
    let pns = w.link(p).ns;
    if pns == l.ns {
        return None;
    }
    let nsid = nsids.get(&pns).copied().unwrap_or(0);
    Some((nsid, w.ns_name(pns).map(str::to_string)))
}

// ---------------------------------------------------------------------------
// Minimal ordered JSON (iproute2 key order matters)
// ---------------------------------------------------------------------------

/// A JSON value that keeps object keys in insertion order.
#[derive(Clone, Debug)]
enum J {
    Num(u64),
    Str(String),
    Bool(bool),
    Arr(Vec<J>),
    Obj(Vec<(&'static str, J)>),
}

impl J {
    fn s(v: impl Into<String>) -> J {
        J::Str(v.into())
    }

    fn write(&self, out: &mut String) {
        match self {
            J::Num(n) => {
                let _ = write!(out, "{n}");
            }
            J::Str(s) => out.push_str(&serde_json::to_string(s).unwrap_or_default()),
            J::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            J::Arr(v) => {
                out.push('[');
                for (i, x) in v.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    x.write(out);
                }
                out.push(']');
            }
            J::Obj(v) => {
                out.push('{');
                for (i, (k, x)) in v.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&serde_json::to_string(k).unwrap_or_default());
                    out.push(':');
                    x.write(out);
                }
                out.push('}');
            }
        }
    }
}

/// Renders a top-level JSON array the way iproute2 does (one line).
fn json_array(items: Vec<J>) -> String {
    let mut s = String::new();
    J::Arr(items).write(&mut s);
    s.push('\n');
    s
}

// ---------------------------------------------------------------------------
// ip link / ip addr
// ---------------------------------------------------------------------------

/// Resolves the optional `dev` argument of `ip link show` / `ip addr show`.
fn select_links(w: &World, ns: NsId, dev: Option<&str>) -> Result<Vec<LinkId>, IpError> {
    match dev {
        Some(name) => w.link_by_name(ns, name).map(|id| vec![id]).ok_or_else(|| IpError::NoDevice(name.to_string())),
        None => Ok(w.links_in(ns).collect()),
    }
}

/// The first line of a link record.
fn link_line1(w: &World, id: LinkId, mode: bool, short: bool) -> String {
    let l = w.link(id);
    let mut s = format!("{}: {}: <{}> mtu {} ", l.ifindex, display_name(w, id), link_flags(w, id).join(","), l.mtu);
    if short {
        // `ip -6 addr`: the AF_INET6 link dump carries no qdisc/group.
        let _ = write!(s, "state {} ", w.operstate(id).as_str());
        if l.qlen != 0 {
            let _ = write!(s, "qlen {}", l.qlen);
        }
        return s;
    }
    let _ = write!(s, "qdisc {} ", qdisc(l));
    if let Some(m) = l.master.filter(|m| w.link_alive(*m)) {
        let _ = write!(s, "master {} ", w.link(m).name);
    }
    let _ = write!(s, "state {} ", w.operstate(id).as_str());
    if mode {
        s.push_str("mode DEFAULT ");
    }
    // iproute2's print_queuelen prints nothing for a zero txqueuelen
    // (Docker's and containerlab's devices), leaving "group default ".
    s.push_str("group default ");
    if l.qlen != 0 {
        let _ = write!(s, "qlen {}", l.qlen);
    }
    s
}

/// The `link/ether` line (without the leading newline).
fn link_line2(w: &World, id: LinkId, nsids: &BTreeMap<NsId, u32>) -> String {
    let l = w.link(id);
    let mut s = if l.is_loopback() {
        format!("    link/loopback {} brd {}", l.mac, MacAddr::ZERO)
    } else {
        format!("    link/ether {} brd {}", l.mac, MacAddr::BROADCAST)
    };
    if let Some((nsid, name)) = link_netns(w, id, nsids) {
        match name {
            Some(n) => {
                let _ = write!(s, " link-netns {n}");
            }
            None => {
                let _ = write!(s, " link-netnsid {nsid}");
            }
        }
    }
    s
}

/// Formats centiseconds the way iproute2 prints bridge timers (`%7.2f`).
fn timer7(cs: u64) -> String {
    format!("{:>7}", format!("{}.{:02}", cs / 100, cs % 100))
}

/// `%x:%x:...` of a MAC, as iproute2 prints bridge ids.
fn bridge_id_short(prio: u16, mac: MacAddr) -> String {
    let m = mac.0;
    format!("{:04x}.{:x}:{:x}:{:x}:{:x}:{:x}:{:x}", prio, m[0], m[1], m[2], m[3], m[4], m[5])
}

/// Centiseconds until the bridge's FDB garbage collector runs next.
// DIVERGENCE: the kernel's `gc_work` runs 0.1 s after the bridge comes up
// and then every `ageing_time` (or at the earliest expiry of a learned
// entry); the model keeps no bridge up time, so this is the time until the
// oldest learned entry expires, or the full ageing time when none is
// learned. Verify should mask bridge timers.
pub fn gc_timer_cs(w: &World, br: LinkId, now_ns: u64) -> u64 {
    let l = w.link(br);
    let Some(b) = l.bridge() else { return 0 };
    if !l.admin_up {
        return 0;
    }
    let next = b
        .fdb
        .values()
        .filter(|e| !e.flags.local && !e.flags.is_static)
        .map(|e| e.updated_ns.saturating_add(b.ageing_time_ns))
        .min()
        .unwrap_or(now_ns.saturating_add(b.ageing_time_ns));
    next.saturating_sub(now_ns) / NS_PER_CS
}

/// The generic tail `ip -d link` prints for every device.
fn details_tail(queues: u32) -> String {
    format!(
        "addrgenmode eui64 numtxqueues {queues} numrxqueues {queues} gso_max_size 65536 \
         gso_max_segs 65535 tso_max_size 524280 tso_max_segs 65535 gro_max_size 65536 "
    )
}

/// The `-d` text appended to the `link/ether` line (starting with a space).
fn details(w: &World, id: LinkId, now_ns: u64) -> String {
    let l = w.link(id);
    let is_port = l.port.is_some();
    let (minmtu, maxmtu) = if l.is_loopback() { (0, 0) } else { (68, 65535) };
    let mut s = format!(
        " promiscuity {}  allmulti {} minmtu {minmtu} maxmtu {maxmtu} ",
        l.promisc + u32::from(is_port),
        u32::from(is_port)
    );
    match &l.kind {
        LinkKind::Loopback => s.push_str(&details_tail(1)),
        LinkKind::Veth { .. } => {
            s.push_str("\n    veth ");
            if let Some(port) = &l.port {
                s.push('\n');
                s.push_str(&slave_details(w, id, port, now_ns));
            }
            s.push_str(&details_tail(VETH_NUM_QUEUES));
        }
        LinkKind::Bridge(b) => {
            let bid = bridge_id_short(b.priority, l.mac);
            let _ = write!(
                s,
                "\n    bridge forward_delay {} hello_time {} max_age {} ageing_time {} stp_state 0 \
                 priority {} vlan_filtering 0 bridge_id {bid} designated_root {bid} root_port 0 \
                 root_path_cost 0 topology_change 0 topology_change_detected 0 hello_timer {} \
                 tcn_timer {} topology_change_timer {} gc_timer {} group_fwd_mask 0 \
                 group_address 01:80:c2:00:00:00 mcast_snooping 1 no_linklocal_learn 0 \
                 mcast_vlan_snooping 0 mcast_router 1 mcast_query_use_ifaddr 0 mcast_querier 0 \
                 mcast_hash_elasticity 16 mcast_hash_max 4096 mcast_last_member_count 2 \
                 mcast_startup_query_count 2 mcast_last_member_interval 100 \
                 mcast_membership_interval 26000 mcast_querier_interval 25500 \
                 mcast_query_interval 12500 mcast_query_response_interval 1000 \
                 mcast_startup_query_interval 3124 mcast_stats_enabled 0 mcast_igmp_version 2 \
                 mcast_mld_version 1 nf_call_iptables {} nf_call_ip6tables 0 \
                 nf_call_arptables 0 ",
                b.forward_delay_ns / NS_PER_CS,
                b.hello_time_ns / NS_PER_CS,
                b.max_age_ns / NS_PER_CS,
                b.ageing_time_ns / NS_PER_CS,
                b.priority,
                timer7(0),
                timer7(0),
                timer7(0),
                timer7(gc_timer_cs(w, id, now_ns)),
                u8::from(b.nf_call_iptables),
            );
            s.push_str(&details_tail(1));
        }
    }
    s
}

/// The STP port id: priority in the top 6 bits, port number below
/// (`br_make_port_id`, `BR_PORT_BITS` = 10).
pub fn port_id(priority: u8, port_no: u16) -> u16 {
    (u16::from(priority) << 10) | (port_no & 0x3ff)
}

/// The `bridge_slave ...` line of `ip -d link` for a bridge port.
fn slave_details(w: &World, id: LinkId, port: &crate::model::BridgePort, _now_ns: u64) -> String {
    let br = w.link(port.bridge);
    let prio = br.bridge().map_or(0x8000, |b| b.priority);
    let bid = bridge_id_short(prio, br.mac);
    let pid = port_id(port.priority, port.port_no);
    let state = w.port_state(id).unwrap_or(PortState::Disabled).as_str();
    let onoff = |b: bool| if b { "on" } else { "off" };
    // DIVERGENCE: the kernel arms `forward_delay_timer` for forward_delay
    // (15 s) when a port starts forwarding even with STP off; the model has
    // no time for that transition, so it prints 0.00.
    format!(
        "    bridge_slave state {state} priority {} cost {} hairpin {} guard off root_block off \
         fastleave off learning {} flood {} port_id 0x{pid:x} port_no 0x{:x} designated_port \
         {pid} designated_cost 0 designated_bridge {bid} designated_root {bid} hold_timer {} \
         message_age_timer {} forward_delay_timer {} topology_change_ack 0 config_pending 0 \
         proxy_arp off proxy_arp_wifi off mcast_router 1 mcast_fast_leave off mcast_flood on \
         bcast_flood on mcast_to_unicast off neigh_suppress off group_fwd_mask 0 \
         group_fwd_mask_str 0x0 vlan_tunnel off isolated off locked off ",
        port.priority,
        port.path_cost,
        onoff(port.hairpin),
        onoff(port.learning),
        onoff(port.flood),
        port.port_no,
        timer7(0),
        timer7(0),
        timer7(0),
    )
}

/// Width-adjusts the `-s` columns like iproute2's `size_columns`.
fn size_columns(cols: &mut [usize; 7], vals: [u64; 7]) {
    for (c, v) in cols.iter_mut().zip(vals) {
        *c = (*c).max(v.to_string().len());
    }
}

/// The `-s` block (`print_link_stats64`, one level).
// DIVERGENCE: the model counts no errors, misses or received multicast
// frames; those columns are 0 (the kernel counts e.g. IGMP/MLD in `mcast`).
fn stats_block(l: &Link) -> String {
    let st = &l.stats;
    let rx = [st.rx_bytes, st.rx_packets, 0, st.rx_dropped, 0, 0, 0];
    let tx = [st.tx_bytes, st.tx_packets, 0, st.tx_dropped, 0, 0, 0];
    let mut cols = [10usize, 7, 6, 7, 7, 7, 10];
    size_columns(&mut cols, rx);
    size_columns(&mut cols, tx);
    let mut s = String::new();
    let hdr = |s: &mut String, dir: &str, names: [&str; 6]| {
        let _ = write!(
            s,
            "\n    {dir}: {:>w0$} {:>w1$} {:>w2$} {:>w3$} {:>w4$} {:>w5$} {:>w6$}",
            names[0],
            names[1],
            names[2],
            names[3],
            names[4],
            names[5],
            "",
            w0 = cols[0] - 4,
            w1 = cols[1],
            w2 = cols[2],
            w3 = cols[3],
            w4 = cols[4],
            w5 = cols[5],
            w6 = cols[6],
        );
    };
    let nums = |s: &mut String, v: [u64; 7]| {
        s.push_str("\n    ");
        for (i, x) in v.iter().take(6).enumerate() {
            let _ = write!(s, "{:>w$} ", x, w = cols[i]);
        }
    };
    hdr(&mut s, "RX", ["bytes", "packets", "errors", "dropped", "missed", "mcast"]);
    nums(&mut s, rx);
    hdr(&mut s, "TX", ["bytes", "packets", "errors", "dropped", "carrier", "collsns"]);
    nums(&mut s, tx);
    s
}

/// Joins a multi-line record for `-o` (newlines become `\`).
fn oneline(record: &str) -> String {
    record.replace('\n', "\\")
}

/// The text of one IPv4 address (`inet ...` up to the label, no indent).
fn inet_text(a: &crate::model::IfAddr, dev: &str) -> String {
    let mut s = format!("inet {}/{} ", a.addr, a.prefix_len);
    if let Some(b) = a.broadcast {
        let _ = write!(s, "brd {b} ");
    }
    let _ = write!(s, "scope {} ", a.scope.as_str());
    if a.secondary {
        s.push_str("secondary ");
    }
    if a.noprefixroute {
        s.push_str("noprefixroute ");
    }
    s.push_str(a.label.as_deref().unwrap_or(dev));
    s
}

/// The text of one IPv6 address (`inet6 ... scope X `, no indent).
fn inet6_text(a: Ipv6Addr, plen: u8, scope: &str) -> String {
    format!("inet6 {a}/{plen} scope {scope} ")
}

const LFT: &str = "valid_lft forever preferred_lft forever";

/// One link record of `ip link` / `ip addr` in the default text format.
fn link_record(w: &World, id: LinkId, addrs: bool, opts: &IpOpts, nsids: &BTreeMap<NsId, u32>) -> String {
    let l = w.link(id);
    let short = addrs && opts.family == Family::Inet6;
    let mut s = link_line1(w, id, !addrs, short);
    if opts.family == Family::Any {
        s.push('\n');
        s.push_str(&link_line2(w, id, nsids));
        if opts.details {
            s.push_str(&details(w, id, opts.now_ns));
        }
        if opts.stats > 0 && !addrs {
            s.push_str(&stats_block(l));
        }
    }
    if addrs {
        if opts.family != Family::Inet6 {
            for a in &l.addrs {
                let _ = write!(s, "\n    {}\n       {LFT}", inet_text(a, &l.name));
            }
        }
        if opts.family != Family::Inet {
            for (a, p, sc) in inet6_addrs(l) {
                let _ = write!(s, "\n    {}\n       {LFT}", inet6_text(a, p, sc));
            }
        }
    }
    s.push('\n');
    s
}

/// The JSON object of one link (`ip -j link` / `ip -j addr`).
fn link_json(w: &World, id: LinkId, addrs: bool, nsids: &BTreeMap<NsId, u32>) -> J {
    let l = w.link(id);
    let mut o: Vec<(&'static str, J)> = vec![("ifindex", J::Num(u64::from(l.ifindex)))];
    let netns = link_netns(w, id, nsids);
    if let Some(p) = live_peer(w, l) {
        let p = w.link(p);
        if netns.is_some() {
            o.push(("link_index", J::Num(u64::from(p.ifindex))));
        } else {
            o.push(("link", J::s(p.name.clone())));
        }
    }
    o.push(("ifname", J::s(l.name.clone())));
    o.push(("flags", J::Arr(link_flags(w, id).into_iter().map(J::s).collect())));
    o.push(("mtu", J::Num(u64::from(l.mtu))));
    o.push(("qdisc", J::s(qdisc(l))));
    if let Some(m) = l.master.filter(|m| w.link_alive(*m)) {
        o.push(("master", J::s(w.link(m).name.clone())));
    }
    o.push(("operstate", J::s(w.operstate(id).as_str())));
    if !addrs {
        o.push(("linkmode", J::s("DEFAULT")));
    }
    o.push(("group", J::s("default")));
    if l.qlen != 0 {
        o.push(("txqlen", J::Num(u64::from(l.qlen))));
    }
    if l.is_loopback() {
        o.push(("link_type", J::s("loopback")));
        o.push(("address", J::s(l.mac.to_string())));
        o.push(("broadcast", J::s(MacAddr::ZERO.to_string())));
    } else {
        o.push(("link_type", J::s("ether")));
        o.push(("address", J::s(l.mac.to_string())));
        o.push(("broadcast", J::s(MacAddr::BROADCAST.to_string())));
    }
    if let Some((nsid, _)) = netns {
        o.push(("link_netnsid", J::Num(u64::from(nsid))));
    }
    if addrs {
        let mut ai = Vec::new();
        for a in &l.addrs {
            let mut x: Vec<(&'static str, J)> = vec![
                ("family", J::s("inet")),
                ("local", J::s(a.addr.to_string())),
                ("prefixlen", J::Num(u64::from(a.prefix_len))),
            ];
            if let Some(b) = a.broadcast {
                x.push(("broadcast", J::s(b.to_string())));
            }
            x.push(("scope", J::s(a.scope.as_str())));
            if a.secondary {
                x.push(("secondary", J::Bool(true)));
            }
            if a.noprefixroute {
                x.push(("noprefixroute", J::Bool(true)));
            }
            x.push(("label", J::s(a.label.clone().unwrap_or_else(|| l.name.clone()))));
            x.push(("valid_life_time", J::Num(u64::from(u32::MAX))));
            x.push(("preferred_life_time", J::Num(u64::from(u32::MAX))));
            ai.push(J::Obj(x));
        }
        for (a, p, sc) in inet6_addrs(l) {
            ai.push(J::Obj(vec![
                ("family", J::s("inet6")),
                ("local", J::s(a.to_string())),
                ("prefixlen", J::Num(u64::from(p))),
                ("scope", J::s(sc)),
                ("valid_life_time", J::Num(u64::from(u32::MAX))),
                ("preferred_life_time", J::Num(u64::from(u32::MAX))),
            ]));
        }
        o.push(("addr_info", J::Arr(ai)));
    }
    J::Obj(o)
}

/// One `-br` line: name, state, then MAC and flags (link) or addresses.
fn brief_line(w: &World, id: LinkId, addrs: bool) -> String {
    let l = w.link(id);
    let mut s = format!("{:<16} {:<14} ", display_name(w, id), w.operstate(id).as_str());
    if addrs {
        for a in &l.addrs {
            let _ = write!(s, "{}/{} ", a.addr, a.prefix_len);
        }
        for (a, p, _) in inet6_addrs(l) {
            let _ = write!(s, "{a}/{p} ");
        }
    } else {
        let _ = write!(s, "{} <{}> ", l.mac, link_flags(w, id).join(","));
    }
    s.push('\n');
    s
}

/// Shared body of `ip link show` and `ip addr show`.
fn show(w: &World, ns: NsId, dev: Option<&str>, opts: &IpOpts, addrs: bool) -> Result<String, IpError> {
    let ids = select_links(w, ns, dev)?;
    let nsids = nsid_map(w, ns);
    if opts.json {
        let items = ids.iter().map(|id| link_json(w, *id, addrs, &nsids)).collect();
        return Ok(json_array(items));
    }
    let mut out = String::new();
    for id in ids {
        let l = w.link(id);
        if opts.brief {
            out.push_str(&brief_line(w, id, addrs));
        } else if addrs && opts.oneline {
            for a in &l.addrs {
                let _ = writeln!(out, "{}: {}    {}\\       {LFT}", l.ifindex, l.name, inet_text(a, &l.name));
            }
            for (a, p, sc) in inet6_addrs(l) {
                let _ = writeln!(out, "{}: {}    {}\\       {LFT}", l.ifindex, l.name, inet6_text(a, p, sc));
            }
        } else {
            let has = match opts.family {
                Family::Any => true,
                Family::Inet => !l.addrs.is_empty(),
                Family::Inet6 => !inet6_addrs(l).is_empty(),
            };
            if addrs && !has {
                continue;
            }
            let rec = link_record(w, id, addrs, opts, &nsids);
            if opts.oneline {
                let body = rec.trim_end_matches('\n');
                out.push_str(&oneline(body));
                out.push('\n');
            } else {
                out.push_str(&rec);
            }
        }
    }
    Ok(out)
}

/// `ip [-d] [-s] [-o] [-br] [-j] link [show [dev] DEV]` run in namespace `ns`.
///
/// # Errors
/// [`IpError::NoDevice`] when `dev` names no device in `ns`.
pub fn ip_link_show(w: &World, ns: NsId, dev: Option<&str>, opts: &IpOpts) -> Result<String, IpError> {
    show(w, ns, dev, opts, false)
}

/// `ip [-4|-6] [-d] [-o] [-br] [-j] addr [show [dev] DEV]` (also `ip a`,
/// `ip address`) run in namespace `ns`.
///
/// # Errors
/// [`IpError::NoDevice`] when `dev` names no device in `ns`.
pub fn ip_addr_show(w: &World, ns: NsId, dev: Option<&str>, opts: &IpOpts) -> Result<String, IpError> {
    show(w, ns, dev, opts, true)
}

// ---------------------------------------------------------------------------
// ip route
// ---------------------------------------------------------------------------

/// Whether a route carries `RTNH_F_LINKDOWN`: its device has no carrier and
/// it is not a host-scope (local) route.
fn route_linkdown(w: &World, r: &Route) -> bool {
    match r.dev {
        Some(d) if w.link_alive(d) => r.scope != RouteScope::Host && !lower_up(w, d),
        _ => false,
    }
}

/// The destination as iproute2 prints it.
fn route_dst(r: &Route) -> String {
    if r.prefix_len == 0 {
        "default".to_string()
    } else if r.prefix_len == 32 {
        r.dst.to_string()
    } else {
        format!("{}/{}", r.dst, r.prefix_len)
    }
}

/// Routes of one table in the order the kernel dumps them (also the order
/// of `/proc/net/route`): by key, and within one key the longer prefix
/// first (`fa_slen` order), then the model's order (metric, insertion).
// DIVERGENCE from `RouteTable`'s own order, which puts the shorter prefix
// first within one key (10.1.0.0/16 before 10.1.0.0/24); the kernel, as
// recorded, lists 10.1.0.0/24 first.
pub fn dump_order(w: &World, ns: NsId, table: u32) -> Vec<&Route> {
    let mut v: Vec<&Route> = w.ns(ns).routes.table(table).collect();
    v.sort_by_key(|r| (u32::from(r.dst) & mask(r.prefix_len), std::cmp::Reverse(r.prefix_len)));
    v
}

/// One IPv4 route as `ip route show table all` prints it, without the
/// newline (for the explainer's evidence).
pub fn route_text(w: &World, r: &Route) -> String {
    route_line(w, r, true, false).trim_end().to_string()
}

/// One IPv4 route line.
fn route_line(w: &World, r: &Route, show_table: bool, hide_dev: bool) -> String {
    let mut s = String::new();
    if r.rtype != RouteType::Unicast {
        let _ = write!(s, "{} ", r.rtype.as_str());
    }
    let _ = write!(s, "{} ", route_dst(r));
    if let Some(gw) = r.gateway {
        let _ = write!(s, "via {gw} ");
    }
    if let Some(d) = r.dev.filter(|d| w.link_alive(*d)) {
        if !hide_dev {
            let _ = write!(s, "dev {} ", w.link(d).name);
        }
    }
    if show_table && r.table != TABLE_MAIN {
        if r.table == TABLE_LOCAL {
            s.push_str("table local ");
        } else {
            let _ = write!(s, "table {} ", r.table);
        }
    }
    if r.proto != RouteProto::Boot {
        let _ = write!(s, "proto {} ", r.proto.as_str());
    }
    if r.scope != RouteScope::Universe {
        let _ = write!(s, "scope {} ", r.scope.as_str());
    }
    if let Some(src) = r.prefsrc {
        let _ = write!(s, "src {src} ");
    }
    if r.metric != 0 {
        let _ = write!(s, "metric {} ", r.metric);
    }
    if r.onlink {
        s.push_str("onlink ");
    }
    if route_linkdown(w, r) {
        s.push_str("linkdown ");
    }
    s.push('\n');
    s
}

/// One IPv4 route as iproute2's JSON object.
fn route_json(w: &World, r: &Route, show_table: bool, hide_dev: bool) -> J {
    let mut o: Vec<(&'static str, J)> = Vec::new();
    if r.rtype != RouteType::Unicast {
        o.push(("type", J::s(r.rtype.as_str())));
    }
    o.push(("dst", J::s(route_dst(r))));
    if let Some(gw) = r.gateway {
        o.push(("gateway", J::s(gw.to_string())));
    }
    if let Some(d) = r.dev.filter(|d| w.link_alive(*d)) {
        if !hide_dev {
            o.push(("dev", J::s(w.link(d).name.clone())));
        }
    }
    if show_table && r.table != TABLE_MAIN {
        o.push(("table", J::s(if r.table == TABLE_LOCAL { "local".to_string() } else { r.table.to_string() })));
    }
    if r.proto != RouteProto::Boot {
        o.push(("protocol", J::s(r.proto.as_str())));
    }
    if r.scope != RouteScope::Universe {
        o.push(("scope", J::s(r.scope.as_str())));
    }
    if let Some(src) = r.prefsrc {
        o.push(("prefsrc", J::s(src.to_string())));
    }
    if r.metric != 0 {
        o.push(("metric", J::Num(u64::from(r.metric))));
    }
    let mut flags = Vec::new();
    if r.onlink {
        flags.push(J::s("onlink"));
    }
    if route_linkdown(w, r) {
        flags.push(J::s("linkdown"));
    }
    o.push(("flags", J::Arr(flags)));
    J::Obj(o)
}

/// The IPv6 routes addrconf creates: `fe80::/64` (main), and `::1`, each
/// link-local and `ff00::/8` multicast (local), as text lines.
// DIVERGENCE: the kernel lists the per-device `fe80::/64` and `ff00::/8`
// routes in the order the devices became ready (carrier up); the model
// keeps no such order, so they are listed in ifindex order.
fn ipv6_routes(w: &World, ns: NsId, main: bool, local: bool, show_table: bool, only: Option<LinkId>) -> String {
    let mut s = String::new();
    let tl = if show_table { "table local " } else { "" };
    let ll: Vec<LinkId> = w
        .links_in(ns)
        .filter(|id| {
            let l = w.link(*id);
            l.ll6 && !l.is_loopback() && only.is_none_or(|o| o == *id)
        })
        .collect();
    let dev = |id: LinkId| -> String {
        if only.is_some() {
            String::new()
        } else {
            format!("dev {} ", w.link(id).name)
        }
    };
    let ld = |id: LinkId| if lower_up(w, id) { "" } else { "linkdown " };
    if main {
        for id in &ll {
            let _ = writeln!(s, "fe80::/64 {}proto kernel metric 256 {}pref medium", dev(*id), ld(*id));
        }
    }
    if local {
        let mut locals: Vec<(Ipv6Addr, LinkId)> = Vec::new();
        let lo = w.lo(ns);
        if w.link(lo).admin_up && w.link(lo).ipv6_disable == 0 && only.is_none_or(|o| o == lo) {
            locals.push((Ipv6Addr::LOCALHOST, lo));
        }
        for id in &ll {
            locals.push((ll6_addr(w.link(*id).mac), *id));
        }
        locals.sort();
        for (a, id) in locals {
            let _ = writeln!(s, "local {a} {}{tl}proto kernel metric 0 pref medium", dev(id));
        }
        for id in &ll {
            let _ = writeln!(s, "multicast ff00::/8 {}{tl}proto kernel metric 256 {}pref medium", dev(*id), ld(*id));
        }
    }
    s
}

/// `ip [-4|-6] [-j] route [show] [table main|local|all] [dev DEV]` (also
/// `ip r`) run in namespace `ns`. Without `-6` the main and local tables
/// list IPv4 only; `table all` adds the IPv6 routes addrconf made.
///
/// # Errors
/// [`IpError::CannotFindDevice`] when `dev` names no device in `ns`.
pub fn ip_route_show(
    w: &World,
    ns: NsId,
    table: TableSel,
    dev: Option<&str>,
    opts: &IpOpts,
) -> Result<String, IpError> {
    let only = match dev {
        Some(n) => Some(w.link_by_name(ns, n).ok_or_else(|| IpError::CannotFindDevice(n.to_string()))?),
        None => None,
    };
    let tables: &[u32] = match table {
        TableSel::Main => &[TABLE_MAIN],
        TableSel::Local => &[TABLE_LOCAL],
        TableSel::All => &[TABLE_MAIN, TABLE_LOCAL],
    };
    let show_table = table == TableSel::All;
    let v4 = opts.family != Family::Inet6;
    let v6 = opts.family == Family::Inet6 || (opts.family == Family::Any && table == TableSel::All);
    let routes: Vec<&Route> = if v4 {
        tables.iter().flat_map(|t| dump_order(w, ns, *t)).filter(|r| only.is_none() || r.dev == only).collect()
    } else {
        Vec::new()
    };
    if opts.json {
        // DIVERGENCE: JSON lists the IPv4 routes only.
        let items = routes.iter().map(|r| route_json(w, r, show_table, only.is_some())).collect();
        return Ok(json_array(items));
    }
    let mut out = String::new();
    for r in routes {
        out.push_str(&route_line(w, r, show_table, only.is_some()));
    }
    if v6 {
        let main = matches!(table, TableSel::Main | TableSel::All);
        let local = matches!(table, TableSel::Local | TableSel::All);
        out.push_str(&ipv6_routes(w, ns, main, local, show_table, only));
    }
    Ok(out)
}

/// `ip route get ADDR` run in namespace `ns` (no `from`/`oif`/`mark`).
///
/// # Errors
/// `RTNETLINK answers: ...` as the kernel refuses: no route
/// ([`IpError::NetUnreachable`]), `unreachable`, `prohibit`, `blackhole`.
pub fn ip_route_get(w: &World, ns: NsId, dst: Ipv4Addr) -> Result<String, IpError> {
    let r = w.fib_lookup(ns, dst, None).ok_or(IpError::NetUnreachable)?.route;
    let dev_name = |d: Option<LinkId>| d.filter(|d| w.link_alive(*d)).map(|d| w.link(d).name.clone());
    match r.rtype {
        RouteType::Unreachable => Err(IpError::HostUnreachable),
        RouteType::Prohibit => Err(IpError::Prohibited),
        RouteType::Blackhole => Err(IpError::Invalid),
        RouteType::Local => {
            let src = r.prefsrc.unwrap_or(dst);
            Ok(format!("local {dst} dev lo src {src} uid 0 \n    cache <local> \n"))
        }
        RouteType::Broadcast => {
            let src = w.route_source(ns, &r, dst);
            let mut s = format!("broadcast {dst} ");
            if let Some(d) = dev_name(r.dev) {
                let _ = write!(s, "dev {d} ");
            }
            if let Some(src) = src {
                let _ = write!(s, "src {src} ");
            }
            s.push_str("uid 0 \n    cache <local,brd> \n");
            Ok(s)
        }
        RouteType::Unicast => {
            let src = w.route_source(ns, &r, dst);
            let mut s = format!("{dst} ");
            if let Some(gw) = r.gateway {
                let _ = write!(s, "via {gw} ");
            }
            if let Some(d) = dev_name(r.dev) {
                let _ = write!(s, "dev {d} ");
            }
            if let Some(src) = src {
                let _ = write!(s, "src {src} ");
            }
            s.push_str("uid 0 \n    cache \n");
            Ok(s)
        }
    }
}

// ---------------------------------------------------------------------------
// ip neigh
// ---------------------------------------------------------------------------

/// The neighbour entries `ip neigh` and `arp` list: every entry of the
/// namespace except `NOARP` ones (iproute2's default state filter and
/// `/proc/net/arp` both hide them), in model order.
// DIVERGENCE: the kernel dumps its neighbour hash table, whose order depends
// on a random hash seed; verify should compare neighbour listings sorted.
pub fn visible_neighs(w: &World, ns: NsId) -> Vec<(Ipv4Addr, &Neigh)> {
    w.ns(ns)
        .neigh
        .iter()
        .filter(|(_, n)| n.state != NeighState::Noarp && w.link_alive(n.dev))
        .map(|((_, ip), n)| (*ip, n))
        .collect()
}

/// `ip [-j] neigh [show] [dev DEV]` (also `ip n`) run in namespace `ns`.
///
/// # Errors
/// [`IpError::CannotFindDevice`] when `dev` names no device in `ns`.
pub fn ip_neigh_show(w: &World, ns: NsId, dev: Option<&str>, opts: &IpOpts) -> Result<String, IpError> {
    let only = match dev {
        Some(n) => Some(w.link_by_name(ns, n).ok_or_else(|| IpError::CannotFindDevice(n.to_string()))?),
        None => None,
    };
    let entries: Vec<(Ipv4Addr, &Neigh)> =
        visible_neighs(w, ns).into_iter().filter(|(_, n)| only.is_none_or(|o| o == n.dev)).collect();
    if opts.json {
        let items = entries
            .iter()
            .map(|(ip, n)| {
                let mut o: Vec<(&'static str, J)> = vec![("dst", J::s(ip.to_string()))];
                if only.is_none() {
                    o.push(("dev", J::s(w.link(n.dev).name.clone())));
                }
                if let Some(m) = n.lladdr.filter(|_| n.state.valid()) {
                    o.push(("lladdr", J::s(m.to_string())));
                }
                o.push(("state", J::Arr(vec![J::s(n.state.as_str())])));
                J::Obj(o)
            })
            .collect();
        return Ok(json_array(items));
    }
    let mut out = String::new();
    for (ip, n) in entries {
        let _ = write!(out, "{ip} ");
        if only.is_none() {
            let _ = write!(out, "dev {} ", w.link(n.dev).name);
        }
        if let Some(m) = n.lladdr.filter(|_| n.state.valid()) {
            let _ = write!(out, "lladdr {m} ");
        }
        let _ = writeln!(out, "{} ", n.state.as_str());
    }
    Ok(out)
}

// ---------------------------------------------------------------------------
// ip netns
// ---------------------------------------------------------------------------

/// `ip [-j] netns list` run in namespace `ns`: the names under `/run/netns`
/// newest first (tmpfs `readdir` order), each with ` (id: N)` when `ns` has
/// an nsid for it.
pub fn ip_netns_list(w: &World, ns: NsId, json: bool) -> String {
    let mut names: Vec<(&String, NsId)> =
        w.ns_names.iter().filter(|(_, id)| w.ns_alive(**id)).map(|(n, id)| (n, *id)).collect();
    names.sort_by_key(|(_, id)| std::cmp::Reverse(*id));
    let nsids = &w.ns(ns).nsids;
    if json {
        let items = names
            .iter()
            .map(|(n, id)| {
                let mut o: Vec<(&'static str, J)> = vec![("name", J::s(n.as_str()))];
                if let Some(x) = nsids.get(id) {
                    o.push(("id", J::Num(u64::from(*x))));
                }
                J::Obj(o)
            })
            .collect();
        return json_array(items);
    }
    let mut out = String::new();
    for (n, id) in names {
        match nsids.get(&id) {
            Some(x) => {
                let _ = writeln!(out, "{n} (id: {x})");
            }
            None => {
                let _ = writeln!(out, "{n}");
            }
        }
    }
    out
}

/// `ip netns list-id` run in namespace `ns`: every nsid known there, in id
/// order, with the `/run/netns` name when there is one.
pub fn ip_netns_list_id(w: &World, ns: NsId) -> String {
    let mut ids: Vec<(u32, NsId)> = w.ns(ns).nsids.iter().map(|(n, i)| (*i, *n)).collect();
    ids.sort();
    let mut out = String::new();
    for (i, n) in ids {
        match w.ns_name(n) {
            Some(name) => {
                let _ = writeln!(out, "nsid {i} (iproute2 netns name: {name})");
            }
            None => {
                let _ = writeln!(out, "nsid {i} ");
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

/// Builders for hand-made worlds, shared with the `bridge` and `nettools`
/// renderer tests.
#[cfg(test)]
pub(crate) mod testkit {
    use crate::model::addr::AddrScope;
    use crate::model::route::{RouteProto, RouteScope, RouteType, TABLE_LOCAL, TABLE_MAIN};
    use crate::model::{
        BridgePort, FdbEntry, FdbFlags, HostProfile, IfAddr, Link, LinkId, LinkKind, MacAddr, Neigh, NeighState, NsId,
        Route, World,
    };
    use std::net::Ipv4Addr;

    /// `02:00:00:00:00:XX`-style MAC from its last two bytes.
    pub fn mac(b4: u8, b5: u8) -> MacAddr {
        MacAddr([2, 0, 0, 0, b4, b5])
    }

    /// A fresh world.
    pub fn world() -> World {
        World::new(HostProfile::plain())
    }

    /// `ip netns add NAME`.
    pub fn netns(w: &mut World, name: &str) -> NsId {
        let id = w.add_netns_raw();
        w.ns_names.insert(name.to_string(), id);
        id
    }

    fn add(w: &mut World, ns: NsId, name: &str, kind: LinkKind, m: MacAddr) -> LinkId {
        let ifindex = w.alloc_ifindex(ns);
        let mut l = Link::new(LinkId(0), ns, ifindex, name.into(), kind, m, 1500);
        l.mac_set = true;
        w.insert_link(l)
    }

    /// `ip link add A type veth peer name B` (the peer is registered first),
    /// MACs set by the user; returns `(a, b)`.
    pub fn veth(w: &mut World, ns: NsId, a: &str, ma: MacAddr, b: &str, mb: MacAddr) -> (LinkId, LinkId) {
        let pb = add(w, ns, b, LinkKind::Veth { peer: None }, mb);
        let pa = add(w, ns, a, LinkKind::Veth { peer: Some(pb) }, ma);
        w.link_mut(pb).kind = LinkKind::Veth { peer: Some(pa) };
        reselect(w);
        (pa, pb)
    }

    /// `ip link add NAME type bridge` + `ip link set NAME address MAC`.
    pub fn bridge(w: &mut World, ns: NsId, name: &str, m: MacAddr) -> LinkId {
        add(w, ns, name, LinkKind::Bridge(Box::default()), m)
    }

    /// `ip link set DEV netns NS`, keeping the ifindex (free there).
    pub fn move_to(w: &mut World, id: LinkId, to: NsId) {
        let (from, name, ifindex) = {
            let l = w.link(id);
            (l.ns, l.name.clone(), l.ifindex)
        };
        w.ns_mut(from).by_name.remove(&name);
        w.ns_mut(from).by_index.remove(&ifindex);
        let ifindex = if w.ns(to).by_index.contains_key(&ifindex) { w.alloc_ifindex(to) } else { ifindex };
        w.ns_mut(to).by_name.insert(name, id);
        w.ns_mut(to).by_index.insert(ifindex, id);
        let l = w.link_mut(id);
        l.ns = to;
        l.ifindex = ifindex;
    }

    /// `ip link set PORT master BR`: port number, local FDB entry.
    pub fn enslave(w: &mut World, port: LinkId, br: LinkId, now: u64) {
        let m = w.link(port).mac;
        let no = w.link(br).bridge().map_or(1, |b| b.ports.len() as u16 + 1);
        let l = w.link_mut(port);
        l.master = Some(br);
        l.port = Some(BridgePort {
            bridge: br,
            port_no: no,
            priority: 32,
            path_cost: 2,
            learning: true,
            flood: true,
            hairpin: false,
        });
        if let Some(b) = w.link_mut(br).bridge_mut() {
            b.ports.push(port);
            b.fdb.insert(m, local_entry(Some(port), now));
        }
        w.bridge_port_selection(br, true);
    }

    /// A local (permanent) FDB entry.
    pub fn local_entry(port: Option<LinkId>, now: u64) -> FdbEntry {
        FdbEntry {
            port,
            flags: FdbFlags { local: true, is_static: true, added_by_user: false },
            updated_ns: now,
            used_ns: now,
        }
    }

    /// Adds the bridge's own MAC entry (`dst == NULL`).
    pub fn bridge_self_entry(w: &mut World, br: LinkId) {
        let m = w.link(br).mac;
        if let Some(b) = w.link_mut(br).bridge_mut() {
            b.fdb.insert(m, local_entry(None, 0));
        }
    }

    /// A learned FDB entry.
    pub fn learn(w: &mut World, br: LinkId, m: MacAddr, port: LinkId, now: u64) {
        if let Some(b) = w.link_mut(br).bridge_mut() {
            b.fdb.insert(m, FdbEntry { port: Some(port), flags: FdbFlags::default(), updated_ns: now, used_ns: now });
        }
    }

    /// `ip link set DEV up` (with `ll6` when `ll6`), then the bridges'
    /// port selection as the kernel runs it on a port state change.
    pub fn up(w: &mut World, id: LinkId, ll6: bool) {
        let l = w.link_mut(id);
        l.admin_up = true;
        l.ever_up = true;
        l.ll6 = ll6;
        reselect(w);
    }

    /// Settles derived state as the engine's refresh does: port selection
    /// on every bridge, and each veth's stored operstate.
    pub fn reselect(w: &mut World) {
        let live: Vec<LinkId> = (0..w.links.len() as u32).map(LinkId).filter(|l| w.link_alive(*l)).collect();
        for &id in &live {
            if w.link(id).bridge().is_some() {
                w.bridge_port_selection(id, false);
            }
        }
        for &id in &live {
            if w.link(id).veth_peer().is_some() {
                let oper = w.default_operstate(id);
                w.link_mut(id).oper_stored = Some(oper);
            }
        }
    }

    /// `ip link set lo up` with its 127.0.0.1/8 and local routes.
    pub fn lo_up(w: &mut World, ns: NsId) {
        let lo = w.lo(ns);
        let l = w.link_mut(lo);
        l.admin_up = true;
        l.ever_up = true;
        l.addrs.push(IfAddr {
            addr: Ipv4Addr::new(127, 0, 0, 1),
            prefix_len: 8,
            broadcast: None,
            scope: AddrScope::Host,
            secondary: false,
            label: None,
            noprefixroute: false,
        });
        let src = Some(Ipv4Addr::new(127, 0, 0, 1));
        for (rt, dst, plen, sc) in [
            (RouteType::Local, Ipv4Addr::new(127, 0, 0, 0), 8, RouteScope::Host),
            (RouteType::Local, Ipv4Addr::new(127, 0, 0, 1), 32, RouteScope::Host),
            (RouteType::Broadcast, Ipv4Addr::new(127, 255, 255, 255), 32, RouteScope::Link),
        ] {
            route(w, ns, TABLE_LOCAL, rt, dst, plen, Some(lo), None, src, 0, sc, RouteProto::Kernel);
        }
    }

    /// An IPv4 address as `ip addr add` makes it.
    pub fn addr(
        w: &mut World,
        id: LinkId,
        a: [u8; 4],
        plen: u8,
        brd: Option<[u8; 4]>,
        secondary: bool,
        label: Option<&str>,
    ) {
        w.link_mut(id).addrs.push(IfAddr {
            addr: Ipv4Addr::from(a),
            prefix_len: plen,
            broadcast: brd.map(Ipv4Addr::from),
            scope: AddrScope::Global,
            secondary,
            label: label.map(str::to_string),
            noprefixroute: false,
        });
    }

    /// The routes the kernel adds for a primary address `a/plen` on `dev`.
    pub fn addr_routes(w: &mut World, ns: NsId, dev: LinkId, a: [u8; 4], plen: u8, local_only: bool) {
        let ip = Ipv4Addr::from(a);
        let m = crate::model::addr::mask(plen);
        let net = Ipv4Addr::from(u32::from(ip) & m);
        let bcast = Ipv4Addr::from(u32::from(ip) | !m);
        let k = RouteProto::Kernel;
        if !local_only {
            route(w, ns, TABLE_MAIN, RouteType::Unicast, net, plen, Some(dev), None, Some(ip), 0, RouteScope::Link, k);
        }
        route(w, ns, TABLE_LOCAL, RouteType::Local, ip, 32, Some(dev), None, Some(ip), 0, RouteScope::Host, k);
        if plen < 31 {
            route(
                w,
                ns,
                TABLE_LOCAL,
                RouteType::Broadcast,
                bcast,
                32,
                Some(dev),
                None,
                Some(ip),
                0,
                RouteScope::Link,
                k,
            );
        }
    }

    /// Inserts a route.
    #[allow(clippy::too_many_arguments)]
    pub fn route(
        w: &mut World,
        ns: NsId,
        table: u32,
        rtype: RouteType,
        dst: Ipv4Addr,
        prefix_len: u8,
        dev: Option<LinkId>,
        gateway: Option<Ipv4Addr>,
        prefsrc: Option<Ipv4Addr>,
        metric: u32,
        scope: RouteScope,
        proto: RouteProto,
    ) {
        let r = Route { table, dst, prefix_len, rtype, dev, gateway, prefsrc, metric, scope, proto, onlink: false };
        let _ = w.ns_mut(ns).routes.insert(r, false);
    }

    /// A neighbour entry.
    pub fn neigh(w: &mut World, ns: NsId, dev: LinkId, ip: [u8; 4], ll: Option<MacAddr>, state: NeighState) {
        let n = Neigh {
            dev,
            lladdr: ll,
            state,
            probes: 0,
            timer_ns: None,
            confirmed_ns: 0,
            updated_ns: 0,
            used_ns: 0,
            queue: Vec::new(),
            queue_saddr: None,
            by_user: false,
        };
        w.ns_mut(ns).neigh.insert((dev, Ipv4Addr::from(ip)), n);
    }

    /// The world of recording `s1`: root with lo up, veth0 (port of br0)
    /// whose peer veth1 sits in ns1, a same-namespace pair vA (up) / vB
    /// (down), br0 up with one forwarding port; ns2 unused.
    pub struct S1 {
        pub w: World,
        pub ns1: NsId,
        pub veth0: LinkId,
        pub veth1: LinkId,
        pub va: LinkId,
        pub vb: LinkId,
        pub br0: LinkId,
    }

    /// The world of recording s6: br0 (MAC set) with ports h1, h2 (peers in
    /// n1, n2, forwarding) and h3 (up, peer c3 down in root: disabled);
    /// br1 down and empty.
    pub fn s6() -> (World, LinkId, LinkId, LinkId, LinkId) {
        let mut w = world();
        let root = World::ROOT;
        let n1 = netns(&mut w, "n1");
        let n2 = netns(&mut w, "n2");
        let br0 = bridge(&mut w, root, "br0", mac(0, 0xbb));
        bridge_self_entry(&mut w, br0);
        let br1 = bridge(&mut w, root, "br1", mac(1, 0xbb));
        bridge_self_entry(&mut w, br1);
        let (h1, c1) = veth(&mut w, root, "h1", mac(0, 0xa1), "c1", mac(0, 0xc1));
        let (h2, c2) = veth(&mut w, root, "h2", mac(0, 0xa2), "c2", mac(0, 0xc2));
        let (h3, _c3) = veth(&mut w, root, "h3", mac(0, 0xa3), "c3", mac(0, 0xc3));
        move_to(&mut w, c1, n1);
        move_to(&mut w, c2, n2);
        w.ns_mut(root).nsids.insert(n1, 0);
        w.ns_mut(root).nsids.insert(n2, 1);
        for h in [h1, h2, h3] {
            enslave(&mut w, h, br0, 0);
        }
        up(&mut w, br0, true);
        up(&mut w, h1, true);
        up(&mut w, h2, true);
        up(&mut w, h3, false);
        up(&mut w, c1, true);
        up(&mut w, c2, true);
        learn(&mut w, br0, mac(0, 0xc2), h2, 10_000_000_000);
        learn(&mut w, br0, mac(0, 0xc1), h1, 19_340_000_000);
        (w, br0, h1, h2, h3)
    }

    /// Builds [`S1`] (after the ping, addresses configured).
    pub fn s1() -> S1 {
        let mut w = world();
        let root = World::ROOT;
        let ns1 = netns(&mut w, "ns1");
        let _ns2 = netns(&mut w, "ns2");
        let (veth0, veth1) = veth(&mut w, root, "veth0", mac(0, 1), "veth1", mac(0, 2));
        let (va, vb) = veth(&mut w, root, "vA", mac(0, 0x0a), "vB", mac(0, 0x0b));
        let br0 = bridge(&mut w, root, "br0", mac(0, 0xbb));
        bridge_self_entry(&mut w, br0);
        move_to(&mut w, veth1, ns1);
        w.ns_mut(root).nsids.insert(ns1, 0);
        w.ns_mut(ns1).nsids.insert(root, 0);
        lo_up(&mut w, root);
        up(&mut w, va, false);
        up(&mut w, br0, true);
        enslave(&mut w, veth0, br0, 0);
        up(&mut w, veth0, true);
        up(&mut w, veth1, true);
        lo_up(&mut w, ns1);
        addr(&mut w, br0, [10, 0, 0, 1], 24, None, false, None);
        addr_routes(&mut w, root, br0, [10, 0, 0, 1], 24, false);
        addr(&mut w, veth1, [10, 0, 0, 2], 24, Some([10, 0, 0, 255]), false, None);
        addr_routes(&mut w, ns1, veth1, [10, 0, 0, 2], 24, false);
        addr(&mut w, veth1, [10, 0, 1, 3], 24, None, false, Some("veth1:0"));
        addr_routes(&mut w, ns1, veth1, [10, 0, 1, 3], 24, false);
        addr(&mut w, veth1, [10, 0, 0, 3], 24, None, true, None);
        route(
            &mut w,
            ns1,
            TABLE_LOCAL,
            RouteType::Local,
            Ipv4Addr::new(10, 0, 0, 3),
            32,
            Some(veth1),
            None,
            Some(Ipv4Addr::new(10, 0, 0, 2)),
            0,
            RouteScope::Host,
            RouteProto::Kernel,
        );
        learn(&mut w, br0, mac(0, 2), veth0, 4_000_000_000);
        neigh(&mut w, root, br0, [10, 0, 0, 2], Some(mac(0, 2)), NeighState::Delay);
        neigh(&mut w, ns1, veth1, [10, 0, 0, 1], Some(mac(0, 0xbb)), NeighState::Reachable);
        let st = &mut w.link_mut(veth0).stats;
        (st.rx_bytes, st.rx_packets, st.tx_bytes, st.tx_packets) = (656, 8, 1360, 16);
        let st = &mut w.link_mut(veth1).stats;
        (st.rx_bytes, st.rx_packets, st.tx_bytes, st.tx_packets) = (1360, 16, 656, 8);
        let st = &mut w.link_mut(br0).stats;
        (st.rx_bytes, st.rx_packets, st.tx_bytes, st.tx_packets) = (544, 8, 844, 10);
        S1 { w, ns1, veth0, veth1, va, vb, br0 }
    }
}

#[cfg(test)]
mod tests {
    use super::testkit::*;
    use super::*;

    fn txt(r: Result<String, IpError>) -> String {
        r.unwrap_or_else(|e| e.to_string())
    }

    // Proves the fresh-host view: lo down is `<LOOPBACK>`, qdisc noop,
    // state DOWN, and `ip addr` drops `mode DEFAULT` (recorded on 6.18).
    #[test]
    fn fresh_lo() {
        let w = world();
        let o = IpOpts::default();
        assert_eq!(
            txt(ip_link_show(&w, World::ROOT, None, &o)),
            "1: lo: <LOOPBACK> mtu 65536 qdisc noop state DOWN mode DEFAULT group default qlen 1000\n    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n"
        );
        assert_eq!(
            txt(ip_addr_show(&w, World::ROOT, None, &o)),
            "1: lo: <LOOPBACK> mtu 65536 qdisc noop state DOWN group default qlen 1000\n    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n"
        );
        let j = IpOpts { json: true, ..o };
        assert_eq!(
            txt(ip_link_show(&w, World::ROOT, None, &j)),
            "[{\"ifindex\":1,\"ifname\":\"lo\",\"flags\":[\"LOOPBACK\"],\"mtu\":65536,\"qdisc\":\"noop\",\"operstate\":\"DOWN\",\"linkmode\":\"DEFAULT\",\"group\":\"default\",\"txqlen\":1000,\"link_type\":\"loopback\",\"address\":\"00:00:00:00:00:00\",\"broadcast\":\"00:00:00:00:00:00\"}]\n"
        );
        let d = IpOpts { details: true, ..o };
        assert_eq!(
            txt(ip_link_show(&w, World::ROOT, None, &d)),
            "1: lo: <LOOPBACK> mtu 65536 qdisc noop state DOWN mode DEFAULT group default qlen 1000\n    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00 promiscuity 0  allmulti 0 minmtu 0 maxmtu 0 addrgenmode eui64 numtxqueues 1 numrxqueues 1 gso_max_size 65536 gso_max_segs 65535 tso_max_size 524280 tso_max_segs 65535 gro_max_size 65536 \n"
        );
    }

    // Proves same-namespace naming (`veth1@veth0`), M-DOWN on both ends of
    // a down pair, and ifindex order (the peer is registered first).
    #[test]
    fn same_ns_pair_down() {
        let mut w = world();
        veth(&mut w, World::ROOT, "veth0", mac(0, 1), "veth1", mac(0, 2));
        assert_eq!(
            txt(ip_link_show(&w, World::ROOT, None, &IpOpts::default())),
            "1: lo: <LOOPBACK> mtu 65536 qdisc noop state DOWN mode DEFAULT group default qlen 1000\n    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n\
2: veth1@veth0: <BROADCAST,MULTICAST,M-DOWN> mtu 1500 qdisc noop state DOWN mode DEFAULT group default qlen 1000\n    link/ether 02:00:00:00:00:02 brd ff:ff:ff:ff:ff:ff\n\
3: veth0@veth1: <BROADCAST,MULTICAST,M-DOWN> mtu 1500 qdisc noop state DOWN mode DEFAULT group default qlen 1000\n    link/ether 02:00:00:00:00:01 brd ff:ff:ff:ff:ff:ff\n"
        );
    }

    // Proves the full `ip link` of recording s1: `@if2` + `link-netns ns1`
    // for a peer in a named netns, `master br0`, NO-CARRIER/M-DOWN/
    // LOWERLAYERDOWN for an up veth with a down same-ns peer, and a bridge
    // with a forwarding port in state UP (not UNKNOWN).
    #[test]
    fn s1_ip_link() {
        let s = s1();
        assert_eq!(
            txt(ip_link_show(&s.w, World::ROOT, None, &IpOpts::default())),
            "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000
    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00
3: veth0@if2: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue master br0 state UP mode DEFAULT group default qlen 1000
    link/ether 02:00:00:00:00:01 brd ff:ff:ff:ff:ff:ff link-netns ns1
4: vB@vA: <BROADCAST,MULTICAST> mtu 1500 qdisc noop state DOWN mode DEFAULT group default qlen 1000
    link/ether 02:00:00:00:00:0b brd ff:ff:ff:ff:ff:ff
5: vA@vB: <NO-CARRIER,BROADCAST,MULTICAST,UP,M-DOWN> mtu 1500 qdisc noqueue state LOWERLAYERDOWN mode DEFAULT group default qlen 1000
    link/ether 02:00:00:00:00:0a brd ff:ff:ff:ff:ff:ff
6: br0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP mode DEFAULT group default qlen 1000
    link/ether 02:00:00:00:00:bb brd ff:ff:ff:ff:ff:ff
"
        );
    }

    // Proves `ip a` of s1: the `::1` and EUI-64 link-local lines with their
    // trailing space, `inet` without `brd`, and no addresses on down links.
    #[test]
    fn s1_ip_addr_root() {
        let s = s1();
        assert_eq!(
            txt(ip_addr_show(&s.w, World::ROOT, None, &IpOpts::default())),
            "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000
    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00
    inet 127.0.0.1/8 scope host lo
       valid_lft forever preferred_lft forever
    inet6 ::1/128 scope host 
       valid_lft forever preferred_lft forever
3: veth0@if2: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue master br0 state UP group default qlen 1000
    link/ether 02:00:00:00:00:01 brd ff:ff:ff:ff:ff:ff link-netns ns1
    inet6 fe80::ff:fe00:1/64 scope link 
       valid_lft forever preferred_lft forever
4: vB@vA: <BROADCAST,MULTICAST> mtu 1500 qdisc noop state DOWN group default qlen 1000
    link/ether 02:00:00:00:00:0b brd ff:ff:ff:ff:ff:ff
5: vA@vB: <NO-CARRIER,BROADCAST,MULTICAST,UP,M-DOWN> mtu 1500 qdisc noqueue state LOWERLAYERDOWN group default qlen 1000
    link/ether 02:00:00:00:00:0a brd ff:ff:ff:ff:ff:ff
6: br0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP group default qlen 1000
    link/ether 02:00:00:00:00:bb brd ff:ff:ff:ff:ff:ff
    inet 10.0.0.1/24 scope global br0
       valid_lft forever preferred_lft forever
    inet6 fe80::ff:fe00:bb/64 scope link 
       valid_lft forever preferred_lft forever
"
        );
    }

    // Proves the view from inside ns1: `link-netnsid 0` for a peer in the
    // unnamed root namespace, `brd`, a labelled alias and `secondary`.
    #[test]
    fn s1_ip_addr_ns1() {
        let s = s1();
        assert_eq!(
            txt(ip_addr_show(&s.w, s.ns1, None, &IpOpts::default())),
            "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000
    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00
    inet 127.0.0.1/8 scope host lo
       valid_lft forever preferred_lft forever
    inet6 ::1/128 scope host 
       valid_lft forever preferred_lft forever
2: veth1@if3: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP group default qlen 1000
    link/ether 02:00:00:00:00:02 brd ff:ff:ff:ff:ff:ff link-netnsid 0
    inet 10.0.0.2/24 brd 10.0.0.255 scope global veth1
       valid_lft forever preferred_lft forever
    inet 10.0.1.3/24 scope global veth1:0
       valid_lft forever preferred_lft forever
    inet 10.0.0.3/24 scope global secondary veth1
       valid_lft forever preferred_lft forever
    inet6 fe80::ff:fe00:2/64 scope link 
       valid_lft forever preferred_lft forever
"
        );
    }

    // Proves `ip -d link` for a plain veth (recording s1): the `veth` kind
    // line continues with the generic tail, 2 queues.
    #[test]
    fn s1_details() {
        let s = s1();
        let o = IpOpts { details: true, ..IpOpts::default() };
        let out = txt(ip_link_show(&s.w, World::ROOT, Some("vB"), &o));
        assert_eq!(out, "4: vB@vA: <BROADCAST,MULTICAST> mtu 1500 qdisc noop state DOWN mode DEFAULT group default qlen 1000
    link/ether 02:00:00:00:00:0b brd ff:ff:ff:ff:ff:ff promiscuity 0  allmulti 0 minmtu 68 maxmtu 65535 
    veth addrgenmode eui64 numtxqueues 2 numrxqueues 2 gso_max_size 65536 gso_max_segs 65535 tso_max_size 524280 tso_max_segs 65535 gro_max_size 65536 \n");
    }

    // Proves `ip -d link` of recording s6 for forwarding and disabled bridge
    // ports (a lone `veth ` line, then `bridge_slave`, promiscuity/allmulti
    // 1, port ids) and for the bridge (configuration in centiseconds). The
    // virtual time is chosen so the approximated gc timer equals the
    // recorded 256.36 (oldest learned entry refreshed at 10.00 s).
    #[test]
    fn s6_details() {
        let (w, ..) = s6();
        let o = IpOpts { details: true, now_ns: 53_640_000_000, ..IpOpts::default() };
        let out = txt(ip_link_show(&w, World::ROOT, Some("h1"), &o));
        assert_eq!(out, "5: h1@if4: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue master br0 state UP mode DEFAULT group default qlen 1000
    link/ether 02:00:00:00:00:a1 brd ff:ff:ff:ff:ff:ff link-netns n1 promiscuity 1  allmulti 1 minmtu 68 maxmtu 65535 
    veth 
    bridge_slave state forwarding priority 32 cost 2 hairpin off guard off root_block off fastleave off learning on flood on port_id 0x8001 port_no 0x1 designated_port 32769 designated_cost 0 designated_bridge 8000.2:0:0:0:0:bb designated_root 8000.2:0:0:0:0:bb hold_timer    0.00 message_age_timer    0.00 forward_delay_timer    0.00 topology_change_ack 0 config_pending 0 proxy_arp off proxy_arp_wifi off mcast_router 1 mcast_fast_leave off mcast_flood on bcast_flood on mcast_to_unicast off neigh_suppress off group_fwd_mask 0 group_fwd_mask_str 0x0 vlan_tunnel off isolated off locked off addrgenmode eui64 numtxqueues 2 numrxqueues 2 gso_max_size 65536 gso_max_segs 65535 tso_max_size 524280 tso_max_segs 65535 gro_max_size 65536 \n");
        let out = txt(ip_link_show(&w, World::ROOT, Some("h3"), &o));
        assert_eq!(out, "9: h3@c3: <NO-CARRIER,BROADCAST,MULTICAST,UP,M-DOWN> mtu 1500 qdisc noqueue master br0 state LOWERLAYERDOWN mode DEFAULT group default qlen 1000
    link/ether 02:00:00:00:00:a3 brd ff:ff:ff:ff:ff:ff promiscuity 1  allmulti 1 minmtu 68 maxmtu 65535 
    veth 
    bridge_slave state disabled priority 32 cost 2 hairpin off guard off root_block off fastleave off learning on flood on port_id 0x8003 port_no 0x3 designated_port 32771 designated_cost 0 designated_bridge 8000.2:0:0:0:0:bb designated_root 8000.2:0:0:0:0:bb hold_timer    0.00 message_age_timer    0.00 forward_delay_timer    0.00 topology_change_ack 0 config_pending 0 proxy_arp off proxy_arp_wifi off mcast_router 1 mcast_fast_leave off mcast_flood on bcast_flood on mcast_to_unicast off neigh_suppress off group_fwd_mask 0 group_fwd_mask_str 0x0 vlan_tunnel off isolated off locked off addrgenmode eui64 numtxqueues 2 numrxqueues 2 gso_max_size 65536 gso_max_segs 65535 tso_max_size 524280 tso_max_segs 65535 gro_max_size 65536 \n");
        let out = txt(ip_link_show(&w, World::ROOT, Some("br0"), &o));
        assert_eq!(out, "2: br0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP mode DEFAULT group default qlen 1000
    link/ether 02:00:00:00:00:bb brd ff:ff:ff:ff:ff:ff promiscuity 0  allmulti 0 minmtu 68 maxmtu 65535 
    bridge forward_delay 1500 hello_time 200 max_age 2000 ageing_time 30000 stp_state 0 priority 32768 vlan_filtering 0 bridge_id 8000.2:0:0:0:0:bb designated_root 8000.2:0:0:0:0:bb root_port 0 root_path_cost 0 topology_change 0 topology_change_detected 0 hello_timer    0.00 tcn_timer    0.00 topology_change_timer    0.00 gc_timer  256.36 group_fwd_mask 0 group_address 01:80:c2:00:00:00 mcast_snooping 1 no_linklocal_learn 0 mcast_vlan_snooping 0 mcast_router 1 mcast_query_use_ifaddr 0 mcast_querier 0 mcast_hash_elasticity 16 mcast_hash_max 4096 mcast_last_member_count 2 mcast_startup_query_count 2 mcast_last_member_interval 100 mcast_membership_interval 26000 mcast_querier_interval 25500 mcast_query_interval 12500 mcast_query_response_interval 1000 mcast_startup_query_interval 3124 mcast_stats_enabled 0 mcast_igmp_version 2 mcast_mld_version 1 nf_call_iptables 0 nf_call_ip6tables 0 nf_call_arptables 0 addrgenmode eui64 numtxqueues 1 numrxqueues 1 gso_max_size 65536 gso_max_segs 65535 tso_max_size 524280 tso_max_segs 65535 gro_max_size 65536 \n");
    }

    // Proves the `-s` block layout (column widths from `size_columns`).
    #[test]
    fn s1_stats() {
        let s = s1();
        let o = IpOpts { stats: 1, ..IpOpts::default() };
        assert_eq!(
            txt(ip_link_show(&s.w, World::ROOT, Some("veth0"), &o)),
            "3: veth0@if2: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue master br0 state UP mode DEFAULT group default qlen 1000
    link/ether 02:00:00:00:00:01 brd ff:ff:ff:ff:ff:ff link-netns ns1
    RX:  bytes packets errors dropped  missed   mcast           
           656       8      0       0       0       0 
    TX:  bytes packets errors dropped carrier collsns           
          1360      16      0       0       0       0 
"
        );
    }

    // Proves the JSON key order of `ip -j link` / `ip -j addr`: `link` vs
    // `link_index`, `master`, `link_netnsid` numeric even when named,
    // `secondary`, `broadcast` and `label` in addr_info.
    #[test]
    fn s1_json() {
        let s = s1();
        let o = IpOpts { json: true, ..IpOpts::default() };
        assert_eq!(
            txt(ip_link_show(&s.w, World::ROOT, None, &o)),
            r#"[{"ifindex":1,"ifname":"lo","flags":["LOOPBACK","UP","LOWER_UP"],"mtu":65536,"qdisc":"noqueue","operstate":"UNKNOWN","linkmode":"DEFAULT","group":"default","txqlen":1000,"link_type":"loopback","address":"00:00:00:00:00:00","broadcast":"00:00:00:00:00:00"},{"ifindex":3,"link_index":2,"ifname":"veth0","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],"mtu":1500,"qdisc":"noqueue","master":"br0","operstate":"UP","linkmode":"DEFAULT","group":"default","txqlen":1000,"link_type":"ether","address":"02:00:00:00:00:01","broadcast":"ff:ff:ff:ff:ff:ff","link_netnsid":0},{"ifindex":4,"link":"vA","ifname":"vB","flags":["BROADCAST","MULTICAST"],"mtu":1500,"qdisc":"noop","operstate":"DOWN","linkmode":"DEFAULT","group":"default","txqlen":1000,"link_type":"ether","address":"02:00:00:00:00:0b","broadcast":"ff:ff:ff:ff:ff:ff"},{"ifindex":5,"link":"vB","ifname":"vA","flags":["NO-CARRIER","BROADCAST","MULTICAST","UP","M-DOWN"],"mtu":1500,"qdisc":"noqueue","operstate":"LOWERLAYERDOWN","linkmode":"DEFAULT","group":"default","txqlen":1000,"link_type":"ether","address":"02:00:00:00:00:0a","broadcast":"ff:ff:ff:ff:ff:ff"},{"ifindex":6,"ifname":"br0","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],"mtu":1500,"qdisc":"noqueue","operstate":"UP","linkmode":"DEFAULT","group":"default","txqlen":1000,"link_type":"ether","address":"02:00:00:00:00:bb","broadcast":"ff:ff:ff:ff:ff:ff"}]
"#
        );
        assert_eq!(
            txt(ip_addr_show(&s.w, s.ns1, None, &o)),
            r#"[{"ifindex":1,"ifname":"lo","flags":["LOOPBACK","UP","LOWER_UP"],"mtu":65536,"qdisc":"noqueue","operstate":"UNKNOWN","group":"default","txqlen":1000,"link_type":"loopback","address":"00:00:00:00:00:00","broadcast":"00:00:00:00:00:00","addr_info":[{"family":"inet","local":"127.0.0.1","prefixlen":8,"scope":"host","label":"lo","valid_life_time":4294967295,"preferred_life_time":4294967295},{"family":"inet6","local":"::1","prefixlen":128,"scope":"host","valid_life_time":4294967295,"preferred_life_time":4294967295}]},{"ifindex":2,"link_index":3,"ifname":"veth1","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],"mtu":1500,"qdisc":"noqueue","operstate":"UP","group":"default","txqlen":1000,"link_type":"ether","address":"02:00:00:00:00:02","broadcast":"ff:ff:ff:ff:ff:ff","link_netnsid":0,"addr_info":[{"family":"inet","local":"10.0.0.2","prefixlen":24,"broadcast":"10.0.0.255","scope":"global","label":"veth1","valid_life_time":4294967295,"preferred_life_time":4294967295},{"family":"inet","local":"10.0.1.3","prefixlen":24,"scope":"global","label":"veth1:0","valid_life_time":4294967295,"preferred_life_time":4294967295},{"family":"inet","local":"10.0.0.3","prefixlen":24,"scope":"global","secondary":true,"label":"veth1","valid_life_time":4294967295,"preferred_life_time":4294967295},{"family":"inet6","local":"fe80::ff:fe00:2","prefixlen":64,"scope":"link","valid_life_time":4294967295,"preferred_life_time":4294967295}]}]
"#
        );
    }

    // Proves the `-br` layouts (16/14 padded columns, trailing space).
    #[test]
    fn s1_brief() {
        let s = s1();
        let o = IpOpts { brief: true, ..IpOpts::default() };
        assert_eq!(
            txt(ip_link_show(&s.w, World::ROOT, None, &o)),
            "lo               UNKNOWN        00:00:00:00:00:00 <LOOPBACK,UP,LOWER_UP> 
veth0@if2        UP             02:00:00:00:00:01 <BROADCAST,MULTICAST,UP,LOWER_UP> 
vB@vA            DOWN           02:00:00:00:00:0b <BROADCAST,MULTICAST> 
vA@vB            LOWERLAYERDOWN 02:00:00:00:00:0a <NO-CARRIER,BROADCAST,MULTICAST,UP,M-DOWN> 
br0              UP             02:00:00:00:00:bb <BROADCAST,MULTICAST,UP,LOWER_UP> 
"
        );
        assert_eq!(
            txt(ip_addr_show(&s.w, World::ROOT, None, &o)),
            "lo               UNKNOWN        127.0.0.1/8 ::1/128 
veth0@if2        UP             fe80::ff:fe00:1/64 
vB@vA            DOWN           
vA@vB            LOWERLAYERDOWN 
br0              UP             10.0.0.1/24 fe80::ff:fe00:bb/64 
"
        );
        assert_eq!(
            txt(ip_addr_show(&s.w, s.ns1, None, &o)),
            "lo               UNKNOWN        127.0.0.1/8 ::1/128 
veth1@if3        UP             10.0.0.2/24 10.0.1.3/24 10.0.0.3/24 fe80::ff:fe00:2/64 
"
        );
    }

    // Proves `-o`: records joined with `\`, one address per line with the
    // bare name, and `-4`/`-6` filtering (short header for `-6`).
    #[test]
    fn oneline_and_family() {
        let s = s1();
        let o = IpOpts { oneline: true, ..IpOpts::default() };
        assert_eq!(
            txt(ip_link_show(&s.w, s.ns1, None, &o)),
            "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000\\    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00
2: veth1@if3: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP mode DEFAULT group default qlen 1000\\    link/ether 02:00:00:00:00:02 brd ff:ff:ff:ff:ff:ff link-netnsid 0
"
        );
        assert_eq!(
            txt(ip_addr_show(&s.w, World::ROOT, Some("br0"), &o)),
            "6: br0    inet 10.0.0.1/24 scope global br0\\       valid_lft forever preferred_lft forever
6: br0    inet6 fe80::ff:fe00:bb/64 scope link \\       valid_lft forever preferred_lft forever
"
        );
        let v4 = IpOpts { family: Family::Inet, ..IpOpts::default() };
        assert_eq!(
            txt(ip_addr_show(&s.w, World::ROOT, None, &v4)),
            "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000
    inet 127.0.0.1/8 scope host lo
       valid_lft forever preferred_lft forever
6: br0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP group default qlen 1000
    inet 10.0.0.1/24 scope global br0
       valid_lft forever preferred_lft forever
"
        );
        let v6 = IpOpts { family: Family::Inet6, ..IpOpts::default() };
        assert_eq!(
            txt(ip_addr_show(&s.w, s.ns1, None, &v6)),
            "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 state UNKNOWN qlen 1000
    inet6 ::1/128 scope host 
       valid_lft forever preferred_lft forever
2: veth1@if3: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 state UP qlen 1000
    inet6 fe80::ff:fe00:2/64 scope link 
       valid_lft forever preferred_lft forever
"
        );
    }

    // Proves the route formats of s1: `proto kernel scope link src` with a
    // trailing space, local-table types, and `table all` with `table local`
    // and the IPv6 routes (no trailing space, `pref medium`).
    #[test]
    fn s1_routes() {
        let s = s1();
        let o = IpOpts::default();
        assert_eq!(
            txt(ip_route_show(&s.w, World::ROOT, TableSel::Main, None, &o)),
            "10.0.0.0/24 dev br0 proto kernel scope link src 10.0.0.1 \n"
        );
        assert_eq!(
            txt(ip_route_show(&s.w, World::ROOT, TableSel::Local, None, &o)),
            "local 10.0.0.1 dev br0 proto kernel scope host src 10.0.0.1 
broadcast 10.0.0.255 dev br0 proto kernel scope link src 10.0.0.1 
local 127.0.0.0/8 dev lo proto kernel scope host src 127.0.0.1 
local 127.0.0.1 dev lo proto kernel scope host src 127.0.0.1 
broadcast 127.255.255.255 dev lo proto kernel scope link src 127.0.0.1 
"
        );
        assert_eq!(
            txt(ip_route_show(&s.w, s.ns1, TableSel::All, None, &o)),
            "10.0.0.0/24 dev veth1 proto kernel scope link src 10.0.0.2 
10.0.1.0/24 dev veth1 proto kernel scope link src 10.0.1.3 
local 10.0.0.2 dev veth1 table local proto kernel scope host src 10.0.0.2 
local 10.0.0.3 dev veth1 table local proto kernel scope host src 10.0.0.2 
broadcast 10.0.0.255 dev veth1 table local proto kernel scope link src 10.0.0.2 
local 10.0.1.3 dev veth1 table local proto kernel scope host src 10.0.1.3 
broadcast 10.0.1.255 dev veth1 table local proto kernel scope link src 10.0.1.3 
local 127.0.0.0/8 dev lo table local proto kernel scope host src 127.0.0.1 
local 127.0.0.1 dev lo table local proto kernel scope host src 127.0.0.1 
broadcast 127.255.255.255 dev lo table local proto kernel scope link src 127.0.0.1 
fe80::/64 dev veth1 proto kernel metric 256 pref medium
local ::1 dev lo table local proto kernel metric 0 pref medium
local fe80::ff:fe00:2 dev veth1 table local proto kernel metric 0 pref medium
multicast ff00::/8 dev veth1 table local proto kernel metric 256 pref medium
"
        );
    }

    // Proves gateway/metric/onlink/proto static/blackhole/unreachable/
    // prohibit formats, `linkdown`, same-key ordering (longer prefix first,
    // then metric), the JSON form and `dev` filtering (recording s6/s9).
    #[test]
    fn route_variants() {
        let mut w = world();
        let root = World::ROOT;
        let (v0, p0) = veth(&mut w, root, "v0", mac(0, 0x10), "p0", mac(0, 0x11));
        up(&mut w, v0, false);
        addr(&mut w, v0, [10, 1, 0, 1], 24, None, false, None);
        addr_routes(&mut w, root, v0, [10, 1, 0, 1], 24, false);
        let ip = Ipv4Addr::new;
        let u = RouteType::Unicast;
        let (b, st) = (RouteProto::Boot, RouteProto::Static);
        let (g, lk) = (RouteScope::Universe, RouteScope::Link);
        route(&mut w, root, TABLE_MAIN, u, ip(10, 0, 0, 0), 8, Some(v0), None, None, 0, lk, b);
        route(&mut w, root, TABLE_MAIN, u, ip(10, 1, 0, 0), 16, Some(v0), None, None, 0, lk, b);
        route(&mut w, root, TABLE_MAIN, u, ip(10, 1, 0, 0), 24, Some(v0), None, None, 5, lk, b);
        route(&mut w, root, TABLE_MAIN, u, ip(0, 0, 0, 0), 0, Some(v0), Some(ip(10, 1, 0, 254)), None, 10, g, b);
        route(&mut w, root, TABLE_MAIN, u, ip(0, 0, 0, 0), 0, Some(v0), Some(ip(10, 1, 0, 253)), None, 5, g, b);
        route(&mut w, root, TABLE_MAIN, u, ip(192, 168, 6, 0), 24, Some(v0), None, None, 0, lk, st);
        route(&mut w, root, TABLE_MAIN, RouteType::Blackhole, ip(192, 168, 7, 0), 24, None, None, None, 0, g, b);
        route(&mut w, root, TABLE_MAIN, RouteType::Unreachable, ip(192, 168, 8, 0), 24, None, None, None, 0, g, b);
        route(&mut w, root, TABLE_MAIN, RouteType::Prohibit, ip(192, 168, 9, 1), 32, None, None, None, 0, g, b);
        route(&mut w, root, TABLE_MAIN, u, ip(172, 16, 0, 0), 16, Some(v0), Some(ip(10, 0, 0, 9)), None, 0, g, b);
        for r in &mut w.ns_mut(root).routes.routes {
            r.onlink = r.dst == ip(172, 16, 0, 0);
        }
        let o = IpOpts::default();
        // v0's peer is down: every non-host route through it is linkdown.
        assert_eq!(
            txt(ip_route_show(&w, root, TableSel::Main, None, &o)),
            "default via 10.1.0.253 dev v0 metric 5 linkdown 
default via 10.1.0.254 dev v0 metric 10 linkdown 
10.0.0.0/8 dev v0 scope link linkdown 
10.1.0.0/24 dev v0 proto kernel scope link src 10.1.0.1 linkdown 
10.1.0.0/24 dev v0 scope link metric 5 linkdown 
10.1.0.0/16 dev v0 scope link linkdown 
172.16.0.0/16 via 10.0.0.9 dev v0 onlink linkdown 
192.168.6.0/24 dev v0 proto static scope link linkdown 
blackhole 192.168.7.0/24 
unreachable 192.168.8.0/24 
prohibit 192.168.9.1 
"
        );
        assert_eq!(
            txt(ip_route_show(&w, root, TableSel::Local, None, &o)),
            "local 10.1.0.1 dev v0 proto kernel scope host src 10.1.0.1 
broadcast 10.1.0.255 dev v0 proto kernel scope link src 10.1.0.1 linkdown 
"
        );
        up(&mut w, p0, false);
        assert_eq!(
            txt(ip_route_show(&w, root, TableSel::Main, Some("v0"), &o)).lines().nth(3),
            Some("10.1.0.0/24 proto kernel scope link src 10.1.0.1 ")
        );
        let j = IpOpts { json: true, ..o };
        let out = txt(ip_route_show(&w, root, TableSel::Main, None, &j));
        assert!(out.starts_with(r#"[{"dst":"default","gateway":"10.1.0.253","dev":"v0","metric":5,"flags":[]},"#));
        assert!(out.contains(
            r#"{"dst":"10.1.0.0/24","dev":"v0","protocol":"kernel","scope":"link","prefsrc":"10.1.0.1","flags":[]}"#
        ));
        assert!(out.contains(r#"{"dst":"172.16.0.0/16","gateway":"10.0.0.9","dev":"v0","flags":["onlink"]}"#));
        assert!(out.ends_with(r#"{"type":"blackhole","dst":"192.168.7.0/24","flags":[]},{"type":"unreachable","dst":"192.168.8.0/24","flags":[]},{"type":"prohibit","dst":"192.168.9.1","flags":[]}]
"#));
        assert_eq!(
            ip_route_show(&w, root, TableSel::Main, Some("nosuch"), &o).map_err(|e| e.to_string()),
            Err("Cannot find device \"nosuch\"".to_string())
        );
    }

    // Proves `ip route get` for local, broadcast, connected and gatewayed
    // destinations and the RTNETLINK errors (recorded on this machine).
    #[test]
    fn route_get() {
        let mut w = world();
        let root = World::ROOT;
        lo_up(&mut w, root);
        let (v, p) = veth(&mut w, root, "v", mac(0, 1), "p", mac(0, 2));
        up(&mut w, v, true);
        up(&mut w, p, true);
        addr(&mut w, v, [10, 0, 0, 1], 24, None, false, None);
        addr_routes(&mut w, root, v, [10, 0, 0, 1], 24, false);
        let ip = Ipv4Addr::new;
        let (g, b) = (RouteScope::Universe, RouteProto::Boot);
        route(
            &mut w,
            root,
            TABLE_MAIN,
            RouteType::Unicast,
            ip(4, 4, 4, 0),
            24,
            Some(v),
            Some(ip(10, 0, 0, 254)),
            None,
            0,
            g,
            b,
        );
        route(&mut w, root, TABLE_MAIN, RouteType::Unreachable, ip(2, 2, 2, 0), 24, None, None, None, 0, g, b);
        route(&mut w, root, TABLE_MAIN, RouteType::Prohibit, ip(3, 3, 3, 0), 24, None, None, None, 0, g, b);
        route(&mut w, root, TABLE_MAIN, RouteType::Blackhole, ip(1, 1, 1, 0), 24, None, None, None, 0, g, b);
        let get = |d: Ipv4Addr| txt(ip_route_get(&w, root, d));
        assert_eq!(get(ip(10, 0, 0, 255)), "broadcast 10.0.0.255 dev v src 10.0.0.1 uid 0 \n    cache <local,brd> \n");
        assert_eq!(get(ip(10, 0, 0, 1)), "local 10.0.0.1 dev lo src 10.0.0.1 uid 0 \n    cache <local> \n");
        assert_eq!(get(ip(127, 0, 0, 5)), "local 127.0.0.5 dev lo src 127.0.0.1 uid 0 \n    cache <local> \n");
        assert_eq!(get(ip(10, 0, 0, 7)), "10.0.0.7 dev v src 10.0.0.1 uid 0 \n    cache \n");
        assert_eq!(get(ip(4, 4, 4, 4)), "4.4.4.4 via 10.0.0.254 dev v src 10.0.0.1 uid 0 \n    cache \n");
        assert_eq!(get(ip(1, 1, 1, 1)), "RTNETLINK answers: Invalid argument");
        assert_eq!(get(ip(2, 2, 2, 2)), "RTNETLINK answers: No route to host");
        assert_eq!(get(ip(3, 3, 3, 3)), "RTNETLINK answers: Permission denied");
        assert_eq!(get(ip(9, 9, 9, 9)), "RTNETLINK answers: Network is unreachable");
    }

    // Proves `ip neigh` formats: lladdr only for valid states, NOARP hidden,
    // `dev` omitted under a dev filter, and the JSON form (recording s6/s9).
    #[test]
    fn neigh_show() {
        let mut w = world();
        let root = World::ROOT;
        let (c1, _) = veth(&mut w, root, "c1", mac(0, 0xc1), "h1", mac(0, 0xa1));
        neigh(&mut w, root, c1, [10, 0, 0, 99], None, NeighState::Incomplete);
        neigh(&mut w, root, c1, [10, 0, 0, 50], Some(mac(0, 0x50)), NeighState::Permanent);
        neigh(&mut w, root, c1, [10, 0, 0, 62], Some(mac(0, 0x62)), NeighState::Noarp);
        neigh(&mut w, root, c1, [10, 1, 0, 7], None, NeighState::Failed);
        neigh(&mut w, root, c1, [10, 0, 0, 1], Some(mac(0, 0xbb)), NeighState::Reachable);
        let o = IpOpts::default();
        assert_eq!(
            txt(ip_neigh_show(&w, root, None, &o)),
            "10.0.0.1 dev c1 lladdr 02:00:00:00:00:bb REACHABLE 
10.0.0.50 dev c1 lladdr 02:00:00:00:00:50 PERMANENT 
10.0.0.99 dev c1 INCOMPLETE 
10.1.0.7 dev c1 FAILED 
"
        );
        assert_eq!(txt(ip_neigh_show(&w, root, Some("c1"), &o)).lines().nth(3), Some("10.1.0.7 FAILED "));
        let j = IpOpts { json: true, ..o };
        assert_eq!(
            txt(ip_neigh_show(&w, root, None, &j)),
            r#"[{"dst":"10.0.0.1","dev":"c1","lladdr":"02:00:00:00:00:bb","state":["REACHABLE"]},{"dst":"10.0.0.50","dev":"c1","lladdr":"02:00:00:00:00:50","state":["PERMANENT"]},{"dst":"10.0.0.99","dev":"c1","state":["INCOMPLETE"]},{"dst":"10.1.0.7","dev":"c1","state":["FAILED"]}]
"#
        );
        assert_eq!(
            txt(ip_neigh_show(&w, root, Some("c1"), &j)).split("},").next(),
            Some(r#"[{"dst":"10.0.0.1","lladdr":"02:00:00:00:00:bb","state":["REACHABLE"]"#)
        );
    }

    // Proves `ip netns list`: newest name first, `(id: N)` only where the
    // caller's namespace holds an nsid, and the JSON form (recording s4/s11).
    #[test]
    fn netns_list() {
        let mut w = world();
        let b = netns(&mut w, "b");
        let a = netns(&mut w, "a");
        let c = netns(&mut w, "c");
        assert_eq!(ip_netns_list(&w, World::ROOT, false), "c\na\nb\n");
        w.ns_mut(World::ROOT).nsids.insert(c, 0);
        w.ns_mut(World::ROOT).nsids.insert(a, 1);
        w.ns_mut(b).nsids.insert(a, 0);
        assert_eq!(ip_netns_list(&w, World::ROOT, false), "c (id: 0)\na (id: 1)\nb\n");
        assert_eq!(ip_netns_list(&w, b, false), "c\na (id: 0)\nb\n");
        assert_eq!(
            ip_netns_list(&w, World::ROOT, true),
            "[{\"name\":\"c\",\"id\":0},{\"name\":\"a\",\"id\":1},{\"name\":\"b\"}]\n"
        );
        w.ns_mut(a).nsids.insert(World::ROOT, 0);
        w.ns_mut(a).nsids.insert(b, 1);
        assert_eq!(ip_netns_list_id(&w, a), "nsid 0 \nnsid 1 (iproute2 netns name: b)\n");
    }

    // Proves the lazy nsid a dump would allocate: a peer namespace without an
    // id gets the lowest free one and shows as `link-netnsid` when unnamed.
    #[test]
    fn dump_allocates_nsid() {
        let mut w = world();
        let a = netns(&mut w, "a");
        let x = w.add_netns_raw();
        let (v1, v1p) = veth(&mut w, World::ROOT, "v1", mac(0, 1), "v1p", mac(0, 2));
        move_to(&mut w, v1p, x);
        let (_v2, v2p) = veth(&mut w, World::ROOT, "v2", mac(0, 3), "v2p", mac(0, 4));
        move_to(&mut w, v2p, a);
        w.ns_mut(World::ROOT).nsids.insert(a, 0);
        assert_eq!(link_dump_nsids(&w, World::ROOT), vec![(x, 1)]);
        let out = txt(ip_link_show(&w, World::ROOT, Some("v1"), &IpOpts::default()));
        assert!(out.ends_with("link/ether 02:00:00:00:00:01 brd ff:ff:ff:ff:ff:ff link-netnsid 1\n"), "{out}");
        let _ = v1;
        assert_eq!(
            ip_link_show(&w, World::ROOT, Some("nosuch"), &IpOpts::default()).map_err(|e| e.to_string()),
            Err("Device \"nosuch\" does not exist.".to_string())
        );
    }

    // Proves the bridge carrier/operstate rules observed on 6.18, driven
    // through the engine's own operations: a new bridge brought up is
    // LOWER_UP/UNKNOWN; setting its MAC runs port selection, which with no
    // forwarding port drops the carrier (NO-CARRIER/DOWN); a port whose
    // veth peer is down keeps it so.
    #[test]
    fn bridge_states() {
        let mut e = crate::engine::Engine::new(crate::model::HostProfile::plain(), 0);
        let root = World::ROOT;
        let first = |e: &crate::engine::Engine, dev: &str| {
            txt(ip_link_show(&e.world, root, Some(dev), &IpOpts::default())).lines().next().map(str::to_string)
        };
        let br0 = e.link_add_bridge(root, "br0", None).unwrap();
        e.link_set_up(br0);
        let l1 = first(&e, "br0").unwrap();
        assert!(
            l1.starts_with("2: br0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UNKNOWN"),
            "{l1}"
        );
        e.link_set_mac(br0, mac(0, 0xbb)).unwrap();
        assert_eq!(first(&e, "br0").as_deref(), Some("2: br0: <NO-CARRIER,BROADCAST,MULTICAST,UP> mtu 1500 qdisc noqueue state DOWN mode DEFAULT group default qlen 1000"));
        let v0 = e.link_add_veth(root, "v0", Some(mac(0, 0x10)), "p0", root, Some(mac(0, 0x11))).unwrap();
        e.link_set_master(v0, br0).unwrap();
        e.link_set_up(v0);
        assert_eq!(first(&e, "br0").as_deref(), Some("2: br0: <NO-CARRIER,BROADCAST,MULTICAST,UP> mtu 1500 qdisc noqueue state DOWN mode DEFAULT group default qlen 1000"));
        assert_eq!(first(&e, "v0").as_deref(), Some("4: v0@p0: <NO-CARRIER,BROADCAST,MULTICAST,UP,M-DOWN> mtu 1500 qdisc noqueue master br0 state LOWERLAYERDOWN mode DEFAULT group default qlen 1000"));
        // The peer comes up: the port forwards and the bridge is UP.
        let p0 = e.world.link_by_name(root, "p0").unwrap();
        e.link_set_up(p0);
        assert_eq!(first(&e, "br0").as_deref(), Some("2: br0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP mode DEFAULT group default qlen 1000"));
    }

    // Proves EUI-64 derivation and its compressed text form.
    #[test]
    fn eui64() {
        assert_eq!(ll6_addr(mac(0, 1)).to_string(), "fe80::ff:fe00:1");
        let m = MacAddr([0x8a, 0x43, 0xa6, 0xb9, 0x53, 0x66]);
        assert_eq!(ll6_addr(m).to_string(), "fe80::8843:a6ff:feb9:5366");
    }
}
