//! The socket applications (nc, curl, python3 -m http.server): what netsim
//! refuses before running (verify's whitelist runs the script as root), the
//! usage errors the real tools print, and behaviour the kernel goldens
//! (`tcp-udp-endpoints`, `http-curl`, `socket-errors`) do not cover.

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
        Err(f) => {
            // Refused by the pre-run check: nothing ran.
            assert!(f.partial.is_none(), "{src:?} ran before being refused");
            f.error.to_string()
        }
    }
}

const TWO_NS: &str = "ip netns add a\nip netns add b\n\
ip link add va netns a type veth peer name vb netns b\n\
ip -n a addr add 10.0.0.1/24 dev va\nip -n b addr add 10.0.0.2/24 dev vb\n\
ip -n a link set va up\nip -n b link set vb up\nip -n a link set lo up\nip -n b link set lo up\n";

#[test]
fn arbitrary_python_and_unmodelled_options_are_refused_before_running() {
    // Each would run as root on the kernel under verify; the check parses the
    // arguments first and names what is supported.
    let m = refuse("echo x\npython3 -c 'import os'\n");
    assert!(m.starts_with("t.sh:2:1: python3: python3: only 'python3 -m http.server"), "{m}");
    let m = refuse("curl -s -o /etc/passwd http://10.0.0.1/\n");
    assert!(m.contains("only /dev/null or a file in the current directory"), "{m}");
    let m = refuse("curl http://10.0.0.1/\n");
    assert!(m.contains("curl without -s is not modelled"), "{m}");
    let m = refuse("nc -U /tmp/sock\n");
    assert!(m.contains("nc -U is not modelled"), "{m}");
    let m = refuse("ip netns add a\nip netns exec a nc -zv example.com 80\n");
    assert!(m.contains("host names are not modelled"), "{m}");
    let m = refuse("curl -s $URL\n");
    assert!(m.contains("arguments must be literal"), "{m}");
    let m = refuse("nginx -c /etc/x.conf\n");
    assert!(m.contains("nginx -c /etc/x.conf: not modelled"), "{m}");
}

#[test]
fn nc_usage_errors_are_the_real_ones() {
    // netcat-openbsd 1.219: no destination prints the usage, a missing port
    // says so; both exit 1.
    let o = run("nc; echo $?\nnc 10.0.0.1; echo $?\nnc -q; echo $?\n");
    assert_eq!(o.stdout(), "1\n1\n1\n");
    let e = o.stderr();
    assert!(e.starts_with("usage: nc [-46CDdFhklNnrStUuvZz] [-I length] [-i interval] [-M ttl]\n"), "{e}");
    assert!(e.contains("nc: missing port number\n"), "{e}");
    assert!(e.contains("nc: option requires an argument -- 'q'\n"), "{e}");
}

#[test]
fn a_connection_on_loopback_carries_data() {
    // Server and client in one namespace over lo: the server prints what the
    // client sent; -N sends FIN at EOF, the server then closes and both end.
    let o = run(&format!(
        "{TWO_NS}ip netns exec b nc -l -p 7000 &\nsleep 1\n\
         echo ping | ip netns exec b nc -N 127.0.0.1 7000\necho \"rc $?\"\nwait\necho \"server $?\"\n"
    ));
    assert_eq!(o.stdout(), "ping\nrc 0\nserver 0\n");
}

#[test]
fn http_server_lists_the_directory_without_an_index() {
    // Without index.html, `/` is Python's directory listing of the files the
    // script wrote; a HEAD of a missing file is a 404 without a body.
    let o = run(&format!(
        "{TWO_NS}echo hi > a.txt\nip netns exec b python3 -m http.server 80 &\nsleep 1\n\
         ip netns exec a curl -s http://10.0.0.2/\n\
         ip netns exec a curl -s -o /dev/null -w '%{{http_code}}\\n' -I http://10.0.0.2/nope\n\
         ip netns exec a curl -s http://10.0.0.2/a.txt\nkill %1\n"
    ));
    assert_eq!(
        o.stdout(),
        "<!DOCTYPE HTML>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>Directory listing for /</title>\n</head>\n<body>\n<h1>Directory listing for /</h1>\n\
         <hr>\n<ul>\n<li><a href=\"a.txt\">a.txt</a></li>\n</ul>\n<hr>\n</body>\n</html>\n404\nhi\n"
    );
    // No --bind: Python listens on the IPv6 wildcard and logs mapped addresses.
    assert!(o.stderr().starts_with("::ffff:10.0.0.1 - - [01/Jan/2025 00:00:01] \"GET / HTTP/1.1\" 200 -\n"));
}

#[test]
fn curl_fail_and_errors_without_a_route() {
    // -f turns a 404 into exit 22; no route is curl's exit 7 at once.
    let o = run(&format!(
        "{TWO_NS}ip netns exec b python3 -m http.server 80 --bind 10.0.0.2 &\nsleep 1\n\
         ip netns exec a curl -sSf http://10.0.0.2/x; echo \"rc $?\"\n\
         ip netns exec a curl -sS http://192.168.9.9/; echo \"rc $?\"\nkill %1\n"
    ));
    assert_eq!(o.stdout(), "rc 22\nrc 7\n");
    assert!(o.stderr().contains("curl: (22) The requested URL returned error: 404\n"), "{}", o.stderr());
    assert!(o
        .stderr()
        .contains("curl: (7) Failed to connect to 192.168.9.9 port 80 after 0 ms: Couldn't connect to server\n"));
}

#[test]
fn syn_retransmits_back_off_until_curl_gives_up() {
    // A DROP on the server: SYNs at 0, 1, 3 and 7 s (TCP_TIMEOUT_INIT
    // doubling), then curl's --connect-timeout 10 ends it with exit 28.
    let o = run(&format!(
        "{TWO_NS}ip netns exec b iptables -A INPUT -p tcp -j DROP\n\
         ip netns exec b tcpdump -nn -l -i vb tcp &\nsleep 1\n\
         ip netns exec a curl -s --connect-timeout 10 http://10.0.0.2/; echo \"rc $?\"\nsleep 1\nkill %1\n"
    ));
    let syns = o.stdout().lines().filter(|l| l.contains("Flags [S]")).count();
    assert_eq!(syns, 4, "{}", o.stdout());
    assert!(o.stdout().contains("\nrc 28\n"), "{}", o.stdout());
}
