//! The native nftables ruleset of one network namespace, as `nft` keeps it
//! in the kernel: tables (families `ip` and `inet`), their named sets,
//! chains (base chains with type, hook, priority and policy, and regular
//! chains) and rules as lists of statements, with the handles the kernel
//! allocates (one counter per namespace for tables, one per table for
//! chains, sets and rules).
//!
//! What it does: holds the ruleset and evaluates one chain for an IPv4
//! packet ([`Table::run`]): matches (payload, meta, ct, fib), counters,
//! marks and verdicts including jump/goto/return and verdict maps;
//! lookups of concatenations and `numgen` in anonymous or named sets and
//! maps ([`CSet`], a linear scan), `limit` (packets or bytes, `over`) and
//! `quota`. The NAT
//! statements are handed back to the caller (`engine::nft`), which binds
//! them through `engine::conntrack`.
//!
//! It also keeps what nf_tables knows of iptables-nft's tables (their table
//! handles and chain creation order, [`NftState::xt_sync`]) and of
//! iptables-legacy's (registration order), for listing and hook order.
//!
//! What it does not do: parse (`tools::nft`) or print (`render::nft`), or
//! hold iptables' rules (those live in `model::nf`). IPv6 is not
//! modelled: an `inet` table sees only IPv4 packets.

use super::nf::Hook;
use std::net::Ipv4Addr;

/// A table's family.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Family {
    /// `ip`.
    Ip,
    /// `inet`.
    Inet,
}

impl Family {
    /// The keyword.
    pub fn as_str(self) -> &'static str {
        match self {
            Family::Ip => "ip",
            Family::Inet => "inet",
        }
    }
}

/// A base chain's type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChainType {
    /// `filter`.
    Filter,
    /// `nat`.
    Nat,
    /// `route`.
    Route,
}

impl ChainType {
    /// The keyword.
    pub fn as_str(self) -> &'static str {
        match self {
            ChainType::Filter => "filter",
            ChainType::Nat => "nat",
            ChainType::Route => "route",
        }
    }
}

/// What makes a chain a base chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BaseChain {
    /// Its type.
    pub ty: ChainType,
    /// The hook.
    pub hook: Hook,
    /// The priority.
    pub prio: i32,
    /// `policy drop`.
    pub drop: bool,
    /// Registration order in the namespace (later registered runs first
    /// among equal priorities, `nf_hook_entries_grow`).
    pub seq: u64,
}

/// A chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chain {
    /// Name.
    pub name: String,
    /// Handle.
    pub handle: u64,
    /// Hook, for a base chain.
    pub base: Option<BaseChain>,
    /// Rules in order.
    pub rules: Vec<Rule>,
}

/// A rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    /// Handle.
    pub handle: u64,
    /// Statements in order.
    pub stmts: Vec<Stmt>,
    /// `comment "..."`.
    pub comment: Option<String>,
}

/// A verdict.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// `accept`.
    Accept,
    /// `drop`.
    Drop,
    /// `continue`.
    Continue,
    /// `return`.
    Return,
    /// `jump CHAIN`.
    Jump(String),
    /// `goto CHAIN`.
    Goto(String),
}

/// What a match reads from the packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Key {
    /// `ip saddr`.
    IpSaddr,
    /// `ip daddr`.
    IpDaddr,
    /// `ip protocol`.
    IpProtocol,
    /// `meta l4proto`.
    L4proto,
    /// `meta protocol` (ethertype).
    Protocol,
    /// `meta nfproto`.
    Nfproto,
    /// `meta mark`.
    Mark,
    /// `meta pkttype`.
    Pkttype,
    /// `iif` (ifindex).
    Iif,
    /// `oif`.
    Oif,
    /// `iifname`.
    Iifname,
    /// `oifname`.
    Oifname,
    /// `tcp sport`.
    TcpSport,
    /// `tcp dport`.
    TcpDport,
    /// `udp sport`.
    UdpSport,
    /// `udp dport`.
    UdpDport,
    /// `th sport`.
    ThSport,
    /// `th dport`.
    ThDport,
    /// `tcp flags`.
    TcpFlags,
    /// `icmp type`.
    IcmpType,
    /// `ct state`.
    CtState,
    /// `ct status`.
    CtStatus,
    /// `ct mark`.
    CtMark,
    /// `ct direction`.
    CtDirection,
    /// `fib daddr type`.
    FibDaddrType,
}

