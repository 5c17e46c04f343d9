//! Typed trace events and the kernel's drop reasons.
//!
//! When tracing is on, the engine appends one [`TraceEvent`] for each step a
//! packet takes, carrying the evidence for the decision made there (the FDB
//! entry, the route as `ip route` prints it, the iptables rule as `iptables
//! -S` prints it with its counters, the sysctl that decided). With tracing
//! off nothing here is called: every call site is behind `trace.enabled`,
//! so the hot path neither allocates nor formats.
//!
//! The recording methods are `#[cold]` and never inlined: the engine's hot
//! functions keep only a test of `enabled` when tracing is off.
//!
//! Each event belongs to one packet ([`PktId`]), the simulator's stand-in
//! for an skb: a packet is born where the kernel builds one (`ip_output`
//! of a local packet, an ARP request or reply) and keeps its id across veth
//! hand-offs, forwarding, the neighbour queue and bridge flooding (a flooded
//! copy keeps its original's id, so its story branches). The trace follows
//! frames between scheduled events itself ([`Trace::sent`],
//! [`Trace::arrived`], [`Trace::park`]), so the engine's queue carries no
//! trace data.
//!
//! What this module does not do: explain. Turning events into stories,
//! hints and renderings is [`crate::explain`]'s job. Adding a variant to
//! [`TraceKind`] means adding its arm in `explain::text` (the sentence) and
//! `explain::json` (the evidence object); nothing else matches on it.

pub mod nf;

use crate::model::nf::{Hook, TableName};
use crate::model::{LinkId, MacAddr, NsId, World};
use std::collections::BTreeMap;
use std::net::Ipv4Addr;

/// `enum skb_drop_reason` names (without the `SKB_DROP_REASON_` prefix).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DropReason {
    /// `NOT_SPECIFIED`: drops the kernel gives no reason for (veth peer
    /// down, bridge port not forwarding, invalid source MAC).
    NotSpecified,
    /// `OTHERHOST`: frame not addressed to this host on a non-bridged device.
    OtherHost,
    /// `IP_INADDRERRORS`: not for us and forwarding is off.
    IpInAddrErrors,
    /// `IP_INNOROUTES`: forwarding on, no route.
    IpInNoRoutes,
    /// `IP_OUTNOROUTES`: output route lookup failed.
    IpOutNoRoutes,
    /// `IP_RPFILTER`: reverse-path filter.
    IpRpfilter,
    /// `IP_INHDR`: bad header or TTL expired while forwarding.
    IpInhdr,
    /// `NEIGH_FAILED`: neighbour resolution failed.
    NeighFailed,
    /// `QDISC_DROP`: sent while the carrier is off (noop qdisc).
    QdiscDrop,
    /// `DEV_READY`: device down.
    DevReady,
    /// `UNHANDLED_PROTO`: no handler for the ethertype.
    UnhandledProto,
    /// `NO_SOCKET`: no socket for the segment.
    NoSocket,
    /// `IP_NOPROTO`: no handler for the IP protocol.
    IpNoproto,
    /// `NETFILTER_DROP`.
    NetfilterDrop,
}

impl DropReason {
    /// The name as `skb:kfree_skb` prints it.
    pub fn as_str(self) -> &'static str {
        match self {
            DropReason::NotSpecified => "NOT_SPECIFIED",
            DropReason::OtherHost => "OTHERHOST",
            DropReason::IpInAddrErrors => "IP_INADDRERRORS",
            DropReason::IpInNoRoutes => "IP_INNOROUTES",
            DropReason::IpOutNoRoutes => "IP_OUTNOROUTES",
            DropReason::IpRpfilter => "IP_RPFILTER",
            DropReason::IpInhdr => "IP_INHDR",
            DropReason::NeighFailed => "NEIGH_FAILED",
            DropReason::QdiscDrop => "QDISC_DROP",
            DropReason::DevReady => "DEV_READY",
            DropReason::UnhandledProto => "UNHANDLED_PROTO",
            DropReason::NoSocket => "NO_SOCKET",
            DropReason::IpNoproto => "IP_NOPROTO",
            DropReason::NetfilterDrop => "NETFILTER_DROP",
        }
    }
}

