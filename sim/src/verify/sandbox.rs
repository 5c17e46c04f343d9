//! The kernel side of `netsim verify`: run a scenario script as root on the
//! real kernel, inside a sandbox that leaves nothing behind.
//!
//! # What the sandbox is
//!
//! `unshare --mount --net --pid --fork --kill-child --mount-proc` runs a small
//! bash supervisor as PID 1 of new mount, network and PID namespaces
//! (mount propagation private). Before the script starts, the supervisor
//! mounts a fresh tmpfs on `/run` (so `/run/netns`, where `ip netns add`
//! bind-mounts its namespaces, and `/run/xtables.lock` are private), mounts a
//! sysfs of the new network namespace on `/sys` (`brctl` and
//! `/sys/class/net` see the sandbox's devices) and records the sysctls the
//! fresh namespace started with. Then it runs `bash SCRIPT` with:
//!
//! - cwd = the output directory, so `tcpdump -w x.pcap` lands there;
//! - stdin = `/dev/null`; stdout and stderr captured separately (PID 1's
//!   own job notices, such as bash's `Killed` line, are not in them);
//! - environment: only `PATH` ([`SANDBOX_PATH`]) and `LC_ALL=C`;
//! - SIGINT and SIGQUIT at their defaults (so a script's own
//!   `kill -INT %1; wait` and Ctrl-C behave as on a host).
//!
//! # What it guarantees
//!
//! Every process the script starts is in the sandbox's PID namespace; when
//! PID 1 exits the kernel kills them all, the mount namespace (with its
//! `/run/netns` bind mounts) goes away, and with it every network namespace,
//! veth and bridge the script made. No path on the host is written except
//! files the script itself writes (the output directory). PID 1 reports
//! setup and the starting sysctls as `netsim-sandbox: ` lines on stderr
//! before the script starts; they are split off.
//!
//! When the script exits, PID 1 ends the run in this order:
//!
//! 1. every leftover process that is not `tcpdump` is frozen with SIGSTOP, so
//!    nothing new is sent after the script's end;
//! 2. if any `tcpdump` is still running, PID 1 waits [`RING_FLUSH`] (libpcap's
//!    TPACKET_V3 ring hands packets to tcpdump in blocks retired after its
//!    1000 ms timeout; a tcpdump interrupted earlier loses the last block),
//!    then sends SIGINT so it writes out its pcap and exits, and waits up to
//!    [`CAPTURE_GRACE`];
//! 3. PID 1 exits with the script's status; the kernel SIGKILLs the rest.
//!
//! The same ending runs when the run is cut short: netsim holds the write end
//! of a pipe whose read end a watcher inside the sandbox blocks on. At the
//! timeout netsim closes it, and the kernel closes it when netsim dies for any
//! reason (panic, SIGINT, SIGKILL); the watcher then sends SIGTERM to PID 1,
//! which SIGKILLs the script and performs the ending above. If PID 1 has not
//! exited [`ABORT_GRACE`] after the timeout, netsim SIGKILLs `unshare`, whose
//! `--kill-child` takes PID 1 and so the whole sandbox with it (captures may
//! then be incomplete).
//!
//! # What it does not do
//!
//! It is not a security boundary: the script runs as real root and could
//! reach the host (`nsenter -t 1`, global sysctls, `modprobe`). Refusing such
//! scripts is the whitelist's job (netsim's parser runs first). It does not
//! isolate the filesystem beyond `/run`, `/sys` and `/proc`.
//!
//! Namespaces the script creates with `ip netns add` inherit IPv4 `conf/*`
//! from the host's *initial* namespace (with `devconf_inherit_init_net=0`),
//! not from the sandbox's root namespace: a `sysctl -w` the script runs in
//! its root namespace before `ip netns add` does not reach the new namespace
//! here, while on a bare host (where the script's root namespace *is* the
//! initial one) it would.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread::JoinHandle;
use std::time::Duration;

use super::profile::{HostProfile, SYSCTL_KEYS};
use super::VerifyError;

/// `PATH` inside the sandbox: fixed, so runs do not depend on the caller's.
pub const SANDBOX_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// Programs the sandbox itself needs, looked up in [`SANDBOX_PATH`].
pub const REQUIRED_TOOLS: [&str; 7] = ["bash", "unshare", "mount", "env", "sleep", "ip", "tcpdump"];

