//! `nft` (nftables 1.0.6) for the native tables of families `ip` and
//! `inet`: `add|create|delete|flush|list table|chain|rule|set|map|element`,
//! `insert rule`, `replace rule ... handle N`, `list ruleset|tables|sets|maps`,
//! `flush ruleset`, `-a`, `-f FILE` / `-f -`, and the block syntax
//! (`table ip t { chain c { type filter hook input priority 0; ... } }`).
//!
//! A command line or file is lexed with byte spans, parsed into commands,
//! and applied to a copy of the namespace's ruleset: one failing command
//! applies nothing (nft's batch is a transaction). Errors print as nft does:
//! `Error: Could not process rule: No such file or directory`, the command
//! (or `FILE:LINE:COL-COL:` and the line) and a caret line; exit status 1.
//!
//! iptables-nft's tables are nf_tables tables too: `nft list` shows them
//! (see `render::nft::xt_table`), `nft delete table` and `flush ruleset`
//! remove them; other changes to them through nft are refused.
//! [`restore_order`] and [`xt_note`] let the iptables dispatch record the
//! order their chains are created in.
//!
//! Sets and maps: plain one-type sets are `model::nft::Set`; sets with a
//! concatenated or `typeof` key and all named maps (`type A . B : verdict`,
//! `typeof ip daddr . tcp dport`, `: ipv4_addr`) are `CSet`s, their
//! elements sorted as nft lists them. Concatenations (`ip daddr . meta
//! l4proto . th dport vmap @M`), `numgen random|inc mod N` and named maps
//! parse into `Stmt::Lookup`/`MapVerdict`/`DnatLookup`; a rule naming a
//! set of the wrong type gets nft's `datatype mismatch` error. NAT ranges,
//! prefixes and flags (`snat to A-B:P-Q persistent`, `masquerade
//! fully-random`), `limit rate over`, byte limits, `quota [over]` and
//! `log level` are parsed here too.
//!
//! Not modelled (refused with a clear message): families ip6/arp/bridge/
//! netdev, `redirect` flags, `snat to ... map`, `log` flags/group,
//! `quota ... used`, `meter`, `jhash`, set timeouts/sizes/counters, map data
//! other than verdicts and IPv4 addresses, `-e -j -c -n`, `nft -a` and `list set` on
//! iptables-nft's tables, rule forms of theirs whose translation was not
//! checked. Syntax errors give bison's first phrase (`syntax error,
//! unexpected newline`) without its `expecting` list (a DIVERGENCE in
//! wording for some inputs).

use super::{Ctx, Outcome, ToolResult, Unsupported};
use crate::model::nf::Hook;
use crate::model::nft::{
    BaseChain, CSet, Chain, ChainType, Data, DataType, Elem, Entry, Family, Form, Key, Nat, NftState, Numgen, Reject,
    Rhs, Rule, Sel, Set, SetRef, SetType, Stmt, Table, Verdict,
};
use std::net::Ipv4Addr;

/// A token with its byte span in the buffer.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Tok {
    kind: Kind,
    start: usize,
    end: usize,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Kind {
    Word(String),
    Str(String),
    Punct(char),
    Neq,
    Newline,
    Eof,
}

fn lex(src: &str) -> Vec<Tok> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let word = |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'_' | b'*' | b'$');
    // nft's scanner takes `/` into a string that starts with a letter, `_`
    // or `.` (kube-proxy's chain names `service-X-ns/svc/tcp/p80`), not
    // into an address or number (`10.0.0.0/8`, `2/second`).
    let string_start = |c: u8| c.is_ascii_alphabetic() || matches!(c, b'.' | b'_');
    while i < b.len() {
        let c = b[i];
        let start = i;
        match c {
            b' ' | b'\t' | b'\r' => i += 1,
            b'\\' if b.get(i + 1) == Some(&b'\n') => i += 2,
            b'#' => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'\n' => {
                i += 1;
                out.push(Tok { kind: Kind::Newline, start, end: i });
            }
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += 1;
                }
                let s = src[start + 1..i.min(b.len())].to_string();
                i = (i + 1).min(b.len());
                out.push(Tok { kind: Kind::Str(s), start, end: i });
            }
            b'!' if b.get(i + 1) == Some(&b'=') => {
                i += 2;
                out.push(Tok { kind: Kind::Neq, start, end: i });
            }
            _ if word(c) => {
                let slash = string_start(c);
                while i < b.len() && (word(b[i]) || (slash && b[i] == b'/')) {
                    i += 1;
                }
                out.push(Tok { kind: Kind::Word(src[start..i].to_string()), start, end: i });
            }
            _ => {
                let ch = src[i..].chars().next().unwrap_or(' ');
                i += ch.len_utf8();
                out.push(Tok { kind: Kind::Punct(ch), start, end: i });
            }
        }
    }
    out.push(Tok { kind: Kind::Eof, start: b.len(), end: b.len() });
    out
}

/// An error at a span of the buffer.
#[derive(Debug)]
enum Fail {
    /// nft's own error: the message and the span it points at.
    Nft(String, usize, usize),
    /// Not modelled.
    Unsupported(String),
}

type PResult<T> = Result<T, Fail>;

// DIVERGENCE: bison's message for a syntax error goes on with
// `, expecting X or Y`, which depends on the parser state; netsim prints the
// first phrase only (the whole message where no list follows, as checked).
fn syntax(t: &Tok) -> Fail {
    let what = match &t.kind {
        Kind::Newline => "newline".to_string(),
        Kind::Eof => "end of file".to_string(),
        Kind::Str(_) => "quoted string".to_string(),
        Kind::Word(w) if w.chars().all(|c| c.is_ascii_digit()) => "number".to_string(),
        // Keywords bison names by their token.
        Kind::Word(w) if matches!(w.as_str(), "random" | "fully-random" | "persistent") => w.clone(),
        Kind::Word(_) => "string".to_string(),
        Kind::Neq => "!=".to_string(),
        Kind::Punct(c) => match c {
            ';' => "semicolon".into(),
            ':' => "colon".into(),
            ',' => "comma".into(),
            '{' => "'{'".into(),
            '}' => "'}'".into(),
            c => format!("'{c}'"),
        },
    };
    Fail::Nft(format!("syntax error, unexpected {what}"), t.start, t.end)
}

/// What a command names, with spans for error carets.
#[derive(Clone, Debug)]
struct Name {
    text: String,
    start: usize,
    end: usize,
}

#[derive(Clone, Debug)]
enum Obj {
    Table,
    Chain(Name),
    Set(Name),
    Map(Name),
}

/// A set or map declaration as written.
#[derive(Clone, Debug)]
struct SetDecl {
    key: Vec<SetType>,
    typeof_key: Option<Vec<Key>>,
    data: Option<(DataType, Option<Key>)>,
    interval: bool,
    comment: Option<String>,
    entries: Vec<RawEntry>,
}

/// An element as written: its fields and, for a map, its data.
#[derive(Clone, Debug)]
struct RawEntry {
    fields: Vec<RawElem>,
    data: Option<RawData>,
    comment: Option<String>,
}

#[derive(Clone, Debug)]
enum RawData {
    Verdict(Verdict),
    Word(RawElem),
}

#[derive(Clone, Debug)]
struct BaseSpec {
    ty: ChainType,
    hook: Hook,
    prio: i32,
    drop: bool,
}

#[derive(Clone, Debug)]
struct RuleSpec {
    stmts: Vec<Stmt>,
    /// Jump/goto targets with their spans.
    targets: Vec<Name>,
    /// Named sets used.
    sets: Vec<Name>,
    /// Anonymous sets and maps (each takes a handle).
    anon: usize,
    /// A `snat`/`dnat`: whether `ip` was written, and the keyword's span.
    nat: Option<(bool, usize, usize)>,
    /// The span of a `meta nfproto` (only useful in inet tables).
    nfproto: Option<(usize, usize)>,
    /// `comment "..."` at the end.
    comment: Option<String>,
    /// Selectors used with named sets: the set's name and the selector's
    /// span (for nft's datatype mismatch errors).
    sel_spans: Vec<(String, usize, usize)>,
}

#[derive(Clone, Debug)]
enum Cmd {
    AddTable { fam: Family, table: Name, create: bool },
    AddChain { fam: Family, table: Name, chain: Name, create: bool, base: Option<BaseSpec> },
    AddSet { fam: Family, table: Name, set: Name, create: bool, map: bool, decl: SetDecl },
    AddRule { fam: Family, table: Name, chain: Name, insert: bool, at: Option<(Pos, Name)>, rule: RuleSpec },
    ReplaceRule { fam: Family, table: Name, chain: Name, handle: Name, rule: RuleSpec },
    DeleteRule { fam: Family, table: Name, chain: Name, handle: Name },
    Elements { fam: Family, table: Name, set: Name, add: bool, elems: Vec<RawEntry> },
    Delete { fam: Family, table: Name, obj: Obj },
    Flush { fam: Family, table: Name, obj: Obj },
    List { fam: Family, table: Name, obj: Obj },
    ListRuleset,
    ListTables,
    ListSets { maps: bool },
    TableComment { fam: Family, table: Name, comment: String },
    FlushRuleset,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Pos {
    Handle,
    Position,
    Index,
}

struct Parser<'a> {
    toks: &'a [Tok],
    i: usize,
}

fn num(s: &str) -> Option<u64> {
    if let Some(h) = s.strip_prefix("0x") {
        u64::from_str_radix(h, 16).ok()
    } else {
        s.parse().ok()
    }
}

fn service(s: &str) -> Option<u32> {
    let v = match s {
        "ssh" => 22,
        "http" => 80,
        "https" => 443,
        "domain" => 53,
        "smtp" => 25,
        "ftp" => 21,
        "telnet" => 23,
        "ntp" => 123,
        _ => return num(s).filter(|v| *v <= 65535).map(|v| v as u32),
    };
    Some(v)
}

fn lookup(table: &[(&str, u32)], s: &str) -> Option<u32> {
    table.iter().find(|(n, _)| *n == s).map(|(_, v)| *v)
}

