//! Bridge forwarding database entries (`struct net_bridge_fdb_entry`).
//!
//! Learning, ageing and lookup live in the engine's bridge datapath; this is
//! the data and the `fdb_to_nud` mapping `bridge fdb show` prints.

use super::LinkId;

/// Entry flags.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FdbFlags {
    /// `BR_FDB_LOCAL`: one of the bridge's or a port's own addresses.
    pub local: bool,
    /// `BR_FDB_STATIC`: added by the user or local; never ages.
    pub is_static: bool,
    /// `BR_FDB_ADDED_BY_USER`.
    pub added_by_user: bool,
}

/// One FDB entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FdbEntry {
    /// The port frames to this MAC go out of; `None` for the bridge's own MAC.
    pub port: Option<LinkId>,
    /// Flags.
    pub flags: FdbFlags,
    /// Last time the entry was refreshed by learning (ns of virtual time).
    pub updated_ns: u64,
    /// Last time the entry was used for forwarding.
    pub used_ns: u64,
}

impl FdbEntry {
    /// `has_expired`: a learned (not local, not static) entry not refreshed
    /// within the bridge's ageing time.
    pub fn expired(&self, ageing_ns: u64, now_ns: u64) -> bool {
        !self.flags.local && !self.flags.is_static && self.updated_ns.saturating_add(ageing_ns) <= now_ns
    }
}
