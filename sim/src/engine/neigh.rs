//! The neighbour state machine (`net/core/neighbour.c` with `arp_tbl`
//! parameters): INCOMPLETE with three broadcast probes one second apart,
//! FAILED with an ICMP host unreachable for each queued packet, REACHABLE,
//! STALE, DELAY and PROBE with their timers.
//!
//! Not modelled: garbage collection thresholds, `locktime`, proxy delay.

use super::datapath::{eth_frame, Ipv4View, ETH_P_IP};
use super::{Engine, Event};
use crate::model::{LinkId, MacAddr, Neigh, NeighState, NsId, NS_PER_SEC};
use crate::trace::{DropReason, TraceKind};
use std::net::Ipv4Addr;

/// `retrans_time`.
pub const RETRANS_NS: u64 = NS_PER_SEC;
/// `delay_first_probe_time`.
pub const DELAY_PROBE_NS: u64 = 5 * NS_PER_SEC;
/// `ucast_solicit`.
pub const UCAST_PROBES: u32 = 3;
/// `mcast_solicit`.
pub const MCAST_PROBES: u32 = 3;
/// `base_reachable_time`.
pub const BASE_REACHABLE_NS: u64 = 30 * NS_PER_SEC;

impl Engine {
    /// The namespace's current `reachable_time`: drawn in [½, 3/2] of the
    /// base time (`neigh_rand_reach_time`) once per namespace.
    fn reachable_time(&mut self, ns: NsId) -> u64 {
        if let Some(t) = self.reachable.get(&ns) {
            return *t;
        }
        let t = self.rng.range(BASE_REACHABLE_NS / 2, BASE_REACHABLE_NS * 3 / 2);
        self.reachable.insert(ns, t);
        t
    }

    fn neigh_arm(&mut self, ns: NsId, dev: LinkId, ip: Ipv4Addr, at: u64) {
        if let Some(n) = self.world.ns_mut(ns).neigh.get_mut(&(dev, ip)) {
            n.timer_ns = Some(at);
        }
        self.schedule(at, Event::NeighTimer { ns, dev, ip });
    }

    /// `neigh_resolve_output`: send `pkt` (an IPv4 packet) to next hop `nh`
    /// on `dev`, resolving it first if needed.
    pub(super) fn neigh_output(&mut self, ns: NsId, dev: LinkId, nh: Ipv4Addr, pkt: Vec<u8>) {
        self.neigh_output_tok(ns, dev, nh, pkt, 0);
    }

    /// [`Engine::neigh_output`] for a packet with a token: non-zero for a
    /// bridged-DNAT packet, which goes on being bridged once resolved.
    pub(super) fn neigh_output_tok(&mut self, ns: NsId, dev: LinkId, nh: Ipv4Addr, pkt: Vec<u8>, tok: u64) {
        let now = self.now;
        let state = self.world.ns(ns).neigh.get(&(dev, nh)).map(|n| (n.state, n.lladdr));
        if self.trace.enabled {
            let (st, lladdr) = state.map_or(("NONE", None), |(s, l)| (s.as_str(), l));
            let action = match state {
                Some((s, Some(_))) if s.valid() => "send",
                Some((NeighState::Incomplete, _)) => "queue",
                _ => "solicit",
            };
            let lladdr = lladdr.filter(|_| action == "send");
            let ev = TraceKind::Neigh { dev, ip: nh, state: st, lladdr, action };
            self.trace.push(&self.world, now, Some(dev), ev);
            if action != "send" {
                self.trace.park(&pkt);
            }
        }
        match state {
            Some((st, Some(mac))) if st.valid() => {
                if st == NeighState::Stale {
                    if let Some(n) = self.world.ns_mut(ns).neigh.get_mut(&(dev, nh)) {
                        n.state = NeighState::Delay;
                    }
                    self.neigh_arm(ns, dev, nh, now + DELAY_PROBE_NS);
                }
                if let Some(n) = self.world.ns_mut(ns).neigh.get_mut(&(dev, nh)) {
                    n.used_ns = now;
                }
                if tok != 0 {
                    self.br_dnat_resume(dev, tok, mac, &pkt);
                    return;
                }
                let frame = eth_frame(mac, self.world.link(dev).mac, ETH_P_IP, &pkt);
                self.xmit(dev, frame);
            }
            Some((NeighState::Incomplete, _)) => {
                // neigh_probe solicits with the newest queued packet's source
                // (skb_peek_tail of arp_queue).
                let saddr = Ipv4View::parse(&pkt).map(|v| v.src);
                if let Some(n) = self.world.ns_mut(ns).neigh.get_mut(&(dev, nh)) {
                    n.queue.push((pkt, tok));
                    n.queue_saddr = saddr.or(n.queue_saddr);
                }
            }
            _ => {
                // NONE or FAILED: start resolving, probe at once.
                let saddr = Ipv4View::parse(&pkt).map(|v| v.src);
                let e = self.world.ns_mut(ns).neigh.entry((dev, nh)).or_insert_with(|| Neigh {
                    dev,
                    lladdr: None,
                    state: NeighState::Incomplete,
                    probes: 0,
                    timer_ns: None,
                    confirmed_ns: 0,
                    updated_ns: now,
                    used_ns: now,
                    queue: Vec::new(),
                    queue_saddr: None,
                    by_user: false,
                });
                e.state = NeighState::Incomplete;
                e.probes = UCAST_PROBES + 1;
                e.updated_ns = now;
                e.used_ns = now;
                e.queue_saddr = saddr;
                e.queue.push((pkt, tok));
                self.neigh_arm(ns, dev, nh, now + RETRANS_NS);
                self.arp_solicit(ns, dev, nh, saddr, None);
            }
        }
    }

