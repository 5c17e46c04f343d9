//! The engine: virtual time, the seeded generator, the event queue, the
//! datapath and the processes a script starts.
//!
//! Time is integer nanoseconds from 0. Events with the same time run in the
//! order they were scheduled. The engine is single-threaded and never reads
//! the wall clock. Submodules: [`rng`], [`datapath`] (device receive and
//! transmit, bridge, ARP, IPv4, the netfilter hook points), [`netfilter`]
//! (iptables rule evaluation), [`neigh`] (the neighbour state machine),
//! [`netlink`] (what the kernel does for configuration requests: links,
//! addresses, carrier events), [`proc`] (ping and tcpdump processes),
//! [`socket`] (TCP and UDP sockets), [`apps`] (nc, curl, the HTTP server),
//! [`interp`] (runs a parsed script).
//! Not here: argument parsing and printing of tools (see [`crate::tools`]).

pub mod apps;
pub mod conntrack;
pub mod datapath;
pub mod interp;
pub mod neigh;
pub mod netfilter;
pub mod netlink;
pub mod nf_log;
pub mod nft;
pub mod proc;
pub mod rng;
pub mod socket;

use crate::model::{HostProfile, LinkId, NsId, World};
use crate::trace::{DropReason, Trace, TraceKind};
use proc::{Pid, Process};
use rng::Rng;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::net::Ipv4Addr;

/// Virtual time of one device-to-device hop (a veth hand-off). The kernel
/// takes about a microsecond; the exact value only spaces capture timestamps.
pub const HOP_NS: u64 = 1_000;

/// How many events one run may process before it is stopped (see
/// [`Engine::event_budget`]): some seconds of wall time, far more than any
/// scenario in `scenarios/` needs (the largest takes a few thousand), and a
/// bound on a broadcast storm, which would otherwise run until the script's
/// last `sleep` ends (or, with a topology that multiplies frames, forever).
pub const DEFAULT_EVENT_BUDGET: u64 = 50_000_000;

/// How many frames may be in flight at once before the run is stopped like
/// an exhausted event budget: a loop that multiplies frames (three links
/// between two bridges) would otherwise fill memory long before the budget.
pub const MAX_IN_FLIGHT: usize = 1_000_000;

/// Something scheduled to happen.
#[derive(Debug)]
pub enum Event {
    /// A frame arrives at a device (from its veth peer or loopback).
    Rx {
        /// The receiving device.
        link: LinkId,
        /// The Ethernet frame.
        frame: Vec<u8>,
        /// The connection (or untracked mark) it keeps across loopback (a
        /// veth hop scrubs it).
        ct: conntrack::SkbCt,
    },
    /// A neighbour entry's timer fires.
    NeighTimer {
        /// Namespace.
        ns: NsId,
        /// Device.
        dev: LinkId,
        /// Neighbour address.
        ip: Ipv4Addr,
    },
    /// A frame leaves a device after a delay (a proxy ARP reply held for
    /// part of `proxy_delay`).
    Xmit {
        /// The device.
        link: LinkId,
        /// The Ethernet frame.
        frame: Vec<u8>,
    },
    /// A process timer fires (ping's next send, a deadline, `sleep`).
    Wake {
        /// The process.
        pid: Pid,
    },
    /// A socket timer fires (SYN retransmit, delayed ACK, TIME_WAIT).
    SockTimer {
        /// The socket.
        sock: socket::SockId,
        /// The timer generation it was armed with (stale when older).
        gen: u64,
    },
}

/// Where a process's output goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Sink {
    /// The script's standard output.
    Stdout,
    /// The script's standard error.
    Stderr,
    /// `/dev/null`.
    Null,
    /// A file (path as written in the script, relative to the out dir).
    File(String),
    /// An in-memory pipe read by the next command of a pipeline.
    Pipe(usize),
}

/// A process's standard output and error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stdio {
    /// fd 1.
    pub out: Sink,
    /// fd 2.
    pub err: Sink,
}

impl Default for Stdio {
    fn default() -> Self {
        Stdio { out: Sink::Stdout, err: Sink::Stderr }
    }
}

/// Which terminal stream a chunk of output went to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    /// stdout.
    Out,
    /// stderr.
    Err,
}

/// Counters for `run --stats`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Stats {
    /// Events processed.
    pub events: u64,
    /// Frames created.
    pub packets: u64,
    /// Device hops (a frame handled by one device).
    pub hops: u64,
}

