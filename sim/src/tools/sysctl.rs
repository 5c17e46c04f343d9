//! `sysctl` (procps): read and write `net.ipv4.*` and `net.bridge.*` keys.
//!
//! Modelled keys: `net.ipv4.ip_forward`, `net.ipv4.conf.{all,default,DEV}.*`
//! for the keys in [`crate::model::sysctl::DEVCONF_KEYS`],
//! `net.ipv6.conf.{all,default,DEV}.disable_ipv6`, and the six
//! `net.bridge.bridge-nf-*` keys (present only when br_netfilter is loaded),
//! `net.netfilter.nf_conntrack_tcp_{loose,be_liberal}` (0 or 1, else
//! EINVAL). Any other key is refused as unsupported rather than faked.
//!
//! DIVERGENCE: the `net.netfilter.*` keys exist from the start, as on a
//! host where nf_conntrack is loaded (any that ran a NAT or conntrack rule);
//! on a host that never loaded it, the kernel cannot stat them until
//! something does.

use super::{Ctx, Outcome, ToolResult, Unsupported};
use crate::model::DevConf;

enum Key {
    IpForward,
    Conf(String, String),
    Brnf(String),
    /// `net.ipv6.conf.<all|default|DEV>.disable_ipv6`.
    V6Disable(String),
    /// `net.netfilter.nf_conntrack_tcp_loose` (`true`) or `_be_liberal`.
    CtTcp(bool),
}

fn parse_key(k: &str) -> Option<Key> {
    let k = k.replace('/', ".");
    if k == "net.ipv4.ip_forward" {
        return Some(Key::IpForward);
    }
    if let Some(rest) = k.strip_prefix("net.ipv4.conf.") {
        let (dev, key) = rest.rsplit_once('.')?;
        return Some(Key::Conf(dev.to_string(), key.to_string()));
    }
    if let Some(rest) = k.strip_prefix("net.ipv6.conf.") {
        let (dev, key) = rest.rsplit_once('.')?;
        return (key == "disable_ipv6").then(|| Key::V6Disable(dev.to_string()));
    }
    if let Some(rest) = k.strip_prefix("net.bridge.") {
        return Some(Key::Brnf(rest.to_string()));
    }
    match k.as_str() {
        "net.netfilter.nf_conntrack_tcp_loose" => Some(Key::CtTcp(true)),
        "net.netfilter.nf_conntrack_tcp_be_liberal" => Some(Key::CtTcp(false)),
        _ => None,
    }
}

fn brnf_field<'a>(b: &'a mut crate::model::sysctl::BridgeNf, key: &str) -> Option<&'a mut u8> {
    Some(match key {
        "bridge-nf-call-iptables" => &mut b.call_iptables,
        "bridge-nf-call-ip6tables" => &mut b.call_ip6tables,
        "bridge-nf-call-arptables" => &mut b.call_arptables,
        "bridge-nf-filter-vlan-tagged" => &mut b.filter_vlan_tagged,
        "bridge-nf-filter-pppoe-tagged" => &mut b.filter_pppoe_tagged,
        "bridge-nf-pass-vlan-input-dev" => &mut b.pass_vlan_input_dev,
        _ => return None,
    })
}

