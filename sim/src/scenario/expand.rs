//! Word expansion for the interpreter: parameter expansion, field splitting
//! and quote removal, with bash's rules for the subset.
//!
//! The interpreter calls these at run time, with a lookup for the variables it
//! holds at that moment (unset variables return `None` and expand to nothing,
//! as bash does without `set -u`). The rules:
//!
//! - quoted text (`'...'`, `"..."`, escaped characters) is never split;
//! - the value of an unquoted `$VAR` is split into fields on space, tab and
//!   newline (bash's default IFS; the parser refuses assignments to IFS);
//! - an unquoted word that expands to nothing produces no field at all, while
//!   `""` or `"$EMPTY"` produces one empty field;
//! - there is no pathname expansion: the parser refuses unquoted glob
//!   characters in the script text.
//!
//! DIVERGENCE: a variable whose value contains `*`, `?` or `[...]`, expanded
//! unquoted, would be globbed by bash against the current directory; here the
//! characters stay literal. [`unquoted_glob_var`] finds such words so the
//! interpreter can refuse them instead of diverging silently.
//!
//! This module does not look variables up itself, does not run commands and
//! does not report errors: everything it can meet was checked by the parser.

use super::ast::{Word, WordPart};
use super::lexer::heredoc_parts;

/// Expands `word` into fields (bash: parameter expansion, field splitting,
/// quote removal). Used for command words and `for` lists.
///
/// `vars` returns a variable's value, or `None` when unset; special
/// parameters are asked for by their character (`"?"`, `"!"`, `"1"`...).
pub fn expand_word(word: &Word, vars: &dyn Fn(&str) -> Option<String>) -> Vec<String> {
    let mut fields = Fields::default();
    for part in &word.parts {
        expand_part(part, vars, false, false, &mut fields);
    }
    fields.finish()
}

/// Expands `word` into one string without field splitting, as bash does for
/// assignment values, redirection targets and here-strings.
pub fn expand_word_single(word: &Word, vars: &dyn Fn(&str) -> Option<String>) -> String {
    let mut out = String::new();
    concat_parts(&word.parts, vars, &mut out);
    out
}

/// Expands the raw body of a here-document whose delimiter was not quoted:
/// `$VAR`, `${VAR}`, `${VAR:-default}` are replaced, `\$`, `` \` ``, `\\` lose
/// their backslash and backslash-newline is removed; everything else
/// (including quotes) is kept as is. No field splitting.
///
/// Bodies from [`crate::scenario::parse`] were checked at parse time. Text
/// that was not (containing `$(...)` for instance) is returned unchanged.
pub fn expand_heredoc(body: &str, vars: &dyn Fn(&str) -> Option<String>) -> String {
    match heredoc_parts(body) {
        Ok(parts) => {
            let mut out = String::new();
            concat_parts(&parts, vars, &mut out);
            out
        }
        Err(_) => body.to_string(),
    }
}

/// The name of the first variable that `word` expands *unquoted* to a value
/// containing `*`, `?` or `[`. Bash would glob that value against the current
/// directory and netsim does not, so the interpreter should refuse the word
/// (at `word.span`, suggesting quotes). `None` when the word is safe.
pub fn unquoted_glob_var(word: &Word, vars: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    glob_var_in(&word.parts, vars)
}

fn glob_var_in(parts: &[WordPart], vars: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    let risky = |v: &str| v.contains(['*', '?', '[']);
    for part in parts {
        match part {
            WordPart::Literal(_) | WordPart::SingleQuoted(_) | WordPart::DoubleQuoted(_) => {}
            WordPart::Var(name) => {
                if vars(name).is_some_and(|v| risky(&v)) {
                    return Some(name.clone());
                }
            }
            WordPart::VarDefault { name, colon, default } => match use_value(vars(name), *colon) {
                Some(v) if risky(&v) => return Some(name.clone()),
                Some(_) => {}
                None => {
                    if let Some(n) = glob_var_in(default, vars) {
                        return Some(n);
                    }
                }
            },
        }
    }
    None
}

