//! The syntax tree of a scenario script (the bash subset netsim accepts).
//!
//! Every node that a run-time error may need to point at carries a [`Span`]
//! (1-based line and column of its first character). The tree keeps words
//! unexpanded: `$VAR` stays a [`WordPart::Var`] until the interpreter calls
//! [`crate::scenario::expand_word`] with the variables it holds at that moment,
//! exactly as bash expands each command just before running it.
//!
//! This module only defines data. It does not parse (see `parser`), expand (see
//! `expand`) or run anything.

/// A position in the script: 1-based line and 1-based column.
///
/// Columns count Unicode characters, not bytes, so a column after Chinese text
/// in a comment or a string still points at the right character in an editor.
/// A tab counts as one column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Span {
    /// 1-based line number.
    pub line: u32,
    /// 1-based column, in characters.
    pub col: u32,
}

impl Span {
    /// A span at `line`:`col` (both 1-based).
    pub fn new(line: u32, col: u32) -> Self {
        Span { line, col }
    }
}

/// A whole script: the top-level list of commands, in source order.
#[derive(Debug, Clone, PartialEq)]
pub struct Script {
    /// Top-level commands, in the order bash runs them.
    pub items: Vec<ListItem>,
}

/// One entry of a command list: an and-or list ended by `;`, a newline or `&`.
#[derive(Debug, Clone, PartialEq)]
pub struct ListItem {
    /// The commands joined by `&&` / `||`.
    pub and_or: AndOr,
    /// `true` when the entry ended with `&` (run asynchronously; `$!` is its pid).
    pub background: bool,
    /// Position of the first token of the entry.
    pub span: Span,
}

/// Pipelines joined by `&&` and `||`, evaluated left to right with equal
/// precedence, as bash does.
#[derive(Debug, Clone, PartialEq)]
pub struct AndOr {
    /// The first pipeline; always runs.
    pub first: Pipeline,
    /// Each following pipeline with the operator in front of it.
    pub rest: Vec<(AndOrOp, Pipeline)>,
}

/// The operator between two pipelines of an [`AndOr`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AndOrOp {
    /// `&&`: run the next pipeline only if the status so far is 0.
    And,
    /// `||`: run the next pipeline only if the status so far is not 0.
    Or,
}

/// Commands joined by `|`, optionally negated with a leading `!`.
#[derive(Debug, Clone, PartialEq)]
pub struct Pipeline {
    /// `true` when the pipeline starts with `!` (its status is inverted).
    pub bang: bool,
    /// The commands, left to right; at least one.
    pub commands: Vec<Command>,
    /// Position of `!` or of the first command.
    pub span: Span,
}

/// One command of a pipeline.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Assignments, words and redirections, e.g. `ip link add a type veth`.
    Simple(SimpleCommand),
    /// `for var in words; do body; done`.
    For {
        /// The loop variable name.
        var: String,
        /// The words after `in`, unexpanded (each may expand to 0..n fields).
        words: Vec<Word>,
        /// The loop body.
        body: Vec<ListItem>,
        /// Position of `for`.
        span: Span,
    },
    /// `if c1; then b1; elif c2; then b2; else b3; fi`.
    If {
        /// `(condition, then-body)` for the `if` and each `elif`, in order.
        branches: Vec<(Vec<ListItem>, Vec<ListItem>)>,
        /// The `else` body, if any.
        else_body: Option<Vec<ListItem>>,
        /// Position of `if`.
        span: Span,
    },
    /// `while cond; do body; done`.
    While {
        /// The condition list, run before each iteration.
        cond: Vec<ListItem>,
        /// The loop body.
        body: Vec<ListItem>,
        /// Position of `while`.
        span: Span,
    },
    /// `{ list; }`: a group run in the current shell. The span is that of `{`.
    Group(Vec<ListItem>, Span),
    /// `( list )`: a group run in a subshell (variable changes do not leak
    /// out). The span is that of `(`.
    Subshell(Vec<ListItem>, Span),
}

impl Command {
    /// Position of the command's first token.
    pub fn span(&self) -> Span {
        match self {
            Command::Simple(c) => c.span,
            Command::For { span, .. } | Command::If { span, .. } | Command::While { span, .. } => *span,
            Command::Group(_, span) | Command::Subshell(_, span) => *span,
        }
    }
}

/// A simple command: `NAME=value ... word ... [redirections]`.
#[derive(Debug, Clone, PartialEq)]
pub struct SimpleCommand {
    /// Assignments written before the command name, in order. With no words
    /// they set shell variables; with words they only go into that command's
    /// environment (bash semantics; the interpreter decides).
    pub assigns: Vec<(String, Word)>,
    /// The command name and its arguments, unexpanded. May be empty (an
    /// assignment-only or redirection-only command).
    pub words: Vec<Word>,
    /// Redirections, in source order (bash applies them left to right).
    pub redirects: Vec<Redirect>,
    /// Position of the first assignment or word (or redirection, if that is
    /// all there is).
    pub span: Span,
}

