//! Processes a script starts that live in virtual time: `ping` (iputils)
//! and `tcpdump` captures; the socket applications (nc, curl, the HTTP
//! server) are in [`super::apps`], `conntrack -E` in [`super::conntrack`].
//!
//! A process is a state machine woken by its timers ([`super::Event::Wake`])
//! and by packets (ICMP to ping's raw socket, frames to a capture tap).
//! Output goes to the process's [`Stdio`] sinks. Argument parsing is in
//! [`crate::tools`]; here is only what the running process does.

use super::datapath::{ipv4_packet, Ipv4View, IPPROTO_ICMP};
use super::{Engine, Event, Stdio};
use crate::capture::filter::Filter;
use crate::model::{LinkId, NsId, NS_PER_SEC};
use crate::render::tcpdump::{Printer, TcpdumpOpts};
use std::fmt::Write as _;
use std::net::Ipv4Addr;

/// Virtual time 0 is this Unix time (2025-01-01T00:00:00Z) in pcap files
/// and printed timestamps.
pub const EPOCH_NS: u64 = 1_735_689_600 * NS_PER_SEC;

/// A process id, as `$!` prints it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pid(pub u32);

/// A running or finished process.
#[derive(Debug)]
pub enum Process {
    /// iputils `ping`.
    Ping(Box<Ping>),
    /// `tcpdump`.
    Tcpdump(Box<Tcpdump>),
    /// netcat-openbsd `nc`.
    Nc(Box<super::apps::Nc>),
    /// `curl`.
    Curl(Box<super::apps::Curl>),
    /// `python3 -m http.server`.
    HttpServer(Box<super::apps::HttpServer>),
    /// `conntrack -E`.
    CtEvents(Box<super::conntrack::CtEvents>),
}

impl Process {
    /// Whether the process has exited.
    pub fn exited(&self) -> bool {
        self.exit_code().is_some()
    }

    /// The exit status once exited.
    pub fn exit_code(&self) -> Option<i32> {
        match self {
            Process::Ping(p) => p.exit,
            Process::Tcpdump(t) => t.exit,
            Process::Nc(n) => n.exit,
            Process::Curl(c) => c.exit,
            Process::HttpServer(h) => h.exit,
            Process::CtEvents(e) => e.exit,
        }
    }
}

/// `ping` options and state.
#[derive(Debug)]
pub struct Ping {
    /// Namespace the socket lives in.
    pub ns: NsId,
    /// Destination.
    pub dst: Ipv4Addr,
    /// Source address chosen by the route lookup (or `-I`).
    pub src: Ipv4Addr,
    /// `-I DEV`: bound device.
    pub oif: Option<LinkId>,
    /// `-c`: packets to send (0 = forever).
    pub count: u32,
    /// `-i`: interval (ns).
    pub interval_ns: u64,
    /// `-W`: linger after the last send when replies are missing (ns).
    pub linger_ns: u64,
    /// `-w`: deadline (ns), if set.
    pub deadline_ns: Option<u64>,
    /// `-s`: payload size.
    pub size: usize,
    /// `-t`: TTL.
    pub ttl: u8,
    /// Echo identifier.
    pub ident: u16,
    /// Next sequence number to send.
    pub next_seq: u16,
    /// Send time of each outstanding sequence number.
    pub sent: std::collections::BTreeMap<u16, u64>,
    /// Transmitted count.
    pub ntransmitted: u32,
    /// Replies received.
    pub nreceived: u32,
    /// Errors received.
    pub nerrors: u32,
    /// Most probes outstanding when an answer arrived (`pipe N`).
    pub pipesize: u32,
    /// Round-trip times (ns).
    pub rtts: Vec<u64>,
    /// Start time.
    pub start_ns: u64,
    /// Last send time.
    pub last_send_ns: u64,
    /// When the linger wait ends.
    pub finish_at: Option<u64>,
    /// Exit status once finished.
    pub exit: Option<i32>,
    /// Output sinks.
    pub stdio: Stdio,
    /// BusyBox's ping (alpine/busybox containers, `busybox ping`): its
    /// lines, statistics and exit status (`tools::ping`).
    pub busybox: bool,
}

/// A capture on one device.
#[derive(Debug)]
pub struct Tcpdump {
    /// The device.
    pub link: LinkId,
    /// The device name (for messages).
    pub ifname: String,
    /// Filter, if given.
    pub filter: Option<Filter>,
    /// `-w FILE`.
    pub write: Option<String>,
    /// Pcap bytes written so far.
    pub pcap: Option<crate::capture::pcap::PcapWriter<Vec<u8>>>,
    /// Text printer (no `-w`).
    pub printer: Printer,
    /// Text not yet flushed (tcpdump's stdout is block-buffered on a pipe).
    pub pending: String,
    /// `-l`: line-buffered.
    pub line_buffered: bool,
    /// `-c`: stop after this many packets.
    pub max: Option<u64>,
    /// Packets captured.
    pub captured: u64,
    /// Holds the device promiscuous (no `-p`).
    pub promisc: bool,
    /// Exit status once stopped.
    pub exit: Option<i32>,
    /// Output sinks.
    pub stdio: Stdio,
}