fn concat_parts(parts: &[WordPart], vars: &dyn Fn(&str) -> Option<String>, out: &mut String) {
    for part in parts {
        match part {
            WordPart::Literal(s) | WordPart::SingleQuoted(s) => out.push_str(s),
            WordPart::DoubleQuoted(inner) => concat_parts(inner, vars, out),
            WordPart::Var(name) => out.push_str(&vars(name).unwrap_or_default()),
            WordPart::VarDefault { name, colon, default } => match use_value(vars(name), *colon) {
                Some(v) => out.push_str(&v),
                None => concat_parts(default, vars, out),
            },
        }
    }
}

/// The variable's value, or `None` when the default should be used instead.
fn use_value(value: Option<String>, colon: bool) -> Option<String> {
    match value {
        Some(v) if colon && v.is_empty() => None,
        other => other,
    }
}

/// The field splitting state: fields done so far and the one being built.
#[derive(Default)]
struct Fields {
    done: Vec<String>,
    current: String,
    /// The current field exists even if empty (something quoted or
    /// non-blank was added).
    started: bool,
}

/// Bash's default IFS characters.
fn is_ifs(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n')
}

impl Fields {
    /// Adds text that is not split. Quoted text starts a field even when empty.
    fn push_quoted(&mut self, s: &str) {
        self.current.push_str(s);
        self.started = true;
    }

    /// Adds the result of an unquoted expansion: IFS characters end fields.
    fn push_split(&mut self, s: &str) {
        for c in s.chars() {
            if is_ifs(c) {
                if self.started {
                    self.done.push(std::mem::take(&mut self.current));
                    self.started = false;
                }
            } else {
                self.current.push(c);
                self.started = true;
            }
        }
    }

    fn finish(mut self) -> Vec<String> {
        if self.started {
            self.done.push(self.current);
        }
        self.done
    }
}

