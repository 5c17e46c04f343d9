//! Hostile input: topologies that never quiesce, scripts built to exhaust
//! the parser's stack, enormous scripts, bytes that are not text, files that
//! do not exist. Each must end in output or an error naming file:line:column,
//! quickly, never a hang, a panic or a stack overflow (test threads have a
//! 2 MiB stack, a quarter of the main thread's).

use sim::engine::interp::{Interp, RunError};
use sim::engine::Engine;
use sim::model::HostProfile;

/// Runs `src` on an engine with the given event budget.
fn run_with_budget(src: &str, budget: u64) -> (Engine, Result<i32, RunError>) {
    let script = sim::scenario::parse(src, "t.sh").expect("parses");
    let mut eng = Engine::new(HostProfile::plain(), 0);
    eng.event_budget = budget;
    let r = Interp::new(&mut eng, "t.sh", src).run(&script);
    (eng, r)
}

/// Two bridges joined by `pairs` veth pairs, all up, STP off (the default).
fn bridge_loop(pairs: usize, tail: &str) -> String {
    let mut s = String::from("ip link add br0 type bridge\nip link add br1 type bridge\n");
    for i in 0..pairs {
        s.push_str(&format!(
            "ip link add a{i} type veth peer name b{i}\nip link set a{i} master br0\nip link set b{i} master br1\n\
             ip link set a{i} up\nip link set b{i} up\n"
        ));
    }
    s.push_str("ip link set br0 up\nip link set br1 up\nip addr add 10.9.0.1/24 dev br0\n");
    s.push_str(tail);
    s
}

#[test]
fn broadcast_storm_in_bridge_loop_stops_at_event_budget() {
    // Proves a broadcast storm (two bridges joined by two veth pairs, the
    // ARP request circulating forever) is stopped by the event budget with
    // an error at the command that was running, explaining the likely
    // bridge loop and naming where frames were in flight.
    let (eng, r) = run_with_budget(&bridge_loop(2, "ping -c 1 -W 1 10.9.0.2\nsleep 100\necho never\n"), 200_000);
    let e = r.expect_err("the storm must stop the run");
    let msg = e.to_string();
    assert!(msg.starts_with("t.sh:"), "{msg}");
    assert!(msg.contains("the event budget (200000) ran out"), "{msg}");
    assert!(msg.contains("bridge loop"), "{msg}");
    assert!(msg.contains("arriving at"), "{msg}");
    assert!(eng.stats.events <= 200_000);
    let out: String = eng.output.iter().map(|(_, t)| t.as_str()).collect();
    assert!(!out.contains("never"), "{out}");
}

#[test]
fn multiplying_storm_stops_before_memory_runs_out() {
    // Proves a loop that multiplies frames (three links between two bridges:
    // every broadcast is flooded out of two ports for each one it came in on)
    // stops at the budget too, at the first ARP request.
    let (_, r) = run_with_budget(&bridge_loop(3, "ping -c 1 -W 1 10.9.0.2\n"), 300_000);
    let e = r.expect_err("the storm must stop the run");
    assert_eq!((e.line, e.command.as_str()), (21, "ping"), "{e}");
    assert!(e.message.contains("bridge loop"), "{e}");
}

#[test]
fn routing_loop_ends_in_time_exceeded() {
    // Proves a routing loop ends by TTL: the golden of
    // scenarios/routing-loop.sh (recorded from the kernel) holds the text;
    // here, that a TTL of 255 also ends quickly and is reported.
    let src = std::fs::read_to_string(netsim_tests::root().join("scenarios/routing-loop.sh")).unwrap();
    let src = src.replace("-t 4", "-t 255");
    let out = sim::simulate(&src, "routing-loop.sh", HostProfile::plain(), 0, false).expect("runs");
    assert_eq!(out.stdout().matches("Time to live exceeded").count(), 3, "{}", out.stdout());
    assert!(out.stats.hops < 2_000, "{}", out.stats.hops);
}

