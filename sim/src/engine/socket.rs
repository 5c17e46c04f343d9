//! TCP and UDP sockets in each namespace, as the Linux kernel keeps them:
//! bind, listen, connect, the TCP state machine (`tcp_rcv_state_process`),
//! resets for segments no socket wants (`tcp_v4_send_reset`), UDP datagrams
//! and ICMP port unreachable for a closed port (`__udp4_lib_rcv`), and ICMP
//! errors handed to the socket they quote (`tcp_v4_err`, `__udp4_lib_err`).
//!
//! What Linux puts on the wire is copied where a capture shows it: SYN
//! options `mss,sackOK,TS val N ecr 0,nop,wscale W`, the windows
//! `tcp_select_initial_window` picks, immediate ACKs of data (quick-ack
//! mode), the ACK of a bare FIN held back by the delayed-ACK timer so that a
//! prompt close carries it, SYN retransmits at 1 s, 3 s, 7 s, ... and an
//! ephemeral source port from `ip_local_port_range` (for `connect`, as
//! `__inet_hash_connect` picks it: even ports first, successive connections
//! to a destination on nearby increasing ports; random for UDP). Applications
//! ([`super::apps`]) are woken when their socket changes.
//!
//! Not modelled (each named `DIVERGENCE:` where it matters): retransmission
//! of data and FIN (the simulated links do not lose segments), congestion
//! and flow control (segments go out at once, at most one MSS each, where
//! Linux sends GSO super-segments on a veth), window
//! growth as data arrives, SYN-ACK retransmits, SACK, out-of-order data,
//! urgent data, `tcp_tw_reuse` (a client reusing its own TIME_WAIT
//! 4-tuple). A SYN with a newer timestamp or a sequence number past the old
//! connection ends a server's TIME_WAIT and reaches the listener, as
//! `tcp_timewait_state_process` lets it (initial sequence numbers and
//! timestamp offsets are the kernel's keyed hashes of the 4-tuple and the
//! address pair, so they grow per peer). ICMP port unreachables are rate
//! limited per destination as `icmpv4_xrlim_allow` does.

use super::datapath::{checksum, ipv4_packet, Ipv4View};
use super::proc::Pid;
use super::{Engine, Event};
use crate::model::{NsId, NS_PER_SEC};
use crate::trace::DropReason;
use std::collections::BTreeMap;
use std::net::Ipv4Addr;

/// IP protocol TCP.
pub const IPPROTO_TCP: u8 = 6;
/// IP protocol UDP.
pub const IPPROTO_UDP: u8 = 17;

/// `net.ipv4.ip_local_port_range` default.
pub const LOCAL_PORT_RANGE: (u16, u16) = (32768, 60999);
/// `net.ipv4.tcp_rmem[1]`: the initial receive buffer.
const TCP_RMEM_DEFAULT: u32 = 131_072;
/// `net.ipv4.tcp_rmem[2]` of kernel 6.18 (32 MB since 6.15), which sets the
/// window scale a SYN offers (`tcp_select_initial_window`).
const TCP_RMEM_MAX: u32 = 33_554_432;
/// `TCP_TIMEOUT_INIT`: the first SYN retransmit.
const TCP_TIMEOUT_INIT_NS: u64 = NS_PER_SEC;
/// `net.ipv4.tcp_syn_retries` default.
const TCP_SYN_RETRIES: u32 = 6;
/// `TCP_DELACK_MIN`: the delayed-ACK timer (HZ/25).
const TCP_DELACK_NS: u64 = 40_000_000;
/// `TCP_TIMEWAIT_LEN`.
const TCP_TIMEWAIT_NS: u64 = 60 * NS_PER_SEC;

/// TCP header flags.
pub const FIN: u8 = 0x01;
/// SYN.
pub const SYN: u8 = 0x02;
/// RST.
pub const RST: u8 = 0x04;
/// PSH.
pub const PSH: u8 = 0x08;
/// ACK.
pub const ACK: u8 = 0x10;

/// A socket handle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SockId(pub u32);

/// Transport protocol of a socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SockProto {
    /// SOCK_STREAM.
    Tcp,
    /// SOCK_DGRAM.
    Udp,
}

/// `enum tcp_state` (UDP sockets use Closed, or Established once connected).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TcpState {
    /// TCP_CLOSE.
    Closed,
    /// TCP_LISTEN.
    Listen,
    /// TCP_SYN_SENT.
    SynSent,
    /// TCP_SYN_RECV.
    SynRecv,
    /// TCP_ESTABLISHED.
    Established,
    /// TCP_FIN_WAIT1.
    FinWait1,
    /// TCP_FIN_WAIT2.
    FinWait2,
    /// TCP_CLOSE_WAIT.
    CloseWait,
    /// TCP_CLOSING.
    Closing,
    /// TCP_LAST_ACK.
    LastAck,
    /// TCP_TIME_WAIT.
    TimeWait,
}

/// An error a socket call reports (the errno).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SockErr {
    /// ECONNREFUSED.
    ConnRefused,
    /// EHOSTUNREACH.
    HostUnreach,
    /// ENETUNREACH.
    NetUnreach,
    /// ECONNRESET.
    ConnReset,
    /// ETIMEDOUT.
    TimedOut,
    /// EADDRINUSE.
    AddrInUse,
    /// EADDRNOTAVAIL.
    AddrNotAvail,
}

impl SockErr {
    /// `strerror` text.
    pub fn strerror(self) -> &'static str {
        match self {
            SockErr::ConnRefused => "Connection refused",
            SockErr::HostUnreach => "No route to host",
            SockErr::NetUnreach => "Network is unreachable",
            SockErr::ConnReset => "Connection reset by peer",
            SockErr::TimedOut => "Connection timed out",
            SockErr::AddrInUse => "Address already in use",
            SockErr::AddrNotAvail => "Cannot assign requested address",
        }
    }
}

/// One socket.
#[derive(Debug)]
pub struct Socket {
    /// Namespace.
    pub ns: NsId,
    /// Protocol.
    pub proto: SockProto,
    /// Local address (0.0.0.0 = any).
    pub local_ip: Ipv4Addr,
    /// Local port (0 = not bound).
    pub local_port: u16,
    /// Connected peer.
    pub remote: Option<(Ipv4Addr, u16)>,
    /// The process woken on changes.
    pub owner: Option<Pid>,
    /// TCP state.
    pub state: TcpState,
    /// Pending error (`sk_err`).
    pub error: Option<SockErr>,
    /// Received, unread bytes (TCP) or datagrams (UDP: source and data).
    pub rx: Vec<u8>,
    /// Received UDP datagrams not yet read: source, the local address
    /// they came to, data.
    pub dgrams: Vec<((Ipv4Addr, u16), Ipv4Addr, Vec<u8>)>,
    /// The peer sent FIN.
    pub rx_eof: bool,
    /// Established children not yet accepted (listeners).
    pub accept_q: Vec<SockId>,
    /// The listener a passive child came from.
    parent: Option<SockId>,
    /// The application closed it (orphan).
    orphan: bool,
    iss: u32,
    snd_una: u32,
    snd_nxt: u32,
    rcv_nxt: u32,
    ts_off: u32,
    ts_recent: u32,
    /// Window scale we offered / the peer offered.
    rcv_wscale: u8,
    /// Initial receive window (`rcv_ssthresh`).
    rcv_wnd: u32,
    /// Effective send MSS.
    mss: u32,
    /// A delayed ACK is pending.
    delack: bool,
    /// Timer generation: a timer event carrying an older one is stale.
    timer_gen: u64,
    syn_retries: u32,
    tw_until: u64,
    /// An ACK made forward progress: the next transmit confirms the
    /// neighbour (`sk_dst_confirm`, then `neigh_confirm` on output).
    confirm: bool,
}

