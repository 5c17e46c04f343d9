//! Every crash the cargo-fuzz targets in `fuzz/` found, replayed as the
//! target replays it. The inputs are in `tests/fuzz-regressions/`, named
//! `TARGET-what`; each test says what was wrong and what the kernel's tools
//! do instead.

use sim::model::nf::Ruleset;
use sim::tools::iptables;

fn input(name: &str) -> Vec<u8> {
    std::fs::read(netsim_tests::root().join("tests/fuzz-regressions").join(name)).expect("regression input exists")
}

/// What `fuzz_targets/iptables_rule.rs` does: up to 8 lines applied as
/// iptables commands, then `iptables-save` must restore.
fn iptables_rule_target(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut rs = Ruleset::new();
    for l in text.lines().take(8) {
        let _ = iptables::run(&mut rs, &iptables::split_words(l));
    }
    let saved = sim::render::iptables::save(&rs, &Default::default());
    let mut again = Ruleset::new();
    if let Err(e) = iptables::restore(&mut again, &saved, Default::default()) {
        panic!("iptables-save output does not restore: {e}\n{saved}");
    }
}

#[test]
fn iptables_new_chain_name_with_whitespace() {
    // Proves `-N` refuses a chain name containing whitespace, as iptables
    // 1.8.9 does (`Invalid chain name`, checked on the kernel): netsim
    // accepted `-N "%N %!]!] "`, and its iptables-save line `:%N %!]!]  -`
    // could not be restored.
    iptables_rule_target(&input("iptables_rule-chain-name-with-space"));
    let mut rs = Ruleset::new();
    let o = iptables::run(&mut rs, &["-N".into(), "a b".into()]);
    assert_eq!(o.status, 2);
    assert!(o.stderr.starts_with("iptables v1.8.9 (nf_tables): Invalid chain name `a b'\n"), "{}", o.stderr);
    let o = iptables::run(&mut rs, &["-N".into(), "!x".into()]);
    assert!(o.stderr.contains("chain name not allowed to start with `!'"), "{}", o.stderr);
    // An optional argument starting with `!` is not taken as a chain name.
    let o = iptables::run(&mut rs, &["-L".into(), "!x".into()]);
    assert!(o.stderr.starts_with("Bad argument `!x'\n"), "{}", o.stderr);
}
