//! What the kernel does for each configuration request (rtnetlink and
//! friends): creating and deleting namespaces and links, moving links,
//! up/down with their side effects (routes, neighbours, IPv6 link-local,
//! bridge port states), enslaving, addresses and routes.
//!
//! Errors are [`ModelError`] values named after the errno; the tools turn
//! them into the messages the real programs print.

use super::Engine;
use crate::model::addr::{mask, AddrScope};
use crate::model::route::{RouteProto, RouteScope, RouteType, TABLE_LOCAL, TABLE_MAIN};
use crate::model::{BridgePort, FdbEntry, FdbFlags, IfAddr, Link, LinkId, LinkKind, MacAddr, ModelError, NsId, Route};
use std::net::Ipv4Addr;

impl Engine {
    /// Recomputes carrier-driven state after a topology change, as the
    /// kernel's carrier events and linkwatch do once the operation is done:
    /// bridge carriers, the stored operstate of a veth whose carrier changed
    /// (`default_operstate`), IPv6 link-local addresses (added once a link is
    /// up with carrier), and neighbour eviction on carrier loss.
    pub fn refresh_links(&mut self) {
        if self.deferring > 0 {
            self.refresh_pending = true;
            return;
        }
        let ids: Vec<LinkId> =
            (0..self.world.links.len() as u32).map(LinkId).filter(|l| self.world.link_alive(*l)).collect();
        for id in &ids {
            if self.world.link(*id).bridge().is_some() {
                self.world.bridge_port_selection(*id, false);
            }
        }
        for id in ids {
            let carrier = self.world.carrier(id);
            let i = id.0 as usize;
            if self.last_carrier.len() <= i {
                self.last_carrier.resize(i + 1, None);
            }
            let changed = self.last_carrier[i].replace(carrier) != Some(carrier);
            let l = self.world.link(id);
            let (admin_up, ll6, lo, ns, conf) = (l.admin_up, l.ll6, l.is_loopback(), l.ns, l.conf);
            if changed && l.veth_peer().is_some() {
                let oper = self.world.default_operstate(id);
                self.world.link_mut(id).oper_stored = Some(oper);
            }
            let v6 = self.world.link(id).ipv6_disable == 0;
            if admin_up && carrier && !ll6 && !lo && v6 {
                self.world.link_mut(id).ll6 = true;
            }
            if !v6 && ll6 {
                // addrconf_ifdown on disable_ipv6=1.
                self.world.link_mut(id).ll6 = false;
            }
            if changed && !carrier && admin_up && self.world.ns(ns).conf_effective(&conf, "arp_evict_nocarrier") != 0 {
                self.neigh_flush_dev(id);
            }
        }
    }

    /// Runs a composite operation with carrier events held back until it is
    /// done, as linkwatch handles them after the RTNL lock is released (a
    /// device moved to another namespace is already there when its peer's
    /// operstate is recomputed).
    fn deferred<R>(&mut self, f: impl FnOnce(&mut Self) -> R) -> R {
        self.deferring += 1;
        let r = f(self);
        self.deferring -= 1;
        if self.deferring == 0 && std::mem::take(&mut self.refresh_pending) {
            self.refresh_links();
        }
        r
    }

    /// `ip netns add`: a new named namespace.
    ///
    /// # Errors
    /// `Exists` when the name is taken.
    pub fn netns_add(&mut self, name: &str) -> Result<NsId, ModelError> {
        if self.world.ns_names.contains_key(name) {
            return Err(ModelError::Exists);
        }
        let id = self.world.add_netns_raw();
        self.world.ns_names.insert(name.to_string(), id);
        Ok(id)
    }

    /// `ip netns del`: the namespace and every device in it go away; a veth
    /// takes its peer with it.
    ///
    /// # Errors
    /// `NotFound` when no such name.
    pub fn netns_del(&mut self, name: &str) -> Result<(), ModelError> {
        let id = self.world.ns_names.remove(name).ok_or(ModelError::NotFound)?;
        let links: Vec<LinkId> = self.world.links_in(id).collect();
        for l in links {
            if self.world.link_alive(l) {
                self.destroy_link(l);
            }
        }
        self.world.netns[id.0 as usize] = None;
        self.taps.retain(|(l, _)| self.world.link_alive(*l));
        self.refresh_links();
        Ok(())
    }

