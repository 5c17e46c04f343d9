//! `netsim verify` leaves nothing behind on the host when it is interrupted:
//! no namespace, veth, bridge, iptables rule or capture process, whether it
//! gets SIGINT alone, SIGINT with its whole process group (Ctrl-C in a
//! terminal), SIGTERM, or SIGKILL (which, like an aborting panic, runs no cleanup
//! code in netsim at all).
//!
//! Needs root and a kernel that lets `unshare` create namespaces; elsewhere
//! each test prints why it is skipped and passes.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .map(|s| s.lines().any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0")))
        .unwrap_or(false)
}

fn sh(cmd: &str) -> String {
    Command::new("sh")
        .args(["-c", cmd])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default()
}

/// Processes whose command line mentions `mark`.
fn procs_with(mark: &str) -> Vec<String> {
    let mut v = Vec::new();
    for e in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        if let Ok(c) = std::fs::read(e.path().join("cmdline")) {
            let c = String::from_utf8_lossy(&c).replace('\0', " ");
            if c.contains(mark) && !c.contains("verify_cleanup") {
                v.push(format!("{}: {c}", e.file_name().to_string_lossy()));
            }
        }
    }
    v
}

/// What the script would leave on the host if the sandbox leaked.
fn host_state() -> String {
    let links = sh("ip -o link show | sed 's/^[0-9]*: //; s/ state .*//'");
    let netns = sh("ip netns list");
    let rules = sh("iptables-save 2>/dev/null | grep -v '^#' | grep -v '^:' ");
    format!("{links}\n--\n{netns}\n--\n{rules}")
}

fn script(dir: &Path, mark: &str) -> PathBuf {
    let p = dir.join(format!("{mark}.sh"));
    std::fs::write(
        &p,
        format!(
            "ip netns add {mark}\n\
             ip link add clv0 type veth peer name clv1\n\
             ip link add clbr0 type bridge\n\
             ip link set clv0 master clbr0\n\
             ip link set clbr0 up\n\
             ip link set clv0 up\n\
             modprobe br_netfilter 2>/dev/null\n\
             iptables -A FORWARD -s 10.123.0.0/16 -j DROP\n\
             tcpdump -i clbr0 -w {mark}.pcap 2>/dev/null &\n\
             echo started > started\n\
             sleep 60\n"
        ),
    )
    .unwrap();
    p
}

fn spawn(script: &Path, out: &Path) -> Child {
    use std::os::unix::process::CommandExt;
    Command::new(env!("CARGO_BIN_EXE_netsim"))
        .arg("verify")
        .arg(script)
        .arg("--out")
        .arg(out)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .expect("netsim starts")
}

fn wait_for(what: &str, secs: u64, mut f: impl FnMut() -> bool) {
    for _ in 0..secs * 20 {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("timed out waiting for {what}");
}

/// Starts a verify run, waits until its script is running (capture and all),
/// sends `signal` to netsim (or its process group), and checks the host is
/// as before.
fn interrupted(tag: &str, signal: &str, group: bool) {
    if !is_root() {
        eprintln!("skipped: needs root");
        return;
    }
    let mark = format!("nsclean{tag}{}", std::process::id());
    let dir = std::env::temp_dir().join(&mark);
    std::fs::create_dir_all(&dir).unwrap();
    let s = script(&dir, &mark);
    let before = host_state();
    let mut child = spawn(&s, &dir.join("out"));
    let started = dir.join("out/kernel/started");
    for _ in 0..400 {
        if started.exists() || child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    if !started.exists() {
        let st = child.wait().unwrap();
        // 77: no sandbox possible here (no unshare, no namespaces, no tools).
        assert_eq!(st.code(), Some(77), "verify ended before the script started: {st:?}");
        eprintln!("skipped: the sandbox cannot run here");
        return;
    }
    wait_for("the capture to start", 10, || !procs_with(&format!("{mark}.pcap")).is_empty());
    let target = if group { format!("-{}", child.id()) } else { child.id().to_string() };
    let st = Command::new("kill").args([signal, "--", &target]).status().unwrap();
    assert!(st.success());
    // netsim may take up to its abort grace to end the sandbox.
    wait_for("netsim to exit", 20, || child.try_wait().unwrap().is_some());
    wait_for("every sandbox process to end", 20, || procs_with(&mark).is_empty());
    assert_eq!(host_state(), before, "the host changed");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn sigint_to_netsim_leaves_nothing() {
    // Proves SIGINT to netsim alone ends the sandbox and everything in it.
    interrupted("int", "-INT", false);
}

#[test]
fn ctrl_c_to_the_process_group_leaves_nothing() {
    // Proves Ctrl-C (SIGINT to netsim, unshare and everything in its process
    // group) ends the sandbox and everything in it.
    interrupted("grp", "-INT", true);
}

#[test]
fn sigterm_leaves_nothing() {
    // Proves SIGTERM (what `timeout` and service managers send) ends the
    // sandbox and everything in it.
    interrupted("term", "-TERM", false);
}

#[test]
fn sigkill_leaves_nothing() {
    // Proves even SIGKILL (no cleanup code runs in netsim, as in an aborting
    // panic) ends the sandbox: the kernel closes netsim's lifeline pipe.
    interrupted("kill", "-KILL", false);
}