/// The sockets of every namespace.
#[derive(Debug, Default)]
pub struct Sockets {
    /// All sockets by handle.
    pub map: BTreeMap<SockId, Socket>,
    next: u32,
    /// ICMP error rate limiter per (namespace, destination): the
    /// inet_peer's `rate_tokens` and `rate_last` (ns).
    icmp_peers: BTreeMap<(NsId, Ipv4Addr), (u64, u64)>,
    /// `__inet_hash_connect`'s `table_perturb`: where the next connect()
    /// to a destination starts looking (a random start per slot, made when
    /// first used).
    table_perturb: BTreeMap<u64, u32>,
    /// The boot-time secret of `secure_ipv4_port_ephemeral`.
    port_secret: Option<u64>,
}

/// `INET_TABLE_PERTURB_SIZE`.
const TABLE_PERTURB_SIZE: u64 = 1 << 16;

/// A 64-bit mix (splitmix64's finaliser) standing in for the kernel's
/// keyed siphash: only its spread matters here.
fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A parsed TCP header.
#[derive(Clone, Copy, Debug)]
struct TcpHdr {
    sport: u16,
    dport: u16,
    seq: u32,
    ack: u32,
    flags: u8,
    doff: usize,
    ts: Option<(u32, u32)>,
    wscale: Option<u8>,
}

/// The RST `tcp_v4_send_reset` (and netfilter's `nf_send_reset`) sends in
/// reply to the IPv4 TCP packet `pkt`; `None` for a RST or a non-TCP packet.
pub fn tcp_reset_for(pkt: &[u8]) -> Option<Vec<u8>> {
    let ip = Ipv4View::parse(pkt)?;
    if ip.proto != IPPROTO_TCP {
        return None;
    }
    let seg = pkt.get(ip.ihl..ip.total_len)?;
    let h = parse_tcp(seg)?;
    if h.flags & RST != 0 {
        return None;
    }
    let len = (seg.len() - h.doff) as u32;
    let (seq, ack, flags) = if h.flags & ACK != 0 {
        (h.ack, 0, RST)
    } else {
        (0, h.seq.wrapping_add(len + u32::from(h.flags & SYN != 0) + u32::from(h.flags & FIN != 0)), RST | ACK)
    };
    let out = tcp_segment(ip.dst, h.dport, ip.src, h.sport, seq, ack, flags, 0, &[], &[]);
    Some(ipv4_packet(ip.dst, ip.src, IPPROTO_TCP, 64, 0, true, &out))
}

fn parse_tcp(seg: &[u8]) -> Option<TcpHdr> {
    if seg.len() < 20 {
        return None;
    }
    let doff = usize::from(seg[12] >> 4) * 4;
    if doff < 20 || doff > seg.len() {
        return None;
    }
    let mut h = TcpHdr {
        sport: u16::from_be_bytes([seg[0], seg[1]]),
        dport: u16::from_be_bytes([seg[2], seg[3]]),
        seq: u32::from_be_bytes([seg[4], seg[5], seg[6], seg[7]]),
        ack: u32::from_be_bytes([seg[8], seg[9], seg[10], seg[11]]),
        flags: seg[13],
        doff,
        ts: None,
        wscale: None,
    };
    let mut o = &seg[20..doff];
    while let Some(&kind) = o.first() {
        match kind {
            0 => break,
            1 => o = &o[1..],
            _ => {
                let len = usize::from(*o.get(1)?);
                if len < 2 || len > o.len() {
                    break;
                }
                match (kind, len) {
                    (8, 10) => {
                        h.ts = Some((
                            u32::from_be_bytes([o[2], o[3], o[4], o[5]]),
                            u32::from_be_bytes([o[6], o[7], o[8], o[9]]),
                        ))
                    }
                    (3, 3) => h.wscale = Some(o[2]),
                    _ => {}
                }
                o = &o[len..];
            }
        }
    }
    Some(h)
}

/// The TCP/UDP checksum over the IPv4 pseudo-header.
fn l4_checksum(src: Ipv4Addr, dst: Ipv4Addr, proto: u8, seg: &[u8]) -> u16 {
    let mut buf = Vec::with_capacity(12 + seg.len());
    buf.extend_from_slice(&src.octets());
    buf.extend_from_slice(&dst.octets());
    buf.push(0);
    buf.push(proto);
    buf.extend_from_slice(&(seg.len() as u16).to_be_bytes());
    buf.extend_from_slice(seg);
    checksum(&buf)
}

/// Builds a TCP segment (header, options, payload) with its checksum.
#[allow(clippy::too_many_arguments)]
fn tcp_segment(
    src: Ipv4Addr,
    sport: u16,
    dst: Ipv4Addr,
    dport: u16,
    seq: u32,
    ack: u32,
    flags: u8,
    win: u16,
    opts: &[u8],
    payload: &[u8],
) -> Vec<u8> {
    let doff = 20 + opts.len();
    let mut s = Vec::with_capacity(doff + payload.len());
    s.extend_from_slice(&sport.to_be_bytes());
    s.extend_from_slice(&dport.to_be_bytes());
    s.extend_from_slice(&seq.to_be_bytes());
    s.extend_from_slice(&ack.to_be_bytes());
    s.push(((doff / 4) as u8) << 4);
    s.push(flags);
    s.extend_from_slice(&win.to_be_bytes());
    s.extend_from_slice(&[0, 0, 0, 0]);
    s.extend_from_slice(opts);
    s.extend_from_slice(payload);
    let c = l4_checksum(src, dst, IPPROTO_TCP, &s);
    s[16..18].copy_from_slice(&c.to_be_bytes());
    s
}

/// `ipv4_default_advmss`: the MTU (at most IPV4_MAX_PMTU, 65535) less the
/// IP and TCP headers, at least `ip_rt_min_advmss`; 65495 on lo.
fn advmss(mtu: u32) -> u32 {
    // ip_rt_min_advmss (256) is the floor.
    mtu.min(65535).saturating_sub(40).max(256)
}

/// `tcp_select_initial_window`'s window scale for a receive space.
fn wscale_for(space: u32) -> u8 {
    let mut space = space;
    let mut w = 0u8;
    while space > 65535 && w < 14 {
        space >>= 1;
        w += 1;
    }
    w
}

