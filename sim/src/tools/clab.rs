//! `clab` / `containerlab`: `deploy -t FILE` (or `-t -` reading the
//! topology from standard input, e.g. a here-document) and `destroy -t FILE
//! [--cleanup]`, for the topologies the seed articles use.
//!
//! What it does. A node of kind `linux` with `network-mode: none` becomes a
//! container `clab-LAB-NODE` (a namespace with `lo` up, registered with the
//! docker model so `docker exec clab-LAB-NODE CMD` reaches it); a node of kind
//! `bridge` names a bridge that must already exist in the host namespace.
//! Each `links: - endpoints: ["a:X", "b:Y"]` becomes a veth pair, MTU 9500 as
//! containerlab sets it, MACs aa:c1:ab:xx:xx:xx (containerlab's OUI, random
//! rest), both ends up; a bridge endpoint's interface stays in the host
//! namespace, enslaved to the bridge. Then each node's `exec:` lines run in
//! it, as words without a shell, as containerlab runs them (`echo A > F`
//! prints its words to the exec log; `apk add nginx` and `nginx` are
//! `tools::docker`'s and `tools::nginx`'s).
//!
//! What it does not: containerlab's own output (its log lines and the node
//! table; the seed articles never show them, so netsim prints nothing: a
//! divergence), the management network (nodes without `network-mode: none`
//! are refused), other kinds, images (nothing of the image runs but what
//! the exec lines start), `mgmt:`,
//! `--reconfigure`, the lab directory. The YAML reader handles the block
//! maps, block lists, flow lists `[..]`, quotes and comments such files use.

use super::docker::{self, Container};
use super::{Ctx, Outcome, ToolResult, Unsupported};
use crate::model::World;

#[derive(Debug, Clone)]
enum Yaml {
    Scalar(String),
    List(Vec<Yaml>),
    Map(Vec<(String, Yaml)>),
}

impl Yaml {
    fn get(&self, key: &str) -> Option<&Yaml> {
        match self {
            Yaml::Map(m) => m.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
    fn str(&self) -> Option<&str> {
        match self {
            Yaml::Scalar(s) => Some(s),
            _ => None,
        }
    }
}

struct Line {
    indent: usize,
    text: String,
    no: usize,
}

fn unquote(s: &str) -> String {
    let s = s.trim();
    if s.len() >= 2 && ((s.starts_with('"') && s.ends_with('"')) || (s.starts_with('\'') && s.ends_with('\''))) {
        s[1..s.len() - 1].to_string()
    } else {
        s.to_string()
    }
}

fn scalar_or_flow(v: &str) -> Yaml {
    let v = v.trim();
    if let Some(inner) = v.strip_prefix('[').and_then(|x| x.strip_suffix(']')) {
        return Yaml::List(
            inner.split(',').filter(|x| !x.trim().is_empty()).map(|x| Yaml::Scalar(unquote(x))).collect(),
        );
    }
    Yaml::Scalar(unquote(v))
}

/// A comment starts at `#` after a space (or at the start), outside quotes.
fn strip_comment(s: &str) -> &str {
    let mut quote = None;
    let b = s.as_bytes();
    for (i, c) in s.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '#') if i == 0 || b[i - 1] == b' ' => return &s[..i],
            _ => {}
        }
    }
    s
}

fn parse_yaml(src: &str) -> Result<Yaml, String> {
    let mut lines = Vec::new();
    for (no, raw) in src.lines().enumerate() {
        let t = strip_comment(raw).trim_end();
        if t.trim().is_empty() || t.trim() == "---" {
            continue;
        }
        if t.starts_with('\t') {
            return Err(format!("yaml: line {}: found character that cannot start any token", no + 1));
        }
        let indent = t.len() - t.trim_start().len();
        lines.push(Line { indent, text: t.trim_start().to_string(), no: no + 1 });
    }
    let mut i = 0;
    if lines.is_empty() {
        return Ok(Yaml::Map(vec![]));
    }
    let ind = lines[0].indent;
    let y = block(&mut lines, &mut i, ind)?;
    if i < lines.len() {
        return Err(format!("yaml: line {}: did not find expected key", lines[i].no));
    }
    Ok(y)
}

