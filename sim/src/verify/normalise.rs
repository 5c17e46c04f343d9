//! Normalisation: the published list of what `netsim verify` ignores.
//!
//! The kernel and the simulator are compared after both sides pass through
//! these pure functions. Everything not listed here is compared byte for byte
//! (MAC addresses included: scenarios that care set them with
//! `ip link set dev X address ...`). Every rewrite is idempotent, so
//! normalising already normalised text changes nothing.
//!
//! # Captures ([`capture_text`], input: `tcpdump -t -nne -r FILE`)
//!
//! 1. **IPv6 frames are dropped**: every line containing `ethertype IPv6`
//!    (this includes 802.1Q-tagged IPv6). A fresh namespace's interfaces send
//!    MLDv2 reports, DAD neighbour solicitations and router solicitations as
//!    soon as they come up; the simulator does not model IPv6 yet.
//! 2. **IGMP frames are dropped**: every line with the word `igmp`.
//! 3. Indented continuation lines that follow a dropped line are dropped
//!    with it.
//! 4. **ICMP echo ids** (`ICMP echo request, id 2070,`) become `id #1`, `id #2`,
//!    ... by first appearance (ping's id is its pid on a raw socket).
//! 5. **TCP absolute sequence numbers**: in lines whose `Flags [...]` contain
//!    `S` or `R`, each `, seq N` and `, ack N` with N >= 65536 becomes `S1`,
//!    `S2`, ... by first appearance of the initial sequence number, or
//!    `S1+d` when it lies d (1..=65535) past a known one (the SYN-ACK's
//!    `ack` is the peer's ISN + 1). Relative numbers, which tcpdump prints
//!    after the handshake, are left alone. Not handled: flows whose SYN was
//!    not captured (tcpdump prints their first numbers absolute).
//! 6. **TCP timestamps**: `TS val N ecr M` becomes `TS val T ecr T`; an
//!    `ecr 0` (nothing to echo yet) is kept.
//! 7. **Ephemeral ports** (>= 32768) become `E1`, `E2`, ... by first
//!    appearance, in `a.b.c.d.PORT` (tcpdump), `a.b.c.d:PORT` and `]:PORT`
//!    (ss), `port PORT` (ICMP unreachable text) and `sport=`/`dport=`
//!    (conntrack).
//!
//! # Printed output ([`output_text`], input: a script's stdout or stderr)
//!
//! 1. ping round-trip times (lines with `icmp_seq=`): `time=0.240 ms` becomes
//!    `time=T ms`.
//! 2. ping's statistics: `, time 1025ms` becomes `, time Tms`, and everything
//!    after `rtt min/avg/max/mdev = ` becomes `T`.
//! 3. tcpdump's closing counters are dropped: the lines `N packets captured`,
//!    `N packets received by filter`, `N packets dropped by kernel` and
//!    `N packets dropped by interface` (IPv6 background frames change them).
//! 4. In `inet6 ...` lines of `ip addr` (also the one-line `ip -o` form),
//!    the flag ` tentative` is removed (whether duplicate address detection
//!    has finished is a matter of timing).
//! 5. Ephemeral ports as in captures (rule 7).
//! 6. Bridge timers that run on wall-clock time print as ` T` (padding
//!    included, since it depends on the value): `brctl showmacs`'s ageing
//!    column, `ip -d`'s
//!    `hold_timer`, `message_age_timer`, `forward_delay_timer` and
//!    `gc_timer`, and `brctl showstp`'s `... timer` columns.
//! 8. tcpdump text the script prints itself: the leading `HH:MM:SS.ffffff `
//!    timestamp is dropped and ICMP echo ids are mapped as in captures.
//! 9. Runs of consecutive neighbour lines (`ip neigh`: `ADDR dev DEV ...
//!    STATE`; `arp -n`: `ADDR  ether|(incomplete) ...`) are sorted: the
//!    kernel dumps its neighbour hash table, whose order depends on a random
//!    seed.
//!
//! Not normalised (yet): conntrack timeouts and ICMP `id=`, `ip -j` JSON, IP
//! header ids and TTLs (not printed by `-nne`).
//!
//! [`pcap_to_text`] is the kernel side's printer: it runs the real `tcpdump`.
//! The simulator side uses netsim's own tcpdump printer.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};

