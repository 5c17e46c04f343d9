//! Hand-written lexer for the scenario shell subset.
//!
//! It is written by hand (no lexer generator, no shell-words crate) because the
//! parser needs a line:column for every word and operator, and because bash's
//! lexical rules are context-dependent in ways a table lexer handles badly:
//! backslash-newline is removed everywhere except inside single quotes and
//! comments, `#` starts a comment only at the start of a word, a digit string
//! directly before `<`/`>` is a file descriptor, and here-document bodies are
//! read from the lines after the current command line.
//!
//! The lexer turns the source into a flat list of [`Token`]s. Words come out
//! already split into [`WordPart`]s (quotes removed, escapes applied, `$VAR`
//! recognised). Here-document bodies are attached to their `<<` token when the
//! lexer reaches the end of the command line, as bash does.
//!
//! It does not know about grammar: reserved words (`for`, `if`, `{`, ...) are
//! ordinary words here, marked `plain` so the parser can recognise them in
//! command position. A lexical error does not stop the parser at once: it is
//! stored as the last token, so an earlier syntax error is still reported
//! first (errors come out in file order).
//!
//! Refused here, with the construct named: command substitution (`$(...)`,
//! backquotes), arithmetic (`$((...))`, `$[...]`), process substitution,
//! `$@`/`$*`/`$-`, `${...}` operators other than `:-`/`-`, `$"..."`, tilde
//! expansion, `;;`, `|&`, `&>>`, `<&`, `<>`, carriage returns. Globs and brace
//! expansion are recorded on the word and refused by the parser unless the
//! word is an assignment (bash does not glob assignment values).

use super::ast::{Span, Word, WordPart};
use super::error::{ScenarioError, ScenarioErrorKind as Kind};
use super::MAX_NESTING;

/// An operator token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    /// `;`
    Semi,
    /// `&`
    Amp,
    /// `&&`
    AndIf,
    /// `||`
    OrIf,
    /// `|`
    Pipe,
    /// `(`
    LParen,
    /// `)`
    RParen,
    /// `>`
    Great,
    /// `>>`
    DGreat,
    /// `>|`
    Clobber,
    /// `<`
    Less,
    /// `&>`
    AndGreat,
    /// `>&`
    GreatAnd,
    /// `<<<`
    TLess,
}

impl Op {
    /// The operator as written.
    pub(crate) fn symbol(self) -> &'static str {
        match self {
            Op::Semi => ";",
            Op::Amp => "&",
            Op::AndIf => "&&",
            Op::OrIf => "||",
            Op::Pipe => "|",
            Op::LParen => "(",
            Op::RParen => ")",
            Op::Great => ">",
            Op::DGreat => ">>",
            Op::Clobber => ">|",
            Op::Less => "<",
            Op::AndGreat => "&>",
            Op::GreatAnd => ">&",
            Op::TLess => "<<<",
        }
    }
}

/// A word token with what the parser needs to know about how it was written.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct WordTok {
    /// The word.
    pub word: Word,
    /// The text when the word was written with no quote, escape or expansion
    /// at all: only such words can be reserved words or fd numbers.
    pub plain: Option<String>,
    /// `Some((name, value_span))` when the word starts with an unquoted
    /// `NAME=`; the value is the rest of the word.
    pub assign: Option<(String, Span)>,
    /// An unquoted glob or brace expansion in the word: refused by the parser
    /// unless the word is used as an assignment.
    pub expansion: Option<(Span, Kind)>,
}

/// The body and flags of a here-document redirection.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct HereDocTok {
    /// Body lines, each ending in `\n` (leading tabs removed for `<<-`).
    pub body: String,
    /// `false` when the delimiter was quoted.
    pub expand: bool,
    /// `true` for `<<-`.
    pub strip_tabs: bool,
}

/// The kinds of token.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    /// A word.
    Word(WordTok),
    /// A file-descriptor number directly before a redirection operator.
    IoNumber(u32),
    /// An operator.
    Op(Op),
    /// `<<DELIM` or `<<-DELIM` with its body.
    HereDoc(HereDocTok),
    /// An unquoted newline.
    Newline,
    /// End of input.
    Eof,
    /// A lexical error; always the last token.
    Error(ScenarioError),
}

/// A token and where it starts.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    /// What the token is.
    pub tok: Tok,
    /// Position of its first character.
    pub span: Span,
}

/// Turns a script into tokens. The list always ends with [`Tok::Eof`] or
/// [`Tok::Error`].
pub(crate) fn tokenize(src: &str, file: &str) -> Vec<Token> {
    let mut lx = Lexer::new(src, file);
    let mut toks = Vec::new();
    let end = match lx.run(&mut toks) {
        Ok(()) => Token { tok: Tok::Eof, span: lx.here() },
        Err(e) => Token { span: e.span(), tok: Tok::Error(e) },
    };
    toks.push(end);
    toks
}