/// A packet's identity in the trace (1, 2, ... in order of birth; 0 is "no
/// packet", for events outside any packet's path).
pub type PktId = u32;

/// Why the bridge flooded a frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FloodWhy {
    /// ff:ff:ff:ff:ff:ff.
    Broadcast,
    /// Another group address.
    Multicast,
    /// Unicast to a MAC the FDB does not hold.
    UnknownUnicast,
}

/// Why br_netfilter handed a bridged frame to iptables.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BrNfWhy {
    /// `net.bridge.bridge-nf-call-iptables=1` in the bridge's namespace.
    Sysctl,
    /// The bridge's own `nf_call_iptables 1` option (`ip link set ... type
    /// bridge nf_call_iptables 1`).
    BridgeOption,
}

/// One rule whose counters a hook traversal raised: it matched.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleHit {
    /// Chain name.
    pub chain: String,
    /// 1-based position in the chain (as `--line-numbers`).
    pub pos: usize,
    /// The rule as `iptables -S` prints it (`-A CHAIN ...`).
    pub spec: String,
    /// Its packet counter after this packet.
    pub packets: u64,
    /// Its byte counter after this packet.
    pub bytes: u64,
}

/// What one table's walk of a hook did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NfTableWalk {
    /// The table.
    pub table: TableName,
    /// Rules that matched, in chain then position order.
    pub hits: Vec<RuleHit>,
    /// The built-in chain's policy when the walk fell off its end
    /// (`ACCEPT`/`DROP`), with the policy's packet counter after.
    pub policy: Option<(&'static str, u64)>,
    /// The table's verdict: `ACCEPT`, `DROP` or `REJECT`.
    pub verdict: &'static str,
}