fn block(lines: &mut Vec<Line>, i: &mut usize, indent: usize) -> Result<Yaml, String> {
    if lines[*i].text.starts_with("- ") || lines[*i].text == "-" {
        let mut items = Vec::new();
        while *i < lines.len()
            && lines[*i].indent == indent
            && (lines[*i].text.starts_with("- ") || lines[*i].text == "-")
        {
            let rest = lines[*i].text[1..].trim_start().to_string();
            if rest.is_empty() {
                *i += 1;
                if *i < lines.len() && lines[*i].indent > indent {
                    let ind = lines[*i].indent;
                    items.push(block(lines, i, ind)?);
                } else {
                    items.push(Yaml::Scalar(String::new()));
                }
            } else if key_of(&rest).is_some() {
                // `- key: value` opens a map at the column of `key`.
                let col = indent + (lines[*i].text.len() - rest.len());
                lines[*i].indent = col;
                lines[*i].text = rest;
                items.push(block(lines, i, col)?);
            } else {
                items.push(scalar_or_flow(&rest));
                *i += 1;
            }
        }
        return Ok(Yaml::List(items));
    }
    let mut map = Vec::new();
    while *i < lines.len() && lines[*i].indent == indent {
        let line = &lines[*i];
        let Some((k, v)) = key_of(&line.text) else {
            return Err(format!("yaml: line {}: could not find expected ':'", line.no));
        };
        let (k, v) = (unquote(&k), v.to_string());
        *i += 1;
        let val = if !v.trim().is_empty() {
            scalar_or_flow(&v)
        } else if *i < lines.len()
            && (lines[*i].indent > indent || (lines[*i].indent == indent && lines[*i].text.starts_with('-')))
        {
            let ind = lines[*i].indent;
            block(lines, i, ind)?
        } else {
            Yaml::Scalar(String::new())
        };
        map.push((k, val));
    }
    if *i < lines.len() && lines[*i].indent > indent {
        return Err(format!("yaml: line {}: mapping values are not allowed in this context", lines[*i].no));
    }
    Ok(Yaml::Map(map))
}

fn key_of(s: &str) -> Option<(String, &str)> {
    if s.starts_with('[') {
        return None;
    }
    let p = s.find(": ").or_else(|| s.ends_with(':').then(|| s.len() - 1))?;
    Some((s[..p].to_string(), &s[p + 1..]))
}

/// A deployed lab (kept so `destroy` can undo it).
#[derive(Debug, Clone)]
struct Node {
    name: String,
    kind: String,
    image: String,
    exec: Vec<String>,
}

/// `clab ...`.
///
/// # Errors
/// [`Unsupported`] for what is not modelled.
pub fn run(ctx: &mut Ctx<'_>, args: &[String]) -> ToolResult {
    let sub = args.first().map(String::as_str).unwrap_or("");
    let mut topo = None;
    let mut cleanup = false;
    let mut it = args.iter().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "-t" | "--topo" => topo = it.next().cloned(),
            "--cleanup" | "-c" => cleanup = true,
            // `clab deploy -t clab.yaml -`: a stray positional is ignored.
            "-" => {}
            f if f.starts_with("--topo=") => topo = Some(f["--topo=".len()..].to_string()),
            f => {
                return Err(Unsupported(format!(
                    "clab {sub} {f} is not modelled; supported: deploy/destroy -t FILE|-, --cleanup"
                )))
            }
        }
    }
    // `--cleanup` also deletes the lab directory, which netsim does not keep.
    let _ = cleanup;
    let Some(topo) = topo else {
        return Err(Unsupported(format!(
            "clab {sub} without -t (finding a topology file in the directory) is not modelled"
        )));
    };
    let src = if topo == "-" {
        ctx.stdin.clone()
    } else {
        match ctx.eng.files.get(&topo) {
            Some(b) => String::from_utf8_lossy(b).into_owned(),
            None => {
                return Err(Unsupported(format!(
                    "clab -t {topo}: the file was not written by this script; netsim reads only files the script wrote"
                )))
            }
        }
    };
    let y = match parse_yaml(&src) {
        Ok(y) => y,
        Err(e) => return ctx.fail(&format!("Error: {e}"), 1),
    };
    let Some(lab) = y.get("name").and_then(Yaml::str).map(str::to_string) else {
        return ctx.fail("Error: lab name is empty", 1);
    };
    let nodes = match nodes_of(&y) {
        Ok(n) => n,
        Err(e) => return Err(Unsupported(e)),
    };
    match sub {
        "deploy" => deploy(ctx, &lab, &y, &nodes),
        "destroy" => {
            destroy(ctx, &lab)?;
            Ok(Outcome::Exited(0))
        }
        other => Err(Unsupported(format!("clab {other} is not modelled; supported: deploy, destroy"))),
    }
}