/// Splits a raw here-document body into parts (literal text and variables),
/// with the rules bash applies to an unquoted-delimiter body: `\$`, `` \` ``,
/// `\\` and backslash-newline are escapes, quotes are ordinary characters.
///
/// # Errors
///
/// Command substitution, arithmetic and unsupported `${...}` forms, with the
/// position inside `body` (line 1 is the first body line).
pub(crate) fn heredoc_parts(body: &str) -> Result<Vec<WordPart>, ScenarioError> {
    let mut lx = Lexer::new(body, "<here-document>");
    let open = lx.here();
    lx.quoted_parts(Ctx::HereDoc, open)
}

/// The quoting context a run of characters is read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ctx {
    /// Outside quotes.
    Unquoted,
    /// Inside `"..."`.
    Double,
    /// An unquoted-delimiter here-document body.
    HereDoc,
}

/// A here-document whose body is read at the next newline.
struct Pending {
    token: usize,
    open: Span,
    delim: String,
    expand: bool,
    strip_tabs: bool,
}

/// Collects word parts, merging adjacent literal text.
#[derive(Default)]
struct Parts {
    parts: Vec<WordPart>,
    lit: String,
}

impl Parts {
    fn push(&mut self, part: WordPart) {
        self.flush();
        self.parts.push(part);
    }

    fn flush(&mut self) {
        if !self.lit.is_empty() {
            self.parts.push(WordPart::Literal(std::mem::take(&mut self.lit)));
        }
    }

    fn finish(mut self) -> Vec<WordPart> {
        self.flush();
        self.parts
    }
}

/// Characters that end an unquoted word.
fn is_meta(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | ';' | '&' | '|' | '<' | '>' | '(' | ')')
}

fn is_name_start(c: char) -> bool {
    c == '_' || c.is_ascii_alphabetic()
}

fn is_name_char(c: char) -> bool {
    c == '_' || c.is_ascii_alphanumeric()
}

/// `true` for a valid shell variable name.
pub(crate) fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) if is_name_start(c) => chars.all(is_name_char),
        _ => false,
    }
}

struct Lexer<'f> {
    file: &'f str,
    /// `${` currently open (defaults may nest).
    depth: usize,
    chars: Vec<char>,
    /// `spans[k]` is the position of `chars[k]`; one extra entry for the end.
    spans: Vec<Span>,
    i: usize,
}

impl<'f> Lexer<'f> {
    fn new(src: &str, file: &'f str) -> Self {
        let chars: Vec<char> = src.chars().collect();
        let mut spans = Vec::with_capacity(chars.len() + 1);
        let (mut line, mut col) = (1u32, 1u32);
        for &c in &chars {
            spans.push(Span::new(line, col));
            if c == '\n' {
                line = line.saturating_add(1);
                col = 1;
            } else {
                col = col.saturating_add(1);
            }
        }
        spans.push(Span::new(line, col));
        Lexer { file, depth: 0, chars, spans, i: 0 }
    }

    /// A lexer over characters cut out of a larger file (a here-document
    /// body), keeping their original positions.
    fn sub(file: &'f str, chars: Vec<char>, mut spans: Vec<Span>, end: Span) -> Self {
        spans.push(end);
        Lexer { file, depth: 0, chars, spans, i: 0 }
    }

    fn c(&self, k: usize) -> Option<char> {
        self.chars.get(k).copied()
    }

    fn span_at(&self, k: usize) -> Span {
        let last = self.spans.len() - 1;
        self.spans[k.min(last)]
    }

    fn here(&self) -> Span {
        self.span_at(self.i)
    }

    fn err(&self, span: Span, kind: Kind) -> ScenarioError {
        ScenarioError::new(self.file, span, kind)
    }

    /// Skips backslash-newline pairs (line continuations) at the cursor.
    fn skip_cont(&mut self) {
        while self.c(self.i) == Some('\\') && self.c(self.i + 1) == Some('\n') {
            self.i += 2;
        }
    }

    /// The current character, after removing line continuations.
    fn peek(&mut self) -> Option<char> {
        self.skip_cont();
        self.c(self.i)
    }