impl Key {
    /// How the key prints.
    pub fn as_str(self) -> &'static str {
        match self {
            Key::IpSaddr => "ip saddr",
            Key::IpDaddr => "ip daddr",
            Key::IpProtocol => "ip protocol",
            Key::L4proto => "meta l4proto",
            Key::Protocol => "meta protocol",
            Key::Nfproto => "meta nfproto",
            Key::Mark => "meta mark",
            Key::Pkttype => "meta pkttype",
            Key::Iif => "iif",
            Key::Oif => "oif",
            Key::Iifname => "iifname",
            Key::Oifname => "oifname",
            Key::TcpSport => "tcp sport",
            Key::TcpDport => "tcp dport",
            Key::UdpSport => "udp sport",
            Key::UdpDport => "udp dport",
            Key::ThSport => "th sport",
            Key::ThDport => "th dport",
            Key::TcpFlags => "tcp flags",
            Key::IcmpType => "icmp type",
            Key::CtState => "ct state",
            Key::CtStatus => "ct status",
            Key::CtMark => "ct mark",
            Key::CtDirection => "ct direction",
            Key::FibDaddrType => "fib daddr type",
        }
    }

    /// Keys whose values are bit sets (`ct state new,established`): a
    /// value list matches when any of its bits is set.
    pub fn is_bitmask(self) -> bool {
        matches!(self, Key::CtState | Key::CtStatus | Key::TcpFlags)
    }
}

/// How an element was written, for printing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Form {
    /// One value.
    Single,
    /// `ADDR/LEN`.
    Prefix(u8),
    /// `LO-HI`.
    Range,
}

/// A value or interval of a key's values (addresses as `u32`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Elem {
    /// First value.
    pub lo: u32,
    /// Last value.
    pub hi: u32,
    /// As written.
    pub form: Form,
}

impl Elem {
    /// One value.
    pub fn one(v: u32) -> Elem {
        Elem { lo: v, hi: v, form: Form::Single }
    }
}

/// The right-hand side of a match.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rhs {
    /// One value (or prefix or range), or a list of bits for a bitmask key.
    Value(Vec<Elem>),
    /// An anonymous set `{ a, b }`.
    Set(Vec<Elem>),
    /// A named set `@name`.
    Named(String),
    /// An interface name, `*` at the end for a prefix.
    Name(String),
    /// `== V` / `!= V` of a bitmask: the whole value.
    Exact(u32),
    /// `meta mark & M ==|!= V` (`mark and M == V`): `x & mask == val`.
    AndEq {
        /// The bits looked at.
        mask: u32,
        /// The value they must have.
        val: u32,
    },
    /// `tcp flags A / B`: `flags & B == A`.
    Masked {
        /// The bits that must be set.
        val: u32,
        /// The bits looked at.
        mask: u32,
    },
}

/// `reject` as written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reject {
    /// `reject` (port unreachable).
    Default,
    /// `reject with icmp type NAME` (the code).
    Icmp(u8),
    /// `reject with tcp reset`.
    TcpReset,
}

/// A NAT statement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Nat {
    /// `masquerade [to :PORTS]`.
    Masquerade(Option<(u16, u16)>),
    /// `snat to ADDR[:PORT]`.
    /// (`snat ip to` in an inet table: the flag.)
    Snat(Ipv4Addr, Option<(u16, u16)>, bool),
    /// `dnat to ADDR[:PORT]`.
    /// (`dnat ip to` in an inet table: the flag.)
    Dnat(Ipv4Addr, Option<(u16, u16)>, bool),
    /// `dnat to KEY map { K : ADDR, ... }`.
    /// (`dnat ip to` in an inet table: the flag.)
    DnatMap(Key, Vec<(Elem, Ipv4Addr)>, bool),
    /// `redirect [to :PORT]`.
    Redirect(Option<(u16, u16)>),
    /// `snat|dnat [ip] to A[-B|/LEN][:P[-Q]] [FLAGS]` with an address
    /// range or prefix or flags (the plain forms are `Snat`/`Dnat`).
    Range(NatRange),
    /// `masquerade [to :P[-Q]] FLAGS`.
    MasqueradeFlags(Option<(u16, u16)>, NatFlags),
}

/// An address-range NAT statement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NatRange {
    /// `snat` (else `dnat`).
    pub snat: bool,
    /// First and last address.
    pub addr: (Ipv4Addr, Ipv4Addr),
    /// Written as a prefix of this length.
    pub prefix: Option<u8>,
    /// Port range.
    pub ports: Option<(u16, u16)>,
    /// `random`, `fully-random`, `persistent`.
    pub flags: NatFlags,
    /// `snat ip to` in an inet table.
    pub ip: bool,
}

/// NAT flags as nft writes them.
pub type NatFlags = super::nf::rule::NatFlags;

