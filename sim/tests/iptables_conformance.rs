//! The iptables rule parser and printer against the upstream `.t` tables
//! (`shared/conformance/iptables`), judged by what this machine's iptables
//! 1.8.9 did (`local-check-iptables-1.8.9.tsv`), and the real-world rulesets
//! (`shared/conformance/rulesets`) through iptables-restore/iptables-save.

use std::collections::BTreeMap;
use std::path::PathBuf;

use sim::model::nf::{Ruleset, TableName};
use sim::render::iptables::{save, SaveOptions};
use sim::tools::iptables::{restore, run, split_words, IptablesError, RestoreOptions};

fn conformance_dir() -> Option<PathBuf> {
    let d = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/conformance");
    if d.is_dir() {
        Some(d)
    } else {
        println!("skipped: {} not found", d.display());
        None
    }
}

#[derive(Default, Debug)]
struct Counts {
    ok_total: usize,
    ok_pass: usize,
    fail_total: usize,
    fail_pass: usize,
    fail_unsupported: usize,
    nomatch_total: usize,
    nomatch_pass: usize,
    ok_unsupported: usize,
}

// Proves that every OK line (as this machine's iptables 1.8.9 judged it)
// parses and prints back canonically, and every FAIL line is refused; the
// counts are printed and held at their current level so they cannot regress.
#[test]
fn t_files_conformance() {
    let Some(dir) = conformance_dir() else { return };
    let dir = dir.join("iptables");
    let tsv = std::fs::read_to_string(dir.join("local-check-iptables-1.8.9.tsv")).expect("tsv");
    let mut local: BTreeMap<(String, usize, String), String> = BTreeMap::new();
    for l in tsv.lines().skip(1) {
        let f: Vec<&str> = l.split('\t').collect();
        if f.len() >= 6 {
            let line: usize = f[1].parse().expect("line number");
            local.insert((f[0].to_string(), line, f[2].to_string()), f[5].to_string());
        }
    }
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "t"))
        .collect();
    files.sort();
    let mut c = Counts::default();
    let mut failures = Vec::new();
    for path in files {
        let fname = path.file_name().expect("name").to_string_lossy().to_string();
        let text = std::fs::read_to_string(&path).expect("read");
        let mut chains: Vec<String> = Vec::new();
        let mut table = TableName::Filter;
        for (i, line) in text.lines().enumerate() {
            let n = i + 1;
            if line.is_empty() || line.starts_with('#') || line.starts_with('@') || line.starts_with('%') {
                continue;
            }
            if let Some(cs) = line.strip_prefix(':') {
                chains = cs.split(',').map(str::to_string).collect();
                continue;
            }
            if let Some(t) = line.strip_prefix('*') {
                table = TableName::parse(t).unwrap_or(TableName::Filter);
                continue;
            }
            let fields: Vec<&str> = line.split(';').collect();
            let (rule, canon) = (fields[0], fields.get(1).copied().unwrap_or(""));
            for chain in &chains {
                let Some(expected) = local.get(&(fname.clone(), n, chain.clone())) else { continue };
                let canon = if canon == "=" { rule } else { canon };
                let mut args = vec!["-t".to_string(), table.as_str().to_string(), "-A".into(), chain.clone()];
                args.extend(split_words(rule));
                let mut rs = Ruleset::new();
                let parsed = sim::tools::iptables::parse(&args);
                let out = run(&mut rs, &args);
                let saved = save(&rs, &SaveOptions::default());
                let want = format!("-A {chain} {canon}");
                let found = saved.lines().any(|l| l == want);
                let unsupported = matches!(parsed, Err(IptablesError::Unsupported(_)));
                match expected.as_str() {
                    "OK" => {
                        c.ok_total += 1;
                        if out.status == 0 && found {
                            c.ok_pass += 1;
                        } else {
                            if unsupported {
                                c.ok_unsupported += 1;
                            }
                            failures.push(format!(
                                "{fname}:{n} {chain} OK: {rule} -> {}{}",
                                out.stderr.trim(),
                                saved.lines().filter(|l| l.starts_with("-A")).collect::<Vec<_>>().join(" | ")
                            ));
                        }
                    }
                    "FAIL" => {
                        c.fail_total += 1;
                        if out.status != 0 {
                            if unsupported {
                                c.fail_unsupported += 1;
                            } else {
                                c.fail_pass += 1;
                            }
                        } else {
                            failures.push(format!("{fname}:{n} {chain} FAIL accepted: {rule}"));
                        }
                    }
                    _ => {
                        c.nomatch_total += 1;
                        if out.status == 0 && !found {
                            c.nomatch_pass += 1;
                        } else {
                            failures.push(format!("{fname}:{n} {chain} NOMATCH: {rule} -> {}", out.stderr.trim()));
                        }
                    }
                }
            }
        }
    }
    for f in &failures {
        println!("{f}");
    }
    println!("{c:?}");
    println!(
        "OK accepted+canonical {}/{} ({} unsupported extensions); FAIL refused {}/{} (+{} refused as unsupported); NOMATCH {}/{}",
        c.ok_pass, c.ok_total, c.ok_unsupported, c.fail_pass, c.fail_total, c.fail_unsupported, c.nomatch_pass, c.nomatch_total
    );
    assert!(c.ok_pass >= MIN_OK, "OK lines regressed: {}", c.ok_pass);
    assert!(c.fail_pass + c.fail_unsupported == c.fail_total - FAIL_ACCEPTED, "FAIL lines accepted");
    assert_eq!(c.nomatch_pass, c.nomatch_total, "lines iptables accepts but prints otherwise");
}

