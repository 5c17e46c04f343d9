//! Connection tracking and NAT on packets in flight: the `skb->_nfct` side
//! of `nf_conntrack_core.c`, the ICMP/UDP/TCP trackers and `nf_nat_core.c`.
//!
//! What it does:
//! - [`Engine::ct_in`] (`nf_conntrack_in`, PREROUTING and OUTPUT at
//!   priority -200): finds the packet's connection by tuple, or starts an
//!   unconfirmed one, and sets its [`CtInfo`]; ICMP errors quoting a tracked
//!   packet are RELATED to it; the TCP state machine
//!   (`tcp_conntracks` table), UDP's stream rule and the timeouts.
//! - [`Engine::ct_confirm`] (`nf_conntrack_confirm`, the last hook of
//!   POSTROUTING and INPUT): puts a new connection in the table.
//! - NAT (`nf_nat_inet_fn`): the nat table's chain is consulted only for a
//!   connection's first packet (and once per manip type), a binding is made
//!   (`get_unique_tuple`: keep the tuple if it is free, else a free port),
//!   and every packet of the connection is rewritten (`nf_nat_manip_pkt`),
//!   replies included; ICMP errors are translated inside and out.
//!
//! - Events (`nf_conntrack_ecache.c`, `ctnetlink_conntrack_event`): a
//!   new entry reports `[NEW]` when it is confirmed; a packet that sets
//!   SEEN_REPLY or ASSURED, changes the TCP state, or a CONNMARK that
//!   changes the mark caches event bits on the entry, delivered as one
//!   `[UPDATE]` when a packet of it next passes the confirm point; a
//!   deleted, flushed, killed or expired entry reports `[DESTROY]`. The
//!   listener is the [`CtEvents`] process (`conntrack -E`); while one runs
//!   in a namespace, entries are collected at the moment they expire.
//!
//! - TCP window tracking (`tcp_in_window`): per direction the highest
//!   sequence sent, the peer's window edge, the largest window and the
//!   window scale from the SYNs; a segment over the upper bounds is
//!   INVALID, one under the lower bounds is let through without updating
//!   the state; a connection picked up mid-stream is liberal.
//!
//! What it does not do: the retransmission counter, the RST sequence
//! checks of `nf_conntrack_tcp_packet` (an RST is taken as it comes if it
//! is in the window), `nf_tcp_handle_invalid`, helpers and expectations, zones, fragments
//! (reassembly), clash resolution between two unconfirmed entries.
//! The hook order and the nat table walk are `engine::netfilter`'s.

use super::Engine;
use crate::model::conntrack::{
    ev, status, tcpf, Conn, ConnId, Dir, TcpState, TcpTrack, TcpWindow, Tuple, GENERIC_TIMEOUT, ICMP_TIMEOUT,
    PROTO_ICMP, PROTO_TCP, PROTO_UDP, UDP_STREAM_TIMEOUT, UDP_TIMEOUT,
};
use crate::model::nf::rule::{NatFlags, NatRange};
use crate::model::nf::Hook;
use crate::model::NsId;
use crate::render::conntrack::EventKind;
use std::net::Ipv4Addr;

/// A running `conntrack -E`: what it listens to and prints.
#[derive(Debug)]
pub struct CtEvents {
    /// The namespace whose events it reads.
    pub ns: NsId,
    /// Entries it prints (tuple filters, `--mark`).
    pub filter: crate::model::conntrack::CtFilter,
    /// `-e`: which of NEW, UPDATE, DESTROY (all by default).
    pub kinds: Vec<EventKind>,
    /// `-o extended`.
    pub extended: bool,
    /// `-o timestamp`: each line starts with the wall-clock time of the
    /// event (`[SECS.USECS]` and a tab).
    pub timestamp: bool,
    /// Events printed (the count in its closing line).
    pub shown: u64,
    /// When its expiry wake-up is set for, if one is.
    pub next_gc: Option<u64>,
    /// Exit status once stopped.
    pub exit: Option<i32>,
    /// Output sinks.
    pub stdio: super::Stdio,
}

/// `enum ip_conntrack_info`: how a packet relates to its connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CtInfo {
    /// `IP_CT_ESTABLISHED`: original direction, reply seen.
    Established,
    /// `IP_CT_RELATED`: an ICMP error about a packet sent in the reply
    /// direction, travelling in the original direction.
    Related,
    /// `IP_CT_NEW`: original direction, no reply seen yet.
    New,
    /// `IP_CT_ESTABLISHED_REPLY`.
    EstablishedReply,
    /// `IP_CT_RELATED_REPLY`.
    RelatedReply,
}

impl CtInfo {
    /// `CTINFO2DIR`.
    pub fn dir(self) -> Dir {
        match self {
            CtInfo::EstablishedReply | CtInfo::RelatedReply => Dir::Reply,
            _ => Dir::Orig,
        }
    }

    /// The `state` match's bit for this info.
    pub fn state_bit(self) -> u8 {
        use crate::model::nf::rule::CtStates;
        match self {
            CtInfo::New => CtStates::NEW,
            CtInfo::Established | CtInfo::EstablishedReply => CtStates::ESTABLISHED,
            CtInfo::Related | CtInfo::RelatedReply => CtStates::RELATED,
        }
    }
}

/// Where a packet's connection is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CtRef {
    /// Not in the table yet: travels with the packet until confirmed.
    Unconfirmed(Box<Conn>),
    /// In the namespace's table.
    Confirmed(ConnId),
}

/// `skb->_nfct`: the connection the packet in the hooks belongs to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum SkbCt {
    /// No connection: conntrack is off, or the packet is INVALID.
    #[default]
    None,
    /// Tracked.
    Tracked(CtRef, CtInfo),
    /// Marked not to be tracked (`NOTRACK`, `CT --notrack`): the kernel's
    /// `IP_CT_UNTRACKED`. Conntrack and NAT skip it; `--ctstate UNTRACKED`
    /// matches it.
    Untracked,
}

impl SkbCt {
    /// What survives a loopback hop (`loopback_xmit` keeps `_nfct`: a
    /// confirmed entry, all a packet can carry once past POSTROUTING, or
    /// the untracked mark).
    pub fn carried(&self) -> SkbCt {
        match self {
            SkbCt::Tracked(CtRef::Confirmed(id), info) => SkbCt::Tracked(CtRef::Confirmed(*id), *info),
            SkbCt::Untracked => SkbCt::Untracked,
            _ => SkbCt::None,
        }
    }
}

/// NAT manip types.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Manip {
    /// Source NAT (POSTROUTING, INPUT).
    Src,
    /// Destination NAT (PREROUTING, OUTPUT).
    Dst,
}

impl Manip {
    /// `HOOK2MANIP`.
    pub fn of_hook(h: Hook) -> Manip {
        match h {
            Hook::Prerouting | Hook::Output => Manip::Dst,
            _ => Manip::Src,
        }
    }

    fn status_bit(self) -> u32 {
        match self {
            Manip::Src => status::SRC_NAT,
            Manip::Dst => status::DST_NAT,
        }
    }

    fn done_bit(self) -> u32 {
        match self {
            Manip::Src => status::SRC_NAT_DONE,
            Manip::Dst => status::DST_NAT_DONE,
        }
    }

    fn other(self) -> Manip {
        match self {
            Manip::Src => Manip::Dst,
            Manip::Dst => Manip::Src,
        }
    }
}

/// A NAT range as `struct nf_nat_range2` holds it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Range {
    /// `NF_NAT_RANGE_MAP_IPS`: addresses to map to.
    pub addr: Option<(Ipv4Addr, Ipv4Addr)>,
    /// `NF_NAT_RANGE_PROTO_SPECIFIED`: ports (ICMP: ids).
    pub ports: Option<(u16, u16)>,
    /// `NF_NAT_RANGE_PROTO_RANDOM_ALL`.
    pub random: bool,
}

impl Range {
    /// From an iptables SNAT/DNAT target.
    pub fn of_target(r: &NatRange, f: &NatFlags) -> Range {
        Range { addr: r.addr, ports: r.ports.map(|p| (p.lo, p.hi)), random: f.random || f.random_fully }
    }
}

/// ICMP types that carry a quoted datagram (`icmp_is_err`).
fn icmp_is_error(ty: u8) -> bool {
    matches!(ty, 3 | 4 | 5 | 11 | 12)
}

