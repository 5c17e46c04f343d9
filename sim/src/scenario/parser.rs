//! Recursive-descent parser from tokens to the [`Script`] syntax tree.
//!
//! Grammar (a subset of the POSIX shell grammar, with bash's reading of it):
//!
//! ```text
//! script    := list EOF
//! list      := { newline } [ and_or { (';' | '&' | newline) { newline } and_or } [';' | '&'] ]
//! and_or    := pipeline { ('&&' | '||') { newline } pipeline }
//! pipeline  := { '!' } command { '|' { newline } command }
//! command   := simple | for | if | while | '{' list '}' | '(' list ')'
//! for       := 'for' NAME { newline } 'in' { word } (';' | newline) { newline } 'do' list 'done'
//! if        := 'if' list 'then' list { 'elif' list 'then' list } [ 'else' list ] 'fi'
//! while     := 'while' list 'do' list 'done'
//! simple    := { NAME=value } { word | redirect }   (at least one of anything)
//! ```
//!
//! Reserved words are recognised only in command position and only when
//! written without quotes or escapes, as in bash (`echo done` prints "done").
//!
//! Refused with a clear error: `case`, `until`, `select`, `function` and
//! `name()` definitions, `[[ ]]`, `(( ))`, `time`, `coproc`, `for` without
//! `in`, `for ((...))`, array and `+=` assignments, assignments to `IFS`,
//! redirections after a compound command, globs and brace expansion outside
//! assignments. Compound lists may not be empty (bash rejects them too).
//!
//! This module does not expand words or run anything.

use super::ast::{
    AndOr, AndOrOp, Command, ListItem, Pipeline, Redirect, RedirectKind, Script, SimpleCommand, Span, Word, WordPart,
};
use super::error::{ScenarioError, ScenarioErrorKind as Kind};
use super::lexer::{is_name, Op, Tok, Token, WordTok};
use super::MAX_NESTING;

/// Parses a token list from [`super::lexer::tokenize`].
pub(crate) fn parse_tokens(toks: Vec<Token>, file: &str) -> Result<Script, ScenarioError> {
    let mut p = Parser { toks, pos: 0, file, depth: 0 };
    let items = p.list()?;
    let t = p.peek()?;
    if t.tok != Tok::Eof {
        return Err(p.unexpected(t));
    }
    Ok(Script { items })
}

/// Words that end a compound list when they appear in command position.
const LIST_END_WORDS: [&str; 7] = ["then", "elif", "else", "fi", "do", "done", "}"];

struct Parser<'f> {
    toks: Vec<Token>,
    pos: usize,
    file: &'f str,
    /// Compound commands currently open.
    depth: usize,
}

