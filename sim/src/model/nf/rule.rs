//! One iptables rule as typed data: the base matches (`-s -d -i -o -p -f`),
//! the extension matches (`-m ...`) and the target (`-j`/`-g`), each as the
//! kernel-side values the extension stores (port ranges, state bit sets,
//! marks and masks), never as option strings.
//!
//! It does not parse command lines (see `tools::iptables`) nor print them
//! (see `render::iptables`), and it does not evaluate packets: the netfilter
//! datapath will read these values.

use std::net::Ipv4Addr;

use crate::model::MacAddr;

/// A value with iptables' `!` in front of it (or not).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Inv<T> {
    /// `!` was given: the match succeeds when the value does not match.
    pub inv: bool,
    /// The value.
    pub val: T,
}

/// An IPv4 address with its (possibly non-contiguous) mask, host bits
/// already cleared as iptables does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AddrMask {
    /// The network address (`addr & mask`).
    pub addr: Ipv4Addr,
    /// The mask.
    pub mask: Ipv4Addr,
}

impl AddrMask {
    /// The prefix length when the mask is contiguous.
    pub fn prefix_len(&self) -> Option<u8> {
        let m = u32::from(self.mask);
        let ones = m.leading_ones();
        (m.checked_shl(ones).unwrap_or(0) == 0).then_some(ones as u8)
    }
}

/// An inclusive port range (`--dport 1024:65535`; a single port has lo == hi).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PortRange {
    /// First port.
    pub lo: u16,
    /// Last port.
    pub hi: u16,
}

/// Conntrack states as the `state`/`conntrack` matches store them (bit set).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct CtStates(pub u8);

impl CtStates {
    /// INVALID.
    pub const INVALID: u8 = 1;
    /// NEW.
    pub const NEW: u8 = 2;
    /// RELATED.
    pub const RELATED: u8 = 4;
    /// ESTABLISHED.
    pub const ESTABLISHED: u8 = 8;
    /// UNTRACKED.
    pub const UNTRACKED: u8 = 16;
    /// SNAT (conntrack only).
    pub const SNAT: u8 = 32;
    /// DNAT (conntrack only).
    pub const DNAT: u8 = 64;
    /// Names in the order iptables prints them.
    pub const NAMES: [(u8, &'static str); 7] = [
        (Self::INVALID, "INVALID"),
        (Self::NEW, "NEW"),
        (Self::RELATED, "RELATED"),
        (Self::ESTABLISHED, "ESTABLISHED"),
        (Self::UNTRACKED, "UNTRACKED"),
        (Self::SNAT, "SNAT"),
        (Self::DNAT, "DNAT"),
    ];
}

/// `-m tcp`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct TcpMatch {
    /// `--sport`.
    pub sport: Option<Inv<PortRange>>,
    /// `--dport`.
    pub dport: Option<Inv<PortRange>>,
    /// `--tcp-flags MASK COMP` (bits FIN=1 SYN=2 RST=4 PSH=8 ACK=16 URG=32).
    pub flags: Option<Inv<(u8, u8)>>,
    /// `--tcp-option N`.
    pub option: Option<Inv<u8>>,
}

/// `-m udp`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct UdpMatch {
    /// `--sport`.
    pub sport: Option<Inv<PortRange>>,
    /// `--dport`.
    pub dport: Option<Inv<PortRange>>,
}

/// `-m icmp --icmp-type`: type 255 means any.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IcmpMatch {
    /// `!`.
    pub inv: bool,
    /// ICMP type (255: any).
    pub kind: u8,
    /// Inclusive code range.
    pub code: (u8, u8),
}

