//! Netfilter evidence for the trace: which rules a hook traversal matched,
//! found by comparing rule counters before and after the walk (a rule's
//! packet counter rises exactly when it matches), so the rule walk itself
//! carries no tracing code. Used only when tracing is on.

use super::{NfTableWalk, RuleHit};
use crate::model::nf::{Hook, Ruleset, TableName};
use crate::render::iptables::append_line;

/// One table's counters: each chain's rule packet counters, each built-in
/// chain's policy counter.
type TableCounters = (TableName, Vec<(String, Vec<u64>)>, Vec<(Hook, u64)>);

/// Rule and policy packet counters of a ruleset at one moment.
#[derive(Clone, Debug, Default)]
pub struct NfSnapshot {
    tables: Vec<TableCounters>,
}

/// Takes the counters of every rule and policy in `rs`.
pub fn snapshot(rs: &Ruleset) -> NfSnapshot {
    let tables = rs
        .tables
        .values()
        .map(|t| {
            let mut chains: Vec<(String, Vec<u64>)> = t
                .builtins
                .iter()
                .map(|b| (b.hook.as_str().to_string(), b.chain.rules.iter().map(|r| r.counters.packets).collect()))
                .collect();
            chains
                .extend(t.user.iter().map(|(n, c)| (n.clone(), c.rules.iter().map(|r| r.counters.packets).collect())));
            let policies = t.builtins.iter().map(|b| (b.hook, b.counters.packets)).collect();
            (t.name, chains, policies)
        })
        .collect();
    NfSnapshot { tables }
}

/// What each walked table did: the tables of `order` present in `rs` with a
/// chain for `hook`, up to `decided` (the table that dropped or rejected,
/// with its verdict), or all of them when every table accepted.
pub fn walks(
    before: &NfSnapshot,
    rs: &Ruleset,
    hook: Hook,
    order: &[TableName],
    decided: Option<(TableName, &'static str)>,
) -> Vec<NfTableWalk> {
    let mut out = Vec::new();
    for name in order {
        let Some(t) = rs.table(*name) else { continue };
        let Some(bi) = t.builtins.iter().find(|b| b.hook == hook) else { continue };
        if !bi.created {
            continue;
        }
        let old = before.tables.iter().find(|(n, _, _)| n == name);
        let old_count = |chain: &str, i: usize| {
            old.and_then(|(_, cs, _)| cs.iter().find(|(c, _)| c == chain))
                .and_then(|(_, v)| v.get(i).copied())
                .unwrap_or(0)
        };
        let mut hits = Vec::new();
        let chains =
            t.builtins.iter().map(|b| (b.hook.as_str(), &b.chain)).chain(t.user.iter().map(|(n, c)| (n.as_str(), c)));
        for (cname, chain) in chains {
            for (i, r) in chain.rules.iter().enumerate() {
                if r.counters.packets > old_count(cname, i) {
                    hits.push(RuleHit {
                        chain: cname.to_string(),
                        pos: i + 1,
                        spec: append_line(cname, r, false),
                        packets: r.counters.packets,
                        bytes: r.counters.bytes,
                    });
                }
            }
        }
        let verdict = match decided {
            Some((d, v)) if d == *name => v,
            _ => "ACCEPT",
        };
        let old_policy = old.and_then(|(_, _, ps)| ps.iter().find(|(h, _)| *h == hook)).map_or(0, |(_, p)| *p);
        // Targets that end the walk with this verdict (NAT targets accept).
        let targets: &[&str] = match verdict {
            "ACCEPT" => &["ACCEPT", "MASQUERADE", "SNAT", "DNAT", "REDIRECT"],
            "DROP" => &["DROP"],
            _ => &["REJECT"],
        };
        let by_rule = hits.iter().any(|h| {
            targets.iter().any(|t| h.spec.ends_with(&format!(" -j {t}")) || h.spec.contains(&format!(" -j {t} ")))
        });
        let policy = (bi.counters.packets > old_policy || !by_rule).then(|| (bi.policy.as_str(), bi.counters.packets));
        // The nat table is walked only for a connection's first packet:
        // nothing counted means it was not walked (the binding was made).
        if *name == TableName::Nat && hits.is_empty() && bi.counters.packets == old_policy && verdict == "ACCEPT" {
            continue;
        }
        out.push(NfTableWalk { table: *name, hits, policy, verdict });
        if decided.is_some_and(|(d, _)| d == *name) {
            break;
        }
    }
    out
}

/// A packet's addresses and ports as `SRC:SPORT > DST:DPORT` (ports for
/// TCP and UDP, the echo id for ICMP echo), to see what NAT changed.
pub fn addresses(pkt: &[u8]) -> String {
    if pkt.len() < 20 {
        return String::new();
    }
    let ihl = usize::from(pkt[0] & 0xf) * 4;
    let src = std::net::Ipv4Addr::new(pkt[12], pkt[13], pkt[14], pkt[15]);
    let dst = std::net::Ipv4Addr::new(pkt[16], pkt[17], pkt[18], pkt[19]);
    let l4 = pkt.get(ihl..).unwrap_or(&[]);
    match pkt[9] {
        6 | 17 if l4.len() >= 4 => {
            format!("{src}:{} > {dst}:{}", u16::from_be_bytes([l4[0], l4[1]]), u16::from_be_bytes([l4[2], l4[3]]))
        }
        1 if l4.len() >= 8 && matches!(l4[0], 0 | 8) => {
            format!("{src} > {dst} (icmp id {})", u16::from_be_bytes([l4[4], l4[5]]))
        }
        _ => format!("{src} > {dst}"),
    }
}
