//! IPv4 and bridge sysctls per namespace and per device.
//!
//! A new namespace copies `conf/all` and `conf/default` from the host's
//! initial namespace (`devinet_init_net` with `devconf_inherit_init_net=0`);
//! a device copies `conf/default` when it is created or moved in. The
//! `net.bridge.bridge-nf-call-*` sysctls exist only while `br_netfilter` is
//! loaded and start at 1 in every namespace (per-netns since 5.3).

/// `net.ipv4.conf.<X>.*` values that the datapath reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DevConf {
    /// `forwarding`.
    pub forwarding: u8,
    /// `rp_filter` (0, 1 strict, 2 loose).
    pub rp_filter: u8,
    /// `arp_ignore`.
    pub arp_ignore: u8,
    /// `arp_announce`.
    pub arp_announce: u8,
    /// `arp_filter`.
    pub arp_filter: u8,
    /// `arp_accept`.
    pub arp_accept: u8,
    /// `proxy_arp`.
    pub proxy_arp: u8,
    /// `accept_local`.
    pub accept_local: u8,
    /// `route_localnet`.
    pub route_localnet: u8,
    /// `send_redirects`.
    pub send_redirects: u8,
    /// `arp_evict_nocarrier`.
    pub arp_evict_nocarrier: u8,
}

impl Default for DevConf {
    fn default() -> Self {
        DevConf {
            forwarding: 0,
            rp_filter: 0,
            arp_ignore: 0,
            arp_announce: 0,
            arp_filter: 0,
            arp_accept: 0,
            proxy_arp: 0,
            accept_local: 0,
            route_localnet: 0,
            send_redirects: 1,
            arp_evict_nocarrier: 1,
        }
    }
}

/// The names of the [`DevConf`] fields as sysctl keys, in `sysctl -a` order.
pub const DEVCONF_KEYS: &[&str] = &[
    "accept_local",
    "arp_accept",
    "arp_announce",
    "arp_evict_nocarrier",
    "arp_filter",
    "arp_ignore",
    "forwarding",
    "proxy_arp",
    "route_localnet",
    "rp_filter",
    "send_redirects",
];

impl DevConf {
    /// Reads a field by sysctl key.
    pub fn get(&self, key: &str) -> Option<u8> {
        Some(match key {
            "forwarding" => self.forwarding,
            "rp_filter" => self.rp_filter,
            "arp_ignore" => self.arp_ignore,
            "arp_announce" => self.arp_announce,
            "arp_filter" => self.arp_filter,
            "arp_accept" => self.arp_accept,
            "proxy_arp" => self.proxy_arp,
            "accept_local" => self.accept_local,
            "route_localnet" => self.route_localnet,
            "send_redirects" => self.send_redirects,
            "arp_evict_nocarrier" => self.arp_evict_nocarrier,
            _ => return None,
        })
    }

    /// Writes a field by sysctl key; `false` if the key is unknown.
    pub fn set(&mut self, key: &str, v: u8) -> bool {
        let f = match key {
            "forwarding" => &mut self.forwarding,
            "rp_filter" => &mut self.rp_filter,
            "arp_ignore" => &mut self.arp_ignore,
            "arp_announce" => &mut self.arp_announce,
            "arp_filter" => &mut self.arp_filter,
            "arp_accept" => &mut self.arp_accept,
            "proxy_arp" => &mut self.proxy_arp,
            "accept_local" => &mut self.accept_local,
            "route_localnet" => &mut self.route_localnet,
            "send_redirects" => &mut self.send_redirects,
            "arp_evict_nocarrier" => &mut self.arp_evict_nocarrier,
            _ => return false,
        };
        *f = v;
        true
    }
}

/// Per-namespace bridge netfilter switches (`struct brnf_net`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BridgeNf {
    /// `bridge-nf-call-iptables`.
    pub call_iptables: u8,
    /// `bridge-nf-call-ip6tables`.
    pub call_ip6tables: u8,
    /// `bridge-nf-call-arptables`.
    pub call_arptables: u8,
    /// `bridge-nf-filter-vlan-tagged`.
    pub filter_vlan_tagged: u8,
    /// `bridge-nf-filter-pppoe-tagged`.
    pub filter_pppoe_tagged: u8,
    /// `bridge-nf-pass-vlan-input-dev`.
    pub pass_vlan_input_dev: u8,
}

impl Default for BridgeNf {
    fn default() -> Self {
        BridgeNf {
            call_iptables: 1,
            call_ip6tables: 1,
            call_arptables: 1,
            filter_vlan_tagged: 0,
            filter_pppoe_tagged: 0,
            pass_vlan_input_dev: 0,
        }
    }
}
