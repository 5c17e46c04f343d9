//! One Ethernet frame as `tcpdump` 4.99.3 prints it at default verbosity.
//!
//! The printers below follow tcpdump's own dissectors (`print-ether.c`,
//! `print-arp.c`, `print-ip.c`, `print-ip6.c`, `print-tcp.c`, `print-udp.c`,
//! `print-icmp.c`, `print-icmp6.c`, `print-igmp.c`, ...) statement by
//! statement, including how they report truncated or malformed packets
//! (` [|tcp]`, `truncated-ip`, `bad-hlen`, ...), so that any byte string can be
//! printed without panicking. tcpdump's `longjmp` on a short read becomes a
//! `Result` here: the printer that runs out of bytes returns `Trunc` and the
//! top level appends ` [|proto]` with the protocol last announced, exactly as
//! `nd_print_trunc` does.
//!
//! Scope (see the `DIVERGENCE:` comments for the details):
//! - verbosity 0 only (`-v` is accepted and printed as if absent);
//! - application printers: HTTP, RTSP, FTP, SMTP, WHOIS, SSH banners (TCP),
//!   SIP, VXLAN and OTV (UDP). Other well-known ports tcpdump decodes (DNS,
//!   DHCP, NTP, ...) print the transport summary only;
//! - names mode (`numeric == 0`) prints port and protocol names and MAC
//!   `(oui ...)` suffixes like tcpdump without `-n`, but never resolves IP
//!   addresses (that would need DNS);
//! - not decoded (raw hex or `ip-proto-N`): 802.3/LLC frames (STP),
//!   ethertypes with their own tcpdump printers (LLDP, EAPOL, PPPoE, MPLS),
//!   GRE, ESP/AH, OSPF, PIM, VRRP, SCTP, DCCP, MPTCP options, IPv6 routing
//!   headers; encapsulation deeper than 32 levels stops with ` [|ip]`.
//!
//! Printing appends to the caller's `String` and allocates nothing else,
//! except one map entry per new TCP conversation in [`TcpdumpState`].

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};

/// How the timestamp at the start of each line is printed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TsFormat {
    /// tcpdump's default: `HH:MM:SS.uuuuuu`, here always in UTC (`TZ=UTC`).
    #[default]
    Default,
    /// `-t`: no timestamp.
    None,
    /// `-tt`: seconds since the epoch, `1684400000.123456`.
    Epoch,
    /// `-ttt`: delta since the previous frame, ` 00:00:00.000123`.
    Delta,
    /// `-tttt`: date and time, `2023-05-18 08:53:20.123456` (UTC).
    DateTime,
    /// `-ttttt`: delta since the first frame, ` 00:00:01.000000`.
    SinceFirst,
}

/// The tcpdump command-line options that change how a frame is printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TcpdumpOpts {
    /// `-e`: print the link-level header (MACs, ethertype, frame length).
    pub link_header: bool,
    /// Count of `-n` flags: 0 prints names (ports, protocols, MAC vendors; IP
    /// addresses stay numeric), 1 (`-n`) and 2 (`-nn`) print numbers only.
    pub numeric: u8,
    /// Timestamp style (`-t` family).
    pub timestamp: TsFormat,
    /// Count of `-v` flags. Only 0 is implemented; higher values print as 0.
    pub verbose: u8,
}

impl Default for TcpdumpOpts {
    /// `tcpdump -n`: no link header, numeric, default timestamps.
    fn default() -> Self {
        TcpdumpOpts { link_header: false, numeric: 1, timestamp: TsFormat::Default, verbose: 0 }
    }
}

/// tcpdump's `MAXIMUM_SNAPLEN`: longer records are reported as invalid.
const MAXIMUM_SNAPLEN: u32 = 262_144;

/// Per-capture state tcpdump keeps between frames.
///
/// tcpdump remembers the initial sequence numbers of every TCP conversation
/// it has seen an ACK for (`tcp_seq_hash` in `print-tcp.c`, never cleared),
/// so that later segments print relative `seq`/`ack`; the `-ttt`/`-ttttt`
/// formats remember a reference timestamp.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TcpdumpState {
    tcp4: BTreeMap<Conversation<[u8; 4]>, Isn>,
    tcp6: BTreeMap<Conversation<[u8; 16]>, Isn>,
    ts_ref_us: Option<u64>,
}

impl TcpdumpState {
    /// Number of TCP conversations whose initial sequence numbers are known.
    pub fn tcp_conversations(&self) -> usize {
        self.tcp4.len() + self.tcp6.len()
    }
}

/// tcpdump's `struct tha`: (address of the lower-port end, the other
/// address, both ports), one key for both directions of a TCP conversation.
type Conversation<A> = (A, A, u32);

/// The initial sequence numbers tcpdump remembers for a conversation
/// (`th->seq`, `th->ack`).
type Isn = (u32, u32);

/// A tcpdump instance reading one capture: options plus [`TcpdumpState`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Printer {
    opts: TcpdumpOpts,
    state: TcpdumpState,
}

impl Printer {
    /// A printer with fresh state, as tcpdump is when it starts.
    pub fn new(opts: TcpdumpOpts) -> Self {
        Printer { opts, state: TcpdumpState::default() }
    }

    /// The options this printer was built with.
    pub fn opts(&self) -> &TcpdumpOpts {
        &self.opts
    }

    /// The state accumulated from the frames printed so far.
    pub fn state(&self) -> &TcpdumpState {
        &self.state
    }

    /// Appends the line(s) tcpdump prints for `frame` (a complete Ethernet
    /// frame captured at `ts_ns` nanoseconds since the Unix epoch) to `out`,
    /// ending with `'\n'`. Most frames give one line; VXLAN gives two and
    /// unknown payloads are followed by tcpdump's hex dump lines.
    pub fn frame(&mut self, out: &mut String, ts_ns: u64, frame: &[u8]) {
        let wire_len = u32::try_from(frame.len()).unwrap_or(u32::MAX);
        self.frame_with_wire_len(out, ts_ns, frame, wire_len);
    }

    /// Like [`Printer::frame`] for a frame cut by the snapshot length:
    /// `frame` holds the captured bytes and `wire_len` the length on the wire
    /// (the pcap record's `orig_len`).
    pub fn frame_with_wire_len(&mut self, out: &mut String, ts_ns: u64, frame: &[u8], wire_len: u32) {
        // pretty_print_packet's sanity checks come before the timestamp.
        let caplen = len32(frame);
        let mut invalid = false;
        let mut complain = |out: &mut String, what: fmt::Arguments| {
            out.push_str(if invalid { "," } else { "[Invalid header:" });
            invalid = true;
            let _ = out.write_fmt(what);
        };
        if caplen == 0 {
            complain(out, format_args!(" caplen==0"));
        }
        if wire_len == 0 {
            complain(out, format_args!(" len==0"));
        } else if wire_len < caplen {
            complain(out, format_args!(" len({wire_len}) < caplen({caplen})"));
        }
        if caplen > MAXIMUM_SNAPLEN {
            complain(out, format_args!(" caplen({caplen}) > {MAXIMUM_SNAPLEN}"));
        }
        if wire_len > MAXIMUM_SNAPLEN {
            complain(out, format_args!(" len({wire_len}) > {MAXIMUM_SNAPLEN}"));
        }
        if invalid {
            out.push_str("]\n");
            return;
        }
        self.timestamp(out, ts_ns);
        let mut c = Ctx {
            out,
            eflag: self.opts.link_header,
            names: self.opts.numeric == 0,
            proto: "",
            depth: 0,
            state: &mut self.state,
        };
        if ether(&mut c, frame, wire_len).is_err() {
            c.trunc_mark();
        }
        c.out.push('\n');
    }

    fn timestamp(&mut self, out: &mut String, ts_ns: u64) {
        let us = ts_ns / 1000;
        let (sec, frac) = (us / 1_000_000, us % 1_000_000);
        match self.opts.timestamp {
            TsFormat::None => {}
            TsFormat::Default => {
                let _ = write!(out, "{} ", Hms { sec, frac });
            }
            TsFormat::Epoch => {
                if sec & 0x8000_0000 != 0 || sec > u64::from(u32::MAX) {
                    out.push_str("[Error converting time] ");
                } else {
                    let _ = write!(out, "{sec}.{frac:06} ");
                }
            }
            TsFormat::DateTime => {
                let (y, m, d) = civil_from_days(sec / 86_400);
                let _ = write!(out, "{y:04}-{m:02}-{d:02} {} ", Hms { sec, frac });
            }
            TsFormat::Delta | TsFormat::SinceFirst => {
                let reference = *self.state.ts_ref_us.get_or_insert(us);
                let (sign, delta) = if us < reference { ('-', reference - us) } else { (' ', us - reference) };
                let _ = write!(out, "{sign}{} ", Hms { sec: delta / 1_000_000, frac: delta % 1_000_000 });
                if self.opts.timestamp == TsFormat::Delta {
                    self.state.ts_ref_us = Some(us);
                }
            }
        }
    }
}

/// Formats one frame with fresh state: `Printer::new(*opts).frame(...)`.
///
/// TCP sequence numbers print absolute (tcpdump's first sighting of a
/// conversation); use a [`Printer`] across the frames of one capture to get
/// relative numbers.
pub fn format_frame(out: &mut String, ts_ns: u64, frame: &[u8], opts: &TcpdumpOpts) {
    Printer::new(*opts).frame(out, ts_ns, frame);
}

// ---------------------------------------------------------------------------
// Plumbing: truncation, byte access, output helpers.

/// A printer ran out of captured bytes (tcpdump's `nd_trunc_longjmp`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Trunc;

type R<T = ()> = Result<T, Trunc>;

/// Deepest encapsulation printed (see [`Ctx::depth`]).
const MAX_DEPTH: u32 = 32;

struct Ctx<'a> {
    out: &'a mut String,
    eflag: bool,
    names: bool,
    /// `ndo_protocol`: the name printed in ` [|name]`.
    proto: &'static str,
    state: &'a mut TcpdumpState,
    /// Encapsulation depth (IP in IP, VXLAN, ...), bounded to keep hostile
    /// frames from exhausting the stack.
    depth: u32,
}

macro_rules! w {
    ($c:expr, $($arg:tt)*) => {{
        let _ = write!($c.out, $($arg)*);
    }};
}

impl Ctx<'_> {
    fn s(&mut self, s: &str) {
        self.out.push_str(s);
    }

    /// `nd_print_trunc`.
    fn trunc_mark(&mut self) {
        let proto = self.proto;
        w!(self, " [|{proto}]");
    }

    fn mac<'b>(&self, a: &'b [u8; 6]) -> Mac<'b> {
        Mac { a, names: self.names }
    }

    fn tport(&self, port: u16) -> Port {
        Port { port, names: self.names, table: TCP_SERVICES }
    }

    fn uport(&self, port: u16) -> Port {
        Port { port, names: self.names, table: UDP_SERVICES }
    }
}

fn bytes<const N: usize>(d: &[u8], i: usize) -> R<[u8; N]> {
    d.get(i..).and_then(|s| s.get(..N)).and_then(|s| <[u8; N]>::try_from(s).ok()).ok_or(Trunc)
}

fn u8_at(d: &[u8], i: usize) -> R<u8> {
    d.get(i).copied().ok_or(Trunc)
}

fn be16(d: &[u8], i: usize) -> R<u16> {
    bytes::<2>(d, i).map(u16::from_be_bytes)
}

fn be24(d: &[u8], i: usize) -> R<u32> {
    bytes::<3>(d, i).map(|b| u32::from_be_bytes([0, b[0], b[1], b[2]]))
}

fn be32(d: &[u8], i: usize) -> R<u32> {
    bytes::<4>(d, i).map(u32::from_be_bytes)
}

/// `ND_TTEST_LEN`: are `n` bytes captured at offset `i`?
fn has(d: &[u8], i: usize, n: usize) -> bool {
    i <= d.len() && d.len() - i >= n
}

/// `d[i..]`, empty when `i` is past the end.
fn tail(d: &[u8], i: usize) -> &[u8] {
    d.get(i..).unwrap_or(&[])
}

/// `d[..n]` clamped to the captured length (`nd_push_snaplen`).
fn clamp(d: &[u8], n: usize) -> &[u8] {
    &d[..d.len().min(n)]
}

fn len32(d: &[u8]) -> u32 {
    u32::try_from(d.len()).unwrap_or(u32::MAX)
}

/// `HH:MM:SS.uuuuuu` of a second count (the date part dropped).
struct Hms {
    sec: u64,
    frac: u64,
}

impl fmt::Display for Hms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.sec % 86_400;
        write!(f, "{:02}:{:02}:{:02}.{:06}", s / 3600, s / 60 % 60, s % 60, self.frac)
    }
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian.
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    // Howard Hinnant's algorithm, shifted to start the year in March.
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + u64::from(m <= 2);
    (y, m, d)
}

/// An IPv4 address, dotted quad.
struct Ip4<'a>(&'a [u8; 4]);

impl fmt::Display for Ip4<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let a = self.0;
        write!(f, "{}.{}.{}.{}", a[0], a[1], a[2], a[3])
    }
}

/// An IPv6 address the way tcpdump's `addrtostr6` writes it: the first
/// longest run of two or more zero words becomes `::`, and `::a.b.c.d` /
/// `::ffff:a.b.c.d` keep the embedded IPv4 address.
struct Ip6<'a>(&'a [u8; 16]);

impl fmt::Display for Ip6<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let a = self.0;
        let mut words = [0u16; 8];
        for (i, w) in words.iter_mut().enumerate() {
            *w = u16::from_be_bytes([a[2 * i], a[2 * i + 1]]);
        }
        let (mut best_base, mut best_len) = (None::<usize>, 0usize);
        let (mut cur_base, mut cur_len) = (None::<usize>, 0usize);
        for (i, &w) in words.iter().enumerate() {
            if w == 0 {
                if cur_base.is_none() {
                    cur_base = Some(i);
                    cur_len = 1;
                } else {
                    cur_len += 1;
                }
            } else if cur_base.is_some() {
                if best_base.is_none() || cur_len > best_len {
                    best_base = cur_base;
                    best_len = cur_len;
                }
                cur_base = None;
            }
        }
        if cur_base.is_some() && (best_base.is_none() || cur_len > best_len) {
            best_base = cur_base;
            best_len = cur_len;
        }
        if best_len < 2 {
            best_base = None;
        }
        for (i, &w) in words.iter().enumerate() {
            if let Some(b) = best_base {
                if i >= b && i < b + best_len {
                    if i == b {
                        f.write_str(":")?;
                    }
                    continue;
                }
            }
            if i != 0 {
                f.write_str(":")?;
            }
            if i == 6 && best_base == Some(0) && (best_len == 6 || (best_len == 5 && words[5] == 0xffff)) {
                return write!(f, "{}.{}.{}.{}", a[12], a[13], a[14], a[15]);
            }
            write!(f, "{w:x}")?;
        }
        if best_base.is_some_and(|b| b + best_len == 8) {
            f.write_str(":")?;
        }
        Ok(())
    }
}

/// A MAC address; in names mode as tcpdump without `-n` prints it.
struct Mac<'a> {
    a: &'a [u8; 6],
    names: bool,
}

