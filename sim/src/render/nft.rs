//! `nft list ruleset|table|chain|set` as nft 1.0.6 prints native tables:
//! tab indentation, sets before chains, priority names (`filter`,
//! `dstnat`, `mangle - 5`), symbolic values (`established,related`,
//! `echo-request`, marks as `0x%08x`), `counter packets N bytes M`, and
//! `# handle N` comments with `-a`. Sets and maps (composite ones too) in
//! handle order with nft's line breaks in `elements = { ... }` (every
//! element of a concatenation on its own line, two addresses or sixteen
//! numbers per line), concatenations, `numgen`, byte rates in the largest
//! unit that divides them (`1 mbytes/second`), `quota ... used N` capped at
//! the quota, NAT flags (`random,persistent`).
//!
//! Also iptables-nft's tables ([`xt_table`], [`xt_chain`]): the native
//! expressions iptables-nft writes and its xt matches and targets as
//! nft's libxtables translation prints them, for the forms checked on the
//! kernel; any other form is an `Err` naming it, which `tools::nft` turns
//! into a refusal.

use crate::model::nf::Hook;
use crate::model::nft::{
    CSet, Chain, Data, DataType, Elem, Entry, Family, Form, Key, Nat, Reject, Rhs, Sel, Set, SetRef, SetType, Stmt,
    Table, Verdict,
};
use std::fmt::Write;
use std::net::Ipv4Addr;

/// The hook keyword.
pub fn hook_str(h: Hook) -> &'static str {
    match h {
        Hook::Prerouting => "prerouting",
        Hook::Input => "input",
        Hook::Forward => "forward",
        Hook::Output => "output",
        Hook::Postrouting => "postrouting",
    }
}

/// The standard priorities of the ip/inet families, with the hooks where
/// nft uses the name (`std_prios`).
const PRIOS: &[(&str, i32)] =
    &[("raw", -300), ("mangle", -150), ("dstnat", -100), ("filter", 0), ("security", 50), ("srcnat", 100)];

/// A priority as nft prints it: a standard name, a name with an offset
/// of at most 10, or the number.
pub fn prio_str(p: i32, hook: Hook) -> String {
    for &(name, v) in PRIOS {
        let ok = match name {
            "dstnat" => hook == Hook::Prerouting,
            "srcnat" => hook == Hook::Postrouting,
            _ => true,
        };
        if !ok {
            continue;
        }
        let off = p - v;
        if off == 0 {
            return name.to_string();
        }
        if off.abs() <= 10 {
            return format!("{name} {} {}", if off > 0 { '+' } else { '-' }, off.abs());
        }
    }
    p.to_string()
}

/// Names of `tcp flags` bits in print order.
pub const TCP_FLAGS: &[(&str, u32)] =
    &[("fin", 1), ("syn", 2), ("rst", 4), ("psh", 8), ("ack", 16), ("urg", 32), ("ecn", 64), ("cwr", 128)];
/// `ct state` names.
pub const CT_STATES: &[(&str, u32)] =
    &[("invalid", 1), ("established", 2), ("related", 4), ("new", 8), ("untracked", 64)];
/// `ct status` names.
pub const CT_STATUS: &[(&str, u32)] =
    &[("expected", 1), ("seen-reply", 2), ("assured", 4), ("confirmed", 8), ("snat", 16), ("dnat", 32), ("dying", 512)];
/// `icmp type` names.
pub const ICMP_TYPES: &[(&str, u32)] = &[
    ("echo-reply", 0),
    ("destination-unreachable", 3),
    ("source-quench", 4),
    ("redirect", 5),
    ("echo-request", 8),
    ("router-advertisement", 9),
    ("router-solicitation", 10),
    ("time-exceeded", 11),
    ("parameter-problem", 12),
    ("timestamp-request", 13),
    ("timestamp-reply", 14),
    ("info-request", 15),
    ("info-reply", 16),
    ("address-mask-request", 17),
    ("address-mask-reply", 18),
];
/// `reject with icmp type` names (codes).
pub const ICMP_CODES: &[(&str, u8)] = &[
    ("net-unreachable", 0),
    ("host-unreachable", 1),
    ("prot-unreachable", 2),
    ("port-unreachable", 3),
    ("net-prohibited", 9),
    ("host-prohibited", 10),
    ("admin-prohibited", 13),
];
/// `meta pkttype` names.
pub const PKTTYPES: &[(&str, u32)] = &[("host", 0), ("broadcast", 1), ("multicast", 2), ("other", 3)];
/// `meta l4proto` names.
pub const PROTOS: &[(&str, u32)] = &[("icmp", 1), ("igmp", 2), ("tcp", 6), ("udp", 17), ("gre", 47), ("sctp", 132)];
/// `fib daddr type` names.
pub const FIB_TYPES: &[(&str, u32)] =
    &[("unspec", 0), ("unicast", 1), ("local", 2), ("broadcast", 3), ("anycast", 4), ("multicast", 5)];

fn sym(table: &[(&str, u32)], v: u32) -> String {
    table.iter().find(|(_, x)| *x == v).map_or_else(|| v.to_string(), |(n, _)| (*n).to_string())
}