/// How long PID 1 lets a leftover tcpdump's ring buffer retire its last
/// block before interrupting it.
pub const RING_FLUSH: Duration = Duration::from_millis(1200);

/// How long PID 1 waits for interrupted tcpdumps to write out and exit.
pub const CAPTURE_GRACE: Duration = Duration::from_secs(2);

/// How long after the timeout netsim waits for the sandbox to end itself
/// before SIGKILLing it.
pub const ABORT_GRACE: Duration = Duration::from_secs(6);

/// Polling step while waiting for the sandbox.
const POLL: Duration = Duration::from_millis(10);

/// What a script did on the real kernel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KernelRun {
    /// Everything the script wrote to stdout.
    pub stdout: Vec<u8>,
    /// Everything the script wrote to stderr.
    pub stderr: Vec<u8>,
    /// The script's exit status as bash reports it (128 + N when killed by
    /// signal N; 137 after a timeout).
    pub exit_code: i32,
    /// Regular files the script created or changed in the output directory,
    /// relative to it, sorted.
    pub files: Vec<PathBuf>,
    /// Whether the run hit the timeout and the script was killed.
    pub timed_out: bool,
    /// The starting conditions of the sandbox's fresh network namespace, as
    /// read inside it before the script ran.
    pub profile: HostProfile,
}

/// Prefix of the lines PID 1 writes to stderr before the script starts.
const NOTE: &str = "netsim-sandbox: ";