fn nodes_of(y: &Yaml) -> Result<Vec<Node>, String> {
    let mut out = Vec::new();
    let Some(Yaml::Map(nodes)) = y.get("topology").and_then(|t| t.get("nodes")) else {
        return Ok(out);
    };
    for (name, n) in nodes {
        let kind = n.get("kind").and_then(Yaml::str).unwrap_or("").to_string();
        if let Yaml::Map(m) = n {
            for (k, _) in m {
                if !matches!(k.as_str(), "kind" | "image" | "network-mode" | "exec") {
                    return Err(format!("clab: node option '{k}' ({name}) is not modelled; supported: kind, image, network-mode: none, exec"));
                }
            }
        }
        match kind.as_str() {
            "linux" => {
                if n.get("network-mode").and_then(Yaml::str) != Some("none") {
                    return Err(format!(
                        "clab: node {name}: only network-mode: none is modelled (the management network is not)"
                    ));
                }
            }
            "bridge" => {}
            k => return Err(format!("clab: node {name}: kind '{k}' is not modelled; supported: linux, bridge")),
        }
        let exec = match n.get("exec") {
            Some(Yaml::List(l)) => l.iter().filter_map(Yaml::str).map(str::to_string).collect(),
            _ => vec![],
        };
        let image = n.get("image").and_then(Yaml::str).unwrap_or("").to_string();
        out.push(Node { name: name.clone(), kind, image, exec });
    }
    Ok(out)
}

fn cname(lab: &str, node: &str) -> String {
    format!("clab-{lab}-{node}")
}

