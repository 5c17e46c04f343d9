//! `iptables` and `iptables-restore` as iptables 1.8.9 (nf_tables) behave:
//! command-line parsing, the change applied to a namespace's [`Ruleset`],
//! what is printed, the error texts and exit statuses.
//!
//! What it does: parses every command (`-A -I -D -R -C -P -N -X -E -F -Z -L
//! -S`), the base matches, the modelled extension matches and targets (see
//! [`crate::model::nf::rule`]), validates the whole command first and only
//! then changes the ruleset, so a refused command changes nothing. For
//! `iptables-restore`, a whole input is applied or nothing is.
//!
//! What it does not do: extensions netsim does not know (`-m set`, `-j
//! NFQUEUE`, ...) are refused as [`IptablesError::Unsupported`], not with a
//! fake iptables message; a few it parses and prints but cannot run (`CT
//! --helper`, CT zones) are refused by [`tool`] after parsing (see
//! `engine::netfilter::unsupported`). Host names are not resolved; users
//! and groups (`-m owner`) come from Debian's base-passwd list.

use std::net::Ipv4Addr;

use crate::model::nf::rule::{
    AddrMask, AddrtypeMatch, ConnlimitMatch, ConnmarkOp, ConntrackMatch, CtStates, CtTarget, HashlimitMatch, IcmpMatch,
    Inv, IprangeMatch, LimitMatch, MarkMatch, MatchState, MultiportDir, MultiportMatch, NatFlags, NatRange, OwnerMatch,
    PhysdevMatch, PortRange, RecentMatch, RecentOp, StatisticMatch, TcpMatch, UdpMatch, ADDRTYPE_NAMES,
    HASHLIMIT_SCALE, REJECT_TYPES, XT_LIMIT_SCALE,
};
use crate::model::nf::{Hook, Match, Policy, Rule, Ruleset, Table, TableName, Target};
use crate::model::MacAddr;
use crate::render::iptables as r;

const TRY: &str = "Try `iptables -h' or 'iptables --help' for more information.";

/// Why an iptables command was refused; `Display` is the exact stderr text
/// (without the final newline) and [`IptablesError::status`] the exit status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IptablesError {
    /// A parameter problem (`xtables_error(PARAMETER_PROBLEM)`): exit 2.
    #[error("iptables v1.8.9 (nf_tables): {0}\n{TRY}")]
    Parameter(String),
    /// A parameter problem printed without the program prefix
    /// (`Bad argument `x'`): exit 2.
    #[error("{0}\n{TRY}")]
    Bare(String),
    /// The kernel refused the change (`iptables: Chain already exists.`): exit 1.
    #[error("iptables: {0}.")]
    Kernel(String),
    /// An nf_tables error with its own exit status (`RULE_APPEND failed`: 4).
    #[error("iptables v1.8.9 (nf_tables): {0}")]
    Nft(String, i32),
    /// The table does not exist (`-t foo`): exit 3.
    #[error("iptables v1.8.9 (nf_tables): table '{0}' does not exist\nPerhaps iptables or your kernel needs to be upgraded.")]
    NoTable(String),
    /// Real iptables may accept this, but netsim does not model it.
    #[error("netsim does not model {0}")]
    Unsupported(String),
}

impl IptablesError {
    /// The exit status iptables returns.
    pub fn status(&self) -> i32 {
        match self {
            IptablesError::Parameter(_) | IptablesError::Bare(_) => 2,
            IptablesError::Kernel(_) => 1,
            IptablesError::Nft(_, s) => *s,
            IptablesError::NoTable(_) => 3,
            IptablesError::Unsupported(_) => 2,
        }
    }
}

fn perr<T>(m: impl Into<String>) -> Result<T, IptablesError> {
    Err(IptablesError::Parameter(m.into()))
}

/// What a command printed and its exit status.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Output {
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
    /// Exit status.
    pub status: i32,
}

/// The command of one `iptables` invocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `-A CHAIN rule`.
    Append(String),
    /// `-I CHAIN [N] rule`.
    Insert(String, usize),
    /// `-D CHAIN rule` or `-D CHAIN N`.
    Delete(String, Option<usize>),
    /// `-R CHAIN N rule`.
    Replace(String, usize),
    /// `-C CHAIN rule`.
    Check(String),
    /// `-P CHAIN POLICY`.
    Policy(String, String),
    /// `-N CHAIN`.
    NewChain(String),
    /// `-X [CHAIN]`.
    DeleteChain(Option<String>),
    /// `-E OLD NEW`.
    Rename(String, String),
    /// `-F [CHAIN]`.
    Flush(Option<String>),
    /// `-Z [CHAIN [N]]`.
    Zero(Option<String>, Option<usize>),
    /// `-L [CHAIN [N]]`.
    List(Option<String>, Option<usize>),
    /// `-S [CHAIN [N]]`.
    ListRules(Option<String>, Option<usize>),
}

/// A parsed `iptables` command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    /// `-t` (default filter).
    pub table: TableName,
    /// The command.
    pub command: Command,
    /// The rule (for `-A -I -D -R -C`), one per `-s`/`-d` address
    /// combination as iptables expands comma lists.
    pub rules: Vec<Rule>,
    /// `-n`.
    pub numeric: bool,
    /// `-v`.
    pub verbose: bool,
    /// `-x`.
    pub exact: bool,
    /// `--line-numbers`.
    pub line_numbers: bool,
    /// Warnings an extension printed on stderr while checking the command
    /// (NFLOG's `--nflog-range`), each with its newline.
    pub warnings: String,
}

// ---------------------------------------------------------------- values

const SERVICES: [(&str, u16); 24] = [
    ("ftp-data", 20),
    ("ftp", 21),
    ("ssh", 22),
    ("telnet", 23),
    ("smtp", 25),
    ("domain", 53),
    ("bootps", 67),
    ("bootpc", 68),
    ("tftp", 69),
    ("http", 80),
    ("www", 80),
    ("pop3", 110),
    ("sunrpc", 111),
    ("auth", 113),
    ("ntp", 123),
    ("netbios-ns", 137),
    ("netbios-dgm", 138),
    ("netbios-ssn", 139),
    ("imap2", 143),
    ("snmp", 161),
    ("ldap", 389),
    ("https", 443),
    ("microsoft-ds", 445),
    ("imaps", 993),
];

/// A port number or service name (`/etc/services` subset).
fn service(s: &str) -> Option<u16> {
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse::<u32>().ok().and_then(|v| u16::try_from(v).ok());
    }
    SERVICES.iter().find(|(n, _)| *n == s).map(|(_, p)| *p)
}

fn port_or(s: &str, err: impl Fn(&str) -> IptablesError) -> Result<u16, IptablesError> {
    service(s).ok_or_else(|| err(s))
}

fn tcp_port_err(s: &str) -> IptablesError {
    IptablesError::Parameter(format!("invalid port/service `{s}' specified"))
}

fn udp_port_err(s: &str) -> IptablesError {
    IptablesError::Parameter(format!("Port \"{s}\" does not resolve to anything."))
}

/// `A`, `A:B`, `:B`, `A:`, `:` as the tcp/udp/conntrack matches take them.
fn port_range(s: &str, err: &dyn Fn(&str) -> IptablesError, reject_reversed: bool) -> Result<PortRange, IptablesError> {
    let (lo, hi) = match s.split_once(':') {
        None => {
            let p = port_or(s, err)?;
            (p, p)
        }
        Some((a, b)) => {
            let lo = if a.is_empty() { 0 } else { port_or(a, err)? };
            let hi = if b.is_empty() { 0xffff } else { port_or(b, err)? };
            (lo, hi)
        }
    };
    if reject_reversed && lo > hi {
        return perr("invalid portrange (min > max)");
    }
    Ok(PortRange { lo, hi })
}

fn parse_u32(s: &str) -> Option<u32> {
    let s = s.trim();
    if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        u32::from_str_radix(h, 16).ok()
    } else if s.len() > 1 && s.starts_with('0') {
        u32::from_str_radix(&s[1..], 8).ok()
    } else if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        s.parse().ok()
    } else {
        None
    }
}

/// `VALUE[/MASK]` for marks.
fn mark_mask(s: &str) -> Option<(u32, Option<u32>)> {
    match s.split_once('/') {
        Some((v, m)) => Some((parse_u32(v)?, Some(parse_u32(m)?))),
        None => Some((parse_u32(s)?, None)),
    }
}

fn parse_ip(s: &str) -> Option<Ipv4Addr> {
    s.parse().ok()
}

/// `ADDR[/LEN|/MASK]` as `-s`/`-d` take it, host bits cleared.
fn addr_mask(s: &str) -> Result<AddrMask, IptablesError> {
    let (a, m) = match s.split_once('/') {
        Some((a, m)) => (a, Some(m)),
        None => (s, None),
    };
    let mask = match m {
        None => Ipv4Addr::BROADCAST,
        Some(m) if m.contains('.') => {
            parse_ip(m).ok_or_else(|| IptablesError::Parameter(format!("invalid mask `{m}' specified")))?
        }
        Some(m) => match m.parse::<u8>() {
            Ok(l) if l <= 32 => Ipv4Addr::from(u32::MAX.checked_shl(32 - u32::from(l)).unwrap_or(0)),
            _ => return perr(format!("invalid mask `{m}' specified")),
        },
    };
    let addr = parse_ip(a).ok_or_else(|| IptablesError::Parameter(format!("host/network `{a}' not found")))?;
    Ok(AddrMask { addr: Ipv4Addr::from(u32::from(addr) & u32::from(mask)), mask })
}

fn proto_number(s: &str) -> Result<u8, IptablesError> {
    let l = s.to_ascii_lowercase();
    if l == "all" {
        return Ok(0);
    }
    if let Ok(n) = l.parse::<u8>() {
        return Ok(n);
    }
    if l == "icmpv6" {
        return Ok(58);
    }
    if l == "mh" || l == "ipv6-mh" {
        return Ok(135);
    }
    r::PROTOCOLS
        .iter()
        .find(|(_, n)| *n == l)
        .map(|(p, _)| *p)
        .ok_or_else(|| IptablesError::Parameter(format!("unknown protocol \"{s}\" specified")))
}

fn iface(s: &str) -> Result<String, IptablesError> {
    if s.len() >= 16 {
        return perr(format!("interface name `{s}' must be shorter than IFNAMSIZ (15)"));
    }
    Ok(s.to_string())
}

fn states(s: &str, conntrack: bool) -> Result<CtStates, IptablesError> {
    let mut bits = 0;
    for part in s.split(',') {
        let up = part.to_ascii_uppercase();
        let hit = CtStates::NAMES.iter().filter(|(b, _)| conntrack || *b < CtStates::SNAT).find(|(_, n)| *n == up);
        match hit {
            Some((b, _)) => bits |= b,
            None if conntrack => return perr(format!("Bad ctstate \"{part}\"")),
            None => return Err(IptablesError::Bare(format!("Bad state \"{part}\""))),
        }
    }
    Ok(CtStates(bits))
}

const ICMP_TYPES: [(&str, u8, u8, u8); 40] = [
    ("any", 0xff, 0, 0xff),
    ("echo-reply", 0, 0, 0xff),
    ("pong", 0, 0, 0xff),
    ("destination-unreachable", 3, 0, 0xff),
    ("network-unreachable", 3, 0, 0),
    ("host-unreachable", 3, 1, 1),
    ("protocol-unreachable", 3, 2, 2),
    ("port-unreachable", 3, 3, 3),
    ("fragmentation-needed", 3, 4, 4),
    ("source-route-failed", 3, 5, 5),
    ("network-unknown", 3, 6, 6),
    ("host-unknown", 3, 7, 7),
    ("network-prohibited", 3, 9, 9),
    ("host-prohibited", 3, 10, 10),
    ("TOS-network-unreachable", 3, 11, 11),
    ("TOS-host-unreachable", 3, 12, 12),
    ("communication-prohibited", 3, 13, 13),
    ("host-precedence-violation", 3, 14, 14),
    ("precedence-cutoff", 3, 15, 15),
    ("source-quench", 4, 0, 0xff),
    ("redirect", 5, 0, 0xff),
    ("network-redirect", 5, 0, 0),
    ("host-redirect", 5, 1, 1),
    ("TOS-network-redirect", 5, 2, 2),
    ("TOS-host-redirect", 5, 3, 3),
    ("echo-request", 8, 0, 0xff),
    ("ping", 8, 0, 0xff),
    ("router-advertisement", 9, 0, 0xff),
    ("router-solicitation", 10, 0, 0xff),
    ("time-exceeded", 11, 0, 0xff),
    ("ttl-exceeded", 11, 0, 0xff),
    ("ttl-zero-during-transit", 11, 0, 0),
    ("ttl-zero-during-reassembly", 11, 1, 1),
    ("parameter-problem", 12, 0, 0xff),
    ("ip-header-bad", 12, 0, 0),
    ("required-option-missing", 12, 1, 1),
    ("timestamp-request", 13, 0, 0xff),
    ("timestamp-reply", 14, 0, 0xff),
    ("address-mask-request", 17, 0, 0xff),
    ("address-mask-reply", 18, 0, 0xff),
];

fn icmp_type(s: &str) -> Result<(u8, (u8, u8)), IptablesError> {
    if let Some((_, t, a, b)) = ICMP_TYPES.iter().find(|(n, ..)| n.eq_ignore_ascii_case(s)) {
        return Ok((*t, (*a, *b)));
    }
    let bad = || IptablesError::Parameter(format!("Unknown ICMP type `{s}'"));
    let (t, c) = match s.split_once('/') {
        Some((t, c)) => (t, Some(c)),
        None => (s, None),
    };
    let t: u8 = t.parse().map_err(|_| bad())?;
    let code = match c {
        None => (0, 0xff),
        Some(c) => match c.split_once(':') {
            Some((a, b)) => (a.parse().map_err(|_| bad())?, b.parse().map_err(|_| bad())?),
            None => {
                let v: u8 = c.parse().map_err(|_| bad())?;
                (v, v)
            }
        },
    };
    Ok((t, code))
}

fn tcp_flag_list(s: &str) -> Result<u8, IptablesError> {
    let mut f = 0;
    for p in s.split(',') {
        f |= match p.to_ascii_uppercase().as_str() {
            "FIN" => 1,
            "SYN" => 2,
            "RST" => 4,
            "PSH" => 8,
            "ACK" => 16,
            "URG" => 32,
            "ALL" => 63,
            "NONE" => 0,
            _ => return perr(format!("Unknown TCP flag `{p}'")),
        };
    }
    Ok(f)
}

