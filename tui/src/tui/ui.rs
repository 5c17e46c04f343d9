//! Drawing: reads the [`App`], never changes it. Left, the event list
//! (time, where, tcpdump-style summary; drops in red); right, tabs for the
//! selected packet's story (the current step marked), the frame's layers,
//! the state tables at that moment, and the topology; a status line with
//! the keys. Laid out to stay usable at 80x24.

use super::action::HELP;
use super::app::{App, Pane};
use super::layers::layers;
use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, List, ListItem, ListState, Paragraph, Tabs};
use ratatui::Frame;
use sim::explain::{dev_name, places, story, text};
use sim::graph::EdgeRef;
use sim::model::nf::TableName;
use sim::render::iproute::{ip_neigh_show, ip_route_show, IpOpts, TableSel};
use sim::render::iptables::{list, ListOptions};
use sim::trace::TraceKind;

/// Draws the whole screen.
pub fn draw(f: &mut Frame<'_>, app: &App) {
    let area = f.area();
    let rows = Layout::default()
        .direction(Direction::Vertical)
        .constraints([Constraint::Min(3), Constraint::Length(1)])
        .split(area);
    let cols = Layout::default()
        .direction(Direction::Horizontal)
        .constraints([Constraint::Percentage(45), Constraint::Percentage(55)])
        .split(rows[0]);
    events(f, app, cols[0]);
    right(f, app, cols[1]);
    status(f, app, rows[1]);
    if app.help {
        help(f, area);
    }
}

fn events(f: &mut Frame<'_>, app: &App, area: Rect) {
    let t = &app.t.trace;
    let items: Vec<ListItem<'_>> = app
        .rows
        .iter()
        .map(|i| {
            let e = &t.events[*i];
            let at = e.link.map(|l| dev_name(t, l)).unwrap_or_default();
            let (what, style) = match &e.kind {
                TraceKind::Tx { frame } | TraceKind::Rx { frame } => {
                    let dir = if matches!(e.kind, TraceKind::Tx { .. }) { ">" } else { "<" };
                    // A frame of a packet that ends dropped: yellow, so the
                    // doomed packet stands out before its drop row.
                    let style = if app.dropped.contains(&e.pkt) {
                        Style::default().fg(Color::Yellow)
                    } else {
                        Style::default()
                    };
                    (format!("{dir} {}", text::summary(frame)), style)
                }
                TraceKind::Drop { reason, .. } => (
                    format!("x DROP {}", reason.as_str()),
                    Style::default().fg(Color::Red).add_modifier(Modifier::BOLD),
                ),
                _ => (String::new(), Style::default()),
            };
            ListItem::new(Line::from(format!("{} {at} {what}", text::secs(e.time)))).style(style)
        })
        .collect();
    let title = if app.filter.is_empty() {
        format!(" Events {}/{} ", app.sel + 1, app.rows.len())
    } else {
        format!(" Events {}/{} [{}] ", app.sel + 1, app.rows.len(), app.filter)
    };
    let list = List::new(items)
        .block(Block::default().borders(Borders::ALL).title(title))
        .highlight_style(Style::default().add_modifier(Modifier::REVERSED));
    let mut state = ListState::default().with_selected(Some(app.sel));
    f.render_stateful_widget(list, area, &mut state);
}

