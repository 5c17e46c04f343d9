//! `nginx`: the binary as three real installs behave, with their default
//! configuration (the running server is [`crate::engine::apps::HttpServer`]
//! with an [`Nginx`] part).
//!
//! - [`Flavour::Debian`]: Debian 12's package (nginx 1.22.1), run on the host
//!   or under `ip netns exec`. `nginx` daemonises (prints nothing, exit 0)
//!   listening on 0.0.0.0:80 and [::]:80; the default site serves
//!   `/var/www/html/index.nginx-debian.html` for `/` and its own name, 404
//!   for anything else (405 for other methods on the page), `Server:
//!   nginx/1.22.1`. Its pid file `/run/nginx.pid` is shared by every network
//!   namespace (`ip netns exec` keeps the mount namespace), so `nginx -s
//!   stop|quit` from anywhere reaches the last nginx started. When port 80 is
//!   taken it tries five times, 500 ms apart, printing a `bind()` line per
//!   failing address per try, then `still could not bind()`, exit 1 (all
//!   checked on the kernel).
//! - [`Flavour::Alpine`]: Alpine's package (`apk add nginx` in a container):
//!   `server_tokens off` and a default site where every path is a 404, so a
//!   client sees `<hr><center>nginx</center>` (seed 000 §4 shows exactly
//!   this page).
//! - [`Flavour::Image`]: the `nginx:alpine` / `nginx` Docker image's server
//!   (started by `docker run`): upstream's "Welcome to nginx!" page at `/`
//!   and `/index.html`, `/50x.html`, 404 otherwise, `Server: nginx/1.27.4`.
//!
//! Options: none (start), `-s stop|quit|reload|reopen`, `-t`, `-T` refused,
//! `-v`, `-g 'daemon off;'` (foreground: the process lives until killed),
//! unknown letters get nginx's `invalid option` text. Not modelled: `-c`,
//! `-p`, other `-g` directives, configuration files the script writes,
//! access/error logs, IPv6 clients, lingering close, keep-alive timeouts.
//!
//! DIVERGENCE: the Alpine package's and the image's versions (1.26.3,
//! 1.27.4) and the image's page were taken from their sources, not run
//! here; netsim has no IPv6 sockets, so `[::]:80` only matters for the
//! `bind()` conflict lines.

use super::{Ctx, Outcome, ToolResult, Unsupported};
use crate::engine::apps::{HttpServer, SEC};
use crate::engine::proc::{Pid, Process};
use crate::engine::Engine;
use crate::model::NsId;
use std::net::Ipv4Addr;

/// Which install's nginx this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavour {
    /// Debian 12's package on the host.
    Debian,
    /// Alpine's package (`apk add nginx`).
    Alpine,
    /// The official Docker image (`nginx`, `nginx:alpine`).
    Image,
}

impl Flavour {
    /// `nginx -v`'s version.
    pub fn version(self) -> &'static str {
        match self {
            Flavour::Debian => "1.22.1",
            Flavour::Alpine => "1.26.3",
            Flavour::Image => "1.27.4",
        }
    }

    /// What the `Server:` header and error pages say.
    pub fn token(self) -> String {
        match self {
            Flavour::Alpine => "nginx".into(),
            f => format!("nginx/{}", f.version()),
        }
    }

    fn pid_path(self) -> &'static str {
        match self {
            Flavour::Debian => "/run/nginx.pid",
            Flavour::Alpine => "/run/nginx/nginx.pid",
            Flavour::Image => "/var/run/nginx.pid",
        }
    }

    fn conf(self) -> &'static str {
        "/etc/nginx/nginx.conf"
    }
}

/// The nginx part of a running [`HttpServer`].
#[derive(Debug, Clone)]
pub struct Nginx {
    /// The install.
    pub flavour: Flavour,
    /// Whose filesystem its pid file lives in: `host`, or a container id.
    pub fs: String,
    /// Whether the pid file names this master (a later nginx in the same
    /// filesystem overwrites it).
    pub pidfile: bool,
}

/// Debian's `/var/www/html/index.nginx-debian.html` and upstream's
/// `index.html` (the same 615 bytes).
pub const WELCOME: &str = "<!DOCTYPE html>\n<html>\n<head>\n<title>Welcome to nginx!</title>\n<style>\nhtml { color-scheme: light dark; }\nbody { width: 35em; margin: 0 auto;\nfont-family: Tahoma, Verdana, Arial, sans-serif; }\n</style>\n</head>\n<body>\n<h1>Welcome to nginx!</h1>\n<p>If you see this page, the nginx web server is successfully installed and\nworking. Further configuration is required.</p>\n\n<p>For online documentation and support please refer to\n<a href=\"http://nginx.org/\">nginx.org</a>.<br/>\nCommercial support is available at\n<a href=\"http://nginx.com/\">nginx.com</a>.</p>\n\n<p><em>Thank you for using nginx.</em></p>\n</body>\n</html>\n";

