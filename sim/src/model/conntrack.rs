//! Connection tracking as data: tuples, connections and the per-namespace
//! table, as `nf_conntrack` keeps them and `conntrack -L` lists them.
//!
//! What it does: holds confirmed connections by id with an index from each
//! direction's tuple (`nf_conntrack_hash`), the TCP state names and timeouts
//! (`nf_conntrack_proto_tcp.c`), the status bits `conntrack -L` shows, and
//! expiry in virtual time (an expired entry is gone for lookups and listings
//! alike, as the kernel's lookup and dump treat it).
//!
//! It also holds what `conntrack -E` needs: the event bits a connection
//! has cached for its next delivery (`nf_conntrack_ecache.c`), the number
//! of event listeners of the namespace, and the filter `conntrack` applies
//! to entries ([`CtFilter`]).
//!
//! What it does not do: it does not look at packets in flight or run the
//! TCP state machine over them, and it does not do NAT or deliver events;
//! that is `engine::conntrack`, which owns the per-packet side
//! (`skb->_nfct`).

use super::NS_PER_SEC;
use std::collections::BTreeMap;
use std::net::Ipv4Addr;

/// `IPPROTO_ICMP`.
pub const PROTO_ICMP: u8 = 1;
/// `IPPROTO_TCP`.
pub const PROTO_TCP: u8 = 6;
/// `IPPROTO_UDP`.
pub const PROTO_UDP: u8 = 17;

/// A connection tuple (`struct nf_conntrack_tuple`). For ICMP, `sport` is
/// the echo id and `dport` is `type << 8 | code`; for protocols without
/// ports both are 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Tuple {
    /// Source address.
    pub src: Ipv4Addr,
    /// Destination address.
    pub dst: Ipv4Addr,
    /// IP protocol.
    pub proto: u8,
    /// Source port (ICMP: id).
    pub sport: u16,
    /// Destination port (ICMP: type and code).
    pub dport: u16,
}

/// ICMP types that open a connection, with the type of their reply
/// (`invmap` in `nf_conntrack_proto_icmp.c`).
const ICMP_PAIRS: [(u8, u8); 4] = [(8, 0), (13, 14), (15, 16), (17, 18)];

impl Tuple {
    /// The tuple of an IPv4 packet (`nf_ct_get_tuple`), or `None` when the
    /// header is cut short.
    pub fn of_packet(pkt: &[u8]) -> Option<Tuple> {
        if pkt.len() < 20 {
            return None;
        }
        let ihl = usize::from(pkt[0] & 0xf) * 4;
        let l4 = pkt.get(ihl..)?;
        let proto = pkt[9];
        let (sport, dport) = match proto {
            PROTO_TCP | PROTO_UDP => {
                let h = l4.get(..4)?;
                (u16::from_be_bytes([h[0], h[1]]), u16::from_be_bytes([h[2], h[3]]))
            }
            PROTO_ICMP => {
                let h = l4.get(..8)?;
                (u16::from_be_bytes([h[4], h[5]]), u16::from_be_bytes([h[0], h[1]]))
            }
            _ => (0, 0),
        };
        Some(Tuple {
            src: Ipv4Addr::new(pkt[12], pkt[13], pkt[14], pkt[15]),
            dst: Ipv4Addr::new(pkt[16], pkt[17], pkt[18], pkt[19]),
            proto,
            sport,
            dport,
        })
    }

    /// The tuple a reply carries (`nf_ct_invert_tuple`); `None` for an ICMP
    /// type that has no reply.
    pub fn invert(&self) -> Option<Tuple> {
        let (sport, dport) = if self.proto == PROTO_ICMP {
            let (ty, code) = ((self.dport >> 8) as u8, self.dport as u8);
            let inv = ICMP_PAIRS.iter().find_map(|&(q, r)| (q == ty).then_some(r).or((r == ty).then_some(q)))?;
            (self.sport, u16::from(inv) << 8 | u16::from(code))
        } else {
            (self.dport, self.sport)
        };
        Some(Tuple { src: self.dst, dst: self.src, proto: self.proto, sport, dport })
    }

    /// ICMP type of an ICMP tuple.
    pub fn icmp_type(&self) -> u8 {
        (self.dport >> 8) as u8
    }

    /// Whether an ICMP type opens a connection (`icmp_new`).
    pub fn icmp_opens(ty: u8) -> bool {
        ICMP_PAIRS.iter().any(|&(q, _)| q == ty)
    }
}

/// A direction of a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Dir {
    /// `IP_CT_DIR_ORIGINAL`: as the first packet went.
    Orig,
    /// `IP_CT_DIR_REPLY`.
    Reply,
}