    fn new_link(&mut self, ns: NsId, name: &str, kind: LinkKind, mac: Option<MacAddr>) -> LinkId {
        let ifindex = self.world.alloc_ifindex(ns);
        let mac_val = mac.unwrap_or_else(|| self.rng.mac());
        let mtu = 1500;
        let mut l = Link::new(LinkId(0), ns, ifindex, name.to_string(), kind, mac_val, mtu);
        l.mac_set = mac.is_some();
        l.conf = self.world.ns(ns).conf_default;
        l.ipv6_disable = self.world.ns(ns).ipv6_default_disable;
        self.world.insert_link(l)
    }

    /// `ip link add NAME type veth peer name PEER [netns NS]`: the peer is
    /// registered first, so it gets the lower ifindex.
    ///
    /// # Errors
    /// `Exists` when either name is taken in its namespace.
    pub fn link_add_veth(
        &mut self,
        ns: NsId,
        name: &str,
        mac: Option<MacAddr>,
        peer: &str,
        peer_ns: NsId,
        peer_mac: Option<MacAddr>,
    ) -> Result<LinkId, ModelError> {
        if !self.world.name_free(ns, name) || !self.world.name_free(peer_ns, peer) || (ns == peer_ns && name == peer) {
            return Err(ModelError::Exists);
        }
        let p = self.new_link(peer_ns, peer, LinkKind::Veth { peer: None }, peer_mac);
        let d = self.new_link(ns, name, LinkKind::Veth { peer: Some(p) }, mac);
        self.world.link_mut(p).kind = LinkKind::Veth { peer: Some(d) };
        // Creating a veth with its peer elsewhere announces it in `ns`.
        self.nsid_alloc(ns, peer_ns);
        Ok(d)
    }

    /// `ip link add NAME type bridge` / `brctl addbr`.
    ///
    /// # Errors
    /// `Exists` when the name is taken.
    pub fn link_add_bridge(&mut self, ns: NsId, name: &str, mac: Option<MacAddr>) -> Result<LinkId, ModelError> {
        if !self.world.name_free(ns, name) {
            return Err(ModelError::Exists);
        }
        let id = self.new_link(ns, name, LinkKind::Bridge(Box::default()), mac);
        let own = self.world.link(id).mac;
        self.fdb_insert_local(id, None, own);
        Ok(id)
    }

    fn fdb_insert_local(&mut self, br: LinkId, port: Option<LinkId>, mac: MacAddr) {
        let now = self.now;
        if let Some(b) = self.world.link_mut(br).bridge_mut() {
            match b.fdb.get_mut(&mac) {
                Some(e) if e.flags.local => {}
                _ => {
                    b.fdb.insert(
                        mac,
                        FdbEntry {
                            port,
                            flags: FdbFlags { local: true, is_static: true, added_by_user: false },
                            updated_ns: now,
                            used_ns: now,
                        },
                    );
                }
            }
        }
    }

    /// `br_stp_recalculate_bridge_id`: a bridge whose MAC was not set takes
    /// the lowest MAC among its ports.
    fn bridge_recalc_mac(&mut self, br: LinkId) {
        let l = self.world.link(br);
        if l.mac_set {
            return;
        }
        let Some(b) = l.bridge() else { return };
        let Some(min) = b.ports.iter().map(|p| self.world.link(*p).mac).min() else {
            return;
        };
        let old = l.mac;
        if min == old {
            return;
        }
        self.world.link_mut(br).mac = min;
        if let Some(b) = self.world.link_mut(br).bridge_mut() {
            if b.fdb.get(&old).is_some_and(|e| e.port.is_none()) {
                b.fdb.remove(&old);
            }
        }
        self.fdb_insert_local(br, None, min);
    }

