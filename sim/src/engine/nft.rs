//! Native nftables base chains in the datapath: which of a namespace's
//! nft base chains sit at a hook (ordered by priority, later registered
//! first among equal priorities, as `nf_hook_entries_grow` inserts them),
//! and running one for an IPv4 packet with the packet's facts, marks and
//! connection (`model::nft::Table::run`).
//!
//! NAT type chains are not run here: `engine::netfilter` runs them inside
//! its NAT step, with iptables' nat table, for a connection's first packet.

use super::netfilter::NfCtx;
use super::Engine;
use crate::model::nf::Hook;
use crate::model::nft::{ct_state, ChainType, End, Marks, NftState, View};
use crate::model::{LinkId, NsId};
use std::net::Ipv4Addr;

/// A base chain at a hook: (priority, registration number, table, chain).
pub type HookChain = (i32, u64, usize, usize);

/// The base chains of `ty` (filter and route, or nat) at `hook`, in the
/// order the kernel runs them.
pub fn chains_at(st: &NftState, hook: Hook, nat: bool) -> Vec<HookChain> {
    let mut v = Vec::new();
    for (ti, t) in st.tables.iter().enumerate() {
        for (ci, c) in t.chains.iter().enumerate() {
            if let Some(b) = &c.base {
                if b.hook == hook && (b.ty == ChainType::Nat) == nat {
                    v.push((b.prio, b.seq, ti, ci));
                }
            }
        }
    }
    v.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
    v
}

impl Engine {
    /// Runs one nft base chain for the packet, then stores the marks it
    /// set on the packet and its connection.
    pub(super) fn nft_chain(
        &mut self,
        st: &mut NftState,
        ns: NsId,
        ctx: &NfCtx,
        ti: usize,
        ci: usize,
        pkt: &[u8],
    ) -> End {
        let ihl = usize::from(pkt[0] & 0xf) * 4;
        let l4 = pkt.get(ihl..).unwrap_or(&[]);
        let proto = pkt[9];
        let frag = u16::from_be_bytes([pkt[6], pkt[7]]) & 0x1fff;
        let first = frag == 0;
        let ports = (first && matches!(proto, 6 | 17) && l4.len() >= 4)
            .then(|| (u16::from_be_bytes([l4[0], l4[1]]), u16::from_be_bytes([l4[2], l4[3]])));
        let ct = self.skb_conn(ns);
        let untracked = self.skb_ct == super::conntrack::SkbCt::Untracked;
        let (state, status, dir, ct_mark) = match ct {
            None if untracked => (ct_state::UNTRACKED, 0, None, 0),
            None => (ct_state::INVALID, 0, None, 0),
            Some((c, info)) => {
                use super::conntrack::CtInfo;
                let s = match info {
                    CtInfo::New => ct_state::NEW,
                    CtInfo::Established | CtInfo::EstablishedReply => ct_state::ESTABLISHED,
                    CtInfo::Related | CtInfo::RelatedReply => ct_state::RELATED,
                };
                let d = u8::from(info.dir() == crate::model::conntrack::Dir::Reply);
                (s, c.status, Some(d), c.mark)
            }
        };
        let dst = Ipv4Addr::new(pkt[16], pkt[17], pkt[18], pkt[19]);
        let w = &self.world;
        let dev = |l: Option<LinkId>| {
            l.filter(|l| w.link_alive(*l)).map(|l| {
                let link = w.link(l);
                (link.name.as_str(), link.ifindex)
            })
        };
        let needs_fib = st.tables[ti]
            .chains
            .iter()
            .flat_map(|c| c.rules.iter())
            .flat_map(|r| r.stmts.iter())
            .any(|s| matches!(s, crate::model::nft::Stmt::Match { key: crate::model::nft::Key::FibDaddrType, .. }));
        let dst_local = needs_fib
            && w.fib_lookup(ns, dst, None).is_some_and(|r| r.route.rtype == crate::model::route::RouteType::Local);
        let pkttype = match ctx.dst_mac {
            Some(m) if m.is_broadcast() => 1,
            Some(m) if m.is_multicast() => 2,
            _ => 0,
        };
        let view = View {
            src: Ipv4Addr::new(pkt[12], pkt[13], pkt[14], pkt[15]),
            dst,
            proto,
            ports,
            tcp_flags: (first && proto == 6).then(|| l4.get(13).copied()).flatten(),
            icmp_type: (first && proto == 1).then(|| l4.first().copied()).flatten(),
            len: pkt.len() as u64,
            iif: dev(ctx.in_dev),
            oif: dev(ctx.out_dev),
            pkttype,
            ct_state: state,
            ct_status: status,
            ct_dir: dir,
            dst_local,
            now: self.now,
        };
        let before = Marks { mark: self.skb_mark, ct_mark };
        let mut marks = before;
        let mut fx = crate::model::nft::Effects::default();
        let rng = &mut self.rng;
        let end = st.tables[ti].run(ci, &view, &mut marks, &mut fx, &mut || rng.next_u64() as u32);
        // nf_log_syslog's line, as for iptables' LOG (same logger).
        for (prefix, mark) in fx.logs {
            let c = super::nf_log::LogCtx {
                in_name: view.iif.map(|d| d.0),
                out_name: view.oif.map(|d| d.0),
                phys_in: dev(ctx.phys_in).map(|d| d.0),
                phys_out: dev(ctx.phys_out).map(|d| d.0),
                macs: ctx.src_mac.zip(ctx.dst_mac),
                mark,
                // nft's `log` without `flags skuid` prints no UID=.
                uid: None,
            };
            let line = super::nf_log::log_line(&prefix, 0, &c, pkt);
            self.kmsg.push((self.now, line));
        }
        // `notrack`: conntrack and NAT leave the packet alone.
        if fx.notrack && self.skb_ct == super::conntrack::SkbCt::None {
            self.skb_ct = super::conntrack::SkbCt::Untracked;
        }
        self.skb_mark = marks.mark;
        if marks.ct_mark != before.ct_mark {
            self.set_ct_mark(ns, marks.ct_mark);
        }
        end
    }
}