/// ICMP query types whose id NAT rewrites (`icmp_manip_pkt`).
fn icmp_is_query(ty: u8) -> bool {
    matches!(ty, 0 | 8 | 13 | 14 | 15 | 16 | 17 | 18)
}

// sNO..sS2 in the kernel's order, for the transition table.
const SS: TcpState = TcpState::SynSent;
const SR: TcpState = TcpState::SynRecv;
const ES: TcpState = TcpState::Established;
const FW: TcpState = TcpState::FinWait;
const CW: TcpState = TcpState::CloseWait;
const LA: TcpState = TcpState::LastAck;
const TW: TcpState = TcpState::TimeWait;
const CL: TcpState = TcpState::Close;
const S2: TcpState = TcpState::SynSent2;

/// A transition: a new state, INVALID or IGNORE.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tr {
    To(TcpState),
    Iv,
    Ig,
}

use Tr::{Ig, Iv, To};

/// `tcp_conntracks[dir][index][state]` (nf_conntrack_proto_tcp.c), index
/// syn, synack, fin, ack, rst, none; state sNO..sS2.
const TCP_TABLE: [[[Tr; 10]; 6]; 2] = [
    [
        [To(SS), To(SS), Ig, Ig, Ig, Ig, Ig, To(SS), To(SS), To(S2)],
        [Iv, Iv, To(SR), Iv, Iv, Iv, Iv, Iv, Iv, To(SR)],
        [Iv, Iv, To(FW), To(FW), To(LA), To(LA), To(LA), To(TW), To(CL), Iv],
        [To(ES), Iv, To(ES), To(ES), To(CW), To(CW), To(TW), To(TW), To(CL), Iv],
        [Iv, To(CL), To(CL), To(CL), To(CL), To(CL), To(CL), To(CL), To(CL), To(CL)],
        [Iv; 10],
    ],
    [
        [Iv, To(S2), Iv, Iv, Iv, Iv, Iv, To(SS), Iv, To(S2)],
        [Iv, To(SR), Ig, Ig, Ig, Ig, Ig, Ig, Ig, To(SR)],
        [Iv, Iv, To(FW), To(FW), To(LA), To(LA), To(LA), To(TW), To(CL), Iv],
        [Iv, Ig, To(SR), To(ES), To(CW), To(CW), To(TW), To(TW), To(CL), Ig],
        [Iv, To(CL), To(CL), To(CL), To(CL), To(CL), To(CL), To(CL), To(CL), To(CL)],
        [Iv; 10],
    ],
];

/// `get_conntrack_index`.
fn tcp_index(flags: u8) -> usize {
    let (fin, syn, rst, ack) = (flags & 1 != 0, flags & 2 != 0, flags & 4 != 0, flags & 16 != 0);
    if rst {
        4
    } else if syn {
        usize::from(ack)
    } else if fin {
        2
    } else if ack {
        3
    } else {
        5
    }
}

fn tcp_transition(dir: Dir, flags: u8, old: TcpState) -> Tr {
    let d = usize::from(dir == Dir::Reply);
    let s = TcpState::ALL.iter().position(|x| *x == old).unwrap_or(0);
    TCP_TABLE[d][tcp_index(flags)][s]
}

/// What a tracker decided about a packet of a known connection.
enum Track {
    /// Keep the packet tracked.
    Ok,
    /// INVALID: the packet goes on without a connection.
    Invalid,
    /// The connection ends now (an RST answering a SYN).
    Kill,
    /// A SYN reopening a closed connection: delete it and look up again.
    Reopen,
}

/// Runs the protocol tracker (`nf_conntrack_handle_packet`) on a packet of
/// `c` in direction `dir`, updating state and timeout; `be_liberal` is the
/// namespace's `nf_conntrack_tcp_be_liberal`.
fn track(c: &mut Conn, dir: Dir, l4: &[u8], now: u64, be_liberal: bool) -> Track {
    match c.orig.proto {
        PROTO_ICMP => c.expires = now + ICMP_TIMEOUT,
        PROTO_UDP => {
            // nf_conntrack_udp_packet: traffic both ways, still active after
            // two seconds: a stream, ASSURED with the long timeout.
            // SEEN_REPLY is set after this runs: the first reply still gets
            // the unreplied timeout.
            if c.has(status::SEEN_REPLY) {
                let mut extra = UDP_TIMEOUT;
                if now > c.created + 2 * crate::model::NS_PER_SEC {
                    extra = UDP_STREAM_TIMEOUT;
                    c.status |= status::ASSURED;
                }
                c.expires = now + extra;
            } else {
                c.expires = now + UDP_TIMEOUT;
            }
        }
        PROTO_TCP => {
            let flags = l4.get(13).copied().unwrap_or(0);
            let old = c.tcp;
            let new = match tcp_transition(dir, flags, old) {
                To(s) => s,
                Iv => return Track::Invalid,
                Ig => return Track::Ok,
            };
            if new == TcpState::SynSent && dir == Dir::Orig && old >= TcpState::TimeWait && old != TcpState::SynSent2 {
                return Track::Reopen;
            }
            let Some(seg) = Segment::parse(l4) else { return Track::Invalid };
            let w = c.tcpw.get_or_insert_with(Box::default);
            match tcp_in_window(w, old, dir, tcp_index(flags), &seg, be_liberal) {
                Window::Accept => {}
                // Accepted and tracked, but state and timeout stay.
                Window::Ignore => return Track::Ok,
                Window::Invalid => return Track::Invalid,
            }
            // "If only reply is a RST, we can consider ourselves not to have
            // an established connection": deleted at once.
            if flags & 4 != 0 && !c.has(status::SEEN_REPLY) {
                return Track::Kill;
            }
            if !c.has(status::ASSURED)
                && matches!(old, TcpState::SynRecv | TcpState::Established)
                && new == TcpState::Established
            {
                c.status |= status::ASSURED;
            }
            c.tcp = new;
            let w = c.tcpw.as_deref().copied().unwrap_or_default();
            let unacked = (w.seen[0].flags | w.seen[1].flags) & tcpf::DATA_UNACKNOWLEDGED != 0;
            // ESTABLISHED without a reply is a connection picked up
            // mid-stream: it gets the short timeout too.
            let picked_up = new == TcpState::Established && !c.has(status::SEEN_REPLY);
            let timeout = if flags & 4 != 0 {
                TcpState::Close.timeout()
            } else if (unacked || w.last_win == 0 || picked_up) && new.timeout() > TcpState::UNACK_TIMEOUT {
                TcpState::UNACK_TIMEOUT
            } else {
                new.timeout()
            };
            c.expires = now + timeout;
        }
        _ => c.expires = now + GENERIC_TIMEOUT,
    }
    Track::Ok
}

/// The fields of a TCP segment window tracking reads.
struct Segment<'a> {
    seq: u32,
    ack: u32,
    win: u16,
    flags: u8,
    /// `segment_seq_plus_len`: seq + payload + SYN + FIN.
    end: u32,
    /// The options between the fixed header and the data.
    opts: &'a [u8],
}

impl<'a> Segment<'a> {
    /// Reads a TCP segment (`l4` ends where the IP packet does); `None`
    /// when the header is cut short (`tcp_error`: INVALID).
    fn parse(l4: &'a [u8]) -> Option<Segment<'a>> {
        let h = l4.get(..20)?;
        let doff = usize::from(h[12] >> 4) * 4;
        if doff < 20 || l4.len() < doff {
            return None;
        }
        let seq = u32::from_be_bytes([h[4], h[5], h[6], h[7]]);
        let flags = h[13];
        let payload = (l4.len() - doff) as u32;
        let end =
            seq.wrapping_add(payload).wrapping_add(u32::from(flags & 2 != 0)).wrapping_add(u32::from(flags & 1 != 0));
        Some(Segment {
            seq,
            ack: u32::from_be_bytes([h[8], h[9], h[10], h[11]]),
            win: u16::from_be_bytes([h[14], h[15]]),
            flags,
            end,
            opts: &l4[20..doff],
        })
    }

    fn syn(&self) -> bool {
        self.flags & 2 != 0
    }

    fn rst(&self) -> bool {
        self.flags & 4 != 0
    }

    fn has_ack(&self) -> bool {
        self.flags & 16 != 0
    }

    /// The options as (kind, body) pairs, as the kernel's simplified
    /// parser walks them (stops at EOL or a malformed option).
    fn options(&self) -> Vec<(u8, &'a [u8])> {
        let mut v = Vec::new();
        let o = self.opts;
        let mut i = 0;
        while i < o.len() {
            match o[i] {
                0 => break,
                1 => i += 1,
                kind => {
                    let Some(&size) = o.get(i + 1) else { break };
                    let size = usize::from(size);
                    if size < 2 || i + size > o.len() {
                        break;
                    }
                    v.push((kind, &o[i + 2..i + size]));
                    i += size;
                }
            }
        }
        v
    }
}

/// `before(a, b)` in sequence space.
fn before(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) < 0
}

