//! IPv4 interface addresses (`struct in_ifaddr`) and source address
//! selection (`inet_select_addr`), which the datapath and `ip route get`
//! both use.
//!
//! Only IPv4 addresses are configurable; the IPv6 link-local address is a
//! flag on the link ([`super::Link::ll6`]) derived from its MAC (EUI-64).

use super::{LinkId, NsId, World};
use std::net::Ipv4Addr;

/// Address scope (`RT_SCOPE_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum AddrScope {
    /// `global` (0).
    Global,
    /// `link` (253).
    Link,
    /// `host` (254).
    Host,
}

impl AddrScope {
    /// The name iproute2 prints.
    pub fn as_str(self) -> &'static str {
        match self {
            AddrScope::Global => "global",
            AddrScope::Link => "link",
            AddrScope::Host => "host",
        }
    }

    /// The numeric scope (`RT_SCOPE_*`); smaller is wider.
    pub fn value(self) -> u8 {
        match self {
            AddrScope::Global => 0,
            AddrScope::Link => 253,
            AddrScope::Host => 254,
        }
    }
}

/// One IPv4 address on a link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IfAddr {
    /// The local address.
    pub addr: Ipv4Addr,
    /// Prefix length.
    pub prefix_len: u8,
    /// Broadcast address, when one was configured (`brd`).
    pub broadcast: Option<Ipv4Addr>,
    /// Scope.
    pub scope: AddrScope,
    /// `IFA_F_SECONDARY`: another address of the same subnet came first.
    pub secondary: bool,
    /// Label (`ip addr add ... label`), normally the device name.
    pub label: Option<String>,
    /// `noprefixroute`.
    pub noprefixroute: bool,
}

impl IfAddr {
    /// The network (address with host bits cleared).
    pub fn network(&self) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.addr) & mask(self.prefix_len))
    }

    /// Whether `ip` is in this address's subnet.
    pub fn contains(&self, ip: Ipv4Addr) -> bool {
        let m = mask(self.prefix_len);
        u32::from(ip) & m == u32::from(self.addr) & m
    }
}

/// The netmask of a prefix length.
pub fn mask(len: u8) -> u32 {
    if len == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(len.min(32)))
    }
}

impl World {
    /// `inet_select_addr(dev, dst, scope)` (net/ipv4/devinet.c): the first
    /// primary address of `dev` within `scope` whose subnet holds `dst` (any
    /// when `dst` is 0.0.0.0), else its first primary address within
    /// `scope`, else the first primary non-link-scope address within `scope`
    /// on any device, in device order (lo first).
    pub fn inet_select_addr(&self, ns: NsId, dev: LinkId, dst: Ipv4Addr, scope: AddrScope) -> Option<Ipv4Addr> {
        // route_localnet lets host-scope (127/8) addresses count as link.
        let localnet_scope = if self.ns(ns).conf_effective(&self.link(dev).conf, "route_localnet") != 0 {
            AddrScope::Link.value()
        } else {
            AddrScope::Host.value()
        };
        let mut first = None;
        for a in self.link(dev).addrs.iter().filter(|a| !a.secondary) {
            if a.scope.value().min(localnet_scope) > scope.value() {
                continue;
            }
            if dst.is_unspecified() || a.contains(dst) {
                return Some(a.addr);
            }
            first.get_or_insert(a.addr);
        }
        if first.is_some() {
            return first;
        }
        // `in_dev_select_addr` on every device: loopback first, then the rest.
        for id in self.links_in(ns) {
            for a in &self.link(id).addrs {
                if !a.secondary && a.scope != AddrScope::Link && a.scope.value() <= scope.value() {
                    return Some(a.addr);
                }
            }
        }
        None
    }

    /// The source address a route gives a packet to `dst`
    /// (`fib_result_prefsrc`): the route's `src`, else `inet_select_addr` on
    /// its device for the next hop with the route's own scope; a local route
    /// sends from `dst` itself.
    pub fn route_source(&self, ns: NsId, route: &super::Route, dst: Ipv4Addr) -> Option<Ipv4Addr> {
        use super::route::{RouteScope, RouteType};
        if route.rtype == RouteType::Local {
            return Some(route.prefsrc.unwrap_or(dst));
        }
        if let Some(src) = route.prefsrc {
            return Some(src);
        }
        let scope = match route.scope {
            RouteScope::Universe => AddrScope::Global,
            RouteScope::Link => AddrScope::Link,
            RouteScope::Host => AddrScope::Host,
        };
        self.inet_select_addr(ns, route.dev?, route.gateway.unwrap_or(dst), scope)
    }
}