fn addrtype_list(s: &str) -> Result<u16, IptablesError> {
    let mut m = 0;
    for p in s.split(',') {
        let i = ADDRTYPE_NAMES
            .iter()
            .position(|n| n.eq_ignore_ascii_case(p))
            .ok_or_else(|| IptablesError::Parameter(format!("addrtype: bad type \"{p}\"")))?;
        m |= 1 << i;
    }
    Ok(m)
}

fn ip_range(s: &str) -> Result<(Ipv4Addr, Ipv4Addr), IptablesError> {
    let bad = || IptablesError::Parameter(format!("iprange match: Bad IP address \"{s}\""));
    match s.split_once('-') {
        Some((a, b)) => Ok((parse_ip(a).ok_or_else(bad)?, parse_ip(b).ok_or_else(bad)?)),
        None => {
            let a = parse_ip(s).ok_or_else(bad)?;
            Ok((a, a))
        }
    }
}

/// Ports for NAT targets: `A[-B]`, service names allowed.
fn nat_ports(s: &str) -> Result<PortRange, IptablesError> {
    let bad = |p: &str| IptablesError::Parameter(format!("Port `{p}' not valid"));
    let one = |p: &str| -> Result<u16, IptablesError> {
        if p.bytes().all(|b| b.is_ascii_digit()) {
            p.parse::<u16>().map_err(|_| bad(p))
        } else {
            SERVICES.iter().find(|(n, _)| *n == p).map(|(_, v)| *v).ok_or_else(|| bad(p))
        }
    };
    if let Some(p) = SERVICES.iter().find(|(n, _)| *n == s) {
        return Ok(PortRange { lo: p.1, hi: p.1 });
    }
    match s.split_once('-') {
        Some((a, b)) if !a.is_empty() => {
            let lo = one(a)?;
            // Like iptables: a service name cannot end a range.
            if !b.bytes().all(|c| c.is_ascii_digit()) {
                return Err(bad(s));
            }
            let hi = one(b)?;
            Ok(PortRange { lo, hi })
        }
        _ => {
            let p = one(s)?;
            Ok(PortRange { lo: p, hi: p })
        }
    }
}

fn nat_range(s: &str, dnat: bool) -> Result<NatRange, IptablesError> {
    let mut out = NatRange::default();
    let (a, p) = match s.split_once(':') {
        Some((a, p)) => (a, Some(p)),
        None => (s, None),
    };
    if !a.is_empty() {
        let bad = || IptablesError::Parameter(format!("Bad IP address \"{a}\""));
        out.addr = Some(match a.split_once('-') {
            Some((x, y)) => (parse_ip(x).ok_or_else(bad)?, parse_ip(y).ok_or_else(bad)?),
            None => {
                let x = parse_ip(a).ok_or_else(bad)?;
                (x, x)
            }
        });
    }
    if let Some(p) = p {
        let (range, base) = match p.split_once('/') {
            Some((r, b)) if dnat => (r, Some(b)),
            _ => (p, None),
        };
        let bad = |x: &str| IptablesError::Parameter(format!("Port `{x}' not valid"));
        let pr = nat_ports(range)?;
        if pr.lo == 0 {
            return Err(bad("0"));
        }
        out.ports = Some(pr);
        if let Some(b) = base {
            let v = service(b).ok_or_else(|| bad(b))?;
            if v == 0 {
                return Err(bad(b));
            }
            out.base = Some(v);
        }
    }
    Ok(out)
}

fn log_level(s: &str) -> Result<u8, IptablesError> {
    const NAMES: [(&str, u8); 11] = [
        ("alert", 1),
        ("crit", 2),
        ("debug", 7),
        ("emerg", 0),
        ("err", 3),
        ("error", 3),
        ("info", 6),
        ("notice", 5),
        ("panic", 0),
        ("warning", 4),
        ("warn", 4),
    ];
    if let Ok(v) = s.parse::<u8>() {
        if v <= 7 {
            return Ok(v);
        }
    }
    NAMES
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(s))
        .map(|(_, v)| *v)
        .ok_or_else(|| IptablesError::Parameter(format!("log level \"{s}\" unknown")))
}

// ---------------------------------------------------------------- extensions

struct Args<'a> {
    v: &'a [String],
    i: usize,
}

impl Args<'_> {
    fn peek(&self) -> Option<&str> {
        self.v.get(self.i).map(|s| s.as_str())
    }
    fn next(&mut self) -> Option<String> {
        let s = self.v.get(self.i).cloned();
        self.i += 1;
        s
    }
    fn value(&mut self, opt: &str) -> Result<String, IptablesError> {
        match self.v.get(self.i) {
            Some(s) => {
                self.i += 1;
                Ok(s.clone())
            }
            None => perr(format!("option \"{opt}\" requires an argument")),
        }
    }
    /// An optional positional argument (not starting with `-` or `!`).
    fn optional(&mut self) -> Option<String> {
        match self.peek() {
            Some(s) if !s.starts_with('-') && !s.starts_with('!') => self.next(),
            _ => None,
        }
    }
}

/// A match under construction, with the options it has seen.
struct MatchB {
    m: Match,
    seen: Vec<String>,
    /// An extension's scratch value between options and the final check
    /// (hashlimit's `udata->mult`: the rate's unit in seconds).
    udata: u32,
}

/// The target under construction.
struct TargetB {
    t: Target,
    seen: Vec<String>,
}

fn once(seen: &mut Vec<String>, ext: &str, opt: &str) -> Result<(), IptablesError> {
    if seen.iter().any(|s| s == opt) {
        return perr(format!("{ext}: option \"{opt}\" can only be used once.\n"));
    }
    seen.push(opt.to_string());
    Ok(())
}

fn new_match(name: &str) -> Result<Match, IptablesError> {
    Ok(match name {
        "tcp" => Match::Tcp(TcpMatch::default()),
        "udp" => Match::Udp(UdpMatch::default()),
        "icmp" => Match::Icmp(IcmpMatch { inv: false, kind: 0xff, code: (0, 0xff) }),
        "conntrack" => Match::Conntrack(ConntrackMatch::default()),
        "state" => Match::State(Inv { inv: false, val: CtStates(0) }),
        "physdev" => Match::Physdev(PhysdevMatch::default()),
        "comment" => Match::Comment(String::new()),
        "multiport" => Match::Multiport(MultiportMatch { inv: false, dir: MultiportDir::Either, ports: Vec::new() }),
        "addrtype" => Match::Addrtype(AddrtypeMatch::default()),
        "mark" | "connmark" => {
            let m = MarkMatch { inv: false, mark: 0, mask: u32::MAX };
            if name == "mark" {
                Match::Mark(m)
            } else {
                Match::Connmark(m)
            }
        }
        "mac" => Match::Mac(Inv { inv: false, val: MacAddr::ZERO }),
        "iprange" => Match::Iprange(IprangeMatch::default()),
        // limit_init: 3/hour, burst 5.
        "limit" => Match::Limit(LimitMatch { avg: XT_LIMIT_SCALE * 3600 / 3, burst: 5, bucket: MatchState(None) }),
        "statistic" => Match::Statistic(StatisticMatch::default()),
        "length" => Match::Length(Inv { inv: false, val: (0, 0) }),
        "ttl" => Match::Ttl(crate::model::nf::rule::TtlMatch { mode: 0, value: 0 }),
        "pkttype" => Match::Pkttype(Inv { inv: false, val: 0 }),
        "rpfilter" => Match::Rpfilter(0),
        "owner" => Match::Owner(OwnerMatch::default()),
        // connlimit_init: the source side, /32.
        "connlimit" => Match::Connlimit(ConnlimitMatch {
            limit: 0,
            above: false,
            daddr: false,
            mask: 32,
            lists: MatchState::default(),
        }),
        // hashlimit_mt4_init (revision 3): burst 5, gc 1000 ms, masks /32.
        "hashlimit" => Match::Hashlimit(Box::new(HashlimitMatch {
            name: String::new(),
            mode: 0,
            avg: 0,
            burst: 5,
            size: 0,
            max: 0,
            gc_interval: 1000,
            expire: 0,
            srcmask: 32,
            dstmask: 32,
            interval: 0,
        })),
        // recent_init: list DEFAULT, all-ones mask, source side.
        "recent" => Match::Recent(RecentMatch {
            op: None,
            inv: false,
            seconds: 0,
            reap: false,
            hit_count: 0,
            rttl: false,
            name: "DEFAULT".into(),
            dest: false,
            mask: Ipv4Addr::BROADCAST,
        }),
        other => return Err(IptablesError::Unsupported(format!("the `{other}' match"))),
    })
}