fn right(f: &mut Frame<'_>, app: &App, area: Rect) {
    let parts = Layout::default()
        .direction(Direction::Vertical)
        .constraints([Constraint::Length(1), Constraint::Min(1)])
        .split(area);
    let titles: Vec<&str> = Pane::ALL.iter().map(|p| p.title()).collect();
    let sel = Pane::ALL.iter().position(|p| *p == app.pane).unwrap_or(0);
    let tabs = Tabs::new(titles).select(sel).highlight_style(Style::default().add_modifier(Modifier::REVERSED));
    f.render_widget(tabs, parts[0]);
    let lines = match app.pane {
        Pane::Story => story_lines(app),
        Pane::Layers => layer_lines(app),
        Pane::Tables => table_lines(app),
        Pane::Topology => topology_lines(app),
    };
    // Wrap by hand so the row of the current step is known, and keep it in
    // view (the user's own scrolling adds to that).
    let inner_w = usize::from(parts[1].width.saturating_sub(2)).max(1);
    let inner_h = parts[1].height.saturating_sub(2);
    let mut rows: Vec<Line<'static>> = Vec::new();
    let mut focus = None;
    for (text, style) in lines {
        if style.add_modifier.contains(Modifier::REVERSED) && focus.is_none() {
            focus = Some(rows.len() as u16);
        }
        if app.pane == Pane::Story || app.pane == Pane::Layers {
            rows.extend(wrap(&text, inner_w).into_iter().map(|l| Line::from(Span::styled(l, style))));
        } else {
            // Tables keep their columns: cut, not wrapped.
            rows.push(Line::from(Span::styled(expand_tabs(&text), style)));
        }
    }
    let auto = focus.map_or(0, |r| r.saturating_sub(inner_h / 2));
    let h = if matches!(app.pane, Pane::Tables | Pane::Topology) { app.hscroll } else { 0 };
    let p = Paragraph::new(rows).block(Block::default().borders(Borders::ALL)).scroll((auto + app.scroll, h));
    f.render_widget(p, parts[1]);
}

/// Tabs expanded to the next multiple of 8 columns, as a terminal shows them.
fn expand_tabs(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c == '\t' {
            let n = 8 - out.chars().count() % 8;
            out.extend(std::iter::repeat_n(' ', n));
        } else {
            out.push(c);
        }
    }
    out
}

/// Splits `text` into rows of at most `width` characters, at a space when
/// there is one; continuation rows are indented by two.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut start = 0;
    while start < chars.len() {
        let avail = if out.is_empty() { width } else { width.saturating_sub(2).max(1) };
        let indent = if out.is_empty() { "" } else { "  " };
        if chars.len() - start <= avail {
            out.push(format!("{indent}{}", chars[start..].iter().collect::<String>()));
            break;
        }
        let end = (start + 1..=start + avail).rev().find(|&i| chars[i] == ' ').unwrap_or(start + avail);
        out.push(format!("{indent}{}", chars[start..end].iter().collect::<String>()));
        start = end;
        while start < chars.len() && chars[start] == ' ' {
            start += 1;
        }
    }
    if out.is_empty() {
        out.push(String::new());
    }
    out
}

/// A pane's logical lines with their styles; the current step is the
/// first line styled REVERSED.
type Lines = Vec<(String, Style)>;

fn plain(v: Vec<String>) -> Lines {
    v.into_iter().map(|l| (l, Style::default())).collect()
}

fn story_lines(app: &App) -> Lines {
    let t = &app.t.trace;
    let Some((idx, sel)) = app.selected() else { return plain(vec!["no event".into()]) };
    let Some(s) = story(t, sel.pkt) else { return plain(vec!["no story".into()]) };
    let mut out = vec![
        (
            format!("packet #{} from {}: {}", s.id, s.origin, app.outcomes.get(&s.id).cloned().unwrap_or_default()),
            Style::default().add_modifier(Modifier::BOLD),
        ),
        (text::summary(s.frame), Style::default()),
    ];
    let sel_ptr: *const _ = &t.events[idx];
    for (e, place) in s.events.iter().zip(places(t, &s.events)) {
        let Some(step) = text::step(t, e) else { continue };
        let here = std::ptr::eq(*e, sel_ptr);
        let mark = if here { "> " } else { "  " };
        let style = if here { Style::default().add_modifier(Modifier::REVERSED) } else { Style::default() };
        let mut first = true;
        for l in step.lines() {
            let text = if first { format!("{mark}{place} {l}") } else { format!("   {}", l.trim_start()) };
            first = false;
            out.push((text, style));
        }
    }
    if let Some(h) = &s.outcome.hint {
        out.push((format!("hint: {h}"), Style::default().fg(Color::Yellow)));
    }
    out
}

