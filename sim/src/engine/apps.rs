//! The network applications a script runs, as processes in virtual time on
//! top of [`super::socket`]: netcat-openbsd (`nc`), `curl` and Python's
//! `http.server`. Each is a state machine woken by its socket (data,
//! connection, error, EOF) and by its own timers (`-q`, `-w`, `-m`).
//!
//! A process reacts [`APP_WAKE_NS`] after its socket changes, so the
//! kernel's own answers (the ACK of received data) go out first, as on a
//! host. Argument parsing lives in [`crate::tools::nc`],
//! [`crate::tools::curl`] and [`crate::tools::httpd`]; what is printed is
//! copied from the real programs (netcat-openbsd 1.219, curl 7.88.1,
//! Python 3.11.2). Not here: name resolution (addresses only), IPv6, TLS.

use super::proc::{Pid, Process};
use super::socket::{SockErr, SockId, TcpState};
use super::{Engine, Event, Sink, Stdio};
use crate::model::{NsId, NS_PER_SEC};
use std::net::Ipv4Addr;

/// How long a process takes to react to its socket (20 µs).
pub const APP_WAKE_NS: u64 = 20_000;
/// Time from starting a process to its first system call on the network
/// (fork and exec, 1 ms).
pub const PROC_START_NS: u64 = 1_000_000;
/// Time from a process deciding to exit to its parent seeing it gone
/// (exit, reaping, the shell's next command: 1 ms). Packets in flight
/// meanwhile are handled first, as on a host.
pub const PROC_EXIT_NS: u64 = 1_000_000;
/// Python's time from reading a request to its first write (200 µs:
/// parsing, the log line, building the headers); kernel captures show a
/// client's FIN sent right after its request arriving first.
const PY_HANDLE_NS: u64 = 200_000;
/// Python's time between two writes of one response, and before its
/// `shutdown()` (10 µs).
const PY_STEP_NS: u64 = 10_000;
/// Python's time from a file's last write to `shutdown()`: `copyfile`'s
/// final read, the file's close and the handler's return (300 µs). Whether
/// this or curl's close comes first is a race on the kernel; curl closed
/// first in three of four runs measured, so the simulation picks that.
const PY_FILE_DONE_NS: u64 = 300_000;
/// curl's time from the last byte of a response to `close()` (100 µs).
const CURL_CLOSE_NS: u64 = 100_000;

/// nginx: from a complete request to its response (one write: headers and
/// a small body go out together with `tcp_nopush`).
const NGINX_HANDLE_NS: u64 = 50_000;

/// What nc is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NcPhase {
    /// Waiting for the handshake.
    Connecting,
    /// Waiting for a connection (`-l`).
    Listening,
    /// Moving data.
    Open,
}

/// netcat-openbsd.
#[derive(Debug)]
pub struct Nc {
    /// Namespace.
    pub ns: NsId,
    /// Output.
    pub stdio: Stdio,
    /// Exit status once exited.
    pub exit: Option<i32>,
    /// Decided exit status and when the process is gone
    /// ([`PROC_EXIT_NS`] later).
    pub exiting: Option<(i32, u64)>,
    /// `-l`.
    pub listen: bool,
    /// Peer (client) or local (server) address as given.
    pub host: Ipv4Addr,
    /// Port.
    pub port: u16,
    /// `-p` of a client: the source port to bind.
    pub src_port: Option<u16>,
    /// `-u`.
    pub udp: bool,
    /// `-z`.
    pub zero: bool,
    /// `-v`.
    pub verbose: bool,
    /// `-n`.
    pub numeric: bool,
    /// `-k`.
    pub keep: bool,
    /// `-N`.
    pub shutdown_eof: bool,
    /// `-q`: seconds after EOF on stdin (None: forever).
    pub quit_ns: Option<u64>,
    /// `-w`: connect and idle timeout.
    pub wait_ns: Option<u64>,
    /// Standard input.
    pub stdin: Vec<u8>,
    /// State.
    pub phase: NcPhase,
    /// The connected (or UDP) socket.
    pub sock: Option<SockId>,
    /// The listening socket.
    pub listener: Option<SockId>,
    /// When `-q` ends the run.
    pub quit_at: Option<u64>,
    /// Start of the connect, or the last activity (for `-w`).
    pub last_ns: u64,
    /// Stdin already sent.
    pub stdin_done: bool,
    /// When `-N` shuts the connection down for writing.
    pub shutdown_at: Option<u64>,
    /// UDP probe writes done (`-u` with `-v`/`-z`).
    pub probes: u32,
    /// When the next UDP probe is due.
    pub probe_at: Option<u64>,
}

