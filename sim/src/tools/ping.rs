//! iputils `ping`: options, source address choice and the opening line; the
//! running process is [`crate::engine::proc::Ping`]. [`run_busybox`] is
//! BusyBox's `ping` applet (`busybox ping`, and `ping` inside alpine and
//! busybox containers): `-c -W -s`, its opening line, sequence numbers
//! from 0, `sendto` failing on a missing route; `-w`, `-i`, `-I`, `-t`, `-q` are
//! refused in that mode.

use super::{Ctx, Outcome, ToolResult, Unsupported};
use crate::engine::proc::{Ping, Process};
use crate::model::NS_PER_SEC;
use std::net::Ipv4Addr;

/// Runs `ping [-c N] [-i S] [-W S] [-w S] [-I DEV] [-s N] [-t TTL] DEST`.
///
/// # Errors
/// [`Unsupported`] for options netsim does not model or a host name.
pub fn run(ctx: &mut Ctx<'_>, args: &[String]) -> ToolResult {
    start(ctx, args, false)
}

/// BusyBox's `ping` applet.
///
/// # Errors
/// [`Unsupported`] for options netsim does not model in this mode.
pub fn run_busybox(ctx: &mut Ctx<'_>, args: &[String]) -> ToolResult {
    for a in args {
        if a.starts_with('-') && !matches!(a.get(..2), Some("-c" | "-W" | "-s" | "-4")) {
            return Err(Unsupported(format!("busybox ping option '{a}' is not modelled; supported: -c -W -s -4")));
        }
    }
    start(ctx, args, true)
}

fn start(ctx: &mut Ctx<'_>, args: &[String], busybox: bool) -> ToolResult {
    let mut count = 0u32;
    let mut interval = NS_PER_SEC;
    let mut linger = 10 * NS_PER_SEC;
    let mut deadline = None;
    let mut size = 56usize;
    let mut ttl = 64u8;
    let mut iface: Option<String> = None;
    let mut dest = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let (flag, inline) = if a.starts_with('-') && a.len() > 2 && !a.starts_with("--") {
            (&a[..2], Some(a[2..].to_string()))
        } else {
            (a.as_str(), None)
        };
        let mut val = |name: &str| -> Result<String, Unsupported> {
            inline
                .clone()
                .or_else(|| it.next().cloned())
                .ok_or_else(|| Unsupported(format!("ping: option {name} needs a value")))
        };
        match flag {
            "-c" => {
                // iputils' strtoll_or_err: 0 is out of range (it would mean
                // "forever" inside ping, which only the default count does).
                let v = val("-c")?;
                let digits = v.strip_prefix(['-', '+']).unwrap_or(&v);
                match v.parse::<i64>() {
                    Ok(n) if n >= 1 => count = u32::try_from(n).unwrap_or(u32::MAX),
                    Ok(_) => {
                        return ctx.fail(
                            &format!("ping: invalid argument: '{v}': out of range: 1 <= value <= 9223372036854775807"),
                            1,
                        )
                    }
                    Err(_) if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => {
                        return ctx.fail(&format!("ping: invalid argument: '{v}': Numerical result out of range"), 1)
                    }
                    Err(_) => return ctx.fail(&format!("ping: invalid argument: '{v}'"), 1),
                }
            }
            "-i" => {
                interval =
                    super::misc::parse_duration(&val("-i")?).ok_or_else(|| Unsupported("ping: bad -i value".into()))?
            }
            "-W" => {
                linger =
                    super::misc::parse_duration(&val("-W")?).ok_or_else(|| Unsupported("ping: bad -W value".into()))?
            }
            "-w" => {
                deadline = Some(
                    super::misc::parse_duration(&val("-w")?).ok_or_else(|| Unsupported("ping: bad -w value".into()))?,
                )
            }
            "-s" => size = val("-s")?.parse().map_err(|_| Unsupported("ping: bad -s value".into()))?,
            "-t" => ttl = val("-t")?.parse().map_err(|_| Unsupported("ping: bad -t value".into()))?,
            "-I" => iface = Some(val("-I")?),
            "-4" | "-n" | "-q" if inline.is_none() => {}
            s if s.starts_with('-') => {
                return Err(Unsupported(format!(
                    "ping option '{a}' is not modelled; supported: -c -i -W -w -I -s -t -n -4"
                )))
            }
            _ => dest = Some(a.clone()),
        }
    }
    let Some(dest) = dest else {
        return ctx.fail("ping: usage error: Destination address required", 1);
    };
    let Ok(dst) = dest.parse::<Ipv4Addr>() else {
        return Err(Unsupported(format!(
            "ping: '{dest}': host names are not modelled (no resolver); use an IPv4 address"
        )));
    };
    let ns = ctx.ns;
    let mut oif = None;
    let mut bound_src = None;
    if let Some(i) = &iface {
        if let Ok(a) = i.parse::<Ipv4Addr>() {
            bound_src = Some(a);
        } else {
            let Some(l) = ctx.dev(i) else {
                return ctx.fail(&format!("ping: SO_BINDTODEVICE {i}: No such device"), 2);
            };
            oif = Some(l);
        }
    }
    // iputils connects a UDP probe socket to learn the source address.
    let Some(res) = ctx.eng.world.fib_lookup(ns, dst, oif) else {
        if busybox {
            // BusyBox prints its opening line, then sendto fails.
            ctx.out(&format!("PING {dst} ({dst}): {size} data bytes\n"));
            return ctx.fail("ping: sendto: Network is unreachable", 1);
        }
        return ctx.fail("ping: connect: Network is unreachable", 2);
    };
    let r = res.route;
    let src = bound_src.or_else(|| ctx.eng.world.route_source(ns, &r, dst)).unwrap_or(Ipv4Addr::UNSPECIFIED);
    let header = match &iface {
        _ if busybox => format!("PING {dst} ({dst}): {size} data bytes\n"),
        Some(i) if oif.is_some() => {
            format!("PING {dst} ({dst}) from {src} {i}: {size}({}) bytes of data.\n", size + 28)
        }
        Some(_) => format!("PING {dst} ({dst}) from {src} : {size}({}) bytes of data.\n", size + 28),
        None => format!("PING {dst} ({dst}) {size}({}) bytes of data.\n", size + 28),
    };
    ctx.out(&header);
    let p = Ping {
        ns,
        dst,
        src,
        oif,
        count,
        interval_ns: interval,
        linger_ns: linger,
        deadline_ns: deadline,
        size,
        ttl,
        ident: 0,
        next_seq: u16::from(!busybox),
        sent: Default::default(),
        ntransmitted: 0,
        nreceived: 0,
        nerrors: 0,
        pipesize: 0,
        rtts: Vec::new(),
        start_ns: ctx.eng.now,
        last_send_ns: ctx.eng.now,
        finish_at: None,
        exit: None,
        stdio: ctx.stdio.clone(),
        busybox,
    };
    let pid = ctx.eng.spawn(Process::Ping(Box::new(p)));
    if let Some(Process::Ping(p)) = ctx.eng.procs.get_mut(&pid) {
        p.ident = pid.0 as u16; // iputils raw socket: getpid() & 0xffff
    }
    Ok(Outcome::Spawned(pid))
}