/// A statement of a rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stmt {
    /// A match: `KEY [!=] RHS`.
    Match {
        /// What it reads.
        key: Key,
        /// `!=`.
        neg: bool,
        /// What it compares with.
        rhs: Rhs,
    },
    /// `counter packets N bytes M`.
    Counter {
        /// Packets.
        packets: u64,
        /// Bytes.
        bytes: u64,
    },
    /// A verdict.
    Verdict(Verdict),
    /// `KEY vmap { K : VERDICT, ... }`.
    Vmap(Key, Vec<(Elem, Verdict)>),
    /// `reject`.
    Reject(Reject),
    /// A NAT statement.
    Nat(Nat),
    /// `meta mark set V`.
    MarkSet(u32),
    /// `ct mark set V`.
    CtMarkSet(u32),
    /// `meta|ct mark set meta|ct mark |^& V` (kube-proxy's `mark set mark
    /// or 0x4000`).
    MarkOp {
        /// `ct mark` (else `meta mark`).
        ct: bool,
        /// `|`, `^` or `&`.
        op: char,
        /// The operand.
        val: u32,
    },
    /// `notrack`.
    Notrack,
    /// `log [prefix "P"] [level L]`: nf_log_syslog's line in the kernel
    /// log (the level, kept for listing, is not shown by dmesg).
    Log(Option<String>, Option<String>),
    /// `quota [over] N bytes`: nft_quota's byte count.
    Quota {
        /// `over`.
        over: bool,
        /// The quota in bytes.
        bytes: u64,
        /// Bytes counted so far (`used N bytes` in listings).
        used: u64,
    },
    /// `limit rate N/UNIT [burst B packets]`: nft_limit's token bucket.
    Limit(Limit),
    /// `SEL [!=] { A . B, ... }` or `SEL @name` of a concatenation, a
    /// numgen, or a named set declared by `typeof` or with a
    /// concatenated type: a lookup.
    Lookup {
        /// What it reads.
        sel: Sel,
        /// `!=`.
        neg: bool,
        /// The set.
        set: SetRef,
    },
    /// `SEL vmap { K : VERDICT, ... }` / `SEL vmap @name` of a
    /// concatenation, a numgen or a named map.
    MapVerdict(Sel, SetRef),
    /// `dnat [ip] to SEL map { K : ADDR }` / `map @name` of a
    /// concatenation, a numgen or a named map (`ip`: the flag).
    DnatLookup(Sel, SetRef, bool),
}

/// What a lookup reads: one key or a concatenation of keys, or a number
/// generator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Sel {
    /// `K1 . K2 . ...` (or a single key used with a named composite set).
    Keys(Vec<Key>),
    /// `numgen random|inc mod N [offset O]`.
    Numgen(Numgen),
}

/// `numgen` (nft_numgen.c): `random` is `reciprocal_scale(get_random_u32(),
/// mod) + offset` from the run's seeded generator; `inc` a counter of the
/// expression that starts at `mod - 1` so the first packet gets 0.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Numgen {
    /// `inc` (else `random`).
    pub inc: bool,
    /// `mod N`.
    pub modulus: u32,
    /// `offset O`.
    pub offset: u32,
    /// The `inc` counter.
    pub counter: u32,
}

impl Numgen {
    /// The next number.
    pub fn next(&mut self, draw: &mut dyn FnMut() -> u32) -> u32 {
        if self.inc {
            self.counter = if self.counter + 1 < self.modulus { self.counter + 1 } else { 0 };
            self.counter + self.offset
        } else {
            ((u64::from(draw()) * u64::from(self.modulus)) >> 32) as u32 + self.offset
        }
    }
}

/// A set a lookup uses: written in the rule (anonymous) or named.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SetRef {
    /// `{ ... }`: the elements.
    Anon(Vec<Entry>),
    /// `@name`: a [`CSet`] of the table.
    Named(String),
}

/// A map element's data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Data {
    /// A verdict (`vmap`).
    Verdict(Verdict),
    /// An address (`dnat to ... map`).
    Addr(Ipv4Addr),
}

/// An element of a composite set or map: one value or interval per field
/// and, for a map, its data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// One per field of the key.
    pub key: Vec<Elem>,
    /// The data, for a map.
    pub data: Option<Data>,
    /// `comment "..."` of the element.
    pub comment: Option<String>,
}

impl Entry {
    /// Whether the packet's field values fall in this element.
    pub fn hit(&self, vals: &[u32]) -> bool {
        self.key.len() == vals.len() && self.key.iter().zip(vals).all(|(e, v)| e.lo <= *v && *v <= e.hi)
    }
}

/// A map's data type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DataType {
    /// `verdict`.
    Verdict,
    /// `ipv4_addr`.
    Ipv4Addr,
}

/// A named set with a concatenated key or declared by `typeof`, or a named
/// map (`add map`). Plain one-type sets are [`Set`]s.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CSet {
    /// Name.
    pub name: String,
    /// Handle.
    pub handle: u64,
    /// The key's field types.
    pub key: Vec<SetType>,
    /// `typeof K1 . K2`: the keys as written (printed so).
    pub typeof_key: Option<Vec<Key>>,
    /// For a map, its data type (and `typeof` data key as written).
    pub data: Option<(DataType, Option<Key>)>,
    /// `flags interval`.
    pub interval: bool,
    /// `comment "..."`.
    pub comment: Option<String>,
    /// Elements sorted by their fields' first values (`render::nft` lists
    /// them in nft's order).
    pub elems: Vec<Entry>,
}