/// The initial receive window for an MSS: the space `tcp_rmem[1]` gives
/// (half of it, `tcp_win_from_space`), rounded down to whole segments.
fn initial_window(mss: u32) -> u32 {
    let space = TCP_RMEM_DEFAULT / 2;
    if space > mss {
        space / mss * mss
    } else {
        space
    }
}

impl Sockets {
    fn alloc(&mut self, s: Socket) -> SockId {
        let id = SockId(self.next);
        self.next += 1;
        self.map.insert(id, s);
        id
    }

    /// Whether `port` is taken. A listener (nc, Python: both set
    /// SO_REUSEADDR) conflicts only with another listener; an ephemeral
    /// port must be free of every socket, TIME_WAIT included.
    fn port_used(&self, ns: NsId, proto: SockProto, port: u16, for_listen: bool) -> bool {
        self.map.values().any(|s| {
            s.ns == ns
                && s.proto == proto
                && s.local_port == port
                && match (proto, for_listen) {
                    (SockProto::Udp, _) => true,
                    (SockProto::Tcp, true) => s.state == TcpState::Listen,
                    (SockProto::Tcp, false) => s.state != TcpState::Closed,
                }
        })
    }
}

fn new_socket(ns: NsId, proto: SockProto, owner: Option<Pid>) -> Socket {
    Socket {
        ns,
        proto,
        local_ip: Ipv4Addr::UNSPECIFIED,
        local_port: 0,
        remote: None,
        owner,
        state: TcpState::Closed,
        error: None,
        rx: Vec::new(),
        dgrams: Vec::new(),
        rx_eof: false,
        accept_q: Vec::new(),
        parent: None,
        orphan: false,
        iss: 0,
        snd_una: 0,
        snd_nxt: 0,
        rcv_nxt: 0,
        ts_off: 0,
        ts_recent: 0,
        rcv_wscale: 0,
        rcv_wnd: 0,
        mss: 536,
        delack: false,
        timer_gen: 0,
        syn_retries: 0,
        tw_until: 0,
        confirm: false,
    }
}

impl Engine {
    /// A socket by handle.
    pub fn sock(&self, id: SockId) -> Option<&Socket> {
        self.sockets.map.get(&id)
    }

    fn wake_owner(&mut self, id: SockId) {
        let owner = self.sockets.map.get(&id).and_then(|s| s.owner);
        if let Some(pid) = owner {
            self.schedule(self.now + super::apps::APP_WAKE_NS, Event::Wake { pid });
        }
    }

    /// `__inet_hash_connect`: connect()'s source port. A hash of the
    /// addresses and destination port picks a slot of `table_perturb`; the
    /// scan starts there on even ports (then odd ones), and the slot moves
    /// on by what was scanned plus a random 0-14 and 2, so successive
    /// connections to one destination take nearby, increasing ports and a
    /// port in TIME_WAIT at the peer comes round only after the range wraps.
    /// DIVERGENCE: a port another connection uses is skipped even when the
    /// 4-tuples differ (the kernel's `check_established` would share it).
    fn connect_port(&mut self, ns: NsId, src: Ipv4Addr, dst: Ipv4Addr, dport: u16) -> Option<u16> {
        let (lo, hi) = LOCAL_PORT_RANGE;
        let remaining = (u32::from(hi) + 1 - u32::from(lo)) & !1;
        let key = (u64::from(u32::from(src)) << 32) | u64::from(u32::from(dst));
        let port_offset = mix64(mix64(self.boot_secret() ^ key) ^ (u64::from(dport) << 16) ^ u64::from(ns.0));
        let index = port_offset & (TABLE_PERTURB_SIZE - 1);
        let perturb = match self.sockets.table_perturb.get(&index) {
            Some(p) => *p,
            None => self.rng.next_u64() as u32,
        };
        let mut offset = (perturb.wrapping_add((port_offset >> 32) as u32) % remaining) & !1;
        for _parity in 0..2 {
            for i in (0..remaining).step_by(2) {
                let p = lo + ((offset + i) % remaining) as u16;
                if self.sockets.port_used(ns, SockProto::Tcp, p, false) {
                    continue;
                }
                let step = i.max(self.rng.range(0, 8) as u32 * 2);
                self.sockets.table_perturb.insert(index, perturb.wrapping_add(step + 2));
                return Some(p);
            }
            offset += 1;
        }
        None
    }

    /// The boot-time key of the kernel's `secure_*` hashes (drawn from the
    /// run's generator when first needed).
    fn boot_secret(&mut self) -> u64 {
        match self.sockets.port_secret {
            Some(s) => s,
            None => *self.sockets.port_secret.insert(self.rng.next_u64()),
        }
    }

    /// `secure_tcp_seq`: a connection's initial sequence number, a hash of
    /// its 4-tuple plus a clock ticking every 64 ns, so a new connection
    /// of the same 4-tuple starts above the old one's sequence space.
    fn secure_tcp_seq(&mut self, local: (Ipv4Addr, u16), remote: (Ipv4Addr, u16)) -> u32 {
        let addrs = (u64::from(u32::from(local.0)) << 32) | u64::from(u32::from(remote.0));
        let ports = (u64::from(local.1) << 16) | u64::from(remote.1);
        let h = mix64(mix64(self.boot_secret() ^ 0x5eed_0001 ^ addrs) ^ ports);
        (h as u32).wrapping_add((self.now >> 6) as u32)
    }

    /// `secure_tcp_ts_off`: the timestamp offset of an address pair (not of
    /// a connection), so TS values to one peer only grow.
    fn secure_tcp_ts_off(&mut self, local: Ipv4Addr, remote: Ipv4Addr) -> u32 {
        let addrs = (u64::from(u32::from(local)) << 32) | u64::from(u32::from(remote));
        mix64(self.boot_secret() ^ 0x5eed_0002 ^ addrs) as u32
    }

    /// `udp_lib_get_port` for an unbound socket: a random port of the range,
    /// then the next free one.
    fn udp_port(&mut self, ns: NsId) -> Option<u16> {
        let (lo, hi) = LOCAL_PORT_RANGE;
        let n = u64::from(hi - lo) + 1;
        let start = self.rng.range(0, n);
        (0..n).map(|i| lo + ((start + i) % n) as u16).find(|p| !self.sockets.port_used(ns, SockProto::Udp, *p, false))
    }

    fn tcp_ts(&self, s: &Socket) -> u32 {
        ((self.now / 1_000_000) as u32).wrapping_add(s.ts_off)
    }