use super::VerifyError;

/// Normalises the text of `tcpdump -t -nne -r FILE` (see the module doc for
/// the exact list of rewrites).
pub fn capture_text(text: &str) -> String {
    let mut state = CaptureState::default();
    let mut out = String::with_capacity(text.len());
    let mut dropping = false;
    for piece in text.split_inclusive('\n') {
        let (line, end) = split_terminator(piece);
        let continuation = line.starts_with(' ') || line.starts_with('\t');
        if continuation && dropping {
            continue;
        }
        dropping = false;
        if line.contains("ethertype IPv6") || has_word(line, "igmp") {
            dropping = true;
            continue;
        }
        let line = state.rewrite(line);
        out.push_str(&line);
        out.push_str(end);
    }
    out
}

/// Normalises a script's stdout or stderr (see the module doc for the exact
/// list of rewrites).
pub fn output_text(text: &str) -> String {
    let mut ports = Labels::new("E");
    let mut ids = Labels::new("#");
    let mut out = String::with_capacity(text.len());
    for piece in text.split_inclusive('\n') {
        let (line, end) = split_terminator(piece);
        if is_tcpdump_counter(line) {
            continue;
        }
        let mut line = if line.contains("icmp_seq=") {
            rewrite_number_after(line, "time=", true, |_| Some("T".to_string()))
        } else {
            line.to_string()
        };
        line = rewrite_ping_total_time(&line);
        if let Some(pos) = line.find("rtt min/avg/max/mdev = ") {
            line.truncate(pos + "rtt min/avg/max/mdev = ".len());
            line.push('T');
        }
        if line.contains(" inet6 ") || line.trim_start().starts_with("inet6 ") {
            line = line.replace(" tentative", "");
        }
        line = mask_timers(&line);
        line = strip_tcpdump_time(&line);
        if line.contains("ICMP echo request, id ") || line.contains("ICMP echo reply, id ") {
            line = rewrite_number_after(&line, ", id ", false, |n| n.parse::<u64>().ok().map(|v| ids.label(v)));
        }
        line = map_ports(&line, &mut ports);
        out.push_str(&line);
        out.push_str(end);
    }
    sort_neighbour_runs(&out)
}

/// Rule 8: a tcpdump text line printed by the script starts with
/// `HH:MM:SS.ffffff `; the timestamp is dropped.
fn strip_tcpdump_time(line: &str) -> String {
    let b = line.as_bytes();
    let ok = b.len() > 16
        && b[2] == b':'
        && b[5] == b':'
        && b[8] == b'.'
        && b[15] == b' '
        && [0, 1, 3, 4, 6, 7, 9, 10, 11, 12, 13, 14].iter().all(|i| b[*i].is_ascii_digit());
    if ok {
        line[16..].to_string()
    } else {
        line.to_string()
    }
}

/// Rule 6: `NAME_timer   12.34` and `NAME timer   12.34` become `... T`, and
/// so does the last column of a `brctl showmacs` row
/// (`  1\tMAC\tno\t\t   0.91`).
fn mask_timers(line: &str) -> String {
    let cols: Vec<&str> = line.split('\t').collect();
    let is_time = |c: &str| c.contains('.') && c.trim().parse::<f64>().is_ok();
    if cols.len() == 5
        && cols[0].trim().parse::<u32>().is_ok()
        && cols[1].len() == 17
        && cols[3].is_empty()
        && is_time(cols[4])
    {
        return format!("{}\t{}\t{}\t\t T", cols[0], cols[1], cols[2]);
    }
    if !line.contains("timer") {
        return line.to_string();
    }
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(pos) = rest.find("timer") {
        let (head, tail) = rest.split_at(pos + "timer".len());
        out.push_str(head);
        let spaces = tail.len() - tail.trim_start_matches(' ').len();
        let after = &tail[spaces..];
        let num_len = after.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(after.len());
        let num = &after[..num_len];
        if spaces > 0 && num.contains('.') && num.chars().next().is_some_and(|c| c.is_ascii_digit()) {
            // The padding depends on the value's width: collapse it too.
            out.push_str(" T");
            rest = &after[num_len..];
        } else {
            rest = tail;
        }
    }
    out.push_str(rest);
    out
}

