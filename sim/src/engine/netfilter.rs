//! The IPv4 netfilter hooks as iptables rules see them: each hook runs its
//! tables in priority order (raw, mangle, nat, filter), each table walks its
//! built-in chain rule by rule (first match decides, `-j CHAIN` / `-g CHAIN`
//! / `RETURN`, policy at the end), counting packets and bytes as
//! `iptables -L -v` shows them.
//!
//! Each hook also runs connection tracking where the kernel registers it
//! (`nf_conntrack_in` after raw at PREROUTING and OUTPUT, confirm last at
//! INPUT and POSTROUTING) and NAT in place of the nat table (its chain only
//! for a connection's first packet; see `engine::conntrack`).
//!
//! Marks: `MARK` sets the packet's mark (`Engine::skb_mark`), `CONNMARK`
//! its connection's; `-m mark`/`-m connmark` read them.
//!
//! Stateful matches keep their state in the rule: `-m limit` (nft_limit's
//! token bucket, since iptables-nft hands the kernel an nft `limit`),
//! `-m statistic` (nft `numgen inc` for nth mode, `meta random` for random
//! mode, drawn from the engine's generator) and `-m connlimit`
//! (nf_conncount's lists); `-m recent` and `-m hashlimit` keep theirs in the
//! namespace's [`Ruleset`], shared by name. `-m owner` reads the socket the
//! datapath names in [`NfCtx::sk`]. NOTRACK and `CT --notrack` mark the
//! packet untracked (`SkbCt::Untracked`); NETMAP binds like the other NAT
//! targets.
//!
//! `LOG` writes `nf_log_syslog`'s line (see `engine::nf_log`) to the
//! kernel log `dmesg` reads. The hook placement (which device is
//! `-i`/`-o`, br_netfilter's bridged pass) is the datapath's.

use super::conntrack::{CtInfo, Manip, Range};
use super::rng::Rng;
use super::Engine;
use crate::model::conntrack::{status, Conn};
use crate::model::nf::rule::{
    AddrMask, ConnmarkOp, ConntrackMatch, CtStates, HashlimitEntry, HashlimitMatch, HashlimitTable, Inv, Match,
    OwnerMatch, PortRange, RecentEntry, RecentMatch, RecentOp, RecentTable, Rule, Target, REJECT_TYPES,
};
use crate::model::nf::{Hook, Policy, Ruleset, TableName};
use crate::model::route::RouteType;
use crate::model::{LinkId, MacAddr, NsId, World};
use crate::trace::{NfTableWalk, TraceKind};
use std::collections::BTreeMap;
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
    /// Its destination MAC (for `LOG`'s `MAC=`).
    pub dst_mac: Option<MacAddr>,
    /// The route's next hop at POSTROUTING (`rt_nexthop`, for MASQUERADE).
    pub nexthop: Option<Ipv4Addr>,
    /// The local socket of a locally generated packet (`skb->sk`, for
    /// `-m owner`): none for received and forwarded packets.
    pub sk: SkOwner,
}

/// The socket behind a packet as xt_owner sees it (`skb_to_full_sk`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum SkOwner {
    /// No socket: a received or forwarded packet.
    #[default]
    None,
    /// A kernel socket without a file: the per-namespace ICMP and TCP
    /// control sockets that send echo replies, ICMP errors and the RST
    /// answering a closed port (`--socket-exists` matches, uid/gid do not).
    Kernel,
    /// A process's socket: the credentials of the file it was opened with.
    User {
        /// fsuid.
        uid: u32,
        /// fsgid.
        gid: u32,
    },
}

impl NfCtx {
    /// A hook with no devices yet; fill in what applies.
    pub fn at(hook: Hook) -> NfCtx {
        NfCtx {
            hook,
            in_dev: None,
            out_dev: None,
            phys_in: None,
            phys_out: None,
            src_mac: None,
            dst_mac: None,
            nexthop: None,
            sk: SkOwner::None,
        }
    }

    /// A hook for a packet received on `dev` in a frame with these
    /// (source, destination) MACs (`None` on loopback).
    pub fn received(hook: Hook, dev: LinkId, macs: Option<(MacAddr, MacAddr)>) -> NfCtx {
        NfCtx { in_dev: Some(dev), src_mac: macs.map(|m| m.0), dst_mac: macs.map(|m| m.1), ..NfCtx::at(hook) }
    }
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
    /// Dropped, answered with a TCP RST (`--reject-with tcp-reset`).
    Reset,
}

/// One thing a hook runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Step {
    /// A table's built-in chain.
    Table(TableName),
    /// `nf_conntrack_in` (priority -200).
    CtIn,
    /// NAT (the nat table, priority -100 or 100).
    Nat,
    /// `nf_conntrack_confirm` (last).
    Confirm,
    /// A native nft base chain (table, chain index in `NftState`).
    Nft(usize, usize),
    /// An iptables-legacy table's built-in chain.
    Legacy(TableName),
}

/// A step's priority at a hook (`nf_ip_hook_priorities`; NAT at the nat
/// core's fixed priorities, whatever its chains' own).
fn step_prio(step: Step, hook: Hook) -> i32 {
    match step {
        Step::Table(TableName::Raw) => -300,
        Step::CtIn => -200,
        Step::Table(TableName::Mangle) => -150,
        Step::Nat if matches!(hook, Hook::Prerouting | Hook::Output) => -100,
        Step::Nat => 100,
        Step::Table(TableName::Filter) => 0,
        Step::Table(TableName::Security) => 150,
        Step::Table(TableName::Nat) => -100,
        Step::Confirm => i32::MAX,
        Step::Nft(..) => 0,
        Step::Legacy(t) => step_prio(Step::Table(t), hook),
    }
}

/// The steps of a hook with native nft base chains interleaved by
/// priority; among equal priorities the later registered runs first
/// (`nf_hook_entries_grow` inserts before the first entry of equal or
/// higher priority). iptables-nft's chains are registered when created
/// (`NftState::xt_sync`); one not seen yet counts as the latest.
fn steps_with_nft(hook: Hook, nft: &crate::model::nft::NftState, legacy: &Ruleset) -> Vec<Step> {
    let mut v: Vec<(i32, u64, Step)> = steps_for(hook)
        .iter()
        .map(|&s| {
            let seq = match s {
                Step::Table(t) => nft.xt_seq(t, hook).unwrap_or(u64::MAX),
                _ => 0,
            };
            (step_prio(s, hook), seq, s)
        })
        .collect();
    for (prio, seq, ti, ci) in super::nft::chains_at(nft, hook, false) {
        v.push((prio, seq, Step::Nft(ti, ci)));
    }
    // iptables-legacy's tables (their nat table runs in the NAT step).
    for (t, seq) in &nft.legacy {
        let has = legacy.table(*t).is_some_and(|x| x.builtins.iter().any(|b| b.hook == hook));
        if has && *t != TableName::Nat {
            let s = Step::Legacy(*t);
            v.push((step_prio(s, hook), *seq, s));
        }
    }
    v.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
    v.into_iter().map(|x| x.2).collect()
}

/// What a hook runs, in priority order (`nf_ip_hook_priorities`; the
/// security table's chains at 150, where iptables-nft registers them).
fn steps_for(hook: Hook) -> &'static [Step] {
    use Step::{Confirm, CtIn, Nat, Table};
    use TableName::{Filter, Mangle, Raw, Security};
    match hook {
        Hook::Prerouting => &[Table(Raw), CtIn, Table(Mangle), Nat],
        Hook::Input => &[Table(Mangle), Table(Filter), Nat, Table(Security), Confirm],
        Hook::Forward => &[Table(Mangle), Table(Filter), Table(Security)],
        Hook::Output => &[Table(Raw), CtIn, Table(Mangle), Nat, Table(Filter), Table(Security)],
        Hook::Postrouting => &[Table(Mangle), Nat, Confirm],
    }
}

/// The first construct in a ruleset netsim cannot evaluate faithfully yet,
/// described for an error message; `None` when all of it is modelled.
pub fn unsupported(rs: &Ruleset) -> Option<String> {
    rs.tables
        .values()
        .flat_map(|t| t.builtins.iter().map(|b| &b.chain).chain(t.user.values()))
        .flat_map(|c| c.rules.iter())
        .find_map(rule_unsupported)
}

