//! `conntrack -L` lines and `conntrack -E` event lines as conntrack-tools
//! 1.4.7 prints them (through libnetfilter_conntrack's default and
//! extended output formats).
//!
//! What it does: one connection as one line: protocol name and number, the
//! seconds left, the TCP state, the original tuple, `[UNREPLIED]`, the reply
//! tuple, `[ASSURED]`, `mark=` and `use=`. What it does not do: choose or
//! order the entries (`tools::conntrack`), or print the summary line.

use crate::model::conntrack::{status, Conn, Tuple, PROTO_ICMP, PROTO_TCP, PROTO_UDP};
use crate::model::NS_PER_SEC;
use std::fmt::Write as _;

/// The name libnetfilter_conntrack prints for a protocol number.
pub fn proto_name(p: u8) -> &'static str {
    match p {
        PROTO_ICMP => "icmp",
        PROTO_TCP => "tcp",
        PROTO_UDP => "udp",
        33 => "dccp",
        47 => "gre",
        132 => "sctp",
        136 => "udplite",
        _ => "unknown",
    }
}

fn tuple(out: &mut String, t: &Tuple) {
    let _ = write!(out, "src={} dst={} ", t.src, t.dst);
    match t.proto {
        PROTO_TCP | PROTO_UDP => {
            let _ = write!(out, "sport={} dport={} ", t.sport, t.dport);
        }
        PROTO_ICMP => {
            let _ = write!(out, "type={} code={} id={} ", t.dport >> 8, t.dport & 0xff, t.sport);
        }
        _ => {}
    }
}

/// Appends one entry's line (with its newline). `extended` is `-o
/// extended` (the `ipv4     2 ` prefix).
pub fn line(out: &mut String, c: &Conn, now: u64, extended: bool) {
    line_with_use(out, c, now, extended, 1);
}

/// [`line`] with the reference count `use=` shows: `conntrack -G` and
/// `-U` print 2 (their own lookup holds a reference while the kernel
/// writes the answer).
pub fn line_with_use(out: &mut String, c: &Conn, now: u64, extended: bool, uses: u32) {
    if extended {
        out.push_str("ipv4     2 ");
    }
    let left = c.expires.saturating_sub(now) / NS_PER_SEC;
    let _ = write!(out, "{:<8} {} {} ", proto_name(c.orig.proto), c.orig.proto, left);
    body(out, c);
    let _ = writeln!(out, "mark={} use={uses}", c.mark);
}

/// What an event says about a connection (`nf_conntrack_msg_type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    /// `IPCTNL_MSG_CT_NEW` for a new entry: `[NEW]`.
    New,
    /// `[UPDATE]`.
    Update,
    /// `IPCTNL_MSG_CT_DELETE`: `[DESTROY]`.
    Destroy,
}

impl EventKind {
    /// The `-e` name.
    pub fn name(self) -> &'static str {
        match self {
            EventKind::New => "NEW",
            EventKind::Update => "UPDATE",
            EventKind::Destroy => "DESTROY",
        }
    }
}

/// One `conntrack -E` line (with its newline), as `ctnetlink_conntrack_event`
/// builds the message and conntrack prints it: the event in a 9-wide
/// field, then the entry without `use=`. `secs` is the timeout the message
/// carries (`None`: a DESTROY of an expired entry has none); `mark=` is
/// there when the mark is set or the event changed it; `portid` is the
/// netlink port of the process whose request caused the event.
pub fn event_line(
    out: &mut String,
    kind: EventKind,
    c: &Conn,
    secs: Option<u64>,
    extended: bool,
    show_mark: bool,
    portid: Option<u32>,
) {
    let _ = write!(out, "{:>9} ", format!("[{}]", kind.name()));
    if extended {
        out.push_str("ipv4     2 ");
    }
    let _ = write!(out, "{:<8} {} ", proto_name(c.orig.proto), c.orig.proto);
    if let Some(s) = secs {
        let _ = write!(out, "{s} ");
    }
    body(out, c);
    if show_mark || c.mark != 0 {
        let _ = write!(out, "mark={} ", c.mark);
    }
    if let Some(p) = portid {
        let _ = write!(out, "[USERSPACE] portid={p} ");
    }
    // libnetfilter_conntrack deletes the last blank.
    if out.ends_with(' ') {
        out.pop();
    }
    out.push('\n');
}

/// The state, both tuples and the status words of a line.
fn body(out: &mut String, c: &Conn) {
    if c.orig.proto == PROTO_TCP {
        out.push_str(c.tcp.as_str());
        out.push(' ');
    }
    tuple(out, &c.orig);
    if !c.has(status::SEEN_REPLY) {
        out.push_str("[UNREPLIED] ");
    }
    tuple(out, &c.reply);
    if c.has(status::ASSURED) {
        out.push_str("[ASSURED] ");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::conntrack::TcpState;
    use std::net::Ipv4Addr;

    // Proves the line layout against lines conntrack 1.4.7 printed on
    // kernel 6.18 (an ICMP echo through MASQUERADE, a TCP connection in
    // TIME_WAIT, an unreplied UDP datagram).
    #[test]
    fn lines_as_conntrack_prints_them() {
        let ip = |a, b, c, d| Ipv4Addr::new(a, b, c, d);
        let t = |src, dst, proto, sport, dport| Tuple { src, dst, proto, sport, dport };
        let mut icmp = Conn::new(
            t(ip(10, 0, 1, 2), ip(192, 168, 0, 2), PROTO_ICMP, 20915, 8 << 8),
            t(ip(192, 168, 0, 2), ip(192, 168, 0, 1), PROTO_ICMP, 20915, 0),
            0,
        );
        icmp.status = status::SEEN_REPLY;
        icmp.expires = 29 * NS_PER_SEC + 5;
        let mut s = String::new();
        line(&mut s, &icmp, 0, false);
        assert_eq!(s, "icmp     1 29 src=10.0.1.2 dst=192.168.0.2 type=8 code=0 id=20915 src=192.168.0.2 dst=192.168.0.1 type=0 code=0 id=20915 mark=0 use=1\n");
        let mut tcp = Conn::new(
            t(ip(10, 0, 0, 1), ip(10, 0, 0, 2), PROTO_TCP, 53410, 80),
            t(ip(10, 0, 0, 2), ip(10, 0, 0, 1), PROTO_TCP, 80, 53410),
            0,
        );
        tcp.status = status::SEEN_REPLY | status::ASSURED;
        tcp.tcp = TcpState::TimeWait;
        tcp.expires = 116 * NS_PER_SEC;
        s.clear();
        line(&mut s, &tcp, 0, false);
        assert_eq!(s, "tcp      6 116 TIME_WAIT src=10.0.0.1 dst=10.0.0.2 sport=53410 dport=80 src=10.0.0.2 dst=10.0.0.1 sport=80 dport=53410 [ASSURED] mark=0 use=1\n");
        let mut udp = Conn::new(
            t(ip(10, 0, 0, 1), ip(10, 0, 0, 2), PROTO_UDP, 56521, 54),
            t(ip(10, 0, 0, 2), ip(10, 0, 0, 1), PROTO_UDP, 54, 56521),
            0,
        );
        udp.expires = 28 * NS_PER_SEC;
        s.clear();
        line(&mut s, &udp, 0, true);
        assert_eq!(s, "ipv4     2 udp      17 28 src=10.0.0.1 dst=10.0.0.2 sport=56521 dport=54 [UNREPLIED] src=10.0.0.2 dst=10.0.0.1 sport=54 dport=56521 mark=0 use=1\n");
    }
}
