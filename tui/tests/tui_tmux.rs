//! End to end: the real `netsim tui` binary in an 80x24 tmux terminal,
//! driven with send-keys and read with capture-pane, through the
//! br_netfilter scenario: first ARP, jump to the dropped echo request, its
//! tables with the FORWARD policy counter, help, quit. Skipped (with a
//! message) where tmux is not installed.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

struct Tmux {
    socket: String,
}

impl Tmux {
    fn run(&self, args: &[&str]) -> String {
        let out = Command::new("tmux").arg("-L").arg(&self.socket).args(args).output().expect("tmux runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", "t"])
    }

    /// Waits (up to 10 s) until the screen shows `text`.
    fn wait_for(&self, text: &str) -> String {
        for _ in 0..100 {
            let s = self.screen();
            if s.contains(text) {
                return s;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("screen never showed {text:?}:\n{}", self.screen());
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux").arg("-L").arg(&self.socket).arg("kill-server").output();
    }
}

#[test]
fn tui_walks_br_netfilter_to_the_forward_drop_in_80x24() {
    // What a student does: open the scenario, jump to the first drop, read
    // the story and the FORWARD policy counter, look at help, quit.
    if Command::new("tmux").arg("-V").output().is_err() {
        eprintln!("skipped: tmux is not installed");
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("repo");
    let script = root.join("scenarios/br-netfilter-forward-drop.sh");
    let cmd = format!("{} tui {} --host-profile docker-host", env!("CARGO_BIN_EXE_netsim"), script.display());
    let t = Tmux { socket: format!("netsim-test-{}", std::process::id()) };
    t.run(&["new-session", "-d", "-s", "t", "-x", "80", "-y", "24", &cmd]);
    let s = t.wait_for("Events 1/");
    assert!(s.contains("ARP, Request"), "{s}");
    t.run(&["send-keys", "-t", "t", "d"]);
    let s = t.wait_for("DROPPED: NETFILTER_DROP");
    assert!(s.contains("chain policy DROP [1"), "{s}");
    t.run(&["send-keys", "-t", "t", "Tab", "Tab"]);
    t.wait_for("Chain FORWARD (policy DROP 1 packets");
    t.run(&["send-keys", "-t", "t", "d"]);
    t.wait_for("Chain FORWARD (policy DROP 2 packets");
    t.run(&["send-keys", "-t", "t", "?"]);
    t.wait_for("next / previous drop");
    t.run(&["send-keys", "-t", "t", "?", "q"]);
    for _ in 0..50 {
        if !t.run(&["list-sessions"]).contains("t:") {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("q did not quit:\n{}", t.screen());
}