const MIN_OK: usize = 859;
const FAIL_ACCEPTED: usize = 0;

// Proves every ruleset the real iptables-restore 1.8.9 accepts loads, and
// that iptables-save output restores to the same ruleset (a fixpoint).
#[test]
fn rulesets_round_trip() {
    let Some(dir) = conformance_dir() else { return };
    let dir = dir.join("rulesets");
    let readme = std::fs::read_to_string(dir.join("README.md")).expect("README");
    let mut total = 0;
    let mut ok = 0;
    for l in readme.lines() {
        let cols: Vec<&str> = l.split('|').map(str::trim).collect();
        if cols.len() < 10 || !cols[1].ends_with(".iptables-save`") || cols[8] != "ok" {
            continue;
        }
        let file = cols[1].trim_matches('`');
        total += 1;
        let input = std::fs::read_to_string(dir.join(file)).expect("ruleset");
        let mut rs = Ruleset::new();
        match restore(&mut rs, &input, RestoreOptions { counters: true, ..Default::default() }) {
            Ok(()) => {
                let opts = SaveOptions { counters: true, ..Default::default() };
                let first = save(&rs, &opts);
                let mut again = Ruleset::new();
                restore(&mut again, &first, RestoreOptions { counters: true, ..Default::default() })
                    .expect("own output restores");
                assert_eq!(save(&again, &opts), first, "{file}: save/restore is not a fixpoint");
                ok += 1;
            }
            Err(e) => println!("{file}: line {}: {}", e.line, e.text.lines().next().unwrap_or("")),
        }
    }
    println!("rulesets round-tripped: {ok}/{total}");
    assert!(ok >= MIN_RULESETS);
}

const MIN_RULESETS: usize = 23;