/// What happened at one step. Links are resolved to names through
/// [`Trace::devs`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TraceKind {
    /// A packet was built by the host in `ns`.
    Origin {
        /// Namespace.
        ns: NsId,
        /// Who built it (`local output`, `arp request`, `arp reply`, ...).
        by: &'static str,
        /// The packet as built: an Ethernet frame (an IPv4 packet not yet
        /// routed gets a zero-MAC Ethernet header, for printing).
        frame: Vec<u8>,
    },
    /// A device transmitted a frame (the bytes a capture there sees).
    Tx {
        /// The frame.
        frame: Vec<u8>,
    },
    /// A device received a frame.
    Rx {
        /// The frame.
        frame: Vec<u8>,
    },
    /// veth transmit: the frame crosses to the peer (`veth_xmit`).
    VethXmit {
        /// The peer device, which receives it next.
        peer: LinkId,
    },
    /// The bridge learned (or moved) a source MAC on a port.
    FdbLearn {
        /// Bridge.
        bridge: LinkId,
        /// MAC learned.
        mac: MacAddr,
        /// The port it was learned on.
        port: LinkId,
        /// The port it was on before, when it moved.
        moved_from: Option<LinkId>,
    },
    /// FDB lookup hit: forward to one port.
    FdbHit {
        /// Bridge.
        bridge: LinkId,
        /// Destination MAC.
        mac: MacAddr,
        /// Egress port.
        port: LinkId,
        /// Seconds since the entry was last updated (learned).
        age_s: u64,
    },
    /// FDB lookup found a local entry: the frame is for the bridge itself.
    FdbLocal {
        /// Bridge.
        bridge: LinkId,
        /// Destination MAC.
        mac: MacAddr,
    },
    /// The bridge flooded the frame to every eligible port.
    Flood {
        /// Bridge.
        bridge: LinkId,
        /// Why.
        why: FloodWhy,
        /// Ports that get a copy.
        ports: Vec<LinkId>,
    },
    /// The bridge passed the frame up to its own device (local delivery).
    PassUp {
        /// Bridge.
        bridge: LinkId,
    },
    /// br_netfilter hands a bridged IPv4 frame to an iptables hook.
    BrNetfilter {
        /// Bridge.
        bridge: LinkId,
        /// The IPv4 hook it runs.
        hook: Hook,
        /// Which switch made it happen.
        why: BrNfWhy,
    },
    /// A netfilter hook ran in `ns`.
    NfHook {
        /// Namespace.
        ns: NsId,
        /// Hook.
        hook: Hook,
        /// `-i` device.
        in_dev: Option<LinkId>,
        /// `-o` device.
        out_dev: Option<LinkId>,
        /// Tables walked, in priority order (empty: no table loaded).
        tables: Vec<NfTableWalk>,
        /// The packet's mark (`skb->mark`) after the hook.
        mark: u32,
        /// The hook's verdict: `ACCEPT`, `DROP` or `REJECT`.
        verdict: &'static str,
    },
    /// A native nft base chain dropped or rejected the packet in `ns`.
    NftVerdict {
        /// Namespace.
        ns: NsId,
        /// Hook.
        hook: Hook,
        /// `FAMILY TABLE`, e.g. `inet fw`.
        table: String,
        /// The chain that decided (a regular chain reached by a jump, or
        /// the base chain for its policy).
        chain: String,
        /// The deciding rule as `nft list` prints it with its handle;
        /// `None` for the base chain's policy.
        rule: Option<String>,
        /// `DROP` or `REJECT`.
        verdict: &'static str,
    },
    /// Connection tracking classified the packet (`nf_conntrack_in`).
    Conntrack {
        /// Namespace.
        ns: NsId,
        /// `NEW`, `ESTABLISHED`, `RELATED` (with `reply` for the reply
        /// direction), or `INVALID` (untracked).
        state: &'static str,
        /// The connection as `conntrack -L` prints it, when there is one.
        entry: Option<String>,
    },
    /// NAT rewrote the packet at a hook.
    Nat {
        /// Namespace.
        ns: NsId,
        /// The hook.
        hook: Hook,
        /// Addresses and ports before (`SRC:SPORT > DST:DPORT`).
        before: String,
        /// And after.
        after: String,
    },
    /// A route lookup.
    Route {
        /// Namespace.
        ns: NsId,
        /// Input (`ip_route_input`) or output (`ip_route_output`).
        input: bool,
        /// The destination looked up.
        dst: Ipv4Addr,
        /// The route chosen, as `ip route show table all` prints it, or
        /// `None` when no route matched.
        route: Option<String>,
        /// What the lookup means for the packet: `local`, `forward`,
        /// `broadcast`, `output`, `unreachable`, ...
        result: &'static str,
    },
    /// The reverse-path check (`fib_validate_source`) refused a source.
    RpFilter {
        /// Namespace.
        ns: NsId,
        /// Device the packet came in on.
        dev: LinkId,
        /// The source address checked.
        src: Ipv4Addr,
        /// Effective rp_filter (max of all and the device).
        mode: u8,
        /// The route back to the source, when there is one.
        route_back: Option<String>,
    },
    /// Forwarding is off where the packet would have to be forwarded.
    ForwardingOff {
        /// Namespace.
        ns: NsId,
        /// Input device.
        dev: LinkId,
    },
    /// Neighbour lookup for the next hop on output.
    Neigh {
        /// Device.
        dev: LinkId,
        /// Next hop.
        ip: Ipv4Addr,
        /// NUD state found (`NONE` when there was no entry).
        state: &'static str,
        /// Link-layer address used, when valid.
        lladdr: Option<MacAddr>,
        /// What happened: `send`, `queue` (waiting for ARP), `solicit`
        /// (queued, ARP request sent), `failed` (resolution gave up).
        action: &'static str,
    },
    /// An ARP packet was processed (`arp_process`).
    Arp {
        /// Device.
        dev: LinkId,
        /// `request` or `reply`.
        op: &'static str,
        /// Sender IP.
        sip: Ipv4Addr,
        /// Target IP.
        tip: Ipv4Addr,
        /// Outcome: `reply` (we answer), `proxy reply`, `learned`
        /// (neighbour entry updated), `ignored: <why>` (consumed without
        /// answer).
        outcome: String,
    },
    /// Delivered to a local socket or answered by the stack.
    Deliver {
        /// What took it (e.g. `icmp echo request: reply`).
        what: String,
    },
    /// Dropped.
    Drop {
        /// The kernel's reason.
        reason: DropReason,
        /// Sub-cause in words.
        why: String,
    },
}

