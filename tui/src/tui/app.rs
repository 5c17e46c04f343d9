//! The TUI's state: the traced run, the rows of the event list (every frame
//! at every device, and every drop), the selection, play/pause, the filter
//! and which pane shows on the right. [`App::handle_action`] is the only
//! way it changes; drawing only reads it.

use super::action::Action;
use sim::capture::filter::Filter;
use sim::explain::{stories, OutcomeKind, Traced};
use sim::trace::{PktId, TraceEvent, TraceKind};
use std::collections::{BTreeMap, BTreeSet};

/// What the right-hand pane shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pane {
    /// The selected packet's story.
    Story,
    /// The selected frame's layers.
    Layers,
    /// FDB, neighbours, routes, iptables counters at that moment.
    Tables,
    /// Namespaces, devices and links.
    Topology,
}

impl Pane {
    /// Tab order.
    pub const ALL: [Pane; 4] = [Pane::Story, Pane::Layers, Pane::Tables, Pane::Topology];

    /// Tab title.
    pub fn title(self) -> &'static str {
        match self {
            Pane::Story => "Story",
            Pane::Layers => "Layers",
            Pane::Tables => "Tables",
            Pane::Topology => "Topology",
        }
    }
}

/// The application state.
pub struct App {
    /// The run.
    pub t: Traced,
    /// Indices into the trace's events of the rows shown.
    pub rows: Vec<usize>,
    /// Selected row.
    pub sel: usize,
    /// Advancing one row per tick.
    pub playing: bool,
    /// Right pane.
    pub pane: Pane,
    /// Help overlay shown.
    pub help: bool,
    /// The filter prompt's text while it is open.
    pub prompt: Option<String>,
    /// The filter in force ("" for none).
    pub filter: String,
    /// A message for the status line (a bad filter).
    pub message: Option<String>,
    /// Scroll offset of the right pane.
    pub scroll: u16,
    /// Sideways scroll of the right pane (tables).
    pub hscroll: u16,
    /// Set when the user quits.
    pub quit: bool,
    /// Packets that ended dropped.
    pub dropped: BTreeSet<PktId>,
    /// Each packet's outcome in a few words.
    pub outcomes: BTreeMap<PktId, String>,
}

/// Whether an event is a row of the event list.
fn is_row(e: &TraceEvent) -> bool {
    matches!(e.kind, TraceKind::Tx { .. } | TraceKind::Rx { .. } | TraceKind::Drop { .. }) && e.pkt != 0
}

impl App {
    /// The app at the first event, paused, showing the story.
    pub fn new(t: Traced) -> App {
        let mut dropped = BTreeSet::new();
        let mut outcomes = BTreeMap::new();
        for s in stories(&t.trace, &|_| true) {
            let o = match &s.outcome.kind {
                OutcomeKind::Delivered => "delivered".to_string(),
                OutcomeKind::Dropped(r) => {
                    dropped.insert(s.id);
                    format!("dropped: {}", r.as_str())
                }
                OutcomeKind::Ignored => "no answer".to_string(),
                OutcomeKind::NoFurther => "no further".to_string(),
            };
            outcomes.insert(s.id, o);
        }
        let rows = t.trace.events.iter().enumerate().filter(|(_, e)| is_row(e)).map(|(i, _)| i).collect();
        App {
            t,
            rows,
            sel: 0,
            playing: false,
            pane: Pane::Story,
            help: false,
            prompt: None,
            filter: String::new(),
            message: None,
            scroll: 0,
            hscroll: 0,
            quit: false,
            dropped,
            outcomes,
        }
    }

    /// The selected event: its index in the trace and the event.
    pub fn selected(&self) -> Option<(usize, &TraceEvent)> {
        let i = *self.rows.get(self.sel)?;
        Some((i, &self.t.trace.events[i]))
    }

    fn select(&mut self, row: usize) {
        if row != self.sel {
            self.scroll = 0;
        }
        self.sel = row;
    }