/// PID 1 of the sandbox. Arguments: script, sysctl names. Before the script
/// starts it writes notes to stderr (`NOTE` + `profile KEY VALUE`,
/// `br_netfilter ...`, `setup-error ...`, and finally `ready`); everything
/// after `ready` is the script's.
const SUPERVISOR: &str = r#"
set -u
script=$1; shift
note='netsim-sandbox: '
abort=0
trap 'abort=1' INT TERM
fail() { printf '%s%s %s\n' "$note" setup-error "$*" >&2; exit 125; }
mount -t tmpfs -o mode=0755,size=16m netsim-run /run || fail "cannot mount a tmpfs on /run"
mkdir -p /run/netns || fail "cannot create /run/netns"
mount -t sysfs netsim-sysfs /sys || fail "cannot mount sysfs on /sys"
for key in "$@"; do
  f=/proc/sys/${key//.//}
  if [ -r "$f" ]; then read -r v <"$f"; printf '%sprofile %s %s\n' "$note" "$key" "$v" >&2; fi
done
if [ -d /proc/sys/net/bridge ]; then b=loaded; else b=not-loaded; fi
printf '%sbr_netfilter %s\n%sready\n' "$note" "$b" "$note" >&2
exec 3<&0 0</dev/null 4>&2 2>/dev/null
( read -r _ <&3; while kill -TERM 1; do sleep 0.5; done ) &
env --default-signal=INT,QUIT bash "$script" </dev/null 2>&4 3<&- 4>&- &
child=$!
exec 3<&- 4>&-
if [ "$abort" = 1 ]; then kill -KILL "$child" 2>/dev/null; fi
wait "$child"; rc=$?
while kill -0 "$child" 2>/dev/null; do
  if [ "$abort" = 1 ]; then kill -KILL "$child" 2>/dev/null; fi
  wait "$child"; rc=$?
done
captures=""
for d in /proc/[0-9]*; do
  p=${d#/proc/}
  [ "$p" = 1 ] && continue
  comm=""
  [ -r "$d/comm" ] && read -r comm 2>/dev/null <"$d/comm"
  if [ "$comm" = tcpdump ]; then captures="$captures $p"; else kill -STOP "$p" 2>/dev/null; fi
done
if [ -n "$captures" ]; then
  sleep "$NETSIM_RING_FLUSH"
  kill -INT $captures 2>/dev/null
  i=0
  while [ "$i" -lt "$NETSIM_GRACE_STEPS" ]; do
    alive=0
    for p in $captures; do
      st=""
      [ -r "/proc/$p/stat" ] && read -r st 2>/dev/null <"/proc/$p/stat"
      st=${st##*) }
      case "$st" in ""|Z*) ;; *) alive=1 ;; esac
    done
    [ "$alive" = 0 ] && break
    sleep 0.05
    i=$((i + 1))
  done
fi
exit "$rc"
"#;

/// Checks that the sandbox can run here: effective uid 0, the
/// [`REQUIRED_TOOLS`] present in [`SANDBOX_PATH`], and `unshare` allowed to
/// create mount, network and PID namespaces.
///
/// # Errors
///
/// [`VerifyError::SandboxUnavailable`] naming what is missing (the CLI maps
/// it to exit code 77, "skipped").
pub fn check_preconditions() -> Result<(), VerifyError> {
    let uid = effective_uid().ok_or_else(|| VerifyError::SandboxUnavailable {
        reason: "cannot read the effective uid from /proc/self/status".to_string(),
    })?;
    if uid != 0 {
        return Err(VerifyError::SandboxUnavailable { reason: format!("needs root (effective uid is {uid})") });
    }
    let missing: Vec<&str> = REQUIRED_TOOLS.iter().copied().filter(|tool| find_in_path(tool).is_none()).collect();
    if !missing.is_empty() {
        return Err(VerifyError::SandboxUnavailable {
            reason: format!("missing {} (looked in {SANDBOX_PATH})", missing.join(", ")),
        });
    }
    let probe = Command::new("unshare")
        .args(["--mount", "--net", "--pid", "--fork", "--kill-child", "--mount-proc", "true"])
        .env_clear()
        .env("PATH", SANDBOX_PATH)
        .env("LC_ALL", "C")
        .stdin(Stdio::null())
        .output()
        .map_err(|source| VerifyError::Spawn { program: "unshare".to_string(), source })?;
    if !probe.status.success() {
        return Err(VerifyError::SandboxUnavailable {
            reason: format!("unshare cannot create namespaces: {}", String::from_utf8_lossy(&probe.stderr).trim()),
        });
    }
    Ok(())
}

/// Runs `bash SCRIPT` as root in the sandbox described in the module doc,
/// with `out_dir` (created if missing) as its working directory, and kills it
/// `timeout` after it started (measured by summed polling sleeps, so never
/// shorter).
///
/// A timeout is not an error: the result has `timed_out` set and what the
/// script printed until then.
///
/// # Errors
///
/// [`VerifyError::SandboxUnavailable`] when [`check_preconditions`] fails,
/// [`VerifyError::Io`] for the script or output directory,
/// [`VerifyError::Spawn`] when `unshare` cannot be started,
/// [`VerifyError::SandboxSetup`] when the sandbox could not be set up.
pub fn run_in_sandbox(script: &Path, out_dir: &Path, timeout: Duration) -> Result<KernelRun, VerifyError> {
    check_preconditions()?;
    let host = HostProfile::read_from_kernel()?;
    let script = script.canonicalize().map_err(|source| VerifyError::Io { path: script.to_path_buf(), source })?;
    std::fs::create_dir_all(out_dir).map_err(|source| VerifyError::Io { path: out_dir.to_path_buf(), source })?;
    let out_dir = out_dir.canonicalize().map_err(|source| VerifyError::Io { path: out_dir.to_path_buf(), source })?;
    let before = list_files(&out_dir)?;
    let _nf_log = NfLogAllNetns::enable_for(&script);

    let grace_steps = CAPTURE_GRACE.as_millis() / 50;
    let mut command = Command::new("unshare");
    command
        .args([
            "--mount",
            "--net",
            "--pid",
            "--fork",
            "--kill-child",
            "--mount-proc",
            "--propagation",
            "private",
            "--",
            "bash",
            "-c",
            SUPERVISOR,
            "netsim-sandbox",
        ])
        .arg(&script)
        .args(SYSCTL_KEYS)
        .current_dir(&out_dir)
        .env_clear()
        .env("PATH", SANDBOX_PATH)
        .env("LC_ALL", "C")
        .env("NETSIM_RING_FLUSH", format!("{}.{:03}", RING_FLUSH.as_secs(), RING_FLUSH.subsec_millis()))
        .env("NETSIM_GRACE_STEPS", grace_steps.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = command.spawn().map_err(|source| VerifyError::Spawn { program: "unshare".to_string(), source })?;
    let mut guard = ChildGuard { child };
    let stdout = reader(guard.child.stdout.take());
    let stderr = reader(guard.child.stderr.take());
    // Dropping this pipe (here, on timeout, or when netsim dies) tells the
    // sandbox to end the run.
    let mut lifeline = guard.child.stdin.take();

    let mut waited = Duration::ZERO;
    let mut timed_out = false;
    let mut killed = false;
    let status = loop {
        match guard.child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) => {}
            Err(source) => return Err(VerifyError::Io { path: PathBuf::from("unshare"), source }),
        }
        if waited >= timeout && lifeline.is_some() {
            timed_out = true;
            lifeline = None;
        }
        if waited >= timeout + ABORT_GRACE && !killed {
            killed = guard.child.kill().is_ok();
        }
        std::thread::sleep(POLL);
        waited += POLL;
    };
    drop(lifeline);
    let stdout = join(stdout);
    let all_stderr = join(stderr);
    let exit_code = status.code().unwrap_or(128 + 9);

    let notes = split_notes(&all_stderr);
    if !notes.ready {
        return Err(VerifyError::SandboxSetup {
            message: format!(
                "{} (status {exit_code}) {}",
                notes.setup_error,
                String::from_utf8_lossy(&all_stderr[notes.script_stderr..]).trim()
            )
            .trim()
            .to_string(),
        });
    }
    let stderr = all_stderr[notes.script_stderr..].to_vec();
    let profile = HostProfile::from_sysctl_values(&host, &notes.sysctls, notes.br_netfilter_loaded)?;
    let after = list_files(&out_dir)?;
    let files =
        after.into_iter().filter(|(path, stamp)| before.get(path) != Some(stamp)).map(|(path, _)| path).collect();
    Ok(KernelRun { stdout, stderr, exit_code, files, timed_out, profile })
}