/// Upstream's `50x.html`.
const FIFTY_X: &str = "<!DOCTYPE html>\n<html>\n<head>\n<title>Error</title>\n<style>\nhtml { color-scheme: light dark; }\nbody { width: 35em; margin: 0 auto;\nfont-family: Tahoma, Verdana, Arial, sans-serif; }\n</style>\n</head>\n<body>\n<h1>An error occurred.</h1>\n<p>Sorry, the page you are looking for is currently unavailable.<br/>\nPlease try again later.</p>\n<p>If you are the system administrator of this resource then you should check\nthe error log for details.</p>\n<p><em>Faithfully yours, nginx.</em></p>\n</body>\n</html>\n";

/// nginx's built-in error page (`ngx_http_error_tail` with or without the
/// version), CRLF line ends.
pub fn error_page(code: u16, token: &str) -> String {
    let title = format!("{code} {}", reason(code));
    format!("<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n<hr><center>{token}</center>\r\n</body>\r\n</html>\r\n")
}

fn reason(code: u16) -> &'static str {
    match code {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Not Allowed",
        _ => "Internal Server Error",
    }
}

/// Resolves `.` and `..` in a request path as nginx's parser does (a `..`
/// above the root is a bad request).
fn normalise(path: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for p in path.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(s),
        }
    }
    let mut s = format!("/{}", parts.join("/"));
    if path.ends_with('/') && s != "/" {
        s.push('/');
    }
    Some(s)
}