    /// Applies one action.
    pub fn handle_action(&mut self, a: Action) {
        // A message lasts until the next key.
        if !matches!(a, Action::Tick) {
            self.message = None;
        }
        let last = self.rows.len().saturating_sub(1);
        match a {
            Action::Next => self.select((self.sel + 1).min(last)),
            Action::Prev => self.select(self.sel.saturating_sub(1)),
            Action::First => self.select(0),
            Action::Last => self.select(last),
            Action::TogglePlay => self.playing = !self.playing,
            Action::Tick => {
                if self.playing {
                    if self.sel >= last {
                        self.playing = false;
                    } else {
                        self.select(self.sel + 1);
                    }
                }
            }
            Action::NextDrop => {
                let found = (self.sel + 1..self.rows.len()).find(|r| self.is_drop_row(*r));
                match found {
                    Some(r) => self.select(r),
                    None => self.message = Some("no drop after this event".into()),
                }
            }
            Action::PrevDrop => {
                let found = (0..self.sel).rev().find(|r| self.is_drop_row(*r));
                match found {
                    Some(r) => self.select(r),
                    None => self.message = Some("no drop before this event".into()),
                }
            }
            Action::NextPacket => {
                let cur = self.selected().map(|(_, e)| e.pkt);
                let t = &self.t.trace;
                if let Some(r) = (self.sel + 1..self.rows.len()).find(|r| Some(t.events[self.rows[*r]].pkt) != cur) {
                    self.select(r);
                }
            }
            Action::NextPane => {
                let i = Pane::ALL.iter().position(|p| *p == self.pane).unwrap_or(0);
                self.pane = Pane::ALL[(i + 1) % Pane::ALL.len()];
                self.scroll = 0;
            }
            Action::ScrollDown => self.scroll = self.scroll.saturating_add(3),
            Action::ScrollUp => self.scroll = self.scroll.saturating_sub(3),
            Action::ScrollLeft => self.hscroll = self.hscroll.saturating_sub(8),
            Action::ScrollRight => self.hscroll = self.hscroll.saturating_add(8).min(200),
            Action::StartFilter => self.prompt = Some(self.filter.clone()),
            Action::FilterChar(c) => {
                if let Some(p) = &mut self.prompt {
                    p.push(c);
                }
            }
            Action::FilterBackspace => {
                if let Some(p) = &mut self.prompt {
                    p.pop();
                }
            }
            Action::FilterCancel => self.prompt = None,
            Action::FilterApply => {
                if let Some(p) = self.prompt.take() {
                    if let Err(e) = self.set_filter(&p) {
                        self.message = Some(e);
                    }
                }
            }
            Action::ToggleHelp => self.help = !self.help,
            Action::Quit => self.quit = true,
        }
    }

    fn is_drop_row(&self, r: usize) -> bool {
        matches!(self.t.trace.events[self.rows[r]].kind, TraceKind::Drop { .. })
    }

    /// Filters the rows: a tcpdump expression on the packets' frames, or
    /// `dev NAME` (optionally `and EXPR`) for one device (`NAME` or
    /// `ns/NAME`). The selection stays on the same event when it is kept.
    ///
    /// # Errors
    /// The filter's error text.
    pub fn set_filter(&mut self, text: &str) -> Result<(), String> {
        let text = text.trim();
        let (dev, expr) = match text.strip_prefix("dev ") {
            Some(rest) => {
                let rest = rest.trim();
                let (name, tail) = rest.split_once(' ').unwrap_or((rest, ""));
                let tail = tail.trim();
                let tail = tail.strip_prefix("and ").unwrap_or(tail);
                (Some(name.to_string()), tail.to_string())
            }
            None => (None, text.to_string()),
        };
        let filter = Filter::parse(&expr).map_err(|e| format!("filter '{expr}': {e}"))?;
        let trace = &self.t.trace;
        let mut keep_pkts = BTreeSet::new();
        for e in &trace.events {
            if let TraceKind::Tx { frame } | TraceKind::Rx { frame } | TraceKind::Origin { frame, .. } = &e.kind {
                if filter.matches(frame) {
                    keep_pkts.insert(e.pkt);
                }
            }
        }
        let dev_ok = |e: &TraceEvent| match (&dev, e.link.and_then(|l| trace.devs.get(&l))) {
            (None, _) => true,
            (Some(n), Some(d)) => *n == d.name || *n == format!("{}/{}", d.ns_name, d.name),
            (Some(_), None) => false,
        };
        let old = self.selected().map(|(i, _)| i);
        let rows: Vec<usize> = trace
            .events
            .iter()
            .enumerate()
            .filter(|(_, e)| is_row(e) && keep_pkts.contains(&e.pkt) && dev_ok(e))
            .map(|(i, _)| i)
            .collect();
        if rows.is_empty() {
            return Err(format!("no event matches '{text}'"));
        }
        self.sel = old.map_or(0, |o| rows.partition_point(|r| *r < o)).min(rows.len() - 1);
        self.rows = rows;
        self.filter = text.to_string();
        self.scroll = 0;
        Ok(())
    }
}

