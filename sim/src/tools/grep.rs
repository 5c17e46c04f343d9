//! `grep` (GNU) over standard input, for pipelines like
//! `ip a | grep -A3 veth`: options `-v -i -c -q -E -F -w -n -A N -B N -C N`
//! and any number of `-e PATTERN` (a line matches if any pattern does).
//!
//! Basic regular expressions are translated to the `regex` crate's syntax
//! (`\+ \? \| \( \) \{ \}` are the operators, the bare characters are
//! literal). Reading files is not modelled: a scenario has no files but the
//! ones it wrote.

use super::{Ctx, Outcome, ToolResult, Unsupported};

/// Translates a POSIX basic regular expression to `regex` syntax.
fn bre_to_regex(p: &str) -> String {
    let mut out = String::with_capacity(p.len() + 8);
    let mut chars = p.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(n @ ('+' | '?' | '|' | '(' | ')' | '{' | '}')) => out.push(n),
                Some('<') | Some('>') => out.push_str("\\b"),
                Some(n) => {
                    out.push('\\');
                    out.push(n);
                }
                None => out.push_str("\\\\"),
            },
            '+' | '?' | '|' | '(' | ')' | '{' | '}' => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

/// Runs `grep [OPTIONS] PATTERN` on standard input.
///
/// # Errors
/// [`Unsupported`] for file arguments and options netsim does not model.
pub fn run(ctx: &mut Ctx<'_>, args: &[String]) -> ToolResult {
    let (mut invert, mut icase, mut count, mut quiet, mut ere, mut fixed, mut word, mut number) =
        (false, false, false, false, false, false, false, false);
    let (mut after, mut before) = (0usize, 0usize);
    let mut patterns: Vec<String> = Vec::new();
    let mut from_e = false;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if !a.starts_with('-') || a == "-" {
            if patterns.is_empty() {
                patterns.push(a.clone());
                continue;
            }
            return Err(Unsupported(format!("grep {a}: reading files is not modelled; grep reads its standard input")));
        }
        if a == "-e" {
            let Some(p) = it.next() else {
                return ctx.fail("grep: option requires an argument -- 'e'\nUsage: grep [OPTION]... PATTERNS [FILE]...\nTry 'grep --help' for more information.", 2);
            };
            if !from_e {
                // A positional word before the first -e was not a pattern.
                if let Some(first) = patterns.pop() {
                    return Err(Unsupported(format!(
                        "grep {first}: reading files is not modelled; grep reads its standard input"
                    )));
                }
            }
            from_e = true;
            patterns.push(p.clone());
            continue;
        }
        let flags: Vec<char> = a[1..].chars().collect();
        let mut i = 0;
        while i < flags.len() {
            match flags[i] {
                'v' => invert = true,
                'i' => icase = true,
                'c' => count = true,
                'q' => quiet = true,
                'E' => ere = true,
                'F' => fixed = true,
                'w' => word = true,
                'n' => number = true,
                c @ ('A' | 'B' | 'C') => {
                    let rest: String = flags[i + 1..].iter().collect();
                    let v = if rest.is_empty() { it.next().cloned().unwrap_or_default() } else { rest };
                    let Ok(n) = v.parse::<usize>() else {
                        return ctx.fail(&format!("grep: {v}: invalid context length argument"), 2);
                    };
                    if c != 'B' {
                        after = n;
                    }
                    if c != 'A' {
                        before = n;
                    }
                    break;
                }
                c => {
                    return Err(Unsupported(format!(
                        "grep option '-{c}' is not modelled; supported: -v -i -c -q -E -F -w -n -A -B -C -e"
                    )))
                }
            }
            i += 1;
        }
    }
    if patterns.is_empty() {
        return ctx.fail("Usage: grep [OPTION]... PATTERNS [FILE]...\nTry 'grep --help' for more information.", 2);
    }
    // As GNU grep, a pattern holding newlines is one pattern per line.
    let alternatives: Vec<String> = patterns
        .iter()
        .flat_map(|p| p.split('\n'))
        .map(|p| {
            let re = if fixed {
                regex::escape(p)
            } else if ere {
                p.to_string()
            } else {
                bre_to_regex(p)
            };
            if word {
                format!(r"\b(?:{re})\b")
            } else {
                format!("(?:{re})")
            }
        })
        .collect();
    let re = match regex::RegexBuilder::new(&alternatives.join("|")).case_insensitive(icase).build() {
        Ok(r) => r,
        Err(_) => {
            return Err(Unsupported(format!(
                "grep pattern '{}' uses syntax netsim does not translate",
                patterns.join("' '")
            )))
        }
    };
    let input = std::mem::take(&mut ctx.stdin);
    // GNU grep splits on '\n' only: a CRLF line keeps its '\r' (and `$`
    // does not match before it), unlike `str::lines`.
    let lines: Vec<&str> = input.split_terminator('\n').collect();
    let hits: Vec<bool> = lines.iter().map(|l| re.is_match(l) != invert).collect();
    let n = hits.iter().filter(|h| **h).count();
    if quiet {
        return Ok(Outcome::Exited(if n > 0 { 0 } else { 1 }));
    }
    if count {
        ctx.out(&format!("{n}\n"));
        return Ok(Outcome::Exited(if n > 0 { 0 } else { 1 }));
    }
    let mut shown = vec![false; lines.len()];
    for (i, h) in hits.iter().enumerate() {
        if *h {
            for s in shown.iter_mut().take((i + after + 1).min(lines.len())).skip(i.saturating_sub(before)) {
                *s = true;
            }
        }
    }
    let mut out = String::new();
    let mut last: Option<usize> = None;
    let context = after > 0 || before > 0;
    for (i, line) in lines.iter().enumerate() {
        if !shown[i] {
            continue;
        }
        if context && last.is_some_and(|l| l + 1 != i) {
            out.push_str("--\n");
        }
        if number {
            out.push_str(&format!("{}{}", i + 1, if hits[i] { ':' } else { '-' }));
        }
        out.push_str(line);
        out.push('\n');
        last = Some(i);
    }
    ctx.out(&out);
    Ok(Outcome::Exited(if n > 0 { 0 } else { 1 }))
}

#[cfg(test)]
mod tests {
    use super::bre_to_regex;

    #[test]
    fn basic_regex_operators_are_escaped_forms() {
        // In a BRE `+` is literal and `\+` is the operator.
        assert_eq!(bre_to_regex("a+b"), "a\\+b");
        assert_eq!(bre_to_regex("a\\+b"), "a+b");
        assert_eq!(bre_to_regex("\\(ab\\)\\{2\\}"), "(ab){2}");
        assert_eq!(bre_to_regex("^inet .*/24$"), "^inet .*/24$");
    }
}