/// The kernel's `net.netfilter.nf_log_all_netns` (only the initial namespace
/// has it): 0 by default, and then the `LOG` target of any other namespace,
/// the sandbox's included, writes nothing (iptables' `LOG` and nft's `log`
/// alike). For a script that reads the log (its text has `dmesg`), netsim
/// verify sets it to 1 for the run and puts
/// the old value back when the run ends (this guard's drop). It is a
/// machine-wide switch: while it is on, `LOG` rules in other namespaces of
/// the machine log too.
struct NfLogAllNetns {
    old: Option<String>,
}

const NF_LOG_ALL_NETNS: &str = "/proc/sys/net/netfilter/nf_log_all_netns";

impl NfLogAllNetns {
    fn enable_for(script: &Path) -> NfLogAllNetns {
        let uses_log = std::fs::read_to_string(script).is_ok_and(|t| t.contains("dmesg"));
        let old = std::fs::read_to_string(NF_LOG_ALL_NETNS).ok().map(|v| v.trim().to_string());
        match old {
            Some(v) if uses_log && v != "1" && std::fs::write(NF_LOG_ALL_NETNS, "1\n").is_ok() => {
                NfLogAllNetns { old: Some(v) }
            }
            _ => NfLogAllNetns { old: None },
        }
    }
}

impl Drop for NfLogAllNetns {
    fn drop(&mut self) {
        if let Some(v) = &self.old {
            let _ = std::fs::write(NF_LOG_ALL_NETNS, format!("{v}\n"));
        }
    }
}

/// Kills the sandbox (SIGKILL to `unshare`, which takes PID 1 with it) if it
/// is still running when dropped, e.g. on an early return.
struct ChildGuard {
    child: Child,
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn reader<R: Read + Send + 'static>(pipe: Option<R>) -> Option<JoinHandle<Vec<u8>>> {
    pipe.map(|mut pipe| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = pipe.read_to_end(&mut buf);
            buf
        })
    })
}

fn join(handle: Option<JoinHandle<Vec<u8>>>) -> Vec<u8> {
    handle.and_then(|h| h.join().ok()).unwrap_or_default()
}

/// What PID 1 noted on stderr before the script started.
#[derive(Debug, Default, PartialEq, Eq)]
struct Notes {
    /// Whether setup finished and the script was started.
    ready: bool,
    setup_error: String,
    sysctls: BTreeMap<String, String>,
    br_netfilter_loaded: bool,
    /// Offset in stderr where the script's own output starts.
    script_stderr: usize,
}

