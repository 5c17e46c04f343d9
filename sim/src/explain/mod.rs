//! The explainer: turns a typed trace into one story per packet, each step
//! with its evidence, ending with the outcome (delivered, dropped with the
//! kernel's drop reason, or consumed without answer) and, for a packet that
//! did not get through, a hint naming the sysctl, route or rule that would
//! change it.
//!
//! Submodules: [`text`] (the human story, `netsim explain`), [`json`] (the
//! `--json` form and its schema), [`hint`] (what would change an outcome),
//! [`pcapng`] (every traced frame, commented with its story).
//! Not here: recording the trace (see [`crate::trace`]) or drawing it (the
//! TUI, pcapng comments and graphs call [`stories`] and [`text`]).

pub mod hint;
pub mod json;
pub mod pcapng;
pub mod text;

use crate::engine::Engine;
use crate::model::{HostProfile, LinkId, World};
use crate::trace::{DropReason, PktId, Trace, TraceEvent, TraceKind};
use crate::{RunOutput, SimFailure};

/// A run with its trace and the world as the script left it.
pub struct Traced {
    /// What the script printed and wrote.
    pub run: RunOutput,
    /// The trace.
    pub trace: Trace,
    /// The world at the end.
    pub world: World,
    /// The host profile the run started from.
    pub profile: HostProfile,
    /// The seed.
    pub seed: u64,
}

/// Runs a script with tracing on (as [`crate::simulate`] does otherwise).
///
/// # Errors
/// [`SimFailure`] for a script netsim cannot read or run faithfully.
pub fn run_traced(src: &str, file: &str, profile: HostProfile, seed: u64) -> Result<Traced, Box<SimFailure>> {
    run_traced_with(src, file, profile, seed, false)
}

/// [`run_traced`], keeping a copy of the world at every transmit, receive
/// and drop when `keep_worlds` (see [`Trace::world_at`]).
///
/// # Errors
/// [`SimFailure`] for a script netsim cannot read or run faithfully.
pub fn run_traced_with(
    src: &str,
    file: &str,
    profile: HostProfile,
    seed: u64,
    keep_worlds: bool,
) -> Result<Traced, Box<SimFailure>> {
    let mut eng = Engine::new(profile.clone(), seed);
    eng.trace.enabled = true;
    eng.trace.keep_worlds = keep_worlds;
    let run = crate::run_on(&mut eng, src, file)?;
    Ok(Traced { run, trace: std::mem::take(&mut eng.trace), world: eng.world, profile, seed })
}

/// How a packet's story ends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OutcomeKind {
    /// Taken by a socket or answered by the stack.
    Delivered,
    /// Freed with a drop reason.
    Dropped(DropReason),
    /// Consumed without answer and without a drop reason (an ARP request
    /// the kernel chose not to answer).
    Ignored,
    /// Sent where nothing more of it is traced (a bridge port with nothing
    /// behind it, or still waiting when the script ended).
    NoFurther,
}

/// A packet's outcome, with where and why, and what would change it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// What happened in the end.
    pub kind: OutcomeKind,
    /// The device where it ended, when there was one.
    pub at: Option<LinkId>,
    /// Where it ended: `ns/dev`, or the namespace.
    pub place: String,
    /// The cause in words.
    pub why: String,
    /// What would change the outcome (for packets that did not get through).
    pub hint: Option<String>,
}

/// One packet's story.
#[derive(Clone, Debug)]
pub struct Story<'a> {
    /// The packet.
    pub id: PktId,
    /// The packet it was born while processing.
    pub parent: Option<PktId>,
    /// Its events in order.
    pub events: Vec<&'a TraceEvent>,
    /// The frame as built (or first seen).
    pub frame: &'a [u8],
    /// Where it was born: `ns` or `ns/dev`.
    pub origin: String,
    /// Who built it.
    pub by: &'static str,
    /// Time of the first event (ns).
    pub time: u64,
    /// The ending.
    pub outcome: Outcome,
}