/// A `limit` and its bucket (`nft_limit_eval`, in nanoseconds of
/// virtual time): a packet costs `unit * 10^9 / rate` (a byte limit:
/// `unit * 10^9 * len / rate`), the bucket holds `burst` packets' worth (a
/// byte limit: `unit * 10^9 * (rate + burst) / rate`) and starts full.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limit {
    /// Packets (or bytes) per unit.
    pub rate: u64,
    /// The unit in seconds (1, 60, 3600, 86400).
    pub unit: u64,
    /// Burst in packets (5 when not given), or bytes (0) for a byte limit.
    pub burst: u32,
    /// (tokens, last) once the first packet reached it.
    pub bucket: Option<(u64, u64)>,
    /// `limit rate over`: matches what exceeds the rate.
    pub over: bool,
    /// A byte limit (`limit rate N kbytes/second`).
    pub bytes: bool,
}

impl Limit {
    /// Whether a packet of `len` bytes at `now` matches (within the limit,
    /// or beyond it for `over`); takes its tokens when within.
    pub fn pass(&mut self, now: u64, len: u64) -> bool {
        let nsecs = self.unit * 1_000_000_000;
        let rate = self.rate.max(1);
        let (cost, max) = if self.bytes {
            (
                (u128::from(nsecs) * u128::from(len) / u128::from(rate)) as u64,
                (u128::from(nsecs) * u128::from(rate + u64::from(self.burst)) / u128::from(rate)) as u64,
            )
        } else {
            (nsecs / rate, nsecs / rate * u64::from(self.burst))
        };
        let (tokens, last) = self.bucket.unwrap_or((max, now));
        let tokens = (tokens + now.saturating_sub(last)).min(max);
        let (left, ok) = if tokens >= cost { (tokens - cost, true) } else { (tokens, false) };
        self.bucket = Some((left, now));
        ok != self.over
    }
}

/// A named set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Set {
    /// Name.
    pub name: String,
    /// Handle.
    pub handle: u64,
    /// Element type (`ipv4_addr`, `inet_service`, ...).
    pub ty: SetType,
    /// `flags interval`.
    pub interval: bool,
    /// Elements in the order the kernel lists them (sorted).
    pub elems: Vec<Elem>,
}

/// A named set's element type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetType {
    /// `ipv4_addr`.
    Ipv4Addr,
    /// `inet_service`.
    InetService,
    /// `inet_proto`.
    InetProto,
    /// `mark`.
    Mark,
}

impl SetType {
    /// The keyword.
    pub fn as_str(self) -> &'static str {
        match self {
            SetType::Ipv4Addr => "ipv4_addr",
            SetType::InetService => "inet_service",
            SetType::InetProto => "inet_proto",
            SetType::Mark => "mark",
        }
    }

    /// The key type a match compares with this set.
    pub fn fits(self, key: Key) -> bool {
        match self {
            SetType::Ipv4Addr => matches!(key, Key::IpSaddr | Key::IpDaddr),
            SetType::InetService => {
                matches!(
                    key,
                    Key::TcpSport | Key::TcpDport | Key::UdpSport | Key::UdpDport | Key::ThSport | Key::ThDport
                )
            }
            SetType::InetProto => matches!(key, Key::L4proto | Key::IpProtocol),
            SetType::Mark => matches!(key, Key::Mark | Key::CtMark),
        }
    }
}

/// A table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Table {
    /// Family.
    pub family: Family,
    /// Name.
    pub name: String,
    /// Handle.
    pub handle: u64,
    /// The next handle for a chain, set or rule of this table.
    pub next_handle: u64,
    /// Named sets, in creation order.
    pub sets: Vec<Set>,
    /// Chains, in creation order.
    pub chains: Vec<Chain>,
    /// Composite sets and named maps, in creation order.
    pub csets: Vec<CSet>,
    /// `comment "..."` of the table.
    pub comment: Option<String>,
}

impl Table {
    /// Allocates a handle for a chain, set, rule or anonymous set.
    pub fn alloc(&mut self) -> u64 {
        let h = self.next_handle;
        self.next_handle += 1;
        h
    }

    /// A chain by name.
    pub fn chain(&self, name: &str) -> Option<usize> {
        self.chains.iter().position(|c| c.name == name)
    }

    /// A set by name.
    pub fn set(&self, name: &str) -> Option<usize> {
        self.sets.iter().position(|s| s.name == name)
    }

    /// A composite set or map by name.
    pub fn cset(&self, name: &str) -> Option<usize> {
        self.csets.iter().position(|s| s.name == name)
    }
}