/// The iptables target a NAT statement does the work of.
pub fn nat_target(n: &crate::model::nft::Nat) -> crate::model::nf::Target {
    use crate::model::nf::rule::{NatFlags, NatRange, PortRange};
    use crate::model::nf::Target;
    use crate::model::nft::Nat;
    let pr = |p: &Option<(u16, u16)>| p.map(|(lo, hi)| PortRange { lo, hi });
    match n {
        Nat::Masquerade(p) => Target::Masquerade { ports: pr(p), flags: NatFlags::default() },
        Nat::Snat(a, p, _) => {
            Target::Snat(NatRange { addr: Some((*a, *a)), ports: pr(p), base: None }, NatFlags::default())
        }
        Nat::Dnat(a, p, _) => {
            Target::Dnat(NatRange { addr: Some((*a, *a)), ports: pr(p), base: None }, NatFlags::default())
        }
        // Resolved to a Dnat by the walk.
        Nat::DnatMap(..) => Target::Accept,
        Nat::Redirect(p) => Target::Redirect { ports: pr(p), random: false },
        Nat::MasqueradeFlags(p, f) => Target::Masquerade { ports: pr(p), flags: *f },
        Nat::Range(r) => {
            let range = NatRange { addr: Some(r.addr), ports: pr(&r.ports), base: None };
            if r.snat {
                Target::Snat(range, r.flags)
            } else {
                Target::Dnat(range, r.flags)
            }
        }
    }
}

impl Engine {
    /// Traces which nft rule (or policy) dropped or rejected the packet.
    #[cold]
    #[inline(never)]
    pub(super) fn trace_nft(
        &mut self,
        ns: NsId,
        ctx: &NfCtx,
        st: &NftState,
        ti: usize,
        end: &End,
        v: super::netfilter::NfVerdict,
    ) {
        let t = &st.tables[ti];
        let (chain, handle) = match end {
            End::Drop(c, h) => (c.clone(), *h),
            End::Reject(_, c, h) => (c.clone(), Some(*h)),
            _ => return,
        };
        let rule = handle.and_then(|h| {
            let c = t.chains.iter().find(|c| c.name == chain)?;
            let r = c.rules.iter().find(|r| r.handle == h)?;
            let text: Vec<String> = r.stmts.iter().map(crate::render::nft::stmt).collect();
            Some(format!("{} # handle {h}", text.join(" ")))
        });
        let verdict = if v == super::netfilter::NfVerdict::Drop { "DROP" } else { "REJECT" };
        let ev = crate::trace::TraceKind::NftVerdict {
            ns,
            hook: ctx.hook,
            table: format!("{} {}", t.family.as_str(), t.name),
            chain,
            rule,
            verdict,
        };
        self.trace.push(&self.world, self.now, ctx.in_dev.or(ctx.out_dev), ev);
    }
}