/// curl.
#[derive(Debug)]
pub struct Curl {
    /// Namespace.
    pub ns: NsId,
    /// Output.
    pub stdio: Stdio,
    /// Exit status once exited.
    pub exit: Option<i32>,
    /// Decided exit status and when the process is gone
    /// ([`PROC_EXIT_NS`] later).
    pub exiting: Option<(i32, u64)>,
    /// Host as written in the URL.
    pub host: String,
    /// Its address.
    pub addr: Ipv4Addr,
    /// Port.
    pub port: u16,
    /// The request bytes.
    pub request: Vec<u8>,
    /// `-I`.
    pub head: bool,
    /// `-i`.
    pub include: bool,
    /// `-f`.
    pub fail: bool,
    /// Print errors (`-S`, or without `-s`).
    pub show_error: bool,
    /// Where the body goes (`-o`).
    pub body_out: Sink,
    /// `-w` format, `\n` already interpreted.
    pub write_out: Option<String>,
    /// `-m`.
    pub max_ns: Option<u64>,
    /// `--connect-timeout` (curl's default is 300 s).
    pub connect_ns: u64,
    /// Start time.
    pub start: u64,
    /// The socket.
    pub sock: Option<SockId>,
    /// Handshake done, request sent.
    pub sent: bool,
    /// Response bytes so far.
    pub resp: Vec<u8>,
    /// When the response was complete (close scheduled).
    pub done_at: Option<u64>,
}

/// One connection of the HTTP server.
#[derive(Debug)]
pub struct HttpConn {
    /// Socket.
    pub sock: SockId,
    /// Request bytes.
    pub req: Vec<u8>,
    /// What to send next: the pending writes, each a step apart; an empty
    /// write is the shutdown.
    pub out: Vec<Vec<u8>>,
    /// Closed.
    pub closed: bool,
    /// When the next write may go.
    pub next_at: u64,
    /// The response is a file's content (not an error page).
    pub file: bool,
}

/// `python3 -m http.server`.
#[derive(Debug)]
pub struct HttpServer {
    /// Namespace.
    pub ns: NsId,
    /// Output (the log goes to stderr).
    pub stdio: Stdio,
    /// Exit status once exited.
    pub exit: Option<i32>,
    /// Listening socket.
    pub listener: SockId,
    /// Bound to the IPv6 wildcard (no `--bind`): clients log as
    /// `::ffff:a.b.c.d`.
    pub dual_stack: bool,
    /// Connections.
    pub conns: Vec<HttpConn>,
    /// Set for nginx (`tools::nginx`): which install it is, its pid file;
    /// `None` for Python's http.server.
    pub nginx: Option<crate::tools::nginx::Nginx>,
}

/// The service name `getservbyport` finds in /etc/services for a port.
pub fn service_name(port: u16, udp: bool) -> Option<&'static str> {
    Some(match (port, udp) {
        (7, _) => "echo",
        (21, false) => "ftp",
        (22, false) => "ssh",
        (23, false) => "telnet",
        (25, false) => "smtp",
        (53, _) => "domain",
        (67, true) => "bootps",
        (68, true) => "bootpc",
        (69, true) => "tftp",
        (80, false) => "http",
        (110, false) => "pop3",
        (123, true) => "ntp",
        (143, false) => "imap2",
        (161, true) => "snmp",
        (443, _) => "https",
        (514, true) => "syslog",
        (3306, false) => "mysql",
        (5432, false) => "postgresql",
        (6379, false) => "redis",
        (8080, false) => "http-alt",
        _ => return None,
    })
}

impl Engine {
    /// Wakes an application process (from [`Engine::wake`]).
    pub(super) fn app_wake(&mut self, pid: Pid) {
        let Some(p) = self.procs.remove(&pid) else { return };
        let p = match p {
            Process::Nc(mut n) => {
                if n.exit.is_none() && !self.app_exiting(pid, &mut n.exiting, &mut n.exit) {
                    self.nc_step(pid, &mut n);
                    self.app_exiting(pid, &mut n.exiting, &mut n.exit);
                }
                Process::Nc(n)
            }
            Process::Curl(mut c) => {
                if c.exit.is_none() && !self.app_exiting(pid, &mut c.exiting, &mut c.exit) {
                    self.curl_step(pid, &mut c);
                    self.app_exiting(pid, &mut c.exiting, &mut c.exit);
                }
                Process::Curl(c)
            }
            Process::HttpServer(mut h) => {
                if h.exit.is_none() {
                    self.httpd_step(pid, &mut h);
                }
                Process::HttpServer(h)
            }
            other => other,
        };
        self.procs.insert(pid, p);
    }

    /// A signal to an application. Background jobs of a non-interactive
    /// bash ignore SIGINT (and none of these installs a handler); TERM and
    /// KILL end the process and the kernel closes its sockets.
    pub fn app_signal(&mut self, pid: Pid, sig: &str) {
        if sig == "INT" {
            return;
        }
        let code = if sig == "KILL" { 137 } else { 143 };
        let socks: Vec<SockId> = match self.procs.get_mut(&pid) {
            // Already exiting by itself: the signal finds it gone.
            Some(Process::Nc(n)) if n.exit.is_none() => {
                n.exit = Some(n.exiting.map_or(code, |e| e.0));
                n.sock.into_iter().chain(n.listener).collect()
            }
            Some(Process::Curl(c)) if c.exit.is_none() => {
                c.exit = Some(c.exiting.map_or(code, |e| e.0));
                c.sock.into_iter().collect()
            }
            Some(Process::HttpServer(h)) if h.exit.is_none() => {
                h.exit = Some(code);
                std::iter::once(h.listener).chain(h.conns.iter().filter(|c| !c.closed).map(|c| c.sock)).collect()
            }
            _ => return,
        };
        for s in socks {
            self.sock_close(s);
        }
    }

