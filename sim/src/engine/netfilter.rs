//! The IPv4 netfilter hooks as iptables rules see them: each hook runs its
//! tables in priority order (raw, mangle, nat, filter), each table walks its
//! built-in chain rule by rule (first match decides, `-j CHAIN` / `-g CHAIN`
//! / `RETURN`, policy at the end), counting packets and bytes as
//! `iptables -L -v` shows them.
//!
//! What is not here yet: connection tracking and NAT (the `nat` table,
//! `state`/`conntrack` matches and NAT targets are refused when the rule is
//! added, see [`unsupported`]), `LOG`, marks. The hook placement (which
//! device is `-i`/`-o`, br_netfilter's bridged pass) is the datapath's.

use super::Engine;
use crate::model::nf::rule::{AddrMask, Inv, Match, PortRange, Rule, Target, REJECT_TYPES};
use crate::model::nf::{Hook, Policy, Ruleset, TableName};
use crate::model::route::RouteType;
use crate::model::{LinkId, MacAddr, NsId, World};
use crate::trace::{NfTableWalk, TraceKind};
use std::net::Ipv4Addr;

/// Where a packet meets a hook: the devices `-i`/`-o` and `--physdev-*`
/// match, and the frame's source MAC for `-m mac`.
#[derive(Clone, Copy, Debug)]
pub struct NfCtx {
    /// The hook.
    pub hook: Hook,
    /// `-i`: the input device (the bridge for bridged frames).
    pub in_dev: Option<LinkId>,
    /// `-o`: the output device.
    pub out_dev: Option<LinkId>,
    /// `--physdev-in`: the bridge port a bridged frame came in on.
    pub phys_in: Option<LinkId>,
    /// `--physdev-out`: the bridge port it leaves by.
    pub phys_out: Option<LinkId>,
    /// Source MAC of the frame (not at OUTPUT/POSTROUTING).
    pub src_mac: Option<MacAddr>,
}

/// What the hooks decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NfVerdict {
    /// Go on.
    Accept,
    /// Dropped (`NETFILTER_DROP`).
    Drop,
    /// Dropped, answered with an ICMP destination unreachable of this code.
    Reject(u8),
}

/// The tables a hook runs, in priority order (`nf_ip_hook_priorities`).
fn tables_for(hook: Hook) -> &'static [TableName] {
    match hook {
        Hook::Prerouting => &[TableName::Raw, TableName::Mangle, TableName::Nat],
        Hook::Input => &[TableName::Mangle, TableName::Filter, TableName::Nat],
        Hook::Forward => &[TableName::Mangle, TableName::Filter],
        Hook::Output => &[TableName::Raw, TableName::Mangle, TableName::Nat, TableName::Filter],
        Hook::Postrouting => &[TableName::Mangle, TableName::Nat],
    }
}

/// The first construct in a ruleset netsim cannot evaluate faithfully yet,
/// described for an error message; `None` when all of it is modelled.
pub fn unsupported(rs: &Ruleset) -> Option<String> {
    if rs.table(TableName::Nat).is_some() {
        return Some("the nat table (NAT needs connection tracking, which netsim does not model yet)".into());
    }
    for t in rs.tables.values() {
        let chains = t.builtins.iter().map(|b| &b.chain).chain(t.user.values());
        for rule in chains.flat_map(|c| c.rules.iter()) {
            for m in &rule.matches {
                if matches!(m, Match::Conntrack(_) | Match::State(_) | Match::Connmark(_)) {
                    return Some(format!("the `{}' match (connection tracking is not modelled yet)", m.name()));
                }
            }
            match &rule.target {
                Some(Target::Reject(i)) if REJECT_TYPES[*i].0 == "tcp-reset" => {
                    return Some("REJECT --reject-with tcp-reset (TCP is not modelled yet)".into())
                }
                Some(
                    t @ (Target::Log { .. }
                    | Target::Masquerade { .. }
                    | Target::Snat(..)
                    | Target::Dnat(..)
                    | Target::Redirect { .. }
                    | Target::Mark { .. }
                    | Target::Connmark(_)),
                ) => return Some(format!("the {} target (not modelled yet)", t.name())),
                _ => {}
            }
        }
    }
    None
}

/// The fields of a packet the matches read.
struct Pkt<'a> {
    src: Ipv4Addr,
    dst: Ipv4Addr,
    proto: u8,
    frag_off: u16,
    l4: &'a [u8],
    len: u64,
}

