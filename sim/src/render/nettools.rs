//! What net-tools 2.10 prints on kernel 6.18: `ifconfig [-a] [DEV]`,
//! `route -n`, `arp -n` and `arp -a`.
//!
//! Pure functions over a [`World`]; expected strings in the tests were
//! recorded from the real tools in an `unshare --mount --net` sandbox.
//!
//! Covered: interface blocks sorted with net-tools' `nstrcmp` (numbers
//! compared by value, `:alias` entries after their device), the
//! `SIOCGIFFLAGS` flag word (PROMISC and friends only when user-set, never
//! for tcpdump's promiscuity), alias blocks for labelled addresses, the
//! primary address per label, `broadcast 0.0.0.0` on broadcast devices
//! without a configured `brd`, scaled byte counts, the main table as
//! `/proc/net/route` lists it (reject routes with `!`, blackhole with `*`),
//! `/proc/net/arp` entries (NOARP hidden, incomplete/failed as
//! `(incomplete)`).
//!
//! Not covered: `route` without `-n` (name lookups), `arp` without `-n`
//! prints `?` for every host (no resolver), `ifconfig` error counters
//! beyond drops, IPv6 in `route`.

use super::iproute::{dump_order, inet6_addrs};
use crate::model::addr::mask;
use crate::model::route::TABLE_MAIN;
use crate::model::{IfAddr, Link, LinkId, NeighState, NsId, RouteType, World};
use std::cmp::Ordering;
use std::fmt::Write as _;
use std::net::Ipv4Addr;

/// What the net-tools print on stderr instead of a listing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NetToolsError {
    /// `ifconfig DEV` of an unknown device (exit 1).
    #[error("{0}: error fetching interface information: Device not found")]
    NoDevice(String),
}

/// `IFF_*` bits as `SIOCGIFFLAGS` reports them (`dev_get_flags`): UP,
/// BROADCAST, LOOPBACK, RUNNING, MULTICAST (the 16-bit word ifconfig reads;
/// LOWER_UP is above it).
pub fn iff_flags(w: &World, id: LinkId) -> u32 {
    let l = w.link(id);
    let mut f = 0;
    if l.admin_up {
        f |= 0x1;
    }
    if l.is_loopback() {
        f |= 0x8;
    } else {
        f |= 0x2 | 0x1000;
    }
    if w.running(id) {
        f |= 0x40;
    }
    f
}

/// The flag names ifconfig prints, in its order.
fn iff_names(f: u32) -> String {
    const NAMES: &[(u32, &str)] = &[
        (0x1, "UP"),
        (0x2, "BROADCAST"),
        (0x4, "DEBUG"),
        (0x8, "LOOPBACK"),
        (0x10, "POINTOPOINT"),
        (0x20, "NOTRAILERS"),
        (0x40, "RUNNING"),
        (0x80, "NOARP"),
        (0x100, "PROMISC"),
        (0x200, "ALLMULTI"),
        (0x800, "SLAVE"),
        (0x400, "MASTER"),
        (0x1000, "MULTICAST"),
        (0x8000, "DYNAMIC"),
    ];
    NAMES.iter().filter(|(b, _)| f & b != 0).map(|(_, n)| *n).collect::<Vec<_>>().join(",")
}

/// net-tools' `nstrcmp`: like `strcmp`, but at the first difference, if
/// both sides are digits, the whole numbers there are compared by value.
pub fn nstrcmp(a: &str, b: &str) -> Ordering {
    let (x, y) = (a.as_bytes(), b.as_bytes());
    let mut i = 0;
    while i < x.len() && i < y.len() && x[i] == y[i] {
        i += 1;
    }
    let cx = x.get(i).copied().unwrap_or(0);
    let cy = y.get(i).copied().unwrap_or(0);
    if cx.is_ascii_digit() && cy.is_ascii_digit() {
        let mut start = i;
        while start > 0 && x[start - 1].is_ascii_digit() {
            start -= 1;
        }
        let num = |s: &[u8]| -> u128 {
            s[start..]
                .iter()
                .take_while(|c| c.is_ascii_digit())
                .fold(0u128, |acc, c| acc.saturating_mul(10).saturating_add(u128::from(c - b'0')))
        };
        return num(x).cmp(&num(y)).then(cx.cmp(&cy));
    }
    cx.cmp(&cy)
}