impl<'a> Parser<'a> {
    fn peek(&self) -> &'a Tok {
        &self.toks[self.i.min(self.toks.len() - 1)]
    }

    fn peek_at(&self, n: usize) -> &'a Tok {
        &self.toks[(self.i + n).min(self.toks.len() - 1)]
    }

    fn next(&mut self) -> &'a Tok {
        let t = self.peek();
        if self.i < self.toks.len() - 1 {
            self.i += 1;
        }
        t
    }

    fn is_word(&self, w: &str) -> bool {
        matches!(&self.peek().kind, Kind::Word(x) if x == w)
    }

    fn is_punct(&self, c: char) -> bool {
        self.peek().kind == Kind::Punct(c)
    }

    fn eat_word(&mut self, w: &str) -> bool {
        if self.is_word(w) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn eat_punct(&mut self, c: char) -> bool {
        if self.is_punct(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn expect_punct(&mut self, c: char) -> PResult<()> {
        if self.eat_punct(c) {
            Ok(())
        } else {
            Err(syntax(self.peek()))
        }
    }

    fn expect_word(&mut self, w: &str) -> PResult<()> {
        if self.eat_word(w) {
            Ok(())
        } else {
            Err(syntax(self.peek()))
        }
    }

    /// An identifier or quoted string.
    fn name(&mut self) -> PResult<Name> {
        let t = self.next();
        match &t.kind {
            Kind::Word(w) | Kind::Str(w) => Ok(Name { text: w.clone(), start: t.start, end: t.end }),
            _ => Err(syntax(t)),
        }
    }

    fn word(&mut self) -> PResult<(String, &'a Tok)> {
        let t = self.next();
        match &t.kind {
            Kind::Word(w) => Ok((w.clone(), t)),
            _ => Err(syntax(t)),
        }
    }

    fn skip_newlines(&mut self) {
        while matches!(self.peek().kind, Kind::Newline) || self.is_punct(';') {
            self.i += 1;
        }
    }

    fn at_end_of_stmt(&self) -> bool {
        matches!(self.peek().kind, Kind::Newline | Kind::Eof) || self.is_punct(';') || self.is_punct('}')
    }

    /// `[family] table-name`.
    fn family_table(&mut self) -> PResult<(Family, Name)> {
        let fam = match &self.peek().kind {
            Kind::Word(w) => match w.as_str() {
                "ip" => Some(Family::Ip),
                "inet" => Some(Family::Inet),
                "ip6" | "arp" | "bridge" | "netdev" => {
                    return Err(Fail::Unsupported(format!(
                        "nft family {w} is not modelled by netsim (families: ip, inet)"
                    )))
                }
                _ => None,
            },
            _ => None,
        };
        if fam.is_some() {
            self.i += 1;
        }
        Ok((fam.unwrap_or(Family::Ip), self.name()?))
    }

    fn commands(&mut self) -> PResult<Vec<Cmd>> {
        let mut out = Vec::new();
        loop {
            self.skip_newlines();
            if matches!(self.peek().kind, Kind::Eof) {
                return Ok(out);
            }
            self.command(&mut out)?;
            if !self.at_end_of_stmt() || self.is_punct('}') {
                return Err(syntax(self.peek()));
            }
        }
    }

    fn command(&mut self, out: &mut Vec<Cmd>) -> PResult<()> {
        let (verb, vt) = self.word()?;
        match verb.as_str() {
            "table" => {
                let (fam, table) = self.family_table()?;
                out.push(Cmd::AddTable { fam, table: table.clone(), create: false });
                if self.is_punct('{') {
                    self.table_block(fam, &table, out)?;
                }
                Ok(())
            }
            "add" | "create" | "insert" | "replace" | "delete" | "flush" | "list" | "destroy" => self.verb(&verb, out),
            "include" | "define" | "describe" | "monitor" | "export" | "import" | "reset" | "rename" => {
                Err(Fail::Unsupported(format!("nft {verb} is not modelled by netsim")))
            }
            _ => Err(syntax(vt)),
        }
    }

    fn verb(&mut self, verb: &str, out: &mut Vec<Cmd>) -> PResult<()> {
        let (what, wt) = self.word()?;
        let create = verb == "create";
        match (verb, what.as_str()) {
            ("list" | "flush", "ruleset") => {
                if matches!(&self.peek().kind, Kind::Word(_)) {
                    return Err(Fail::Unsupported("nft list|flush ruleset FAMILY is not modelled by netsim".into()));
                }
                out.push(if verb == "list" { Cmd::ListRuleset } else { Cmd::FlushRuleset });
            }
            ("list", "tables") => out.push(Cmd::ListTables),
            ("list", "sets" | "maps") => {
                if matches!(&self.peek().kind, Kind::Word(_)) {
                    return Err(Fail::Unsupported("nft list sets|maps FAMILY is not modelled by netsim".into()));
                }
                out.push(Cmd::ListSets { maps: what == "maps" });
            }
            ("add" | "create", "table") => {
                let (fam, table) = self.family_table()?;
                out.push(Cmd::AddTable { fam, table: table.clone(), create });
                if self.is_punct('{') {
                    self.table_block(fam, &table, out)?;
                }
            }
            ("add" | "create", "chain") => {
                let (fam, table) = self.family_table()?;
                let chain = self.name()?;
                let mut base = None;
                if self.eat_punct('{') {
                    base = self.chain_spec()?;
                    self.skip_newlines();
                    self.expect_punct('}')?;
                }
                out.push(Cmd::AddChain { fam, table, chain, create, base });
            }
            ("add" | "create", "set" | "map") => {
                let (fam, table) = self.family_table()?;
                let set = self.name()?;
                self.expect_punct('{')?;
                let map = what == "map";
                let decl = self.set_body(map)?;
                out.push(Cmd::AddSet { fam, table, set, create, map, decl });
            }
            ("add" | "insert", "rule") => {
                let (fam, table) = self.family_table()?;
                let chain = self.name()?;
                let mut at = None;
                for (kw, pos) in [("handle", Pos::Handle), ("position", Pos::Position), ("index", Pos::Index)] {
                    if self.eat_word(kw) {
                        at = Some((pos, self.name()?));
                        break;
                    }
                }
                if matches!(at, Some((Pos::Index, _))) {
                    return Err(Fail::Unsupported("nft add rule ... index N is not modelled by netsim".into()));
                }
                let rule = self.rule()?;
                out.push(Cmd::AddRule { fam, table, chain, insert: verb == "insert", at, rule });
            }
            ("replace", "rule") => {
                let (fam, table) = self.family_table()?;
                let chain = self.name()?;
                self.expect_word("handle")?;
                let handle = self.name()?;
                let rule = self.rule()?;
                out.push(Cmd::ReplaceRule { fam, table, chain, handle, rule });
            }
            ("delete", "rule") => {
                let (fam, table) = self.family_table()?;
                let chain = self.name()?;
                self.expect_word("handle")?;
                let handle = self.name()?;
                out.push(Cmd::DeleteRule { fam, table, chain, handle });
            }
            ("add" | "create" | "delete", "element") => {
                let (fam, table) = self.family_table()?;
                let set = self.name()?;
                self.expect_punct('{')?;
                let elems = self.raw_entry_list()?;
                out.push(Cmd::Elements { fam, table, set, add: verb != "delete", elems });
            }
            ("delete" | "flush" | "list", "table" | "chain" | "set" | "map") => {
                let (fam, table) = self.family_table()?;
                let obj = match what.as_str() {
                    "table" => Obj::Table,
                    "chain" => Obj::Chain(self.name()?),
                    "map" => Obj::Map(self.name()?),
                    _ => Obj::Set(self.name()?),
                };
                out.push(match verb {
                    "delete" => Cmd::Delete { fam, table, obj },
                    "flush" => Cmd::Flush { fam, table, obj },
                    _ => Cmd::List { fam, table, obj },
                });
            }
            ("list", "chains" | "counters" | "flowtables") | (_, "map" | "flowtable") => {
                return Err(Fail::Unsupported(format!("nft {verb} {what} is not modelled by netsim")))
            }
            _ => return Err(syntax(wt)),
        }
        Ok(())
    }

    /// `{ chain ... set ... }` after `table FAMILY NAME`.
    fn table_block(&mut self, fam: Family, table: &Name, out: &mut Vec<Cmd>) -> PResult<()> {
        self.expect_punct('{')?;
        let mut sets = Vec::new();
        let mut chains = Vec::new();
        let mut rules = Vec::new();
        loop {
            self.skip_newlines();
            if self.eat_punct('}') {
                break;
            }
            let (kw, kt) = self.word()?;
            match kw.as_str() {
                "chain" => {
                    let chain = self.name()?;
                    self.expect_punct('{')?;
                    let base = self.chain_spec()?;
                    chains.push(Cmd::AddChain { fam, table: table.clone(), chain: chain.clone(), create: false, base });
                    loop {
                        self.skip_newlines();
                        if self.eat_punct('}') {
                            break;
                        }
                        let rule = self.rule()?;
                        rules.push(Cmd::AddRule {
                            fam,
                            table: table.clone(),
                            chain: chain.clone(),
                            insert: false,
                            at: None,
                            rule,
                        });
                    }
                }
                "set" | "map" => {
                    let set = self.name()?;
                    self.expect_punct('{')?;
                    let map = kw == "map";
                    let decl = self.set_body(map)?;
                    sets.push(Cmd::AddSet { fam, table: table.clone(), set, create: false, map, decl });
                }
                "comment" => {
                    let c = self.name()?;
                    self.eat_punct(';');
                    out.push(Cmd::TableComment { fam, table: table.clone(), comment: c.text });
                }
                "flowtable" | "counter" | "quota" | "ct" | "flags" => {
                    return Err(Fail::Unsupported(format!("nft table block '{kw}' is not modelled by netsim")))
                }
                _ => return Err(syntax(kt)),
            }
        }
        // The order nft's batch allocates handles in (checked on the
        // kernel): chains, then sets, then rules.
        out.extend(chains);
        out.extend(sets);
        out.extend(rules);
        Ok(())
    }

    /// `type T hook H priority P; policy X;` inside a chain's braces (may
    /// be empty). Stops before the first rule or `}`.
    fn chain_spec(&mut self) -> PResult<Option<BaseSpec>> {
        let mut base: Option<BaseSpec> = None;
        loop {
            self.skip_newlines();
            if self.eat_word("type") {
                let (ty, tt) = self.word()?;
                let ty = match ty.as_str() {
                    "filter" => ChainType::Filter,
                    "nat" => ChainType::Nat,
                    "route" => ChainType::Route,
                    _ => return Err(Fail::Nft("Could not parse chain type".into(), tt.start, tt.end)),
                };
                self.expect_word("hook")?;
                let (hook, ht) = self.word()?;
                let hook = match hook.as_str() {
                    "prerouting" => Hook::Prerouting,
                    "input" => Hook::Input,
                    "forward" => Hook::Forward,
                    "output" => Hook::Output,
                    "postrouting" => Hook::Postrouting,
                    "ingress" | "egress" => {
                        return Err(Fail::Unsupported(format!("nft hook {hook} is not modelled by netsim")))
                    }
                    _ => return Err(Fail::Nft("unknown chain hook".into(), ht.start, ht.end)),
                };
                self.expect_word("priority")?;
                let prio = self.priority()?;
                base = Some(BaseSpec { ty, hook, prio, drop: false });
                self.eat_punct(';');
            } else if self.is_word("policy") {
                self.i += 1;
                let (p, pt) = self.word()?;
                let drop = match p.as_str() {
                    "accept" => false,
                    "drop" => true,
                    _ => return Err(syntax(pt)),
                };
                match &mut base {
                    Some(b) => b.drop = drop,
                    None => return Err(Fail::Nft("policy specified for non-base chain".into(), pt.start, pt.end)),
                }
                self.eat_punct(';');
            } else if self.is_word("comment") || self.is_word("device") || self.is_word("flags") {
                return Err(Fail::Unsupported("nft chain comment/device/flags are not modelled by netsim".into()));
            } else {
                return Ok(base);
            }
        }
    }

    fn priority(&mut self) -> PResult<i32> {
        let (w, t) = self.word()?;
        let std = |n: &str| match n {
            "raw" => Some(-300),
            "mangle" => Some(-150),
            "dstnat" => Some(-100),
            "filter" => Some(0),
            "security" => Some(50),
            "srcnat" => Some(100),
            _ => None,
        };
        if let Some(v) = std(&w) {
            if self.is_word("+") || self.is_word("-") || self.is_punct('+') {
                let neg = self.is_word("-");
                self.i += 1;
                let (o, ot) = self.word()?;
                let o: i32 = o.parse().map_err(|_| syntax(ot))?;
                return Ok(if neg { v - o } else { v + o });
            }
            return Ok(v);
        }
        w.parse::<i32>()
            .map_err(|_| Fail::Nft(format!("'{w}' is not a valid priority in this context."), t.start, t.end))
    }

    /// `type T [. T] [: D]; | typeof K [. K] [: K]; [flags interval;]
    /// [comment "C";] [elements = { ... }] }` of a set or map.
    fn set_body(&mut self, map: bool) -> PResult<SetDecl> {
        let mut d = SetDecl {
            key: Vec::new(),
            typeof_key: None,
            data: None,
            interval: false,
            comment: None,
            entries: Vec::new(),
        };
        loop {
            self.skip_newlines();
            if self.eat_punct('}') {
                break;
            }
            if self.eat_punct(';') {
                continue;
            }
            let (kw, kt) = self.word()?;
            match kw.as_str() {
                "type" => {
                    d.key = vec![self.set_type()?];
                    while self.eat_word(".") {
                        d.key.push(self.set_type()?);
                    }
                    if map && !self.is_punct(':') {
                        return Err(Fail::Nft(
                            "syntax error, unexpected semicolon, expecting colon or .".into(),
                            self.peek().start,
                            self.peek().end,
                        ));
                    }
                    if self.eat_punct(':') {
                        let (t, tt) = self.word()?;
                        d.data = Some(match t.as_str() {
                            "verdict" => (DataType::Verdict, None),
                            "ipv4_addr" => (DataType::Ipv4Addr, None),
                            _ => {
                                let _ = tt;
                                return Err(Fail::Unsupported(format!(
                                    "nft map data type {t} is not modelled by netsim (verdict, ipv4_addr)"
                                )));
                            }
                        });
                    }
                }
                "typeof" => {
                    let mut keys = Vec::new();
                    loop {
                        let t = self.peek().clone();
                        let Some(k) = self.key()? else { return Err(syntax(&t)) };
                        d.key.push(key_type(k).ok_or_else(|| {
                            Fail::Unsupported(format!("nft typeof {} is not modelled by netsim", k.as_str()))
                        })?);
                        keys.push(k);
                        if !self.eat_word(".") {
                            break;
                        }
                    }
                    d.typeof_key = Some(keys);
                    if self.eat_punct(':') {
                        if self.eat_word("verdict") {
                            d.data = Some((DataType::Verdict, None));
                        } else {
                            let t = self.peek().clone();
                            match self.key()? {
                                Some(k @ (Key::IpSaddr | Key::IpDaddr)) => d.data = Some((DataType::Ipv4Addr, Some(k))),
                                _ => {
                                    let _ = t;
                                    return Err(Fail::Unsupported(
                                        "nft typeof map data other than ip saddr|daddr is not modelled by netsim"
                                            .into(),
                                    ));
                                }
                            }
                        }
                    }
                }
                "flags" => {
                    let (f, _) = self.word()?;
                    if f != "interval" {
                        return Err(Fail::Unsupported(format!("nft set flags {f} are not modelled by netsim")));
                    }
                    d.interval = true;
                }
                "comment" => d.comment = Some(self.name()?.text),
                "elements" => {
                    self.expect_punct('=')?;
                    self.expect_punct('{')?;
                    d.entries = self.raw_entry_list()?;
                }
                "timeout" | "size" | "policy" | "counter" | "auto-merge" | "gc-interval" => {
                    return Err(Fail::Unsupported(format!("nft set {kw} is not modelled by netsim")))
                }
                _ => return Err(syntax(kt)),
            }
        }
        if d.key.is_empty() {
            let t = self.toks[self.i.saturating_sub(1)].clone();
            return Err(Fail::Nft("set definition does not specify key".into(), t.start, t.end));
        }
        if map && d.data.is_none() {
            let t = self.toks[self.i.saturating_sub(1)].clone();
            return Err(Fail::Nft("map definition does not specify mapping data type".into(), t.start, t.end));
        }
        Ok(d)
    }

    /// One set type keyword.
    fn set_type(&mut self) -> PResult<SetType> {
        let (t, _) = self.word()?;
        Ok(match t.as_str() {
            "ipv4_addr" => SetType::Ipv4Addr,
            "inet_service" => SetType::InetService,
            "inet_proto" => SetType::InetProto,
            "mark" => SetType::Mark,
            _ => {
                return Err(Fail::Unsupported(format!(
                    "nft set type {t} is not modelled by netsim (ipv4_addr, inet_service, inet_proto, mark)"
                )))
            }
        })
    }

    /// One element: fields joined by `.`, then `: DATA` for a map.
    fn raw_entry(&mut self) -> PResult<RawEntry> {
        let mut fields = vec![self.raw_elem()?];
        while self.eat_word(".") {
            fields.push(self.raw_elem()?);
        }
        let comment = if self.eat_word("comment") { Some(self.name()?.text) } else { None };
        if ["timeout", "expires", "counter"].iter().any(|w| self.is_word(w)) {
            return Err(Fail::Unsupported("nft element timeout/expires/counter are not modelled by netsim".into()));
        }
        let mut data = None;
        if self.eat_punct(':') {
            let mut targets = Vec::new();
            data = Some(match self.verdict_to(&mut targets)? {
                Some(v) => RawData::Verdict(v),
                None => RawData::Word(self.raw_elem()?),
            });
        }
        Ok(RawEntry { fields, data, comment })
    }

    /// Items separated by commas (newlines allowed) up to `}`, the `{`
    /// already read; a trailing comma is fine, as in nft.
    fn comma_list<T>(&mut self, mut item: impl FnMut(&mut Self) -> PResult<T>) -> PResult<Vec<T>> {
        let mut out = Vec::new();
        loop {
            self.skip_newlines();
            if self.eat_punct('}') {
                return Ok(out);
            }
            out.push(item(self)?);
            self.skip_newlines();
            if !self.eat_punct(',') {
                self.skip_newlines();
                self.expect_punct('}')?;
                return Ok(out);
            }
        }
    }

    /// Elements up to `}`, untyped.
    fn raw_entry_list(&mut self) -> PResult<Vec<RawEntry>> {
        self.comma_list(Self::raw_entry)
    }

    /// After a selector: `vmap { .. }|@M`, `[!=] { .. }|@S`.
    fn sel_stmt(&mut self, sel: Sel, r: &mut RuleSpec, start: usize) -> PResult<()> {
        let end = self.toks[self.i - 1].end;
        if let Kind::Word(n) = &self.peek_at(if self.is_word("vmap") { 2 } else { 1 }).kind {
            r.sel_spans.push((n.clone(), start, end));
        }
        let vmap = self.eat_word("vmap");
        let neg = !vmap && self.peek().kind == Kind::Neq;
        if neg {
            self.i += 1;
        }
        let set = self.set_ref(&sel, r, vmap)?;
        r.stmts.push(if vmap { Stmt::MapVerdict(sel, set) } else { Stmt::Lookup { sel, neg, set } });
        Ok(())
    }

    /// `@name` or `{ elements }` for a selector (with data when `map`).
    fn set_ref(&mut self, sel: &Sel, r: &mut RuleSpec, map: bool) -> PResult<SetRef> {
        if self.is_punct('@') {
            let at = self.next().start;
            let mut n = self.name()?;
            n.start = at;
            let text = n.text.clone();
            r.sets.push(n);
            return Ok(SetRef::Named(text));
        }
        if !self.eat_punct('{') {
            return Err(syntax(self.peek()));
        }
        let raw = self.raw_entry_list()?;
        let keys = sel_keys(sel);
        let mut out = Vec::new();
        for e in raw {
            if e.fields.len() != keys.len() || e.data.is_some() != map {
                let t = &e.fields[0];
                return Err(Fail::Nft("datatype mismatch".into(), t.start, t.end));
            }
            let key = e.fields.iter().zip(&keys).map(|(f, k)| f.to_elem(*k)).collect::<PResult<Vec<Elem>>>()?;
            let data = match e.data {
                None => None,
                Some(RawData::Verdict(v)) => {
                    if let Verdict::Jump(c) | Verdict::Goto(c) = &v {
                        r.targets.push(Name { text: c.clone(), start: 0, end: 0 });
                    }
                    Some(Data::Verdict(v))
                }
                Some(RawData::Word(w)) => Some(Data::Addr(w.text.parse().map_err(|_| {
                    Fail::Nft("Could not resolve hostname: Name or service not known".into(), w.start, w.end)
                })?)),
            };
            out.push(Entry { key, data, comment: e.comment });
        }
        r.anon += 1;
        Ok(SetRef::Anon(out))
    }

    /// Whether a concatenation (`KEY . KEY`) starts here.
    fn concat_ahead(&mut self) -> PResult<bool> {
        let at = self.i;
        let concat = self.key()?.is_some() && self.is_word(".");
        self.i = at;
        Ok(concat)
    }

    /// `numgen random|inc mod N [offset O]` after the word `numgen`.
    fn numgen(&mut self) -> PResult<Numgen> {
        let (m, mt) = self.word()?;
        let inc = match m.as_str() {
            "inc" => true,
            "random" => false,
            _ => return Err(syntax(mt)),
        };
        self.expect_word("mod")?;
        let (n, nt) = self.word()?;
        let modulus = num(&n).filter(|v| *v > 0 && *v <= u64::from(u32::MAX)).ok_or_else(|| syntax(nt))? as u32;
        let mut offset = 0;
        if self.eat_word("offset") {
            let (o, ot) = self.word()?;
            offset = num(&o).filter(|v| *v <= u64::from(u32::MAX)).ok_or_else(|| syntax(ot))? as u32;
        }
        Ok(Numgen { inc, modulus, offset, counter: modulus - 1 })
    }

    /// Elements up to `}`; parsed as the key's values, or kept as words
    /// when the set's type is known only when applied.
    fn elem_list(&mut self, key: Option<Key>) -> PResult<Vec<Elem>> {
        let key = key.unwrap_or(Key::IpSaddr);
        self.comma_list(|p| p.elem(key))
    }

    /// One value, prefix or range of a key.
    fn elem(&mut self, key: Key) -> PResult<Elem> {
        let raw = self.raw_elem()?;
        raw.to_elem(key)
    }

    /// An element's words, typed later (`add element` learns the set's
    /// type only when applied).
    fn raw_elem(&mut self) -> PResult<RawElem> {
        let t = self.next();
        let text = match &t.kind {
            Kind::Word(w) => w.clone(),
            _ => return Err(syntax(t)),
        };
        let mut len = None;
        let mut end = t.end;
        if self.is_punct('/') && text.contains('.') {
            self.i += 1;
            let (l, lt) = self.word()?;
            len = Some(l.parse::<u8>().ok().filter(|l| *l <= 32).ok_or_else(|| syntax(lt))?);
            end = lt.end;
        }
        Ok(RawElem { text, len, start: t.start, end })
    }

    /// A rule's statements up to the end of the line.
    fn rule(&mut self) -> PResult<RuleSpec> {
        let mut r = RuleSpec {
            stmts: Vec::new(),
            targets: Vec::new(),
            sets: Vec::new(),
            anon: 0,
            nat: None,
            nfproto: None,
            comment: None,
            sel_spans: Vec::new(),
        };
        if self.at_end_of_stmt() {
            return Err(syntax(self.peek()));
        }
        if self.is_word("comment") {
            let t = self.peek();
            return Err(Fail::Nft("syntax error, unexpected comment".into(), t.start, t.end));
        }
        while !self.at_end_of_stmt() {
            if self.eat_word("comment") {
                r.comment = Some(self.name()?.text);
                if !self.at_end_of_stmt() {
                    return Err(syntax(self.peek()));
                }
                break;
            }
            self.stmt(&mut r)?;
        }
        // nft drops a protocol match that a later payload match implies
        // (`meta l4proto tcp tcp dport 22` lists as `tcp dport 22`).
        let implied = |s: &Stmt| match s {
            Stmt::Match { key: Key::TcpSport | Key::TcpDport | Key::TcpFlags, .. } => Some(6),
            Stmt::Match { key: Key::UdpSport | Key::UdpDport, .. } => Some(17),
            Stmt::Match { key: Key::IcmpType, .. } => Some(1),
            Stmt::Vmap(Key::TcpDport | Key::TcpSport, _) => Some(6),
            Stmt::Vmap(Key::UdpDport | Key::UdpSport, _) => Some(17),
            _ => None,
        };
        let mut k = 0;
        while k < r.stmts.len() {
            let drop = match &r.stmts[k] {
                Stmt::Match { key: Key::L4proto | Key::IpProtocol, neg: false, rhs: Rhs::Value(v) } if v.len() == 1 => {
                    r.stmts.get(k + 1).and_then(implied) == Some(v[0].lo)
                }
                _ => false,
            };
            if drop {
                r.stmts.remove(k);
            } else {
                k += 1;
            }
        }
        Ok(r)
    }

    fn key(&mut self) -> PResult<Option<Key>> {
        let t = self.peek();
        let Kind::Word(w) = &t.kind else { return Ok(None) };
        let second = match &self.peek_at(1).kind {
            Kind::Word(x) => x.as_str(),
            _ => "",
        };
        let (key, n) = match (w.as_str(), second) {
            ("ip", "saddr") => (Key::IpSaddr, 2),
            ("ip", "daddr") => (Key::IpDaddr, 2),
            ("ip", "protocol") => (Key::IpProtocol, 2),
            ("meta", "l4proto") => (Key::L4proto, 2),
            ("meta", "protocol") => (Key::Protocol, 2),
            ("meta", "nfproto") => (Key::Nfproto, 2),
            ("meta", "mark") | ("mark", _) if w == "meta" || w == "mark" => {
                if w == "mark" {
                    (Key::Mark, 1)
                } else {
                    (Key::Mark, 2)
                }
            }
            ("meta", "pkttype") | ("pkttype", _) => (Key::Pkttype, if w == "meta" { 2 } else { 1 }),
            ("meta", "iif") | ("iif", _) => (Key::Iif, if w == "meta" { 2 } else { 1 }),
            ("meta", "oif") | ("oif", _) => (Key::Oif, if w == "meta" { 2 } else { 1 }),
            ("meta", "iifname") | ("iifname", _) => (Key::Iifname, if w == "meta" { 2 } else { 1 }),
            ("meta", "oifname") | ("oifname", _) => (Key::Oifname, if w == "meta" { 2 } else { 1 }),
            ("l4proto", _) => (Key::L4proto, 1),
            ("tcp", "sport") => (Key::TcpSport, 2),
            ("tcp", "dport") => (Key::TcpDport, 2),
            ("tcp", "flags") => (Key::TcpFlags, 2),
            ("udp", "sport") => (Key::UdpSport, 2),
            ("udp", "dport") => (Key::UdpDport, 2),
            ("th", "sport") => (Key::ThSport, 2),
            ("th", "dport") => (Key::ThDport, 2),
            ("icmp", "type") => (Key::IcmpType, 2),
            ("ct", "state") => (Key::CtState, 2),
            ("ct", "status") => (Key::CtStatus, 2),
            ("ct", "mark") => (Key::CtMark, 2),
            ("ct", "direction") => (Key::CtDirection, 2),
            ("fib", "daddr") => {
                if !matches!(&self.peek_at(2).kind, Kind::Word(x) if x == "type") {
                    return Err(Fail::Unsupported("nft fib: only 'fib daddr type' is modelled by netsim".into()));
                }
                (Key::FibDaddrType, 3)
            }
            _ => return Ok(None),
        };
        self.i += n;
        Ok(Some(key))
    }

    fn stmt(&mut self, r: &mut RuleSpec) -> PResult<()> {
        let t = self.peek();
        if let Some(key) = self.key()? {
            if self.is_word(".") {
                let mut keys = vec![key];
                while self.eat_word(".") {
                    let t = self.peek().clone();
                    keys.push(self.key()?.ok_or_else(|| syntax(&t))?);
                }
                return self.sel_stmt(Sel::Keys(keys), r, t.start);
            }
            if self.is_word("vmap") && self.peek_at(1).kind == Kind::Punct('@') {
                return self.sel_stmt(Sel::Keys(vec![key]), r, t.start);
            }
            if key == Key::Nfproto {
                r.nfproto = Some((t.start, self.toks[self.i - 1].end));
            }
            if matches!(key, Key::Mark | Key::CtMark) && self.is_word("set") {
                // `mark set mark or V`: the key again, an operator, a value.
                let at = self.i;
                self.i += 1;
                match self.key()? {
                    Some(k2) if k2 == key => {
                        let (o, ot) = match &self.peek().kind {
                            Kind::Word(w) => (w.clone(), self.peek().clone()),
                            Kind::Punct(c) => (c.to_string(), self.peek().clone()),
                            _ => return Err(syntax(self.peek())),
                        };
                        let op = match o.as_str() {
                            "or" | "|" => '|',
                            "xor" | "^" => '^',
                            "and" | "&" => '&',
                            _ => return Err(syntax(&ot)),
                        };
                        self.i += 1;
                        let (v, vt) = self.word()?;
                        let val = num(&v).filter(|v| *v <= u64::from(u32::MAX)).ok_or_else(|| syntax(vt))? as u32;
                        r.stmts.push(Stmt::MarkOp { ct: key == Key::CtMark, op, val });
                        return Ok(());
                    }
                    _ => self.i = at,
                }
            }
            if matches!(key, Key::Mark | Key::CtMark) && (self.is_word("and") || self.is_punct('&')) {
                // `mark and M == V` / `mark & M != V`.
                self.i += 1;
                let (m, mt) = self.word()?;
                let mask = num(&m).filter(|v| *v <= u64::from(u32::MAX)).ok_or_else(|| syntax(mt))? as u32;
                let neg = if self.peek().kind == Kind::Neq {
                    self.i += 1;
                    true
                } else {
                    self.expect_punct('=')?;
                    self.expect_punct('=')?;
                    false
                };
                let (v, vt) = self.word()?;
                let val = num(&v).filter(|v| *v <= u64::from(u32::MAX)).ok_or_else(|| syntax(vt))? as u32;
                r.stmts.push(Stmt::Match { key, neg, rhs: Rhs::AndEq { mask, val } });
                return Ok(());
            }
            if self.eat_word("set") {
                let (v, vt) = self.word()?;
                let v = num(&v).filter(|v| *v <= u64::from(u32::MAX)).ok_or_else(|| syntax(vt))? as u32;
                match key {
                    Key::Mark => r.stmts.push(Stmt::MarkSet(v)),
                    Key::CtMark => r.stmts.push(Stmt::CtMarkSet(v)),
                    _ => {
                        return Err(Fail::Unsupported(format!("nft '{} set' is not modelled by netsim", key.as_str())))
                    }
                }
                return Ok(());
            }
            if self.eat_word("vmap") {
                self.expect_punct('{')?;
                let mut entries = self.comma_list(|p| {
                    let e = p.elem(key)?;
                    p.expect_punct(':')?;
                    let v = p.verdict(r)?.ok_or_else(|| syntax(p.peek()))?;
                    Ok((e, v))
                })?;
                r.anon += 1;
                // The kernel keeps (and nft lists) a map's keys sorted.
                entries.sort_by_key(|(e, _)| (e.lo, e.hi));
                r.stmts.push(Stmt::Vmap(key, entries));
                return Ok(());
            }
            let mut eq = false;
            let neg = if self.peek().kind == Kind::Neq {
                self.i += 1;
                true
            } else {
                if self.is_punct('=') && self.peek_at(1).kind == Kind::Punct('=') {
                    self.i += 2;
                    eq = true;
                }
                false
            };
            if key == Key::TcpFlags && !neg && !eq && self.is_punct('&') {
                // `tcp flags & (A|B) == C|D`, listed as `C,D / A,B`.
                self.i += 1;
                self.expect_punct('(')?;
                let mask = self.flag_list('|')?;
                self.expect_punct(')')?;
                self.expect_punct('=')?;
                self.expect_punct('=')?;
                let val = self.flag_list('|')?;
                r.stmts.push(Stmt::Match { key, neg, rhs: Rhs::Masked { val, mask } });
                return Ok(());
            }
            let key_end = self.toks[self.i - 1].end;
            if self.is_punct('@') {
                if let Kind::Word(n) = &self.peek_at(1).kind {
                    r.sel_spans.push((n.clone(), t.start, key_end));
                }
            }
            let mut rhs = self.rhs(key, r)?;
            // `tcp flags A,B` matches any of the bits; `== A` and `!= A`
            // compare the whole byte (checked on the kernel).
            if key == Key::TcpFlags && (neg || eq) {
                if let Rhs::Value(es) = &rhs {
                    rhs = Rhs::Exact(es.iter().fold(0, |a, e| a | e.lo));
                }
            }
            r.stmts.push(Stmt::Match { key, neg, rhs });
            return Ok(());
        }
        if let Some(v) = self.verdict(r)? {
            r.stmts.push(Stmt::Verdict(v));
            return Ok(());
        }
        let (w, wt) = self.word()?;
        match w.as_str() {
            "counter" => {
                let (mut packets, mut bytes) = (0, 0);
                if self.eat_word("packets") {
                    let (p, pt) = self.word()?;
                    packets = num(&p).ok_or_else(|| syntax(pt))?;
                    self.expect_word("bytes")?;
                    let (b, bt) = self.word()?;
                    bytes = num(&b).ok_or_else(|| syntax(bt))?;
                }
                r.stmts.push(Stmt::Counter { packets, bytes });
            }
            "notrack" => r.stmts.push(Stmt::Notrack),
            "reject" => {
                let mut kind = Reject::Default;
                if self.eat_word("with") {
                    let (p, pt) = self.word()?;
                    match p.as_str() {
                        "tcp" => {
                            self.expect_word("reset")?;
                            kind = Reject::TcpReset;
                        }
                        "icmp" | "icmpx" => {
                            self.eat_word("type");
                            let (c, ct) = self.word()?;
                            let code = crate::render::nft::ICMP_CODES
                                .iter()
                                .find(|(n, _)| *n == c || (c == "no-route" && *n == "net-unreachable"))
                                .map(|(_, v)| *v)
                                .ok_or_else(|| {
                                    Fail::Nft(format!("Could not parse ICMP reject code: {c}"), ct.start, ct.end)
                                })?;
                            if p == "icmpx" {
                                return Err(Fail::Unsupported(
                                    "nft reject with icmpx is not modelled by netsim".into(),
                                ));
                            }
                            kind = Reject::Icmp(code);
                        }
                        _ => return Err(syntax(pt)),
                    }
                }
                r.stmts.push(Stmt::Reject(kind));
            }
            "masquerade" | "redirect" => {
                let mut ports = None;
                if self.eat_word("to") {
                    ports = Some(self.nat_ports_after(r, wt)?);
                }
                let flags = self.nat_flags()?;
                if flags != crate::model::nft::NatFlags::default() {
                    if w == "redirect" {
                        return Err(Fail::Unsupported("nft redirect flags are not modelled by netsim".into()));
                    }
                    r.stmts.push(Stmt::Nat(Nat::MasqueradeFlags(ports, flags)));
                    return Ok(());
                }
                r.stmts.push(Stmt::Nat(if w == "masquerade" { Nat::Masquerade(ports) } else { Nat::Redirect(ports) }));
            }
            "snat" | "dnat" => {
                let ip = self.eat_word("ip");
                // Checked when the table's family is known (see `nat_family`).
                r.nat = Some((ip, wt.start, wt.end));
                self.expect_word("to")?;
                let sel = if self.eat_word("numgen") {
                    Some(Sel::Numgen(self.numgen()?))
                } else if self.concat_ahead()? {
                    let t = self.peek().clone();
                    let mut keys = vec![self.key()?.ok_or_else(|| syntax(&t))?];
                    while self.eat_word(".") {
                        let t = self.peek().clone();
                        keys.push(self.key()?.ok_or_else(|| syntax(&t))?);
                    }
                    Some(Sel::Keys(keys))
                } else {
                    None
                };
                let at = self.i;
                let named = self.key()?.is_some() && self.eat_word("map") && self.is_punct('@');
                self.i = at;
                let single = if sel.is_none() && named {
                    let t = self.peek().clone();
                    Some(Sel::Keys(vec![self.key()?.ok_or_else(|| syntax(&t))?]))
                } else {
                    None
                };
                if let Some(sel) = sel.or(single) {
                    self.expect_word("map")?;
                    if w == "snat" {
                        return Err(Fail::Unsupported("nft snat to ... map is not modelled by netsim".into()));
                    }
                    let set = self.set_ref(&sel, r, true)?;
                    r.stmts.push(Stmt::DnatLookup(sel, set, ip));
                    return Ok(());
                }
                if let Some(key) = self.key()? {
                    self.expect_word("map")?;
                    self.expect_punct('{')?;
                    let mut entries = self.comma_list(|p| {
                        let e = p.elem(key)?;
                        p.expect_punct(':')?;
                        let (a, at) = p.word()?;
                        let a: Ipv4Addr = a.parse().map_err(|_| syntax(at))?;
                        Ok((e, a))
                    })?;
                    if w == "snat" {
                        return Err(Fail::Unsupported("nft snat to ... map is not modelled by netsim".into()));
                    }
                    r.anon += 1;
                    entries.sort_by_key(|(e, _)| (e.lo, e.hi));
                    r.stmts.push(Stmt::Nat(Nat::DnatMap(key, entries, ip)));
                    return Ok(());
                }
                let raw = self.raw_elem()?;
                let e = raw.to_elem(Key::IpDaddr)?;
                let ports = if self.is_punct(':') { Some(self.nat_ports_after(r, wt)?) } else { None };
                let flags = self.nat_flags()?;
                let a = Ipv4Addr::from(e.lo);
                if e.form == Form::Single && flags == crate::model::nft::NatFlags::default() {
                    r.stmts.push(Stmt::Nat(if w == "snat" {
                        Nat::Snat(a, ports, ip)
                    } else {
                        Nat::Dnat(a, ports, ip)
                    }));
                    return Ok(());
                }
                let prefix = match e.form {
                    Form::Prefix(len) => Some(len),
                    _ => None,
                };
                r.stmts.push(Stmt::Nat(Nat::Range(crate::model::nft::NatRange {
                    snat: w == "snat",
                    addr: (a, Ipv4Addr::from(e.hi)),
                    prefix,
                    ports,
                    flags,
                    ip,
                })));
            }
            "log" => {
                let mut prefix = None;
                if self.eat_word("prefix") {
                    prefix = Some(self.name()?.text);
                }
                let mut level = None;
                if self.eat_word("level") {
                    let (l, lt) = self.word()?;
                    const LEVELS: [&str; 9] =
                        ["emerg", "alert", "crit", "err", "warn", "notice", "info", "debug", "audit"];
                    if !LEVELS.contains(&l.as_str()) {
                        return Err(Fail::Nft(format!("invalid log level: {l}"), lt.start, lt.end));
                    }
                    // `warn` is the default and is not listed.
                    level = (l != "warn").then_some(l);
                }
                if ["flags", "group", "snaplen", "queue-threshold", "prefix", "level"].iter().any(|w| self.is_word(w)) {
                    return Err(Fail::Unsupported(
                        "nft log options other than prefix and level (or in another order) are not modelled by netsim"
                            .into(),
                    ));
                }
                r.stmts.push(Stmt::Log(prefix, level));
            }
            "limit" => {
                self.expect_word("rate")?;
                let over = self.eat_word("over");
                let (n, nt) = self.word()?;
                let mut rate = num(&n).filter(|v| *v > 0).ok_or_else(|| syntax(nt))?;
                // `kbytes/second` is one string to nft's scanner.
                let joined = match &self.peek().kind {
                    Kind::Word(w) => w.split_once('/').map(|(a, b)| (a.to_string(), b.to_string())),
                    _ => None,
                };
                let mut unit_word = None;
                let bytes = match joined {
                    Some((u, per)) => {
                        let ut = self.next();
                        let m = match u.as_str() {
                            "bytes" => 1,
                            "kbytes" => 1024,
                            "mbytes" => 1024 * 1024,
                            _ => return Err(syntax(ut)),
                        };
                        rate = rate.checked_mul(m).ok_or_else(|| syntax(nt))?;
                        unit_word = Some((per, ut));
                        true
                    }
                    None => match self.byte_unit() {
                        Some(m) => {
                            rate = rate.checked_mul(m).ok_or_else(|| syntax(nt))?;
                            true
                        }
                        None => false,
                    },
                };
                let (u, ut) = match unit_word {
                    Some(x) => x,
                    None => {
                        self.expect_punct('/')?;
                        self.word()?
                    }
                };
                let unit = match u.as_str() {
                    "second" => 1,
                    "minute" => 60,
                    "hour" => 3600,
                    "day" => 86400,
                    _ => return Err(syntax(ut)),
                };
                let mut burst = if bytes { 0 } else { 5 };
                if self.eat_word("burst") {
                    let (b, bt) = self.word()?;
                    let n = num(&b).filter(|v| *v > 0).ok_or_else(|| syntax(bt))?;
                    let n = if bytes {
                        let m = self.byte_unit().ok_or_else(|| syntax(self.peek()))?;
                        n.checked_mul(m)
                    } else {
                        self.expect_word("packets")?;
                        Some(n)
                    };
                    burst = n.filter(|v| *v <= u64::from(u32::MAX)).ok_or_else(|| syntax(bt))? as u32;
                }
                r.stmts.push(Stmt::Limit(crate::model::nft::Limit { rate, unit, burst, bucket: None, over, bytes }));
            }
            "quota" => {
                let over = self.eat_word("over");
                if !over {
                    self.eat_word("until");
                }
                let (n, nt) = self.word()?;
                let n = num(&n).ok_or_else(|| syntax(nt))?;
                let m = self.byte_unit().ok_or_else(|| syntax(self.peek()))?;
                if self.is_word("used") {
                    return Err(Fail::Unsupported("nft quota ... used is not modelled by netsim".into()));
                }
                let bytes = n.checked_mul(m).ok_or_else(|| syntax(nt))?;
                r.stmts.push(Stmt::Quota { over, bytes, used: 0 });
            }
            "numgen" => {
                let g = self.numgen()?;
                return self.sel_stmt(Sel::Numgen(g), r, wt.start);
            }
            "random" | "fully-random" | "persistent" => return Err(syntax(wt)),
            "meter" | "queue" | "dup" | "fwd" | "tproxy" | "synproxy" | "set" | "update" | "add" | "jhash"
            | "symhash" | "osf" | "socket" | "rt" | "ipsec" | "exthdr" | "tcpopt" | "comment" | "ether" | "vlan"
            | "arp" | "ip6" | "icmpv6" | "sctp" | "dccp" | "udplite" | "esp" | "ah" | "meta" | "ct" | "fib" | "ip"
            | "tcp" | "udp" | "th" | "icmp" => {
                let _ = t;
                return Err(Fail::Unsupported(format!(
                    "nft statement or expression '{w} ...' is not modelled by netsim (see README for what is)"
                )));
            }
            // bison takes an unknown word for a string and fails on what
            // follows it.
            _ => {
                let _ = wt;
                return Err(syntax(self.peek()));
            }
        }
        Ok(())
    }

    /// TCP flag names joined by `sep`, OR-ed.
    fn flag_list(&mut self, sep: char) -> PResult<u32> {
        let mut v = self.elem(Key::TcpFlags)?.lo;
        while self.eat_punct(sep) {
            v |= self.elem(Key::TcpFlags)?.lo;
        }
        Ok(v)
    }

    /// `bytes|kbytes|mbytes`: the multiplier.
    fn byte_unit(&mut self) -> Option<u64> {
        let m = match &self.peek().kind {
            Kind::Word(w) if w == "bytes" => 1,
            Kind::Word(w) if w == "kbytes" => 1024,
            Kind::Word(w) if w == "mbytes" => 1024 * 1024,
            _ => return None,
        };
        self.i += 1;
        Some(m)
    }

    /// NAT flags after the target: `random`, `fully-random`, `persistent`,
    /// joined by commas.
    fn nat_flags(&mut self) -> PResult<crate::model::nft::NatFlags> {
        let mut f = crate::model::nft::NatFlags::default();
        loop {
            if self.eat_word("random") {
                f.random = true;
            } else if self.eat_word("fully-random") {
                f.random_fully = true;
            } else if self.eat_word("persistent") {
                f.persistent = true;
            } else {
                return Ok(f);
            }
            if !self.eat_punct(',') {
                return Ok(f);
            }
        }
    }

    /// `:PORT[-PORT]` of a NAT statement whose keyword is at `kw`: nft
    /// accepts it only after a transport protocol match.
    fn nat_ports_after(&mut self, r: &RuleSpec, kw: &Tok) -> PResult<(u16, u16)> {
        let proto_known = r.stmts.iter().any(|s| {
            matches!(
                s,
                Stmt::Match {
                    key: Key::L4proto
                        | Key::IpProtocol
                        | Key::TcpSport
                        | Key::TcpDport
                        | Key::TcpFlags
                        | Key::UdpSport
                        | Key::UdpDport,
                    ..
                }
            )
        });
        let at = self.peek_at(1).clone();
        let ports = self.nat_ports()?;
        if !proto_known {
            return Err(Fail::Nft(
                format!(
                    "transport protocol mapping is only valid after transport protocol match\n~{}-{}",
                    kw.start, kw.end
                ),
                at.start,
                at.end,
            ));
        }
        Ok(ports)
    }

    fn nat_ports(&mut self) -> PResult<(u16, u16)> {
        self.expect_punct(':')?;
        let (p, pt) = self.word()?;
        let parse = |s: &str| s.parse::<u16>().ok();
        match p.split_once('-') {
            Some((a, b)) => Ok((parse(a).ok_or_else(|| syntax(pt))?, parse(b).ok_or_else(|| syntax(pt))?)),
            None => {
                let v = parse(&p).ok_or_else(|| syntax(pt))?;
                Ok((v, v))
            }
        }
    }

    fn verdict(&mut self, r: &mut RuleSpec) -> PResult<Option<Verdict>> {
        self.verdict_to(&mut r.targets)
    }

    /// A verdict, its jump target noted in `targets`.
    fn verdict_to(&mut self, targets: &mut Vec<Name>) -> PResult<Option<Verdict>> {
        let v = match &self.peek().kind {
            Kind::Word(w) => match w.as_str() {
                "accept" => Verdict::Accept,
                "drop" => Verdict::Drop,
                "continue" => Verdict::Continue,
                "return" => Verdict::Return,
                "jump" | "goto" => {
                    let jump = w == "jump";
                    self.i += 1;
                    let n = self.name()?;
                    targets.push(n.clone());
                    return Ok(Some(if jump { Verdict::Jump(n.text) } else { Verdict::Goto(n.text) }));
                }
                _ => return Ok(None),
            },
            _ => return Ok(None),
        };
        self.i += 1;
        Ok(Some(v))
    }

    fn rhs(&mut self, key: Key, r: &mut RuleSpec) -> PResult<Rhs> {
        if matches!(key, Key::Iifname | Key::Oifname | Key::Iif | Key::Oif) {
            let n = self.name()?;
            return Ok(Rhs::Name(n.text));
        }
        if self.is_punct('@') {
            let at = self.next().start;
            let mut n = self.name()?;
            let text = n.text.clone();
            n.start = at;
            r.sets.push(n);
            let n = Name { text, start: at, end: 0 };
            return Ok(Rhs::Named(n.text));
        }
        if self.eat_punct('{') {
            let mut elems = self.elem_list(Some(key))?;
            if elems.len() == 1 && elems[0].form == Form::Single {
                return Ok(Rhs::Value(elems));
            }
            r.anon += 1;
            // Sorted as the kernel keeps and nft lists them (checked:
            // `{ 80, 22 }` lists as `{ 22, 80 }`); an element inside another
            // is merged away (checked: `{ 10.0.0.0/8, 10.0.0.1 }` lists as
            // `{ 10.0.0.0/8 }`).
            sort_elems(&mut elems);
            let mut merged: Vec<Elem> = Vec::with_capacity(elems.len());
            for e in elems {
                match merged.last() {
                    Some(l) if l.lo <= e.lo && e.hi <= l.hi => {}
                    _ => merged.push(e),
                }
            }
            return Ok(Rhs::Set(merged));
        }
        let first = self.elem(key)?;
        if key == Key::TcpFlags {
            let mut val = first.lo;
            while self.eat_punct(',') {
                val |= self.elem(key)?.lo;
            }
            if !self.eat_punct('/') {
                return Ok(Rhs::Value(vec![Elem::one(val)]));
            }
            let mask = self.flag_list(',')?;
            return Ok(Rhs::Masked { val, mask });
        }
        let mut elems = vec![first];
        if key.is_bitmask() {
            while self.eat_punct(',') {
                elems.push(self.elem(key)?);
            }
        }
        Ok(Rhs::Value(elems))
    }
}

/// An element as written: a word and a prefix length.
#[derive(Clone, Debug)]
struct RawElem {
    text: String,
    len: Option<u8>,
    start: usize,
    end: usize,
}

impl RawElem {
    /// The element as a value, prefix or range of `key`.
    fn to_elem(&self, key: Key) -> PResult<Elem> {
        let text = &self.text;
        let bad = || match key {
            // nft falls back to a DNS lookup of what is not an address.
            Key::IpSaddr | Key::IpDaddr => {
                Fail::Nft("Could not resolve hostname: Name or service not known".into(), self.start, self.end)
            }
            // And to getservbyname for a port (getaddrinfo's EAI_SERVICE).
            _ if what(key) == "service" => Fail::Nft(
                "Could not resolve service: Servname not supported for ai_socktype".into(),
                self.start,
                self.end,
            ),
            _ => Fail::Nft(format!("Could not resolve {}: {text}", what(key)), self.start, self.end),
        };
        let one = |s: &str| -> Option<u32> { scalar(key, s) };
        if let Some(len) = self.len {
            if !matches!(key, Key::IpSaddr | Key::IpDaddr) {
                return Err(bad());
            }
            let a = one(text).ok_or_else(bad)?;
            let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
            return Ok(Elem { lo: a & mask, hi: (a & mask) | !mask, form: Form::Prefix(len) });
        }
        if let Some(v) = one(text) {
            return Ok(Elem::one(v));
        }
        // A range LO-HI (names like echo-request contain dashes too).
        for (k, _) in text.match_indices('-') {
            if let (Some(lo), Some(hi)) = (one(&text[..k]), one(&text[k + 1..])) {
                if lo > hi {
                    return Err(Fail::Nft("Range has zero or negative size".to_string(), self.start, self.end));
                }
                return Ok(Elem { lo, hi, form: Form::Range });
            }
        }
        Err(bad())
    }
}

fn what(key: Key) -> &'static str {
    match key {
        Key::IpSaddr | Key::IpDaddr => "IPv4 address",
        Key::TcpSport | Key::TcpDport | Key::UdpSport | Key::UdpDport | Key::ThSport | Key::ThDport => "service",
        _ => "value",
    }
}

/// A set type's key for parsing its elements.
fn set_key(t: SetType) -> Key {
    match t {
        SetType::Ipv4Addr => Key::IpSaddr,
        SetType::InetService => Key::ThDport,
        SetType::InetProto => Key::L4proto,
        SetType::Mark => Key::Mark,
    }
}

/// The set type of a key (`typeof`).
fn key_type(k: Key) -> Option<SetType> {
    Some(match k {
        Key::IpSaddr | Key::IpDaddr => SetType::Ipv4Addr,
        Key::TcpSport | Key::TcpDport | Key::UdpSport | Key::UdpDport | Key::ThSport | Key::ThDport => {
            SetType::InetService
        }
        Key::L4proto | Key::IpProtocol => SetType::InetProto,
        Key::Mark | Key::CtMark => SetType::Mark,
        _ => return None,
    })
}

/// The keys a selector's elements are parsed as (a number for numgen).
fn sel_keys(sel: &Sel) -> Vec<Key> {
    match sel {
        Sel::Keys(k) => k.clone(),
        Sel::Numgen(_) => vec![Key::Mark],
    }
}

/// How nft names a set type in its errors.
fn type_desc(t: SetType) -> &'static str {
    match t {
        SetType::Ipv4Addr => "IPv4 address",
        SetType::InetService => "internet network service",
        SetType::InetProto => "Internet protocol",
        SetType::Mark => "packet mark",
    }
}