impl Pkt<'_> {
    fn ports(&self) -> Option<(u16, u16)> {
        if self.frag_off != 0 || self.l4.len() < 4 {
            return None;
        }
        Some((u16::from_be_bytes([self.l4[0], self.l4[1]]), u16::from_be_bytes([self.l4[2], self.l4[3]])))
    }
}

/// Names and facts a rule may ask about, resolved before the walk.
struct Env<'a> {
    world: &'a World,
    ns: NsId,
    in_name: Option<&'a str>,
    out_name: Option<&'a str>,
    phys_in: Option<&'a str>,
    phys_out: Option<&'a str>,
    src_mac: Option<MacAddr>,
}

fn inv(i: bool, m: bool) -> bool {
    m != i
}

fn addr_ok(a: &Option<Inv<AddrMask>>, ip: Ipv4Addr) -> bool {
    a.as_ref().is_none_or(|a| {
        let m = u32::from(a.val.mask);
        inv(a.inv, u32::from(ip) & m == u32::from(a.val.addr) & m)
    })
}

/// `-i eth+`: a trailing `+` matches any name with that prefix.
fn iface_ok(want: &Option<Inv<String>>, have: Option<&str>) -> bool {
    want.as_ref().is_none_or(|w| {
        let hit = match (w.val.strip_suffix('+'), have) {
            (Some(prefix), Some(h)) => h.starts_with(prefix),
            (None, Some(h)) => h == w.val,
            (_, None) => false,
        };
        inv(w.inv, hit)
    })
}

fn port_ok(r: &Option<Inv<PortRange>>, p: u16) -> bool {
    r.as_ref().is_none_or(|r| inv(r.inv, r.val.lo <= p && p <= r.val.hi))
}

fn rule_matches(r: &Rule, p: &Pkt<'_>, e: &Env<'_>) -> bool {
    if !addr_ok(&r.src, p.src) || !addr_ok(&r.dst, p.dst) {
        return false;
    }
    if !iface_ok(&r.in_iface, e.in_name) || !iface_ok(&r.out_iface, e.out_name) {
        return false;
    }
    if let Some(pr) = &r.proto {
        if pr.val != 0 && !inv(pr.inv, pr.val == p.proto) {
            return false;
        }
        if pr.val == 0 && pr.inv {
            return false;
        }
    }
    if let Some(frag) = r.fragment {
        if (p.frag_off != 0) != frag {
            return false;
        }
    }
    r.matches.iter().all(|m| match m {
        Match::Tcp(t) => {
            p.proto == 6
                && p.ports().is_some_and(|(s, d)| port_ok(&t.sport, s) && port_ok(&t.dport, d))
                && t.flags.as_ref().is_none_or(|f| {
                    let flags = p.l4.get(13).copied().unwrap_or(0);
                    inv(f.inv, flags & f.val.0 == f.val.1)
                })
        }
        Match::Udp(u) => p.proto == 17 && p.ports().is_some_and(|(s, d)| port_ok(&u.sport, s) && port_ok(&u.dport, d)),
        Match::Icmp(i) => {
            if p.proto != 1 || p.frag_off != 0 || p.l4.len() < 2 {
                return false;
            }
            let (t, c) = (p.l4[0], p.l4[1]);
            let hit = i.kind == 0xff || (t == i.kind && i.code.0 <= c && c <= i.code.1);
            inv(i.inv, hit)
        }
        Match::Physdev(d) => {
            iface_ok(&d.phys_in, e.phys_in)
                && iface_ok(&d.phys_out, e.phys_out)
                && d.is_in.is_none_or(|want| (e.phys_in.is_some()) == want)
                && d.is_out.is_none_or(|want| (e.phys_out.is_some()) == want)
                && d.is_bridged.is_none_or(|want| (e.phys_out.is_some()) == want)
        }
        Match::Comment(_) => true,
        Match::Multiport(mp) => p.ports().is_some_and(|(s, d)| {
            use crate::model::nf::rule::MultiportDir;
            let hit = |port: u16| mp.ports.iter().any(|r| r.lo <= port && port <= r.hi);
            let h = match mp.dir {
                MultiportDir::Source => hit(s),
                MultiportDir::Destination => hit(d),
                MultiportDir::Either => hit(s) || hit(d),
            };
            inv(mp.inv, h)
        }),
        Match::Addrtype(a) => {
            // Looked up only when a rule asks (a FIB lookup each).
            a.src.as_ref().is_none_or(|t| inv(t.inv, addr_type_bit(e.world, e.ns, p.src) & t.val != 0))
                && a.dst.as_ref().is_none_or(|t| inv(t.inv, addr_type_bit(e.world, e.ns, p.dst) & t.val != 0))
        }
        // Nothing sets a mark yet (MARK is refused), so every packet has 0.
        Match::Mark(m) => inv(m.inv, m.mark == 0),
        Match::Mac(m) => e.src_mac.is_some_and(|s| inv(m.inv, s == m.val)),
        Match::Iprange(r) => {
            let within = |a: &Option<Inv<(Ipv4Addr, Ipv4Addr)>>, ip: Ipv4Addr| {
                a.as_ref().is_none_or(|a| inv(a.inv, a.val.0 <= ip && ip <= a.val.1))
            };
            within(&r.src, p.src) && within(&r.dst, p.dst)
        }
        Match::Conntrack(_) | Match::State(_) | Match::Connmark(_) => false,
    })
}