    /// Sends a segment from socket `id` with the given flags and payload.
    fn tcp_xmit(&mut self, id: SockId, flags: u8, payload: &[u8]) {
        let Some(s) = self.sockets.map.get(&id) else { return };
        let Some((dst, dport)) = s.remote else { return };
        let ts = self.tcp_ts(s);
        let syn = flags & SYN != 0;
        let (opts, win) = if syn {
            let mut o = vec![2, 4];
            o.extend_from_slice(&(s.mss as u16).to_be_bytes());
            o.extend_from_slice(&[4, 2, 8, 10]);
            o.extend_from_slice(&ts.to_be_bytes());
            o.extend_from_slice(&(if flags & ACK != 0 { s.ts_recent } else { 0 }).to_be_bytes());
            o.extend_from_slice(&[1, 3, 3, s.rcv_wscale]);
            (o, s.rcv_wnd.min(65535) as u16)
        } else {
            let mut o = vec![1, 1, 8, 10];
            o.extend_from_slice(&ts.to_be_bytes());
            o.extend_from_slice(&s.ts_recent.to_be_bytes());
            // __tcp_select_window: the free space, aligned up to the scale.
            let unit = 1u32 << s.rcv_wscale;
            let w = s.rcv_wnd.div_ceil(unit);
            (o, w.min(65535) as u16)
        };
        let seq = if syn { s.iss } else { s.snd_nxt };
        let ack = if flags & ACK != 0 { s.rcv_nxt } else { 0 };
        let seg = tcp_segment(s.local_ip, s.local_port, dst, dport, seq, ack, flags, win, &opts, payload);
        let ns = s.ns;
        let src = s.local_ip;
        if s.confirm {
            self.tcp_neigh_confirm(ns, dst);
        }
        let advance = payload.len() as u32 + u32::from(syn) + u32::from(flags & FIN != 0);
        if let Some(s) = self.sockets.map.get_mut(&id) {
            if !syn {
                s.snd_nxt = s.snd_nxt.wrapping_add(advance);
            }
            if flags & ACK != 0 {
                s.delack = false;
            }
            s.confirm = false;
        }
        let id_ = self.ip_ident();
        let pkt = ipv4_packet(src, dst, IPPROTO_TCP, 64, id_, true, &seg);
        self.ip_output_local(ns, pkt, None);
    }

    /// `neigh_confirm` of the next hop toward `dst`: TCP's forward progress
    /// keeps the entry REACHABLE without ARP probes.
    fn tcp_neigh_confirm(&mut self, ns: NsId, dst: Ipv4Addr) {
        let Some(r) = self.world.fib_lookup(ns, dst, None) else { return };
        let Some(dev) = r.route.dev else { return };
        let nh = r.route.gateway.unwrap_or(dst);
        let now = self.now;
        if let Some(n) = self.world.ns_mut(ns).neigh.get_mut(&(dev, nh)) {
            n.confirmed_ns = now;
        }
    }

    fn arm_timer(&mut self, id: SockId, after: u64) {
        let Some(s) = self.sockets.map.get_mut(&id) else { return };
        s.timer_gen += 1;
        let gen = s.timer_gen;
        self.schedule(self.now + after, Event::SockTimer { sock: id, gen });
    }

    /// `connect()` on a new TCP socket: route, source address, ephemeral
    /// port, SYN. Returns at once (a non-blocking connect); the owner is
    /// woken when the handshake completes or fails.
    ///
    /// # Errors
    /// ENETUNREACH without a route; EADDRNOTAVAIL when no port is free.
    pub fn tcp_connect(&mut self, ns: NsId, owner: Pid, dst: Ipv4Addr, dport: u16) -> Result<SockId, SockErr> {
        self.tcp_connect_from(ns, owner, dst, dport, None)
    }

    /// [`Engine::tcp_connect`] from a source port bound first (`nc -p`);
    /// EADDRINUSE when a TCP socket of the namespace holds it.
    ///
    /// # Errors
    /// As `tcp_connect`, and [`SockErr::AddrInUse`].
    pub fn tcp_connect_from(
        &mut self,
        ns: NsId,
        owner: Pid,
        dst: Ipv4Addr,
        dport: u16,
        sport: Option<u16>,
    ) -> Result<SockId, SockErr> {
        let Some(res) = self.world.fib_lookup(ns, dst, None) else {
            return Err(SockErr::NetUnreach);
        };
        use crate::model::route::RouteType;
        if !matches!(res.route.rtype, RouteType::Unicast | RouteType::Local) {
            return Err(match res.route.rtype {
                RouteType::Prohibit => SockErr::HostUnreach,
                _ => SockErr::NetUnreach,
            });
        }
        let src = self.world.route_source(ns, &res.route, dst).unwrap_or(Ipv4Addr::UNSPECIFIED);
        let mtu = if res.route.rtype == RouteType::Local {
            self.world.link(self.world.lo(ns)).mtu
        } else {
            res.route.dev.map(|d| self.world.link(d).mtu).unwrap_or(1500)
        };
        let port = match sport {
            Some(p) => {
                let held = self.sockets.map.values().any(|s| {
                    s.ns == ns && s.proto == SockProto::Tcp && s.local_port == p && s.state != TcpState::Closed
                });
                if held {
                    return Err(SockErr::AddrInUse);
                }
                p
            }
            None => self.connect_port(ns, src, dst, dport).ok_or(SockErr::AddrNotAvail)?,
        };
        let mut s = new_socket(ns, SockProto::Tcp, Some(owner));
        s.local_ip = src;
        s.local_port = port;
        s.remote = Some((dst, dport));
        s.state = TcpState::SynSent;
        s.iss = self.secure_tcp_seq((src, port), (dst, dport));
        s.snd_una = s.iss;
        s.snd_nxt = s.iss.wrapping_add(1);
        s.ts_off = self.secure_tcp_ts_off(src, dst);
        s.mss = advmss(mtu);
        s.rcv_wscale = wscale_for(TCP_RMEM_MAX);
        s.rcv_wnd = initial_window(s.mss);
        let id = self.sockets.alloc(s);
        self.tcp_xmit(id, SYN, &[]);
        self.arm_timer(id, TCP_TIMEOUT_INIT_NS);
        Ok(id)
    }

    /// `bind()` + `listen()` on a TCP socket.
    ///
    /// # Errors
    /// EADDRINUSE when the port is taken.
    pub fn tcp_listen(&mut self, ns: NsId, owner: Pid, ip: Ipv4Addr, port: u16) -> Result<SockId, SockErr> {
        if self.sockets.port_used(ns, SockProto::Tcp, port, true) {
            return Err(SockErr::AddrInUse);
        }
        if !ip.is_unspecified() && !self.is_local_addr(ns, ip) {
            return Err(SockErr::AddrNotAvail);
        }
        let mut s = new_socket(ns, SockProto::Tcp, Some(owner));
        s.local_ip = ip;
        s.local_port = port;
        s.state = TcpState::Listen;
        Ok(self.sockets.alloc(s))
    }

    /// `accept()`: the next established child, now owned by `owner`.
    pub fn tcp_accept(&mut self, listener: SockId, owner: Pid) -> Option<SockId> {
        let l = self.sockets.map.get_mut(&listener)?;
        if l.accept_q.is_empty() {
            return None;
        }
        let c = l.accept_q.remove(0);
        if let Some(s) = self.sockets.map.get_mut(&c) {
            s.owner = Some(owner);
        }
        Some(c)
    }