/// One value of a key.
fn scalar(key: Key, v: u32) -> String {
    match key {
        Key::IpSaddr | Key::IpDaddr => Ipv4Addr::from(v).to_string(),
        Key::IpProtocol | Key::L4proto => sym(PROTOS, v),
        Key::Protocol => {
            if v == 0x0800 {
                "ip".into()
            } else {
                format!("0x{v:04x}")
            }
        }
        Key::Nfproto => {
            if v == 2 {
                "ipv4".into()
            } else {
                v.to_string()
            }
        }
        Key::Mark | Key::CtMark => format!("0x{v:08x}"),
        Key::Pkttype => sym(PKTTYPES, v),
        Key::IcmpType => sym(ICMP_TYPES, v),
        Key::CtDirection => {
            if v == 0 {
                "original".into()
            } else {
                "reply".into()
            }
        }
        Key::FibDaddrType => sym(FIB_TYPES, v),
        Key::TcpFlags => bits(TCP_FLAGS, v),
        Key::CtState => bits(CT_STATES, v),
        Key::CtStatus => bits(CT_STATUS, v),
        _ => v.to_string(),
    }
}

fn bits(table: &[(&str, u32)], v: u32) -> String {
    let names: Vec<&str> = table.iter().filter(|(_, b)| v & b != 0).map(|(n, _)| *n).collect();
    names.join(",")
}

/// An element as written.
pub fn elem(key: Key, e: &Elem) -> String {
    match e.form {
        Form::Single => scalar(key, e.lo),
        Form::Prefix(len) => format!("{}/{len}", scalar(key, e.lo)),
        Form::Range => format!("{}-{}", scalar(key, e.lo), scalar(key, e.hi)),
    }
}

fn verdict(v: &Verdict) -> String {
    match v {
        Verdict::Accept => "accept".into(),
        Verdict::Drop => "drop".into(),
        Verdict::Continue => "continue".into(),
        Verdict::Return => "return".into(),
        Verdict::Jump(c) => format!("jump {c}"),
        Verdict::Goto(c) => format!("goto {c}"),
    }
}

fn ports(p: &Option<(u16, u16)>) -> String {
    match p {
        None => String::new(),
        Some((a, b)) if a == b => format!(":{a}"),
        Some((a, b)) => format!(":{a}-{b}"),
    }
}