/// ifconfig's byte count with its scaled form, e.g. `1360 (1.3 KiB)`.
fn bytes_scaled(n: u64) -> String {
    let units: [(u64, &str); 5] =
        [(1 << 50, "PiB"), (1 << 40, "TiB"), (1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")];
    let mut short = u128::from(n) * 10;
    let mut unit = "B";
    for (div, name) in units {
        if n > div {
            short /= u128::from(div);
            unit = name;
            break;
        }
    }
    format!("{n} ({}.{} {unit})", short / 10, short % 10)
}

/// One interface entry ifconfig lists: a device, or an `:alias` label.
struct Entry<'a> {
    name: String,
    link: &'a Link,
    id: LinkId,
    alias: bool,
}

/// The entries of a namespace: each device plus one per distinct label of
/// its addresses that is not the device name.
fn entries(w: &World, ns: NsId) -> Vec<Entry<'_>> {
    let mut v = Vec::new();
    for id in w.links_in(ns) {
        let l = w.link(id);
        v.push(Entry { name: l.name.clone(), link: l, id, alias: false });
        let mut seen: Vec<&str> = Vec::new();
        for a in &l.addrs {
            if let Some(lb) = a.label.as_deref().filter(|lb| *lb != l.name) {
                if !seen.contains(&lb) {
                    seen.push(lb);
                    v.push(Entry { name: lb.to_string(), link: l, id, alias: true });
                }
            }
        }
    }
    v.sort_by(|a, b| nstrcmp(&a.name, &b.name));
    v
}

/// The address `SIOCGIFADDR` returns for a name: the first with that label.
fn addr_for<'a>(l: &'a Link, name: &str) -> Option<&'a IfAddr> {
    l.addrs.iter().find(|a| a.label.as_deref().unwrap_or(&l.name) == name)
}

/// One ifconfig block (with the blank line after it).
fn block(w: &World, e: &Entry<'_>) -> String {
    let l = e.link;
    let f = iff_flags(w, e.id);
    let mut s = format!("{}: flags={f}<{}>  mtu {}\n", e.name, iff_names(f), l.mtu);
    if let Some(a) = addr_for(l, &e.name) {
        let _ = write!(s, "        inet {}  netmask {}", a.addr, Ipv4Addr::from(mask(a.prefix_len)));
        if !l.is_loopback() {
            let _ = write!(s, "  broadcast {}", a.broadcast.unwrap_or(Ipv4Addr::UNSPECIFIED));
        }
        s.push('\n');
    }
    if !e.alias {
        for (a, p, scope) in inet6_addrs(l) {
            let id = if scope == "host" { 0x10 } else { 0x20 };
            let _ = writeln!(s, "        inet6 {a}  prefixlen {p}  scopeid 0x{id:x}<{scope}>");
        }
    }
    if l.is_loopback() {
        let _ = writeln!(s, "        loop  txqueuelen {}  (Local Loopback)", l.qlen);
    } else {
        let _ = writeln!(s, "        ether {}  txqueuelen {}  (Ethernet)", l.mac, l.qlen);
    }
    if !e.alias {
        let st = &l.stats;
        let _ = writeln!(s, "        RX packets {}  bytes {}", st.rx_packets, bytes_scaled(st.rx_bytes));
        let _ = writeln!(s, "        RX errors 0  dropped {}  overruns 0  frame 0", st.rx_dropped);
        let _ = writeln!(s, "        TX packets {}  bytes {}", st.tx_packets, bytes_scaled(st.tx_bytes));
        let _ = writeln!(s, "        TX errors 0  dropped {} overruns 0  carrier 0  collisions 0", st.tx_dropped);
    }
    s.push('\n');
    s
}