    /// `send()`: data out at once, at most one MSS per segment, PSH on the
    /// last.
    pub fn tcp_send(&mut self, id: SockId, data: &[u8]) {
        let Some(s) = self.sockets.map.get(&id) else { return };
        if !matches!(s.state, TcpState::Established | TcpState::CloseWait) || data.is_empty() {
            return;
        }
        // DIVERGENCE: no congestion window or peer window limits; segments
        // leave at once, MSS-sized, and are never retransmitted. Linux on a
        // veth sends GSO super-segments (several MSS in one capture line,
        // sized by tcp_tso_autosize) paced by the congestion window.
        let mss = (s.mss as usize).saturating_sub(12).max(1);
        let chunks: Vec<&[u8]> = data.chunks(mss).collect();
        let n = chunks.len();
        for (i, c) in chunks.into_iter().enumerate() {
            let flags = if i + 1 == n { ACK | PSH } else { ACK };
            self.tcp_xmit(id, flags, c);
        }
    }

    /// Takes the received bytes.
    pub fn sock_read(&mut self, id: SockId) -> Vec<u8> {
        self.sockets.map.get_mut(&id).map(|s| std::mem::take(&mut s.rx)).unwrap_or_default()
    }

    /// `shutdown(SHUT_WR)`: FIN after the data.
    pub fn tcp_shutdown(&mut self, id: SockId) {
        let Some(s) = self.sockets.map.get(&id) else { return };
        match s.state {
            TcpState::Established => {
                self.tcp_set_state(id, TcpState::FinWait1);
                self.tcp_xmit(id, FIN | ACK, &[]);
            }
            TcpState::CloseWait => {
                self.tcp_set_state(id, TcpState::LastAck);
                self.tcp_xmit(id, FIN | ACK, &[]);
            }
            _ => {}
        }
    }

    /// `close()` (`tcp_close`): unread data aborts with RST; otherwise FIN.
    /// A listener drops its unaccepted children with RST.
    pub fn sock_close(&mut self, id: SockId) {
        let Some(s) = self.sockets.map.get_mut(&id) else { return };
        s.owner = None;
        s.orphan = true;
        if s.proto == SockProto::Udp {
            self.sockets.map.remove(&id);
            return;
        }
        let unread = !s.rx.is_empty();
        match s.state {
            TcpState::Listen => {
                let kids = std::mem::take(&mut s.accept_q);
                self.sockets.map.remove(&id);
                for k in kids {
                    self.tcp_abort(k);
                }
                let pending: Vec<SockId> = self
                    .sockets
                    .map
                    .iter()
                    .filter(|(_, c)| c.parent == Some(id) && c.state == TcpState::SynRecv)
                    .map(|(k, _)| *k)
                    .collect();
                for k in pending {
                    self.sockets.map.remove(&k);
                }
            }
            TcpState::SynSent | TcpState::Closed => {
                self.sockets.map.remove(&id);
            }
            _ if unread => self.tcp_abort(id),
            TcpState::Established | TcpState::CloseWait => self.tcp_shutdown(id),
            _ => {}
        }
    }

    /// Abort: RST to the peer, socket gone (`tcp_disconnect`).
    pub fn tcp_abort(&mut self, id: SockId) {
        let Some(s) = self.sockets.map.get(&id) else { return };
        if matches!(s.state, TcpState::Established | TcpState::CloseWait | TcpState::FinWait1 | TcpState::FinWait2) {
            let Some((dst, dport)) = s.remote else { return };
            let seg = tcp_segment(s.local_ip, s.local_port, dst, dport, s.snd_nxt, s.rcv_nxt, RST | ACK, 0, &[], &[]);
            let (ns, src) = (s.ns, s.local_ip);
            let pkt = ipv4_packet(src, dst, IPPROTO_TCP, 64, 0, true, &seg);
            self.ip_output_local(ns, pkt, None);
        }
        self.sockets.map.remove(&id);
    }

    fn tcp_set_state(&mut self, id: SockId, st: TcpState) {
        if let Some(s) = self.sockets.map.get_mut(&id) {
            s.state = st;
            if st == TcpState::TimeWait {
                s.tw_until = self.now + TCP_TIMEWAIT_NS;
            }
        }
    }

    /// A socket's timer fired (SYN retransmit, delayed ACK, TIME_WAIT end).
    pub(super) fn sock_timer(&mut self, id: SockId, gen: u64) {
        let Some(s) = self.sockets.map.get_mut(&id) else { return };
        if s.timer_gen != gen {
            return;
        }
        match s.state {
            TcpState::SynSent => {
                if s.syn_retries >= TCP_SYN_RETRIES {
                    s.error = Some(SockErr::TimedOut);
                    s.state = TcpState::Closed;
                    self.wake_owner(id);
                    return;
                }
                s.syn_retries += 1;
                let backoff = TCP_TIMEOUT_INIT_NS << s.syn_retries;
                self.tcp_xmit(id, SYN, &[]);
                self.arm_timer(id, backoff);
            }
            TcpState::TimeWait => {
                if self.now >= s.tw_until {
                    self.sockets.map.remove(&id);
                }
            }
            _ => {
                if s.delack {
                    self.tcp_xmit(id, ACK, &[]);
                }
            }
        }
    }

    /// Public entry for netfilter's `REJECT --reject-with tcp-reset`: a RST
    /// in reply to the IPv4 packet `pkt` received in `ns`, as
    /// `tcp_v4_send_reset` builds it (nothing for a RST).
    pub fn tcp_send_reset(&mut self, ns: NsId, pkt: &[u8]) {
        if let Some(rst) = tcp_reset_for(pkt) {
            self.out_kernel = true;
            self.ip_output_local(ns, rst, None);
        }
    }

    fn tcp_lookup(&mut self, ns: NsId, ip: &Ipv4View, h: &TcpHdr) -> Option<SockId> {
        let now = self.now;
        let mut listener = None;
        let mut stale = None;
        for (id, s) in &self.sockets.map {
            if s.ns != ns || s.proto != SockProto::Tcp || s.local_port != h.dport {
                continue;
            }
            if s.remote == Some((ip.src, h.sport)) && s.local_ip == ip.dst && s.state != TcpState::Closed {
                if s.state == TcpState::TimeWait && now >= s.tw_until {
                    stale = Some(*id);
                    continue;
                }
                return Some(*id);
            }
            if s.state == TcpState::Listen && (s.local_ip == ip.dst || s.local_ip.is_unspecified()) {
                listener = Some(*id);
            }
        }
        if let Some(st) = stale {
            self.sockets.map.remove(&st);
        }
        listener
    }