impl Parser<'_> {
    fn err(&self, span: Span, kind: Kind) -> ScenarioError {
        ScenarioError::new(self.file, span, kind)
    }

    /// The current token; a lexical error surfaces here, in file order.
    fn peek(&self) -> Result<&Token, ScenarioError> {
        let t = self
            .toks
            .get(self.pos)
            .or_else(|| self.toks.last())
            .expect("tokenize always ends the list with Eof or Error");
        match &t.tok {
            Tok::Error(e) => Err(e.clone()),
            _ => Ok(t),
        }
    }

    /// Takes the current token (never called on Eof or Error).
    fn bump(&mut self) -> Token {
        let t = self.toks.get_mut(self.pos).expect("bump only after a successful peek");
        let taken = std::mem::replace(&mut t.tok, Tok::Newline);
        let span = t.span;
        self.pos += 1;
        Token { tok: taken, span }
    }

    /// Takes the current token, which the caller peeked and found to be a word.
    fn bump_word(&mut self) -> Result<WordTok, ScenarioError> {
        let t = self.bump();
        match t.tok {
            Tok::Word(w) => Ok(w),
            _ => Err(self.unexpected(&t)),
        }
    }

    /// The plain (unquoted, unescaped) text of the current token, if a word.
    fn peek_plain(&self) -> Result<Option<&str>, ScenarioError> {
        Ok(match &self.peek()?.tok {
            Tok::Word(w) => w.plain.as_deref(),
            _ => None,
        })
    }

    fn skip_newlines(&mut self) -> Result<(), ScenarioError> {
        while self.peek()?.tok == Tok::Newline {
            self.pos += 1;
        }
        Ok(())
    }

    fn describe(t: &Token) -> String {
        match &t.tok {
            Tok::Word(w) => match &w.plain {
                Some(p) => format!("'{p}'"),
                None => "a word".to_string(),
            },
            Tok::IoNumber(n) => format!("'{n}'"),
            Tok::Op(op) => format!("'{}'", op.symbol()),
            Tok::HereDoc(_) => "'<<'".to_string(),
            Tok::Newline => "a newline".to_string(),
            Tok::Eof => "the end of the file".to_string(),
            Tok::Error(e) => e.message(),
        }
    }

    fn unexpected(&self, t: &Token) -> ScenarioError {
        let hint = match &t.tok {
            Tok::Word(w) => match w.plain.as_deref() {
                Some("then" | "elif" | "else" | "fi") => " (no open 'if')",
                Some("do" | "done") => " (no open 'for' or 'while')",
                Some("}") => " (no open '{')",
                _ => "",
            },
            Tok::Op(Op::RParen) => " (no open '(')",
            _ => "",
        };
        self.err(t.span, Kind::Syntax(format!("unexpected {}{hint}", Self::describe(t))))
    }

    fn at_list_end(&self) -> Result<bool, ScenarioError> {
        let t = self.peek()?;
        Ok(match &t.tok {
            Tok::Eof | Tok::Op(Op::RParen) => true,
            Tok::Word(w) => w.plain.as_deref().is_some_and(|p| LIST_END_WORDS.contains(&p)),
            _ => false,
        })
    }

    fn list(&mut self) -> Result<Vec<ListItem>, ScenarioError> {
        let mut items = Vec::new();
        loop {
            self.skip_newlines()?;
            if self.at_list_end()? {
                break;
            }
            let span = self.peek()?.span;
            let and_or = self.and_or()?;
            let background = match self.peek()?.tok {
                Tok::Op(Op::Semi) => {
                    self.pos += 1;
                    false
                }
                Tok::Op(Op::Amp) => {
                    self.pos += 1;
                    true
                }
                Tok::Newline => false,
                _ => {
                    items.push(ListItem { and_or, background: false, span });
                    break;
                }
            };
            items.push(ListItem { and_or, background, span });
        }
        Ok(items)
    }

    fn and_or(&mut self) -> Result<AndOr, ScenarioError> {
        let first = self.pipeline()?;
        let mut rest = Vec::new();
        loop {
            let op = match self.peek()?.tok {
                Tok::Op(Op::AndIf) => AndOrOp::And,
                Tok::Op(Op::OrIf) => AndOrOp::Or,
                _ => break,
            };
            self.pos += 1;
            self.skip_newlines()?;
            rest.push((op, self.pipeline()?));
        }
        Ok(AndOr { first, rest })
    }

    fn pipeline(&mut self) -> Result<Pipeline, ScenarioError> {
        let span = self.peek()?.span;
        let mut bang = false;
        while self.peek_plain()? == Some("!") {
            bang = !bang;
            self.pos += 1;
        }
        let mut commands = vec![self.command()?];
        while self.peek()?.tok == Tok::Op(Op::Pipe) {
            self.pos += 1;
            self.skip_newlines()?;
            commands.push(self.command()?);
        }
        Ok(Pipeline { bang, commands, span })
    }

    fn command(&mut self) -> Result<Command, ScenarioError> {
        if self.depth >= MAX_NESTING {
            let span = self.peek()?.span;
            return Err(self.err(
                span,
                Kind::unsupported("nesting", &format!("more than {MAX_NESTING} nested compound commands")),
            ));
        }
        self.depth += 1;
        let cmd = self.command_inner();
        self.depth -= 1;
        cmd
    }

    fn command_inner(&mut self) -> Result<Command, ScenarioError> {
        let t = self.peek()?;
        let span = t.span;
        let refuse = |p: &Self, construct: &str, what: &str| Err(p.err(span, Kind::unsupported(construct, what)));
        let cmd = match &t.tok {
            Tok::Word(w) => match w.plain.as_deref() {
                Some("for") => self.for_loop()?,
                Some("if") => self.if_clause()?,
                Some("while") => self.while_loop()?,
                Some("{") => self.group()?,
                Some("until") => return refuse(self, "until", "until loop; write 'while ! COND; do ...; done'"),
                Some("case" | "esac") => {
                    return refuse(self, "case", "case statement; use if/elif/else with '[' tests")
                }
                Some("function") => return refuse(self, "function", "function definition"),
                Some("select") => return refuse(self, "select", "select menu loop"),
                Some("coproc") => return refuse(self, "coproc", "coprocess"),
                Some("time") => return refuse(self, "time", "pipeline timing"),
                Some("[[") => return refuse(self, "[[ ... ]]", "bash conditional command; use '[ ... ]'"),
                Some(kw) if LIST_END_WORDS.contains(&kw) => return Err(self.unexpected(t)),
                _ => Command::Simple(self.simple()?),
            },
            Tok::Op(Op::LParen) => {
                let adjacent = self
                    .toks
                    .get(self.pos + 1)
                    .is_some_and(|n| n.tok == Tok::Op(Op::LParen) && n.span == Span::new(span.line, span.col + 1));
                if adjacent {
                    return refuse(self, "((...))", "arithmetic command");
                }
                self.subshell()?
            }
            Tok::IoNumber(_) | Tok::HereDoc(_) => Command::Simple(self.simple()?),
            Tok::Op(op) if is_redirect(*op) => Command::Simple(self.simple()?),
            _ => return Err(self.unexpected(t)),
        };
        if !matches!(cmd, Command::Simple(_)) {
            let t = self.peek()?;
            let redirect = match &t.tok {
                Tok::IoNumber(_) | Tok::HereDoc(_) => true,
                Tok::Op(op) => is_redirect(*op),
                _ => false,
            };
            if redirect {
                return Err(self.err(
                    t.span,
                    Kind::unsupported(
                        &Self::describe(t).replace('\'', ""),
                        "redirection of a compound command ('done > f', '} 2>&1'); redirect the commands inside it",
                    ),
                ));
            }
        }
        Ok(cmd)
    }

    /// Consumes the reserved word `kw` closing `opener` (opened at `open`).
    fn expect_word(&mut self, kw: &str, opener: &str, open: Span) -> Result<(), ScenarioError> {
        let t = self.peek()?;
        match &t.tok {
            Tok::Word(w) if w.plain.as_deref() == Some(kw) => {
                self.pos += 1;
                Ok(())
            }
            Tok::Eof => Err(self.err(open, Kind::unterminated(opener, &format!("'{kw}'")))),
            _ => Err(self.err(
                t.span,
                Kind::Syntax(format!(
                    "expected '{kw}' to go with {opener} at {}:{}, found {}",
                    open.line,
                    open.col,
                    Self::describe(t)
                )),
            )),
        }
    }

    /// A compound list that must hold at least one command.
    fn body(&mut self, opener: &str, open: Span, closer: &str) -> Result<Vec<ListItem>, ScenarioError> {
        let items = self.list()?;
        if items.is_empty() {
            let t = self.peek()?;
            if t.tok == Tok::Eof {
                return Err(self.err(open, Kind::unterminated(opener, closer)));
            }
            return Err(self.err(
                t.span,
                Kind::Syntax(format!(
                    "expected a command after {opener} at {}:{}, found {}",
                    open.line,
                    open.col,
                    Self::describe(t)
                )),
            ));
        }
        Ok(items)
    }

    fn for_loop(&mut self) -> Result<Command, ScenarioError> {
        let span = self.bump().span;
        let t = self.peek()?;
        let var = match &t.tok {
            Tok::Word(WordTok { plain: Some(name), .. }) if is_name(name) => name.clone(),
            Tok::Op(Op::LParen) => {
                return Err(
                    self.err(span, Kind::unsupported("for ((...))", "arithmetic for loop; write 'for i in 1 2 3'"))
                )
            }
            _ => {
                return Err(self.err(
                    t.span,
                    Kind::Syntax(format!("expected a variable name after 'for', found {}", Self::describe(t))),
                ))
            }
        };
        self.pos += 1;
        self.skip_newlines()?;
        let mut words = Vec::new();
        let t = self.peek()?;
        match &t.tok {
            Tok::Word(w) if w.plain.as_deref() == Some("in") => {
                self.pos += 1;
                loop {
                    let t = self.peek()?;
                    match &t.tok {
                        Tok::Word(_) => {
                            let w = self.bump_word()?;
                            words.push(self.checked_word(w)?);
                        }
                        Tok::Op(Op::Semi) | Tok::Newline => {
                            self.pos += 1;
                            break;
                        }
                        _ => break,
                    }
                }
            }
            Tok::Op(Op::Semi) | Tok::Newline => {
                return Err(self.for_without_in(span));
            }
            Tok::Word(w) if w.plain.as_deref() == Some("do") => {
                return Err(self.for_without_in(span));
            }
            Tok::Eof => return Err(self.err(span, Kind::unterminated("'for'", "'in'"))),
            _ => {
                return Err(self.err(
                    t.span,
                    Kind::Syntax(format!("expected 'in' after 'for {var}', found {}", Self::describe(t))),
                ))
            }
        }
        self.skip_newlines()?;
        self.expect_word("do", "'for'", span)?;
        let body = self.body("'for'", span, "'done'")?;
        self.expect_word("done", "'for'", span)?;
        Ok(Command::For { var, words, body, span })
    }

    fn for_without_in(&self, span: Span) -> ScenarioError {
        self.err(
            span,
            Kind::unsupported("for NAME; do", "a for loop without 'in' walks \"$@\"; write 'for NAME in WORDS; do'"),
        )
    }

    fn if_clause(&mut self) -> Result<Command, ScenarioError> {
        let span = self.bump().span;
        let mut branches = Vec::new();
        let mut opener = ("'if'", span);
        loop {
            let cond = self.body(opener.0, opener.1, "'then'")?;
            self.expect_word("then", opener.0, opener.1)?;
            let then = self.body("'then'", opener.1, "'fi'")?;
            branches.push((cond, then));
            match self.peek_plain()? {
                Some("elif") => {
                    opener = ("'elif'", self.bump().span);
                }
                Some("else") => {
                    let espan = self.bump().span;
                    let else_body = self.body("'else'", espan, "'fi'")?;
                    self.expect_word("fi", "'if'", span)?;
                    return Ok(Command::If { branches, else_body: Some(else_body), span });
                }
                _ => {
                    self.expect_word("fi", "'if'", span)?;
                    return Ok(Command::If { branches, else_body: None, span });
                }
            }
        }
    }

    fn while_loop(&mut self) -> Result<Command, ScenarioError> {
        let span = self.bump().span;
        let cond = self.body("'while'", span, "'do'")?;
        self.expect_word("do", "'while'", span)?;
        let body = self.body("'while'", span, "'done'")?;
        self.expect_word("done", "'while'", span)?;
        Ok(Command::While { cond, body, span })
    }

    fn group(&mut self) -> Result<Command, ScenarioError> {
        let span = self.bump().span;
        let body = self.body("'{'", span, "'}'")?;
        self.expect_word("}", "'{'", span)?;
        Ok(Command::Group(body, span))
    }

    fn subshell(&mut self) -> Result<Command, ScenarioError> {
        let span = self.bump().span;
        let body = self.body("'('", span, "')'")?;
        let t = self.peek()?;
        match t.tok {
            Tok::Op(Op::RParen) => {
                self.pos += 1;
                Ok(Command::Subshell(body, span))
            }
            Tok::Eof => Err(self.err(span, Kind::unterminated("'('", "')'"))),
            _ => Err(self.err(
                t.span,
                Kind::Syntax(format!(
                    "expected ')' to go with '(' at {}:{}, found {}",
                    span.line,
                    span.col,
                    Self::describe(t)
                )),
            )),
        }
    }

    /// A word used as an argument, `for` item or redirection target: refuse
    /// unquoted globs and brace expansion here.
    fn checked_word(&self, w: WordTok) -> Result<Word, ScenarioError> {
        match w.expansion {
            Some((span, kind)) => Err(self.err(span, kind)),
            None => Ok(w.word),
        }
    }

    fn simple(&mut self) -> Result<SimpleCommand, ScenarioError> {
        let mut assigns: Vec<(String, Word)> = Vec::new();
        let mut words: Vec<Word> = Vec::new();
        let mut redirects = Vec::new();
        let mut span: Option<Span> = None;
        loop {
            let t = self.peek()?;
            match &t.tok {
                Tok::Word(_) => {
                    let w = self.bump_word()?;
                    span.get_or_insert(w.word.span);
                    if words.is_empty() {
                        if let Some((name, vspan)) = &w.assign {
                            if name == "IFS" {
                                return Err(self.err(
                                    w.word.span,
                                    Kind::unsupported(
                                        "IFS=",
                                        "changing the field separators; netsim always splits on space, tab and newline",
                                    ),
                                ));
                            }
                            let value = assign_value(w.word, name, *vspan);
                            assigns.push((name.clone(), value));
                            continue;
                        }
                        if let Some(WordPart::Literal(first)) = w.word.parts.first() {
                            if let Some((name, _)) = first.split_once("+=") {
                                if is_name(name) {
                                    return Err(self.err(
                                        w.word.span,
                                        Kind::unsupported(
                                            &format!("{name}+="),
                                            "append assignment; write NAME=\"$NAME...\"",
                                        ),
                                    ));
                                }
                            }
                        }
                    }
                    words.push(self.checked_word(w)?);
                }
                Tok::IoNumber(_) | Tok::HereDoc(_) => {
                    let r = self.redirect()?;
                    span.get_or_insert(r.span);
                    redirects.push(r);
                }
                Tok::Op(op) if is_redirect(*op) => {
                    let r = self.redirect()?;
                    span.get_or_insert(r.span);
                    redirects.push(r);
                }
                Tok::Op(Op::LParen) => {
                    if words.len() == 1 && assigns.is_empty() {
                        return Err(
                            self.err(words[0].span, Kind::unsupported("name() { ...; }", "function definition"))
                        );
                    }
                    if let (true, Some((name, value))) = (words.is_empty(), assigns.last()) {
                        if value.parts.is_empty() {
                            return Err(
                                self.err(value.span, Kind::unsupported(&format!("{name}=(...)"), "array assignment"))
                            );
                        }
                    }
                    return Err(self.unexpected(t));
                }
                _ => break,
            }
        }
        match span {
            Some(span) => Ok(SimpleCommand { assigns, words, redirects, span }),
            None => {
                let t = self.peek()?;
                Err(self.unexpected(t))
            }
        }
    }

    fn redirect(&mut self) -> Result<Redirect, ScenarioError> {
        let first = self.bump();
        let span = first.span;
        let (fd, op_tok) = match first.tok {
            Tok::IoNumber(n) => {
                self.peek()?;
                (Some(n), self.bump())
            }
            _ => (None, first),
        };
        let op = match op_tok.tok {
            Tok::HereDoc(h) => {
                return Ok(Redirect {
                    fd: fd.unwrap_or(0),
                    kind: RedirectKind::HereDoc { body: h.body, expand: h.expand, strip_tabs: h.strip_tabs },
                    span,
                })
            }
            Tok::Op(op) => op,
            other => {
                let t = Token { tok: other, span: op_tok.span };
                return Err(self.unexpected(&t));
            }
        };
        let t = self.peek()?;
        let target = match &t.tok {
            Tok::Word(_) => self.bump_word()?,
            _ => {
                return Err(self.err(
                    op_tok.span,
                    Kind::Syntax(format!("expected a file name after '{}', found {}", op.symbol(), Self::describe(t))),
                ))
            }
        };
        let (default_fd, kind) = match op {
            Op::Great | Op::Clobber => (1, RedirectKind::Out(self.checked_word(target)?)),
            Op::DGreat => (1, RedirectKind::Append(self.checked_word(target)?)),
            Op::Less => (0, RedirectKind::In(self.checked_word(target)?)),
            Op::AndGreat => (1, RedirectKind::Both(self.checked_word(target)?)),
            Op::TLess => (0, RedirectKind::HereString(self.checked_word(target)?)),
            Op::GreatAnd => {
                let to = target
                    .plain
                    .as_deref()
                    .filter(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
                    .and_then(|p| p.parse::<u32>().ok());
                match (to, target.plain.as_deref()) {
                    (Some(n), _) => (1, RedirectKind::DupOut(n)),
                    (None, Some("-")) => {
                        return Err(self.err(
                            span,
                            Kind::unsupported(">&-", "closing a file descriptor"),
                        ))
                    }
                    _ => {
                        return Err(self.err(
                            span,
                            Kind::unsupported(
                                ">&WORD",
                                "'>&' needs a descriptor number here; to send both outputs to a file write '&> file' or '> file 2>&1'",
                            ),
                        ))
                    }
                }
            }
            Op::Semi | Op::Amp | Op::AndIf | Op::OrIf | Op::Pipe | Op::LParen | Op::RParen => {
                let t = Token { tok: Tok::Op(op), span: op_tok.span };
                return Err(self.unexpected(&t));
            }
        };
        Ok(Redirect { fd: fd.unwrap_or(default_fd), kind, span })
    }
}