/// Offers `opt` to a match; `Ok(false)` when the match has no such option.
fn match_opt(b: &mut MatchB, opt: &str, inv: bool, a: &mut Args) -> Result<bool, IptablesError> {
    let ext = b.m.name();
    let known: &[&str] = match &b.m {
        Match::Tcp(_) => {
            &["--sport", "--source-port", "--dport", "--destination-port", "--syn", "--tcp-flags", "--tcp-option"]
        }
        Match::Udp(_) => &["--sport", "--source-port", "--dport", "--destination-port"],
        Match::Icmp(_) => &["--icmp-type"],
        Match::Conntrack(_) => &[
            "--ctstate",
            "--ctproto",
            "--ctorigsrc",
            "--ctorigdst",
            "--ctreplsrc",
            "--ctrepldst",
            "--ctorigsrcport",
            "--ctorigdstport",
            "--ctreplsrcport",
            "--ctrepldstport",
            "--ctstatus",
            "--ctexpire",
            "--ctdir",
        ],
        Match::State(_) => &["--state"],
        Match::Physdev(_) => {
            &["--physdev-in", "--physdev-out", "--physdev-is-in", "--physdev-is-out", "--physdev-is-bridged"]
        }
        Match::Comment(_) => &["--comment"],
        Match::Multiport(_) => &["--sports", "--source-ports", "--dports", "--destination-ports", "--ports"],
        Match::Addrtype(_) => &["--src-type", "--dst-type", "--limit-iface-in", "--limit-iface-out"],
        Match::Mark(_) | Match::Connmark(_) => &["--mark"],
        Match::Mac(_) => &["--mac-source"],
        Match::Iprange(_) => &["--src-range", "--dst-range"],
        Match::Limit(_) => &["--limit", "--limit-burst"],
        Match::Statistic(_) => &["--mode", "--probability", "--every", "--packet"],
        Match::Length(_) => &["--length"],
        Match::Ttl(_) => &["--ttl-eq", "--ttl-lt", "--ttl-gt"],
        Match::Pkttype(_) => &["--pkt-type"],
        Match::Rpfilter(_) => &["--loose", "--validmark", "--accept-local", "--invert"],
        Match::Owner(_) => &["--uid-owner", "--gid-owner", "--socket-exists", "--suppl-groups"],
        Match::Connlimit(_) => {
            &["--connlimit-upto", "--connlimit-above", "--connlimit-mask", "--connlimit-saddr", "--connlimit-daddr"]
        }
        Match::Hashlimit(_) => &[
            "--hashlimit-upto",
            "--hashlimit-above",
            "--hashlimit",
            "--hashlimit-srcmask",
            "--hashlimit-dstmask",
            "--hashlimit-burst",
            "--hashlimit-htable-size",
            "--hashlimit-htable-max",
            "--hashlimit-htable-gcinterval",
            "--hashlimit-htable-expire",
            "--hashlimit-mode",
            "--hashlimit-name",
            "--hashlimit-rate-match",
            "--hashlimit-rate-interval",
        ],
        Match::Recent(_) => &[
            "--set",
            "--rcheck",
            "--update",
            "--remove",
            "--seconds",
            "--reap",
            "--hitcount",
            "--rttl",
            "--name",
            "--rsource",
            "--rdest",
            "--mask",
        ],
    };
    if !known.contains(&opt) {
        return Ok(false);
    }
    let canon = match opt {
        "--source-port" => "--sport",
        "--destination-port" => "--dport",
        "--source-ports" => "--sports",
        "--destination-ports" => "--dports",
        // The old name shares the option's id.
        "--hashlimit" => "--hashlimit-upto",
        o => o,
    };
    once(&mut b.seen, ext, canon)?;
    match &mut b.m {
        Match::Tcp(t) => match canon {
            "--sport" => t.sport = Some(Inv { inv, val: port_range(&a.value(opt)?, &tcp_port_err, true)? }),
            "--dport" => t.dport = Some(Inv { inv, val: port_range(&a.value(opt)?, &tcp_port_err, true)? }),
            "--syn" => t.flags = Some(Inv { inv, val: (0x17, 0x02) }),
            "--tcp-flags" => {
                let m = tcp_flag_list(&a.value(opt)?)?;
                let c = match a.next() {
                    Some(c) => tcp_flag_list(&c)?,
                    None => return perr("--tcp-flags requires two args."),
                };
                t.flags = Some(Inv { inv, val: (m, c) });
            }
            _ => {
                let v = a.value(opt)?;
                let n = v.parse::<u8>().map_err(|_| {
                    IptablesError::Parameter(
                        "tcp: bad value for option \"--tcp-option\", or out of range (1-255).".to_string(),
                    )
                })?;
                t.option = Some(Inv { inv, val: n });
            }
        },
        Match::Udp(u) => {
            let v = Inv { inv, val: port_range(&a.value(opt)?, &udp_port_err, false)? };
            if canon == "--sport" {
                u.sport = Some(v);
            } else {
                u.dport = Some(v);
            }
        }
        Match::Icmp(i) => {
            let (k, c) = icmp_type(&a.value(opt)?)?;
            *i = IcmpMatch { inv, kind: k, code: c };
        }
        Match::Conntrack(c) => {
            let v = a.value(opt)?;
            let cport = |v: &str| port_range(v, &udp_port_err, false);
            match canon {
                "--ctstate" => c.state = Some(Inv { inv, val: states(&v, true)? }),
                "--ctproto" => c.proto = Some(Inv { inv, val: proto_number(&v)? }),
                "--ctorigsrc" => c.orig_src = Some(Inv { inv, val: addr_mask(&v)? }),
                "--ctorigdst" => c.orig_dst = Some(Inv { inv, val: addr_mask(&v)? }),
                "--ctreplsrc" => c.repl_src = Some(Inv { inv, val: addr_mask(&v)? }),
                "--ctrepldst" => c.repl_dst = Some(Inv { inv, val: addr_mask(&v)? }),
                "--ctorigsrcport" => c.orig_src_port = Some(Inv { inv, val: cport(&v)? }),
                "--ctorigdstport" => c.orig_dst_port = Some(Inv { inv, val: cport(&v)? }),
                "--ctreplsrcport" => c.repl_src_port = Some(Inv { inv, val: cport(&v)? }),
                "--ctrepldstport" => c.repl_dst_port = Some(Inv { inv, val: cport(&v)? }),
                "--ctstatus" => {
                    let mut bits = 0;
                    for p in v.split(',') {
                        bits |= match p.to_ascii_uppercase().as_str() {
                            "NONE" => 0,
                            "EXPECTED" => 1,
                            "SEEN_REPLY" => 2,
                            "ASSURED" => 4,
                            "CONFIRMED" => 8,
                            _ => return perr(format!("Bad ctstatus \"{p}\"")),
                        };
                    }
                    c.status = Some(Inv { inv, val: bits });
                }
                "--ctexpire" => {
                    let bad = |x: &str| {
                        IptablesError::Parameter(format!("conntrack: bad value for option \"--ctexpire\" near \"{x}\", or out of range (0-4294967295)."))
                    };
                    let num = |x: &str| x.parse::<u32>().map_err(|_| bad(x));
                    let (lo, hi) = match v.split_once(':') {
                        Some((x, y)) => (num(x)?, num(y)?),
                        None => {
                            let n = num(&v)?;
                            (n, n)
                        }
                    };
                    c.expire = Some(Inv { inv, val: (lo, hi) });
                }
                _ => {
                    c.dir_reply = Some(match v.as_str() {
                        "ORIGINAL" => false,
                        "REPLY" => true,
                        _ => return perr(format!("Unknown --ctdir {v}")),
                    })
                }
            }
        }
        Match::State(s) => *s = Inv { inv, val: states(&a.value(opt)?, false)? },
        Match::Physdev(p) => match canon {
            "--physdev-in" => p.phys_in = Some(Inv { inv, val: iface(&a.value(opt)?)? }),
            "--physdev-out" => p.phys_out = Some(Inv { inv, val: iface(&a.value(opt)?)? }),
            "--physdev-is-in" => p.is_in = Some(inv),
            "--physdev-is-out" => p.is_out = Some(inv),
            _ => p.is_bridged = Some(inv),
        },
        Match::Comment(c) => {
            if inv {
                return perr("comment: option \"--comment\" cannot be inverted.\n");
            }
            *c = a.value(opt)?;
        }
        Match::Multiport(m) => {
            let v = a.value(opt)?;
            m.inv = inv;
            m.dir = match canon {
                "--sports" => MultiportDir::Source,
                "--dports" => MultiportDir::Destination,
                _ => MultiportDir::Either,
            };
            let mut list = Vec::new();
            for p in v.split(',') {
                list.push(port_range(p, &tcp_port_err, false)?);
            }
            if list.len() > 15 {
                return perr("too many ports specified");
            }
            m.ports = list;
        }
        Match::Addrtype(t) => match canon {
            "--src-type" => t.src = Some(Inv { inv, val: addrtype_list(&a.value(opt)?)? }),
            "--dst-type" => t.dst = Some(Inv { inv, val: addrtype_list(&a.value(opt)?)? }),
            "--limit-iface-in" => {
                if t.limit_out {
                    return perr(
                        "addrtype: option \"--limit-iface-in\" cannot be used together with \"--limit-iface-out\".",
                    );
                }
                t.limit_in = true;
            }
            _ => {
                if t.limit_in {
                    return perr(
                        "addrtype: option \"--limit-iface-out\" cannot be used together with \"--limit-iface-in\".",
                    );
                }
                t.limit_out = true;
            }
        },
        Match::Mark(m) | Match::Connmark(m) => {
            let v = a.value(opt)?;
            let (mark, mask) = mark_mask(&v).ok_or_else(|| {
                IptablesError::Parameter(format!("{ext}: bad integer value for option \"--mark\", or out of range."))
            })?;
            *m = MarkMatch { inv, mark, mask: mask.unwrap_or(u32::MAX) };
        }
        Match::Mac(m) => {
            let v = a.value(opt)?;
            let mac = (v.split(':').count() == 6)
                .then(|| MacAddr::parse(&v))
                .flatten()
                .ok_or_else(|| IptablesError::Parameter("Invalid MAC address specified.".into()))?;
            *m = Inv { inv, val: mac };
        }
        Match::Iprange(r) => {
            let v = Inv { inv, val: ip_range(&a.value(opt)?)? };
            if canon == "--src-range" {
                r.src = Some(v);
            } else {
                r.dst = Some(v);
            }
        }
        Match::Limit(l) => {
            if inv {
                return perr(format!("limit: option \"{opt}\" cannot be inverted.\n"));
            }
            let v = a.value(opt)?;
            if opt == "--limit" {
                l.avg = limit_rate(&v)?;
            } else {
                // nft_limit_init: a packet limit's burst 0 means 5.
                l.burst = match v.parse::<u32>() {
                    Ok(0) => 5,
                    Ok(b) if b <= 10_000 => b,
                    _ => return perr("limit: bad value for option \"--limit-burst\", or out of range (0-10000).\n"),
                };
            }
        }
        Match::Statistic(st) => statistic_opt(st, opt, inv, a)?,
        Match::Recent(r) => recent_opt(r, opt, inv, a)?,
        Match::Length(l) => {
            // xtables' XTTYPE_UINT16RC: LO, LO:HI, :HI, LO:, ':'.
            let v = a.value(opt)?;
            let bad = |x: &str| {
                IptablesError::Parameter(format!(
                    "length: bad value for option \"--length\" near \"{x}\", or out of range (0-65535).\n"
                ))
            };
            let num = |x: &str, dflt: u16| if x.is_empty() { Ok(dflt) } else { x.parse::<u16>().map_err(|_| bad(x)) };
            let val = match v.split_once(':') {
                Some((lo, hi)) => (num(lo, 0)?, num(hi, u16::MAX)?),
                None => {
                    let n = num(&v, 0).and_then(|n| if v.is_empty() { Err(bad(&v)) } else { Ok(n) })?;
                    (n, n)
                }
            };
            *l = Inv { inv, val };
        }
        Match::Ttl(t) => {
            if inv && opt != "--ttl-eq" {
                return perr(format!("ttl: option \"{opt}\" cannot be inverted.\n"));
            }
            let v = a.value(opt)?;
            let value = v.parse::<u8>().map_err(|_| {
                IptablesError::Parameter(format!("ttl: bad value for option \"{opt}\", or out of range (0-255).\n"))
            })?;
            let mode = match opt {
                "--ttl-eq" => u8::from(inv),
                "--ttl-lt" => 2,
                _ => 3,
            };
            *t = crate::model::nf::rule::TtlMatch { mode, value };
        }
        Match::Rpfilter(f) => {
            if inv {
                return perr(format!("rpfilter: option \"{opt}\" cannot be inverted.\n"));
            }
            *f |= match opt {
                "--loose" => 1,
                "--validmark" => 2,
                "--accept-local" => 4,
                _ => 8,
            };
        }
        Match::Owner(o) => owner_opt(o, opt, inv, a)?,
        Match::Connlimit(c) => {
            let limit_opt = matches!(opt, "--connlimit-upto" | "--connlimit-above");
            if inv && !limit_opt {
                return perr(format!("connlimit: option \"{opt}\" cannot be inverted.\n"));
            }
            match opt {
                "--connlimit-saddr" => c.daddr = false,
                "--connlimit-daddr" => c.daddr = true,
                "--connlimit-mask" => {
                    // XTTYPE_PLENMASK: over 32 leaves all ones (checked on
                    // the kernel: 33 prints as /32).
                    let v = a.value(opt)?;
                    let plen = match v.parse::<u32>() {
                        Ok(n) if n <= 128 => Some(n.min(32) as u8),
                        Ok(_) => None,
                        Err(_) => parse_ip(&v).and_then(|m| AddrMask { addr: m, mask: m }.prefix_len()),
                    };
                    c.mask = plen.ok_or_else(|| {
                        IptablesError::Parameter(format!(
                            "connlimit: bad value for option \"{opt}\", neither a valid network mask nor valid CIDR (0-32).\n"
                        ))
                    })?;
                }
                _ => {
                    let v = a.value(opt)?;
                    c.limit = v.parse::<u32>().map_err(|_| {
                        IptablesError::Parameter(format!(
                            "connlimit: bad value for option \"{opt}\", or out of range (0-4294967295).\n"
                        ))
                    })?;
                    c.above = (opt == "--connlimit-above") != inv;
                }
            }
        }
        Match::Hashlimit(h) => hashlimit_opt(h, canon, inv, a, &mut b.udata)?,
        Match::Pkttype(p) => {
            let v = a.value(opt)?;
            let t = match v.to_ascii_lowercase().as_str() {
                "unicast" | "host" => 0,
                "broadcast" | "bcast" => 1,
                "multicast" | "mcast" => 2,
                _ => return perr(format!("Bad packet type '{v}'")),
            };
            *p = Inv { inv, val: t };
        }
    }
    Ok(true)
}

/// libxt_limit's `parse_rate`: `N[/second|minute|hour|day]` (any prefix of
/// the unit) as seconds per packet times `XT_LIMIT_SCALE`.
fn limit_rate(v: &str) -> Result<u32, IptablesError> {
    let bad = || IptablesError::Parameter(format!("bad rate \"{v}\"'"));
    let (num, unit) = match v.split_once('/') {
        Some((n, u)) => (n, Some(u)),
        None => (v, None),
    };
    let mult: u32 = match unit {
        None => 1,
        Some("") => return Err(bad()),
        Some(u) => {
            let is = |full: &str| u.len() <= full.len() && full[..u.len()].eq_ignore_ascii_case(u);
            if is("second") {
                1
            } else if is("minute") {
                60
            } else if is("hour") {
                3600
            } else if is("day") {
                86_400
            } else {
                return Err(bad());
            }
        }
    };
    // atoi: leading digits (after optional blanks and sign), 0 when none.
    let t = num.trim_start();
    let (neg, digits) = match t.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let n: i64 = digits
        .chars()
        .take_while(char::is_ascii_digit)
        .take(11)
        .fold(0, |acc, c| acc * 10 + i64::from(c.to_digit(10).unwrap_or(0)));
    let r = (if neg { -n } else { n }) as i32 as u32;
    if r == 0 {
        return Err(bad());
    }
    let avg = XT_LIMIT_SCALE * mult / r;
    if avg == 0 {
        return perr(format!("Rate too fast \"{v}\""));
    }
    Ok(avg)
}

/// libxt_statistic's `statistic_parse`: `--mode random|nth`,
/// `--probability P` (0..1, stored as `lround(P * 2^31)`), `--every N`
/// (stored as N - 1), `--packet P`; any `!` inverts the match.
fn statistic_opt(st: &mut StatisticMatch, opt: &str, inv: bool, a: &mut Args) -> Result<(), IptablesError> {
    if opt == "--mode" && inv {
        return perr("statistic: option \"--mode\" cannot be inverted.\n");
    }
    let v = a.value(opt)?;
    st.inv |= inv;
    match opt {
        "--mode" => {
            st.nth = match v.as_str() {
                "random" => false,
                "nth" => true,
                _ => return perr(format!("Bad mode \"{v}\"")),
            }
        }
        "--probability" => {
            let p = v.trim().parse::<f64>().ok().filter(|p| (0.0..=1.0).contains(p)).ok_or_else(|| {
                IptablesError::Parameter(
                    "statistic: bad value for option \"--probability\", or out of range (0-1).\n".into(),
                )
            })?;
            st.value = (p * f64::from(0x8000_0000u32)).round() as u32;
        }
        _ => {
            let (lo, name) = if opt == "--every" { (1, "every") } else { (0, "packet") };
            let n = v.parse::<u32>().ok().filter(|n| *n >= lo).ok_or_else(|| {
                IptablesError::Parameter(format!(
                    "statistic: bad value for option \"--{name}\", or out of range ({lo}-4294967295).\n"
                ))
            })?;
            if opt == "--every" {
                st.value = n - 1;
            } else {
                st.packet = n;
            }
        }
    }
    Ok(())
}

/// `statistic_check`, then the option table's mandatory, `also` and
/// `excl` checks (`xtables_options_fcheck`), in that order.
fn statistic_final(st: &StatisticMatch, seen: &[String]) -> Result<(), IptablesError> {
    let has = |o: &str| seen.iter().any(|s| s == o);
    if !st.nth && !has("--probability") {
        return perr("--probability must be specified when using random mode");
    }
    if st.nth && !has("--every") && !has("--packet") {
        return perr("--every and --packet must be specified when using nth mode");
    }
    if st.packet > st.value {
        return perr("the --packet p must be 0 <= p <= n-1");
    }
    if !has("--mode") {
        return perr("statistic: option \"--mode\" must be specified\n");
    }
    if has("--probability") {
        for other in ["--every", "--packet"] {
            if has(other) {
                return perr(format!(
                    "statistic: option \"--probability\" cannot be used together with \"{other}\".\n"
                ));
            }
        }
    }
    if has("--every") && !has("--packet") {
        return perr("statistic: option \"--every\" also requires \"--packet\".\n");
    }
    Ok(())
}

/// libxt_recent's options (revision 1).
fn recent_opt(r: &mut RecentMatch, opt: &str, inv: bool, a: &mut Args) -> Result<(), IptablesError> {
    let op = match opt {
        "--set" => Some(RecentOp::Set),
        "--rcheck" => Some(RecentOp::Check),
        "--update" => Some(RecentOp::Update),
        "--remove" => Some(RecentOp::Remove),
        _ => None,
    };
    if inv && op.is_none() {
        return perr(format!("recent: option \"{opt}\" cannot be inverted.\n"));
    }
    if let Some(op) = op {
        r.op = Some(op);
        r.inv |= inv;
        return Ok(());
    }
    match opt {
        "--seconds" | "--hitcount" => {
            let v = a.value(opt)?;
            let lo = if opt == "--seconds" { 1 } else { 0 };
            let n = v.parse::<u32>().ok().filter(|n| *n >= lo).ok_or_else(|| {
                IptablesError::Parameter(format!(
                    "recent: bad value for option \"{opt}\", or out of range ({lo}-4294967295).\n"
                ))
            })?;
            if opt == "--seconds" {
                r.seconds = n;
            } else {
                r.hit_count = n;
            }
        }
        "--reap" => r.reap = true,
        "--rttl" => r.rttl = true,
        "--name" => r.name = a.value(opt)?,
        "--rsource" => r.dest = false,
        "--rdest" => r.dest = true,
        _ => {
            let v = a.value(opt)?;
            r.mask = parse_ip(&v).ok_or_else(|| IptablesError::Parameter(format!("host/network `{v}' not found")))?;
        }
    }
    Ok(())
}