impl TraceKind {
    /// The links an event names besides its own device (a flood's ports
    /// come from [`TraceKind::Flood`] itself).
    fn links(&self) -> [Option<LinkId>; 3] {
        match self {
            TraceKind::VethXmit { peer } => [Some(*peer), None, None],
            TraceKind::FdbLearn { bridge, port, moved_from, .. } => [Some(*bridge), Some(*port), *moved_from],
            TraceKind::FdbHit { bridge, port, .. } => [Some(*bridge), Some(*port), None],
            TraceKind::FdbLocal { bridge, .. }
            | TraceKind::PassUp { bridge }
            | TraceKind::BrNetfilter { bridge, .. }
            | TraceKind::Flood { bridge, .. } => [Some(*bridge), None, None],
            TraceKind::NfHook { in_dev, out_dev, .. } => [*in_dev, *out_dev, None],
            TraceKind::RpFilter { dev, .. }
            | TraceKind::ForwardingOff { dev, .. }
            | TraceKind::Neigh { dev, .. }
            | TraceKind::Arp { dev, .. } => [Some(*dev), None, None],
            _ => [None; 3],
        }
    }
}

/// One trace event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceEvent {
    /// Virtual time (ns).
    pub time: u64,
    /// The packet it belongs to (0: none).
    pub pkt: PktId,
    /// Device, when the step happened at one.
    pub link: Option<LinkId>,
    /// What happened.
    pub kind: TraceKind,
}

/// A device as it was when the trace first met it (the names survive the
/// device's deletion or a later move).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DevInfo {
    /// Namespace.
    pub ns: NsId,
    /// Namespace name as `ip netns` shows it (`root` for the initial one).
    pub ns_name: String,
    /// Device name.
    pub name: String,
    /// ifindex.
    pub ifindex: u32,
    /// Kind: `veth`, `bridge` or `loopback`.
    pub kind: &'static str,
    /// MAC address.
    pub mac: MacAddr,
    /// IPv4 addresses as `ADDR/PREFIX`.
    pub addrs: Vec<String>,
}

/// The trace buffer and the bookkeeping that follows packets between
/// scheduled events.
#[derive(Clone, Debug, Default)]
pub struct Trace {
    /// Whether events are recorded.
    pub enabled: bool,
    /// Recorded events.
    pub events: Vec<TraceEvent>,
    /// Devices met, by id.
    pub devs: BTreeMap<LinkId, DevInfo>,
    /// Namespace names met, by id.
    pub ns_names: BTreeMap<NsId, String>,
    /// The packet being processed now.
    pub cur: PktId,
    /// The packet each packet was born while processing (an echo reply's
    /// request, an ICMP error's offender), when there was one.
    pub parent: BTreeMap<PktId, PktId>,
    last: PktId,
    /// Frames handed to a device's receive path by a scheduled event: the
    /// receiving link, the bytes, the packet.
    inflight: Vec<(LinkId, Vec<u8>, PktId)>,
    /// Packets waiting in a neighbour queue.
    parked: Vec<(Vec<u8>, PktId)>,
    /// Keep a copy of the world at each transmit, receive and drop (for the
    /// TUI's "state at that moment"; costly, off unless asked for).
    pub keep_worlds: bool,
    /// The copies: index of the event they precede, and the world then.
    pub worlds: Vec<(usize, World)>,
    /// Frames scheduled for a later transmit (a delayed proxy ARP reply).
    delayed: Vec<(LinkId, Vec<u8>, PktId)>,
}

impl Trace {
    /// Appends an event for the current packet, noting the devices it names.
    #[cold]
    #[inline(never)]
    pub fn push(&mut self, w: &World, time: u64, link: Option<LinkId>, kind: TraceKind) {
        for l in link.into_iter().chain(kind.links().into_iter().flatten()) {
            self.note_dev(w, l);
        }
        if let TraceKind::Flood { ports, .. } = &kind {
            for p in ports {
                self.note_dev(w, *p);
            }
        }
        if let TraceKind::Origin { ns, .. }
        | TraceKind::NfHook { ns, .. }
        | TraceKind::NftVerdict { ns, .. }
        | TraceKind::Route { ns, .. }
        | TraceKind::Conntrack { ns, .. }
        | TraceKind::Nat { ns, .. } = &kind
        {
            self.note_ns(w, *ns);
        }
        if self.keep_worlds && matches!(kind, TraceKind::Tx { .. } | TraceKind::Rx { .. } | TraceKind::Drop { .. }) {
            self.worlds.push((self.events.len(), w.clone()));
        }
        self.events.push(TraceEvent { time, pkt: self.cur, link, kind });
    }