/// `-m conntrack`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct ConntrackMatch {
    /// `--ctstate`.
    pub state: Option<Inv<CtStates>>,
    /// `--ctproto` (protocol number).
    pub proto: Option<Inv<u8>>,
    /// `--ctorigsrc`.
    pub orig_src: Option<Inv<AddrMask>>,
    /// `--ctorigdst`.
    pub orig_dst: Option<Inv<AddrMask>>,
    /// `--ctreplsrc`.
    pub repl_src: Option<Inv<AddrMask>>,
    /// `--ctrepldst`.
    pub repl_dst: Option<Inv<AddrMask>>,
    /// `--ctorigsrcport`.
    pub orig_src_port: Option<Inv<PortRange>>,
    /// `--ctorigdstport`.
    pub orig_dst_port: Option<Inv<PortRange>>,
    /// `--ctreplsrcport`.
    pub repl_src_port: Option<Inv<PortRange>>,
    /// `--ctrepldstport`.
    pub repl_dst_port: Option<Inv<PortRange>>,
    /// `--ctstatus` bits (EXPECTED=1 SEEN_REPLY=2 ASSURED=4 CONFIRMED=8).
    pub status: Option<Inv<u8>>,
    /// `--ctexpire` seconds, inclusive.
    pub expire: Option<Inv<(u32, u32)>>,
    /// `--ctdir`: true for REPLY, false for ORIGINAL.
    pub dir_reply: Option<bool>,
}

/// `-m physdev`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct PhysdevMatch {
    /// `--physdev-in`.
    pub phys_in: Option<Inv<String>>,
    /// `--physdev-out`.
    pub phys_out: Option<Inv<String>>,
    /// `--physdev-is-in`.
    pub is_in: Option<bool>,
    /// `--physdev-is-out`.
    pub is_out: Option<bool>,
    /// `--physdev-is-bridged`.
    pub is_bridged: Option<bool>,
}

/// Which ports `-m multiport` compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MultiportDir {
    /// `--sports`.
    Source,
    /// `--dports`.
    Destination,
    /// `--ports` (either).
    Either,
}

/// `-m multiport`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MultiportMatch {
    /// `!`.
    pub inv: bool,
    /// Which ports.
    pub dir: MultiportDir,
    /// Up to 15 ports or ranges.
    pub ports: Vec<PortRange>,
}

/// Address types as `-m addrtype` names them, in bit order.
pub const ADDRTYPE_NAMES: [&str; 12] = [
    "UNSPEC",
    "UNICAST",
    "LOCAL",
    "BROADCAST",
    "ANYCAST",
    "MULTICAST",
    "BLACKHOLE",
    "UNREACHABLE",
    "PROHIBIT",
    "THROW",
    "NAT",
    "XRESOLVE",
];

/// `-m addrtype` (types as bit sets over [`ADDRTYPE_NAMES`]).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct AddrtypeMatch {
    /// `--src-type`.
    pub src: Option<Inv<u16>>,
    /// `--dst-type`.
    pub dst: Option<Inv<u16>>,
    /// `--limit-iface-in`.
    pub limit_in: bool,
    /// `--limit-iface-out`.
    pub limit_out: bool,
}

/// `-m mark` / `-m connmark`: `(value & mask) == value`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MarkMatch {
    /// `!`.
    pub inv: bool,
    /// Value.
    pub mark: u32,
    /// Mask.
    pub mask: u32,
}

/// `-m iprange`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct IprangeMatch {
    /// `--src-range`.
    pub src: Option<Inv<(Ipv4Addr, Ipv4Addr)>>,
    /// `--dst-range`.
    pub dst: Option<Inv<(Ipv4Addr, Ipv4Addr)>>,
}

/// `XT_LIMIT_SCALE`: `-m limit` stores its average as seconds per packet
/// times this.
pub const XT_LIMIT_SCALE: u32 = 10_000;

/// The units `-m limit` prints, largest first, as `XT_LIMIT_SCALE` times
/// their length in seconds (libxt_limit's `rates`).
pub const LIMIT_UNITS: [(&str, u32); 4] = [
    ("day", XT_LIMIT_SCALE * 24 * 60 * 60),
    ("hour", XT_LIMIT_SCALE * 60 * 60),
    ("min", XT_LIMIT_SCALE * 60),
    ("sec", XT_LIMIT_SCALE),
];