/// Where each event of a story happened ([`place`]), a step with no device
/// or namespace of its own taking the previous step's namespace.
pub fn places(trace: &Trace, events: &[&TraceEvent]) -> Vec<String> {
    let mut last = String::new();
    events
        .iter()
        .map(|e| {
            let p = place(trace, e);
            if p.is_empty() {
                last.split('/').next().unwrap_or_default().to_string()
            } else {
                last.clone_from(&p);
                p
            }
        })
        .collect()
}

/// Where an event happened, as `ns/dev`, or `ns` for a step with no device.
pub fn place(trace: &Trace, ev: &TraceEvent) -> String {
    if let Some(d) = ev.link.and_then(|l| trace.devs.get(&l)) {
        return format!("{}/{}", d.ns_name, d.name);
    }
    let ns = match &ev.kind {
        TraceKind::Origin { ns, .. }
        | TraceKind::NfHook { ns, .. }
        | TraceKind::NftVerdict { ns, .. }
        | TraceKind::Route { ns, .. }
        | TraceKind::RpFilter { ns, .. }
        | TraceKind::Conntrack { ns, .. }
        | TraceKind::Nat { ns, .. }
        | TraceKind::ForwardingOff { ns, .. } => Some(*ns),
        _ => None,
    };
    ns.and_then(|n| trace.ns_names.get(&n)).cloned().unwrap_or_default()
}

/// A device's `ns/name`.
pub fn dev_name(trace: &Trace, l: LinkId) -> String {
    trace.devs.get(&l).map_or_else(|| format!("if{}", l.0), |d| format!("{}/{}", d.ns_name, d.name))
}

/// A device's name alone.
pub fn short_name(trace: &Trace, l: LinkId) -> String {
    trace.devs.get(&l).map_or_else(|| format!("if{}", l.0), |d| d.name.clone())
}

/// Every packet's story, in order of birth; `keep` selects packets by
/// their frames (any frame of the packet it accepts keeps the story).
pub fn stories<'a>(trace: &'a Trace, keep: &dyn Fn(&[u8]) -> bool) -> Vec<Story<'a>> {
    let mut by_pkt: std::collections::BTreeMap<PktId, Vec<&TraceEvent>> = std::collections::BTreeMap::new();
    for ev in &trace.events {
        if ev.pkt != 0 {
            by_pkt.entry(ev.pkt).or_default().push(ev);
        }
    }
    by_pkt
        .into_iter()
        .filter_map(|(id, events)| build(trace, id, events))
        .filter(|s| {
            s.events.iter().any(|e| match &e.kind {
                TraceKind::Origin { frame, .. } | TraceKind::Tx { frame } | TraceKind::Rx { frame } => keep(frame),
                _ => false,
            })
        })
        .collect()
}

/// A story from its events.
fn build<'a>(trace: &'a Trace, id: PktId, events: Vec<&'a TraceEvent>) -> Option<Story<'a>> {
    {
        let frames = || {
            events.iter().filter_map(|e| match &e.kind {
                TraceKind::Origin { frame, .. } | TraceKind::Tx { frame } | TraceKind::Rx { frame } => {
                    Some(frame.as_slice())
                }
                _ => None,
            })
        };
        let frame = frames().next()?;
        let (origin, by) = match events.iter().find(|e| matches!(e.kind, TraceKind::Origin { .. })) {
            Some(e) => match &e.kind {
                TraceKind::Origin { by, .. } => (place(trace, e), *by),
                _ => unreachable!("found as an Origin"),
            },
            None => (place(trace, events[0]), "a frame from before the trace"),
        };
        let mut story = Story {
            id,
            parent: trace.parent.get(&id).copied(),
            time: events[0].time,
            events,
            frame,
            origin,
            by,
            outcome: Outcome {
                kind: OutcomeKind::NoFurther,
                at: None,
                place: String::new(),
                why: String::new(),
                hint: None,
            },
        };
        story.outcome = outcome(trace, &story);
        Some(story)
    }
}