/// The response bytes to one request and whether nginx closes the
/// connection after it. `date`: the `Date:` header value; `mtime`: the
/// page's modification time (Unix seconds) and `mdate` its header form.
pub fn respond(flavour: Flavour, req: &[u8], date: &str, mtime: u64, mdate: &str) -> (Vec<u8>, bool) {
    let text = String::from_utf8_lossy(req);
    let line = text.split('\n').next().unwrap_or("").trim_end_matches('\r');
    let parts: Vec<&str> = line.split(' ').collect();
    let token = flavour.token();
    let headers: Vec<String> =
        text.split('\n').skip(1).map(|l| l.trim_end_matches('\r').to_ascii_lowercase()).collect();
    let conn_hdr = headers.iter().find_map(|h| h.strip_prefix("connection:").map(|v| v.trim().to_string()));
    let valid = parts.len() == 3
        && parts[2].starts_with("HTTP/1.")
        && parts[1].starts_with('/')
        && !parts[0].is_empty()
        && parts[0].bytes().all(|b| b.is_ascii_uppercase() || b == b'_' || b == b'-');
    let path = if valid { normalise(parts[1].split(['?', '#']).next().unwrap_or("/")) } else { None };
    let Some(path) = path else {
        let body = error_page(400, &token);
        let hdr = format!(
            "HTTP/1.1 400 Bad Request\r\nServer: {token}\r\nDate: {date}\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        return ([hdr.into_bytes(), body.into_bytes()].concat(), true);
    };
    let method = parts[0];
    let keepalive = if parts[2] == "HTTP/1.0" {
        conn_hdr.as_deref() == Some("keep-alive")
    } else {
        conn_hdr.as_deref() != Some("close")
    };
    let page = match (flavour, path.as_str()) {
        (Flavour::Debian, "/" | "/index.nginx-debian.html") => Some(WELCOME),
        (Flavour::Image, "/" | "/index.html") => Some(WELCOME),
        (Flavour::Image, "/50x.html") => Some(FIFTY_X),
        _ => None,
    };
    let connection = if keepalive { "keep-alive" } else { "close" };
    let head = method == "HEAD";
    let (status, body, extra) = match page {
        Some(p) if method == "GET" || head => {
            let extra = format!("Last-Modified: {mdate}\r\nConnection: {connection}\r\nETag: \"{mtime:x}-{:x}\"\r\nAccept-Ranges: bytes\r\n", p.len());
            (200, p.to_string(), extra)
        }
        Some(_) => (405, error_page(405, &token), format!("Connection: {connection}\r\n")),
        None => (404, error_page(404, &token), format!("Connection: {connection}\r\n")),
    };
    let hdr = format!(
        "HTTP/1.1 {status} {}\r\nServer: {token}\r\nDate: {date}\r\nContent-Type: text/html\r\nContent-Length: {}\r\n{extra}\r\n",
        reason(status),
        body.len()
    );
    let mut out = hdr.into_bytes();
    if !head {
        out.extend_from_slice(body.as_bytes());
    }
    (out, !keepalive)
}

/// nginx's log time stamp, `2025/01/01 00:00:01`.
fn log_stamp(secs: u64) -> String {
    let (y, month, d, hh, mm, ss, _) = crate::engine::apps::civil(secs);
    format!("{y:04}/{month:02}/{d:02} {hh:02}:{mm:02}:{ss:02}")
}

/// The running masters of a filesystem (`host` or a container id).
fn masters(eng: &Engine, fs: &str) -> Vec<Pid> {
    eng.procs
        .iter()
        .filter_map(|(pid, p)| match p {
            Process::HttpServer(h) if h.exit.is_none() && h.nginx.as_ref().is_some_and(|n| n.fs == fs) => Some(*pid),
            _ => None,
        })
        .collect()
}

/// The master the pid file names.
fn pidfile_master(eng: &Engine, fs: &str) -> Option<Pid> {
    masters(eng, fs).into_iter().find(
        |pid| matches!(eng.procs.get(pid), Some(Process::HttpServer(h)) if h.nginx.as_ref().is_some_and(|n| n.pidfile)),
    )
}

/// Ends every nginx (and http.server) whose namespace is `ns` (the
/// container that held it is being removed).
pub fn kill_in_ns(eng: &mut Engine, ns: NsId) {
    let pids: Vec<Pid> = eng
        .procs
        .iter()
        .filter_map(|(pid, p)| match p {
            Process::HttpServer(h) if h.exit.is_none() && h.ns == ns => Some(*pid),
            _ => None,
        })
        .collect();
    for pid in pids {
        eng.app_signal(pid, "KILL");
    }
}

/// Runs `nginx ARGS` as `flavour`, its pid file in filesystem `fs`.
///
/// # Errors
/// [`Unsupported`] for options netsim does not model.
pub fn run(ctx: &mut Ctx<'_>, args: &[String], flavour: Flavour, fs: &str) -> ToolResult {
    let mut signal: Option<String> = None;
    let mut foreground = false;
    let mut test = false;
    let mut version = false;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let Some(flags) = a.strip_prefix('-') else {
            return ctx.fail(&format!("nginx: invalid option: \"{a}\""), 1);
        };
        let mut chars = flags.chars();
        while let Some(c) = chars.next() {
            match c {
                't' => test = true,
                'v' => version = true,
                'q' => {}
                's' | 'g' | 'c' | 'p' | 'e' => {
                    let rest: String = chars.by_ref().collect();
                    let v = if rest.is_empty() { it.next().cloned() } else { Some(rest) };
                    let Some(v) = v else {
                        return ctx.fail(&format!("nginx: option \"-{c}\" requires {}", opt_arg(c)), 1);
                    };
                    match c {
                        's' => {
                            if !matches!(v.as_str(), "stop" | "quit" | "reopen" | "reload") {
                                return ctx.fail(&format!("nginx: invalid option: \"-s {v}\""), 1);
                            }
                            signal = Some(v);
                        }
                        'g' if v.trim() == "daemon off;" => foreground = true,
                        _ => {
                            return Err(Unsupported(format!(
                                "nginx -{c} {v}: not modelled (netsim runs the package's default configuration; -g 'daemon off;' only)"
                            )))
                        }
                    }
                }
                'T' | 'V' | 'h' | '?' => {
                    return Err(Unsupported(format!(
                        "nginx -{c}: not modelled; supported: -s, -t, -v, -g 'daemon off;'"
                    )))
                }
                other => return ctx.fail(&format!("nginx: invalid option: \"{other}\""), 1),
            }
        }
    }
    if version {
        ctx.err(&format!("nginx version: nginx/{}\n", flavour.version()));
        if !test && signal.is_none() {
            return Ok(Outcome::Exited(0));
        }
    }
    if test {
        let conf = flavour.conf();
        ctx.err(&format!(
            "nginx: the configuration file {conf} syntax is ok\nnginx: configuration file {conf} test is successful\n"
        ));
        return Ok(Outcome::Exited(0));
    }
    if let Some(sig) = signal {
        return send_signal(ctx, &sig, flavour, fs);
    }
    start(ctx, flavour, fs, foreground)
}

fn opt_arg(c: char) -> &'static str {
    match c {
        's' | 'g' => "parameter",
        'p' => "directory name",
        _ => "file name",
    }
}

