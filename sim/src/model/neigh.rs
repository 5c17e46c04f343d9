//! Neighbour (ARP) entries and their NUD states (`struct neighbour`).
//!
//! The state machine (timers, probes, queued packets) runs in the engine;
//! this is the entry as `ip neigh` shows it.

use super::{LinkId, MacAddr};

/// `NUD_*` states.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NeighState {
    /// `NUD_INCOMPLETE`: resolving, no address yet.
    Incomplete,
    /// `NUD_REACHABLE`.
    Reachable,
    /// `NUD_STALE`.
    Stale,
    /// `NUD_DELAY`.
    Delay,
    /// `NUD_PROBE`.
    Probe,
    /// `NUD_FAILED`.
    Failed,
    /// `NUD_NOARP`.
    Noarp,
    /// `NUD_PERMANENT`.
    Permanent,
}

impl NeighState {
    /// The name `ip neigh` prints.
    pub fn as_str(self) -> &'static str {
        match self {
            NeighState::Incomplete => "INCOMPLETE",
            NeighState::Reachable => "REACHABLE",
            NeighState::Stale => "STALE",
            NeighState::Delay => "DELAY",
            NeighState::Probe => "PROBE",
            NeighState::Failed => "FAILED",
            NeighState::Noarp => "NOARP",
            NeighState::Permanent => "PERMANENT",
        }
    }

    /// `NUD_VALID`: has a usable link-layer address.
    pub fn valid(self) -> bool {
        !matches!(self, NeighState::Incomplete | NeighState::Failed)
    }
}

/// One neighbour entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Neigh {
    /// The device.
    pub dev: LinkId,
    /// Link-layer address, once known.
    pub lladdr: Option<MacAddr>,
    /// State.
    pub state: NeighState,
    /// Probes sent in the current INCOMPLETE/PROBE round.
    pub probes: u32,
    /// When the state's timer fires next (ns), if armed.
    pub timer_ns: Option<u64>,
    /// Last confirmation (reply received) time.
    pub confirmed_ns: u64,
    /// Last update time.
    pub updated_ns: u64,
    /// Last time a packet used the entry.
    pub used_ns: u64,
    /// Packets waiting for resolution (IPv4 packets without L2 header),
    /// each with the engine's token for what to do once resolved (0: send
    /// from this device).
    pub queue: Vec<(Vec<u8>, u64)>,
    /// The source address of the newest queued packet (for `arp_solicit`).
    pub queue_saddr: Option<std::net::Ipv4Addr>,
    /// Added by the user (`ip neigh add`).
    pub by_user: bool,
}