    /// `ip link set DEV master BR` / `brctl addif`.
    ///
    /// # Errors
    /// `Loop` for a bridge into itself, `Invalid` when `br` is not a bridge,
    /// `NotSupported` for a bridge as a port.
    pub fn link_set_master(&mut self, dev: LinkId, br: LinkId) -> Result<(), ModelError> {
        if dev == br {
            return Err(ModelError::Loop);
        }
        if self.world.link(br).bridge().is_none() {
            return Err(ModelError::Invalid);
        }
        if self.world.link(dev).bridge().is_some() || self.world.link(dev).is_loopback() {
            return Err(ModelError::Invalid);
        }
        match self.world.link(dev).master {
            Some(m) if m == br => return Ok(()),
            Some(_) => self.link_nomaster(dev),
            None => {}
        }
        let used: Vec<u16> = self
            .world
            .link(br)
            .bridge()
            .map(|b| b.ports.iter().filter_map(|p| self.world.link(*p).port.as_ref().map(|x| x.port_no)).collect())
            .unwrap_or_default();
        let port_no = (1..).find(|n| !used.contains(n)).unwrap_or(1);
        {
            let l = self.world.link_mut(dev);
            l.master = Some(br);
            l.port = Some(BridgePort {
                bridge: br,
                port_no,
                priority: 32,
                path_cost: 2,
                learning: true,
                flood: true,
                hairpin: false,
            });
        }
        if let Some(b) = self.world.link_mut(br).bridge_mut() {
            b.ports.push(dev);
        }
        let mac = self.world.link(dev).mac;
        self.fdb_insert_local(br, Some(dev), mac);
        self.bridge_recalc_mac(br);
        self.world.bridge_port_selection(br, true);
        self.refresh_links();
        Ok(())
    }

    /// `ip link set DEV nomaster` / `brctl delif`: leaves the bridge, taking
    /// its FDB entries with it.
    pub fn link_nomaster(&mut self, dev: LinkId) {
        let Some(br) = self.world.link(dev).master else {
            return;
        };
        {
            let l = self.world.link_mut(dev);
            l.master = None;
            l.port = None;
        }
        if let Some(b) = self.world.link_mut(br).bridge_mut() {
            b.ports.retain(|p| *p != dev);
            b.fdb.retain(|_, e| e.port != Some(dev));
        }
        self.bridge_recalc_mac(br);
        self.world.bridge_port_selection(br, true);
        self.refresh_links();
    }

    /// `ip link set DEV up`: connected and broadcast routes come back for its
    /// addresses (`fib_add_ifaddr` on `NETDEV_UP`).
    pub fn link_set_up(&mut self, dev: LinkId) {
        if self.world.link(dev).admin_up {
            return;
        }
        self.world.link_mut(dev).admin_up = true;
        self.world.link_mut(dev).ever_up = true;
        // inetdev_event(NETDEV_UP): loopback gets 127.0.0.1/8 scope host
        // (kept when it goes down again).
        let loopback = Ipv4Addr::new(127, 0, 0, 1);
        if self.world.link(dev).is_loopback() && !self.world.link(dev).addrs.iter().any(|a| a.addr == loopback) {
            let a = IfAddr {
                addr: loopback,
                prefix_len: 8,
                broadcast: None,
                scope: AddrScope::Host,
                secondary: false,
                label: None,
                noprefixroute: false,
            };
            let _ = self.addr_add(dev, a);
        }
        let addrs = self.world.link(dev).addrs.clone();
        for a in &addrs {
            self.add_ifaddr_routes(dev, a, true);
        }
        self.refresh_links();
    }

    /// `ip link set DEV down`: routes through it are removed (local ones
    /// stay), neighbours flushed, the IPv6 link-local address goes.
    pub fn link_set_down(&mut self, dev: LinkId) {
        if !self.world.link(dev).admin_up {
            return;
        }
        let ns = self.world.link(dev).ns;
        self.world.link_mut(dev).admin_up = false;
        self.world.link_mut(dev).ll6 = false;
        self.world
            .ns_mut(ns)
            .routes
            .routes
            .retain(|r| r.dev != Some(dev) || (r.table == TABLE_LOCAL && r.rtype == RouteType::Local));
        self.neigh_flush_dev(dev);
        self.refresh_links();
    }