fn layer_lines(app: &App) -> Lines {
    let Some((_, e)) = app.selected() else { return vec![] };
    let frame = match &e.kind {
        TraceKind::Tx { frame } | TraceKind::Rx { frame } => frame.clone(),
        _ => match story(&app.t.trace, e.pkt) {
            Some(s) => s.frame.to_vec(),
            None => return vec![],
        },
    };
    plain(layers(&frame))
}

fn table_lines(app: &App) -> Lines {
    let t = &app.t.trace;
    let Some((idx, e)) = app.selected() else { return vec![] };
    let Some(w) = t.world_at(idx) else {
        return plain(vec!["no state copies kept in this run".into()]);
    };
    let Some(dev) = e.link.and_then(|l| t.devs.get(&l)) else { return vec![] };
    let ns = dev.ns;
    if !w.ns_alive(ns) {
        return plain(vec!["the namespace is gone".into()]);
    }
    let mut out: Vec<String> = vec![format!("state in {} at {}s", dev.ns_name, text::secs(e.time))];
    let opts = IpOpts { now_ns: e.time, ..IpOpts::default() };
    out.push("-- ip route".into());
    out.extend(ip_route_show(w, ns, TableSel::Main, None, &opts).unwrap_or_default().lines().map(str::to_string));
    out.push("-- ip neigh".into());
    out.extend(ip_neigh_show(w, ns, None, &opts).unwrap_or_default().lines().map(str::to_string));
    for l in w.links_in(ns) {
        let link = w.link(l);
        if link.bridge().is_some() {
            out.push(format!("-- brctl showmacs {}", link.name));
            let macs = sim::render::bridge::brctl_showmacs(w, ns, &link.name, e.time).unwrap_or_default();
            out.extend(macs.lines().map(str::to_string));
        }
    }
    let conns: Vec<String> = w
        .ns(ns)
        .ct
        .iter()
        .filter(|(_, c)| c.expires > e.time)
        .map(|(_, c)| {
            let mut l = String::new();
            sim::render::conntrack::line(&mut l, c, e.time, false);
            l.trim_end().to_string()
        })
        .collect();
    if !conns.is_empty() {
        out.push("-- conntrack -L".into());
        out.extend(conns);
    }
    if let Some(tb) = w.ns(ns).nf.table(TableName::Nat) {
        out.push("-- iptables -t nat -L -n -v".into());
        let o = ListOptions { numeric: true, verbose: true, ..ListOptions::default() };
        out.extend(list(tb, None, &o).lines().map(str::to_string));
    }
    if let Some(tb) = w.ns(ns).nf.table(TableName::Filter) {
        out.push("-- iptables -L -n -v".into());
        let o = ListOptions { numeric: true, verbose: true, ..ListOptions::default() };
        out.extend(list(tb, None, &o).lines().map(str::to_string));
    }
    plain(out)
}

fn topology_lines(app: &App) -> Lines {
    let t = &app.t.trace;
    let Some((idx, e)) = app.selected() else { return vec![] };
    let w = t.world_at(idx).unwrap_or(&app.t.world);
    let g = sim::graph::topology(w);
    let here = e.link.and_then(|l| t.devs.get(&l)).map(|d| (d.ns_name.clone(), d.name.clone()));
    let mut nodes: Vec<_> = g.node_indices().collect();
    nodes.sort_by(|a, b| (&g[*a].ns, &g[*a].name).cmp(&(&g[*b].ns, &g[*b].name)));
    let mut out = Vec::new();
    let mut last_ns = String::new();
    for n in nodes {
        let node = &g[n];
        if node.ns != last_ns {
            out.push((format!("[{}]", node.ns), Style::default().add_modifier(Modifier::BOLD)));
            last_ns.clone_from(&node.ns);
        }
        let links: Vec<String> = g
            .edges(n)
            .map(|er| {
                let other = if er.source() == n { er.target() } else { er.source() };
                let kind = match er.weight() {
                    sim::graph::Edge::Veth => "veth",
                    sim::graph::Edge::Port => "port",
                };
                format!("{kind} {}/{}", g[other].ns, g[other].name)
            })
            .collect();
        let is_here = here.as_ref().is_some_and(|(ns, name)| *ns == node.ns && *name == node.name);
        let text = format!(
            "{}{} {} {} {}",
            if is_here { "> " } else { "  " },
            node.name,
            node.kind,
            node.addrs.join(" "),
            if links.is_empty() { String::new() } else { format!("-- {}", links.join(", ")) }
        );
        let style = if is_here { Style::default().add_modifier(Modifier::REVERSED) } else { Style::default() };
        out.push((text, style));
    }
    out
}