/// Whether a line is one neighbour entry of `ip neigh` or `arp -n`.
fn is_neighbour_line(line: &str) -> bool {
    let mut words = line.split_whitespace();
    let Some(first) = words.next() else { return false };
    if first.parse::<std::net::Ipv4Addr>().is_err() && first.parse::<std::net::Ipv6Addr>().is_err() {
        return false;
    }
    let second = words.next();
    const STATES: [&str; 8] = ["REACHABLE", "STALE", "DELAY", "PROBE", "FAILED", "INCOMPLETE", "PERMANENT", "NOARP"];
    if matches!(second, Some("dev") | Some("lladdr")) || STATES.contains(&second.unwrap_or("")) {
        return line.split_whitespace().last().is_some_and(|w| STATES.contains(&w));
    }
    matches!(second, Some("ether") | Some("(incomplete)"))
}

/// Rule 9: sorts each maximal run of consecutive neighbour lines.
fn sort_neighbour_runs(text: &str) -> String {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < lines.len() {
        if is_neighbour_line(lines[i].trim_end_matches('\n')) {
            let start = i;
            while i < lines.len() && is_neighbour_line(lines[i].trim_end_matches('\n')) {
                i += 1;
            }
            let mut run: Vec<&str> = lines[start..i].to_vec();
            run.sort_unstable();
            for l in run {
                out.push_str(l);
                if !l.ends_with('\n') {
                    out.push('\n');
                }
            }
        } else {
            out.push_str(lines[i]);
            i += 1;
        }
    }
    if !text.ends_with('\n') && out.ends_with('\n') {
        out.pop();
    }
    out
}

/// Prints a pcap file as `tcpdump -t -nne -r FILE` does (no timestamps, no
/// name resolution, link-level headers), by running the real tcpdump with
/// `LC_ALL=C`. The result is not normalised; pass it to [`capture_text`].
///
/// # Errors
///
/// [`VerifyError::Spawn`] when tcpdump cannot be started,
/// [`VerifyError::Tool`] when it exits non-zero (unreadable or truncated
/// file), or its output is not UTF-8.
pub fn pcap_to_text(pcap: &Path) -> Result<String, VerifyError> {
    let output = Command::new("tcpdump")
        .arg("-t")
        .arg("-nne")
        .arg("-r")
        .arg(pcap)
        .env("LC_ALL", "C")
        .stdin(Stdio::null())
        .output()
        .map_err(|source| VerifyError::Spawn { program: "tcpdump".to_string(), source })?;
    if !output.status.success() {
        return Err(VerifyError::Tool {
            program: format!("tcpdump -t -nne -r {}", pcap.display()),
            message: format!("{}: {}", output.status, String::from_utf8_lossy(&output.stderr).trim()),
        });
    }
    String::from_utf8(output.stdout).map_err(|_| VerifyError::Tool {
        program: format!("tcpdump -t -nne -r {}", pcap.display()),
        message: "output is not UTF-8".to_string(),
    })
}

/// Splits a line piece from `split_inclusive('\n')` into content and
/// terminator (`\n`, `\r\n` or nothing).
fn split_terminator(piece: &str) -> (&str, &str) {
    if let Some(line) = piece.strip_suffix("\r\n") {
        (line, "\r\n")
    } else if let Some(line) = piece.strip_suffix('\n') {
        (line, "\n")
    } else {
        (piece, "")
    }
}

fn has_word(line: &str, word: &str) -> bool {
    line.split(|c: char| !c.is_ascii_alphanumeric()).any(|w| w == word)
}