    /// Destroys a link (and its veth peer), releasing ports and removing
    /// routes and neighbours that used them.
    pub fn destroy_link(&mut self, dev: LinkId) {
        self.deferred(|e| e.destroy_link_now(dev));
    }

    fn destroy_link_now(&mut self, dev: LinkId) {
        let peer = self.world.link(dev).veth_peer();
        for id in [Some(dev), peer].into_iter().flatten() {
            if !self.world.link_alive(id) {
                continue;
            }
            self.link_nomaster(id);
            if let Some(ports) = self.world.link(id).bridge().map(|b| b.ports.clone()) {
                for p in ports {
                    self.link_nomaster(p);
                }
            }
            let ns = self.world.link(id).ns;
            let (name, ifindex) = (self.world.link(id).name.clone(), self.world.link(id).ifindex);
            let n = self.world.ns_mut(ns);
            n.by_name.remove(&name);
            n.by_index.remove(&ifindex);
            n.routes.routes.retain(|r| r.dev != Some(id));
            n.neigh.retain(|(d, _), _| *d != id);
            self.world.links[id.0 as usize] = None;
        }
        self.taps.retain(|(l, _)| *l != dev && Some(*l) != peer);
        self.refresh_links();
    }

    /// `ip link set DEV netns NS`: the device is closed, loses its addresses,
    /// leaves its bridge, and keeps its ifindex if free in the target.
    ///
    /// # Errors
    /// `Exists` when the name is taken in the target namespace.
    pub fn link_set_netns(&mut self, dev: LinkId, to: NsId) -> Result<(), ModelError> {
        self.deferred(|e| e.link_set_netns_now(dev, to))
    }

    fn link_set_netns_now(&mut self, dev: LinkId, to: NsId) -> Result<(), ModelError> {
        let from = self.world.link(dev).ns;
        if from == to {
            return Ok(());
        }
        let name = self.world.link(dev).name.clone();
        if !self.world.name_free(to, &name) {
            return Err(ModelError::Exists);
        }
        self.link_set_down(dev);
        self.link_nomaster(dev);
        let ifindex = self.world.link(dev).ifindex;
        {
            let n = self.world.ns_mut(from);
            n.by_name.remove(&name);
            n.by_index.remove(&ifindex);
            n.routes.routes.retain(|r| r.dev != Some(dev));
            n.neigh.retain(|(d, _), _| *d != dev);
        }
        let new_index =
            if self.world.link_by_index(to, ifindex).is_some() { self.world.alloc_ifindex(to) } else { ifindex };
        let conf = self.world.ns(to).conf_default;
        let v6_disable = self.world.ns(to).ipv6_default_disable;
        {
            let l = self.world.link_mut(dev);
            l.ns = to;
            l.ifindex = new_index;
            l.addrs.clear();
            l.conf = conf;
            l.ipv6_disable = v6_disable;
            // Re-registered in the new namespace: qdisc back to noop until
            // the next up (checked with verify).
            l.ever_up = false;
        }
        let n = self.world.ns_mut(to);
        n.by_name.insert(name, dev);
        n.by_index.insert(new_index, dev);
        // The move announces the device in both namespaces.
        self.nsid_alloc(from, to);
        self.nsid_alloc(to, from);
        self.refresh_links();
        Ok(())
    }

    /// `ip link set DEV name NEW`. Kernel 6.18 renames a running device too
    /// (checked with verify).
    ///
    /// # Errors
    /// `Exists` when the name is taken.
    pub fn link_rename(&mut self, dev: LinkId, new: &str) -> Result<(), ModelError> {
        let ns = self.world.link(dev).ns;
        if self.world.link(dev).name == new {
            return Ok(());
        }
        if !self.world.name_free(ns, new) {
            return Err(ModelError::Exists);
        }
        let old = std::mem::replace(&mut self.world.link_mut(dev).name, new.to_string());
        let n = self.world.ns_mut(ns);
        n.by_name.remove(&old);
        n.by_name.insert(new.to_string(), dev);
        Ok(())
    }