/// The nftables state of a namespace.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NftState {
    /// Tables in creation order.
    pub tables: Vec<Table>,
    /// The next table handle.
    pub next_table_handle: u64,
    /// The next base chain registration number.
    pub next_seq: u64,
    /// iptables-nft's tables as nf_tables sees them: their table handles
    /// and chains in creation order with base chains' registration
    /// numbers (see [`NftState::xt_sync`]).
    pub xt: Vec<XtTable>,
    /// iptables-legacy's tables in creation order with their registration
    /// numbers (all chains of a legacy table register at once).
    pub legacy: Vec<(super::nf::TableName, u64)>,
    /// Whether some rule needs connection tracking (ct matches, NAT).
    pub needs_ct: bool,
    /// Bumped on every change of the namespace's rulesets that can change
    /// the order of the hooks' steps (nft, iptables, iptables-legacy
    /// commands): the datapath's cache of that order is keyed by it.
    pub gen: u64,
    /// Whether a nat chain exists: the nat core then runs at every hook
    /// (`nf_nat_register_fn` registers all of its hooks at once).
    pub has_nat: bool,
    /// The hooks some base chain sits at, one bit per [`Hook`] (its
    /// discriminant), so a packet need not scan every chain.
    pub hooks: u8,
}

impl NftState {
    /// A table by family and name.
    pub fn table(&self, family: Family, name: &str) -> Option<usize> {
        self.tables.iter().position(|t| t.family == family && t.name == name)
    }

    /// Whether any base chain sits at this hook (from [`NftState::hooks`]).
    pub fn at_hook(&self, hook: Hook) -> bool {
        self.hooks & (1 << hook as u8) != 0
    }

    /// Recomputes what is derived from the tables after a change:
    /// [`NftState::needs_ct`], [`NftState::has_nat`], [`NftState::hooks`].
    pub fn update_needs_ct(&mut self) {
        self.hooks = self
            .tables
            .iter()
            .flat_map(|t| t.chains.iter())
            .filter_map(|c| c.base.as_ref())
            .fold(0, |m, b| m | (1 << b.hook as u8));
        self.has_nat = self
            .tables
            .iter()
            .flat_map(|t| t.chains.iter())
            .any(|c| c.base.as_ref().is_some_and(|b| b.ty == ChainType::Nat));
        self.needs_ct = self.tables.iter().flat_map(|t| t.chains.iter()).any(|c| {
            c.base.as_ref().is_some_and(|b| b.ty == ChainType::Nat)
                || c.rules.iter().flat_map(|r| r.stmts.iter()).any(|s| {
                    matches!(
                        s,
                        Stmt::Match { key: Key::CtState | Key::CtStatus | Key::CtMark | Key::CtDirection, .. }
                            | Stmt::CtMarkSet(_)
                            | Stmt::MarkOp { ct: true, .. }
                            | Stmt::Nat(_)
                            | Stmt::DnatLookup(..)
                    )
                })
        });
    }
}

/// An iptables-nft table in nf_tables: its handle and chains.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct XtTable {
    /// Which table.
    pub name: super::nf::TableName,
    /// Its table handle.
    pub handle: u64,
    /// Chains in creation order: name and registration number.
    pub chains: Vec<(String, u64)>,
}

impl NftState {
    /// Brings [`NftState::xt`] up to date with the iptables ruleset: a new
    /// table takes the next table handle, a new chain the next
    /// registration number, in the order they appear now (built-in chains
    /// in hook order, then user chains by name, for those created by one
    /// command). Called after every iptables command and before every nft
    /// command, so the order is the order of creation.
    /// `first` lists (table, chain) in the order the command mentioned them
    /// (iptables-restore's input: `:CHAIN` and `-A CHAIN` lines); new
    /// chains it names are created in that order.
    // DIVERGENCE: other chains created by one command (the docker tool's
    // setup) get netsim's order, not necessarily the kernel's.
    pub fn xt_sync(&mut self, rs: &super::nf::Ruleset, first: &[(super::nf::TableName, String)]) {
        self.gen += 1;
        self.xt.retain(|x| rs.tables.contains_key(&x.name));
        for (name, t) in &rs.tables {
            let k = match self.xt.iter().position(|x| x.name == *name) {
                Some(k) => k,
                None => {
                    self.next_table_handle += 1;
                    self.xt.push(XtTable { name: *name, handle: self.next_table_handle, chains: Vec::new() });
                    self.xt.len() - 1
                }
            };
            // Sets, not lists: kube-proxy's tables hold thousands of chains.
            let exists: std::collections::BTreeSet<&str> = t
                .builtins
                .iter()
                .filter(|b| b.created)
                .map(|b| b.hook.as_str())
                .chain(t.user.keys().map(String::as_str))
                .collect();
            let x = &mut self.xt[k];
            x.chains.retain(|(c, _)| exists.contains(c.as_str()));
            let mut known: std::collections::BTreeSet<String> = x.chains.iter().map(|(c, _)| c.clone()).collect();
            let hinted =
                first.iter().filter(|(tn, c)| tn == name && exists.contains(c.as_str())).map(|(_, c)| c.as_str());
            let builtins = t.builtins.iter().filter(|b| b.created).map(|b| b.hook.as_str());
            for c in hinted.chain(builtins).chain(t.user.keys().map(String::as_str)) {
                if known.insert(c.to_string()) {
                    x.chains.push((c.to_string(), self.next_seq));
                    self.next_seq += 1;
                }
            }
        }
    }