/// Where the walk is: a built-in chain (by index) or a user chain.
#[derive(Clone)]
enum At {
    Builtin(usize),
    User(String),
}

/// What a matched rule's target tells the walk to do, taken out of the rule
/// so the walk can move on without holding a borrow of it.
enum Step {
    Next,
    Verdict(NfVerdict),
    Return,
    Jump(String),
    Goto(String),
}

/// The chain and rule number that decided a DROP or REJECT (0 for the
/// policy), for the trace; built only then.
type Decider = Option<(String, usize)>;

/// Walks one table's chain for a hook, updating counters. Returns the
/// verdict and, for a drop or reject, what decided it.
fn walk(rs: &mut Ruleset, table: TableName, hook: Hook, p: &Pkt<'_>, e: &Env<'_>) -> Option<(NfVerdict, Decider)> {
    let t = rs.tables.get_mut(&table)?;
    let bi = t.builtins.iter().position(|b| b.hook == hook)?;
    let mut stack: Vec<(At, usize)> = Vec::new();
    let mut at = At::Builtin(bi);
    let mut i = 0usize;
    let mut guard = 0u32;
    loop {
        guard += 1;
        if guard > 1_000_000 {
            // A jump loop the kernel would have refused at load time.
            return Some((NfVerdict::Drop, Some(("loop".into(), 0))));
        }
        let chain = match &at {
            At::Builtin(b) => &mut t.builtins[*b].chain,
            At::User(name) => match t.user.get_mut(name) {
                Some(c) => c,
                None => return Some((NfVerdict::Accept, None)),
            },
        };
        if i >= chain.rules.len() {
            match stack.pop() {
                Some((back, next)) => {
                    at = back;
                    i = next;
                    continue;
                }
                None => {
                    let b = &mut t.builtins[bi];
                    if b.stats {
                        b.counters.packets += 1;
                        b.counters.bytes += p.len;
                    }
                    return Some(match b.policy {
                        Policy::Drop => (NfVerdict::Drop, Some((hook.as_str().into(), 0))),
                        Policy::Accept => (NfVerdict::Accept, None),
                    });
                }
            }
        }
        let rule = &mut chain.rules[i];
        if !rule_matches(rule, p, e) {
            i += 1;
            continue;
        }
        rule.counters.packets += 1;
        rule.counters.bytes += p.len;
        let step = match &rule.target {
            None => Step::Next,
            Some(Target::Accept) => Step::Verdict(NfVerdict::Accept),
            Some(Target::Drop) => Step::Verdict(NfVerdict::Drop),
            Some(Target::Reject(k)) => Step::Verdict(NfVerdict::Reject(match REJECT_TYPES[*k].0 {
                "icmp-net-unreachable" => 0,
                "icmp-host-unreachable" => 1,
                "icmp-proto-unreachable" => 2,
                "icmp-net-prohibited" => 9,
                "icmp-host-prohibited" => 10,
                "icmp-admin-prohibited" => 13,
                _ => 3,
            })),
            Some(Target::Return) => Step::Return,
            Some(Target::Jump(c)) => Step::Jump(c.clone()),
            Some(Target::Goto(c)) => Step::Goto(c.clone()),
            // Refused when the rule was added (see `unsupported`).
            Some(_) => Step::Next,
        };
        match step {
            Step::Next => i += 1,
            Step::Verdict(NfVerdict::Accept) => return Some((NfVerdict::Accept, None)),
            Step::Verdict(v) => {
                let chain = match at {
                    At::Builtin(b) => t.builtins[b].hook.as_str().to_string(),
                    At::User(n) => n,
                };
                return Some((v, Some((chain, i + 1))));
            }
            Step::Return => match stack.pop() {
                Some((back, next)) => {
                    at = back;
                    i = next;
                }
                None => i = usize::MAX,
            },
            Step::Jump(c) => {
                stack.push((std::mem::replace(&mut at, At::User(c)), i + 1));
                i = 0;
            }
            Step::Goto(c) => {
                at = At::User(c);
                i = 0;
            }
        }
    }
}