/// `recent_check`, then the option table's `excl`/`also` checks in its
/// order (set, rcheck, update, remove exclude each other; `--reap` needs
/// `--seconds`; `--rttl` excludes `--set` and `--remove`).
fn recent_final(seen: &[String]) -> Result<(), IptablesError> {
    let has = |o: &str| seen.iter().any(|s| s == o);
    const OPS: [&str; 4] = ["--set", "--rcheck", "--update", "--remove"];
    if !OPS.iter().any(|o| has(o)) {
        return perr("recent: you must specify one of `--set', `--rcheck' `--update' or `--remove'");
    }
    let both = |a: &str, b: &str| perr(format!("recent: option \"{a}\" cannot be used together with \"{b}\".\n"));
    for a in OPS.iter().filter(|o| has(o)) {
        if let Some(b) = OPS.iter().find(|b| *b != a && has(b)) {
            return both(a, b);
        }
    }
    if has("--reap") && !has("--seconds") {
        return perr("recent: option \"--reap\" also requires \"--seconds\".\n");
    }
    if has("--rttl") {
        for b in ["--set", "--remove"] {
            if has(b) {
                return both("--rttl", b);
            }
        }
    }
    Ok(())
}

/// The users and groups `-m owner` knows by name: Debian's base-passwd
/// entries (what this machine's /etc/passwd and /etc/group start with).
pub const PASSWD: [(&str, u32); 18] = [
    ("root", 0),
    ("daemon", 1),
    ("bin", 2),
    ("sys", 3),
    ("sync", 4),
    ("games", 5),
    ("man", 6),
    ("lp", 7),
    ("mail", 8),
    ("news", 9),
    ("uucp", 10),
    ("proxy", 13),
    ("www-data", 33),
    ("backup", 34),
    ("list", 38),
    ("irc", 39),
    ("_apt", 42),
    ("nobody", 65_534),
];

/// Groups by name (base-passwd's /etc/group).
pub const GROUP: [(&str, u32); 38] = [
    ("root", 0),
    ("daemon", 1),
    ("bin", 2),
    ("sys", 3),
    ("adm", 4),
    ("tty", 5),
    ("disk", 6),
    ("lp", 7),
    ("mail", 8),
    ("news", 9),
    ("uucp", 10),
    ("man", 12),
    ("proxy", 13),
    ("kmem", 15),
    ("dialout", 20),
    ("fax", 21),
    ("voice", 22),
    ("cdrom", 24),
    ("floppy", 25),
    ("tape", 26),
    ("sudo", 27),
    ("audio", 29),
    ("dip", 30),
    ("www-data", 33),
    ("backup", 34),
    ("operator", 37),
    ("list", 38),
    ("irc", 39),
    ("src", 40),
    ("shadow", 42),
    ("utmp", 43),
    ("video", 44),
    ("sasl", 45),
    ("plugdev", 46),
    ("staff", 50),
    ("games", 60),
    ("users", 100),
    ("nogroup", 65_534),
];

/// `xtables_strtoui(s, &end, .., 0, max)` with base 0: the value and the
/// rest of the string, `None` without digits or out of range.
fn strtoui_prefix(s: &str, max: u64) -> Option<(u64, &str)> {
    let (radix, body) = if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        (16, h)
    } else if s.len() > 1 && s.starts_with('0') {
        (8, &s[1..])
    } else {
        (10, s)
    };
    let n = body.chars().take_while(|c| c.is_digit(radix)).count();
    if n == 0 {
        // "0" alone, or "0" followed by a non-octal digit.
        return if s.starts_with('0') && radix == 8 { Some((0, &s[1..])) } else { None };
    }
    let v = u64::from_str_radix(&body[..n], radix).ok().filter(|v| *v <= max)?;
    Some((v, &body[n..]))
}

/// libxt_owner's `owner_parse_range`: `N`, `N-M` or `N:M`, or a name.
fn owner_range(v: &str, opt: &str, names: &[(&str, u32)]) -> Result<(u32, u32), IptablesError> {
    if let Some((_, id)) = names.iter().find(|(n, _)| *n == v) {
        return Ok((*id, *id));
    }
    let bad = || IptablesError::Parameter(format!("owner: Bad value for \"{opt}\" option: \"{v}\""));
    let max = u64::from(u32::MAX - 1);
    let (from, rest) = strtoui_prefix(v, max).ok_or_else(bad)?;
    let (to, rest) = match rest.strip_prefix('-').or_else(|| rest.strip_prefix(':')) {
        Some(r) => strtoui_prefix(r, max).ok_or_else(bad)?,
        None => (from, rest),
    };
    if !rest.is_empty() {
        return Err(bad());
    }
    Ok((from as u32, to as u32))
}

/// libxt_owner's `owner_mt_parse`.
fn owner_opt(o: &mut OwnerMatch, opt: &str, inv: bool, a: &mut Args) -> Result<(), IptablesError> {
    let bit = match opt {
        "--uid-owner" => OwnerMatch::UID,
        "--gid-owner" => OwnerMatch::GID,
        "--socket-exists" => OwnerMatch::SOCKET,
        _ => OwnerMatch::SUPPL,
    };
    if inv && bit == OwnerMatch::SUPPL {
        return perr("owner: option \"--suppl-groups\" cannot be inverted.\n");
    }
    match bit {
        OwnerMatch::UID => o.uid = owner_range(&a.value(opt)?, opt, &PASSWD)?,
        OwnerMatch::GID => o.gid = owner_range(&a.value(opt)?, opt, &GROUP)?,
        OwnerMatch::SUPPL if o.flags & OwnerMatch::GID == 0 => {
            return perr("owner: Bad value for \"--suppl-groups\" option: \"you need to use --gid-owner first\"")
        }
        _ => {}
    }
    o.flags |= bit;
    if inv {
        o.invert |= bit;
    }
    Ok(())
}

/// libxt_hashlimit's `bytes_to_cost`.
pub fn hashlimit_bytes_to_cost(bytes: u64) -> u64 {
    let r = (bytes >> 4) as u32;
    u64::from(u32::MAX / r.wrapping_add(1).max(1))
}

/// libxt_hashlimit's `cost_to_bytes`.
pub fn hashlimit_cost_to_bytes(cost: u64) -> u64 {
    let r = u64::from(u32::MAX).checked_div(cost).unwrap_or(u64::from(u32::MAX));
    r.wrapping_sub(1) << 4
}

/// libxt_hashlimit's `get_factor`.
fn hashlimit_factor(c: Option<char>) -> u64 {
    match c {
        Some('m') => 1024 * 1024,
        Some('k') => 1024,
        _ => 1,
    }
}

/// C's `atoll`: optional blanks and sign, then leading digits.
fn atoll(s: &str) -> i64 {
    let t = s.trim_start();
    let (neg, d) = match t.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let n = d
        .chars()
        .take_while(char::is_ascii_digit)
        .fold(0i64, |acc, c| acc.wrapping_mul(10).wrapping_add(i64::from(c.to_digit(10).unwrap_or(0))));
    if neg {
        -n
    } else {
        n
    }
}

/// libxt_hashlimit's `parse_bytes` (revision 3): `N[k|m]b/s`; sets the
/// unit (`udata`) to 15 s. `Ok(None)` when the rate is not in bytes.
fn hashlimit_bytes(v: &str, udata: &mut u32) -> Result<Option<u64>, IptablesError> {
    let Some(at) = v.find("b/s") else { return Ok(None) };
    if at == 0 {
        return Ok(None);
    }
    let r = atoll(v) as u64;
    if r == 0 {
        return Ok(None);
    }
    let tmp = r.wrapping_mul(hashlimit_factor(v[..at].chars().last()));
    let cost = hashlimit_bytes_to_cost(tmp);
    if cost == 0 {
        return perr(format!("Rate too high \"{v}\""));
    }
    *udata = 15;
    Ok(Some(cost))
}

/// libxt_hashlimit's `parse_rate` (revision 3): `N[/sec|/min|/hour|/day]`
/// (any prefix of the unit's name) as seconds per packet times 10^6.
fn hashlimit_rate(v: &str, udata: &mut u32) -> Result<Option<u64>, IptablesError> {
    let mut mult = 1u32;
    if let Some((_, unit)) = v.split_once('/') {
        if unit.is_empty() {
            return Ok(None);
        }
        let is = |full: &str| unit.len() <= full.len() && full[..unit.len()].eq_ignore_ascii_case(unit);
        mult = if is("second") {
            1
        } else if is("minute") {
            60
        } else if is("hour") {
            3600
        } else if is("day") {
            86_400
        } else {
            return Ok(None);
        };
    }
    *udata = mult;
    let r = atoll(v) as u64;
    if r == 0 {
        return Ok(None);
    }
    let avg = HASHLIMIT_SCALE * u64::from(mult) / r;
    if avg == 0 {
        return perr(format!("Rate too fast \"{v}\""));
    }
    Ok(Some(avg))
}

/// libxt_hashlimit's `hashlimit_mt_parse` (revision 3); `opt` has the old
/// `--hashlimit` already renamed `--hashlimit-upto`.
fn hashlimit_opt(
    h: &mut HashlimitMatch,
    opt: &str,
    inv: bool,
    a: &mut Args,
    udata: &mut u32,
) -> Result<(), IptablesError> {
    if inv && !matches!(opt, "--hashlimit-upto" | "--hashlimit-above") {
        return perr(format!("hashlimit: option \"{opt}\" cannot be inverted.\n"));
    }
    if opt == "--hashlimit-rate-match" {
        h.mode |= HashlimitMatch::RATE_MATCH;
        return Ok(());
    }
    let v = a.value(opt)?;
    let bad = || IptablesError::Parameter(format!("hashlimit: Bad value for \"{opt}\" option: \"{v}\""));
    let uint = |v: &str| {
        v.parse::<u32>().map_err(|_| {
            IptablesError::Parameter(format!(
                "hashlimit: bad value for option \"{opt}\", or out of range (0-4294967295).\n"
            ))
        })
    };
    match opt {
        "--hashlimit-upto" | "--hashlimit-above" => {
            if inv == (opt == "--hashlimit-upto") {
                h.mode |= HashlimitMatch::INVERT;
            }
            if let Some(cost) = hashlimit_bytes(&v, udata)? {
                h.mode |= HashlimitMatch::BYTES;
                h.avg = cost;
            } else {
                h.avg = hashlimit_rate(&v, udata)?.ok_or_else(bad)?;
            }
        }
        "--hashlimit-srcmask" | "--hashlimit-dstmask" => {
            // XTTYPE_PLENMASK: a prefix length (the kernel refuses more
            // than 32) or a contiguous dotted mask.
            let plen = match v.parse::<u32>() {
                Ok(n) if n <= 128 => Some(n),
                Ok(_) => None,
                Err(_) => parse_ip(&v).and_then(|m| AddrMask { addr: m, mask: m }.prefix_len()).map(u32::from),
            };
            let n = plen.ok_or_else(|| {
                IptablesError::Parameter(format!(
                    "hashlimit: bad value for option \"{opt}\", neither a valid network mask nor valid CIDR (0-32).\n"
                ))
            })?;
            if opt == "--hashlimit-srcmask" {
                h.srcmask = n;
            } else {
                h.dstmask = n;
            }
        }
        "--hashlimit-burst" => {
            // parse_burst: leading digits in 1..=10^6 (when nothing
            // follows), times k or m for the next letter.
            let burst_err = || {
                IptablesError::Parameter(
                    "bad value for option \"--hashlimit-burst\", or out of range (1-1000000).".into(),
                )
            };
            let (n, rest) = strtoui_prefix(&v, u64::MAX).ok_or_else(burst_err)?;
            if n == 0 || (rest.is_empty() && n > 1_000_000) {
                return Err(burst_err());
            }
            h.burst = n.wrapping_mul(hashlimit_factor(rest.chars().next()));
        }
        "--hashlimit-htable-size" => h.size = uint(&v)?,
        "--hashlimit-htable-max" => h.max = uint(&v)?,
        "--hashlimit-htable-gcinterval" => h.gc_interval = uint(&v)?,
        "--hashlimit-htable-expire" => h.expire = uint(&v)?,
        "--hashlimit-mode" => {
            for tok in v.split([',', '|']).filter(|t| !t.is_empty()) {
                h.mode |= match tok {
                    "dstip" => HashlimitMatch::DIP,
                    "srcip" => HashlimitMatch::SIP,
                    "srcport" => HashlimitMatch::SPT,
                    "dstport" => HashlimitMatch::DPT,
                    _ => return Err(bad()),
                };
            }
        }
        "--hashlimit-name" => {
            if v.is_empty() {
                return perr("Argument must have a minimum length of 1 characters\n");
            }
            if v.len() >= 255 {
                return Err(IptablesError::Unsupported("a --hashlimit-name of 255 characters or more".into()));
            }
            h.name = v;
        }
        _ => {
            // --hashlimit-rate-interval: atoi > 0.
            let n = atoll(&v);
            if n <= 0 || n > i64::from(i32::MAX) {
                return Err(bad());
            }
            h.interval = n as u32;
        }
    }
    Ok(())
}

/// `hashlimit_mt_check` (the extension's final check), then the option
/// table's: `--hashlimit-upto` excludes `--hashlimit-above`, the name is
/// mandatory.
fn hashlimit_final(b: &mut MatchB) -> Result<(), IptablesError> {
    let seen = &b.seen;
    let udata = b.udata;
    let Match::Hashlimit(h) = &mut b.m else { return Ok(()) };
    let has = |o: &str| seen.iter().any(|s| s == o);
    if !has("--hashlimit-upto") && !has("--hashlimit-above") {
        return perr("You have to specify --hashlimit");
    }
    let h2 = &mut **h;
    if !has("--hashlimit-htable-expire") {
        h2.expire = udata * 1000;
    }
    if h2.mode & HashlimitMatch::BYTES != 0 {
        let mut burst = 0;
        if has("--hashlimit-burst") {
            let unit = hashlimit_cost_to_bytes(h2.avg).max(1);
            if h2.burst < unit {
                return perr(format!("burst cannot be smaller than {unit}b"));
            }
            burst = u64::from(h2.burst as u32) / unit;
            if h2.burst % unit != 0 {
                burst += 1;
            }
            if !has("--hashlimit-htable-expire") {
                h2.expire = 60 * 1000;
            }
        }
        h2.burst = burst;
    } else if h2.burst > 1_000_000 {
        return perr("bad value for option \"--hashlimit-burst\", or out of range (1-1000000).");
    }
    if h2.mode & HashlimitMatch::RATE_MATCH != 0 {
        if h2.mode & HashlimitMatch::BYTES == 0 {
            h2.avg /= u64::from(udata.max(1));
        }
        if h2.interval == 0 {
            h2.interval = if h2.mode & HashlimitMatch::BYTES != 0 { 1 } else { udata };
        }
    }
    if has("--hashlimit-upto") && has("--hashlimit-above") {
        return perr("hashlimit: option \"--hashlimit-upto\" cannot be used together with \"--hashlimit-above\".\n");
    }
    if !has("--hashlimit-name") {
        return perr("hashlimit: option \"--hashlimit-name\" must be specified\n");
    }
    Ok(())
}