/// What of one rule the datapath does not evaluate (see [`unsupported`]).
pub fn rule_unsupported(rule: &crate::model::nf::rule::Rule) -> Option<String> {
    // TCPMSS on packets that may not be SYNs would add an MSS option to them
    // (tcpmss_mangle_packet); netsim only rewrites an existing one.
    let syn_only = rule
        .matches
        .iter()
        .any(|m| matches!(m, Match::Tcp(t) if t.flags.as_ref().is_some_and(|f| !f.inv && f.val.1 & 0x02 != 0)));
    if matches!(rule.target, Some(Target::Tcpmss(_))) && !syn_only {
        return Some("TCPMSS without a SYN match (--syn or --tcp-flags ... SYN)".into());
    }
    if let Some(Target::Ct(ct)) = &rule.target {
        if ct.flags & 1 == 0 && !ct.helper.is_empty() {
            return Some(format!(
                "CT --helper {} (netsim has no conntrack helpers: no expectations, no helper= on the connection)",
                ct.helper
            ));
        }
        if ct.zone != 0 || ct.flags & 6 != 0 {
            return Some("CT --zone/--zone-orig/--zone-reply (conntrack zones are not modelled)".into());
        }
    }
    None
}

/// The fields of a packet the matches read.
struct Pkt<'a> {
    /// The whole IPv4 packet (for `LOG`).
    ip: &'a [u8],
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
    dst_mac: Option<MacAddr>,
    ct: Option<(&'a Conn, CtInfo)>,
    /// The packet was marked untracked (`NOTRACK`, `CT --notrack`).
    untracked: bool,
    sk: SkOwner,
    now: u64,
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

/// The packet's mark and its connection's, as the walk reads and sets them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Marks {
    nf: u32,
    ct: u32,
}

/// Whether a rule matches the packet. Matches are tried in order and the
/// first that fails ends the test, so a stateful match (`limit`,
/// `statistic`) counts only the packets that got that far, as in the
/// kernel's nft rule.
fn rule_matches(
    r: &mut Rule,
    p: &Pkt<'_>,
    e: &Env<'_>,
    marks: &Marks,
    fx: &mut Fx<'_>,
    recent: &mut RecentLists,
    hashlimit: &mut HashlimitTables,
) -> bool {
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
    r.matches.iter_mut().all(|m| match m {
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
        Match::Mark(m) => inv(m.inv, marks.nf & m.mask == m.mark),
        Match::Mac(m) => e.src_mac.is_some_and(|s| inv(m.inv, s == m.val)),
        Match::Iprange(r) => {
            let within = |a: &Option<Inv<(Ipv4Addr, Ipv4Addr)>>, ip: Ipv4Addr| {
                a.as_ref().is_none_or(|a| inv(a.inv, a.val.0 <= ip && ip <= a.val.1))
            };
            within(&r.src, p.src) && within(&r.dst, p.dst)
        }
        Match::State(st) => inv(st.inv, ct_state_bits(e) & st.val.0 != 0),
        Match::Conntrack(c) => conntrack_ok(c, e),
        Match::Connmark(m) => e.ct.is_some() && inv(m.inv, marks.ct & m.mask == m.mark),
        Match::Limit(l) => limit_ok(l, e.now),
        Match::Statistic(st) => statistic_ok(st, fx.rng),
        Match::Recent(m) => recent_ok(m, p, e, recent),
        // `meta length`: the datagram's length as the hook sees it.
        Match::Length(l) => inv(l.inv, l.val.0 as u64 <= p.len && p.len <= l.val.1 as u64),
        Match::Ttl(t) => {
            let ttl = p.ip.get(8).copied().unwrap_or(0);
            match t.mode {
                0 => ttl == t.value,
                1 => ttl != t.value,
                2 => ttl < t.value,
                _ => ttl > t.value,
            }
        }
        Match::Pkttype(pt) => inv(pt.inv, pkt_type(e) == pt.val),
        Match::Rpfilter(f) => inv(*f & 8 != 0, rpfilter_ok(*f, p, e)),
        Match::Owner(o) => owner_ok(o, e.sk),
        Match::Hashlimit(h) => hashlimit_ok(h, p, e.now, hashlimit),
        Match::Connlimit(c) => connlimit_ok(c, p, e),
    })
}

/// `owner_mt`: without a socket only an all-inverted rule matches; a
/// kernel socket (no file) matches `--socket-exists` but no uid or gid;
/// else the file's fsuid/fsgid against the ranges.
// DIVERGENCE: netsim's processes all run as root (uid 0, gid 0, no
// supplementary groups but 0): `sudo -u`/`runuser` are not modelled.
fn owner_ok(o: &OwnerMatch, sk: SkOwner) -> bool {
    let (uid, gid) = match sk {
        SkOwner::None => return (o.flags ^ o.invert) == 0,
        _ if o.flags & o.invert & OwnerMatch::SOCKET != 0 => return false,
        SkOwner::Kernel => return ((o.flags ^ o.invert) & (OwnerMatch::UID | OwnerMatch::GID)) == 0,
        SkOwner::User { uid, gid } => (uid, gid),
    };
    if o.flags & OwnerMatch::UID != 0 {
        let hit = o.uid.0 <= uid && uid <= o.uid.1;
        if hit == (o.invert & OwnerMatch::UID != 0) {
            return false;
        }
    }
    if o.flags & OwnerMatch::GID != 0 {
        // The supplementary groups (root's: gid 0 only) add nothing here.
        let hit = o.gid.0 <= gid && gid <= o.gid.1;
        if hit == (o.invert & OwnerMatch::GID != 0) {
            return false;
        }
    }
    true
}

/// `connlimit_mt` with `nf_conncount_count`: the packet's connection (its
/// original tuple; the packet's own tuple without one) joins the rule's
/// list for the masked source (destination) address unless it is there;
/// at most once a jiffy the list is first cleared of connections that are
/// gone from the table or closed (TCP TIME_WAIT, CLOSE). The match is the
/// list's length against the limit.
// DIVERGENCE: the kernel keeps an entry it cannot find yet for a jiffy or
// two when another CPU added it (it may be unconfirmed); netsim has one
// CPU and drops it at once.
fn connlimit_ok(c: &mut crate::model::nf::rule::ConnlimitMatch, p: &Pkt<'_>, e: &Env<'_>) -> bool {
    use crate::model::conntrack::{TcpState, Tuple};
    let tuple = match e.ct {
        Some((conn, _)) => conn.orig,
        None => match Tuple::of_packet(p.ip) {
            Some(t) => t,
            None => return false,
        },
    };
    let addr = if c.daddr { p.dst } else { p.src };
    let key = if c.mask == 0 { 0 } else { u32::from(addr) & (u32::MAX << (32 - u32::from(c.mask.min(32)))) };
    let now = e.now / (crate::model::NS_PER_SEC / HZ);
    let table = &e.world.ns(e.ns).ct;
    let list = c.lists.0.entry(key).or_default();
    let mut present = false;
    if list.last_gc != Some(now) {
        list.conns.retain(|(t, _)| match table.find(t, e.now).and_then(|(id, _)| table.get(id)) {
            None => {
                // Not confirmed (yet): the packet's own stays.
                present |= *t == tuple;
                *t == tuple
            }
            Some(found) => {
                if *t == tuple {
                    present = true;
                    true
                } else {
                    !matches!(found.tcp, TcpState::TimeWait | TcpState::Close)
                }
            }
        });
    }
    if !present {
        list.conns.push((tuple, now));
        list.last_gc = Some(now);
    }
    let n = list.conns.len() as u64;
    if c.above {
        n > u64::from(c.limit)
    } else {
        n <= u64::from(c.limit)
    }
}

/// What `LOG --log-uid` finds behind the packet (`nf_log_dump_sk_uid_gid`):
/// a process's socket, unless the packet is a SYN-ACK (sent on behalf of
/// a request sock, which is not a full socket).
fn log_uid(sk: SkOwner, p: &Pkt<'_>) -> Option<(u32, u32)> {
    let SkOwner::User { uid, gid } = sk else { return None };
    let syn_ack = p.proto == 6 && p.l4.get(13).is_some_and(|f| f & 0x12 == 0x12);
    (!syn_ack).then_some((uid, gid))
}

/// The namespace's `-m hashlimit` tables.
type HashlimitTables = BTreeMap<String, HashlimitTable>;

/// xt_hashlimit's `CREDITS_PER_JIFFY` (revision 2+) at HZ 250: the largest
/// power of two with `cpj * HZ * 86400` below 2^64.
const HL_CPJ: u64 = 1 << 39;
/// `CREDITS_PER_JIFFY_BYTES` at HZ 250 (power of two below 2^32 / HZ).
const HL_CPJ_BYTES: u64 = 1 << 24;