/// `ifconfig [-a] [DEV]` run in namespace `ns`: without `-a` only devices
/// that are up; with `DEV` (a device or an `:alias` label) that one only.
///
/// # Errors
/// [`NetToolsError::NoDevice`] when `dev` names nothing in `ns`.
pub fn ifconfig(w: &World, ns: NsId, all: bool, dev: Option<&str>) -> Result<String, NetToolsError> {
    let list = entries(w, ns);
    let mut out = String::new();
    if let Some(d) = dev {
        let e = list.iter().find(|e| e.name == d).ok_or_else(|| NetToolsError::NoDevice(d.to_string()))?;
        out.push_str(&block(w, e));
        return Ok(out);
    }
    for e in list.iter().filter(|e| all || e.link.admin_up) {
        out.push_str(&block(w, e));
    }
    Ok(out)
}

/// `route -n` run in namespace `ns`: the main table as `/proc/net/route`
/// lists it (no broadcast/multicast routes), in dump order.
pub fn route_n(w: &World, ns: NsId) -> String {
    let mut out = String::from(
        "Kernel IP routing table\nDestination     Gateway         Genmask         Flags Metric Ref    Use Iface\n",
    );
    for r in dump_order(w, ns, TABLE_MAIN) {
        if matches!(r.rtype, RouteType::Broadcast) {
            continue;
        }
        let dst = r.dst.to_string();
        let genmask = Ipv4Addr::from(mask(r.prefix_len)).to_string();
        let host = if r.prefix_len == 32 { "H" } else { "" };
        if matches!(r.rtype, RouteType::Unreachable | RouteType::Prohibit) {
            let flags = format!("!{host}");
            let _ = writeln!(out, "{dst:<15} -               {genmask:<15} {flags:<5} {:<6} -  {:>7} -", r.metric, 0);
            continue;
        }
        let gw = r.gateway.unwrap_or(Ipv4Addr::UNSPECIFIED).to_string();
        let flags = format!("U{}{host}", if r.gateway.is_some() { "G" } else { "" });
        let iface = r.dev.filter(|d| w.link_alive(*d)).map_or_else(|| "*".to_string(), |d| w.link(d).name.clone());
        let _ = writeln!(out, "{dst:<15} {gw:<15} {genmask:<15} {flags:<5} {:<6} {:<2} {:>7} {iface}", r.metric, 0, 0);
    }
    out
}

/// `arp -n` run in namespace `ns`: the `/proc/net/arp` entries (no NOARP
/// ones) with the header, or nothing at all when there are none.
pub fn arp_n(w: &World, ns: NsId) -> String {
    let mut out = String::new();
    for (ip, n) in super::iproute::visible_neighs(w, ns) {
        if out.is_empty() {
            out.push_str("Address                  HWtype  HWaddress           Flags Mask            Iface\n");
        }
        let dev = &w.link(n.dev).name;
        let _ = write!(out, "{:<23}  ", ip.to_string());
        let valid = n.state.valid();
        match n.lladdr.filter(|_| valid) {
            Some(m) => {
                let _ = write!(out, "{:<8}{:<20}", "ether", m.to_string());
            }
            None => {
                let _ = write!(out, "{:<8}{:<20}", "", "(incomplete)");
            }
        }
        let mut flags = String::new();
        if valid {
            flags.push('C');
        }
        if n.state == NeighState::Permanent {
            flags.push('M');
        }
        let _ = writeln!(out, "{flags:<6}{:<15} {dev}", "");
    }
    out
}