/// The checks an extension makes once the whole command line is read.
fn match_final(b: &mut MatchB, proto: Option<&Inv<u8>>) -> Result<(), IptablesError> {
    if matches!(b.m, Match::Hashlimit(_)) {
        return hashlimit_final(b);
    }
    let p = proto.filter(|p| !p.inv).map(|p| p.val);
    // xtables_options_fcheck's text ends in a newline: a blank line follows.
    let missing = |ext: &str, opt: &str| perr(format!("{ext}: option \"{opt}\" must be specified\n"));
    match &b.m {
        Match::Tcp(_) if p != Some(6) => perr("TCP match requires '-p tcp'"),
        Match::Udp(_) if p != Some(17) => perr("UDP match requires '-p udp'"),
        Match::Icmp(_) if b.seen.is_empty() => missing("icmp", "--icmp-type"),
        Match::Conntrack(_) if b.seen.is_empty() => perr("conntrack: At least one option is required"),
        Match::State(_) if b.seen.is_empty() => missing("state", "--state"),
        Match::Comment(_) if b.seen.is_empty() => missing("comment", "--comment"),
        Match::Multiport(_) if b.seen.is_empty() => perr("multiport expection an option"),
        Match::Multiport(_) if !matches!(p, Some(6 | 17 | 33 | 132 | 136)) => {
            perr("multiport needs `-p tcp', `-p udp', `-p udplite', `-p sctp' or `-p dccp'")
        }
        Match::Addrtype(t) if t.src.is_none() && t.dst.is_none() => {
            perr("addrtype: you must specify --src-type or --dst-type")
        }
        Match::Mark(_) if b.seen.is_empty() => missing("mark", "--mark"),
        Match::Connmark(_) if b.seen.is_empty() => missing("connmark", "--mark"),
        Match::Mac(_) if b.seen.is_empty() => missing("mac", "--mac-source"),
        Match::Iprange(_) if b.seen.is_empty() => {
            perr("iprange match: You must specify `--src-range' or `--dst-range'")
        }
        Match::Physdev(_) if b.seen.is_empty() => perr("PHYSDEV: no physdev option specified"),
        Match::Statistic(st) => statistic_final(st, &b.seen),
        Match::Recent(_) => recent_final(&b.seen),
        Match::Length(_) if b.seen.is_empty() => missing("length", "--length"),
        Match::Ttl(_) if b.seen.is_empty() => {
            perr("TTL match: You must specify one of `--ttl-eq', `--ttl-lt', `--ttl-gt")
        }
        Match::Ttl(_) if b.seen.len() > 1 => {
            // The option table's excl, in its order (eq, lt, gt).
            let order = ["--ttl-eq", "--ttl-lt", "--ttl-gt"];
            let has = |o: &str| b.seen.iter().any(|s| s == o);
            let a = order.iter().find(|o| has(o)).copied().unwrap_or("--ttl-eq");
            let o = order.iter().find(|o| **o != a && has(o)).copied().unwrap_or("--ttl-gt");
            perr(format!("ttl: option \"{o}\" cannot be used together with \"{a}\".\n"))
        }
        Match::Pkttype(_) if b.seen.is_empty() => missing("pkttype", "--pkt-type"),
        Match::Connlimit(_) => {
            let has = |o: &str| b.seen.iter().any(|s| s == o);
            if !has("--connlimit-upto") && !has("--connlimit-above") {
                perr("You must specify \"--connlimit-above\" or \"--connlimit-upto\".")
            } else if has("--connlimit-upto") && has("--connlimit-above") {
                perr("connlimit: option \"--connlimit-upto\" cannot be used together with \"--connlimit-above\".\n")
            } else if has("--connlimit-saddr") && has("--connlimit-daddr") {
                perr("connlimit: option \"--connlimit-saddr\" cannot be used together with \"--connlimit-daddr\".\n")
            } else {
                Ok(())
            }
        }
        Match::Owner(o) if o.flags & (OwnerMatch::UID | OwnerMatch::GID | OwnerMatch::SOCKET) == 0 => {
            perr("owner: At least one of --uid-owner, --gid-owner or --socket-exists is required")
        }
        _ => Ok(()),
    }
}

fn new_target(name: &str) -> Option<Target> {
    Some(match name {
        "ACCEPT" => Target::Accept,
        "DROP" => Target::Drop,
        "RETURN" => Target::Return,
        "REJECT" => Target::Reject(2),
        "LOG" => Target::Log { level: 4, prefix: None, flags: 0 },
        "MASQUERADE" => Target::Masquerade { ports: None, flags: NatFlags::default() },
        "SNAT" => Target::Snat(NatRange::default(), NatFlags::default()),
        "DNAT" => Target::Dnat(NatRange::default(), NatFlags::default()),
        "REDIRECT" => Target::Redirect { ports: None, random: false },
        "MARK" => Target::Mark { mark: 0, mask: 0 },
        "CONNMARK" => Target::Connmark(ConnmarkOp::Set { mark: 0, mask: 0 }),
        "CHECKSUM" => Target::Checksum,
        "TCPMSS" => Target::Tcpmss(Some(0)),
        "NFLOG" => Target::Nflog { group: 0, prefix: String::new(), size: None, threshold: 0 },
        "CT" => Target::Ct(Box::default()),
        "NOTRACK" => Target::Notrack,
        "NETMAP" => Target::Netmap(AddrMask { addr: Ipv4Addr::UNSPECIFIED, mask: Ipv4Addr::UNSPECIFIED }),
        _ => return None,
    })
}

const UNMODELLED_TARGETS: [&str; 11] =
    ["TCPMSS", "NFLOG", "NFQUEUE", "QUEUE", "TRACE", "TTL", "TOS", "DSCP", "CLASSIFY", "ULOG", "SET"];

/// `ct_event_tbl`: the `--ctevents` names in bit order (IPCT_*).
pub const CT_EVENTS: [&str; 10] =
    ["new", "related", "destroy", "reply", "assured", "protoinfo", "helper", "mark", "natseqinfo", "secmark"];

fn target_opt(b: &mut TargetB, opt: &str, inv: bool, a: &mut Args) -> Result<bool, IptablesError> {
    let name = b.t.name().to_string();
    let known: &[&str] = match &b.t {
        Target::Reject(_) => &["--reject-with"],
        Target::Log { .. } => &[
            "--log-level",
            "--log-prefix",
            "--log-tcp-sequence",
            "--log-tcp-options",
            "--log-ip-options",
            "--log-uid",
            "--log-macdecode",
        ],
        Target::Masquerade { .. } => &["--to-ports", "--random", "--random-fully"],
        Target::Snat(..) => &["--to-source", "--random", "--random-fully", "--persistent"],
        Target::Dnat(..) => &["--to-destination", "--random", "--random-fully", "--persistent"],
        Target::Redirect { .. } => &["--to-ports", "--random"],
        Target::Checksum => &["--checksum-fill"],
        Target::Tcpmss(_) => &["--set-mss", "--clamp-mss-to-pmtu"],
        Target::Nflog { .. } => {
            &["--nflog-group", "--nflog-prefix", "--nflog-size", "--nflog-threshold", "--nflog-range"]
        }
        Target::Mark { .. } => &["--set-xmark", "--set-mark", "--and-mark", "--or-mark", "--xor-mark"],
        Target::Ct(_) => &[
            "--notrack",
            "--ctevents",
            "--expevents",
            "--helper",
            "--timeout",
            "--zone",
            "--zone-orig",
            "--zone-reply",
        ],
        Target::Netmap(_) => &["--to"],
        Target::Connmark(_) => &[
            "--set-xmark",
            "--set-mark",
            "--and-mark",
            "--or-mark",
            "--xor-mark",
            "--save-mark",
            "--restore-mark",
            "--nfmask",
            "--ctmask",
            "--mask",
        ],
        _ => &[],
    };
    if !known.contains(&opt) {
        return Ok(false);
    }
    if inv {
        return perr(format!("{name}: option \"{opt}\" cannot be inverted.\n"));
    }
    once(&mut b.seen, &name, opt)?;
    let mark_err =
        |o: &str| IptablesError::Parameter(format!("{name}: bad integer value for option \"{o}\", or out of range."));
    match &mut b.t {
        Target::Reject(i) => {
            let v = a.value(opt)?;
            *i = REJECT_TYPES
                .iter()
                .position(|(l, s)| *l == v || *s == v)
                .ok_or_else(|| IptablesError::Parameter(format!("unknown reject type \"{v}\"")))?;
        }
        Target::Log { level, prefix, flags } => match opt {
            "--log-level" => *level = log_level(&a.value(opt)?)?,
            "--log-prefix" => {
                let mut v = a.value(opt)?;
                // Like iptables 1.8.9: the prefix is cut to 29 bytes.
                while v.len() > 29 {
                    v.pop();
                }
                *prefix = Some(v);
            }
            "--log-tcp-sequence" => *flags |= 1,
            "--log-tcp-options" => *flags |= 2,
            "--log-ip-options" => *flags |= 4,
            "--log-uid" => *flags |= 8,
            _ => *flags |= 32,
        },
        Target::Masquerade { ports, flags } => match opt {
            "--to-ports" => *ports = Some(nat_ports(&a.value(opt)?)?),
            "--random" => flags.random = true,
            _ => flags.random_fully = true,
        },
        Target::Snat(rg, f) | Target::Dnat(rg, f) => match opt {
            "--to-source" | "--to-destination" => *rg = nat_range(&a.value(opt)?, opt == "--to-destination")?,
            "--random" => f.random = true,
            "--random-fully" => f.random_fully = true,
            _ => f.persistent = true,
        },
        Target::Tcpmss(mss) => {
            *mss = if opt == "--set-mss" {
                let v = a.value(opt)?;
                Some(v.parse::<u16>().ok().filter(|n| *n <= 65_515).ok_or_else(|| {
                    IptablesError::Parameter(
                        "TCPMSS: bad value for option \"--set-mss\", or out of range (0-65515).\n".into(),
                    )
                })?)
            } else {
                None
            };
        }
        Target::Nflog { group, prefix, size, threshold } => {
            let v = a.value(opt)?;
            let range = |max: u64| {
                IptablesError::Parameter(format!("NFLOG: bad value for option \"{opt}\", or out of range (0-{max}).\n"))
            };
            match opt {
                "--nflog-group" => *group = v.parse().map_err(|_| range(65_535))?,
                "--nflog-threshold" => *threshold = v.parse().map_err(|_| range(65_535))?,
                "--nflog-size" => *size = Some(v.parse().map_err(|_| range(4_294_967_295))?),
                "--nflog-prefix" => {
                    // iptables-nft passes it as an nft log prefix: cut to
                    // 127 bytes (checked on the kernel), not xt's 63.
                    let mut p = v;
                    while p.len() > 127 {
                        p.pop();
                    }
                    *prefix = p;
                }
                // Parsed, then ignored with a warning (NFLOG_check).
                _ => {
                    v.parse::<u32>().map_err(|_| range(4_294_967_295))?;
                }
            }
        }
        Target::Redirect { ports, random } => match opt {
            "--to-ports" => {
                let v = a.value(opt)?;
                if v.contains('/') {
                    return perr("Shifted portmap ranges not supported with this kernel");
                }
                *ports = Some(nat_ports(&v)?);
            }
            _ => *random = true,
        },
        Target::Mark { mark, mask } => {
            let v = a.value(opt)?;
            let (val, m) = mark_mask(&v).ok_or_else(|| mark_err(opt))?;
            (*mark, *mask) = xmark(opt, val, m);
        }
        Target::Ct(ct) => ct_opt(ct, opt, a)?,
        Target::Netmap(to) => *to = netmap_to(&a.value(opt)?)?,
        Target::Connmark(op) => match opt {
            "--save-mark" => *op = ConnmarkOp::Save { nfmask: u32::MAX, ctmask: u32::MAX },
            "--restore-mark" => *op = ConnmarkOp::Restore { nfmask: u32::MAX, ctmask: u32::MAX },
            "--nfmask" | "--ctmask" | "--mask" => {
                let v = parse_u32(&a.value(opt)?).ok_or_else(|| mark_err(opt))?;
                if let ConnmarkOp::Save { nfmask, ctmask } | ConnmarkOp::Restore { nfmask, ctmask } = op {
                    match opt {
                        "--nfmask" => *nfmask = v,
                        "--ctmask" => *ctmask = v,
                        _ => {
                            *nfmask = v;
                            *ctmask = v;
                        }
                    }
                }
            }
            _ => {
                let v = a.value(opt)?;
                let (val, m) = mark_mask(&v).ok_or_else(|| mark_err(opt))?;
                let (mark, mask) = xmark(opt, val, m);
                *op = ConnmarkOp::Set { mark, mask };
            }
        },
        _ => {}
    }
    Ok(true)
}

/// libxt_CT's options (revision 1, what iptables 1.8.9 uses).
fn ct_opt(ct: &mut CtTarget, opt: &str, a: &mut Args) -> Result<(), IptablesError> {
    if opt == "--notrack" {
        ct.flags |= 1;
        return Ok(());
    }
    let v = a.value(opt)?;
    match opt {
        "--ctevents" | "--expevents" => {
            let names: &[&str] = if opt == "--ctevents" { &CT_EVENTS } else { &["new"] };
            let mut bits = 0u32;
            for e in v.split(',') {
                let i = names
                    .iter()
                    .position(|n| *n == e)
                    .ok_or_else(|| IptablesError::Parameter(format!("Unknown event type \"{e}\"")))?;
                bits |= 1 << i;
            }
            if opt == "--ctevents" {
                ct.ct_events = bits;
            } else {
                ct.exp_events = bits;
            }
        }
        "--helper" => ct.helper = v,
        "--timeout" => ct.timeout = v,
        _ => {
            if v == "mark" {
                return Err(IptablesError::Unsupported("CT --zone mark".into()));
            }
            let z = v.parse::<u16>().map_err(|_| IptablesError::Parameter(format!("Cannot parse {v} as a zone ID")))?;
            ct.zone = z;
            match opt {
                "--zone-orig" => ct.flags |= 2,
                "--zone-reply" => ct.flags |= 4,
                _ => {}
            }
        }
    }
    Ok(())
}