/// An element of a composite set or map from its text.
fn typed_entry(s: &CSet, e: &RawEntry, delete: bool) -> PResult<Entry> {
    let t = &e.fields[0];
    let (start, end) = (t.start, e.fields[e.fields.len() - 1].end);
    if e.fields.len() != s.key.len() {
        let desc = |ts: &[SetType]| {
            let list: Vec<&str> = ts.iter().map(|t| type_desc(*t)).collect();
            match ts {
                [x] => type_desc(*x).to_string(),
                _ => format!("concatenation of ({})", list.join(", ")),
            }
        };
        let given = &s.key[..e.fields.len().min(s.key.len())];
        return Err(Fail::Nft(
            format!("datatype mismatch, expected {}, expression has type {}", desc(&s.key), desc(given)),
            start,
            end,
        ));
    }
    if s.data.is_none() && e.data.is_some() {
        return Err(Fail::Nft("netlink: Error: set is not a map".into(), start, end));
    }
    if s.data.is_some() && e.data.is_none() && !delete {
        return Err(Fail::Nft("Could not process rule: Invalid argument".into(), start, end));
    }
    let key = e.fields.iter().zip(&s.key).map(|(f, ty)| f.to_elem(set_key(*ty))).collect::<PResult<Vec<Elem>>>()?;
    let data = match (&s.data, &e.data) {
        (None, None) => None,
        (Some(_), None) if delete => None,
        (Some((DataType::Verdict, _)), Some(RawData::Verdict(v))) => Some(Data::Verdict(v.clone())),
        (Some((DataType::Ipv4Addr, _)), Some(RawData::Word(w))) => {
            Some(Data::Addr(w.text.parse().map_err(|_| {
                Fail::Nft("Could not resolve hostname: Name or service not known".into(), w.start, w.end)
            })?))
        }
        _ => return Err(Fail::Nft("datatype mismatch".into(), t.start, t.end)),
    };
    Ok(Entry { key, data, comment: e.comment.clone() })
}

