//! `dmesg` (util-linux) reading netsim's kernel log: the lines the `LOG`
//! target wrote, each as `[SSSSS.UUUUUU] TEXT` with the time since boot
//! (netsim's boot is the start of the run). Options: `-C`/`--clear`,
//! `-c`/`--read-clear`, `-t`/`--notime`.
//!
//! What it does not do: the kernel's other messages (interfaces entering
//! promiscuous mode, bridge port states, ...: netsim's log holds only
//! `LOG` lines), facilities and levels (`-x`, `-l`), human or relative times
//! (`-H`, `-T`, `-d`), following (`-w`): refused as not modelled.

use super::{Ctx, Outcome, ToolResult, Unsupported};

/// Runs `dmesg ARGS`.
///
/// # Errors
/// [`Unsupported`] for options netsim does not model.
pub fn run(ctx: &mut Ctx<'_>, args: &[String]) -> ToolResult {
    let (mut clear, mut print, mut notime) = (false, true, false);
    for a in args {
        let flags: Vec<char> = match a.as_str() {
            "--clear" => vec!['C'],
            "--read-clear" => vec!['c'],
            "--notime" => vec!['t'],
            s if s.starts_with('-') && !s.starts_with("--") && s.len() > 1 => s[1..].chars().collect(),
            _ => return Err(Unsupported(format!("dmesg {a}: not modelled; supported: -C -c -t"))),
        };
        for f in flags {
            match f {
                'C' => {
                    clear = true;
                    print = false;
                }
                'c' => clear = true,
                't' => notime = true,
                _ => return Err(Unsupported(format!("dmesg -{f}: not modelled; supported: -C -c -t"))),
            }
        }
    }
    if print {
        let mut out = String::new();
        for (t, line) in &ctx.eng.kmsg {
            if !notime {
                // printk's "[%5lu.%06lu] ".
                let us = t / 1_000;
                out.push_str(&format!("[{:>5}.{:06}] ", us / 1_000_000, us % 1_000_000));
            }
            out.push_str(line);
            out.push('\n');
        }
        ctx.out(&out);
    }
    if clear {
        ctx.eng.kmsg.clear();
    }
    Ok(Outcome::Exited(0))
}
