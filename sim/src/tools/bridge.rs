//! `bridge` (iproute2) and `brctl` (bridge-utils): bridge creation, ports
//! and the FDB views.

use super::{Ctx, Outcome, ToolResult, Unsupported};

/// Runs `bridge fdb show [br BR] [dev DEV]` or `bridge link [show]`.
///
/// # Errors
/// [`Unsupported`] for other objects and commands.
pub fn bridge(ctx: &mut Ctx<'_>, args: &[String]) -> ToolResult {
    let obj = args.first().map(String::as_str).unwrap_or("");
    let rest = if args.is_empty() { args } else { &args[1..] };
    match obj {
        "fdb" => {
            let cmd = rest.first().map(String::as_str).unwrap_or("show");
            if matches!(cmd, "add" | "append" | "replace" | "del" | "delete") {
                return fdb_change(ctx, cmd, &rest[1..]);
            }
            if cmd != "show" && cmd != "list" && cmd != "ls" {
                return Err(Unsupported(format!(
                    "bridge fdb {cmd} is not modelled; supported: show, add, replace, del"
                )));
            }
            let mut br = None;
            let mut dev = None;
            let mut it = rest.iter().skip(1);
            while let Some(a) = it.next() {
                let v = it.next().cloned().unwrap_or_default();
                match a.as_str() {
                    "br" => br = Some(v),
                    "dev" => dev = Some(v),
                    s => return Err(Unsupported(format!("bridge fdb show {s} is not modelled"))),
                }
            }
            let bridges: Vec<_> =
                ctx.eng.world.links_in(ctx.ns).filter(|l| ctx.eng.world.link(*l).bridge().is_some()).collect();
            for b in bridges {
                ctx.eng.br_fdb_expire(b);
            }
            let now = ctx.eng.now;
            shown(
                ctx,
                crate::render::bridge::bridge_fdb_show(&ctx.eng.world, ctx.ns, br.as_deref(), dev.as_deref(), now),
            )
        }
        "link" => {
            let cmd = rest.first().map(String::as_str).unwrap_or("show");
            if cmd != "show" && cmd != "list" && cmd != "ls" {
                return Err(Unsupported(format!("bridge link {cmd} is not modelled; supported: show")));
            }
            let dev = match rest.get(1).map(String::as_str) {
                Some("dev") => rest.get(2).cloned(),
                Some(other) => return Err(Unsupported(format!("bridge link show {other} is not modelled"))),
                None => None,
            };
            shown(ctx, crate::render::bridge::bridge_link_show(&ctx.eng.world, ctx.ns, dev.as_deref()))
        }
        _ => Err(Unsupported(format!("bridge {obj} is not modelled; supported: fdb show, link show"))),
    }
}

/// `bridge fdb add|replace|del MAC dev PORT master [static|dynamic]`: a user
/// entry in the port's bridge (`br_fdb_add` / `br_fdb_delete`).
fn fdb_change(ctx: &mut Ctx<'_>, cmd: &str, args: &[String]) -> ToolResult {
    use crate::model::{FdbEntry, FdbFlags, MacAddr};
    let mut mac = None;
    let mut dev_name = None;
    let mut master = false;
    let mut dynamic = false;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "dev" => dev_name = it.next().cloned(),
            "master" => master = true,
            "static" | "permanent" => dynamic = false,
            "dynamic" => dynamic = true,
            s if mac.is_none() => mac = Some(s.to_string()),
            s => {
                return Err(Unsupported(format!(
                    "bridge fdb {cmd}: option '{s}' is not modelled; supported: dev, master, static, dynamic"
                )))
            }
        }
    }
    if !master {
        return Err(Unsupported(format!("bridge fdb {cmd} without 'master' edits the device's own address list, which netsim does not model; add 'master'")));
    }
    let Some(m) = mac.as_deref().and_then(MacAddr::parse) else {
        return ctx.fail(&format!("Invalid mac address {}", mac.unwrap_or_default()), 255);
    };
    let Some(dn) = dev_name else { return ctx.fail("Device is a required argument.", 255) };
    let Some(dev) = ctx.dev(&dn) else { return ctx.fail(&format!("Cannot find device \"{dn}\""), 1) };
    let Some(br) = ctx.eng.world.link(dev).master else {
        return ctx.fail("RTNETLINK answers: Operation not supported", 255);
    };
    let now = ctx.eng.now;
    let Some(b) = ctx.eng.world.link_mut(br).bridge_mut() else { return Ok(Outcome::Exited(0)) };
    let existing = b.fdb.get(&m).cloned();
    if cmd.starts_with("del") {
        return match existing {
            Some(e) if !e.flags.local => {
                b.fdb.remove(&m);
                Ok(Outcome::Exited(0))
            }
            _ => ctx.fail("RTNETLINK answers: No such file or directory", 255),
        };
    }
    if cmd == "add" && existing.is_some() {
        return ctx.fail("RTNETLINK answers: File exists", 255);
    }
    b.fdb.insert(
        m,
        FdbEntry {
            port: Some(dev),
            flags: FdbFlags { local: false, is_static: !dynamic, added_by_user: true },
            updated_ns: now,
            used_ns: now,
        },
    );
    Ok(Outcome::Exited(0))
}