impl fmt::Display for Mac<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let a = self.a;
        if self.names && *a == [0xff; 6] {
            return f.write_str("Broadcast");
        }
        write!(f, "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", a[0], a[1], a[2], a[3], a[4], a[5])?;
        if self.names {
            let oui = u32::from_be_bytes([0, a[0], a[1], a[2]]);
            let name = OUI_NAMES.iter().find(|(o, _)| *o == oui).map_or("Unknown", |(_, n)| n);
            write!(f, " (oui {name})")?;
        }
        Ok(())
    }
}

/// A TCP or UDP port, named from /etc/services in names mode.
struct Port {
    port: u16,
    names: bool,
    table: &'static [(u16, &'static str)],
}

impl fmt::Display for Port {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.names {
            if let Ok(i) = self.table.binary_search_by_key(&self.port, |(p, _)| *p) {
                return f.write_str(self.table[i].1);
            }
        }
        write!(f, "{}", self.port)
    }
}

/// `hex_and_ascii_print(ndo, "\n\t", ...)`: the default printer for unknown
/// payloads, 16 bytes per line.
fn hex_and_ascii(out: &mut String, data: &[u8]) {
    for (line, chunk) in data.chunks(16).enumerate() {
        let mut hex_len = 0;
        let _ = write!(out, "\n\t0x{:04x}: ", line * 16);
        for pair in chunk.chunks(2) {
            match pair {
                [a, b] => {
                    let _ = write!(out, " {a:02x}{b:02x}");
                    hex_len += 5;
                }
                [a] => {
                    let _ = write!(out, " {a:02x}");
                    hex_len += 3;
                }
                _ => {}
            }
        }
        for _ in hex_len..40 {
            out.push(' ');
        }
        out.push_str("  ");
        for &b in chunk {
            out.push(if (0x21..=0x7e).contains(&b) { char::from(b) } else { '.' });
        }
    }
}

/// `hex_print(ndo, "\n\t", ...)`: hex without the ASCII column.
fn hex_only(out: &mut String, data: &[u8]) {
    for (i, pair) in data.chunks(2).enumerate() {
        if i % 8 == 0 {
            let _ = write!(out, "\n\t0x{:04x}: ", i * 2);
        }
        match pair {
            [a, b] => {
                let _ = write!(out, " {a:02x}{b:02x}");
            }
            [a] => {
                let _ = write!(out, " {a:02x}");
            }
            _ => {}
        }
    }
}

fn tok(table: &[(u32, &'static str)], v: u32) -> Option<&'static str> {
    table.iter().find(|(k, _)| *k == v).map(|(_, s)| *s)
}

// ---------------------------------------------------------------------------
// Ethernet (print-ether.c)

const ETHERTYPE_IP: u16 = 0x0800;
const ETHERTYPE_ARP: u16 = 0x0806;
const ETHERTYPE_REVARP: u16 = 0x8035;
const ETHERTYPE_IPV6: u16 = 0x86dd;
const ETHERTYPE_TRAIL: u16 = 0x1000;

/// `ethertype_values` of print-ether.c (first match wins).
static ETHERTYPE_NAMES: &[(u32, &str)] = &[
    (0x0800, "IPv4"),
    (0x8847, "MPLS unicast"),
    (0x8848, "MPLS multicast"),
    (0x86dd, "IPv6"),
    (0x8100, "802.1Q"),
    (0x9100, "802.1Q-9100"),
    (0x88a8, "802.1Q-QinQ"),
    (0x9200, "802.1Q-9200"),
    (0x88e5, "802.1AE MACsec"),
    (0x9100, "VMAN"),
    (0x0200, "PUP"),
    (0x0806, "ARP"),
    (0x8035, "Reverse ARP"),
    (0x0600, "NS"),
    (0x0500, "Sprite"),
    (0x1000, "Trail"),
    (0x6001, "MOP DL"),
    (0x6002, "MOP RC"),
    (0x6003, "DN"),
    (0x6004, "LAT"),
    (0x6007, "SCA"),
    (0x6558, "TEB"),
    (0x8038, "Lanbridge"),
    (0x803c, "DEC DNS"),
    (0x803e, "DEC DTS"),
    (0x805b, "VEXP"),
    (0x805c, "VPROD"),
    (0x809b, "Appletalk"),
    (0x80f3, "Appletalk ARP"),
    (0x8137, "IPX"),
    (0x880b, "PPP"),
    (0x8808, "MPCP"),
    (0x8809, "Slow Protocols"),
    (0x8863, "PPPoE D"),
    (0x8864, "PPPoE S"),
    (0x888e, "EAPOL"),
    (0x8899, "Realtek protocols"),
    (0x886f, "MS NLB heartbeat"),
    (0x8870, "Jumbo"),
    (0x894f, "NSH"),
    (0x9000, "Loopback"),
    (0xfefe, "OSI"),
    (0x00fe, "GRE-OSI"),
    (0xabcd, "CFM (old)"),
    (0x8902, "CFM"),
    (0x893a, "IEEE1905.1"),
    (0x88cc, "LLDP"),
    (0x88ca, "TIPC"),
    (0x0707, "GeoNet (old)"),
    (0x8947, "GeoNet"),
    (0x1111, "CALM FAST"),
    (0x88a2, "AoE"),
    (0x88f7, "PTP"),
    (0xd28b, "Arista Vendor Specific Protocol"),
];

fn ethertype_print(c: &mut Ctx, t: u16) {
    let name = tok(ETHERTYPE_NAMES, u32::from(t)).unwrap_or("Unknown");
    w!(c, "ethertype {name} (0x{t:04x})");
}

/// Runs one encapsulation level of printing.
// DIVERGENCE: tcpdump follows any depth of encapsulation; we stop at
// MAX_DEPTH levels with a truncation mark.
fn nested(c: &mut Ctx, f: impl FnOnce(&mut Ctx) -> R) -> R {
    if c.depth >= MAX_DEPTH {
        return Err(Trunc);
    }
    c.depth += 1;
    let r = f(c);
    c.depth -= 1;
    r
}

/// `ether_print`: `length` is the frame length on the wire, `d` the captured
/// bytes.
fn ether(c: &mut Ctx, d: &[u8], length: u32) -> R {
    nested(c, |c| ether_inner(c, d, length))
}

fn ether_inner(c: &mut Ctx, d: &[u8], length: u32) -> R {
    c.proto = "ether";
    let mut caplen = len32(d);
    if length < caplen {
        w!(c, "[length {length} < caplen {caplen}] (invalid)");
        return Ok(());
    }
    if caplen < 14 {
        return Err(Trunc);
    }
    let orig_length = length;
    let dst: [u8; 6] = bytes(d, 0)?;
    let src: [u8; 6] = bytes(d, 6)?;
    if c.eflag {
        w!(c, "{} > {}, ", c.mac(&src), c.mac(&dst));
    }
    let mut p = 14usize;
    let mut length = length - 14;
    caplen -= 14;
    let mut length_type = be16(d, 12)?;
    let mut printed_length = false;
    // VLAN tags: print them (with -e) and go on with the enclosed type.
    while matches!(length_type, 0x8100 | 0x9100 | 0x9200 | 0x88a8) {
        if caplen < 4 || length < 4 {
            c.proto = "vlan";
            return Err(Trunc);
        }
        if c.eflag {
            let tag = be16(d, p)?;
            ethertype_print(c, length_type);
            if printed_length {
                c.s(", ");
            } else {
                w!(c, ", length {orig_length}: ");
                printed_length = true;
            }
            let dei = if tag & 0x1000 != 0 { ", DEI" } else { "" };
            w!(c, "vlan {}, p {}{dei}, ", tag & 0xfff, tag >> 13);
        }
        length_type = be16(d, p + 2)?;
        p += 4;
        length -= 4;
        caplen -= 4;
    }
    let payload = tail(d, p);
    if length_type <= 1500 {
        // An 802.3 length field followed by an LLC header.
        let mut length = length;
        let mut caplen = caplen;
        if u32::from(length_type) < length {
            length = u32::from(length_type);
            caplen = caplen.min(length);
        }
        if c.eflag {
            c.s("802.3");
            if !printed_length {
                w!(c, ", length {length}: ");
            }
        }
        let llc = clamp(payload, caplen as usize);
        if caplen < 3 || length < 3 {
            c.proto = "llc";
            c.trunc_mark();
        }
        // DIVERGENCE: tcpdump decodes the LLC header (STP, SNAP, ...); we
        // print the raw payload the way it prints an undecodable one.
        hex_and_ascii(c.out, llc);
        return Ok(());
    }
    if c.eflag {
        ethertype_print(c, length_type);
        if printed_length {
            c.s(", ");
        } else {
            w!(c, ", length {orig_length}: ");
        }
    }
    match length_type {
        ETHERTYPE_IP => ip_print(c, payload, length),
        ETHERTYPE_IPV6 => ip6_print(c, payload, length),
        ETHERTYPE_ARP | ETHERTYPE_REVARP => arp_print(c, payload, length),
        _ => {
            // DIVERGENCE: tcpdump has printers for some other ethertypes
            // (LLDP, EAPOL, PPPoE, MPLS, ...); they print as unknown here.
            if !c.eflag {
                w!(c, "{} > {}, ", c.mac(&src), c.mac(&dst));
                ethertype_print(c, length_type);
                w!(c, ", length {orig_length}: ");
            }
            hex_and_ascii(c.out, payload);
            Ok(())
        }
    }
}

// ---------------------------------------------------------------------------
// ARP (print-arp.c)

static ARPOP_NAMES: &[(u32, &str)] = &[
    (1, "Request"),
    (2, "Reply"),
    (3, "Reverse Request"),
    (4, "Reverse Reply"),
    (8, "Inverse Request"),
    (9, "Inverse Reply"),
    (10, "NACK Reply"),
];

static ARPHRD_NAMES: &[(u32, &str)] = &[
    (1, "Ethernet"),
    (6, "TokenRing"),
    (7, "ArcNet"),
    (15, "FrameRelay"),
    (23, "Strip"),
    (24, "IEEE 1394"),
    (19, "ATM"),
    (32, "InfiniBand"),
];

/// Kind of hardware address for `linkaddr_string`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum LinkAddr {
    Ether,
    FrameRelay,
    Atm,
}

/// `linkaddr_string` for an ARP hardware address.
fn linkaddr(c: &mut Ctx, a: &[u8], kind: LinkAddr) {
    if a.is_empty() {
        c.s("<empty>");
    } else if let (LinkAddr::Ether, Ok(mac)) = (kind, <[u8; 6]>::try_from(a)) {
        w!(c, "{}", c.mac(&mac));
    } else if kind == LinkAddr::FrameRelay {
        q922_string(c, a);
    } else {
        for (i, b) in a.iter().enumerate() {
            if i > 0 {
                c.s(":");
            }
            w!(c, "{b:02x}");
        }
    }
}

/// `q922_string`: a Frame Relay address as `DLCI n`.
fn q922_string(c: &mut Ctx, p: &[u8]) {
    let length = p.len();
    let get = |i: usize| p.get(i).copied();
    let parsed = (|| -> Result<u32, &'static str> {
        let b0 = get(0).ok_or("<Truncated>")?;
        if b0 & 1 != 0 {
            return Err("<Invalid DLCI>");
        }
        let b1 = get(1).filter(|_| length >= 2).ok_or("<Truncated>")?;
        let mut dlci = (u32::from(b0 & 0xfc) << 2) | u32::from((b1 & 0xf0) >> 4);
        if b1 & 1 != 0 {
            return Ok(dlci);
        }
        let mut i = 2;
        let mut b = get(i).ok_or("<Truncated>")?;
        if b & 1 == 0 {
            dlci = (dlci << 7) | u32::from(b >> 1);
            i += 1;
        }
        b = get(i).ok_or("<Truncated>")?;
        if b & 1 == 0 {
            return Err("<Invalid DLCI>");
        }
        Ok((dlci << 6) | u32::from(b >> 2))
    })();
    match parsed {
        Ok(dlci) => w!(c, "DLCI {dlci}"),
        Err(msg) => c.s(msg),
    }
}

/// `atmarp_print`: ARP over ATM (RFC 2225), hardware type 19.
fn atmarp_print(c: &mut Ctx, d: &[u8], length: u32) -> R {
    if d.len() < 12 {
        return Err(Trunc);
    }
    let pro = be16(d, 2)?;
    let hrd = be16(d, 0)?;
    let op = be16(d, 6)?;
    let shl = usize::from(u8_at(d, 4)? & 0x3f);
    let ssl = usize::from(u8_at(d, 5)? & 0x3f);
    let spl = usize::from(u8_at(d, 8)?);
    let thl = usize::from(u8_at(d, 9)? & 0x3f);
    let tsl = usize::from(u8_at(d, 10)? & 0x3f);
    let tpl = usize::from(u8_at(d, 11)?);
    let sha = 12;
    let ssa = sha + shl;
    let spa = ssa + ssl;
    let tha = spa + spl;
    let tsa = tha + thl;
    let tpa = tsa + tsl;
    if !has(d, tpa, tpl) {
        return Err(Trunc);
    }
    if !c.eflag {
        c.s("ARP, ");
    }
    let ip_like = pro == ETHERTYPE_IP || pro == ETHERTYPE_TRAIL;
    if !ip_like || spl != 4 || tpl != 4 {
        match tok(ARPHRD_NAMES, u32::from(hrd)) {
            Some(n) => w!(c, "{n}, "),
            None => w!(c, "Unknown Hardware ({hrd}), "),
        }
        match tok(ETHERTYPE_NAMES, u32::from(pro)) {
            Some(n) => w!(c, "{n} (len {spl}/{tpl})"),
            None => w!(c, "Unknown Protocol (0x{pro:04x}) (len {spl}/{tpl})"),
        }
        w!(c, ", length {length}");
        return Ok(());
    }
    match tok(ARPOP_NAMES, u32::from(op)) {
        Some(n) => w!(c, "{n} "),
        None => w!(c, "Unknown ({op}) "),
    }
    let addr = |c: &mut Ctx, ha: usize, hl: usize, sa: usize, sl: usize| {
        if hl == 0 {
            c.s("<No address>");
        } else {
            linkaddr(c, d.get(ha..ha + hl).unwrap_or(&[]), LinkAddr::Atm);
            if sl != 0 {
                c.s(",");
                linkaddr(c, d.get(sa..sa + sl).unwrap_or(&[]), LinkAddr::Atm);
            }
        }
    };
    let proto_addr = |c: &mut Ctx, off: usize| -> R {
        let a: [u8; 4] = bytes(d, off)?;
        w!(c, "{}", Ip4(&a));
        Ok(())
    };
    match op {
        1 => {
            c.s("who-has ");
            proto_addr(c, tpa)?;
            if thl != 0 {
                c.s(" (");
                addr(c, tha, thl, tsa, tsl);
                c.s(")");
            }
            c.s(" tell ");
            proto_addr(c, spa)?;
        }
        2 => {
            proto_addr(c, spa)?;
            c.s(" is-at ");
            addr(c, sha, shl, ssa, ssl);
        }
        8 => {
            c.s("who-is ");
            addr(c, tha, thl, tsa, tsl);
            c.s(" tell ");
            addr(c, sha, shl, ssa, ssl);
        }
        9 => {
            addr(c, sha, shl, ssa, ssl);
            c.s("at ");
            proto_addr(c, spa)?;
        }
        10 => {
            c.s("for ");
            proto_addr(c, spa)?;
        }
        _ => {
            hex_and_ascii(c.out, d);
            return Ok(());
        }
    }
    w!(c, ", length {length}");
    Ok(())
}

fn arp_print(c: &mut Ctx, d: &[u8], length: u32) -> R {
    c.proto = "arp";
    if d.len() < 8 {
        return Err(Trunc);
    }
    let hrd = be16(d, 0)?;
    let pro = be16(d, 2)?;
    let hln = usize::from(u8_at(d, 4)?);
    let pln = usize::from(u8_at(d, 5)?);
    let op = be16(d, 6)?;
    let kind = match hrd {
        19 => return atmarp_print(c, d, length),
        15 => LinkAddr::FrameRelay,
        _ => LinkAddr::Ether,
    };
    let (sha, spa, tha, tpa) = (8, 8 + hln, 8 + hln + pln, 8 + 2 * hln + pln);
    if !has(d, tpa, pln) {
        return Err(Trunc);
    }
    if !c.eflag {
        c.s("ARP, ");
    }
    let ip_like = pro == ETHERTYPE_IP || pro == ETHERTYPE_TRAIL;
    if !ip_like || pln != 4 || hln == 0 {
        match tok(ARPHRD_NAMES, u32::from(hrd)) {
            Some(n) => w!(c, "{n} (len {hln}), "),
            None => w!(c, "Unknown Hardware ({hrd}) (len {hln}), "),
        }
        match tok(ETHERTYPE_NAMES, u32::from(pro)) {
            Some(n) => w!(c, "{n} (len {pln})"),
            None => w!(c, "Unknown Protocol (0x{pro:04x}) (len {pln})"),
        }
        w!(c, ", length {length}");
        return Ok(());
    }
    match tok(ARPOP_NAMES, u32::from(op)) {
        Some(n) => w!(c, "{n} "),
        None => w!(c, "Unknown ({op}) "),
    }
    let proto_addr = |c: &mut Ctx, off: usize| -> R {
        let a: [u8; 4] = bytes(d, off)?;
        w!(c, "{}", Ip4(&a));
        Ok(())
    };
    let hw = |off: usize| d.get(off..off + hln).unwrap_or(&[]);
    match op {
        1 => {
            c.s("who-has ");
            proto_addr(c, tpa)?;
            if hw(tha).iter().any(|&b| b != 0) {
                c.s(" (");
                linkaddr(c, hw(tha), kind);
                c.s(")");
            }
            c.s(" tell ");
            proto_addr(c, spa)?;
        }
        2 => {
            proto_addr(c, spa)?;
            c.s(" is-at ");
            linkaddr(c, hw(sha), kind);
        }
        3 | 8 => {
            c.s("who-is ");
            linkaddr(c, hw(tha), kind);
            c.s(" tell ");
            linkaddr(c, hw(sha), kind);
        }
        4 => {
            linkaddr(c, hw(tha), kind);
            c.s(" at ");
            proto_addr(c, tpa)?;
        }
        9 => {
            linkaddr(c, hw(sha), kind);
            c.s(" at ");
            proto_addr(c, spa)?;
        }
        _ => {
            hex_and_ascii(c.out, d);
            return Ok(());
        }
    }
    w!(c, ", length {length}");
    Ok(())
}

// ---------------------------------------------------------------------------
// IPv4 (print-ip.c, print-ip-demux.c)

const IPPROTO_ICMP: u8 = 1;
const IPPROTO_IGMP: u8 = 2;
const IPPROTO_IPV4: u8 = 4;
const IPPROTO_TCP: u8 = 6;
const IPPROTO_UDP: u8 = 17;
const IPPROTO_DCCP: u8 = 33;
const IPPROTO_IPV6: u8 = 41;
const IPPROTO_ICMPV6: u8 = 58;
const IPPROTO_NONE: u8 = 59;
const IPPROTO_SCTP: u8 = 132;

/// The enclosing IP header, for the transport printers.
#[derive(Clone, Copy)]
enum IpHdr {
    V4 { src: [u8; 4], dst: [u8; 4], proto: u8 },
    V6 { src: [u8; 16], dst: [u8; 16], nxt: u8 },
}

impl IpHdr {
    /// Writes `src > dst` (no trailing text).
    fn addrs(&self, c: &mut Ctx) {
        match self {
            IpHdr::V4 { src, dst, .. } => w!(c, "{} > {}", Ip4(src), Ip4(dst)),
            IpHdr::V6 { src, dst, .. } => w!(c, "{} > {}", Ip6(src), Ip6(dst)),
        }
    }

    /// Writes `src.sport > dst.dport` when the header's own protocol field
    /// names `proto`, else `sport > dport` (tcpdump's `udpipaddr_print`).
    fn addrs_ports(&self, c: &mut Ctx, proto: u8, sport: Port, dport: Port) {
        match self {
            IpHdr::V4 { src, dst, proto: p } if *p == proto => {
                w!(c, "{}.{sport} > {}.{dport}: ", Ip4(src), Ip4(dst));
            }
            IpHdr::V6 { src, dst, nxt } if *nxt == proto => {
                w!(c, "{}.{sport} > {}.{dport}: ", Ip6(src), Ip6(dst));
            }
            _ => w!(c, "{sport} > {dport}: "),
        }
    }
}

fn protoname(c: &Ctx, p: u8) -> Option<&'static str> {
    if !c.names {
        return None;
    }
    NETDB_PROTO_NAMES.binary_search_by_key(&p, |(n, _)| *n).ok().map(|i| NETDB_PROTO_NAMES[i].1)
}