    /// The end of a run: leftovers are frozen, as verify's sandbox stops
    /// them with SIGSTOP before the captures end (nothing more is sent).
    pub fn app_freeze(&mut self, pid: Pid) {
        match self.procs.get_mut(&pid) {
            Some(Process::Nc(n)) if n.exit.is_none() => n.exit = Some(143),
            Some(Process::Curl(c)) if c.exit.is_none() => c.exit = Some(143),
            Some(Process::HttpServer(h)) if h.exit.is_none() => h.exit = Some(143),
            _ => {}
        }
    }

    /// A process that decided to exit is gone [`PROC_EXIT_NS`] later (its
    /// sockets are already closed): returns whether it is on its way out.
    fn app_exiting(&mut self, pid: Pid, exiting: &mut Option<(i32, u64)>, exit: &mut Option<i32>) -> bool {
        match exiting {
            None => false,
            Some((_, at)) if *at == 0 => {
                *at = self.now + PROC_EXIT_NS;
                let when = *at;
                self.wake_at(pid, when);
                true
            }
            Some((code, at)) => {
                if self.now >= *at {
                    *exit = Some(*code);
                }
                true
            }
        }
    }

    fn wake_at(&mut self, pid: Pid, at: u64) {
        self.schedule(at, Event::Wake { pid });
    }

    // ------------------------------------------------------------- nc

    /// Starts nc (called once after spawning).
    pub fn nc_start(&mut self, pid: Pid) {
        self.app_wake(pid);
    }

    fn nc_step(&mut self, pid: Pid, n: &mut Nc) {
        let now = self.now;
        if n.sock.is_none() && n.listener.is_none() {
            return self.nc_open(pid, n);
        }
        match n.phase {
            NcPhase::Connecting if n.udp => self.nc_udp_probe(pid, n),
            NcPhase::Connecting => {
                let Some(id) = n.sock else { return };
                let (connected, err) = match self.sock(id) {
                    Some(s) => (s.connected(), s.error),
                    None => (false, Some(SockErr::ConnReset)),
                };
                if let Some(e) = err {
                    self.sock_close(id);
                    n.sock = None;
                    // Debian's nc reports a failed connect only with -v,
                    // refused ones included (kernel 6.18: `nc -z H 9` and
                    // `nc H 9` print nothing and exit 1).
                    if n.verbose {
                        let msg = format!("nc: connect to {} port {} (tcp) failed: {}\n", n.host, n.port, e.strerror());
                        self.write(&n.stdio.err, &msg);
                    }
                    n.exiting = Some((1, 0));
                    return;
                }
                if connected {
                    if n.verbose {
                        let svc = self.nc_svc(n);
                        let msg = format!("Connection to {} {} port [tcp/{}] succeeded!\n", n.host, n.port, svc);
                        self.write(&n.stdio.err, &msg);
                    }
                    if n.zero {
                        self.sock_close(id);
                        n.sock = None;
                        n.exiting = Some((0, 0));
                        return;
                    }
                    n.phase = NcPhase::Open;
                    n.last_ns = now;
                    self.nc_send_stdin(pid, n);
                    return;
                }
                if let Some(w) = n.wait_ns {
                    if now >= n.last_ns + w {
                        self.sock_close(id);
                        n.sock = None;
                        if n.verbose {
                            let msg = format!(
                                "nc: connect to {} port {} (tcp) timed out: Operation now in progress\n",
                                n.host, n.port
                            );
                            self.write(&n.stdio.err, &msg);
                        }
                        n.exiting = Some((1, 0));
                    }
                }
            }
            NcPhase::Listening => {
                let Some(l) = n.listener else { return };
                if n.udp {
                    return self.nc_udp_io(pid, n);
                }
                let Some(c) = self.tcp_accept(l, pid) else { return };
                if !n.keep {
                    self.sock_close(l);
                    n.listener = None;
                }
                if n.verbose {
                    if let Some((ip, port)) = self.sock(c).and_then(|s| s.remote) {
                        let msg = nc_report("Connection received on", ip, port, n.numeric);
                        self.write(&n.stdio.err, &msg);
                    }
                }
                n.sock = Some(c);
                n.phase = NcPhase::Open;
                n.last_ns = now;
                n.stdin_done = false;
                self.nc_send_stdin(pid, n);
                // Data may already be queued.
                self.nc_io(pid, n);
            }
            NcPhase::Open => {
                if n.udp {
                    self.nc_udp_io(pid, n)
                } else {
                    self.nc_io(pid, n)
                }
            }
        }
    }