fn deploy(ctx: &mut Ctx<'_>, lab: &str, y: &Yaml, nodes: &[Node]) -> ToolResult {
    let root = World::ROOT;
    if nodes.iter().any(|n| n.kind == "linux" && ctx.eng.docker.find(&cname(lab, &n.name)).is_some()) {
        return ctx.fail(&format!("Error: the '{lab}' lab has already been deployed. Destroy the lab before deploying a lab with the same name"), 1);
    }
    for n in nodes.iter().filter(|n| n.kind == "bridge") {
        let ok = ctx.dev(&n.name).is_some_and(|l| ctx.eng.world.link(l).bridge().is_some());
        if !ok {
            return ctx.fail(&format!("Error: could not find bridge {} referenced in the topology", n.name), 1);
        }
    }
    let mut links = Vec::new();
    if let Some(Yaml::List(ls)) = y.get("topology").and_then(|t| t.get("links")) {
        for l in ls {
            let Some(Yaml::List(eps)) = l.get("endpoints") else {
                return Err(Unsupported("clab: links without endpoints: [..] are not modelled".into()));
            };
            let eps: Vec<(String, String)> = eps
                .iter()
                .filter_map(Yaml::str)
                .filter_map(|e| e.split_once(':').map(|(a, b)| (a.to_string(), b.to_string())))
                .collect();
            if eps.len() != 2 {
                return Err(Unsupported("clab: a link needs two endpoints \"node:interface\"".into()));
            }
            for (node, _) in &eps {
                if !nodes.iter().any(|n| &n.name == node) {
                    return ctx.fail(&format!("Error: node \"{node}\" referenced in link endpoints is not defined"), 1);
                }
            }
            links.push(eps);
        }
    }
    for n in nodes.iter().filter(|n| n.kind == "linux") {
        let id = docker::random_id(ctx);
        let c = match docker::create(ctx, &cname(lab, &n.name), &id, "none", &[])? {
            Ok(mut c) => {
                c.busybox = docker::busybox_image(&n.image);
                c.image.clone_from(&n.image);
                c
            }
            Err(m) => return ctx.fail(&m, 1),
        };
        ctx.eng.docker.containers.push(c);
    }
    for eps in &links {
        let mut names = Vec::new();
        for _ in 0..2 {
            names.push(tmp_name(ctx));
        }
        docker::quiet(ctx, root, &["ip", "link", "add", &names[0], "type", "veth", "peer", "name", &names[1]], "")?;
        for (k, (node, ifname)) in eps.iter().enumerate() {
            let mut mac = ctx.eng.rng.mac();
            mac.0[..3].copy_from_slice(&[0xaa, 0xc1, 0xab]);
            let mac = mac.to_string();
            let kind = nodes.iter().find(|n| &n.name == node).map(|n| n.kind.clone()).unwrap_or_default();
            let tmp = names[k].clone();
            let ns = if kind == "bridge" {
                root
            } else {
                let i = ctx.eng.docker.find(&cname(lab, node)).unwrap_or(0);
                let ns = ctx.eng.docker.containers[i].ns;
                let l = ctx.dev(&tmp).ok_or_else(|| Unsupported("clab: veth vanished".into()))?;
                ctx.eng.link_set_netns(l, ns).map_err(|e| Unsupported(format!("clab: moving {tmp}: {e:?}")))?;
                ns
            };
            let steps: Vec<Vec<&str>> = vec![
                vec!["ip", "link", "set", &tmp, "name", ifname],
                vec!["ip", "link", "set", ifname, "address", &mac],
                vec!["ip", "link", "set", ifname, "mtu", "9500"],
            ];
            // containerlab's netlink LinkAttrs leave TxQLen at 0.
            if let Some(l) = ctx.eng.world.link_by_name(ns, &tmp) {
                ctx.eng.world.link_mut(l).qlen = 0;
            }
            for s in steps {
                if docker::quiet(ctx, ns, &s, "")? != 0 {
                    return ctx.fail(&format!("Error: failed to create link {node}:{ifname}: file exists"), 1);
                }
            }
            if kind == "bridge" {
                docker::quiet(ctx, root, &["ip", "link", "set", ifname, "master", node], "")?;
            }
        }
        for (node, ifname) in eps {
            let kind = nodes.iter().find(|n| &n.name == node).map(|n| n.kind.clone()).unwrap_or_default();
            let ns = if kind == "bridge" {
                root
            } else {
                let i = ctx.eng.docker.find(&cname(lab, node)).unwrap_or(0);
                ctx.eng.docker.containers[i].ns
            };
            docker::quiet(ctx, ns, &["ip", "link", "set", ifname, "up"], "")?;
        }
    }
    for n in nodes.iter().filter(|n| n.kind == "linux") {
        let i = ctx.eng.docker.find(&cname(lab, &n.name)).unwrap_or(0);
        let ns = ctx.eng.docker.containers[i].ns;
        for line in &n.exec {
            let argv = words(line).map_err(|e| Unsupported(format!("clab: node {} exec '{line}': {e}", n.name)))?;
            if argv.is_empty() {
                continue;
            }
            let out = ctx.stdio.clone();
            ctx.stdio = crate::engine::Stdio { out: crate::engine::Sink::Null, err: crate::engine::Sink::Null };
            let bb = docker::busybox_image(&n.image);
            let r = docker::in_ns(ctx, ns, &argv, &format!("clab exec on node {}", n.name), bb);
            ctx.stdio = out;
            if let Outcome::Spawned(pid) = r? {
                ctx.eng.run_while(|e| e.procs.get(&pid).is_none_or(|p| p.exited()));
            }
        }
    }
    Ok(Outcome::Exited(0))
}