/// One value of a key from its text.
fn scalar(key: Key, s: &str) -> Option<u32> {
    use crate::render::nft as r;
    match key {
        Key::IpSaddr | Key::IpDaddr => s.parse::<Ipv4Addr>().ok().map(u32::from),
        Key::TcpSport | Key::TcpDport | Key::UdpSport | Key::UdpDport | Key::ThSport | Key::ThDport => service(s),
        Key::IpProtocol | Key::L4proto => {
            lookup(r::PROTOS, s).or_else(|| num(s).filter(|v| *v < 256).map(|v| v as u32))
        }
        Key::Protocol => (s == "ip").then_some(0x0800),
        Key::Nfproto => (s == "ipv4").then_some(2),
        Key::Mark | Key::CtMark => num(s).filter(|v| *v <= u64::from(u32::MAX)).map(|v| v as u32),
        Key::Pkttype => lookup(r::PKTTYPES, s),
        Key::IcmpType => lookup(r::ICMP_TYPES, s).or_else(|| num(s).filter(|v| *v < 256).map(|v| v as u32)),
        Key::TcpFlags => lookup(r::TCP_FLAGS, s),
        Key::CtState => lookup(r::CT_STATES, s),
        Key::CtStatus => lookup(r::CT_STATUS, s),
        Key::CtDirection => match s {
            "original" => Some(0),
            "reply" => Some(1),
            _ => None,
        },
        Key::FibDaddrType => lookup(r::FIB_TYPES, s),
        Key::Iif | Key::Oif | Key::Iifname | Key::Oifname => None,
    }
}

