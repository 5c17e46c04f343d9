//! `netsim run` over several scripts (the sweep) and `netsim gen`, through
//! the binary.

use std::path::PathBuf;
use std::process::Command;

fn netsim() -> Command {
    Command::new(env!("CARGO_BIN_EXE_netsim"))
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().expect("tui/ sits in the repository").to_path_buf()
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("netsim-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn sweep_summarises_and_fails_on_a_refusal() {
    // Proves a sweep runs every script, writes each one's outputs to its
    // own directory, prints one line per script in the order given and a
    // total, and exits 2 when one is refused (0 when none is).
    let d = tmp("sweep");
    std::fs::write(d.join("bad.sh"), "echo $(date)\n").unwrap();
    let a = root().join("scenarios/veth-two-netns.sh");
    let b = root().join("scenarios/counters.sh");
    let o = netsim().arg("run").arg(&a).arg(&b).arg("--out").arg(d.join("out")).output().unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{text}");
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[1].contains("veth-two-netns.sh") && lines[1].contains(" ran "), "{text}");
    assert!(lines[2].contains("counters.sh"), "{text}");
    assert!(lines[3].starts_with("netsim: 2 script(s): 2 ran, 0 failed"), "{text}");
    let golden = std::fs::read_to_string(root().join("golden/veth-two-netns/exit_code")).unwrap();
    assert_eq!(std::fs::read_to_string(d.join("out/veth-two-netns/exit_code")).unwrap(), golden);
    assert!(d.join("out/veth-two-netns/veth-ns2.pcap").exists());

    let o = netsim().arg("run").arg(&a).arg(d.join("bad.sh")).arg("--out").arg(d.join("out2")).output().unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(2), "{text}");
    assert!(text.contains("FAILED") && text.contains("bad.sh:1:6: unsupported shell syntax '$(...)'"), "{text}");
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn generated_scenarios_run() {
    // Proves `gen bridges` and `gen kube-proxy` write scripts netsim runs
    // to the end (pings answered, every KUBE-SERVICES rule loaded).
    let d = tmp("gen");
    let b = d.join("b.sh");
    let st = netsim()
        .args(["gen", "bridges", "--namespaces", "40", "--bridges", "4", "--pings", "4", "-o"])
        .arg(&b)
        .status();
    assert!(st.unwrap().success());
    let o = netsim().arg("run").arg(&b).arg("--out").arg(&d).output().unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{text}{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(text.matches("1 received").count(), 4, "{text}");
    let k = d.join("k.sh");
    let st = netsim().args(["gen", "kube-proxy", "--services", "500", "-o"]).arg(&k).status();
    assert!(st.unwrap().success());
    let o = netsim().arg("run").arg(&k).arg("--out").arg(&d).output().unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{text}{}", String::from_utf8_lossy(&o.stderr));
    assert!(text.ends_with("\n500\n"), "{text}");
    let _ = std::fs::remove_dir_all(&d);
}