    /// The world as it was when event `i` happened (the last copy taken at
    /// or before it), when copies were kept.
    pub fn world_at(&self, i: usize) -> Option<&World> {
        let k = self.worlds.partition_point(|(j, _)| *j <= i);
        k.checked_sub(1).map(|k| &self.worlds[k].1)
    }

    fn note_ns(&mut self, w: &World, ns: NsId) {
        self.ns_names.entry(ns).or_insert_with(|| match w.ns_name(ns) {
            Some(n) => n.to_string(),
            None if ns == World::ROOT => "root".to_string(),
            None => format!("netns{}", ns.0),
        });
    }

    fn note_dev(&mut self, w: &World, l: LinkId) {
        if self.devs.contains_key(&l) || !w.link_alive(l) {
            return;
        }
        let link = w.link(l);
        self.note_ns(w, link.ns);
        let ns_name = self.ns_names.get(&link.ns).cloned().unwrap_or_default();
        let kind = match link.kind {
            crate::model::LinkKind::Veth { .. } => "veth",
            crate::model::LinkKind::Bridge(_) => "bridge",
            crate::model::LinkKind::Loopback => "loopback",
        };
        let addrs = link.addrs.iter().map(|a| format!("{}/{}", a.addr, a.prefix_len)).collect();
        let info = DevInfo {
            ns: link.ns,
            ns_name,
            name: link.name.clone(),
            ifindex: link.ifindex,
            kind,
            mac: link.mac,
            addrs,
        };
        self.devs.insert(l, info);
    }

    /// Starts a new packet and makes it current; returns the previous
    /// current packet, for [`Trace::restore`] once the new one's synchronous
    /// path is done.
    #[cold]
    #[inline(never)]
    pub fn begin(&mut self) -> PktId {
        self.last += 1;
        if self.cur != 0 {
            self.parent.insert(self.last, self.cur);
        }
        std::mem::replace(&mut self.cur, self.last)
    }

    /// Makes `pkt` current again.
    pub fn restore(&mut self, pkt: PktId) {
        self.cur = pkt;
    }

    /// The current packet's frame was scheduled to arrive at `to`.
    #[cold]
    #[inline(never)]
    pub fn sent(&mut self, to: LinkId, frame: &[u8]) {
        self.inflight.push((to, frame.to_vec(), self.cur));
    }

    /// A frame arrives at `link`: the packet that was sent there with these
    /// bytes becomes current (a new packet if none was).
    #[cold]
    #[inline(never)]
    pub fn arrived(&mut self, link: LinkId, frame: &[u8]) {
        match self.inflight.iter().position(|(l, f, _)| *l == link && f == frame) {
            Some(i) => self.cur = self.inflight.swap_remove(i).2,
            None => {
                self.begin();
            }
        }
    }

    /// The current packet will be transmitted on `link` later.
    #[cold]
    #[inline(never)]
    pub fn delay(&mut self, link: LinkId, frame: &[u8]) {
        self.delayed.push((link, frame.to_vec(), self.cur));
    }

    /// A frame is transmitted on `link`: if it is one that was delayed,
    /// its packet becomes current.
    #[cold]
    #[inline(never)]
    pub fn transmitting(&mut self, link: LinkId, frame: &[u8]) {
        if let Some(i) = self.delayed.iter().position(|(l, f, _)| *l == link && f == frame) {
            self.cur = self.delayed.remove(i).2;
        }
    }

    /// The current packet waits in a neighbour queue as `pkt`.
    #[cold]
    #[inline(never)]
    pub fn park(&mut self, pkt: &[u8]) {
        self.parked.push((pkt.to_vec(), self.cur));
    }

    /// A packet leaves a neighbour queue: it becomes current.
    #[cold]
    #[inline(never)]
    pub fn unpark(&mut self, pkt: &[u8]) {
        if let Some(i) = self.parked.iter().position(|(f, _)| f == pkt) {
            self.cur = self.parked.remove(i).1;
        }
    }
}