    /// The registration number of iptables-nft's chain for `hook` in
    /// `table`, if it exists.
    pub fn xt_seq(&self, table: super::nf::TableName, hook: Hook) -> Option<u64> {
        let x = self.xt.iter().find(|x| x.name == table)?;
        x.chains.iter().find(|(c, _)| c == hook.as_str()).map(|(_, s)| *s)
    }
}

/// `ct state` bits as nft numbers them (`NF_CT_STATE_*_BIT`).
pub mod ct_state {
    /// `invalid`.
    pub const INVALID: u32 = 1;
    /// `established`.
    pub const ESTABLISHED: u32 = 2;
    /// `related`.
    pub const RELATED: u32 = 4;
    /// `new`.
    pub const NEW: u32 = 8;
    /// `untracked`.
    pub const UNTRACKED: u32 = 64;
}

/// What the evaluation knows of the packet and where it is.
// DIVERGENCE: only IPv4 reaches the hooks (IPv6 is not simulated), so an
// `inet` table sees IPv4 packets only.
pub struct View<'a> {
    /// Source address.
    pub src: Ipv4Addr,
    /// Destination address.
    pub dst: Ipv4Addr,
    /// IP protocol.
    pub proto: u8,
    /// Ports (TCP/UDP, first fragment).
    pub ports: Option<(u16, u16)>,
    /// TCP flags byte.
    pub tcp_flags: Option<u8>,
    /// ICMP type.
    pub icmp_type: Option<u8>,
    /// Length of the IP datagram.
    pub len: u64,
    /// Input device name and ifindex.
    pub iif: Option<(&'a str, u32)>,
    /// Output device name and ifindex.
    pub oif: Option<(&'a str, u32)>,
    /// `skb->pkt_type` (0 host, 1 broadcast, 2 multicast).
    pub pkttype: u8,
    /// `ct state` bit.
    pub ct_state: u32,
    /// `ct status` bits, 0 without a connection.
    pub ct_status: u32,
    /// `ct direction`: 0 original, 1 reply, `None` without a connection.
    pub ct_dir: Option<u8>,
    /// Whether the destination is a local address (`fib daddr type local`).
    pub dst_local: bool,
    /// Virtual time in nanoseconds (for `limit`).
    pub now: u64,
}

/// The marks a walk reads and sets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Marks {
    /// `meta mark`.
    pub mark: u32,
    /// `ct mark` (only kept with a connection).
    pub ct_mark: u32,
}

/// How a base chain's walk ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum End {
    /// Accepted (by a rule or the policy).
    Accept,
    /// Dropped: the chain and rule handle (`None` for the policy).
    Drop(String, Option<u64>),
    /// Rejected.
    Reject(Reject, String, u64),
    /// A NAT statement asks for a binding (the rule's handle).
    Nat(Nat, String, u64),
}

/// What a walk asks of the caller besides its end.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Effects {
    /// `notrack` was met.
    pub notrack: bool,
    /// Whether to record [`Effects::hits`] (only when tracing).
    pub trace: bool,
    /// The rules that matched fully (chain, handle), for the trace.
    pub hits: Vec<(String, u64)>,
    /// `log` statements met: the prefix and the packet's mark then.
    pub logs: Vec<(String, u32)>,
}

/// Whether `v` is in a set's elements, which are kept sorted by their
/// first value and do not overlap (`tools::nft` sorts and merges anonymous
/// sets; interval sets refuse overlaps): a binary search.
fn in_elems(elems: &[Elem], v: u32) -> bool {
    let k = elems.partition_point(|e| e.lo <= v);
    k > 0 && v <= elems[k - 1].hi
}