fn split_notes(stderr: &[u8]) -> Notes {
    let mut notes = Notes::default();
    let mut offset = 0;
    while !notes.ready {
        let Some(body) = stderr[offset..].strip_prefix(NOTE.as_bytes()) else {
            break;
        };
        let len = body.iter().position(|&b| b == b'\n').unwrap_or(body.len());
        let line = String::from_utf8_lossy(&body[..len]).into_owned();
        offset += NOTE.len() + len + usize::from(len < body.len());
        let (word, arg) = line.split_once(' ').unwrap_or((line.as_str(), ""));
        match word {
            "ready" => notes.ready = true,
            "setup-error" => notes.setup_error = arg.to_string(),
            "br_netfilter" => notes.br_netfilter_loaded = arg == "loaded",
            "profile" => {
                if let Some((key, value)) = arg.split_once(' ') {
                    notes.sysctls.insert(key.to_string(), value.to_string());
                }
            }
            _ => {}
        }
    }
    notes.script_stderr = offset;
    notes
}

/// Size and modification time, to tell changed files from untouched ones.
type Stamp = (u64, Option<std::time::SystemTime>);

/// Regular files under `dir`, relative to it, sorted.
fn list_files(dir: &Path) -> Result<BTreeMap<PathBuf, Stamp>, VerifyError> {
    let mut out = BTreeMap::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        let abs = dir.join(&rel);
        let entries = std::fs::read_dir(&abs).map_err(|source| VerifyError::Io { path: abs.clone(), source })?;
        for entry in entries {
            let entry = entry.map_err(|source| VerifyError::Io { path: abs.clone(), source })?;
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            let rel_path = rel.join(entry.file_name());
            if kind.is_dir() {
                stack.push(rel_path);
            } else if kind.is_file() {
                let meta = entry.metadata().ok();
                let stamp = (meta.as_ref().map_or(0, |m| m.len()), meta.and_then(|m| m.modified().ok()));
                out.insert(rel_path, stamp);
            }
        }
    }
    Ok(out)
}

fn effective_uid() -> Option<u32> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("Uid:"))?;
    line.split_whitespace().nth(2)?.parse().ok()
}

fn find_in_path(tool: &str) -> Option<PathBuf> {
    SANDBOX_PATH.split(':').map(|dir| Path::new(dir).join(tool)).find(|p| p.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    // Files are listed relative to the directory, recursively and sorted.
    #[test]
    fn lists_files_recursively() {
        let dir = std::env::temp_dir().join(format!("netsim-list-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        std::fs::write(dir.join("b.pcap"), "1").unwrap();
        std::fs::write(dir.join("sub/a.pcap"), "22").unwrap();
        let files: Vec<PathBuf> = list_files(&dir).unwrap().into_keys().collect();
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(files, vec![PathBuf::from("b.pcap"), PathBuf::from("sub/a.pcap")]);
    }

    // PID 1's notes are split off stderr; the script's output, even when it
    // looks like a note, stays.
    #[test]
    fn splits_notes_from_stderr() {
        let err = b"netsim-sandbox: profile net.ipv4.ip_forward 1\n\
netsim-sandbox: br_netfilter loaded\n\
netsim-sandbox: ready\n\
netsim-sandbox: ready\nscript\n";
        let notes = split_notes(err);
        assert!(notes.ready && notes.br_netfilter_loaded);
        assert_eq!(&err[notes.script_stderr..], b"netsim-sandbox: ready\nscript\n");
        assert_eq!(notes.sysctls["net.ipv4.ip_forward"], "1");
        let host = HostProfile { devconf_inherit_init_net: 3, ..HostProfile::plain() };
        let p = HostProfile::from_sysctl_values(&host, &notes.sysctls, true).unwrap();
        assert_eq!(
            p,
            HostProfile {
                ip_forward: 1,
                br_netfilter_loaded: true,
                devconf_inherit_init_net: 3,
                ..HostProfile::plain()
            }
        );
        let failed = split_notes(b"netsim-sandbox: setup-error cannot mount\nunshare: x\n");
        assert!(!failed.ready);
        assert_eq!(failed.setup_error, "cannot mount");
        assert!(!split_notes(b"").ready);
    }
}