/// `after(a, b)` in sequence space.
fn after(a: u32, b: u32) -> bool {
    before(b, a)
}

/// `tcp_options`: window scale and SACK-permitted from a SYN.
fn tcp_options(seg: &Segment<'_>, w: &mut TcpWindow) {
    if seg.opts.is_empty() {
        return;
    }
    w.td_scale = 0;
    w.flags &= tcpf::BE_LIBERAL;
    for (kind, body) in seg.options() {
        match (kind, body.len()) {
            (4, 0) => w.flags |= tcpf::SACK_PERM,
            (3, 1) => {
                w.td_scale = body[0].min(14);
                w.flags |= tcpf::WINDOW_SCALE;
            }
            _ => {}
        }
    }
}

/// `tcp_sack`: the highest right edge of the SACK blocks, if above `sack`.
fn tcp_sack(seg: &Segment<'_>, sack: &mut u32) {
    for (kind, body) in seg.options() {
        if kind == 5 && body.len() >= 8 && body.len().is_multiple_of(8) {
            for b in body.chunks(8) {
                let right = u32::from_be_bytes([b[4], b[5], b[6], b[7]]);
                if after(right, *sack) {
                    *sack = right;
                }
            }
            return;
        }
    }
}

/// `tcp_new` for a connection's first segment: a SYN starts the original
/// direction's window; anything else is picked up mid-stream with both
/// directions liberal if `loose` (`nf_conntrack_tcp_loose`), else refused
/// (`false`: the packet is INVALID and no entry is made).
fn tcp_new(c: &mut Conn, seg: &Segment<'_>, loose: bool) -> bool {
    let mut t = TcpTrack::default();
    let w = &mut t.seen[0];
    w.td_end = seg.end;
    w.td_maxwin = u32::from(seg.win).max(1);
    if seg.syn() && !seg.has_ack() {
        w.td_maxend = w.td_end;
        tcp_options(seg, w);
    } else if !loose {
        return false;
    } else {
        w.td_maxend = w.td_end.wrapping_add(w.td_maxwin);
        t.seen[0].flags = tcpf::SACK_PERM | tcpf::BE_LIBERAL;
        t.seen[1].flags = tcpf::SACK_PERM | tcpf::BE_LIBERAL;
    }
    c.tcpw = Some(Box::new(t));
    true
}

/// `tcp_init_sender`: a SYN-ACK (or a SYN from the reply side) sets up its
/// direction; window scaling needs both sides' option.
fn tcp_init_sender(c: &mut TcpTrack, d: usize, seg: &Segment<'_>) {
    let w = &mut c.seen[d];
    w.td_end = seg.end;
    w.td_maxend = seg.end;
    w.td_maxwin = u32::from(seg.win).max(1);
    tcp_options(seg, w);
    let both = c.seen[0].flags & c.seen[1].flags & tcpf::WINDOW_SCALE != 0;
    if d == 1 && !both {
        c.seen[0].td_scale = 0;
        c.seen[1].td_scale = 0;
    }
}

/// What window tracking says about a segment (`enum nf_ct_tcp_action`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Window {
    Accept,
    /// Let through as part of the connection, nothing updated.
    Ignore,
    /// INVALID.
    Invalid,
}

/// `MAXACKWINDOW`.
fn max_ack_window(w: &TcpWindow) -> u32 {
    w.td_maxwin.max(66000)
}

/// `tcp_in_window` (nf_conntrack_proto_tcp.c): checks the segment against
/// the four bounds and updates both directions' window data.
/// `be_liberal` (`nf_conntrack_tcp_be_liberal`) lets every segment through
/// as a liberal direction's are.
/// DIVERGENCE: retransmissions are not counted (the kernel shortens the
/// timeout after three).
fn tcp_in_window(
    c: &mut TcpTrack,
    state: TcpState,
    dir: Dir,
    index: usize,
    seg: &Segment<'_>,
    be_liberal: bool,
) -> Window {
    let (d, r) = if dir == Dir::Orig { (0, 1) } else { (1, 0) };
    let mut seq = seg.seq;
    let mut end = seg.end;
    let mut ack = seg.ack;
    let mut sack = ack;
    let mut win = u32::from(seg.win);
    if c.seen[r].flags & tcpf::SACK_PERM != 0 {
        tcp_sack(seg, &mut sack);
    }
    if c.seen[d].td_maxwin == 0 {
        if seg.syn() {
            tcp_init_sender(c, d, seg);
            if !seg.has_ack() {
                return Window::Accept; // simultaneous open
            }
        } else {
            // Mid-stream: the history is lost; use this segment.
            let s = &mut c.seen[d];
            s.td_end = end;
            let swin = win << s.td_scale;
            s.td_maxwin = swin.max(1);
            s.td_maxend = end.wrapping_add(s.td_maxwin);
            let rcv = &mut c.seen[r];
            if rcv.td_maxwin == 0 {
                rcv.td_end = sack;
                rcv.td_maxend = sack;
            } else if sack == rcv.td_end.wrapping_add(1) {
                rcv.td_end = rcv.td_end.wrapping_add(1);
            }
        }
    } else if seg.syn() && after(end, c.seen[d].td_end) && matches!(state, TcpState::SynSent | TcpState::SynRecv) {
        tcp_init_sender(c, d, seg);
        if dir == Dir::Reply && !seg.has_ack() {
            return Window::Accept;
        }
    }
    if !seg.has_ack() || (seg.rst() && ack == 0) {
        ack = c.seen[r].td_end;
        sack = ack;
    }
    if seg.rst() && seq == 0 && state == TcpState::SynSent {
        // An RST answering a SYN.
        seq = c.seen[d].td_end;
        end = seq;
    }
    // nf_tcp_log_invalid: a liberal direction accepts, without updates.
    let liberal = be_liberal || c.seen[d].flags & tcpf::BE_LIBERAL != 0;
    let verdict = |v: Window| if liberal { Window::Accept } else { v };
    let (snd, rcv) = (c.seen[d], c.seen[r]);
    if !before(seq, snd.td_maxend.wrapping_add(1)) {
        let overshot = end.wrapping_sub(snd.td_maxend).wrapping_add(1);
        let ack_ok = after(sack, rcv.td_end.wrapping_sub(max_ack_window(&snd)).wrapping_sub(1));
        let in_recv_win = rcv.td_maxwin != 0 && after(end, snd.td_end.wrapping_sub(rcv.td_maxwin).wrapping_sub(1));
        if in_recv_win && ack_ok && overshot <= rcv.td_maxwin && before(sack, rcv.td_end.wrapping_add(1)) {
            // More bytes than the window allowed: remember them, so the
            // peer's ACK for them is not over the upper bound.
            c.seen[d].td_end = end;
            c.seen[d].flags |= tcpf::DATA_UNACKNOWLEDGED;
            return verdict(Window::Ignore);
        }
        // SEQ over the upper bound (over the receiver's window).
        return verdict(Window::Invalid);
    }
    if !before(sack, rcv.td_end.wrapping_add(1)) {
        // ACK over the upper bound: acknowledges data not seen yet.
        return verdict(Window::Invalid);
    }
    if !(rcv.td_maxwin == 0 || after(end, snd.td_end.wrapping_sub(rcv.td_maxwin).wrapping_sub(1))) {
        // SEQ under the lower bound: already acknowledged data again.
        return verdict(Window::Ignore);
    }
    if !after(sack, rcv.td_end.wrapping_sub(max_ack_window(&snd)).wrapping_sub(1)) {
        // An ACK under the lower bound (overly delayed).
        return verdict(Window::Ignore);
    }
    if !seg.syn() {
        win <<= c.seen[d].td_scale;
    }
    let swin = win.wrapping_add(sack.wrapping_sub(ack));
    let snd = &mut c.seen[d];
    if snd.td_maxwin < swin {
        snd.td_maxwin = swin;
    }
    if after(end, snd.td_end) {
        snd.td_end = end;
        snd.flags |= tcpf::DATA_UNACKNOWLEDGED;
    }
    if seg.has_ack() {
        if snd.flags & tcpf::MAXACK_SET == 0 {
            snd.td_maxack = ack;
            snd.flags |= tcpf::MAXACK_SET;
        } else if after(ack, snd.td_maxack) {
            snd.td_maxack = ack;
        }
    }
    let snd_maxend = snd.td_maxend;
    let rcv = &mut c.seen[r];
    if rcv.td_maxwin != 0 && after(end, snd_maxend) {
        rcv.td_maxwin = rcv.td_maxwin.wrapping_add(end.wrapping_sub(snd_maxend));
    }
    if after(sack.wrapping_add(win), rcv.td_maxend.wrapping_sub(1)) {
        rcv.td_maxend = sack.wrapping_add(win);
        if win == 0 {
            rcv.td_maxend = rcv.td_maxend.wrapping_add(1);
        }
    }
    if ack == rcv.td_end {
        rcv.flags &= !tcpf::DATA_UNACKNOWLEDGED;
    }
    if index == 3 {
        c.last_win = seg.win;
    }
    Window::Accept
}