/// Run-time state of a rule's match (a token bucket, a packet counter):
/// the kernel keeps it per rule, it is not part of the rule's spec, so two
/// rules compare equal (`-D`, `-C`) whatever their states.
#[derive(Clone, Copy, Debug, Default)]
pub struct MatchState<T>(pub T);

impl<T> PartialEq for MatchState<T> {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl<T> Eq for MatchState<T> {}

/// `-m limit`, as iptables-nft hands it to the kernel: an nft `limit`
/// expression (`nft_limit_pkts`) of `rate` packets per `unit` seconds and
/// `burst`, derived from xt_rateinfo's `avg` exactly as iptables does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LimitMatch {
    /// xt_rateinfo's `avg`: seconds per packet times [`XT_LIMIT_SCALE`].
    pub avg: u32,
    /// `--limit-burst` (the kernel turns 0 into 5).
    pub burst: u32,
    /// Tokens (ns) left and when they were last counted: `None` until the
    /// first packet (the bucket starts full).
    pub bucket: MatchState<Option<(u64, u64)>>,
}

impl LimitMatch {
    /// The rate as printed and as iptables-nft gives it to the kernel:
    /// (packets, index into [`LIMIT_UNITS`]) (`print_rate`, `add_nft_limit`).
    pub fn rate(&self) -> (u32, usize) {
        let avg = self.avg.max(1);
        let mut i = 1;
        while i < LIMIT_UNITS.len() {
            let m = LIMIT_UNITS[i].1;
            if avg > m || m / avg < m % avg {
                break;
            }
            i += 1;
        }
        (LIMIT_UNITS[i - 1].1 / avg, i - 1)
    }

    /// nft_limit's cost of one packet in ns (`unit * NSEC_PER_SEC / rate`)
    /// and the bucket's size (`cost * burst`).
    pub fn cost_and_max(&self) -> (u64, u64) {
        let (rate, u) = self.rate();
        let unit = u64::from(LIMIT_UNITS[u].1 / XT_LIMIT_SCALE);
        let cost = unit * 1_000_000_000 / u64::from(rate.max(1));
        (cost, cost * u64::from(self.burst))
    }
}

/// `-m statistic` as xt_statistic_info holds it. iptables-nft gives the
/// kernel `meta random & 0x7fffffff < value` (random mode) or
/// `numgen inc mod (value + 1) == packet` (nth mode).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct StatisticMatch {
    /// `--mode nth` (else random).
    pub nth: bool,
    /// `!` before any option.
    pub inv: bool,
    /// The union's first word: `lround(P * 2^31)` in random mode, N - 1 in
    /// nth mode.
    pub value: u32,
    /// `--packet P`.
    pub packet: u32,
    /// nft numgen's counter: the number the last packet drew, `None` before
    /// the first (which draws 0).
    pub count: MatchState<Option<u32>>,
}

/// What `-m recent` does with the packet's address (xt_recent's
/// `check_set` operation bits).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecentOp {
    /// `--set`: add the address (or a time stamp to it); always matches.
    Set,
    /// `--rcheck`: match when the address is in the list.
    Check,
    /// `--update`: as `--rcheck`, and stamp it again when it matches.
    Update,
    /// `--remove`: match and remove when it is in the list.
    Remove,
}

/// `-m recent` (xt_recent_mtinfo revision 1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecentMatch {
    /// The operation (`None` until one is given; the rule needs one).
    pub op: Option<RecentOp>,
    /// `!` before the operation.
    pub inv: bool,
    /// `--seconds` (0: not given).
    pub seconds: u32,
    /// `--reap`.
    pub reap: bool,
    /// `--hitcount` (0: not given).
    pub hit_count: u32,
    /// `--rttl`.
    pub rttl: bool,
    /// `--name` (the list, shared by every rule of the namespace naming it).
    pub name: String,
    /// `--rdest` (else `--rsource`).
    pub dest: bool,
    /// `--mask`.
    pub mask: Ipv4Addr,
}