/// NETMAP's `--to ADDR[/MASK]` as iptables 1.8.9 stores it (checked on
/// the kernel): a prefix length or contiguous dotted mask; a length over
/// 32 or a non-contiguous mask leaves /32. Host bits are cleared.
fn netmap_to(v: &str) -> Result<AddrMask, IptablesError> {
    let (a, m) = match v.split_once('/') {
        Some((a, m)) => (a, Some(m)),
        None => (v, None),
    };
    let addr = parse_ip(a)
        .ok_or_else(|| IptablesError::Parameter("getaddrinfo: Temporary failure in name resolution\n".into()))?;
    let full = u32::MAX;
    let mask = match m {
        None => full,
        Some(m) => match (m.parse::<u32>(), parse_ip(m)) {
            (Ok(l), _) if l <= 32 => full.checked_shl(32 - l).unwrap_or(0),
            (_, Some(d)) => AddrMask { addr: d, mask: d }.prefix_len().map_or(full, |_| u32::from(d)),
            (Ok(_), None) => full,
            (Err(_), None) => {
                return Err(IptablesError::Unsupported(format!("NETMAP --to with the mask `{m}'")));
            }
        },
    };
    Ok(AddrMask { addr: Ipv4Addr::from(u32::from(addr) & mask), mask: Ipv4Addr::from(mask) })
}

/// The `--set-xmark` value/mask pair each MARK/CONNMARK option means.
fn xmark(opt: &str, val: u32, mask: Option<u32>) -> (u32, u32) {
    match opt {
        "--set-mark" => (val, mask.unwrap_or(u32::MAX) | val),
        "--and-mark" => (0, !val),
        "--or-mark" => (val, val),
        "--xor-mark" => (val, 0),
        _ => (val, mask.unwrap_or(u32::MAX)),
    }
}

fn target_final(b: &TargetB, proto: Option<&Inv<u8>>) -> Result<(), IptablesError> {
    let port_proto = matches!(proto, Some(Inv { inv: false, val: 6 | 17 | 33 | 132 }));
    let need = || perr("Need TCP, UDP, SCTP or DCCP with port specification");
    match &b.t {
        Target::Snat(r, _) | Target::Dnat(r, _) => {
            let (name, opt) =
                if matches!(b.t, Target::Snat(..)) { ("SNAT", "--to-source") } else { ("DNAT", "--to-destination") };
            if !b.seen.iter().any(|s| s == opt) {
                return perr(format!("{name}: option \"{opt}\" must be specified"));
            }
            if r.ports.is_some() && !port_proto {
                return need();
            }
            Ok(())
        }
        Target::Masquerade { ports: Some(_), .. } | Target::Redirect { ports: Some(_), .. } if !port_proto => need(),
        Target::Mark { .. } if b.seen.is_empty() => {
            perr("MARK: One of the --set-xmark, --{and,or,xor,set}-mark options is required")
        }
        Target::Connmark(_) if b.seen.is_empty() => perr("CONNMARK target: No operation specified"),
        Target::Netmap(_) if b.seen.is_empty() => perr("NETMAP: option \"--to\" must be specified\n"),
        Target::Tcpmss(_) if b.seen.is_empty() => perr("TCPMSS target: At least one parameter is required"),
        Target::Checksum if b.seen.is_empty() => perr("CHECKSUM: option \"--checksum-fill\" must be specified\n"),
        _ => Ok(()),
    }
}

// ---------------------------------------------------------------- command line

fn rule_number(s: &str) -> Result<usize, IptablesError> {
    match s.parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => perr(format!("Invalid rule number `{s}'")),
    }
}

/// Parses one `iptables` command line (the arguments after the program name).
///
/// # Errors
/// The error iptables prints for a malformed command; nothing is applied.
pub fn parse(args: &[String]) -> Result<Invocation, IptablesError> {
    let mut a = Args { v: args, i: 0 };
    let mut table = TableName::Filter;
    let mut command: Option<Command> = None;
    let mut rule = Rule::default();
    let mut srcs: Vec<Inv<AddrMask>> = Vec::new();
    let mut dsts: Vec<Inv<AddrMask>> = Vec::new();
    let mut matches: Vec<MatchB> = Vec::new();
    let mut target: Option<TargetB> = None;
    let mut jump: Option<(String, bool)> = None;
    let (mut numeric, mut verbose, mut exact, mut line_numbers) = (false, false, false, false);
    let mut warnings = String::new();
    let mut inv = false;
    let set_cmd = |cmd: Command, c: &mut Option<Command>| -> Result<(), IptablesError> {
        if c.is_some() {
            return perr("Cannot use two commands at once");
        }
        *c = Some(cmd);
        Ok(())
    };
    while let Some(tok) = a.next() {
        if tok == "!" {
            if inv {
                return perr("multiple consecutive ! not allowed");
            }
            inv = true;
            continue;
        }
        let was_inv = std::mem::take(&mut inv);
        let t = tok.as_str();
        match t {
            "-A" | "--append" | "-C" | "--check" | "-I" | "--insert" | "-D" | "--delete" | "-R" | "--replace" => {
                let chain = a.value(t)?;
                let cmd = match t {
                    "-A" | "--append" => Command::Append(chain),
                    "-C" | "--check" => Command::Check(chain),
                    "-I" | "--insert" => {
                        let n = match a.optional() {
                            Some(n) => rule_number(&n)?,
                            None => 1,
                        };
                        Command::Insert(chain, n)
                    }
                    "-D" | "--delete" => Command::Delete(chain, a.optional().map(|n| rule_number(&n)).transpose()?),
                    _ => match a.optional() {
                        Some(n) => Command::Replace(chain, rule_number(&n)?),
                        None => return perr("-R requires a rule number"),
                    },
                };
                set_cmd(cmd, &mut command)?;
            }
            "-L" | "--list" | "-S" | "--list-rules" | "-Z" | "--zero" => {
                let chain = a.optional();
                let n = match &chain {
                    Some(_) => a.optional().map(|n| rule_number(&n)).transpose()?,
                    None => None,
                };
                let cmd = match t {
                    "-L" | "--list" => Command::List(chain, n),
                    "-S" | "--list-rules" => Command::ListRules(chain, n),
                    _ => Command::Zero(chain, n),
                };
                set_cmd(cmd, &mut command)?;
            }
            "-F" | "--flush" => set_cmd(Command::Flush(a.optional()), &mut command)?,
            "-X" | "--delete-chain" => set_cmd(Command::DeleteChain(a.optional()), &mut command)?,
            "-N" | "--new-chain" => {
                let c = a.value(t)?;
                set_cmd(Command::NewChain(c), &mut command)?;
            }
            "-E" | "--rename-chain" => {
                let old = a.value(t)?;
                let new = a
                    .optional()
                    .ok_or_else(|| IptablesError::Parameter("-E requires old-chain-name and new-chain-name".into()))?;
                set_cmd(Command::Rename(old, new), &mut command)?;
            }
            "-P" | "--policy" => {
                let c = a.value(t)?;
                let p =
                    a.optional().ok_or_else(|| IptablesError::Parameter("-P requires a chain and a policy".into()))?;
                set_cmd(Command::Policy(c, p), &mut command)?;
            }
            "-t" | "--table" => {
                let v = a.value(t)?;
                table = TableName::parse(&v).ok_or(IptablesError::NoTable(v))?;
            }
            "-s" | "--source" | "--src" | "-d" | "--destination" | "--dst" => {
                let src = matches!(t, "-s" | "--source" | "--src");
                let list = if src { &mut srcs } else { &mut dsts };
                if !list.is_empty() {
                    return perr(format!("multiple -{} flags not allowed", if src { 's' } else { 'd' }));
                }
                for part in a.value(t)?.split(',') {
                    list.push(Inv { inv: was_inv, val: addr_mask(part)? });
                }
            }
            "-i" | "--in-interface" | "-o" | "--out-interface" => {
                let input = matches!(t, "-i" | "--in-interface");
                let slot = if input { &mut rule.in_iface } else { &mut rule.out_iface };
                if slot.is_some() {
                    return perr(format!("multiple -{} flags not allowed", if input { 'i' } else { 'o' }));
                }
                let v = iface(&a.value(t)?)?;
                // xtables_parse_interface (physdev parses its own and takes "").
                if v.is_empty() {
                    return perr("Empty interface is likely to be undesired");
                }
                // `-i +` matches every interface: iptables drops it.
                if v != "+" || was_inv {
                    *slot = Some(Inv { inv: was_inv, val: v });
                }
            }
            "-p" | "--protocol" => {
                if rule.proto.is_some() {
                    return perr("multiple -p flags not allowed");
                }
                let p = proto_number(&a.value(t)?)?;
                if p == 0 && was_inv {
                    return perr("rule would never match protocol");
                }
                if p != 0 {
                    rule.proto = Some(Inv { inv: was_inv, val: p });
                }
            }
            "-f" | "--fragment" => rule.fragment = Some(was_inv),
            "-j" | "--jump" | "-g" | "--goto" => {
                if jump.is_some() {
                    return perr("multiple -j flags not allowed");
                }
                let name = a.value(t)?;
                let goto = matches!(t, "-g" | "--goto");
                if !goto {
                    if let Some(tg) = new_target(&name) {
                        target = Some(TargetB { t: tg, seen: Vec::new() });
                    } else if UNMODELLED_TARGETS.contains(&name.as_str()) {
                        return Err(IptablesError::Unsupported(format!("the `{name}' target")));
                    }
                }
                jump = Some((name, goto));
            }
            "-m" | "--match" => {
                let name = a.value(t)?;
                matches.push(MatchB { m: new_match(&name)?, seen: Vec::new(), udata: 1 });
            }
            "-c" | "--set-counters" => {
                let v = a.value(t)?;
                let (p, b) = match v.split_once(',') {
                    Some((p, b)) => (p.to_string(), b.to_string()),
                    None => match a.optional() {
                        Some(b) => (v.clone(), b),
                        None => return perr("-c requires packet and byte counter"),
                    },
                };
                if p.is_empty() || b.is_empty() {
                    return perr("-c requires packet and byte counter");
                }
                rule.counters.packets =
                    p.parse().map_err(|_| IptablesError::Parameter("-c packet counter not numeric".into()))?;
                rule.counters.bytes =
                    b.parse().map_err(|_| IptablesError::Parameter("-c byte counter not numeric".into()))?;
            }
            "-n" | "--numeric" => numeric = true,
            "-v" | "--verbose" => verbose = true,
            "-x" | "--exact" => exact = true,
            "--line-numbers" => line_numbers = true,
            "-w" | "--wait" => {
                a.optional();
            }
            "-W" | "--wait-interval" => {
                a.value(t)?;
            }
            _ if t.starts_with('-') && t.len() > 1 => {
                // Extension options: the most recently loaded owner first.
                let mut done = false;
                if let Some(tb) = target.as_mut() {
                    done = target_opt(tb, t, was_inv, &mut a)?;
                }
                if !done {
                    for mb in matches.iter_mut().rev() {
                        if match_opt(mb, t, was_inv, &mut a)? {
                            done = true;
                            break;
                        }
                    }
                }
                if !done {
                    // Implicit protocol match (`-p tcp --dport 22`).
                    let implicit = match rule.proto {
                        Some(Inv { inv: false, val: 6 }) => Some("tcp"),
                        Some(Inv { inv: false, val: 17 }) => Some("udp"),
                        Some(Inv { inv: false, val: 1 }) => Some("icmp"),
                        _ => None,
                    };
                    if let Some(name) = implicit {
                        let mut mb = MatchB { m: new_match(name)?, seen: Vec::new(), udata: 1 };
                        if match_opt(&mut mb, t, was_inv, &mut a)? {
                            matches.push(mb);
                            done = true;
                        }
                    }
                }
                if !done {
                    return perr(format!("unknown option \"{t}\""));
                }
            }
            _ => return Err(IptablesError::Bare(format!("Bad argument `{t}'"))),
        }
    }
    if inv {
        return perr("no command specified");
    }
    let command = command.ok_or_else(|| IptablesError::Parameter("no command specified".into()))?;
    // generic_opt_check: -n, -x and --line-numbers (`-0`) go only with -L.
    if !matches!(command, Command::List(..)) {
        for (set, flag) in [(numeric, 'n'), (exact, 'x'), (line_numbers, '0')] {
            if set {
                return perr(format!("Illegal option `-{flag}' with this command"));
            }
        }
    }
    for mb in &mut matches {
        match_final(mb, rule.proto.as_ref())?;
    }
    if let Some(tb) = &target {
        target_final(tb, rule.proto.as_ref())?;
        // NFLOG_check warns about --nflog-range; then the option table's
        // excl check (range excludes size) may still refuse the command.
        if tb.seen.iter().any(|o| o == "--nflog-range") {
            let warn =
                "warn: --nflog-range has never worked and is no longer supported, please use --nflog-size instead\n";
            if tb.seen.iter().any(|o| o == "--nflog-size") {
                return Err(IptablesError::Bare(format!(
                    "{warn}iptables v1.8.9 (nf_tables): NFLOG: option \"--nflog-range\" cannot be used together with \"--nflog-size\".\n"
                )));
            }
            warnings.push_str(warn);
        }
    }
    rule.matches = matches.into_iter().map(|b| b.m).collect();
    rule.target = match (target, jump) {
        (Some(tb), _) => Some(tb.t),
        (None, Some((name, true))) => Some(Target::Goto(name)),
        (None, Some((name, false))) => Some(Target::Jump(name)),
        (None, None) => None,
    };
    let mut rules = Vec::new();
    let s_list: Vec<Option<Inv<AddrMask>>> =
        if srcs.is_empty() { vec![None] } else { srcs.into_iter().map(Some).collect() };
    let d_list: Vec<Option<Inv<AddrMask>>> =
        if dsts.is_empty() { vec![None] } else { dsts.into_iter().map(Some).collect() };
    for s in &s_list {
        for d in &d_list {
            let mut r = rule.clone();
            r.src = s.clone();
            r.dst = d.clone();
            rules.push(r);
        }
    }
    Ok(Invocation { table, command, rules, numeric, verbose, exact, line_numbers, warnings })
}

// ---------------------------------------------------------------- applying

fn no_chain() -> IptablesError {
    IptablesError::Kernel("No chain/target/match by that name".into())
}