/// One statement.
pub fn stmt(s: &Stmt) -> String {
    match s {
        Stmt::Match { key, neg, rhs: Rhs::AndEq { mask, val } } => {
            let op = if *neg { "!=" } else { "==" };
            format!("{} & {} {op} {}", key.as_str(), scalar(*key, *mask), scalar(*key, *val))
        }
        Stmt::MarkOp { ct, op, val } => {
            let k = if *ct { "ct mark" } else { "meta mark" };
            format!("{k} set {k} {op} 0x{val:08x}")
        }
        Stmt::Match { key, neg, rhs } => {
            let op = if *neg { "!= " } else { "" };
            let r = match rhs {
                Rhs::Value(es) if key.is_bitmask() => scalar(*key, es.iter().fold(0, |a, e| a | e.lo)),
                Rhs::Exact(v) if *neg => scalar(*key, *v),
                Rhs::Exact(v) => format!("== {}", scalar(*key, *v)),
                Rhs::Value(es) => es.iter().map(|e| elem(*key, e)).collect::<Vec<_>>().join(","),
                Rhs::Set(es) => format!("{{ {} }}", es.iter().map(|e| elem(*key, e)).collect::<Vec<_>>().join(", ")),
                Rhs::Named(n) => format!("@{n}"),
                Rhs::Name(n) => format!("\"{n}\""),
                Rhs::Masked { val, mask } => format!("{} / {}", scalar(*key, *val), scalar(*key, *mask)),
                Rhs::AndEq { .. } => String::new(),
            };
            format!("{} {op}{r}", key.as_str())
        }
        Stmt::Counter { packets, bytes } => format!("counter packets {packets} bytes {bytes}"),
        Stmt::Verdict(v) => verdict(v),
        Stmt::Vmap(key, es) => {
            let list: Vec<String> = es.iter().map(|(e, v)| format!("{} : {}", elem(*key, e), verdict(v))).collect();
            format!("{} vmap {{ {} }}", key.as_str(), list.join(", "))
        }
        Stmt::Reject(Reject::Default) | Stmt::Reject(Reject::Icmp(3)) => "reject".into(),
        Stmt::Reject(Reject::Icmp(c)) => {
            let name = ICMP_CODES.iter().find(|(_, x)| x == c).map_or_else(|| c.to_string(), |(n, _)| (*n).into());
            format!("reject with icmp {name}")
        }
        Stmt::Reject(Reject::TcpReset) => "reject with tcp reset".into(),
        Stmt::Nat(Nat::Masquerade(p)) => match p {
            None => "masquerade".into(),
            Some(_) => format!("masquerade to {}", ports(p)),
        },
        Stmt::Nat(Nat::Snat(a, p, ip)) => format!("snat {}to {a}{}", if *ip { "ip " } else { "" }, ports(p)),
        Stmt::Nat(Nat::Dnat(a, p, ip)) => format!("dnat {}to {a}{}", if *ip { "ip " } else { "" }, ports(p)),
        Stmt::Nat(Nat::DnatMap(key, es, ip)) => {
            let list: Vec<String> = es.iter().map(|(e, a)| format!("{} : {a}", elem(*key, e))).collect();
            format!("dnat {}to {} map {{ {} }}", if *ip { "ip " } else { "" }, key.as_str(), list.join(", "))
        }
        Stmt::Nat(Nat::Redirect(p)) => match p {
            None => "redirect".into(),
            Some(_) => format!("redirect to {}", ports(p)),
        },
        Stmt::MarkSet(m) => format!("meta mark set 0x{m:08x}"),
        Stmt::CtMarkSet(m) => format!("ct mark set 0x{m:08x}"),
        Stmt::Notrack => "notrack".into(),
        Stmt::Log(prefix, level) => {
            let mut s = String::from("log");
            if let Some(p) = prefix {
                let _ = write!(s, " prefix \"{p}\"");
            }
            if let Some(l) = level {
                let _ = write!(s, " level {l}");
            }
            s
        }
        Stmt::Quota { over, bytes, used } => {
            let mut s = format!("quota {}{}", if *over { "over " } else { "" }, byte_rate(*bytes));
            // nft_quota_do_dump caps what it reports at the quota.
            if *used > 0 {
                let _ = write!(s, " used {}", byte_rate((*used).min(*bytes)));
            }
            s
        }
        Stmt::Nat(Nat::MasqueradeFlags(p, f)) => {
            let to = if p.is_some() { format!(" to {}", ports(p)) } else { String::new() };
            format!("masquerade{to} {}", nat_flags(f))
        }
        Stmt::Nat(Nat::Range(r)) => {
            let addr = match r.prefix {
                Some(len) => format!("{}/{len}", r.addr.0),
                None if r.addr.0 == r.addr.1 => r.addr.0.to_string(),
                None => format!("{}-{}", r.addr.0, r.addr.1),
            };
            let kw = if r.snat { "snat" } else { "dnat" };
            let mut s = format!("{kw} {}to {addr}{}", if r.ip { "ip " } else { "" }, ports(&r.ports));
            let f = nat_flags(&r.flags);
            if !f.is_empty() {
                let _ = write!(s, " {f}");
            }
            s
        }
        Stmt::Lookup { sel: sl, neg, set } => {
            format!("{} {}{}", sel(sl), if *neg { "!= " } else { "" }, set_ref(sl, set))
        }
        Stmt::MapVerdict(sl, set) => format!("{} vmap {}", sel(sl), set_ref(sl, set)),
        Stmt::DnatLookup(sl, set, ip) => {
            format!("dnat {}to {} map {}", if *ip { "ip " } else { "" }, sel(sl), set_ref(sl, set))
        }
        Stmt::Limit(l) => {
            let unit = match l.unit {
                1 => "second",
                60 => "minute",
                3600 => "hour",
                _ => "day",
            };
            let over = if l.over { "over " } else { "" };
            if l.bytes {
                let mut s = format!("limit rate {over}{}/{unit}", byte_rate(l.rate));
                if l.burst != 0 {
                    let _ = write!(s, " burst {}", byte_rate(u64::from(l.burst)));
                }
                return s;
            }
            let mut s = format!("limit rate {over}{}/{unit}", l.rate);
            if l.burst != 5 {
                let _ = write!(s, " burst {} packets", l.burst);
            }
            s
        }
    }
}

/// Bytes in the largest unit that divides them (nft's `get_rate`):
/// `1 mbytes`, `1025 kbytes`, `1000 bytes`.
fn byte_rate(mut n: u64) -> String {
    let units = ["bytes", "kbytes", "mbytes"];
    let mut i = 0;
    while n != 0 && i + 1 < units.len() && n.is_multiple_of(1024) {
        n /= 1024;
        i += 1;
    }
    format!("{n} {}", units[i])
}

/// NAT flags as nft lists them: `random,persistent`.
fn nat_flags(f: &crate::model::nft::NatFlags) -> String {
    let mut v = Vec::new();
    if f.random {
        v.push("random");
    }
    if f.random_fully {
        v.push("fully-random");
    }
    if f.persistent {
        v.push("persistent");
    }
    v.join(",")
}

/// A selector: keys joined by ` . `, or numgen.
fn sel(s: &Sel) -> String {
    match s {
        Sel::Keys(k) => k.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(" . "),
        Sel::Numgen(g) => {
            let mut t = format!("numgen {} mod {}", if g.inc { "inc" } else { "random" }, g.modulus);
            if g.offset != 0 {
                let _ = write!(t, " offset {}", g.offset);
            }
            t
        }
    }
}

/// One element of a composite set: fields by their keys, then the data.
fn entry(keys: &[Key], e: &Entry, numgen: bool) -> String {
    let mut t = e
        .key
        .iter()
        .zip(keys)
        .map(|(f, k)| if numgen { f.lo.to_string() } else { elem(*k, f) })
        .collect::<Vec<_>>()
        .join(" . ");
    if let Some(c) = &e.comment {
        let _ = write!(t, " comment \"{c}\"");
    }
    match &e.data {
        None => {}
        Some(Data::Verdict(v)) => {
            let _ = write!(t, " : {}", verdict(v));
        }
        Some(Data::Addr(a)) => {
            let _ = write!(t, " : {a}");
        }
    }
    t
}

