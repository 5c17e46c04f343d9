//! `curl` (7.88.1) for `http://` URLs: option parsing, the request it
//! sends, its error texts and exit codes; the running process is
//! [`crate::engine::apps::Curl`].
//!
//! Modelled: `-s`, `-S`, `-o FILE`, `-w FORMAT` (`%{http_code}`,
//! `%{response_code}`, `%{size_download}`, `%{remote_ip}`,
//! `%{remote_port}`), `-m`/`--max-time`, `--connect-timeout`, `-I`/`--head`,
//! `-i`/`--include`, `-f`/`--fail`. Refused: running without `-s` (the
//! progress meter depends on wall-clock speed), `-v` (it prints dates and
//! timings), host names, https, and any other option.

use super::{Ctx, Outcome, ToolResult, Unsupported};
use crate::engine::apps::{Curl, SEC};
use crate::engine::proc::Process;
use crate::engine::Sink;
use std::net::Ipv4Addr;

fn seconds(v: &str) -> Result<u64, Unsupported> {
    // Capped at about 3 years so virtual time cannot overflow.
    super::misc::parse_duration(v)
        .map(|d| d.min(100_000_000 * SEC))
        .ok_or_else(|| Unsupported(format!("curl: bad time value '{v}'")))
}

/// Runs `curl`.
///
/// # Errors
/// [`Unsupported`] for what netsim does not model (see the module doc).
pub fn run(ctx: &mut Ctx<'_>, args: &[String]) -> ToolResult {
    let (mut silent, mut show_err, mut head, mut include, mut fail) = (false, false, false, false, false);
    let mut out: Option<String> = None;
    let mut write_out = None;
    let mut max_ns = None;
    let mut connect_ns = 300 * SEC;
    let mut url = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut need = |name: &str| -> Result<String, Unsupported> {
            it.next().cloned().ok_or_else(|| Unsupported(format!("curl: option {name} needs a value")))
        };
        match a.as_str() {
            "--silent" => silent = true,
            "--show-error" => show_err = true,
            "--head" => head = true,
            "--include" => include = true,
            "--fail" => fail = true,
            "--output" => out = Some(need(a)?),
            "--write-out" => write_out = Some(need(a)?),
            "--max-time" => max_ns = Some(seconds(&need(a)?)?),
            "--connect-timeout" => connect_ns = seconds(&need(a)?)?,
            s if s.starts_with("--") => {
                return Err(Unsupported(format!(
                    "curl option '{s}' is not modelled; supported: -s -S -o -w -m --max-time --connect-timeout -I -i -f"
                )))
            }
            s if s.starts_with('-') && s.len() > 1 => {
                let chars: Vec<char> = s[1..].chars().collect();
                for (k, c) in chars.iter().enumerate() {
                    let rest: String = chars[k + 1..].iter().collect();
                    let mut val = |name: &str| -> Result<String, Unsupported> {
                        if rest.is_empty() {
                            need(name)
                        } else {
                            Ok(rest.clone())
                        }
                    };
                    match c {
                        's' => silent = true,
                        'S' => show_err = true,
                        'I' => head = true,
                        'i' => include = true,
                        'f' => fail = true,
                        'o' => {
                            out = Some(val("-o")?);
                            break;
                        }
                        'w' => {
                            write_out = Some(val("-w")?);
                            break;
                        }
                        'm' => {
                            max_ns = Some(seconds(&val("-m")?)?);
                            break;
                        }
                        other => {
                            return Err(Unsupported(format!(
                                "curl -{other} is not modelled; supported: -s -S -o -w -m --max-time --connect-timeout -I -i -f"
                            )))
                        }
                    }
                }
            }
            _ => {
                if url.is_some() {
                    return Err(Unsupported("curl: several URLs are not modelled; give one".into()));
                }
                url = Some(a.clone());
            }
        }
    }
    let Some(url) = url else {
        return ctx.fail("curl: try 'curl --help' or 'curl --manual' for more information", 2);
    };
    if !silent {
        return Err(Unsupported(
            "curl without -s is not modelled (its progress meter depends on wall-clock speed); use -s or -sS".into(),
        ));
    }
    let show_error = show_err;
    let rest = match url.split_once("://") {
        Some(("http", r)) => r.to_string(),
        Some((scheme, _)) => {
            if scheme == "https" {
                return Err(Unsupported("curl: https is not modelled".into()));
            }
            if show_error {
                ctx.err(&format!("curl: (1) Protocol \"{scheme}\" not supported or disabled in libcurl\n"));
            }
            return Ok(Outcome::Exited(1));
        }
        None => url.clone(),
    };
    let (hostport, path) = match rest.find('/') {
        Some(i) => (rest[..i].to_string(), rest[i..].to_string()),
        None => (rest.clone(), "/".to_string()),
    };
    let (host, port) = match hostport.rsplit_once(':') {
        Some((h, p)) => {
            let Ok(p) = p.parse::<u16>() else {
                if show_error {
                    ctx.err("curl: (3) URL using bad/illegal format or missing URL\n");
                }
                return Ok(Outcome::Exited(3));
            };
            (h.to_string(), p)
        }
        None => (hostport.clone(), 80),
    };
    let addr = if host == "localhost" {
        Ipv4Addr::LOCALHOST
    } else {
        host.parse::<Ipv4Addr>().map_err(|_| {
            Unsupported(format!("curl: '{host}': host names are not modelled (no resolver); use an IPv4 address"))
        })?
    };
    let method = if head { "HEAD" } else { "GET" };
    let host_hdr = if port == 80 { host.clone() } else { format!("{host}:{port}") };
    let request =
        format!("{method} {path} HTTP/1.1\r\nHost: {host_hdr}\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n");
    let body_out = match out.as_deref() {
        None => ctx.stdio.out.clone(),
        Some("/dev/null") => Sink::Null,
        Some("-") => ctx.stdio.out.clone(),
        Some(f) if f.starts_with('/') || f.contains("..") => {
            return Err(Unsupported(format!(
                "curl -o {f}: only /dev/null or a file in the current directory is modelled"
            )))
        }
        Some(f) => {
            ctx.eng.files.insert(f.to_string(), Vec::new());
            Sink::File(f.to_string())
        }
    };
    if let Some(w) = &write_out {
        let mut probe = w.clone();
        for v in ["http_code", "response_code", "size_download", "remote_ip", "remote_port"] {
            probe = probe.replace(&format!("%{{{v}}}"), "");
        }
        if probe.contains("%{") {
            return Err(Unsupported(format!("curl -w '{w}': only %{{http_code}}, %{{response_code}}, %{{size_download}}, %{{remote_ip}}, %{{remote_port}} are modelled")));
        }
    }
    let c = Curl {
        ns: ctx.ns,
        stdio: ctx.stdio.clone(),
        exit: None,
        exiting: None,
        host,
        addr,
        port,
        request: request.into_bytes(),
        head,
        include,
        fail,
        show_error,
        body_out,
        write_out: write_out.map(|w| w.replace("\\n", "\n").replace("\\t", "\t")),
        max_ns,
        connect_ns,
        start: ctx.eng.now,
        sock: None,
        sent: false,
        resp: Vec::new(),
        done_at: None,
    };
    let pid = ctx.eng.spawn(Process::Curl(Box::new(c)));
    Ok(Outcome::Spawned(pid))
}