// One `if` per target keeps each kernel check readable.
#[allow(clippy::collapsible_match)]
/// The kernel-side checks of a rule about to enter `chain` of `table`.
fn check_rule(t: &Table, table: TableName, chain: &str, rule: &Rule, op: &str) -> Result<(), IptablesError> {
    let hook = t.builtin(chain).map(|b| b.hook);
    let einval = || Err(IptablesError::Nft(format!(" {op} failed (Invalid argument): rule in chain {chain}"), 4));
    match &rule.target {
        Some(Target::Jump(c)) | Some(Target::Goto(c)) => {
            if t.builtin(c).is_some() {
                return Err(IptablesError::Nft(
                    format!(" {op} failed (Operation not supported): rule in chain {chain}"),
                    4,
                ));
            }
            if !t.user.contains_key(c) {
                return perr(format!("Chain '{c}' does not exist"));
            }
        }
        Some(Target::Masquerade { .. }) => {
            if table != TableName::Nat || hook.is_some_and(|h| h != Hook::Postrouting) {
                return einval();
            }
        }
        Some(Target::Snat(..)) => {
            if table != TableName::Nat || hook.is_some_and(|h| !matches!(h, Hook::Postrouting | Hook::Input)) {
                return einval();
            }
        }
        Some(Target::Dnat(..)) | Some(Target::Redirect { .. }) => {
            if table != TableName::Nat || hook.is_some_and(|h| !matches!(h, Hook::Prerouting | Hook::Output)) {
                return einval();
            }
        }
        Some(Target::Checksum) => {
            if table != TableName::Mangle {
                return einval();
            }
        }
        // xt_TCPMSS: TCP only; path-MTU clamping only at FORWARD, OUTPUT
        // and POSTROUTING.
        Some(Target::Tcpmss(mss)) => {
            let tcp = rule.proto == Some(Inv { inv: false, val: 6 });
            let clamp_ok = hook.is_none_or(|h| matches!(h, Hook::Forward | Hook::Output | Hook::Postrouting));
            if !tcp || (mss.is_none() && !clamp_ok) {
                return einval();
            }
        }
        Some(Target::Reject(6)) => {
            if rule.proto != Some(Inv { inv: false, val: 6 }) {
                return einval();
            }
        }
        // xt_ct: raw only; a helper needs the rule's L4 protocol to be one
        // it serves (else ENOENT); a timeout policy must exist (netsim has
        // no `nfct timeout add`, so none does: EINVAL).
        Some(Target::Ct(ct)) => {
            if table != TableName::Raw {
                return einval();
            }
            if ct.flags & 1 == 0 && !ct.helper.is_empty() {
                let proto = rule.proto.as_ref().filter(|p| !p.inv).map(|p| p.val);
                let serves: &[u8] = match ct.helper.as_str() {
                    "ftp" | "irc" | "pptp" | "sane" | "Q.931" => &[6],
                    "tftp" | "amanda" | "RAS" | "netbios-ns" | "snmp" => &[17],
                    "sip" => &[6, 17],
                    _ => &[],
                };
                if !proto.is_some_and(|p| serves.contains(&p)) {
                    return Err(IptablesError::Nft(
                        format!(" {op} failed (No such file or directory): rule in chain {chain}"),
                        4,
                    ));
                }
            }
            if ct.flags & 1 == 0 && !ct.timeout.is_empty() {
                return einval();
            }
        }
        Some(Target::Notrack) => {
            if table != TableName::Raw {
                return einval();
            }
        }
        Some(Target::Netmap(_)) => {
            if table != TableName::Nat {
                return einval();
            }
        }
        _ => {}
    }
    for m in &rule.matches {
        // recent_mt_check: a hit count below XT_RECENT_MAX_NSTAMPS, no
        // --seconds/--hitcount/--reap/--rttl with --set or --remove, a name
        // that can be a /proc file.
        // rpfilter_check: raw or mangle PREROUTING only.
        if matches!(m, Match::Rpfilter(_))
            && (!matches!(table, TableName::Raw | TableName::Mangle) || hook.is_some_and(|h| h != Hook::Prerouting))
        {
            return einval();
        }
        if let Match::Recent(r) = m {
            let plain = matches!(r.op, Some(RecentOp::Set | RecentOp::Remove));
            let bad_name =
                r.name.is_empty() || r.name == "." || r.name == ".." || r.name.contains('/') || r.name.len() >= 200;
            if r.hit_count >= 65_536 || (plain && (r.seconds != 0 || r.hit_count != 0 || r.reap || r.rttl)) || bad_name
            {
                return einval();
            }
        }
        // owner_check / xt_owner's hooks: OUTPUT and POSTROUTING only; a
        // reversed range is refused.
        if let Match::Owner(o) = m {
            if hook.is_some_and(|h| !matches!(h, Hook::Output | Hook::Postrouting))
                || (o.flags & OwnerMatch::UID != 0 && o.uid.0 > o.uid.1)
                || (o.flags & OwnerMatch::GID != 0 && o.gid.0 > o.gid.1)
            {
                return einval();
            }
        }
        // hashlimit_mt_check_common.
        if let Match::Hashlimit(h) = m {
            let bad_name = h.name == "." || h.name == ".." || h.name.contains('/');
            if h.gc_interval == 0 || h.expire == 0 || h.srcmask > 32 || h.dstmask > 32 || bad_name {
                return einval();
            }
            if h.mode & HashlimitMatch::RATE_MATCH != 0 {
                if h.avg == 0 || h.avg > u64::from(u32::MAX) || h.interval == 0 {
                    return einval();
                }
            } else if h.mode & HashlimitMatch::BYTES != 0 {
                if crate::engine::netfilter::hashlimit_user2credits_byte(h.avg) == 0 {
                    return einval();
                }
            } else {
                let c = crate::engine::netfilter::hashlimit_user2credits;
                if h.burst == 0 || c(h.avg.wrapping_mul(h.burst)) < c(h.avg) {
                    return Err(IptablesError::Nft(
                        format!(" {op} failed (Numerical result out of range): rule in chain {chain}"),
                        4,
                    ));
                }
            }
        }
        match (m, hook) {
            (Match::Mac(_), Some(h)) if !matches!(h, Hook::Prerouting | Hook::Input | Hook::Forward) => {
                return einval()
            }
            (Match::Addrtype(a), Some(h)) if a.limit_in && matches!(h, Hook::Output | Hook::Postrouting) => {
                return einval()
            }
            (Match::Addrtype(a), Some(h)) if a.limit_out && matches!(h, Hook::Prerouting | Hook::Input) => {
                return einval()
            }
            _ => {}
        }
    }
    Ok(())
}

fn chain_exists(t: &Table, chain: &str) -> Result<(), IptablesError> {
    if t.chain(chain).is_none() {
        return Err(no_chain());
    }
    Ok(())
}

fn check_new_chain_name(name: &str) -> Result<(), IptablesError> {
    if name.len() > 28 {
        return perr(format!("chain name `{name}' too long (must be under 29 chars)"));
    }
    if let Some(c @ ('-' | '!')) = name.chars().next() {
        return perr(format!("chain name not allowed to start with `{c}'"));
    }
    // "" is the standard target's name: xtables_find_target finds it.
    if name.is_empty() || new_target(name).is_some() || UNMODELLED_TARGETS.contains(&name) {
        return perr("chain name may not clash with target name");
    }
    Ok(())
}

/// Applies a parsed invocation; returns what it prints on stdout.
///
/// # Errors
/// What iptables prints when the kernel refuses; the ruleset is unchanged.
pub fn apply(rs: &mut Ruleset, inv: &Invocation) -> Result<String, IptablesError> {
    hashlimit_mode_clash(rs, inv)?;
    if let (Command::Append(c), Some(t)) = (&inv.command, rs.tables.get_mut(&inv.table)) {
        // The common case of scripts that add rules one by one: every check
        // comes before the change, so it needs no copy of the table (and
        // only the chain it grows is reindexed).
        chain_exists(t, c)?;
        for rule in &inv.rules {
            check_rule(t, inv.table, c, rule, "RULE_APPEND")?;
        }
        if let Some(b) = t.builtin_mut(c) {
            b.created = true;
        }
        let chain = t.chain_mut(c).ok_or_else(no_chain)?;
        chain.rules.extend(inv.rules.iter().cloned());
        chain.reindex();
        return Ok(String::new());
    }
    // Otherwise work on a copy and commit at the end: nothing is
    // half-applied.
    let existed = rs.table(inv.table).is_some();
    let mut t = rs.table(inv.table).cloned().unwrap_or_else(|| Table::new(inv.table));
    let out = apply_to(&mut t, inv)?;
    // Listing, checking, zeroing, flushing or deleting in a table that does
    // not exist leaves it nonexistent (iptables-nft 1.8.9, checked on the
    // kernel: `iptables -t nat -L` then `iptables-save` prints nothing, and
    // conntrack stays off).
    let creates = matches!(
        inv.command,
        Command::Append(_) | Command::Insert(..) | Command::Replace(..) | Command::Policy(..) | Command::NewChain(_)
    );
    if existed || creates {
        t.reindex();
        rs.tables.insert(inv.table, t);
    }
    Ok(out)
}

/// The kernel refuses a hashlimit rule whose rate-match mode differs from
/// the table of that name other rules already hold (EINVAL; checked on the
/// kernel: a `--hashlimit-rate-match` rule naming a plain rule's table, and
/// the reverse).
fn hashlimit_mode_clash(rs: &Ruleset, inv: &Invocation) -> Result<(), IptablesError> {
    let (chain, op) = match &inv.command {
        Command::Append(c) => (c, "RULE_APPEND"),
        Command::Insert(c, _) => (c, "RULE_INSERT"),
        Command::Replace(c, _) => (c, "RULE_REPLACE"),
        _ => return Ok(()),
    };
    let rate = |h: &HashlimitMatch| h.mode & HashlimitMatch::RATE_MATCH;
    for m in inv.rules.iter().flat_map(|r| r.matches.iter()) {
        let Match::Hashlimit(new) = m else { continue };
        let clash = rs
            .tables
            .values()
            .flat_map(|t| t.builtins.iter().map(|b| &b.chain).chain(t.user.values()))
            .flat_map(|c| c.rules.iter())
            .flat_map(|r| r.matches.iter())
            .any(|m| matches!(m, Match::Hashlimit(h) if h.name == new.name && rate(h) != rate(new)));
        if clash {
            return Err(IptablesError::Nft(format!(" {op} failed (Invalid argument): rule in chain {chain}"), 4));
        }
    }
    Ok(())
}

/// [`apply`]'s work on a table the caller owns, which is left half-changed
/// on error (so callers apply to a copy: `apply` clones the table,
/// `iptables-restore` its whole ruleset once).
fn apply_to(t: &mut Table, inv: &Invocation) -> Result<String, IptablesError> {
    let mut out = String::new();
    match &inv.command {
        Command::Append(c) | Command::Insert(c, _) | Command::Replace(c, _) | Command::Check(c) => {
            chain_exists(t, c)?;
            let op = match &inv.command {
                Command::Append(_) => "RULE_APPEND",
                Command::Insert(..) => "RULE_INSERT",
                Command::Replace(..) => "RULE_REPLACE",
                _ => "RULE_CHECK",
            };
            for rule in &inv.rules {
                check_rule(t, inv.table, c, rule, op)?;
            }
            if !matches!(inv.command, Command::Check(_)) {
                if let Some(b) = t.builtin_mut(c) {
                    b.created = true;
                }
            }
            let chain = t.chain_mut(c).ok_or_else(no_chain)?;
            match &inv.command {
                Command::Append(_) => chain.rules.extend(inv.rules.iter().cloned()),
                Command::Insert(_, n) => {
                    if *n > chain.rules.len() + 1 {
                        return Err(IptablesError::Kernel("Index of insertion too big".into()));
                    }
                    for (k, r) in inv.rules.iter().enumerate() {
                        chain.rules.insert(n - 1 + k, r.clone());
                    }
                }
                Command::Replace(_, n) => {
                    if *n > chain.rules.len() {
                        return Err(IptablesError::Kernel("Index of replacement too big".into()));
                    }
                    if let Some(r) = inv.rules.first() {
                        chain.rules[n - 1] = r.clone();
                    }
                }
                _ => {
                    for r in &inv.rules {
                        if !chain.rules.iter().any(|x| x.same_spec(r)) {
                            return Err(IptablesError::Kernel(
                                "Bad rule (does a matching rule exist in that chain?)".into(),
                            ));
                        }
                    }
                }
            }
        }
        Command::Delete(c, n) => {
            chain_exists(t, c)?;
            let chain = t.chain_mut(c).ok_or_else(no_chain)?;
            match n {
                Some(n) => {
                    if *n > chain.rules.len() {
                        return Err(IptablesError::Kernel("Index of deletion too big".into()));
                    }
                    chain.rules.remove(n - 1);
                }
                None => {
                    for r in &inv.rules {
                        let pos = chain.rules.iter().position(|x| x.same_spec(r)).ok_or_else(|| {
                            IptablesError::Kernel("Bad rule (does a matching rule exist in that chain?)".into())
                        })?;
                        chain.rules.remove(pos);
                    }
                }
            }
        }
        Command::Policy(c, p) => {
            let pol = match p.as_str() {
                "ACCEPT" => Policy::Accept,
                "DROP" => Policy::Drop,
                _ => return Err(IptablesError::Kernel("Bad policy name. Run `dmesg' for more information".into())),
            };
            let b = t.builtin_mut(c).ok_or_else(|| IptablesError::Kernel("Bad built-in chain name".into()))?;
            b.policy = pol;
            b.created = true;
            b.stats = true;
            // iptables-nft sends the chain with zero counters: -P resets
            // the policy's packets and bytes (kernel 6.18, checked).
            b.counters = Default::default();
        }
        Command::NewChain(c) => {
            check_new_chain_name(c)?;
            // assert_valid_chain_name's last check; only -N makes it (in
            // iptables 1.8.9 `-E old 'a b'` is accepted).
            if c.chars().any(|ch| matches!(ch, ' ' | '\t' | '\n' | '\x0b' | '\x0c' | '\r')) {
                return perr(format!("Invalid chain name `{c}'"));
            }
            if t.chain(c).is_some() {
                return Err(IptablesError::Kernel("Chain already exists".into()));
            }
            t.user.insert(c.clone(), Default::default());
        }
        Command::DeleteChain(c) => {
            let names: Vec<String> = match c {
                Some(c) => {
                    if t.builtin(c).is_some() || (!t.user.contains_key(c)) {
                        return Err(if t.builtin(c).is_some() {
                            IptablesError::Kernel("Directory not empty".into())
                        } else {
                            no_chain()
                        });
                    }
                    vec![c.clone()]
                }
                None => t.user.keys().cloned().collect(),
            };
            for n in &names {
                if t.references(n) > 0 || t.user.get(n).is_some_and(|c| !c.rules.is_empty()) {
                    return Err(IptablesError::Nft(
                        format!(" CHAIN_DEL failed (Device or resource busy): chain {n}"),
                        4,
                    ));
                }
            }
            for n in names {
                t.user.remove(&n);
            }
        }
        Command::Rename(old, new) => {
            if !t.user.contains_key(old) {
                return Err(no_chain());
            }
            // iptables 1.8.9 checks no new name for -E (a long one, one with
            // spaces, even "" or a target's name are renamed to).
            if t.chain(new).is_some() {
                return Err(IptablesError::Kernel("File exists".into()));
            }
            let c = t.user.remove(old).unwrap_or_default();
            t.user.insert(new.clone(), c);
            for ch in t.builtins.iter_mut().map(|b| &mut b.chain).chain(t.user.values_mut()) {
                for r in &mut ch.rules {
                    if let Some(Target::Jump(x)) | Some(Target::Goto(x)) = &mut r.target {
                        if x == old {
                            *x = new.clone();
                        }
                    }
                }
            }
        }
        Command::Flush(c) => {
            if let Some(c) = c {
                chain_exists(t, c)?;
            }
            for n in t.chain_names() {
                if c.as_ref().is_none_or(|c| *c == n) {
                    if let Some(ch) = t.chain_mut(&n) {
                        ch.rules.clear();
                    }
                }
            }
        }
        Command::Zero(c, n) => {
            if let Some(c) = c {
                chain_exists(t, c)?;
                // A built-in chain iptables-nft has not created yet.
                if t.builtin(c).is_some_and(|b| !b.created) {
                    return Err(no_chain());
                }
            }
            for name in t.chain_names() {
                if c.as_ref().is_some_and(|c| *c != name) {
                    continue;
                }
                if n.is_none() {
                    if let Some(b) = t.builtin_mut(&name) {
                        b.counters = Default::default();
                        // Zeroing sends the chain with counters: from now on
                        // its policy counts.
                        b.stats |= b.created;
                    }
                }
                if let Some(ch) = t.chain_mut(&name) {
                    for (i, r) in ch.rules.iter_mut().enumerate() {
                        if n.is_none_or(|k| k == i + 1) {
                            r.counters = Default::default();
                            // iptables-nft zeroes a rule by replacing it: a
                            // limit's bucket starts full again, nth's count
                            // from 0 (checked on the kernel); recent lists,
                            // kept by name, stay.
                            r.reset_state();
                        }
                    }
                }
            }
        }
        Command::ListRules(c, n) | Command::List(c, n) => {
            if let Some(c) = c {
                if t.chain(c).is_none() {
                    return Err(IptablesError::Nft(
                        format!("chain `{c}' in table `{}' is incompatible, use 'nft' tool.", inv.table.as_str()),
                        1,
                    ));
                }
            }
            out = if matches!(inv.command, Command::ListRules(..)) {
                r::list_rules(t, c.as_deref(), *n, inv.verbose)
            } else {
                r::list(
                    t,
                    c.as_deref(),
                    &r::ListOptions {
                        numeric: inv.numeric,
                        verbose: inv.verbose,
                        exact: inv.exact,
                        line_numbers: inv.line_numbers,
                        rulenum: *n,
                    },
                )
            };
        }
    }
    Ok(out)
}