/// `@name` or an anonymous set in a rule.
fn set_ref(s: &Sel, r: &SetRef) -> String {
    match r {
        SetRef::Named(n) => format!("@{n}"),
        SetRef::Anon(es) => {
            let (keys, numgen) = match s {
                Sel::Keys(k) => (k.clone(), false),
                Sel::Numgen(_) => (vec![Key::Mark], true),
            };
            let list: Vec<String> = es.iter().map(|e| entry(&keys, e, numgen)).collect();
            format!("{{ {} }}", list.join(", "))
        }
    }
}

/// The separator after the `count`th element of a named set's listing
/// (nft's `calculate_delim`): a new line after every element of a
/// concatenation, every second address, every sixteenth number.
fn delim(types: &[SetType], count: &mut usize) -> &'static str {
    const NEWLINE: &str = ",\n\t\t\t     ";
    let per_line = match types {
        [SetType::Ipv4Addr] => 2,
        [_] => 16,
        _ => 1,
    };
    *count += 1;
    if *count < per_line {
        return ", ";
    }
    *count = 0;
    NEWLINE
}

/// Elements joined as nft lists a named set's.
fn elements(types: &[SetType], items: &[String]) -> String {
    let mut t = String::new();
    let mut count = 0;
    for (k, i) in items.iter().enumerate() {
        if k > 0 {
            t.push_str(delim(types, &mut count));
        }
        t.push_str(i);
    }
    t
}

/// A composite set or named map block at one tab's depth.
pub fn cset(out: &mut String, s: &CSet, handles: bool) {
    let _ = write!(out, "\t{} {} {{", if s.data.is_some() { "map" } else { "set" }, s.name);
    handle(out, handles, s.handle);
    let key = match &s.typeof_key {
        Some(k) => format!("typeof {}", k.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(" . ")),
        None => format!("type {}", s.key.iter().map(|t| t.as_str()).collect::<Vec<_>>().join(" . ")),
    };
    let data = match &s.data {
        None => String::new(),
        Some((_, Some(k))) => format!(" : {}", k.as_str()),
        Some((DataType::Verdict, None)) => " : verdict".into(),
        Some((DataType::Ipv4Addr, None)) => " : ipv4_addr".into(),
    };
    let _ = writeln!(out, "\n\t\t{key}{data}");
    if s.interval {
        out.push_str("\t\tflags interval\n");
    }
    if let Some(c) = &s.comment {
        let _ = writeln!(out, "\t\tcomment \"{c}\"");
    }
    if !s.elems.is_empty() {
        let keys: Vec<Key> = s.key.iter().map(|t| set_type_key(*t)).collect();
        let mut sorted: Vec<&Entry> = s.elems.iter().collect();
        sorted.sort_by_cached_key(|e| msort_key(&s.key, e));
        let items: Vec<String> = sorted.iter().map(|e| entry(&keys, e, false)).collect();
        let _ = writeln!(out, "\t\telements = {{ {} }}", elements(&s.key, &items));
    }
    out.push_str("\t}\n");
}

/// nft 1.0.6's listing order of set elements (mergesort.c,
/// `expr_msort_value`): one field by its value; a concatenation by its
/// fields' bytes (each in its own byte order: addresses and ports big
/// endian, marks little endian) read as one host-endian (little-endian)
/// number, i.e. compared from the last byte back.
fn msort_key(types: &[SetType], e: &Entry) -> Vec<u8> {
    if let [_] = types {
        return e.key[0].lo.to_be_bytes().to_vec();
    }
    let mut b = Vec::new();
    for (f, t) in e.key.iter().zip(types) {
        match t {
            SetType::Ipv4Addr => b.extend(f.lo.to_be_bytes()),
            SetType::InetService => b.extend((f.lo as u16).to_be_bytes()),
            SetType::InetProto => b.push(f.lo as u8),
            SetType::Mark => b.extend(f.lo.to_le_bytes()),
        }
    }
    b.reverse();
    b
}

/// The key a set type's values print as.
fn set_type_key(t: SetType) -> Key {
    match t {
        SetType::Ipv4Addr => Key::IpSaddr,
        SetType::InetService => Key::ThDport,
        SetType::InetProto => Key::L4proto,
        SetType::Mark => Key::Mark,
    }
}

/// `nft list set|map` of a composite set or map: the table around it.
pub fn table_with_cset(out: &mut String, t: &Table, s: &CSet, handles: bool) {
    head(out, t.family, &t.name, false, t.handle);
    cset(out, s, handles);
    out.push_str("}\n");
}

/// `nft list sets` / `list maps` for one table: its sets (or maps), no
/// blank lines between.
pub fn table_sets(out: &mut String, t: &Table, maps: bool) {
    head(out, t.family, &t.name, false, t.handle);
    for (_, k, plain) in set_order(t) {
        match plain {
            true if !maps => set(out, &t.sets[k], false),
            false if t.csets[k].data.is_some() == maps => cset(out, &t.csets[k], false),
            _ => {}
        }
    }
    out.push_str("}\n");
}

