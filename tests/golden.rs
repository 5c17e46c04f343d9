//! The simulator held to what the real kernel did: for every scenario,
//! `golden/<name>/` was recorded by `netsim verify --record` on a real
//! kernel; here the simulator runs the same script with the same host
//! profile, without root, and must produce the same normalised stdout,
//! stderr, exit code and capture texts.

use netsim_tests::{name, root, scenarios, simulate};
use sim::verify::{compare, simulated, Golden};

#[test]
fn every_scenario_matches_its_kernel_golden() {
    // Why this proves the behaviour: the golden side never came from the
    // simulator, so any difference is the simulator departing from Linux.
    let mut failures = Vec::new();
    for script in scenarios() {
        let dir = root().join("golden").join(name(&script));
        let kernel = match Golden::load(&dir) {
            Ok(g) => g,
            Err(e) => {
                failures.push(format!(
                    "{}: no kernel golden ({e}); record one with `netsim verify --record {}`",
                    script.display(),
                    dir.display()
                ));
                continue;
            }
        };
        let out = simulate(&script, kernel.profile.clone(), 0);
        let sim = simulated(&out, kernel.profile.clone());
        for m in compare(&kernel, &sim) {
            failures.push(format!("{}:\n{}", script.display(), m.diff));
        }
    }
    assert!(failures.is_empty(), "{} mismatch(es):\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn same_script_and_seed_give_identical_bytes() {
    // Determinism: two runs with one seed agree byte for byte, files included.
    for script in scenarios() {
        let p = sim::model::HostProfile::plain();
        let a = simulate(&script, p.clone(), 7);
        let b = simulate(&script, p, 7);
        assert_eq!(a.output, b.output, "{}", script.display());
        assert_eq!(a.files, b.files, "{}", script.display());
    }
}
