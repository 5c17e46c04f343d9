//! netcat-openbsd (`nc`, Debian 1.219): option parsing and the usage
//! errors; the running process is [`crate::engine::apps::Nc`].
//!
//! Modelled: TCP client and server (`-l`, `-p` with `-l`, `-k`, `-p` as a
//! TCP client's source port), UDP client and server (`-u`), `-z`, `-v`,
//! `-n`, `-q`, `-w`, `-N`, `-4`. Refused: host names, port ranges, a UDP
//! client's source port, a source address, proxies, and every other option.

use super::{Ctx, Outcome, ToolResult, Unsupported};
use crate::engine::apps::{Nc, NcPhase, SEC};
use crate::engine::proc::Process;
use std::net::Ipv4Addr;

const USAGE: &str = "usage: nc [-46CDdFhklNnrStUuvZz] [-I length] [-i interval] [-M ttl]
\t  [-m minttl] [-O length] [-P proxy_username] [-p source_port]
\t  [-q seconds] [-s sourceaddr] [-T keyword] [-V rtable] [-W recvlimit]
\t  [-w timeout] [-X proxy_protocol] [-x proxy_address[:port]]
\t  [destination] [port]
";

/// Longest `-q`/`-w` netsim keeps (about 3 years; longer never ends a
/// scenario anyway, and virtual time must not overflow).
const MAX_SECS: u64 = 100_000_000;

/// Options that take an argument (OpenBSD's getopt string).
const WITH_ARG: &str = "IiMmOPpqsTVWwXx";