    /// `neigh_timer_handler`.
    pub(super) fn neigh_timer(&mut self, ns: NsId, dev: LinkId, ip: Ipv4Addr) {
        let now = self.now;
        if !self.world.ns_alive(ns) || !self.world.link_alive(dev) {
            return;
        }
        let reach = self.reachable_time(ns);
        let Some(n) = self.world.ns(ns).neigh.get(&(dev, ip)) else {
            return;
        };
        if n.timer_ns != Some(now) {
            return; // superseded
        }
        let (state, confirmed, used, probes, lladdr) = (n.state, n.confirmed_ns, n.used_ns, n.probes, n.lladdr);
        match state {
            NeighState::Reachable => {
                if now < confirmed + reach {
                    self.neigh_arm(ns, dev, ip, confirmed + reach);
                } else if now < used + DELAY_PROBE_NS {
                    self.set_state(ns, dev, ip, NeighState::Delay);
                    self.neigh_arm(ns, dev, ip, now + DELAY_PROBE_NS);
                } else {
                    self.set_state(ns, dev, ip, NeighState::Stale);
                }
            }
            NeighState::Delay => {
                if now < confirmed + DELAY_PROBE_NS {
                    self.set_state(ns, dev, ip, NeighState::Reachable);
                    self.neigh_arm(ns, dev, ip, confirmed + reach);
                } else {
                    self.set_state(ns, dev, ip, NeighState::Probe);
                    if let Some(n) = self.world.ns_mut(ns).neigh.get_mut(&(dev, ip)) {
                        n.probes = 1;
                    }
                    self.neigh_arm(ns, dev, ip, now + RETRANS_NS);
                    self.arp_solicit(ns, dev, ip, None, lladdr);
                }
            }
            NeighState::Incomplete | NeighState::Probe => {
                let max = if state == NeighState::Incomplete { UCAST_PROBES + MCAST_PROBES } else { UCAST_PROBES };
                if probes >= max {
                    self.neigh_fail(ns, dev, ip);
                } else {
                    if let Some(n) = self.world.ns_mut(ns).neigh.get_mut(&(dev, ip)) {
                        n.probes += 1;
                    }
                    self.neigh_arm(ns, dev, ip, now + RETRANS_NS);
                    let saddr = self.world.ns(ns).neigh.get(&(dev, ip)).and_then(|n| n.queue_saddr);
                    let dst = if state == NeighState::Probe { lladdr } else { None };
                    self.arp_solicit(ns, dev, ip, saddr, dst);
                }
            }
            _ => {}
        }
    }

    fn set_state(&mut self, ns: NsId, dev: LinkId, ip: Ipv4Addr, st: NeighState) {
        let now = self.now;
        if let Some(n) = self.world.ns_mut(ns).neigh.get_mut(&(dev, ip)) {
            n.state = st;
            n.updated_ns = now;
            n.timer_ns = None;
        }
    }