fn is_tcpdump_counter(line: &str) -> bool {
    let Some((count, rest)) = line.split_once(' ') else {
        return false;
    };
    !count.is_empty()
        && count.bytes().all(|b| b.is_ascii_digit())
        && matches!(
            rest,
            "packets captured"
                | "packet captured"
                | "packets received by filter"
                | "packet received by filter"
                | "packets dropped by kernel"
                | "packet dropped by kernel"
                | "packets dropped by interface"
                | "packet dropped by interface"
        )
}

/// Labels handed out by first appearance: `#1`, `E1`, `S1`, ...
struct Labels {
    prefix: &'static str,
    seen: BTreeMap<u64, usize>,
}

impl Labels {
    fn new(prefix: &'static str) -> Labels {
        Labels { prefix, seen: BTreeMap::new() }
    }

    fn label(&mut self, value: u64) -> String {
        let next = self.seen.len() + 1;
        let n = *self.seen.entry(value).or_insert(next);
        format!("{}{}", self.prefix, n)
    }
}

/// Per-capture mapping state.
struct CaptureState {
    icmp_ids: Labels,
    ports: Labels,
    /// Initial sequence numbers in order of first appearance.
    isns: Vec<u32>,
}

impl Default for CaptureState {
    fn default() -> Self {
        CaptureState { icmp_ids: Labels::new("#"), ports: Labels::new("E"), isns: Vec::new() }
    }
}

impl CaptureState {
    fn rewrite(&mut self, line: &str) -> String {
        let mut line = line.to_string();
        if line.contains("ICMP echo request, id ") || line.contains("ICMP echo reply, id ") {
            let ids = &mut self.icmp_ids;
            line = rewrite_number_after(&line, ", id ", false, |n| n.parse::<u64>().ok().map(|v| ids.label(v)));
        }
        if let Some(flags) = tcp_flags(&line) {
            if flags.contains('S') || flags.contains('R') {
                line = self.rewrite_absolute(&line, ", seq ");
                line = self.rewrite_absolute(&line, ", ack ");
            }
        }
        if line.contains("TS val ") {
            line = rewrite_number_after(&line, "TS val ", false, |_| Some("T".to_string()));
            line = rewrite_number_after(&line, " ecr ", false, |n| (n != "0").then(|| "T".to_string()));
        }
        map_ports(&line, &mut self.ports)
    }

    /// Rewrites `PREFIX N` and `PREFIX N:M` for absolute sequence numbers.
    fn rewrite_absolute(&mut self, line: &str, prefix: &str) -> String {
        let mut out = String::with_capacity(line.len());
        let mut rest = line;
        while let Some(pos) = rest.find(prefix) {
            let start = pos + prefix.len();
            out.push_str(&rest[..start]);
            rest = &rest[start..];
            let first = digit_run(rest, false);
            if first == 0 {
                continue;
            }
            out.push_str(&self.isn_label(&rest[..first]));
            rest = &rest[first..];
            if let Some(after) = rest.strip_prefix(':') {
                let second = digit_run(after, false);
                if second > 0 {
                    out.push(':');
                    out.push_str(&self.isn_label(&after[..second]));
                    rest = &after[second..];
                }
            }
        }
        out.push_str(rest);
        out
    }

    fn isn_label(&mut self, digits: &str) -> String {
        let Ok(n) = digits.parse::<u32>() else {
            return digits.to_string();
        };
        if n < 1 << 16 {
            return digits.to_string();
        }
        if let Some(k) = self.isns.iter().position(|&x| x == n) {
            return format!("S{}", k + 1);
        }
        if let Some((k, d)) =
            self.isns.iter().enumerate().map(|(k, &x)| (k, n.wrapping_sub(x))).find(|&(_, d)| (1..=65535).contains(&d))
        {
            return format!("S{}+{}", k + 1, d);
        }
        self.isns.push(n);
        format!("S{}", self.isns.len())
    }
}

