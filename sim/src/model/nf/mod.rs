//! Netfilter rules as data: the IPv4 tables (`raw`, `mangle`, `nat`,
//! `filter`), their built-in chains with policies, user chains, and the rules
//! with their counters, as `iptables` (nf_tables backend) keeps them for one
//! network namespace.
//!
//! What it does: holds a [`Ruleset`] whose shape a datapath can evaluate
//! directly (an ordered `Vec` of typed rules per chain, user chains in a
//! `BTreeMap`, a policy per built-in chain), and the invariants the kernel
//! keeps (a user chain that is referenced or not empty cannot be deleted).
//!
//! What it does not do: it does not parse or print rules (`tools::iptables`,
//! `render::iptables`) and does not run packets through the hooks.
//!
//! Like iptables-nft, a table exists only once a command has touched it: a
//! fresh namespace has no tables, and `iptables-save` prints only the tables
//! that exist.
//!
//! Submodules: [`rule`] (matches, targets, counters).

pub mod rule;

use std::collections::BTreeMap;

pub use rule::{Counters, Inv, Match, Rule, Target};

/// The IPv4 tables iptables knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum TableName {
    /// `raw`.
    Raw,
    /// `mangle`.
    Mangle,
    /// `nat`.
    Nat,
    /// `filter`.
    Filter,
    /// `security` (SELinux marks; its chains run after filter's and nat's).
    Security,
}

impl TableName {
    /// All tables.
    pub const ALL: [TableName; 5] =
        [TableName::Raw, TableName::Mangle, TableName::Nat, TableName::Filter, TableName::Security];

    /// The name iptables uses.
    pub fn as_str(self) -> &'static str {
        match self {
            TableName::Raw => "raw",
            TableName::Mangle => "mangle",
            TableName::Nat => "nat",
            TableName::Filter => "filter",
            TableName::Security => "security",
        }
    }

    /// Parses `-t NAME`.
    pub fn parse(s: &str) -> Option<TableName> {
        TableName::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// The built-in chains of this table, in hook order.
    pub fn builtins(self) -> &'static [Hook] {
        match self {
            TableName::Raw => &[Hook::Prerouting, Hook::Output],
            TableName::Mangle => &[Hook::Prerouting, Hook::Input, Hook::Forward, Hook::Output, Hook::Postrouting],
            TableName::Nat => &[Hook::Prerouting, Hook::Input, Hook::Output, Hook::Postrouting],
            TableName::Filter | TableName::Security => &[Hook::Input, Hook::Forward, Hook::Output],
        }
    }
}

/// A netfilter hook, named as its built-in chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Hook {
    /// PREROUTING.
    Prerouting,
    /// INPUT.
    Input,
    /// FORWARD.
    Forward,
    /// OUTPUT.
    Output,
    /// POSTROUTING.
    Postrouting,
}

impl Hook {
    /// The chain name.
    pub fn as_str(self) -> &'static str {
        match self {
            Hook::Prerouting => "PREROUTING",
            Hook::Input => "INPUT",
            Hook::Forward => "FORWARD",
            Hook::Output => "OUTPUT",
            Hook::Postrouting => "POSTROUTING",
        }
    }
}

/// A built-in chain's policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policy {
    /// ACCEPT.
    Accept,
    /// DROP.
    Drop,
}

impl Policy {
    /// The name iptables prints.
    pub fn as_str(self) -> &'static str {
        match self {
            Policy::Accept => "ACCEPT",
            Policy::Drop => "DROP",
        }
    }
}

/// A chain: its rules in evaluation order.
#[derive(Clone, Debug, Default)]
pub struct Chain {
    /// Rules, first evaluated first.
    pub rules: Vec<Rule>,
    /// For a long chain, which rules can match which destination (see
    /// [`ChainIndex`]); rebuilt by [`Chain::reindex`] after every change.
    pub index: Option<ChainIndex>,
}

