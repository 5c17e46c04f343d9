//! render: every byte of output the real tools print, as pure functions.
//!
//! What it does: turns simulator data (frames, tables, events) into the exact
//! text the real Linux tools print, so that goldens recorded on a real kernel
//! can be compared byte for byte.
//!
//! What it does not do: it never changes simulator state, never reads the
//! clock and never draws random numbers. It does not parse command lines (see
//! `tools`) and does not read or write files (see [`crate::capture::pcap`]).
//!
//! Submodules:
//! - [`tcpdump`]: one captured Ethernet frame as `tcpdump` 4.99.3 prints it
//!   (`-e`, `-n`/`-nn`, the `-t` family), with the per-capture state tcpdump
//!   keeps (relative TCP sequence numbers, the previous timestamp).
//! - [`ping`]: iputils `ping` reply lines, errors and statistics.
//! - [`iproute`]: `ip link/addr/route/neigh/netns` views.
//! - [`bridge`]: `bridge fdb/link` and `brctl show/showmacs/showstp`.
//! - [`nettools`]: `ifconfig`, `route -n`, `arp -n`.
//! - [`iptables`]: `iptables -L/-S`, `iptables-save`.
//! - [`conntrack`]: `conntrack -L` lines.

pub mod bridge;
pub mod conntrack;
pub mod iproute;
pub mod iptables;
pub mod nettools;
pub mod nft;
pub mod ping;
pub mod tcpdump;