fn ip_print(c: &mut Ctx, d: &[u8], length: u32) -> R {
    nested(c, |c| ip_print_inner(c, d, length))
}

fn ip_print_inner(c: &mut Ctx, d: &[u8], length: u32) -> R {
    c.proto = "ip";
    let vhl = u8_at(d, 0)?;
    if vhl >> 4 != 4 {
        if vhl >> 4 == 6 {
            c.s("IP6, wrong link-layer encapsulation");
        } else {
            w!(c, "IP{}", vhl >> 4);
        }
        c.s(" (invalid)");
        return Ok(());
    }
    if !c.eflag {
        c.s("IP ");
    }
    if d.len() < 20 {
        return Err(Trunc);
    }
    if length < 20 {
        w!(c, "truncated-ip {length}");
        return Ok(());
    }
    let hlen = u32::from(vhl & 0x0f) * 4;
    if hlen < 20 {
        w!(c, "bad-hlen {hlen}");
        return Ok(());
    }
    let len = u32::from(be16(d, 2)?);
    if length < len {
        w!(c, "truncated-ip - {} bytes missing! ", len - length);
    }
    if len < hlen {
        w!(c, "bad-len {len}");
        return Ok(());
    }
    let d = clamp(d, len as usize);
    let len = len - hlen;
    let off = be16(d, 6)?;
    let proto = u8_at(d, 9)?;
    let hdr = IpHdr::V4 { src: bytes(d, 12)?, dst: bytes(d, 16)?, proto };
    if off & 0x1fff == 0 {
        if !matches!(proto, IPPROTO_TCP | IPPROTO_UDP | IPPROTO_SCTP | IPPROTO_DCCP) {
            hdr.addrs(c);
            c.s(": ");
        }
        if !has(d, 0, hlen as usize) {
            w!(c, " [remaining caplen({}) < header length({hlen})]", d.len());
            return Err(Trunc);
        }
        demux(c, tail(d, hlen as usize), len, hdr, off & 0x2000 != 0, proto)
    } else {
        hdr.addrs(c);
        c.s(":");
        match protoname(c, proto) {
            Some(n) => w!(c, " {n}"),
            None => w!(c, " ip-proto-{proto}"),
        }
        Ok(())
    }
}

/// `ip_demux_print`: the payload of an IPv4 or IPv6 packet (after extension
/// headers), `length` bytes long on the wire.
fn demux(c: &mut Ctx, d: &[u8], length: u32, ip: IpHdr, fragmented: bool, nh: u8) -> R {
    let v4 = matches!(ip, IpHdr::V4 { .. });
    match nh {
        IPPROTO_TCP => tcp_print(c, d, length, ip, fragmented),
        IPPROTO_UDP => udp_print(c, d, length, ip, fragmented),
        IPPROTO_ICMP if v4 => icmp_print(c, d, length),
        IPPROTO_ICMP => {
            c.s("[ICMP requires IPv4] (invalid)");
            Ok(())
        }
        IPPROTO_ICMPV6 if !v4 => icmp6_print(c, d, length),
        IPPROTO_ICMPV6 => {
            c.s("[ICMPv6 requires IPv6] (invalid)");
            Ok(())
        }
        IPPROTO_IGMP if v4 => igmp_print(c, d, length),
        IPPROTO_IGMP => {
            c.s("[IGMP requires IPv4] (invalid)");
            Ok(())
        }
        IPPROTO_IPV4 => ip_print(c, d, length),
        IPPROTO_IPV6 => ip6_print(c, d, length),
        IPPROTO_NONE => {
            c.s("no next header");
            Ok(())
        }
        77 => {
            w!(c, " nd {length}");
            Ok(())
        }
        143 if !v4 => ether(c, d, length),
        143 => {
            c.s("[Ethernet requires IPv6] (invalid)");
            Ok(())
        }
        _ => {
            if matches!(nh, IPPROTO_SCTP | IPPROTO_DCCP) {
                // DIVERGENCE: no SCTP/DCCP printer; tcpdump prints ports and
                // chunks. Keep the addresses ip_print left to this printer.
                ip.addrs(c);
                c.s(": ");
            }
            // DIVERGENCE: GRE, ESP, AH, OSPF, PIM, VRRP, ... print like an
            // unknown protocol here.
            match protoname(c, nh) {
                Some(n) => w!(c, " {n}"),
                None => w!(c, " ip-proto-{nh}"),
            }
            w!(c, " {length}");
            Ok(())
        }
    }
}

// ---------------------------------------------------------------------------
// IPv6 (print-ip6.c, print-ip6opts.c, print-frag6.c)

const IPPROTO_HOPOPTS: u8 = 0;
const IPPROTO_DSTOPTS: u8 = 60;
const IPPROTO_FRAGMENT: u8 = 44;

fn ip6_print(c: &mut Ctx, d: &[u8], length: u32) -> R {
    nested(c, |c| ip6_print_inner(c, d, length))
}

fn ip6_print_inner(c: &mut Ctx, d: &[u8], length: u32) -> R {
    c.proto = "ip6";
    if d.len() < 40 {
        return Err(Trunc);
    }
    if length < 40 {
        w!(c, "truncated-ip6 {length}");
        return Ok(());
    }
    if !c.eflag {
        c.s("IP6 ");
    }
    let ver = u8_at(d, 0)? >> 4;
    if ver != 6 {
        w!(c, "version error: {ver} != 6");
        return Ok(());
    }
    let mut payload_len = u32::from(be16(d, 4)?);
    let mut len = if payload_len != 0 {
        let l = payload_len + 40;
        if length < l {
            w!(c, "truncated-ip6 - {} bytes missing!", l - length);
        }
        l
    } else {
        length.saturating_add(40)
    };
    let mut nh = u8_at(d, 6)?;
    let hdr = IpHdr::V6 { src: bytes(d, 8)?, dst: bytes(d, 24)?, nxt: nh };
    let mut d = clamp(d, len as usize);
    let mut cp = 0usize;
    let mut advance = 40usize;
    let mut total_advance = 0usize;
    let mut ph: Option<u8> = None;
    let mut found_ext = false;
    let mut found_jumbo = false;
    let mut found_hbh = false;
    let mut fragmented = false;
    while cp < d.len() && advance > 0 {
        if (len as usize) < advance {
            return Err(Trunc);
        }
        cp += advance;
        len -= advance as u32;
        total_advance += advance;
        if cp == 40 && !matches!(nh, IPPROTO_TCP | IPPROTO_UDP | IPPROTO_DCCP | IPPROTO_SCTP) {
            hdr.addrs(c);
            c.s(": ");
        }
        match nh {
            IPPROTO_HOPOPTS => {
                if found_hbh {
                    c.s("[The Hop-by-Hop Options header was already found] (invalid)");
                    return Ok(());
                }
                if ph.is_some() {
                    c.s("[The Hop-by-Hop Options header don't follow the IPv6 header] (invalid)");
                    return Ok(());
                }
                let adv = hbhopt_process(c, tail(d, cp), &mut found_jumbo, &mut payload_len)?;
                if payload_len == 0 && !found_jumbo {
                    c.s("[No valid Jumbo Payload Hop-by-Hop option found] (invalid)");
                    return Ok(());
                }
                let Some(adv) = adv else { return Ok(()) };
                advance = adv;
                found_ext = true;
                found_hbh = true;
                nh = u8_at(d, cp)?;
            }
            IPPROTO_DSTOPTS => {
                c.proto = "dstopt";
                let dlen = (usize::from(u8_at(d, cp + 1)?) + 1) << 3;
                if !has(d, cp, dlen) {
                    c.trunc_mark();
                    return Ok(());
                }
                c.s("DSTOPT ");
                advance = dlen;
                found_ext = true;
                nh = u8_at(d, cp)?;
            }
            IPPROTO_FRAGMENT => {
                c.proto = "frag6";
                let offlg = be16(d, cp + 2)?;
                let plen = u64::from(be16(d, 4)?);
                let rest = (40 + plen).wrapping_sub(cp as u64).wrapping_sub(8);
                w!(c, "frag ({}|{rest})", offlg & 0xfff8);
                if offlg & 0xfff8 != 0 {
                    return Ok(());
                }
                c.s(" ");
                if d.len() <= cp + 8 {
                    return Ok(());
                }
                advance = 8;
                found_ext = true;
                nh = u8_at(d, cp)?;
                fragmented = true;
            }
            _ => {
                // DIVERGENCE: routing and mobility headers are handed to the
                // demultiplexer like an unknown protocol.
                if found_jumbo {
                    let l = payload_len.saturating_add(40);
                    if (l as usize) < total_advance {
                        return Err(Trunc);
                    }
                    if length < l {
                        w!(c, "truncated-ip6 - {} bytes missing!", l - length);
                    }
                    d = clamp(d, l as usize);
                    len = l - total_advance as u32;
                } else if payload_len == 0 {
                    if found_ext {
                        return Err(Trunc);
                    }
                    d = clamp(d, 40);
                    len = 40 - total_advance as u32;
                }
                return demux(c, tail(d, cp), len, hdr, fragmented, nh);
            }
        }
        ph = Some(nh);
        c.proto = "ip6";
    }
    Ok(())
}

/// `hbhopt_process` at verbosity 0: returns the header length, or `None`
/// after printing a truncation mark.
fn hbhopt_process(c: &mut Ctx, d: &[u8], found_jumbo: &mut bool, payload_len: &mut u32) -> R<Option<usize>> {
    c.proto = "hbhopt";
    let hlen = (usize::from(u8_at(d, 1)?) + 1) << 3;
    if !has(d, 0, hlen) {
        c.trunc_mark();
        return Ok(None);
    }
    c.s("HBH ");
    if ip6_opt_process(c, &d[2..hlen], found_jumbo, payload_len).is_err() {
        c.trunc_mark();
        return Ok(None);
    }
    Ok(Some(hlen))
}

