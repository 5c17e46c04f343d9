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
        let target = format!(" -j {verdict}");
        let by_rule = hits.iter().any(|h| h.spec.ends_with(&target) || h.spec.contains(&format!("{target} ")));
        let policy = (bi.counters.packets > old_policy || !by_rule).then(|| (bi.policy.as_str(), bi.counters.packets));
        out.push(NfTableWalk { table: *name, hits, policy, verdict });
        if decided.is_some_and(|(d, _)| d == *name) {
            break;
        }
    }
    out
}