impl Tcpdump {
    /// A new capture.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        link: LinkId,
        ifname: String,
        filter: Option<Filter>,
        write: Option<String>,
        opts: TcpdumpOpts,
        line_buffered: bool,
        max: Option<u64>,
        promisc: bool,
        stdio: Stdio,
    ) -> Tcpdump {
        Tcpdump {
            link,
            ifname,
            filter,
            pcap: write
                .as_ref()
                .map(|_| crate::capture::pcap::PcapWriter::new(Vec::new()).expect("writing to a Vec cannot fail")),
            write,
            printer: Printer::new(opts),
            pending: String::new(),
            line_buffered,
            max,
            captured: 0,
            promisc,
            exit: None,
            stdio,
        }
    }
}

impl Engine {
    /// Starts a process: registers it and arms its first wake-up.
    pub fn spawn(&mut self, p: Process) -> Pid {
        let pid = self.alloc_pid();
        match &p {
            Process::Ping(_) => self.schedule(self.now, Event::Wake { pid }),
            // fork and exec take a moment: packets already in flight land
            // before the new process opens its socket.
            Process::Nc(_) | Process::Curl(_) => {
                self.schedule(self.now + super::apps::PROC_START_NS, Event::Wake { pid })
            }
            Process::HttpServer(_) | Process::CtEvents(_) => {}
            Process::Tcpdump(t) => {
                self.taps.push((t.link, pid));
                if t.promisc {
                    self.world.link_mut(t.link).promisc += 1;
                }
            }
        }
        let events = matches!(p, Process::CtEvents(_));
        self.procs.insert(pid, p);
        if events {
            self.ct_events_start(pid);
        }
        pid
    }

    /// A process timer fired.
    pub(super) fn wake(&mut self, pid: Pid) {
        let now = self.now;
        if matches!(self.procs.get(&pid), Some(Process::Nc(_) | Process::Curl(_) | Process::HttpServer(_))) {
            return self.app_wake(pid);
        }
        if matches!(self.procs.get(&pid), Some(Process::CtEvents(_))) {
            return self.ct_events_wake(pid);
        }
        let Some(Process::Ping(p)) = self.procs.get_mut(&pid) else {
            return;
        };
        if p.exit.is_some() {
            return;
        }
        if p.deadline_ns.is_some_and(|d| now >= p.start_ns + d) {
            self.ping_finish(pid);
            return;
        }
        if let Some(f) = p.finish_at {
            if now >= f {
                self.ping_finish(pid);
            }
            return;
        }
        // With a deadline (-w) the count is the number of replies awaited,
        // and probes go on until the deadline (iputils `pinger`).
        let deadline = p.deadline_ns.is_some();
        if p.count == 0 || deadline || p.ntransmitted < p.count {
            self.ping_send(pid);
        }
        let Some(Process::Ping(p)) = self.procs.get_mut(&pid) else {
            return;
        };
        if p.count != 0 && !deadline && p.ntransmitted >= p.count {
            // schedule_exit: linger for missing replies.
            let wait = if p.nreceived > 0 {
                let tmax = p.rtts.iter().copied().max().unwrap_or(0);
                (2 * tmax).max(p.interval_ns)
            } else {
                p.linger_ns
            };
            let mut at = now + wait;
            if let Some(d) = p.deadline_ns {
                at = at.min(p.start_ns + d);
            }
            p.finish_at = Some(at);
            self.schedule(at, Event::Wake { pid });
        } else {
            let mut next = now + p.interval_ns;
            if let Some(d) = p.deadline_ns {
                next = next.min(p.start_ns + d);
            }
            self.schedule(next, Event::Wake { pid });
        }
    }