/// `ip6_opt_process` at verbosity 0: prints only the complaints.
fn ip6_opt_process(c: &mut Ctx, b: &[u8], found_jumbo: &mut bool, payload_len: &mut u32) -> R {
    let len = b.len();
    let mut i = 0usize;
    let mut seen_jumbo = false;
    while i < len {
        let t = u8_at(b, i)?;
        let optlen = if t == 0 {
            1
        } else if i + 1 < len {
            usize::from(u8_at(b, i + 1)?) + 2
        } else {
            return Err(Trunc);
        };
        if i + optlen > len {
            return Err(Trunc);
        }
        match t {
            0 => {}
            1 => {
                if len - i < 2 {
                    c.s("(padn: trunc)");
                    return Err(Trunc);
                }
            }
            5 => {
                if len - i < 4 {
                    c.s("(rtalert: trunc)");
                    return Err(Trunc);
                }
                let l = u8_at(b, i + 1)?;
                if l != 2 {
                    w!(c, "(rtalert: invalid len {l})");
                    return Err(Trunc);
                }
            }
            0xc2 => {
                if len - i < 6 {
                    c.s("(jumbo: trunc)");
                    return Err(Trunc);
                }
                let l = u8_at(b, i + 1)?;
                if l != 4 {
                    w!(c, "(jumbo: invalid len {l})");
                    return Err(Trunc);
                }
                let jumbolen = be32(b, i + 2)?;
                if !seen_jumbo {
                    seen_jumbo = true;
                    if *payload_len == 0 && jumbolen >= 65536 {
                        *found_jumbo = true;
                        *payload_len = jumbolen;
                    }
                }
            }
            0xc9 => {
                if len - i < 18 {
                    c.s("(homeaddr: trunc)");
                    return Err(Trunc);
                }
                let l = u8_at(b, i + 1)?;
                if l < 16 {
                    w!(c, "(homeaddr: invalid len {l})");
                    return Err(Trunc);
                }
            }
            _ => {
                if len - i < 2 {
                    w!(c, "(type {t}: trunc)");
                    return Err(Trunc);
                }
            }
        }
        i += optlen;
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// TCP (print-tcp.c)

const TH_FIN: u8 = 0x01;
const TH_SYN: u8 = 0x02;
const TH_RST: u8 = 0x04;
const TH_ACK: u8 = 0x10;
const TH_URG: u8 = 0x20;

static TCP_FLAG_CHARS: [(u8, char); 8] =
    [(0x01, 'F'), (0x02, 'S'), (0x04, 'R'), (0x08, 'P'), (0x10, '.'), (0x20, 'U'), (0x40, 'E'), (0x80, 'W')];

static TCP_OPTION_NAMES: &[(u32, &str)] = &[
    (0, "eol"),
    (1, "nop"),
    (2, "mss"),
    (3, "wscale"),
    (4, "sackOK"),
    (5, "sack"),
    (6, "echo"),
    (7, "echoreply"),
    (8, "TS"),
    (11, "cc"),
    (12, "ccnew"),
    (13, ""),
    (19, "md5"),
    (20, "scps"),
    (28, "uto"),
    (29, "tcp-ao"),
    (30, "mptcp"),
    (34, "tfo"),
    (254, "exp"),
];

/// Which tcpdump application printer a TCP segment with data goes to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum TcpApp {
    Txt {
        proto: &'static str,
        caps: &'static str,
        cmds: Option<&'static [&'static str]>,
    },
    Ssh,
    /// A printer tcpdump has that is not implemented here.
    Other,
    None,
}

static HTTP_CMDS: &[&str] = &[
    "GET",
    "PUT",
    "COPY",
    "HEAD",
    "LOCK",
    "MOVE",
    "POLL",
    "POST",
    "BCOPY",
    "BMOVE",
    "MKCOL",
    "TRACE",
    "LABEL",
    "MERGE",
    "DELETE",
    "SEARCH",
    "UNLOCK",
    "REPORT",
    "UPDATE",
    "NOTIFY",
    "BDELETE",
    "CONNECT",
    "OPTIONS",
    "CHECKIN",
    "PROPFIND",
    "CHECKOUT",
    "CCM_POST",
    "SUBSCRIBE",
    "PROPPATCH",
    "BPROPFIND",
    "BPROPPATCH",
    "UNCHECKOUT",
    "MKACTIVITY",
    "MKWORKSPACE",
    "UNSUBSCRIBE",
    "RPC_CONNECT",
    "VERSION-CONTROL",
    "BASELINE-CONTROL",
];

static RTSP_CMDS: &[&str] = &[
    "DESCRIBE",
    "ANNOUNCE",
    "GET_PARAMETER",
    "OPTIONS",
    "PAUSE",
    "PLAY",
    "RECORD",
    "REDIRECT",
    "SETUP",
    "SET_PARAMETER",
    "TEARDOWN",
];

static SIP_CMDS: &[&str] = &[
    "ACK",
    "BYE",
    "CANCEL",
    "DO",
    "INFO",
    "INVITE",
    "MESSAGE",
    "NOTIFY",
    "OPTIONS",
    "PRACK",
    "QAUTH",
    "REFER",
    "REGISTER",
    "SPRACK",
    "SUBSCRIBE",
    "UPDATE",
    "PUBLISH",
];

fn tcp_app(sport: u16, dport: u16) -> TcpApp {
    let is = |p: u16| sport == p || dport == p;
    if is(23) || is(179) || is(1723) || is(6379) {
        TcpApp::Other
    } else if is(25) {
        TcpApp::Txt { proto: "smtp", caps: "SMTP", cmds: None }
    } else if is(43) {
        TcpApp::Txt { proto: "whois", caps: "WHOIS", cmds: None }
    } else if is(22) {
        TcpApp::Ssh
    } else if is(139) || is(445) || is(10288) || is(6633) || is(6653) {
        TcpApp::Other
    } else if is(21) {
        TcpApp::Txt { proto: "ftp", caps: "FTP", cmds: None }
    } else if is(80) || is(8080) {
        TcpApp::Txt { proto: "http", caps: "HTTP", cmds: Some(HTTP_CMDS) }
    } else if is(554) || is(8554) {
        TcpApp::Txt { proto: "rtsp", caps: "RTSP", cmds: Some(RTSP_CMDS) }
    } else if is(53) || is(639) || is(323) || is(646) || is(2049) {
        TcpApp::Other
    } else {
        TcpApp::None
    }
}

/// The fields of a TCP segment the relative-number logic needs.
#[derive(Clone, Copy)]
struct Seg {
    sport: u16,
    dport: u16,
    flags: u8,
    seq: u32,
    ack: u32,
}

/// What [`tcp_relative`] works out: the numbers to print, the conversation's
/// initial numbers (`thseq`, `thack`) and whether the segment goes from the
/// higher port (`rev`).
struct Relative {
    seq: u32,
    ack: u32,
    thseq: u32,
    thack: u32,
    rev: bool,
}

/// Finds or records the conversation's initial sequence numbers, as
/// `tcp_print` does for every segment with ACK set.
fn tcp_relative(c: &mut Ctx, ip: &IpHdr, seg: Seg) -> Relative {
    fn lookup<A: Ord + Copy>(map: &mut BTreeMap<Conversation<A>, Isn>, src: A, dst: A, seg: Seg) -> Relative {
        let Seg { sport, dport, flags, mut seq, mut ack } = seg;
        let rev = sport > dport || (sport == dport && src > dst);
        let key = if rev {
            (dst, src, (u32::from(dport) << 16) | u32::from(sport))
        } else {
            (src, dst, (u32::from(sport) << 16) | u32::from(dport))
        };
        let entry = match map.get(&key) {
            Some(&e) if flags & TH_SYN == 0 => {
                if rev {
                    seq = seq.wrapping_sub(e.1);
                    ack = ack.wrapping_sub(e.0);
                } else {
                    seq = seq.wrapping_sub(e.0);
                    ack = ack.wrapping_sub(e.1);
                }
                e
            }
            _ => {
                let e = if rev { (ack.wrapping_sub(1), seq) } else { (seq, ack.wrapping_sub(1)) };
                map.insert(key, e);
                e
            }
        };
        Relative { seq, ack, thseq: entry.0, thack: entry.1, rev }
    }
    match *ip {
        IpHdr::V4 { src, dst, .. } => lookup(&mut c.state.tcp4, src, dst, seg),
        IpHdr::V6 { src, dst, .. } => lookup(&mut c.state.tcp6, src, dst, seg),
    }
}

fn tcp_print(c: &mut Ctx, d: &[u8], length: u32, ip: IpHdr, _fragmented: bool) -> R {
    c.proto = "tcp";
    if !has(d, 2, 2) {
        ip.addrs(c);
        c.s(":");
        return Err(Trunc);
    }
    let sport = be16(d, 0)?;
    let dport = be16(d, 2)?;
    ip.addrs_ports(c, IPPROTO_TCP, c.tport(sport), c.tport(dport));
    if d.len() < 20 {
        return Err(Trunc);
    }
    let mut hlen = u32::from(u8_at(d, 12)? >> 4) * 4;
    if hlen < 20 {
        w!(c, " tcp {} [bad hdr length {hlen} - too short, < 20]", length.wrapping_sub(hlen));
        return Ok(());
    }
    let seq = be32(d, 4)?;
    let ack = be32(d, 8)?;
    let win = be16(d, 14)?;
    let urp = be16(d, 18)?;
    let flags = u8_at(d, 13)?;
    c.s("Flags [");
    if flags == 0 {
        c.s("none");
    }
    for (bit, ch) in TCP_FLAG_CHARS {
        if flags & bit != 0 {
            c.out.push(ch);
        }
    }
    c.s("]");
    let Relative { seq, ack, thseq, thack, rev } = if flags & TH_ACK != 0 {
        tcp_relative(c, &ip, Seg { sport, dport, flags, seq, ack })
    } else {
        Relative { seq, ack, thseq: 0, thack: 0, rev: false }
    };
    if hlen > length {
        w!(c, " [bad hdr length {hlen} - too long, > {length}]");
        return Ok(());
    }
    let length = length - hlen;
    if length > 0 || flags & (TH_SYN | TH_FIN | TH_RST) != 0 {
        w!(c, ", seq {seq}");
        if length > 0 {
            w!(c, ":{}", seq.wrapping_add(length));
        }
    }
    if flags & TH_ACK != 0 {
        w!(c, ", ack {ack}");
    }
    w!(c, ", win {win}");
    if flags & TH_URG != 0 {
        w!(c, ", urg {urp}");
    }
    if hlen > 20 {
        hlen -= 20;
        c.s(", options [");
        match tcp_options(c, d, hlen as usize, rev, thseq, thack) {
            OptEnd::Done => c.s("]"),
            OptEnd::Bad { printed } => {
                c.s("[bad opt]");
                if printed {
                    c.s("]");
                }
                return Ok(());
            }
            OptEnd::Trunc { printed } => {
                c.trunc_mark();
                if printed {
                    c.s(">");
                }
                return Ok(());
            }
        }
    }
    w!(c, ", length {length}");
    if length == 0 {
        return Ok(());
    }
    let header_len = usize::from(u8_at(d, 12)? >> 4) * 4;
    if !has(d, 0, header_len) {
        w!(c, " [remaining caplen({}) < header length({header_len})]", d.len());
        return Err(Trunc);
    }
    let payload = tail(d, header_len);
    match tcp_app(sport, dport) {
        TcpApp::Txt { proto, caps, cmds } => {
            c.s(": ");
            txtproto_print(c, payload, length, proto, caps, cmds)
        }
        TcpApp::Ssh => ssh_print(c, payload, length),
        // DIVERGENCE: telnet, BGP, DNS over TCP, SMB, NFS, ... payloads are
        // not decoded.
        TcpApp::Other | TcpApp::None => Ok(()),
    }
}

enum OptEnd {
    Done,
    /// `goto bad`; `printed` is tcpdump's `ch != '\0'`.
    Bad {
        printed: bool,
    },
    /// `goto trunc`.
    Trunc {
        printed: bool,
    },
}

/// The option loop of `tcp_print`; `hlen` is the options length.
fn tcp_options(c: &mut Ctx, d: &[u8], mut hlen: usize, rev: bool, thseq: u32, thack: u32) -> OptEnd {
    let mut cp = 20usize;
    let mut printed = false;
    // GET_* failures longjmp (plain ` [|tcp]`); LENCHECK's ND_TCHECK goes
    // to the local `trunc` label, which adds `>` after something printed.
    macro_rules! get {
        ($e:expr) => {
            match $e {
                Ok(v) => v,
                Err(Trunc) => return OptEnd::Trunc { printed: false },
            }
        };
    }
    macro_rules! lencheck {
        ($l:expr) => {{
            let l: usize = $l;
            if l > hlen {
                return OptEnd::Bad { printed };
            }
            if !has(d, cp, l) {
                return OptEnd::Trunc { printed };
            }
        }};
    }
    while hlen > 0 {
        if printed {
            c.s(",");
        }
        let opt = get!(u8_at(d, cp));
        cp += 1;
        let len = if opt <= 1 {
            1
        } else {
            let l = usize::from(get!(u8_at(d, cp)));
            cp += 1;
            if l < 2 || l > hlen {
                return OptEnd::Bad { printed };
            }
            hlen -= 1;
            l
        };
        hlen -= 1;
        let mut datalen = 0usize;
        match tok(TCP_OPTION_NAMES, u32::from(opt)) {
            Some(n) => c.s(n),
            None => w!(c, "unknown-{opt}"),
        }
        match opt {
            2 => {
                datalen = 2;
                lencheck!(datalen);
                w!(c, " {}", get!(be16(d, cp)));
            }
            3 => {
                datalen = 1;
                lencheck!(datalen);
                w!(c, " {}", get!(u8_at(d, cp)));
            }
            5 => {
                datalen = len - 2;
                if datalen & 7 != 0 {
                    c.s(" invalid sack");
                } else {
                    w!(c, " {} ", datalen / 8);
                    let mut i = 0;
                    while i < datalen {
                        lencheck!(i + 4);
                        let mut s = get!(be32(d, cp + i));
                        lencheck!(i + 8);
                        let mut e = get!(be32(d, cp + i + 4));
                        if rev {
                            s = s.wrapping_sub(thseq);
                            e = e.wrapping_sub(thseq);
                        } else {
                            s = s.wrapping_sub(thack);
                            e = e.wrapping_sub(thack);
                        }
                        w!(c, "{{{s}:{e}}}");
                        i += 8;
                    }
                }
            }
            6 | 7 | 11 | 12 | 13 => {
                datalen = 4;
                lencheck!(datalen);
                w!(c, " {}", get!(be32(d, cp)));
            }
            8 => {
                datalen = 8;
                lencheck!(datalen);
                w!(c, " val {} ecr {}", get!(be32(d, cp)), get!(be32(d, cp + 4)));
            }
            19 => {
                datalen = 16;
                lencheck!(datalen);
                // tcpdump built with OpenSSL tries to verify the signature;
                // without `-M secret` it cannot.
                c.s(" ");
                if d.len() < cp + hlen {
                    c.s("snaplen too short, ");
                } else {
                    c.s("shared secret not supplied with -M, ");
                }
                c.s("can't check - ");
                for i in 0..16 {
                    w!(c, "{:02x}", get!(u8_at(d, cp + i)));
                }
            }
            20 => {
                datalen = 2;
                lencheck!(datalen);
                w!(c, " cap {:02x} id {}", get!(u8_at(d, cp)), get!(u8_at(d, cp + 1)));
            }
            29 => {
                datalen = len - 2;
                if datalen < 2 {
                    c.s(" (invalid)");
                } else {
                    lencheck!(1);
                    w!(c, " keyid {}", get!(u8_at(d, cp)));
                    lencheck!(2);
                    w!(c, " rnextkeyid {}", get!(u8_at(d, cp + 1)));
                    if datalen > 2 {
                        c.s(" mac 0x");
                        for i in 2..datalen {
                            lencheck!(i + 1);
                            w!(c, "{:02x}", get!(u8_at(d, cp + i)));
                        }
                    }
                }
            }
            0 | 1 | 4 => {}
            28 => {
                datalen = 2;
                lencheck!(datalen);
                let v = u32::from(get!(be16(d, cp)));
                let secs = if v & 1 != 0 { (v >> 1) * 60 } else { v >> 1 };
                w!(c, " 0x{v:x} {secs}");
            }
            34 => {
                datalen = len - 2;
                lencheck!(datalen);
                c.s(" ");
                tcp_fastopen(c, tail(d, cp), datalen, false);
            }
            254 => {
                datalen = len - 2;
                lencheck!(datalen);
                if datalen < 2 {
                    return OptEnd::Bad { printed };
                }
                let magic = get!(be16(d, cp));
                c.s("-");
                if magic == 0xf989 {
                    tcp_fastopen(c, tail(d, cp + 2), datalen - 2, true);
                } else {
                    w!(c, "{magic:04x}");
                }
            }
            _ => {
                // DIVERGENCE: MPTCP (30) options print as raw hex here.
                datalen = len - 2;
                if datalen > 0 {
                    c.s(" 0x");
                }
                for i in 0..datalen {
                    lencheck!(i + 1);
                    w!(c, "{:02x}", get!(u8_at(d, cp + i)));
                }
            }
        }
        cp += datalen;
        hlen -= datalen;
        let mut total = datalen + 1;
        if opt > 1 {
            total += 1;
        }
        if total != len {
            w!(c, "[len {len}]");
        }
        printed = true;
        if opt == 0 {
            break;
        }
    }
    OptEnd::Done
}