/// Splits an exec line into words as containerlab does (shell-like quoting,
/// no shell: `>` is a word).
fn words(line: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut has = false;
    let mut q = None;
    for c in line.chars() {
        match (q, c) {
            (None, '"' | '\'') => {
                q = Some(c);
                has = true;
            }
            (Some(x), c) if c == x => q = None,
            (None, c) if c.is_whitespace() => {
                if has {
                    out.push(std::mem::take(&mut cur));
                    has = false;
                }
            }
            (_, c) => {
                cur.push(c);
                has = true;
            }
        }
    }
    if q.is_some() {
        return Err("unterminated quote".into());
    }
    if has {
        out.push(cur);
    }
    // `echo ... > FILE` only prints its words (the `>` too) to the exec log.
    if out.first().is_some_and(|w| w != "echo") && out.iter().any(|w| w == ">" || w == "|" || w == ">>") {
        return Err(
            "containerlab runs exec lines without a shell, so redirections and pipes are words; not modelled".into()
        );
    }
    Ok(out)
}

fn tmp_name(ctx: &mut Ctx<'_>) -> String {
    loop {
        let n = format!("clab-{:08x}", ctx.eng.rng.range(0, 0x1_0000_0000));
        if ctx.dev(&n).is_none() {
            return n;
        }
    }
}

fn destroy(ctx: &mut Ctx<'_>, lab: &str) -> Result<(), Unsupported> {
    let prefix = format!("clab-{lab}-");
    let mine: Vec<Container> =
        ctx.eng.docker.containers.iter().filter(|c| c.name.starts_with(&prefix)).cloned().collect();
    ctx.eng.docker.containers.retain(|c| !c.name.starts_with(&prefix));
    for c in mine {
        docker::remove(ctx, &c)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_seed_topology() {
        let src = "name: basic-bridge-lab\ntopology:\n  nodes:\n    br0:\n        kind: bridge\n\n    host1:\n        kind: linux\n        image: nicolaka/netshoot\n        network-mode: none\n        exec:\n        - ip addr add 10.0.0.10/24 dev eth1 \n        # a comment\n        - ip route add default via 10.0.0.1 dev eth1\n  links:\n     - endpoints: [\"br0:eth1\", \"host1:eth1\"]\n";
        let y = parse_yaml(src).expect("parses");
        assert_eq!(y.get("name").and_then(Yaml::str), Some("basic-bridge-lab"));
        let nodes = nodes_of(&y).expect("nodes");
        assert_eq!(nodes.len(), 2);
        assert_eq!(nodes[1].exec, ["ip addr add 10.0.0.10/24 dev eth1", "ip route add default via 10.0.0.1 dev eth1"]);
        let Some(Yaml::List(links)) = y.get("topology").and_then(|t| t.get("links")) else { panic!("links") };
        let Some(Yaml::List(eps)) = links[0].get("endpoints") else { panic!("endpoints") };
        assert_eq!(eps.iter().filter_map(Yaml::str).collect::<Vec<_>>(), ["br0:eth1", "host1:eth1"]);
    }

    #[test]
    fn refuses_what_it_cannot_read() {
        assert!(parse_yaml("name: a\n  b: c\n").is_err());
        assert!(parse_yaml("\tname: a\n").is_err());
        let y = parse_yaml("name: a\ntopology:\n  nodes:\n    x:\n      kind: vr-sros\n").expect("parses");
        assert!(nodes_of(&y).is_err());
        assert_eq!(words("echo \"a b\" 'c'").expect("words"), ["echo", "a b", "c"]);
        // echo only prints its words (the `>` too) to the exec log.
        assert_eq!(words("echo x > /etc/resolv.conf").expect("words"), ["echo", "x", ">", "/etc/resolv.conf"]);
        assert!(words("ip a > /tmp/x").is_err());
    }
}