    fn ping_send(&mut self, pid: Pid) {
        let now = self.now;
        let Some(Process::Ping(p)) = self.procs.get_mut(&pid) else {
            return;
        };
        let seq = p.next_seq;
        p.next_seq = p.next_seq.wrapping_add(1);
        p.ntransmitted += 1;
        p.last_send_ns = now;
        p.sent.insert(seq, now);
        let (ns, src, dst, ttl, ident, size, oif) = (p.ns, p.src, p.dst, p.ttl, p.ident, p.size, p.oif);
        let mut icmp = vec![8u8, 0, 0, 0];
        icmp.extend_from_slice(&ident.to_be_bytes());
        icmp.extend_from_slice(&seq.to_be_bytes());
        // iputils: a struct timeval, then bytes counting up from its size.
        let t = EPOCH_NS + now;
        let mut data = Vec::with_capacity(size);
        if size >= 16 {
            data.extend_from_slice(&(t / NS_PER_SEC).to_le_bytes());
            data.extend_from_slice(&((t % NS_PER_SEC) / 1000).to_le_bytes());
        }
        while data.len() < size {
            data.push(data.len() as u8);
        }
        icmp.extend_from_slice(&data);
        let c = super::datapath::checksum(&icmp);
        icmp[2..4].copy_from_slice(&c.to_be_bytes());
        if icmp.len() + 20 > usize::from(u16::MAX) {
            // sendto fails with EMSGSIZE; iputils counts the probe and says nothing.
            return;
        }
        // Raw socket, DF set (pmtudisc "want"); the kernel still picks a
        // random-looking IP id (checked with verify on a capture).
        let id = self.ip_ident();
        let pkt = ipv4_packet(src, dst, IPPROTO_ICMP, ttl, id, true, &icmp);
        self.ip_output_local(ns, pkt, oif);
    }

    /// Hands an ICMP packet received in `ns` to every ping raw socket there.
    pub(super) fn deliver_icmp_to_sockets(&mut self, ns: NsId, pkt: &[u8], ip: Ipv4View) {
        let icmp = &pkt[ip.ihl..];
        let typ = icmp[0];
        let pids: Vec<Pid> = self
            .procs
            .iter()
            .filter(|(_, p)| matches!(p, Process::Ping(x) if x.ns == ns && x.exit.is_none()))
            .map(|(k, _)| *k)
            .collect();
        for pid in pids {
            match typ {
                0 => {
                    let id = u16::from_be_bytes([icmp[4], icmp[5]]);
                    let seq = u16::from_be_bytes([icmp[6], icmp[7]]);
                    self.ping_reply(pid, id, seq, ip, pkt.len() - ip.ihl);
                }
                3 | 11 => {
                    // The quoted header must be one of ours.
                    let inner = &icmp[8..];
                    let Some(iv) = inner.get(..20).and_then(|_| {
                        let ihl = usize::from(inner[0] & 0xf) * 4;
                        (inner.len() >= ihl + 8 && inner[9] == IPPROTO_ICMP && inner[ihl] == 8).then_some(ihl)
                    }) else {
                        continue;
                    };
                    let id = u16::from_be_bytes([inner[iv + 4], inner[iv + 5]]);
                    let seq = u16::from_be_bytes([inner[iv + 6], inner[iv + 7]]);
                    self.ping_error(pid, id, seq, ip.src, icmp[0], icmp[1]);
                }
                _ => {}
            }
        }
    }

    fn ping_reply(&mut self, pid: Pid, id: u16, seq: u16, ip: Ipv4View, icmp_len: usize) {
        let now = self.now;
        let Some(Process::Ping(p)) = self.procs.get_mut(&pid) else {
            return;
        };
        if p.ident != id {
            return;
        }
        let Some(sent) = p.sent.remove(&seq) else {
            return;
        };
        let rtt = now - sent;
        p.pipesize = p.pipesize.max(p.ntransmitted - p.nreceived - p.nerrors);
        p.nreceived += 1;
        p.rtts.push(rtt);
        // iputils times a probe only when the payload holds a timeval;
        // busybox when it holds its 32-bit microsecond stamp.
        let line = if p.busybox {
            let timed = if p.size >= 4 {
                format!(" time={}.{:03} ms", rtt / 1_000_000, (rtt / 1000) % 1000)
            } else {
                String::new()
            };
            format!("{} bytes from {}: seq={} ttl={}{timed}\n", icmp_len, ip.src, seq, ip.ttl)
        } else if p.size >= 16 {
            format!(
                "{} bytes from {}: icmp_seq={} ttl={} time={} ms\n",
                icmp_len,
                ip.src,
                seq,
                ip.ttl,
                crate::render::ping::fmt_ms(rtt)
            )
        } else {
            format!("{} bytes from {}: icmp_seq={} ttl={}\n", icmp_len, ip.src, seq, ip.ttl)
        };
        let sink = p.stdio.out.clone();
        let done = p.count != 0
            && if p.deadline_ns.is_some() { p.nreceived >= p.count } else { p.nreceived + p.nerrors >= p.count };
        self.write(&sink, &line);
        if done {
            self.ping_finish(pid);
        }
    }