/// `arp -a` run in namespace `ns` (BSD style). Host names are never
/// resolved: every entry starts with `?`.
// DIVERGENCE: the real `arp -a` asks the resolver for each address (which
// in a sandbox may itself send ARP/DNS traffic); netsim has no resolver.
pub fn arp_a(w: &World, ns: NsId) -> String {
    let mut out = String::new();
    for (ip, n) in super::iproute::visible_neighs(w, ns) {
        let dev = &w.link(n.dev).name;
        match n.lladdr.filter(|_| n.state.valid()) {
            Some(m) => {
                let perm = if n.state == NeighState::Permanent { "PERM " } else { "" };
                let _ = writeln!(out, "? ({ip}) at {m} [ether] {perm}on {dev}");
            }
            None => {
                let _ = writeln!(out, "? ({ip}) at <incomplete> on {dev}");
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::iproute::testkit::*;
    use super::*;
    use crate::model::route::{RouteProto, RouteScope};

    // Proves `ifconfig` of recording s1: name-sorted up devices only, flag
    // words 4163/73/4099, `broadcast 0.0.0.0` without `brd`, lo's `loop`
    // line, scaled byte counts ((544.0 B), (1.3 KiB)).
    #[test]
    fn s1_ifconfig() {
        let s = s1();
        assert_eq!(
            ifconfig(&s.w, World::ROOT, false, None).unwrap_or_default(),
            "br0: flags=4163<UP,BROADCAST,RUNNING,MULTICAST>  mtu 1500
        inet 10.0.0.1  netmask 255.255.255.0  broadcast 0.0.0.0
        inet6 fe80::ff:fe00:bb  prefixlen 64  scopeid 0x20<link>
        ether 02:00:00:00:00:bb  txqueuelen 1000  (Ethernet)
        RX packets 8  bytes 544 (544.0 B)
        RX errors 0  dropped 0  overruns 0  frame 0
        TX packets 10  bytes 844 (844.0 B)
        TX errors 0  dropped 0 overruns 0  carrier 0  collisions 0

lo: flags=73<UP,LOOPBACK,RUNNING>  mtu 65536
        inet 127.0.0.1  netmask 255.0.0.0
        inet6 ::1  prefixlen 128  scopeid 0x10<host>
        loop  txqueuelen 1000  (Local Loopback)
        RX packets 0  bytes 0 (0.0 B)
        RX errors 0  dropped 0  overruns 0  frame 0
        TX packets 0  bytes 0 (0.0 B)
        TX errors 0  dropped 0 overruns 0  carrier 0  collisions 0

vA: flags=4099<UP,BROADCAST,MULTICAST>  mtu 1500
        ether 02:00:00:00:00:0a  txqueuelen 1000  (Ethernet)
        RX packets 0  bytes 0 (0.0 B)
        RX errors 0  dropped 0  overruns 0  frame 0
        TX packets 0  bytes 0 (0.0 B)
        TX errors 0  dropped 0 overruns 0  carrier 0  collisions 0

veth0: flags=4163<UP,BROADCAST,RUNNING,MULTICAST>  mtu 1500
        inet6 fe80::ff:fe00:1  prefixlen 64  scopeid 0x20<link>
        ether 02:00:00:00:00:01  txqueuelen 1000  (Ethernet)
        RX packets 8  bytes 656 (656.0 B)
        RX errors 0  dropped 0  overruns 0  frame 0
        TX packets 16  bytes 1360 (1.3 KiB)
        TX errors 0  dropped 0 overruns 0  carrier 0  collisions 0

"
        );
        let all = ifconfig(&s.w, World::ROOT, true, None).unwrap_or_default();
        assert!(all.contains(
            "\nvB: flags=4098<BROADCAST,MULTICAST>  mtu 1500\n        ether 02:00:00:00:00:0b  txqueuelen 1000  (Ethernet)\n"
        ));
        let _ = (s.veth0, s.veth1, s.va, s.vb, s.br0);
    }

    // Proves the alias block (`veth1:0`, no inet6/stats), the primary
    // address per label and a configured broadcast (recording s1, ns1).
    #[test]
    fn s1_ifconfig_ns1() {
        let s = s1();
        assert_eq!(
            ifconfig(&s.w, s.ns1, false, None).unwrap_or_default(),
            "lo: flags=73<UP,LOOPBACK,RUNNING>  mtu 65536
        inet 127.0.0.1  netmask 255.0.0.0
        inet6 ::1  prefixlen 128  scopeid 0x10<host>
        loop  txqueuelen 1000  (Local Loopback)
        RX packets 0  bytes 0 (0.0 B)
        RX errors 0  dropped 0  overruns 0  frame 0
        TX packets 0  bytes 0 (0.0 B)
        TX errors 0  dropped 0 overruns 0  carrier 0  collisions 0

veth1: flags=4163<UP,BROADCAST,RUNNING,MULTICAST>  mtu 1500
        inet 10.0.0.2  netmask 255.255.255.0  broadcast 10.0.0.255
        inet6 fe80::ff:fe00:2  prefixlen 64  scopeid 0x20<link>
        ether 02:00:00:00:00:02  txqueuelen 1000  (Ethernet)
        RX packets 16  bytes 1360 (1.3 KiB)
        RX errors 0  dropped 0  overruns 0  frame 0
        TX packets 8  bytes 656 (656.0 B)
        TX errors 0  dropped 0 overruns 0  carrier 0  collisions 0

veth1:0: flags=4163<UP,BROADCAST,RUNNING,MULTICAST>  mtu 1500
        inet 10.0.1.3  netmask 255.255.255.0  broadcast 0.0.0.0
        ether 02:00:00:00:00:02  txqueuelen 1000  (Ethernet)

"
        );
        assert_eq!(
            ifconfig(&s.w, s.ns1, false, Some("veth1:0")).unwrap_or_default().lines().next(),
            Some("veth1:0: flags=4163<UP,BROADCAST,RUNNING,MULTICAST>  mtu 1500")
        );
        assert_eq!(
            ifconfig(&s.w, s.ns1, false, Some("nosuch")).map_err(|e| e.to_string()),
            Err("nosuch: error fetching interface information: Device not found".into())
        );
    }

    // Proves the fresh host's `ifconfig -a` (lo down: flags=8<LOOPBACK>)
    // and that plain `ifconfig` then prints nothing.
    #[test]
    fn fresh_ifconfig() {
        let w = world();
        assert_eq!(
            ifconfig(&w, World::ROOT, true, None).unwrap_or_default(),
            "lo: flags=8<LOOPBACK>  mtu 65536
        loop  txqueuelen 1000  (Local Loopback)
        RX packets 0  bytes 0 (0.0 B)
        RX errors 0  dropped 0  overruns 0  frame 0
        TX packets 0  bytes 0 (0.0 B)
        TX errors 0  dropped 0 overruns 0  carrier 0  collisions 0

"
        );
        assert_eq!(ifconfig(&w, World::ROOT, false, None).unwrap_or_default(), "");
        assert_eq!(
            route_n(&w, World::ROOT),
            "Kernel IP routing table\nDestination     Gateway         Genmask         Flags Metric Ref    Use Iface\n"
        );
        assert_eq!(arp_n(&w, World::ROOT), "");
    }

    // Proves net-tools' natural sort: v2 < v2:0 < v10 < v10:1 < v10:a, and
    // uppercase before lowercase (vA < veth0), as recorded in s11 and s1.
    #[test]
    fn natural_order() {
        let mut v = vec!["v10:a", "v10", "v2:0", "veth0", "v10:1", "v2", "vA"];
        v.sort_by(|a, b| nstrcmp(a, b));
        assert_eq!(v, vec!["v2", "v2:0", "v10", "v10:1", "v10:a", "vA", "veth0"]);
    }

    // Proves `route -n` of recording s6 (namespace n1): UG for gateways,
    // metric column, `*` for blackhole, `!`/`!H` rows for reject routes.
    #[test]
    fn route_n_variants() {
        let mut w = world();
        let root = World::ROOT;
        let (c1, _) = veth(&mut w, root, "c1", mac(0, 0xc1), "h1", mac(0, 0xa1));
        addr_routes(&mut w, root, c1, [10, 0, 0, 2], 24, false);
        let ip = Ipv4Addr::new;
        let u = RouteType::Unicast;
        let (b, st) = (RouteProto::Boot, RouteProto::Static);
        let (g, lk) = (RouteScope::Universe, RouteScope::Link);
        route(&mut w, root, TABLE_MAIN, u, ip(0, 0, 0, 0), 0, Some(c1), Some(ip(10, 0, 0, 1)), None, 0, g, b);
        route(&mut w, root, TABLE_MAIN, u, ip(192, 168, 5, 0), 24, Some(c1), Some(ip(10, 0, 0, 1)), None, 50, g, b);
        route(&mut w, root, TABLE_MAIN, u, ip(192, 168, 6, 0), 24, Some(c1), None, None, 0, lk, st);
        route(&mut w, root, TABLE_MAIN, RouteType::Blackhole, ip(192, 168, 7, 0), 24, None, None, None, 0, g, b);
        route(&mut w, root, TABLE_MAIN, RouteType::Unreachable, ip(192, 168, 8, 0), 24, None, None, None, 0, g, b);
        route(&mut w, root, TABLE_MAIN, RouteType::Prohibit, ip(192, 168, 9, 1), 32, None, None, None, 0, g, b);
        route(&mut w, root, TABLE_MAIN, u, ip(172, 16, 0, 0), 16, Some(c1), Some(ip(10, 0, 0, 9)), None, 0, g, b);
        route(&mut w, root, TABLE_MAIN, u, ip(172, 17, 0, 0), 16, Some(c1), None, Some(ip(10, 0, 0, 2)), 100, lk, b);
        route(&mut w, root, TABLE_MAIN, u, ip(10, 0, 0, 0), 24, Some(c1), None, None, 200, lk, b);
        assert_eq!(
            route_n(&w, root),
            "Kernel IP routing table
Destination     Gateway         Genmask         Flags Metric Ref    Use Iface
0.0.0.0         10.0.0.1        0.0.0.0         UG    0      0        0 c1
10.0.0.0        0.0.0.0         255.255.255.0   U     0      0        0 c1
10.0.0.0        0.0.0.0         255.255.255.0   U     200    0        0 c1
172.16.0.0      10.0.0.9        255.255.0.0     UG    0      0        0 c1
172.17.0.0      0.0.0.0         255.255.0.0     U     100    0        0 c1
192.168.5.0     10.0.0.1        255.255.255.0   UG    50     0        0 c1
192.168.6.0     0.0.0.0         255.255.255.0   U     0      0        0 c1
192.168.7.0     0.0.0.0         255.255.255.0   U     0      0        0 *
192.168.8.0     -               255.255.255.0   !     0      -        0 -
192.168.9.1     -               255.255.255.255 !H    0      -        0 -
"
        );
    }

    // Proves `arp -n` / `arp -a` of recordings s6/s9: C and CM flags,
    // `(incomplete)` for INCOMPLETE and FAILED, NOARP hidden, PERM in -a.
    #[test]
    fn arp_tables() {
        let mut w = world();
        let root = World::ROOT;
        let (c1, _) = veth(&mut w, root, "c1", mac(0, 0xc1), "h1", mac(0, 0xa1));
        neigh(&mut w, root, c1, [10, 0, 0, 99], None, NeighState::Incomplete);
        neigh(&mut w, root, c1, [10, 0, 0, 50], Some(mac(0, 0x50)), NeighState::Permanent);
        neigh(&mut w, root, c1, [10, 0, 0, 1], Some(mac(0, 0xbb)), NeighState::Reachable);
        neigh(&mut w, root, c1, [10, 0, 0, 62], Some(mac(0, 0x62)), NeighState::Noarp);
        neigh(&mut w, root, c1, [10, 1, 0, 7], None, NeighState::Failed);
        assert_eq!(
            arp_n(&w, root),
            "Address                  HWtype  HWaddress           Flags Mask            Iface
10.0.0.1                 ether   02:00:00:00:00:bb   C                     c1
10.0.0.50                ether   02:00:00:00:00:50   CM                    c1
10.0.0.99                        (incomplete)                              c1
10.1.0.7                         (incomplete)                              c1
"
        );
        assert_eq!(
            arp_a(&w, root),
            "? (10.0.0.1) at 02:00:00:00:00:bb [ether] on c1
? (10.0.0.50) at 02:00:00:00:00:50 [ether] PERM on c1
? (10.0.0.99) at <incomplete> on c1
? (10.1.0.7) at <incomplete> on c1
"
        );
    }

    // Proves the scaled byte counts recorded in s6: KiB above 1024 with the
    // tenth truncated, plain bytes below.
    #[test]
    fn scaled_bytes() {
        assert_eq!(bytes_scaled(1992), "1992 (1.9 KiB)");
        assert_eq!(bytes_scaled(1868), "1868 (1.8 KiB)");
        assert_eq!(bytes_scaled(2730), "2730 (2.6 KiB)");
        assert_eq!(bytes_scaled(908), "908 (908.0 B)");
    }
}