/// Rules added on this machine's kernel (iptables 1.8.9, nf_tables) and
/// what `iptables -S` then printed for them, for forms the `.t` files and
/// scenarios do not cover (connlimit masks, hashlimit's unit
/// conversions, owner ranges and names, NETMAP masks).
#[test]
fn kernel_checked_canonical_forms() {
    let cases: [(&str, &str, &str); 17] = [
        ("filter", "INPUT", "-m connlimit --connlimit-upto 5|-m connlimit --connlimit-upto 5 --connlimit-mask 32 --connlimit-saddr"),
        ("filter", "INPUT", "-m connlimit --connlimit-above 5 --connlimit-mask 24 --connlimit-daddr|="),
        ("filter", "INPUT", "-m connlimit ! --connlimit-above 5 --connlimit-mask 0|-m connlimit --connlimit-upto 5 --connlimit-mask 0 --connlimit-saddr"),
        ("filter", "INPUT", "-m connlimit --connlimit-above 5 --connlimit-mask 33|-m connlimit --connlimit-above 5 --connlimit-mask 32 --connlimit-saddr"),
        ("filter", "INPUT", "-m connlimit --connlimit-above 5 --connlimit-mask 255.255.0.0|-m connlimit --connlimit-above 5 --connlimit-mask 16 --connlimit-saddr"),
        ("filter", "INPUT", "-m hashlimit --hashlimit 5/sec --hashlimit-name x|-m hashlimit --hashlimit-upto 5/sec --hashlimit-burst 5 --hashlimit-name x"),
        ("filter", "INPUT", "-m hashlimit --hashlimit-upto 5/sec --hashlimit-name x --hashlimit-mode srcip,dstip,srcport,dstport --hashlimit-srcmask 32|-m hashlimit --hashlimit-upto 5/sec --hashlimit-burst 5 --hashlimit-mode srcip,srcport,dstip,dstport --hashlimit-name x"),
        ("filter", "INPUT", "-m hashlimit --hashlimit-upto 1024b/s --hashlimit-name x|-m hashlimit --hashlimit-upto 1kb/s --hashlimit-name x"),
        ("filter", "INPUT", "-m hashlimit --hashlimit-upto 5000mb/s --hashlimit-name x|-m hashlimit --hashlimit-upto 5286113568b/s --hashlimit-name x"),
        ("filter", "INPUT", "-m hashlimit --hashlimit-upto 2 --hashlimit-name x|-m hashlimit --hashlimit-upto 2/sec --hashlimit-burst 5 --hashlimit-name x"),
        ("filter", "INPUT", "-m hashlimit --hashlimit-upto 1/sec --hashlimit-name x --hashlimit-burst 5x|-m hashlimit --hashlimit-upto 1/sec --hashlimit-burst 5 --hashlimit-name x"),
        ("filter", "INPUT", "-m hashlimit --hashlimit-upto 10kb/s --hashlimit-name x --hashlimit-burst 1mb|-m hashlimit --hashlimit-upto 10kb/s --hashlimit-burst 1mb --hashlimit-name x"),
        ("filter", "OUTPUT", "-m owner --uid-owner 0x10|-m owner --uid-owner 16"),
        ("filter", "OUTPUT", "-m owner --gid-owner adm|-m owner --gid-owner 4"),
        ("filter", "OUTPUT", "-m owner ! --uid-owner 1000 ! --gid-owner 5 ! --socket-exists|-m owner ! --socket-exists ! --uid-owner 1000 ! --gid-owner 5"),
        ("nat", "PREROUTING", "-j NETMAP --to 1.2.3.0/33|-j NETMAP --to 1.2.3.0/32"),
        ("raw", "PREROUTING", "-j CT --zone-orig 7 --zone-reply 8|-j CT --zone 8"),
    ];
    for (table, chain, case) in cases {
        let (rule, canon) = case.split_once('|').expect("case");
        let canon = if canon == "=" { rule } else { canon };
        let mut args = vec!["-t".to_string(), table.to_string(), "-A".into(), chain.to_string()];
        args.extend(split_words(rule));
        let mut rs = Ruleset::new();
        let out = run(&mut rs, &args);
        assert_eq!(out.status, 0, "{rule}: {}", out.stderr);
        let saved = save(&rs, &SaveOptions::default());
        let want = format!("-A {chain} {canon}");
        assert!(saved.lines().any(|l| l == want), "{rule}: want {want}, got {saved}");
    }
}
