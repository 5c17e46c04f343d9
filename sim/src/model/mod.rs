//! The world as data: network namespaces, links, addresses, routes,
//! neighbours, bridge FDBs and per-namespace sysctls, named as iproute2 names
//! them.
//!
//! The model holds invariants (unique names and ifindexes per namespace, a
//! veth always knows its peer, a port belongs to at most one bridge) and the
//! state the kernel derives from them (carrier, operstate, port state). It
//! holds no time and no packets in flight: timers and frames belong to
//! [`crate::engine`]. Mutations return [`ModelError`] with the kernel's errno
//! meaning so tools can print the real tool's message.
//!
//! Submodules: [`link`] (lo, veth, bridge and derived link state), [`addr`],
//! [`route`] (FIB and lookup), [`neigh`], [`fdb`], [`sysctl`], [`netns`], [`profile`] (what a new
//! namespace inherits from the host), [`nf`] (iptables rules), [`conntrack`] (the connection table).

pub mod addr;
pub mod conntrack;
pub mod fdb;
pub mod link;
pub mod neigh;
pub mod netns;
pub mod nf;
pub mod nft;
pub mod profile;
pub mod route;
pub mod sysctl;

pub use addr::IfAddr;
pub use fdb::{FdbEntry, FdbFlags};
pub use link::{Bridge, BridgePort, Link, LinkKind, LinkStats, MacAddr, OperState, PortState};
pub use neigh::{Neigh, NeighState};
pub use netns::Netns;
pub use profile::HostProfile;
pub use route::{Route, RouteProto, RouteScope, RouteTable, RouteType};
pub use sysctl::DevConf;

use std::collections::BTreeMap;

/// A network namespace handle, handed out in creation order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NsId(pub u32);

/// A link handle, unique across the whole world (unlike the ifindex, which is
/// per namespace and can change when a link moves).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LinkId(pub u32);

/// Errors from model mutations, named after the errno the kernel returns.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelError {
    /// EEXIST: a device, address, route or namespace of that name exists.
    #[error("File exists")]
    Exists,
    /// ENODEV: no such device.
    #[error("No such device")]
    NoDevice,
    /// ENOENT: no such namespace, route or entry.
    #[error("No such file or directory")]
    NotFound,
    /// ESRCH: no such process (route delete of a missing route).
    #[error("No such process")]
    NoSuchProcess,
    /// EINVAL.
    #[error("Invalid argument")]
    Invalid,
    /// ENETUNREACH: gateway not reachable (route add via an off-link gateway).
    #[error("Network is unreachable")]
    NetUnreachable,
    /// ELOOP: enslaving a bridge to itself.
    #[error("Too many levels of symbolic links")]
    Loop,
    /// EINVAL from `__inet_insert_ifa`: a secondary address's scope differs
    /// from its primary's.
    #[error("ipv4: Invalid scope value.")]
    InvalidScope,
    /// EADDRNOTAVAIL: the address is not configured.
    #[error("Cannot assign requested address")]
    AddrNotAvail,
    /// EOPNOTSUPP.
    #[error("Operation not supported")]
    NotSupported,
}

/// The whole simulated host: every namespace and every link.
///
/// Namespace 0 is the root namespace of a fresh host (only `lo`, down).
#[derive(Debug, Clone)]
pub struct World {
    /// Namespaces by id; a deleted namespace leaves `None`.
    pub netns: Vec<Option<Netns>>,
    /// Names registered under `/run/netns` (`ip netns add`), in name order.
    pub ns_names: BTreeMap<String, NsId>,
    /// Every link, by id; a deleted link leaves `None`.
    pub links: Vec<Option<Link>>,
    /// The starting conditions new namespaces inherit.
    pub profile: HostProfile,
}

impl World {
    /// A fresh host: the root namespace with `lo` (down).
    pub fn new(profile: HostProfile) -> World {
        let mut w = World { netns: Vec::new(), ns_names: BTreeMap::new(), links: Vec::new(), profile };
        w.add_netns_raw();
        w
    }

    /// The root namespace.
    pub const ROOT: NsId = NsId(0);