/// The br_netfilter scenario as the tests' app (docker-host profile:
/// br_netfilter loaded, bridge-nf-call-iptables=1).
#[cfg(test)]
pub(crate) fn test_app() -> App {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("repo").to_path_buf();
    let src = std::fs::read_to_string(root.join("scenarios/br-netfilter-forward-drop.sh")).expect("scenario");
    let profile = sim::model::HostProfile::named("docker-host").expect("a named profile");
    let t = sim::explain::run_traced_with(&src, "br-netfilter-forward-drop.sh", profile, 0, true)
        .unwrap_or_else(|f| panic!("{}", f.error));
    App::new(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app() -> App {
        test_app()
    }

    #[test]
    fn next_drop_walks_from_the_first_arp_to_the_dropped_echo_request() {
        // The br_netfilter walk: the run starts at the first ARP, and "jump
        // to next drop" lands on the echo request FORWARD's policy dropped.
        let mut a = app();
        let (_, first) = a.selected().expect("rows");
        assert!(matches!(&first.kind, TraceKind::Tx { frame } if frame[12..14] == [0x08, 0x06]));
        a.handle_action(Action::NextDrop);
        let (_, e) = a.selected().expect("a drop");
        assert!(matches!(&e.kind, TraceKind::Drop { reason: sim::trace::DropReason::NetfilterDrop, .. }), "{e:?}");
        assert!(a.dropped.contains(&e.pkt));
    }

    #[test]
    fn play_advances_one_event_per_tick_and_stops_at_the_end() {
        // Ticks do nothing while paused; playing moves one row per tick and
        // pauses itself on the last row.
        let mut a = app();
        a.handle_action(Action::Tick);
        assert_eq!(a.sel, 0);
        a.handle_action(Action::TogglePlay);
        a.handle_action(Action::Tick);
        assert_eq!(a.sel, 1);
        a.handle_action(Action::Last);
        a.handle_action(Action::Tick);
        assert!(!a.playing);
        a.handle_action(Action::Prev);
        a.handle_action(Action::First);
        a.handle_action(Action::Prev);
        assert_eq!(a.sel, 0);
    }

    #[test]
    fn filters_by_protocol_and_by_device() {
        // A tcpdump filter keeps only the packets it accepts; `dev` keeps
        // one device's rows; a bad filter leaves the rows alone and says why.
        let mut a = app();
        let all = a.rows.len();
        for c in "icmp".chars() {
            a.handle_action(Action::FilterChar(c));
        }
        assert_eq!(a.rows.len(), all, "typing without the prompt changes nothing");
        a.handle_action(Action::StartFilter);
        for c in "icmp".chars() {
            a.handle_action(Action::FilterChar(c));
        }
        a.handle_action(Action::FilterApply);
        assert!(a.rows.len() < all);
        assert!(a.rows.iter().all(|i| {
            let e = &a.t.trace.events[*i];
            !matches!(&e.kind, TraceKind::Tx { frame } | TraceKind::Rx { frame } if frame[12..14] == [0x08, 0x06])
        }));
        assert!(a.set_filter("dev br-0").is_ok());
        assert!(a.rows.iter().all(|i| a.t.trace.devs[&a.t.trace.events[*i].link.expect("dev")].name == "br-0"));
        let before = a.rows.clone();
        assert!(a.set_filter("icmp and and").is_err());
        assert_eq!(a.rows, before);
    }

    #[test]
    fn panes_cycle_and_help_toggles() {
        // Tab cycles the four panes back to the story; < and > scroll
        // sideways, not past the left edge; ? shows and hides help; q quits.
        let mut a = app();
        for p in [Pane::Layers, Pane::Tables, Pane::Topology, Pane::Story] {
            a.handle_action(Action::NextPane);
            assert_eq!(a.pane, p);
        }
        a.handle_action(Action::ScrollRight);
        assert_eq!(a.hscroll, 8);
        a.handle_action(Action::ScrollLeft);
        a.handle_action(Action::ScrollLeft);
        assert_eq!(a.hscroll, 0);
        a.handle_action(Action::ToggleHelp);
        assert!(a.help);
        a.handle_action(Action::ToggleHelp);
        assert!(!a.help);
        a.handle_action(Action::Quit);
        assert!(a.quit);
    }
}