/// `quoted`: inside double quotes. `split_literals`: unquoted literal text of
/// a `${VAR:-default}` word, which bash splits like an expansion result.
fn expand_part(
    part: &WordPart,
    vars: &dyn Fn(&str) -> Option<String>,
    quoted: bool,
    split_literals: bool,
    fields: &mut Fields,
) {
    match part {
        WordPart::Literal(s) => {
            if split_literals && !quoted {
                fields.push_split(s);
            } else if !s.is_empty() || quoted {
                fields.push_quoted(s);
            }
        }
        WordPart::SingleQuoted(s) => fields.push_quoted(s),
        WordPart::DoubleQuoted(inner) => {
            fields.push_quoted("");
            for p in inner {
                expand_part(p, vars, true, false, fields);
            }
        }
        WordPart::Var(name) => {
            let v = vars(name).unwrap_or_default();
            if quoted {
                fields.push_quoted(&v);
            } else {
                fields.push_split(&v);
            }
        }
        WordPart::VarDefault { name, colon, default } => match use_value(vars(name), *colon) {
            Some(v) if quoted => fields.push_quoted(&v),
            Some(v) => fields.push_split(&v),
            None => {
                for p in default {
                    expand_part(p, vars, quoted, !quoted, fields);
                }
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{parse, Command};

    /// Variables for the tests (unset: anything else).
    fn vars(name: &str) -> Option<String> {
        match name {
            "A" => Some("x y".into()),
            "B" => Some(" x".into()),
            "E" => Some(String::new()),
            "S" => Some("  ".into()),
            "T" => Some(" lead\ttab\nnl ".into()),
            "G" => Some("*".into()),
            "?" => Some("0".into()),
            _ => None,
        }
    }

    /// Parses `echo WORD` and returns the fields of WORD.
    fn fields(word: &str) -> Vec<String> {
        let w = arg(word);
        expand_word(&w, &vars)
    }

    fn arg(word: &str) -> Word {
        let s = parse(&format!("echo {word}\n"), "t.sh").unwrap();
        match &s.items[0].and_or.first.commands[0] {
            Command::Simple(c) => c.words[1].clone(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn unquoted_expansion_is_split_quoted_is_not() {
        // Proves bash's core rule: $A splits on blanks, "$A" does not.
        assert_eq!(fields("$A"), ["x", "y"]);
        assert_eq!(fields("\"$A\""), ["x y"]);
        assert_eq!(fields("p$A"), ["px", "y"]);
        assert_eq!(fields("$T"), ["lead", "tab", "nl"]);
    }

    #[test]
    fn empty_expansions() {
        // Proves an unquoted empty/unset/blank expansion yields no field while
        // a quoted empty one yields one empty field.
        assert!(fields("$E").is_empty());
        assert!(fields("$UNSET").is_empty());
        assert!(fields("$S").is_empty());
        assert!(fields("$E$S$UNSET").is_empty());
        assert_eq!(fields("\"\""), [""]);
        assert_eq!(fields("''"), [""]);
        assert_eq!(fields("\"$E\""), [""]);
        assert_eq!(fields("$E\"\""), [""]);
        // Checked against bash 5: `""$A` gives [x][y] but `""$B` with B=" x"
        // gives [][x] (the quoted null becomes its own field at the blank).
        assert_eq!(fields("\"\"$A"), ["x", "y"]);
        assert_eq!(fields("\"\"$B"), ["", "x"]);
        assert_eq!(fields("a$E"), ["a"]);
    }

    #[test]
    fn literals_and_escapes_are_never_split() {
        // Proves escaped blanks and quoted text stay in one field.
        assert_eq!(fields("a\\ b"), ["a b"]);
        assert_eq!(fields("'a b'\"c d\""), ["a bc d"]);
    }

    #[test]
    fn glob_characters_in_values_stay_literal_and_are_detected() {
        // Proves the documented divergence (no pathname expansion of values)
        // and that unquoted_glob_var flags exactly the unquoted uses.
        assert_eq!(fields("$G"), ["*"]);
        assert_eq!(unquoted_glob_var(&arg("a$G"), &vars).as_deref(), Some("G"));
        assert_eq!(unquoted_glob_var(&arg("${UNSET:-$G}"), &vars).as_deref(), Some("G"));
        assert_eq!(unquoted_glob_var(&arg("\"$G\"$A"), &vars), None);
        assert_eq!(unquoted_glob_var(&arg("${A:-$G}"), &vars), None);
    }

    #[test]
    fn defaults() {
        // Proves ${V:-d} / ${V-d} choose correctly and that an unquoted default
        // is split while its quoted pieces are not.
        assert_eq!(fields("${UNSET:-a b}"), ["a", "b"]);
        assert_eq!(fields("\"${UNSET:-a b}\""), ["a b"]);
        assert_eq!(fields("${UNSET:-\"a b\"}"), ["a b"]);
        assert_eq!(fields("${UNSET:-a\\ b}"), ["a b"]);
        assert_eq!(fields("${E:-d}"), ["d"]);
        assert!(fields("${E-d}").is_empty());
        assert_eq!(fields("${A:-d}"), ["x", "y"]);
        assert_eq!(fields("${UNSET:-$A}"), ["x", "y"]);
        assert_eq!(fields("${UNSET:-}x"), ["x"]);
    }

    #[test]
    fn single_expansion_concatenates() {
        // Proves expand_word_single never splits and keeps blanks.
        let w = arg("a$A\"$S\"${UNSET:-d}$?");
        assert_eq!(expand_word_single(&w, &vars), "ax y  d0");
    }

    #[test]
    fn heredoc_expansion() {
        // Proves here-document expansion: variables replaced, \$ and \\
        // unescaped, backslash-newline removed, quotes kept, no splitting.
        let body = "name: $A\n\"${E:-dflt}\" '\\$HOME' \\\\ \\x\njoined \\\nline\n";
        assert_eq!(expand_heredoc(body, &vars), "name: x y\n\"dflt\" '$HOME' \\ \\x\njoined line\n");
        assert_eq!(expand_heredoc("cost $5 and $\n", &vars), "cost  and $\n");
        assert_eq!(expand_heredoc("keep $(date)\n", &vars), "keep $(date)\n");
    }
}