fn is_redirect(op: Op) -> bool {
    matches!(op, Op::Great | Op::DGreat | Op::Clobber | Op::Less | Op::AndGreat | Op::GreatAnd | Op::TLess)
}

/// The value part of an assignment word `NAME=value`.
fn assign_value(word: Word, name: &str, span: Span) -> Word {
    let prefix_len = name.len() + 1;
    let mut parts = word.parts;
    if let Some(WordPart::Literal(first)) = parts.first_mut() {
        if first.len() > prefix_len {
            *first = first[prefix_len..].to_string();
        } else {
            parts.remove(0);
        }
    }
    Word { parts, span }
}

#[cfg(test)]
mod tests {
    use crate::scenario::{
        parse, AndOrOp, Command, ListItem, RedirectKind, Script, SimpleCommand, Span, Word, WordPart,
    };

    fn ok(src: &str) -> Script {
        match parse(src, "t.sh") {
            Ok(s) => s,
            Err(e) => panic!("{src:?} should parse: {e}"),
        }
    }

    /// `(line, col, message)` of the error `src` must produce.
    fn err(src: &str) -> (u32, u32, String) {
        match parse(src, "t.sh") {
            Ok(s) => panic!("{src:?} should not parse, got {s:?}"),
            Err(e) => {
                let shown = e.to_string();
                assert!(shown.starts_with(&format!("t.sh:{}:{}: ", e.line, e.col)), "{shown}");
                (e.line, e.col, e.message())
            }
        }
    }

