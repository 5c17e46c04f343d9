//! Runs a parsed script against the engine, in virtual time, as bash would.
//!
//! Supported: simple commands with assignments and redirections, pipelines
//! (standard input of the next command), `&&`, `||`, `!`, `&` jobs with
//! `$!`, `kill [-SIG] %N|PID`, `wait`, `sleep` (advances virtual time),
//! `for`, `if`, `while`, `{ }` groups, `echo`, `set -e/-x/-v`, `exit`.
//! Commands run as the real tools do ([`crate::tools`]); a command netsim
//! does not model stops the run with a [`RunError`] naming file:line:column.
//! [`check`] finds such commands before anything runs.

use super::proc::{Pid, Process};
use super::{Engine, Sink, Stdio};
use crate::scenario::{
    expand_heredoc, expand_word, expand_word_single, AndOr, AndOrOp, Command, ListItem, Pipeline, RedirectKind, Script,
    SimpleCommand, Span, WordPart,
};
use crate::tools::{self, Ctx, Outcome};
use std::collections::BTreeMap;

/// A run stopped on a command netsim cannot run faithfully.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}:{col}: {command}: {message}")]
pub struct RunError {
    /// Script path.
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub col: u32,
    /// The command as written (first word).
    pub command: String,
    /// What is wrong and what is supported.
    pub message: String,
}

/// Shell builtins the interpreter itself runs (they act on the shell).
const BUILTINS: &[&str] = &["kill", "wait", "set", "exit"];

/// Walks the script and refuses commands netsim does not model, before
/// anything runs (also verify's whitelist: nothing else runs as root).
///
/// # Errors
/// The first unknown command, with its position.
pub fn check(script: &Script, file: &str) -> Result<(), RunError> {
    fn items(v: &[ListItem], file: &str) -> Result<(), RunError> {
        for it in v {
            pipeline(&it.and_or.first, file)?;
            for (_, p) in &it.and_or.rest {
                pipeline(p, file)?;
            }
        }
        Ok(())
    }
    fn pipeline(p: &Pipeline, file: &str) -> Result<(), RunError> {
        for c in &p.commands {
            match c {
                Command::Simple(sc) => simple(sc, file)?,
                Command::For { body, .. } => items(body, file)?,
                Command::If { branches, else_body, .. } => {
                    for (c, b) in branches {
                        items(c, file)?;
                        items(b, file)?;
                    }
                    if let Some(e) = else_body {
                        items(e, file)?;
                    }
                }
                Command::While { cond, body, .. } => {
                    items(cond, file)?;
                    items(body, file)?;
                }
                Command::Group(v, _) => items(v, file)?,
                Command::Subshell(_, span) => {
                    return Err(RunError {
                        file: file.into(),
                        line: span.line,
                        col: span.col,
                        command: "(".into(),
                        message: "subshells are not modelled; use { ...; }".into(),
                    })
                }
            }
        }
        Ok(())
    }
    fn simple(sc: &SimpleCommand, file: &str) -> Result<(), RunError> {
        let words: Vec<Option<String>> = sc.words.iter().map(|w| w.as_literal()).collect();
        let mut i = 0;
        // `sudo CMD` and `ip netns exec NS CMD` run CMD: check it too.
        loop {
            let Some(Some(w)) = words.get(i) else {
                return Ok(());
            };
            let span = sc.words[i].span;
            if w == "sudo" {
                if let Some(Some(opt)) = words.get(i + 1).filter(|o| o.as_deref().is_some_and(|o| o.starts_with('-'))) {
                    return Err(RunError {
                        file: file.into(),
                        line: sc.words[i + 1].span.line,
                        col: sc.words[i + 1].span.col,
                        command: format!("sudo {opt}"),
                        message: "sudo's options are not modelled: netsim runs every command as root (uid 0, gid 0); write `sudo CMD` or just `CMD`".into(),
                    });
                }
                i += 1;
                continue;
            }
            if !tools::is_known(w) && !BUILTINS.contains(&w.as_str()) {
                return Err(RunError {
                    file: file.into(),
                    line: span.line,
                    col: span.col,
                    command: w.clone(),
                    message: format!("command not modelled by netsim; supported: {}", tools::COMMANDS.join(", ")),
                });
            }
            if matches!(w.as_str(), "nc" | "netcat" | "curl" | "python3" | "nginx") {
                let rest: Vec<Option<String>> = words[i + 1..].to_vec();
                return tools::check_socket_app(w, &rest).map_err(|message| RunError {
                    file: file.into(),
                    line: span.line,
                    col: span.col,
                    command: w.clone(),
                    message,
                });
            }
            if w == "ip" {
                let rest: Vec<&str> = words[i + 1..].iter().map(|x| x.as_deref().unwrap_or("")).collect();
                if let Some(p) = rest.iter().position(|x| *x == "exec") {
                    if p >= 1 && rest[p - 1] == "netns" && rest.len() > p + 2 {
                        i = i + 1 + p + 2;
                        continue;
                    }
                }
            }
            return Ok(());
        }
    }
    items(&script.items, file)
}

