//! Small tools: `echo`, `true`, `false`, `:`, `sleep` (advances virtual
//! time), `modprobe br_netfilter`, `cat` (of standard input), and the
//! net-tools views `ifconfig`, `route -n`, `arp -n`. They run the same at the
//! top of a script and under `ip netns exec`.

use super::{Ctx, Outcome, ToolResult, Unsupported};

/// Runs one of the small tools.
///
/// # Errors
/// [`Unsupported`] for modules other than br_netfilter, files, or options.
pub fn run(ctx: &mut Ctx<'_>, cmd: &str, args: &[String]) -> ToolResult {
    match cmd {
        "echo" => {
            let mut args = args;
            let mut newline = true;
            while let Some(a) = args.first() {
                match a.as_str() {
                    "-n" => newline = false,
                    "-e" | "-E" => {}
                    _ => break,
                }
                args = &args[1..];
            }
            let mut s = args.join(" ");
            if newline {
                s.push('\n');
            }
            ctx.out(&s);
            Ok(Outcome::Exited(0))
        }
        "true" | ":" => Ok(Outcome::Exited(0)),
        "false" => Ok(Outcome::Exited(1)),
        "sleep" => {
            let Some(d) = args.first().and_then(|s| parse_duration(s)) else {
                return Err(Unsupported("sleep needs a duration in seconds (e.g. 1, 0.5, 2s)".into()));
            };
            let until = ctx.eng.now + d;
            ctx.eng.run_until(until);
            Ok(Outcome::Exited(0))
        }
        "modprobe" => {
            let names: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
            if names.iter().any(|n| !matches!(n.as_str(), "br_netfilter" | "nf_conntrack")) || names.is_empty() {
                return Err(Unsupported(
                    "modprobe: only br_netfilter (it changes every namespace's bridge sysctls) and nf_conntrack (netsim has it loaded from the start) are modelled".into(),
                ));
            }
            if !names.iter().any(|n| n.as_str() == "br_netfilter") {
                return Ok(Outcome::Exited(0));
            }
            if !ctx.eng.world.profile.br_netfilter_loaded {
                ctx.eng.world.profile.br_netfilter_loaded = true;
                for n in ctx.eng.world.netns.iter_mut().flatten() {
                    n.brnf.get_or_insert_with(Default::default);
                }
            }
            Ok(Outcome::Exited(0))
        }
        "cat" => {
            if !args.is_empty() {
                return Err(Unsupported("cat FILE is not modelled; only cat of a here-document or pipe".into()));
            }
            let s = std::mem::take(&mut ctx.stdin);
            ctx.out(&s);
            Ok(Outcome::Exited(0))
        }
        "ifconfig" => {
            let dev = args.iter().find(|a| !a.starts_with('-')).cloned();
            if args.iter().any(|a| a.starts_with('-') && a != "-a") || args.len() > 2 {
                return Err(Unsupported("ifconfig: only 'ifconfig [-a] [DEV]' (show) is modelled".into()));
            }
            let all = args.iter().any(|a| a == "-a");
            match crate::render::nettools::ifconfig(&ctx.eng.world, ctx.ns, all, dev.as_deref()) {
                Ok(text) => {
                    ctx.out(&text);
                    Ok(Outcome::Exited(0))
                }
                Err(e) => ctx.fail(&e.to_string(), 1),
            }
        }
        "route" => {
            if args != ["-n"] {
                return Err(Unsupported("route: only 'route -n' is modelled".into()));
            }
            let text = crate::render::nettools::route_n(&ctx.eng.world, ctx.ns);
            ctx.out(&text);
            Ok(Outcome::Exited(0))
        }
        "arp" => {
            let text = match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
                ["-n"] | ["-an"] | ["-na"] => crate::render::nettools::arp_n(&ctx.eng.world, ctx.ns),
                ["-a"] => crate::render::nettools::arp_a(&ctx.eng.world, ctx.ns),
                _ => return Err(Unsupported("arp: only 'arp -n' and 'arp -a' are modelled".into())),
            };
            ctx.out(&text);
            Ok(Outcome::Exited(0))
        }
        _ => Err(Unsupported(format!("{cmd} is not modelled"))),
    }
}

/// Parses a duration in seconds with an optional fraction and `s` suffix
/// (`sleep 1.5`, `ping -i 0.2`) into nanoseconds.
pub(crate) fn parse_duration(s: &str) -> Option<u64> {
    let s = s.strip_suffix('s').unwrap_or(s);
    let (i, f) = s.split_once('.').unwrap_or((s, ""));
    let mut ns: u64 = if i.is_empty() { 0 } else { i.parse::<u64>().ok()?.checked_mul(crate::model::NS_PER_SEC)? };
    let mut scale = crate::model::NS_PER_SEC / 10;
    for c in f.chars() {
        ns += u64::from(c.to_digit(10)?) * scale;
        scale /= 10;
    }
    Some(ns)
}