/// The flags of a tcpdump TCP line (`Flags [S.]` gives `S.`), if any.
fn tcp_flags(line: &str) -> Option<&str> {
    let start = line.find("Flags [")? + "Flags [".len();
    let len = line[start..].find(']')?;
    Some(&line[start..start + len])
}

/// Length of the run of ASCII digits (and dots when `dots`) at the start.
fn digit_run(s: &str, dots: bool) -> usize {
    s.bytes().take_while(|b| b.is_ascii_digit() || (dots && *b == b'.')).count()
}

/// Replaces the number that follows each occurrence of `prefix` with what
/// `f` returns (`None` keeps it). With `dots`, the number may contain `.`.
fn rewrite_number_after(line: &str, prefix: &str, dots: bool, mut f: impl FnMut(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(pos) = rest.find(prefix) {
        let start = pos + prefix.len();
        out.push_str(&rest[..start]);
        rest = &rest[start..];
        let len = digit_run(rest, dots);
        if len == 0 || !rest.as_bytes()[0].is_ascii_digit() {
            continue;
        }
        match f(&rest[..len]) {
            Some(new) => out.push_str(&new),
            None => out.push_str(&rest[..len]),
        }
        rest = &rest[len..];
    }
    out.push_str(rest);
    out
}

/// ping's statistics line ends in `, time 1025ms`.
fn rewrite_ping_total_time(line: &str) -> String {
    if !line.contains("packets transmitted") {
        return line.to_string();
    }
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(pos) = rest.find(", time ") {
        let start = pos + ", time ".len();
        out.push_str(&rest[..start]);
        rest = &rest[start..];
        let len = digit_run(rest, false);
        if len > 0 && rest[len..].starts_with("ms") {
            out.push('T');
            rest = &rest[len..];
        }
    }
    out.push_str(rest);
    out
}

fn is_quad(parts: &[&str]) -> bool {
    parts.len() == 4 && parts.iter().all(|p| !p.is_empty() && p.len() <= 3 && p.parse::<u16>().is_ok_and(|v| v <= 255))
}

fn ephemeral(digits: &str) -> Option<u64> {
    if digits.is_empty() || digits.len() > 5 {
        return None;
    }
    let port: u64 = digits.parse().ok()?;
    (32768..=65535).contains(&port).then_some(port)
}

/// Maps ephemeral ports by first appearance in every form listed in the
/// module doc.
fn map_ports(line: &str, ports: &mut Labels) -> String {
    let bytes = line.as_bytes();
    let mut out = String::with_capacity(line.len());
    let mut copied = 0; // bytes of `line` already in `out`
    let mut i = 0;
    let is_addr_char = |b: u8| b.is_ascii_alphanumeric() || b == b'.' || b == b':' || b == b'_';
    while i < bytes.len() {
        let b = bytes[i];
        // `a.b.c.d.PORT` and `a.b.c.d:PORT`
        if b.is_ascii_digit() && (i == 0 || !is_addr_char(bytes[i - 1])) {
            let start = i;
            let len = digit_run(&line[i..], true);
            let run = line[start..start + len].trim_end_matches('.');
            let end = start + run.len();
            let parts: Vec<&str> = run.split('.').collect();
            let next_alnum = bytes.get(end).is_some_and(|c| c.is_ascii_alphanumeric());
            if parts.len() == 5 && is_quad(&parts[..4]) && !next_alnum {
                if let Some(port) = ephemeral(parts[4]) {
                    let port_start = end - parts[4].len();
                    out.push_str(&line[copied..port_start]);
                    out.push_str(&ports.label(port));
                    copied = end;
                }
            } else if parts.len() == 4 && is_quad(&parts) && bytes.get(end) == Some(&b':') {
                let plen = digit_run(&line[end + 1..], false);
                let after = end + 1 + plen;
                let next_alnum = bytes.get(after).is_some_and(|c| c.is_ascii_alphanumeric());
                if let (Some(port), false) = (ephemeral(&line[end + 1..after]), next_alnum) {
                    out.push_str(&line[copied..end + 1]);
                    out.push_str(&ports.label(port));
                    copied = after;
                    i = after;
                    continue;
                }
            }
            i = end.max(start + 1);
            continue;
        }
        // `]:PORT`, ` port PORT`, `sport=PORT`, `dport=PORT`
        let prefix_len =
            [&b"]:"[..], b" port ", b"sport=", b"dport="].iter().find(|p| bytes[i..].starts_with(p)).map(|p| p.len());
        if let Some(plen) = prefix_len {
            let num_start = i + plen;
            let len = digit_run(&line[num_start..], false);
            let after = num_start + len;
            let next_alnum = bytes.get(after).is_some_and(|c| c.is_ascii_alphanumeric());
            if let (Some(port), false) = (ephemeral(&line[num_start..after]), next_alnum) {
                out.push_str(&line[copied..num_start]);
                out.push_str(&ports.label(port));
                copied = after;
                i = after;
                continue;
            }
            i = num_start;
            continue;
        }
        i += 1;
    }
    out.push_str(&line[copied..]);
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn neighbour_runs_are_sorted_and_timers_masked() {
        // The kernel's neighbour dump order and bridge timers are not
        // reproducible; both sides are normalised the same way.
        let k = "a\n192.168.50.2 dev to-edge lladdr 02:00:00:00:00:e2 DELAY \n10.1.0.2 dev br0 lladdr 02:00:00:00:01:01 DELAY \nb\n";
        let s = "a\n10.1.0.2 dev br0 lladdr 02:00:00:00:01:01 DELAY \n192.168.50.2 dev to-edge lladdr 02:00:00:00:00:e2 DELAY \nb\n";
        assert_eq!(super::output_text(k), super::output_text(s));
        assert_eq!(
            super::output_text("hold_timer    0.00 forward_delay_timer   14.98 x\n gc timer            241.48\n"),
            "hold_timer T forward_delay_timer T x\n gc timer T\n"
        );
    }

    use super::*;

    // Real kernel capture (veth in a fresh netns): background IPv6 goes, ids
    // are mapped, ARP and ICMP stay byte-exact.
    #[test]
    fn capture_drops_ipv6_and_maps_icmp_ids() {
        let raw = "\
a2:af:ed:7a:19:0d > 33:33:00:00:00:16, ethertype IPv6 (0x86dd), length 90: :: > ff02::16: HBH ICMP6, multicast listener report v2, 1 group record(s), length 28
ea:4b:61:f9:c3:ea > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), length 42: Request who-has 10.0.0.2 tell 10.0.0.1, length 28
ea:4b:61:f9:c3:ea > a2:af:ed:7a:19:0d, ethertype IPv4 (0x0800), length 98: 10.0.0.1 > 10.0.0.2: ICMP echo request, id 24, seq 1, length 64
a2:af:ed:7a:19:0d > ea:4b:61:f9:c3:ea, ethertype IPv4 (0x0800), length 98: 10.0.0.2 > 10.0.0.1: ICMP echo reply, id 24, seq 1, length 64
02:00:00:00:00:01 > 01:00:5e:00:00:16, ethertype IPv4 (0x0800), length 54: 10.0.0.1 > 224.0.0.22: igmp v3 report, 1 group record(s)
ea:4b:61:f9:c3:ea > a2:af:ed:7a:19:0d, ethertype IPv4 (0x0800), length 98: 10.0.0.1 > 10.0.0.2: ICMP echo request, id 2070, seq 1, length 64
";
        let want = "\
ea:4b:61:f9:c3:ea > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), length 42: Request who-has 10.0.0.2 tell 10.0.0.1, length 28
ea:4b:61:f9:c3:ea > a2:af:ed:7a:19:0d, ethertype IPv4 (0x0800), length 98: 10.0.0.1 > 10.0.0.2: ICMP echo request, id #1, seq 1, length 64
a2:af:ed:7a:19:0d > ea:4b:61:f9:c3:ea, ethertype IPv4 (0x0800), length 98: 10.0.0.2 > 10.0.0.1: ICMP echo reply, id #1, seq 1, length 64
ea:4b:61:f9:c3:ea > a2:af:ed:7a:19:0d, ethertype IPv4 (0x0800), length 98: 10.0.0.1 > 10.0.0.2: ICMP echo request, id #2, seq 1, length 64
";
        assert_eq!(capture_text(raw), want);
        assert_eq!(capture_text(want), want, "idempotent");
    }

    // Real kernel TCP handshake, data, close and a RST to a closed port:
    // ISNs, timestamps and ephemeral ports mapped; relative numbers kept.
    #[test]
    fn capture_maps_tcp() {
        let raw = "\
m > n, ethertype IPv4 (0x0800), length 74: 10.0.0.1.46104 > 10.0.0.2.80: Flags [S], seq 2454523549, win 64240, options [mss 1460,sackOK,TS val 73037368 ecr 0,nop,wscale 10], length 0
n > m, ethertype IPv4 (0x0800), length 74: 10.0.0.2.80 > 10.0.0.1.46104: Flags [S.], seq 929268210, ack 2454523550, win 65160, options [mss 1460,sackOK,TS val 1208657206 ecr 73037368,nop,wscale 10], length 0
m > n, ethertype IPv4 (0x0800), length 72: 10.0.0.1.46104 > 10.0.0.2.80: Flags [P.], seq 1:7, ack 1, win 63, options [nop,nop,TS val 73037368 ecr 1208657206], length 6: HTTP
m > n, ethertype IPv4 (0x0800), length 74: 10.0.0.1.59328 > 10.0.0.2.81: Flags [S], seq 4023481287, win 64240, options [mss 1460,sackOK,TS val 2374355798 ecr 0,nop,wscale 10], length 0
n > m, ethertype IPv4 (0x0800), length 54: 10.0.0.2.81 > 10.0.0.1.59328: Flags [R.], seq 0, ack 4023481288, win 0, length 0
m > n, ethertype IPv4 (0x0800), length 44: 10.0.0.1.50553 > 10.0.0.2.53: domain [length 2 < 12] (invalid)
n > m, ethertype IPv4 (0x0800), length 72: 10.0.0.2 > 10.0.0.1: ICMP 10.0.0.2 udp port 53 unreachable, length 38
n > m, ethertype IPv4 (0x0800), length 72: 10.0.0.2 > 10.0.0.1: ICMP 10.0.0.2 udp port 50553 unreachable, length 38
";
        let want = "\
m > n, ethertype IPv4 (0x0800), length 74: 10.0.0.1.E1 > 10.0.0.2.80: Flags [S], seq S1, win 64240, options [mss 1460,sackOK,TS val T ecr 0,nop,wscale 10], length 0
n > m, ethertype IPv4 (0x0800), length 74: 10.0.0.2.80 > 10.0.0.1.E1: Flags [S.], seq S2, ack S1+1, win 65160, options [mss 1460,sackOK,TS val T ecr T,nop,wscale 10], length 0
m > n, ethertype IPv4 (0x0800), length 72: 10.0.0.1.E1 > 10.0.0.2.80: Flags [P.], seq 1:7, ack 1, win 63, options [nop,nop,TS val T ecr T], length 6: HTTP
m > n, ethertype IPv4 (0x0800), length 74: 10.0.0.1.E2 > 10.0.0.2.81: Flags [S], seq S3, win 64240, options [mss 1460,sackOK,TS val T ecr 0,nop,wscale 10], length 0
n > m, ethertype IPv4 (0x0800), length 54: 10.0.0.2.81 > 10.0.0.1.E2: Flags [R.], seq 0, ack S3+1, win 0, length 0
m > n, ethertype IPv4 (0x0800), length 44: 10.0.0.1.E3 > 10.0.0.2.53: domain [length 2 < 12] (invalid)
n > m, ethertype IPv4 (0x0800), length 72: 10.0.0.2 > 10.0.0.1: ICMP 10.0.0.2 udp port 53 unreachable, length 38
n > m, ethertype IPv4 (0x0800), length 72: 10.0.0.2 > 10.0.0.1: ICMP 10.0.0.2 udp port E3 unreachable, length 38
";
        assert_eq!(capture_text(raw), want);
        assert_eq!(capture_text(want), want, "idempotent");
    }

    // Continuation lines go with a dropped frame; a missing final newline is
    // kept missing.
    #[test]
    fn capture_continuations_and_terminators() {
        let raw = "a, ethertype IPv6 (0x86dd), x\n\tmore\nb, ethertype ARP, y\n\tkept";
        assert_eq!(capture_text(raw), "b, ethertype ARP, y\n\tkept");
        assert_eq!(capture_text(""), "");
    }

    // ping, ip addr and tcpdump output as the real tools print them.
    #[test]
    fn output_rewrites() {
        let raw = "\
PING 10.0.0.2 (10.0.0.2) 56(84) bytes of data.
64 bytes from 10.0.0.2: icmp_seq=1 ttl=64 time=0.233 ms
64 bytes from 10.0.0.2: icmp_seq=2 ttl=64 time=12 ms

--- 10.0.0.2 ping statistics ---
2 packets transmitted, 2 received, 0% packet loss, time 1003ms
rtt min/avg/max/mdev = 0.059/0.146/0.233/0.087 ms
    inet6 fe80::e84b:61ff:fef9:c3ea/64 scope link tentative 
       valid_lft forever preferred_lft forever
tcpdump: listening on va, link-type EN10MB (Ethernet), snapshot length 262144 bytes
2 packets captured
4 packets received by filter
0 packets dropped by kernel
TIME-WAIT 0      0           10.0.0.1:46104     10.0.0.2:80
tcp      6 119 TIME_WAIT src=10.0.0.1 dst=10.0.0.2 sport=46104 dport=80 src=10.0.0.2 dst=10.0.0.1 sport=80 dport=46104 [ASSURED]
";
        let want = "\
PING 10.0.0.2 (10.0.0.2) 56(84) bytes of data.
64 bytes from 10.0.0.2: icmp_seq=1 ttl=64 time=T ms
64 bytes from 10.0.0.2: icmp_seq=2 ttl=64 time=T ms

--- 10.0.0.2 ping statistics ---
2 packets transmitted, 2 received, 0% packet loss, time Tms
rtt min/avg/max/mdev = T
    inet6 fe80::e84b:61ff:fef9:c3ea/64 scope link 
       valid_lft forever preferred_lft forever
tcpdump: listening on va, link-type EN10MB (Ethernet), snapshot length 262144 bytes
TIME-WAIT 0      0           10.0.0.1:E1     10.0.0.2:80
tcp      6 119 TIME_WAIT src=10.0.0.1 dst=10.0.0.2 sport=E1 dport=80 src=10.0.0.2 dst=10.0.0.1 sport=80 dport=E1 [ASSURED]
";
        assert_eq!(output_text(raw), want);
        assert_eq!(output_text(want), want, "idempotent");
    }

    // Things that look like ports but are not: MACs, IPv6, versions, small
    // ports, numbers glued to words.
    #[test]
    fn ports_left_alone() {
        for line in [
            "link/ether 02:42:ac:11:00:02 brd ff:ff:ff:ff:ff:ff",
            "inet6 fe80::1/64 scope link",
            "10.0.0.1.80 > 10.0.0.2.1024: x",
            "version 1.2.3.4.40000a",
            "addr 10.0.0.1:40000x",
            "10.0.0.256.40000 > y",
            "port 99999",
        ] {
            assert_eq!(output_text(line), line);
        }
        assert_eq!(output_text("[::1]:40000 and 10.1.2.3.65535."), "[::1]:E1 and 10.1.2.3.E2.");
    }

    // Counters are dropped only when the whole line is a counter.
    #[test]
    fn counters_exact() {
        assert_eq!(output_text("1 packet captured\n"), "");
        assert_eq!(output_text("we saw 2 packets captured\n"), "we saw 2 packets captured\n");
    }
}
