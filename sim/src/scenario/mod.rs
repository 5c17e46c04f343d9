//! The scenario language: the subset of bash a scenario script is written in,
//! parsed into a syntax tree with a line:column on every command and word.
//!
//! A scenario must run unchanged under bash as root on a real host, so this
//! parser follows bash's rules for everything it accepts, and refuses (with
//! `file:line:col`, the construct's name and the list of what is supported)
//! everything whose meaning it does not reproduce exactly. Nothing is
//! half-understood silently.
//!
//! Supported: words and quoting (`'...'`, `"..."` with `\" \\ \$ \``, `\`
//! escapes, `$'...'` with `\n \t \r \\ \' \"`), `$VAR`, `${VAR}`,
//! `${VAR:-default}`, `${VAR-default}`, `$!`, `$?`, `$$`, `$#`, `$0`..`$9`,
//! `${10}`; comments; backslash-newline continuation; `;`, `&&`, `||`, `|`,
//! `&`, newlines, `!`; `NAME=value` before a command; `for`/`in`/`do`/`done`,
//! `if`/`then`/`elif`/`else`/`fi`, `while`/`do`/`done`, `{ ...; }`,
//! `( ... )`; redirections `>`, `>|`, `>>`, `<`, `n>`, `2>&1`, `>&2`, `&>`,
//! here-documents (`<<`, `<<-`, quoted delimiters, several per line) and
//! here-strings (`<<<`).
//!
//! Refused: command substitution, arithmetic, process substitution, globs
//! and brace expansion (outside assignments), tilde expansion, `case`,
//! `until`, `select`, functions, `[[ ]]`, `(( ))`, arrays, `+=`, `IFS=`,
//! `$@`/`$*`, `${...}` operators other than `-`/`:-`, redirections on compound
//! commands, `&>>`, `|&`, `<&`, `<>`, `>&-`, CRLF line endings.
//!
//! This module does not run anything or know any command (`ip`, `ping`, ...):
//! the interpreter walks the [`Script`] and expands words at run time with
//! [`expand_word`], [`expand_word_single`] and [`expand_heredoc`] (and can
//! refuse unquoted variables holding glob characters with
//! [`unquoted_glob_var`]).
//!
//! Submodules:
//! - `ast`: the syntax tree ([`Script`], [`Command`], [`Word`], ...).
//! - `error`: [`ScenarioError`].
//! - `lexer`: hand-written tokenizer (we need positions for every word and
//!   bash's context-dependent lexical rules; see its module doc).
//! - `parser`: recursive descent over the tokens.
//! - `expand`: word and here-document expansion for the interpreter.

mod ast;
mod error;
mod expand;
mod lexer;
mod parser;

pub use ast::{
    AndOr, AndOrOp, Command, ListItem, Pipeline, Redirect, RedirectKind, Script, SimpleCommand, Span, Word, WordPart,
};
pub use error::{ScenarioError, ScenarioErrorKind, SUPPORTED};
pub use expand::{expand_heredoc, expand_word, expand_word_single, unquoted_glob_var};

/// How deeply compound commands (and `${...:-...}` defaults) may nest: far
/// beyond any real scenario, low enough that recursion cannot exhaust the
/// stack on hostile input. (100 nested `for` loops overflowed a 2 MiB test
/// thread's stack in a debug build: a level of parser recursion takes about
/// 20 KiB there.)
const MAX_NESTING: usize = 50;

/// Parses a scenario script. `file` is only used in error messages.
///
/// # Errors
///
/// The first problem in file order: a syntax error, an unterminated quote or
/// compound command (reported at its opening), or a bash feature outside the
/// subset (reported at the construct, naming it and listing what is supported).
pub fn parse(src: &str, file: &str) -> Result<Script, ScenarioError> {
    parser::parse_tokens(lexer::tokenize(src, file), file)
}