/// Error texts of the kernel's errnos.
const ENOENT: &str = "Could not process rule: No such file or directory";
const EEXIST: &str = "Could not process rule: File exists";
const EBUSY: &str = "Could not process rule: Device or resource busy";

fn nerr(msg: &str, n: &Name) -> Fail {
    Fail::Nft(msg.to_string(), n.start, n.end)
}

/// Applies commands to `st`, appending listings to `out`.
fn apply(
    st: &mut NftState,
    cmds: Vec<Cmd>,
    handles: bool,
    out: &mut String,
    xt: &crate::model::nf::Ruleset,
    xt_gone: &mut Vec<crate::model::nf::TableName>,
) -> PResult<()> {
    for cmd in cmds {
        apply_one(st, cmd, handles, out, xt, xt_gone)?;
    }
    Ok(())
}

fn find_table(st: &NftState, fam: Family, n: &Name) -> PResult<usize> {
    st.table(fam, &n.text).ok_or_else(|| {
        // nft_cmd_enoent_table: a table of a similar name in any family.
        let mut best = Misspell::default();
        for (k, t) in st.tables.iter().enumerate() {
            best.update(&t.name, &n.text, k);
        }
        match best.obj {
            Some(k) => nerr(
                &format!(
                    "No such file or directory; did you mean table \u{2018}{}\u{2019} in family {}?",
                    st.tables[k].name,
                    st.tables[k].family.as_str()
                ),
                n,
            ),
            None => nerr(ENOENT, n),
        }
    })
}