/// xt_hashlimit's `user2credits` (revision 3, HZ 250): the average in
/// 10^-6 s to credits, `user * (HZ * cpj / 10^6)`, wrapping as u64.
pub fn hashlimit_user2credits(user: u64) -> u64 {
    user.wrapping_mul(HZ * HL_CPJ / crate::model::nf::rule::HASHLIMIT_SCALE)
}

/// xt_hashlimit's `user2credits_byte` (its argument is a u32).
pub fn hashlimit_user2credits_byte(user: u64) -> u64 {
    (u64::from(user as u32) * HZ * HL_CPJ_BYTES) >> 32 & 0xffff_ffff
}

/// `hashlimit_mt_common`: the packet's bucket in the table the rule names
/// (made with this rule's settings by the first packet; entries idle past
/// `--hashlimit-htable-expire` are gone once a garbage collection has run,
/// every `gcinterval` ms), refilled by the jiffies since its last packet,
/// then charged one packet (or its 16-byte chunks in byte mode). In
/// rate-match mode, packets (bytes) are counted per window of `interval`
/// seconds instead: under while the window holds at most rate + burst and
/// the previous window did not go over the rate.
// DIVERGENCE: the kernel makes the table (and starts its collection
// timer) when the rule is added; netsim at the first packet, so the
// collection runs fall at other moments.
fn hashlimit_ok(m: &HashlimitMatch, p: &Pkt<'_>, now_ns: u64, tables: &mut HashlimitTables) -> bool {
    let now = now_ns / (crate::model::NS_PER_SEC / HZ);
    let ms = |v: u32| u64::from(v).div_ceil(1000 / HZ);
    if !tables.contains_key(&m.name) {
        tables.insert(m.name.clone(), HashlimitTable { cfg: m.clone(), entries: BTreeMap::new(), created: now });
    }
    let Some(t) = tables.get_mut(&m.name) else { return false };
    let cfg = &t.cfg;
    let maskl = |a: Ipv4Addr, l: u32| if l == 0 { 0 } else { u32::from(a) & (u32::MAX << (32 - l.min(32))) };
    let ports = match p.proto {
        6 | 17 | 33 | 50 | 132 | 136 => p.l4.get(..4),
        51 => p.l4.get(4..8),
        _ => Some(&[0u8; 4][..]),
    };
    let Some(pt) = ports else { return false };
    let key = (
        if cfg.mode & HashlimitMatch::SIP != 0 { maskl(p.src, cfg.srcmask) } else { 0 },
        if cfg.mode & HashlimitMatch::DIP != 0 { maskl(p.dst, cfg.dstmask) } else { 0 },
        if cfg.mode & HashlimitMatch::SPT != 0 { u16::from_be_bytes([pt[0], pt[1]]) } else { 0 },
        if cfg.mode & HashlimitMatch::DPT != 0 { u16::from_be_bytes([pt[2], pt[3]]) } else { 0 },
    );
    let bytes = cfg.mode & HashlimitMatch::BYTES != 0;
    // htable_gc: a run at created + k * gcinterval frees what expired.
    let gc = ms(cfg.gc_interval).max(1);
    let last_gc = t.created + (now.saturating_sub(t.created) / gc) * gc;
    if t.entries.get(&key).is_some_and(|e| e.expires <= last_gc) {
        t.entries.remove(&key);
    }
    let expires = now + ms(cfg.expire);
    let rate_match = cfg.mode & HashlimitMatch::RATE_MATCH != 0;
    let dh = match t.entries.get_mut(&key) {
        Some(dh) => {
            dh.expires = expires;
            // rateinfo_recalc.
            let delta = now.wrapping_sub(dh.prev);
            if delta != 0 && rate_match {
                // A window closes after `interval` seconds: the next one
                // is refused whole when this one went over the rate.
                let interval = dh.interval * HZ;
                if delta >= interval {
                    dh.prev = now;
                    dh.prev_window = dh.current_rate.wrapping_mul(interval) > delta.wrapping_mul(dh.rate);
                    dh.current_rate = 0;
                }
            } else if delta != 0 {
                dh.prev = now;
                let cap = if bytes {
                    dh.credit = dh.credit.wrapping_add(HL_CPJ_BYTES.wrapping_mul(delta));
                    HL_CPJ_BYTES * HZ
                } else {
                    dh.credit = dh.credit.wrapping_add(delta.wrapping_mul(HL_CPJ));
                    dh.credit_cap
                };
                dh.credit = dh.credit.min(cap);
            }
            dh
        }
        None => {
            // rateinfo_init.
            let mut e = HashlimitEntry {
                expires,
                prev: now,
                credit: 0,
                credit_cap: 0,
                cost: 0,
                current_rate: 0,
                rate: 0,
                burst: 0,
                interval: u64::from(cfg.interval),
                prev_window: false,
            };
            if rate_match && bytes {
                // user2rate_bytes.
                let r = u64::from(u32::MAX).checked_div(u64::from(cfg.avg as u32)).unwrap_or(u64::from(u32::MAX));
                e.rate = r.wrapping_sub(1) << 4;
                e.burst = if cfg.burst != 0 { cfg.burst.wrapping_mul(e.rate) } else { e.rate };
            } else if rate_match {
                // user2rate.
                e.rate = crate::model::nf::rule::HASHLIMIT_SCALE.checked_div(cfg.avg).unwrap_or(0);
                e.burst = cfg.burst.wrapping_add(e.rate);
            } else if bytes {
                (e.credit, e.cost, e.credit_cap) = (HL_CPJ_BYTES * HZ, hashlimit_user2credits_byte(cfg.avg), cfg.burst);
            } else {
                e.credit = hashlimit_user2credits(cfg.avg.wrapping_mul(cfg.burst));
                (e.cost, e.credit_cap) = (hashlimit_user2credits(cfg.avg), e.credit);
            }
            t.entries.entry(key).or_insert(e)
        }
    };
    if m.mode & HashlimitMatch::RATE_MATCH != 0 {
        dh.current_rate = dh.current_rate.wrapping_add(if m.mode & HashlimitMatch::BYTES != 0 { p.len } else { 1 });
        let under = !dh.prev_window && dh.current_rate <= dh.burst;
        return under != (m.mode & HashlimitMatch::INVERT != 0);
    }
    let cost = if m.mode & HashlimitMatch::BYTES != 0 {
        // hashlimit_byte_cost: 16-byte chunks, capped at a second's credit;
        // an empty bucket is refilled while refills (the burst) last.
        let tmp = ((p.len >> 4) + 1).wrapping_mul(dh.cost).min(HL_CPJ_BYTES * HZ);
        if dh.credit < tmp && dh.credit_cap != 0 {
            dh.credit_cap -= 1;
            dh.credit = HL_CPJ_BYTES * HZ;
        }
        tmp
    } else {
        dh.cost
    };
    let under = dh.credit >= cost;
    if under {
        dh.credit -= cost;
    }
    under != (m.mode & HashlimitMatch::INVERT != 0)
}

/// `-m limit` as the kernel runs what iptables-nft gives it: nft_limit's
/// packet token bucket (`nft_limit_eval`), in nanoseconds of (virtual)
/// monotonic time. Each packet costs `unit * 10^9 / rate` ns; the bucket
/// holds `burst` packets' worth, starts full when the rule is added, and
/// refills with the time elapsed since the last packet that reached it.
/// (Not xt_limit's jiffy-based credits: iptables 1.8.9 (nf_tables)
/// translates `-m limit` to nft's native `limit` expression.)
fn limit_ok(l: &mut crate::model::nf::rule::LimitMatch, now: u64) -> bool {
    let (cost, max) = l.cost_and_max();
    let (tokens, last) = l.bucket.0.unwrap_or((max, now));
    let tokens = (tokens + now.saturating_sub(last)).min(max);
    let (left, hit) = if tokens >= cost { (tokens - cost, true) } else { (tokens, false) };
    l.bucket.0 = Some((left, now));
    hit
}