impl Chain {
    /// Rebuilds the index of a long chain (and drops it from a short one).
    /// Call after changing its rules.
    pub fn reindex(&mut self) {
        self.index = None;
        if self.rules.len() >= ChainIndex::MIN_RULES {
            let ix = ChainIndex::build(&self.rules);
            // Worth it only when most rules are keyed by address; otherwise
            // the lookups cost more than they skip.
            if ix.other.len() * 2 <= self.rules.len() {
                self.index = Some(ix);
            }
        }
    }
}

/// Chains are equal when their rules are: the index is derived data.
impl PartialEq for Chain {
    fn eq(&self, other: &Chain) -> bool {
        self.rules == other.rules
    }
}

impl Eq for Chain {}

/// A first-match-preserving index of a long chain (kube-proxy's
/// KUBE-SERVICES: one `-d VIP/32` rule per service). Rules that can match
/// only one destination address (`-d A/32`, not inverted) are listed under
/// that address; every other rule is listed in `other`. The candidates for a
/// packet are the union of its address's list and `other`, visited in rule
/// order, so the first rule that matches is the same as in a linear walk
/// (the kernel walks linearly; this changes the cost, not the result).
#[derive(Clone, Debug, Default)]
pub struct ChainIndex {
    by_dst: BTreeMap<std::net::Ipv4Addr, Vec<u32>>,
    other: Vec<u32>,
}

impl ChainIndex {
    /// Chains shorter than this are walked linearly.
    pub const MIN_RULES: usize = 64;

    /// Indexes `rules`.
    pub fn build(rules: &[Rule]) -> ChainIndex {
        let mut ix = ChainIndex::default();
        for (i, r) in rules.iter().enumerate() {
            match &r.dst {
                Some(d) if !d.inv && d.val.prefix_len() == Some(32) => {
                    ix.by_dst.entry(d.val.addr).or_default().push(i as u32)
                }
                _ => ix.other.push(i as u32),
            }
        }
        ix
    }

    /// The first rule at or after `from` that may match a packet to `dst`.
    pub fn next(&self, from: usize, dst: std::net::Ipv4Addr) -> Option<usize> {
        let first = |v: &[u32]| v.get(v.partition_point(|&i| (i as usize) < from)).map(|&i| i as usize);
        let a = self.by_dst.get(&dst).and_then(|v| first(v));
        let b = first(&self.other);
        match (a, b) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

/// A built-in chain: rules plus policy and the policy's counters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuiltinChain {
    /// Which hook.
    pub hook: Hook,
    /// The rules.
    pub chain: Chain,
    /// The policy.
    pub policy: Policy,
    /// Packets and bytes that fell through to the policy.
    pub counters: Counters,
    /// The chain exists in the kernel: iptables-nft creates a built-in
    /// chain only when a rule, a policy or a restore names it.
    pub created: bool,
    /// The kernel keeps counters for the chain's policy: set by `-P`,
    /// `iptables-restore`, or `-Z` of a chain that exists; a chain created by
    /// `-A`/`-I` alone counts nothing at its policy (iptables-nft 1.8.9 on
    /// kernel 6.18, checked with verify).
    pub stats: bool,
}

/// One table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Table {
    /// Which table.
    pub name: TableName,
    /// Built-in chains in hook order.
    pub builtins: Vec<BuiltinChain>,
    /// User chains by name (iptables-nft lists them sorted).
    pub user: BTreeMap<String, Chain>,
}

impl Table {
    /// A table with its built-in chains, empty, policy ACCEPT.
    pub fn new(name: TableName) -> Table {
        Table {
            name,
            builtins: name
                .builtins()
                .iter()
                .map(|&hook| BuiltinChain {
                    hook,
                    chain: Chain::default(),
                    policy: Policy::Accept,
                    counters: Counters::default(),
                    created: false,
                    stats: false,
                })
                .collect(),
            user: BTreeMap::new(),
        }
    }

    /// The built-in chain of this name, if there is one.
    pub fn builtin(&self, name: &str) -> Option<&BuiltinChain> {
        self.builtins.iter().find(|b| b.hook.as_str() == name)
    }

    /// Mutable [`Table::builtin`].
    pub fn builtin_mut(&mut self, name: &str) -> Option<&mut BuiltinChain> {
        self.builtins.iter_mut().find(|b| b.hook.as_str() == name)
    }

