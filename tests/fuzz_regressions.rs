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

#[test]
fn ping_count_zero_is_refused_not_forever() {
    // Proves `ping -c 0` is refused as iputils refuses it (netsim took 0 as
    // "no count" and pinged until the event budget ran out: a fuzz timeout),
    // and a foreground ping with no end stops the run at once.
    let src = String::from_utf8(input("scenario_run-ping-count-zero.sh")).unwrap();
    let f = sim::simulate(&src, "t.sh", sim::model::HostProfile::plain(), 0, false).expect_err("ends at `exep`");
    let out = f.partial.expect("ran until line 41");
    assert!(out.stderr().contains("ping: invalid argument: '0': out of range: 1 <= value <= 9223372036854775807\n"));
    assert!(out.stats.events < 1_000, "{}", out.stats.events);
    let f = sim::simulate("ip link set lo up\nping 127.0.0.1\n", "t.sh", sim::model::HostProfile::plain(), 0, false)
        .expect_err("refused");
    assert!(
        f.error.to_string().starts_with("t.sh:2:1: ping: ping without -c or -w never exits by itself"),
        "{}",
        f.error
    );
}

#[test]
fn iptables_empty_interface_is_refused() {
    // Proves `-i ""` and `-o ""` are refused as iptables 1.8.9 refuses them
    // (checked on the kernel): netsim accepted `! -i ''` and saved
    // `-A FORWARD ! -i ` which does not restore. (`--physdev-in ""` is
    // accepted by the real tool too, and does not restore there either.)
    iptables_rule_target(&input("iptables_rule-empty-interface"));
    let mut rs = Ruleset::new();
    for opt in ["-i", "-o"] {
        let o = iptables::run(&mut rs, &["-A".into(), "FORWARD".into(), opt.into(), String::new()]);
        assert_eq!(o.status, 2);
        assert!(o.stderr.starts_with("iptables v1.8.9 (nf_tables): Empty interface is likely to be undesired\n"));
    }
}

/// `iptables-restore` of `text` as the tool runs it: (stderr, status).
fn restore(text: &str) -> (String, i32) {
    let mut rs = Ruleset::new();
    match iptables::restore(&mut rs, text, Default::default()) {
        Ok(()) => (String::new(), 0),
        Err(e) => (e.text.clone(), e.status()),
    }
}

#[test]
fn iptables_restore_errors_as_the_kernel_gives_them() {
    // Proves the messages, lines and exit statuses of iptables-restore
    // errors, each checked against iptables 1.8.9 on the kernel (found
    // while checking the fuzz finds): a rule's parameter problem exits 2, a
    // jump to a missing chain is reported at the COMMIT, the kernel's
    // refusal is `line N failed`, a missing COMMIT names the line after the
    // end, and -n/-x/--line-numbers are illegal outside -L.
    let (e, s) = restore("*filter\n-A FORWARD --bogus\nCOMMIT\n");
    assert_eq!((e.lines().next().unwrap(), s), ("iptables-restore v1.8.9 (nf_tables): unknown option \"--bogus\"", 2));
    let (e, s) = restore("*filter\n-A FORWARD -j NOSUCH\nCOMMIT\n");
    assert!(e.contains("Chain 'NOSUCH' does not exist\nError occurred at line: 3\n"), "{e}");
    assert_eq!(s, 2);
    assert_eq!(
        restore("*filter\n-A NOCHAIN -j ACCEPT\nCOMMIT\n"),
        ("iptables-restore: line 2 failed: No chain/target/match by that name.".into(), 1)
    );
    assert_eq!(restore("*filter\n-A FORWARD -j ACCEPT\n"), ("iptables-restore: COMMIT expected at line 3".into(), 1));
    let (e, s) = restore("*filter\n-A FORWARD -x\nCOMMIT\n");
    assert_eq!(
        (e.lines().next().unwrap(), s),
        ("iptables-restore v1.8.9 (nf_tables): Illegal option `-x' with this command", 2)
    );
    let mut rs = Ruleset::new();
    for (args, flag) in
        [(vec!["-A", "FORWARD", "-n"], "n"), (vec!["-S", "-x"], "x"), (vec!["-F", "--line-numbers"], "0")]
    {
        let o = iptables::run(&mut rs, &args.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert!(
            o.stderr.starts_with(&format!("iptables v1.8.9 (nf_tables): Illegal option `-{flag}' with this command\n")),
            "{}",
            o.stderr
        );
    }
}

#[test]
fn iptables_empty_chain_name_and_rename() {
    // Proves `-N ""` is refused as iptables 1.8.9 refuses it ("" is the
    // standard target's name), that -E checks no new name (1.8.9 renames
    // to a 44-character name, to "a b", even to ""), and that `-L`'s header
    // has one blank between `opt` and `source` (all checked on the kernel).
    iptables_rule_target(&input("iptables_rule-empty-chain-name"));
    let run = |rs: &mut Ruleset, a: &[&str]| iptables::run(rs, &a.iter().map(|s| s.to_string()).collect::<Vec<_>>());
    let mut rs = Ruleset::new();
    let o = run(&mut rs, &["-N", ""]);
    assert!(o.stderr.starts_with("iptables v1.8.9 (nf_tables): chain name may not clash with target name\n"));
    run(&mut rs, &["-N", "ok"]);
    let long = "a".repeat(44);
    assert_eq!(run(&mut rs, &["-E", "ok", &long]).status, 0);
    assert_eq!(run(&mut rs, &["-E", &long, "a b"]).status, 0);
    assert_eq!(
        run(&mut rs, &["-L", "a b"]).stdout,
        "Chain a b (0 references)\ntarget     prot opt source               destination         \n"
    );
}