/// `-m statistic` as iptables-nft gives it to the kernel. nth mode:
/// `numgen inc mod N == P` (the first packet draws 0, so `--every 3
/// --packet 0` picks packets 1, 4, 7, ...; verified on the kernel).
/// Random mode: `meta random & 0x7fffffff < lround(P * 2^31)`.
// DIVERGENCE: random mode draws from the engine's seeded generator, not the
// kernel's get_random_u32(), so the fraction of packets picked follows the
// probability but which packets are picked differs from any kernel run.
fn statistic_ok(st: &mut crate::model::nf::rule::StatisticMatch, rng: &mut Rng) -> bool {
    let hit = if st.nth {
        let modulus = u64::from(st.value) + 1;
        let n = st.count.0.map_or(0, |c| ((u64::from(c) + 1) % modulus) as u32);
        st.count.0 = Some(n);
        n == st.packet
    } else {
        ((rng.next_u64() >> 32) as u32 & 0x7fff_ffff) < st.value
    };
    inv(st.inv, hit)
}

/// The `state`/`conntrack --ctstate` bits of a packet: UNTRACKED for a
/// packet marked so, INVALID without a connection, plus SNAT/DNAT for a
/// NATed one.
fn ct_state_bits(e: &Env<'_>) -> u8 {
    match e.ct {
        None if e.untracked => CtStates::UNTRACKED,
        None => CtStates::INVALID,
        Some((c, info)) => {
            let mut b = info.state_bit();
            if c.has(status::SRC_NAT) {
                b |= CtStates::SNAT;
            }
            if c.has(status::DST_NAT) {
                b |= CtStates::DNAT;
            }
            b
        }
    }
}

/// `rpfilter_mt` (what iptables-nft's `fib saddr . iif oif` expressions
/// compute) before the invert flag: true for loopback and for a
/// zeronet source to a limited broadcast or local multicast address; else
/// the route back to the source must exist, be unicast (or local with
/// `--accept-local`) and, unless `--loose`, leave by the input device.
/// `--validmark` changes nothing: netsim has no policy routing on marks.
fn rpfilter_ok(f: u8, p: &Pkt<'_>, e: &Env<'_>) -> bool {
    if e.in_name == Some("lo") {
        return true;
    }
    let local_mcast = u32::from(p.dst) & 0xffff_ff00 == 0xe000_0000;
    if p.src.is_unspecified() && (p.dst.is_broadcast() || local_mcast) {
        return true;
    }
    let Some(res) = e.world.fib_lookup(e.ns, p.src, None) else { return false };
    let r = &res.route;
    let ok_type = r.rtype == RouteType::Unicast || (r.rtype == RouteType::Local && f & 4 != 0);
    let dev_name = r.dev.filter(|d| e.world.link_alive(*d)).map(|d| e.world.link(d).name.as_str());
    ok_type && (f & 1 != 0 || (dev_name.is_some() && dev_name == e.in_name))
}

/// `skb->pkt_type` as `-m pkttype` reads it: from a received frame's
/// destination MAC (a bridged frame for another host counts as HOST, as
/// br_netfilter makes it), HOST for local output and loopback.
fn pkt_type(e: &Env<'_>) -> u8 {
    match e.dst_mac {
        Some(m) if m.is_broadcast() => 1,
        Some(m) if m.is_multicast() => 2,
        _ => 0,
    }
}

/// `conntrack_mt`: every option given must hold; without a connection
/// only `--ctstate INVALID` can.
fn conntrack_ok(m: &ConntrackMatch, e: &Env<'_>) -> bool {
    if let Some(st) = &m.state {
        if !inv(st.inv, ct_state_bits(e) & st.val.0 != 0) {
            return false;
        }
    }
    let Some((c, info)) = e.ct else {
        return m.proto.is_none()
            && m.orig_src.is_none()
            && m.orig_dst.is_none()
            && m.repl_src.is_none()
            && m.repl_dst.is_none()
            && m.orig_src_port.is_none()
            && m.orig_dst_port.is_none()
            && m.repl_src_port.is_none()
            && m.repl_dst_port.is_none()
            && m.status.is_none()
            && m.expire.is_none()
            && m.dir_reply.is_none();
    };
    let (o, r) = (&c.orig, &c.reply);
    m.proto.as_ref().is_none_or(|p| inv(p.inv, p.val == o.proto))
        && addr_ok(&m.orig_src, o.src)
        && addr_ok(&m.orig_dst, o.dst)
        && addr_ok(&m.repl_src, r.src)
        && addr_ok(&m.repl_dst, r.dst)
        && port_ok(&m.orig_src_port, o.sport)
        && port_ok(&m.orig_dst_port, o.dport)
        && port_ok(&m.repl_src_port, r.sport)
        && port_ok(&m.repl_dst_port, r.dport)
        && m.status.as_ref().is_none_or(|s| {
            // EXPECTED=1 SEEN_REPLY=2 ASSURED=4 CONFIRMED=8 as the kernel's
            // IPS_* bits 0..3.
            inv(s.inv, (c.status & 0xf) as u8 & s.val != 0)
        })
        && m.expire.as_ref().is_none_or(|x| {
            let left = (c.expires.saturating_sub(e.now) / crate::model::NS_PER_SEC) as u32;
            inv(x.inv, x.val.0 <= left && left <= x.val.1)
        })
        && m.dir_reply.is_none_or(|reply| (info.dir() == crate::model::conntrack::Dir::Reply) == reply)
}

/// What a walk may do besides deciding: draw random numbers (`-m statistic`)
/// and write kernel log lines (`LOG`).
struct Fx<'a> {
    rng: &'a mut Rng,
    log: Vec<String>,
    /// TCPMSS targets met, in order: `Some(mss)` or `None` for clamping.
    mss: Vec<Option<u16>>,
    /// `NOTRACK` or `CT --notrack` matched.
    notrack: bool,
}

/// The namespace's `-m recent` lists.
type RecentLists = BTreeMap<String, RecentTable>;

/// The kernel's HZ on the machine the goldens come from (`CONFIG_HZ=250`):
/// `-m recent` stamps entries in jiffies.
const HZ: u64 = 250;

/// `recent_mt` for an IPv4 packet; `lists` are the namespace's.
fn recent_ok(m: &RecentMatch, p: &Pkt<'_>, e: &Env<'_>, lists: &mut RecentLists) -> bool {
    let addr = if m.dest { p.dst } else { p.src };
    let addr = Ipv4Addr::from(u32::from(addr) & u32::from(m.mask));
    // The TTL as seen before forwarding: the kernel adds one when there is
    // an output device and no socket (a forwarded packet here).
    let mut ttl = p.ip.get(8).copied().unwrap_or(0);
    if e.out_name.is_some() && e.in_name.is_some() {
        ttl = ttl.wrapping_add(1);
    }
    let jiffies = e.now / (crate::model::NS_PER_SEC / HZ);
    // recent_mt_check sizes a new list's stamp rings.
    let t = lists.entry(m.name.clone()).or_insert_with(|| RecentTable {
        size: (m.hit_count.max(IP_PKT_LIST_TOT) as usize).next_power_of_two(),
        lru: Vec::new(),
    });
    let want_ttl = if m.rttl { ttl } else { 0 };
    let found = t.lru.iter().position(|x| x.addr == addr && (want_ttl == 0 || x.ttl == want_ttl));
    let mut hit = false;
    let Some(i) = found else {
        if m.op != Some(RecentOp::Set) {
            return m.inv;
        }
        // recent_entry_init: the least recently updated entry goes when
        // the list is full (ip_list_tot).
        if t.lru.len() >= IP_LIST_TOT {
            t.lru.remove(0);
        }
        let mut stamps = vec![0; t.size];
        stamps[0] = jiffies;
        t.lru.push(RecentEntry { addr, ttl, stamps, index: 1, nstamps: 1 });
        return !m.inv;
    };
    let mut i = i;
    match m.op {
        Some(RecentOp::Set) => hit = true,
        Some(RecentOp::Remove) => {
            t.lru.remove(i);
            return !m.inv;
        }
        _ => {
            let time = jiffies.wrapping_sub(u64::from(m.seconds) * HZ);
            let after = |a: u64, b: u64| (b.wrapping_sub(a) as i64) < 0;
            let x = &t.lru[i];
            let mut hits = 0;
            for &s in &x.stamps[..x.nstamps] {
                if m.seconds != 0 && after(time, s) {
                    continue;
                }
                hits += 1;
                if m.hit_count == 0 || hits >= m.hit_count {
                    hit = true;
                    break;
                }
            }
            // recent_entry_reap: the least recently updated entry goes if
            // its last stamp is older than the window.
            if m.reap && i != 0 {
                let old = &t.lru[0];
                let last = old.stamps[(old.index + old.stamps.len() - 1) % old.stamps.len()];
                if after(time, last) {
                    t.lru.remove(0);
                    i -= 1;
                }
            }
        }
    }
    let ret = inv(m.inv, hit);
    // As the kernel: an inverted --update stamps when it did not hit.
    if m.op == Some(RecentOp::Set) || (m.op == Some(RecentOp::Update) && ret) {
        // recent_entry_update: stamp, and move to the most recent end.
        let mut x = t.lru.remove(i);
        x.index %= x.stamps.len();
        x.stamps[x.index] = jiffies;
        x.index += 1;
        x.nstamps = x.nstamps.max(x.index);
        x.index %= x.stamps.len();
        x.ttl = ttl;
        t.lru.push(x);
    }
    ret
}