/// TCP conntrack states (`enum tcp_conntrack`), in the kernel's order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum TcpState {
    /// `NONE`.
    None,
    /// `SYN_SENT`.
    SynSent,
    /// `SYN_RECV`.
    SynRecv,
    /// `ESTABLISHED`.
    Established,
    /// `FIN_WAIT`.
    FinWait,
    /// `CLOSE_WAIT`.
    CloseWait,
    /// `LAST_ACK`.
    LastAck,
    /// `TIME_WAIT`.
    TimeWait,
    /// `CLOSE`.
    Close,
    /// `SYN_SENT2`.
    SynSent2,
}

impl TcpState {
    /// States in table order.
    pub const ALL: [TcpState; 10] = [
        TcpState::None,
        TcpState::SynSent,
        TcpState::SynRecv,
        TcpState::Established,
        TcpState::FinWait,
        TcpState::CloseWait,
        TcpState::LastAck,
        TcpState::TimeWait,
        TcpState::Close,
        TcpState::SynSent2,
    ];

    /// The name `conntrack -L` prints.
    pub fn as_str(self) -> &'static str {
        match self {
            TcpState::None => "NONE",
            TcpState::SynSent => "SYN_SENT",
            TcpState::SynRecv => "SYN_RECV",
            TcpState::Established => "ESTABLISHED",
            TcpState::FinWait => "FIN_WAIT",
            TcpState::CloseWait => "CLOSE_WAIT",
            TcpState::LastAck => "LAST_ACK",
            TcpState::TimeWait => "TIME_WAIT",
            TcpState::Close => "CLOSE",
            TcpState::SynSent2 => "SYN_SENT2",
        }
    }

    /// `nf_conntrack_tcp_timeout_unacknowledged` and `_max_retrans`: the
    /// cap while data is unacknowledged (or no pure ACK was seen yet).
    pub const UNACK_TIMEOUT: u64 = 300 * NS_PER_SEC;

    /// `nf_conntrack_tcp_timeout_*` defaults.
    pub fn timeout(self) -> u64 {
        let s = match self {
            TcpState::None | TcpState::Close => 10,
            TcpState::SynSent | TcpState::SynSent2 | TcpState::FinWait | TcpState::TimeWait => 120,
            TcpState::SynRecv | TcpState::CloseWait => 60,
            TcpState::Established => 432_000,
            TcpState::LastAck => 30,
        };
        s * NS_PER_SEC
    }
}

/// `IPS_*` status bits.
pub mod status {
    /// `IPS_SEEN_REPLY`.
    pub const SEEN_REPLY: u32 = 1 << 1;
    /// `IPS_ASSURED`.
    pub const ASSURED: u32 = 1 << 2;
    /// `IPS_CONFIRMED`.
    pub const CONFIRMED: u32 = 1 << 3;
    /// `IPS_SRC_NAT`.
    pub const SRC_NAT: u32 = 1 << 4;
    /// `IPS_DST_NAT`.
    pub const DST_NAT: u32 = 1 << 5;
    /// `IPS_SRC_NAT_DONE`.
    pub const SRC_NAT_DONE: u32 = 1 << 7;
    /// `IPS_DST_NAT_DONE`.
    pub const DST_NAT_DONE: u32 = 1 << 8;
}

/// `IPCT_*` event bits a connection caches until delivery
/// (`nf_conntrack_event_cache`); any of them makes an `[UPDATE]`.
pub mod ev {
    /// `IPCT_REPLY`: the first reply was seen.
    pub const REPLY: u32 = 1 << 1;
    /// `IPCT_ASSURED`.
    pub const ASSURED: u32 = 1 << 2;
    /// `IPCT_PROTOINFO`: the TCP state changed.
    pub const PROTOINFO: u32 = 1 << 3;
    /// `IPCT_MARK`: the mark changed (the message then carries `mark=`
    /// even when it is 0).
    pub const MARK: u32 = 1 << 6;
}

/// `nf_conntrack_icmp_timeout`.
pub const ICMP_TIMEOUT: u64 = 30 * NS_PER_SEC;
/// `nf_conntrack_udp_timeout`.
pub const UDP_TIMEOUT: u64 = 30 * NS_PER_SEC;
/// `nf_conntrack_udp_timeout_stream`.
pub const UDP_STREAM_TIMEOUT: u64 = 120 * NS_PER_SEC;
/// `nf_conntrack_generic_timeout`.
pub const GENERIC_TIMEOUT: u64 = 600 * NS_PER_SEC;

