//! The kernel side of verify, on the real kernel: these tests need root and
//! namespaces. Where those are missing each test prints `skipped: ...` and
//! passes.
//!
//! Every test checks that the host is left as it was: the same `ip netns
//! list`, the same links, the same mounts, and no process carrying the
//! test's marker.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use sim::verify::{self, normalise, Golden, VerifyError};

fn available() -> bool {
    match verify::check_preconditions() {
        Ok(()) => true,
        Err(VerifyError::SandboxUnavailable { reason }) => {
            eprintln!("skipped: {reason}");
            false
        }
        Err(err) => panic!("precondition check failed unexpectedly: {err}"),
    }
}

/// A scratch directory holding the script and the output directory.
struct Scratch {
    root: PathBuf,
}

impl Scratch {
    fn new(tag: &str) -> Scratch {
        let root = std::env::temp_dir().join(format!("netsim-verify-it-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("out")).unwrap();
        Scratch { root }
    }

    fn script(&self, body: &str) -> PathBuf {
        let path = self.root.join("scenario.sh");
        std::fs::write(&path, body).unwrap();
        path
    }

    fn out(&self) -> PathBuf {
        self.root.join("out")
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

/// What must be unchanged on the host after a run.
#[derive(Debug, PartialEq, Eq)]
struct HostState {
    netns: String,
    links: Vec<String>,
    mounts: Vec<String>,
}

fn host_state() -> HostState {
    let netns = run("ip", &["netns", "list"]);
    let links = run("ip", &["-o", "link", "show"])
        .lines()
        .filter_map(|l| l.split(':').nth(1).map(|n| n.trim().to_string()))
        .collect();
    let mounts = std::fs::read_to_string("/proc/self/mountinfo")
        .unwrap()
        .lines()
        .map(|l| l.split(' ').nth(4).unwrap_or("").to_string())
        .collect();
    HostState { netns, links, mounts }
}

fn run(program: &str, args: &[&str]) -> String {
    let out = Command::new(program).args(args).output().unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Pids of host processes whose command line contains `marker`.
fn processes_with(marker: &str) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.bytes().all(|b| b.is_ascii_digit()) || name == std::process::id().to_string() {
            continue;
        }
        if let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) {
            let text = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            if text.contains(marker) {
                found.push(format!("{name}: {text}"));
            }
        }
    }
    found
}

/// Waits up to `limit` for no process to carry `marker`.
fn wait_gone(marker: &str, limit: Duration) -> Vec<String> {
    let step = Duration::from_millis(100);
    let mut waited = Duration::ZERO;
    loop {
        let left = processes_with(marker);
        if left.is_empty() || waited >= limit {
            return left;
        }
        std::thread::sleep(step);
        waited += step;
    }
}

const VETH_PING: &str = r#"
ip netns add a
ip netns add b
ip link add va netns a address 02:00:00:00:00:0a type veth peer name vb netns b address 02:00:00:00:00:0b
ip -n a addr add 10.0.0.1/24 dev va
ip -n b addr add 10.0.0.2/24 dev vb
ip -n a link set va up
ip -n b link set vb up
ip netns exec a tcpdump -i va -w a.pcap &
sleep 1
ip netns exec a ping -c 2 10.0.0.2
sleep 1.2
kill -INT %1
wait
ip netns list
"#;

// A veth pair between two namespaces, pinged, captured with the script's
// own `kill -INT %1; wait`: the run succeeds inside the sandbox, the pcap is
// complete, normalisation leaves exactly the IPv4 frames with mapped ids,
// and the host is untouched.
#[test]
fn veth_ping_through_sandbox() {
    if !available() {
        return;
    }
    let before = host_state();
    let scratch = Scratch::new("veth");
    let script = scratch.script(VETH_PING);
    let run = verify::run_in_sandbox(&script, &scratch.out(), Duration::from_secs(30)).unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.exit_code, 0, "stderr: {stderr}");
    assert!(!run.timed_out);
    assert_eq!(run.files, vec![PathBuf::from("a.pcap")]);
    assert!(stderr.contains("packets captured"), "tcpdump flushed on the script's SIGINT: {stderr}");

    let host = verify::HostProfile::read_from_kernel().unwrap();
    assert_eq!(run.profile.ip_forward, host.ip_forward);
    assert_eq!(run.profile.rp_filter_all, host.rp_filter_all);
    assert_eq!(run.profile.br_netfilter_loaded, host.br_netfilter_loaded);

    let golden = Golden::from_kernel_run(&run, &scratch.out()).unwrap();
    assert_eq!(
        golden.stdout,
        "PING 10.0.0.2 (10.0.0.2) 56(84) bytes of data.\n\
         64 bytes from 10.0.0.2: icmp_seq=1 ttl=64 time=T ms\n\
         64 bytes from 10.0.0.2: icmp_seq=2 ttl=64 time=T ms\n\
         \n\
         --- 10.0.0.2 ping statistics ---\n\
         2 packets transmitted, 2 received, 0% packet loss, time Tms\n\
         rtt min/avg/max/mdev = T\n\
         b\n\
         a\n"
    );
    assert_eq!(golden.stderr, "tcpdump: listening on va, link-type EN10MB (Ethernet), snapshot length 262144 bytes\n");
    let a = "02:00:00:00:00:0a";
    let b = "02:00:00:00:00:0b";
    let ip = "ethertype IPv4 (0x0800), length 98";
    let want = format!(
        "{a} > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), length 42: Request who-has 10.0.0.2 tell 10.0.0.1, length 28\n\
         {b} > {a}, ethertype ARP (0x0806), length 42: Reply 10.0.0.2 is-at {b}, length 28\n\
         {a} > {b}, {ip}: 10.0.0.1 > 10.0.0.2: ICMP echo request, id #1, seq 1, length 64\n\
         {b} > {a}, {ip}: 10.0.0.2 > 10.0.0.1: ICMP echo reply, id #1, seq 1, length 64\n\
         {a} > {b}, {ip}: 10.0.0.1 > 10.0.0.2: ICMP echo request, id #1, seq 2, length 64\n\
         {b} > {a}, {ip}: 10.0.0.2 > 10.0.0.1: ICMP echo reply, id #1, seq 2, length 64\n"
    );
    assert_eq!(golden.captures["a.pcap"], want);
    let raw = normalise::pcap_to_text(&scratch.out().join("a.pcap")).unwrap();
    assert!(raw.contains("ethertype IPv6"), "a fresh veth sends IPv6 ND/MLD: {raw}");

    // The golden round-trips through disk and agrees with itself.
    let dir = scratch.root.join("golden");
    golden.record(&dir).unwrap();
    let loaded = Golden::load(&dir).unwrap();
    assert!(verify::compare(&golden, &loaded).is_empty());

    assert_eq!(host_state(), before);
}

// A script that starts tcpdump in the background and exits right after its
// last ping, without stopping it: the pcap still holds the last frames (the
// sandbox lets libpcap's ring retire its block, then interrupts tcpdump),
// and no leftover process survives.
#[test]
fn leftover_tcpdump_is_flushed() {
    if !available() {
        return;
    }
    let before = host_state();
    let scratch = Scratch::new("leftover");
    let marker = format!("leftover{}", std::process::id());
    let script = scratch.script(&format!(
        r#"
ip netns add a
ip link add va netns a type veth peer name vb
ip -n a addr add 10.0.0.1/24 dev va
ip addr add 10.0.0.2/24 dev vb
ip -n a link set va up
ip link set vb up
tcpdump -i vb -w {marker}.pcap 2>/dev/null &
sleep 1
ip netns exec a sleep 86{tail} &
ping -c 1 10.0.0.1 >/dev/null
echo done
"#,
        tail = std::process::id() % 997 + 1000
    ));
    let run = verify::run_in_sandbox(&script, &scratch.out(), Duration::from_secs(30)).unwrap();
    assert_eq!(run.exit_code, 0, "{}", String::from_utf8_lossy(&run.stderr));
    assert_eq!(String::from_utf8_lossy(&run.stdout), "done\n");
    let name = format!("{marker}.pcap");
    assert_eq!(run.files, vec![PathBuf::from(&name)]);
    let text = normalise::capture_text(&normalise::pcap_to_text(&scratch.out().join(&name)).unwrap());
    assert!(text.contains("ICMP echo request, id #1, seq 1"), "{text}");
    assert!(text.contains("ICMP echo reply, id #1, seq 1"), "{text}");
    assert!(wait_gone(&marker, Duration::from_secs(1)).is_empty());
    assert!(wait_gone(&format!("sleep 86{}", std::process::id() % 997 + 1000), Duration::from_secs(1)).is_empty());
    assert_eq!(host_state(), before);
}

// A script that never ends is killed at the timeout, with what it printed
// so far, and its background processes die with it.
#[test]
fn timeout_kills_everything() {
    if !available() {
        return;
    }
    let before = host_state();
    let scratch = Scratch::new("timeout");
    let tag = 86000 + std::process::id() % 400;
    let script =
        scratch.script(&format!("ip link add v0 type veth peer name v1\nsleep {tag}1 &\necho started\nsleep {tag}2\n"));
    let run = verify::run_in_sandbox(&script, &scratch.out(), Duration::from_secs(2)).unwrap();
    assert!(run.timed_out);
    assert_eq!(run.exit_code, 137);
    assert_eq!(String::from_utf8_lossy(&run.stdout), "started\n");
    assert_eq!(String::from_utf8_lossy(&run.stderr), "", "no job notices from PID 1");
    assert!(wait_gone(&format!("sleep {tag}"), Duration::from_secs(1)).is_empty());
    assert_eq!(host_state(), before);
}

// `ip netns add`, `brctl` (which reads sysfs) and the exit status work as
// on a host, and what the script creates is not visible outside.
#[test]
fn netns_and_sysfs_are_private() {
    if !available() {
        return;
    }
    let before = host_state();
    let scratch = Scratch::new("private");
    let script = scratch.script(
        r#"
ip netns add x
ip netns add y
ip netns list
ip link add br0 type bridge
ip link add v0 type veth peer name v1
ip link set v0 master br0
ls /sys/class/net
ls /sys/class/net/br0/brif
cat /proc/sys/net/ipv4/ip_forward >/dev/null
ip netns exec x ip -br link
exit 3
"#,
    );
    let run = verify::run_in_sandbox(&script, &scratch.out(), Duration::from_secs(30)).unwrap();
    assert_eq!(run.exit_code, 3, "{}", String::from_utf8_lossy(&run.stderr));
    assert_eq!(
        String::from_utf8_lossy(&run.stdout),
        "y\nx\nbr0\nlo\nv0\nv1\nv0\nlo               DOWN           00:00:00:00:00:00 <LOOPBACK> \n"
    );
    assert!(run.files.is_empty());
    assert_eq!(host_state(), before);
}

/// Set in the environment of the re-executed test binary.
const CHILD_ENV: &str = "NETSIM_VERIFY_CHILD_OUT";

// Helper for the two tests below: runs a never-ending script with a capture
// running, in a process the parent test then kills.
#[test]
#[ignore = "helper: re-executed by netsim_dying_* tests"]
fn child_runs_forever() {
    let Ok(out) = std::env::var(CHILD_ENV) else {
        return;
    };
    let out = PathBuf::from(out);
    let script = out.parent().unwrap().join("forever.sh");
    let _ = verify::run_in_sandbox(&script, &out, Duration::from_secs(600));
}

fn netsim_dies(signal: &str) {
    if !available() {
        return;
    }
    let before = host_state();
    let scratch = Scratch::new(&format!("dies{signal}"));
    let tag = 85000 + std::process::id() % 400;
    std::fs::write(
        scratch.root.join("forever.sh"),
        format!(
            "ip link add va type veth peer name vb\nip link set va up\nip link set vb up\n\
             tcpdump -i va -w cap.pcap 2>/dev/null &\nsleep {tag}3 &\nsleep 1\n: >started\nsleep {tag}4\n"
        ),
    )
    .unwrap();
    let exe = std::env::current_exe().unwrap();
    let mut child = Command::new(exe)
        .args(["--exact", "child_runs_forever", "--ignored", "--nocapture"])
        .env(CHILD_ENV, scratch.out())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = scratch.out().join("started");
    let mut waited = 0;
    while !started.exists() && waited < 200 {
        std::thread::sleep(Duration::from_millis(100));
        waited += 1;
    }
    assert!(started.exists(), "the child's sandbox never started the script");
    assert!(!processes_with(&format!("sleep {tag}")).is_empty());
    let status = Command::new("kill").args([signal, &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let _ = child.wait();
    let left = wait_gone(&format!("sleep {tag}"), Duration::from_secs(8));
    assert!(left.is_empty(), "left behind: {left:?}");
    assert!(wait_gone("cap.pcap", Duration::from_secs(8)).is_empty());
    // The capture was flushed by the sandbox's own ending.
    assert!(normalise::pcap_to_text(&scratch.out().join("cap.pcap")).is_ok());
    assert_eq!(host_state(), before);
}

// netsim interrupted with SIGINT mid-run: the sandbox notices its lifeline
// closing, ends the script, flushes the capture and leaves nothing behind.
#[test]
fn netsim_dying_by_sigint_leaves_nothing() {
    netsim_dies("-INT");
}

// The same when netsim is SIGKILLed and can run no code at all.
#[test]
fn netsim_dying_by_sigkill_leaves_nothing() {
    netsim_dies("-KILL");
}

// Without the sandbox (here: a path that is not a script) the error is an
// I/O error, not a skip, and nothing is started.
#[test]
fn missing_script_is_an_error() {
    if !available() {
        return;
    }
    let scratch = Scratch::new("missing");
    let err =
        verify::run_in_sandbox(Path::new("/nonexistent/x.sh"), &scratch.out(), Duration::from_secs(5)).unwrap_err();
    assert!(matches!(err, VerifyError::Io { .. }), "{err}");
}