    /// Creates a namespace with its `lo` and returns it (no name registered).
    pub fn add_netns_raw(&mut self) -> NsId {
        let id = NsId(self.netns.len() as u32);
        self.netns.push(Some(Netns::new(id, &self.profile)));
        let ifindex = self.alloc_ifindex(id);
        let lo = Link::new(LinkId(0), id, ifindex, "lo".into(), LinkKind::Loopback, MacAddr::ZERO, 65536);
        self.insert_link(lo);
        id
    }

    /// Borrows a namespace.
    ///
    /// # Panics
    /// If `id` was deleted; handles are only held for live namespaces.
    pub fn ns(&self, id: NsId) -> &Netns {
        self.netns[id.0 as usize].as_ref().expect("namespace handles refer to live namespaces")
    }

    /// Mutably borrows a namespace.
    ///
    /// # Panics
    /// If `id` was deleted.
    pub fn ns_mut(&mut self, id: NsId) -> &mut Netns {
        self.netns[id.0 as usize].as_mut().expect("namespace handles refer to live namespaces")
    }

    /// Whether a namespace is alive.
    pub fn ns_alive(&self, id: NsId) -> bool {
        self.netns.get(id.0 as usize).is_some_and(|n| n.is_some())
    }

    /// Borrows a link.
    ///
    /// # Panics
    /// If `id` was deleted.
    pub fn link(&self, id: LinkId) -> &Link {
        self.links[id.0 as usize].as_ref().expect("link handles refer to live links")
    }

    /// Mutably borrows a link.
    ///
    /// # Panics
    /// If `id` was deleted.
    pub fn link_mut(&mut self, id: LinkId) -> &mut Link {
        self.links[id.0 as usize].as_mut().expect("link handles refer to live links")
    }

    /// Whether a link is alive.
    pub fn link_alive(&self, id: LinkId) -> bool {
        self.links.get(id.0 as usize).is_some_and(|l| l.is_some())
    }

    /// Finds a link by name in a namespace.
    pub fn link_by_name(&self, ns: NsId, name: &str) -> Option<LinkId> {
        self.ns(ns).by_name.get(name).copied()
    }

    /// Finds a link by ifindex in a namespace.
    pub fn link_by_index(&self, ns: NsId, ifindex: u32) -> Option<LinkId> {
        self.ns(ns).by_index.get(&ifindex).copied()
    }

    /// The links of a namespace in ifindex order.
    pub fn links_in(&self, ns: NsId) -> impl Iterator<Item = LinkId> + '_ {
        self.ns(ns).by_index.values().copied()
    }

    /// The namespace's loopback device.
    ///
    /// # Panics
    /// Never for a live namespace: `lo` is created with it and cannot be deleted.
    pub fn lo(&self, ns: NsId) -> LinkId {
        self.link_by_index(ns, 1).expect("every namespace has lo at ifindex 1")
    }

    /// Registers a link: assigns its id, indexes its name and ifindex.
    pub(crate) fn insert_link(&mut self, mut link: Link) -> LinkId {
        let id = LinkId(self.links.len() as u32);
        link.id = id;
        let ns = self.ns_mut(link.ns);
        ns.by_name.insert(link.name.clone(), id);
        ns.by_index.insert(link.ifindex, id);
        self.links.push(Some(link));
        id
    }

    /// Allocates the next ifindex in a namespace as `dev_index_reserve` does:
    /// cyclically from the last one handed out, skipping indexes in use, so a
    /// freed index is not reused until the counter wraps.
    pub fn alloc_ifindex(&mut self, ns: NsId) -> u32 {
        let n = self.ns_mut(ns);
        let mut i = n.next_ifindex.max(1);
        while n.by_index.contains_key(&i) {
            i += 1;
        }
        n.next_ifindex = i + 1;
        i
    }

    /// Whether a name is free in a namespace.
    pub fn name_free(&self, ns: NsId, name: &str) -> bool {
        !self.ns(ns).by_name.contains_key(name)
    }

    /// The namespace name as `ip netns` shows it, if registered.
    pub fn ns_name(&self, id: NsId) -> Option<&str> {
        self.ns_names.iter().find(|(_, v)| **v == id).map(|(k, _)| k.as_str())
    }
}

/// Nanoseconds per second, for durations kept as integer nanoseconds.
pub const NS_PER_SEC: u64 = 1_000_000_000;