/// One connection (`struct nf_conn`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conn {
    /// The original direction's tuple.
    pub orig: Tuple,
    /// The reply direction's tuple (NAT changes it).
    pub reply: Tuple,
    /// `IPS_*` bits.
    pub status: u32,
    /// Virtual time the entry expires.
    pub expires: u64,
    /// TCP state (NONE for other protocols).
    pub tcp: TcpState,
    /// Created at (UDP's "still active after two seconds" test).
    pub created: u64,
    /// `ctmark`.
    pub mark: u32,
    /// Cached `IPCT_*` bits ([`ev`]) not yet delivered to listeners.
    pub pending: u32,
    /// TCP window tracking (boxed: only TCP entries have it; an entry
    /// made by `conntrack -I` gets it with its first packet).
    pub tcpw: Option<Box<TcpTrack>>,
}

/// `struct ip_ct_tcp`'s window part.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TcpTrack {
    /// Per direction (`seen[dir]`), original first.
    pub seen: [TcpWindow; 2],
    /// The window field of the last pure ACK (`last_win`; 0 until one is
    /// seen, which shortens the timeout).
    pub last_win: u16,
}

/// One direction's window data (`struct ip_ct_tcp_state`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TcpWindow {
    /// `td_end`: the highest sequence number sent, plus one.
    pub td_end: u32,
    /// `td_maxend`: the highest sequence number the peer's window allows.
    pub td_maxend: u32,
    /// `td_maxwin`: the largest window seen (0: nothing seen yet).
    pub td_maxwin: u32,
    /// `td_maxack`: the highest ACK sent.
    pub td_maxack: u32,
    /// `td_scale`: the window scale from the SYN's option.
    pub td_scale: u8,
    /// `IP_CT_TCP_FLAG_*` ([`tcpf`]).
    pub flags: u8,
}

/// `IP_CT_TCP_FLAG_*` bits of [`TcpWindow::flags`].
pub mod tcpf {
    /// The SYN carried a window scale option.
    pub const WINDOW_SCALE: u8 = 0x01;
    /// The SYN carried SACK-permitted.
    pub const SACK_PERM: u8 = 0x02;
    /// The direction is exempt from window checks (a picked-up connection).
    pub const BE_LIBERAL: u8 = 0x08;
    /// Data sent that the peer has not acknowledged yet.
    pub const DATA_UNACKNOWLEDGED: u8 = 0x10;
    /// `td_maxack` holds a value.
    pub const MAXACK_SET: u8 = 0x20;
}

impl Conn {
    /// A new, unconfirmed connection for a packet with tuple `orig`.
    pub fn new(orig: Tuple, reply: Tuple, now: u64) -> Conn {
        Conn {
            orig,
            reply,
            status: 0,
            expires: now,
            tcp: TcpState::None,
            created: now,
            mark: 0,
            pending: 0,
            tcpw: None,
        }
    }

    /// The tuple of a direction.
    pub fn tuple(&self, d: Dir) -> &Tuple {
        match d {
            Dir::Orig => &self.orig,
            Dir::Reply => &self.reply,
        }
    }

    /// Whether a status bit is set.
    pub fn has(&self, bit: u32) -> bool {
        self.status & bit != 0
    }
}

/// A connection's handle in its table (`conntrack -L -o id` would print it).
pub type ConnId = u64;

/// The confirmed connections of one namespace.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConnTable {
    conns: BTreeMap<ConnId, Conn>,
    index: BTreeMap<Tuple, (ConnId, Dir)>,
    next: ConnId,
    /// Hooks are registered: some table or rule of this namespace needs
    /// conntrack (`nf_ct_netns_get`): the nat table, a `state`/`conntrack`
    /// match, a NAT target.
    pub enabled: bool,
    /// Running `conntrack -E` processes of this namespace: while there are
    /// none, no event text is built.
    pub listeners: u32,
    /// The counters `conntrack -S` prints.
    pub stats: CtStats,
    /// This namespace's `net.netfilter.nf_conntrack_tcp_*` switches.
    pub tcp: TcpSysctl,
}

/// `struct nf_tcp_net`'s switches: per namespace, each new namespace
/// starting from the defaults (not copied from the host's).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TcpSysctl {
    /// `nf_conntrack_tcp_loose`: pick up connections seen mid-stream.
    pub loose: u8,
    /// `nf_conntrack_tcp_be_liberal`: out-of-window segments are not INVALID.
    pub be_liberal: u8,
}

