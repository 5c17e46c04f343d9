//! Typed trace events and the kernel's drop reasons.
//!
//! The engine appends an event for each step a frame takes when tracing is
//! on; with tracing off nothing is built (no allocation, no formatting).
//! Turning events into "why" answers is the explainer's job, not this
//! module's.

use crate::model::LinkId;

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

/// What happened at one step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TraceKind {
    /// A device transmitted a frame.
    Tx {
        /// Frame length.
        len: usize,
    },
    /// A device received a frame.
    Rx {
        /// Frame length.
        len: usize,
    },
    /// The bridge learned a source MAC on a port.
    FdbLearn {
        /// Bridge.
        bridge: LinkId,
        /// MAC learned, as text.
        mac: String,
    },
    /// The bridge forwarded to a known port.
    FdbHit {
        /// Egress port.
        port: LinkId,
    },
    /// The bridge flooded (broadcast, multicast or unknown unicast).
    Flood,
    /// The bridge passed the frame up to its own device.
    PassUp,
    /// A route was chosen.
    Route {
        /// The route, as `ip route` prints it.
        route: String,
    },
    /// Delivered to a local socket or answered by the stack.
    Deliver {
        /// What took it (e.g. `icmp echo`, `arp reply`).
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

/// One trace event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceEvent {
    /// Virtual time (ns).
    pub time: u64,
    /// Device, when the step happened at one.
    pub link: Option<LinkId>,
    /// What happened.
    pub kind: TraceKind,
}

/// The trace buffer.
#[derive(Clone, Debug, Default)]
pub struct Trace {
    /// Whether events are recorded.
    pub enabled: bool,
    /// Recorded events.
    pub events: Vec<TraceEvent>,
}

impl Trace {
    /// Appends an event.
    pub fn push(&mut self, time: u64, link: Option<LinkId>, kind: TraceKind) {
        self.events.push(TraceEvent { time, link, kind });
    }
}
