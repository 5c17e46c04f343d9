//! The tcpdump printer and pcap reader against tcpdump's own regression
//! suite (the in-scope Ethernet cases of /work/shared/conformance/tcpdump).
//!
//! Each expected file is tcpdump 4.99.3's stdout for `tcpdump -# -n -r FILE
//! FLAGS` with `TZ=GMT0`; the `-#` packet number (7 columns) is stripped and
//! the hex dump lines of `-x` are dropped, which leaves exactly what
//! `tcpdump -n -tttt` prints. When the folder is absent (another machine),
//! the tests say so and pass.

use std::path::Path;

use sim::capture::pcap::read_pcap;
use sim::render::tcpdump::{Printer, TcpdumpOpts, TsFormat};

const DIR: &str = "/work/shared/conformance/tcpdump";

/// Prints every frame of `pcap` and compares with `expected` (lines with the
/// `-#` prefix); returns false when the data is not on this machine.
fn check(pcap: &str, expected: &str, opts: TcpdumpOpts) -> bool {
    let dir = Path::new(DIR);
    let (Ok(bytes), Ok(want)) = (std::fs::read(dir.join(pcap)), std::fs::read_to_string(dir.join(expected))) else {
        eprintln!("skipped: {DIR} not present");
        return false;
    };
    let frames = read_pcap(&bytes).expect("conformance pcap parses");
    let mut printer = Printer::new(opts);
    let mut got = String::new();
    for (ts, frame) in &frames {
        printer.frame(&mut got, *ts, frame);
    }
    let want: String = want
        .split_inclusive('\n')
        .filter(|line| !line.starts_with("\t0x"))
        .map(|line| {
            // "    1  " numbers packet lines; continuation lines have none.
            let numbered = line.len() > 7 && line[..5].trim().parse::<u32>().is_ok() && &line[5..7] == "  ";
            if numbered {
                &line[7..]
            } else {
                line
            }
        })
        .collect();
    for (i, (g, w)) in got.lines().zip(want.lines()).enumerate() {
        assert_eq!(g, w, "{pcap} line {}", i + 1);
    }
    assert_eq!(got.lines().count(), want.lines().count(), "{pcap}: line count");
    true
}

fn tttt(link_header: bool) -> TcpdumpOpts {
    TcpdumpOpts { link_header, numeric: 1, timestamp: TsFormat::DateTime, verbose: 0 }
}

#[test]
fn print_flags_http_session() {
    // Proves a 10-segment TCP session to port 80 prints as tcpdump does:
    // SYN options, relative seq/ack after the handshake, and the HTTP
    // one-line printer (`: HTTP: GET / HTTP/1.1`).
    check("print-flags.pcap", "print-x.out", tttt(false));
}

#[test]
fn all_eight_tcp_flags() {
    // Proves the flag letters and their order, `Flags [FSRP.UEW]`, and the
    // `urg 0` field.
    check("tcp_eight_lowest_weight_flags_set.pcap", "tcp_eight_lowest_weight_flags_set.out", tttt(false));
}

#[test]
fn tcp_fast_open_options() {
    // Proves `exp-tfo cookiereq`, `tfo cookie ...` and the relative
    // numbers across two interleaved conversations.
    check("tfo-5c1fa7f9ae91.pcap", "tfo.out", tttt(false));
}

#[test]
fn vxlan_with_link_headers() {
    // Proves `-e` link headers on the outer and the inner frames and the
    // two-line VXLAN layout (inner ARP and ICMP echo).
    check("vxlan.pcap", "vxlan.out", tttt(true));
}
