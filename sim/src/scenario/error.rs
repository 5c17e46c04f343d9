//! The error a scenario parse returns: where (file:line:col) and what.
//!
//! Every message names the construct and, for refused shell features, lists
//! what the subset does support, so a user can rewrite the line. This module
//! does not decide what is supported; the lexer and parser do.

use super::ast::Span;

/// What the subset supports, quoted at the end of every "unsupported" message.
pub const SUPPORTED: &str = "words, quotes, $VAR/${VAR}, ${VAR:-default}, $!, $?, ;, &&, ||, |, &, \
! pipelines, { ...; }, ( ... ), for/do/done, if/then/elif/else/fi, while/do/done, \
redirections > >> < 2>&1 &>, here-documents, <<<";

/// A parse error in a scenario script, with its 1-based position.
///
/// Displays as `file:line:col: message`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}:{col}: {kind}")]
pub struct ScenarioError {
    /// The file name given to [`crate::scenario::parse`].
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column, in characters.
    pub col: u32,
    /// What went wrong.
    pub kind: ScenarioErrorKind,
}

impl ScenarioError {
    /// An error at `span` in `file`.
    pub fn new(file: &str, span: Span, kind: ScenarioErrorKind) -> Self {
        ScenarioError { file: file.to_string(), line: span.line, col: span.col, kind }
    }

    /// The position as a [`Span`].
    pub fn span(&self) -> Span {
        Span::new(self.line, self.col)
    }

    /// The message without the `file:line:col: ` prefix.
    pub fn message(&self) -> String {
        self.kind.to_string()
    }
}

/// The kinds of [`ScenarioError`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScenarioErrorKind {
    /// Valid bash that the subset refuses, e.g. `$(...)`, `case`, globs.
    #[error("unsupported shell syntax '{construct}' ({what}); supported: {}", SUPPORTED)]
    Unsupported {
        /// The construct as written, e.g. `$(...)`.
        construct: String,
        /// What it is in bash terms and, where useful, how to avoid it.
        what: String,
    },
    /// Something bash itself would reject (or misread), e.g. `then` with no `if`.
    #[error("syntax error: {0}")]
    Syntax(String),
    /// A quote, `${`, here-document or compound command that is never closed.
    /// The error points at the opening construct.
    #[error("{construct} is never closed: expected {expected} before the end of the file")]
    Unterminated {
        /// The opening construct, e.g. `'for'` or `double quote`.
        construct: String,
        /// What would close it, e.g. `'done'`.
        expected: String,
    },
}

impl ScenarioErrorKind {
    /// Shorthand for [`ScenarioErrorKind::Unsupported`].
    pub fn unsupported(construct: &str, what: &str) -> Self {
        ScenarioErrorKind::Unsupported { construct: construct.to_string(), what: what.to_string() }
    }

    /// Shorthand for [`ScenarioErrorKind::Unterminated`].
    pub fn unterminated(construct: &str, expected: &str) -> Self {
        ScenarioErrorKind::Unterminated { construct: construct.to_string(), expected: expected.to_string() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_file_line_col_message() {
        // Proves the Display format is `file:line:col: message` and that an
        // unsupported-construct message names the construct and the subset.
        let e = ScenarioError::new(
            "scenarios/x.sh",
            Span::new(3, 5),
            ScenarioErrorKind::unsupported("$(...)", "command substitution"),
        );
        let s = e.to_string();
        assert!(s.starts_with(
            "scenarios/x.sh:3:5: unsupported shell syntax '$(...)' (command substitution); supported: words, quotes"
        ), "{s}");
        assert!(s.contains("here-documents"));
        assert_eq!(e.span(), Span::new(3, 5));
        assert!(e.message().starts_with("unsupported"));
    }
}