/// A table's sets and composite sets by handle: (handle, index, plain).
fn set_order(t: &Table) -> Vec<(u64, usize, bool)> {
    let mut v: Vec<(u64, usize, bool)> = t.sets.iter().enumerate().map(|(k, s)| (s.handle, k, true)).collect();
    v.extend(t.csets.iter().enumerate().map(|(k, s)| (s.handle, k, false)));
    v.sort();
    v
}

fn handle(out: &mut String, handles: bool, h: u64) {
    if handles {
        let _ = write!(out, " # handle {h}");
    }
}

/// A set block at one tab's depth.
pub fn set(out: &mut String, s: &Set, handles: bool) {
    let _ = write!(out, "\tset {} {{", s.name);
    handle(out, handles, s.handle);
    let _ = writeln!(out, "\n\t\ttype {}", s.ty.as_str());
    if s.interval {
        out.push_str("\t\tflags interval\n");
    }
    if !s.elems.is_empty() {
        let key = match s.ty {
            crate::model::nft::SetType::Ipv4Addr => Key::IpSaddr,
            crate::model::nft::SetType::InetService => Key::ThDport,
            crate::model::nft::SetType::InetProto => Key::L4proto,
            crate::model::nft::SetType::Mark => Key::Mark,
        };
        let list: Vec<String> = s.elems.iter().map(|e| elem(key, e)).collect();
        let _ = writeln!(out, "\t\telements = {{ {} }}", elements(&[s.ty], &list));
    }
    out.push_str("\t}\n");
}

/// A chain block at one tab's depth.
pub fn chain(out: &mut String, c: &Chain, handles: bool) {
    let _ = write!(out, "\tchain {} {{", c.name);
    handle(out, handles, c.handle);
    out.push('\n');
    if let Some(b) = &c.base {
        let _ = writeln!(
            out,
            "\t\ttype {} hook {} priority {}; policy {};",
            b.ty.as_str(),
            hook_str(b.hook),
            prio_str(b.prio, b.hook),
            if b.drop { "drop" } else { "accept" }
        );
    }
    for r in &c.rules {
        out.push_str("\t\t");
        out.push_str(&r.stmts.iter().map(stmt).collect::<Vec<_>>().join(" "));
        if let Some(c) = &r.comment {
            let _ = write!(out, " comment \"{c}\"");
        }
        handle(out, handles, r.handle);
        out.push('\n');
    }
    out.push_str("\t}\n");
}

fn head(out: &mut String, family: Family, name: &str, handles: bool, h: u64) {
    let _ = write!(out, "table {} {name} {{", family.as_str());
    handle(out, handles, h);
    out.push('\n');
}

/// `nft list table`: sets, then chains, a blank line between blocks.
pub fn table(out: &mut String, t: &Table, handles: bool) {
    head(out, t.family, &t.name, handles, t.handle);
    if let Some(c) = &t.comment {
        let _ = writeln!(out, "\tcomment \"{c}\"");
    }
    let mut first = true;
    for (_, k, plain) in set_order(t) {
        if !first {
            out.push('\n');
        }
        first = false;
        if plain {
            set(out, &t.sets[k], handles);
        } else {
            cset(out, &t.csets[k], handles);
        }
    }
    for c in &t.chains {
        if !first {
            out.push('\n');
        }
        first = false;
        chain(out, c, handles);
    }
    out.push_str("}\n");
}

/// `nft list chain`: the table around one chain.
pub fn table_with_chain(out: &mut String, t: &Table, c: &Chain, handles: bool) {
    // nft prints no handle for the table around a listed chain.
    head(out, t.family, &t.name, false, t.handle);
    chain(out, c, handles);
    out.push_str("}\n");
}

/// `nft list set`: the table around one set.
pub fn table_with_set(out: &mut String, t: &Table, s: &Set, handles: bool) {
    head(out, t.family, &t.name, false, t.handle);
    set(out, s, handles);
    out.push_str("}\n");
}