impl Table {
    /// Runs base chain `ci` for the packet: rules in order, jumps on a
    /// stack, the policy at the end.
    /// `draw` gives `numgen random` its numbers (the run's generator).
    pub fn run(
        &mut self,
        ci: usize,
        v: &View<'_>,
        marks: &mut Marks,
        fx: &mut Effects,
        draw: &mut dyn FnMut() -> u32,
    ) -> End {
        let Table { chains, sets, csets, .. } = self;
        let base = ci;
        let mut stack: Vec<(usize, usize)> = Vec::new();
        let (mut c, mut i) = (ci, 0usize);
        let mut guard = 0u32;
        loop {
            guard += 1;
            if guard > 100_000 {
                return End::Drop("loop".into(), None);
            }
            if i >= chains[c].rules.len() {
                match stack.pop() {
                    Some((back, next)) => {
                        c = back;
                        i = next;
                        continue;
                    }
                    None => {
                        let drop = chains[base].base.as_ref().is_some_and(|b| b.drop);
                        return if drop { End::Drop(chains[base].name.clone(), None) } else { End::Accept };
                    }
                }
            }
            let rule = &mut chains[c].rules[i];
            let handle = rule.handle;
            let mut verdict: Option<Verdict> = None;
            let mut end: Option<End> = None;
            let mut all = true;
            for s in rule.stmts.iter_mut() {
                match s {
                    Stmt::Match { key, neg, rhs } => {
                        if !matches(*key, *neg, rhs, v, marks, sets) {
                            all = false;
                            break;
                        }
                    }
                    Stmt::Counter { packets, bytes } => {
                        *packets += 1;
                        *bytes += v.len;
                    }
                    Stmt::Verdict(vd) => {
                        verdict = Some(vd.clone());
                        break;
                    }
                    Stmt::Vmap(key, entries) => {
                        let Some(k) = value(*key, v, marks) else {
                            all = false;
                            break;
                        };
                        match entries.iter().find(|(e, _)| e.lo <= k && k <= e.hi) {
                            Some((_, vd)) => {
                                verdict = Some(vd.clone());
                                break;
                            }
                            None => {
                                all = false;
                                break;
                            }
                        }
                    }
                    Stmt::Reject(r) => {
                        end = Some(End::Reject(*r, String::new(), handle));
                        break;
                    }
                    Stmt::Nat(Nat::DnatMap(key, entries, ip)) => {
                        let hit =
                            value(*key, v, marks).and_then(|k| entries.iter().find(|(e, _)| e.lo <= k && k <= e.hi));
                        match hit {
                            Some((_, a)) => {
                                end = Some(End::Nat(Nat::Dnat(*a, None, *ip), String::new(), handle));
                                break;
                            }
                            None => {
                                all = false;
                                break;
                            }
                        }
                    }
                    Stmt::Nat(n) => {
                        end = Some(End::Nat(n.clone(), String::new(), handle));
                        break;
                    }
                    Stmt::MarkSet(m) => marks.mark = *m,
                    Stmt::MarkOp { ct, op, val } => {
                        let apply = |x: u32| match op {
                            '|' => x | *val,
                            '^' => x ^ *val,
                            _ => x & *val,
                        };
                        if !*ct {
                            marks.mark = apply(marks.mark);
                        } else if v.ct_dir.is_some() {
                            marks.ct_mark = apply(marks.ct_mark);
                        }
                    }
                    Stmt::CtMarkSet(m) => {
                        if v.ct_dir.is_some() {
                            marks.ct_mark = *m
                        }
                    }
                    Stmt::Notrack => fx.notrack = true,
                    Stmt::Log(prefix, _) => fx.logs.push((prefix.clone().unwrap_or_default(), marks.mark)),
                    Stmt::Quota { over, bytes, used } => {
                        // nft_quota: the packet is counted, then compared.
                        *used += v.len;
                        if (*used >= *bytes) != *over {
                            all = false;
                            break;
                        }
                    }
                    Stmt::Limit(l) => {
                        if !l.pass(v.now, v.len) {
                            all = false;
                            break;
                        }
                    }
                    Stmt::Lookup { sel, neg, set } => {
                        let hit = sel_values(sel, v, marks, draw)
                            .is_some_and(|(vals, n)| lookup(set, csets, &vals[..n]).is_some());
                        if hit == *neg {
                            all = false;
                            break;
                        }
                    }
                    Stmt::MapVerdict(sel, set) => {
                        let data = sel_values(sel, v, marks, draw).and_then(|(vals, n)| lookup(set, csets, &vals[..n]));
                        match data {
                            Some(Data::Verdict(vd)) => {
                                verdict = Some(vd.clone());
                                break;
                            }
                            _ => {
                                all = false;
                                break;
                            }
                        }
                    }
                    Stmt::DnatLookup(sel, set, ip) => {
                        let data = sel_values(sel, v, marks, draw).and_then(|(vals, n)| lookup(set, csets, &vals[..n]));
                        match data {
                            Some(Data::Addr(a)) => {
                                end = Some(End::Nat(Nat::Dnat(*a, None, *ip), String::new(), handle));
                                break;
                            }
                            _ => {
                                all = false;
                                break;
                            }
                        }
                    }
                }
            }
            if !all {
                i += 1;
                continue;
            }
            if fx.trace {
                fx.hits.push((chains[c].name.clone(), handle));
            }
            if let Some(e) = end {
                let name = chains[c].name.clone();
                return match e {
                    End::Reject(r, _, h) => End::Reject(r, name, h),
                    End::Nat(n, _, h) => End::Nat(n, name, h),
                    other => other,
                };
            }
            match verdict {
                None | Some(Verdict::Continue) => i += 1,
                Some(Verdict::Accept) => return End::Accept,
                Some(Verdict::Drop) => return End::Drop(chains[c].name.clone(), Some(handle)),
                Some(Verdict::Return) => match stack.pop() {
                    Some((back, next)) => {
                        c = back;
                        i = next;
                    }
                    None => i = usize::MAX,
                },
                Some(Verdict::Jump(to)) => {
                    let Some(t) = chains.iter().position(|x| x.name == to) else { return End::Accept };
                    stack.push((c, i + 1));
                    c = t;
                    i = 0;
                }
                Some(Verdict::Goto(to)) => {
                    let Some(t) = chains.iter().position(|x| x.name == to) else { return End::Accept };
                    c = t;
                    i = 0;
                }
            }
        }
    }
}