impl Default for TcpSysctl {
    fn default() -> Self {
        TcpSysctl { loose: 1, be_liberal: 0 }
    }
}

/// `struct ip_conntrack_stat` counters netsim keeps (the others stay 0:
/// they count lookups racing other CPUs, memory pressure and such).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CtStats {
    /// `invalid`: packets `nf_conntrack_in` could not attach to a
    /// connection.
    pub invalid: u64,
    /// `insert`: entries `conntrack -I` put in the table
    /// (`nf_conntrack_hash_check_insert`; confirming a packet's entry does
    /// not count on kernel 6.18, checked with `conntrack -S`).
    pub insert: u64,
}

impl ConnTable {
    /// The live connection whose tuple in some direction is `t`.
    pub fn find(&self, t: &Tuple, now: u64) -> Option<(ConnId, Dir)> {
        let &(id, dir) = self.index.get(t)?;
        (self.conns[&id].expires > now).then_some((id, dir))
    }

    /// Whether a live confirmed connection uses tuple `t` in either
    /// direction (`nf_conntrack_tuple_taken`; the connection being set up is
    /// unconfirmed, so it is never in the way of itself).
    pub fn taken(&self, t: &Tuple, now: u64) -> bool {
        self.find(t, now).is_some()
    }

    /// Inserts a confirmed connection; both tuples become findable. An
    /// expired entry holding either tuple is removed first.
    pub fn insert(&mut self, mut c: Conn, now: u64) -> ConnId {
        for t in [c.orig, c.reply] {
            if let Some(&(old, _)) = self.index.get(&t) {
                if self.conns[&old].expires <= now {
                    self.remove(old);
                }
            }
        }
        c.status |= status::CONFIRMED;
        let id = self.next;
        self.next += 1;
        self.index.insert(c.orig, (id, Dir::Orig));
        self.index.insert(c.reply, (id, Dir::Reply));
        self.conns.insert(id, c);
        id
    }

    /// Removes a connection.
    pub fn remove(&mut self, id: ConnId) -> Option<Conn> {
        let c = self.conns.remove(&id)?;
        for t in [c.orig, c.reply] {
            if self.index.get(&t).is_some_and(|&(i, _)| i == id) {
                self.index.remove(&t);
            }
        }
        Some(c)
    }

    /// Replaces a connection's data (NAT changed its reply tuple),
    /// keeping its id and re-indexing its tuples.
    pub fn replace(&mut self, id: ConnId, c: Conn) {
        let Some(old) = self.conns.get(&id) else { return };
        for t in [old.orig, old.reply] {
            if self.index.get(&t).is_some_and(|&(i, _)| i == id) {
                self.index.remove(&t);
            }
        }
        self.index.insert(c.orig, (id, Dir::Orig));
        self.index.insert(c.reply, (id, Dir::Reply));
        self.conns.insert(id, c);
    }

    /// A connection by id.
    pub fn get(&self, id: ConnId) -> Option<&Conn> {
        self.conns.get(&id)
    }

    /// Mutable [`ConnTable::get`].
    pub fn get_mut(&mut self, id: ConnId) -> Option<&mut Conn> {
        self.conns.get_mut(&id)
    }

    /// Drops every expired entry (what the kernel's GC worker and dump do).
    pub fn expire(&mut self, now: u64) {
        let dead: Vec<ConnId> = self.conns.iter().filter(|(_, c)| c.expires <= now).map(|(id, _)| *id).collect();
        for id in dead {
            self.remove(id);
        }
    }

    /// Live connections in creation order.
    pub fn iter(&self) -> impl Iterator<Item = (ConnId, &Conn)> {
        self.conns.iter().map(|(id, c)| (*id, c))
    }

    /// Removes every entry (`conntrack -F`).
    pub fn flush(&mut self) {
        self.conns.clear();
        self.index.clear();
    }

    /// Number of entries (live or not yet collected).
    pub fn len(&self) -> usize {
        self.conns.len()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.conns.is_empty()
    }
}