/// Runs `nc`.
///
/// # Errors
/// [`Unsupported`] for what netsim does not model (see the module doc).
pub fn run(ctx: &mut Ctx<'_>, args: &[String]) -> ToolResult {
    let mut flags = String::new();
    let mut opts: Vec<(char, String)> = Vec::new();
    let mut pos = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        i += 1;
        if a == "--" {
            pos.extend(args[i..].iter().cloned());
            break;
        }
        let Some(body) = a.strip_prefix('-').filter(|b| !b.is_empty()) else {
            pos.push(a.clone());
            continue;
        };
        let chars: Vec<char> = body.chars().collect();
        let mut j = 0;
        while j < chars.len() {
            let c = chars[j];
            j += 1;
            if WITH_ARG.contains(c) {
                let rest: String = chars[j..].iter().collect();
                let v = if !rest.is_empty() {
                    rest
                } else if i < args.len() {
                    i += 1;
                    args[i - 1].clone()
                } else {
                    ctx.err(&format!("nc: option requires an argument -- '{c}'\n{USAGE}"));
                    return Ok(Outcome::Exited(1));
                };
                opts.push((c, v));
                break;
            }
            if !"46CDdFhklNnrStUuvZz".contains(c) {
                ctx.err(&format!("nc: invalid option -- '{c}'\n{USAGE}"));
                return Ok(Outcome::Exited(1));
            }
            flags.push(c);
        }
    }
    let has = |c: char| flags.contains(c);
    if has('h') {
        return Err(Unsupported("nc -h (the help text) is not modelled".into()));
    }
    if let Some(bad) = flags.chars().find(|c| "CDdFrStUZ6".contains(*c)) {
        return Err(Unsupported(format!("nc -{bad} is not modelled; supported: -l -p -u -z -v -n -k -q -w -N -4")));
    }
    let mut quit_ns = None;
    let mut wait_ns = None;
    let mut lport = None;
    for (c, v) in &opts {
        match c {
            'q' => {
                let q: i64 = v.parse().map_err(|_| Unsupported(format!("nc -q {v}: not a number")))?;
                quit_ns = (q >= 0).then(|| (q as u64).min(MAX_SECS) * SEC);
            }
            'w' => {
                let w: u64 = v.parse().map_err(|_| Unsupported(format!("nc -w {v}: not a number")))?;
                wait_ns = Some(w.min(MAX_SECS) * SEC);
            }
            'p' => lport = Some(v.clone()),
            other => {
                return Err(Unsupported(format!(
                    "nc -{other} is not modelled; supported: -l -p -u -z -v -n -k -q -w -N -4"
                )))
            }
        }
    }
    let listen = has('l');
    let udp = has('u');
    let parse_port = |ctx: &mut Ctx<'_>, p: &str| -> Result<Option<u16>, Unsupported> {
        if p.contains('-') {
            return Err(Unsupported("nc: port ranges are not modelled".into()));
        }
        if p.bytes().all(|b| b.is_ascii_digit()) && !p.is_empty() {
            return match p.parse::<u16>() {
                Ok(n) if n > 0 => Ok(Some(n)),
                _ => Err(Unsupported(format!("nc: port {p} (0 or above 65535) is not modelled"))),
            };
        }
        match p.parse::<u16>() {
            Ok(n) if n > 0 => Ok(Some(n)),
            _ => {
                ctx.err(&format!("nc: port number invalid: {p}\n"));
                Ok(None)
            }
        }
    };
    let parse_host = |h: &str| -> Result<Ipv4Addr, Unsupported> {
        if h == "localhost" {
            return Ok(Ipv4Addr::LOCALHOST);
        }
        h.parse::<Ipv4Addr>().map_err(|_| {
            Unsupported(format!("nc: '{h}': host names are not modelled (no resolver); use an IPv4 address"))
        })
    };
    let (host, port) = if listen {
        let (h, p) = match (pos.len(), &lport) {
            (0, Some(p)) => (None, p.clone()),
            (1, None) => (None, pos[0].clone()),
            (1, Some(p)) => (Some(pos[0].clone()), p.clone()),
            (2, None) => (Some(pos[0].clone()), pos[1].clone()),
            (0, None) => {
                ctx.err("nc: missing port number\n");
                return Ok(Outcome::Exited(1));
            }
            _ => return Err(Unsupported("nc -l: too many arguments".into())),
        };
        let host = match h {
            Some(h) => parse_host(&h)?,
            None => Ipv4Addr::UNSPECIFIED,
        };
        let Some(port) = parse_port(ctx, &p)? else { return Ok(Outcome::Exited(1)) };
        (host, port)
    } else {
        if lport.is_some() && udp {
            return Err(Unsupported("nc -u -p (a UDP client's source port) is not modelled".into()));
        }
        match pos.len() {
            0 => {
                ctx.err(USAGE);
                return Ok(Outcome::Exited(1));
            }
            1 => {
                ctx.err("nc: missing port number\n");
                return Ok(Outcome::Exited(1));
            }
            2 => {}
            _ => return Err(Unsupported("nc: several ports are not modelled; give one".into())),
        }
        let host = parse_host(&pos[0])?;
        let Some(port) = parse_port(ctx, &pos[1])? else { return Ok(Outcome::Exited(1)) };
        (host, port)
    };
    // A client's `-p`: the source port it binds before connecting.
    let src_port = match (&lport, listen) {
        (Some(p), false) => match parse_port(ctx, p)? {
            Some(p) => Some(p),
            None => return Ok(Outcome::Exited(1)),
        },
        _ => None,
    };
    let n = Nc {
        ns: ctx.ns,
        stdio: ctx.stdio.clone(),
        exit: None,
        exiting: None,
        listen,
        host,
        port,
        src_port,
        udp,
        zero: has('z'),
        verbose: has('v'),
        numeric: has('n'),
        keep: has('k'),
        shutdown_eof: has('N'),
        quit_ns,
        wait_ns,
        stdin: ctx.stdin.clone().into_bytes(),
        phase: NcPhase::Connecting,
        sock: None,
        listener: None,
        quit_at: None,
        last_ns: ctx.eng.now,
        stdin_done: false,
        shutdown_at: None,
        probes: 0,
        probe_at: None,
    };
    let pid = ctx.eng.spawn(Process::Nc(Box::new(n)));
    Ok(Outcome::Spawned(pid))
}