    /// `tcp_v4_rcv`: a segment delivered locally.
    pub(super) fn tcp_v4_rcv(&mut self, ns: NsId, dev: crate::model::LinkId, pkt: &[u8], ip: Ipv4View) {
        let seg = &pkt[ip.ihl..ip.total_len];
        let Some(h) = parse_tcp(seg) else {
            self.drop_frame(Some(dev), DropReason::NotSpecified, "TCP header too short");
            return;
        };
        if l4_checksum(ip.src, ip.dst, IPPROTO_TCP, seg) != 0 {
            self.drop_frame(Some(dev), DropReason::NotSpecified, "TCP checksum error");
            return;
        }
        let data = &seg[h.doff..];
        let Some(id) = self.tcp_lookup(ns, &ip, &h) else {
            self.drop_frame(Some(dev), DropReason::NoSocket, "no socket for this TCP segment");
            self.tcp_send_reset(ns, pkt);
            return;
        };
        let state = self.sockets.map[&id].state;
        if self.trace.enabled {
            let what = format!("tcp segment: to the socket on port {} (state {state:?})", h.dport);
            self.trace.push(&self.world, self.now, Some(dev), crate::trace::TraceKind::Deliver { what });
        }
        match state {
            TcpState::Listen => self.tcp_listen_rcv(ns, id, &ip, &h, pkt, None),
            TcpState::TimeWait if h.flags & (SYN | RST | ACK) == SYN && self.tw_syn_acceptable(id, &h) => {
                // tcp_timewait_state_process's TCP_TW_SYN: the TIME_WAIT
                // socket goes and the listener, if any, takes the SYN with
                // an ISN past the old connection's.
                let isn = self.sockets.map[&id].snd_nxt.wrapping_add(65535 + 2);
                self.sockets.map.remove(&id);
                match self.tcp_lookup(ns, &ip, &h) {
                    Some(lid) if self.sockets.map[&lid].state == TcpState::Listen => {
                        self.tcp_listen_rcv(ns, lid, &ip, &h, pkt, Some(isn));
                    }
                    _ => {
                        self.drop_frame(Some(dev), DropReason::NoSocket, "no socket for this TCP segment");
                        self.tcp_send_reset(ns, pkt);
                    }
                }
            }
            TcpState::SynSent => self.tcp_synsent_rcv(id, &h, ns, pkt),
            _ => self.tcp_conn_rcv(id, &h, data),
        }
    }

    /// `tcp_conn_request` on listener `lid`; `isn` is the initial sequence
    /// number a TIME_WAIT socket handed over (`tcp_tw_isn`).
    fn tcp_listen_rcv(&mut self, ns: NsId, lid: SockId, ip: &Ipv4View, h: &TcpHdr, pkt: &[u8], isn: Option<u32>) {
        if h.flags & RST != 0 {
            return;
        }
        if h.flags & ACK != 0 {
            self.tcp_send_reset(ns, pkt);
            return;
        }
        if h.flags & SYN == 0 {
            return;
        }
        // tcp_conn_request: a request socket answering with SYN-ACK.
        let mtu = match self.world.fib_lookup(ns, ip.src, None) {
            Some(r) if r.route.rtype == crate::model::route::RouteType::Local => self.world.link(self.world.lo(ns)).mtu,
            Some(r) => r.route.dev.map(|d| self.world.link(d).mtu).unwrap_or(1500),
            None => return,
        };
        let mut c = new_socket(ns, SockProto::Tcp, None);
        c.local_ip = ip.dst;
        c.local_port = h.dport;
        c.remote = Some((ip.src, h.sport));
        c.state = TcpState::SynRecv;
        c.parent = Some(lid);
        c.iss = isn.unwrap_or_else(|| self.secure_tcp_seq((ip.dst, h.dport), (ip.src, h.sport)));
        c.snd_una = c.iss;
        c.snd_nxt = c.iss.wrapping_add(1);
        c.rcv_nxt = h.seq.wrapping_add(1);
        c.ts_off = self.secure_tcp_ts_off(ip.dst, ip.src);
        c.ts_recent = h.ts.map(|t| t.0).unwrap_or(0);
        c.mss = advmss(mtu);
        c.rcv_wscale = if h.wscale.is_some() { wscale_for(TCP_RMEM_MAX) } else { 0 };
        // The SYN-ACK's window counts whole segments of the MSS less the
        // timestamp option.
        c.rcv_wnd = initial_window(c.mss - if h.ts.is_some() { 12 } else { 0 });
        let id = self.sockets.alloc(c);
        self.tcp_xmit(id, SYN | ACK, &[]);
    }

    /// Whether a SYN may end a TIME_WAIT (`tcp_timewait_state_process`): not
    /// rejected by PAWS, and after the old connection's sequence space or
    /// carrying a newer timestamp.
    fn tw_syn_acceptable(&self, id: SockId, h: &TcpHdr) -> bool {
        let tw = &self.sockets.map[&id];
        let seq_after = (h.seq.wrapping_sub(tw.rcv_nxt) as i32) > 0;
        match h.ts {
            // TCP_PAWS_WINDOW is 1.
            Some((val, _)) => {
                let behind = tw.ts_recent.wrapping_sub(val) as i32;
                behind <= 1 && (seq_after || behind < 0)
            }
            None => seq_after,
        }
    }

    fn tcp_synsent_rcv(&mut self, id: SockId, h: &TcpHdr, ns: NsId, pkt: &[u8]) {
        let s = &self.sockets.map[&id];
        let expect = s.iss.wrapping_add(1);
        if h.flags & ACK != 0 && h.ack != expect {
            if h.flags & RST == 0 {
                self.tcp_send_reset(ns, pkt);
            }
            return;
        }
        if h.flags & RST != 0 {
            if h.flags & ACK != 0 {
                let s = self.sockets.map.get_mut(&id).expect("looked up above");
                s.error = Some(SockErr::ConnRefused);
                s.state = TcpState::Closed;
                s.timer_gen += 1;
                self.wake_owner(id);
            }
            return;
        }
        if h.flags & SYN == 0 || h.flags & ACK == 0 {
            // DIVERGENCE: simultaneous open is not modelled.
            return;
        }
        let s = self.sockets.map.get_mut(&id).expect("looked up above");
        s.rcv_nxt = h.seq.wrapping_add(1);
        s.snd_una = h.ack;
        s.ts_recent = h.ts.map(|t| t.0).unwrap_or(0);
        if h.wscale.is_none() {
            s.rcv_wscale = 0;
        }
        s.state = TcpState::Established;
        s.timer_gen += 1;
        s.confirm = true;
        self.tcp_xmit(id, ACK, &[]);
        self.wake_owner(id);
    }