/// Which entries a `conntrack` command (or event listener) applies to:
/// the tuple filters `-p -s -d -r -q`, the ports, the ICMP fields, the NAT
/// filters and `--mark`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CtFilter {
    /// `-p`.
    pub proto: Option<u8>,
    /// `-s`.
    pub orig_src: Option<Ipv4Addr>,
    /// `-d`.
    pub orig_dst: Option<Ipv4Addr>,
    /// `-r`.
    pub repl_src: Option<Ipv4Addr>,
    /// `-q`.
    pub repl_dst: Option<Ipv4Addr>,
    /// `--sport`.
    pub orig_sport: Option<u16>,
    /// `--dport`.
    pub orig_dport: Option<u16>,
    /// `--reply-port-src`.
    pub repl_sport: Option<u16>,
    /// `--reply-port-dst`.
    pub repl_dport: Option<u16>,
    /// `--icmp-type`.
    pub icmp_type: Option<u8>,
    /// `--icmp-code`.
    pub icmp_code: Option<u8>,
    /// `--icmp-id`.
    pub icmp_id: Option<u16>,
    /// `-n [IP]`.
    pub src_nat: Option<Option<Ipv4Addr>>,
    /// `-g [IP]`.
    pub dst_nat: Option<Option<Ipv4Addr>>,
    /// `-j [IP]`.
    pub any_nat: Option<Option<Ipv4Addr>>,
    /// `-m`/`--mark` as a filter.
    pub mark: Option<u32>,
}

impl CtFilter {
    /// Whether connection `c` passes the filter.
    pub fn matches(&self, c: &Conn) -> bool {
        let (o, r) = (&c.orig, &c.reply);
        let eq = |want: Option<Ipv4Addr>, have: Ipv4Addr| want.is_none_or(|w| w == have);
        let port = |want: Option<u16>, have: u16| want.is_none_or(|w| w == have);
        let snat = c.has(status::SRC_NAT);
        let dnat = c.has(status::DST_NAT);
        self.proto.is_none_or(|p| p == o.proto)
            && eq(self.orig_src, o.src)
            && eq(self.orig_dst, o.dst)
            && eq(self.repl_src, r.src)
            && eq(self.repl_dst, r.dst)
            && port(self.orig_sport, o.sport)
            && port(self.orig_dport, o.dport)
            && port(self.repl_sport, r.sport)
            && port(self.repl_dport, r.dport)
            && self.icmp_type.is_none_or(|t| o.proto == PROTO_ICMP && u16::from(t) == o.dport >> 8)
            && self.icmp_code.is_none_or(|t| o.proto == PROTO_ICMP && u16::from(t) == o.dport & 0xff)
            && self.icmp_id.is_none_or(|t| o.proto == PROTO_ICMP && t == o.sport)
            && self.src_nat.is_none_or(|ip| snat && eq(ip, r.dst))
            && self.dst_nat.is_none_or(|ip| dnat && eq(ip, r.src))
            && self.any_nat.is_none_or(|ip| (snat && eq(ip, r.dst)) || (dnat && eq(ip, r.src)))
            && self.mark.is_none_or(|m| m == c.mark)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(src: [u8; 4], dst: [u8; 4], proto: u8, sport: u16, dport: u16) -> Tuple {
        Tuple { src: Ipv4Addr::from(src), dst: Ipv4Addr::from(dst), proto, sport, dport }
    }

    // Proves inversion swaps addresses and ports, maps ICMP request types to
    // their replies, and refuses ICMP types that have no reply.
    #[test]
    fn invert_tuples() {
        let tcp = t([10, 0, 0, 1], [10, 0, 0, 2], PROTO_TCP, 40000, 80);
        assert_eq!(tcp.invert(), Some(t([10, 0, 0, 2], [10, 0, 0, 1], PROTO_TCP, 80, 40000)));
        let echo = t([10, 0, 0, 1], [10, 0, 0, 2], PROTO_ICMP, 7, 8 << 8);
        assert_eq!(echo.invert(), Some(t([10, 0, 0, 2], [10, 0, 0, 1], PROTO_ICMP, 7, 0)));
        assert_eq!(echo.invert().and_then(|r| r.invert()), Some(echo));
        assert_eq!(t([1, 1, 1, 1], [2, 2, 2, 2], PROTO_ICMP, 0, 3 << 8 | 3).invert(), None);
    }

    // Proves both tuples find the connection with their direction, expired
    // entries are invisible and collected, and removal clears the index.
    #[test]
    fn table_find_expire_remove() {
        let mut tab = ConnTable::default();
        let o = t([10, 0, 0, 1], [10, 0, 0, 2], PROTO_UDP, 5000, 53);
        let mut c = Conn::new(o, o.invert().expect("udp inverts"), 0);
        c.expires = 30;
        let id = tab.insert(c, 0);
        assert_eq!(tab.find(&o, 10), Some((id, Dir::Orig)));
        assert_eq!(tab.find(&o.invert().expect("udp"), 10), Some((id, Dir::Reply)));
        assert_eq!(tab.find(&o, 30), None);
        tab.expire(30);
        assert!(tab.is_empty());
        assert!(!tab.taken(&o, 0));
    }
}