    /// `ip link set DEV address MAC`.
    ///
    /// # Errors
    /// `Invalid` for a multicast or zero address.
    pub fn link_set_mac(&mut self, dev: LinkId, mac: MacAddr) -> Result<(), ModelError> {
        if !mac.is_valid_unicast() {
            return Err(ModelError::Invalid);
        }
        let old = self.world.link(dev).mac;
        {
            let l = self.world.link_mut(dev);
            l.mac = mac;
            l.mac_set = true;
        }
        if let Some(br) = self.world.link(dev).master {
            if let Some(b) = self.world.link_mut(br).bridge_mut() {
                b.fdb.remove(&old);
            }
            self.fdb_insert_local(br, Some(dev), mac);
            self.bridge_recalc_mac(br);
        }
        if self.world.link(dev).bridge().is_some() {
            if let Some(b) = self.world.link_mut(dev).bridge_mut() {
                if b.fdb.get(&old).is_some_and(|e| e.port.is_none()) {
                    b.fdb.remove(&old);
                }
            }
            self.fdb_insert_local(dev, None, mac);
            if old != mac {
                self.world.bridge_port_selection(dev, true);
            }
        }
        Ok(())
    }

    /// Adds the routes an address implies (`fib_add_ifaddr`): always the
    /// local route; when the device is up, the prefix route in main and the
    /// subnet broadcast in local.
    fn add_ifaddr_routes(&mut self, dev: LinkId, a: &IfAddr, only_if_up_part: bool) {
        let ns = self.world.link(dev).ns;
        let up = self.world.link(dev).admin_up;
        let lo = self.world.link(dev).is_loopback();
        let base = Route {
            table: TABLE_LOCAL,
            dst: a.addr,
            prefix_len: 32,
            rtype: RouteType::Local,
            dev: Some(dev),
            gateway: None,
            prefsrc: Some(a.addr),
            metric: 0,
            scope: RouteScope::Host,
            proto: RouteProto::Kernel,
            onlink: false,
        };
        let routes = &mut self.world.ns_mut(ns).routes;
        if !only_if_up_part {
            let _ = routes.insert(base.clone(), false);
        }
        if !up {
            return;
        }
        if let Some(b) = a.broadcast {
            let _ = routes
                .insert(Route { dst: b, rtype: RouteType::Broadcast, scope: RouteScope::Link, ..base.clone() }, false);
        }
        if a.secondary || a.prefix_len == 32 || a.noprefixroute {
            return;
        }
        let net = a.network();
        let _ = routes.insert(
            Route {
                table: if lo { TABLE_LOCAL } else { TABLE_MAIN },
                dst: net,
                prefix_len: a.prefix_len,
                rtype: if lo { RouteType::Local } else { RouteType::Unicast },
                scope: if lo { RouteScope::Host } else { RouteScope::Link },
                ..base.clone()
            },
            false,
        );
        if a.prefix_len < 31 {
            let bcast = Ipv4Addr::from(u32::from(net) | !mask(a.prefix_len));
            let _ = routes
                .insert(Route { dst: bcast, rtype: RouteType::Broadcast, scope: RouteScope::Link, ..base }, false);
        }
    }

    /// `ip addr add A/LEN dev DEV [brd B] [scope S] [label L] [noprefixroute]`.
    ///
    /// # Errors
    /// `Exists` when the same address and prefix are on the device,
    /// `InvalidScope` for a secondary whose scope differs from its primary's.
    pub fn addr_add(&mut self, dev: LinkId, mut a: IfAddr) -> Result<(), ModelError> {
        let l = self.world.link(dev);
        if l.addrs.iter().any(|x| x.addr == a.addr && x.prefix_len == a.prefix_len) {
            return Err(ModelError::Exists);
        }
        let primary = l.addrs.iter().find(|x| !x.secondary && x.prefix_len == a.prefix_len && x.contains(a.addr));
        // __inet_insert_ifa: a secondary must have its primary's scope.
        if primary.is_some_and(|p| p.scope != a.scope) {
            return Err(ModelError::InvalidScope);
        }
        a.secondary = primary.is_some();
        let pos =
            if a.secondary { l.addrs.len() } else { l.addrs.iter().position(|x| x.secondary).unwrap_or(l.addrs.len()) };
        self.world.link_mut(dev).addrs.insert(pos, a.clone());
        self.add_ifaddr_routes(dev, &a, false);
        Ok(())
    }

