//! `python3 -m http.server [PORT] [--bind ADDR]` (Python 3.11): option
//! parsing and the listening socket; the running server is
//! [`crate::engine::apps::HttpServer`]. It serves the files the script
//! wrote into the current directory (an `index.html` for `/`, else the
//! listing), logs each request to stderr as Python does, and never prints
//! its `Serving HTTP on ...` line: stdout is block-buffered when not a
//! terminal and the process only ever ends by a signal, so the line is lost
//! on a host too. Any other `python3` use is refused (`nginx` is `tools::nginx`).

use super::{Ctx, Outcome, ToolResult, Unsupported};
use crate::engine::apps::HttpServer;
use crate::engine::proc::Process;
use std::net::Ipv4Addr;

/// What the command line asks for: the port and the bind address, or the
/// usage error argparse prints.
type Parsed = Result<(u16, Option<Ipv4Addr>), String>;

/// Parses `python3 ARGS` (also the pre-run check).
///
/// # Errors
/// [`Unsupported`] for anything but `-m http.server` with a port and
/// `--bind`/`-b`.
pub fn parse(args: &[String]) -> Result<Parsed, Unsupported> {
    let (Some(m), Some(module)) = (args.first(), args.get(1)) else {
        return Err(Unsupported("python3: only 'python3 -m http.server [PORT] [--bind ADDR]' is modelled".into()));
    };
    if m != "-m" || module != "http.server" {
        return Err(Unsupported("python3: only 'python3 -m http.server [PORT] [--bind ADDR]' is modelled".into()));
    }
    let mut port = 8000u16;
    let mut bind: Option<Ipv4Addr> = None;
    let mut it = args[2..].iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--bind" | "-b" => {
                let v =
                    it.next().ok_or_else(|| Unsupported("python3 -m http.server: --bind needs an address".into()))?;
                bind = Some(v.parse().map_err(|_| {
                    Unsupported(format!("python3 -m http.server --bind {v}: only IPv4 addresses are modelled"))
                })?);
            }
            "--directory" | "-d" => {
                let v = it.next().cloned().unwrap_or_default();
                if v != "." {
                    return Err(Unsupported(
                        "python3 -m http.server --directory: only the current directory is modelled".into(),
                    ));
                }
            }
            s if s.starts_with('-') => {
                return Err(Unsupported(format!("python3 -m http.server {s} is not modelled; supported: PORT --bind")))
            }
            s => match s.parse::<u16>() {
                Ok(p) => port = p,
                Err(_) => {
                    return Ok(Err(format!("usage: server.py [-h] [--cgi] [-b ADDRESS] [-d DIRECTORY] [-p VERSION] [port]\nserver.py: error: argument port: invalid int value: '{s}'")));
                }
            },
        }
    }
    Ok(Ok((port, bind)))
}

/// Runs `python3 ARGS`.
///
/// # Errors
/// [`Unsupported`] as [`parse`], or when the address cannot be bound.
pub fn run(ctx: &mut Ctx<'_>, args: &[String]) -> ToolResult {
    let (port, bind) = match parse(args)? {
        Ok(v) => v,
        Err(usage) => return ctx.fail(&usage, 2),
    };
    let h = HttpServer {
        ns: ctx.ns,
        stdio: ctx.stdio.clone(),
        exit: None,
        listener: crate::engine::socket::SockId(u32::MAX),
        dual_stack: bind.is_none(),
        conns: Vec::new(),
        nginx: None,
    };
    let pid = ctx.eng.spawn(Process::HttpServer(Box::new(h)));
    let ip = bind.unwrap_or(Ipv4Addr::UNSPECIFIED);
    match ctx.eng.tcp_listen(ctx.ns, pid, ip, port) {
        Ok(l) => {
            if let Some(Process::HttpServer(h)) = ctx.eng.procs.get_mut(&pid) {
                h.listener = l;
            }
            Ok(Outcome::Spawned(pid))
        }
        Err(e) => {
            ctx.eng.procs.remove(&pid);
            Err(Unsupported(format!(
                "python3 -m http.server: bind failed ({}); Python's traceback is not modelled",
                e.strerror()
            )))
        }
    }
}