    /// `neigh_invalidate`: FAILED, and each queued packet reported with
    /// `arp_error_report` (ICMP host unreachable to its sender).
    fn neigh_fail(&mut self, ns: NsId, dev: LinkId, ip: Ipv4Addr) {
        self.set_state(ns, dev, ip, NeighState::Failed);
        let queue =
            self.world.ns_mut(ns).neigh.get_mut(&(dev, ip)).map(|n| std::mem::take(&mut n.queue)).unwrap_or_default();
        for (pkt, tok) in queue {
            if self.trace.enabled {
                self.trace.unpark(&pkt);
                let ev = TraceKind::Neigh { dev, ip, state: "FAILED", lladdr: None, action: "failed" };
                self.trace.push(&self.world, self.now, Some(dev), ev);
            }
            if let Some(b) = self.brdnat.remove(&tok) {
                self.skb_ct = b.ct;
            }
            if let Some(v) = Ipv4View::parse(&pkt) {
                self.icmp_send(ns, &pkt, v, 3, 1);
            }
            self.drop_frame(Some(dev), DropReason::NeighFailed, "neighbour resolution failed");
        }
    }

    /// `neigh_event_ns`: an ARP request addressed to us creates or refreshes
    /// the sender's entry as STALE.
    pub(super) fn neigh_event_ns(&mut self, ns: NsId, dev: LinkId, ip: Ipv4Addr, mac: MacAddr) {
        let now = self.now;
        self.world.ns_mut(ns).neigh.entry((dev, ip)).or_insert_with(|| Neigh {
            dev,
            lladdr: None,
            state: NeighState::Failed,
            probes: 0,
            timer_ns: None,
            confirmed_ns: 0,
            updated_ns: now,
            used_ns: 0,
            queue: Vec::new(),
            queue_saddr: None,
            by_user: false,
        });
        self.neigh_update(ns, dev, ip, mac, NeighState::Stale);
    }

    /// The update `arp_process` makes for any ARP from `ip` when an entry
    /// exists (REACHABLE for a reply unicast to us, else STALE).
    pub(super) fn neigh_update_from_arp(&mut self, ns: NsId, dev: LinkId, ip: Ipv4Addr, mac: MacAddr, reachable: bool) {
        if self.world.ns(ns).neigh.contains_key(&(dev, ip)) {
            let st = if reachable { NeighState::Reachable } else { NeighState::Stale };
            self.neigh_update(ns, dev, ip, mac, st);
        }
    }

    /// `__neigh_update`.
    fn neigh_update(&mut self, ns: NsId, dev: LinkId, ip: Ipv4Addr, mac: MacAddr, new: NeighState) {
        let now = self.now;
        let reach = self.reachable_time(ns);
        let Some(n) = self.world.ns_mut(ns).neigh.get_mut(&(dev, ip)) else {
            return;
        };
        if matches!(n.state, NeighState::Permanent | NeighState::Noarp) {
            return;
        }
        let old = n.state;
        let mut new = new;
        if old.valid() && n.lladdr == Some(mac) && new == NeighState::Stale {
            new = old; // valid entry, same address: a STALE update changes nothing
        }
        n.lladdr = Some(mac);
        n.updated_ns = now;
        if new == NeighState::Reachable {
            n.confirmed_ns = now;
        }
        let changed = new != old;
        n.state = new;
        let queue = if !old.valid() && new.valid() { std::mem::take(&mut n.queue) } else { Vec::new() };
        if changed {
            n.timer_ns = None;
            if new == NeighState::Reachable {
                self.neigh_arm(ns, dev, ip, now + reach);
            }
        }
        for (pkt, tok) in queue {
            if self.trace.enabled {
                self.trace.unpark(&pkt);
            }
            self.neigh_output_tok(ns, dev, ip, pkt, tok);
        }
    }

    /// Flushes neighbour entries on a device (`neigh_ifdown` /
    /// `neigh_carrier_down`).
    pub fn neigh_flush_dev(&mut self, dev: LinkId) {
        let ns = self.world.link(dev).ns;
        self.world.ns_mut(ns).neigh.retain(|(d, _), n| *d != dev || n.state == NeighState::Permanent);
    }
}