/// xt_recent's module parameters at their defaults: entries per list and
/// stamps per entry.
const IP_LIST_TOT: usize = 100;
const IP_PKT_LIST_TOT: u32 = 20;

/// Where the walk is: a built-in chain (by index) or a user chain.
#[derive(Clone)]
enum At {
    Builtin(usize),
    User(String),
}

/// What a matched rule's target tells the walk to do, taken out of the rule
/// so the walk can move on without holding a borrow of it.
enum Act {
    Next,
    Verdict(NfVerdict),
    Nat(Target),
    Return,
    Jump(String),
    Goto(String),
}

/// How a walk ended: a verdict, or (nat table) a NAT target that matched.
enum End {
    Verdict(NfVerdict, Decider),
    Nat(Target),
}

/// The chain and rule number that decided a DROP or REJECT (0 for the
/// policy), for the trace; built only then.
type Decider = Option<(String, usize)>;

/// Walks one table's chain for a hook, updating counters. Returns the
/// verdict and, for a drop or reject, what decided it.
fn walk(
    rs: &mut Ruleset,
    table: TableName,
    hook: Hook,
    p: &Pkt<'_>,
    e: &Env<'_>,
    marks: &mut Marks,
    fx: &mut Fx<'_>,
) -> Option<End> {
    let Ruleset { tables, recent, hashlimit } = rs;
    let t = tables.get_mut(&table)?;
    let bi = t.builtins.iter().position(|b| b.hook == hook)?;
    let mut stack: Vec<(At, usize)> = Vec::new();
    let mut at = At::Builtin(bi);
    let mut i = 0usize;
    let mut guard = 0u32;
    loop {
        guard += 1;
        if guard > 1_000_000 {
            // A jump loop the kernel would have refused at load time.
            return Some(End::Verdict(NfVerdict::Drop, Some(("loop".into(), 0))));
        }
        let chain = match &at {
            At::Builtin(b) => &mut t.builtins[*b].chain,
            At::User(name) => match t.user.get_mut(name) {
                Some(c) => c,
                None => return Some(End::Verdict(NfVerdict::Accept, None)),
            },
        };
        // A long chain's index skips rules that cannot match this
        // destination; the first match is the same as walking every rule.
        if let Some(ix) = &chain.index {
            i = ix.next(i, p.dst).unwrap_or(usize::MAX);
        }
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
                        Policy::Drop => End::Verdict(NfVerdict::Drop, Some((hook.as_str().into(), 0))),
                        Policy::Accept => End::Verdict(NfVerdict::Accept, None),
                    });
                }
            }
        }
        let rule = &mut chain.rules[i];
        if !rule_matches(rule, p, e, marks, fx, &mut recent.0, &mut hashlimit.0) {
            i += 1;
            continue;
        }
        rule.counters.packets += 1;
        rule.counters.bytes += p.len;
        let step = match &rule.target {
            None => Act::Next,
            Some(Target::Accept) => Act::Verdict(NfVerdict::Accept),
            Some(Target::Drop) => Act::Verdict(NfVerdict::Drop),
            Some(Target::Reject(k)) if REJECT_TYPES[*k].0 == "tcp-reset" => Act::Verdict(NfVerdict::Reset),
            Some(Target::Reject(k)) => Act::Verdict(NfVerdict::Reject(match REJECT_TYPES[*k].0 {
                "icmp-net-unreachable" => 0,
                "icmp-host-unreachable" => 1,
                "icmp-proto-unreachable" => 2,
                "icmp-net-prohibited" => 9,
                "icmp-host-prohibited" => 10,
                "icmp-admin-prohibited" => 13,
                _ => 3,
            })),
            Some(Target::Return) => Act::Return,
            Some(Target::Jump(c)) => Act::Jump(c.clone()),
            Some(Target::Goto(c)) => Act::Goto(c.clone()),
            Some(Target::Mark { mark, mask }) => {
                marks.nf = (marks.nf & !mask) ^ mark;
                Act::Next
            }
            // connmark_tg: nothing to do without a connection.
            Some(Target::Connmark(op)) => {
                if e.ct.is_some() {
                    match *op {
                        ConnmarkOp::Set { mark, mask } => marks.ct = (marks.ct & !mask) ^ mark,
                        ConnmarkOp::Save { nfmask, ctmask } => marks.ct = (marks.ct & !ctmask) ^ (marks.nf & nfmask),
                        ConnmarkOp::Restore { nfmask, ctmask } => marks.nf = (marks.nf & !nfmask) ^ (marks.ct & ctmask),
                    }
                }
                Act::Next
            }
            // Checksums in netsim are always complete: nothing to fill.
            Some(Target::Checksum) => Act::Next,
            // xt_ct: `--notrack` marks the packet untracked (IP_CT_UNTRACKED)
            // unless it has a connection already; conntrack and NAT then
            // leave it alone. A CT template (event masks; zones and helpers
            // are refused) changes nothing netsim shows.
            // DIVERGENCE: `--ctevents`/`--expevents` masks are not applied
            // to conntrack event reports.
            Some(Target::Notrack) => {
                fx.notrack = true;
                Act::Next
            }
            Some(Target::Ct(ct)) => {
                fx.notrack |= ct.flags & 1 != 0;
                Act::Next
            }
            // Applied to the packet once the walk is over (nf_walk).
            Some(Target::Tcpmss(mss)) => {
                fx.mss.push(*mss);
                Act::Next
            }
            // DIVERGENCE (of a kind): netsim has no nfnetlink_log listener
            // (ulogd, `tcpdump -i nflog:N`), so NFLOG hands the packet to
            // nobody and it goes on, as on a kernel where no program is
            // bound to the group.
            Some(Target::Nflog { .. }) => Act::Next,
            // nf_log_ip_packet. The kernel logs from a namespace other than
            // the initial one only with net.netfilter.nf_log_all_netns=1.
            // DIVERGENCE: netsim logs from every namespace, as such a host
            // does (netsim verify sets it for the run); with the default 0
            // the kernel's log stays empty for a container's LOG rules.
            Some(Target::Log { prefix, flags, .. }) => {
                let c = super::nf_log::LogCtx {
                    in_name: e.in_name,
                    out_name: e.out_name,
                    phys_in: e.phys_in,
                    phys_out: e.phys_out,
                    macs: e.src_mac.zip(e.dst_mac),
                    mark: marks.nf,
                    uid: log_uid(e.sk, p),
                };
                fx.log.push(super::nf_log::log_line(prefix.as_deref().unwrap_or(""), *flags, &c, p.ip));
                Act::Next
            }
            Some(
                t @ (Target::Masquerade { .. }
                | Target::Snat(..)
                | Target::Dnat(..)
                | Target::Redirect { .. }
                | Target::Netmap(_)),
            ) => Act::Nat(t.clone()),
        };
        match step {
            Act::Next => i += 1,
            Act::Verdict(NfVerdict::Accept) => return Some(End::Verdict(NfVerdict::Accept, None)),
            Act::Nat(t) => return Some(End::Nat(t)),
            Act::Verdict(v) => {
                let chain = match at {
                    At::Builtin(b) => t.builtins[b].hook.as_str().to_string(),
                    At::User(n) => n,
                };
                return Some(End::Verdict(v, Some((chain, i + 1))));
            }
            Act::Return => match stack.pop() {
                Some((back, next)) => {
                    at = back;
                    i = next;
                }
                None => i = usize::MAX,
            },
            Act::Jump(c) => {
                stack.push((std::mem::replace(&mut at, At::User(c)), i + 1));
                i = 0;
            }
            Act::Goto(c) => {
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
    /// Runs a netfilter hook on an IPv4 packet in `ns`: its tables in
    /// priority order, conntrack and NAT where they sit. NAT rewrites `pkt`
    /// in place. Without any table or conntrack this is a no-op, as in a
    /// fresh namespace.
    pub fn nf_hook(&mut self, ns: NsId, ctx: &NfCtx, pkt: &mut [u8]) -> NfVerdict {
        let n = self.world.ns(ns);
        let nft_here = n.nft.at_hook(ctx.hook);
        if n.nft.needs_ct && !n.ct.enabled {
            self.world.ns_mut(ns).ct.enabled = true;
        }
        let n = self.world.ns(ns);
        let legacy_here = !n.nf_legacy.tables.is_empty();
        if (n.nf.tables.is_empty() && !n.ct.enabled && !nft_here && !legacy_here) || pkt.len() < 20 {
            if self.trace.enabled {
                self.trace_nf(ns, ctx, Vec::new(), "ACCEPT");
            }
            return NfVerdict::Accept;
        }
        let has_nat =
            n.nf.table(TableName::Nat).is_some() || n.nft.has_nat || n.nf_legacy.table(TableName::Nat).is_some();
        let dynamic = nft_here || legacy_here;
        // The interleaved steps change only with the rulesets (their
        // generation): cached per namespace and hook, so a packet allocates
        // nothing for them.
        let gen = n.nft.gen;
        let cached = if dynamic {
            self.nf_steps.get_mut(&(ns, ctx.hook)).filter(|c| c.0 == gen).map(|c| std::mem::take(&mut c.1))
        } else {
            None
        };
        let n = self.world.ns(ns);
        let steps: std::borrow::Cow<'static, [Step]> = match cached {
            Some(v) => std::borrow::Cow::Owned(v),
            None if dynamic => std::borrow::Cow::Owned(steps_with_nft(ctx.hook, &n.nft, &n.nf_legacy)),
            None => std::borrow::Cow::Borrowed(steps_for(ctx.hook)),
        };
        let mut nft = if dynamic { std::mem::take(&mut self.world.ns_mut(ns).nft) } else { Default::default() };
        let mut legacy =
            if legacy_here { std::mem::take(&mut self.world.ns_mut(ns).nf_legacy) } else { Ruleset::new() };
        let mut rs = std::mem::take(&mut self.world.ns_mut(ns).nf);
        let before = self.trace.enabled.then(|| crate::trace::nf::snapshot(&rs));
        let addrs_before = self.trace.enabled.then(|| crate::trace::nf::addresses(pkt));
        let mut decided = None;
        let mut nft_decided: Option<(NfVerdict, String)> = None;
        for step in steps.iter() {
            match *step {
                Step::Legacy(table) => {
                    if let Some(End::Verdict(v, _)) = self.nf_walk(&mut legacy, ns, ctx, table, pkt) {
                        if v != NfVerdict::Accept {
                            nft_decided = Some((v, String::new()));
                            break;
                        }
                    }
                }
                Step::Nft(ti, ci) => {
                    use crate::model::nft::{End as NEnd, Reject};
                    let end = self.nft_chain(&mut nft, ns, ctx, ti, ci, pkt);
                    let v = match end {
                        NEnd::Accept | NEnd::Nat(..) => continue,
                        NEnd::Drop(..) => NfVerdict::Drop,
                        NEnd::Reject(Reject::Default, ..) => NfVerdict::Reject(3),
                        NEnd::Reject(Reject::Icmp(c), ..) => NfVerdict::Reject(c),
                        NEnd::Reject(Reject::TcpReset, ..) => NfVerdict::Reset,
                    };
                    if self.trace.enabled {
                        self.trace_nft(ns, ctx, &nft, ti, &end, v);
                    }
                    nft_decided = Some((v, String::new()));
                    break;
                }
                Step::CtIn => {
                    self.ct_in(ns, pkt);
                    if self.trace.enabled && self.world.ns(ns).ct.enabled {
                        self.trace_ct(ns);
                    }
                }
                Step::Confirm => self.ct_confirm(ns),
                Step::Table(table) => {
                    if let Some(End::Verdict(v, why)) = self.nf_walk(&mut rs, ns, ctx, table, pkt) {
                        if v != NfVerdict::Accept {
                            decided = Some((v, table, why));
                            break;
                        }
                    }
                }
                Step::Nat if has_nat => {
                    if let Some((v, why)) = self.nat_step(&mut rs, &mut legacy, &mut nft, ns, ctx, pkt) {
                        decided = Some((v, TableName::Nat, why));
                        break;
                    }
                }
                Step::Nat => {}
            }
        }
        if dynamic {
            self.world.ns_mut(ns).nft = nft;
        }
        let order: Vec<TableName> = if before.is_some() {
            steps
                .iter()
                .filter_map(|s| match s {
                    Step::Table(t) => Some(*t),
                    Step::Nat if has_nat => Some(TableName::Nat),
                    _ => None,
                })
                .collect()
        } else {
            Vec::new()
        };
        if let std::borrow::Cow::Owned(v) = steps {
            self.nf_steps.insert((ns, ctx.hook), (gen, v));
        }
        if legacy_here {
            self.world.ns_mut(ns).nf_legacy = legacy;
        }
        if let Some((v, _)) = nft_decided {
            if let Some(before) = before {
                let vs = if v == NfVerdict::Drop { "DROP" } else { "REJECT" };
                let walks = crate::trace::nf::walks(&before, &rs, ctx.hook, &[], None);
                self.world.ns_mut(ns).nf = rs;
                self.trace_nf(ns, ctx, walks, vs);
            } else {
                self.world.ns_mut(ns).nf = rs;
            }
            return v;
        }
        if let Some(before) = before {
            let v = match decided.as_ref().map(|d| d.0) {
                Some(NfVerdict::Drop) => "DROP",
                Some(NfVerdict::Reject(_) | NfVerdict::Reset) => "REJECT",
                _ => "ACCEPT",
            };
            let walks = crate::trace::nf::walks(&before, &rs, ctx.hook, &order, decided.as_ref().map(|d| (d.1, v)));
            self.world.ns_mut(ns).nf = rs;
            self.trace_nf(ns, ctx, walks, v);
            if let Some(b) = addrs_before.filter(|b| *b != crate::trace::nf::addresses(pkt)) {
                let after = crate::trace::nf::addresses(pkt);
                let ev = TraceKind::Nat { ns, hook: ctx.hook, before: b, after };
                self.trace.push(&self.world, self.now, ctx.in_dev.or(ctx.out_dev), ev);
            }
        } else {
            self.world.ns_mut(ns).nf = rs;
        }
        let Some((verdict, _, _)) = decided else { return NfVerdict::Accept };
        verdict
    }

    /// Traces what connection tracking made of the packet.
    #[cold]
    #[inline(never)]
    fn trace_ct(&mut self, ns: NsId) {
        use super::conntrack::CtInfo;
        let (state, entry) = match self.skb_conn(ns) {
            None => ("INVALID", None),
            Some((c, info)) => {
                let state = match info {
                    CtInfo::New => "NEW",
                    CtInfo::Established => "ESTABLISHED",
                    CtInfo::EstablishedReply => "ESTABLISHED reply",
                    CtInfo::Related => "RELATED",
                    CtInfo::RelatedReply => "RELATED reply",
                };
                let mut line = String::new();
                crate::render::conntrack::line(&mut line, c, self.now, false);
                (state, Some(line.trim_end().to_string()))
            }
        };
        self.trace.push(&self.world, self.now, None, TraceKind::Conntrack { ns, state, entry });
    }

    /// Traces a hook's traversal.
    #[cold]
    #[inline(never)]
    fn trace_nf(&mut self, ns: NsId, ctx: &NfCtx, tables: Vec<NfTableWalk>, verdict: &'static str) {
        let mark = self.skb_mark;
        let ev =
            TraceKind::NfHook { ns, hook: ctx.hook, in_dev: ctx.in_dev, out_dev: ctx.out_dev, tables, verdict, mark };
        self.trace.push(&self.world, self.now, ctx.in_dev.or(ctx.out_dev), ev);
    }

    /// Walks one table's chain for the packet as it is now, then stores
    /// the marks the walk set on the packet and its connection.
    fn nf_walk(&mut self, rs: &mut Ruleset, ns: NsId, ctx: &NfCtx, table: TableName, pkt: &mut [u8]) -> Option<End> {
        let ihl = usize::from(pkt[0] & 0xf) * 4;
        let p = Pkt {
            ip: pkt,
            src: Ipv4Addr::new(pkt[12], pkt[13], pkt[14], pkt[15]),
            dst: Ipv4Addr::new(pkt[16], pkt[17], pkt[18], pkt[19]),
            proto: pkt[9],
            frag_off: u16::from_be_bytes([pkt[6], pkt[7]]) & 0x1fff,
            l4: pkt.get(ihl..).unwrap_or(&[]),
            len: pkt.len() as u64,
        };
        // The generator is moved out for the walk (`skb_conn` borrows all of self).
        let mut rng = std::mem::replace(&mut self.rng, Rng::new(0));
        let ct = self.skb_conn(ns);
        let before = Marks { nf: self.skb_mark, ct: ct.map_or(0, |(c, _)| c.mark) };
        let mut marks = before;
        let log;
        let mss;
        let notrack;
        let end = {
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
                dst_mac: ctx.dst_mac,
                ct,
                untracked: matches!(self.skb_ct, super::conntrack::SkbCt::Untracked),
                sk: ctx.sk,
                now: self.now,
            };
            let mut fx = Fx { rng: &mut rng, log: Vec::new(), mss: Vec::new(), notrack: false };
            let end = walk(rs, table, ctx.hook, &p, &env, &mut marks, &mut fx);
            log = fx.log;
            mss = fx.mss;
            notrack = fx.notrack;
            end
        };
        if notrack && self.skb_ct == super::conntrack::SkbCt::None {
            self.skb_ct = super::conntrack::SkbCt::Untracked;
        }
        for m in mss {
            self.tcpmss(ns, ctx, pkt, m);
        }
        self.rng = rng;
        for line in log {
            self.kmsg.push((self.now, line));
        }
        self.skb_mark = marks.nf;
        if marks.ct != before.ct {
            self.set_ct_mark(ns, marks.ct);
        }
        end
    }

    /// `tcpmss_mangle_packet`: lower the MSS option of a TCP segment to
    /// `mss`, or with `None` to the smaller of the output route's and the
    /// reverse route's device MTU less 40; never raise it. A segment
    /// without the option is left alone (the kernel would add one; such
    /// rules are refused, see [`unsupported`]).
    fn tcpmss(&self, ns: NsId, ctx: &NfCtx, pkt: &mut [u8], mss: Option<u16>) {
        let ihl = usize::from(pkt[0] & 0xf) * 4;
        let frag = u16::from_be_bytes([pkt[6], pkt[7]]) & 0x1fff;
        if pkt[9] != 6 || frag != 0 || pkt.len() < ihl + 20 {
            return;
        }
        let mtu = |l: Option<LinkId>| l.filter(|l| self.world.link_alive(*l)).map(|l| self.world.link(l).mtu);
        let newmss = match mss {
            Some(n) => n,
            None => {
                let src = Ipv4Addr::new(pkt[12], pkt[13], pkt[14], pkt[15]);
                let back = self.world.fib_lookup(ns, src, None).and_then(|r| mtu(r.route.dev)).unwrap_or(u32::MAX);
                let min = mtu(ctx.out_dev).unwrap_or(u32::MAX).min(back);
                if min <= 40 || min == u32::MAX {
                    return;
                }
                (min - 40).min(65_535) as u16
            }
        };
        let tcp = &mut pkt[ihl..];
        let doff = usize::from(tcp[12] >> 4) * 4;
        if doff < 20 || tcp.len() < doff {
            return;
        }
        let mut i = 20;
        while i + 4 <= doff {
            match tcp[i] {
                0 => return,
                1 => i += 1,
                2 if tcp[i + 1] == 4 => {
                    let old = u16::from_be_bytes([tcp[i + 2], tcp[i + 3]]);
                    if old <= newmss {
                        return;
                    }
                    tcp[i + 2..i + 4].copy_from_slice(&newmss.to_be_bytes());
                    // inet_proto_csum_replace2: RFC 1624's incremental update.
                    let c = u16::from_be_bytes([tcp[16], tcp[17]]);
                    let mut sum = u32::from(!c) + u32::from(!old) + u32::from(newmss);
                    while sum > 0xffff {
                        sum = (sum & 0xffff) + (sum >> 16);
                    }
                    tcp[16..18].copy_from_slice(&(!(sum as u16)).to_be_bytes());
                    return;
                }
                _ => {
                    let len = usize::from(tcp[i + 1]);
                    if len < 2 {
                        return;
                    }
                    i += len;
                }
            }
        }
    }

    /// NAT at a hook (`nf_nat_ipv4_fn`): translate a RELATED ICMP error;
    /// for a new connection without a binding of this hook's type, run the
    /// nat chain and bind (a NAT target's range, or the null binding); then
    /// rewrite the packet. Returns a drop verdict, if any.
    fn nat_step(
        &mut self,
        rs: &mut Ruleset,
        legacy: &mut Ruleset,
        nft: &mut crate::model::nft::NftState,
        ns: NsId,
        ctx: &NfCtx,
        pkt: &mut [u8],
    ) -> Option<(NfVerdict, Decider)> {
        if self.nat_is_related_icmp(ns, pkt) {
            self.nat_icmp_reply(ns, ctx.hook, pkt);
            return None;
        }
        let manip = Manip::of_hook(ctx.hook);
        if self.nat_needs_chain(ns, manip) {
            // nf_nat_inet_fn: the nat chains of this hook (iptables' nat
            // table and nft's nat base chains) in priority order until one
            // binds; none binding leaves the null binding.
            // (priority, registration, which): None for iptables-nft's
            // nat table, Some((usize::MAX, 0)) for iptables-legacy's, else
            // an nft chain.
            type NatChain = (i32, u64, Option<(usize, usize)>);
            const LEGACY: Option<(usize, usize)> = Some((usize::MAX, 0));
            let mut chains: Vec<NatChain> = Vec::new();
            if rs.table(TableName::Nat).is_some() {
                let seq = nft.xt_seq(TableName::Nat, ctx.hook).unwrap_or(u64::MAX);
                chains.push((step_prio(Step::Nat, ctx.hook), seq, None));
            }
            if legacy.table(TableName::Nat).is_some() {
                let seq = nft.legacy.iter().find(|x| x.0 == TableName::Nat).map_or(u64::MAX, |x| x.1);
                chains.push((step_prio(Step::Nat, ctx.hook), seq, LEGACY));
            }
            for (prio, seq, ti, ci) in super::nft::chains_at(nft, ctx.hook, true) {
                chains.push((prio, seq, Some((ti, ci))));
            }
            chains.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
            let mut range = None;
            for (_, _, which) in chains {
                let target = match which {
                    None | LEGACY => match self.nf_walk(
                        if which.is_none() { &mut *rs } else { &mut *legacy },
                        ns,
                        ctx,
                        TableName::Nat,
                        pkt,
                    ) {
                        Some(End::Verdict(NfVerdict::Accept, _)) | None => None,
                        Some(End::Verdict(v, why)) => return Some((v, why)),
                        Some(End::Nat(t)) => Some(t),
                    },
                    Some((ti, ci)) => {
                        use crate::model::nft::End as NEnd;
                        match self.nft_chain(nft, ns, ctx, ti, ci, pkt) {
                            NEnd::Accept | NEnd::Reject(..) => None,
                            NEnd::Drop(..) => return Some((NfVerdict::Drop, None)),
                            NEnd::Nat(n, ..) => Some(super::nft::nat_target(&n)),
                        }
                    }
                };
                if let Some(t) = target {
                    range = match self.nat_range(ns, ctx, &t) {
                        Ok(r) => r,
                        Err(()) => return Some((NfVerdict::Drop, None)),
                    };
                    break;
                }
            }
            self.nat_setup(ns, manip, range);
        }
        self.nat_packet(ns, ctx.hook, pkt);
        None
    }

    /// The range a NAT target asks for here: MASQUERADE takes the output
    /// device's address for the next hop (`nf_nat_masquerade_ipv4`),
    /// REDIRECT the input device's primary address or 127.0.0.1 for local
    /// output. `Err` drops the packet (no address to use).
    fn nat_range(&self, ns: NsId, ctx: &NfCtx, t: &Target) -> Result<Option<Range>, ()> {
        use crate::model::addr::AddrScope;
        let ports = |p: &Option<PortRange>| p.map(|p| (p.lo, p.hi));
        Ok(Some(match t {
            Target::Snat(r, f) | Target::Dnat(r, f) => Range::of_target(r, f),
            Target::Masquerade { ports: p, flags } => {
                let Some((c, _)) = self.skb_conn(ns) else { return Ok(None) };
                if c.orig.src.is_unspecified() {
                    return Ok(None);
                }
                let out = ctx.out_dev.ok_or(())?;
                let nh = ctx.nexthop.unwrap_or(c.orig.dst);
                let src = self.world.inet_select_addr(ns, out, nh, AddrScope::Global).ok_or(())?;
                Range { addr: Some((src, src)), ports: ports(p), random: flags.random || flags.random_fully }
            }
            // netmap_tg4: the network part from --to, the host part from the
            // packet's destination (PREROUTING, OUTPUT) or source.
            Target::Netmap(to) => {
                let Some((c, _)) = self.skb_conn(ns) else { return Ok(None) };
                let mask = u32::from(to.mask);
                let old = match ctx.hook {
                    Hook::Prerouting | Hook::Output => c.orig.dst,
                    _ => c.orig.src,
                };
                let ip = Ipv4Addr::from((u32::from(old) & !mask) | (u32::from(to.addr) & mask));
                Range { addr: Some((ip, ip)), ports: None, random: false }
            }
            Target::Redirect { ports: p, random } => {
                let dst = match ctx.in_dev {
                    Some(dev) => self.world.link(dev).addrs.first().map(|a| a.addr).ok_or(())?,
                    None => Ipv4Addr::LOCALHOST,
                };
                Range { addr: Some((dst, dst)), ports: ports(p), random: *random }
            }
            _ => return Ok(None),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::nf::rule::{LimitMatch, MatchState, StatisticMatch};

    const S: u64 = crate::model::NS_PER_SEC;

    // Proves the token bucket: full at first (burst packets pass), then one
    // packet per 1/rate of elapsed time, never more than burst saved up.
    #[test]
    fn limit_bucket_refills_with_time() {
        // 1/sec burst 3.
        let mut l = LimitMatch { avg: 10_000, burst: 3, bucket: MatchState(None) };
        let flood = |l: &mut LimitMatch, t0: u64| (0..6).filter(|i| limit_ok(l, t0 + i * S / 100)).count();
        assert_eq!(flood(&mut l, 0), 3);
        assert_eq!(flood(&mut l, 3 * S), 3, "bucket full again after 3 s");
        assert_eq!(flood(&mut l, 5 * S + S / 2), 2, "2.5 s of refill is 2 packets");
        assert_eq!(flood(&mut l, 100 * S), 3, "never more than burst");
    }

    // Proves nth mode draws 0, 1, ..., N-1 from the first packet on (nft
    // numgen), and random mode's extremes do not depend on the draw.
    #[test]
    fn statistic_nth_and_random_extremes() {
        let mut rng = Rng::new(1);
        let mut st = StatisticMatch { nth: true, inv: false, value: 2, packet: 1, ..Default::default() };
        let picks: Vec<bool> = (0..7).map(|_| statistic_ok(&mut st, &mut rng)).collect();
        assert_eq!(picks, [false, true, false, false, true, false, false]);
        let mut never = StatisticMatch { value: 0, ..Default::default() };
        let mut always = StatisticMatch { value: 0x8000_0000, ..Default::default() };
        assert!((0..100).all(|_| !statistic_ok(&mut never, &mut rng) && statistic_ok(&mut always, &mut rng)));
        let mut half = StatisticMatch { value: 0x4000_0000, ..Default::default() };
        let n = (0..10_000).filter(|_| statistic_ok(&mut half, &mut rng)).count();
        assert!((4_700..5_300).contains(&n), "{n}");
    }

    // Proves xt_recent's bookkeeping: --set adds and stamps, --update with a
    // hit count matches from the Nth stamp on and stamps again, --seconds
    // ignores old stamps, --remove forgets the address.
    #[test]
    fn recent_lists() {
        let world = World::new(crate::model::profile::HostProfile::plain());
        let pkt = [0x45u8, 0, 0, 20, 0, 0, 0, 0, 64, 1, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2];
        let p = Pkt {
            ip: &pkt,
            src: Ipv4Addr::new(10, 0, 0, 1),
            dst: Ipv4Addr::new(10, 0, 0, 2),
            proto: 1,
            frag_off: 0,
            l4: &[],
            len: 20,
        };
        let env = |now: u64| Env {
            world: &world,
            ns: World::ROOT,
            in_name: Some("v1"),
            out_name: None,
            phys_in: None,
            phys_out: None,
            src_mac: None,
            dst_mac: None,
            ct: None,
            untracked: false,
            sk: SkOwner::None,
            now,
        };
        let m = |op, seconds, hit_count| RecentMatch {
            op: Some(op),
            inv: false,
            seconds,
            reap: false,
            hit_count,
            rttl: false,
            name: "x".into(),
            dest: false,
            mask: Ipv4Addr::BROADCAST,
        };
        let mut lists = RecentLists::new();
        let update = m(RecentOp::Update, 60, 3);
        let set = m(RecentOp::Set, 0, 0);
        let mut seen = Vec::new();
        for i in 0..5u64 {
            let e = env(i * S / 5);
            let dropped = recent_ok(&update, &p, &e, &mut lists);
            if !dropped {
                assert!(recent_ok(&set, &p, &e, &mut lists));
            }
            seen.push(dropped);
        }
        assert_eq!(seen, [false, false, false, true, true]);
        assert_eq!(lists["x"].lru[0].nstamps, 5);
        let window = m(RecentOp::Check, 1, 0);
        assert!(recent_ok(&window, &p, &env(S + S / 2), &mut lists));
        assert!(!recent_ok(&window, &p, &env(3 * S), &mut lists));
        assert!(recent_ok(&m(RecentOp::Remove, 0, 0), &p, &env(3 * S), &mut lists));
        assert!(!recent_ok(&m(RecentOp::Check, 0, 0), &p, &env(3 * S), &mut lists));
    }

    // Proves xt_owner's three cases: no socket (only an all-inverted rule
    // matches), a kernel socket without a file (--socket-exists only), a
    // root process's socket.
    #[test]
    fn owner_cases() {
        let o = |flags, invert| OwnerMatch { flags, invert, uid: (0, 0), gid: (0, 10) };
        let (uid, sock, gid) = (OwnerMatch::UID, OwnerMatch::SOCKET, OwnerMatch::GID);
        let root = SkOwner::User { uid: 0, gid: 0 };
        assert!(!owner_ok(&o(uid, 0), SkOwner::None));
        assert!(owner_ok(&o(uid, uid), SkOwner::None));
        assert!(owner_ok(&o(sock, 0), SkOwner::Kernel));
        assert!(!owner_ok(&o(sock | uid, 0), SkOwner::Kernel));
        assert!(!owner_ok(&o(sock, sock), root));
        assert!(owner_ok(&o(uid | gid, 0), root));
        assert!(!owner_ok(&o(uid, uid), root));
        assert!(!owner_ok(&OwnerMatch { flags: uid, invert: 0, uid: (1, 10), gid: (0, 0) }, root));
    }

    // Proves the hashlimit bucket: burst packets pass, then one per 1/rate
    // (in jiffies at HZ 250), per source with --hashlimit-mode srcip.
    #[test]
    fn hashlimit_bucket_per_source() {
        let m = HashlimitMatch {
            name: "x".into(),
            mode: HashlimitMatch::SIP,
            avg: crate::model::nf::rule::HASHLIMIT_SCALE,
            burst: 3,
            size: 0,
            max: 0,
            gc_interval: 1000,
            expire: 10_000,
            srcmask: 32,
            dstmask: 32,
            interval: 0,
        };
        let mut tables = HashlimitTables::new();
        let pkt = |src: [u8; 4]| {
            let mut v = vec![0x45u8, 0, 0, 28, 0, 0, 0, 0, 64, 1, 0, 0];
            v.extend_from_slice(&src);
            v.extend_from_slice(&[10, 0, 0, 2, 8, 0, 0, 0, 0, 0, 0, 0]);
            v
        };
        let mut run = |src: [u8; 4], t: u64| {
            let b = pkt(src);
            let p = Pkt {
                ip: &b,
                src: Ipv4Addr::from(src),
                dst: Ipv4Addr::new(10, 0, 0, 2),
                proto: 1,
                frag_off: 0,
                l4: &b[20..],
                len: 28,
            };
            hashlimit_ok(&m, &p, t, &mut tables)
        };
        let ms = S / 1000;
        let a = [10, 0, 0, 1];
        let got: Vec<bool> = (0..6).map(|i| run(a, i * 300 * ms)).collect();
        assert_eq!(got, [true, true, true, false, true, false]);
        assert!(run([10, 0, 0, 3], 1600 * ms), "another source has its own bucket");
    }
}
