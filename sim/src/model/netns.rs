//! One network namespace: its device indexes, FIB, neighbour table and
//! sysctls.

use super::sysctl::BridgeNf;
use super::{DevConf, HostProfile, LinkId, Neigh, NsId, RouteTable};
use std::collections::BTreeMap;
use std::net::Ipv4Addr;

/// A network namespace (`struct net`).
#[derive(Clone, Debug)]
pub struct Netns {
    /// Handle.
    pub id: NsId,
    /// Devices by name.
    pub by_name: BTreeMap<String, LinkId>,
    /// Devices by ifindex.
    pub by_index: BTreeMap<u32, LinkId>,
    /// Where the cyclic ifindex allocator continues.
    pub next_ifindex: u32,
    /// `net.ipv4.conf.all`.
    pub conf_all: DevConf,
    /// `net.ipv4.conf.default`.
    pub conf_default: DevConf,
    /// `net.ipv6.conf.all.disable_ipv6` (compiled default 0; IPv6 settings
    /// are not inherited from the host).
    pub ipv6_all_disable: u8,
    /// `net.ipv6.conf.default.disable_ipv6`, copied by new devices.
    pub ipv6_default_disable: u8,
    /// `net.bridge.*`, when `br_netfilter` is loaded.
    pub brnf: Option<BridgeNf>,
    /// The IPv4 FIB: tables local (255) and main (254).
    pub routes: RouteTable,
    /// Neighbour entries keyed by (device, address).
    pub neigh: BTreeMap<(LinkId, Ipv4Addr), Neigh>,
    /// Peer namespace ids (`ip netns set`/`link-netnsid`), assigned on first use.
    pub nsids: BTreeMap<NsId, u32>,
    /// The iptables ruleset of this namespace.
    pub nf: super::nf::Ruleset,
    /// The iptables-legacy (x_tables) ruleset, run at the same hooks.
    pub nf_legacy: super::nf::Ruleset,
    /// The native nftables ruleset (`nft`).
    pub nft: super::nft::NftState,
    /// The connection tracking table.
    pub ct: super::conntrack::ConnTable,
    /// `/proc/sys/net/ipv4/ping_group_range` allows unprivileged ICMP sockets.
    pub ip_local_port_range: (u16, u16),
}

impl Netns {
    /// A fresh namespace inheriting the host profile.
    pub fn new(id: NsId, profile: &HostProfile) -> Netns {
        Netns {
            id,
            by_name: BTreeMap::new(),
            by_index: BTreeMap::new(),
            next_ifindex: 1,
            conf_all: profile.conf_all(),
            conf_default: profile.conf_default(),
            ipv6_all_disable: 0,
            ipv6_default_disable: 0,
            brnf: profile.bridge_nf(),
            routes: RouteTable::default(),
            neigh: BTreeMap::new(),
            nsids: BTreeMap::new(),
            nf: super::nf::Ruleset::new(),
            nf_legacy: super::nf::Ruleset::new(),
            nft: super::nft::NftState::default(),
            ct: super::conntrack::ConnTable::default(),
            ip_local_port_range: (32768, 60999),
        }
    }

    /// The effective value of an IPv4 conf key for a device, as the
    /// `IN_DEV_*` macros of include/linux/inetdevice.h combine
    /// `conf/all` with `conf/DEV`:
    /// - `IN_DEV_MAXCONF`, `max(all, dev)`: rp_filter, arp_ignore,
    ///   arp_announce, arp_accept (an integer 0–2 since 6.0);
    /// - `IN_DEV_ORCONF`, `all || dev`: arp_filter, proxy_arp, accept_local,
    ///   route_localnet, send_redirects (`IN_DEV_TX_REDIRECTS`);
    /// - `IN_DEV_ANDCONF`, `all && dev`: arp_evict_nocarrier;
    /// - the device's own value: forwarding (`IN_DEV_FORWARD`; writing
    ///   `all` copies itself to every device instead).
    pub fn conf_effective(&self, dev: &DevConf, key: &str) -> u8 {
        let a = self.conf_all.get(key).unwrap_or(0);
        let d = dev.get(key).unwrap_or(0);
        match key {
            "forwarding" => d,
            "arp_evict_nocarrier" => u8::from(a != 0 && d != 0),
            "arp_filter" | "proxy_arp" | "accept_local" | "route_localnet" | "send_redirects" => {
                u8::from(a != 0 || d != 0)
            }
            _ => a.max(d),
        }
    }
}