/// One address in a `recent` list: its TTL and the jiffies it was seen at
/// (a ring of the table's size), as xt_recent's `recent_entry`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecentEntry {
    /// The masked address.
    pub addr: Ipv4Addr,
    /// TTL of the packet that created or last updated it.
    pub ttl: u8,
    /// Time stamps (jiffies), `nstamps` of them valid.
    pub stamps: Vec<u64>,
    /// Next slot to write.
    pub index: usize,
    /// Valid stamps.
    pub nstamps: usize,
}

/// A `recent` list of one namespace: entries in least-recently-updated
/// order (first is oldest), each holding up to `size` stamps.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct RecentTable {
    /// Stamps kept per entry: `ip_pkt_list_tot` (20), or the first rule's
    /// hit count when larger, rounded up to a power of two.
    pub size: usize,
    /// Entries, least recently updated first.
    pub lru: Vec<RecentEntry>,
}

/// An extension match, in the order the rule gave them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Match {
    /// `-m tcp`.
    Tcp(TcpMatch),
    /// `-m udp`.
    Udp(UdpMatch),
    /// `-m icmp`.
    Icmp(IcmpMatch),
    /// `-m conntrack`.
    Conntrack(ConntrackMatch),
    /// `-m state --state`.
    State(Inv<CtStates>),
    /// `-m physdev`.
    Physdev(PhysdevMatch),
    /// `-m comment --comment`.
    Comment(String),
    /// `-m multiport`.
    Multiport(MultiportMatch),
    /// `-m addrtype`.
    Addrtype(AddrtypeMatch),
    /// `-m mark --mark`.
    Mark(MarkMatch),
    /// `-m connmark --mark`.
    Connmark(MarkMatch),
    /// `-m mac --mac-source`.
    Mac(Inv<MacAddr>),
    /// `-m iprange`.
    Iprange(IprangeMatch),
    /// `-m limit`.
    Limit(LimitMatch),
    /// `-m statistic`.
    Statistic(StatisticMatch),
    /// `-m recent`.
    Recent(RecentMatch),
    /// `-m length --length LO:HI` (the IP datagram's length, inclusive).
    Length(Inv<(u16, u16)>),
    /// `-m ttl`.
    Ttl(TtlMatch),
    /// `-m pkttype --pkt-type` (PACKET_HOST 0, BROADCAST 1, MULTICAST 2).
    Pkttype(Inv<u8>),
    /// `-m rpfilter` flags: loose 1, validmark 2, accept-local 4, invert 8.
    Rpfilter(u8),
    /// `-m owner`.
    Owner(OwnerMatch),
    /// `-m hashlimit`.
    Hashlimit(Box<HashlimitMatch>),
    /// `-m connlimit` (parsed and printed; netsim refuses to run it).
    Connlimit(ConnlimitMatch),
}

/// `-m connlimit` as xt_connlimit_info holds it, with its
/// `nf_conncount_data` (the connections counted per masked address).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnlimitMatch {
    /// The limit.
    pub limit: u32,
    /// `--connlimit-above`, else `--connlimit-upto`.
    pub above: bool,
    /// `--connlimit-daddr` (XT_CONNLIMIT_DADDR), else `--connlimit-saddr`.
    pub daddr: bool,
    /// `--connlimit-mask` as a prefix length.
    pub mask: u8,
    /// The lists by masked address (run-time state).
    pub lists: MatchState<std::collections::BTreeMap<u32, ConncountList>>,
}

/// One `nf_conncount_list`: the connections seen for an address, each
/// with the jiffy it was added, and the jiffy of the last collection.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct ConncountList {
    /// (original tuple, jiffy added).
    pub conns: Vec<(crate::model::conntrack::Tuple, u64)>,
    /// `last_gc`.
    pub last_gc: Option<u64>,
}

/// `-m owner` as xt_owner_match_info holds it: `match` and `invert` bit
/// sets over [`OwnerMatch::UID`], [`OwnerMatch::GID`],
/// [`OwnerMatch::SOCKET`], [`OwnerMatch::SUPPL`], and inclusive ranges.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct OwnerMatch {
    /// Options given.
    pub flags: u8,
    /// Options given with `!`.
    pub invert: u8,
    /// `--uid-owner` range.
    pub uid: (u32, u32),
    /// `--gid-owner` range.
    pub gid: (u32, u32),
}

