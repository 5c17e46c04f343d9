//! A traced run as a pcapng file: every frame at every device it crossed
//! (one interface per capture point, named `ns/ifname`), each frame
//! commented with its packet's story, so Wireshark shows why.
//!
//! Frames are those of the trace's transmit and receive steps (what a
//! `tcpdump -i` on that device would see, both directions), in trace order,
//! timestamped with the same fixed epoch as the script's own captures.

use super::{stories, text, Traced};
use crate::capture::pcapng::{Direction, PcapngWriter};
use crate::engine::proc::EPOCH_NS;
use crate::trace::TraceKind;
use std::collections::BTreeMap;

/// The pcapng bytes of a traced run.
pub fn pcapng(t: &Traced) -> Vec<u8> {
    let trace = &t.trace;
    let texts: BTreeMap<u32, String> =
        stories(trace, &|_| true).iter().map(|s| (s.id, text::story(trace, s))).collect();
    let mut w = PcapngWriter::new();
    for ev in &trace.events {
        let (frame, dir) = match &ev.kind {
            TraceKind::Tx { frame } => (frame, Direction::Outbound),
            TraceKind::Rx { frame } => (frame, Direction::Inbound),
            _ => continue,
        };
        let Some(link) = ev.link else { continue };
        let iface = w.interface(&super::dev_name(trace, link));
        let comment = texts.get(&ev.pkt).map(|s| format!("netsim: {s}"));
        w.packet(iface, EPOCH_NS + ev.time, frame, dir, comment.as_deref());
    }
    w.into_bytes()
}