    /// Segments for a synchronized connection (`tcp_rcv_state_process`).
    fn tcp_conn_rcv(&mut self, id: SockId, h: &TcpHdr, data: &[u8]) {
        let s = self.sockets.map.get_mut(&id).expect("caller looked it up");
        if h.flags & RST != 0 {
            if h.seq == s.rcv_nxt {
                let st = s.state;
                s.error = Some(if st == TcpState::SynRecv { SockErr::ConnRefused } else { SockErr::ConnReset });
                s.state = TcpState::Closed;
                s.timer_gen += 1;
                if st == TcpState::SynRecv || s.orphan {
                    self.sockets.map.remove(&id);
                } else {
                    self.wake_owner(id);
                }
            }
            return;
        }
        if h.flags & SYN != 0 {
            // A retransmitted SYN or SYN-ACK: answer with an ACK.
            if s.state == TcpState::SynRecv {
                return;
            }
            self.tcp_xmit(id, ACK, &[]);
            return;
        }
        if h.flags & ACK == 0 {
            return;
        }
        if let Some((val, _)) = h.ts {
            s.ts_recent = val;
        }
        let acked_all = h.ack == s.snd_nxt;
        if h.ack != s.snd_una && h.ack.wrapping_sub(s.snd_una) < 1 << 30 {
            s.confirm = true;
        }
        s.snd_una = h.ack;
        let mut notify = false;
        match s.state {
            TcpState::SynRecv => {
                s.state = TcpState::Established;
                let parent = s.parent;
                if let Some(p) = parent.and_then(|p| self.sockets.map.get_mut(&p)) {
                    p.accept_q.push(id);
                    self.wake_owner(parent.expect("checked"));
                } else {
                    // The listener went away meanwhile.
                    self.tcp_abort(id);
                    return;
                }
            }
            TcpState::FinWait1 if acked_all => s.state = TcpState::FinWait2,
            TcpState::Closing if acked_all => {
                self.tcp_set_state(id, TcpState::TimeWait);
                self.arm_timer(id, TCP_TIMEWAIT_NS);
            }
            TcpState::LastAck if acked_all => {
                self.sockets.map.remove(&id);
                return;
            }
            _ => {}
        }
        let s = self.sockets.map.get_mut(&id).expect("still there");
        let mut ack_now = false;
        if !data.is_empty() && h.seq == s.rcv_nxt {
            if s.orphan {
                // Data for a closed socket: abort (tcp_rcv_state_process).
                self.tcp_abort(id);
                return;
            }
            s.rcv_nxt = s.rcv_nxt.wrapping_add(data.len() as u32);
            s.rx.extend_from_slice(data);
            // Quick-ack mode at the start of a connection: ACK at once.
            // DIVERGENCE: after 16 segments Linux delays ACKs; not modelled.
            ack_now = true;
            notify = true;
        } else if !data.is_empty() {
            // Out of window or duplicate: a duplicate ACK.
            ack_now = true;
        }
        let s = self.sockets.map.get_mut(&id).expect("still there");
        let mut delack = false;
        if h.flags & FIN != 0 && h.seq.wrapping_add(data.len() as u32) == s.rcv_nxt.wrapping_sub(0) && !s.rx_eof {
            s.rcv_nxt = s.rcv_nxt.wrapping_add(1);
            s.rx_eof = true;
            notify = true;
            match s.state {
                TcpState::Established => {
                    s.state = TcpState::CloseWait;
                    // tcp_fin: the ACK waits for the delayed-ACK timer, so a
                    // prompt close() carries it on its FIN.
                    delack = !ack_now;
                }
                TcpState::FinWait1 => {
                    s.state = if acked_all { TcpState::TimeWait } else { TcpState::Closing };
                    ack_now = true;
                }
                TcpState::FinWait2 => {
                    s.state = TcpState::TimeWait;
                    ack_now = true;
                }
                _ => {}
            }
            if s.state == TcpState::TimeWait {
                s.tw_until = self.now + TCP_TIMEWAIT_NS;
            }
        }
        let tw = self.sockets.map[&id].state == TcpState::TimeWait;
        if ack_now {
            self.tcp_xmit(id, ACK, &[]);
        } else if delack {
            if let Some(s) = self.sockets.map.get_mut(&id) {
                s.delack = true;
            }
            self.arm_timer(id, TCP_DELACK_NS);
        }
        if tw {
            self.arm_timer(id, TCP_TIMEWAIT_NS);
        }
        if notify {
            self.wake_owner(id);
        }
    }

    // ------------------------------------------------------------- UDP

    /// `bind()` of a UDP socket (port 0: an ephemeral one).
    ///
    /// # Errors
    /// EADDRINUSE when the port is taken.
    pub fn udp_bind(&mut self, ns: NsId, owner: Pid, ip: Ipv4Addr, port: u16) -> Result<SockId, SockErr> {
        let port = if port == 0 {
            self.udp_port(ns).ok_or(SockErr::AddrNotAvail)?
        } else {
            if self.sockets.port_used(ns, SockProto::Udp, port, true) {
                return Err(SockErr::AddrInUse);
            }
            port
        };
        let mut s = new_socket(ns, SockProto::Udp, Some(owner));
        s.local_ip = ip;
        s.local_port = port;
        Ok(self.sockets.alloc(s))
    }

    /// `connect()` of a UDP socket: route and source address, ephemeral
    /// port (`ip4_datagram_connect`).
    ///
    /// # Errors
    /// ENETUNREACH without a route.
    pub fn udp_connect(&mut self, ns: NsId, owner: Pid, dst: Ipv4Addr, dport: u16) -> Result<SockId, SockErr> {
        let Some(res) = self.world.fib_lookup(ns, dst, None) else {
            return Err(SockErr::NetUnreach);
        };
        let src = self.world.route_source(ns, &res.route, dst).unwrap_or(Ipv4Addr::UNSPECIFIED);
        let id = self.udp_bind(ns, owner, src, 0)?;
        let s = self.sockets.map.get_mut(&id).expect("just made");
        s.remote = Some((dst, dport));
        s.state = TcpState::Established;
        Ok(id)
    }

    /// Sets the peer of a bound UDP socket (nc -l -u after its first
    /// datagram).
    pub fn udp_set_peer(&mut self, id: SockId, peer: (Ipv4Addr, u16), local: Ipv4Addr) {
        if let Some(s) = self.sockets.map.get_mut(&id) {
            s.remote = Some(peer);
            if s.local_ip.is_unspecified() {
                s.local_ip = local;
            }
        }
    }

    /// `send()` on a connected UDP socket: one datagram. Returns the pending
    /// error instead, if any (as the kernel reports an ICMP error).
    pub fn udp_send(&mut self, id: SockId, data: &[u8]) -> Option<SockErr> {
        let s = self.sockets.map.get_mut(&id)?;
        if let Some(e) = s.error.take() {
            return Some(e);
        }
        let (dst, dport) = s.remote?;
        let (ns, src, sport) = (s.ns, s.local_ip, s.local_port);
        let mut u = Vec::with_capacity(8 + data.len());
        u.extend_from_slice(&sport.to_be_bytes());
        u.extend_from_slice(&dport.to_be_bytes());
        u.extend_from_slice(&((8 + data.len()) as u16).to_be_bytes());
        u.extend_from_slice(&[0, 0]);
        u.extend_from_slice(data);
        let mut c = l4_checksum(src, dst, IPPROTO_UDP, &u);
        if c == 0 {
            c = 0xffff;
        }
        u[6..8].copy_from_slice(&c.to_be_bytes());
        let ipid = self.ip_ident();
        let pkt = ipv4_packet(src, dst, IPPROTO_UDP, 64, ipid, true, &u);
        self.ip_output_local(ns, pkt, None);
        None
    }