    /// Debian's `udptest` for `-u` with `-v`/`-z`, as kernel captures show
    /// it: an "X" write, another one at once, then three more a second
    /// apart; a write that finds an ICMP error pending (ECONNREFUSED) ends
    /// nc silently with status 1, the fifth success prints the
    /// `succeeded!` line.
    fn nc_udp_probe(&mut self, pid: Pid, n: &mut Nc) {
        let Some(id) = n.sock else { return };
        if n.probe_at.is_some_and(|t| self.now < t) {
            return;
        }
        if self.udp_send(id, b"X").is_some() {
            return self.nc_finish(n, 1);
        }
        n.probes += 1;
        let next = match n.probes {
            1 => APP_WAKE_NS,
            2..=4 => SEC,
            _ => {
                let svc = self.nc_svc(n);
                let msg = format!("Connection to {} {} port [udp/{}] succeeded!\n", n.host, n.port, svc);
                self.write(&n.stdio.err, &msg);
                if n.zero {
                    return self.nc_finish(n, 0);
                }
                n.phase = NcPhase::Open;
                n.probe_at = None;
                return self.nc_send_stdin(pid, n);
            }
        };
        n.probe_at = Some(self.now + next);
        self.wake_at(pid, self.now + next);
    }

    fn nc_svc(&self, n: &Nc) -> String {
        let s = if n.numeric { None } else { service_name(n.port, n.udp) };
        s.unwrap_or("*").to_string()
    }

    fn nc_open(&mut self, pid: Pid, n: &mut Nc) {
        let now = self.now;
        n.last_ns = now;
        let r = match (n.listen, n.udp) {
            (true, false) => self.tcp_listen(n.ns, pid, n.host, n.port).map(|l| {
                n.listener = Some(l);
                n.phase = NcPhase::Listening;
            }),
            (true, true) => self.udp_bind(n.ns, pid, n.host, n.port).map(|l| {
                n.listener = Some(l);
                n.phase = NcPhase::Listening;
            }),
            (false, false) => {
                // nc's poll(-w) times out before the kernel's SYN
                // retransmit due at the same moment (kernel runs show one
                // SYN for `-w 1`): the wake is queued first.
                if let Some(w) = n.wait_ns {
                    self.schedule(now + w, Event::Wake { pid });
                }
                self.tcp_connect_from(n.ns, pid, n.host, n.port, n.src_port).map(|s| {
                    n.sock = Some(s);
                    n.phase = NcPhase::Connecting;
                })
            }
            (false, true) => self.udp_connect(n.ns, pid, n.host, n.port).map(|s| {
                n.sock = Some(s);
                // -v or -z: Debian's udptest probes with "X" writes first.
                n.phase = if n.verbose || n.zero { NcPhase::Connecting } else { NcPhase::Open };
            }),
        };
        match r {
            Ok(()) => {
                if n.listen && n.verbose {
                    let msg = nc_report("Listening on", n.host, n.port, n.numeric);
                    self.write(&n.stdio.err, &msg);
                }
                if !n.listen && n.udp {
                    if n.phase == NcPhase::Connecting {
                        return self.nc_udp_probe(pid, n);
                    }
                    self.nc_send_stdin(pid, n);
                }
            }
            Err(e) => {
                let msg = if n.listen {
                    format!("nc: {}\n", e.strerror())
                } else if e == SockErr::AddrInUse {
                    // remote_connect's bind() of `-p`: err(1, "bind failed").
                    "nc: bind failed: Address already in use\n".to_string()
                } else {
                    format!(
                        "nc: connect to {} port {} ({}) failed: {}\n",
                        n.host,
                        n.port,
                        if n.udp { "udp" } else { "tcp" },
                        e.strerror()
                    )
                };
                self.write(&n.stdio.err, &msg);
                n.exiting = Some((1, 0));
            }
        }
    }

    /// Sends what stdin holds, then arms `-q` (stdin is at EOF).
    fn nc_send_stdin(&mut self, pid: Pid, n: &mut Nc) {
        if n.stdin_done {
            return;
        }
        n.stdin_done = true;
        let Some(id) = n.sock else { return };
        let data = n.stdin.clone();
        if n.udp {
            if !data.is_empty() {
                self.udp_send(id, &data);
            }
        } else {
            self.tcp_send(id, &data);
            if n.shutdown_eof || n.quit_ns.is_some() {
                // -N, and -q in Debian's nc (kernel captures show the FIN
                // right after the data): the next turn of nc's poll loop
                // sees stdin's EOF and shuts the socket down for writing.
                n.shutdown_at = Some(self.now + APP_WAKE_NS);
                self.wake_at(pid, self.now + APP_WAKE_NS);
            }
        }
        if let Some(q) = n.quit_ns {
            n.quit_at = Some(self.now + q);
            self.wake_at(pid, self.now + q);
        }
        if let Some(w) = n.wait_ns {
            self.wake_at(pid, self.now + w);
        }
    }

    fn nc_finish(&mut self, n: &mut Nc, code: i32) {
        if let Some(s) = n.sock.take() {
            self.sock_close(s);
        }
        if let Some(l) = n.listener.take() {
            self.sock_close(l);
        }
        n.exiting = Some((code, 0));
    }