/// The chain of a rule command; a missing one may get nft's suggestion
/// of a similarly named chain (`nft_cmd_enoent_chain`).
fn find_chain_in(st: &NftState, ti: usize, n: &Name) -> PResult<usize> {
    if let Some(ci) = st.tables[ti].chain(&n.text) {
        return Ok(ci);
    }
    let mut best = Misspell::default();
    for (k, t) in st.tables.iter().enumerate() {
        for (c, ch) in t.chains.iter().enumerate() {
            best.update(&ch.name, &n.text, (k, c));
        }
    }
    match best.obj {
        Some((k, c)) => Err(nerr(
            &format!(
                "No such file or directory; did you mean chain \u{2018}{}\u{2019} in table {} \u{2018}{}\u{2019}?",
                st.tables[k].chains[c].name,
                st.tables[k].family.as_str(),
                st.tables[k].name
            ),
            n,
        )),
        None => Err(nerr(ENOENT, n)),
    }
}

fn find_chain(t: &Table, n: &Name) -> PResult<usize> {
    t.chain(&n.text).ok_or_else(|| nerr(ENOENT, n))
}

/// nft's misspelling search (`string_misspell_update`): the candidate of
/// least distance within a threshold that grows with the names' length.
#[derive(Default)]
struct Misspell<T> {
    obj: Option<T>,
    min: Option<u32>,
}

impl<T> Misspell<T> {
    fn update(&mut self, a: &str, b: &str, obj: T) {
        let (la, lb) = (a.len() as u32, b.len() as u32);
        let (max, min) = (la.max(lb), la.min(lb));
        if max <= 1 {
            return;
        }
        let threshold = if max - min <= 1 { max.div_ceil(3).max(1) } else { (max + 2).div_ceil(3) };
        let d = string_distance(a.as_bytes(), b.as_bytes());
        if d <= threshold && self.min.is_none_or(|m| d < m) {
            self.min = Some(d);
            self.obj = Some(obj);
        }
    }
}

/// misspell.c's `string_distance` exactly as nft 1.0.6 computes it,
/// including its indexing: characters are read one past the position
/// (the terminating NUL at the end) and rows are `len_b` wide in a table
/// `len_b + 1` wide, so cells overlap. Suggestions follow from it.
fn string_distance(a: &[u8], b: &[u8]) -> u32 {
    let (la, lb) = (a.len(), b.len());
    let at = |s: &[u8], i: usize| s.get(i).copied().unwrap_or(0);
    let mut d = vec![0u32; (la + 1) * (lb + 1)];
    let ix = |i: usize, j: usize| i * lb + j;
    for i in 0..=la {
        d[ix(i, 0)] = i as u32;
    }
    for j in 0..=lb {
        d[ix(0, j)] = j as u32;
    }
    for i in 1..=la {
        for j in 1..=lb {
            let sub = u32::from(at(a, i) != at(b, j));
            let v = (d[ix(i - 1, j)] + 1).min(d[ix(i, j - 1)] + 1).min(d[ix(i - 1, j - 1)] + sub);
            d[ix(i, j)] = v;
            if i > 1 && j > 1 && at(a, i) == at(b, j - 1) && at(a, i - 1) == at(b, j) {
                d[ix(i, j)] = d[ix(i, j)].min(d[ix(i - 2, j - 2)] + sub);
            }
        }
    }
    d[ix(la, lb)]
}

fn handle_of(n: &Name) -> PResult<u64> {
    num(&n.text).ok_or_else(|| Fail::Nft("syntax error, unexpected string, expecting number".into(), n.start, n.end))
}

/// Checks a rule's references and builds it (allocating handles).
fn build_rule(t: &mut Table, spec: RuleSpec) -> PResult<Rule> {
    // Checked by nft before anything reaches the kernel.
    for s in &spec.sets {
        if t.set(&s.text).is_none() && t.cset(&s.text).is_none() {
            return Err(Fail::Nft("No such file or directory".into(), s.start, s.end));
        }
    }
    // `KEY @name` of a composite set (declared by typeof) is a lookup.
    let mut spec = spec;
    for s in &mut spec.stmts {
        if let Stmt::Match { key, neg, rhs: Rhs::Named(n) } = s {
            if t.cset(n).is_some() {
                *s = Stmt::Lookup { sel: Sel::Keys(vec![*key]), neg: *neg, set: SetRef::Named(n.clone()) };
            }
        }
    }
    // The kernel allocates the rule's handle (after the anonymous sets
    // sent before it) before it resolves jump targets: a failed rule
    // still uses up its handles.
    for _ in 0..spec.anon {
        t.alloc();
    }
    let handle = t.alloc();
    for target in &spec.targets {
        match t.chain(&target.text) {
            None => return Err(nerr(ENOENT, target)),
            Some(ci) if t.chains[ci].base.is_some() => {
                return Err(nerr("Could not process rule: Operation not supported", target))
            }
            Some(_) => {}
        }
    }
    Ok(Rule { handle, stmts: spec.stmts, comment: spec.comment })
}

// DIVERGENCE: elements list sorted by value, as the kernel's interval
// (rbtree) sets list them; a hash set's dump order may differ.
/// A plain set's element from its text (one field, no data).
fn plain_elem(ty: SetType, e: &RawEntry) -> PResult<Elem> {
    let t = &e.fields[0];
    if e.comment.is_some() {
        return Err(Fail::Unsupported(
            "nft element comments in a set declared without comments or typeof are not modelled by netsim".into(),
        ));
    }
    if e.fields.len() != 1 || e.data.is_some() {
        return Err(Fail::Nft("datatype mismatch".into(), t.start, t.end));
    }
    t.to_elem(set_key(ty))
}

/// Adds elements to a composite set (one already there stays), kept
/// sorted by their fields' first values (`model::nft` looks keys up by
/// binary search; `render::nft` sorts them as nft lists them).
fn add_entries(s: &mut CSet, new: Vec<Entry>) {
    for e in new {
        if !s.elems.iter().any(|x| x.key == e.key) {
            s.elems.push(e);
        }
    }
    s.elems.sort_by(|a, b| a.key.iter().map(|f| f.lo).cmp(b.key.iter().map(|f| f.lo)));
}

fn sort_elems(elems: &mut Vec<Elem>) {
    elems.sort_by_key(|e| (e.lo, e.hi));
    elems.dedup();
}