    /// Any chain (built-in or user) by name.
    pub fn chain(&self, name: &str) -> Option<&Chain> {
        self.builtin(name).map(|b| &b.chain).or_else(|| self.user.get(name))
    }

    /// Mutable [`Table::chain`].
    pub fn chain_mut(&mut self, name: &str) -> Option<&mut Chain> {
        if let Some(i) = self.builtins.iter().position(|b| b.hook.as_str() == name) {
            return Some(&mut self.builtins[i].chain);
        }
        self.user.get_mut(name)
    }

    /// Rebuilds the index of every long chain of this table (and drops it
    /// from short ones). Call after changing its rules.
    pub fn reindex(&mut self) {
        let chains = self.builtins.iter_mut().map(|b| &mut b.chain).chain(self.user.values_mut());
        for c in chains {
            c.reindex();
        }
    }

    /// How many rules jump or go to `chain` (the `N references` of `-L`).
    pub fn references(&self, chain: &str) -> usize {
        self.builtins
            .iter()
            .map(|b| &b.chain)
            .chain(self.user.values())
            .flat_map(|c| c.rules.iter())
            .filter(|r| matches!(&r.target, Some(Target::Jump(c)) | Some(Target::Goto(c)) if c == chain))
            .count()
    }

    /// Chain names in listing order: built-ins in hook order, then user
    /// chains sorted.
    pub fn chain_names(&self) -> Vec<String> {
        self.builtins.iter().map(|b| b.hook.as_str().to_string()).chain(self.user.keys().cloned()).collect()
    }
}

/// The IPv4 netfilter state of one network namespace.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Ruleset {
    /// The tables that exist (iptables-nft creates a table on first use).
    pub tables: BTreeMap<TableName, Table>,
    /// The namespace's `-m recent` lists by name (run-time state, not part
    /// of the rules: equal rulesets may hold different lists). A list is
    /// made when a packet first reaches a rule naming it and lives as long
    /// as the namespace.
    pub recent: rule::MatchState<BTreeMap<String, rule::RecentTable>>,
    /// The namespace's `-m hashlimit` tables by name (run-time state like
    /// `recent`): made by the first packet reaching a rule naming it, with
    /// that rule's configuration, as `htable_create` does.
    pub hashlimit: rule::MatchState<BTreeMap<String, rule::HashlimitTable>>,
}

impl Ruleset {
    /// An empty ruleset: no table exists yet, as in a fresh namespace.
    pub fn new() -> Ruleset {
        Ruleset::default()
    }

    /// The table, if it exists.
    pub fn table(&self, name: TableName) -> Option<&Table> {
        self.tables.get(&name)
    }

    /// Whether these rules make the namespace track connections
    /// (`nf_ct_netns_get`): a rule uses a `state`/`conntrack`/`connmark`
    /// match or a NAT, CONNMARK or CT target. A nat table alone does not
    /// (checked on the kernel: with only a rule without target in nat
    /// POSTROUTING, pings make no conntrack entry and the rule counts
    /// nothing); its NAT targets do.
    pub fn needs_conntrack(&self) -> bool {
        self.tables.values().any(|t| {
            t.builtins.iter().map(|b| &b.chain).chain(t.user.values()).flat_map(|c| c.rules.iter()).any(|r| {
                r.matches.iter().any(|m| {
                    matches!(m, Match::Conntrack(_) | Match::State(_) | Match::Connmark(_) | Match::Connlimit(_))
                })
                        || matches!(
                            r.target,
                            Some(
                                Target::Masquerade { .. }
                                    | Target::Snat(..)
                                    | Target::Dnat(..)
                                    | Target::Redirect { .. }
                                    | Target::Netmap(_)
                                    | Target::Connmark(_)
                            )
                        )
                        // xt_ct_tg_check takes conntrack except for --notrack.
                        || matches!(&r.target, Some(Target::Ct(c)) if c.flags & 1 == 0)
            })
        })
    }

