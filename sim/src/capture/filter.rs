//! tcpdump filter expressions (pcap-filter(7)), as libpcap 1.10.3 compiles
//! them for an Ethernet capture.
//!
//! [`Filter::parse`] takes the tcpdump command-line words joined by spaces.
//! It follows libpcap's scanner (`scanner.l`: longest match, keywords first),
//! its grammar (`grammar.y`: `and`/`or` of equal precedence, left
//! associative, `not` binding tighter, a bare address after `and`/`or`
//! reusing the previous qualifiers as in `host a or b`) and its code
//! generator (`gencode.c`): `host` also matches ARP/RARP sender and target
//! addresses, `port` only looks at unfragmented IPv4 or at IPv6 without
//! extension headers, `tcp` also finds TCP behind an IPv6 fragment header, and
//! so on. [`Filter::matches`] evaluates the result the way the BPF machine
//! runs it: a load past the end of the frame rejects the frame outright.
//!
//! Errors carry tcpdump's own message (what it prints after `tcpdump: `).
//! Parsing happens in two steps (syntax, then meaning); when an expression
//! has a syntax error, the meaning of the primitives completed before it is
//! still checked first, as libpcap does.
//!
//! Not supported (an [`FilterError::Unsupported`] error): `vlan`, `mpls`,
//! `pppoe*`, `geneve`, `llc`, `protochain`, `decnet`, 802.11 and ATM/SS7
//! qualifiers, `inbound`/`outbound`/`ifindex`, `byte`, host names other than
//! `localhost` (no DNS), `/etc/networks` and `/etc/ethers` names.

use std::fmt;
use std::net::Ipv6Addr;

/// Why an expression was rejected; `Display` gives tcpdump's message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilterError {
    /// The grammar rejected the expression (bison's "syntax error").
    #[error("can't parse filter expression: syntax error")]
    Syntax,
    /// A bare value with no qualifier to reuse, e.g. `tcp and 10.0.0.1`.
    #[error("syntax error in filter expression")]
    MissingQualifier,
    /// A service name not in /etc/services.
    #[error("unknown port '{0}'")]
    UnknownPort(String),
    /// A host name that does not resolve.
    #[error("unknown host '{0}'")]
    UnknownHost(String),
    /// A port number above 65535.
    #[error("illegal port number {0} > 65535")]
    PortTooBig(u32),
    /// Any other message libpcap's code generator or scanner reports.
    #[error("{0}")]
    Invalid(String),
    /// Nesting or length past the parser's limits (bison's stack).
    // DIVERGENCE: libpcap's limits are not the same numbers.
    #[error("can't parse filter expression: memory exhausted")]
    TooComplex,
    /// The optimizer proved that no packet can match (e.g. `ip and arp`).
    #[error("expression rejects all packets")]
    RejectsAll,
    /// Valid pcap syntax that this simulator does not implement.
    #[error("filter construct not supported by netsim: {0}")]
    Unsupported(String),
}

fn invalid<T>(msg: impl Into<String>) -> Result<T, FilterError> {
    Err(FilterError::Invalid(msg.into()))
}

fn unsupported<T>(what: impl Into<String>) -> Result<T, FilterError> {
    Err(FilterError::Unsupported(what.into()))
}

/// A compiled filter expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    /// The expression as given to [`Filter::parse`].
    text: String,
    /// `None` for the empty expression, which accepts everything.
    expr: Option<Expr>,
}

impl Filter {
    /// Compiles `expr` (tcpdump's filter words joined by spaces).
    ///
    /// # Errors
    /// A [`FilterError`] whose `Display` is the message tcpdump prints.
    pub fn parse(expr: &str) -> Result<Filter, FilterError> {
        let text = expr;
        let toks = lex(expr)?;
        if toks.is_empty() {
            return Ok(Filter { text: expr.to_owned(), expr: None });
        }
        if toks.len() > MAX_TOKENS {
            return Err(FilterError::TooComplex);
        }
        let mut p = Parser { toks: &toks, pos: 0, done: Vec::new(), depth: 0 };
        let parsed =
            p.expr(Q::ERR).and_then(|(ast, _)| if p.pos == p.toks.len() { Ok(ast) } else { Err(FilterError::Syntax) });
        match parsed {
            Ok(ast) => {
                let expr = compile(&ast)?;
                // libpcap's optimizer refuses a program that can never accept.
                if Solver::sat(&Simp::of(&expr), true, &[]) == Some(false) {
                    return Err(FilterError::RejectsAll);
                }
                Ok(Filter { text: text.to_owned(), expr: Some(expr) })
            }
            Err(FilterError::Syntax) => {
                for ast in &p.done {
                    compile(ast)?;
                }
                Err(FilterError::Syntax)
            }
            Err(e) => Err(e),
        }
    }

    /// A filter that accepts every frame (tcpdump without an expression).
    pub fn accept_all() -> Filter {
        Filter { text: String::new(), expr: None }
    }

    /// Does the Ethernet frame pass the filter?
    pub fn matches(&self, frame: &[u8]) -> bool {
        self.matches_with_wire_len(frame, u32::try_from(frame.len()).unwrap_or(u32::MAX))
    }

    /// Like [`Filter::matches`] for a frame cut to a snapshot length:
    /// `len`/`less`/`greater` use `wire_len`, loads see only `frame`.
    pub fn matches_with_wire_len(&self, frame: &[u8], wire_len: u32) -> bool {
        let Some(e) = &self.expr else { return true };
        let pkt = Pkt { d: frame, wire_len };
        match e.eval(&pkt) {
            Ok(v) => v,
            // A load ran off the frame, which makes BPF reject it. But the
            // program libpcap runs is optimized: a test whose outcome cannot
            // change the verdict is gone. So when the tests made before this
            // one already settle the verdict, that verdict stands.
            Err(Abort) => {
                let mut trail = Vec::new();
                let _ = e.eval_traced(&pkt, &mut trail);
                optimized_verdict(e, &pkt, &trail)
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Scanner (scanner.l)

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kw {
    Dst,
    Src,
    Proto(P),
    Host,
    Net,
    Mask,
    Port,
    Portrange,
    ProtoQual,
    Protochain,
    Gateway,
    Less,
    Greater,
    Broadcast,
    Multicast,
    And,
    Or,
    Not,
    Len,
    /// A keyword of a feature not implemented here.
    Other(&'static str),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Kw(Kw),
    Num(u32),
    Hid(String),
    Hid6(String),
    Eid(String),
    Id(String),
    /// One of `+ - * / % : [ ] < > ( ) & | ^ =`.
    Punct(u8),
    Geq,
    Leq,
    Neq,
    Lsh,
    Rsh,
}

fn keyword(s: &str) -> Option<Kw> {
    use Kw::*;
    Some(match s {
        "dst" => Dst,
        "src" => Src,
        "link" | "ether" | "ppp" | "slip" | "fddi" | "tr" | "wlan" => Proto(P::Link),
        "arp" => Proto(P::Arp),
        "rarp" => Proto(P::Rarp),
        "ip" => Proto(P::Ip),
        "sctp" => Proto(P::Sctp),
        "tcp" => Proto(P::Tcp),
        "udp" => Proto(P::Udp),
        "icmp" => Proto(P::Icmp),
        "igmp" => Proto(P::Igmp),
        "igrp" => Proto(P::Igrp),
        "pim" => Proto(P::Pim),
        "vrrp" => Proto(P::Vrrp),
        "carp" => Proto(P::Carp),
        "radio" => Proto(P::Radio),
        "ip6" => Proto(P::Ip6),
        "icmp6" => Proto(P::Icmp6),
        "ah" => Proto(P::Ah),
        "esp" => Proto(P::Esp),
        "atalk" => Proto(P::Atalk),
        "aarp" => Proto(P::Aarp),
        "decnet" => Proto(P::Decnet),
        "lat" => Proto(P::Lat),
        "sca" => Proto(P::Sca),
        "moprc" => Proto(P::Moprc),
        "mopdl" => Proto(P::Mopdl),
        "iso" => Proto(P::Iso),
        "esis" | "es-is" => Proto(P::Esis),
        "isis" | "is-is" => Proto(P::Isis),
        "l1" => Proto(P::L1),
        "l2" => Proto(P::L2),
        "iih" => Proto(P::Iih),
        "lsp" => Proto(P::Lsp),
        "snp" => Proto(P::Snp),
        "csnp" => Proto(P::Csnp),
        "psnp" => Proto(P::Psnp),
        "clnp" => Proto(P::Clnp),
        "stp" => Proto(P::Stp),
        "ipx" => Proto(P::Ipx),
        "netbeui" => Proto(P::Netbeui),
        "host" => Host,
        "net" => Net,
        "mask" => Mask,
        "port" => Port,
        "portrange" => Portrange,
        "proto" => ProtoQual,
        "protochain" => Protochain,
        "gateway" => Gateway,
        "less" => Less,
        "greater" => Greater,
        "broadcast" => Broadcast,
        "multicast" => Multicast,
        "and" => And,
        "or" => Or,
        "not" => Not,
        "len" | "length" => Len,
        "type" | "subtype" | "direction" | "dir" | "address1" | "addr1" | "address2" | "addr2" | "address3"
        | "addr3" | "address4" | "addr4" | "ra" | "ta" | "byte" | "inbound" | "outbound" | "ifindex" | "vlan"
        | "mpls" | "pppoed" | "pppoes" | "geneve" | "lane" | "llc" | "metac" | "bcc" | "oam" | "oamf4" | "oamf4ec"
        | "oamf4sc" | "sc" | "ilmic" | "vpi" | "vci" | "connectmsg" | "metaconnect" | "on" | "ifname" | "rset"
        | "ruleset" | "rnr" | "rulenum" | "srnr" | "subrulenum" | "reason" | "action" | "fisu" | "lssu" | "lsu"
        | "msu" | "hfisu" | "hlssu" | "hmsu" | "sio" | "opc" | "dpc" | "sls" | "hsio" | "hopc" | "hdpc" | "hsls" => {
            return KEYWORDS_OTHER.iter().find(|k| **k == s).map(|k| Other(k));
        }
        _ => return None,
    })
}

static KEYWORDS_OTHER: &[&str] = &[
    "type",
    "subtype",
    "direction",
    "dir",
    "address1",
    "addr1",
    "address2",
    "addr2",
    "address3",
    "addr3",
    "address4",
    "addr4",
    "ra",
    "ta",
    "byte",
    "inbound",
    "outbound",
    "ifindex",
    "vlan",
    "mpls",
    "pppoed",
    "pppoes",
    "geneve",
    "lane",
    "llc",
    "metac",
    "bcc",
    "oam",
    "oamf4",
    "oamf4ec",
    "oamf4sc",
    "sc",
    "ilmic",
    "vpi",
    "vci",
    "connectmsg",
    "metaconnect",
    "on",
    "ifname",
    "rset",
    "ruleset",
    "rnr",
    "rulenum",
    "srnr",
    "subrulenum",
    "reason",
    "action",
    "fisu",
    "lssu",
    "lsu",
    "msu",
    "hfisu",
    "hlssu",
    "hmsu",
    "sio",
    "opc",
    "dpc",
    "sls",
    "hsio",
    "hopc",
    "hdpc",
    "hsls",
];

/// Names the scanner turns into numbers (`icmp-echo`, `tcp-syn`, ...).
fn named_number(s: &str) -> Option<u32> {
    Some(match s {
        "icmptype" => 0,
        "icmpcode" => 1,
        "icmp-echoreply" => 0,
        "icmp-unreach" => 3,
        "icmp-sourcequench" => 4,
        "icmp-redirect" => 5,
        "icmp-echo" => 8,
        "icmp-routeradvert" => 9,
        "icmp-routersolicit" => 10,
        "icmp-timxceed" => 11,
        "icmp-paramprob" => 12,
        "icmp-tstamp" => 13,
        "icmp-tstampreply" => 14,
        "icmp-ireq" => 15,
        "icmp-ireqreply" => 16,
        "icmp-maskreq" => 17,
        "icmp-maskreply" => 18,
        "icmp6type" => 0,
        "icmp6code" => 1,
        "icmp6-destinationunreach" => 1,
        "icmp6-packettoobig" => 2,
        "icmp6-timeexceeded" => 3,
        "icmp6-parameterproblem" => 4,
        "icmp6-echo" => 128,
        "icmp6-echoreply" => 129,
        "icmp6-multicastlistenerquery" => 130,
        "icmp6-multicastlistenerreportv1" => 131,
        "icmp6-multicastlistenerdone" => 132,
        "icmp6-routersolicit" => 133,
        "icmp6-routeradvert" => 134,
        "icmp6-neighborsolicit" => 135,
        "icmp6-neighboradvert" => 136,
        "icmp6-redirect" => 137,
        "icmp6-routerrenum" => 138,
        "icmp6-nodeinformationquery" => 139,
        "icmp6-nodeinformationresponse" => 140,
        "icmp6-ineighbordiscoverysolicit" => 141,
        "icmp6-ineighbordiscoveryadvert" => 142,
        "icmp6-multicastlistenerreportv2" => 143,
        "icmp6-homeagentdiscoveryrequest" => 144,
        "icmp6-homeagentdiscoveryreply" => 145,
        "icmp6-mobileprefixsolicit" => 146,
        "icmp6-mobileprefixadvert" => 147,
        "icmp6-certpathsolicit" => 148,
        "icmp6-certpathadvert" => 149,
        "icmp6-multicastrouteradvert" => 151,
        "icmp6-multicastroutersolicit" => 152,
        "icmp6-multicastrouterterm" => 153,
        "tcpflags" => 13,
        "tcp-fin" => 0x01,
        "tcp-syn" => 0x02,
        "tcp-rst" => 0x04,
        "tcp-push" => 0x08,
        "tcp-ack" => 0x10,
        "tcp-urg" => 0x20,
        "tcp-ece" => 0x40,
        "tcp-cwr" => 0x80,
        _ => return None,
    })
}

fn is_hex(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// `{N}`: decimal digits or `0x` hex.
fn is_num(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() > 2 && b[0] == b'0' && (b[1] == b'x' || b[1] == b'X') {
        return is_hex(&s[2..]);
    }
    !b.is_empty() && b.iter().all(u8::is_ascii_digit)
}

/// `{B}`: one or two hex digits.
fn is_b(s: &str) -> bool {
    (1..=2).contains(&s.len()) && is_hex(s)
}

/// `{MAC}`: `a:b:c:d:e:f`, `a-b-...`, `a.b.c.d.e.f`, `aabb.ccdd.eeff`,
/// `aabbccddeeff`.
fn is_mac(s: &str) -> bool {
    for sep in [':', '-', '.'] {
        let parts: Vec<&str> = s.split(sep).collect();
        if parts.len() == 6 && parts.iter().all(|p| is_b(p)) {
            return true;
        }
    }
    let parts: Vec<&str> = s.split('.').collect();
    if parts.len() == 3 && parts.iter().all(|p| p.len() == 4 && is_hex(p)) {
        return true;
    }
    s.len() == 12 && is_hex(s)
}

/// `({N}\.{N})|({N}\.{N}\.{N})|({N}\.{N}\.{N}\.{N})`.
fn is_hid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('.').collect();
    (2..=4).contains(&parts.len()) && parts.iter().all(|p| is_num(p))
}

/// `{V6}`: hex groups with at most one `::`, 8 groups without it, at most 7
/// with it, optionally ending in a dotted quad that counts as two groups.
fn is_v6(s: &str) -> bool {
    if !s.contains(':') {
        return false;
    }
    let (head, v4) = match s.rfind(':') {
        Some(i) if s[i + 1..].contains('.') => {
            let tail = &s[i + 1..];
            let parts: Vec<&str> = tail.split('.').collect();
            if parts.len() != 4 || !parts.iter().all(|p| is_num(p)) {
                return false;
            }
            (&s[..=i], true)
        }
        _ => (s, false),
    };
    let extra = if v4 { 2 } else { 0 };
    let word = |g: &str| (1..=4).contains(&g.len()) && is_hex(g);
    let count = |part: &str, trailing_ok: bool| -> Option<usize> {
        if part.is_empty() {
            return Some(0);
        }
        let mut groups: Vec<&str> = part.split(':').collect();
        if trailing_ok && groups.last() == Some(&"") {
            groups.pop();
        }
        if groups.iter().all(|g| word(g)) {
            Some(groups.len())
        } else {
            None
        }
    };
    match head.find("::") {
        Some(i) => {
            let (a, b) = (&head[..i], &head[i + 2..]);
            if b.contains("::") {
                return false;
            }
            match (count(a, false), count(b, v4)) {
                (Some(x), Some(y)) => x + y + extra <= 7,
                _ => false,
            }
        }
        None => {
            let h = if v4 { &head[..head.len() - 1] } else { head };
            count(h, false) == Some(8 - extra)
        }
    }
}

/// `{B}:+({B}:+)+`: a would-be MAC address the scanner rejects.
fn is_bogus_mac(s: &str) -> bool {
    let mut groups = 0;
    let mut rest = s;
    while !rest.is_empty() {
        let hex_len = rest.bytes().take_while(u8::is_ascii_hexdigit).count();
        if !(1..=2).contains(&hex_len) {
            return false;
        }
        rest = &rest[hex_len..];
        let colons = rest.bytes().take_while(|&b| b == b':').count();
        if colons == 0 {
            return false;
        }
        rest = &rest[colons..];
        groups += 1;
    }
    groups >= 2
}

/// `[A-Za-z0-9]([-_.A-Za-z0-9]*[.A-Za-z0-9])?`.
fn is_id(s: &str) -> bool {
    let b = s.as_bytes();
    let Some((&first, rest)) = b.split_first() else {
        return false;
    };
    if !first.is_ascii_alphanumeric() {
        return false;
    }
    if let Some((&last, mid)) = rest.split_last() {
        if !(last.is_ascii_alphanumeric() || last == b'.') {
            return false;
        }
        return mid.iter().all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'));
    }
    true
}

/// `stou`: decimal, octal (leading 0) or hex (0x) to u32.
fn stou(s: &str) -> Result<u32, FilterError> {
    let overflow = || FilterError::Invalid(format!("number {s} overflows 32 bits"));
    let (digits, radix) = if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        (h, 16)
    } else if let Some(o) = s.strip_prefix('0') {
        if o.bytes().any(|b| b == b'8' || b == b'9') {
            return invalid(format!("number {s} contains non-octal digit"));
        }
        (o, 8)
    } else {
        (s, 10)
    };
    let mut n: u32 = 0;
    for ch in digits.chars() {
        let d = ch.to_digit(radix).ok_or_else(overflow)?;
        n = n.checked_mul(radix).and_then(|n| n.checked_add(d)).ok_or_else(overflow)?;
    }
    Ok(n)
}

/// Classifies a word the way flex would (first rule wins on equal length).
fn classify(s: &str) -> Option<Result<Tok, FilterError>> {
    if let Some(k) = keyword(s) {
        return Some(Ok(Tok::Kw(k)));
    }
    if is_mac(s) {
        return Some(Ok(Tok::Eid(s.to_owned())));
    }
    if is_num(s) {
        return Some(stou(s).map(Tok::Num));
    }
    if is_hid(s) {
        return Some(Ok(Tok::Hid(s.to_owned())));
    }
    if is_v6(s) {
        if s.parse::<Ipv6Addr>().is_err() {
            return Some(invalid(format!("bogus IPv6 address {s}")));
        }
        return Some(Ok(Tok::Hid6(s.to_owned())));
    }
    if is_bogus_mac(s) {
        return Some(invalid(format!("bogus ethernet address {s}")));
    }
    if let Some(n) = named_number(s) {
        return Some(Ok(Tok::Num(n)));
    }
    if is_id(s) {
        return Some(Ok(Tok::Id(s.to_owned())));
    }
    None
}

fn lex(src: &str) -> Result<Vec<Tok>, FilterError> {
    let b = src.as_bytes();
    let mut toks = Vec::new();
    let mut i = 0;
    let word_char = |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b':' | b'-');
    while i < b.len() {
        let c = b[i];
        if matches!(c, b' ' | b'\r' | b'\n' | b'\t') {
            i += 1;
            continue;
        }
        let two = b.get(i..i + 2);
        let op2 = match two {
            Some(b">=") => Some(Tok::Geq),
            Some(b"<=") => Some(Tok::Leq),
            Some(b"!=") => Some(Tok::Neq),
            Some(b"==") => Some(Tok::Punct(b'=')),
            Some(b"<<") => Some(Tok::Lsh),
            Some(b">>") => Some(Tok::Rsh),
            Some(b"&&") => Some(Tok::Kw(Kw::And)),
            Some(b"||") => Some(Tok::Kw(Kw::Or)),
            _ => None,
        };
        if let Some(t) = op2 {
            toks.push(t);
            i += 2;
            continue;
        }
        if c == b'\\' {
            let end = b[i + 1..]
                .iter()
                .position(|&x| matches!(x, b' ' | b'!' | b'(' | b')' | b'\n' | b'\t'))
                .map_or(b.len(), |p| i + 1 + p);
            if end == i + 1 {
                return Err(FilterError::Syntax);
            }
            toks.push(Tok::Id(src[i + 1..end].to_owned()));
            i = end;
            continue;
        }
        if word_char(c) {
            let end = b[i..].iter().position(|&x| !word_char(x)).map_or(b.len(), |p| i + p);
            let word = &src[i..end];
            let mut found = None;
            for l in (1..=word.len()).rev() {
                if let Some(t) = classify(&word[..l]) {
                    found = Some((t?, l));
                    break;
                }
            }
            match found {
                Some((t, l)) => {
                    toks.push(t);
                    i += l;
                }
                None if c == b':' || c == b'-' => {
                    toks.push(Tok::Punct(c));
                    i += 1;
                }
                None => return Err(FilterError::Syntax),
            }
            continue;
        }
        if c == b'!' {
            toks.push(Tok::Kw(Kw::Not));
            i += 1;
            continue;
        }
        if b"+*/%[]<>()&|^=".contains(&c) {
            toks.push(Tok::Punct(c));
            i += 1;
            continue;
        }
        return Err(FilterError::Syntax);
    }
    Ok(toks)
}

// ---------------------------------------------------------------------------
// Parser (grammar.y)

/// Protocol qualifier (`Q_*` of gencode.h).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum P {
    Default,
    Undef,
    Link,
    Ip,
    Arp,
    Rarp,
    Sctp,
    Tcp,
    Udp,
    Icmp,
    Igmp,
    Igrp,
    Pim,
    Vrrp,
    Carp,
    Radio,
    Ip6,
    Icmp6,
    Ah,
    Esp,
    Atalk,
    Aarp,
    Decnet,
    Lat,
    Sca,
    Moprc,
    Mopdl,
    Iso,
    Esis,
    Isis,
    L1,
    L2,
    Iih,
    Lsp,
    Snp,
    Csnp,
    Psnp,
    Clnp,
    Stp,
    Ipx,
    Netbeui,
}

impl P {
    fn name(self) -> &'static str {
        match self {
            P::Default | P::Undef => "",
            P::Link => "link",
            P::Ip => "ip",
            P::Arp => "arp",
            P::Rarp => "rarp",
            P::Sctp => "sctp",
            P::Tcp => "tcp",
            P::Udp => "udp",
            P::Icmp => "icmp",
            P::Igmp => "igmp",
            P::Igrp => "igrp",
            P::Pim => "pim",
            P::Vrrp => "vrrp",
            P::Carp => "carp",
            P::Radio => "radio",
            P::Ip6 => "ip6",
            P::Icmp6 => "icmp6",
            P::Ah => "ah",
            P::Esp => "esp",
            P::Atalk => "atalk",
            P::Aarp => "aarp",
            P::Decnet => "decnet",
            P::Lat => "lat",
            P::Sca => "sca",
            P::Moprc => "moprc",
            P::Mopdl => "mopdl",
            P::Iso => "iso",
            P::Esis => "esis",
            P::Isis => "isis",
            P::L1 => "l1",
            P::L2 => "l2",
            P::Iih => "iih",
            P::Lsp => "lsp",
            P::Snp => "snp",
            P::Csnp => "csnp",
            P::Psnp => "psnp",
            P::Clnp => "clnp",
            P::Stp => "stp",
            P::Ipx => "ipx",
            P::Netbeui => "netbeui",
        }
    }
}

/// Direction qualifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum D {
    Default,
    Undef,
    Src,
    Dst,
    Or,
    And,
}