    /// Asserts `src` is refused as unsupported at `line:col`, naming `construct`.
    fn refused(src: &str, line: u32, col: u32, construct: &str) {
        let (l, c, msg) = err(src);
        assert_eq!((l, c), (line, col), "{src:?}: {msg}");
        assert!(msg.starts_with(&format!("unsupported shell syntax '{construct}'")), "{src:?}: {msg}");
        assert!(msg.contains("supported: words"), "{msg}");
    }

    fn first(s: &Script) -> &Command {
        &s.items[0].and_or.first.commands[0]
    }

    fn simple(c: &Command) -> &SimpleCommand {
        match c {
            Command::Simple(s) => s,
            other => panic!("expected a simple command, got {other:?}"),
        }
    }

    fn lits(words: &[Word]) -> Vec<String> {
        words.iter().map(|w| w.as_literal().unwrap_or_else(|| format!("{:?}", w.parts))).collect()
    }

    fn words_of(src: &str) -> Vec<String> {
        lits(&simple(first(&ok(src))).words)
    }

    fn body_lits(items: &[ListItem]) -> Vec<Vec<String>> {
        items.iter().map(|i| lits(&simple(&i.and_or.first.commands[0]).words)).collect()
    }

    #[test]
    fn separators_and_operators() {
        // Proves `;`, newlines, `&`, `&&`, `||` and `|` build the right list,
        // and/or chain and pipeline shapes.
        let s = ok("a; b\nc & d && e || f | g\n\n");
        assert_eq!(s.items.len(), 4);
        assert!(s.items[2].background);
        assert!(!s.items[3].background);
        let ao = &s.items[3].and_or;
        assert_eq!(ao.rest.len(), 2);
        assert_eq!(ao.rest[0].0, AndOrOp::And);
        assert_eq!(ao.rest[1].0, AndOrOp::Or);
        assert_eq!(ao.rest[1].1.commands.len(), 2);
        assert_eq!(s.items[3].span, Span::new(2, 5));
        // Newlines may follow `&&`, `||` and `|`.
        let s = ok("a &&\n b ||\n\n c |\n d");
        assert_eq!(s.items.len(), 1);
        // Trailing `&` on the last line, without newline.
        assert!(ok("sleep 1 &").items[0].background);
        assert!(ok("").items.is_empty());
        assert!(ok("\n# only a comment\n").items.is_empty());
    }