/// The simulator: a world plus time, randomness, queue, processes, output.
pub struct Engine {
    /// The world.
    pub world: World,
    /// Now, in nanoseconds of virtual time.
    pub now: u64,
    /// The one generator.
    pub rng: Rng,
    queue: BinaryHeap<Reverse<(u64, u64)>>,
    pending: BTreeMap<u64, Event>,
    seq: u64,
    /// Running and finished processes.
    pub procs: BTreeMap<Pid, Process>,
    next_pid: u32,
    /// Output in order: stream and text.
    pub output: Vec<(Stream, String)>,
    /// Files written by the script (paths relative to the out dir).
    pub files: BTreeMap<String, Vec<u8>>,
    /// Pipe buffers.
    pub pipes: Vec<String>,
    /// The typed trace.
    pub trace: Trace,
    /// Counters.
    pub stats: Stats,
    /// The most events this run may process. When it is spent the queue is
    /// emptied, [`Engine::budget_exhausted`] says why, and the interpreter
    /// stops the script with that explanation.
    pub event_budget: u64,
    /// Set when [`Engine::event_budget`] ran out: an explanation naming the
    /// frames that were still in flight and where.
    pub budget_exhausted: Option<String>,
    /// The scenario seed.
    pub seed: u64,
    /// TCP and UDP sockets of every namespace.
    pub sockets: socket::Sockets,
    /// Capture taps: (device, tcpdump process).
    pub taps: Vec<(LinkId, Pid)>,
    /// The Docker daemon's networks and containers (`tools::docker`, `tools::clab`).
    pub docker: crate::tools::docker::Daemon,
    /// `reachable_time` per namespace, drawn on first use.
    reachable: BTreeMap<NsId, u64>,
    /// Carrier of each link at the last refresh (to see carrier events).
    /// Indexed by `LinkId` (ids are dense and never reused): a map here made
    /// every configuration command cost a tree insert per link.
    last_carrier: Vec<Option<bool>>,
    /// `skb->_nfct` of the packet in the hooks now (see `conntrack`).
    pub(crate) skb_ct: conntrack::SkbCt,
    /// `skb->mark` of the packet in the hooks now (`MARK`, `-m mark`).
    pub(crate) skb_mark: u32,
    /// Each namespace's and hook's interleaved netfilter steps (iptables,
    /// iptables-legacy, nft chains) with the ruleset generation they are for.
    pub(crate) nf_steps: BTreeMap<(NsId, crate::model::nf::Hook), (u64, Vec<netfilter::Step>)>,
    /// The next `ip_output_local` packet is the kernel's own (echo reply,
    /// RST for a closed port): its socket has no file (`-m owner`).
    pub(crate) out_kernel: bool,
    /// The kernel log (`printk` ring buffer) `dmesg` reads: when (ns of
    /// virtual time) and the line (`LOG` target lines only).
    pub kmsg: Vec<(u64, String)>,
    /// Bridged-DNAT packets waiting in a neighbour queue, by token.
    brdnat: BTreeMap<u64, datapath::BridgedDnat>,
    brdnat_next: u64,
    /// Nesting depth of operations whose carrier events are held back.
    deferring: u32,
    /// A refresh was asked for while held back.
    refresh_pending: bool,
}

impl Engine {
    /// A fresh host with the given profile and seed.
    pub fn new(profile: HostProfile, seed: u64) -> Engine {
        Engine {
            world: World::new(profile),
            now: 0,
            rng: Rng::new(seed),
            queue: BinaryHeap::new(),
            pending: BTreeMap::new(),
            seq: 0,
            procs: BTreeMap::new(),
            next_pid: 1000,
            output: Vec::new(),
            files: BTreeMap::new(),
            pipes: Vec::new(),
            trace: Trace::default(),
            stats: Stats::default(),
            event_budget: DEFAULT_EVENT_BUDGET,
            budget_exhausted: None,
            seed,
            taps: Vec::new(),
            docker: crate::tools::docker::Daemon::default(),
            sockets: socket::Sockets::default(),
            reachable: BTreeMap::new(),
            last_carrier: Vec::new(),
            skb_ct: conntrack::SkbCt::None,
            skb_mark: 0,
            nf_steps: BTreeMap::new(),
            out_kernel: false,
            kmsg: Vec::new(),
            brdnat: BTreeMap::new(),
            brdnat_next: 1,
            deferring: 0,
            refresh_pending: false,
        }
    }

    /// Schedules an event at an absolute time.
    pub fn schedule(&mut self, at: u64, ev: Event) {
        let seq = self.seq;
        self.seq += 1;
        self.queue.push(Reverse((at.max(self.now), seq)));
        self.pending.insert(seq, ev);
    }

    /// Time of the next event, if any.
    pub fn next_event_time(&self) -> Option<u64> {
        self.queue.peek().map(|Reverse((t, _))| *t)
    }

