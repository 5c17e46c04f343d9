//! netsim's own errors: a script with a command or syntax netsim does not
//! model is refused with file:line:column and what is supported, before
//! anything runs; nothing panics on odd input.

use sim::model::HostProfile;

fn refuse(src: &str) -> (String, Option<sim::RunOutput>) {
    match sim::simulate(src, "t.sh", HostProfile::plain(), 0, false) {
        Ok(o) => panic!("accepted: {src:?} -> {:?}", o.stdout()),
        Err(f) => (f.error.to_string(), f.partial),
    }
}

#[test]
fn unknown_command_is_refused_before_anything_runs() {
    // The check walks the whole script first: the echo on line 1 never runs.
    let (msg, partial) = refuse("echo first\nip netns add a\n  systemctl restart networking\n");
    assert!(msg.starts_with("t.sh:3:3: systemctl: command not modelled by netsim; supported: ip, "), "{msg}");
    assert!(partial.is_none());
}

#[test]
fn unknown_command_inside_netns_exec_and_sudo_is_refused() {
    // Commands run through `ip netns exec NS` and `sudo` are checked too.
    let (msg, _) = refuse("ip netns add a\nsudo ip netns exec a haproxy -f x\n");
    assert!(msg.starts_with("t.sh:2:22: haproxy: command not modelled"), "{msg}");
}

#[test]
fn sudo_options_are_refused_naming_the_option() {
    // Every command runs as root: `sudo -u USER` cannot be honoured.
    let (msg, _) = refuse("ip netns add a\nsudo -u nobody ping -c 1 10.0.0.1\n");
    assert!(msg.starts_with("t.sh:2:6: sudo -u: sudo's options are not modelled"), "{msg}");
}

#[test]
fn unsupported_syntax_names_the_construct() {
    // Command substitution is not in the subset; the error says so and where.
    let (msg, _) = refuse("ip link\nX=$(ip link)\n");
    assert!(msg.starts_with("t.sh:2:3: unsupported shell syntax '$(...)'"), "{msg}");
}

#[test]
fn unsupported_option_stops_the_run_at_that_command() {
    // An option the real tool has but netsim does not model is not skipped:
    // the run stops there with the position, keeping what ran before.
    let (msg, partial) = refuse("echo before\nip link add x type vxlan id 5\necho after\n");
    assert!(msg.starts_with("t.sh:2:1: ip: ip link add type vxlan is not modelled; supported: veth, bridge"), "{msg}");
    let p = partial.expect("the run started");
    assert_eq!(p.stdout(), "before\n");
}

#[test]
fn a_foreground_capture_that_never_ends_is_an_error_not_a_hang() {
    // tcpdump without -c in the foreground would block a real shell forever.
    let (msg, _) = refuse("ip link set lo up\ntcpdump -i lo -w x.pcap\n");
    assert!(msg.contains("t.sh:2:1: tcpdump: this process never exits by itself"), "{msg}");
}

#[test]
fn odd_input_never_panics() {
    // A sample of hostile lines: each either runs or is refused cleanly.
    for src in [
        "",
        "\n\n\n",
        "ip",
        "ip link add",
        "ip link add type veth",
        "ip addr add dev",
        "ip route add default via",
        "ip -n",
        "ping",
        "ping -c",
        "tcpdump -i",
        "kill %9",
        "wait %3",
        "sleep abc",
        "brctl addif",
        "sysctl -w =1",
        "ip link set lo address zz:zz",
        "ip route add 300.1.1.1/8 dev lo",
        "for x in; do echo $x; done",
        "echo 'unterminated",
        "ip link set lo up; ping -c 1 -s 70000 127.0.0.1",
        "ip link set lo up; ping -c 1 -s 0 127.0.0.1",
    ] {
        let _ = sim::simulate(src, "t.sh", HostProfile::plain(), 0, false);
    }
}