    /// Consumes `ch` if it is the current character (after continuations).
    fn eat(&mut self, ch: char) -> bool {
        if self.peek() == Some(ch) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn skip_blanks(&mut self) {
        while matches!(self.peek(), Some(' ' | '\t')) {
            self.i += 1;
        }
    }

    fn run(&mut self, toks: &mut Vec<Token>) -> Result<(), ScenarioError> {
        let mut pending: Vec<Pending> = Vec::new();
        loop {
            self.skip_blanks();
            let span = self.here();
            let Some(c) = self.peek() else {
                if let Some(p) = pending.first() {
                    return Err(self.heredoc_eof(p));
                }
                return Ok(());
            };
            let op = |op: Op| Token { tok: Tok::Op(op), span };
            match c {
                '#' => {
                    while let Some(ch) = self.c(self.i) {
                        if ch == '\n' {
                            break;
                        }
                        self.i += 1;
                    }
                }
                '\n' => {
                    self.i += 1;
                    toks.push(Token { tok: Tok::Newline, span });
                    for p in pending.drain(..) {
                        let body = self.heredoc_body(&p)?;
                        toks[p.token].tok =
                            Tok::HereDoc(HereDocTok { body, expand: p.expand, strip_tabs: p.strip_tabs });
                    }
                }
                '\r' => return Err(self.err(span, carriage_return())),
                ';' => {
                    self.i += 1;
                    if self.eat(';') {
                        return Err(
                            self.err(span, Kind::unsupported(";;", "case clause terminator; 'case' is not supported"))
                        );
                    }
                    if self.peek() == Some('&') {
                        return Err(
                            self.err(span, Kind::unsupported(";&", "case fall-through; 'case' is not supported"))
                        );
                    }
                    toks.push(op(Op::Semi));
                }
                '&' => {
                    self.i += 1;
                    if self.eat('&') {
                        toks.push(op(Op::AndIf));
                    } else if self.eat('>') {
                        if self.peek() == Some('>') {
                            return Err(self.err(
                                span,
                                Kind::unsupported("&>>", "append stdout and stderr; write '>> file 2>&1'"),
                            ));
                        }
                        toks.push(op(Op::AndGreat));
                    } else {
                        toks.push(op(Op::Amp));
                    }
                }
                '|' => {
                    self.i += 1;
                    if self.eat('|') {
                        toks.push(op(Op::OrIf));
                    } else if self.peek() == Some('&') {
                        return Err(self.err(span, Kind::unsupported("|&", "pipe stdout and stderr; write '2>&1 |'")));
                    } else {
                        toks.push(op(Op::Pipe));
                    }
                }
                '(' => {
                    self.i += 1;
                    toks.push(op(Op::LParen));
                }
                ')' => {
                    self.i += 1;
                    toks.push(op(Op::RParen));
                }
                '<' => {
                    self.i += 1;
                    if self.eat('<') {
                        if self.eat('<') {
                            toks.push(op(Op::TLess));
                        } else {
                            let strip_tabs = self.eat('-');
                            let (delim, quoted) = self.heredoc_delim(span)?;
                            pending.push(Pending { token: toks.len(), open: span, delim, expand: !quoted, strip_tabs });
                            toks.push(Token {
                                tok: Tok::HereDoc(HereDocTok { body: String::new(), expand: !quoted, strip_tabs }),
                                span,
                            });
                        }
                    } else {
                        match self.peek() {
                            Some('&') => {
                                return Err(self.err(span, Kind::unsupported("<&", "input descriptor duplication")))
                            }
                            Some('>') => {
                                return Err(self.err(span, Kind::unsupported("<>", "open for reading and writing")))
                            }
                            Some('(') => {
                                return Err(self.err(span, Kind::unsupported("<(...)", "process substitution")))
                            }
                            _ => toks.push(op(Op::Less)),
                        }
                    }
                }
                '>' => {
                    self.i += 1;
                    if self.eat('>') {
                        toks.push(op(Op::DGreat));
                    } else if self.eat('&') {
                        toks.push(op(Op::GreatAnd));
                    } else if self.eat('|') {
                        toks.push(op(Op::Clobber));
                    } else if self.peek() == Some('(') {
                        return Err(self.err(span, Kind::unsupported(">(...)", "process substitution")));
                    } else {
                        toks.push(op(Op::Great));
                    }
                }
                _ => {
                    let w = self.word()?;
                    let fd = match &w.plain {
                        Some(p) if p.chars().all(|c| c.is_ascii_digit()) && matches!(self.peek(), Some('<' | '>')) => {
                            Some(p.parse::<u32>().map_err(|_| {
                                self.err(span, Kind::Syntax(format!("file descriptor {p} is too large")))
                            })?)
                        }
                        _ => None,
                    };
                    let tok = match fd {
                        Some(n) => Tok::IoNumber(n),
                        None => Tok::Word(w),
                    };
                    toks.push(Token { tok, span });
                }
            }
        }
    }

    fn heredoc_eof(&self, p: &Pending) -> ScenarioError {
        self.err(
            p.open,
            Kind::unterminated(
                &format!("here-document '<<{}'", p.delim),
                &format!("a line containing only '{}'", p.delim),
            ),
        )
    }

    /// Reads the delimiter word after `<<` / `<<-`: quote removal only, no
    /// expansion. Returns the delimiter and whether any part was quoted.
    fn heredoc_delim(&mut self, op: Span) -> Result<(String, bool), ScenarioError> {
        self.skip_blanks();
        let mut delim = String::new();
        let mut quoted = false;
        let mut any = false;
        while let Some(c) = self.peek() {
            if is_meta(c) {
                break;
            }
            any = true;
            let open = self.here();
            self.i += 1;
            match c {
                '\'' => {
                    delim.push_str(&self.single_quoted(open)?);
                    quoted = true;
                }
                '"' => {
                    quoted = true;
                    loop {
                        match self.c(self.i) {
                            None => return Err(self.err(open, Kind::unterminated("double quote", "a closing '\"'"))),
                            Some('"') => {
                                self.i += 1;
                                break;
                            }
                            Some('\\') if matches!(self.c(self.i + 1), Some('\\' | '"' | '$' | '`')) => {
                                delim.extend(self.c(self.i + 1));
                                self.i += 2;
                            }
                            Some(ch) => {
                                delim.push(ch);
                                self.i += 1;
                            }
                        }
                    }
                }
                '\\' => {
                    quoted = true;
                    if let Some(ch) = self.c(self.i) {
                        delim.push(ch);
                        self.i += 1;
                    }
                }
                '\r' => return Err(self.err(open, carriage_return())),
                _ => delim.push(c),
            }
        }
        if !any {
            return Err(self.err(op, Kind::Syntax("expected a here-document delimiter word after '<<'".to_string())));
        }
        Ok((delim, quoted))
    }

    /// Reads a here-document body starting at the cursor (the line after the
    /// command line) up to and including its delimiter line.
    fn heredoc_body(&mut self, p: &Pending) -> Result<String, ScenarioError> {
        let mut body = String::new();
        let mut body_chars = Vec::new();
        let mut body_spans = Vec::new();
        loop {
            if self.i >= self.chars.len() {
                return Err(self.heredoc_eof(p));
            }
            // One logical line: with an unquoted delimiter, a line ending in
            // an unescaped backslash continues on the next one (bash joins
            // them before comparing with the delimiter).
            let mut kept: Vec<usize> = Vec::new();
            let mut logical = String::new();
            loop {
                if p.strip_tabs {
                    while self.c(self.i) == Some('\t') {
                        self.i += 1;
                    }
                }
                let start = self.i;
                while let Some(ch) = self.c(self.i) {
                    if ch == '\n' {
                        break;
                    }
                    self.i += 1;
                }
                let end = self.i;
                let has_nl = self.c(end) == Some('\n');
                kept.extend(start..end);
                if has_nl {
                    kept.push(end);
                    self.i += 1;
                }
                let text: String = self.chars[start..end].iter().collect();
                let trailing = text.chars().rev().take_while(|&c| c == '\\').count();
                if p.expand && has_nl && trailing % 2 == 1 {
                    logical.push_str(&text[..text.len() - 1]);
                    continue;
                }
                logical.push_str(&text);
                break;
            }
            if logical == p.delim {
                break;
            }
            for k in kept {
                body.push(self.chars[k]);
                body_chars.push(self.chars[k]);
                body_spans.push(self.spans[k]);
            }
        }
        if p.expand {
            // Check now, with real positions, what expand_heredoc will meet
            // at run time.
            let end = self.here();
            let mut sub = Lexer::sub(self.file, body_chars, body_spans, end);
            sub.quoted_parts(Ctx::HereDoc, p.open)?;
        }
        Ok(body)
    }

    /// Reads one unquoted word starting at the cursor.
    fn word(&mut self) -> Result<WordTok, ScenarioError> {
        let start = self.here();
        let mut parts = Parts::default();
        let mut plain = true;
        // Every character so far is an unescaped name character.
        let mut name_ok = true;
        let mut assign: Option<(String, Span)> = None;
        // The previous character was an unquoted `=` of the assignment or `:`
        // in an assignment value (where bash expands a tilde).
        let mut tilde_spot = true;
        let mut expansion: Option<(Span, Kind)> = None;
        let mut bracket: Option<Span> = None;
        let mut brace: Option<(Span, bool)> = None;
        while let Some(c) = self.peek() {
            if is_meta(c) {
                break;
            }
            let cspan = self.here();
            self.i += 1;
            let was_tilde_spot = tilde_spot;
            tilde_spot = false;
            match c {
                '\r' => return Err(self.err(cspan, carriage_return())),
                '\'' => {
                    let s = self.single_quoted(cspan)?;
                    parts.push(WordPart::SingleQuoted(s));
                    plain = false;
                    name_ok = false;
                }
                '"' => {
                    let inner = self.quoted_parts(Ctx::Double, cspan)?;
                    parts.push(WordPart::DoubleQuoted(inner));
                    plain = false;
                    name_ok = false;
                }
                '\\' => {
                    // Backslash-newline was already removed by peek().
                    match self.c(self.i) {
                        Some(ch) => {
                            parts.lit.push(ch);
                            self.i += 1;
                        }
                        None => parts.lit.push('\\'),
                    }
                    plain = false;
                    name_ok = false;
                }
                '$' => {
                    self.i -= 1;
                    match self.dollar(Ctx::Unquoted)? {
                        Some(part) => {
                            parts.push(part);
                            plain = false;
                        }
                        None => parts.lit.push('$'),
                    }
                    name_ok = false;
                }
                '`' => return Err(self.err(cspan, command_substitution("`...`"))),
                _ => {
                    parts.lit.push(c);
                    match c {
                        '=' if name_ok && assign.is_none() && is_name(&parts.lit[..parts.lit.len() - 1]) => {
                            let name = parts.lit[..parts.lit.len() - 1].to_string();
                            assign = Some((name, self.here()));
                            tilde_spot = true;
                        }
                        ':' if assign.is_some() => tilde_spot = true,
                        '~' if was_tilde_spot && (cspan == start || assign.is_some()) => {
                            return Err(self.err(
                                cspan,
                                Kind::unsupported(
                                    "~",
                                    "tilde expansion to a home directory; write the path or quote the '~'",
                                ),
                            ));
                        }
                        '*' | '?' => {
                            expansion.get_or_insert((cspan, glob(&c.to_string())));
                        }
                        '[' => {
                            bracket.get_or_insert(cspan);
                        }
                        ']' => {
                            if let Some(b) = bracket {
                                expansion.get_or_insert((b, glob("[...]")));
                            }
                        }
                        '{' => brace = Some((cspan, false)),
                        ',' => {
                            if let Some((_, sep)) = brace.as_mut() {
                                *sep = true;
                            }
                        }
                        '.' if self.peek() == Some('.') => {
                            if let Some((_, sep)) = brace.as_mut() {
                                *sep = true;
                            }
                        }
                        '}' => {
                            if let Some((b, true)) = brace {
                                expansion.get_or_insert((
                                    b,
                                    Kind::unsupported(
                                        "{a,b}",
                                        "brace expansion; write the words out or quote the braces",
                                    ),
                                ));
                            }
                            brace = None;
                        }
                        _ => {}
                    }
                    name_ok = name_ok && is_name_char(c);
                }
            }
        }
        let parts = parts.finish();
        let plain = match (plain, parts.as_slice()) {
            (true, [WordPart::Literal(s)]) => Some(s.clone()),
            _ => None,
        };
        Ok(WordTok { word: Word { parts, span: start }, plain, assign, expansion })
    }

    /// Reads the rest of `'...'` after the opening quote at `open`.
    fn single_quoted(&mut self, open: Span) -> Result<String, ScenarioError> {
        let mut s = String::new();
        loop {
            match self.c(self.i) {
                None => return Err(self.err(open, Kind::unterminated("single quote", "a closing \"'\""))),
                Some('\'') => {
                    self.i += 1;
                    return Ok(s);
                }
                Some(ch) => {
                    s.push(ch);
                    self.i += 1;
                }
            }
        }
    }

    /// Reads the inside of `"..."` (after the opening quote at `open`, up to
    /// and including the closing quote) or a whole here-document body.
    fn quoted_parts(&mut self, ctx: Ctx, open: Span) -> Result<Vec<WordPart>, ScenarioError> {
        let mut parts = Parts::default();
        loop {
            let Some(c) = self.peek() else {
                if ctx == Ctx::HereDoc {
                    break;
                }
                return Err(self.err(open, Kind::unterminated("double quote", "a closing '\"'")));
            };
            match c {
                '"' if ctx == Ctx::Double => {
                    self.i += 1;
                    break;
                }
                '\\' => {
                    let next = self.c(self.i + 1);
                    match next {
                        Some(n @ ('$' | '`' | '\\')) => {
                            parts.lit.push(n);
                            self.i += 2;
                        }
                        Some('"') if ctx == Ctx::Double => {
                            parts.lit.push('"');
                            self.i += 2;
                        }
                        _ => {
                            parts.lit.push('\\');
                            self.i += 1;
                        }
                    }
                }
                '$' => match self.dollar(ctx)? {
                    Some(part) => parts.push(part),
                    None => parts.lit.push('$'),
                },
                '`' => return Err(self.err(self.here(), command_substitution("`...`"))),
                _ => {
                    parts.lit.push(c);
                    self.i += 1;
                }
            }
        }
        Ok(parts.finish())
    }

    /// Reads an expansion starting at the `$` under the cursor. Returns `None`
    /// (with the cursor after the `$`) when the `$` is a literal dollar sign.
    fn dollar(&mut self, ctx: Ctx) -> Result<Option<WordPart>, ScenarioError> {
        let dspan = self.here();
        self.i += 1;
        let Some(c) = self.peek() else {
            return Ok(None);
        };
        match c {
            '(' => {
                self.i += 1;
                if self.peek() == Some('(') {
                    Err(self.err(dspan, Kind::unsupported("$((...))", "arithmetic expansion")))
                } else {
                    Err(self.err(dspan, command_substitution("$(...)")))
                }
            }
            '[' => Err(self.err(dspan, Kind::unsupported("$[...]", "arithmetic expansion"))),
            '{' => {
                self.i += 1;
                self.braced(ctx, dspan).map(Some)
            }
            '\'' if ctx == Ctx::Unquoted => {
                self.i += 1;
                self.ansi_c(dspan).map(|s| Some(WordPart::SingleQuoted(s)))
            }
            '"' if ctx == Ctx::Unquoted => {
                Err(self.err(dspan, Kind::unsupported("$\"...\"", "locale translation; write \"...\"")))
            }
            c if is_name_start(c) => {
                let mut name = String::new();
                while let Some(ch) = self.peek() {
                    if !is_name_char(ch) {
                        break;
                    }
                    name.push(ch);
                    self.i += 1;
                }
                Ok(Some(WordPart::Var(name)))
            }
            c if c.is_ascii_digit() || matches!(c, '?' | '!' | '$' | '#') => {
                self.i += 1;
                Ok(Some(WordPart::Var(c.to_string())))
            }
            '@' | '*' => Err(self.err(dspan, Kind::unsupported(&format!("${c}"), "the list of positional parameters"))),
            '-' => Err(self.err(dspan, Kind::unsupported("$-", "the shell's option flags"))),
            _ => Ok(None),
        }
    }

    /// Reads `${...}` after the `{`; `dspan` is the `$`.
    fn braced(&mut self, ctx: Ctx, dspan: Span) -> Result<WordPart, ScenarioError> {
        if self.depth >= MAX_NESTING {
            return Err(self.err(
                dspan,
                Kind::unsupported("nesting", &format!("more than {MAX_NESTING} nested ${{...}} expansions")),
            ));
        }
        self.depth += 1;
        let part = self.braced_inner(ctx, dspan);
        self.depth -= 1;
        part
    }

    fn braced_inner(&mut self, ctx: Ctx, dspan: Span) -> Result<WordPart, ScenarioError> {
        let unterminated = |lx: &Self| lx.err(dspan, Kind::unterminated("'${'", "a closing '}'"));
        let name = match self.peek() {
            None => return Err(unterminated(self)),
            Some(c) if is_name_start(c) || c.is_ascii_digit() => {
                let digits = c.is_ascii_digit();
                let mut name = String::new();
                while let Some(ch) = self.peek() {
                    let ok = if digits { ch.is_ascii_digit() } else { is_name_char(ch) };
                    if !ok {
                        break;
                    }
                    name.push(ch);
                    self.i += 1;
                }
                name
            }
            Some(c @ ('#' | '!')) => {
                self.i += 1;
                if self.peek() != Some('}') {
                    let (construct, what) =
                        if c == '#' { ("${#...}", "string length") } else { ("${!...}", "indirect expansion") };
                    return Err(self.err(dspan, Kind::unsupported(construct, what)));
                }
                c.to_string()
            }
            Some(c @ ('?' | '$')) => {
                self.i += 1;
                c.to_string()
            }
            Some(c @ ('@' | '*')) => {
                return Err(
                    self.err(dspan, Kind::unsupported(&format!("${{{c}}}"), "the list of positional parameters"))
                )
            }
            Some(_) => {
                return Err(
                    self.err(dspan, Kind::Syntax("bad substitution: expected a variable name after '${'".to_string()))
                )
            }
        };
        let unsupported_op = |lx: &Self, op: &str| {
            lx.err(
                dspan,
                Kind::unsupported(
                    &format!("${{{name}{op}...}}"),
                    "parameter expansion operator; only ${VAR}, ${VAR:-default} and ${VAR-default} are supported",
                ),
            )
        };
        match self.peek() {
            None => Err(unterminated(self)),
            Some('}') => {
                self.i += 1;
                Ok(WordPart::Var(name))
            }
            Some(':') => {
                self.i += 1;
                match self.peek() {
                    Some('-') => {
                        self.i += 1;
                        let default = self.default_word(ctx, dspan)?;
                        Ok(WordPart::VarDefault { name, colon: true, default })
                    }
                    None => Err(unterminated(self)),
                    Some(op) => Err(unsupported_op(self, &format!(":{op}"))),
                }
            }
            Some('-') => {
                self.i += 1;
                let default = self.default_word(ctx, dspan)?;
                Ok(WordPart::VarDefault { name, colon: false, default })
            }
            Some('[') => Err(self.err(dspan, Kind::unsupported(&format!("${{{name}[...]}}"), "arrays"))),
            Some(op @ ('=' | '?' | '+' | '#' | '%' | '/' | '^' | ',')) => Err(unsupported_op(self, &op.to_string())),
            Some(_) => Err(self.err(dspan, Kind::Syntax(format!("bad substitution in '${{{name}...}}'")))),
        }
    }

    /// Reads the default word of `${NAME:-word}` up to the closing `}`.
    fn default_word(&mut self, ctx: Ctx, dspan: Span) -> Result<Vec<WordPart>, ScenarioError> {
        let mut parts = Parts::default();
        loop {
            let Some(c) = self.peek() else {
                return Err(self.err(dspan, Kind::unterminated("'${'", "a closing '}'")));
            };
            let cspan = self.here();
            match (ctx, c) {
                (_, '}') => {
                    self.i += 1;
                    break;
                }
                (_, '`') => return Err(self.err(cspan, command_substitution("`...`"))),
                (_, '$') => match self.dollar(ctx)? {
                    Some(part) => parts.push(part),
                    None => parts.lit.push('$'),
                },
                (Ctx::Unquoted, '\'') => {
                    self.i += 1;
                    let s = self.single_quoted(cspan)?;
                    parts.push(WordPart::SingleQuoted(s));
                }
                (Ctx::Unquoted, '"') => {
                    self.i += 1;
                    let inner = self.quoted_parts(Ctx::Double, cspan)?;
                    parts.push(WordPart::DoubleQuoted(inner));
                }
                (Ctx::Unquoted, '\\') => {
                    self.i += 1;
                    match self.c(self.i) {
                        Some(ch) => {
                            self.i += 1;
                            parts.push(WordPart::SingleQuoted(ch.to_string()));
                        }
                        None => return Err(self.err(dspan, Kind::unterminated("'${'", "a closing '}'"))),
                    }
                }
                (Ctx::Unquoted, '*' | '?') => return Err(self.err(cspan, glob(&c.to_string()))),
                (Ctx::Unquoted, '~') if parts.parts.is_empty() && parts.lit.is_empty() => {
                    return Err(self.err(
                        cspan,
                        Kind::unsupported("~", "tilde expansion to a home directory; write the path or quote the '~'"),
                    ))
                }
                (Ctx::Double, '"') => {
                    return Err(self.err(
                        cspan,
                        Kind::unsupported(
                            "\"${VAR:-\"...\"}\"",
                            "double quotes nested inside ${...} inside double quotes",
                        ),
                    ))
                }
                (Ctx::Double | Ctx::HereDoc, '\\') => {
                    let next = self.c(self.i + 1);
                    match next {
                        Some(n @ ('$' | '`' | '\\' | '}')) => {
                            parts.lit.push(n);
                            self.i += 2;
                        }
                        _ => {
                            parts.lit.push('\\');
                            self.i += 1;
                        }
                    }
                }
                _ => {
                    if c == '\r' && ctx == Ctx::Unquoted {
                        return Err(self.err(cspan, carriage_return()));
                    }
                    parts.lit.push(c);
                    self.i += 1;
                }
            }
        }
        Ok(parts.finish())
    }

    /// Reads the rest of `$'...'` (after the opening quote); `dspan` is the `$`.
    fn ansi_c(&mut self, dspan: Span) -> Result<String, ScenarioError> {
        let mut s = String::new();
        loop {
            match self.c(self.i) {
                None => return Err(self.err(dspan, Kind::unterminated("\"$'\"", "a closing \"'\""))),
                Some('\'') => {
                    self.i += 1;
                    return Ok(s);
                }
                Some('\\') => {
                    let espan = self.here();
                    let decoded = match self.c(self.i + 1) {
                        Some('n') => '\n',
                        Some('t') => '\t',
                        Some('r') => '\r',
                        Some('\\') => '\\',
                        Some('\'') => '\'',
                        Some('"') => '"',
                        other => {
                            let shown = other.map(|c| c.to_string()).unwrap_or_default();
                            return Err(self.err(
                                espan,
                                Kind::unsupported(
                                    &format!("\\{shown}"),
                                    "escape in $'...'; supported: \\n \\t \\r \\\\ \\' \\\"",
                                ),
                            ));
                        }
                    };
                    s.push(decoded);
                    self.i += 2;
                }
                Some(ch) => {
                    s.push(ch);
                    self.i += 1;
                }
            }
        }
    }
}

fn command_substitution(construct: &str) -> Kind {
    Kind::unsupported(construct, "command substitution")
}

fn glob(construct: &str) -> Kind {
    Kind::unsupported(
        construct,
        "pathname expansion (glob): its result depends on the files present; quote it to pass it literally",
    )
}

fn carriage_return() -> Kind {
    Kind::Syntax(
        "carriage return in the script (CRLF line endings?); bash would make it part of the word: convert the file to LF line endings"
            .to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<Tok> {
        tokenize(src, "t.sh").into_iter().map(|t| t.tok).collect()
    }

    fn words(src: &str) -> Vec<String> {
        tokenize(src, "t.sh")
            .into_iter()
            .filter_map(|t| match t.tok {
                Tok::Word(w) => Some(w.plain.unwrap_or_else(|| format!("{:?}", w.word.parts))),
                _ => None,
            })
            .collect()
    }

    fn error(src: &str) -> ScenarioError {
        match tokenize(src, "t.sh").pop().map(|t| t.tok) {
            Some(Tok::Error(e)) => e,
            other => panic!("expected a lexical error for {src:?}, got {other:?}"),
        }
    }

    #[test]
    fn operators_are_recognised() {
        // Proves each supported operator lexes to its own token, including
        // the two-character ones, and that an fd number binds to `>`.
        let toks = kinds("a;b&c&&d||e|f(g)>h>>i>|j<k&>l 2>&1 <<<m\n");
        let ops: Vec<&str> = toks
            .iter()
            .filter_map(|t| match t {
                Tok::Op(op) => Some(op.symbol()),
                Tok::IoNumber(_) => Some("fd"),
                _ => None,
            })
            .collect();
        assert_eq!(ops, [";", "&", "&&", "||", "|", "(", ")", ">", ">>", ">|", "<", "&>", "fd", ">&", "<<<"]);
    }

    #[test]
    fn line_continuation_is_removed_everywhere() {
        // Proves backslash-newline joins a word, an operator and a variable
        // name, as bash removes it before tokenising.
        assert_eq!(words("ec\\\nho a\\\nb"), ["echo", "ab"]);
        let toks = kinds("a &\\\n& b");
        assert!(toks.contains(&Tok::Op(Op::AndIf)));
        let t = tokenize("echo $AB\\\nC", "t.sh");
        match &t[1].tok {
            Tok::Word(w) => assert_eq!(w.word.parts, [WordPart::Var("ABC".into())]),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn comments_only_at_word_start() {
        // Proves `#` starts a comment only at the start of a word, and that a
        // comment does not swallow the newline.
        assert_eq!(words("echo a#b # c d\nx"), ["echo", "a#b", "x"]);
        let toks = kinds("# only\n");
        assert_eq!(toks, [Tok::Newline, Tok::Eof]);
    }

    #[test]
    fn spans_count_characters() {
        // Proves columns count characters, not bytes, after multi-byte text.
        let t = tokenize("echo \"容器\" x", "t.sh");
        assert_eq!(t[2].span, Span::new(1, 11));
    }

    #[test]
    fn fd_number_only_when_adjacent() {
        // Proves `2>` is an fd redirection but `2 >` and `a2>` are words.
        assert_eq!(kinds("2>x")[0], Tok::IoNumber(2));
        assert!(matches!(kinds("2 >x")[0], Tok::Word(_)));
        assert!(matches!(kinds("a2>x")[0], Tok::Word(_)));
        let e = error("99999999999>x");
        assert!(e.to_string().contains("too large"), "{e}");
    }

    #[test]
    fn heredoc_parts_follow_bash_body_rules() {
        // Proves body rules: quotes are ordinary, `\$` escapes, `\"` does not.
        let p = heredoc_parts("a \"$X\" \\$Y \\\" '${Z}'\n").unwrap();
        assert_eq!(
            p,
            [
                WordPart::Literal("a \"".into()),
                WordPart::Var("X".into()),
                WordPart::Literal("\" $Y \\\" '".into()),
                WordPart::Var("Z".into()),
                WordPart::Literal("'\n".into()),
            ]
        );
    }

    #[test]
    fn crlf_is_refused() {
        // Proves a CRLF file is refused at the first carriage return.
        let e = error("echo a\r\n");
        assert_eq!((e.line, e.col), (1, 7));
        assert!(e.to_string().contains("CRLF"));
    }
}