/// Decodes a script file's bytes as UTF-8 text, as [`parse`] needs it.
///
/// # Errors
///
/// The first byte that is not UTF-8, as `file:line:col` (column in
/// characters, like every other position).
pub fn decode(bytes: &[u8], file: &str) -> Result<String, ScenarioError> {
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok(s.to_string()),
        Err(e) => {
            let good = std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or_default();
            let line = good.matches('\n').count() + 1;
            let col = good.rsplit('\n').next().unwrap_or_default().chars().count() + 1;
            let span = Span::new(u32::try_from(line).unwrap_or(u32::MAX), u32::try_from(col).unwrap_or(u32::MAX));
            let byte = bytes[e.valid_up_to()];
            Err(ScenarioError::new(
                file,
                span,
                ScenarioErrorKind::Syntax(format!("byte 0x{byte:02x} is not UTF-8 text; scripts must be UTF-8")),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn simple(c: &Command) -> &SimpleCommand {
        match c {
            Command::Simple(s) => s,
            other => panic!("expected a simple command, got {other:?}"),
        }
    }

    /// The literal words of every top-level simple command, one vector each.
    fn command_lines(s: &Script) -> Vec<Vec<String>> {
        let mut out = Vec::new();
        for item in &s.items {
            let mut pipes = vec![&item.and_or.first];
            pipes.extend(item.and_or.rest.iter().map(|(_, p)| p));
            for p in pipes {
                for c in &p.commands {
                    if let Command::Simple(sc) = c {
                        out.push(
                            sc.words.iter().map(|w| w.as_literal().unwrap_or_else(|| "<expansion>".into())).collect(),
                        );
                    }
                }
            }
        }
        out
    }

    // Seed article 000 (veth pair with containerlab): a here-document whose
    // command line continues with `> clab.yaml | clab deploy ...`.
    const SEED_000_VETH: &str = r#"#!/bin/bash

set -v

cat <<EOF> clab.yaml | clab deploy -t clab.yaml -
name: basic-veth-pair
topology:
  nodes:
    host1:
        kind: linux
        image: nicolaka/netshoot
        network-mode: none
        exec:
        - ip addr add 192.168.1.2/24 dev veth1 
        - ip link set veth1 up
        - ip route add default dev veth1

  links:
     - endpoints: ["host1:veth1", "host2:veth1"]

EOF

sudo clab destroy -t clab.yaml --cleanup

sudo clab deploy -t clab.yaml
"#;

    // Seed article 000, the NAT/DNAT lab: Chinese comments, `#ifconfig`
    // commented out, iptables rules, a quoted echo inside the YAML body.
    const SEED_000_DNAT: &str = r#"#!/bin/bash

set -v

brctl addbr br0
#ifconfig br0 up
ip link set br0 up

cat <<EOF> clab.yaml | clab deploy -t clab.yaml -
name: basic-bridge-lab
topology:
  nodes:
    host2:
        kind: linux
        # 使用一个完整的 Ubuntu 镜像
        image: nicolaka/netshoot
        exec:
        - echo "nameserver 223.5.5.5" > /etc/resolv.conf
        - apk add nginx

EOF

sudo clab destroy -t clab.yaml --cleanup

# br0 增加 ip
ip addr add 10.0.0.1/24 dev br0

# 允许 forward 和配置 SNAT 。
sysctl -w net.ipv4.ip_forward=1
iptables -t nat -A POSTROUTING -s 10.0.0.0/24 -j MASQUERADE

# 增加 DNAT 规则，把 10.0.0.11:80 映射到宿主机的 12345 端口上。
iptables -t nat -A PREROUTING -p tcp --dport 12345 -j DNAT --to-destination 10.0.0.11:80

"#;

    // Seed article 001 (bridge by hand), with trailing comments on commands.
    const SEED_001: &str = "ip netns add n1 # 创建一个ns\n\
ip link add veth-1 type veth peer name veth-2 # 创建一对veth设备\n\
ip link set veth-2 up netns n1\n\
ip link add br-0 type bridge\n\
brctl addif br-0 veth-1\n\
ip link set veth-1 up\n\
ip link set br-0 up\n\
ip addr add 172.16.100.1/24 dev br-0\n\
ip netns exec n1 ip addr add 172.16.100.101/24 dev veth-2\n\
ip netns exec n1 ip route add default  dev veth-2 # 为容器添加默认路由\n\
sysctl net.bridge.bridge-nf-call-iptables\n\
modprobe br_netfilter\n\
sysctl -w net.bridge.bridge-nf-call-iptables=0\n";

    // Seed article 003 (two namespaces over a veth pair), written with sudo.
    const SEED_003: &str = "sudo ip netns add ns1\nsudo ip netns add ns2\n\
sudo ip link add veth-ns1 type veth peer name veth-ns2\n\
sudo ip link set veth-ns1 netns ns1\nsudo ip link set veth-ns2 netns ns2\n\
sudo ip netns exec ns1 ip addr add 192.168.1.1/24 dev veth-ns1\n\
sudo ip netns exec ns1 ip link set veth-ns1 up\n\
sudo ip netns exec ns2 ip addr add 192.168.1.2/24 dev veth-ns2\n\
sudo ip netns exec ns2 ip link set veth-ns2 up\n\
sudo ip netns exec ns1 ip link set lo up\nsudo ip netns exec ns2 ip link set lo up\n\
sudo ip netns exec ns1 ping 192.168.1.2\n\
sudo ip netns delete ns1\nsudo ip netns delete ns2\n";

    // Seed article 004, section 7.1: the complete automation script.
    const SEED_004: &str = r#"#!/bin/bash
# 搭建完整的容器网络环境
echo "=== 搭建容器网络环境 ==="
# 1. 创建 Network Namespace
sudo ip netns add container1
sudo ip netns add container2
# 2. 创建 Bridge
sudo ip link add name br0 type bridge
sudo ip link set br0 up
sudo ip addr add 192.168.100.1/24 dev br0
sudo ip link add veth-host1 type veth peer name veth-cont1
sudo ip link set veth-host1 master br0
sudo ip link set veth-cont1 netns container1
sudo ip netns exec container1 ip route add default via 192.168.100.1
# 6. 配置 NAT
sudo sysctl -w net.ipv4.ip_forward=1
sudo iptables -t nat -A POSTROUTING -s 192.168.100.0/24 -j MASQUERADE
sudo iptables -A FORWARD -p tcp -d 192.168.100.2 --dport 80 -j ACCEPT
sudo iptables -A FORWARD -j LOG --log-prefix "FORWARD: "
echo "=== 测试容器间通信 ==="
sudo ip netns exec container1 ping -c 3 192.168.100.3
echo "容器1: 192.168.100.2"
"#;

    // Seed article 002 (docker0 by hand), comments between commands.
    const SEED_002: &str = "# 创建名为 ns1 的网络命名空间\nip netns add ns1\n\
# 创建一对 veth 设备：veth-ns1（容器端）和 veth-host（主机端）\n\
ip link add veth-ns1 type veth peer name veth-host\n\
ip link set veth-ns1 netns ns1\n\n\
# 将 veth-host 接入 docker0 网桥\nbrctl addif docker0 veth-host\n\n\
ip netns exec ns1 ping 172.17.0.2\n\
tcpdump -i veth63935af -nn -c 5\n\
tcpdump -i eth0 -nn host 8.8.8.8\n\
conntrack -L -d 8.8.8.8 -o extended\n\
iptables -t nat -L -n -v\n";

    #[test]
    fn seed_000_heredoc_with_redirect_and_pipe() {
        // Proves the seed's `cat <<EOF> clab.yaml | clab deploy -t clab.yaml -`
        // parses as a two-command pipeline whose first command carries the
        // here-document (raw body, expandable) and the `> clab.yaml`.
        let s = parse(SEED_000_VETH, "seed000.sh").unwrap();
        assert_eq!(s.items.len(), 4);
        let p = &s.items[1].and_or.first;
        assert_eq!(p.commands.len(), 2);
        let cat = simple(&p.commands[0]);
        assert_eq!(cat.words[0].as_literal().as_deref(), Some("cat"));
        assert_eq!(cat.redirects.len(), 2);
        match &cat.redirects[0].kind {
            RedirectKind::HereDoc { body, expand, strip_tabs } => {
                assert!(body.starts_with("name: basic-veth-pair\ntopology:\n"));
                assert!(body.ends_with("[\"host1:veth1\", \"host2:veth1\"]\n\n"));
                assert!(body.contains("        - ip addr add 192.168.1.2/24 dev veth1 \n"));
                assert!(*expand && !*strip_tabs);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(cat.redirects[0].fd, 0);
        assert_eq!(cat.redirects[0].span, Span::new(5, 5));
        match &cat.redirects[1].kind {
            RedirectKind::Out(w) => assert_eq!(w.as_literal().as_deref(), Some("clab.yaml")),
            other => panic!("{other:?}"),
        }
        assert_eq!(cat.redirects[1].fd, 1);
        let clab = simple(&p.commands[1]);
        assert_eq!(clab.span, Span::new(5, 24));
        // The commands after the body keep their real line numbers.
        assert_eq!(s.items[2].span, Span::new(23, 1));
        assert_eq!(command_lines(&s)[3], ["sudo", "clab", "destroy", "-t", "clab.yaml", "--cleanup"]);
    }

    #[test]
    fn seed_000_dnat_lab() {
        // Proves comments (including `#ifconfig` and Chinese text), a body
        // containing quotes and `>`, and the iptables lines parse, with the
        // right words.
        let s = parse(SEED_000_DNAT, "seed000b.sh").unwrap();
        let lines = command_lines(&s);
        assert_eq!(lines[1], ["brctl", "addbr", "br0"]);
        assert_eq!(lines[2], ["ip", "link", "set", "br0", "up"]);
        assert_eq!(
            lines.last().unwrap(),
            &[
                "iptables",
                "-t",
                "nat",
                "-A",
                "PREROUTING",
                "-p",
                "tcp",
                "--dport",
                "12345",
                "-j",
                "DNAT",
                "--to-destination",
                "10.0.0.11:80"
            ]
        );
        assert_eq!(lines.len(), 10);
    }

    #[test]
    fn seed_001_002_003_004_parse() {
        // Proves the command blocks of the other seed articles parse, with
        // trailing comments dropped and every command on its own item.
        let s1 = parse(SEED_001, "seed001.sh").unwrap();
        assert_eq!(s1.items.len(), 13);
        assert_eq!(command_lines(&s1)[0], ["ip", "netns", "add", "n1"]);
        assert_eq!(
            command_lines(&s1)[9],
            ["ip", "netns", "exec", "n1", "ip", "route", "add", "default", "dev", "veth-2"]
        );
        let s2 = parse(SEED_002, "seed002.sh").unwrap();
        assert_eq!(s2.items.len(), 9);
        let s3 = parse(SEED_003, "seed003.sh").unwrap();
        assert_eq!(s3.items.len(), 14);
        let s4 = parse(SEED_004, "seed004.sh").unwrap();
        assert_eq!(s4.items.len(), 17);
        let lines = command_lines(&s4);
        assert_eq!(lines[0], ["echo", "=== 搭建容器网络环境 ==="]);
        assert_eq!(lines[13], ["sudo", "iptables", "-A", "FORWARD", "-j", "LOG", "--log-prefix", "FORWARD: "]);
    }

    #[test]
    fn typical_scenario_with_capture_and_loops() {
        // Proves the shape of a netsim scenario: variables, a for loop over
        // namespaces, a background capture, $!, kill %1, wait, sleep.
        let src = "\
set -e
NS=\"a b\"
for ns in $NS; do
  ip netns add \"$ns\"
done
ip netns exec a tcpdump -i veth0 -w cap.pcap &
PID=$!
sleep 1
ip netns exec a ping -c 1 10.0.0.2 >/dev/null 2>&1 || echo \"ping failed: $?\"
kill %1
wait
";
        let s = parse(src, "t.sh").unwrap();
        assert_eq!(s.items.len(), 9);
        assert!(s.items[3].background);
        let assign = simple(&s.items[4].and_or.first.commands[0]);
        assert_eq!(assign.assigns[0].0, "PID");
        assert_eq!(assign.assigns[0].1.parts, [WordPart::Var("!".into())]);
        assert!(assign.words.is_empty());
        let ping = &s.items[6].and_or;
        assert_eq!(ping.rest[0].0, AndOrOp::Or);
        let r = &simple(&ping.first.commands[0]).redirects;
        assert_eq!(r.len(), 2);
        assert_eq!(r[1].fd, 2);
        assert_eq!(r[1].kind, RedirectKind::DupOut(1));
    }
}