    fn nc_io(&mut self, pid: Pid, n: &mut Nc) {
        let now = self.now;
        let Some(id) = n.sock else { return };
        if n.shutdown_at.is_some_and(|t| now >= t) {
            n.shutdown_at = None;
            self.tcp_shutdown(id);
        }
        let data = self.sock_read(id);
        if !data.is_empty() {
            n.last_ns = now;
            self.write(&n.stdio.out, &String::from_utf8_lossy(&data));
        }
        let (eof, err, gone) = match self.sock(id) {
            Some(s) => (s.rx_eof, s.error, s.state == TcpState::Closed),
            None => (true, None, true),
        };
        if eof || err.is_some() || gone {
            if n.keep && n.listener.is_some() {
                self.sock_close(id);
                n.sock = None;
                n.phase = NcPhase::Listening;
                return self.nc_step(pid, n);
            }
            return self.nc_finish(n, 0);
        }
        if n.quit_at.is_some_and(|q| now >= q) {
            return self.nc_finish(n, 0);
        }
        if n.wait_ns.is_some_and(|w| now >= n.last_ns + w) && n.stdin_done {
            self.nc_finish(n, 0);
        }
    }

    fn nc_udp_io(&mut self, _pid: Pid, n: &mut Nc) {
        let now = self.now;
        let id = n.sock.or(n.listener);
        let Some(id) = id else { return };
        let dgrams = self.sockets.map.get_mut(&id).map(|s| std::mem::take(&mut s.dgrams)).unwrap_or_default();
        for (from, local, data) in dgrams {
            if n.listen && self.sock(id).is_some_and(|s| s.remote.is_none()) {
                // nc -l -u connects to the first sender.
                self.udp_set_peer(id, from, local);
                if n.verbose {
                    let msg = nc_report("Connection received on", from.0, from.1, n.numeric);
                    self.write(&n.stdio.err, &msg);
                }
            }
            n.last_ns = now;
            self.write(&n.stdio.out, &String::from_utf8_lossy(&data));
        }
        let err = self.sockets.map.get_mut(&id).and_then(|s| s.error.take());
        if err.is_some() && !n.listen {
            // The read fails (ECONNREFUSED): with stdin done, nc is done.
            return self.nc_finish(n, 0);
        }
        if n.quit_at.is_some_and(|q| now >= q) {
            return self.nc_finish(n, 0);
        }
        if !n.listen && n.wait_ns.is_some_and(|w| now >= n.last_ns + w) {
            self.nc_finish(n, 0);
        }
    }

    // ------------------------------------------------------------- curl

    fn curl_step(&mut self, pid: Pid, c: &mut Curl) {
        let now = self.now;
        let elapsed_ms = (now - c.start) / 1_000_000;
        let Some(id) = c.sock else {
            c.start = now;
            match self.tcp_connect(c.ns, pid, c.addr, c.port) {
                Ok(s) => {
                    c.sock = Some(s);
                    let mut t = c.connect_ns;
                    if let Some(m) = c.max_ns {
                        t = t.min(m);
                    }
                    self.wake_at(pid, now + t);
                    if let Some(m) = c.max_ns {
                        self.wake_at(pid, now + m);
                    }
                }
                Err(_) => self.curl_fail(
                    c,
                    7,
                    &format!("Failed to connect to {} port {} after 0 ms: Couldn't connect to server", c.host, c.port),
                ),
            }
            return;
        };
        if let Some(d) = c.done_at {
            if now >= d {
                self.sock_close(id);
                self.curl_output(c);
            }
            return;
        }
        if !c.sent {
            let (connected, err) = match self.sock(id) {
                Some(s) => (s.connected(), s.error),
                None => (false, Some(SockErr::ConnReset)),
            };
            if err.is_some() {
                self.sock_close(id);
                let m = format!(
                    "Failed to connect to {} port {} after {} ms: Couldn't connect to server",
                    c.host, c.port, elapsed_ms
                );
                return self.curl_fail(c, 7, &m);
            }
            if connected {
                c.sent = true;
                let req = c.request.clone();
                self.tcp_send(id, &req);
                return;
            }
            let max_hit = c.max_ns.is_some_and(|m| now >= c.start + m);
            if max_hit && c.max_ns.is_some_and(|m| m <= c.connect_ns) {
                self.sock_close(id);
                return self.curl_fail(c, 28, &format!("Connection timed out after {} milliseconds", elapsed_ms + 1));
            }
            if now >= c.start + c.connect_ns {
                self.sock_close(id);
                let m = format!(
                    "Failed to connect to {} port {} after {} ms: Timeout was reached",
                    c.host,
                    c.port,
                    elapsed_ms + 1
                );
                return self.curl_fail(c, 28, &m);
            }
            return;
        }
        let data = self.sock_read(id);
        c.resp.extend_from_slice(&data);
        let (eof, err) = match self.sock(id) {
            Some(s) => (s.rx_eof, s.error),
            None => (true, None),
        };
        if let Some(SockErr::ConnReset) = err {
            self.sock_close(id);
            return self.curl_fail(c, 56, "Recv failure: Connection reset by peer");
        }
        let complete = match http_split(&c.resp) {
            Some((hdr, body)) => {
                c.head || content_length(hdr).is_some_and(|n| body.len() >= n) || status_code(hdr) == Some(304)
            }
            None => false,
        };
        if complete || eof {
            if c.resp.is_empty() {
                self.sock_close(id);
                return self.curl_fail(c, 52, "Empty reply from server");
            }
            c.done_at = Some(now + CURL_CLOSE_NS);
            self.wake_at(pid, now + CURL_CLOSE_NS);
            return;
        }
        if c.max_ns.is_some_and(|m| now >= c.start + m) {
            self.sock_close(id);
            let got = http_split(&c.resp).map(|(_, b)| b.len()).unwrap_or(0);
            let m = format!("Operation timed out after {} milliseconds with {} bytes received", elapsed_ms + 1, got);
            self.curl_fail(c, 28, &m);
        }
    }