    /// Runs one event. Returns false when the queue is empty, or was emptied
    /// because the event budget ran out.
    pub fn step(&mut self) -> bool {
        if self.stats.events >= self.event_budget || self.pending.len() > MAX_IN_FLIGHT {
            self.exhaust_budget();
            return false;
        }
        let Some(Reverse((t, seq))) = self.queue.pop() else {
            return false;
        };
        let ev = self.pending.remove(&seq).expect("every queued seq has its event");
        self.now = t;
        self.stats.events += 1;
        // Each event starts outside any packet; rx and xmit find theirs.
        self.trace.cur = 0;
        match ev {
            Event::Rx { link, frame, ct } => self.rx(link, frame, ct),
            Event::NeighTimer { ns, dev, ip } => self.neigh_timer(ns, dev, ip),
            Event::Wake { pid } => self.wake(pid),
            Event::SockTimer { sock, gen } => self.sock_timer(sock, gen),
            Event::Xmit { link, frame } => {
                if self.world.link_alive(link) {
                    self.xmit(link, frame);
                }
            }
        }
        true
    }

    /// Stops the simulation: explains what was in flight when the budget ran
    /// out, then drops every pending event.
    // DIVERGENCE: the kernel keeps a broadcast storm going for as long as the
    // loop exists (saturating CPUs and links); netsim stops the run with an
    // error once the budget is spent.
    fn exhaust_budget(&mut self) {
        if self.budget_exhausted.is_none() {
            let mut frames: BTreeMap<String, u64> = BTreeMap::new();
            let mut in_flight = 0u64;
            for ev in self.pending.values() {
                if let Event::Rx { link, .. } | Event::Xmit { link, .. } = ev {
                    in_flight += 1;
                    let l = self.world.link(*link);
                    let ns = self.world.ns_name(l.ns).unwrap_or("root").to_string();
                    *frames.entry(format!("{} (netns {ns})", l.name)).or_default() += 1;
                }
            }
            let mut busiest: Vec<(String, u64)> = frames.into_iter().collect();
            busiest.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            let places: Vec<String> = busiest.iter().take(4).map(|(d, n)| format!("{n} arriving at {d}")).collect();
            let limit = if self.stats.events >= self.event_budget {
                format!("the event budget ({}) ran out", self.event_budget)
            } else {
                format!("more than {MAX_IN_FLIGHT} frames were in flight")
            };
            self.budget_exhausted = Some(format!(
                "{limit}: the simulation stopped after {} events at virtual time {}.{:09}s with {} frame(s) still in flight ({}): \
                 frames that never stop circulating are most likely a bridge loop (a broadcast storm: Linux bridges \
                 run without STP unless `stp_state 1` is set, and netsim does not model STP) or a forwarding loop \
                 without a TTL to end it",
                self.stats.events,
                self.now / 1_000_000_000,
                self.now % 1_000_000_000,
                in_flight,
                if places.is_empty() { "none".to_string() } else { places.join(", ") },
            ));
        }
        self.queue.clear();
        self.pending.clear();
    }

    /// Runs events up to and including time `t`, then sets the clock to `t`.
    pub fn run_until(&mut self, t: u64) {
        while self.next_event_time().is_some_and(|n| n <= t) {
            self.step();
        }
        self.now = self.now.max(t);
    }

    /// Runs until `done` holds or the event queue is exhausted; returns
    /// whether `done` holds.
    pub fn run_while(&mut self, mut done: impl FnMut(&Engine) -> bool) -> bool {
        loop {
            if done(self) {
                return true;
            }
            if !self.step() {
                return done(self);
            }
        }
    }

    /// Allocates a pid.
    pub fn alloc_pid(&mut self) -> Pid {
        let p = Pid(self.next_pid);
        self.next_pid += 1;
        p
    }

    /// Writes text to a sink.
    pub fn write(&mut self, sink: &Sink, text: &str) {
        if text.is_empty() {
            return;
        }
        match sink {
            Sink::Stdout => self.push_output(Stream::Out, text),
            Sink::Stderr => self.push_output(Stream::Err, text),
            Sink::Null => {}
            Sink::File(path) => self.files.entry(path.clone()).or_default().extend_from_slice(text.as_bytes()),
            Sink::Pipe(i) => {
                if let Some(p) = self.pipes.get_mut(*i) {
                    p.push_str(text);
                }
            }
        }
    }

    fn push_output(&mut self, s: Stream, text: &str) {
        match self.output.last_mut() {
            Some((last, buf)) if *last == s => buf.push_str(text),
            _ => self.output.push((s, text.to_string())),
        }
    }

    /// Records a drop in the trace.
    pub fn drop_frame(&mut self, link: Option<LinkId>, reason: DropReason, why: &str) {
        if self.trace.enabled {
            self.trace.push(&self.world, self.now, link, TraceKind::Drop { reason, why: why.to_string() });
        }
    }
}