/// Sets a bridge's `ageing_time` (given in centiseconds, as netlink and
/// sysfs take it); entries past it are removed before the next look.
pub fn set_ageing(ctx: &mut Ctx<'_>, br: crate::model::LinkId, cs: u64) {
    if let Some(b) = ctx.eng.world.link_mut(br).bridge_mut() {
        b.ageing_time_ns = cs * 10_000_000;
    }
}

/// Prints a listing, or the tool's error text with exit status 1.
fn shown(ctx: &mut Ctx<'_>, r: Result<String, crate::render::bridge::BridgeError>) -> ToolResult {
    match r {
        Ok(text) => {
            ctx.out(&text);
            Ok(Outcome::Exited(0))
        }
        Err(e) => ctx.fail(&e.to_string(), 1),
    }
}

/// Runs `brctl addbr|delbr|addif|delif|show|showmacs|showstp`.
///
/// # Errors
/// [`Unsupported`] for other commands.
pub fn brctl(ctx: &mut Ctx<'_>, args: &[String]) -> ToolResult {
    let cmd = args.first().map(String::as_str).unwrap_or("");
    let a1 = args.get(1).cloned().unwrap_or_default();
    let a2 = args.get(2).cloned().unwrap_or_default();
    let ns = ctx.ns;
    match cmd {
        "addbr" => match ctx.eng.link_add_bridge(ns, &a1, None) {
            Ok(_) => Ok(Outcome::Exited(0)),
            Err(_) => ctx.fail(&format!("device {a1} already exists; can't create bridge with the same name"), 1),
        },
        "delbr" => {
            let Some(b) = ctx.dev(&a1).filter(|l| ctx.eng.world.link(*l).bridge().is_some()) else {
                return ctx.fail(&format!("bridge {a1} doesn't exist; can't delete it"), 1);
            };
            if ctx.eng.world.link(b).admin_up {
                return ctx.fail(&format!("bridge {a1} is still up; can't delete it"), 1);
            }
            ctx.eng.destroy_link(b);
            Ok(Outcome::Exited(0))
        }
        "addif" | "delif" => {
            // brctl reports the ioctl's ENODEV, whichever name was missing,
            // as the interface not existing (checked with verify).
            let (Some(b), Some(p)) = (ctx.dev(&a1).filter(|l| ctx.eng.world.link(*l).bridge().is_some()), ctx.dev(&a2))
            else {
                return ctx.fail(&format!("interface {a2} does not exist!"), 1);
            };
            if cmd == "addif" {
                if ctx.eng.world.link(p).master.is_some() {
                    return ctx.fail(
                        &format!("device {a2} is already a member of a bridge; can't enslave it to bridge {a1}."),
                        1,
                    );
                }
                if ctx.eng.link_set_master(p, b).is_err() {
                    return ctx.fail(&format!("can't add {a2} to bridge {a1}: Invalid argument"), 1);
                }
            } else {
                if ctx.eng.world.link(p).master != Some(b) {
                    return ctx.fail(&format!("device {a2} is not a slave of {a1}"), 1);
                }
                ctx.eng.link_nomaster(p);
            }
            Ok(Outcome::Exited(0))
        }
        "setageing" => {
            let Some(b) = ctx.dev(&a1).filter(|l| ctx.eng.world.link(*l).bridge().is_some()) else {
                return ctx.fail(&format!("bridge {a1} doesn't exist; can't set ageing time"), 1);
            };
            let Ok(secs) = a2.parse::<f64>() else {
                return Err(Unsupported(format!("brctl setageing {a1} {a2}: a time in seconds is expected")));
            };
            // brctl converts seconds to jiffies-like centiseconds.
            let cs = (secs * 100.0).round() as u64;
            set_ageing(ctx, b, cs);
            Ok(Outcome::Exited(0))
        }
        "show" => {
            let br = args.get(1).cloned();
            let sysfs = ctx.ns != crate::model::World::ROOT;
            shown(ctx, crate::render::bridge::brctl_show(&ctx.eng.world, ns, br.as_deref(), sysfs))
        }
        "showmacs" | "showstp" => {
            if let Some(b) = ctx.dev(&a1).filter(|l| ctx.eng.world.link(*l).bridge().is_some()) {
                ctx.eng.br_fdb_expire(b);
            }
            let now = ctx.eng.now;
            // brctl reads sysfs, which shows the sandbox's devices only
            // inside `ip netns exec`; at the top it falls back to ioctls.
            let sysfs = ctx.ns != crate::model::World::ROOT;
            let r = if cmd == "showmacs" {
                crate::render::bridge::brctl_showmacs(&ctx.eng.world, ns, &a1, now)
            } else {
                crate::render::bridge::brctl_showstp(&ctx.eng.world, ns, &a1, now, sysfs)
            };
            shown(ctx, r)
        }
        _ => Err(Unsupported(format!(
            "brctl {cmd} is not modelled; supported: addbr, delbr, addif, delif, setageing, show, showmacs, showstp"
        ))),
    }
}