    fn ping_error(&mut self, pid: Pid, id: u16, seq: u16, from: Ipv4Addr, typ: u8, code: u8) {
        let Some(Process::Ping(p)) = self.procs.get_mut(&pid) else {
            return;
        };
        // BusyBox's raw socket reads an error's unused id field as the
        // echo id, which is never its own: errors pass silently.
        if p.ident != id || p.busybox {
            return;
        }
        p.pipesize = p.pipesize.max(p.ntransmitted - p.nreceived - p.nerrors);
        p.nerrors += 1;
        let line = format!("From {} icmp_seq={} {}\n", from, seq, crate::render::ping::icmp_error_text(typ, code));
        let sink = p.stdio.out.clone();
        // iputils main_loop: with a deadline, the first error ends the run.
        let done = p.deadline_ns.is_some() || (p.count != 0 && p.nreceived + p.nerrors >= p.count);
        self.write(&sink, &line);
        if done {
            self.ping_finish(pid);
        }
    }

    /// Ends a ping: prints the statistics and sets the exit status.
    pub fn ping_finish(&mut self, pid: Pid) {
        let Some(Process::Ping(p)) = self.procs.get_mut(&pid) else {
            return;
        };
        if p.exit.is_some() {
            return;
        }
        let text = crate::render::ping::summary(p);
        // With a deadline, success means every awaited reply came.
        let ok = match p.deadline_ns {
            _ if p.busybox => p.nreceived > 0,
            Some(_) if p.count != 0 => p.nreceived >= p.count,
            _ => p.nreceived > 0,
        };
        p.exit = Some(if ok { 0 } else { 1 });
        let sink = p.stdio.out.clone();
        self.write(&sink, &text);
    }

    /// A frame passed a tap: filter, record, maybe stop at `-c`.
    pub(super) fn capture(&mut self, pid: Pid, frame: &[u8]) {
        let ts = EPOCH_NS + self.now;
        let Some(Process::Tcpdump(t)) = self.procs.get_mut(&pid) else {
            return;
        };
        if t.exit.is_some() || t.filter.as_ref().is_some_and(|f| !f.matches(frame)) {
            return;
        }
        t.captured += 1;
        if let Some(w) = t.pcap.as_mut() {
            w.write(ts, frame).expect("writing to a Vec cannot fail");
        } else {
            t.printer.frame(&mut t.pending, ts, frame);
        }
        let flush = t.line_buffered && !t.pending.is_empty();
        let stop = t.max.is_some_and(|m| t.captured >= m);
        if flush {
            let text = std::mem::take(&mut t.pending);
            let sink = t.stdio.out.clone();
            self.write(&sink, &text);
        }
        if stop {
            self.tcpdump_stop(pid, false);
        }
    }

    /// Stops a capture (a signal, or `-c` reached): flushes output and
    /// prints the counters to stderr. Interrupted while printing text, tcpdump
    /// adds a newline "in case a line was cut" (tcpdump.c, after
    /// `pcap_loop` returns -2).
    pub fn tcpdump_stop(&mut self, pid: Pid, interrupted: bool) {
        let Some(Process::Tcpdump(t)) = self.procs.get_mut(&pid) else {
            return;
        };
        if t.exit.is_some() {
            return;
        }
        t.exit = Some(0);
        let mut text = std::mem::take(&mut t.pending);
        if interrupted && t.write.is_none() {
            text.push('\n');
        }
        let (link, promisc) = (t.link, t.promisc);
        let out = t.stdio.out.clone();
        let err = t.stdio.err.clone();
        let mut stats = String::new();
        let n = t.captured;
        let _ = write!(
            stats,
            "{n} packet{} captured\n{n} packet{} received by filter\n0 packets dropped by kernel\n",
            if n == 1 { "" } else { "s" },
            if n == 1 { "" } else { "s" }
        );
        let file = t.write.clone().zip(t.pcap.take().map(|w| w.into_inner()));
        self.taps.retain(|(_, p)| *p != pid);
        if promisc && self.world.link_alive(link) {
            let l = self.world.link_mut(link);
            l.promisc = l.promisc.saturating_sub(1);
        }
        self.write(&out, &text);
        if let Some((path, bytes)) = file {
            self.files.insert(path, bytes);
        }
        self.write(&err, &stats);
    }

    /// Sends SIGINT-like termination to a process.
    pub fn interrupt(&mut self, pid: Pid) {
        match self.procs.get(&pid) {
            Some(Process::Ping(_)) => self.ping_finish(pid),
            Some(Process::Tcpdump(_)) => self.tcpdump_stop(pid, true),
            Some(Process::Nc(_) | Process::Curl(_) | Process::HttpServer(_)) => self.app_freeze(pid),
            Some(Process::CtEvents(_)) => self.ct_events_signal(pid, "INT"),
            None => {}
        }
    }

    /// Whole seconds of the simulated wall clock (the fixed epoch plus
    /// virtual time), for tools that print a date (`iptables-save`).
    pub fn wall_clock_secs(&self) -> u64 {
        (EPOCH_NS + self.now) / NS_PER_SEC
    }
}