/// How nft 1.0.6 shows one iptables-nft rule: the native expressions
/// iptables-nft writes (interfaces, addresses, protocol, tcp/udp ports),
/// then the xt matches as libxtables translates them, the counter every
/// iptables-nft rule has, and the target. Returns the text and whether
/// the rule holds an xt (compat) expression; `Err` names a form whose
/// printing was not checked on the kernel.
pub fn xt_rule(r: &crate::model::nf::Rule) -> Result<(String, bool), String> {
    use crate::model::nf::rule::{ConnmarkOp, CtStates, Inv, Match, MultiportDir, REJECT_TYPES};
    use crate::model::nf::Target;
    let mut parts: Vec<String> = Vec::new();
    let mut xt = false;
    let neg = |inv: bool| if inv { "!= " } else { "" };
    let iface = |kw: &str, i: &Inv<String>| {
        let name = match i.val.strip_suffix('+') {
            Some(p) => format!("{p}*"),
            None => i.val.clone(),
        };
        format!("{kw} {}\"{name}\"", neg(i.inv))
    };
    // iptables-nft's order: interfaces, protocol, addresses, then the
    // matches as given, the counter, the target.
    if let Some(i) = &r.in_iface {
        parts.push(iface("iifname", i));
    }
    if let Some(o) = &r.out_iface {
        parts.push(iface("oifname", o));
    }
    if r.fragment.is_some() {
        return Err("-f (fragments)".into());
    }
    // nft drops `meta l4proto P` when a tcp/udp payload match follows with
    // no xt expression in between (checked: `-m comment` or a bare `-m udp`
    // before the port keeps it).
    let is_payload = |m: &Match| match m {
        Match::Tcp(t) => t.sport.is_some() || t.dport.is_some() || t.flags.is_some(),
        Match::Udp(u) => u.sport.is_some() || u.dport.is_some(),
        _ => false,
    };
    let elided = r.matches.first().is_some_and(is_payload);
    if let Some(p) = &r.proto {
        if p.inv {
            return Err("! -p".into());
        }
        if p.val != 0 && !elided {
            let name = match p.val {
                6 => "tcp",
                17 => "udp",
                1 => "icmp",
                _ => return Err(format!("-p {}", p.val)),
            };
            parts.push(format!("meta l4proto {name}"));
        }
    }
    for (kw, a) in [("ip saddr", &r.src), ("ip daddr", &r.dst)] {
        if let Some(a) = a {
            let text = match a.val.prefix_len() {
                Some(32) => a.val.addr.to_string(),
                Some(n) => format!("{}/{n}", a.val.addr),
                None => return Err("an address with a non-prefix mask".into()),
            };
            parts.push(format!("{kw} {}{text}", neg(a.inv)));
        }
    }
    let range = |p: &crate::model::nf::rule::PortRange| {
        if p.lo == p.hi {
            p.lo.to_string()
        } else {
            format!("{}-{}", p.lo, p.hi)
        }
    };
    let ports = |proto: &str,
                 sport: &Option<Inv<crate::model::nf::rule::PortRange>>,
                 dport: &Option<Inv<crate::model::nf::rule::PortRange>>,
                 parts: &mut Vec<String>|
     -> Result<(), String> {
        if sport.is_some() && dport.is_some() {
            return Err("--sport with --dport".into());
        }
        for (kw, p) in [("sport", sport), ("dport", dport)] {
            if let Some(p) = p {
                parts.push(format!("{proto} {kw} {}{}", neg(p.inv), range(&p.val)));
            }
        }
        Ok(())
    };
    for m in &r.matches {
        match m {
            Match::Tcp(t) if t.option.is_none() => {
                if t.sport.is_none() && t.dport.is_none() && t.flags.is_none() {
                    // A bare `-m tcp`: an xt match with nothing to say.
                    xt = true;
                    parts.push(String::new());
                    continue;
                }
                ports("tcp", &t.sport, &t.dport, &mut parts)?;
                if let Some(f) = &t.flags {
                    if f.inv || t.sport.is_some() || t.dport.is_some() {
                        return Err("--tcp-flags with ports or inverted".into());
                    }
                    parts.push(format!(
                        "tcp flags {} / {}",
                        bits(TCP_FLAGS, u32::from(f.val.1)),
                        bits(TCP_FLAGS, u32::from(f.val.0))
                    ));
                }
            }
            Match::Udp(u) => {
                if u.sport.is_none() && u.dport.is_none() {
                    xt = true;
                    parts.push(String::new());
                    continue;
                }
                ports("udp", &u.sport, &u.dport, &mut parts)?;
            }
            Match::Icmp(i) if !i.inv && i.kind != 0xff && i.code == (0, 0xff) => {
                xt = true;
                parts.push(format!("icmp type {}", sym(ICMP_TYPES, u32::from(i.kind))));
            }
            Match::Conntrack(c)
                if c.proto.is_none()
                    && c.orig_src.is_none()
                    && c.orig_dst.is_none()
                    && c.repl_src.is_none()
                    && c.repl_dst.is_none()
                    && c.orig_src_port.is_none()
                    && c.orig_dst_port.is_none()
                    && c.repl_src_port.is_none()
                    && c.repl_dst_port.is_none()
                    && c.status.is_none()
                    && c.expire.is_none()
                    && c.dir_reply.is_none()
                    && c.state.is_some() =>
            {
                xt = true;
                let st = c.state.as_ref().map_or(Inv { inv: false, val: CtStates(0) }, |s| s.clone());
                parts.push(xt_states(&st)?);
            }
            Match::State(st) => {
                xt = true;
                parts.push(xt_states(st)?);
            }
            Match::Comment(_) => {
                xt = true;
                parts.push(String::new());
            }
            Match::Mark(mk) if !mk.inv || mk.mask != u32::MAX => {
                xt = true;
                parts.push(if mk.mask == u32::MAX {
                    format!("meta mark 0x{:08x}", mk.mark)
                } else {
                    let op = if mk.inv { "!=" } else { "==" };
                    format!("meta mark & 0x{:08x} {op} 0x{:08x}", mk.mask, mk.mark)
                });
            }
            Match::Connmark(mk) if !mk.inv && mk.mask == u32::MAX => {
                xt = true;
                parts.push(format!("ct mark 0x{:x}", mk.mark));
            }
            Match::Addrtype(a) if !a.limit_in && !a.limit_out => {
                let local = |t: &Option<Inv<u16>>| t.as_ref().map(|t| !t.inv && t.val == 1 << 2);
                match (local(&a.src), local(&a.dst)) {
                    (None, Some(true)) => parts.push("fib daddr type local".into()),
                    (Some(true), None) => parts.push("fib saddr type local".into()),
                    _ => return Err("-m addrtype other than --src-type or --dst-type LOCAL".into()),
                }
                xt = true;
            }
            Match::Multiport(mp) if !mp.inv && mp.dir == MultiportDir::Destination => {
                let proto = match r.proto.as_ref().map(|p| p.val) {
                    Some(6) => "tcp",
                    Some(17) => "udp",
                    _ => return Err("-m multiport without -p tcp|udp".into()),
                };
                xt = true;
                let list: Vec<String> = mp.ports.iter().map(range).collect();
                parts.push(format!("{proto} dport {{ {} }}", list.join(", ")));
            }
            Match::Physdev(_) => {
                // No translation in libxt_physdev: nft names the match.
                xt = true;
                parts.push("xt match physdev".into());
            }
            Match::Limit(l) if l.avg > 0 => {
                // iptables-nft hands the kernel a native limit: the rate
                // in the largest unit that keeps it whole (libxt_limit's
                // print_rate steps), burst shown when not nft's 5.
                let mults: [(u32, &str); 4] =
                    [(10_000 * 86_400, "day"), (10_000 * 3600, "hour"), (10_000 * 60, "minute"), (10_000, "second")];
                let mut i = 1;
                while i < mults.len() && !(l.avg > mults[i].0 || mults[i].0 / l.avg < mults[i].0 % l.avg) {
                    i += 1;
                }
                let (mult, unit) = mults[i - 1];
                let mut t = format!("limit rate {}/{unit}", mult / l.avg);
                if l.burst != 5 {
                    let _ = write!(t, " burst {} packets", l.burst);
                }
                parts.push(t);
            }
            Match::Statistic(st) if !st.nth && !st.inv => {
                xt = true;
                parts.push(format!("meta random & 2147483647 < {}", st.value));
            }
            other => return Err(format!("-m {}", xt_match_name(other))),
        }
    }
    let mut text = parts.join(" ");
    if !parts.is_empty() {
        text.push(' ');
    }
    let _ = write!(text, "counter packets {} bytes {}", r.counters.packets, r.counters.bytes);
    let nat_ports = |p: &Option<crate::model::nf::rule::PortRange>| p.as_ref().map(|p| format!(":{}", range(p)));
    let target = match &r.target {
        None => None,
        Some(Target::Accept) => Some("accept".to_string()),
        Some(Target::Drop) => Some("drop".into()),
        Some(Target::Return) => Some("return".into()),
        Some(Target::Jump(c)) => Some(format!("jump {c}")),
        Some(Target::Goto(c)) => Some(format!("goto {c}")),
        Some(t) => {
            xt = true;
            Some(match t {
                Target::Reject(k) => match REJECT_TYPES[*k].0 {
                    "icmp-port-unreachable" => "reject".to_string(),
                    "tcp-reset" => "reject with tcp reset".into(),
                    "icmp-proto-unreachable" => "reject with icmp type prot-unreachable".into(),
                    name => format!("reject with icmp type {}", name.trim_start_matches("icmp-")),
                },
                // libxt_MARK's translation, case by case.
                Target::Mark { mark, mask } => match (*mark, *mask) {
                    (0, m) => format!("meta mark set mark and 0x{:x}", !m),
                    (v, m) if v == m => format!("meta mark set mark or 0x{v:x}"),
                    (v, 0) => format!("meta mark set mark xor 0x{v:x}"),
                    (v, u32::MAX) => format!("meta mark set 0x{v:x}"),
                    (v, m) => format!("meta mark set mark and 0x{:x} xor 0x{v:x}", !m),
                },
                Target::Connmark(ConnmarkOp::Set { mark, mask }) if *mask == u32::MAX => {
                    format!("ct mark set 0x{mark:x}")
                }
                Target::Connmark(ConnmarkOp::Restore { nfmask: u32::MAX, ctmask: u32::MAX }) => {
                    "meta mark set ct mark".into()
                }
                Target::Connmark(ConnmarkOp::Save { nfmask: u32::MAX, ctmask: u32::MAX }) => "ct mark set mark".into(),
                Target::Snat(nr, f) | Target::Dnat(nr, f)
                    if *f == Default::default() && nr.base.is_none() && nr.addr.is_some_and(|(a, b)| a == b) =>
                {
                    let kw = if matches!(t, Target::Snat(..)) { "snat" } else { "dnat" };
                    let addr = nr.addr.map_or_else(String::new, |(a, _)| a.to_string());
                    format!("{kw} to {addr}{}", nat_ports(&nr.ports).unwrap_or_default())
                }
                Target::Masquerade { ports: p, flags } if !flags.random && !flags.persistent => {
                    let fully = if flags.random_fully { " fully-random" } else { "" };
                    match nat_ports(p) {
                        None => format!("masquerade{fully}"),
                        Some(p) => format!("masquerade to {p}{fully}"),
                    }
                }
                Target::Redirect { ports: p, random: false } => match nat_ports(p) {
                    None => "redirect".into(),
                    Some(p) => format!("redirect to {p}"),
                },
                Target::Log { level: 4, prefix: Some(p), flags: 0 } => format!("log prefix \"{p}\""),
                other => return Err(format!("-j {}", other.name())),
            })
        }
    };
    if let Some(t) = target {
        text.push(' ');
        text.push_str(&t);
    }
    Ok((text, xt))
}

