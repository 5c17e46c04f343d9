//! `conntrack -E/-G/-I/-U/-S` beyond what the kernel goldens
//! (`conntrack-events`, `conntrack-events-nat`, `conntrack-get-create-update`)
//! cover: a foreground event listener is refused rather than hanging,
//! options netsim does not model are refused, expiry is reported at the
//! moment an entry expires, and a SIGKILLed listener prints no count.

use sim::model::HostProfile;

fn run(src: &str) -> sim::RunOutput {
    match sim::simulate(src, "t.sh", HostProfile::plain(), 0, false) {
        Ok(o) => o,
        Err(f) => panic!("refused: {src:?}: {}", f.error),
    }
}

fn refuse(src: &str) -> String {
    match sim::simulate(src, "t.sh", HostProfile::plain(), 0, false) {
        Ok(o) => panic!("accepted: {src:?} -> {:?}", o.stdout()),
        Err(f) => f.error.to_string(),
    }
}

// Proves `conntrack -E` in the foreground stops the run with a message
// (the real one would block the script forever).
#[test]
fn foreground_event_listener_is_an_error() {
    let msg = refuse("conntrack -E\n");
    assert!(msg.contains("t.sh:1:1: conntrack: this process never exits by itself"), "{msg}");
}

// Proves output formats and tables netsim does not model are refused.
#[test]
fn unmodelled_options_are_refused() {
    assert!(refuse("conntrack -L -o timestamp\n").contains("-o timestamp"));
    assert!(refuse("conntrack -G -s 1.1.1.1 -d 2.2.2.2 -p udp --sport 1 --dport 2 -o id\n").contains("-o id"));
    assert!(refuse("conntrack -G -r 1.1.1.1 -q 2.2.2.2 -p udp --sport 1 --dport 2\n").contains("reply tuple"));
    assert!(refuse("conntrack -L -t 5\n").contains("-I and -U only"));
}

// Proves entries made with -I expire in virtual time: the listener reports
// [DESTROY] without a timeout at the moment of expiry (between the two
// sleeps), and -L no longer lists it.
#[test]
fn expiry_is_reported_when_the_entry_expires() {
    let out = run("conntrack -E -e DESTROY &\n\
         conntrack -I -s 1.1.1.1 -d 2.2.2.2 -p udp --sport 1 --dport 2 -t 2 2>/dev/null\n\
         sleep 1\necho one\nsleep 2\necho three\nconntrack -C\nkill -INT %1\nwait %1\n");
    assert_eq!(
        out.stdout(),
        "one\n[DESTROY] udp      17 src=1.1.1.1 dst=2.2.2.2 sport=1 dport=2 [UNREPLIED] \
         src=2.2.2.2 dst=1.1.1.1 sport=2 dport=1\nthree\n0\n"
    );
    assert_eq!(out.stderr(), "conntrack v1.4.7 (conntrack-tools): 1 flow events have been shown.\n");
}

// Proves SIGKILL ends a listener without its closing count, and SIGTERM
// prints it like SIGINT.
#[test]
fn kill_signals() {
    // Checked on kernel 6.18: TERM and INT print the count and exit 0,
    // KILL prints nothing (bash's own "Killed" notice is not modelled).
    let out = run("conntrack -E &\nconntrack -E &\nsleep 1\nkill -9 %1\nwait %1\necho \"kill: $?\"\n\
         kill %2\nwait %2\necho \"term: $?\"\n");
    assert_eq!(out.stdout(), "kill: 137\nterm: 0\n");
    assert_eq!(out.stderr(), "conntrack v1.4.7 (conntrack-tools): 0 flow events have been shown.\n");
}

// Proves deleting the namespace a listener reads from does not stop the
// run: the listener hears nothing more and still prints its count.
#[test]
fn namespace_deleted_under_a_listener() {
    let out = run("ip netns add a\nip netns exec a conntrack -E &\n\
         ip netns exec a conntrack -I -s 1.1.1.1 -d 2.2.2.2 -p udp --sport 1 --dport 2 -t 2 2>/dev/null\n\
         ip netns del a\nsleep 3\nkill %1\nwait\n");
    assert!(out.stdout().starts_with("    [NEW] udp"), "{}", out.stdout());
    assert_eq!(out.stderr(), "conntrack v1.4.7 (conntrack-tools): 1 flow events have been shown.\n");
}

// Proves -t is capped at INT_MAX jiffies as ctnetlink caps it (seen on
// kernel 6.18 with HZ 250: `-t 4294967295` lists 8589934 seconds).
#[test]
fn create_timeout_is_capped() {
    let out = run("conntrack -I -s 1.1.1.1 -d 2.2.2.2 -p udp --sport 1 --dport 2 -t 4294967295 2>/dev/null\n\
         conntrack -L 2>/dev/null\n");
    assert!(out.stdout().starts_with("udp      17 8589934 src=1.1.1.1"), "{}", out.stdout());
}