/// Interpreter state: variables, jobs and shell options.
pub struct Interp<'e> {
    eng: &'e mut Engine,
    file: String,
    lines: Vec<String>,
    vars: BTreeMap<String, String>,
    status: i32,
    last_bg: Option<Pid>,
    /// The job table: (job number, pid), as bash numbers them.
    jobs: Vec<(u32, Pid)>,
    opt_e: bool,
    opt_x: bool,
    opt_v: bool,
    printed_to: u32,
    exit: Option<i32>,
}

enum Flow {
    Next,
    Exit,
}

impl<'e> Interp<'e> {
    /// An interpreter for `src` (kept for `set -v`) named `file`.
    pub fn new(eng: &'e mut Engine, file: &str, src: &str) -> Interp<'e> {
        Interp {
            eng,
            file: file.to_string(),
            lines: src.lines().map(str::to_string).collect(),
            vars: BTreeMap::new(),
            status: 0,
            last_bg: None,
            jobs: Vec::new(),
            opt_e: false,
            opt_x: false,
            opt_v: false,
            printed_to: 0,
            exit: None,
        }
    }

    /// Runs the whole script, then stops what is still running as the
    /// sandbox would (SIGINT). Returns the script's exit status.
    ///
    /// # Errors
    /// [`RunError`] at the first command netsim cannot run faithfully.
    pub fn run(&mut self, script: &Script) -> Result<i32, RunError> {
        for item in &script.items {
            self.echo_source(item);
            if let Flow::Exit = self.item(item)? {
                break;
            }
        }
        if self.opt_v && self.exit.is_none() {
            self.echo_lines(self.lines.len() as u32);
        }
        // Let in-flight packets settle, then stop the leftovers.
        let settle = self.eng.now + super::HOP_NS * 1000;
        self.eng.run_until(settle);
        if let Some(last) = script.items.last() {
            self.check_budget(last.span, "(end of script)")?;
        }
        let running: Vec<Pid> = self.eng.procs.iter().filter(|(_, p)| !p.exited()).map(|(k, _)| *k).collect();
        for pid in running {
            self.eng.interrupt(pid);
        }
        Ok(self.exit.unwrap_or(self.status))
    }

    fn echo_lines(&mut self, to: u32) {
        let to = to.min(self.lines.len() as u32);
        let mut s = String::new();
        while self.printed_to < to {
            s.push_str(&self.lines[self.printed_to as usize]);
            s.push('\n');
            self.printed_to += 1;
        }
        self.eng.write(&Sink::Stderr, &s);
    }

    fn echo_source(&mut self, item: &ListItem) {
        let end = item_end_line(item);
        if self.opt_v {
            self.echo_lines(end);
        } else {
            self.printed_to = self.printed_to.max(end);
        }
    }

    fn err_at(&self, span: Span, command: &str, message: String) -> RunError {
        RunError { file: self.file.clone(), line: span.line, col: span.col, command: command.to_string(), message }
    }

    fn var(&self, name: &str) -> Option<String> {
        match name {
            "?" => Some(self.status.to_string()),
            "!" => self.last_bg.map(|p| p.0.to_string()),
            "$" => Some("1".into()),
            "#" => Some("0".into()),
            _ => self.vars.get(name).cloned(),
        }
    }

    fn items(&mut self, v: &[ListItem]) -> Result<Flow, RunError> {
        for it in v {
            if let Flow::Exit = self.item(it)? {
                return Ok(Flow::Exit);
            }
        }
        Ok(Flow::Next)
    }

    fn item(&mut self, item: &ListItem) -> Result<Flow, RunError> {
        if item.background {
            return self.background(item);
        }
        self.and_or(&item.and_or, false)
    }

    fn background(&mut self, item: &ListItem) -> Result<Flow, RunError> {
        // A pipeline whose last command is a simple command that spawns a
        // process becomes a job (the stages before it run to completion
        // first, feeding it their output: `echo hi | nc -l -p 80 &`);
        // anything else completes at once in virtual time.
        let p = &item.and_or.first;
        if item.and_or.rest.is_empty() && !p.bang && matches!(p.commands.last(), Some(Command::Simple(_))) {
            let (flow, pid) = self.pipeline_stages(p, true)?;
            self.status = 0;
            let Some(pid) = pid else {
                return Ok(if self.exit.is_some() { Flow::Exit } else { flow });
            };
            // The new job is one more than the highest left in bash's table.
            // A script's bash (not interactive) drops a finished job before
            // numbering a new one only if a signal killed it; one that
            // exited (a tcpdump or ping stopped by SIGINT exits) stays until
            // `wait` (checked with bash 5.2 running a script file).
            self.jobs.retain(|(_, p)| {
                self.eng.procs.get(p).is_some_and(|x| !x.exited() || x.exit_code().is_none_or(|c| c <= 128))
            });
            let n = self.jobs.iter().map(|(n, _)| *n).max().unwrap_or(0) + 1;
            self.jobs.push((n, pid));
            self.last_bg = Some(pid);
            return Ok(Flow::Next);
        }
        let f = self.and_or(&item.and_or, true)?;
        self.status = 0;
        Ok(f)
    }

    fn and_or(&mut self, ao: &AndOr, in_cond: bool) -> Result<Flow, RunError> {
        let last_idx = ao.rest.len();
        if let Flow::Exit = self.pipeline(&ao.first, in_cond || last_idx > 0)? {
            return Ok(Flow::Exit);
        }
        for (i, (op, p)) in ao.rest.iter().enumerate() {
            let run = match op {
                AndOrOp::And => self.status == 0,
                AndOrOp::Or => self.status != 0,
            };
            if run {
                if let Flow::Exit = self.pipeline(p, in_cond || i + 1 < last_idx)? {
                    return Ok(Flow::Exit);
                }
            }
        }
        Ok(Flow::Next)
    }

    fn pipeline(&mut self, p: &Pipeline, in_cond: bool) -> Result<Flow, RunError> {
        if let (Flow::Exit, _) = self.pipeline_stages(p, false)? {
            return Ok(Flow::Exit);
        }
        if p.bang {
            self.status = i32::from(self.status == 0);
        }
        if self.opt_e && self.status != 0 && !in_cond && !p.bang {
            self.exit = Some(self.status);
            return Ok(Flow::Exit);
        }
        Ok(Flow::Next)
    }

    /// Runs a pipeline's commands left to right, each one's output the
    /// next one's input. With `bg_last`, a process the last command starts
    /// is not waited for but returned (a job).
    fn pipeline_stages(&mut self, p: &Pipeline, bg_last: bool) -> Result<(Flow, Option<Pid>), RunError> {
        let mut stdin = String::new();
        let n = p.commands.len();
        for (i, c) in p.commands.iter().enumerate() {
            let last = i + 1 == n;
            let mut stdio = Stdio::default();
            let pipe = if last {
                None
            } else {
                self.eng.pipes.push(String::new());
                let idx = self.eng.pipes.len() - 1;
                stdio.out = Sink::Pipe(idx);
                Some(idx)
            };
            let input = std::mem::take(&mut stdin);
            match c {
                Command::Simple(sc) if last && bg_last => {
                    let pid = self.simple(sc, stdio, input, true)?;
                    return Ok((if self.exit.is_some() { Flow::Exit } else { Flow::Next }, pid));
                }
                Command::Simple(sc) => {
                    if let Some(pid) = self.simple(sc, stdio, input, false)? {
                        let name = sc.words.first().and_then(|w| w.as_literal()).unwrap_or_else(|| "command".into());
                        self.wait_pid(pid, sc.span, &name)?;
                    }
                }
                other => {
                    if let Flow::Exit = self.compound(other)? {
                        return Ok((Flow::Exit, None));
                    }
                }
            }
            if self.eng.budget_exhausted.is_some() {
                let name = match c {
                    Command::Simple(sc) => sc.words.first().and_then(|w| w.as_literal()).unwrap_or_default(),
                    _ => String::new(),
                };
                self.check_budget(c.span(), &name)?;
            }
            if self.exit.is_some() {
                return Ok((Flow::Exit, None));
            }
            if let Some(idx) = pipe {
                stdin = std::mem::take(&mut self.eng.pipes[idx]);
            }
        }
        Ok((Flow::Next, None))
    }

    fn compound(&mut self, c: &Command) -> Result<Flow, RunError> {
        match c {
            Command::For { var, words, body, .. } => {
                let mut vals = Vec::new();
                for w in words {
                    vals.extend(expand_word(w, &|n| self.var(n)));
                }
                for v in vals {
                    self.vars.insert(var.clone(), v);
                    if let Flow::Exit = self.items(body)? {
                        return Ok(Flow::Exit);
                    }
                }
                Ok(Flow::Next)
            }
            Command::If { branches, else_body, .. } => {
                for (cond, body) in branches {
                    let saved = self.opt_e;
                    self.opt_e = false;
                    let f = self.items(cond);
                    self.opt_e = saved;
                    if let Flow::Exit = f? {
                        return Ok(Flow::Exit);
                    }
                    if self.status == 0 {
                        return self.items(body);
                    }
                }
                match else_body {
                    Some(e) => self.items(e),
                    None => {
                        self.status = 0;
                        Ok(Flow::Next)
                    }
                }
            }
            Command::While { cond, body, span } => {
                let mut n = 0;
                loop {
                    n += 1;
                    if n > 100_000 {
                        return Err(self.err_at(
                            *span,
                            "while",
                            "loop ran 100000 times; netsim stops runaway loops".into(),
                        ));
                    }
                    let saved = self.opt_e;
                    self.opt_e = false;
                    let f = self.items(cond);
                    self.opt_e = saved;
                    if let Flow::Exit = f? {
                        return Ok(Flow::Exit);
                    }
                    if self.status != 0 {
                        self.status = 0;
                        return Ok(Flow::Next);
                    }
                    if let Flow::Exit = self.items(body)? {
                        return Ok(Flow::Exit);
                    }
                }
            }
            Command::Group(v, _) => self.items(v),
            Command::Subshell(_, span) => {
                Err(self.err_at(*span, "(", "subshells are not modelled; use { ...; }".into()))
            }
            Command::Simple(_) => unreachable!("simple commands are handled by pipeline"),
        }
    }

    /// Stops the run when the engine's event budget ran out during the
    /// command at `span`.
    fn check_budget(&self, span: Span, cmd: &str) -> Result<(), RunError> {
        match &self.eng.budget_exhausted {
            Some(why) => Err(self.err_at(span, cmd, why.clone())),
            None => Ok(()),
        }
    }

    fn wait_pid(&mut self, pid: Pid, span: Span, cmd: &str) -> Result<(), RunError> {
        let done = self.eng.run_while(|e| e.procs.get(&pid).is_none_or(Process::exited));
        self.check_budget(span, cmd)?;
        if !done {
            return Err(self.err_at(span, cmd, "this process never exits by itself (e.g. tcpdump without -c); run it in the background with & and stop it with kill".into()));
        }
        self.status = self.eng.procs.get(&pid).and_then(Process::exit_code).unwrap_or(0);
        Ok(())
    }

    /// Runs a simple command. Returns the pid when it spawned a process and
    /// `background` is set; a foreground process is waited for here.
    fn simple(
        &mut self,
        sc: &SimpleCommand,
        mut stdio: Stdio,
        mut stdin: String,
        background: bool,
    ) -> Result<Option<Pid>, RunError> {
        let mut argv = Vec::new();
        for w in &sc.words {
            argv.extend(expand_word(w, &|n| self.var(n)));
        }
        let assigns: Vec<(String, String)> =
            sc.assigns.iter().map(|(k, w)| (k.clone(), expand_word_single(w, &|n| self.var(n)))).collect();
        if argv.is_empty() {
            for (k, v) in assigns {
                self.vars.insert(k, v);
            }
            self.status = 0;
            return Ok(None);
        }
        if self.opt_x {
            let shown: Vec<String> = argv.iter().map(|a| shell_quote(a)).collect();
            self.eng.write(&Sink::Stderr, &format!("+ {}\n", shown.join(" ")));
        }
        for r in &sc.redirects {
            match &r.kind {
                RedirectKind::Out(w) | RedirectKind::Append(w) | RedirectKind::Both(w) => {
                    let path = expand_word_single(w, &|n| self.var(n));
                    let sink = if path == "/dev/null" { Sink::Null } else { Sink::File(path.clone()) };
                    if matches!(r.kind, RedirectKind::Out(_) | RedirectKind::Both(_)) && path != "/dev/null" {
                        self.eng.files.insert(path, Vec::new());
                    }
                    if matches!(r.kind, RedirectKind::Both(_)) {
                        stdio.out = sink.clone();
                        stdio.err = sink;
                    } else if r.fd == 2 {
                        stdio.err = sink;
                    } else if r.fd == 1 {
                        stdio.out = sink;
                    } else {
                        return Err(self.err_at(
                            r.span,
                            &argv[0],
                            format!("redirection of fd {} is not modelled", r.fd),
                        ));
                    }
                }
                RedirectKind::DupOut(to) => match (r.fd, to) {
                    (2, 1) => stdio.err = stdio.out.clone(),
                    (1, 2) => stdio.out = stdio.err.clone(),
                    _ => {
                        return Err(self.err_at(
                            r.span,
                            &argv[0],
                            format!("redirection {}>&{} is not modelled", r.fd, to),
                        ))
                    }
                },
                RedirectKind::In(w) => {
                    let path = expand_word_single(w, &|n| self.var(n));
                    match self.eng.files.get(&path) {
                        Some(b) => stdin = String::from_utf8_lossy(b).into_owned(),
                        None if path == "/dev/null" => stdin = String::new(),
                        None => return Err(self.err_at(r.span, &argv[0], format!("input file '{path}' was not written by this script; netsim reads only files the script wrote"))),
                    }
                }
                RedirectKind::HereDoc { body, expand, .. } => {
                    stdin = if *expand { expand_heredoc(body, &|n| self.var(n)) } else { body.clone() };
                }
                RedirectKind::HereString(w) => {
                    stdin = expand_word_single(w, &|n| self.var(n));
                    stdin.push('\n');
                }
            }
        }
        let cmd = argv[0].clone();
        match cmd.as_str() {
            "exit" => {
                let code = argv.get(1).and_then(|c| c.parse().ok()).unwrap_or(self.status);
                self.exit = Some(code);
                self.status = code;
                Ok(None)
            }
            "set" => {
                for a in &argv[1..] {
                    let (on, flags) = if let Some(f) = a.strip_prefix('-') {
                        (true, f)
                    } else if let Some(f) = a.strip_prefix('+') {
                        (false, f)
                    } else {
                        return Err(self.err_at(
                            sc.span,
                            "set",
                            format!("'set {a}' is not modelled; supported: set -e -x -v (and +)"),
                        ));
                    };
                    for f in flags.chars() {
                        match f {
                            'e' => self.opt_e = on,
                            'x' => self.opt_x = on,
                            'v' => self.opt_v = on,
                            'u' => {}
                            _ => {
                                return Err(self.err_at(
                                    sc.span,
                                    "set",
                                    format!("'set {a}' is not modelled; supported: set -e -x -v (and +)"),
                                ))
                            }
                        }
                    }
                }
                self.status = 0;
                Ok(None)
            }
            "wait" => {
                let targets: Vec<Pid> = if argv.len() > 1 {
                    let mut v = Vec::new();
                    for a in &argv[1..] {
                        v.push(self.job(a).ok_or_else(|| self.err_at(sc.span, "wait", format!("no such job {a}")))?);
                    }
                    v
                } else {
                    self.jobs.iter().map(|(_, p)| *p).collect()
                };
                for pid in &targets {
                    self.wait_pid(*pid, sc.span, "wait")?;
                }
                // Waited-for jobs leave the table. A bare `wait` returns 0
                // whatever the jobs' statuses (bash); `wait ID...` the last's.
                self.jobs.retain(|(_, p)| !targets.contains(p));
                if argv.len() == 1 {
                    self.status = 0;
                }
                Ok(None)
            }
            "kill" => {
                let mut sig = "TERM".to_string();
                let mut targets = Vec::new();
                let mut it = argv[1..].iter();
                while let Some(a) = it.next() {
                    if a == "-s" {
                        sig = it.next().cloned().unwrap_or_default();
                    } else if let Some(s) = a.strip_prefix('-') {
                        sig = s.trim_start_matches("SIG").to_string();
                    } else {
                        targets.push(a.clone());
                    }
                }
                let sig = match sig.as_str() {
                    "INT" | "2" => "INT",
                    "TERM" | "15" => "TERM",
                    "KILL" | "9" => "KILL",
                    s => {
                        return Err(self.err_at(
                            sc.span,
                            "kill",
                            format!("signal {s} is not modelled; supported: INT, TERM, KILL"),
                        ))
                    }
                };
                self.status = 0;
                for t in targets {
                    let Some(pid) = self.job(&t) else {
                        self.eng.write(
                            &stdio.err,
                            &format!("{}: line {}: kill: {t}: no such job\n", self.file, sc.span.line),
                        );
                        self.status = 1;
                        continue;
                    };
                    self.eng.signal(pid, sig);
                }
                Ok(None)
            }
            _ => {
                let ns = crate::model::World::ROOT;
                let mut ctx = Ctx { eng: self.eng, ns, stdio, stdin };
                match tools::run(&mut ctx, &argv) {
                    Ok(Outcome::Exited(code)) => {
                        self.status = code;
                        Ok(None)
                    }
                    Ok(Outcome::Spawned(pid)) => {
                        if background {
                            Ok(Some(pid))
                        } else {
                            if let Some(Process::Ping(p)) = self.eng.procs.get(&pid) {
                                if p.count == 0 && p.deadline_ns.is_none() {
                                    // The real one runs until Ctrl-C: the
                                    // script would never get past it.
                                    return Err(self.err_at(sc.span, &cmd, "ping without -c or -w never exits by itself; give it -c COUNT or -w SECONDS, or run it in the background with & and stop it with kill -INT".into()));
                                }
                            }
                            self.wait_pid(pid, sc.span, &cmd)?;
                            Ok(None)
                        }
                    }
                    Err(e) => {
                        let span = sc.words.first().map(|w| w.span).unwrap_or(sc.span);
                        Err(self.err_at(span, &cmd, e.0))
                    }
                }
            }
        }
    }

    fn job(&self, spec: &str) -> Option<Pid> {
        if let Some(n) = spec.strip_prefix('%') {
            if n == "+" || n == "%" || n.is_empty() {
                return self.jobs.last().map(|(_, p)| *p);
            }
            let n: u32 = n.parse().ok()?;
            return self.jobs.iter().find(|(j, _)| *j == n).map(|(_, p)| *p);
        }
        let p: u32 = spec.parse().ok()?;
        self.jobs.iter().map(|(_, p)| *p).find(|x| x.0 == p)
    }
}

impl Engine {
    /// Delivers a signal: SIGINT and SIGTERM stop a capture cleanly (tcpdump
    /// catches both); ping prints its statistics only on SIGINT.
    pub fn signal(&mut self, pid: Pid, sig: &str) {
        match (self.procs.get_mut(&pid), sig) {
            (Some(Process::Ping(_)), "INT") => self.ping_finish(pid),
            (Some(Process::Ping(p)), _) => {
                if p.exit.is_none() {
                    p.exit = Some(if sig == "KILL" { 137 } else { 143 });
                }
            }
            (Some(Process::Tcpdump(_)), "INT" | "TERM") => self.tcpdump_stop(pid, true),
            (Some(Process::Tcpdump(t)), _) => {
                if t.exit.is_none() {
                    t.exit = Some(137);
                    let link = t.link;
                    let promisc = t.promisc;
                    self.taps.retain(|(_, p)| *p != pid);
                    if promisc && self.world.link_alive(link) {
                        let l = self.world.link_mut(link);
                        l.promisc = l.promisc.saturating_sub(1);
                    }
                }
            }
            (Some(Process::Nc(_) | Process::Curl(_) | Process::HttpServer(_)), _) => self.app_signal(pid, sig),
            (Some(Process::CtEvents(_)), _) => self.ct_events_signal(pid, sig),
            (None, _) => {}
        }
    }
}

/// Quotes a word the way `set -x` shows it.
fn shell_quote(s: &str) -> String {
    if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_./=:,@%+".contains(c)) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// The last source line an item occupies (heredoc bodies and the closing
/// keyword of compound commands included), for `set -v` echoing.
fn item_end_line(item: &ListItem) -> u32 {
    fn words_max(sc: &SimpleCommand) -> u32 {
        let mut m = sc.span.line;
        for w in &sc.words {
            m = m.max(w.span.line + word_newlines(&w.parts));
        }
        for r in &sc.redirects {
            m = m.max(r.span.line);
            if let RedirectKind::HereDoc { body, .. } = &r.kind {
                m = m.max(r.span.line + body.lines().count() as u32 + 1);
            }
        }
        m
    }
    fn word_newlines(parts: &[WordPart]) -> u32 {
        parts
            .iter()
            .map(|p| match p {
                WordPart::Literal(s) | WordPart::SingleQuoted(s) => s.matches('\n').count() as u32,
                WordPart::DoubleQuoted(v) => word_newlines(v),
                _ => 0,
            })
            .sum()
    }
    fn items_max(v: &[ListItem]) -> u32 {
        v.iter().map(item_end_line).max().unwrap_or(0)
    }
    fn pipe_max(p: &Pipeline) -> u32 {
        p.commands
            .iter()
            .map(|c| match c {
                Command::Simple(sc) => words_max(sc),
                Command::For { body, span, .. } | Command::While { body, span, .. } => {
                    let b = items_max(body);
                    if b > span.line {
                        b + 1
                    } else {
                        span.line
                    }
                }
                Command::If { branches, else_body, span } => {
                    let mut b = branches.iter().map(|(c, t)| items_max(c).max(items_max(t))).max().unwrap_or(0);
                    if let Some(e) = else_body {
                        b = b.max(items_max(e));
                    }
                    if b > span.line {
                        b + 1
                    } else {
                        span.line
                    }
                }
                Command::Group(v, span) | Command::Subshell(v, span) => {
                    let b = items_max(v);
                    if b > span.line {
                        b + 1
                    } else {
                        span.line
                    }
                }
            })
            .max()
            .unwrap_or(p.span.line)
    }
    let mut m = pipe_max(&item.and_or.first);
    for (_, p) in &item.and_or.rest {
        m = m.max(pipe_max(p));
    }
    m
}