    /// `ip addr del A/LEN dev DEV`: removes the address and the routes it
    /// implied; deleting a primary deletes its secondaries
    /// (`promote_secondaries=0`).
    ///
    /// # Errors
    /// `NotFound`-like (`EADDRNOTAVAIL`, reported as `Invalid`) when absent.
    pub fn addr_del(&mut self, dev: LinkId, addr: Ipv4Addr, prefix_len: Option<u8>) -> Result<(), ModelError> {
        let l = self.world.link(dev);
        let Some(pos) = l.addrs.iter().position(|x| x.addr == addr && prefix_len.is_none_or(|p| p == x.prefix_len))
        else {
            return Err(ModelError::AddrNotAvail);
        };
        let gone = l.addrs[pos].clone();
        let mut removed = vec![gone.clone()];
        if !gone.secondary {
            removed.extend(
                l.addrs
                    .iter()
                    .filter(|x| x.secondary && x.prefix_len == gone.prefix_len && gone.contains(x.addr))
                    .cloned(),
            );
        }
        let ns = l.ns;
        self.world.link_mut(dev).addrs.retain(|x| !removed.contains(x));
        for a in removed {
            let still_local =
                self.world.links_in(ns).any(|d| self.world.link(d).addrs.iter().any(|x| x.addr == a.addr));
            self.world.ns_mut(ns).routes.routes.retain(|r| {
                if r.dev != Some(dev) || r.prefsrc != Some(a.addr) {
                    return true;
                }
                r.rtype == RouteType::Local && r.prefix_len == 32 && still_local
            });
        }
        Ok(())
    }

    /// `ip addr flush dev DEV`.
    pub fn addr_flush(&mut self, dev: LinkId) {
        let addrs: Vec<Ipv4Addr> = self.world.link(dev).addrs.iter().filter(|a| !a.secondary).map(|a| a.addr).collect();
        for a in addrs {
            let _ = self.addr_del(dev, a, None);
        }
    }
}

/// Default scope for an address: host for 127/8, otherwise global.
pub fn default_addr_scope(a: Ipv4Addr) -> AddrScope {
    if a.is_loopback() {
        AddrScope::Host
    } else {
        AddrScope::Global
    }
}

impl Engine {
    /// Assigns the peer namespace ids a link dump in `ns` allocates
    /// (`peernet2id_alloc` for every veth whose peer lives elsewhere), so
    /// `link-netnsid N` and `ip netns list (id: N)` match the kernel.
    pub fn link_dump(&mut self, ns: NsId) {
        for (peer_ns, id) in crate::render::iproute::link_dump_nsids(&self.world, ns) {
            self.world.ns_mut(ns).nsids.entry(peer_ns).or_insert(id);
        }
    }

    /// `peernet2id_alloc`: the lowest free id in `ns` for `other`.
    pub fn nsid_alloc(&mut self, ns: NsId, other: NsId) {
        if ns == other || !self.world.ns_alive(ns) {
            return;
        }
        let n = self.world.ns_mut(ns);
        if n.nsids.contains_key(&other) {
            return;
        }
        // The lowest free id (idr_alloc), without a scan of the map per
        // candidate: quadratic per call once thousands of namespaces exist.
        let mut used: Vec<_> = n.nsids.values().copied().collect();
        used.sort_unstable();
        used.dedup();
        let id = used.iter().zip(0..).find(|(v, i)| **v != *i).map_or(used.len() as _, |(_, i)| i);
        n.nsids.insert(other, id);
    }
}