/// Finds a packet's story by id.
pub fn story(trace: &Trace, id: PktId) -> Option<Story<'_>> {
    let events: Vec<&TraceEvent> = trace.events.iter().filter(|e| e.pkt == id).collect();
    build(trace, id, events)
}

/// Whether an ARP outcome means the ARP packet did its job (answered, or
/// taught the receiver its sender's address).
fn arp_answered(outcome: &str) -> bool {
    ["reply", "proxy reply", "learned"].iter().any(|p| outcome.starts_with(p)) || outcome.ends_with("refreshed")
}

/// How a story ends, with where.
fn outcome(trace: &Trace, s: &Story<'_>) -> Outcome {
    let mut o = outcome_at(trace, s);
    let places = places(trace, &s.events);
    let i = s.events.iter().rposition(|e| e.link == o.at && o.at.is_some()).unwrap_or(s.events.len() - 1);
    o.place = match o.kind {
        OutcomeKind::Dropped(_) => {
            let d = s.events.iter().rposition(|e| matches!(e.kind, TraceKind::Drop { .. })).unwrap_or(i);
            places[d].clone()
        }
        _ => places[i].clone(),
    };
    o
}

/// How a story ends: delivery anywhere wins (a flooded copy that reached
/// its host got through), then a drop, then an ARP request ignored.
fn outcome_at(trace: &Trace, s: &Story<'_>) -> Outcome {
    let delivered = s.events.iter().find(|e| match &e.kind {
        TraceKind::Deliver { .. } => true,
        TraceKind::Arp { outcome, .. } => arp_answered(outcome),
        _ => false,
    });
    if let Some(e) = delivered {
        let why = match &e.kind {
            TraceKind::Deliver { what } => what.clone(),
            TraceKind::Arp { outcome, .. } => format!("ARP {outcome}"),
            _ => String::new(),
        };
        return Outcome { kind: OutcomeKind::Delivered, at: e.link, place: String::new(), why, hint: None };
    }
    if let Some(e) = s.events.iter().rev().find(|e| matches!(e.kind, TraceKind::Drop { .. })) {
        let TraceKind::Drop { reason, why } = &e.kind else { unreachable!("found as a Drop") };
        let hint = hint::for_drop(trace, s, *reason);
        return Outcome {
            kind: OutcomeKind::Dropped(*reason),
            at: e.link,
            place: String::new(),
            why: why.clone(),
            hint,
        };
    }
    if let Some(e) =
        s.events.iter().rev().find(|e| matches!(&e.kind, TraceKind::Arp { outcome, .. } if !arp_answered(outcome)))
    {
        let TraceKind::Arp { outcome, .. } = &e.kind else { unreachable!("found as an Arp") };
        let hint = hint::for_ignored_arp(trace, s);
        return Outcome {
            kind: OutcomeKind::Ignored,
            at: e.link,
            place: String::new(),
            why: format!("ARP {outcome}"),
            hint,
        };
    }
    let last = s.events.last().expect("a story has events");
    let why = match &last.kind {
        TraceKind::Neigh { action: "queue" | "solicit", ip, .. } => {
            format!("waiting in the neighbour queue for {ip} when the script ended")
        }
        _ => "no further step traced (sent where nothing listens)".to_string(),
    };
    Outcome { kind: OutcomeKind::NoFurther, at: last.link, place: String::new(), why, hint: None }
}

/// The `netsim explain` report of a traced run: every story whose frames
/// `filter` accepts, as text or as JSON ([`json`] documents the schema).
pub fn report(t: &Traced, filter: &crate::capture::filter::Filter, as_json: bool) -> String {
    let list = stories(&t.trace, &|f| filter.matches(f));
    if as_json {
        json::render(&t.trace, &list, &t.profile.summary(), t.seed)
    } else {
        let header = format!("netsim explain: {} seed={}, {} packet(s)", t.profile.summary(), t.seed, list.len());
        text::render(&t.trace, &list, &header)
    }
}