fn apply_one(
    st: &mut NftState,
    cmd: Cmd,
    handles: bool,
    out: &mut String,
    xt: &crate::model::nf::Ruleset,
    xt_gone: &mut Vec<crate::model::nf::TableName>,
) -> PResult<()> {
    let xt_present = xt.tables.keys().any(|t| !xt_gone.contains(t));
    // A command on one of iptables-nft's tables (they are nf_tables
    // tables too): deleting it and listing it are modelled.
    let xt_name = |fam: Family, n: &Name| {
        (fam == Family::Ip)
            .then(|| crate::model::nf::TableName::parse(&n.text))
            .flatten()
            .filter(|t| xt.tables.contains_key(t) && !xt_gone.contains(t))
    };
    let named = match &cmd {
        Cmd::AddTable { fam, table, .. }
        | Cmd::AddChain { fam, table, .. }
        | Cmd::AddSet { fam, table, .. }
        | Cmd::AddRule { fam, table, .. }
        | Cmd::ReplaceRule { fam, table, .. }
        | Cmd::DeleteRule { fam, table, .. }
        | Cmd::Elements { fam, table, .. }
        | Cmd::Delete { fam, table, .. }
        | Cmd::Flush { fam, table, .. }
        | Cmd::TableComment { fam, table, .. } => xt_name(*fam, table).map(|t| (t, table.clone())),
        _ => None,
    };
    if let Some((t, name)) = named {
        match &cmd {
            Cmd::Delete { obj: Obj::Table, .. } => {
                xt_gone.push(t);
                return Ok(());
            }
            Cmd::AddTable { create: true, .. } => return Err(nerr(EEXIST, &name)),
            Cmd::AddTable { .. } => return Ok(()),
            _ => {
                return Err(Fail::Unsupported(format!(
                    "changing iptables-nft's table ip {} with nft is not modelled by netsim (use iptables, or delete the table)",
                    name.text
                )))
            }
        }
    }
    let refuse = |what: String| {
        Fail::Unsupported(format!(
            "nft list of iptables-nft's tables: {what} is not modelled by netsim (its nft form was not checked); use iptables-save"
        ))
    };
    match cmd {
        Cmd::AddTable { fam, table, create } => match st.table(fam, &table.text) {
            Some(_) if create => return Err(nerr(EEXIST, &table)),
            Some(_) => {}
            None => {
                st.next_table_handle += 1;
                st.tables.push(Table {
                    family: fam,
                    name: table.text,
                    handle: st.next_table_handle,
                    next_handle: 1,
                    sets: Vec::new(),
                    csets: Vec::new(),
                    chains: Vec::new(),
                    comment: None,
                });
            }
        },
        Cmd::TableComment { fam, table, comment } => {
            let ti = find_table(st, fam, &table)?;
            st.tables[ti].comment = Some(comment);
        }
        Cmd::AddChain { fam, table, chain, create, base } => {
            let ti = find_table(st, fam, &table)?;
            let seq = st.next_seq;
            let t = &mut st.tables[ti];
            match t.chain(&chain.text) {
                Some(_) if create => return Err(nerr(EEXIST, &chain)),
                Some(ci) => {
                    if let (Some(b), Some(have)) = (&base, &mut t.chains[ci].base) {
                        have.drop = b.drop;
                    }
                }
                None => {
                    if let Some(b) = &base {
                        if b.ty == ChainType::Nat && b.hook == Hook::Forward {
                            return Err(nerr("Could not process rule: Operation not supported", &chain));
                        }
                    }
                    let handle = t.alloc();
                    let base = base.map(|b| BaseChain { ty: b.ty, hook: b.hook, prio: b.prio, drop: b.drop, seq });
                    if base.is_some() {
                        st.next_seq += 1;
                    }
                    st.tables[ti].chains.push(Chain { name: chain.text, handle, base, rules: Vec::new() });
                }
            }
        }
        Cmd::AddSet { fam, table, set, create, map, decl } => {
            let ti = find_table(st, fam, &table)?;
            let t = &mut st.tables[ti];
            let plain = !map
                && decl.key.len() == 1
                && decl.typeof_key.is_none()
                && decl.comment.is_none()
                && decl.entries.iter().all(|e| e.comment.is_none());
            if !plain || t.cset(&set.text).is_some() {
                if t.set(&set.text).is_some() {
                    return Err(nerr(EEXIST, &set));
                }
                let mut s = CSet {
                    name: set.text.clone(),
                    handle: 0,
                    key: decl.key,
                    typeof_key: decl.typeof_key,
                    data: decl.data,
                    interval: decl.interval,
                    comment: decl.comment,
                    elems: Vec::new(),
                };
                let new = decl.entries.iter().map(|e| typed_entry(&s, e, false)).collect::<PResult<Vec<Entry>>>()?;
                if !s.interval && new.iter().any(|e| e.key.iter().any(|f| f.form != Form::Single)) {
                    return Err(Fail::Nft(
                        "You must add 'flags interval' to your set declaration if you want to add prefix or range elements".into(),
                        set.start,
                        set.end,
                    ));
                }
                let si = match t.cset(&set.text) {
                    Some(_) if create => return Err(nerr(EEXIST, &set)),
                    Some(si) => si,
                    None => {
                        s.handle = t.alloc();
                        t.csets.push(s);
                        t.csets.len() - 1
                    }
                };
                add_entries(&mut t.csets[si], new);
                return Ok(());
            }
            let ty = decl.key[0];
            let interval = decl.interval;
            let mut elems = decl.entries.iter().map(|e| plain_elem(ty, e)).collect::<PResult<Vec<Elem>>>()?;
            if let Some(si) = t.set(&set.text) {
                if create {
                    return Err(nerr(EEXIST, &set));
                }
                t.sets[si].elems.extend(elems);
                sort_elems(&mut t.sets[si].elems);
            } else {
                if !interval && elems.iter().any(|e| e.form != Form::Single) {
                    return Err(Fail::Nft(
                        "You must add 'flags interval' to your set declaration if you want to add prefix or range elements".into(),
                        set.start,
                        set.end,
                    ));
                }
                sort_elems(&mut elems);
                let handle = t.alloc();
                t.sets.push(Set { name: set.text, handle, ty, interval, elems });
            }
        }
        Cmd::Elements { fam, table, set, add, elems } => {
            let ti = find_table(st, fam, &table)?;
            let t = &mut st.tables[ti];
            if let Some(ci) = t.cset(&set.text) {
                let s = &mut t.csets[ci];
                let new = elems.iter().map(|e| typed_entry(s, e, !add)).collect::<PResult<Vec<Entry>>>()?;
                if add {
                    add_entries(s, new);
                } else {
                    for (e, raw) in new.into_iter().zip(&elems) {
                        let Some(k) = s.elems.iter().position(|x| x.key == e.key) else {
                            let (a, b) = (raw.fields[0].start, raw.fields[raw.fields.len() - 1].end);
                            return Err(Fail::Nft(ENOENT.into(), a, b));
                        };
                        s.elems.remove(k);
                    }
                }
                return Ok(());
            }
            let si = t.set(&set.text).ok_or_else(|| nerr(ENOENT, &set))?;
            let s = &mut t.sets[si];
            let ty = s.ty;
            let raw: Vec<RawElem> = elems.iter().map(|e| e.fields[0].clone()).collect();
            let elems = elems.iter().map(|e| plain_elem(ty, e)).collect::<PResult<Vec<Elem>>>()?;
            if add {
                // Interval sets refuse overlapping elements.
                if s.interval {
                    for (j, b) in elems.iter().enumerate() {
                        // The same element twice is fine (checked).
                        let clash = |a: &Elem| a.lo <= b.hi && b.lo <= a.hi && (a.lo, a.hi) != (b.lo, b.hi);
                        if let Some(i) = elems[..j].iter().position(clash) {
                            let (rs, re) = (raw[i].start, raw[i].end);
                            return Err(Fail::Nft(
                                format!("conflicting intervals specified\n~{rs}-{re}"),
                                raw[j].start,
                                raw[j].end,
                            ));
                        }
                        if s.elems.iter().any(clash) {
                            return Err(Fail::Nft(
                                "interval overlaps with an existing one".into(),
                                raw[j].start,
                                raw[j].end,
                            ));
                        }
                    }
                }
                if !s.interval && elems.iter().any(|e| e.form != Form::Single) {
                    return Err(Fail::Nft(
                        "You must add 'flags interval' to your set declaration if you want to add prefix or range elements".into(),
                        set.start,
                        set.end,
                    ));
                }
                s.elems.extend(elems);
                sort_elems(&mut s.elems);
            } else {
                for e in elems {
                    let Some(k) = s.elems.iter().position(|x| x.lo == e.lo && x.hi == e.hi) else {
                        return Err(nerr(ENOENT, &set));
                    };
                    s.elems.remove(k);
                }
            }
        }
        Cmd::AddRule { fam, table, chain, insert, at, rule } => {
            let ti = find_table(st, fam, &table)?;
            let ci = find_chain_in(st, ti, &chain)?;
            let t = &mut st.tables[ti];
            check_set_types(t, &rule)?;
            let mut rule = rule;
            nat_family(fam, &mut rule)?;
            let pos = match &at {
                None => {
                    if insert {
                        0
                    } else {
                        t.chains[ci].rules.len()
                    }
                }
                Some((Pos::Handle | Pos::Position, n)) => {
                    let h = handle_of(n)?;
                    let k = t.chains[ci].rules.iter().position(|r| r.handle == h).ok_or_else(|| nerr(ENOENT, n))?;
                    if insert {
                        k
                    } else {
                        k + 1
                    }
                }
                Some((Pos::Index, _)) => 0,
            };
            let r = build_rule(t, rule)?;
            t.chains[ci].rules.insert(pos, r);
        }
        Cmd::ReplaceRule { fam, table, chain, handle, rule } => {
            let ti = find_table(st, fam, &table)?;
            let ci = find_chain_in(st, ti, &chain)?;
            let t = &mut st.tables[ti];
            let h = handle_of(&handle)?;
            let k = t.chains[ci].rules.iter().position(|r| r.handle == h).ok_or_else(|| nerr(ENOENT, &handle))?;
            check_set_types(t, &rule)?;
            let mut rule = rule;
            nat_family(fam, &mut rule)?;
            let r = build_rule(t, rule)?;
            t.chains[ci].rules[k] = r;
        }
        Cmd::DeleteRule { fam, table, chain, handle } => {
            let ti = find_table(st, fam, &table)?;
            let ci = find_chain_in(st, ti, &chain)?;
            let t = &mut st.tables[ti];
            let h = handle_of(&handle)?;
            let k = t.chains[ci].rules.iter().position(|r| r.handle == h).ok_or_else(|| nerr(ENOENT, &handle))?;
            t.chains[ci].rules.remove(k);
        }
        Cmd::Delete { fam, table, obj } => {
            let ti = find_table(st, fam, &table)?;
            match obj {
                Obj::Table => {
                    st.tables.remove(ti);
                }
                Obj::Chain(n) => {
                    let t = &mut st.tables[ti];
                    let ci = find_chain(t, &n)?;
                    let referenced =
                        t.chains.iter().flat_map(|c| c.rules.iter()).flat_map(|r| r.stmts.iter()).any(|s| match s {
                            Stmt::Verdict(Verdict::Jump(x) | Verdict::Goto(x)) => *x == n.text,
                            Stmt::Vmap(_, es) => {
                                es.iter().any(|(_, v)| matches!(v, Verdict::Jump(x) | Verdict::Goto(x) if *x == n.text))
                            }
                            Stmt::MapVerdict(_, SetRef::Anon(es)) => es.iter().any(|e| {
                                matches!(&e.data, Some(Data::Verdict(Verdict::Jump(x) | Verdict::Goto(x))) if *x == n.text)
                            }),
                            _ => false,
                        }) || t.csets.iter().flat_map(|s| s.elems.iter()).any(|e| {
                            matches!(&e.data, Some(Data::Verdict(Verdict::Jump(x) | Verdict::Goto(x))) if *x == n.text)
                        });
                    // A chain with rules goes with its rules; one a jump
                    // refers to stays.
                    if referenced {
                        return Err(nerr(EBUSY, &n));
                    }
                    t.chains.remove(ci);
                }
                Obj::Set(n) | Obj::Map(n) => {
                    let t = &mut st.tables[ti];
                    let used = t.chains.iter().flat_map(|c| c.rules.iter()).flat_map(|r| r.stmts.iter()).any(|s| {
                        matches!(s, Stmt::Match { rhs: Rhs::Named(x), .. }
                            | Stmt::Lookup { set: SetRef::Named(x), .. }
                            | Stmt::MapVerdict(_, SetRef::Named(x))
                            | Stmt::DnatLookup(_, SetRef::Named(x), _) if *x == n.text)
                    });
                    let si = t.set(&n.text);
                    let ci = t.cset(&n.text);
                    if si.is_none() && ci.is_none() {
                        return Err(nerr(ENOENT, &n));
                    }
                    if used {
                        return Err(nerr(EBUSY, &n));
                    }
                    match si {
                        Some(si) => {
                            t.sets.remove(si);
                        }
                        None => {
                            t.csets.retain(|s| s.name != n.text);
                        }
                    }
                }
            }
        }
        Cmd::Flush { fam, table, obj } => {
            let ti = find_table(st, fam, &table)?;
            let t = &mut st.tables[ti];
            match obj {
                Obj::Table => {
                    for c in &mut t.chains {
                        c.rules.clear();
                    }
                    for s in &mut t.sets {
                        s.elems.clear();
                    }
                    for s in &mut t.csets {
                        s.elems.clear();
                    }
                }
                Obj::Chain(n) => {
                    let ci = find_chain(t, &n)?;
                    t.chains[ci].rules.clear();
                }
                Obj::Set(n) | Obj::Map(n) => match (t.set(&n.text), t.cset(&n.text)) {
                    (Some(si), _) => t.sets[si].elems.clear(),
                    (None, Some(ci)) => t.csets[ci].elems.clear(),
                    _ => return Err(nerr(ENOENT, &n)),
                },
            }
        }
        Cmd::List { fam, table, obj } => {
            let xt_table = xt_name(fam, &table)
                .and_then(|name| Some((xt.tables.get(&name)?, st.xt.iter().find(|x| x.name == name)?)));
            if let Some((t, x)) = xt_table {
                if handles || matches!(obj, Obj::Set(_)) {
                    return Err(refuse("nft -a and list set".into()));
                }
                match &obj {
                    Obj::Chain(n) => {
                        // Listed into a scratch buffer: a missing chain
                        // prints nothing but the error.
                        let mut text = String::new();
                        if !crate::render::nft::xt_chain(&mut text, t, x, &n.text).map_err(refuse)? {
                            return Err(nerr("No such file or directory", n));
                        }
                        out.push_str(&text);
                    }
                    _ => crate::render::nft::xt_table(out, t, x).map_err(refuse)?,
                }
                return Ok(());
            }
            let ti = st.table(fam, &table.text).ok_or_else(|| nerr("No such file or directory", &table))?;
            let t = &st.tables[ti];
            match obj {
                Obj::Table => crate::render::nft::table(out, t, handles),
                Obj::Chain(n) => {
                    let ci = t.chain(&n.text).ok_or_else(|| nerr("No such file or directory", &n))?;
                    crate::render::nft::table_with_chain(out, t, &t.chains[ci], handles);
                }
                Obj::Set(ref n) | Obj::Map(ref n) => {
                    let want_map = matches!(obj, Obj::Map(_));
                    let n = n.clone();
                    let missing = || nerr("No such file or directory", &n);
                    if let Some(ci) = t.cset(&n.text) {
                        if t.csets[ci].data.is_some() != want_map {
                            return Err(missing());
                        }
                        crate::render::nft::table_with_cset(out, t, &t.csets[ci], handles);
                    } else {
                        let si = t.set(&n.text).filter(|_| !want_map).ok_or_else(missing)?;
                        crate::render::nft::table_with_set(out, t, &t.sets[si], handles);
                    }
                }
            }
        }
        Cmd::ListSets { maps } => {
            for t in &st.tables {
                crate::render::nft::table_sets(out, t, maps);
            }
        }
        Cmd::ListRuleset | Cmd::ListTables => {
            // Native and iptables-nft tables in the kernel's order (by
            // table handle).
            let mut all: Vec<(u64, Option<usize>, Option<usize>)> =
                st.tables.iter().enumerate().map(|(k, t)| (t.handle, Some(k), None)).collect();
            if xt_present {
                all.extend(
                    st.xt
                        .iter()
                        .enumerate()
                        .filter(|(_, x)| !xt_gone.contains(&x.name))
                        .map(|(k, x)| (x.handle, None, Some(k))),
                );
            }
            all.sort_by_key(|a| a.0);
            let list = matches!(cmd, Cmd::ListRuleset);
            if list && handles && xt_present {
                return Err(refuse("nft -a".into()));
            }
            for (_, native, x) in all {
                match (native, x) {
                    (Some(k), _) if list => crate::render::nft::table(out, &st.tables[k], handles),
                    (Some(k), _) => {
                        let t = &st.tables[k];
                        out.push_str(&format!("table {} {}\n", t.family.as_str(), t.name));
                    }
                    (None, Some(k)) => {
                        let x = &st.xt[k];
                        let Some(t) = xt.tables.get(&x.name) else { continue };
                        if list {
                            crate::render::nft::xt_table(out, t, x).map_err(refuse)?;
                        } else {
                            out.push_str(&format!("table ip {}\n", x.name.as_str()));
                        }
                    }
                    _ => {}
                }
            }
        }
        Cmd::FlushRuleset => {
            st.tables.clear();
            xt_gone.extend(xt.tables.keys().copied());
        }
    }
    Ok(())
}

/// `snat`/`dnat` by family (checked on nft 1.0.6): an inet table needs
/// `ip` or an earlier `ip` match, and lists the statement as `dnat ip to`;
/// an ip table's `dnat ip to` was not checked.
fn nat_family(fam: Family, r: &mut RuleSpec) -> PResult<()> {
    if let (Family::Ip, Some((s, e))) = (fam, r.nfproto) {
        return Err(Fail::Nft("meta nfproto is only useful in the inet family".into(), s, e));
    }
    let Some((ip, start, end)) = r.nat else { return Ok(()) };
    match fam {
        Family::Ip if ip => Err(Fail::Unsupported(
            "nft 'snat|dnat ip to' in an ip table is not modelled by netsim (write 'dnat to')".into(),
        )),
        Family::Ip => Ok(()),
        Family::Inet => {
            let dep = r
                .stmts
                .iter()
                .any(|s| matches!(s, Stmt::Match { key: Key::IpSaddr | Key::IpDaddr | Key::IpProtocol, .. }));
            if !ip && !dep {
                return Err(Fail::Nft("ip or ip6 must be specified with address for inet tables.".into(), start, end));
            }
            for s in &mut r.stmts {
                match s {
                    Stmt::Nat(Nat::Snat(_, _, f) | Nat::Dnat(_, _, f) | Nat::DnatMap(_, _, f))
                    | Stmt::DnatLookup(_, _, f) => *f = true,
                    Stmt::Nat(Nat::Range(r)) => r.ip = true,
                    _ => {}
                }
            }
            Ok(())
        }
    }
}