fn tcp_fastopen(c: &mut Ctx, d: &[u8], datalen: usize, exp: bool) {
    if exp {
        c.s("tfo");
    }
    if datalen == 0 {
        c.s(" cookiereq");
    } else if datalen & 1 != 0 || !(4..=16).contains(&datalen) {
        c.s(" (invalid)");
    } else {
        c.s(" cookie ");
        for b in d.iter().take(datalen) {
            w!(c, "{b:02x}");
        }
    }
}

/// `txtproto_print` at verbosity 0: the protocol name and, for a request or
/// response, its first line.
fn txtproto_print(c: &mut Ctx, d: &[u8], len: u32, proto: &'static str, caps: &str, cmds: Option<&[&str]>) -> R {
    c.proto = proto;
    let len = len as usize;
    let print_this = match cmds {
        None => true,
        Some(cmds) => {
            let mut token = [0u8; 128];
            let mut print_this = false;
            let (idx, tl) = fetch_token(d, 0, len, &mut token);
            if idx != 0 {
                if cmds.iter().any(|cmd| token[..tl].eq_ignore_ascii_case(cmd.as_bytes())) {
                    print_this = true;
                }
                let (idx2, tl2) = fetch_token(d, idx, len, &mut token);
                if idx2 != 0 && tl2 == 3 && token[..3].iter().all(u8::is_ascii_digit) {
                    print_this = true;
                }
            }
            print_this
        }
    };
    c.s(caps);
    if print_this {
        print_txt_line(c, ": ", d, 0, len)?;
    }
    Ok(())
}

/// `fetch_token`: returns (index after the token and its trailing blanks,
/// token length), index 0 when there is no token.
fn fetch_token(d: &[u8], mut idx: usize, len: usize, tbuf: &mut [u8; 128]) -> (usize, usize) {
    let mut toklen = 0usize;
    while idx < len {
        let Some(&ch) = d.get(idx) else { return (0, 0) };
        if !ch.is_ascii() {
            return (0, 0);
        }
        if matches!(ch, b' ' | b'\t' | b'\r' | b'\n') {
            break;
        }
        if !(0x20..0x7f).contains(&ch) {
            return (0, 0);
        }
        if toklen + 2 > tbuf.len() + 1 {
            return (0, 0);
        }
        tbuf[toklen] = ch;
        toklen += 1;
        idx += 1;
    }
    if toklen == 0 {
        return (0, 0);
    }
    while idx < len {
        let Some(&ch) = d.get(idx) else { break };
        if ch == b'\r' || ch == b'\n' || !(0x20..0x7f).contains(&ch) {
            break;
        }
        if ch != b' ' && ch != b'\t' {
            break;
        }
        idx += 1;
    }
    (idx, toklen)
}

/// `print_txt_line`: prints one printable line after `prefix`; returns the
/// index after the line ending, 0 when there is none.
fn print_txt_line(c: &mut Ctx, prefix: &str, d: &[u8], start: usize, len: usize) -> R<usize> {
    let mut idx = start;
    while idx < len {
        let ch = u8_at(d, idx)?;
        if ch == b'\n' {
            emit_line(c, prefix, &d[start..idx]);
            return Ok(idx + 1);
        } else if ch == b'\r' {
            if idx + 1 >= len {
                return Ok(0);
            }
            if u8_at(d, idx + 1)? == b'\n' {
                emit_line(c, prefix, &d[start..idx]);
                return Ok(idx + 2);
            }
            return Ok(0);
        } else if !(0x20..0x7f).contains(&ch) && ch != b'\t' {
            return Ok(0);
        }
        idx += 1;
    }
    emit_line(c, prefix, tail(d, start).get(..idx - start).unwrap_or(&[]));
    c.trunc_mark();
    Ok(0)
}

fn emit_line(c: &mut Ctx, prefix: &str, line: &[u8]) {
    c.s(prefix);
    for &b in line {
        c.out.push(char::from(b));
    }
}

/// `ssh_print`: the version banner of an SSH connection.
fn ssh_print(c: &mut Ctx, d: &[u8], len: u32) -> R {
    c.proto = "ssh";
    let len = len as usize;
    for (i, want) in b"SSH-".iter().enumerate() {
        if u8_at(d, i)? != *want {
            return Ok(());
        }
    }
    let mut idx = 4usize;
    while idx < len {
        let ch = u8_at(d, idx)?;
        if ch == b'\n' {
            break;
        } else if ch == b'\r' {
            if idx + 1 >= len || u8_at(d, idx + 1)? != b'\n' {
                return Ok(());
            }
            break;
        } else if !(0x20..0x7f).contains(&ch) {
            return Ok(());
        }
        idx += 1;
    }
    if idx >= len {
        return Ok(());
    }
    emit_line(c, ": SSH: ", &d[..idx]);
    Ok(())
}

// ---------------------------------------------------------------------------
// UDP (print-udp.c)

/// Which tcpdump application printer a UDP datagram goes to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum UdpApp {
    Sip,
    Vxlan,
    Otv,
    /// A printer tcpdump has that is not implemented here.
    Other,
    None,
}

/// The port dispatch of `udp_print`, in tcpdump's order.
fn udp_app(sport: u16, dport: u16) -> UdpApp {
    let is = |p: u16| sport == p || dport == p;
    const OTHER_BEFORE_SIP: &[u16] =
        &[53, 5353, 525, 69, 68, 67, 520, 654, 500, 4500, 7500, 8500, 161, 162, 123, 88, 750, 1701, 137, 138];
    if OTHER_BEFORE_SIP.iter().any(|&p| is(p)) || dport == 3456 || is(2103) || is(2104) {
        return UdpApp::Other;
    }
    if (7000..=7009).contains(&sport) || (7000..=7009).contains(&dport) {
        return UdpApp::Other;
    }
    const OTHER_2: &[u16] = &[521, 546, 547, 5359, 6696, 6697, 8231];
    if OTHER_2.iter().any(|&p| is(p)) || dport == 4567 {
        return UdpApp::Other;
    }
    const OTHER_3: &[u16] = &[496, 1645, 1812, 1646, 1813, 1700, 3799];
    if OTHER_3.iter().any(|&p| is(p)) || dport == 1985 || is(921) || is(646) || is(698) {
        return UdpApp::Other;
    }
    if is(3503) || sport == 49152 || matches!(dport, 3784 | 4784 | 6784 | 3785) {
        return UdpApp::Other;
    }
    if is(701) || is(1589) || is(6343) || dport == 12223 || sport == 12223 || is(12222) {
        return UdpApp::Other;
    }
    if is(5060) {
        return UdpApp::Sip;
    }
    if is(514) {
        return UdpApp::Other;
    }
    if is(8472) {
        return UdpApp::Otv;
    }
    if is(4789) {
        return UdpApp::Vxlan;
    }
    // DIVERGENCE: the AppleTalk-over-UDP check on ports 200-204 and 768 is
    // not done.
    if is(6081) || is(4342) || is(4790) || is(17754) || is(6635) || is(319) || is(320) || is(30490) {
        return UdpApp::Other;
    }
    UdpApp::None
}

fn udp_print(c: &mut Ctx, d: &[u8], length: u32, ip: IpHdr, fragmented: bool) -> R {
    c.proto = "udp";
    if !has(d, 2, 2) {
        if let IpHdr::V4 { proto: IPPROTO_UDP, .. } | IpHdr::V6 { nxt: IPPROTO_UDP, .. } = ip {
            ip.addrs(c);
            c.s(": ");
        }
        return Err(Trunc);
    }
    let sport = be16(d, 0)?;
    let dport = be16(d, 2)?;
    let (sp, dp) = (c.uport(sport), c.uport(dport));
    if length < 8 {
        ip.addrs_ports(c, IPPROTO_UDP, sp, dp);
        w!(c, "truncated-udp {length}");
        return Ok(());
    }
    if !has(d, 4, 2) {
        ip.addrs_ports(c, IPPROTO_UDP, sp, dp);
        return Err(Trunc);
    }
    let mut ulen = u32::from(be16(d, 4)?);
    if ulen == 0 && length > 65535 {
        ulen = length;
    }
    if ulen < 8 {
        ip.addrs_ports(c, IPPROTO_UDP, sp, dp);
        w!(c, "truncated-udplength {ulen}");
        return Ok(());
    }
    ulen -= 8;
    let mut length = length - 8;
    if ulen < length {
        length = ulen;
    }
    if d.len() < 8 {
        ip.addrs_ports(c, IPPROTO_UDP, sp, dp);
        return Err(Trunc);
    }
    ip.addrs_ports(c, IPPROTO_UDP, sp, dp);
    let payload = tail(d, 8);
    match udp_app(sport, dport) {
        UdpApp::Sip => txtproto_print(c, payload, length, "sip", "SIP", Some(SIP_CMDS)),
        UdpApp::Vxlan => {
            c.proto = "vxlan";
            c.s("VXLAN");
            if length < 8 {
                c.s(" (invalid)");
                return Ok(());
            }
            let flags = u8_at(payload, 0)?;
            let name = if flags & 0x08 != 0 { "I" } else { "invalid" };
            w!(c, ", flags [{name}] (0x{flags:02x}), ");
            w!(c, "vni {}\n", be24(payload, 4)?);
            u8_at(payload, 7)?;
            ether(c, tail(payload, 8), length - 8)
        }
        UdpApp::Otv => {
            c.proto = "otv";
            c.s("OTV, ");
            if length < 8 {
                w!(c, "[length {length} < 8] (invalid)");
                if !has(payload, 0, length as usize) {
                    return Err(Trunc);
                }
                return Ok(());
            }
            let flags = u8_at(payload, 0)?;
            let name = if flags & 0x08 != 0 { "I" } else { "." };
            w!(c, "flags [{name}] (0x{flags:02x}), ");
            w!(c, "overlay {}, ", be24(payload, 1)?);
            w!(c, "instance {}\n", be24(payload, 4)?);
            u8_at(payload, 7)?;
            ether(c, tail(payload, 8), length - 8)
        }
        // DIVERGENCE: DNS, DHCP, NTP, SNMP, syslog, ... are printed as plain
        // UDP here; tcpdump decodes them.
        UdpApp::Other | UdpApp::None => {
            if ulen > length && !fragmented {
                w!(c, "UDP, bad length {ulen} > {length}");
            } else {
                w!(c, "UDP, length {ulen}");
            }
            Ok(())
        }
    }
}

// ---------------------------------------------------------------------------
// ICMP (print-icmp.c)

static ICMP_TYPE_NAMES: &[(u32, &str)] = &[
    (0, "echo reply"),
    (4, "source quench"),
    (8, "echo request"),
    (10, "router solicitation"),
    (13, "time stamp request"),
    (14, "time stamp reply"),
    (15, "information request"),
    (16, "information reply"),
    (17, "address mask request"),
];

/// tcpdump builds the ICMP text in a buffer and prints it only when every
/// field could be read, so a short packet prints nothing but ` [|icmp]`.
fn icmp_print(c: &mut Ctx, d: &[u8], plen: u32) -> R {
    c.proto = "icmp";
    let mark = c.out.len();
    let r = icmp_body(c, d, plen);
    if r.is_err() {
        c.out.truncate(mark);
    }
    r
}