/// `ct state` as libxt_conntrack's translation prints it: states in bit
/// order (invalid, new, related, established, untracked), `!` for `!`.
fn xt_states(st: &crate::model::nf::rule::Inv<crate::model::nf::rule::CtStates>) -> Result<String, String> {
    let names = [(1u8, "invalid"), (2, "new"), (4, "related"), (8, "established"), (16, "untracked")];
    if st.val.0 & !0x1f != 0 {
        return Err("--ctstate SNAT/DNAT".into());
    }
    let list: Vec<&str> = names.iter().filter(|(b, _)| st.val.0 & b != 0).map(|(_, n)| *n).collect();
    Ok(format!("ct state {}{}", if st.inv { "! " } else { "" }, list.join(",")))
}

/// The extension a refusal names: `-m`'s name, with what of it the
/// translation above lacks where only part is missing.
fn xt_match_name(m: &crate::model::nf::rule::Match) -> &'static str {
    use crate::model::nf::rule::Match;
    match m {
        Match::Tcp(_) => "tcp (flags or options)",
        Match::Icmp(_) => "icmp (inverted, any type or a code)",
        Match::Conntrack(_) => "conntrack (other than --ctstate)",
        Match::Mark(_) => "mark (inverted)",
        other => other.name(),
    }
}