impl OwnerMatch {
    /// `XT_OWNER_UID`.
    pub const UID: u8 = 1;
    /// `XT_OWNER_GID`.
    pub const GID: u8 = 2;
    /// `XT_OWNER_SOCKET`.
    pub const SOCKET: u8 = 4;
    /// `XT_OWNER_SUPPL_GROUPS`.
    pub const SUPPL: u8 = 8;
}

/// `XT_HASHLIMIT_SCALE_v2`: revision 3 stores its average as seconds per
/// packet times this.
pub const HASHLIMIT_SCALE: u64 = 1_000_000;

/// `-m hashlimit` as xt_hashlimit_mtinfo3 holds it (what iptables 1.8.9
/// gives the kernel: the xt match, revision 3). Mode bits: DIP 1, DPT 2,
/// SIP 4, SPT 8, INVERT 16, BYTES 32, RATE_MATCH 64.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HashlimitMatch {
    /// `--hashlimit-name`.
    pub name: String,
    /// Mode bits.
    pub mode: u32,
    /// Packet mode: seconds per packet times [`HASHLIMIT_SCALE`]; byte
    /// mode: the cost per 16-byte chunk (`bytes_to_cost`).
    pub avg: u64,
    /// Burst (packets; in byte mode, multiples of the rate, 0 for none).
    pub burst: u64,
    /// `--hashlimit-htable-size` (0: not given).
    pub size: u32,
    /// `--hashlimit-htable-max` (0: not given).
    pub max: u32,
    /// `--hashlimit-htable-gcinterval` in ms.
    pub gc_interval: u32,
    /// `--hashlimit-htable-expire` in ms.
    pub expire: u32,
    /// `--hashlimit-srcmask`.
    pub srcmask: u32,
    /// `--hashlimit-dstmask`.
    pub dstmask: u32,
    /// `--hashlimit-rate-interval` in seconds (0: none).
    pub interval: u32,
}

impl HashlimitMatch {
    /// `XT_HASHLIMIT_HASH_DIP`.
    pub const DIP: u32 = 1;
    /// `XT_HASHLIMIT_HASH_DPT`.
    pub const DPT: u32 = 2;
    /// `XT_HASHLIMIT_HASH_SIP`.
    pub const SIP: u32 = 4;
    /// `XT_HASHLIMIT_HASH_SPT`.
    pub const SPT: u32 = 8;
    /// `XT_HASHLIMIT_INVERT` (`--hashlimit-above`).
    pub const INVERT: u32 = 16;
    /// `XT_HASHLIMIT_BYTES` (a `b/s` rate).
    pub const BYTES: u32 = 32;
    /// `XT_HASHLIMIT_RATE_MATCH`.
    pub const RATE_MATCH: u32 = 64;
}

/// One bucket of a hashlimit table (`dsthash_ent`): its `rateinfo`, times
/// in jiffies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HashlimitEntry {
    /// Jiffy at which it expires.
    pub expires: u64,
    /// `rateinfo.prev`: the jiffy of the last refill (rate-match: the
    /// window's start).
    pub prev: u64,
    /// Credit left.
    pub credit: u64,
    /// Credit cap (byte mode: refills left).
    pub credit_cap: u64,
    /// Cost of a packet (byte mode: of a 16-byte chunk).
    pub cost: u64,
    /// Rate-match: packets (bytes) counted in this window.
    pub current_rate: u64,
    /// Rate-match: the rate per second (bytes: per second, shifted).
    pub rate: u64,
    /// Rate-match: what a window may hold.
    pub burst: u64,
    /// Rate-match: the window in seconds.
    pub interval: u64,
    /// Rate-match: the previous window went over the rate.
    pub prev_window: bool,
}

/// A hashlimit table of one namespace (`xt_hashlimit_htable`): the
/// configuration of the rule that created it and its entries by key
/// (source, destination, source port, destination port, masked as the
/// mode says).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HashlimitTable {
    /// The creating rule's configuration (the kernel's `hinfo->cfg`).
    pub cfg: HashlimitMatch,
    /// Entries by key.
    pub entries: std::collections::BTreeMap<(u32, u32, u16, u16), HashlimitEntry>,
    /// The jiffy it was made (its garbage collection runs from then).
    pub created: u64,
}