/// Adds the one's-complement difference of replacing `old` by `new` to the
/// checksum at `at` (RFC 1624, `inet_proto_csum_replace*`).
fn csum_replace(buf: &mut [u8], at: usize, old: &[u8], new: &[u8]) {
    let Some(c) = buf.get(at..at + 2) else { return };
    let mut sum = u32::from(!u16::from_be_bytes([c[0], c[1]]));
    for w in old.chunks(2) {
        sum += u32::from(!u16::from_be_bytes([w[0], *w.get(1).unwrap_or(&0)]));
    }
    for w in new.chunks(2) {
        sum += u32::from(u16::from_be_bytes([w[0], *w.get(1).unwrap_or(&0)]));
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    buf[at..at + 2].copy_from_slice(&(!(sum as u16)).to_be_bytes());
}

/// `nf_nat_ipv4_manip_pkt`: rewrites the source or destination address and
/// port (ICMP query: id) of the IPv4 packet at the start of `pkt` to the
/// target tuple's, fixing the checksums. Works on a quoted (inner) packet
/// too: an L4 header cut short keeps its checksum.
pub fn manip_pkt(pkt: &mut [u8], target: &Tuple, manip: Manip) {
    if pkt.len() < 20 {
        return;
    }
    let ihl = usize::from(pkt[0] & 0xf) * 4;
    let proto = pkt[9];
    let frag = u16::from_be_bytes([pkt[6], pkt[7]]) & 0x1fff != 0;
    let (at, new_ip, new_port) = match manip {
        Manip::Src => (12, target.src, target.sport),
        Manip::Dst => (16, target.dst, target.dport),
    };
    let old_ip: [u8; 4] = [pkt[at], pkt[at + 1], pkt[at + 2], pkt[at + 3]];
    let new_ip = new_ip.octets();
    if !frag && pkt.len() > ihl {
        let l4 = &mut pkt[ihl..];
        match proto {
            PROTO_TCP | PROTO_UDP => {
                let po = if manip == Manip::Src { 0 } else { 2 };
                let csum_at = if proto == PROTO_TCP { 16 } else { 6 };
                if l4.len() >= po + 2 {
                    let old_port = [l4[po], l4[po + 1]];
                    let np = new_port.to_be_bytes();
                    let full = l4.len() >= csum_at + 2;
                    let udp_off = proto == PROTO_UDP && full && l4[6] == 0 && l4[7] == 0;
                    if full && !udp_off {
                        csum_replace(l4, csum_at, &old_ip, &new_ip);
                        csum_replace(l4, csum_at, &old_port, &np);
                        if proto == PROTO_UDP && l4[6] == 0 && l4[7] == 0 {
                            l4[6] = 0xff; // CSUM_MANGLED_0
                            l4[7] = 0xff;
                        }
                    }
                    l4[po..po + 2].copy_from_slice(&np);
                }
            }
            PROTO_ICMP if l4.len() >= 8 && icmp_is_query(l4[0]) => {
                let old = [l4[4], l4[5]];
                let new = target.sport.to_be_bytes();
                csum_replace(l4, 2, &old, &new);
                l4[4..6].copy_from_slice(&new);
            }
            _ => {}
        }
    }
    pkt[at..at + 4].copy_from_slice(&new_ip);
    csum_replace(pkt, 10, &old_ip, &new_ip);
}

/// The port-like field NAT changes for a manip (`keyptr`).
fn key(t: &Tuple, manip: Manip) -> u16 {
    if t.proto == PROTO_ICMP || manip == Manip::Src {
        t.sport
    } else {
        t.dport
    }
}

fn set_key(t: &mut Tuple, manip: Manip, v: u16) {
    if t.proto == PROTO_ICMP || manip == Manip::Src {
        t.sport = v;
    } else {
        t.dport = v;
    }
}

impl Engine {
    /// The connection of the packet in the hooks, if any.
    pub fn skb_conn(&self, ns: NsId) -> Option<(&Conn, CtInfo)> {
        match &self.skb_ct {
            SkbCt::None | SkbCt::Untracked => None,
            SkbCt::Tracked(CtRef::Unconfirmed(c), info) => Some((c, *info)),
            SkbCt::Tracked(CtRef::Confirmed(id), info) => self.world.ns(ns).ct.get(*id).map(|c| (c, *info)),
        }
    }

    /// `nf_conntrack_in`: attaches the packet's connection. A packet that
    /// already has one (it came over loopback, or it is an ICMP error the
    /// stack attached to the packet it is about) keeps it.
    pub(super) fn ct_in(&mut self, ns: NsId, pkt: &[u8]) {
        if self.skb_ct != SkbCt::None || !self.world.ns(ns).ct.enabled {
            return;
        }
        let Some(t) = Tuple::of_packet(pkt) else {
            self.world.ns_mut(ns).ct.stats.invalid += 1;
            return;
        };
        let now = self.now;
        let ihl = usize::from(pkt[0] & 0xf) * 4;
        // The IP header's length, not the frame's (which may be padded).
        let total = usize::from(u16::from_be_bytes([pkt[2], pkt[3]])).clamp(ihl.min(pkt.len()), pkt.len());
        let l4 = pkt.get(ihl..total).unwrap_or_default();
        if t.proto == PROTO_ICMP && icmp_is_error(t.icmp_type()) {
            // icmp_error_message: the quoted datagram's connection.
            let found = l4
                .get(8..)
                .and_then(Tuple::of_packet)
                .and_then(|inner| inner.invert())
                .and_then(|inv| self.world.ns(ns).ct.find(&inv, now));
            if let Some((id, dir)) = found {
                let info = if dir == Dir::Reply { CtInfo::RelatedReply } else { CtInfo::Related };
                self.skb_ct = SkbCt::Tracked(CtRef::Confirmed(id), info);
            } else {
                // An error type cannot open a connection.
                self.world.ns_mut(ns).ct.stats.invalid += 1;
            }
            return;
        }
        loop {
            let table = &mut self.world.ns_mut(ns).ct;
            let (loose, liberal) = (table.tcp.loose != 0, table.tcp.be_liberal != 0);
            match table.find(&t, now) {
                Some((id, dir)) => {
                    let Some(c) = table.get_mut(id) else { return };
                    let (old_status, old_tcp) = (c.status, c.tcp);
                    let seen = c.has(status::SEEN_REPLY);
                    let info = match dir {
                        Dir::Reply => CtInfo::EstablishedReply,
                        Dir::Orig if seen => CtInfo::Established,
                        Dir::Orig => CtInfo::New,
                    };
                    match track(c, dir, l4, now, liberal) {
                        Track::Ok => {}
                        Track::Invalid => {
                            table.stats.invalid += 1;
                            return;
                        }
                        Track::Kill => {
                            // nf_ct_kill: gone from the table, but the packet
                            // keeps it (its state and NAT still apply). The
                            // tracker set CLOSE before killing it.
                            if let Some(mut dead) = table.remove(id) {
                                dead.tcp = TcpState::Close;
                                self.ct_report(ns, EventKind::Destroy, &dead, None);
                                self.skb_ct = SkbCt::Tracked(CtRef::Unconfirmed(Box::new(dead)), info);
                            }
                            return;
                        }
                        Track::Reopen => {
                            if let Some(dead) = table.remove(id) {
                                self.ct_report(ns, EventKind::Destroy, &dead, None);
                            }
                            continue;
                        }
                    }
                    let listened = table.listeners > 0;
                    if let Some(c) = table.get_mut(id) {
                        if dir == Dir::Reply {
                            c.status |= status::SEEN_REPLY;
                        }
                        let fresh = c.status & !old_status;
                        if fresh & status::SEEN_REPLY != 0 {
                            c.pending |= ev::REPLY;
                        }
                        if fresh & status::ASSURED != 0 {
                            c.pending |= ev::ASSURED;
                        }
                        if c.tcp != old_tcp {
                            c.pending |= ev::PROTOINFO;
                        }
                        // A timeout can shrink without an event (TCP's
                        // unacknowledged-data cap).
                        let at = c.expires;
                        if listened {
                            self.ct_events_expiry(ns, at);
                        }
                    }
                    self.skb_ct = SkbCt::Tracked(CtRef::Confirmed(id), info);
                }
                None => {
                    let opens = t.invert().filter(|_| t.proto != PROTO_ICMP || Tuple::icmp_opens(t.icmp_type()));
                    let Some(reply) = opens else {
                        table.stats.invalid += 1;
                        return;
                    };
                    let mut c = Conn::new(t, reply, now);
                    if t.proto == PROTO_TCP {
                        let flags = l4.get(13).copied().unwrap_or(0);
                        let seg = Segment::parse(l4);
                        let (To(_), Some(seg)) = (tcp_transition(Dir::Orig, flags, TcpState::None), seg) else {
                            table.stats.invalid += 1;
                            return;
                        };
                        if !tcp_new(&mut c, &seg, loose) {
                            table.stats.invalid += 1;
                            return;
                        }
                    }
                    if !matches!(track(&mut c, Dir::Orig, l4, now, liberal), Track::Ok) {
                        table.stats.invalid += 1;
                        return;
                    }
                    self.skb_ct = SkbCt::Tracked(CtRef::Unconfirmed(Box::new(c)), CtInfo::New);
                }
            }
            return;
        }
    }

    /// `nf_conntrack_confirm`: a new connection whose first packet made it
    /// through enters the table.
    pub(super) fn ct_confirm(&mut self, ns: NsId) {
        if let SkbCt::Tracked(CtRef::Confirmed(id), _) = self.skb_ct {
            // nf_ct_deliver_cached_events.
            let cached = self.world.ns_mut(ns).ct.get_mut(id).filter(|c| c.pending != 0).map(|c| {
                let shown = c.clone();
                c.pending = 0;
                shown
            });
            if let Some(c) = cached {
                self.ct_report(ns, EventKind::Update, &c, None);
            }
            return;
        }
        let SkbCt::Tracked(CtRef::Unconfirmed(_), info) = &self.skb_ct else { return };
        let info = *info;
        if info.dir() != Dir::Orig {
            return;
        }
        let SkbCt::Tracked(CtRef::Unconfirmed(c), _) = std::mem::take(&mut self.skb_ct) else { return };
        let now = self.now;
        let table = &mut self.world.ns_mut(ns).ct;
        let id = match table.find(&c.orig, now) {
            // Another packet of the same flow got there first.
            Some((id, _)) => id,
            None => {
                let id = table.insert(*c, now);
                let shown = table.get_mut(id).map(|c| {
                    let shown = c.clone();
                    c.pending = 0;
                    shown
                });
                if let Some(shown) = shown {
                    self.ct_report(ns, EventKind::New, &shown, None);
                }
                id
            }
        };
        self.skb_ct = SkbCt::Tracked(CtRef::Confirmed(id), info);
    }

    /// Whether the nat table's chain must be consulted for this packet:
    /// its connection is new (or the packet is RELATED) and has no binding
    /// of this manip type yet (`nf_nat_initialized`).
    pub(super) fn nat_needs_chain(&self, ns: NsId, manip: Manip) -> bool {
        match self.skb_conn(ns) {
            Some((c, CtInfo::New | CtInfo::Related | CtInfo::RelatedReply)) => !c.has(manip.done_bit()),
            _ => false,
        }
    }

    /// Whether the packet is an ICMP error RELATED to a connection, which
    /// NAT translates instead of running the chain (`nf_nat_ipv4_fn`).
    pub(super) fn nat_is_related_icmp(&self, ns: NsId, pkt: &[u8]) -> bool {
        matches!(self.skb_conn(ns), Some((_, CtInfo::Related | CtInfo::RelatedReply)))
            && pkt.get(9) == Some(&PROTO_ICMP)
    }

    /// Runs `f` on the packet's connection, mutably, with the table to
    /// check tuples against; a confirmed entry is written back re-indexed.
    fn with_conn(&mut self, ns: NsId, f: impl FnOnce(&mut Conn, &crate::model::conntrack::ConnTable)) {
        match &mut self.skb_ct {
            SkbCt::Tracked(CtRef::Unconfirmed(c), _) => f(c, &self.world.ns(ns).ct),
            SkbCt::Tracked(CtRef::Confirmed(id), _) => {
                let id = *id;
                let table = &mut self.world.ns_mut(ns).ct;
                let Some(mut c) = table.get(id).cloned() else { return };
                f(&mut c, table);
                table.replace(id, c);
            }
            SkbCt::None | SkbCt::Untracked => {}
        }
    }

    /// Sets the packet's connection's mark (`CONNMARK`).
    pub(super) fn set_ct_mark(&mut self, ns: NsId, mark: u32) {
        self.with_conn(ns, |c, _| {
            if c.mark != mark {
                c.mark = mark;
                c.pending |= ev::MARK;
            }
        });
    }

    /// `nf_nat_setup_info`: binds the connection for `manip` into `range`
    /// (`None`: the null binding, which keeps the tuple unless it clashes).
    pub(super) fn nat_setup(&mut self, ns: NsId, manip: Manip, range: Option<Range>) {
        let now = self.now;
        let mut rng_draw = self.rng.next_u64() as u16;
        self.with_conn(ns, |c, table| {
            if c.has(manip.done_bit()) {
                return;
            }
            let Some(curr) = c.reply.invert() else { return };
            let range = range.unwrap_or_else(|| {
                // nf_nat_alloc_null_binding: map to the address it has.
                let ip = match manip {
                    Manip::Src => c.reply.dst,
                    Manip::Dst => c.reply.src,
                };
                Range { addr: Some((ip, ip)), ports: None, random: false }
            });
            let new = unique_tuple(&curr, &range, manip, table, now, &mut rng_draw);
            if new != curr {
                if let Some(r) = new.invert() {
                    c.reply = r;
                    c.status |= manip.status_bit();
                }
            }
            c.status |= manip.done_bit();
        });
    }

    /// `nf_nat_packet`: rewrites the packet as its connection's binding
    /// says for this hook's manip type and the packet's direction.
    pub(super) fn nat_packet(&mut self, ns: NsId, hook: Hook, pkt: &mut [u8]) {
        let manip = Manip::of_hook(hook);
        let Some(other) = self.nat_other_tuple(ns, manip) else { return };
        let Some(target) = other.invert() else { return };
        manip_pkt(pkt, &target, manip);
    }

    /// Whether this hook's manip applies to the packet in its direction
    /// (`IPS_SRC_NAT`/`IPS_DST_NAT`, swapped for replies); if so, the tuple
    /// of the other direction, whose inverse the packet is rewritten to.
    fn nat_other_tuple(&self, ns: NsId, manip: Manip) -> Option<Tuple> {
        let (c, info) = self.skb_conn(ns)?;
        let dir = info.dir();
        let mut bit = manip.status_bit();
        if dir == Dir::Reply {
            bit ^= status::SRC_NAT | status::DST_NAT;
        }
        let other = if dir == Dir::Orig { Dir::Reply } else { Dir::Orig };
        c.has(bit).then(|| *c.tuple(other))
    }

    /// `nf_nat_icmp_reply_translation`: an ICMP error about a NATed
    /// connection gets its quoted packet and its outer header rewritten.
    pub(super) fn nat_icmp_reply(&mut self, ns: NsId, hook: Hook, pkt: &mut [u8]) {
        let manip = Manip::of_hook(hook);
        let Some(inner_target) = self.nat_other_tuple(ns, manip) else { return };
        let Some(mut outer) = inner_target.invert() else { return };
        outer.proto = PROTO_ICMP;
        let ihl = usize::from(pkt[0] & 0xf) * 4;
        if pkt.len() < ihl + 8 + 20 {
            return;
        }
        manip_pkt(&mut pkt[ihl + 8..], &inner_target, manip.other());
        let icmp = &mut pkt[ihl..];
        icmp[2] = 0;
        icmp[3] = 0;
        let sum = super::datapath::checksum(icmp);
        icmp[2..4].copy_from_slice(&sum.to_be_bytes());
        manip_pkt(pkt, &outer, manip);
    }
}

impl Engine {
    /// The netlink port id a tool's request carries (`[USERSPACE]
    /// portid=`): the pid the next process would get.
    pub fn ct_portid(&self) -> u32 {
        self.next_pid
    }

    /// Reports an event about `c` in `ns` to every `conntrack -E` there
    /// (`nf_conntrack_eventmask_report`). `portid` is set for changes a
    /// tool asked for; then, as for a CONNMARK change, the mark is shown.
    pub fn ct_report(&mut self, ns: NsId, kind: EventKind, c: &Conn, portid: Option<u32>) {
        if !self.world.ns_alive(ns) || self.world.ns(ns).ct.listeners == 0 {
            return;
        }
        let now = self.now;
        let left = c.expires.saturating_sub(now) / crate::model::NS_PER_SEC;
        // ctnetlink_dump_timeout skips a zero timeout on DESTROY only.
        let secs = (kind != EventKind::Destroy || left > 0).then_some(left);
        // ctnetlink's create and update report IPCT_MARK with the rest.
        let show_mark = (portid.is_some() && kind != EventKind::Destroy) || c.pending & ev::MARK != 0;
        if kind != EventKind::Destroy {
            self.ct_events_expiry(ns, c.expires);
        }
        for pid in self.listeners(ns) {
            let Some(super::proc::Process::CtEvents(l)) = self.procs.get_mut(&pid) else { continue };
            if !l.kinds.contains(&kind) || !l.filter.matches(c) {
                continue;
            }
            let mut line = String::new();
            if l.timestamp {
                let t = super::proc::EPOCH_NS + now;
                let ns = crate::model::NS_PER_SEC;
                line.push_str(&format!("[{}.{:06}]\t", t / ns, t % ns / 1000));
            }
            crate::render::conntrack::event_line(&mut line, kind, c, secs, l.extended, show_mark, portid);
            l.shown += 1;
            let sink = l.stdio.out.clone();
            self.write(&sink, &line);
        }
    }

    /// An entry of `ns` now expires at `at`: a listener whose wake-up is
    /// later (or unset) wakes then instead. Called on every event and
    /// whenever a packet moves an entry's timeout while listeners run.
    fn ct_events_expiry(&mut self, ns: NsId, at: u64) {
        let now = self.now;
        if at <= now {
            return;
        }
        for pid in self.listeners(ns) {
            let Some(super::proc::Process::CtEvents(l)) = self.procs.get_mut(&pid) else { continue };
            if l.next_gc.is_none_or(|t| t <= now || at < t) {
                l.next_gc = Some(at);
                self.schedule(at, super::Event::Wake { pid });
            }
        }
    }

    /// The running `conntrack -E` processes of `ns`.
    fn listeners(&self, ns: NsId) -> Vec<super::proc::Pid> {
        self.procs
            .iter()
            .filter(|(_, p)| matches!(p, super::proc::Process::CtEvents(l) if l.ns == ns && l.exit.is_none()))
            .map(|(pid, _)| *pid)
            .collect()
    }

    /// Starts listening: counts the listener and sets its first expiry
    /// wake-up.
    pub(super) fn ct_events_start(&mut self, pid: super::proc::Pid) {
        let Some(super::proc::Process::CtEvents(l)) = self.procs.get(&pid) else { return };
        let ns = l.ns;
        let now = self.now;
        let t = &mut self.world.ns_mut(ns).ct;
        // Entries that expired before it started were collected unseen.
        t.expire(now);
        t.listeners += 1;
        self.ct_events_arm(pid);
    }

    /// Sets the listener's wake-up for the next entry to expire.
    fn ct_events_arm(&mut self, pid: super::proc::Pid) {
        let now = self.now;
        let Some(super::proc::Process::CtEvents(l)) = self.procs.get(&pid) else { return };
        if !self.world.ns_alive(l.ns) {
            return;
        }
        let next = self.world.ns(l.ns).ct.iter().map(|(_, c)| c.expires).filter(|&t| t > now).min();
        let Some(super::proc::Process::CtEvents(l)) = self.procs.get_mut(&pid) else { return };
        l.next_gc = next;
        if let Some(t) = next {
            self.schedule(t, super::Event::Wake { pid });
        }
    }

    /// The listener's wake-up: entries that have expired are collected and
    /// reported (`gc_worker`, which the kernel runs on its own schedule).
    pub(super) fn ct_events_wake(&mut self, pid: super::proc::Pid) {
        let now = self.now;
        let Some(super::proc::Process::CtEvents(l)) = self.procs.get(&pid) else { return };
        if l.exit.is_some() || l.next_gc.is_none_or(|t| t > now) {
            return;
        }
        let ns = l.ns;
        // DIVERGENCE: `ip netns del` ends the namespace here even while a
        // listener runs in it (the kernel keeps it while a process uses
        // it): the listener hears nothing more.
        if !self.world.ns_alive(ns) {
            return;
        }
        // DIVERGENCE: the kernel reports an expired entry when its gc
        // worker or a dump or lookup next meets it, which is some time
        // after the moment it expires; netsim reports it at that moment.
        let dead: Vec<ConnId> =
            self.world.ns(ns).ct.iter().filter(|(_, c)| c.expires <= now).map(|(id, _)| id).collect();
        for id in dead {
            if let Some(c) = self.world.ns_mut(ns).ct.remove(id) {
                self.ct_report(ns, EventKind::Destroy, &c, None);
            }
        }
        self.ct_events_arm(pid);
    }

    /// Stops a listener: SIGINT and SIGTERM make conntrack print how many
    /// events it showed (on stderr) and exit 0; SIGKILL ends it silently.
    pub fn ct_events_signal(&mut self, pid: super::proc::Pid, sig: &str) {
        let Some(super::proc::Process::CtEvents(l)) = self.procs.get_mut(&pid) else { return };
        if l.exit.is_some() {
            return;
        }
        let ns = l.ns;
        let err = l.stdio.err.clone();
        let text = format!("conntrack v1.4.7 (conntrack-tools): {} flow events have been shown.\n", l.shown);
        let quiet = sig == "KILL";
        l.exit = Some(if quiet { 137 } else { 0 });
        if self.world.ns_alive(ns) {
            let t = &mut self.world.ns_mut(ns).ct;
            t.listeners = t.listeners.saturating_sub(1);
        }
        if !quiet {
            self.write(&err, &text);
        }
    }
}

/// The kernel's `jhash2` over a `union nf_inet_addr` holding an IPv4
/// address: four words `[k, 0, 0, 0]` (one `__jhash_mix` round for the
/// first three, `__jhash_final` after adding the fourth).
fn jhash_addr(k: u32, initval: u32) -> u32 {
    let init = 0xdead_beef_u32.wrapping_add(16).wrapping_add(initval);
    let (mut a, mut b, mut c) = (init.wrapping_add(k), init, init);
    // __jhash_mix
    a = a.wrapping_sub(c);
    a ^= c.rotate_left(4);
    c = c.wrapping_add(b);
    b = b.wrapping_sub(a);
    b ^= a.rotate_left(6);
    a = a.wrapping_add(c);
    c = c.wrapping_sub(b);
    c ^= b.rotate_left(8);
    b = b.wrapping_add(a);
    a = a.wrapping_sub(c);
    a ^= c.rotate_left(16);
    c = c.wrapping_add(b);
    b = b.wrapping_sub(a);
    b ^= a.rotate_left(19);
    a = a.wrapping_add(c);
    c = c.wrapping_sub(b);
    c ^= b.rotate_left(4);
    b = b.wrapping_add(a);
    // __jhash_final (the fourth word, 0, added to a)
    c ^= b;
    c = c.wrapping_sub(b.rotate_left(14));
    a ^= c;
    a = a.wrapping_sub(c.rotate_left(11));
    b ^= a;
    b = b.wrapping_sub(a.rotate_left(25));
    c ^= b;
    c = c.wrapping_sub(b.rotate_left(16));
    a ^= c;
    a = a.wrapping_sub(c.rotate_left(4));
    b ^= a;
    b = b.wrapping_sub(a.rotate_left(14));
    c ^= b;
    c = c.wrapping_sub(b.rotate_left(24));
    c
}

/// `get_unique_tuple`: the tuple the connection will look like after the
/// manip, inside `range` and not clashing with a confirmed connection.
fn unique_tuple(
    curr: &Tuple,
    range: &Range,
    manip: Manip,
    table: &crate::model::conntrack::ConnTable,
    now: u64,
    rng_draw: &mut u16,
) -> Tuple {
    let used = |t: &Tuple| t.invert().is_some_and(|r| table.taken(&r, now));
    let addr_of = |t: &Tuple| if manip == Manip::Src { t.src } else { t.dst };
    let in_range = |t: &Tuple| {
        range.addr.is_none_or(|(lo, hi)| lo <= addr_of(t) && addr_of(t) <= hi)
            && range.ports.is_none_or(|(lo, hi)| lo <= key(t, manip) && key(t, manip) <= hi)
    };
    // 1) Source NAT keeps the original tuple when it is in range and free.
    if manip == Manip::Src && !range.random && in_range(curr) && !used(curr) {
        return *curr;
    }
    // 2) find_best_ips_proto.
    let mut t = *curr;
    if let Some((lo, hi)) = range.addr {
        let n = u32::from(hi).saturating_sub(u32::from(lo)) + 1;
        // find_best_ips_proto: jhash2 of the source address (words as they
        // lie in memory, little endian here) with the destination as
        // initval, scaled into the range (`reciprocal_scale`).
        // DIVERGENCE: `persistent` (initval 0) is not distinguished.
        let word = |a: Ipv4Addr| u32::from_le_bytes(a.octets());
        let h = jhash_addr(word(curr.src), word(curr.dst));
        let off = if n == 0 { 0 } else { ((u64::from(h) * u64::from(n)) >> 32) as u32 };
        let ip = Ipv4Addr::from(u32::from(lo) + off);
        match manip {
            Manip::Src => t.src = ip,
            Manip::Dst => t.dst = ip,
        }
    }
    // 3) Keep the port if it is in range and free.
    if !range.random {
        match range.ports {
            Some((lo, hi)) => {
                let k = key(&t, manip);
                if lo <= k && k <= hi && (lo == hi || !used(&t)) {
                    return t;
                }
            }
            None if !used(&t) => return t,
            None => {}
        }
    }
    // 4) nf_nat_l4proto_unique_tuple.
    let (min, size): (u32, u32) = match (t.proto, range.ports) {
        (PROTO_ICMP, None) => (0, 65536),
        (PROTO_ICMP | PROTO_TCP | PROTO_UDP, Some((lo, hi))) => (u32::from(lo), u32::from(hi) - u32::from(lo) + 1),
        (PROTO_TCP | PROTO_UDP, None) => {
            if manip == Manip::Dst {
                return t;
            }
            match key(&t, manip) {
                p if p < 512 => (1, 511),
                p if p < 1024 => (600, 424),
                _ => (1024, 64512),
            }
        }
        _ => return t,
    };
    let mut off = if range.random || manip == Manip::Src { u32::from(*rng_draw) } else { 0 };
    for _ in 0..size.min(65536) {
        set_key(&mut t, manip, (min + off % size) as u16);
        if !used(&t) {
            return t;
        }
        off = off.wrapping_add(1);
    }
    *rng_draw = rng_draw.wrapping_add(1);
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::datapath::{checksum, ipv4_packet};

    const NO: TcpState = TcpState::None;

    fn udp(src: [u8; 4], dst: [u8; 4], sport: u16, dport: u16) -> Vec<u8> {
        let mut l4 = vec![0u8; 12];
        l4[0..2].copy_from_slice(&sport.to_be_bytes());
        l4[2..4].copy_from_slice(&dport.to_be_bytes());
        l4[4..6].copy_from_slice(&12u16.to_be_bytes());
        l4[8..12].copy_from_slice(b"ping");
        let mut p = ipv4_packet(src.into(), dst.into(), PROTO_UDP, 64, 1, true, &l4);
        let sum = udp_sum(&p);
        p[26..28].copy_from_slice(&sum.to_be_bytes());
        p
    }

    fn udp_sum(p: &[u8]) -> u16 {
        let mut pseudo = Vec::new();
        pseudo.extend_from_slice(&p[12..20]);
        pseudo.extend_from_slice(&[0, PROTO_UDP]);
        pseudo.extend_from_slice(&((p.len() - 20) as u16).to_be_bytes());
        let mut l4 = p[20..].to_vec();
        l4[6] = 0;
        l4[7] = 0;
        pseudo.extend_from_slice(&l4);
        checksum(&pseudo)
    }

    // Proves a source manip rewrites address and port and leaves the IP
    // and UDP checksums equal to freshly computed ones.
    #[test]
    fn manip_keeps_checksums_right() {
        let mut p = udp([10, 0, 1, 2], [192, 168, 0, 2], 40000, 53);
        let target = Tuple {
            src: Ipv4Addr::new(192, 168, 0, 1),
            dst: Ipv4Addr::new(192, 168, 0, 2),
            proto: PROTO_UDP,
            sport: 1024,
            dport: 53,
        };
        manip_pkt(&mut p, &target, Manip::Src);
        assert_eq!(&p[12..16], &[192, 168, 0, 1]);
        assert_eq!(u16::from_be_bytes([p[20], p[21]]), 1024);
        assert_eq!(checksum(&p[..20]), 0);
        assert_eq!(u16::from_be_bytes([p[26], p[27]]), udp_sum(&p));
    }

    // Proves NAT is reversible under port clashes: many connections from a
    // few sources and source ports masqueraded to one address get distinct
    // reply tuples, and rewriting each reply as PREROUTING does restores
    // exactly the original sender's address and port (1000 random cases).
    #[test]
    fn masquerade_replies_find_their_senders() {
        use crate::engine::rng::Rng;
        use crate::model::{HostProfile, World};
        let mut rng = Rng::new(7);
        for case in 0..1000 {
            let mut e = Engine::new(HostProfile::plain(), case);
            let ns = World::ROOT;
            let masq = Ipv4Addr::new(192, 0, 2, 1);
            let server = Ipv4Addr::new(198, 51, 100, 7);
            let proto = [PROTO_TCP, PROTO_UDP, PROTO_ICMP][rng.range(0, 2) as usize];
            let n = rng.range(1, 40);
            let mut origs = Vec::new();
            for _ in 0..n {
                let src = Ipv4Addr::new(10, 0, 0, rng.range(1, 3) as u8);
                let sport = [5000, 5001, 40000, 700][rng.range(0, 3) as usize];
                let dport = if proto == PROTO_ICMP { 8 << 8 } else { 80 };
                let t = Tuple { src, dst: server, proto, sport, dport };
                if origs.contains(&t) {
                    continue; // the same connection again, not a new one
                }
                let Some(r) = t.invert() else { continue };
                let mut c = Conn::new(t, r, 0);
                c.expires = 30 * crate::model::NS_PER_SEC;
                e.skb_ct = SkbCt::Tracked(CtRef::Unconfirmed(Box::new(c)), CtInfo::New);
                e.nat_setup(ns, Manip::Src, Some(Range { addr: Some((masq, masq)), ports: None, random: false }));
                e.ct_confirm(ns);
                origs.push(t);
            }
            let table = &e.world.ns(ns).ct;
            assert_eq!(table.len(), origs.len(), "case {case}: every connection confirmed");
            for o in &origs {
                let (id, dir) = table.find(o, 1).expect("original tuple indexed");
                assert_eq!(dir, Dir::Orig);
                let c = table.get(id).expect("conn");
                assert_eq!(c.reply.dst, masq, "case {case}");
                // A reply packet, rewritten as nf_nat_packet does at PREROUTING.
                let mut reply = match proto {
                    PROTO_ICMP => {
                        let mut icmp = vec![0u8, 0, 0, 0, 0, 0, 0, 1];
                        icmp[4..6].copy_from_slice(&c.reply.sport.to_be_bytes());
                        ipv4_packet(c.reply.src, c.reply.dst, PROTO_ICMP, 64, 1, true, &icmp)
                    }
                    _ => {
                        let mut l4 = vec![0u8; 20];
                        l4[0..2].copy_from_slice(&c.reply.sport.to_be_bytes());
                        l4[2..4].copy_from_slice(&c.reply.dport.to_be_bytes());
                        ipv4_packet(c.reply.src, c.reply.dst, proto, 64, 1, true, &l4)
                    }
                };
                let target = c.orig.invert().expect("invertible");
                manip_pkt(&mut reply, &target, Manip::Dst);
                let back = Tuple::of_packet(&reply).expect("parses");
                let port = if proto == PROTO_ICMP { back.sport } else { back.dport };
                assert_eq!((back.dst, port), (o.src, o.sport), "case {case}");
                assert_eq!(checksum(&reply[..20]), 0);
            }
        }
    }

    /// A TCP segment (L4 bytes only) with `opts` (padded to words) and
    /// `data` bytes of payload.
    fn tcp(seq: u32, ack: u32, flags: u8, win: u16, opts: &[u8], data: usize) -> Vec<u8> {
        let mut o = opts.to_vec();
        while !o.len().is_multiple_of(4) {
            o.push(1);
        }
        let mut l4 = vec![0u8; 20];
        l4[0..2].copy_from_slice(&40000u16.to_be_bytes());
        l4[2..4].copy_from_slice(&80u16.to_be_bytes());
        l4[4..8].copy_from_slice(&seq.to_be_bytes());
        l4[8..12].copy_from_slice(&ack.to_be_bytes());
        l4[12] = ((20 + o.len()) / 4) as u8 * 16;
        l4[13] = flags;
        l4[14..16].copy_from_slice(&win.to_be_bytes());
        l4.extend_from_slice(&o);
        l4.extend(std::iter::repeat_n(0u8, data));
        l4
    }

    fn opened() -> Conn {
        let t = Tuple {
            src: Ipv4Addr::new(10, 0, 0, 1),
            dst: Ipv4Addr::new(10, 0, 0, 2),
            proto: PROTO_TCP,
            sport: 40000,
            dport: 80,
        };
        let mut c = Conn::new(t, t.invert().expect("tcp"), 0);
        // SYN with wscale 7, SYN-ACK with wscale 7, ACK.
        let syn = tcp(1000, 0, 2, 64240, &[2, 4, 5, 180, 4, 2, 3, 3, 7], 0);
        assert!(tcp_new(&mut c, &Segment::parse(&syn).expect("syn"), true));
        assert!(matches!(track(&mut c, Dir::Orig, &syn, 0, false), Track::Ok));
        let synack = tcp(5000, 1001, 18, 65160, &[2, 4, 5, 180, 4, 2, 3, 3, 7], 0);
        assert!(matches!(track(&mut c, Dir::Reply, &synack, 0, false), Track::Ok));
        c.status |= status::SEEN_REPLY;
        let ack = tcp(1001, 5001, 16, 502, &[], 0);
        assert!(matches!(track(&mut c, Dir::Orig, &ack, 0, false), Track::Ok));
        assert_eq!(c.tcp, TcpState::Established);
        c
    }

    // Proves window tracking follows a handshake with window scaling (the
    // scaled window admits a 100 kB burst), marks a segment beyond the
    // receiver's window and an ACK for data never sent INVALID without
    // touching the state, and lets an old retransmission through unchanged.
    #[test]
    fn tcp_window_bounds() {
        let mut c = opened();
        let w = |c: &Conn| c.tcpw.as_deref().copied().unwrap_or_default();
        assert_eq!((w(&c).seen[0].td_scale, w(&c).seen[1].td_scale), (7, 7));
        // 100 kB in flight from the client: within 65160 << 7.
        let data = tcp(1001, 5001, 24, 502, &[], 100_000);
        assert!(matches!(track(&mut c, Dir::Orig, &data, 0, false), Track::Ok));
        assert_eq!(w(&c).seen[0].td_end, 101_001);
        assert!(w(&c).seen[0].flags & tcpf::DATA_UNACKNOWLEDGED != 0);
        // Far beyond the server's window: INVALID, nothing changes.
        let before = c.clone();
        let far = tcp(1001 + 50_000_000, 5001, 24, 502, &[], 10);
        assert!(matches!(track(&mut c, Dir::Orig, &far, 0, false), Track::Invalid));
        // nf_conntrack_tcp_be_liberal=1 lets it through.
        assert!(matches!(track(&mut c.clone(), Dir::Orig, &far, 0, true), Track::Ok));
        // The server acknowledges bytes the client never sent: INVALID.
        let bad_ack = tcp(5001, 200_000, 16, 509, &[], 0);
        assert!(matches!(track(&mut c, Dir::Reply, &bad_ack, 0, false), Track::Invalid));
        assert_eq!(c, before);
        // The server acknowledges everything: the data flag clears.
        let ack = tcp(5001, 101_001, 16, 509, &[], 0);
        assert!(matches!(track(&mut c, Dir::Reply, &ack, 0, false), Track::Ok));
        assert!(w(&c).seen[0].flags & tcpf::DATA_UNACKNOWLEDGED == 0);
        // A FIN far below what the server has acknowledged: ignored (let
        // through, state kept).
        let old_fin = tcp(1001u32.wrapping_sub(70_000_000), 5001, 17, 502, &[], 0);
        assert!(matches!(track(&mut c, Dir::Orig, &old_fin, 0, false), Track::Ok));
        assert_eq!(c.tcp, TcpState::Established);
    }

    // Proves a connection picked up mid-stream (no SYN seen) is liberal:
    // wild sequence numbers pass in both directions.
    #[test]
    fn tcp_pickup_is_liberal() {
        let t = Tuple {
            src: Ipv4Addr::new(10, 0, 0, 1),
            dst: Ipv4Addr::new(10, 0, 0, 2),
            proto: PROTO_TCP,
            sport: 40000,
            dport: 80,
        };
        let mut c = Conn::new(t, t.invert().expect("tcp"), 0);
        let ack = tcp(7, 9, 16, 100, &[], 0);
        assert!(!tcp_new(&mut c.clone(), &Segment::parse(&ack).expect("ack"), false), "tcp_loose=0: no pickup");
        assert!(tcp_new(&mut c, &Segment::parse(&ack).expect("ack"), true));
        assert!(matches!(track(&mut c, Dir::Orig, &ack, 0, false), Track::Ok));
        assert_eq!(c.tcp, TcpState::Established);
        assert_eq!(c.expires, TcpState::UNACK_TIMEOUT, "no reply yet: the short timeout");
        let wild = tcp(3_000_000_000, 9, 16, 100, &[], 10);
        assert!(matches!(track(&mut c, Dir::Orig, &wild, 0, false), Track::Ok));
        let reply = tcp(123_456, 3_000_000_010, 16, 100, &[], 0);
        assert!(matches!(track(&mut c, Dir::Reply, &reply, 0, false), Track::Ok));
    }

    // Proves the TCP table walks a normal open and close, marks an RST
    // from NONE invalid, and ignores a retransmitted SYN-ACK.
    #[test]
    fn tcp_transitions() {
        let (syn, synack, ack, fin, rst) = (2, 18, 16, 17, 4);
        assert_eq!(tcp_transition(Dir::Orig, syn, NO), To(SS));
        assert_eq!(tcp_transition(Dir::Reply, synack, SS), To(SR));
        assert_eq!(tcp_transition(Dir::Orig, ack, SR), To(ES));
        assert_eq!(tcp_transition(Dir::Orig, fin, ES), To(FW));
        assert_eq!(tcp_transition(Dir::Reply, fin, FW), To(LA));
        assert_eq!(tcp_transition(Dir::Orig, ack, LA), To(TW));
        assert_eq!(tcp_transition(Dir::Orig, rst, NO), Iv);
        assert_eq!(tcp_transition(Dir::Reply, synack, ES), Ig);
    }
}