    /// Drops the hashlimit tables no rule names any more (`htable_put`
    /// frees a table with its last rule).
    pub fn prune_hashlimit(&mut self) {
        if self.hashlimit.0.is_empty() {
            return;
        }
        let mut used = std::collections::BTreeSet::new();
        for t in self.tables.values() {
            for r in t.builtins.iter().map(|b| &b.chain).chain(t.user.values()).flat_map(|c| c.rules.iter()) {
                for m in &r.matches {
                    if let Match::Hashlimit(h) = m {
                        used.insert(h.name.clone());
                    }
                }
            }
        }
        self.hashlimit.0.retain(|name, _| used.contains(name));
    }

    /// [`Table::reindex`] for every table. Call after changing rules.
    pub fn reindex(&mut self) {
        for t in self.tables.values_mut() {
            t.reindex();
        }
    }

    /// The table, created with its built-in chains if it did not exist.
    pub fn table_mut(&mut self, name: TableName) -> &mut Table {
        self.tables.entry(name).or_insert_with(|| Table::new(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Proves the index visits, from any position, exactly the rules a
    // linear walk would have to test for that destination (the ones keyed
    // by it and every unkeyed one), in order: the first match is unchanged.
    #[test]
    fn chain_index_candidates_equal_linear_filter() {
        use rule::AddrMask;
        use std::net::Ipv4Addr;
        let addr = |k: u8| Ipv4Addr::new(10, 96, 0, k);
        let mut rules = Vec::new();
        for i in 0..200u32 {
            let dst = match i % 7 {
                0 => None,
                1 => Some(Inv { inv: true, val: AddrMask { addr: addr(3), mask: Ipv4Addr::BROADCAST } }),
                2 => Some(Inv {
                    inv: false,
                    val: AddrMask { addr: Ipv4Addr::new(10, 96, 0, 0), mask: Ipv4Addr::new(255, 255, 255, 0) },
                }),
                _ => Some(Inv { inv: false, val: AddrMask { addr: addr((i % 5) as u8), mask: Ipv4Addr::BROADCAST } }),
            };
            rules.push(Rule { dst, ..Rule::default() });
        }
        let ix = ChainIndex::build(&rules);
        for k in 0..7u8 {
            let d = addr(k);
            let want: Vec<usize> = (0..rules.len())
                .filter(|&i| match &rules[i].dst {
                    Some(m) if !m.inv && m.val.prefix_len() == Some(32) => m.val.addr == d,
                    _ => true,
                })
                .collect();
            for from in [0, 1, 57, 199] {
                let mut got = Vec::new();
                let mut i = from;
                while let Some(n) = ix.next(i, d) {
                    got.push(n);
                    i = n + 1;
                }
                let expect: Vec<usize> = want.iter().copied().filter(|&i| i >= from).collect();
                assert_eq!(got, expect, "dst {d} from {from}");
            }
        }
    }

    // Proves a new table has the kernel's built-in chains in hook order with
    // ACCEPT policies, and that tables come into being on first use only.
    #[test]
    fn tables_created_lazily_with_builtins() {
        let mut rs = Ruleset::new();
        assert!(rs.table(TableName::Nat).is_none());
        let t = rs.table_mut(TableName::Nat);
        assert_eq!(t.chain_names(), ["PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"]);
        assert!(t.builtins.iter().all(|b| b.policy == Policy::Accept));
        assert!(rs.table(TableName::Nat).is_some());
        assert!(rs.table(TableName::Filter).is_none());
    }

    // Proves references counts jumps and gotos to a chain, from any chain.
    #[test]
    fn references_counts_jumps_and_gotos() {
        let mut t = Table::new(TableName::Filter);
        t.user.insert("A".into(), Chain::default());
        let jump = |c: &str| Rule { target: Some(Target::Jump(c.into())), ..Rule::default() };
        t.chain_mut("FORWARD").expect("builtin").rules.push(jump("A"));
        t.user
            .get_mut("A")
            .expect("user")
            .rules
            .push(Rule { target: Some(Target::Goto("A".into())), ..Rule::default() });
        assert_eq!(t.references("A"), 2);
        assert_eq!(t.references("B"), 0);
    }
}