/// The `CT` target (xt_ct_target_info_v1), or `NOTRACK` (a `CT --notrack`
/// that prints as `NOTRACK`).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct CtTarget {
    /// `--notrack` (flag 1); zone direction flags orig 2, reply 4.
    pub flags: u16,
    /// `--zone*` value.
    pub zone: u16,
    /// `--ctevents` bits (new 1, related 2, destroy 4, reply 8, assured
    /// 16, protoinfo 32, helper 64, mark 128, natseqinfo 256, secmark 512).
    pub ct_events: u32,
    /// `--expevents` bits (new 1).
    pub exp_events: u32,
    /// `--helper`.
    pub helper: String,
    /// `--timeout`.
    pub timeout: String,
}

/// `-m ttl`: `--ttl-eq` (invertible), `--ttl-lt`, `--ttl-gt`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TtlMatch {
    /// 0 eq, 1 ne (`! --ttl-eq`), 2 lt, 3 gt (IPT_TTL_*).
    pub mode: u8,
    /// The value.
    pub value: u8,
}

impl Match {
    /// The extension's name as `-m` takes it.
    pub fn name(&self) -> &'static str {
        match self {
            Match::Tcp(_) => "tcp",
            Match::Udp(_) => "udp",
            Match::Icmp(_) => "icmp",
            Match::Conntrack(_) => "conntrack",
            Match::State(_) => "state",
            Match::Physdev(_) => "physdev",
            Match::Comment(_) => "comment",
            Match::Multiport(_) => "multiport",
            Match::Addrtype(_) => "addrtype",
            Match::Mark(_) => "mark",
            Match::Connmark(_) => "connmark",
            Match::Mac(_) => "mac",
            Match::Iprange(_) => "iprange",
            Match::Limit(_) => "limit",
            Match::Statistic(_) => "statistic",
            Match::Recent(_) => "recent",
            Match::Length(_) => "length",
            Match::Ttl(_) => "ttl",
            Match::Pkttype(_) => "pkttype",
            Match::Rpfilter(_) => "rpfilter",
            Match::Owner(_) => "owner",
            Match::Hashlimit(_) => "hashlimit",
            Match::Connlimit(_) => "connlimit",
        }
    }
}

/// `REJECT --reject-with` types, in the order iptables lists them.
pub const REJECT_TYPES: [(&str, &str); 8] = [
    ("icmp-net-unreachable", "net-unreach"),
    ("icmp-host-unreachable", "host-unreach"),
    ("icmp-port-unreachable", "port-unreach"),
    ("icmp-proto-unreachable", "proto-unreach"),
    ("icmp-net-prohibited", "net-prohib"),
    ("icmp-host-prohibited", "host-prohib"),
    ("tcp-reset", "tcp-rst"),
    ("icmp-admin-prohibited", "admin-prohib"),
];

/// A NAT range: `ADDR[-ADDR][:PORT[-PORT][/BASE]]`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct NatRange {
    /// Address range, if given.
    pub addr: Option<(Ipv4Addr, Ipv4Addr)>,
    /// Port range, if given.
    pub ports: Option<PortRange>,
    /// Shifted port-map base (`/BASE`, DNAT only).
    pub base: Option<u16>,
}

/// NAT flags.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct NatFlags {
    /// `--random`.
    pub random: bool,
    /// `--random-fully`.
    pub random_fully: bool,
    /// `--persistent`.
    pub persistent: bool,
}

/// What `CONNMARK` does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConnmarkOp {
    /// `--set-xmark V/M`: ctmark = (ctmark & ~M) ^ V.
    Set {
        /// Value.
        mark: u32,
        /// Mask.
        mask: u32,
    },
    /// `--save-mark`: ctmark = (ctmark & ~ctmask) ^ (nfmark & nfmask).
    Save {
        /// nfmask.
        nfmask: u32,
        /// ctmask.
        ctmask: u32,
    },
    /// `--restore-mark`: nfmark = (nfmark & ~nfmask) ^ (ctmark & ctmask).
    Restore {
        /// nfmask.
        nfmask: u32,
        /// ctmask.
        ctmask: u32,
    },
}

