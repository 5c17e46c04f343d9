//! `ctr` (containerd's client) as seed 001 uses it, and `ln -s` of a task's
//! `/proc/PID/ns/net` into `/var/run/netns`.
//!
//! What it does. `ctr run [-t] [-d] [--rm] [--with-ns network:PATH] IMAGE ID`
//! starts a task: a new network namespace with `lo` up (runc's loopback
//! setup) and nothing else, or the namespace PATH names (`/var/run/netns/N`,
//! `/run/netns/N`, `/proc/PID/ns/net`: two tasks sharing one namespace, a
//! pod); the task gets a process id from the engine's counter. `ctr task
//! ls|list` prints containerd's table (tabwriter, as `ctr` formats it).
//! `ctr task exec [-t] --exec-id X TASK CMD` runs a modelled command (or
//! `sh -c '...'`) in the task's namespace. `ctr task kill`/`rm` are refused.
//! `ln -s /proc/PID/ns/net /var/run/netns/NAME` names a task's namespace for
//! `ip netns`; `ip link set DEV netns PID` (in `ip`) moves a device into a
//! task's namespace through [`netns_of_pid`].
//!
//! What it does not: images (nothing of the image runs; in a busybox or
//! alpine task `ping` and `arp` are BusyBox's applets, the other commands
//! print as the host's iproute2/net-tools do), snapshots,
//! `ctr task exec` without a command (an interactive shell), other `ln` uses.

use super::{Ctx, Outcome, ToolResult, Unsupported};
use crate::model::NsId;

/// A running task.
#[derive(Debug, Clone)]
pub struct Task {
    /// Its container id.
    pub id: String,
    /// Its process id.
    pub pid: u32,
    /// Its network namespace.
    pub ns: NsId,
    /// Whether its image's userland is BusyBox.
    pub busybox: bool,
}

/// The namespace of the task with process id `pid`.
pub fn netns_of_pid(eng: &crate::engine::Engine, pid: u32) -> Option<NsId> {
    eng.docker.tasks.iter().find(|t| t.pid == pid).map(|t| t.ns)
}

/// Resolves a namespace path (`/var/run/netns/N`, `/run/netns/N`,
/// `/proc/PID/ns/net`).
fn ns_by_path(ctx: &Ctx<'_>, path: &str) -> Option<NsId> {
    if let Some(n) = path.strip_prefix("/var/run/netns/").or_else(|| path.strip_prefix("/run/netns/")) {
        return ctx.eng.world.ns_names.get(n).copied();
    }
    let pid = path.strip_prefix("/proc/")?.strip_suffix("/ns/net")?.parse().ok()?;
    netns_of_pid(ctx.eng, pid)
}

/// `ctr ...`.
///
/// # Errors
/// [`Unsupported`] for what is not modelled.
pub fn run(ctx: &mut Ctx<'_>, args: &[String]) -> ToolResult {
    let sub = args.first().map(String::as_str).unwrap_or("");
    let rest = if args.is_empty() { args } else { &args[1..] };
    match sub {
        "run" => run_task(ctx, rest),
        "task" | "tasks" | "t" => {
            let verb = rest.first().map(String::as_str).unwrap_or("");
            let rest = if rest.is_empty() { rest } else { &rest[1..] };
            match verb {
                "ls" | "list" => {
                    if !rest.is_empty() {
                        return Err(Unsupported("ctr task ls options are not modelled".into()));
                    }
                    let tasks = ctx.eng.docker.tasks.clone();
                    let w0 = tasks.iter().map(|t| t.id.len()).max().unwrap_or(0).max(4) + 4;
                    let w1 = tasks.iter().map(|t| t.pid.to_string().len()).max().unwrap_or(0).max(3) + 4;
                    // tabwriter(minwidth 4, padding 4); the header ends
                    // with a tab, so STATUS is padded, the rows' last cell is not.
                    let mut s = format!("{:<w0$}{:<w1$}{:<10}\n", "TASK", "PID", "STATUS");
                    for t in &tasks {
                        s.push_str(&format!("{:<w0$}{:<w1$}RUNNING\n", t.id, t.pid));
                    }
                    ctx.out(&s);
                    Ok(Outcome::Exited(0))
                }
                "exec" => task_exec(ctx, rest),
                v => Err(Unsupported(format!("ctr task {v} is not modelled; supported: ls, exec"))),
            }
        }
        s => Err(Unsupported(format!("ctr {s} is not modelled; supported: run, task ls, task exec"))),
    }
}