    fn curl_fail(&mut self, c: &mut Curl, code: i32, msg: &str) {
        if let Some(w) = c.write_out.clone() {
            let text = curl_write_out(&w, c, 0);
            self.write(&c.stdio.out, &text);
        }
        if c.show_error {
            self.write(&c.stdio.err, &format!("curl: ({code}) {msg}\n"));
        }
        c.sock = None;
        c.exiting = Some((code, 0));
    }

    fn curl_output(&mut self, c: &mut Curl) {
        let resp = c.resp.clone();
        let (hdr, body) = http_split(&resp).unwrap_or((&resp[..], &[][..]));
        let code = status_code(hdr).unwrap_or(0);
        if c.fail && code >= 400 {
            if c.show_error {
                self.write(&c.stdio.err, &format!("curl: (22) The requested URL returned error: {code}\n"));
            }
            if let Some(w) = c.write_out.clone() {
                let text = curl_write_out(&w, c, code);
                self.write(&c.stdio.out, &text);
            }
            c.exiting = Some((22, 0));
            return;
        }
        let mut out = Vec::new();
        if c.head || c.include {
            out.extend_from_slice(hdr);
        }
        if !c.head {
            out.extend_from_slice(body);
        }
        let text = String::from_utf8_lossy(&out).into_owned();
        self.write(&c.body_out, &text);
        if let Some(w) = c.write_out.clone() {
            let text = curl_write_out(&w, c, code);
            self.write(&c.stdio.out, &text);
        }
        c.exiting = Some((0, 0));
    }

    // ------------------------------------------------------------- http.server

    fn httpd_step(&mut self, pid: Pid, h: &mut HttpServer) {
        while let Some(c) = self.tcp_accept(h.listener, pid) {
            h.conns.push(HttpConn {
                sock: c,
                req: Vec::new(),
                out: Vec::new(),
                closed: false,
                next_at: 0,
                file: false,
            });
        }
        let now = self.now;
        for i in 0..h.conns.len() {
            if h.conns[i].closed {
                continue;
            }
            let id = h.conns[i].sock;
            if !h.conns[i].out.is_empty() {
                if now < h.conns[i].next_at {
                    continue;
                }
                let w = h.conns[i].out.remove(0);
                if w.is_empty() {
                    // shutdown(SHUT_WR) then close().
                    self.sock_close(id);
                    h.conns[i].closed = true;
                } else {
                    self.tcp_send(id, &w);
                    // After a file's body, copyfile's last read and the
                    // file's close come before the shutdown.
                    let step = if h.conns[i].out.len() == 1 && h.conns[i].file { PY_FILE_DONE_NS } else { PY_STEP_NS };
                    h.conns[i].next_at = now + step;
                    self.wake_at(pid, now + step);
                }
                continue;
            }
            let data = self.sock_read(id);
            h.conns[i].req.extend_from_slice(&data);
            let eof = self.sock(id).is_none_or(|s| s.rx_eof || s.state == TcpState::Closed);
            let req = h.conns[i].req.clone();
            if let (Some(ng), true) = (h.nginx.as_ref(), request_complete(&req)) {
                let epoch = super::proc::EPOCH_NS / NS_PER_SEC;
                let (resp, close) = crate::tools::nginx::respond(
                    ng.flavour,
                    &req,
                    &http_date(self.wall_clock_secs()),
                    epoch,
                    &http_date(epoch),
                );
                h.conns[i].req.clear();
                h.conns[i].out = vec![resp];
                if close {
                    h.conns[i].out.push(Vec::new());
                }
                h.conns[i].file = false;
                h.conns[i].next_at = now + NGINX_HANDLE_NS;
                self.wake_at(pid, now + NGINX_HANDLE_NS);
            } else if request_complete(&req) {
                let peer = self.sock(id).and_then(|s| s.remote).map(|r| r.0).unwrap_or(Ipv4Addr::UNSPECIFIED);
                let client = if h.dual_stack { format!("::ffff:{peer}") } else { peer.to_string() };
                let (writes, log, file) = self.http_respond(&req, &client);
                self.write(&h.stdio.err, &log);
                h.conns[i].out = writes;
                h.conns[i].out.push(Vec::new());
                h.conns[i].file = file;
                // The handler parses and logs first; then the writes go a
                // step apart.
                h.conns[i].next_at = now + PY_HANDLE_NS;
                self.wake_at(pid, now + PY_HANDLE_NS);
            } else if eof {
                self.sock_close(id);
                h.conns[i].closed = true;
            }
        }
    }

