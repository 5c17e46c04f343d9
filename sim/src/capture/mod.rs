//! capture: what `tcpdump` needs besides printing: filter expressions and
//! pcap files.
//!
//! What it does: compiles tcpdump filter expressions with libpcap's
//! semantics and matches Ethernet frames against them ([`filter`]); writes
//! and reads classic pcap files the way `tcpdump -w` / `tcpdump -r` do
//! ([`pcap`]).
//!
//! What it does not do: it does not decide which frames a capture sees (the
//! engine does), does not format packets as text (see
//! [`crate::render::tcpdump`]) and does not touch the file system: writers and
//! readers work on byte streams the caller provides.
//!
//! Submodules:
//! - [`filter`]: [`Filter::parse`] and [`Filter::matches`].
//! - [`pcap`]: [`PcapWriter`] and [`read_pcap`].
//! - [`pcapng`]: a pcapng writer with named interfaces and packet comments
//!   (`netsim run --pcapng`).

pub mod filter;
pub mod pcap;
pub mod pcapng;

pub use filter::{Filter, FilterError};
pub use pcap::{read_pcap, PcapError, PcapWriter};