fn run_task(ctx: &mut Ctx<'_>, args: &[String]) -> ToolResult {
    let mut with_ns = None;
    let mut pos = Vec::new();
    let mut it = args.iter();
    let mut detach = false;
    while let Some(a) = it.next() {
        let a = a.as_str();
        let flag = a.trim_start_matches('-');
        match (a.starts_with('-'), flag) {
            (true, "t" | "tty" | "rm") => {}
            (true, "d" | "detach") => detach = true,
            (true, "with-ns") => with_ns = it.next().cloned(),
            (true, f) if f.starts_with("with-ns=") => with_ns = Some(f["with-ns=".len()..].to_string()),
            (true, _) => {
                return Err(Unsupported(format!("ctr run {a} is not modelled; supported: -t, -d, --rm, --with-ns")))
            }
            (false, _) => pos.push(a.to_string()),
        }
    }
    if !detach {
        return Err(Unsupported(
            "ctr run without -d runs the image's program in the foreground; netsim does not run images".into(),
        ));
    }
    let [image, id, cmd @ ..] = pos.as_slice() else {
        return ctx.fail("ctr: image ref and container id must be provided", 1);
    };
    if !cmd.is_empty() {
        return Err(Unsupported(format!("ctr run ... {}: netsim does not run a container's command", cmd.join(" "))));
    }
    if ctx.eng.docker.tasks.iter().any(|t| &t.id == id) {
        return ctx.fail(&format!("ctr: snapshot \"{id}\": already exists"), 1);
    }
    let ns = match with_ns {
        Some(spec) => {
            let Some(path) = spec.strip_prefix("network:") else {
                return Err(Unsupported(format!("ctr run --with-ns {spec}: only network:PATH is modelled")));
            };
            match ns_by_path(ctx, path) {
                Some(ns) => ns,
                None => return ctx.fail(&format!("ctr: open {path}: no such file or directory"), 1),
            }
        }
        None => {
            let ns = ctx.eng.world.add_netns_raw();
            super::docker::quiet(ctx, ns, &["ip", "link", "set", "lo", "up"], "")?;
            ns
        }
    };
    let pid = ctx.eng.alloc_pid().0;
    let busybox = super::docker::busybox_image(image);
    ctx.eng.docker.tasks.push(Task { id: id.clone(), pid, ns, busybox });
    Ok(Outcome::Exited(0))
}

fn task_exec(ctx: &mut Ctx<'_>, args: &[String]) -> ToolResult {
    let mut i = 0;
    let mut exec_id = false;
    while let Some(a) = args.get(i) {
        let flag = a.trim_start_matches('-');
        if !a.starts_with('-') {
            break;
        }
        match flag {
            "t" | "tty" => {}
            "exec-id" => {
                exec_id = true;
                i += 1;
            }
            f if f.starts_with("exec-id=") => exec_id = true,
            _ => return Err(Unsupported(format!("ctr task exec {a} is not modelled; supported: -t, --exec-id"))),
        }
        i += 1;
    }
    if !exec_id {
        return ctx.fail("ctr: exec-id must be provided", 1);
    }
    let Some(id) = args.get(i) else {
        return ctx.fail("ctr: container id must be provided", 1);
    };
    let Some(t) = ctx.eng.docker.tasks.iter().find(|t| &t.id == id).cloned() else {
        return ctx.fail(&format!("ctr: no running task found: task {id} not found: not found"), 1);
    };
    let cmd = &args[i + 1..];
    if cmd.is_empty() {
        return ctx.fail("ctr: command must be provided", 1);
    }
    super::docker::in_ns(ctx, t.ns, cmd, &format!("ctr task exec {id}"), t.busybox)
}

/// `ln -s /proc/PID/ns/net /var/run/netns/NAME` (or `/run/netns/NAME`).
///
/// # Errors
/// [`Unsupported`] for any other link.
pub fn ln(ctx: &mut Ctx<'_>, args: &[String]) -> ToolResult {
    let (flags, pos): (Vec<&String>, Vec<&String>) = args.iter().partition(|a| a.starts_with('-'));
    if flags.iter().any(|f| !matches!(f.as_str(), "-s" | "-sf" | "-fs" | "-f"))
        || !flags.iter().any(|f| f.contains('s'))
    {
        return Err(Unsupported("ln: only ln -s /proc/PID/ns/net /var/run/netns/NAME is modelled".into()));
    }
    let [target, link] = pos.as_slice() else {
        return Err(Unsupported("ln: only ln -s /proc/PID/ns/net /var/run/netns/NAME is modelled".into()));
    };
    let Some(name) = link.strip_prefix("/var/run/netns/").or_else(|| link.strip_prefix("/run/netns/")) else {
        return Err(Unsupported("ln: only links into /var/run/netns are modelled".into()));
    };
    let Some(pid) = target.strip_prefix("/proc/").and_then(|s| s.strip_suffix("/ns/net")) else {
        return Err(Unsupported("ln: only a /proc/PID/ns/net target is modelled".into()));
    };
    if ctx.eng.world.ns_names.contains_key(name) {
        let force = flags.iter().any(|f| f.contains('f'));
        if !force {
            return ctx.fail(&format!("ln: failed to create symbolic link '{link}': File exists"), 1);
        }
    }
    // A dangling link is allowed by ln; `ip netns` would then fail to open it.
    let Some(ns) = pid.parse().ok().and_then(|p| netns_of_pid(ctx.eng, p)) else {
        return Err(Unsupported(format!(
            "ln -s {target}: no task has process id {pid} (dangling links are not modelled)"
        )));
    };
    ctx.eng.world.ns_names.insert(name.to_string(), ns);
    Ok(Outcome::Exited(0))
}