/// Runs `iptables ARGS` against a namespace's ruleset.
pub fn run(rs: &mut Ruleset, args: &[String]) -> Output {
    let inv = match parse(args) {
        Ok(inv) => inv,
        Err(e) => return Output { stdout: String::new(), stderr: format!("{e}\n"), status: e.status() },
    };
    // -v with a rule: each rule is printed as iptables-nft builds it (an
    // append before the chain is looked up; an insert, replace, delete or
    // check once the rule or position it names is found), so also when the
    // kernel then refuses it (checked on the kernel).
    let mut lines = String::new();
    let with_rule = matches!(
        inv.command,
        Command::Append(_) | Command::Insert(..) | Command::Replace(..) | Command::Check(_) | Command::Delete(_, None)
    );
    if inv.verbose && with_rule {
        for r in &inv.rules {
            lines.push_str(&r::rule_line(r));
        }
    }
    let append = matches!(inv.command, Command::Append(_));
    match apply(rs, &inv) {
        Ok(out) => Output { stdout: lines + &out, stderr: inv.warnings.clone(), status: 0 },
        Err(e) => {
            let printed = append || matches!(e, IptablesError::Nft(..));
            let stdout = if printed { lines } else { String::new() };
            Output { stdout, stderr: format!("{}{e}\n", inv.warnings), status: e.status() }
        }
    }
}

// ---------------------------------------------------------------- restore

/// Splits a line into words as iptables-restore does: blanks separate,
/// double and single quotes group, a backslash escapes the next character
/// inside double quotes.
pub fn split_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut have = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                have = true;
                while let Some(d) = chars.next() {
                    match d {
                        '"' => break,
                        '\\' => {
                            if let Some(e) = chars.next() {
                                cur.push(e);
                            }
                        }
                        _ => cur.push(d),
                    }
                }
            }
            '\'' => {
                have = true;
                for d in chars.by_ref() {
                    if d == '\'' {
                        break;
                    }
                    cur.push(d);
                }
            }
            c if c.is_whitespace() => {
                if have || !cur.is_empty() {
                    words.push(std::mem::take(&mut cur));
                    have = false;
                }
            }
            _ => cur.push(c),
        }
    }
    if have || !cur.is_empty() {
        words.push(cur);
    }
    words
}

/// Why `iptables-restore` refused its input; `Display` is its stderr text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{text}")]
pub struct RestoreError {
    /// 1-based input line.
    pub line: usize,
    /// The message.
    pub text: String,
    /// The underlying iptables error, if the line was a rule.
    pub cause: Option<IptablesError>,
}

impl RestoreError {
    /// The exit status: a rule's parameter problem exits with its own
    /// status (2), anything else with 1.
    pub fn status(&self) -> i32 {
        self.cause.as_ref().map_or(1, IptablesError::status)
    }
}

/// `iptables-restore` options.
#[derive(Debug, Clone, Copy, Default)]
pub struct RestoreOptions {
    /// `-n`: do not flush the tables first.
    pub noflush: bool,
    /// `-c`: take `[P:B]` counters from the input.
    pub counters: bool,
    /// `-t`: check only, change nothing.
    pub test: bool,
}

/// Applies an `iptables-save` text; all or nothing.
///
/// # Errors
/// The first line iptables-restore refuses; the ruleset is then unchanged.
pub fn restore(rs: &mut Ruleset, input: &str, opts: RestoreOptions) -> Result<(), RestoreError> {
    restore_warn(rs, input, opts).map(|_| ())
}

/// [`restore`], returning the warnings extensions printed on stderr
/// (NFLOG's `--nflog-range`), each with its newline.
///
/// # Errors
/// As [`restore`].
pub fn restore_warn(rs: &mut Ruleset, input: &str, opts: RestoreOptions) -> Result<String, RestoreError> {
    let mut warnings = String::new();
    let mut work = rs.clone();
    let mut table: Option<TableName> = None;
    let fail = |line: usize, msg: String, cause: Option<IptablesError>| {
        RestoreError {
        line,
        text: format!("iptables-restore {}: {msg}\nError occurred at line: {line}\nTry `iptables-restore -h' or 'iptables-restore --help' for more information.", r::VERSION),
        cause,
    }
    };
    for (i, raw) in input.lines().enumerate() {
        let n = i + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(name) = line.strip_prefix('*') {
            let t = TableName::parse(name).ok_or_else(|| fail(n, format!("table '{name}' does not exist"), None))?;
            if !opts.noflush {
                work.tables.insert(t, Table::new(t));
            } else {
                work.table_mut(t);
            }
            table = Some(t);
            continue;
        }
        let Some(t) = table else {
            return Err(fail(n, "no table specified".into(), None));
        };
        if line == "COMMIT" {
            table = None;
            continue;
        }
        if let Some(decl) = line.strip_prefix(':') {
            let parts: Vec<&str> = decl.split_whitespace().collect();
            let (Some(name), Some(pol)) = (parts.first(), parts.get(1)) else {
                return Err(fail(n, "parse error".into(), None));
            };
            let tab = work.table_mut(t);
            if let Some(b) = tab.builtin_mut(name) {
                b.policy = match *pol {
                    "ACCEPT" => Policy::Accept,
                    "DROP" => Policy::Drop,
                    _ => {
                        return Err(fail(
                            n,
                            format!("Can't set policy `{pol}' on `{name}' line {n}: Bad policy name"),
                            None,
                        ))
                    }
                };
                // A restore declares the chain with its policy and counters.
                b.created = true;
                b.stats = true;
                if opts.counters {
                    if let Some(c) = parts.get(2).and_then(|c| parse_counters(c)) {
                        b.counters = c;
                    }
                }
            } else {
                if *pol != "-" {
                    return Err(fail(
                        n,
                        format!("Can't set policy `{pol}' on `{name}' line {n}: Bad built-in chain name"),
                        None,
                    ));
                }
                check_new_chain_name(name).map_err(|e| fail(n, e.to_string(), Some(e)))?;
                tab.user.entry((*name).to_string()).or_default();
            }
            continue;
        }
        let mut words = split_words(line);
        let mut counters = None;
        if words.first().is_some_and(|w| w.starts_with('[')) {
            counters = parse_counters(&words.remove(0));
        }
        words.insert(0, t.as_str().to_string());
        words.insert(0, "-t".to_string());
        let result = parse(&words).and_then(|mut inv| {
            warnings.push_str(&inv.warnings);
            if let Some(c) = counters.filter(|_| opts.counters) {
                for rule in &mut inv.rules {
                    rule.counters = c;
                }
            }
            match inv.command {
                Command::List(..) | Command::ListRules(..) => Ok(()),
                _ => apply_to(work.table_mut(inv.table), &inv).map(|_| ()),
            }
        });
        if let Err(e) = result {
            let msg = match &e {
                // The kernel's refusal comes back from the batch, in another format.
                IptablesError::Kernel(m) => {
                    return Err(RestoreError {
                        line: n,
                        text: format!("iptables-restore: line {n} failed: {m}."),
                        cause: Some(e),
                    })
                }
                IptablesError::Parameter(m) | IptablesError::Bare(m) => m.clone(),
                other => other.to_string(),
            };
            // iptables-nft resolves jump targets when the batch is
            // committed: that error names the COMMIT line.
            let at = if msg.starts_with("Chain '") && msg.ends_with("' does not exist") {
                input.lines().enumerate().skip(n).find(|(_, l)| l.trim() == "COMMIT").map_or(n, |(k, _)| k + 1)
            } else {
                n
            };
            return Err(fail(at, msg, Some(e)));
        }
    }
    if table.is_some() {
        let n = input.lines().count() + 1;
        return Err(RestoreError {
            line: n,
            text: format!("iptables-restore: COMMIT expected at line {n}"),
            cause: None,
        });
    }
    if !opts.test {
        work.reindex();
        *rs = work;
    }
    Ok(warnings)
}

fn parse_counters(s: &str) -> Option<crate::model::nf::Counters> {
    let inner = s.strip_prefix('[')?.strip_suffix(']')?;
    let (p, b) = inner.split_once(':')?;
    Some(crate::model::nf::Counters { packets: p.parse().ok()?, bytes: b.parse().ok()? })
}

// ------------------------------------------------------------ the commands

/// Runs `iptables` / `iptables-nft` / `iptables-legacy`, `iptables-save` or
/// `iptables-restore` in the tool context: on a copy of the namespace's
/// ruleset, committed only when the command succeeds and everything in the
/// result is something the datapath evaluates (see
/// [`crate::engine::netfilter::unsupported`]).
///
/// # Errors
/// [`super::Unsupported`] for extensions, tables and targets netsim does not
/// model yet.
pub fn tool(ctx: &mut super::Ctx<'_>, cmd: &str, args: &[String]) -> super::ToolResult {
    use super::{Outcome, Unsupported};
    let ns = ctx.ns;
    let base = cmd.trim_end_matches("-nft").trim_end_matches("-legacy");
    if cmd.ends_with("-legacy") {
        return Err(Unsupported(format!(
            "{cmd}: the legacy (x_tables) backend is not modelled; use iptables or iptables-nft"
        )));
    }
    let fast = base == "iptables"
        && match parse(args) {
            Err(IptablesError::Unsupported(what)) => {
                return Err(Unsupported(format!("iptables: {what} is not modelled yet")));
            }
            // A rule the datapath does not evaluate is refused only if the
            // kernel would take it (it may refuse it first: `CT --helper`
            // without the helper's module), so such a command runs on a
            // copy, below.
            Ok(inv) => !inv.rules.iter().any(|r| crate::engine::netfilter::rule_unsupported(r).is_some()),
            Err(_) => true,
        };
    if fast {
        // One command changes at most the rules it names, and `apply` is
        // atomic itself: it runs on the namespace's ruleset, without a copy.
        let n = ctx.eng.world.ns_mut(ns);
        let o = run(&mut n.nf, args);
        if o.status == 0 {
            n.nf.prune_hashlimit();
            n.ct.enabled = n.nf.needs_conntrack();
        }
        ctx.out(&o.stdout);
        ctx.err(&o.stderr);
        return Ok(Outcome::Exited(o.status));
    }
    let mut work = ctx.eng.world.ns(ns).nf.clone();
    let (stdout, stderr, status) = match base {
        "iptables" => {
            let o = run(&mut work, args);
            (o.stdout, o.stderr, o.status)
        }
        "iptables-save" => {
            let mut opts = r::SaveOptions { counters: false, table: None, date: Some(ctx.eng.wall_clock_secs()) };
            let mut it = args.iter();
            while let Some(a) = it.next() {
                match a.as_str() {
                    "-c" | "--counters" => opts.counters = true,
                    "-t" | "--table" => {
                        let t = it.next().cloned().unwrap_or_default();
                        match TableName::parse(&t) {
                            Some(t) => opts.table = Some(t),
                            None => return ctx.fail(&format!("iptables-save: table '{t}' does not exist"), 1),
                        }
                    }
                    o => {
                        return Err(Unsupported(format!(
                            "iptables-save option '{o}' is not modelled; supported: -c, -t TABLE"
                        )))
                    }
                }
            }
            (r::save(&work, &opts), String::new(), 0)
        }
        "iptables-restore" => {
            let mut opts = RestoreOptions::default();
            for a in args {
                match a.as_str() {
                    "-n" | "--noflush" => opts.noflush = true,
                    "-c" | "--counters" => opts.counters = true,
                    "-t" | "--test" => opts.test = true,
                    o => return Err(Unsupported(format!("iptables-restore option '{o}' (or reading a file) is not modelled; supported: -n -c -t, input on stdin"))),
                }
            }
            let input = std::mem::take(&mut ctx.stdin);
            match restore_warn(&mut work, &input, opts) {
                Ok(warnings) => (String::new(), warnings, 0),
                Err(RestoreError { cause: Some(IptablesError::Unsupported(what)), .. }) => {
                    return Err(Unsupported(format!("iptables-restore: {what} is not modelled yet")))
                }
                Err(e) => (String::new(), format!("{}\n", e.text), e.status()),
            }
        }
        _ => return Err(Unsupported(format!("{cmd} is not modelled"))),
    };
    if status == 0 {
        if let Some(what) = crate::engine::netfilter::unsupported(&work) {
            return Err(Unsupported(format!("{cmd}: {what}")));
        }
        work.prune_hashlimit();
        let n = ctx.eng.world.ns_mut(ns);
        n.ct.enabled = work.needs_conntrack();
        n.nf = work;
    }
    ctx.out(&stdout);
    ctx.err(&stderr);
    Ok(Outcome::Exited(status))
}