    /// The writes Python's handler makes for one request and its log lines.
    fn http_respond(&self, req: &[u8], client: &str) -> (Vec<Vec<u8>>, String, bool) {
        let stamp = log_date(self.wall_clock_secs());
        let date = http_date(self.wall_clock_secs());
        let text = String::from_utf8_lossy(req);
        let line = text.split('\n').next().unwrap_or("").trim_end_matches('\r').to_string();
        let parts: Vec<&str> = line.split(' ').collect();
        let server = "Server: SimpleHTTP/0.6 Python/3.11.2\r\n";
        let error = |code: u16, msg: &str, explain: &str, method: &str| -> (Vec<Vec<u8>>, String, bool) {
            let body = format!(
                "<!DOCTYPE HTML>\n<html lang=\"en\">\n    <head>\n        <meta charset=\"utf-8\">\n        <title>Error response</title>\n    </head>\n    <body>\n        <h1>Error response</h1>\n        <p>Error code: {code}</p>\n        <p>Message: {msg}.</p>\n        <p>Error code explanation: {code} - {explain}.</p>\n    </body>\n</html>\n"
            );
            let hdr = format!(
                "HTTP/1.0 {code} {msg}\r\n{server}Date: {date}\r\nConnection: close\r\nContent-Type: text/html;charset=utf-8\r\nContent-Length: {}\r\n\r\n",
                body.len()
            );
            let log = format!(
                "{client} - - [{stamp}] code {code}, message {msg}\n{client} - - [{stamp}] \"{line}\" {code} -\n"
            );
            let mut w = vec![hdr.into_bytes()];
            if method != "HEAD" {
                w.push(body.into_bytes());
            }
            (w, log, false)
        };
        if parts.len() != 3 || !parts[2].starts_with("HTTP/") {
            return error(400, "Bad request syntax", "Bad request syntax or unsupported method", "GET");
        }
        let (method, target) = (parts[0], parts[1]);
        if method != "GET" && method != "HEAD" {
            return error(
                501,
                &format!("Unsupported method ('{method}')"),
                "Server does not support this operation",
                method,
            );
        }
        let path = target.split(['?', '#']).next().unwrap_or("/");
        let name = path.trim_start_matches('/');
        let mut files: Vec<String> = self.files.keys().filter(|k| !k.contains('/')).cloned().collect();
        for (_, pid) in &self.taps {
            if let Some(Process::Tcpdump(t)) = self.procs.get(pid) {
                if let Some(w) = &t.write {
                    if !w.contains('/') && !files.contains(w) {
                        files.push(w.clone());
                    }
                }
            }
        }
        let (ctype, body) = if name.is_empty() {
            if let Some(b) = self.files.get("index.html") {
                ("text/html".to_string(), b.clone())
            } else {
                files.sort_by_key(|a| a.to_lowercase());
                let mut r = vec![
                    "<!DOCTYPE HTML>".to_string(),
                    "<html lang=\"en\">".into(),
                    "<head>".into(),
                    "<meta charset=\"utf-8\">".into(),
                    format!("<title>Directory listing for {path}</title>\n</head>"),
                    format!("<body>\n<h1>Directory listing for {path}</h1>"),
                    "<hr>\n<ul>".into(),
                ];
                for f in &files {
                    r.push(format!("<li><a href=\"{f}\">{f}</a></li>"));
                }
                r.push("</ul>\n<hr>\n</body>\n</html>\n".into());
                ("text/html; charset=utf-8".to_string(), r.join("\n").into_bytes())
            }
        } else if let Some(b) = self.files.get(name).filter(|_| !name.contains('/')) {
            (mime_type(name).to_string(), b.clone())
        } else if files.iter().any(|f| f == name) {
            (mime_type(name).to_string(), Vec::new())
        } else {
            return error(404, "File not found", "Nothing matches the given URI", method);
        };
        let is_listing = ctype.contains("charset");
        let mut hdr = format!(
            "HTTP/1.0 200 OK\r\n{server}Date: {date}\r\nContent-type: {ctype}\r\nContent-Length: {}\r\n",
            body.len()
        );
        if !is_listing {
            hdr.push_str(&format!("Last-Modified: {date}\r\n"));
        }
        hdr.push_str("\r\n");
        let log = format!("{client} - - [{stamp}] \"{line}\" 200 -\n");
        let mut w = vec![hdr.into_bytes()];
        let file = method != "HEAD" && !body.is_empty();
        if file {
            w.push(body);
        }
        (w, log, file)
    }
}