#[test]
fn deep_nesting_is_refused_not_a_stack_overflow() {
    // Proves every recursive construct of the parser is bounded: 20,000
    // nested groups, subshells, ifs, fors, whiles and ${...:-...} defaults
    // each give a file:line:col refusal.
    let n = 20_000;
    let cases = [
        format!("{}echo hi{}", "{ ".repeat(n), "; }".repeat(n)),
        format!("{}echo hi{}", "( ".repeat(n), " )".repeat(n)),
        format!("{}echo hi{}", "if true; then ".repeat(n), "; fi".repeat(n)),
        format!("{}echo hi{}", "for i in 1; do ".repeat(n), "; done".repeat(n)),
        format!("{}{}", "while ".repeat(n), "true; do echo; done".repeat(n)),
        format!("echo {}x{}", "${A:-".repeat(n), "}".repeat(n)),
        format!("echo \"{}x{}\"", "${A:-".repeat(n), "}".repeat(n)),
        format!("echo {}", "$(".repeat(n)),
        format!("{}true", "! ".repeat(n)),
    ];
    for src in cases {
        match sim::simulate(&src, "deep.sh", HostProfile::plain(), 0, false) {
            Ok(_) => {}
            Err(f) => {
                let msg = f.error.to_string();
                assert!(msg.starts_with("deep.sh:1:"), "{}: {msg}", &src[..20]);
            }
        }
    }
}

#[test]
fn long_flat_constructs_do_not_recurse() {
    // Proves long and-or lists and pipelines (iterative, not nested) run.
    let and = format!("true{}\necho done", " && true".repeat(50_000));
    let out = sim::simulate(&and, "and.sh", HostProfile::plain(), 0, false).expect("runs");
    assert_eq!(out.stdout(), "done\n");
    let pipe = format!("echo a{}", " | grep a".repeat(2_000));
    let out = sim::simulate(&pipe, "pipe.sh", HostProfile::plain(), 0, false).expect("runs");
    assert_eq!(out.stdout(), "a\n");
}

#[test]
fn enormous_script_parses_and_runs() {
    // Proves a 40,000-line script (2,000 veth pairs and their settings)
    // parses and runs, and that an error at its end still names its line.
    let mut src = String::new();
    for i in 0..2_000 {
        src.push_str(&format!("ip link add v{i} type veth peer name w{i}\n"));
        for _ in 0..19 {
            src.push_str(&format!("ip link set v{i} up\n"));
        }
    }
    let out = sim::simulate(&src, "big.sh", HostProfile::plain(), 0, false).expect("runs");
    assert_eq!(out.exit_code, 0);
    src.push_str("ip link set v0 up $(date)\n");
    let e = sim::simulate(&src, "big.sh", HostProfile::plain(), 0, false).expect_err("refused");
    assert!(e.error.to_string().starts_with("big.sh:40001:19: "), "{}", e.error);
}

#[test]
fn invalid_utf8_names_line_and_column() {
    // Proves bytes that are not UTF-8 are reported at their line and column
    // (in characters, after valid multi-byte text on the same line).
    let e = sim::scenario::decode(b"echo ok\necho \xc3\xa9t\xff\n", "bad.sh").expect_err("not text");
    assert_eq!(e.to_string(), "bad.sh:2:8: syntax error: byte 0xff is not UTF-8 text; scripts must be UTF-8");
    let e = sim::scenario::decode(b"\xfe", "bad.sh").expect_err("not text");
    assert_eq!((e.line, e.col), (1, 1));
    assert_eq!(sim::scenario::decode("ok é\n".as_bytes(), "x").unwrap(), "ok é\n");
}

#[test]
fn missing_files_name_the_line() {
    // Proves reading a file the script never wrote stops the run at that
    // command's file:line:col (netsim has no host filesystem to read).
    for (src, col) in
        [("echo a\niptables-restore < /nonexistent.rules\n", 18), ("echo a\ntcpdump -r /nonexistent.pcap\n", 1)]
    {
        let f = sim::simulate(src, "m.sh", HostProfile::plain(), 0, false).expect_err("refused");
        let msg = f.error.to_string();
        assert!(msg.starts_with(&format!("m.sh:2:{col}: ")), "{msg}");
    }
}