    #[test]
    fn comments() {
        // Proves `#` starts a comment only at a word start, and the shebang and
        // trailing comments vanish.
        let s = ok("#!/bin/bash\necho a#b #c\n  # indented\necho '#' \"#\" \\#x");
        assert_eq!(s.items.len(), 2);
        assert_eq!(lits(&simple(first(&s)).words), ["echo", "a#b"]);
        let last = simple(&s.items[1].and_or.first.commands[0]);
        assert_eq!(lits(&last.words), ["echo", "#", "#", "#x"]);
    }

    #[test]
    fn line_continuation() {
        // Proves backslash-newline joins lines between words, inside a word and
        // inside double quotes, but not inside single quotes or comments.
        assert_eq!(
            words_of("ip link \\\n  add ve\\\nth0 \"a\\\nb\" 'c\\\nd'"),
            ["ip", "link", "add", "veth0", "ab", "c\\\nd"]
        );
        let s = ok("echo a # comment \\\necho b");
        assert_eq!(s.items.len(), 2);
        // Positions after a continuation still point at the real line.
        let s = ok("echo a \\\n  b");
        assert_eq!(simple(first(&s)).words[2].span, Span::new(2, 3));
    }

    #[test]
    fn quoting_rules() {
        // Proves single quotes keep everything, double quotes honour only
        // \" \\ \$ \` (other backslashes stay), and unquoted `\x` is `x`.
        let s = ok(r#"echo 'a\"$b' "q\"\\\$\`\n$V" \$x a\ b"#);
        let w = &simple(first(&s)).words;
        assert_eq!(w[1].parts, [WordPart::SingleQuoted(r#"a\"$b"#.into())]);
        assert_eq!(
            w[2].parts,
            [WordPart::DoubleQuoted(vec![WordPart::Literal("q\"\\$`\\n".into()), WordPart::Var("V".into()),])]
        );
        assert_eq!(w[3].parts, [WordPart::Literal("$x".into())]);
        assert_eq!(w[4].as_literal().as_deref(), Some("a b"));
        // Adjacent pieces form one word.
        assert_eq!(words_of("echo a'b'\"c\"d"), ["echo", "abcd"]);
        assert_eq!(words_of("echo \"\" ''"), ["echo", "", ""]);
    }

    #[test]
    fn variables_and_specials() {
        // Proves $NAME, ${NAME}, ${NAME:-d}, ${NAME-d} and the specials parse
        // to the documented names, and a lone `$` is literal.
        let s = ok("echo $A ${B}c $! $? $$ $# $0 $1 ${10} $ a$ ${X:-d e} ${Y-}");
        let w = &simple(first(&s)).words;
        assert_eq!(w[1].parts, [WordPart::Var("A".into())]);
        assert_eq!(w[2].parts, [WordPart::Var("B".into()), WordPart::Literal("c".into())]);
        let specials: Vec<_> = w[3..11].iter().map(|w| w.parts[0].clone()).collect();
        assert_eq!(
            specials,
            ["!", "?", "$", "#", "0", "1", "10"]
                .iter()
                .map(|n| WordPart::Var(n.to_string()))
                .chain([WordPart::Literal("$".into())])
                .collect::<Vec<_>>()
        );
        assert_eq!(w[11].as_literal().as_deref(), Some("a$"));
        assert_eq!(
            w[12].parts,
            [WordPart::VarDefault { name: "X".into(), colon: true, default: vec![WordPart::Literal("d e".into())] }]
        );
        assert_eq!(w[13].parts, [WordPart::VarDefault { name: "Y".into(), colon: false, default: vec![] }]);
        assert_eq!(w[1].as_literal(), None);
    }

    #[test]
    fn ansi_c_strings() {
        // Proves $'...' decodes \n \t \\ \' into a quoted part, and refuses
        // other escapes at the backslash.
        let s = ok(r"printf $'a\n\tb\\\'c'");
        assert_eq!(simple(first(&s)).words[1].parts, [WordPart::SingleQuoted("a\n\tb\\'c".into())]);
        refused(r"echo $'\x41'", 1, 8, r"\x");
    }

    #[test]
    fn assignments_only_before_the_command_name() {
        // Proves NAME=value words before the command are assignments (value
        // split off, quotes kept) and after it are ordinary arguments.
        let s = ok("A=1 B=\"x y\" C= cmd D=2 A=3");
        let c = simple(first(&s));
        assert_eq!(c.assigns.len(), 3);
        assert_eq!(c.assigns[0].0, "A");
        assert_eq!(c.assigns[0].1.as_literal().as_deref(), Some("1"));
        assert_eq!(c.assigns[1].1.as_literal().as_deref(), Some("x y"));
        assert!(c.assigns[2].1.parts.is_empty());
        assert_eq!(c.assigns[2].1.as_literal().as_deref(), Some(""));
        assert_eq!(c.assigns[1].1.span, Span::new(1, 7));
        assert_eq!(lits(&c.words), ["cmd", "D=2", "A=3"]);
        assert_eq!(c.span, Span::new(1, 1));
        // Not assignments: quoted or escaped name, invalid name.
        let c2 = ok("'A'=1; \\B=2; 1A=3; -x=1");
        assert!(c2.items.iter().all(|i| simple(&i.and_or.first.commands[0]).assigns.is_empty()));
        // Assignment-only command; globs are fine in assignment values.
        let s = ok("PAT=*.pcap\n");
        assert!(simple(first(&s)).words.is_empty());
        assert_eq!(simple(first(&s)).assigns[0].1.as_literal().as_deref(), Some("*.pcap"));
    }

    #[test]
    fn keywords_only_in_command_position() {
        // Proves reserved words are plain arguments after the command name or
        // when quoted.
        assert_eq!(
            words_of("echo for if then done { } ! in"),
            ["echo", "for", "if", "then", "done", "{", "}", "!", "in"]
        );
        assert_eq!(words_of("'if' x"), ["if", "x"]);
    }

    #[test]
    fn for_loops() {
        // Proves the `;` and newline forms of for, keywords as list items, and
        // the loop variable, words and body.
        let s = ok("for x in a $B \"c d\"; do echo $x; ip link; done");
        match first(&s) {
            Command::For { var, words, body, span } => {
                assert_eq!(var, "x");
                assert_eq!(words.len(), 3);
                assert_eq!(body.len(), 2);
                assert_eq!(*span, Span::new(1, 1));
            }
            other => panic!("{other:?}"),
        }
        let s = ok("for ns in a b\ndo\n  ip netns add $ns\ndone\necho end");
        assert_eq!(s.items.len(), 2);
        let s = ok("for w\nin do done\ndo echo $w; done");
        match first(&s) {
            Command::For { words, .. } => assert_eq!(lits(words), ["do", "done"]),
            other => panic!("{other:?}"),
        }
        let s = ok("for x in; do echo; done");
        assert!(matches!(first(&s), Command::For { words, .. } if words.is_empty()));
    }

    #[test]
    fn if_elif_else() {
        // Proves if/elif/else/fi with conditions and bodies in order, in the
        // one-line and multi-line forms.
        let s = ok("if a; then b; elif c; then d; e; else f; fi");
        match first(&s) {
            Command::If { branches, else_body, span } => {
                assert_eq!(branches.len(), 2);
                assert_eq!(body_lits(&branches[1].0), [["c"]]);
                assert_eq!(body_lits(&branches[1].1), [["d"], ["e"]]);
                assert_eq!(body_lits(else_body.as_ref().unwrap()), [["f"]]);
                assert_eq!(*span, Span::new(1, 1));
            }
            other => panic!("{other:?}"),
        }
        let s = ok("if ! ip netns list\nthen\n  echo none\nfi\n");
        match first(&s) {
            Command::If { branches, else_body, .. } => {
                assert!(branches[0].0[0].and_or.first.bang);
                assert!(else_body.is_none());
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn while_groups_subshells_and_bang() {
        // Proves while loops, `{ ...; }` groups, `( ... )` subshells (also
        // nested and inside pipelines) and `!` negation.
        let s = ok("while ! ping -c1 x; do sleep 1; done");
        match first(&s) {
            Command::While { cond, body, .. } => {
                assert!(cond[0].and_or.first.bang);
                assert_eq!(body.len(), 1);
            }
            other => panic!("{other:?}"),
        }
        let s = ok("{ a; b; } && (c; (d)) | e");
        match first(&s) {
            Command::Group(items, span) => {
                assert_eq!(items.len(), 2);
                assert_eq!(*span, Span::new(1, 1));
            }
            other => panic!("{other:?}"),
        }
        let p = &s.items[0].and_or.rest[0].1;
        assert!(matches!(&p.commands[0], Command::Subshell(items, _) if items.len() == 2));
        assert!(ok("! a | b").items[0].and_or.first.bang);
        assert!(!ok("! ! a").items[0].and_or.first.bang);
        assert_eq!(ok("! a").items[0].and_or.first.span, Span::new(1, 1));
    }

    #[test]
    fn redirections() {
        // Proves every redirection kind with default and explicit fds.
        let s = ok("cmd >o 2>e >>a <i 2>&1 >&2 &>b >|c 3<in <<<\"$x\"");
        let r = &simple(first(&s)).redirects;
        let got: Vec<(u32, String)> = r
            .iter()
            .map(|r| {
                let k = match &r.kind {
                    RedirectKind::Out(w) => format!("out {}", w.as_literal().unwrap()),
                    RedirectKind::Append(w) => format!("append {}", w.as_literal().unwrap()),
                    RedirectKind::In(w) => format!("in {}", w.as_literal().unwrap()),
                    RedirectKind::DupOut(n) => format!("dup {n}"),
                    RedirectKind::Both(w) => format!("both {}", w.as_literal().unwrap()),
                    RedirectKind::HereString(w) => format!("here {:?}", w.parts),
                    RedirectKind::HereDoc { .. } => "heredoc".to_string(),
                };
                (r.fd, k)
            })
            .collect();
        let want: Vec<(u32, String)> = [
            (1, "out o"),
            (2, "out e"),
            (1, "append a"),
            (0, "in i"),
            (2, "dup 1"),
            (1, "dup 2"),
            (1, "both b"),
            (1, "out c"),
            (3, "in in"),
            (0, "here [DoubleQuoted([Var(\"x\")])]"),
        ]
        .iter()
        .map(|(fd, k)| (*fd, k.to_string()))
        .collect();
        assert_eq!(got, want);
        assert_eq!(r[1].span, Span::new(1, 8));
        // Redirections may come first and alone.
        let s = ok(">/dev/null 2>&1 echo hi\n> empty");
        assert_eq!(lits(&simple(first(&s)).words), ["echo", "hi"]);
        assert_eq!(simple(first(&s)).span, Span::new(1, 1));
        let c = simple(&s.items[1].and_or.first.commands[0]);
        assert!(c.words.is_empty() && c.redirects.len() == 1);
    }

    #[test]
    fn heredocs() {
        // Proves here-document bodies: several per line read in order, quoted
        // delimiters disable expansion, <<- strips tabs, the command line may
        // continue after `<<EOF`, and line numbers after a body stay right.
        let src = "cat <<A <<'B' | tee x\n$a\nA\n$(not run)\nB\necho after\ncat <<-\"E\"\n\t\tx\n\tE\n";
        let s = ok(src);
        let cat = simple(first(&s));
        match (&cat.redirects[0].kind, &cat.redirects[1].kind) {
            (
                RedirectKind::HereDoc { body: b1, expand: e1, .. },
                RedirectKind::HereDoc { body: b2, expand: e2, .. },
            ) => {
                assert_eq!((b1.as_str(), *e1), ("$a\n", true));
                assert_eq!((b2.as_str(), *e2), ("$(not run)\n", false));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(s.items[1].span, Span::new(6, 1));
        let c = simple(&s.items[2].and_or.first.commands[0]);
        assert_eq!(c.redirects[0].kind, RedirectKind::HereDoc { body: "x\n".into(), expand: false, strip_tabs: true });
        // Delimiter forms: \EOF and E"O"F are quoted; the delimiter line must
        // match exactly; a body may be empty; the last line needs no newline.
        let s = ok("cat <<\\EOF\n EOF\nEOF \nEOF\ncat <<E\"O\"F\nEOF");
        match &simple(first(&s)).redirects[0].kind {
            RedirectKind::HereDoc { body, expand, .. } => {
                assert_eq!(body, " EOF\nEOF \n");
                assert!(!expand);
            }
            other => panic!("{other:?}"),
        }
        // A heredoc inside a loop body, and a continued line in the body
        // (unquoted delimiter) that hides the delimiter.
        let s = ok("for i in 1; do\n  cat <<EOF\nx \\\nEOF\nEOF\ndone\n");
        match first(&s) {
            Command::For { body, .. } => match &simple(&body[0].and_or.first.commands[0]).redirects[0].kind {
                RedirectKind::HereDoc { body, .. } => assert_eq!(body, "x \\\nEOF\n"),
                other => panic!("{other:?}"),
            },
            other => panic!("{other:?}"),
        }
        // A pipeline continued after `|` on the line after the body, and the
        // spaced form of the seed's clab line.
        let s = ok("cat <<EOF |\nbody\nEOF\n  grep b\ncat <<EOF > clab.yaml | clab deploy -t clab.yaml -\nx\nEOF\n");
        assert_eq!(s.items.len(), 2);
        let p = &s.items[0].and_or.first;
        assert_eq!(p.commands.len(), 2);
        assert_eq!(p.commands[1].span(), Span::new(4, 3));
        assert_eq!(s.items[1].and_or.first.commands.len(), 2);
        // The fd before << is kept.
        assert_eq!(simple(first(&ok("cat 3<<X\nX\n"))).redirects[0].fd, 3);
    }

    #[test]
    fn heredoc_errors() {
        // Proves an unterminated here-document points at its `<<`, a missing
        // delimiter word is a syntax error, and command substitution in an
        // expanding body is refused at its real line:col.
        let (l, c, m) = err("echo a\ncat <<EOF\nbody\n");
        assert_eq!((l, c), (2, 5));
        assert!(m.contains("'<<EOF'") && m.contains("never closed"), "{m}");
        let (l, c, _) = err("cat <<EOF");
        assert_eq!((l, c), (1, 5));
        let (l, c, m) = err("cat <<\n");
        assert_eq!((l, c), (1, 5));
        assert!(m.contains("delimiter"), "{m}");
        refused("cat <<EOF\nok\n  now: $(date)\nEOF\n", 3, 8, "$(...)");
        refused("cat <<EOF\n`date`\nEOF\n", 2, 1, "`...`");
    }

    #[test]
    fn refused_expansions() {
        // Proves each refused expansion is reported at its first character with
        // its name.
        refused("echo $(date)", 1, 6, "$(...)");
        refused("x=1\necho \"a $(date)\"", 2, 9, "$(...)");
        refused("echo `date`", 1, 6, "`...`");
        refused("echo $((1+2))", 1, 6, "$((...))");
        refused("echo $[1+2]", 1, 6, "$[...]");
        refused("echo \"$@\"", 1, 7, "$@");
        refused("echo $*", 1, 6, "$*");
        refused("echo ${#X}", 1, 6, "${#...}");
        refused("echo ${!X}", 1, 6, "${!...}");
        refused("echo ${X:=1}", 1, 6, "${X:=...}");
        refused("echo ${X%.*}", 1, 6, "${X%...}");
        refused("echo ${A[0]}", 1, 6, "${A[...]}");
        refused("diff <(a) b", 1, 6, "<(...)");
        refused("echo $\"hi\"", 1, 6, "$\"...\"");
        refused("cd ~/x", 1, 4, "~");
        refused("A=~/x cmd", 1, 3, "~");
        refused("P=/a:~/b", 1, 6, "~");
    }

    #[test]
    fn globs_and_braces_refused_outside_assignments() {
        // Proves unquoted *, ?, [..] and {a,b} are refused in arguments, for
        // lists and redirection targets, and accepted when quoted or escaped.
        refused("ls *.pcap", 1, 4, "*");
        refused("echo a?", 1, 7, "?");
        refused("tcpdump ether[0] = 1", 1, 14, "[...]");
        refused("for f in x/*; do :; done", 1, 12, "*");
        refused("echo > out*", 1, 11, "*");
        refused("echo a{b,c}", 1, 7, "{a,b}");
        refused("echo {1..3}", 1, 6, "{a,b}");
        assert_eq!(
            words_of("echo '*' \"?\" \\[a] [ ] {} {a} x{ a,b"),
            ["echo", "*", "?", "[a]", "[", "]", "{}", "{a}", "x{", "a,b"]
        );
    }

    #[test]
    fn refused_commands() {
        // Proves case, functions, until, [[ ]], (( )), select, time, arrays,
        // +=, IFS= and `for` without `in` are refused at the construct.
        refused("x=1\ncase $x in a) echo;; esac", 2, 1, "case");
        refused("echo a;; b", 1, 7, ";;");
        refused("f() { echo; }", 1, 1, "name() { ...; }");
        refused("function f { echo; }", 1, 1, "function");
        refused("until a; do b; done", 1, 1, "until");
        refused("[[ -f x ]] && echo", 1, 1, "[[ ... ]]");
        refused("((i++))", 1, 1, "((...))");
        refused("select x in a; do b; done", 1, 1, "select");
        refused("time sleep 1", 1, 1, "time");
        refused("A=(a b)", 1, 3, "A=(...)");
        refused("A+=x", 1, 1, "A+=");
        refused("IFS=: read a b", 1, 1, "IFS=");
        refused("for x; do echo; done", 1, 1, "for NAME; do");
        refused("for ((i=0;;)); do echo; done", 1, 1, "for ((...))");
        refused("a |& b", 1, 3, "|&");
        refused("a &>> f", 1, 3, "&>>");
        refused("a <&3", 1, 3, "<&");
        refused("a 2>&-", 1, 3, ">&-");
        refused("a >&file", 1, 3, ">&WORD");
        refused("for x in a; do b; done > f", 1, 24, ">");
        refused("{ a; } 2>&1", 1, 8, "2");
    }

    #[test]
    fn unterminated_constructs_point_at_the_opening() {
        // Proves every unterminated construct is reported at its opening
        // position, not at the end of the file.
        let cases: [(&str, (u32, u32), &str); 12] = [
            ("echo 'abc\n\n", (1, 6), "single quote"),
            ("echo x \"abc\n", (1, 8), "double quote"),
            ("echo ${X", (1, 6), "'${'"),
            ("echo ${X:-abc", (1, 6), "'${'"),
            ("echo $'abc", (1, 6), "\"$'\""),
            ("\nfor x in a b; do\n echo $x\n", (2, 1), "'for'"),
            ("for x in a b\n", (1, 1), "'for'"),
            ("while true; do\n:\n", (1, 1), "'while'"),
            ("  if a; then\n b\nelse c\n", (1, 3), "'if'"),
            ("if a\n", (1, 1), "'if'"),
            ("{ a;\n b\n", (1, 1), "'{'"),
            ("( a\n", (1, 1), "'('"),
        ];
        for (src, pos, construct) in cases {
            let (l, c, m) = err(src);
            assert_eq!((l, c), pos, "{src:?}: {m}");
            assert!(m.starts_with(construct) && m.contains("never closed"), "{src:?}: {m}");
        }
    }

    #[test]
    fn syntax_errors() {
        // Proves misplaced closers, empty bodies and missing words are syntax
        // errors at the offending token, mentioning the opening construct.
        let cases: [(&str, (u32, u32), &str); 12] = [
            ("echo a\nfi", (2, 1), "unexpected 'fi' (no open 'if')"),
            ("echo ${X\n}", (1, 6), "bad substitution"),
            ("done", (1, 1), "unexpected 'done'"),
            ("a )", (1, 3), "unexpected ')'"),
            ("}", (1, 1), "unexpected '}'"),
            ("; a", (1, 1), "unexpected ';'"),
            ("a && ; b", (1, 6), "unexpected ';'"),
            ("a | | b", (1, 5), "unexpected '|'"),
            ("for x in a; do a; fi", (1, 19), "expected 'done' to go with 'for' at 1:1, found 'fi'"),
            ("if a; then fi", (1, 12), "expected a command after 'then'"),
            ("for 1 in a; do b; done", (1, 5), "expected a variable name"),
            ("echo >", (1, 6), "expected a file name after '>'"),
        ];
        for (src, pos, needle) in cases {
            let (l, c, m) = err(src);
            assert_eq!((l, c), pos, "{src:?}: {m}");
            assert!(m.contains(needle), "{src:?}: {m}");
        }
    }

    #[test]
    fn errors_come_out_in_file_order() {
        // Proves a syntax error before a lexical error is the one reported,
        // and a lexical error is reported when it comes first.
        let (l, c, m) = err("fi\necho $(date)\n");
        assert_eq!((l, c), (1, 1), "{m}");
        let (l, c, _) = err("echo $(date)\nfi\n");
        assert_eq!((l, c), (1, 6));
        // The `[[` refusal comes before the glob inside it.
        refused("[[ $x == a* ]]", 1, 1, "[[ ... ]]");
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        // Proves hostile nesting is refused with a position instead of
        // exhausting the stack, while ordinary nesting parses.
        let deep = "( ".repeat(10_000);
        let (l, c, m) = err(&deep);
        assert_eq!((l, c), (1, 101), "{m}");
        assert!(m.contains("nesting"), "{m}");
        let braces = format!("echo {}", "${X:-".repeat(10_000));
        let (_, _, m) = err(&braces);
        assert!(m.contains("nesting"), "{m}");
        let ok_src = format!("{}a{}", "( ".repeat(40), " )".repeat(40));
        ok(&ok_src);
    }
}