/// Runs `sysctl [-w] [-q] [-n] KEY[=VALUE]...`.
///
/// # Errors
/// [`Unsupported`] for keys netsim does not model.
pub fn run(ctx: &mut Ctx<'_>, args: &[String]) -> ToolResult {
    let (mut quiet, mut values_only, mut write) = (false, false, false);
    let mut items = Vec::new();
    for a in args {
        match a.strip_prefix('-') {
            Some(flags) if !flags.is_empty() => {
                for f in flags.chars() {
                    match f {
                        'w' => write = true,
                        'q' => quiet = true,
                        'n' => values_only = true,
                        _ => {
                            return Err(Unsupported(format!(
                                "sysctl option '{a}' is not modelled; supported: -w -q -n"
                            )))
                        }
                    }
                }
            }
            _ => items.push(a.to_string()),
        }
    }
    let mut status = 0;
    for (idx, item) in items.into_iter().enumerate() {
        let (key, val) = match item.split_once('=') {
            Some((k, v)) => (k.trim().to_string(), Some(v.trim().to_string())),
            None => (item.clone(), None),
        };
        if val.is_none() && write {
            // procps 4 counts arguments from 0 in this message.
            ctx.err(&format!("sysctl: command line({idx}): invalid syntax, continuing...\n"));
            status = 1;
            continue;
        }
        let Some(k) = parse_key(&key) else {
            return Err(Unsupported(format!("sysctl key '{key}' is not modelled; supported: net.ipv4.ip_forward, net.ipv4.conf.*.{{forwarding,rp_filter,arp_*,proxy_arp,...}}, net.ipv6.conf.*.disable_ipv6, net.bridge.bridge-nf-*, net.netfilter.nf_conntrack_tcp_{{loose,be_liberal}}")));
        };
        let ns = ctx.ns;
        let cur = match &k {
            Key::IpForward => Some(ctx.eng.world.ns(ns).conf_all.forwarding),
            Key::Conf(dev, key) => {
                let conf: Option<DevConf> = match dev.as_str() {
                    "all" => Some(ctx.eng.world.ns(ns).conf_all),
                    "default" => Some(ctx.eng.world.ns(ns).conf_default),
                    d => ctx.dev(d).map(|l| ctx.eng.world.link(l).conf),
                };
                match conf {
                    None => None,
                    Some(c) => match c.get(key) {
                        Some(v) => Some(v),
                        None => return Err(Unsupported(format!("sysctl key '{}' is not modelled", key_name(&k)))),
                    },
                }
            }
            Key::V6Disable(dev) => match dev.as_str() {
                "all" => Some(ctx.eng.world.ns(ns).ipv6_all_disable),
                "default" => Some(ctx.eng.world.ns(ns).ipv6_default_disable),
                d => ctx.dev(d).map(|l| ctx.eng.world.link(l).ipv6_disable),
            },
            Key::Brnf(key) => match ctx.eng.world.ns_mut(ns).brnf.as_mut() {
                None => None,
                Some(b) => brnf_field(b, key).map(|v| *v),
            },
            Key::CtTcp(loose) => {
                let t = ctx.eng.world.ns(ns).ct.tcp;
                Some(if *loose { t.loose } else { t.be_liberal })
            }
        };
        let Some(cur) = cur else {
            ctx.err(&format!("sysctl: cannot stat /proc/sys/{}: No such file or directory\n", key.replace('.', "/")));
            status = 1;
            continue;
        };
        let shown = match &val {
            None => cur,
            Some(v) => {
                let Ok(n) = v.parse::<u8>() else {
                    return Err(Unsupported(format!("sysctl value '{v}' for '{key}' is not a small integer")));
                };
                if matches!(k, Key::CtTcp(_)) && n > 1 {
                    // proc_dou8vec_minmax with extra1 0, extra2 1.
                    ctx.err(&format!("sysctl: setting key \"{key}\": Invalid argument\n"));
                    status = 1;
                    continue;
                }
                set(ctx, &k, n);
                n
            }
        };
        if !quiet || val.is_none() {
            if values_only {
                ctx.out(&format!("{shown}\n"));
            } else {
                ctx.out(&format!("{key} = {shown}\n"));
            }
        }
    }
    Ok(Outcome::Exited(status))
}

fn key_name(k: &Key) -> String {
    match k {
        Key::IpForward => "net.ipv4.ip_forward".into(),
        Key::Conf(d, k) => format!("net.ipv4.conf.{d}.{k}"),
        Key::Brnf(k) => format!("net.bridge.{k}"),
        Key::V6Disable(d) => format!("net.ipv6.conf.{d}.disable_ipv6"),
        Key::CtTcp(true) => "net.netfilter.nf_conntrack_tcp_loose".into(),
        Key::CtTcp(false) => "net.netfilter.nf_conntrack_tcp_be_liberal".into(),
    }
}

/// Writes a value with the kernel's side effects: `ip_forward` and
/// `conf/all/forwarding` set every device's forwarding too
/// (`devinet_sysctl_forward` / `inet_forward_change`).
fn set(ctx: &mut Ctx<'_>, k: &Key, v: u8) {
    let ns = ctx.ns;
    match k {
        Key::IpForward => forward_change(ctx, v),
        Key::Conf(dev, key) if dev == "all" && key == "forwarding" => forward_change(ctx, v),
        Key::Conf(dev, key) => match dev.as_str() {
            "all" => {
                ctx.eng.world.ns_mut(ns).conf_all.set(key, v);
            }
            "default" => {
                ctx.eng.world.ns_mut(ns).conf_default.set(key, v);
            }
            d => {
                if let Some(l) = ctx.dev(d) {
                    ctx.eng.world.link_mut(l).conf.set(key, v);
                }
            }
        },
        Key::V6Disable(dev) => {
            // addrconf_disable_ipv6: `all` sets every device too.
            let v = u8::from(v != 0);
            match dev.as_str() {
                "all" => {
                    ctx.eng.world.ns_mut(ns).ipv6_all_disable = v;
                    let links: Vec<_> = ctx.eng.world.links_in(ns).collect();
                    for l in links {
                        ctx.eng.world.link_mut(l).ipv6_disable = v;
                    }
                }
                "default" => ctx.eng.world.ns_mut(ns).ipv6_default_disable = v,
                d => {
                    if let Some(l) = ctx.dev(d) {
                        ctx.eng.world.link_mut(l).ipv6_disable = v;
                    }
                }
            }
            ctx.eng.refresh_links();
        }
        Key::CtTcp(loose) => {
            let t = &mut ctx.eng.world.ns_mut(ns).ct.tcp;
            *if *loose { &mut t.loose } else { &mut t.be_liberal } = v;
        }
        Key::Brnf(key) => {
            if let Some(b) = ctx.eng.world.ns_mut(ns).brnf.as_mut() {
                if let Some(f) = brnf_field(b, key) {
                    *f = v;
                }
            }
        }
    }
}

fn forward_change(ctx: &mut Ctx<'_>, v: u8) {
    let ns = ctx.ns;
    let n = ctx.eng.world.ns_mut(ns);
    n.conf_all.forwarding = v;
    n.conf_default.forwarding = v;
    let links: Vec<_> = ctx.eng.world.links_in(ns).collect();
    for l in links {
        ctx.eng.world.link_mut(l).conf.forwarding = v;
    }
}
