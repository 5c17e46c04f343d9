//! The IPv4 FIB: tables `local` (255) and `main` (254), and lookup.
//!
//! Lookup copies `fib_table_lookup` for the default rules (`local` first,
//! then `main`): longest prefix, then the lowest metric among aliases, and
//! backtracking to shorter prefixes when no alias is usable. Policy routing
//! rules and multipath routes are not modelled.

use super::addr::mask;
use super::{LinkId, NsId, World};
use std::net::Ipv4Addr;

/// Route type (`RTN_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RouteType {
    /// `unicast`.
    Unicast,
    /// `local`: delivered to this host.
    Local,
    /// `broadcast`.
    Broadcast,
    /// `unreachable`: `EHOSTUNREACH`.
    Unreachable,
    /// `prohibit`: `EACCES`.
    Prohibit,
    /// `blackhole`: silently dropped.
    Blackhole,
}

impl RouteType {
    /// The keyword iproute2 prints before non-unicast routes.
    pub fn as_str(self) -> &'static str {
        match self {
            RouteType::Unicast => "unicast",
            RouteType::Local => "local",
            RouteType::Broadcast => "broadcast",
            RouteType::Unreachable => "unreachable",
            RouteType::Prohibit => "prohibit",
            RouteType::Blackhole => "blackhole",
        }
    }
}

/// Route scope (`RT_SCOPE_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum RouteScope {
    /// `global` (0): via a gateway.
    Universe,
    /// `link` (253): directly attached.
    Link,
    /// `host` (254): local addresses.
    Host,
}

impl RouteScope {
    /// The name iproute2 prints.
    pub fn as_str(self) -> &'static str {
        match self {
            RouteScope::Universe => "global",
            RouteScope::Link => "link",
            RouteScope::Host => "host",
        }
    }
}

/// Who installed the route (`RTPROT_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RouteProto {
    /// `kernel`: from an address.
    Kernel,
    /// `boot`: `ip route add` without `proto` (the default).
    Boot,
    /// `static`.
    Static,
}

impl RouteProto {
    /// The name iproute2 prints.
    pub fn as_str(self) -> &'static str {
        match self {
            RouteProto::Kernel => "kernel",
            RouteProto::Boot => "boot",
            RouteProto::Static => "static",
        }
    }
}

/// Table ids.
pub const TABLE_LOCAL: u32 = 255;
/// The main table.
pub const TABLE_MAIN: u32 = 254;

/// One route.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    /// Table id (255 local, 254 main).
    pub table: u32,
    /// Destination network address.
    pub dst: Ipv4Addr,
    /// Destination prefix length.
    pub prefix_len: u8,
    /// Type.
    pub rtype: RouteType,
    /// Output device.
    pub dev: Option<LinkId>,
    /// Gateway.
    pub gateway: Option<Ipv4Addr>,
    /// Preferred source (`src`).
    pub prefsrc: Option<Ipv4Addr>,
    /// Metric (`priority`).
    pub metric: u32,
    /// Scope.
    pub scope: RouteScope,
    /// Protocol.
    pub proto: RouteProto,
    /// `onlink` nexthop flag.
    pub onlink: bool,
}

impl Route {
    /// Whether `ip` falls in the route's prefix.
    pub fn matches(&self, ip: Ipv4Addr) -> bool {
        let m = mask(self.prefix_len);
        u32::from(ip) & m == u32::from(self.dst) & m
    }

    /// Same key as `fib_find_alias` uses for duplicates: table, prefix,
    /// metric (and TOS, always 0 here).
    pub fn same_key(&self, other: &Route) -> bool {
        self.table == other.table
            && self.dst == other.dst
            && self.prefix_len == other.prefix_len
            && self.metric == other.metric
    }
}

/// Both tables, each kept sorted the way the kernel dumps them: by prefix
/// (address then length) with aliases in insertion order by metric.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RouteTable {
    /// Every route of every table.
    pub routes: Vec<Route>,
}

impl RouteTable {
    /// Inserts a route keeping dump order; `Err(())` if an identical key exists
    /// and `replace` is false.
    #[allow(clippy::result_unit_err)]
    pub fn insert(&mut self, r: Route, replace: bool) -> Result<(), ()> {
        if let Some(pos) =
            self.routes.iter().position(|x| x.same_key(&r) && (x.table != TABLE_LOCAL || x.rtype == r.rtype))
        {
            if replace {
                self.routes[pos] = r;
                return Ok(());
            }
            return Err(());
        }
        let key = |x: &Route| (x.table, u32::from(x.dst), x.prefix_len, x.metric);
        let pos = self.routes.iter().position(|x| key(x) > key(&r)).unwrap_or(self.routes.len());
        self.routes.insert(pos, r);
        Ok(())
    }

    /// Routes of one table in dump order.
    pub fn table(&self, table: u32) -> impl Iterator<Item = &Route> {
        self.routes.iter().filter(move |r| r.table == table)
    }
}

/// The result of a FIB lookup.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FibResult {
    /// The route chosen (a copy, for the trace).
    pub route: Route,
}

impl World {
    /// `fib_lookup` with the default rules: table local, then main.
    /// `oif` restricts to routes through that device (`ip route get ... oif`,
    /// or a socket bound with `SO_BINDTODEVICE` / `ping -I`).
    pub fn fib_lookup(&self, ns: NsId, dst: Ipv4Addr, oif: Option<LinkId>) -> Option<FibResult> {
        let t = &self.ns(ns).routes;
        for table in [super::route::TABLE_LOCAL, super::route::TABLE_MAIN] {
            let mut best: Option<&Route> = None;
            for r in t.table(table) {
                if !r.matches(dst) {
                    continue;
                }
                if let Some(oif) = oif {
                    if r.dev.is_some_and(|d| d != oif) && r.rtype == RouteType::Unicast {
                        continue;
                    }
                }
                // Routes through a device that went down were removed by
                // `fib_sync_down_dev` (local routes stay), so no check here.
                best = match best {
                    None => Some(r),
                    Some(b) if r.prefix_len > b.prefix_len => Some(r),
                    Some(b) if r.prefix_len == b.prefix_len && r.metric < b.metric => Some(r),
                    keep => keep,
                };
            }
            if let Some(r) = best {
                return Some(FibResult { route: r.clone() });
            }
        }
        None
    }
}
