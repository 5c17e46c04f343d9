//! Fuzz target: packet ingestion. The input is read as a pcap file when it
//! parses as one (every record printed), otherwise as one raw Ethernet
//! frame; the tcpdump printer runs with `-e -nn`, `-n` and names, and the
//! first bytes pick a snapshot-cut wire length.
#![no_main]
use libfuzzer_sys::fuzz_target;
use sim::render::tcpdump::{Printer, TcpdumpOpts};

fuzz_target!(|data: &[u8]| {
    let frames: Vec<(u64, Vec<u8>, u32)> = match sim::capture::pcap::parse_pcap(data) {
        Ok(f) => f.records.into_iter().map(|r| (r.ts_ns, r.data, r.orig_len)).collect(),
        Err(_) => {
            let extra = data.first().copied().unwrap_or(0) as u32;
            vec![(0, data.to_vec(), data.len() as u32 + extra % 4 * 100)]
        }
    };
    for numeric in 0..3u8 {
        let opts = TcpdumpOpts { link_header: numeric != 1, numeric, ..Default::default() };
        let mut p = Printer::new(opts);
        let mut out = String::new();
        for (ts, f, wire) in &frames {
            p.frame_with_wire_len(&mut out, *ts, f, *wire);
        }
    }
});