/// The values a selector reads (at most four fields); `None` when the
/// packet lacks one of them.
fn sel_values(sel: &mut Sel, v: &View<'_>, marks: &Marks, draw: &mut dyn FnMut() -> u32) -> Option<([u32; 4], usize)> {
    let mut out = [0u32; 4];
    match sel {
        Sel::Numgen(g) => {
            out[0] = g.next(draw);
            Some((out, 1))
        }
        Sel::Keys(keys) => {
            for (k, key) in keys.iter().enumerate().take(4) {
                out[k] = value(*key, v, marks)?;
            }
            Some((out, keys.len().min(4)))
        }
    }
}

/// The first element of a set holding these values, for its data.
fn lookup<'s>(set: &'s SetRef, csets: &'s [CSet], vals: &[u32]) -> Option<&'s Data> {
    let elems = match set {
        SetRef::Anon(es) => es.as_slice(),
        SetRef::Named(n) => {
            let s = csets.iter().find(|s| &s.name == n)?;
            if !s.interval {
                // Single values, sorted: a binary search.
                let k = s.elems.partition_point(|e| e.key.iter().map(|f| f.lo).lt(vals.iter().copied()));
                let e = s.elems.get(k).filter(|e| e.hit(vals))?;
                return Some(e.data.as_ref().unwrap_or(&ACCEPT));
            }
            s.elems.as_slice()
        }
    };
    elems.iter().find(|e| e.hit(vals)).map(|e| e.data.as_ref().unwrap_or(&ACCEPT))
}

/// Stands in for a plain set element's (absent) data in [`lookup`].
static ACCEPT: Data = Data::Verdict(Verdict::Accept);

/// The key's value for this packet; `None` when the packet has no such
/// field (the rule does not match).
fn value(key: Key, v: &View<'_>, marks: &Marks) -> Option<u32> {
    let l4 = |p: u8| v.proto == p;
    Some(match key {
        Key::IpSaddr => u32::from(v.src),
        Key::IpDaddr => u32::from(v.dst),
        Key::IpProtocol | Key::L4proto => u32::from(v.proto),
        Key::Protocol => 0x0800,
        Key::Nfproto => 2,
        Key::Mark => marks.mark,
        Key::Pkttype => u32::from(v.pkttype),
        Key::Iif => v.iif?.1,
        Key::Oif => v.oif?.1,
        Key::Iifname | Key::Oifname => return None,
        Key::TcpSport if l4(6) => u32::from(v.ports?.0),
        Key::TcpDport if l4(6) => u32::from(v.ports?.1),
        Key::UdpSport if l4(17) => u32::from(v.ports?.0),
        Key::UdpDport if l4(17) => u32::from(v.ports?.1),
        Key::ThSport => u32::from(v.ports?.0),
        Key::ThDport => u32::from(v.ports?.1),
        Key::TcpFlags if l4(6) => u32::from(v.tcp_flags?),
        Key::IcmpType if l4(1) => u32::from(v.icmp_type?),
        Key::CtState => v.ct_state,
        Key::CtStatus => {
            v.ct_dir?;
            v.ct_status
        }
        Key::CtMark => {
            v.ct_dir?;
            marks.ct_mark
        }
        Key::CtDirection => u32::from(v.ct_dir?),
        Key::FibDaddrType => {
            if v.dst_local {
                2
            } else {
                1
            }
        }
        _ => return None,
    })
}

fn matches(key: Key, neg: bool, rhs: &Rhs, v: &View<'_>, marks: &Marks, sets: &[Set]) -> bool {
    if let Rhs::Name(want) = rhs {
        let have = match key {
            Key::Iifname => v.iif.map(|d| d.0),
            _ => v.oif.map(|d| d.0),
        };
        let Some(have) = have else { return false };
        let hit = match want.strip_suffix('*') {
            Some(prefix) => have.starts_with(prefix),
            None => have == want,
        };
        return hit != neg;
    }
    let Some(x) = value(key, v, marks) else { return false };
    let hit = match rhs {
        Rhs::Value(elems) if key.is_bitmask() => elems.iter().fold(0, |a, e| a | e.lo) & x != 0,
        Rhs::Value(elems) | Rhs::Set(elems) => in_elems(elems, x),
        Rhs::Named(name) => sets.iter().find(|s| &s.name == name).is_some_and(|s| in_elems(&s.elems, x)),
        Rhs::Masked { val, mask } | Rhs::AndEq { val, mask } => x & mask == *val,
        Rhs::Exact(v) => x == *v,
        Rhs::Name(_) => false,
    };
    hit != neg
}