/// `nginx -s SIGNAL`: a new process reads the pid file and signals the
/// master; it logs its own start to stderr.
fn send_signal(ctx: &mut Ctx<'_>, sig: &str, flavour: Flavour, fs: &str) -> ToolResult {
    let stamp = log_stamp(ctx.eng.wall_clock_secs());
    let me = ctx.eng.alloc_pid().0;
    ctx.err(&format!("{stamp} [notice] {me}#{me}: signal process started\n"));
    let Some(master) = pidfile_master(ctx.eng, fs) else {
        return ctx.fail(
            &format!(
                "{stamp} [error] {me}#{me}: open() \"{}\" failed (2: No such file or directory)",
                flavour.pid_path()
            ),
            1,
        );
    };
    if matches!(sig, "stop" | "quit") {
        // The master closes its listeners and connections and removes the
        // pid file.
        ctx.eng.app_signal(master, "TERM");
    }
    Ok(Outcome::Exited(0))
}

/// Starts a master: binds 0.0.0.0:80 (and, in the conflict check,
/// [::]:80), daemonises unless `foreground`.
fn start(ctx: &mut Ctx<'_>, flavour: Flavour, fs: &str, foreground: bool) -> ToolResult {
    let ns = ctx.ns;
    // [::]:80 (IPV6_V6ONLY) is taken by another nginx in this namespace
    // or a dual-stack http.server; netsim's sockets are IPv4 only.
    let v6_taken = ctx.eng.procs.values().any(|p| match p {
        Process::HttpServer(h) => {
            h.exit.is_none()
                && h.ns == ns
                && (h.nginx.is_some() || h.dual_stack)
                && ctx.eng.sock(h.listener).is_some_and(|s| s.local_port == 80)
        }
        _ => false,
    });
    let h = HttpServer {
        ns,
        stdio: ctx.stdio.clone(),
        exit: None,
        listener: crate::engine::socket::SockId(u32::MAX),
        dual_stack: false,
        conns: Vec::new(),
        nginx: Some(Nginx { flavour, fs: fs.to_string(), pidfile: true }),
    };
    let pid = ctx.eng.spawn(Process::HttpServer(Box::new(h)));
    match ctx.eng.tcp_listen(ns, pid, Ipv4Addr::UNSPECIFIED, 80) {
        Ok(l) if !v6_taken => {
            for other in masters(ctx.eng, fs) {
                if let Some(Process::HttpServer(h)) = ctx.eng.procs.get_mut(&other) {
                    if let Some(n) = h.nginx.as_mut() {
                        n.pidfile = other == pid;
                    }
                }
            }
            if let Some(Process::HttpServer(h)) = ctx.eng.procs.get_mut(&pid) {
                h.listener = l;
            }
            if foreground {
                Ok(Outcome::Spawned(pid))
            } else {
                Ok(Outcome::Exited(0))
            }
        }
        r => {
            let v4_taken = r.is_err();
            if let Ok(l) = r {
                ctx.eng.sock_close(l);
            }
            ctx.eng.procs.remove(&pid);
            let mut lines = String::new();
            if v4_taken {
                lines.push_str("nginx: [emerg] bind() to 0.0.0.0:80 failed (98: Address already in use)\n");
            }
            if v6_taken {
                lines.push_str("nginx: [emerg] bind() to [::]:80 failed (98: Address already in use)\n");
            }
            // Five tries 500 ms apart (ngx_open_listening_sockets).
            for _ in 0..5 {
                ctx.err(&lines);
                let until = ctx.eng.now + SEC / 2;
                ctx.eng.run_until(until);
            }
            ctx.fail("nginx: [emerg] still could not bind()", 1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_sizes() {
        assert_eq!(WELCOME.len(), 615);
        assert_eq!(error_page(404, "nginx/1.22.1").len(), 153);
        assert_eq!(error_page(400, "nginx/1.22.1").len(), 157);
    }

    #[test]
    fn alpine_is_404_everywhere() {
        let (r, close) = respond(Flavour::Alpine, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", "D", 0, "M");
        let r = String::from_utf8(r).unwrap_or_default();
        assert!(!close);
        assert!(r.starts_with("HTTP/1.1 404 Not Found\r\nServer: nginx\r\n"), "{r}");
        assert!(r.ends_with("<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"), "{r}");
    }

    #[test]
    fn paths() {
        assert_eq!(normalise("/a/b/../.."), Some("/".into()));
        assert_eq!(normalise("/.."), None);
        let (r, close) = respond(Flavour::Debian, b"GET /x HTTP/1.0\r\n\r\n", "D", 0, "M");
        assert!(close);
        assert!(String::from_utf8_lossy(&r).contains("Connection: close\r\n"));
    }
}