/// Address-type qualifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum A {
    Default,
    Undef,
    Host,
    Net,
    Port,
    Portrange,
    Proto,
    Gateway,
}

/// The qualifiers in force for an id (`struct qual`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Q {
    proto: P,
    dir: D,
    addr: A,
}

impl Q {
    /// `qerr`: after a term that has no qualifiers to lend.
    const ERR: Q = Q { proto: P::Undef, dir: D::Undef, addr: A::Undef };
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum IdVal {
    Name(String),
    Num(u32),
    Hid(String),
    HidLen(String, u32),
    HidMask(String, String),
    Hid6(String, Option<u32>),
    Eid(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ArOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    And,
    Or,
    Xor,
    Lsh,
    Rsh,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Arth {
    Num(u32),
    Len,
    Load { proto: P, idx: Box<Arth>, size: u32 },
    Bin(ArOp, Box<Arth>, Box<Arth>),
    Neg(Box<Arth>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rel {
    Gt,
    Ge,
    Eq,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Ast {
    And(Box<Ast>, Box<Ast>),
    Or(Box<Ast>, Box<Ast>),
    Not(Box<Ast>),
    Id(Q, IdVal),
    Abbrev(P),
    Rel { op: Rel, negate: bool, a: Arth, b: Arth },
    Broadcast(P),
    Multicast(P),
    Less(u32),
    Greater(u32),
}

struct Parser<'t> {
    toks: &'t [Tok],
    pos: usize,
    /// Primitives completed so far, in order, for error reporting.
    done: Vec<Ast>,
    /// Current nesting of the recursive descent.
    depth: u32,
}

/// Deepest nesting the parser accepts; bison's stack gives out too.
const MAX_NESTING: u32 = 200;

/// Longest expression accepted, in tokens.
const MAX_TOKENS: usize = 1024;

type PResult<T> = Result<T, FilterError>;

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    fn peek_at(&self, n: usize) -> Option<&Tok> {
        self.toks.get(self.pos + n)
    }

    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos).cloned();
        if t.is_some() {
            self.pos += 1;
        }
        t
    }

    fn eat(&mut self, t: &Tok) -> bool {
        if self.peek() == Some(t) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, t: &Tok) -> PResult<()> {
        if self.eat(t) {
            Ok(())
        } else {
            Err(FilterError::Syntax)
        }
    }

    fn record(&mut self, ast: Ast) -> Ast {
        self.done.push(ast.clone());
        ast
    }

    /// `expr: term | expr and term | expr and id | expr or term | expr or id`.
    fn expr(&mut self, inh: Q) -> PResult<(Ast, Q)> {
        let (mut left, mut q) = self.term(inh)?;
        loop {
            let is_and = match self.peek() {
                Some(Tok::Kw(Kw::And)) => true,
                Some(Tok::Kw(Kw::Or)) => false,
                _ => return Ok((left, q)),
            };
            self.pos += 1;
            let (right, q2) = if self.starts_id(self.pos) { self.id(q)? } else { self.term(q)? };
            left = if is_and {
                Ast::And(Box::new(left), Box::new(right))
            } else {
                Ast::Or(Box::new(left), Box::new(right))
            };
            q = q2;
        }
    }

    /// Would the grammar read an `id` (rather than a `term`) at `pos`?
    fn starts_id(&self, mut pos: usize) -> bool {
        let mut parens = 0;
        loop {
            match self.toks.get(pos) {
                Some(Tok::Kw(Kw::Not)) => pos += 1,
                Some(Tok::Punct(b'(')) => {
                    parens += 1;
                    pos += 1;
                }
                Some(Tok::Id(_) | Tok::Hid(_) | Tok::Hid6(_) | Tok::Eid(_)) => return true,
                Some(Tok::Num(_)) => {
                    pos += 1;
                    while parens > 0 && self.toks.get(pos) == Some(&Tok::Punct(b')')) {
                        parens -= 1;
                        pos += 1;
                    }
                    return !matches!(self.toks.get(pos), Some(t) if is_arith_or_rel(t));
                }
                _ => return false,
            }
        }
    }

    /// Runs `f` one level deeper, refusing absurd nesting.
    fn nested<T>(&mut self, f: impl FnOnce(&mut Self) -> PResult<T>) -> PResult<T> {
        if self.depth >= MAX_NESTING {
            return Err(FilterError::TooComplex);
        }
        self.depth += 1;
        let r = f(self);
        self.depth -= 1;
        r
    }

    /// `id: nid | pnum | paren pid ')'` with `nid` and `not id`.
    fn id(&mut self, inh: Q) -> PResult<(Ast, Q)> {
        self.nested(|p| p.id_inner(inh))
    }

    fn id_inner(&mut self, inh: Q) -> PResult<(Ast, Q)> {
        match self.next() {
            Some(Tok::Kw(Kw::Not)) => {
                let (a, q) = self.id(inh)?;
                Ok((Ast::Not(Box::new(a)), q))
            }
            Some(Tok::Id(s)) => Ok((self.record(Ast::Id(inh, IdVal::Name(s))), inh)),
            Some(Tok::Num(n)) => Ok((self.record(Ast::Id(inh, IdVal::Num(n))), inh)),
            Some(Tok::Eid(s)) => Ok((self.record(Ast::Id(inh, IdVal::Eid(s))), inh)),
            Some(Tok::Hid(s)) => {
                let val = if self.eat(&Tok::Punct(b'/')) {
                    match self.next() {
                        Some(Tok::Num(n)) => IdVal::HidLen(s, n),
                        _ => return Err(FilterError::Syntax),
                    }
                } else if self.eat(&Tok::Kw(Kw::Mask)) {
                    match self.next() {
                        Some(Tok::Hid(m)) => IdVal::HidMask(s, m),
                        _ => return Err(FilterError::Syntax),
                    }
                } else {
                    IdVal::Hid(s)
                };
                Ok((self.record(Ast::Id(inh, val)), inh))
            }
            Some(Tok::Hid6(s)) => {
                let len = if self.eat(&Tok::Punct(b'/')) {
                    match self.next() {
                        Some(Tok::Num(n)) => Some(n),
                        _ => return Err(FilterError::Syntax),
                    }
                } else {
                    None
                };
                Ok((self.record(Ast::Id(inh, IdVal::Hid6(s, len))), inh))
            }
            Some(Tok::Punct(b'(')) => {
                // `paren pid ')'`: ids joined by and/or, all with `inh`.
                let (mut left, _) = self.id(inh)?;
                loop {
                    match self.next() {
                        Some(Tok::Kw(Kw::And)) => {
                            let (r, _) = self.id(inh)?;
                            left = Ast::And(Box::new(left), Box::new(r));
                        }
                        Some(Tok::Kw(Kw::Or)) => {
                            let (r, _) = self.id(inh)?;
                            left = Ast::Or(Box::new(left), Box::new(r));
                        }
                        Some(Tok::Punct(b')')) => return Ok((left, inh)),
                        _ => return Err(FilterError::Syntax),
                    }
                }
            }
            _ => Err(FilterError::Syntax),
        }
    }

    /// `term: rterm | not term`.
    fn term(&mut self, inh: Q) -> PResult<(Ast, Q)> {
        self.nested(|p| p.term_inner(inh))
    }

    fn term_inner(&mut self, inh: Q) -> PResult<(Ast, Q)> {
        let Some(tok) = self.peek().cloned() else {
            return Err(FilterError::Syntax);
        };
        match tok {
            Tok::Kw(Kw::Not) => {
                self.pos += 1;
                let (t, q) = self.term(inh)?;
                Ok((Ast::Not(Box::new(t)), q))
            }
            Tok::Punct(b'(') => {
                let save = self.pos;
                if let Ok(rel) = self.relation() {
                    return Ok((self.record(rel), Q::ERR));
                }
                self.pos = save + 1;
                let (e, _) = self.expr(inh)?;
                self.expect(&Tok::Punct(b')'))?;
                Ok((e, inh))
            }
            Tok::Kw(Kw::Proto(p)) => match self.peek_at(1) {
                Some(Tok::Punct(b'[')) => {
                    let rel = self.relation()?;
                    Ok((self.record(rel), Q::ERR))
                }
                Some(Tok::Kw(Kw::Src | Kw::Dst | Kw::Host | Kw::Net | Kw::Port | Kw::Portrange))
                | Some(Tok::Kw(Kw::ProtoQual | Kw::Protochain | Kw::Gateway)) => {
                    self.pos += 1;
                    self.head_id(p)
                }
                Some(Tok::Kw(Kw::Broadcast)) => {
                    self.pos += 2;
                    Ok((self.record(Ast::Broadcast(p)), Q::ERR))
                }
                Some(Tok::Kw(Kw::Multicast)) => {
                    self.pos += 2;
                    Ok((self.record(Ast::Multicast(p)), Q::ERR))
                }
                _ => {
                    self.pos += 1;
                    Ok((self.record(Ast::Abbrev(p)), Q::ERR))
                }
            },
            Tok::Kw(Kw::Src | Kw::Dst | Kw::Host | Kw::Net | Kw::Port | Kw::Portrange)
            | Tok::Kw(Kw::ProtoQual | Kw::Protochain | Kw::Gateway) => self.head_id(P::Default),
            Tok::Kw(Kw::Broadcast) => {
                self.pos += 1;
                Ok((self.record(Ast::Broadcast(P::Default)), Q::ERR))
            }
            Tok::Kw(Kw::Multicast) => {
                self.pos += 1;
                Ok((self.record(Ast::Multicast(P::Default)), Q::ERR))
            }
            Tok::Kw(k @ (Kw::Less | Kw::Greater)) => {
                self.pos += 1;
                let Some(Tok::Num(n)) = self.next() else {
                    return Err(FilterError::Syntax);
                };
                let ast = if k == Kw::Less { Ast::Less(n) } else { Ast::Greater(n) };
                Ok((self.record(ast), Q::ERR))
            }
            Tok::Num(_) | Tok::Punct(b'-') | Tok::Kw(Kw::Len) => {
                let rel = self.relation()?;
                Ok((self.record(rel), Q::ERR))
            }
            Tok::Kw(Kw::Other(k)) => unsupported(k),
            _ => Err(FilterError::Syntax),
        }
    }

    /// `head id` after an optional protocol qualifier already consumed.
    fn head_id(&mut self, proto: P) -> PResult<(Ast, Q)> {
        let mut dir = D::Default;
        let mut addr = A::Default;
        match self.peek() {
            Some(Tok::Kw(k @ (Kw::Src | Kw::Dst))) => {
                let first = *k;
                self.pos += 1;
                dir = if first == Kw::Src { D::Src } else { D::Dst };
                if let Some(Tok::Kw(j @ (Kw::And | Kw::Or))) = self.peek() {
                    let joint = *j;
                    let other = if first == Kw::Src { Kw::Dst } else { Kw::Src };
                    if self.peek_at(1) != Some(&Tok::Kw(other)) {
                        return Err(FilterError::Syntax);
                    }
                    self.pos += 2;
                    dir = if joint == Kw::And { D::And } else { D::Or };
                }
                if let Some(Tok::Kw(k @ (Kw::Host | Kw::Net | Kw::Port | Kw::Portrange))) = self.peek() {
                    addr = aqual(*k);
                    self.pos += 1;
                }
            }
            Some(Tok::Kw(k @ (Kw::Host | Kw::Net | Kw::Port | Kw::Portrange))) => {
                addr = aqual(*k);
                self.pos += 1;
            }
            Some(Tok::Kw(Kw::ProtoQual)) => {
                addr = A::Proto;
                self.pos += 1;
            }
            Some(Tok::Kw(Kw::Protochain)) => return unsupported("protochain"),
            Some(Tok::Kw(Kw::Gateway)) => {
                addr = A::Gateway;
                self.pos += 1;
            }
            _ => return Err(FilterError::Syntax),
        }
        let q = Q { proto, dir, addr };
        let (ast, _) = self.id(q)?;
        Ok((ast, q))
    }

    /// `arth relop arth | arth irelop arth`.
    fn relation(&mut self) -> PResult<Ast> {
        let a = self.arth(0)?;
        let (op, negate) = match self.next() {
            Some(Tok::Punct(b'>')) => (Rel::Gt, false),
            Some(Tok::Geq) => (Rel::Ge, false),
            Some(Tok::Punct(b'=')) => (Rel::Eq, false),
            Some(Tok::Leq) => (Rel::Gt, true),
            Some(Tok::Punct(b'<')) => (Rel::Ge, true),
            Some(Tok::Neq) => (Rel::Eq, true),
            _ => return Err(FilterError::Syntax),
        };
        let b = self.arth(0)?;
        Ok(Ast::Rel { op, negate, a, b })
    }

    /// Arithmetic by precedence climbing. `%` and `^` have no declared
    /// precedence in grammar.y, so bison always shifts them: they take
    /// everything to their right.
    fn arth(&mut self, min_prec: u8) -> PResult<Arth> {
        self.nested(|p| p.arth_inner(min_prec))
    }

    fn arth_inner(&mut self, min_prec: u8) -> PResult<Arth> {
        let mut lhs = self.arth_unary()?;
        loop {
            let Some(t) = self.peek() else { return Ok(lhs) };
            let (op, prec) = match t {
                Tok::Punct(b'%') => (ArOp::Mod, 0),
                Tok::Punct(b'^') => (ArOp::Xor, 0),
                Tok::Punct(b'|') => (ArOp::Or, 1),
                Tok::Punct(b'&') => (ArOp::And, 2),
                Tok::Lsh => (ArOp::Lsh, 3),
                Tok::Rsh => (ArOp::Rsh, 3),
                Tok::Punct(b'+') => (ArOp::Add, 4),
                Tok::Punct(b'-') => (ArOp::Sub, 4),
                Tok::Punct(b'*') => (ArOp::Mul, 5),
                Tok::Punct(b'/') => (ArOp::Div, 5),
                _ => return Ok(lhs),
            };
            if prec == 0 {
                self.pos += 1;
                let rhs = self.arth(0)?;
                lhs = Arth::Bin(op, Box::new(lhs), Box::new(rhs));
                continue;
            }
            if prec < min_prec {
                return Ok(lhs);
            }
            self.pos += 1;
            let rhs = self.arth(prec + 1)?;
            lhs = Arth::Bin(op, Box::new(lhs), Box::new(rhs));
        }
    }

    fn arth_unary(&mut self) -> PResult<Arth> {
        match self.next() {
            Some(Tok::Punct(b'-')) => Ok(Arth::Neg(Box::new(self.arth(6)?))),
            Some(Tok::Num(n)) => Ok(Arth::Num(n)),
            Some(Tok::Kw(Kw::Len)) => Ok(Arth::Len),
            Some(Tok::Punct(b'(')) => {
                let a = self.arth(0)?;
                self.expect(&Tok::Punct(b')'))?;
                Ok(a)
            }
            Some(Tok::Kw(Kw::Proto(p))) => {
                self.expect(&Tok::Punct(b'['))?;
                let idx = self.arth(0)?;
                let size = if self.eat(&Tok::Punct(b':')) {
                    match self.next() {
                        Some(Tok::Num(n)) => n,
                        _ => return Err(FilterError::Syntax),
                    }
                } else {
                    1
                };
                self.expect(&Tok::Punct(b']'))?;
                Ok(Arth::Load { proto: p, idx: Box::new(idx), size })
            }
            _ => Err(FilterError::Syntax),
        }
    }
}

fn aqual(k: Kw) -> A {
    match k {
        Kw::Host => A::Host,
        Kw::Net => A::Net,
        Kw::Port => A::Port,
        _ => A::Portrange,
    }
}

fn is_arith_or_rel(t: &Tok) -> bool {
    matches!(
        t,
        Tok::Punct(b'+' | b'-' | b'*' | b'/' | b'%' | b'&' | b'|' | b'^' | b'>' | b'<' | b'=')
            | Tok::Geq
            | Tok::Leq
            | Tok::Neq
            | Tok::Lsh
            | Tok::Rsh
    )
}

// ---------------------------------------------------------------------------
// Code generation (gencode.c) into an evaluable tree.

/// Where a load's offset is counted from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Base {
    /// The start of the frame.
    Abs,
    /// The IPv4 payload: 14 plus `4 * (frame[14] & 0xf)` (`ldxb`).
    IpX,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Load {
    base: Base,
    off: u32,
    size: u8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Test {
    /// `(A & mask) == val`.
    Eq { mask: u32, val: u32 },
    /// `A > val`.
    Gt(u32),
    /// `A >= val`.
    Ge(u32),
    /// `A & bits != 0`.
    Set(u32),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Val {
    Imm(u32),
    Len,
    Load { base: Base, idx: Box<Val>, k: u32, size: u8 },
    Bin(ArOp, Box<Val>, Box<Val>),
    Neg(Box<Val>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Expr {
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Cmp(Load, Test),
    /// Packet length test (`less`, `greater`).
    LenCmp(Test),
    /// `frame[off..off + bytes.len()] == bytes`.
    Bytes {
        off: u32,
        bytes: [u8; 6],
    },
    Rel {
        op: Rel,
        a: Val,
        b: Val,
    },
}

fn and(a: Expr, b: Expr) -> Expr {
    Expr::And(Box::new(a), Box::new(b))
}

fn or(a: Expr, b: Expr) -> Expr {
    Expr::Or(Box::new(a), Box::new(b))
}

fn not(a: Expr) -> Expr {
    Expr::Not(Box::new(a))
}

fn cmp(off: u32, size: u8, val: u32) -> Expr {
    Expr::Cmp(Load { base: Base::Abs, off, size }, Test::Eq { mask: u32::MAX, val })
}

fn mcmp(off: u32, val: u32, mask: u32) -> Expr {
    Expr::Cmp(Load { base: Base::Abs, off, size: 4 }, Test::Eq { mask, val })
}

const ETHERTYPE_IP: u32 = 0x0800;
const ETHERTYPE_ARP: u32 = 0x0806;
const ETHERTYPE_REVARP: u32 = 0x8035;
const ETHERTYPE_IPV6: u32 = 0x86dd;
const ETHERTYPE_ATALK: u32 = 0x809b;
const ETHERTYPE_AARP: u32 = 0x80f3;
const ETHERTYPE_IPX: u32 = 0x8137;
const ETHERMTU: u32 = 1500;
const IPPROTO_TCP: u32 = 6;
const IPPROTO_UDP: u32 = 17;
const IPPROTO_SCTP: u32 = 132;
/// Link-layer payload offset for Ethernet.
const LINKPL: u32 = 14;

/// `gen_linktype` for Ethernet (`gen_ether_linktype`).
fn linktype(t: u32) -> Result<Expr, FilterError> {
    match t {
        0xfe | 0x06 | 0xf0 => Ok(and(
            not(Expr::Cmp(Load { base: Base::Abs, off: 12, size: 2 }, Test::Gt(ETHERMTU))),
            cmp(14, 2, (t << 8) | t),
        )),
        0xe0 | ETHERTYPE_IPX | ETHERTYPE_ATALK | ETHERTYPE_AARP => {
            unsupported(format!("link type 0x{t:x} (LLC/SNAP matching)"))
        }
        t if t <= ETHERMTU => {
            Ok(and(not(Expr::Cmp(Load { base: Base::Abs, off: 12, size: 2 }, Test::Gt(ETHERMTU))), cmp(14, 1, t)))
        }
        t => Ok(cmp(12, 2, t)),
    }
}

fn lt(t: u32) -> Expr {
    cmp(12, 2, t)
}

/// `gen_proto_abbrev_internal`.
fn abbrev(p: P) -> Result<Expr, FilterError> {
    Ok(match p {
        P::Sctp => proto(IPPROTO_SCTP, P::Default, D::Default)?,
        P::Tcp => proto(IPPROTO_TCP, P::Default, D::Default)?,
        P::Udp => proto(IPPROTO_UDP, P::Default, D::Default)?,
        P::Icmp => proto(1, P::Ip, D::Default)?,
        P::Igmp => proto(2, P::Ip, D::Default)?,
        P::Igrp => proto(9, P::Ip, D::Default)?,
        P::Pim => proto(103, P::Default, D::Default)?,
        P::Vrrp | P::Carp => proto(112, P::Ip, D::Default)?,
        P::Ip => lt(ETHERTYPE_IP),
        P::Arp => lt(ETHERTYPE_ARP),
        P::Rarp => lt(ETHERTYPE_REVARP),
        P::Link => return invalid("link layer applied in wrong context"),
        P::Decnet => lt(0x6003),
        P::Sca => lt(0x6007),
        P::Lat => lt(0x6004),
        P::Mopdl => lt(0x6001),
        P::Moprc => lt(0x6002),
        P::Ip6 => lt(ETHERTYPE_IPV6),
        P::Icmp6 => proto(58, P::Ip6, D::Default)?,
        P::Ah => proto(51, P::Default, D::Default)?,
        P::Esp => proto(50, P::Default, D::Default)?,
        P::Radio => return invalid("'radio' is not a valid protocol type"),
        P::Default | P::Undef => return Err(FilterError::Syntax),
        other => return unsupported(other.name()),
    })
}

/// `gen_proto`: `ip proto N`, `ip6 proto N`, `ether proto N`, `proto N`.
fn proto(v: u32, p: P, dir: D) -> Result<Expr, FilterError> {
    if dir != D::Default {
        return invalid("direction applied to 'proto'");
    }
    match p {
        P::Default => Ok(or(proto(v, P::Ip, dir)?, proto(v, P::Ip6, dir)?)),
        P::Link => linktype(v),
        P::Ip => Ok(and(lt(ETHERTYPE_IP), cmp(LINKPL + 9, 1, v))),
        P::Ip6 => {
            Ok(and(lt(ETHERTYPE_IPV6), or(cmp(LINKPL + 6, 1, v), and(cmp(LINKPL + 6, 1, 44), cmp(LINKPL + 40, 1, v)))))
        }
        P::Arp | P::Rarp => invalid(format!("{} does not encapsulate another protocol", p.name())),
        P::Atalk => invalid("AppleTalk encapsulation is not specifiable"),
        P::Decnet => invalid("DECNET encapsulation is not specifiable"),
        P::Lat | P::Sca | P::Moprc | P::Mopdl => {
            invalid(format!("{} does not encapsulate another protocol", p.name().to_ascii_uppercase()))
        }
        P::Clnp => invalid("'clnp proto' is not supported"),
        P::Iso | P::Isis => unsupported(format!("{} proto", p.name())),
        _ => invalid(format!("'{} proto' is bogus", p.name())),
    }
}

/// `gen_hostop`: IPv4 address at `src_off`/`dst_off` of the network header.
fn hostop(addr: u32, mask: u32, dir: D, ll: u32, src_off: u32, dst_off: u32) -> Expr {
    match dir {
        D::Src => and(lt(ll), mcmp(LINKPL + src_off, addr, mask)),
        D::Dst => and(lt(ll), mcmp(LINKPL + dst_off, addr, mask)),
        D::And => {
            and(hostop(addr, mask, D::Src, ll, src_off, dst_off), hostop(addr, mask, D::Dst, ll, src_off, dst_off))
        }
        D::Default | D::Or | D::Undef => {
            or(hostop(addr, mask, D::Src, ll, src_off, dst_off), hostop(addr, mask, D::Dst, ll, src_off, dst_off))
        }
    }
}

/// `gen_host`.
fn host(addr: u32, mask: u32, p: P, dir: D, is_net: bool) -> Result<Expr, FilterError> {
    let typestr = if is_net { "net" } else { "host" };
    match p {
        P::Default => Ok(or(
            or(host(addr, mask, P::Ip, dir, is_net)?, host(addr, mask, P::Arp, dir, is_net)?),
            host(addr, mask, P::Rarp, dir, is_net)?,
        )),
        P::Ip => Ok(hostop(addr, mask, dir, ETHERTYPE_IP, 12, 16)),
        P::Arp => Ok(hostop(addr, mask, dir, ETHERTYPE_ARP, 14, 24)),
        P::Rarp => Ok(hostop(addr, mask, dir, ETHERTYPE_REVARP, 14, 24)),
        P::Link => invalid(format!("link-layer modifier applied to {typestr}")),
        P::Ip6 => invalid("'ip6' modifier applied to ip host"),
        P::Atalk => invalid("AppleTalk host filtering not implemented"),
        P::Lat | P::Sca | P::Moprc | P::Mopdl | P::Aarp | P::Iso | P::Ipx => {
            invalid(format!("{} host filtering not implemented", p.name().to_ascii_uppercase()))
        }
        P::Decnet => unsupported("decnet host"),
        P::Undef => Err(FilterError::MissingQualifier),
        _ => invalid(format!("'{}' modifier applied to {typestr}", p.name())),
    }
}

/// `gen_host6` / `gen_hostop6`.
fn host6(addr: [u8; 16], mask: [u8; 16], p: P, dir: D, is_net: bool) -> Result<Expr, FilterError> {
    let typestr = if is_net { "net" } else { "host" };
    match p {
        P::Default | P::Ip6 => {}
        P::Link => return invalid(format!("link-layer modifier applied to ip6 {typestr}")),
        P::Atalk => return invalid(format!("AppleTalk modifier applied to ip6 {typestr}")),
        P::Undef => return Err(FilterError::MissingQualifier),
        other => return invalid(format!("'{}' modifier applied to ip6 {typestr}", other.name())),
    }
    let word = |a: &[u8; 16], i: usize| u32::from_be_bytes([a[i], a[i + 1], a[i + 2], a[i + 3]]);
    let one = |off: u32| {
        let mut e = mcmp(LINKPL + off + 12, word(&addr, 12), word(&mask, 12));
        for i in [8usize, 4, 0] {
            e = and(mcmp(LINKPL + off + i as u32, word(&addr, i), word(&mask, i)), e);
        }
        and(lt(ETHERTYPE_IPV6), e)
    };
    Ok(match dir {
        D::Src => one(8),
        D::Dst => one(24),
        D::And => and(one(8), one(24)),
        D::Default | D::Or | D::Undef => or(one(8), one(24)),
    })
}

/// `gen_ehostop`.
fn ehost(mac: [u8; 6], dir: D) -> Expr {
    match dir {
        D::Src => Expr::Bytes { off: 6, bytes: mac },
        D::Dst => Expr::Bytes { off: 0, bytes: mac },
        D::And => and(ehost(mac, D::Src), ehost(mac, D::Dst)),
        D::Default | D::Or | D::Undef => or(ehost(mac, D::Src), ehost(mac, D::Dst)),
    }
}

fn ipfrag() -> Expr {
    not(Expr::Cmp(Load { base: Base::Abs, off: LINKPL + 6, size: 2 }, Test::Set(0x1fff)))
}

/// Port tests on the transport header (`gen_portatom`/`gen_portrangeatom`).
fn port_atoms(base: Base, first: u32, lo: u32, hi: u32, dir: D) -> Expr {
    let atom = |off: u32| {
        let load = match base {
            Base::IpX => Load { base, off: LINKPL + off, size: 2 },
            Base::Abs => Load { base, off: first + off, size: 2 },
        };
        if lo == hi {
            Expr::Cmp(load, Test::Eq { mask: u32::MAX, val: lo })
        } else {
            and(Expr::Cmp(load, Test::Ge(lo)), not(Expr::Cmp(load, Test::Gt(hi))))
        }
    };
    match dir {
        D::Src => atom(0),
        D::Dst => atom(2),
        D::And => and(atom(0), atom(2)),
        D::Default | D::Or | D::Undef => or(atom(0), atom(2)),
    }
}

/// `gen_port`/`gen_portrange` or'ed with their IPv6 twins. `ip_proto` is 0
/// for "any of TCP, UDP, SCTP".
fn ports(lo: u32, hi: u32, ip_proto: u32, dir: D) -> Expr {
    let (lo, hi) = if lo > hi { (hi, lo) } else { (lo, hi) };
    let v4 = |p: u32| and(and(cmp(LINKPL + 9, 1, p), ipfrag()), port_atoms(Base::IpX, 0, lo, hi, dir));
    let v6 = |p: u32| and(cmp(LINKPL + 6, 1, p), port_atoms(Base::Abs, LINKPL + 40, lo, hi, dir));
    let any = |f: &dyn Fn(u32) -> Expr| {
        if ip_proto == 0 {
            or(f(IPPROTO_SCTP), or(f(IPPROTO_TCP), f(IPPROTO_UDP)))
        } else {
            f(ip_proto)
        }
    };
    or(and(lt(ETHERTYPE_IP), any(&v4)), and(lt(ETHERTYPE_IPV6), any(&v6)))
}

/// Transport protocol for `port`: 0 for any, else the IP protocol number.
fn port_proto(p: P, what: &str) -> Result<u32, FilterError> {
    match p {
        P::Default => Ok(0),
        P::Tcp => Ok(IPPROTO_TCP),
        P::Udp => Ok(IPPROTO_UDP),
        P::Sctp => Ok(IPPROTO_SCTP),
        P::Undef => Err(FilterError::MissingQualifier),
        _ => invalid(format!("illegal qualifier of '{what}'")),
    }
}

/// `__pcap_atoin`: dotted address to (value, bits given), as libpcap reads it
/// (each part read as decimal, whatever its spelling).
fn atoin(s: &str) -> Option<(u32, u32)> {
    let mut addr: u32 = 0;
    let mut len = 0;
    for part in s.split('.') {
        let mut n: u32 = 0;
        for c in part.bytes() {
            if n > 25 {
                return None;
            }
            n = n.wrapping_mul(10).wrapping_add(u32::from(c).wrapping_sub(u32::from(b'0')));
        }
        if n > 255 {
            return None;
        }
        addr = (addr << 8) | n;
        len += 8;
    }
    Some((addr, len))
}

fn shl(v: u32, n: u32) -> u32 {
    v.checked_shl(n).unwrap_or(0)
}

/// `pcap_nametoport`: (port, protocol or 0 for both).
fn service(name: &str) -> Option<(u32, u32)> {
    let i = SERVICES.binary_search_by(|(n, _, _)| n.cmp(&name)).ok()?;
    let (_, tcp, udp) = SERVICES[i];
    match (tcp, udp) {
        (0, 0) => None,
        (t, 0) => Some((u32::from(t), IPPROTO_TCP)),
        (0, u) => Some((u32::from(u), IPPROTO_UDP)),
        (t, u) if t == u => Some((u32::from(t), 0)),
        (t, _) => Some((u32::from(t), IPPROTO_TCP)),
    }
}

fn check_named_proto(p: P, real: u32, name: &str, in_range: bool) -> Result<u32, FilterError> {
    let pre = if in_range { "port in range" } else { "port" };
    let kind = |n: u32| if n == IPPROTO_TCP { "tcp" } else { "udp" };
    match p {
        P::Udp if real == IPPROTO_TCP => invalid(format!("{pre} '{name}' is {}", kind(real))),
        P::Tcp | P::Sctp if real == IPPROTO_UDP => invalid(format!("{pre} '{name}' is udp")),
        P::Sctp if real == IPPROTO_TCP => invalid(format!("{pre} '{name}' is tcp")),
        P::Udp => Ok(IPPROTO_UDP),
        P::Tcp => Ok(IPPROTO_TCP),
        P::Sctp => Ok(IPPROTO_SCTP),
        _ => Ok(real),
    }
}

fn port_check(port: u32) -> Result<u32, FilterError> {
    if port > 65535 {
        Err(FilterError::PortTooBig(port))
    } else {
        Ok(port)
    }
}

/// `pcap_nametoportrange`: `sscanf(name, "%d-%d")`, else two service names.
fn portrange_by_name(name: &str) -> Option<(u32, u32, u32)> {
    if let Some((x, rest)) = scan_int(name) {
        if let Some((y, _)) = rest.strip_prefix('-').and_then(scan_int) {
            return Some((x, y, 0));
        }
    }
    let (a, b) = name.split_once('-')?;
    let (p1, r1) = service_or_number(a)?;
    let (p2, r2) = service_or_number(b)?;
    Some((p1, p2, if r1 == r2 { r1 } else { 0 }))
}

/// `%d` of sscanf: optional sign and decimal digits at the start.
fn scan_int(s: &str) -> Option<(u32, &str)> {
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    let v = s[..digits].parse::<u64>().ok().map_or(u32::MAX, |v| u32::try_from(v).unwrap_or(u32::MAX));
    Some((v, &s[digits..]))
}

/// `pcap_nametoport`, where getaddrinfo also takes a decimal port number.
fn service_or_number(name: &str) -> Option<(u32, u32)> {
    if !name.is_empty() && name.bytes().all(|b| b.is_ascii_digit()) {
        return name.parse::<u32>().ok().map(|p| (p, 0));
    }
    service(name)
}

fn compile(ast: &Ast) -> Result<Expr, FilterError> {
    match ast {
        Ast::And(a, b) => Ok(and(compile(a)?, compile(b)?)),
        Ast::Or(a, b) => Ok(or(compile(a)?, compile(b)?)),
        Ast::Not(a) => Ok(not(compile(a)?)),
        Ast::Abbrev(p) => abbrev(*p),
        Ast::Id(q, v) => compile_id(*q, v),
        Ast::Broadcast(p) => match p {
            P::Default | P::Link => Ok(Expr::Bytes { off: 0, bytes: [0xff; 6] }),
            // tcpdump -r compiles with netmask 0: the host part is all bits.
            P::Ip => Ok(and(lt(ETHERTYPE_IP), or(mcmp(LINKPL + 16, 0, u32::MAX), mcmp(LINKPL + 16, u32::MAX, u32::MAX)))),
            _ => invalid("only link-layer/IP broadcast filters supported"),
        },
        Ast::Multicast(p) => match p {
            P::Default | P::Link => Ok(Expr::Cmp(Load { base: Base::Abs, off: 0, size: 1 }, Test::Set(1))),
            P::Ip => Ok(and(lt(ETHERTYPE_IP), Expr::Cmp(Load { base: Base::Abs, off: LINKPL + 16, size: 1 }, Test::Ge(224)))),
            P::Ip6 => Ok(and(lt(ETHERTYPE_IPV6), cmp(LINKPL + 24, 1, 255))),
            _ => invalid("link-layer multicast filters supported only on ethernet/FDDI/token ring/ARCNET/802.11/ATM LANE/Fibre Channel"),
        },
        Ast::Less(n) => Ok(not(Expr::LenCmp(Test::Gt(*n)))),
        Ast::Greater(n) => Ok(Expr::LenCmp(Test::Ge(*n))),
        Ast::Rel { op, negate, a, b } => {
            let mut checks = Vec::new();
            let va = arth(a, &mut checks)?;
            let mut checks_b = Vec::new();
            let vb = arth(b, &mut checks_b)?;
            checks.extend(checks_b);
            let mut e = Expr::Rel { op: *op, a: va, b: vb };
            if *negate {
                e = not(e);
            }
            let mut guard: Option<Expr> = None;
            for c in checks {
                guard = Some(match guard {
                    None => c,
                    Some(g) => and(g, c),
                });
            }
            Ok(match guard {
                None => e,
                Some(g) => and(g, e),
            })
        }
    }
}

/// Compiles an arithmetic expression, collecting the protocol checks its
/// loads need. Like `gen_arth`, only the left operand's checks survive.
fn arth(a: &Arth, checks: &mut Vec<Expr>) -> Result<Val, FilterError> {
    Ok(match a {
        Arth::Num(n) => Val::Imm(*n),
        Arth::Len => Val::Len,
        Arth::Neg(x) => Val::Neg(Box::new(arth(x, checks)?)),
        Arth::Bin(op, x, y) => {
            let vx = arth(x, checks)?;
            let mut dropped = Vec::new();
            let vy = arth(y, &mut dropped)?;
            if let Val::Imm(k) = vy {
                match op {
                    ArOp::Div if k == 0 => return invalid("division by zero"),
                    ArOp::Mod if k == 0 => return invalid("modulus by zero"),
                    ArOp::Lsh | ArOp::Rsh if k > 31 => return invalid("shift by more than 31 bits"),
                    _ => {}
                }
            }
            Val::Bin(*op, Box::new(vx), Box::new(vy))
        }
        Arth::Load { proto: p, idx, size } => {
            let size = match size {
                1 => 1,
                2 => 2,
                4 => 4,
                _ => return invalid("data size must be 1, 2, or 4"),
            };
            let mut idx_checks = Vec::new();
            let vi = arth(idx, &mut idx_checks)?;
            let (base, k) = match p {
                P::Radio => return invalid("radio information not present in capture"),
                P::Link => {
                    checks.extend(idx_checks);
                    (Base::Abs, 0)
                }
                P::Ip | P::Arp | P::Rarp | P::Atalk | P::Decnet | P::Sca | P::Lat | P::Moprc | P::Mopdl | P::Ip6 => {
                    checks.extend(idx_checks);
                    checks.push(abbrev(*p)?);
                    (Base::Abs, LINKPL)
                }
                P::Sctp | P::Tcp | P::Udp | P::Icmp | P::Igmp | P::Igrp | P::Pim | P::Vrrp | P::Carp => {
                    checks.push(lt(ETHERTYPE_IP));
                    checks.extend(idx_checks);
                    checks.push(abbrev(*p)?);
                    checks.push(ipfrag());
                    (Base::IpX, LINKPL)
                }
                P::Icmp6 => {
                    checks.extend(idx_checks);
                    checks.push(lt(ETHERTYPE_IPV6));
                    checks.push(cmp(LINKPL + 6, 1, 58));
                    (Base::Abs, LINKPL + 40)
                }
                _ => return invalid("unsupported index operation"),
            };
            Val::Load { base, idx: Box::new(vi), k, size }
        }
    })
}

fn compile_id(q: Q, v: &IdVal) -> Result<Expr, FilterError> {
    let Q { proto: p, dir, addr } = q;
    if addr == A::Undef {
        return Err(FilterError::MissingQualifier);
    }
    match v {
        IdVal::Hid(s) => match addr {
            A::Port => invalid("'port' modifier applied to ip host"),
            A::Portrange => invalid("'portrange' modifier applied to ip host"),
            A::Proto => invalid("'proto' modifier applied to ip host"),
            _ => ncode(Some(s), 0, q),
        },
        IdVal::Num(n) => ncode(None, *n, q),
        IdVal::HidLen(s, len) => mcode(s, None, *len, q),
        IdVal::HidMask(s, m) => mcode(s, Some(m), 0, q),
        IdVal::Hid6(s, len) => {
            let a: Ipv6Addr = s.parse().map_err(|_| FilterError::Invalid(format!("invalid ip6 address {s}")))?;
            let masklen = len.unwrap_or(128);
            if masklen > 128 {
                return invalid("mask length must be <= 128");
            }
            let mut mask = [0u8; 16];
            for (i, m) in mask.iter_mut().enumerate() {
                let bits = masklen.saturating_sub(8 * i as u32).min(8);
                *m = if bits == 0 { 0 } else { 0xffu8 << (8 - bits) };
            }
            let octets = a.octets();
            if octets.iter().zip(mask.iter()).any(|(o, m)| o & !m != 0) {
                return invalid(format!("non-network bits set in \"{s}/{masklen}\""));
            }
            match addr {
                A::Default | A::Host if masklen != 128 => invalid("Mask syntax for networks only"),
                A::Default | A::Host | A::Net => host6(octets, mask, p, dir, addr == A::Net),
                _ => invalid("invalid qualifier against IPv6 address"),
            }
        }
        IdVal::Eid(s) => {
            if matches!(addr, A::Host | A::Default) && p == P::Link {
                Ok(ehost(parse_mac(s), dir))
            } else {
                invalid("ethernet address used in non-ether expression")
            }
        }
        IdVal::Name(name) => scode(name, q),
    }
}

/// `gen_mcode`: `net a.b.c.d/len` and `net a.b.c.d mask m.m.m.m`.
fn mcode(s: &str, mask: Option<&str>, masklen: u32, q: Q) -> Result<Expr, FilterError> {
    let bad = |a: &str| FilterError::Invalid(format!("invalid IPv4 address '{a}'"));
    let (n, nlen) = atoin(s).ok_or_else(|| bad(s))?;
    let n = shl(n, 32 - nlen);
    let m = match mask {
        Some(ms) => {
            let (m, mlen) = atoin(ms).ok_or_else(|| bad(ms))?;
            let m = shl(m, 32 - mlen);
            if n & !m != 0 {
                return invalid(format!("non-network bits set in \"{s} mask {ms}\""));
            }
            m
        }
        None => {
            if masklen > 32 {
                return invalid("mask length must be <= 32");
            }
            let m = if masklen == 0 { 0 } else { u32::MAX << (32 - masklen) };
            if n & !m != 0 {
                return invalid(format!("non-network bits set in \"{s}/{masklen}\""));
            }
            m
        }
    };
    if q.addr != A::Net {
        return invalid("Mask syntax for networks only");
    }
    host(n, m, q.proto, q.dir, true)
}

/// `pcap_ether_aton` of a scanner-validated MAC.
fn parse_mac(s: &str) -> [u8; 6] {
    let digits: Vec<u8> = s.bytes().filter(u8::is_ascii_hexdigit).collect();
    let mut mac = [0u8; 6];
    let groups: Vec<&str> = s.split([':', '-', '.']).collect();
    if groups.len() == 6 {
        for (m, g) in mac.iter_mut().zip(groups) {
            *m = u8::from_str_radix(g, 16).unwrap_or(0);
        }
    } else {
        for (i, m) in mac.iter_mut().enumerate() {
            let hex = |c: u8| char::from(c).to_digit(16).unwrap_or(0) as u8;
            if let (Some(&a), Some(&b)) = (digits.get(2 * i), digits.get(2 * i + 1)) {
                *m = (hex(a) << 4) | hex(b);
            }
        }
    }
    mac
}

/// `gen_ncode`: a number or a dotted address with its qualifiers.
fn ncode(s: Option<&str>, v: u32, q: Q) -> Result<Expr, FilterError> {
    let Q { proto: p, dir, addr } = q;
    let (mut v, vlen) = match s {
        None => (v, 32),
        Some(s) => atoin(s).ok_or_else(|| FilterError::Invalid(format!("invalid IPv4 address '{s}'")))?,
    };
    match addr {
        A::Default | A::Host | A::Net => {
            if p == P::Decnet {
                return unsupported("decnet host");
            }
            if p == P::Link {
                return invalid("illegal link layer address");
            }
            let mut mask = u32::MAX;
            if s.is_none() && addr == A::Net {
                while v != 0 && v & 0xff00_0000 == 0 {
                    v <<= 8;
                    mask <<= 8;
                }
            } else {
                v = shl(v, 32 - vlen);
                mask = shl(mask, 32 - vlen);
            }
            host(v, mask, p, dir, addr == A::Net)
        }
        A::Port => {
            let ip_proto = port_proto(p, "port")?;
            Ok(ports(port_check(v)?, v, ip_proto, dir))
        }
        A::Portrange => {
            let ip_proto = port_proto(p, "portrange")?;
            Ok(ports(port_check(v)?, v, ip_proto, dir))
        }
        A::Gateway => invalid("'gateway' requires a name"),
        A::Proto => proto(v, p, dir),
        A::Undef => Err(FilterError::MissingQualifier),
    }
}

/// `gen_scode`: a name with its qualifiers.
fn scode(name: &str, q: Q) -> Result<Expr, FilterError> {
    let Q { proto: p, dir, addr } = q;
    match addr {
        A::Net => invalid(format!("unknown network '{name}'")),
        A::Default | A::Host => {
            if p == P::Link {
                return invalid(format!("unknown ether host '{name}'"));
            }
            if p == P::Decnet {
                return unsupported("decnet host names");
            }
            // DIVERGENCE: no DNS; only the one name every /etc/hosts has.
            if name == "localhost" {
                let tp = if p == P::Default { P::Ip } else { p };
                if tp == P::Ip6 {
                    return invalid(format!("unknown host '{name}' for specified address family"));
                }
                return host(0x7f00_0001, u32::MAX, tp, dir, false);
            }
            Err(FilterError::UnknownHost(name.to_owned()))
        }
        A::Port => {
            port_proto(p, "port")?;
            let (port, real) = service_or_number(name).ok_or_else(|| FilterError::UnknownPort(name.to_owned()))?;
            let real = check_named_proto(p, real, name, false)?;
            Ok(ports(port_check(port)?, port, real, dir))
        }
        A::Portrange => {
            port_proto(p, "portrange")?;
            let (p1, p2, real) = portrange_by_name(name)
                .ok_or_else(|| FilterError::Invalid(format!("unknown port in range '{name}'")))?;
            let real = check_named_proto(p, real, name, true)?;
            port_check(p1)?;
            port_check(p2)?;
            Ok(ports(p1, p2, real, dir))
        }
        A::Gateway => invalid("'gateway' not supported in this configuration"),
        A::Proto => {
            let v = match p {
                P::Default | P::Ip | P::Ip6 => IP_PROTOS
                    .binary_search_by(|(n, _)| n.cmp(&name))
                    .map(|i| u32::from(IP_PROTOS[i].1))
                    .map_err(|_| FilterError::Invalid(format!("unknown ip proto '{name}'")))?,
                P::Link => match name {
                    "aarp" => ETHERTYPE_AARP,
                    "arp" => ETHERTYPE_ARP,
                    "atalk" => ETHERTYPE_ATALK,
                    "decnet" => 0x6003,
                    "ip" => ETHERTYPE_IP,
                    "ip6" => ETHERTYPE_IPV6,
                    "lat" => 0x6004,
                    "loopback" => 0x9000,
                    "mopdl" => 0x6001,
                    "moprc" => 0x6002,
                    "rarp" => ETHERTYPE_REVARP,
                    "sca" => 0x6007,
                    "iso" => 0xfe,
                    "stp" => 0x42,
                    "ipx" => 0xe0,
                    "netbeui" => 0xf0,
                    _ => return invalid(format!("unknown ether proto '{name}'")),
                },
                P::Iso => return unsupported("iso proto"),
                _ => return invalid(format!("unknown protocol: {name}")),
            };
            proto(v, p, dir)
        }
        A::Undef => Err(FilterError::MissingQualifier),
    }
}

// ---------------------------------------------------------------------------
// Evaluation: the BPF machine's semantics.

/// A load ran past the end of the frame: BPF returns 0 (reject).
struct Abort;

struct Pkt<'a> {
    d: &'a [u8],
    wire_len: u32,
}

impl Pkt<'_> {
    fn load(&self, addr: u64, size: u8) -> Result<u32, Abort> {
        let start = usize::try_from(addr).map_err(|_| Abort)?;
        let b = self.d.get(start..).and_then(|s| s.get(..usize::from(size))).ok_or(Abort)?;
        Ok(b.iter().fold(0u32, |acc, &x| (acc << 8) | u32::from(x)))
    }

    fn x_iphdr(&self) -> Result<u64, Abort> {
        Ok(u64::from(self.load(u64::from(LINKPL), 1)? & 0x0f) * 4)
    }

    fn load_at(&self, l: &Load) -> Result<u32, Abort> {
        let base = match l.base {
            Base::Abs => 0,
            Base::IpX => self.x_iphdr()?,
        };
        self.load(base + u64::from(l.off), l.size)
    }
}

fn test(v: u32, t: Test) -> bool {
    match t {
        Test::Eq { mask, val } => v & mask == val,
        Test::Gt(k) => v > k,
        Test::Ge(k) => v >= k,
        Test::Set(bits) => v & bits != 0,
    }
}

impl Val {
    fn eval(&self, pkt: &Pkt) -> Result<u32, Abort> {
        Ok(match self {
            Val::Imm(n) => *n,
            Val::Len => pkt.wire_len,
            Val::Neg(x) => x.eval(pkt)?.wrapping_neg(),
            Val::Load { base, idx, k, size } => {
                let b = match base {
                    Base::Abs => 0,
                    Base::IpX => pkt.x_iphdr()?,
                };
                let i = u64::from(idx.eval(pkt)?);
                pkt.load(b + i + u64::from(*k), *size)?
            }
            Val::Bin(op, x, y) => {
                let a = x.eval(pkt)?;
                let b = y.eval(pkt)?;
                match op {
                    ArOp::Add => a.wrapping_add(b),
                    ArOp::Sub => a.wrapping_sub(b),
                    ArOp::Mul => a.wrapping_mul(b),
                    ArOp::Div => a.checked_div(b).ok_or(Abort)?,
                    ArOp::Mod => a.checked_rem(b).ok_or(Abort)?,
                    ArOp::And => a & b,
                    ArOp::Or => a | b,
                    ArOp::Xor => a ^ b,
                    ArOp::Lsh => a.checked_shl(b).unwrap_or(0),
                    ArOp::Rsh => a.checked_shr(b).unwrap_or(0),
                }
            }
        })
    }
}

impl Expr {
    /// Evaluates like the BPF machine (short-circuit, a load past the end
    /// aborts).
    fn eval(&self, pkt: &Pkt) -> Result<bool, Abort> {
        Ok(match self {
            Expr::And(a, b) => a.eval(pkt)? && b.eval(pkt)?,
            Expr::Or(a, b) => a.eval(pkt)? || b.eval(pkt)?,
            Expr::Not(a) => !a.eval(pkt)?,
            atom => atom.test_atom(pkt)?,
        })
    }

    /// Like [`Expr::eval`], recording each test made.
    fn eval_traced<'e>(&'e self, pkt: &Pkt, trail: &mut Vec<(&'e Expr, bool)>) -> Result<bool, Abort> {
        Ok(match self {
            Expr::And(a, b) => a.eval_traced(pkt, trail)? && b.eval_traced(pkt, trail)?,
            Expr::Or(a, b) => a.eval_traced(pkt, trail)? || b.eval_traced(pkt, trail)?,
            Expr::Not(a) => !a.eval_traced(pkt, trail)?,
            atom => {
                let v = atom.test_atom(pkt)?;
                trail.push((atom, v));
                v
            }
        })
    }

    fn test_atom(&self, pkt: &Pkt) -> Result<bool, Abort> {
        Ok(match self {
            Expr::And(..) | Expr::Or(..) | Expr::Not(..) => false,
            Expr::Cmp(l, t) => test(pkt.load_at(l)?, *t),
            Expr::LenCmp(t) => test(pkt.wire_len, *t),
            Expr::Bytes { off, bytes } => {
                let start = *off as usize;
                let got = pkt.d.get(start..start + bytes.len()).ok_or(Abort)?;
                got == bytes
            }
            Expr::Rel { op, a, b } => {
                let (x, y) = (a.eval(pkt)?, b.eval(pkt)?);
                match op {
                    Rel::Gt => x > y,
                    Rel::Ge => x >= y,
                    Rel::Eq => x == y,
                }
            }
        })
    }
}

/// Identity of a loaded quantity, for facts shared between tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    Load(Base, u32, u8, u32),
    Bytes(u32),
}

/// What a path through the program knows.
#[derive(Debug, Clone, Copy)]
enum Fact<'e> {
    Is(Key, u64),
    IsNot(Key, u64),
    /// The outcome of a test with no value to share (compared structurally).
    Test(&'e Expr, bool),
}

/// A filter expression being reasoned about: the compiled tree with some
/// tests replaced by their known outcome.
#[derive(Debug, Clone, PartialEq)]
enum Simp<'e> {
    Const(bool),
    Atom(&'e Expr),
    Not(Box<Simp<'e>>),
    And(Box<Simp<'e>>, Box<Simp<'e>>),
    Or(Box<Simp<'e>>, Box<Simp<'e>>),
}

impl<'e> Simp<'e> {
    fn of(e: &'e Expr) -> Simp<'e> {
        match e {
            Expr::And(a, b) => Simp::And(Box::new(Simp::of(a)), Box::new(Simp::of(b))),
            Expr::Or(a, b) => Simp::Or(Box::new(Simp::of(a)), Box::new(Simp::of(b))),
            Expr::Not(a) => Simp::Not(Box::new(Simp::of(a))),
            atom => Simp::Atom(atom),
        }
    }

    /// Replaces the tests `facts` decide and folds constants.
    fn simplify(&self, facts: &[Fact<'e>]) -> Simp<'e> {
        match self {
            Simp::Const(v) => Simp::Const(*v),
            Simp::Atom(a) => implied(a, facts).map_or(Simp::Atom(a), Simp::Const),
            Simp::Not(a) => match a.simplify(facts) {
                Simp::Const(v) => Simp::Const(!v),
                x => Simp::Not(Box::new(x)),
            },
            Simp::And(a, b) => match a.simplify(facts) {
                Simp::Const(false) => Simp::Const(false),
                Simp::Const(true) => b.simplify(facts),
                x => match b.simplify(facts) {
                    Simp::Const(false) => Simp::Const(false),
                    Simp::Const(true) => x,
                    y => Simp::And(Box::new(x), Box::new(y)),
                },
            },
            Simp::Or(a, b) => match a.simplify(facts) {
                Simp::Const(true) => Simp::Const(true),
                Simp::Const(false) => b.simplify(facts),
                x => match b.simplify(facts) {
                    Simp::Const(true) => Simp::Const(true),
                    Simp::Const(false) => x,
                    y => Simp::Or(Box::new(x), Box::new(y)),
                },
            },
        }
    }

    /// Evaluates in BPF order, skipping tests the path already decided and
    /// learning from the others. `Err(test)` names a test whose load ran
    /// off the frame.
    fn eval(&self, pkt: &Pkt, facts: &mut Vec<Fact<'e>>) -> Result<bool, &'e Expr> {
        Ok(match self {
            Simp::Const(v) => *v,
            Simp::Not(a) => !a.eval(pkt, facts)?,
            Simp::And(a, b) => a.eval(pkt, facts)? && b.eval(pkt, facts)?,
            Simp::Or(a, b) => a.eval(pkt, facts)? || b.eval(pkt, facts)?,
            Simp::Atom(a) => match implied(a, facts) {
                Some(v) => v,
                None => {
                    let v = a.test_atom(pkt).map_err(|Abort| *a)?;
                    facts.extend(fact_of(a, v));
                    v
                }
            },
        })
    }
}

impl Val {
    /// No load and no `len`: the same value for every frame.
    fn is_const(&self) -> bool {
        match self {
            Val::Imm(_) => true,
            Val::Len | Val::Load { .. } => false,
            Val::Neg(x) => x.is_const(),
            Val::Bin(_, x, y) => x.is_const() && y.is_const(),
        }
    }
}

/// The outcome of test `e` when `facts` decide it.
fn implied(e: &Expr, facts: &[Fact]) -> Option<bool> {
    match e {
        Expr::Rel { a, b, .. } if a.is_const() && b.is_const() => {
            return e.test_atom(&Pkt { d: &[], wire_len: 0 }).ok();
        }
        Expr::Cmp(l, Test::Eq { mask, val }) => {
            if val & !mask != 0 {
                return Some(false);
            }
            let k = Key::Load(l.base, l.off, l.size, *mask);
            let v = u64::from(*val);
            for f in facts {
                match *f {
                    Fact::Is(fk, fv) if fk == k => return Some(fv == v),
                    Fact::IsNot(fk, fv) if fk == k && fv == v => return Some(false),
                    _ => {}
                }
            }
            return None;
        }
        Expr::Cmp(l, t) => {
            let k = Key::Load(l.base, l.off, l.size, u32::MAX);
            let known = facts.iter().find_map(|f| match f {
                Fact::Is(fk, v) if *fk == k => u32::try_from(*v).ok(),
                _ => None,
            });
            if let Some(v) = known {
                return Some(test(v, *t));
            }
        }
        Expr::Bytes { off, bytes } => {
            let (k, v) = (Key::Bytes(*off), bytes_value(bytes));
            for f in facts {
                match *f {
                    Fact::Is(fk, fv) if fk == k => return Some(fv == v),
                    Fact::IsNot(fk, fv) if fk == k && fv == v => return Some(false),
                    _ => {}
                }
            }
            return None;
        }
        _ => {}
    }
    facts.iter().find_map(|f| match f {
        Fact::Test(t, v) if *t == e => Some(*v),
        _ => None,
    })
}

fn bytes_value(b: &[u8; 6]) -> u64 {
    b.iter().fold(0u64, |acc, &x| (acc << 8) | u64::from(x))
}

/// What learning that test `e` came out `v` adds to a path.
fn fact_of(e: &Expr, v: bool) -> Option<Fact<'_>> {
    Some(match e {
        Expr::Cmp(l, Test::Eq { mask, val }) => {
            let k = Key::Load(l.base, l.off, l.size, *mask);
            if v {
                Fact::Is(k, u64::from(*val))
            } else {
                Fact::IsNot(k, u64::from(*val))
            }
        }
        Expr::Bytes { off, bytes } => {
            let k = Key::Bytes(*off);
            if v {
                Fact::Is(k, bytes_value(bytes))
            } else {
                Fact::IsNot(k, bytes_value(bytes))
            }
        }
        Expr::Rel { a, b, .. } if a.is_const() && b.is_const() => return None,
        Expr::And(..) | Expr::Or(..) | Expr::Not(..) => return None,
        atom => Fact::Test(atom, v),
    })
}

/// A small search over the tests of an expression, standing in for what
/// libpcap's optimizer can prove about a program: which verdicts a path can
/// still reach given what it knows. Equal tests share their outcome and
/// equality tests on the same load share its value.
struct Solver {
    steps: u32,
    /// Nesting of branch points, bounded like the step count.
    depth: u32,
}

/// Deepest nesting of branch points the solver explores.
const SOLVER_DEPTH: u32 = 128;

/// Search budget per question; past it the solver gives up (`None`).
const SOLVER_STEPS: u32 = 20_000;

impl Solver {
    /// Can `s` evaluate to `want` on a path knowing `facts`? `None` when
    /// the budget ran out.
    fn sat<'e>(s: &Simp<'e>, want: bool, facts: &[Fact<'e>]) -> Option<bool> {
        let mut solver = Solver { steps: 0, depth: 0 };
        let mut facts = facts.to_vec();
        solver.search(vec![(s, want)], &mut facts)
    }

    fn search<'e>(&mut self, mut goals: Vec<(&Simp<'e>, bool)>, facts: &mut Vec<Fact<'e>>) -> Option<bool> {
        loop {
            self.steps += 1;
            if self.steps > SOLVER_STEPS {
                return None;
            }
            let Some((s, want)) = goals.pop() else {
                return Some(true);
            };
            match s {
                Simp::Const(v) => {
                    if *v != want {
                        return Some(false);
                    }
                }
                Simp::Not(a) => goals.push((a, !want)),
                Simp::And(a, b) if want => {
                    goals.push((b, true));
                    goals.push((a, true));
                }
                Simp::Or(a, b) if !want => {
                    goals.push((b, false));
                    goals.push((a, false));
                }
                Simp::And(a, b) | Simp::Or(a, b) => {
                    // One operand decides, or the first has the other value
                    // and the second decides.
                    if self.depth >= SOLVER_DEPTH {
                        return None;
                    }
                    self.depth += 1;
                    let mut gave_up = false;
                    for alt in [vec![(&**a, want)], vec![(&**b, want), (&**a, !want)]] {
                        let mut g = goals.clone();
                        g.extend(alt);
                        let mark = facts.len();
                        match self.search(g, facts) {
                            Some(true) => {
                                self.depth -= 1;
                                return Some(true);
                            }
                            Some(false) => {}
                            None => gave_up = true,
                        }
                        facts.truncate(mark);
                    }
                    self.depth -= 1;
                    return if gave_up { None } else { Some(false) };
                }
                Simp::Atom(a) => match implied(a, facts) {
                    Some(v) if v != want => return Some(false),
                    Some(_) => {}
                    None => facts.extend(fact_of(a, want)),
                },
            }
        }
    }
}

/// The verdict of the optimized program on a frame where the plain
/// evaluation ran off the end: tests whose outcome cannot change the verdict
/// are skipped, any other test past the end rejects the frame.
fn optimized_verdict<'e>(e: &'e Expr, pkt: &Pkt, trail: &[(&'e Expr, bool)]) -> bool {
    let mut facts: Vec<Fact<'e>> = trail.iter().filter_map(|&(a, v)| fact_of(a, v)).collect();
    let mut cur = Simp::of(e);
    for _ in 0..64 {
        cur = cur.simplify(&facts);
        if let Simp::Const(v) = cur {
            return v;
        }
        match (Solver::sat(&cur, true, &facts), Solver::sat(&cur, false, &facts)) {
            (Some(true), Some(false)) => return true,
            (Some(false), _) => return false,
            _ => {}
        }
        let missing = match cur.eval(pkt, &mut facts) {
            Ok(v) => return v,
            Err(missing) => missing,
        };
        let mut with = facts.clone();
        with.extend(fact_of(missing, true));
        let if_true = cur.simplify(&with);
        let mut with = facts.clone();
        with.extend(fact_of(missing, false));
        let if_false = cur.simplify(&with);
        if if_true != if_false {
            return false;
        }
        cur = if_true;
    }
    false
}

impl fmt::Display for Filter {
    /// The expression as it was given.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Protocol names and aliases of /etc/protocols (Debian netbase), for `proto \\NAME`.
static IP_PROTOS: &[(&str, u8)] = &[
    ("AX.25", 93),
    ("CPHB", 73),
    ("DCCP", 33),
    ("DDP", 37),
    ("EGP", 8),
    ("EIGRP", 88),
    ("ENCAP", 98),
    ("ETHERIP", 97),
    ("Ethernet", 143),
    ("FC", 133),
    ("GGP", 3),
    ("GRE", 47),
    ("HIP", 139),
    ("HMP", 20),
    ("HOPOPT", 0),
    ("ICMP", 1),
    ("IDPR-CMTP", 38),
    ("IDRP", 45),
    ("IGMP", 2),
    ("IGP", 9),
    ("IP", 0),
    ("IP-ENCAP", 4),
    ("IPCOMP", 108),
    ("IPIP", 94),
    ("IPSEC-AH", 51),
    ("IPSEC-ESP", 50),
    ("IPv6", 41),
    ("IPv6-Frag", 44),
    ("IPv6-ICMP", 58),
    ("IPv6-NoNxt", 59),
    ("IPv6-Opts", 60),
    ("IPv6-Route", 43),
    ("ISIS", 124),
    ("ISO-TP4", 29),
    ("L2TP", 115),
    ("MPLS-in-IP", 137),
    ("Mobility-Header", 135),
    ("OSPFIGP", 89),
    ("PIM", 103),
    ("PUP", 12),
    ("RDP", 27),
    ("ROHC", 142),
    ("RSPF", 73),
    ("RSVP", 46),
    ("SCTP", 132),
    ("SKIP", 57),
    ("ST", 5),
    ("Shim6", 140),
    ("TCP", 6),
    ("UDP", 17),
    ("UDPLite", 136),
    ("VMTP", 81),
    ("VRRP", 112),
    ("WESP", 141),
    ("XNS-IDP", 22),
    ("XTP", 36),
    ("ah", 51),
    ("ax.25", 93),
    ("dccp", 33),
    ("ddp", 37),
    ("egp", 8),
    ("eigrp", 88),
    ("encap", 98),
    ("esp", 50),
    ("etherip", 97),
    ("ethernet", 143),
    ("fc", 133),
    ("ggp", 3),
    ("gre", 47),
    ("hip", 139),
    ("hmp", 20),
    ("hopopt", 0),
    ("icmp", 1),
    ("idpr-cmtp", 38),
    ("idrp", 45),
    ("igmp", 2),
    ("igp", 9),
    ("ip", 0),
    ("ipcomp", 108),
    ("ipencap", 4),
    ("ipip", 94),
    ("ipv6", 41),
    ("ipv6-frag", 44),
    ("ipv6-icmp", 58),
    ("ipv6-nonxt", 59),
    ("ipv6-opts", 60),
    ("ipv6-route", 43),
    ("isis", 124),
    ("iso-tp4", 29),
    ("l2tp", 115),
    ("manet", 138),
    ("mobility-header", 135),
    ("mpls-in-ip", 137),
    ("ospf", 89),
    ("pim", 103),
    ("pup", 12),
    ("rdp", 27),
    ("rohc", 142),
    ("rspf", 73),
    ("rsvp", 46),
    ("sctp", 132),
    ("shim6", 140),
    ("skip", 57),
    ("st", 5),
    ("tcp", 6),
    ("udp", 17),
    ("udplite", 136),
    ("vmtp", 81),
    ("vrrp", 112),
    ("wesp", 141),
    ("xns-idp", 22),
    ("xtp", 36),
];
/// Service names and aliases from /etc/services (Debian netbase): (name, tcp port, udp port), 0 = none.
static SERVICES: &[(&str, u16, u16)] = &[
    ("Clearcase", 0, 371),
    ("acr-nema", 104, 0),
    ("afpovertcp", 548, 0),
    ("afs3-bos", 0, 7007),
    ("afs3-callback", 0, 7001),
    ("afs3-fileserver", 0, 7000),
    ("afs3-kaserver", 0, 7004),
    ("afs3-prserver", 0, 7002),
    ("afs3-rmtsys", 0, 7009),
    ("afs3-update", 0, 7008),
    ("afs3-vlserver", 0, 7003),
    ("afs3-volser", 0, 7005),
    ("amanda", 10080, 0),
    ("amandaidx", 10082, 0),
    ("amidxtape", 10083, 0),
    ("amqp", 5672, 0),
    ("amqps", 5671, 0),
    ("asf-rmcp", 0, 623),
    ("asp", 27374, 27374),
    ("auth", 113, 0),
    ("authentication", 113, 0),
    ("babel", 0, 6696),
    ("bacula-dir", 9101, 0),
    ("bacula-fd", 9102, 0),
    ("bacula-sd", 9103, 0),
    ("bbs", 7000, 0),
    ("bgp", 179, 0),
    ("bgpd", 2605, 0),
    ("biff", 0, 512),
    ("binkp", 24554, 0),
    ("bootpc", 0, 68),
    ("bootps", 0, 67),
    ("canna", 5680, 0),
    ("cfengine", 5308, 0),
    ("chargen", 19, 19),
    ("cisco-sccp", 2000, 0),
    ("clc-build-daemon", 8990, 0),
    ("clearcase", 0, 371),
    ("cmd", 514, 0),
    ("cmip-agent", 164, 164),
    ("cmip-man", 163, 163),
    ("codaauth2", 370, 370),
    ("codasrv", 2432, 2432),
    ("codasrv-se", 2433, 2433),
    ("comsat", 0, 512),
    ("csync2", 30865, 0),
    ("cvspserver", 2401, 0),
    ("daap", 3689, 0),
    ("datametrics", 1645, 1645),
    ("daytime", 13, 13),
    ("db-lsp", 17500, 0),
    ("dcap", 22125, 0),
    ("dhcpv6-client", 0, 546),
    ("dhcpv6-server", 0, 547),
    ("dicom", 104, 0),
    ("dict", 2628, 0),
    ("dircproxy", 57000, 0),
    ("discard", 9, 9),
    ("distcc", 3632, 0),
    ("domain", 53, 53),
    ("domain-s", 853, 853),
    ("echo", 7, 7),
    ("epmap", 135, 0),
    ("epmd", 4369, 0),
    ("exec", 512, 0),
    ("f5-globalsite", 2792, 0),
    ("f5-iquery", 4353, 0),
    ("fax", 4557, 0),
    ("fido", 60179, 0),
    ("finger", 79, 0),
    ("font-service", 7100, 0),
    ("freeciv", 5556, 0),
    ("fsp", 0, 21),
    ("fspd", 0, 21),
    ("ftp", 21, 0),
    ("ftp-data", 20, 0),
    ("ftps", 990, 0),
    ("ftps-data", 989, 0),
    ("gdomap", 538, 538),
    ("gds-db", 3050, 0),
    ("gds_db", 3050, 0),
    ("git", 9418, 0),
    ("gnunet", 2086, 2086),
    ("gnutella-rtr", 6347, 6347),
    ("gnutella-svc", 6346, 6346),
    ("gopher", 70, 0),
    ("gpsd", 2947, 0),
    ("gris", 2135, 0),
    ("groupwise", 1677, 0),
    ("gsidcap", 22128, 0),
    ("gsiftp", 2811, 0),
    ("gsigatekeeper", 2119, 0),
    ("hkp", 11371, 0),
    ("hprop", 754, 0),
    ("http", 80, 0),
    ("http-alt", 8080, 0),
    ("https", 443, 443),
    ("hylafax", 4559, 0),
    ("iax", 0, 4569),
    ("icp", 0, 3130),
    ("icpv2", 0, 3130),
    ("ident", 113, 0),
    ("imap", 143, 0),
    ("imap2", 143, 0),
    ("imaps", 993, 0),
    ("ingreslock", 1524, 0),
    ("ipp", 631, 0),
    ("iprop", 2121, 0),
    ("ipsec-nat-t", 0, 4500),
    ("ipx", 0, 213),
    ("ircd", 6667, 0),
    ("ircs-u", 6697, 0),
    ("isakmp", 0, 500),
    ("iscsi-target", 3260, 0),
    ("isisd", 2608, 0),
    ("isns", 3205, 3205),
    ("iso-tsap", 102, 0),
    ("jabber-client", 5222, 0),
    ("jabber-server", 5269, 0),
    ("kamanda", 10081, 0),
    ("kdc", 750, 750),
    ("kerberos", 88, 88),
    ("kerberos-adm", 749, 0),
    ("kerberos-iv", 750, 750),
    ("kerberos-master", 751, 751),
    ("kerberos-sec", 88, 88),
    ("kerberos4", 750, 750),
    ("kerberos5", 88, 88),
    ("kerberos_master", 0, 751),
    ("kermit", 1649, 0),
    ("klogin", 543, 0),
    ("kpasswd", 464, 464),
    ("krb-prop", 754, 0),
    ("krb5", 88, 88),
    ("krb5_prop", 754, 0),
    ("krb_prop", 754, 0),
    ("krcmd", 544, 0),
    ("kshell", 544, 0),
    ("l2f", 0, 1701),
    ("l2tp", 0, 1701),
    ("ldap", 389, 389),
    ("ldaps", 636, 636),
    ("ldp", 646, 646),
    ("loc-srv", 135, 0),
    ("login", 513, 0),
    ("lotusnote", 1352, 0),
    ("lotusnotes", 1352, 0),
    ("lrrd", 4949, 0),
    ("mail", 25, 0),
    ("mailq", 174, 0),
    ("mdns", 0, 5353),
    ("microsoft-ds", 445, 0),
    ("moira-db", 775, 0),
    ("moira-update", 777, 0),
    ("moira-ureg", 0, 779),
    ("moira_db", 775, 0),
    ("moira_update", 777, 0),
    ("moira_ureg", 0, 779),
    ("mon", 2583, 2583),
    ("ms-sql-m", 0, 1434),
    ("ms-sql-s", 1433, 0),
    ("ms-wbt-server", 3389, 0),
    ("mtn", 4691, 0),
    ("munin", 4949, 0),
    ("mysql", 3306, 0),
    ("mysql-proxy", 6446, 0),
    ("nbd", 10809, 0),
    ("netbios-dgm", 0, 138),
    ("netbios-ns", 0, 137),
    ("netbios-ssn", 139, 0),
    ("netstat", 15, 0),
    ("nfs", 2049, 2049),
    ("nicname", 43, 0),
    ("nntp", 119, 0),
    ("nntps", 563, 0),
    ("nqs", 607, 0),
    ("nrpe", 5666, 0),
    ("nsca", 5667, 0),
    ("ntalk", 0, 518),
    ("ntp", 0, 123),
    ("ntske", 4460, 0),
    ("null", 9, 9),
    ("nut", 3493, 3493),
    ("old-radacct", 1646, 1646),
    ("old-radius", 1645, 1645),
    ("omniorb", 8088, 0),
    ("openvpn", 1194, 1194),
    ("ospf6d", 2606, 0),
    ("ospfapi", 2607, 0),
    ("ospfd", 2604, 0),
    ("passwd-server", 0, 752),
    ("passwd_server", 0, 752),
    ("pawserv", 345, 0),
    ("pop-3", 110, 0),
    ("pop3", 110, 0),
    ("pop3s", 995, 0),
    ("poppassd", 106, 0),
    ("portmapper", 111, 111),
    ("postgres", 5432, 0),
    ("postgresql", 5432, 0),
    ("predict", 0, 1210),
    ("printer", 515, 0),
    ("proofd", 1093, 0),
    ("ptp-event", 0, 319),
    ("ptp-general", 0, 320),
    ("puppet", 8140, 0),
    ("qmqp", 628, 0),
    ("qmtp", 209, 0),
    ("qotd", 17, 0),
    ("quote", 17, 0),
    ("radacct", 1813, 1813),
    ("radius", 1812, 1812),
    ("radius-acct", 1813, 1813),
    ("radmin-port", 4899, 0),
    ("readnews", 119, 0),
    ("redis", 6379, 0),
    ("remctl", 4373, 0),
    ("ripd", 2602, 0),
    ("ripngd", 2603, 0),
    ("rmiregistry", 1099, 0),
    ("rmtcfg", 1236, 0),
    ("rootd", 1094, 0),
    ("route", 0, 520),
    ("routed", 0, 520),
    ("router", 0, 520),
    ("rpc2portmap", 369, 369),
    ("rplay", 0, 5555),
    ("rptp", 5556, 0),
    ("rsync", 873, 0),
    ("rtcm-sc104", 2101, 2101),
    ("rtsp", 554, 554),
    ("sa-msg-port", 1646, 1646),
    ("saft", 487, 0),
    ("sane", 6566, 0),
    ("sane-port", 6566, 0),
    ("saned", 6566, 0),
    ("sge-execd", 6445, 0),
    ("sge-qmaster", 6444, 0),
    ("sge_execd", 6445, 0),
    ("sge_qmaster", 6444, 0),
    ("sgi-cad", 17004, 0),
    ("sgi-cmsd", 0, 17001),
    ("sgi-crsd", 0, 17002),
    ("sgi-gcd", 0, 17003),
    ("shell", 514, 0),
    ("sieve", 4190, 0),
    ("silc", 706, 0),
    ("sink", 9, 9),
    ("sip", 5060, 5060),
    ("sip-tls", 5061, 5061),
    ("skkserv", 1178, 0),
    ("smtp", 25, 0),
    ("smtps", 465, 0),
    ("smux", 199, 0),
    ("snmp", 161, 161),
    ("snmp-trap", 162, 162),
    ("snmptrap", 162, 162),
    ("snntp", 563, 0),
    ("snpp", 444, 0),
    ("socks", 1080, 0),
    ("source", 19, 19),
    ("spamd", 783, 0),
    ("spooler", 515, 0),
    ("ssh", 22, 0),
    ("ssmtp", 465, 0),
    ("submission", 587, 0),
    ("submissions", 465, 0),
    ("subversion", 3690, 0),
    ("sunrpc", 111, 111),
    ("supfiledbg", 1127, 0),
    ("supfilesrv", 871, 0),
    ("suucp", 4031, 0),
    ("svn", 3690, 0),
    ("svrloc", 427, 427),
    ("syslog", 514, 514),
    ("syslog-tls", 6514, 0),
    ("sysrqd", 4094, 0),
    ("systat", 11, 0),
    ("tacacs", 49, 49),
    ("talk", 0, 517),
    ("tap", 113, 0),
    ("tcpmux", 1, 0),
    ("telnet", 23, 0),
    ("telnets", 992, 0),
    ("tfido", 60177, 0),
    ("tftp", 0, 69),
    ("time", 37, 37),
    ("timserver", 37, 37),
    ("tinc", 655, 655),
    ("tproxy", 8081, 0),
    ("tsap", 102, 0),
    ("ttytst", 19, 19),
    ("untp", 119, 0),
    ("urd", 465, 0),
    ("users", 11, 0),
    ("uucp", 540, 0),
    ("uucpd", 540, 0),
    ("venus", 2430, 2430),
    ("venus-se", 2431, 2431),
    ("wais", 210, 0),
    ("webcache", 8080, 0),
    ("webmin", 10000, 0),
    ("who", 0, 513),
    ("whod", 0, 513),
    ("whois", 43, 0),
    ("wnn6", 22273, 0),
    ("www", 80, 0),
    ("x11", 6000, 0),
    ("x11-0", 6000, 0),
    ("x11-1", 6001, 0),
    ("x11-2", 6002, 0),
    ("x11-3", 6003, 0),
    ("x11-4", 6004, 0),
    ("x11-5", 6005, 0),
    ("x11-6", 6006, 0),
    ("x11-7", 6007, 0),
    ("xdmcp", 0, 177),
    ("xfs", 7100, 0),
    ("xinetd", 9098, 0),
    ("xmms2", 9667, 0),
    ("xmpp-client", 5222, 0),
    ("xmpp-server", 5269, 0),
    ("xtel", 1313, 0),
    ("xtelw", 1314, 0),
    ("z3950", 210, 0),
    ("zabbix-agent", 10050, 0),
    ("zabbix-trapper", 10051, 0),
    ("zebra", 2601, 0),
    ("zebrasrv", 2600, 0),
    ("zephyr-clt", 0, 2103),
    ("zephyr-hm", 0, 2104),
    ("zephyr-srv", 0, 2102),
    ("zope", 9673, 0),
    ("zope-ftp", 8021, 0),
    ("zserv", 346, 0),
];

#[cfg(test)]
mod tests {
    //! Expected matches and messages come from the real tcpdump 4.99.3 /
    //! libpcap 1.10.3: `tcpdump -r FILE -- EXPR` on a pcap of these frames,
    //! and `tcpdump -d -- EXPR` for the errors.

    use super::*;

    const ARP_REQ: &str = "ffffffffffffa2c7e510ef8a08060001080006040001a2c7e510ef8ac0a80101000000000000c0a80102";
    const ARP_REP: &str = "a2c7e510ef8aa23ed037594408060001080006040002a23ed0375944c0a80102a2c7e510ef8ac0a80101";
    const PING: &str = "a23ed0375944a2c7e510ef8a080045000054000140004001b754c0a80101c0a8010208009a93081600015555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555";
    const UNREACH: &str = "a2c7e510ef8aa23ed0375944080045000038000300004001f76ec0a80102c0a801010303607b0000000045000020000700004011af1bc0a801010a0000029c400035000c0000";
    const UDP: &str = "a23ed0375944a2c7e510ef8a080045000021000940004011b76fc0a80101c0a801029c40270f000d000068656c6c6f";
    const VXLAN: &str = "a23ed0375944a2c7e510ef8a08004500004e00090000401166940a0000010a000002b05d12b5003a00000800000000006400ffffffffffffa2c7e510ef8a08060001080006040001a2c7e510ef8ac0a80101000000000000c0a80102";
    const SYN: &str = "a23ed0375944a2c7e510ef8a08004500003c00014000400626b90a0000010a000002a8ca1f90000003e800000000a002faf000000000020405b40402080a000001000000000001030307";
    const SYNACK: &str = "a2c7e510ef8aa23ed037594408004500003c00004000400626ba0a0000020a0000011f90a8ca00001388000003e9a012fe8800000000020405b40402080a000002000000010001030307";
    const HTTP: &str = "a23ed0375944a2c7e510ef8a08004500004f00034000400626a40a0000010a000002a8ca1f90000003e900001389801801f6000000000101080a0000010100000200474554202f20485454502f312e310d0a486f73743a20780d0a0d0a";
    const NS6: &str = "3333ff10ef8aa2c7e510ef8a86dd6000000000183aff00000000000000000000000000000000ff0200000000000000000001ff10ef8a8700000000000000fe80000000000000a0c7e5fffe10ef8a";
    const PING6: &str = "a23ed0375944a2c7e510ef8a86dd6000000000403a4020010db800000000000000000000000120010db80000000000000000000000028000000012340001abababababababababababababababababababababababababababababababababababababababababababababababababababababababab";
    const UDP6: &str = "a23ed0375944a2c7e510ef8a86dd60000000000b11400000000000000000000000000000000100000000000000000000ffff0a00000113881389000b0000616263";
    const TCP6: &str = "a23ed0375944a2c7e510ef8a86dd60000000001406400000000000000000000000000a000001000100000000000100000000000000011388138900000007000000095012000a00000000";
    const FRAG6: &str = "a23ed0375944a2c7e510ef8a86dd6000000000182c4020010db800000000000000000000000120010db8000000000000000000000002110000010000000713881389001000006162636465666768";
    const IGMP: &str = "a23ed0375944a2c7e510ef8a0800460000200008000001023ab90a000001e0000016940400001164000000000000";
    const VLAN: &str = "ffffffffffffa2c7e510ef8a8100200a08060001080006040001a2c7e510ef8ac0a80101000000000000c0a80102";
    const UNKNOWN: &str =
        "a23ed0375944a2c7e510ef8a1234303132333435363738396162636465666768696a6b6c6d6e6f707172737475767778797a20007f";
    const SHORT_ARP: &str = "ffffffffffffa2c7e510ef8a0806000108000604";
    const RUNT: &str = "010203";
    const FRAG4: &str =
        "a23ed0375944a2c7e510ef8a08004500002400080003401166bc0a0000010a00000200000000000000000000000000000000";
    const SSH: &str = "a2c7e510ef8aa23ed037594408004500004800094000400626a50a0000020a0000010016a8cb0000000100000001501801f6000000005353482d322e302d4f70656e5353485f392e3270312044656269616e2d320d0a";

    /// Every frame above, in the order the pcap held them.
    const ALL: [&str; 21] = [
        ARP_REQ, SHORT_ARP, RUNT, PING, UNREACH, UDP, SSH, VXLAN, SYN, SYNACK, HTTP, FRAG4, IGMP, NS6, PING6, UDP6,
        TCP6, FRAG6, VLAN, UNKNOWN, ARP_REP,
    ];

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex")).collect()
    }

    #[test]
    fn matches_like_libpcap() {
        // Proves, frame by frame, the same verdicts as tcpdump for the
        // primitives, qualifier reuse (`host a or b`), byte-offset
        // expressions (`tcp[tcpflags]`, `tcp[((tcp[12]&0xf0)>>2):4]`), host
        // matching ARP sender/target, `port` skipping IPv6 fragments, and
        // VLAN-tagged frames matching nothing but link-level tests.
        let cases: &[(&str, &[&str])] = &[
            ("arp", &[ARP_REQ, ARP_REP, SHORT_ARP]),
            ("ip", &[PING, UNREACH, UDP, VXLAN, SYN, SYNACK, HTTP, IGMP, FRAG4, SSH]),
            ("ip6", &[NS6, PING6, UDP6, TCP6, FRAG6]),
            ("icmp", &[PING, UNREACH]),
            ("icmp6", &[NS6, PING6]),
            ("tcp", &[SYN, SYNACK, HTTP, TCP6, SSH]),
            ("udp", &[UDP, VXLAN, UDP6, FRAG6, FRAG4]),
            ("igmp", &[IGMP]),
            ("host 192.168.1.1", &[ARP_REQ, ARP_REP, PING, UNREACH, UDP]),
            ("src host 10.0.0.1", &[VXLAN, SYN, HTTP, IGMP, FRAG4]),
            ("dst 10.0.0.2", &[VXLAN, SYN, HTTP, FRAG4]),
            (
                "host 10.0.0.1 or 192.168.1.2",
                &[ARP_REQ, ARP_REP, PING, UNREACH, UDP, VXLAN, SYN, SYNACK, HTTP, IGMP, FRAG4, SSH],
            ),
            (
                "not host 10.0.0.1 and not 10.0.0.2",
                &[ARP_REQ, ARP_REP, PING, UNREACH, UDP, NS6, PING6, UDP6, TCP6, FRAG6, VLAN, UNKNOWN],
            ),
            ("net 10.0.0.0/8", &[VXLAN, SYN, SYNACK, HTTP, IGMP, FRAG4, SSH]),
            ("net 192.168", &[ARP_REQ, ARP_REP, PING, UNREACH, UDP]),
            ("src net 10.0.0.0 mask 255.255.255.0", &[VXLAN, SYN, SYNACK, HTTP, IGMP, FRAG4, SSH]),
            ("port 8080", &[SYN, SYNACK, HTTP]),
            ("tcp port 8080", &[SYN, SYNACK, HTTP]),
            ("udp port 4789", &[VXLAN]),
            ("src port 22", &[SSH]),
            ("dst port 8080 or 4789", &[VXLAN, SYN, HTTP]),
            ("portrange 4000-9000", &[VXLAN, SYN, SYNACK, HTTP, UDP6, TCP6]),
            ("port http-alt", &[SYN, SYNACK, HTTP]),
            ("port ssh or port domain", &[SSH]),
            (
                "ether host a2:c7:e5:10:ef:8a",
                &[
                    ARP_REQ, ARP_REP, PING, UNREACH, UDP, VXLAN, SYN, SYNACK, HTTP, NS6, PING6, UDP6, TCP6, FRAG6,
                    IGMP, VLAN, UNKNOWN, SHORT_ARP, FRAG4, SSH,
                ],
            ),
            ("ether src a2:3e:d0:37:59:44", &[ARP_REP, UNREACH, SYNACK, SSH]),
            ("ether dst ff:ff:ff:ff:ff:ff", &[ARP_REQ, VLAN, SHORT_ARP]),
            ("broadcast", &[ARP_REQ, VLAN, SHORT_ARP]),
            ("multicast", &[ARP_REQ, NS6, VLAN, SHORT_ARP, RUNT]),
            ("ip6 multicast", &[NS6]),
            ("less 60", &[ARP_REQ, ARP_REP, UDP, IGMP, VLAN, UNKNOWN, SHORT_ARP, RUNT, FRAG4]),
            ("greater 100", &[PING6]),
            ("ip proto 17", &[UDP, VXLAN, FRAG4]),
            ("ip6 proto 17", &[UDP6, FRAG6]),
            ("proto \\udp", &[UDP, VXLAN, UDP6, FRAG6, FRAG4]),
            ("ether proto \\arp", &[ARP_REQ, ARP_REP, SHORT_ARP]),
            ("tcp[tcpflags] & tcp-syn != 0", &[SYN, SYNACK]),
            ("tcp[tcpflags] & (tcp-syn|tcp-ack) = (tcp-syn|tcp-ack)", &[SYNACK]),
            ("tcp[((tcp[12] & 0xf0) >> 2):4] = 0x47455420", &[HTTP]),
            ("icmp[icmptype] = icmp-echo", &[PING]),
            ("icmp6[icmp6type] = icmp6-neighborsolicit", &[NS6]),
            ("ip[6:2] & 0x1fff != 0", &[FRAG4]),
            ("ip host 192.168.1.2", &[PING, UNREACH, UDP]),
            ("arp host 192.168.1.2", &[ARP_REQ, ARP_REP]),
            ("ip6 host 2001:db8::1", &[PING6, FRAG6]),
            ("ip6 net 2001:db8::/32", &[PING6, FRAG6]),
            ("tcp and (port 80 or port 8080)", &[SYN, SYNACK, HTTP]),
            ("not (tcp or udp or arp)", &[PING, UNREACH, NS6, PING6, IGMP, VLAN, UNKNOWN]),
            ("len >= 98 and ip", &[PING]),
            ("host 192.168.1.2 and (arp or icmp)", &[ARP_REQ, ARP_REP, PING, UNREACH]),
            (
                "",
                &[
                    ARP_REQ, ARP_REP, PING, UNREACH, UDP, VXLAN, SYN, SYNACK, HTTP, NS6, PING6, UDP6, TCP6, FRAG6,
                    IGMP, VLAN, UNKNOWN, SHORT_ARP, RUNT, FRAG4, SSH,
                ],
            ),
        ];
        for (expr, want) in cases {
            let f = Filter::parse(expr).unwrap_or_else(|e| panic!("{expr}: {e}"));
            for frame in ALL {
                assert_eq!(f.matches(&hex(frame)), want.contains(&frame), "{expr:?} on {frame}");
            }
        }
    }

    #[test]
    fn errors_read_like_tcpdump() {
        // Proves the message after "tcpdump: " for the usual mistakes:
        // syntax errors, unknown names, bad numbers and masks, illegal
        // qualifier combinations, and filters the optimizer proves empty.
        let cases = [
            ("host", "can't parse filter expression: syntax error"),
            ("foo", "can't parse filter expression: syntax error"),
            ("port foo", "unknown port 'foo'"),
            ("tcp port 99999", "illegal port number 99999 > 65535"),
            ("net 10.0.0.1/8", "non-network bits set in \"10.0.0.1/8\""),
            ("net 10.0.0.0/33", "mask length must be <= 32"),
            ("ether host zz", "unknown ether host 'zz'"),
            ("host foo.invalid", "unknown host 'foo.invalid'"),
            ("tcp and 10.0.0.1", "syntax error in filter expression"),
            ("tcp host 10.0.0.1", "'tcp' modifier applied to host"),
            ("icmp port 3", "illegal qualifier of 'port'"),
            ("udp port http", "port 'http' is tcp"),
            ("port 080", "number 080 contains non-octal digit"),
            ("host 300.1.1.1", "invalid IPv4 address '300.1.1.1'"),
            ("host fe80::/10", "Mask syntax for networks only"),
            ("ip host ::1", "'ip' modifier applied to ip6 host"),
            ("ether src 1:2:3:4:5", "bogus ethernet address 1:2:3:4:"),
            ("tcp[0]/0 = 1", "division by zero"),
            ("tcp[0] << 40 = 1", "shift by more than 31 bits"),
            ("udp[5:3] = 1", "data size must be 1, 2, or 4"),
            ("ip proto foo", "unknown ip proto 'foo'"),
            ("ip and arp", "expression rejects all packets"),
            ("port 99999 and (", "illegal port number 99999 > 65535"),
            ("gateway 10.0.0.1", "'gateway' requires a name"),
            ("(", "can't parse filter expression: syntax error"),
            ("tcp and", "can't parse filter expression: syntax error"),
            ("not", "can't parse filter expression: syntax error"),
            ("ip6 proto 6 and ip proto 6", "expression rejects all packets"),
            ("ether proto \\foo", "unknown ether proto 'foo'"),
            ("tcp proto 6", "'tcp proto' is bogus"),
            ("src port 80 and src 10.0.0.0/8", "Mask syntax for networks only"),
        ];
        for (expr, msg) in cases {
            let err = Filter::parse(expr).expect_err(expr);
            assert_eq!(err.to_string(), msg, "{expr}");
        }
    }

    #[test]
    fn empty_expression_accepts_everything() {
        // Proves `tcpdump` with no filter words sees every frame, even runts.
        let f = Filter::parse("  ").expect("empty is valid");
        assert!(ALL.iter().all(|fr| f.matches(&hex(fr))));
        assert!(f.matches(&[]));
    }

    #[test]
    fn out_of_bounds_loads_follow_the_optimizer() {
        // Proves BPF's rule that a load past the end rejects the frame, and
        // the optimizer's exception: a test whose outcome cannot change the
        // verdict is dropped (the runt matches a tautology, the short ARP
        // still matches `arp or tcp[100] = 0`). Checked with tcpdump.
        let runt = hex(RUNT);
        assert!(!Filter::parse("tcp[100] = 0").expect("valid").matches(&hex(SYN)));
        assert!(Filter::parse("not (tcp[20] = 1 and ip) or tcp[20] = 1 || not icmp").expect("valid").matches(&runt));
        assert!(!Filter::parse("ether broadcast or multicast").expect("valid").matches(&runt));
        assert!(Filter::parse("arp or tcp[100] = 0").expect("valid").matches(&hex(SHORT_ARP)));
        assert!(Filter::parse("tcp[20] = 1 or tcp").expect("valid").matches(&hex(HTTP)[..54]));
    }

    #[test]
    fn absurd_expressions_are_refused_not_crashed() {
        // Proves deep nesting and huge expressions end in an error (bison's
        // "memory exhausted") instead of exhausting the stack, while long
        // but reasonable chains still work.
        let deep = format!("{}tcp{}", "(".repeat(10_000), ")".repeat(10_000));
        assert_eq!(Filter::parse(&deep), Err(FilterError::TooComplex));
        let long = vec!["port 80"; 600].join(" or ");
        assert_eq!(Filter::parse(&long), Err(FilterError::TooComplex));
        let chain = vec!["port 8080"; 300].join(" or ");
        let f = Filter::parse(&chain).expect("300 alternatives");
        assert!(f.matches(&hex(SYN)));
        assert!(!f.matches(&hex(PING)));
    }

    #[test]
    fn never_panics_on_random_input() {
        // Proves parsing arbitrary text and matching arbitrary bytes return
        // normally: the parser only errors, the matcher only says no.
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let words = [
            "host",
            "10.0.0.1",
            "and",
            "or",
            "not",
            "(",
            ")",
            "tcp",
            "port",
            "80",
            "[",
            "]",
            ":",
            "ip",
            "ether",
            "src",
            "dst",
            "net",
            "/",
            "24",
            "&",
            "|",
            "=",
            "!=",
            ">",
            "-",
            "len",
            "0x50",
            "a:b:c:d:e:f",
            "fe80::1",
            "proto",
            "\\tcp",
            "tcp[13]",
            "icmp-echo",
            "broadcast",
            "%",
            "^",
            "<<",
            "99999",
        ];
        let filters: Vec<Filter> = [
            "tcp[tcpflags] & tcp-syn != 0",
            "host 10.0.0.1 or arp",
            "ip and udp[0:2] > 1000",
            "not (tcp[20] = 1 and ip) or tcp[20] = 1 || not icmp",
            "len - 14 > ip[2:2]",
        ]
        .iter()
        .map(|e| Filter::parse(e).expect("valid"))
        .collect();
        for _ in 0..3000 {
            let n = next() % 8;
            let expr: Vec<&str> = (0..n).map(|_| words[(next() % words.len() as u64) as usize]).collect();
            if let Ok(f) = Filter::parse(&expr.join(" ")) {
                let _ = f.matches(&hex(SYN));
            }
            let frame: Vec<u8> = (0..next() % 80).map(|_| next() as u8).collect();
            for f in &filters {
                let _ = f.matches(&frame);
            }
        }
    }
}