/// What a rule does when it matches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// ACCEPT.
    Accept,
    /// DROP.
    Drop,
    /// RETURN.
    Return,
    /// `-j CHAIN`: jump to a user chain.
    Jump(String),
    /// `-g CHAIN`: goto a user chain.
    Goto(String),
    /// `REJECT --reject-with` (index into [`REJECT_TYPES`]).
    Reject(usize),
    /// `LOG`.
    Log {
        /// `--log-level` (0..7, default 4).
        level: u8,
        /// `--log-prefix` (at most 29 bytes).
        prefix: Option<String>,
        /// Flag bits: tcp-sequence 1, tcp-options 2, ip-options 4, uid 8, macdecode 32.
        flags: u8,
    },
    /// `MASQUERADE`.
    Masquerade {
        /// `--to-ports`.
        ports: Option<PortRange>,
        /// Flags (`--random`, `--random-fully`).
        flags: NatFlags,
    },
    /// `SNAT --to-source`.
    Snat(NatRange, NatFlags),
    /// `DNAT --to-destination`.
    Dnat(NatRange, NatFlags),
    /// `REDIRECT`.
    Redirect {
        /// `--to-ports`.
        ports: Option<PortRange>,
        /// `--random`.
        random: bool,
    },
    /// `MARK --set-xmark V/M`: mark = (mark & ~M) ^ V.
    Mark {
        /// Value.
        mark: u32,
        /// Mask.
        mask: u32,
    },
    /// `CONNMARK`.
    Connmark(ConnmarkOp),
    /// `NFLOG`: the packet goes to nfnetlink_log's group.
    Nflog {
        /// `--nflog-group`.
        group: u16,
        /// `--nflog-prefix` (at most 127 bytes).
        prefix: String,
        /// `--nflog-size` (copy length), if given.
        size: Option<u32>,
        /// `--nflog-threshold`.
        threshold: u16,
    },
    /// `TCPMSS`: `--set-mss N` (`Some`) or `--clamp-mss-to-pmtu` (`None`).
    Tcpmss(Option<u16>),
    /// `CHECKSUM --checksum-fill` (mangle only): completes a checksum left
    /// to the NIC; netsim's packets always carry complete checksums, so it
    /// changes nothing.
    Checksum,
    /// `CT` (raw table): `--notrack`, or a template with a zone, helper,
    /// event masks, timeout policy.
    Ct(Box<CtTarget>),
    /// `NOTRACK` (raw table): the packet is not tracked.
    Notrack,
    /// `NETMAP --to ADDR/MASK` (nat table): maps the destination
    /// (PREROUTING, OUTPUT) or source (POSTROUTING, INPUT) into the network,
    /// keeping the host bits.
    Netmap(AddrMask),
}

impl Target {
    /// The name `-j` took (`ACCEPT`, a chain name, `MASQUERADE`, ...).
    pub fn name(&self) -> &str {
        match self {
            Target::Accept => "ACCEPT",
            Target::Drop => "DROP",
            Target::Return => "RETURN",
            Target::Jump(c) | Target::Goto(c) => c,
            Target::Reject(_) => "REJECT",
            Target::Log { .. } => "LOG",
            Target::Masquerade { .. } => "MASQUERADE",
            Target::Snat(..) => "SNAT",
            Target::Dnat(..) => "DNAT",
            Target::Redirect { .. } => "REDIRECT",
            Target::Mark { .. } => "MARK",
            Target::Connmark(_) => "CONNMARK",
            Target::Checksum => "CHECKSUM",
            Target::Nflog { .. } => "NFLOG",
            Target::Tcpmss(_) => "TCPMSS",
            Target::Ct(_) | Target::Notrack => "CT",
            Target::Netmap(_) => "NETMAP",
        }
    }
}