fn icmp_body(c: &mut Ctx, d: &[u8], plen: u32) -> R {
    let t = u8_at(d, 0)?;
    let code = u8_at(d, 1)?;
    c.s("ICMP ");
    let dst = |d: &[u8]| bytes::<4>(d, 24);
    match t {
        0 | 8 => {
            let kind = if t == 8 { "request" } else { "reply" };
            w!(c, "echo {kind}, id {}, seq {}", be16(d, 4)?, be16(d, 6)?);
        }
        3 => match code {
            3 => {
                u8_at(d, 17)?;
                let hlen = usize::from(u8_at(d, 8)? & 0x0f) * 4;
                let dport = be16(d, 8 + hlen + 2)?;
                let proto = u8_at(d, 17)?;
                let a = dst(d)?;
                match proto {
                    IPPROTO_TCP => w!(c, "{} tcp port {} unreachable", Ip4(&a), c.tport(dport)),
                    IPPROTO_UDP => w!(c, "{} udp port {} unreachable", Ip4(&a), c.uport(dport)),
                    _ => w!(c, "{} protocol {proto} port {dport} unreachable", Ip4(&a)),
                }
            }
            4 => {
                let mtu = be16(d, 6)?;
                let a = dst(d)?;
                if mtu != 0 {
                    w!(c, "{} unreachable - need to frag (mtu {mtu})", Ip4(&a));
                } else {
                    w!(c, "{} unreachable - need to frag", Ip4(&a));
                }
            }
            2 => {
                let a = dst(d)?;
                w!(c, "{} protocol {} unreachable", Ip4(&a), u8_at(d, 17)?);
            }
            _ => {
                let a = dst(d)?;
                let (pre, post) = match code {
                    0 => ("net ", " unreachable"),
                    1 => ("host ", " unreachable"),
                    5 => ("", " unreachable - source route failed"),
                    6 => ("net ", " unreachable - unknown"),
                    7 => ("host ", " unreachable - unknown"),
                    8 => ("", " unreachable - source host isolated"),
                    9 => ("net ", " unreachable - admin prohibited"),
                    10 => ("host ", " unreachable - admin prohibited"),
                    11 => ("net ", " unreachable - tos prohibited"),
                    12 => ("host ", " unreachable - tos prohibited"),
                    13 => ("host ", " unreachable - admin prohibited filter"),
                    14 => ("host ", " unreachable - host precedence violation"),
                    15 => ("host ", " unreachable - precedence cutoff"),
                    _ => ("", ""),
                };
                if pre.is_empty() && post.is_empty() {
                    w!(c, "{} unreachable - #{code}", Ip4(&a));
                } else {
                    w!(c, "{pre}{}{post}", Ip4(&a));
                }
            }
        },
        5 => {
            let a = dst(d)?;
            let gw: [u8; 4] = bytes(d, 4)?;
            match code {
                0 => w!(c, "redirect {} to net {}", Ip4(&a), Ip4(&gw)),
                1 => w!(c, "redirect {} to host {}", Ip4(&a), Ip4(&gw)),
                2 => w!(c, "redirect-tos {} to net {}", Ip4(&a), Ip4(&gw)),
                3 => w!(c, "redirect-tos {} to host {}", Ip4(&a), Ip4(&gw)),
                _ => w!(c, "redirect-#{code} {} to {}", Ip4(&a), Ip4(&gw)),
            }
        }
        9 => {
            c.s("router advertisement");
            if !has(d, 4, 4) {
                return Err(Trunc);
            }
            c.s(" lifetime ");
            let lifetime = be16(d, 6)?;
            if lifetime < 60 {
                w!(c, "{lifetime}");
            } else if lifetime < 3600 {
                w!(c, "{}:{:02}", lifetime / 60, lifetime % 60);
            } else {
                w!(c, "{}:{:02}:{:02}", lifetime / 3600, (lifetime % 3600) / 60, lifetime % 60);
            }
            let num = u8_at(d, 4)?;
            w!(c, " {num}:");
            let size = u8_at(d, 5)?;
            if size != 2 {
                w!(c, " [size {size}]");
            } else {
                for i in 0..usize::from(num) {
                    let off = 8 + 8 * i;
                    if !has(d, off, 8) {
                        return Err(Trunc);
                    }
                    let a: [u8; 4] = bytes(d, off)?;
                    w!(c, " {{{} {}}}", Ip4(&a), be32(d, off + 4)?);
                }
            }
        }
        11 => {
            if !has(d, 24, 4) {
                return Err(Trunc);
            }
            match code {
                0 => c.s("time exceeded in-transit"),
                1 => c.s("ip reassembly time exceeded"),
                _ => w!(c, "time exceeded-#{code}"),
            }
        }
        12 => {
            if code != 0 {
                w!(c, "parameter problem - code {code}");
            } else {
                w!(c, "parameter problem - octet {}", u8_at(d, 4)?);
            }
        }
        18 => w!(c, "address mask is 0x{:08x}", be32(d, 8)?),
        13 => w!(c, "time stamp query id {} seq {}", be16(d, 4)?, be16(d, 6)?),
        14 => {
            if !has(d, 16, 4) {
                return Err(Trunc);
            }
            w!(c, "time stamp reply id {} seq {}: ", be16(d, 4)?, be16(d, 6)?);
            w!(c, "org {}", IcmpTs(be32(d, 8)?));
            w!(c, ", recv {}", IcmpTs(be32(d, 12)?));
            w!(c, ", xmit {}", IcmpTs(be32(d, 16)?));
        }
        _ => match tok(ICMP_TYPE_NAMES, u32::from(t)) {
            Some(n) => c.s(n),
            None => w!(c, "type-#{t}"),
        },
    }
    w!(c, ", length {plen}");
    Ok(())
}

/// `icmp_tstamp_print`: milliseconds since midnight UTC.
struct IcmpTs(u32);

impl fmt::Display for IcmpTs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let msec = self.0 % 1000;
        let sec = self.0 / 1000;
        let (hrs, min, sec) = (sec / 3600, sec / 60 % 60, sec % 60);
        write!(f, "{hrs:02}:{min:02}:{sec:02}.{msec:03}")
    }
}

// ---------------------------------------------------------------------------
// IGMP (print-igmp.c)

fn igmp_print(c: &mut Ctx, d: &[u8], len: u32) -> R {
    c.proto = "igmp";
    let t = u8_at(d, 0)?;
    match t {
        0x11 => {
            c.s("igmp query");
            if len >= 12 {
                c.s(" v3");
                if len & 3 != 0 {
                    w!(c, " [invalid len {len}]");
                    return Ok(());
                }
                let mrc = u32::from(u8_at(d, 1)?);
                let mrt = if mrc < 128 { mrc } else { ((mrc & 0x0f) | 0x10) << (((mrc & 0x70) >> 4) + 3) };
                if mrc != 100 {
                    c.s(" [max resp time ");
                    if mrt < 600 {
                        w!(c, "{}.{}s", mrt / 10, mrt % 10);
                    } else {
                        relts(c, mrt / 10);
                    }
                    c.s("]");
                }
                let group: [u8; 4] = bytes(d, 4)?;
                if group == [0; 4] {
                    return Ok(());
                }
                w!(c, " [gaddr {}", Ip4(&group));
                let nsrcs = u32::from(be16(d, 10)?);
                if nsrcs > 0 {
                    if len < 12 + (nsrcs << 2) {
                        c.s(" [invalid number of sources]");
                    } else {
                        w!(c, ", {nsrcs} source(s)");
                    }
                }
                c.s("]");
            } else {
                let mrt = u8_at(d, 1)?;
                if mrt != 0 {
                    c.s(" v2");
                    if mrt != 100 {
                        w!(c, " [max resp time {mrt}]");
                    }
                } else {
                    c.s(" v1");
                }
                let group: [u8; 4] = bytes(d, 4)?;
                if group != [0; 4] {
                    w!(c, " [gaddr {}]", Ip4(&group));
                }
                if len != 8 {
                    w!(c, " [len {len}]");
                }
            }
        }
        0x12 => {
            let a: [u8; 4] = bytes(d, 4)?;
            w!(c, "igmp v1 report {}", Ip4(&a));
            if len != 8 {
                w!(c, " [len {len}]");
            }
        }
        0x16 => {
            let a: [u8; 4] = bytes(d, 4)?;
            w!(c, "igmp v2 report {}", Ip4(&a));
        }
        0x22 => {
            c.s("igmp v3 report");
            if len < 16 || len & 3 != 0 {
                w!(c, " [invalid len {len}]");
                return Ok(());
            }
            w!(c, ", {} group record(s)", be16(d, 6)?);
        }
        0x17 => {
            let a: [u8; 4] = bytes(d, 4)?;
            w!(c, "igmp leave {}", Ip4(&a));
        }
        // DIVERGENCE: DVMRP and PIMv1 bodies are not decoded.
        0x13 => c.s("igmp dvmrp"),
        0x14 => c.s("igmp pimv1"),
        0x1e | 0x1f => {
            if len < 24 {
                w!(c, " [invalid len {len}]");
                return Ok(());
            }
            let name = if t == 0x1e { "mresp" } else { "mtrace" };
            let (src, dst, raddr): ([u8; 4], [u8; 4], [u8; 4]) = (bytes(d, 8)?, bytes(d, 12)?, bytes(d, 16)?);
            let qid = be24(d, 21)?;
            w!(c, "{name} {qid}: {} to {} reply-to {}", Ip4(&src), Ip4(&dst), Ip4(&raddr));
            if raddr[0] & 0xf0 == 0xe0 {
                w!(c, " with-ttl {}", u8_at(d, 20)?);
            }
        }
        _ => w!(c, "igmp-{t}"),
    }
    Ok(())
}

/// `unsigned_relts_print`: seconds as `1h2m3s`.
fn relts(c: &mut Ctx, mut secs: u32) {
    const UNITS: [(u32, &str); 6] =
        [(31_536_000, "y"), (604_800, "w"), (86_400, "d"), (3600, "h"), (60, "m"), (1, "s")];
    if secs == 0 {
        c.s("0s");
        return;
    }
    for (n, unit) in UNITS {
        if secs >= n {
            w!(c, "{}{unit}", secs / n);
            secs %= n;
        }
    }
}

// ---------------------------------------------------------------------------
// ICMPv6 (print-icmp6.c)

static ICMP6_TYPE_NAMES: &[(u32, &str)] = &[
    (1, "destination unreachable"),
    (2, "packet too big"),
    (3, "time exceeded in-transit"),
    (4, "parameter problem"),
    (128, "echo request"),
    (129, "echo reply"),
    (130, "multicast listener query"),
    (131, "multicast listener report"),
    (132, "multicast listener done"),
    (133, "router solicitation"),
    (134, "router advertisement"),
    (135, "neighbor solicitation"),
    (136, "neighbor advertisement"),
    (137, "redirect"),
    (138, "router renumbering"),
    (141, "inverse neighbor solicitation"),
    (142, "inverse neighbor advertisement"),
    (143, "multicast listener report v2"),
    (144, "ha discovery request"),
    (145, "ha discovery reply"),
    (146, "mobile router solicitation"),
    (147, "mobile router advertisement"),
    (139, "who-are-you request"),
    (140, "who-are-you reply"),
    (201, "mtrace message"),
    (200, "mtrace response"),
    (155, "RPL"),
];

static ICMP6_UNREACH_NAMES: &[(u32, &str)] = &[
    (0, "unreachable route"),
    (1, " unreachable prohibited"),
    (2, "beyond scope"),
    (3, "unreachable address"),
    (4, "unreachable port"),
];

fn ip6_at(d: &[u8], i: usize) -> R<[u8; 16]> {
    bytes(d, i)
}

fn icmp6_print(c: &mut Ctx, d: &[u8], length: u32) -> R {
    c.proto = "icmp6";
    if length == 0 {
        c.s("ICMP6, length 0 (invalid)");
        return Ok(());
    }
    let t = u8_at(d, 0)?;
    match tok(ICMP6_TYPE_NAMES, u32::from(t)) {
        Some(n) => w!(c, "ICMP6, {n}"),
        None => w!(c, "ICMP6, unknown icmp6 type ({t})"),
    }
    let code = u8_at(d, 1)?;
    match t {
        1 => {
            match tok(ICMP6_UNREACH_NAMES, u32::from(code)) {
                Some(n) => w!(c, ", {n}"),
                None => w!(c, ", unknown unreach code ({code})"),
            }
            match code {
                0 | 1 | 3 => w!(c, " {}", Ip6(&ip6_at(d, 32)?)),
                2 => {
                    let (dst, src) = (ip6_at(d, 32)?, ip6_at(d, 16)?);
                    w!(c, " {}, source address {}", Ip6(&dst), Ip6(&src));
                }
                4 => {
                    let Some((prot, off)) = upper_layer(d, 8) else {
                        return Err(Trunc);
                    };
                    let dport = be16(d, off + 2)?;
                    let dst = ip6_at(d, 32)?;
                    match prot {
                        IPPROTO_TCP => w!(c, ", {} tcp port {}", Ip6(&dst), c.tport(dport)),
                        IPPROTO_UDP => w!(c, ", {} udp port {}", Ip6(&dst), c.uport(dport)),
                        _ => w!(c, ", {} protocol {prot} port {dport} unreachable", Ip6(&dst)),
                    }
                }
                _ => {
                    hex_only(c.out, clamp(d, length as usize));
                    return Ok(());
                }
            }
        }
        2 => w!(c, ", mtu {}", be32(d, 4)?),
        3 => match code {
            0 => w!(c, " for {}", Ip6(&ip6_at(d, 32)?)),
            1 => c.s(" (reassembly)"),
            _ => w!(c, ", unknown code ({code})"),
        },
        4 => {
            if !has(d, 32, 16) {
                return Err(Trunc);
            }
            let ptr = be32(d, 4)?;
            match code {
                0 => w!(c, ", erroneous - octet {ptr}"),
                1 => w!(c, ", next header - octet {ptr}"),
                2 => w!(c, ", option - octet {ptr}"),
                3 => w!(c, ", incomplete header chain - octet {ptr}"),
                _ => w!(c, ", code-#{code}"),
            }
        }
        128 | 129 => w!(c, ", id {}, seq {}", be16(d, 4)?, be16(d, 6)?),
        130 => {
            if length == 24 {
                mld6_print(c, d)?;
            } else if length >= 28 {
                c.s(" v2");
                mldv2_query_print(c, d, length)?;
            } else {
                w!(c, " unknown-version (len {length}) ");
            }
        }
        131 | 132 => mld6_print(c, d)?,
        133 | 134 | 141 | 142 | 145 | 147 => {}
        135 => w!(c, ", who has {}", Ip6(&ip6_at(d, 8)?)),
        136 => w!(c, ", tgt is {}", Ip6(&ip6_at(d, 8)?)),
        137 => {
            w!(c, ", {}", Ip6(&ip6_at(d, 24)?));
            w!(c, " to {}", Ip6(&ip6_at(d, 8)?));
        }
        143 => {
            if length < 8 {
                w!(c, " [invalid len {length}]");
            } else {
                w!(c, ", {} group record(s)", be16(d, 6)?);
            }
        }
        144 | 146 => w!(c, ", id 0x{:04x}", be16(d, 4)?),
        // DIVERGENCE: router renumbering, node information and RPL bodies
        // are not decoded.
        138..=140 | 155 => {}
        _ => {
            w!(c, ", length {length}");
            hex_only(c.out, clamp(d, length as usize));
            return Ok(());
        }
    }
    w!(c, ", length {length}");
    Ok(())
}

/// `get_upperlayer`: the transport header quoted in an ICMPv6 error, as
/// (protocol, offset of its header), walking extension headers.
fn upper_layer(d: &[u8], start: usize) -> Option<(u8, usize)> {
    let mut nh = *d.get(start + 6)?;
    let mut bp = start;
    let mut hlen = 40usize;
    while bp < d.len() {
        bp += hlen;
        match nh {
            IPPROTO_UDP | IPPROTO_TCP => {
                return if has(d, bp + 2, 2) { Some((nh, bp)) } else { None };
            }
            0 | 60 | 43 => {
                let l = *d.get(bp + 1)?;
                nh = *d.get(bp)?;
                hlen = (usize::from(l) + 1) << 3;
            }
            44 => {
                let offlg = u16::from_be_bytes([*d.get(bp + 2)?, *d.get(bp + 3)?]);
                if offlg & 0xfff8 != 0 {
                    return None;
                }
                nh = *d.get(bp)?;
                hlen = 8;
            }
            51 => {
                let l = *d.get(bp + 1)?;
                nh = *d.get(bp)?;
                hlen = (usize::from(l) + 2) << 2;
            }
            _ => return None,
        }
    }
    None
}

fn mld6_print(c: &mut Ctx, d: &[u8]) -> R {
    if d.len() < 24 {
        return Ok(());
    }
    w!(c, "max resp delay: {} ", be16(d, 4)?);
    w!(c, "addr: {}", Ip6(&ip6_at(d, 8)?));
    Ok(())
}

fn mldv2_query_print(c: &mut Ctx, d: &[u8], len: u32) -> R {
    if len < 28 {
        w!(c, " [invalid len {len}]");
        return Ok(());
    }
    be16(d, 4)?;
    w!(c, " [gaddr {}", Ip6(&ip6_at(d, 8)?));
    let nsrcs = u32::from(be16(d, 26)?);
    if nsrcs > 0 {
        if len < 28 + nsrcs * 16 {
            c.s(" [invalid number of sources]");
        } else {
            w!(c, ", {nsrcs} source(s)");
        }
    }
    c.s("]");
    Ok(())
}