fn status(f: &mut Frame<'_>, app: &App, area: Rect) {
    let line = if let Some(p) = &app.prompt {
        format!("filter: {p}_   (Enter apply, Esc cancel)")
    } else if let Some(m) = &app.message {
        m.clone()
    } else {
        let state = if app.playing { "PLAYING" } else { "paused" };
        format!("[{state}] space play  j/k step  d next drop  / filter  Tab pane  ? help  q quit")
    };
    f.render_widget(Paragraph::new(line).style(Style::default().add_modifier(Modifier::REVERSED)), area);
}

fn help(f: &mut Frame<'_>, area: Rect) {
    let w = 60.min(area.width);
    let h = (HELP.len() as u16 + 2).min(area.height);
    let r = Rect { x: area.x + (area.width - w) / 2, y: area.y + (area.height - h) / 2, width: w, height: h };
    let lines: Vec<Line<'_>> = HELP.iter().map(|(k, v)| Line::from(format!("{k:<10} {v}"))).collect();
    f.render_widget(Clear, r);
    f.render_widget(Paragraph::new(lines).block(Block::default().borders(Borders::ALL).title(" Keys ")), r);
}

#[cfg(test)]
mod tests {
    use super::super::action::Action;
    use super::super::app::test_app;
    use super::*;
    use ratatui::backend::TestBackend;
    use ratatui::Terminal;

    fn frame(app: &App, w: u16, h: u16) -> String {
        let mut term = Terminal::new(TestBackend::new(w, h)).expect("test backend");
        term.draw(|f| draw(f, app)).expect("draw");
        format!("{}", term.backend())
    }

    #[test]
    fn walks_the_br_netfilter_scenario_to_the_forward_policy_drop() {
        // The classroom walk at 80x24: the first ARP, then "next drop" on the
        // echo request that FORWARD's policy dropped (story with the hint),
        // then the tables at that moment with the policy counter at 1, and
        // at the second drop, at 2.
        let mut app = test_app();
        insta::assert_snapshot!("tui-80x24-start", frame(&app, 80, 24));
        app.handle_action(Action::NextDrop);
        insta::assert_snapshot!("tui-80x24-first-drop-story", frame(&app, 80, 24));
        app.handle_action(Action::NextPane);
        insta::assert_snapshot!("tui-80x24-first-drop-layers", frame(&app, 80, 24));
        app.handle_action(Action::NextPane);
        let tables = frame(&app, 100, 30);
        assert!(tables.contains("Chain FORWARD (policy DROP 1 packets, 84 bytes)"), "{tables}");
        insta::assert_snapshot!("tui-100x30-first-drop-tables", tables);
        app.handle_action(Action::NextDrop);
        let tables = frame(&app, 100, 30);
        assert!(tables.contains("Chain FORWARD (policy DROP 2 packets, 168 bytes)"), "{tables}");
        app.handle_action(Action::NextPane);
        insta::assert_snapshot!("tui-80x24-topology", frame(&app, 80, 24));
        app.handle_action(Action::ToggleHelp);
        insta::assert_snapshot!("tui-80x24-help", frame(&app, 80, 24));
    }

    #[test]
    fn wrap_keeps_rows_within_the_width() {
        // Every wrapped row fits; words are not split when a space allows.
        for w in [5, 20, 41] {
            let rows = wrap("iptables FORWARD (-i br-0 -o br-0): DROP because of the policy", w);
            assert!(rows.iter().all(|r| r.chars().count() <= w), "{rows:?}");
        }
        assert_eq!(wrap("ab cd", 4), vec!["ab", "  cd"]);
    }
}
