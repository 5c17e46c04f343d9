//! What a key press asks the app to do, and the key map. Kept apart from
//! the state so tests can drive the app with actions and no terminal.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Everything the user can ask for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Select the next event.
    Next,
    /// Select the previous event.
    Prev,
    /// First event.
    First,
    /// Last event.
    Last,
    /// Start or stop playing (one event per tick).
    TogglePlay,
    /// A timer tick: advance when playing.
    Tick,
    /// Jump to the next drop.
    NextDrop,
    /// Jump to the previous drop.
    PrevDrop,
    /// Jump to the next event of another packet.
    NextPacket,
    /// Show the next pane on the right (story, layers, tables, topology).
    NextPane,
    /// Scroll the right pane down.
    ScrollDown,
    /// Scroll the right pane up.
    ScrollUp,
    /// Scroll the right pane left (tables are cut, not wrapped).
    ScrollLeft,
    /// Scroll the right pane right.
    ScrollRight,
    /// Open the filter prompt.
    StartFilter,
    /// A character typed into the filter prompt.
    FilterChar(char),
    /// Backspace in the filter prompt.
    FilterBackspace,
    /// Apply the typed filter.
    FilterApply,
    /// Close the prompt without applying.
    FilterCancel,
    /// Show or hide the help overlay.
    ToggleHelp,
    /// Leave.
    Quit,
}

/// The action for a key, given whether the filter prompt is open.
pub fn action_for(key: KeyEvent, prompting: bool) -> Option<Action> {
    if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
        return Some(Action::Quit);
    }
    if prompting {
        return match key.code {
            KeyCode::Enter => Some(Action::FilterApply),
            KeyCode::Esc => Some(Action::FilterCancel),
            KeyCode::Backspace => Some(Action::FilterBackspace),
            KeyCode::Char(c) => Some(Action::FilterChar(c)),
            _ => None,
        };
    }
    Some(match key.code {
        KeyCode::Char('q') | KeyCode::Esc => Action::Quit,
        KeyCode::Down | KeyCode::Char('j') | KeyCode::Right | KeyCode::Char('l') => Action::Next,
        KeyCode::Up | KeyCode::Char('k') | KeyCode::Left | KeyCode::Char('h') => Action::Prev,
        KeyCode::Home | KeyCode::Char('g') => Action::First,
        KeyCode::End | KeyCode::Char('G') => Action::Last,
        KeyCode::Char(' ') | KeyCode::Char('p') => Action::TogglePlay,
        KeyCode::Char('d') => Action::NextDrop,
        KeyCode::Char('D') => Action::PrevDrop,
        KeyCode::Char('n') => Action::NextPacket,
        KeyCode::Tab => Action::NextPane,
        KeyCode::PageDown | KeyCode::Char('J') => Action::ScrollDown,
        KeyCode::PageUp | KeyCode::Char('K') => Action::ScrollUp,
        KeyCode::Char('<') => Action::ScrollLeft,
        KeyCode::Char('>') => Action::ScrollRight,
        KeyCode::Char('/') | KeyCode::Char('f') => Action::StartFilter,
        KeyCode::Char('?') => Action::ToggleHelp,
        _ => return None,
    })
}

/// The help overlay's lines: key and what it does.
pub const HELP: &[(&str, &str)] = &[
    ("j / Down", "next event"),
    ("k / Up", "previous event"),
    ("g / G", "first / last event"),
    ("space", "play / pause"),
    ("d / D", "next / previous drop"),
    ("n", "next packet"),
    ("Tab", "story, layers, tables, topology"),
    ("J / K", "scroll the right pane"),
    ("< / >", "scroll a table sideways"),
    ("/", "filter: tcpdump syntax, or dev NAME [and ...]"),
    ("?", "this help"),
    ("q", "quit"),
];
