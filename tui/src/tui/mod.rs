//! `netsim tui SCRIPT`: step through a traced run in the terminal.
//!
//! The script runs once, to the end, with the trace on and a copy of the
//! world kept at every frame (the "state at that moment"); the TUI then
//! only walks that record, so its frame rate never changes the simulation.
//! Submodules: [`action`] (actions and the key map), [`app`] (state),
//! [`ui`] (drawing), [`layers`] (a frame's protocol layers).

pub mod action;
pub mod app;
pub mod layers;
pub mod ui;

use anyhow::Result;
use crossterm::event::{self, Event, KeyEventKind};
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

/// Time between two steps while playing.
const TICK: Duration = Duration::from_millis(400);

/// The subcommand.
pub fn tui(script: &Path, seed: u64, profile: sim::model::HostProfile) -> Result<ExitCode> {
    let src = crate::explain::read_script(script)?;
    let t = sim::explain::run_traced_with(&src, &script.display().to_string(), profile, seed, true)
        .map_err(|f| anyhow::anyhow!("{}", f.error))?;
    let mut app = app::App::new(t);
    let mut terminal = ratatui::init();
    let res = run(&mut terminal, &mut app);
    ratatui::restore();
    res.map(|()| ExitCode::SUCCESS)
}

fn run(terminal: &mut ratatui::DefaultTerminal, app: &mut app::App) -> Result<()> {
    while !app.quit {
        terminal.draw(|f| ui::draw(f, app))?;
        if event::poll(TICK)? {
            if let Event::Key(k) = event::read()? {
                if k.kind == KeyEventKind::Press {
                    if let Some(a) = action::action_for(k, app.prompt.is_some()) {
                        app.handle_action(a);
                    }
                }
            }
        } else {
            app.handle_action(action::Action::Tick);
        }
    }
    Ok(())
}