/// `RTN_*` as addrtype's bit (1 << type).
fn addr_type_bit(world: &World, ns: NsId, ip: Ipv4Addr) -> u16 {
    if ip.is_unspecified() {
        return 1 << 0;
    }
    if ip.is_broadcast() {
        return 1 << 3;
    }
    if ip.is_multicast() {
        return 1 << 5;
    }
    match world.fib_lookup(ns, ip, None).map(|r| r.route.rtype) {
        Some(RouteType::Local) => 1 << 2,
        Some(RouteType::Broadcast) => 1 << 3,
        Some(RouteType::Blackhole) => 1 << 6,
        Some(RouteType::Unreachable) => 1 << 7,
        Some(RouteType::Prohibit) => 1 << 8,
        _ => 1 << 1,
    }
}

impl Engine {
    /// Runs a netfilter hook on an IPv4 packet in `ns`. Without any table in
    /// the namespace this is a no-op, as in a fresh namespace.
    pub fn nf_hook(&mut self, ns: NsId, ctx: &NfCtx, pkt: &[u8]) -> NfVerdict {
        if self.world.ns(ns).nf.tables.is_empty() || pkt.len() < 20 {
            if self.trace.enabled {
                self.trace_nf(ns, ctx, Vec::new(), "ACCEPT");
            }
            return NfVerdict::Accept;
        }
        let ihl = usize::from(pkt[0] & 0xf) * 4;
        let p = Pkt {
            src: Ipv4Addr::new(pkt[12], pkt[13], pkt[14], pkt[15]),
            dst: Ipv4Addr::new(pkt[16], pkt[17], pkt[18], pkt[19]),
            proto: pkt[9],
            frag_off: u16::from_be_bytes([pkt[6], pkt[7]]) & 0x1fff,
            l4: pkt.get(ihl..).unwrap_or(&[]),
            len: pkt.len() as u64,
        };
        let mut rs = std::mem::take(&mut self.world.ns_mut(ns).nf);
        let before = self.trace.enabled.then(|| crate::trace::nf::snapshot(&rs));
        let mut decided = None;
        {
            let w = &self.world;
            let name = |l: Option<LinkId>| l.filter(|l| w.link_alive(*l)).map(|l| w.link(l).name.as_str());
            let env = Env {
                world: w,
                ns,
                in_name: name(ctx.in_dev),
                out_name: name(ctx.out_dev),
                phys_in: name(ctx.phys_in),
                phys_out: name(ctx.phys_out),
                src_mac: ctx.src_mac,
            };
            for table in tables_for(ctx.hook) {
                if let Some((v, why)) = walk(&mut rs, *table, ctx.hook, &p, &env) {
                    if v != NfVerdict::Accept {
                        decided = Some((v, *table, why));
                        break;
                    }
                }
            }
        }
        if let Some(before) = before {
            let v = match decided.as_ref().map(|d| d.0) {
                Some(NfVerdict::Drop) => "DROP",
                Some(NfVerdict::Reject(_)) => "REJECT",
                _ => "ACCEPT",
            };
            let walks = crate::trace::nf::walks(
                &before,
                &rs,
                ctx.hook,
                tables_for(ctx.hook),
                decided.as_ref().map(|d| (d.1, v)),
            );
            self.world.ns_mut(ns).nf = rs;
            self.trace_nf(ns, ctx, walks, v);
        } else {
            self.world.ns_mut(ns).nf = rs;
        }
        let Some((verdict, _, _)) = decided else { return NfVerdict::Accept };
        verdict
    }

    /// Traces a hook's traversal.
    fn trace_nf(&mut self, ns: NsId, ctx: &NfCtx, tables: Vec<NfTableWalk>, verdict: &'static str) {
        let ev = TraceKind::NfHook { ns, hook: ctx.hook, in_dev: ctx.in_dev, out_dev: ctx.out_dev, tables, verdict };
        self.trace.push(&self.world, self.now, ctx.in_dev.or(ctx.out_dev), ev);
    }
}
