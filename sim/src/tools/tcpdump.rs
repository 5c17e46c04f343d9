//! `tcpdump`: options, interface lookup and the opening lines; the running
//! capture is [`crate::engine::proc::Tcpdump`].

use super::{Ctx, Outcome, ToolResult, Unsupported};
use crate::capture::filter::Filter;
use crate::engine::proc::{Process, Tcpdump};
use crate::render::tcpdump::{TcpdumpOpts, TsFormat};

/// Runs `tcpdump [-i IF] [-n|-nn] [-e] [-p] [-U] [-l] [-t] [-c N] [-w FILE] [FILTER...]`.
///
/// # Errors
/// [`Unsupported`] for options netsim does not model.
pub fn run(ctx: &mut Ctx<'_>, args: &[String]) -> ToolResult {
    let mut iface = None;
    let mut opts = TcpdumpOpts::default();
    let mut write = None;
    let mut promisc = true;
    let mut line = false;
    let mut max = None;
    let mut filter_words = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if !a.starts_with('-') || a == "-" {
            filter_words.push(a.clone());
            continue;
        }
        let mut chars = a[1..].chars().peekable();
        while let Some(c) = chars.next() {
            let rest: String = chars.clone().collect();
            let mut take = |name: char| -> Result<String, Unsupported> {
                let v = if rest.is_empty() { it.next().cloned() } else { Some(rest.clone()) };
                v.ok_or_else(|| Unsupported(format!("tcpdump: option -{name} requires an argument")))
            };
            match c {
                'i' => {
                    iface = Some(take('i')?);
                    break;
                }
                'w' => {
                    write = Some(take('w')?);
                    break;
                }
                'c' => {
                    let v = take('c')?;
                    max =
                        Some(v.parse::<u64>().map_err(|_| Unsupported(format!("tcpdump: invalid packet count {v}")))?);
                    break;
                }
                'n' => opts.numeric = opts.numeric.saturating_add(1),
                'e' => opts.link_header = true,
                'p' => promisc = false,
                'U' => {}
                'l' => line = true,
                't' => opts.timestamp = TsFormat::None,
                _ => {
                    return Err(Unsupported(format!(
                        "tcpdump option '-{c}' is not modelled; supported: -i -n -nn -e -p -U -l -t -c -w"
                    )))
                }
            }
        }
    }
    let Some(iface) = iface else {
        return Err(Unsupported(
            "tcpdump without -i is not modelled (the real one picks the first interface); pass -i IFACE".into(),
        ));
    };
    if iface == "any" {
        return Err(Unsupported(
            "tcpdump -i any (Linux cooked capture) is not modelled yet; capture on a device".into(),
        ));
    }
    let filter = if filter_words.is_empty() {
        None
    } else {
        match Filter::parse(&filter_words.join(" ")) {
            Ok(f) => Some(f),
            Err(e) => return ctx.fail(&format!("tcpdump: {e}"), 1),
        }
    };
    let Some(link) = ctx.dev(&iface) else {
        return ctx.fail(&format!("tcpdump: {iface}: No such device exists\n(No such device exists)"), 1);
    };
    if !ctx.eng.world.link(link).admin_up {
        return ctx.fail(&format!("tcpdump: {iface}: That device is not up"), 1);
    }
    if write.is_some() {
        ctx.err(&format!("tcpdump: listening on {iface}, link-type EN10MB (Ethernet), snapshot length 262144 bytes\n"));
    } else {
        ctx.err(&format!("tcpdump: verbose output suppressed, use -v[v]... for full protocol decode\nlistening on {iface}, link-type EN10MB (Ethernet), snapshot length 262144 bytes\n"));
    }
    let t = Tcpdump::new(link, iface, filter, write, opts, line, max, promisc, ctx.stdio.clone());
    let pid = ctx.eng.spawn(Process::Tcpdump(Box::new(t)));
    Ok(Outcome::Spawned(pid))
}