/// Marks a line of `out` that nft writes to stderr (see [`xt_table`]).
pub const STDERR_LINE: char = '\u{1}';

/// An iptables-nft table as nft 1.0.6 lists it: chains in creation
/// order, base chains at iptables' priorities, and before it the warning
/// line nft prints on stderr when the table holds xt expressions (marked
/// with [`STDERR_LINE`] in `out`, so the two streams keep their order).
/// `Err` names the first rule form not checked.
pub fn xt_table(out: &mut String, t: &crate::model::nf::Table, x: &crate::model::nft::XtTable) -> Result<(), String> {
    xt_chains(out, t, x, None).map(|_| ())
}

/// `nft list chain` of an iptables-nft chain: the table around it, the
/// warning when the chain holds xt expressions. `Ok(false)` when the chain
/// does not exist in nf_tables (a built-in chain iptables-nft has not
/// created).
pub fn xt_chain(
    out: &mut String,
    t: &crate::model::nf::Table,
    x: &crate::model::nft::XtTable,
    chain: &str,
) -> Result<bool, String> {
    xt_chains(out, t, x, Some(chain))
}

fn xt_chains(
    out: &mut String,
    t: &crate::model::nf::Table,
    x: &crate::model::nft::XtTable,
    only: Option<&str>,
) -> Result<bool, String> {
    use crate::model::nf::TableName;
    let mut body = String::new();
    let mut any_xt = false;
    let mut first = true;
    let mut found = false;
    for (name, _) in x.chains.iter().filter(|(n, _)| only.is_none_or(|o| o == n)) {
        found = true;
        let (chain, base) = match t.builtin(name) {
            Some(b) => (&b.chain, Some(b)),
            None => match t.user.get(name) {
                Some(c) => (c, None),
                None => continue,
            },
        };
        if !first {
            body.push('\n');
        }
        first = false;
        let _ = writeln!(body, "\tchain {name} {{");
        if let Some(b) = base {
            let (ty, prio) = match (t.name, b.hook) {
                (TableName::Raw, _) => ("filter", -300),
                (TableName::Mangle, Hook::Output) => ("route", -150),
                (TableName::Mangle, _) => ("filter", -150),
                (TableName::Nat, Hook::Prerouting | Hook::Output) => ("nat", -100),
                (TableName::Nat, _) => ("nat", 100),
                (TableName::Filter, _) => ("filter", 0),
                (TableName::Security, _) => return Err("the security table".into()),
            };
            let policy = if b.policy == crate::model::nf::Policy::Drop { "drop" } else { "accept" };
            let _ = writeln!(
                body,
                "\t\ttype {ty} hook {} priority {}; policy {policy};",
                hook_str(b.hook),
                prio_str(prio, b.hook)
            );
        }
        for (i, r) in chain.rules.iter().enumerate() {
            let (text, xt) = xt_rule(r).map_err(|what| format!("rule {} of chain {name} ({what})", i + 1))?;
            any_xt |= xt;
            let _ = writeln!(body, "\t\t{text}");
        }
        body.push_str("\t}\n");
    }
    if any_xt {
        let _ = writeln!(
            out,
            "{STDERR_LINE}# Warning: table ip {} is managed by iptables-nft, do not touch!",
            t.name.as_str()
        );
    }
    let _ = writeln!(out, "table ip {} {{", t.name.as_str());
    if only.is_some() && !found {
        return Ok(false);
    }
    out.push_str(&body);
    out.push_str("}\n");
    Ok(true)
}