/// A named set's type must fit the key that uses it.
fn check_set_types(t: &Table, r: &RuleSpec) -> PResult<()> {
    for s in &r.stmts {
        let (sel, name, map) = match s {
            Stmt::Lookup { sel, set: SetRef::Named(n), .. } => (sel.clone(), n, false),
            Stmt::MapVerdict(sel, SetRef::Named(n)) | Stmt::DnatLookup(sel, SetRef::Named(n), _) => {
                (sel.clone(), n, true)
            }
            Stmt::Match { key, rhs: Rhs::Named(n), .. } if t.cset(n).is_some() => (Sel::Keys(vec![*key]), n, false),
            _ => continue,
        };
        let Some(ci) = t.cset(name) else { continue };
        let Sel::Keys(keys) = &sel else { continue };
        let have: Vec<Option<SetType>> = keys.iter().map(|k| key_type(*k)).collect();
        let want: Vec<Option<SetType>> = t.csets[ci].key.iter().map(|k| Some(*k)).collect();
        if have == want {
            continue;
        }
        let desc = |ts: &[Option<SetType>]| {
            let one = |t: &Option<SetType>| match t {
                Some(SetType::Ipv4Addr) => "IPv4 address",
                Some(SetType::InetService) => "internet network service",
                Some(SetType::InetProto) => "Internet protocol",
                Some(SetType::Mark) => "packet mark",
                None => "integer",
            };
            match ts {
                [x] => one(x).to_string(),
                _ => format!("concatenation of ({})", ts.iter().map(one).collect::<Vec<_>>().join(", ")),
            }
        };
        let at = r.sets.iter().find(|x| &x.text == name).map_or((0, 0), |x| (x.start, x.end));
        let ctx = r.sel_spans.iter().find(|x| &x.0 == name).map_or(String::new(), |x| format!("\n~{}-{}", x.1, x.2));
        let msg = if map {
            format!("datatype mismatch, map expects {}, mapping expression has type {}", desc(&want), desc(&have))
        } else {
            format!("datatype mismatch, expected {}, expression has type {}", desc(&have), desc(&want))
        };
        return Err(Fail::Nft(format!("{msg}{ctx}"), at.0, at.1));
    }
    for s in &r.stmts {
        if let Stmt::Match { key, rhs: Rhs::Named(n), .. } = s {
            if let Some(si) = t.set(n) {
                if !t.sets[si].ty.fits(*key) {
                    let span = r.sets.iter().find(|x| &x.text == n).map_or((0, 0), |x| (x.start, x.end));
                    return Err(Fail::Nft(
                        format!(
                            "datatype mismatch, expected {}, set has type {}",
                            key.as_str(),
                            t.sets[si].ty.as_str()
                        ),
                        span.0,
                        span.1,
                    ));
                }
            }
        }
    }
    Ok(())
}

/// Formats an error as nft does: for the command line, the message, the
/// buffer and a caret line; for a file, `FILE:LINE:COL-COL: ` first and
/// the line alone.
fn format_error(src: &str, file: Option<&str>, msg: &str, start: usize, end: usize) -> String {
    // A second span, underlined with `~` (nft's context), rides in the
    // message as "\n~START-END".
    let (msg, extra) = match msg.split_once('\n') {
        Some((m, e)) => (m, Some(e)),
        None => (msg, None),
    };
    let ctx_span = extra
        .and_then(|e| e.strip_prefix('~'))
        .and_then(|e| e.split_once('-'))
        .and_then(|(a, b)| Some((a.parse::<usize>().ok()?, b.parse::<usize>().ok()?)));
    let start = start.min(src.len());
    let end = end.max(start + 1);
    let line_start = src[..start].rfind('\n').map_or(0, |k| k + 1);
    let line_end = src[start..].find('\n').map_or(src.len(), |k| start + k);
    let line = &src[line_start..line_end];
    let col = start - line_start;
    let width = end.min(line_end.max(start + 1)) - start;
    let pad: String = line[..col.min(line.len())].chars().map(|c| if c == '\t' { '\t' } else { ' ' }).collect();
    let mut carets = "^".repeat(width.max(1));
    let mut pad = pad;
    if let Some((cs, ce)) = ctx_span.filter(|(cs, ce)| *cs >= line_start && *ce <= start) {
        let before: String = line[..cs - line_start].chars().map(|c| if c == '\t' { '\t' } else { ' ' }).collect();
        let gap = " ".repeat(start - ce);
        carets = format!("{}{gap}{carets}", "~".repeat(ce - cs));
        pad = before;
    }
    match file {
        None => format!("Error: {msg}\n{line}\n{pad}{carets}\n"),
        Some(f) => {
            let lineno = src[..start].matches('\n').count() + 1;
            format!("{f}:{lineno}:{}-{}: Error: {msg}\n{line}\n{pad}{carets}\n", col + 1, col + width)
        }
    }
}

/// Notes what an iptables command created or removed, for the handles
/// and registration order nf_tables gives iptables-nft's tables.
pub fn xt_note(ctx: &mut Ctx<'_>, first: &[(crate::model::nf::TableName, String)]) {
    let n = ctx.eng.world.ns_mut(ctx.ns);
    n.nft.xt_sync(&n.nf, first);
    // The iptables tool sets conntrack for its own ruleset only.
    if n.nft.needs_ct || n.nf_legacy.needs_conntrack() {
        n.ct.enabled = true;
    }
}

/// An iptables-nft command on a table that `nft` created natively: on the
/// kernel they are one nf_tables table (iptables lists nft's rules
/// translated back, appends to nft's chains); netsim keeps the two apart,
/// so such a command is refused rather than answered wrongly.
pub fn shared_table(ctx: &Ctx<'_>, cmd: &str, args: &[String]) -> Option<String> {
    let n = ctx.eng.world.ns(ctx.ns);
    let native = |t: crate::model::nf::TableName| n.nft.table(Family::Ip, t.as_str()).is_some();
    let touched: Vec<crate::model::nf::TableName> =
        if cmd.starts_with("iptables-save") || cmd.starts_with("iptables-restore") {
            crate::model::nf::TableName::ALL.to_vec()
        } else {
            let mut t = crate::model::nf::TableName::Filter;
            let mut it = args.iter();
            while let Some(a) = it.next() {
                if a == "-t" || a == "--table" {
                    if let Some(x) = it.next().and_then(|x| crate::model::nf::TableName::parse(x)) {
                        t = x;
                    }
                }
            }
            vec![t]
        };
    touched.into_iter().find(|t| native(*t)).map(|t| {
        format!(
            "{cmd} on table {} that nft created: one nf_tables table shared by nft and iptables-nft is not modelled by netsim",
            t.as_str()
        )
    })
}

/// The (table, chain) pairs an iptables-restore input names, in order of
/// first mention (`:CHAIN` declarations and `-A`/`-I` lines).
pub fn restore_order(input: &str) -> Vec<(crate::model::nf::TableName, String)> {
    let mut out: Vec<(crate::model::nf::TableName, String)> = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    let mut table = None;
    for line in input.lines() {
        let line = line.trim();
        if let Some(t) = line.strip_prefix('*') {
            table = crate::model::nf::TableName::parse(t);
            continue;
        }
        let name = if let Some(rest) = line.strip_prefix(':') {
            rest.split_whitespace().next()
        } else if line.starts_with("-A ") || line.starts_with("-I ") {
            line.split_whitespace().nth(1)
        } else {
            None
        };
        if let (Some(t), Some(c)) = (table, name) {
            if seen.insert((t, c)) {
                out.push((t, c.to_string()));
            }
        }
    }
    out
}

/// `nft [-a] [-f FILE | COMMAND...]`.
///
/// # Errors
/// [`Unsupported`] for options and constructs netsim does not model.
pub fn run(ctx: &mut Ctx<'_>, args: &[String]) -> ToolResult {
    let mut handles = false;
    let mut file: Option<String> = None;
    let mut i = 0;
    while i < args.len() {
        let a = args[i].as_str();
        if !a.starts_with('-') || a == "-" {
            break;
        }
        match a {
            "-a" | "--handle" => handles = true,
            "-f" | "--file" => {
                i += 1;
                match args.get(i) {
                    Some(f) => file = Some(f.clone()),
                    None => return ctx.fail("nft: option requires an argument -- 'f'", 1),
                }
            }
            "-af" | "-fa" => {
                handles = true;
                i += 1;
                file = args.get(i).cloned();
            }
            o => {
                return Err(Unsupported(format!("nft option '{o}' is not modelled by netsim; supported: -a, -f FILE")))
            }
        }
        i += 1;
    }
    let rest = &args[i..];
    let (src, fname) = match &file {
        Some(f) if f == "-" || f == "/dev/stdin" => (std::mem::take(&mut ctx.stdin), Some("/dev/stdin".to_string())),
        Some(f) => match ctx.eng.files.get(f.trim_start_matches("./")) {
            Some(b) => (String::from_utf8_lossy(b).into_owned(), Some(f.clone())),
            None => {
                return ctx.fail(
                    &format!("internal:0:0-0: Error: Could not open file \"{f}\": No such file or directory\n\n\n"),
                    1,
                );
            }
        },
        None => {
            if rest.is_empty() {
                return Err(Unsupported("nft without a command (interactive mode) is not modelled by netsim".into()));
            }
            // nft reads the words as one line.
            (rest.join(" ") + "\n", None)
        }
    };
    let toks = lex(&src);
    let mut p = Parser { toks: &toks, i: 0 };
    let ns = ctx.ns;
    let result = p.commands().and_then(|cmds| {
        let n = ctx.eng.world.ns_mut(ns);
        n.nft.xt_sync(&n.nf, &[]);
        let mut work = n.nft.clone();
        let mut out = String::new();
        let mut xt_gone = Vec::new();
        match apply(&mut work, cmds, handles, &mut out, &n.nf, &mut xt_gone) {
            Ok(()) => Ok((work, out, xt_gone)),
            Err(e) => {
                // The kernel aborts the batch but does not give back the
                // handles it allocated before the error.
                if matches!(&e, Fail::Nft(m, ..) if m.starts_with("Could not process rule") || m.contains("did you mean"))
                {
                    n.nft.next_table_handle = work.next_table_handle;
                    for t in &mut n.nft.tables {
                        if let Some(w) = work.table(t.family, &t.name) {
                            t.next_handle = t.next_handle.max(work.tables[w].next_handle);
                        }
                    }
                }
                Err(e)
            }
        }
    });
    match result {
        Ok((mut work, out, xt_gone)) => {
            work.update_needs_ct();
            work.gen += 1;
            let n = ctx.eng.world.ns_mut(ns);
            if !xt_gone.is_empty() {
                for t in &xt_gone {
                    n.nf.tables.remove(t);
                }
                n.ct.enabled = n.nf.needs_conntrack() || n.nf_legacy.needs_conntrack();
                work.xt_sync(&n.nf, &[]);
            }
            if work.needs_ct {
                n.ct.enabled = true;
            }
            n.nft = work;
            for line in out.split_inclusive('\n') {
                match line.strip_prefix(crate::render::nft::STDERR_LINE) {
                    Some(warning) => ctx.err(warning),
                    None => ctx.out(line),
                }
            }
            Ok(Outcome::Exited(0))
        }
        Err(Fail::Unsupported(m)) => Err(Unsupported(m)),
        Err(Fail::Nft(msg, _, _)) if msg.starts_with("netlink: ") => {
            ctx.err(&format!("{msg}\n"));
            Ok(Outcome::Exited(1))
        }
        Err(Fail::Nft(msg, start, end)) => {
            let text = format_error(&src, fname.as_deref(), &msg, start, end);
            ctx.err(&text);
            Ok(Outcome::Exited(1))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> PResult<Vec<Cmd>> {
        let toks = lex(s);
        Parser { toks: &toks, i: 0 }.commands()
    }

    // Proves the lexer keeps addresses, ranges and names whole and splits
    // punctuation, with spans into the buffer.
    #[test]
    fn lexes_words_and_punctuation() {
        let t = lex("ip saddr 10.0.0.0/8 tcp dport { 22, 8000-8080 } oifname \"veth*\"");
        let kinds: Vec<Kind> = t.into_iter().map(|t| t.kind).collect();
        assert_eq!(kinds[2], Kind::Word("10.0.0.0".into()));
        assert_eq!(kinds[3], Kind::Punct('/'));
        assert_eq!(kinds[10], Kind::Word("8000-8080".into()));
        assert_eq!(kinds[13], Kind::Str("veth*".into()));
    }

    // Proves the block syntax expands to table, chains, sets, then rules,
    // and that a protocol match implied by a port match is dropped.
    #[test]
    fn block_expands_in_nft_order() {
        let cmds = parse(
            "table inet f {\n chain c {\n type filter hook input priority 0; policy drop;\n meta l4proto tcp tcp dport 22 accept\n }\n set s { type ipv4_addr; }\n}\n",
        )
        .unwrap();
        assert!(matches!(cmds[0], Cmd::AddTable { .. }));
        assert!(matches!(cmds[1], Cmd::AddChain { base: Some(BaseSpec { drop: true, .. }), .. }));
        assert!(matches!(cmds[2], Cmd::AddSet { .. }));
        let Cmd::AddRule { rule, .. } = &cmds[3] else { panic!() };
        assert_eq!(rule.stmts.len(), 2);
    }

    // Proves the misspelling search suggests as nft 1.0.6 did on the
    // kernel ('sub' for a missing 'input', 'forward' for 'x', nothing for
    // 'zzzzzzzzzz').
    #[test]
    fn misspell_like_nft() {
        let mut m = Misspell::default();
        m.update("sub", "input", 1);
        assert_eq!(m.obj, Some(1));
        let mut m = Misspell::default();
        m.update("forward", "x", 1);
        assert_eq!(m.obj, Some(1));
        let mut m = Misspell::default();
        m.update("forward", "zzzzzzzzzz", 1);
        assert_eq!(m.obj, None);
    }

    // Proves error carets point at the span, with file:line:col for files.
    #[test]
    fn error_format() {
        let src = "add rule inet filter input accept";
        assert_eq!(
            format_error(src, None, ENOENT, 14, 20),
            "Error: Could not process rule: No such file or directory\nadd rule inet filter input accept\n              ^^^^^^\n"
        );
        let f = "table ip t {\n    nosuch\n";
        assert_eq!(
            format_error(f, Some("f.nft"), "syntax error, unexpected newline", 23, 24),
            "f.nft:2:11-11: Error: syntax error, unexpected newline\n    nosuch\n          ^\n"
        );
    }
}