/// Python's `mimetypes` guess for the few types scenarios serve.
fn mime_type(name: &str) -> &'static str {
    let ext = name.rsplit('.').next().unwrap_or("");
    match ext {
        "html" | "htm" => "text/html",
        "txt" | "sh" => "text/plain",
        "json" => "application/json",
        "css" => "text/css",
        "js" => "text/javascript",
        _ => "application/octet-stream",
    }
}

/// nc's `report_sock`: the address through `getnameinfo` unless `-n`. As
/// the verify sandbox resolves: 127.0.0.1 is `localhost` (/etc/hosts);
/// any other address needs DNS, which is unreachable there, so nc warns
/// instead of printing the line (kernel runs show it).
///
/// DIVERGENCE: a host with working DNS would print a name or the address.
fn nc_report(what: &str, ip: Ipv4Addr, port: u16, numeric: bool) -> String {
    if numeric {
        format!("{what} {ip} {port}\n")
    } else if ip == Ipv4Addr::LOCALHOST {
        format!("{what} localhost {port}\n")
    } else {
        "nc: getnameinfo: Temporary failure in name resolution\n".to_string()
    }
}

/// Splits a response (or request) at the blank line after the headers.
pub fn http_split(b: &[u8]) -> Option<(&[u8], &[u8])> {
    let i = b.windows(4).position(|w| w == b"\r\n\r\n")?;
    Some((&b[..i + 4], &b[i + 4..]))
}

/// Whether a request's headers are complete: Python reads lines until an
/// empty one, `\r\n` or a bare `\n`.
fn request_complete(b: &[u8]) -> bool {
    b.windows(2).any(|w| w == b"\n\n") || b.windows(3).any(|w| w == b"\n\r\n")
}

fn status_code(hdr: &[u8]) -> Option<u16> {
    let t = std::str::from_utf8(hdr).ok()?;
    t.split(' ').nth(1)?.parse().ok()
}

fn content_length(hdr: &[u8]) -> Option<usize> {
    let t = std::str::from_utf8(hdr).ok()?;
    t.split("\r\n").find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.eq_ignore_ascii_case("content-length").then(|| v.trim().parse().ok()).flatten()
    })
}

/// Expands curl's `-w` variables.
fn curl_write_out(fmt: &str, c: &Curl, code: u16) -> String {
    let body_len = http_split(&c.resp).map(|(_, b)| b.len()).unwrap_or(0);
    fmt.replace("%{http_code}", &format!("{code:03}"))
        .replace("%{response_code}", &format!("{code:03}"))
        .replace("%{size_download}", &body_len.to_string())
        .replace("%{remote_ip}", &c.addr.to_string())
        .replace("%{remote_port}", &c.port.to_string())
}

const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];

/// (year, month 1-12, day, hh, mm, ss, weekday index from Thursday) of a
/// Unix time (UTC).
pub fn civil(secs: u64) -> (i64, u32, u32, u64, u64, u64, usize) {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Howard Hinnant's days-to-civil.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = if m <= 2 { y + 1 } else { y };
    (y, m, d, rem / 3600, rem % 3600 / 60, rem % 60, (days % 7) as usize)
}

/// `Date:` header form: `Wed, 01 Jan 2025 00:00:01 GMT`.
pub fn http_date(secs: u64) -> String {
    let (y, m, d, hh, mm, ss, wd) = civil(secs);
    format!("{}, {d:02} {} {y} {hh:02}:{mm:02}:{ss:02} GMT", DAYS[wd], MONTHS[m as usize - 1])
}

/// `log_date_time_string`: `01/Jan/2025 00:00:01`.
fn log_date(secs: u64) -> String {
    let (y, m, d, hh, mm, ss, _) = civil(secs);
    format!("{d:02}/{}/{y:04} {hh:02}:{mm:02}:{ss:02}", MONTHS[m as usize - 1])
}

/// One second in nanoseconds, for the tools' option parsing.
pub const SEC: u64 = NS_PER_SEC;

#[cfg(test)]
mod tests {
    use super::*;

    // The simulated epoch, 2025-01-01, was a Wednesday.
    #[test]
    fn dates() {
        assert_eq!(http_date(1_735_689_600), "Wed, 01 Jan 2025 00:00:00 GMT");
        assert_eq!(log_date(1_735_689_661), "01/Jan/2025 00:01:01");
        assert_eq!(http_date(1_795_392_000), "Mon, 23 Nov 2026 00:00:00 GMT");
    }

    // Python's 404 page is 335 bytes and its headers 185 with a 29-byte
    // date, as the kernel capture of `curl /missing` shows.
    #[test]
    fn not_found_sizes() {
        let e = Engine::new(crate::model::HostProfile::default(), 0);
        let (w, log, _) = e.http_respond(b"GET /missing HTTP/1.1\r\nHost: x\r\n\r\n", "10.0.0.1");
        assert_eq!(w[0].len(), 185);
        assert_eq!(w[1].len(), 335);
        assert!(log.contains("code 404, message File not found"));
    }
}