/// Packet and byte counters (as `-c`, `-L -v` and `iptables-save -c` show).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Counters {
    /// Packets.
    pub packets: u64,
    /// Bytes.
    pub bytes: u64,
}

/// One rule.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Rule {
    /// `-s`.
    pub src: Option<Inv<AddrMask>>,
    /// `-d`.
    pub dst: Option<Inv<AddrMask>>,
    /// `-i` (a trailing `+` is a prefix wildcard).
    pub in_iface: Option<Inv<String>>,
    /// `-o`.
    pub out_iface: Option<Inv<String>>,
    /// `-p` as a protocol number (`-p all` is stored as `None`).
    pub proto: Option<Inv<u8>>,
    /// `-f` (`Some(true)` for `! -f`).
    pub fragment: Option<bool>,
    /// Extension matches in order.
    pub matches: Vec<Match>,
    /// Target; `None` for a rule that only counts.
    pub target: Option<Target>,
    /// Counters.
    pub counters: Counters,
}

impl Rule {
    /// Forgets the run-time state of the rule's matches (a new rule's).
    pub fn reset_state(&mut self) {
        for m in &mut self.matches {
            match m {
                Match::Limit(l) => l.bucket = MatchState(None),
                Match::Statistic(s) => s.count = MatchState(None),
                Match::Connlimit(c) => c.lists = MatchState::default(),
                _ => {}
            }
        }
    }

    /// Equality as `-D`/`-C` compare rules: everything but the counters.
    pub fn same_spec(&self, other: &Rule) -> bool {
        self.src == other.src
            && self.dst == other.dst
            && self.in_iface == other.in_iface
            && self.out_iface == other.out_iface
            && self.proto == other.proto
            && self.fragment == other.fragment
            && self.matches == other.matches
            && self.target == other.target
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Proves the prefix length is found only for contiguous masks.
    #[test]
    fn prefix_len_contiguous_only() {
        let m = |s: &str| AddrMask { addr: Ipv4Addr::UNSPECIFIED, mask: s.parse().expect("literal") };
        assert_eq!(m("255.0.0.0").prefix_len(), Some(8));
        assert_eq!(m("255.255.255.255").prefix_len(), Some(32));
        assert_eq!(m("0.0.0.0").prefix_len(), Some(0));
        assert_eq!(m("255.0.255.0").prefix_len(), None);
    }

    // Proves -m limit prints the rate in the unit iptables picks and the
    // kernel's per-packet cost follows from it.
    #[test]
    fn limit_rate_and_cost() {
        let l = |avg: u32| LimitMatch { avg, burst: 5, bucket: MatchState(None) };
        let show = |avg: u32| {
            let (r, u) = l(avg).rate();
            format!("{r}/{}", LIMIT_UNITS[u].0)
        };
        assert_eq!(show(10_000), "1/sec");
        assert_eq!(show(10_000 * 3600 / 1000), "1000/hour");
        assert_eq!(show(10_000 * 60 / 7), "7/min");
        assert_eq!(show(10_000 / 7), "7/sec");
        assert_eq!(show(10_000 * 86_400), "1/day");
        assert_eq!(l(10_000 * 60 / 7).cost_and_max(), (60_000_000_000 / 7, 60_000_000_000 / 7 * 5));
    }

    // Proves a stateful match's state is not part of the rule's spec.
    #[test]
    fn match_state_ignored_by_equality() {
        let a = LimitMatch { avg: 1, burst: 5, bucket: MatchState(None) };
        let b = LimitMatch { bucket: MatchState(Some((3, 4))), ..a.clone() };
        assert_eq!(a, b);
    }

    // Proves -D/-C equality ignores counters but not the target.
    #[test]
    fn same_spec_ignores_counters() {
        let a = Rule { target: Some(Target::Accept), ..Rule::default() };
        let mut b = a.clone();
        b.counters.packets = 5;
        assert!(a.same_spec(&b));
        b.target = Some(Target::Drop);
        assert!(!a.same_spec(&b));
    }
}