// ---------------------------------------------------------------------------
// Name tables.

/// `oui_values` of tcpdump's oui.c (first match wins).
static OUI_NAMES: &[(u32, &str)] = &[
    (0x000000, "Ethernet"),
    (0x00000c, "Cisco"),
    (0x00005e, "IANA"),
    (0x000081, "Nortel Networks SONMP"),
    (0x0000f8, "Cisco bridged"),
    (0x0080c2, "Ethernet bridged"),
    (0x00a03e, "ATM Forum"),
    (0x00e02f, "DOCSIS Spanning Tree"),
    (0x080007, "Appletalk"),
    (0x009069, "Juniper"),
    (0x080009, "Hewlett-Packard"),
    (0x00120f, "IEEE 802.3 Private"),
    (0x0012bb, "ANSI/TIA"),
    (0x001b21, "DCBX"),
    (0x002320, "Nicira Networks"),
    (0x5c16c7, "Big Switch Networks"),
    (0xb0d2f5, "Vello Systems"),
    (0x002481, "HP"),
    (0x0004ea, "HP-Labs"),
    (0x748771, "Infoblox Inc"),
    (0xa42305, "Open Networking Lab"),
    (0x00049f, "Freescale"),
    (0x0015ad, "Netronome"),
    (0x001018, "Broadcom"),
    (0x00e004, "PMC-Sierra"),
    (0xd0f0db, "Ericsson"),
];
/// Protocol names tcpdump prints without `-n` (`netdb_protoname`, ipproto.c of tcpdump 4.99.3).
static NETDB_PROTO_NAMES: &[(u8, &str)] = &[
    (0, "hopopt"),
    (1, "icmp"),
    (2, "igmp"),
    (3, "ggp"),
    (4, "ipencap"),
    (5, "st"),
    (6, "tcp"),
    (7, "cbt"),
    (8, "egp"),
    (9, "igp"),
    (10, "bbn-rcc-mon"),
    (11, "nvp-ii"),
    (12, "pup"),
    (13, "argus"),
    (14, "emcon"),
    (15, "xnet"),
    (16, "chaos"),
    (17, "udp"),
    (18, "mux"),
    (19, "dcn-meas"),
    (20, "hmp"),
    (21, "prm"),
    (22, "xns-idp"),
    (23, "trunk-1"),
    (24, "trunk-2"),
    (25, "leaf-1"),
    (26, "leaf-2"),
    (27, "rdp"),
    (28, "irtp"),
    (29, "iso-tp4"),
    (30, "netblt"),
    (31, "mfe-nsp"),
    (32, "merit-inp"),
    (33, "dccp"),
    (34, "3pc"),
    (35, "idpr"),
    (36, "xtp"),
    (37, "ddp"),
    (38, "idpr-cmtp"),
    (39, "tp++"),
    (40, "il"),
    (41, "ipv6"),
    (42, "sdrp"),
    (43, "ipv6-route"),
    (44, "ipv6-frag"),
    (45, "idrp"),
    (46, "rsvp"),
    (47, "gre"),
    (48, "dsr"),
    (49, "bna"),
    (50, "esp"),
    (51, "ah"),
    (52, "i-nlsp"),
    (53, "swipe"),
    (54, "narp"),
    (55, "mobile"),
    (56, "tlsp"),
    (57, "skip"),
    (58, "ipv6-icmp"),
    (59, "ipv6-nonxt"),
    (60, "ipv6-opts"),
    (62, "cftp"),
    (64, "sat-expak"),
    (65, "kryptolan"),
    (66, "rvd"),
    (67, "ippc"),
    (69, "sat-mon"),
    (70, "visa"),
    (71, "ipcv"),
    (72, "cpnx"),
    (73, "rspf"),
    (74, "wsn"),
    (75, "pvp"),
    (76, "br-sat-mon"),
    (77, "sun-nd"),
    (78, "wb-mon"),
    (79, "wb-expak"),
    (80, "iso-ip"),
    (81, "vmtp"),
    (82, "secure-vmtp"),
    (83, "vines"),
    (84, "ttp"),
    (85, "nsfnet-igp"),
    (86, "dgp"),
    (87, "tcf"),
    (88, "eigrp"),
    (89, "ospf"),
    (90, "sprite-rpc"),
    (91, "larp"),
    (92, "mtp"),
    (93, "ax.25"),
    (94, "ipip"),
    (95, "micp"),
    (96, "scc-sp"),
    (97, "etherip"),
    (98, "encap"),
    (100, "gmtp"),
    (101, "ifmp"),
    (102, "pnni"),
    (103, "pim"),
    (104, "aris"),
    (105, "scps"),
    (106, "qnx"),
    (107, "a/n"),
    (108, "ipcomp"),
    (109, "snp"),
    (110, "compaq-peer"),
    (111, "ipx-in-ip"),
    (112, "vrrp"),
    (113, "pgm"),
    (115, "l2tp"),
    (116, "ddx"),
    (117, "iatp"),
    (118, "stp"),
    (119, "srp"),
    (120, "uti"),
    (121, "smp"),
    (122, "sm"),
    (123, "ptp"),
    (124, "isis"),
    (125, "fire"),
    (126, "crtp"),
    (127, "crudp"),
    (128, "sscopmce"),
    (129, "iplt"),
    (130, "sps"),
    (131, "pipe"),
    (132, "sctp"),
    (133, "fc"),
    (134, "rsvp-e2e-ignore"),
    (135, "mobility-header"),
    (136, "udplite"),
    (137, "mpls-in-ip"),
    (138, "manet"),
    (139, "hip"),
    (140, "shim6"),
    (141, "wesp"),
    (142, "rohc"),
    (253, "exptest-253"),
    (254, "exptest-254"),
    (255, "reserved"),
];
/// TCP port names from /etc/services (Debian netbase) as tcpdump prints them without `-n`.
pub(crate) static TCP_SERVICES: &[(u16, &str)] = &[
    (1, "tcpmux"),
    (7, "echo"),
    (9, "discard"),
    (11, "systat"),
    (13, "daytime"),
    (15, "netstat"),
    (17, "qotd"),
    (19, "chargen"),
    (20, "ftp-data"),
    (21, "ftp"),
    (22, "ssh"),
    (23, "telnet"),
    (25, "smtp"),
    (37, "time"),
    (43, "whois"),
    (49, "tacacs"),
    (53, "domain"),
    (70, "gopher"),
    (79, "finger"),
    (80, "http"),
    (88, "kerberos"),
    (102, "iso-tsap"),
    (104, "acr-nema"),
    (106, "poppassd"),
    (110, "pop3"),
    (111, "sunrpc"),
    (113, "auth"),
    (119, "nntp"),
    (135, "epmap"),
    (139, "netbios-ssn"),
    (143, "imap2"),
    (161, "snmp"),
    (162, "snmp-trap"),
    (163, "cmip-man"),
    (164, "cmip-agent"),
    (174, "mailq"),
    (179, "bgp"),
    (199, "smux"),
    (209, "qmtp"),
    (210, "z3950"),
    (345, "pawserv"),
    (346, "zserv"),
    (369, "rpc2portmap"),
    (370, "codaauth2"),
    (389, "ldap"),
    (427, "svrloc"),
    (443, "https"),
    (444, "snpp"),
    (445, "microsoft-ds"),
    (464, "kpasswd"),
    (465, "submissions"),
    (487, "saft"),
    (512, "exec"),
    (513, "login"),
    (514, "shell"),
    (515, "printer"),
    (538, "gdomap"),
    (540, "uucp"),
    (543, "klogin"),
    (544, "kshell"),
    (548, "afpovertcp"),
    (554, "rtsp"),
    (563, "nntps"),
    (587, "submission"),
    (607, "nqs"),
    (628, "qmqp"),
    (631, "ipp"),
    (636, "ldaps"),
    (646, "ldp"),
    (655, "tinc"),
    (706, "silc"),
    (749, "kerberos-adm"),
    (750, "kerberos4"),
    (751, "kerberos-master"),
    (754, "krb-prop"),
    (775, "moira-db"),
    (777, "moira-update"),
    (783, "spamd"),
    (853, "domain-s"),
    (871, "supfilesrv"),
    (873, "rsync"),
    (989, "ftps-data"),
    (990, "ftps"),
    (992, "telnets"),
    (993, "imaps"),
    (995, "pop3s"),
    (1080, "socks"),
    (1093, "proofd"),
    (1094, "rootd"),
    (1099, "rmiregistry"),
    (1127, "supfiledbg"),
    (1178, "skkserv"),
    (1194, "openvpn"),
    (1236, "rmtcfg"),
    (1313, "xtel"),
    (1314, "xtelw"),
    (1352, "lotusnote"),
    (1433, "ms-sql-s"),
    (1524, "ingreslock"),
    (1645, "datametrics"),
    (1646, "sa-msg-port"),
    (1649, "kermit"),
    (1677, "groupwise"),
    (1812, "radius"),
    (1813, "radius-acct"),
    (2000, "cisco-sccp"),
    (2049, "nfs"),
    (2086, "gnunet"),
    (2101, "rtcm-sc104"),
    (2119, "gsigatekeeper"),
    (2121, "iprop"),
    (2135, "gris"),
    (2401, "cvspserver"),
    (2430, "venus"),
    (2431, "venus-se"),
    (2432, "codasrv"),
    (2433, "codasrv-se"),
    (2583, "mon"),
    (2600, "zebrasrv"),
    (2601, "zebra"),
    (2602, "ripd"),
    (2603, "ripngd"),
    (2604, "ospfd"),
    (2605, "bgpd"),
    (2606, "ospf6d"),
    (2607, "ospfapi"),
    (2608, "isisd"),
    (2628, "dict"),
    (2792, "f5-globalsite"),
    (2811, "gsiftp"),
    (2947, "gpsd"),
    (3050, "gds-db"),
    (3205, "isns"),
    (3260, "iscsi-target"),
    (3306, "mysql"),
    (3389, "ms-wbt-server"),
    (3493, "nut"),
    (3632, "distcc"),
    (3689, "daap"),
    (3690, "svn"),
    (4031, "suucp"),
    (4094, "sysrqd"),
    (4190, "sieve"),
    (4353, "f5-iquery"),
    (4369, "epmd"),
    (4373, "remctl"),
    (4460, "ntske"),
    (4557, "fax"),
    (4559, "hylafax"),
    (4691, "mtn"),
    (4899, "radmin-port"),
    (4949, "munin"),
    (5060, "sip"),
    (5061, "sip-tls"),
    (5222, "xmpp-client"),
    (5269, "xmpp-server"),
    (5308, "cfengine"),
    (5432, "postgresql"),
    (5556, "freeciv"),
    (5666, "nrpe"),
    (5667, "nsca"),
    (5671, "amqps"),
    (5672, "amqp"),
    (5680, "canna"),
    (6000, "x11"),
    (6001, "x11-1"),
    (6002, "x11-2"),
    (6003, "x11-3"),
    (6004, "x11-4"),
    (6005, "x11-5"),
    (6006, "x11-6"),
    (6007, "x11-7"),
    (6346, "gnutella-svc"),
    (6347, "gnutella-rtr"),
    (6379, "redis"),
    (6444, "sge-qmaster"),
    (6445, "sge-execd"),
    (6446, "mysql-proxy"),
    (6514, "syslog-tls"),
    (6566, "sane-port"),
    (6667, "ircd"),
    (6697, "ircs-u"),
    (7000, "bbs"),
    (7100, "font-service"),
    (8021, "zope-ftp"),
    (8080, "http-alt"),
    (8081, "tproxy"),
    (8088, "omniorb"),
    (8140, "puppet"),
    (8990, "clc-build-daemon"),
    (9098, "xinetd"),
    (9101, "bacula-dir"),
    (9102, "bacula-fd"),
    (9103, "bacula-sd"),
    (9418, "git"),
    (9667, "xmms2"),
    (9673, "zope"),
    (10000, "webmin"),
    (10050, "zabbix-agent"),
    (10051, "zabbix-trapper"),
    (10080, "amanda"),
    (10081, "kamanda"),
    (10082, "amandaidx"),
    (10083, "amidxtape"),
    (10809, "nbd"),
    (11112, "dicom"),
    (11371, "hkp"),
    (17004, "sgi-cad"),
    (17500, "db-lsp"),
    (22125, "dcap"),
    (22128, "gsidcap"),
    (22273, "wnn6"),
    (24554, "binkp"),
    (27374, "asp"),
    (30865, "csync2"),
    (57000, "dircproxy"),
    (60177, "tfido"),
    (60179, "fido"),
];
/// UDP port names from /etc/services (Debian netbase) as tcpdump prints them without `-n`.
pub(crate) static UDP_SERVICES: &[(u16, &str)] = &[
    (7, "echo"),
    (9, "discard"),
    (13, "daytime"),
    (19, "chargen"),
    (21, "fsp"),
    (37, "time"),
    (49, "tacacs"),
    (53, "domain"),
    (67, "bootps"),
    (68, "bootpc"),
    (69, "tftp"),
    (88, "kerberos"),
    (111, "sunrpc"),
    (123, "ntp"),
    (137, "netbios-ns"),
    (138, "netbios-dgm"),
    (161, "snmp"),
    (162, "snmp-trap"),
    (163, "cmip-man"),
    (164, "cmip-agent"),
    (177, "xdmcp"),
    (213, "ipx"),
    (319, "ptp-event"),
    (320, "ptp-general"),
    (369, "rpc2portmap"),
    (370, "codaauth2"),
    (371, "clearcase"),
    (389, "ldap"),
    (427, "svrloc"),
    (443, "https"),
    (464, "kpasswd"),
    (500, "isakmp"),
    (512, "biff"),
    (513, "who"),
    (514, "syslog"),
    (517, "talk"),
    (518, "ntalk"),
    (520, "route"),
    (538, "gdomap"),
    (546, "dhcpv6-client"),
    (547, "dhcpv6-server"),
    (554, "rtsp"),
    (623, "asf-rmcp"),
    (636, "ldaps"),
    (646, "ldp"),
    (655, "tinc"),
    (750, "kerberos4"),
    (751, "kerberos-master"),
    (752, "passwd-server"),
    (779, "moira-ureg"),
    (853, "domain-s"),
    (1194, "openvpn"),
    (1210, "predict"),
    (1434, "ms-sql-m"),
    (1645, "datametrics"),
    (1646, "sa-msg-port"),
    (1701, "l2f"),
    (1812, "radius"),
    (1813, "radius-acct"),
    (2049, "nfs"),
    (2086, "gnunet"),
    (2101, "rtcm-sc104"),
    (2102, "zephyr-srv"),
    (2103, "zephyr-clt"),
    (2104, "zephyr-hm"),
    (2430, "venus"),
    (2431, "venus-se"),
    (2432, "codasrv"),
    (2433, "codasrv-se"),
    (2583, "mon"),
    (3130, "icpv2"),
    (3205, "isns"),
    (3493, "nut"),
    (4500, "ipsec-nat-t"),
    (4569, "iax"),
    (5060, "sip"),
    (5061, "sip-tls"),
    (5353, "mdns"),
    (5555, "rplay"),
    (6346, "gnutella-svc"),
    (6347, "gnutella-rtr"),
    (6696, "babel"),
    (7000, "afs3-fileserver"),
    (7001, "afs3-callback"),
    (7002, "afs3-prserver"),
    (7003, "afs3-vlserver"),
    (7004, "afs3-kaserver"),
    (7005, "afs3-volser"),
    (7007, "afs3-bos"),
    (7008, "afs3-update"),
    (7009, "afs3-rmtsys"),
    (17001, "sgi-cmsd"),
    (17002, "sgi-crsd"),
    (17003, "sgi-gcd"),
    (27374, "asp"),
];