/// A shell word before expansion: a sequence of quoted and unquoted pieces
/// that were written without blanks between them (`a"b"$C` is one word).
#[derive(Debug, Clone, PartialEq)]
pub struct Word {
    /// The pieces, in order.
    pub parts: Vec<WordPart>,
    /// Position of the word's first character.
    pub span: Span,
}

impl Word {
    /// A word made of one unquoted literal (convenient for tests and for code
    /// that builds commands).
    pub fn literal(text: &str, span: Span) -> Self {
        Word { parts: vec![WordPart::Literal(text.to_string())], span }
    }

    /// The word's text when it contains no expansion (only literal and quoted
    /// text), e.g. `ip`, `'a b'`, `"x"y`. `None` if any `$...` appears.
    pub fn as_literal(&self) -> Option<String> {
        let mut out = String::new();
        if parts_literal(&self.parts, &mut out) {
            Some(out)
        } else {
            None
        }
    }
}

fn parts_literal(parts: &[WordPart], out: &mut String) -> bool {
    for part in parts {
        match part {
            WordPart::Literal(s) | WordPart::SingleQuoted(s) => out.push_str(s),
            WordPart::DoubleQuoted(inner) => {
                if !parts_literal(inner, out) {
                    return false;
                }
            }
            WordPart::Var(_) | WordPart::VarDefault { .. } => return false,
        }
    }
    true
}

/// One piece of a [`Word`].
#[derive(Debug, Clone, PartialEq)]
pub enum WordPart {
    /// Unquoted text, after backslash removal (`a\ b` is `a b`). Never split,
    /// never globbed (the parser refuses unquoted glob characters).
    Literal(String),
    /// The contents of `'...'` (or the decoded contents of `$'...'`).
    SingleQuoted(String),
    /// The contents of `"..."`: [`WordPart::Literal`] and variable parts.
    /// Nothing inside is field-split.
    DoubleQuoted(Vec<WordPart>),
    /// `$NAME` or `${NAME}`. The specials keep their character as the name:
    /// `$!` is `"!"`, `$?` is `"?"`, `$$` is `"$"`, `$#` is `"#"`, `$0`/`$1`/
    /// `${10}` are `"0"`, `"1"`, `"10"`.
    Var(String),
    /// `${NAME:-default}` (`colon: true`: default when unset or empty) or
    /// `${NAME-default}` (`colon: false`: default only when unset). Unquoted
    /// text in `default` is field-split like an unquoted expansion; escaped
    /// characters in it are stored as [`WordPart::SingleQuoted`].
    VarDefault {
        /// The variable name (as for [`WordPart::Var`]).
        name: String,
        /// Whether the form had a colon (`:-`) rather than just `-`.
        colon: bool,
        /// The default word's pieces.
        default: Vec<WordPart>,
    },
}

/// A redirection attached to a simple command.
#[derive(Debug, Clone, PartialEq)]
pub struct Redirect {
    /// The file descriptor redirected: the explicit number (`2>`) or the
    /// default (1 for `>`, `>>`, `>&`, `&>`; 0 for `<`, `<<`, `<<<`).
    /// For [`RedirectKind::Both`] it is 1 and the redirection also covers 2.
    pub fd: u32,
    /// What the descriptor is redirected to.
    pub kind: RedirectKind,
    /// Position of the fd number or of the operator.
    pub span: Span,
}

/// The target of a [`Redirect`].
#[derive(Debug, Clone, PartialEq)]
pub enum RedirectKind {
    /// `> file`, `1> file`, `2> file` (also `>| file`): truncate and write.
    Out(Word),
    /// `>> file`: append.
    Append(Word),
    /// `< file`: read.
    In(Word),
    /// `2>&1`, `>&2`: make `fd` a copy of this descriptor.
    DupOut(u32),
    /// `&> file`: stdout and stderr to the file.
    Both(Word),
    /// A here-document (`<<DELIM` / `<<-DELIM`).
    HereDoc {
        /// The body: the lines between the command line and the delimiter
        /// line, each ending in `\n`. For `<<-` the leading tabs are already
        /// removed (removing them again changes nothing). When `expand` is
        /// true the text is raw: the interpreter passes it to
        /// [`crate::scenario::expand_heredoc`] when the command runs.
        body: String,
        /// `false` when any part of the delimiter was quoted (`<<'EOF'`,
        /// `<<"EOF"`, `<<\EOF`): the body is used verbatim.
        expand: bool,
        /// `true` for `<<-`.
        strip_tabs: bool,
    },
    /// `<<< word`: the expanded word plus a newline on the descriptor.
    HereString(Word),
}