    /// `__udp4_lib_rcv`: to the bound socket, or ICMP port unreachable.
    pub(super) fn udp_rcv(&mut self, ns: NsId, dev: crate::model::LinkId, pkt: &[u8], ip: Ipv4View) {
        let d = &pkt[ip.ihl..ip.total_len];
        if d.len() < 8 {
            self.drop_frame(Some(dev), DropReason::NotSpecified, "UDP header too short");
            return;
        }
        let sport = u16::from_be_bytes([d[0], d[1]]);
        let dport = u16::from_be_bytes([d[2], d[3]]);
        let ulen = usize::from(u16::from_be_bytes([d[4], d[5]]));
        if ulen < 8 || ulen > d.len() {
            self.drop_frame(Some(dev), DropReason::NotSpecified, "bad UDP length");
            return;
        }
        let payload = d[8..ulen].to_vec();
        let mut best: Option<(u8, SockId)> = None;
        for (id, s) in &self.sockets.map {
            if s.ns != ns || s.proto != SockProto::Udp || s.local_port != dport {
                continue;
            }
            if !(s.local_ip.is_unspecified() || s.local_ip == ip.dst) {
                continue;
            }
            let score = match s.remote {
                Some(r) if r == (ip.src, sport) => 2,
                Some(_) => continue,
                None => 1,
            };
            if best.is_none_or(|(b, _)| score > b) {
                best = Some((score, *id));
            }
        }
        let Some((_, id)) = best else {
            self.drop_frame(Some(dev), DropReason::NoSocket, "no socket for this UDP port");
            if self.icmp_xrlim_allow(ns, ip.src) {
                self.icmp_send(ns, pkt, ip, 3, 3);
            }
            return;
        };
        if self.trace.enabled {
            let what = format!("udp datagram: to the socket on port {dport}");
            self.trace.push(&self.world, self.now, Some(dev), crate::trace::TraceKind::Deliver { what });
        }
        if let Some(s) = self.sockets.map.get_mut(&id) {
            s.dgrams.push(((ip.src, sport), ip.dst, payload));
        }
        self.wake_owner(id);
    }

    /// `icmpv4_xrlim_allow` with the defaults `icmp_ratelimit` = 1 s and
    /// `icmp_ratemask` covering destination unreachable: a token bucket per
    /// destination (`inet_peer_xrlim_allow`) holding up to
    /// `XRLIM_BURST_FACTOR` (6) seconds, a new peer starting full; one
    /// error costs a second. Errors to a local address are never limited.
    /// Kernel runs show it: ten datagrams in a row to a closed port get six
    /// port unreachables, the next one a second later.
    ///
    /// DIVERGENCE: only the UDP port unreachable goes through it; the
    /// datapath's other ICMP errors (host unreachable, time exceeded) and
    /// the global `icmp_msgs_per_sec` limit are not modelled.
    pub fn icmp_xrlim_allow(&mut self, ns: NsId, dst: Ipv4Addr) -> bool {
        const TIMEOUT: u64 = NS_PER_SEC;
        const BURST: u64 = 6 * TIMEOUT;
        if self.is_local_addr(ns, dst) {
            return true;
        }
        let now = self.now;
        // A new peer's rate_last lies 60 s back: its bucket starts full.
        let mut token = match self.sockets.icmp_peers.get(&(ns, dst)) {
            Some(&(tokens, last)) => (tokens + now.saturating_sub(last)).min(BURST),
            None => BURST,
        };
        let allow = token >= TIMEOUT;
        if allow {
            token -= TIMEOUT;
        }
        self.sockets.icmp_peers.insert((ns, dst), (token, now));
        allow
    }

    /// An ICMP error arrived in `ns` (`icmp_unreach` → `tcp_v4_err` /
    /// `__udp4_lib_err`): the socket whose packet it quotes gets the error.
    pub(super) fn sock_icmp_error(&mut self, ns: NsId, icmp: &[u8]) {
        let (typ, code) = (icmp[0], icmp[1]);
        if typ != 3 && typ != 11 {
            return;
        }
        let inner = &icmp[8..];
        if inner.len() < 20 {
            return;
        }
        let ihl = usize::from(inner[0] & 0xf) * 4;
        if inner.len() < ihl + 8 {
            return;
        }
        let proto = inner[9];
        let src = Ipv4Addr::new(inner[12], inner[13], inner[14], inner[15]);
        let dst = Ipv4Addr::new(inner[16], inner[17], inner[18], inner[19]);
        let sport = u16::from_be_bytes([inner[ihl], inner[ihl + 1]]);
        let dport = u16::from_be_bytes([inner[ihl + 2], inner[ihl + 3]]);
        let proto = match proto {
            IPPROTO_TCP => SockProto::Tcp,
            IPPROTO_UDP => SockProto::Udp,
            _ => return,
        };
        let Some(id) = self
            .sockets
            .map
            .iter()
            .find(|(_, s)| {
                s.ns == ns
                    && s.proto == proto
                    && s.local_port == sport
                    && s.remote == Some((dst, dport))
                    && (s.local_ip == src || s.local_ip.is_unspecified())
            })
            .map(|(k, _)| *k)
        else {
            return;
        };
        // icmp_err_convert: port unreachable is ECONNREFUSED, the other
        // unreachables EHOSTUNREACH/ENETUNREACH; time exceeded is soft.
        let err = match (typ, code) {
            (3, 3) => SockErr::ConnRefused,
            (3, 0) | (3, 6) | (3, 11) => SockErr::NetUnreach,
            (3, _) => SockErr::HostUnreach,
            _ => return,
        };
        let s = self.sockets.map.get_mut(&id).expect("found above");
        match (s.proto, s.state) {
            (SockProto::Tcp, TcpState::SynSent) => {
                s.error = Some(err);
                s.state = TcpState::Closed;
                s.timer_gen += 1;
                self.wake_owner(id);
            }
            // An established connection treats them as soft errors.
            (SockProto::Tcp, _) => {}
            (SockProto::Udp, _) => {
                s.error = Some(err);
                self.wake_owner(id);
            }
        }
    }
}

impl Socket {
    /// Whether the socket's connection is established (or half-closed by
    /// the peer).
    pub fn connected(&self) -> bool {
        matches!(self.state, TcpState::Established | TcpState::CloseWait)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The window scale Linux 6.18 offers with tcp_rmem[2] = 32 MB is 10,
    // and the windows of a SYN and SYN-ACK on a 1500-byte MTU are
    // 64240 and 65160, as captured on the kernel.
    #[test]
    fn initial_windows_match_the_kernel() {
        assert_eq!(wscale_for(TCP_RMEM_MAX), 10);
        assert_eq!(initial_window(1460), 64240);
        assert_eq!(initial_window(1448), 65160);
        assert_eq!(initial_window(65495), 65495);
        assert_eq!(advmss(65536), 65495);
        assert_eq!(advmss(1500), 1460);
    }

    // Options parse back from a segment we build.
    #[test]
    fn segment_round_trip() {
        let a = Ipv4Addr::new(10, 0, 0, 1);
        let b = Ipv4Addr::new(10, 0, 0, 2);
        let opts = [1, 1, 8, 10, 0, 0, 0, 5, 0, 0, 0, 6];
        let s = tcp_segment(a, 1000, b, 80, 7, 9, ACK | PSH, 63, &opts, b"hi");
        assert_eq!(l4_checksum(a, b, IPPROTO_TCP, &s), 0);
        let h = parse_tcp(&s).expect("valid");
        assert_eq!((h.sport, h.dport, h.seq, h.ack, h.doff), (1000, 80, 7, 9, 32));
        assert_eq!(h.ts, Some((5, 6)));
    }
}