#[cfg(test)]
mod tests {
    //! Expected strings were printed by the real tcpdump 4.99.3 (`TZ=UTC
    //! tcpdump -r`) for the same frames written with `PcapWriter`.

    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex")).collect()
    }

    const ARP_REQ: &str = "ffffffffffffa2c7e510ef8a08060001080006040001a2c7e510ef8ac0a80101000000000000c0a80102";
    const ARP_REP: &str = "a2c7e510ef8aa23ed037594408060001080006040002a23ed0375944c0a80102a2c7e510ef8ac0a80101";
    const PING: &str = "a23ed0375944a2c7e510ef8a080045000054000140004001b754c0a80101c0a8010208009a93081600015555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555";
    const PORT_UNREACH: &str = "a2c7e510ef8aa23ed0375944080045000038000300004001f76ec0a80102c0a801010303607b0000000045000020000700004011af1bc0a801010a0000029c400035000c0000";
    const TIME_EXCEEDED: &str = "a2c7e510ef8aa23ed0375944080045000038000300004001f76ec0a80102c0a801010b00587e0000000045000020000700004011af1bc0a801010a0000029c400035000c0000";
    const UDP: &str = "a23ed0375944a2c7e510ef8a080045000021000940004011b76fc0a80101c0a801029c40270f000d000068656c6c6f";
    const MLD2: &str = "333300000016a23ed037594486dd600000000024000100000000000000000000000000000000ff0200000000000000000000000000163a000502000001008f0000000000000104000000ff0200000000000000000001ff10ef8a";
    const NS: &str = "3333ff10ef8aa2c7e510ef8a86dd6000000000183aff00000000000000000000000000000000ff0200000000000000000001ff10ef8a8700000000000000fe80000000000000a0c7e5fffe10ef8a";
    const RS: &str = "333300000002a2c7e510ef8a86dd6000000000103afffe80000000000000a0c7e5fffe10ef8aff02000000000000000000000000000285000000000000000101a2c7e510ef8a";
    const SYN: &str = "a23ed0375944a2c7e510ef8a08004500003c00014000400626b90a0000010a000002a8ca1f90000003e800000000a002faf000000000020405b40402080a000001000000000001030307";
    const SYNACK: &str = "a2c7e510ef8aa23ed037594408004500003c00004000400626ba0a0000020a0000011f90a8ca00001388000003e9a012fe8800000000020405b40402080a000002000000010001030307";
    const ACK: &str = "a23ed0375944a2c7e510ef8a08004500003400024000400626c00a0000010a000002a8ca1f90000003e900001389801001f6000000000101080a0000010100000200";
    const DATA: &str = "a23ed0375944a2c7e510ef8a08004500004f00034000400626a40a0000010a000002a8ca1f90000003e900001389801801f6000000000101080a0000010100000200474554202f20485454502f312e310d0a486f73743a20780d0a0d0a";

    fn print(opts: TcpdumpOpts, frames: &[&str]) -> String {
        let mut p = Printer::new(opts);
        let mut out = String::new();
        for f in frames {
            p.frame(&mut out, 1_684_400_000_123_456_789, &hex(f));
        }
        out
    }

    const N: TcpdumpOpts = TcpdumpOpts { link_header: false, numeric: 1, timestamp: TsFormat::None, verbose: 0 };
    const NNE: TcpdumpOpts = TcpdumpOpts { link_header: true, numeric: 2, timestamp: TsFormat::None, verbose: 0 };

    #[test]
    fn arp_with_and_without_link_header() {
        // Proves the ARP request/reply wording, the "ARP, " prefix without -e
        // and the -e header (MACs, ethertype, frame length 42, ARP length 28).
        assert_eq!(
            print(N, &[ARP_REQ, ARP_REP]),
            "ARP, Request who-has 192.168.1.2 tell 192.168.1.1, length 28\n\
             ARP, Reply 192.168.1.2 is-at a2:3e:d0:37:59:44, length 28\n"
        );
        assert_eq!(
            print(NNE, &[ARP_REQ, ARP_REP]),
            "a2:c7:e5:10:ef:8a > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), length 42: Request who-has 192.168.1.2 tell 192.168.1.1, length 28\n\
             a2:3e:d0:37:59:44 > a2:c7:e5:10:ef:8a, ethertype ARP (0x0806), length 42: Reply 192.168.1.2 is-at a2:3e:d0:37:59:44, length 28\n"
        );
    }

    #[test]
    fn icmp_echo_and_errors() {
        // Proves echo, port unreachable (quoting the inner UDP port) and time
        // exceeded, with the "IP " prefix only without -e.
        assert_eq!(
            print(N, &[PING, PORT_UNREACH, TIME_EXCEEDED]),
            "IP 192.168.1.1 > 192.168.1.2: ICMP echo request, id 2070, seq 1, length 64\n\
             IP 192.168.1.2 > 192.168.1.1: ICMP 10.0.0.2 udp port 53 unreachable, length 36\n\
             IP 192.168.1.2 > 192.168.1.1: ICMP time exceeded in-transit, length 36\n"
        );
        assert_eq!(
            print(NNE, &[PING]),
            "a2:c7:e5:10:ef:8a > a2:3e:d0:37:59:44, ethertype IPv4 (0x0800), length 98: 192.168.1.1 > 192.168.1.2: ICMP echo request, id 2070, seq 1, length 64\n"
        );
    }

    #[test]
    fn udp_and_names_mode() {
        // Proves the UDP summary, and that names mode (no -n) names ports
        // and MAC vendors like tcpdump without -n.
        assert_eq!(print(N, &[UDP]), "IP 192.168.1.1.40000 > 192.168.1.2.9999: UDP, length 5\n");
        let names = TcpdumpOpts { link_header: true, numeric: 0, ..N };
        assert_eq!(
            print(names, &[ARP_REQ, SYN]),
            "a2:c7:e5:10:ef:8a (oui Unknown) > Broadcast, ethertype ARP (0x0806), length 42: Request who-has 192.168.1.2 tell 192.168.1.1, length 28\n\
             a2:c7:e5:10:ef:8a (oui Unknown) > a2:3e:d0:37:59:44 (oui Unknown), ethertype IPv4 (0x0800), length 74: 10.0.0.1.43210 > 10.0.0.2.http-alt: Flags [S], seq 1000, win 64240, options [mss 1460,sackOK,TS val 256 ecr 0,nop,wscale 7], length 0\n"
        );
    }

    #[test]
    fn ipv6_neighbor_discovery_and_mld() {
        // Proves the IPv6 lines of a real interface bring-up (from a capture
        // on this machine): MLDv2 report behind a hop-by-hop header, neighbor
        // and router solicitation.
        assert_eq!(
            print(NNE, &[MLD2, NS, RS]),
            "a2:3e:d0:37:59:44 > 33:33:00:00:00:16, ethertype IPv6 (0x86dd), length 90: :: > ff02::16: HBH ICMP6, multicast listener report v2, 1 group record(s), length 28\n\
             a2:c7:e5:10:ef:8a > 33:33:ff:10:ef:8a, ethertype IPv6 (0x86dd), length 78: :: > ff02::1:ff10:ef8a: ICMP6, neighbor solicitation, who has fe80::a0c7:e5ff:fe10:ef8a, length 24\n\
             a2:c7:e5:10:ef:8a > 33:33:00:00:00:02, ethertype IPv6 (0x86dd), length 70: fe80::a0c7:e5ff:fe10:ef8a > ff02::2: ICMP6, router solicitation, length 16\n"
        );
    }

    #[test]
    fn tcp_relative_sequence_numbers() {
        // Proves tcpdump's per-connection state: the SYN and SYN-ACK print
        // absolute numbers, later segments print them relative to the ISNs.
        assert_eq!(
            print(N, &[SYN, SYNACK, ACK, DATA]),
            "IP 10.0.0.1.43210 > 10.0.0.2.8080: Flags [S], seq 1000, win 64240, options [mss 1460,sackOK,TS val 256 ecr 0,nop,wscale 7], length 0\n\
             IP 10.0.0.2.8080 > 10.0.0.1.43210: Flags [S.], seq 5000, ack 1001, win 65160, options [mss 1460,sackOK,TS val 512 ecr 256,nop,wscale 7], length 0\n\
             IP 10.0.0.1.43210 > 10.0.0.2.8080: Flags [.], ack 1, win 502, options [nop,nop,TS val 257 ecr 512], length 0\n\
             IP 10.0.0.1.43210 > 10.0.0.2.8080: Flags [P.], seq 1:28, ack 1, win 502, options [nop,nop,TS val 257 ecr 512], length 27: HTTP: GET / HTTP/1.1\n"
        );
        // One frame alone (format_frame has no history): absolute numbers.
        let mut one = String::new();
        format_frame(&mut one, 0, &hex(ACK), &N);
        assert_eq!(
            one,
            "IP 10.0.0.1.43210 > 10.0.0.2.8080: Flags [.], ack 5001, win 502, options [nop,nop,TS val 257 ecr 512], length 0\n"
        );
    }

    #[test]
    fn unknown_ethertype_and_truncation() {
        // Proves unknown ethertypes print the MACs and a hex dump even
        // without -e, and that short frames end in tcpdump's " [|proto]".
        let unknown = "a23ed0375944a2c7e510ef8a123430313233";
        assert_eq!(
            print(N, &[unknown]),
            "a2:c7:e5:10:ef:8a > a2:3e:d0:37:59:44, ethertype Unknown (0x1234), length 18: \n\t0x0000:  3031 3233                                0123\n"
        );
        assert_eq!(print(N, &["010203"]), " [|ether]\n");
        assert_eq!(print(N, &[&ARP_REQ[..40]]), " [|arp]\n");
        assert_eq!(print(N, &[&PING[..52]]), "IP  [|ip]\n");
        let mut empty = String::new();
        Printer::new(N).frame(&mut empty, 0, &[]);
        assert_eq!(empty, "[Invalid header: caplen==0, len==0]\n");
    }

    #[test]
    fn timestamp_formats() {
        // Proves -t, -tt, -tttt, the default (UTC) and the two relative
        // formats, including the sign of a step backwards, as tcpdump printed
        // them for the same times (nanoseconds truncated to microseconds).
        let times = [
            1_684_400_000_123_456_789u64,
            1_684_400_000_999_999_000,
            1_684_486_400_777_777_000,
            1_684_400_000_000_001_000,
        ];
        let line = |fmt: TsFormat| {
            let mut p = Printer::new(TcpdumpOpts { timestamp: fmt, ..N });
            times
                .iter()
                .map(|&t| {
                    let mut s = String::new();
                    p.frame(&mut s, t, &hex(ARP_REQ));
                    s.split("ARP").next().unwrap_or_default().trim_end_matches(' ').to_owned()
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(
            line(TsFormat::Default),
            ["08:53:20.123456", "08:53:20.999999", "08:53:20.777777", "08:53:20.000001"]
        );
        assert_eq!(
            line(TsFormat::Epoch),
            ["1684400000.123456", "1684400000.999999", "1684486400.777777", "1684400000.000001"]
        );
        assert_eq!(
            line(TsFormat::DateTime),
            [
                "2023-05-18 08:53:20.123456",
                "2023-05-18 08:53:20.999999",
                "2023-05-19 08:53:20.777777",
                "2023-05-18 08:53:20.000001"
            ]
        );
        assert_eq!(
            line(TsFormat::Delta),
            [" 00:00:00.000000", " 00:00:00.876543", " 23:59:59.777778", "-00:00:00.777776"]
        );
        assert_eq!(
            line(TsFormat::SinceFirst),
            [" 00:00:00.000000", " 00:00:00.876543", " 00:00:00.654321", "-00:00:00.123455"]
        );
        assert_eq!(line(TsFormat::None), ["", "", "", ""]);
    }

    #[test]
    fn ipv6_address_forms() {
        // Proves tcpdump's own IPv6 text form (addrtostr6): embedded IPv4 for
        // ::a.b.c.d and ::ffff:a.b.c.d, the first longest zero run, no :: for
        // a single zero word.
        let cases: [(&str, &str); 6] = [
            ("::1", "::1"),
            ("::ffff:10.0.0.1", "::ffff:10.0.0.1"),
            ("::10.0.0.1", "::10.0.0.1"),
            ("1:0:0:2:0:0:0:1", "1:0:0:2::1"),
            ("1:0:0:1:0:0:1:0", "1::1:0:0:1:0"),
            ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),
        ];
        for (addr, want) in cases {
            let a: std::net::Ipv6Addr = addr.parse().expect("valid");
            assert_eq!(Ip6(&a.octets()).to_string(), want, "{addr}");
        }
    }

    #[test]
    fn deep_encapsulation_is_bounded() {
        // Proves a frame of hundreds of nested IP-in-IP headers prints
        // (cut short with a truncation mark) instead of exhausting the
        // stack.
        let mut ip = hex(PING)[14..].to_vec();
        for _ in 0..500 {
            let mut outer = hex(PING)[14..34].to_vec();
            outer[9] = 4;
            let total = (20 + ip.len()).min(65535) as u16;
            outer[2..4].copy_from_slice(&total.to_be_bytes());
            outer.extend_from_slice(&ip);
            ip = outer;
        }
        let mut frame = hex(PING)[..14].to_vec();
        frame.extend_from_slice(&ip);
        let out = print(N, &[&frame.iter().map(|b| format!("{b:02x}")).collect::<String>()]);
        assert!(out.starts_with("IP 192.168.1.1 > 192.168.1.2: IP 192.168.1.1"));
        assert!(out.ends_with(" [|ip]\n"));
    }

    #[test]
    fn never_panics_on_random_bytes() {
        // Proves the printer survives arbitrary input: random frames, random
        // cuts and byte flips of real frames, and wire lengths that disagree
        // with the captured length, in every mode.
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let bases: Vec<Vec<u8>> = [ARP_REQ, PING, PORT_UNREACH, UDP, MLD2, NS, RS].iter().map(|h| hex(h)).collect();
        let modes = [N, NNE, TcpdumpOpts { numeric: 0, timestamp: TsFormat::Delta, ..NNE }];
        let mut out = String::new();
        for mode in modes {
            let mut p = Printer::new(mode);
            for i in 0..4000 {
                let mut f = if i % 3 == 0 {
                    (0..next() % 120).map(|_| next() as u8).collect::<Vec<u8>>()
                } else {
                    bases[(next() % bases.len() as u64) as usize].clone()
                };
                for _ in 0..(next() % 6) {
                    if !f.is_empty() {
                        let k = (next() % f.len() as u64) as usize;
                        f[k] = next() as u8;
                    }
                }
                let cut = (next() % (f.len() as u64 + 1)) as usize;
                f.truncate(cut.max(f.len() / 2));
                out.clear();
                p.frame_with_wire_len(&mut out, next(), &f, (next() % 300) as u32);
                p.frame(&mut out, next(), &f);
                assert!(out.ends_with('\n'));
            }
        }
    }
}
