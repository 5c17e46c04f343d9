//! The seed articles' own scripts (`scenarios/seeds/`: docker, containerlab)
//! under the simulator. No Docker engine or containerlab runs here, so verify
//! cannot judge them; instead the docker script is held to the kernel golden
//! of `scenarios/docker0-equivalent.sh`, the same steps as plain ip/iptables.

use netsim_tests::root;
use sim::engine::Stream;

fn stdout(rel: &str) -> (String, String, i32) {
    let path = root().join(rel);
    let src = std::fs::read_to_string(&path).expect("readable");
    let o = sim::simulate(&src, rel, sim::model::HostProfile::plain(), 0, false)
        .unwrap_or_else(|f| panic!("{rel}: {}", f.error));
    let pick = |s: Stream| o.output.iter().filter(|(k, _)| *k == s).map(|(_, t)| t.as_str()).collect::<String>();
    (pick(Stream::Out), pick(Stream::Err), o.exit_code)
}

/// From the line equal to `from` up to (not including) the line starting with `to`.
fn section(text: &str, from: &str, to: &str) -> String {
    let mut on = false;
    let mut out = String::new();
    for l in text.lines() {
        if l == from {
            on = true;
        } else if on && l.starts_with(to) {
            break;
        }
        if on {
            out.push_str(l);
            out.push('\n');
        }
    }
    assert!(!out.is_empty(), "no section starting {from:?} in:\n{text}");
    out
}

#[test]
fn seed002_docker_matches_the_kernel_run_of_its_plain_equivalent() {
    let (out, err, code) = stdout("scenarios/seeds/seed002-docker.sh");
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        err,
        "tcpdump: verbose output suppressed, use -v[v]... for full protocol decode\n\
         listening on veth5eeeef4, link-type EN10MB (Ethernet), snapshot length 262144 bytes\n\
         5 packets captured\n5 packets received by filter\n0 packets dropped by kernel\n\
         conntrack v1.4.7 (conntrack-tools): 1 flow entries have been shown.\n"
    );
    let kernel = std::fs::read_to_string(root().join("golden/docker0-equivalent/stdout")).expect("golden");
    // The daemon's rules, byte for byte as the kernel printed them.
    assert_eq!(section(&out, "-P INPUT ACCEPT", "PING"), section(&kernel, "-P INPUT ACCEPT", "\u{0}"));
    // Inside containerA: BusyBox's ifconfig (IPv6 is on under docker, off
    // in the equivalent, whose counters are left out), route -n.
    let ifc: String = section(&out, "eth0      Link encap:Ethernet  HWaddr 02:42:AC:11:00:03  ", "Kernel")
        .lines()
        .filter(|l| !l.contains("inet6") && !l.contains("packets:") && !l.contains("bytes:"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(ifc, section(&kernel, "eth0      Link encap:Ethernet  HWaddr 02:42:AC:11:00:03  ", "Kernel"));
    assert!(out.contains("          RX packets:0 errors:0 dropped:0 overruns:0 frame:0\n"), "{out}");
    assert_eq!(section(&out, "Kernel IP routing table", "PING"), section(&kernel, "Kernel IP routing table", "PING"));
    // BusyBox's ping and arp in nginx:alpine, as the article shows them.
    let arp = "? (172.17.0.2) at 02:42:ac:11:00:02 [ether]  on eth0\n";
    assert!(kernel.contains(arp) && out.contains(arp), "{out}");
    assert!(out.contains("PING 172.17.0.2 (172.17.0.2): 56 data bytes\n64 bytes from 172.17.0.2: seq=0 ttl=64 time="));
    assert!(out.contains("3 packets transmitted, 3 packets received, 0% packet loss"));
    // The capture on containerB's host veth sees its pings of docker0 (seq from 0, as busybox).
    assert!(out.contains(" IP 172.17.0.2 > 172.17.0.1: ICMP echo request, id 1005, seq 0, length 64\n"), "{out}");
    assert!(out.contains("\t02:42:ac:11:00:02\tno\t"), "{out}");
    // The article's POSTROUTING listing: MASQUERADE for 172.17.0.0/16 out of anything but docker0.
    assert!(out.contains("MASQUERADE  0    --  *      !docker0  172.17.0.0/16        0.0.0.0/0"), "{out}");
    // The hand-made veth into docker0 (ns1) reaches containerB and the host.
    assert!(out.contains("PING 172.17.0.100 (172.17.0.100) 56(84) bytes of data.\n64 bytes from 172.17.0.100"));
    // MASQUERADE: the entry's reply goes to the host's eth0 address.
    assert!(
        out.contains("src=172.17.0.3 dst=8.8.8.8 type=8 code=0 id=1010 src=8.8.8.8 dst=10.3.8.6 type=0 code=0 id=1010"),
        "{out}"
    );
    assert!(out.contains(
        "default via 172.17.0.1 dev veth-ns1 \n172.17.0.0/16 dev veth-ns1 proto kernel scope link src 172.17.0.100 \n"
    ));
    let o = sim::simulate(
        &std::fs::read_to_string(root().join("scenarios/seeds/seed002-docker.sh")).expect("readable"),
        "seed002-docker.sh",
        sim::model::HostProfile::plain(),
        0,
        false,
    )
    .expect("runs");
    let text = |name: &str| {
        let frames = sim::capture::pcap::read_pcap(&o.files[name]).expect("pcap");
        frames.len()
    };
    // Two echoes and their replies on each side of the NAT.
    assert_eq!(text("eth0.pcap"), 4);
    assert_eq!(text("docker0.pcap"), 4);
}

#[test]
fn docker_publish_port_and_network_isolation() {
    let (out, err, code) = stdout("scenarios/seeds/docker-publish.sh");
    assert_eq!(code, 0, "{err}");
    // The image's nginx: its welcome page, and its 404 page with the version.
    assert!(out.starts_with("200 615\n<html>\r\n<head><title>404 Not Found</title></head>\r\n"), "{out}");
    assert!(out.contains("<hr><center>nginx/1.27.4</center>\r\n"), "{out}");
    // docker ps: Docker's table, the command cut to 20 characters, both
    // published addresses.
    assert!(out.contains(
        "CONTAINER ID   IMAGE          COMMAND                  CREATED                  STATUS                  PORTS                                     NAMES\n"
    ), "{out}");
    assert!(out.contains(
        "   nginx:alpine   \"/docker-entrypoint.…\"   Less than a second ago   Up Less than a second   0.0.0.0:8080->80/tcp, [::]:8080->80/tcp   web\n"
    ), "{out}");
    assert!(
        out.contains(
            "    2   120 ACCEPT     6    --  !docker0 docker0  0.0.0.0/0            172.17.0.2           tcp dpt:80"
        ),
        "{out}"
    );
    assert!(out.contains("    2   120 DNAT       6    --  !docker0 *       0.0.0.0/0            0.0.0.0/0            tcp dpt:8080 to:172.17.0.2:80"));
    // BusyBox's ip in alpine: no state/group/link-netnsid, txqueuelen 0 so no qlen.
    assert!(out.contains(": <BROADCAST,MULTICAST,UP,LOWER_UP,M-DOWN> mtu 1500 qdisc noqueue \n    link/ether 02:42:ac:12:00:02 brd ff:ff:ff:ff:ff:ff\n    inet 172.18.0.2/16 brd 172.18.255.255 scope global eth0\n"), "{out}");
    // db (alpine) pings as BusyBox does; web (nginx:alpine) too.
    assert_eq!(out.matches("1 packets transmitted, 0 packets received, 100% packet loss").count(), 2);
    assert!(out.contains("web\ndb\nbackend\n"));
    // After docker rm and network rm only the daemon's docker0 rules are left.
    assert!(
        out.ends_with("-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE\n-A DOCKER -i docker0 -j RETURN\n")
    );
}

#[test]
fn seed000_clab_veth_pair_pings_across_mtu_9500() {
    let (out, err, code) = stdout("scenarios/seeds/seed000-clab-veth.sh");
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("veth1@if"), "{out}");
    // containerlab's veths have txqueuelen 0: iproute2 prints no qlen.
    assert!(out.contains("mtu 9500 qdisc noqueue state UP group default \n"), "{out}");
    assert!(out.contains("inet 192.168.1.2/24 scope global veth1"));
    assert!(out.contains("link/ether aa:c1:ab:"));
    assert!(out.contains("Request who-has 192.168.1.3 tell 192.168.1.2, length 28"));
    assert!(out.contains("192.168.1.3 > 192.168.1.2: ICMP echo reply, id"));
    assert!(out.contains("1 packets transmitted, 1 received, 0% packet loss"));
    // The article's aside: 223.5.5.5 over `default dev veth1` is only ARP, three times.
    assert_eq!(out.matches("Request who-has 223.5.5.5 tell 192.168.1.2, length 28").count(), 3);
}

#[test]
fn seed000_clab_bridge_lab_reaches_its_gateway_and_destroy_removes_it() {
    let (out, err, code) = stdout("scenarios/seeds/seed000-clab-bridge.sh");
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("Request who-has 10.0.0.1 tell 10.0.0.11, length 28"), "{out}");
    assert!(out.contains("10.0.0.11 > 10.0.0.1: ICMP echo request"));
    assert!(out.contains("1 packets transmitted, 1 received, 0% packet loss"));
    // After destroy, the bridge has no ports left.
    let tail = &out[out.rfind("lo ").expect("ip -br link")..];
    assert!(!tail.contains("eth1") && !tail.contains("eth2"), "{tail}");
}

#[test]
fn docker_refuses_what_it_does_not_model() {
    for (script, msg) in [
        ("docker exec -it x sh\n", "interactive"),
        ("docker run --name a nginx\n", "foreground"),
        ("docker ps --format '{{.ID}}'\n", "not modelled"),
        ("docker run -d --name x alpine > /dev/null\ndocker exec x nginx\n", "has no nginx (apk add nginx first)"),
        ("docker run -d --name x alpine > /dev/null\ndocker exec x apk add curl\n", "only the nginx package"),
        ("docker run -d --name x busybox > /dev/null\ndocker exec x apk add nginx\n", "not Alpine-based"),
        ("nft list ruleset\n", "not modelled"),
    ] {
        let src = if script.starts_with("docker exec") {
            format!("docker run -d --name x alpine >/dev/null\n{script}")
        } else {
            script.to_string()
        };
        let r = sim::simulate(&src, "t.sh", sim::model::HostProfile::plain(), 0, false);
        let e = r.err().unwrap_or_else(|| panic!("{script} should be refused")).error.to_string();
        assert!(e.contains(msg), "{script}: {e}");
    }
    let (_, err, _) = {
        let o =
            sim::simulate("docker exec nope ip a\n", "t.sh", sim::model::HostProfile::plain(), 0, false).expect("runs");
        let e: String = o.output.iter().filter(|(k, _)| *k == Stream::Err).map(|(_, t)| t.clone()).collect();
        ((), e, o.exit_code)
    };
    assert_eq!(err, "Error response from daemon: No such container: nope\n");
}

#[test]
fn seed001_ctr_matches_the_kernel_run_of_its_plain_equivalent() {
    use sim::verify::{simulated, Golden};
    let kernel = Golden::load(&root().join("golden/ctr-equivalent")).expect("golden");
    let rel = "scenarios/seeds/seed001-ctr.sh";
    let src = std::fs::read_to_string(root().join(rel)).expect("readable");
    let out = sim::simulate(&src, rel, kernel.profile.clone(), 0, false).unwrap_or_else(|f| panic!("{}", f.error));
    let sim = simulated(&out, kernel.profile.clone());
    // ctr's own lines: the task tables, and `ip netns exec PID` failing
    // before the article's `ln -s` names the namespace.
    let own: Vec<&str> = sim.stdout.lines().filter(|l| l.starts_with("TASK ") || l.starts_with("busybox-")).collect();
    assert_eq!(
        own,
        [
            "TASK         PID     STATUS    ",
            "busybox-1    1000    RUNNING",
            "TASK         PID     STATUS    ",
            "busybox-1    1000    RUNNING",
            "busybox-2    1003    RUNNING"
        ]
    );
    let rest: String = sim
        .stdout
        .lines()
        .filter(|l| !l.starts_with("TASK ") && !l.starts_with("busybox-"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(rest, kernel.stdout);
    assert_eq!(sim.stderr, "Cannot open network namespace \"1000\": No such file or directory\n");
    assert_eq!(sim.captures, kernel.captures);
    assert_eq!(sim.exit_code, kernel.exit_code);
}

#[test]
fn random_container_commands_never_panic() {
    // A small deterministic generator over the new tools' words: every
    // script must end in output, a tool's error, or a clear refusal.
    const HEADS: &[&str] = &[
        "docker",
        "docker run -d",
        "docker exec",
        "docker network",
        "docker rm -f",
        "ctr",
        "ctr run -d",
        "ctr task exec --exec-id 1",
        "ctr task ls",
        "ln -s",
        "busybox",
        "busybox ping -c 1 -W 1",
        "busybox ifconfig",
        "busybox arp",
        "clab deploy -t -",
        "clab destroy -t -",
        "ip link set x0 netns",
        "nginx",
        "docker ps",
        "docker network inspect",
        "docker exec a apk add",
        "docker exec a nginx",
        "busybox ip route",
        "busybox ip r get",
    ];
    const WORDS: &[&str] = &[
        "run",
        "exec",
        "-d",
        "--name",
        "a",
        "b",
        "--network",
        "none",
        "host",
        "container:a",
        "bridge",
        "n1",
        "-p",
        "8080:80",
        "80",
        "8080:80/udp",
        "nginx:alpine",
        "alpine",
        "busybox",
        "sh",
        "-c",
        "ping -c 1 172.17.0.1",
        "ip a",
        "create",
        "ls",
        "rm",
        "--subnet",
        "10.9.0.0/24",
        "task",
        "1000",
        "1001",
        "/proc/1000/ns/net",
        "/var/run/netns/p",
        "--with-ns",
        "network:/var/run/netns/p",
        "ping",
        "arp",
        "ifconfig",
        "-a",
        "-n",
        "eth0",
        "-",
        "é",
        "-é",
        "172.17.0.2",
        "x0",
        "",
        "-s",
        "stop",
        "quit",
        "-t",
        "-v",
        "-g",
        "daemon off;",
        "-q",
        "show",
        "dev",
        "table",
        "local",
        "10.0.0.1",
        "nginx",
        "inspect",
        "ps",
    ];
    let yaml = ["name: l\ntopology:\n  nodes:\n    a:\n      kind: linux\n      network-mode: none\n    b:\n      kind: linux\n      network-mode: none\n  links:\n    - endpoints: [\"a:e1\", \"b:e1\"]\n",
        "name: l\ntopology:\n  nodes:\n    a: {}\n", "- x\n  y: :\n", "name: l\ntopology:\n  links:\n    - endpoints: [\"a:e1\"]\n"];
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for i in 0..400 {
        let mut src = String::from(
            "ip link add x0 type veth peer name x1\ndocker run -d --name a alpine > /dev/null\nctr run -d busybox t1\n",
        );
        for _ in 0..(1 + next() % 6) {
            let head = HEADS[(next() % HEADS.len() as u64) as usize];
            let mut line = head.to_string();
            for _ in 0..(next() % 5) {
                let w = WORDS[(next() % WORDS.len() as u64) as usize];
                line.push_str(&format!(" '{w}'"));
            }
            if head.starts_with("clab") {
                line.push_str(&format!(" <<'EOF'\n{}EOF", yaml[(next() % yaml.len() as u64) as usize]));
            }
            src.push_str(&line);
            src.push('\n');
        }
        let r = std::panic::catch_unwind(|| sim::simulate(&src, "fuzz.sh", sim::model::HostProfile::plain(), i, false));
        assert!(r.is_ok(), "panicked on:\n{src}");
    }
}

#[test]
fn seed000_clab_bridge_lab_needs_a_route_back_under_strict_rp_filter() {
    let (out, err, code) = stdout("scenarios/seeds/seed000-clab-bridge-route.sh");
    assert_eq!(code, 0, "{err}");
    // host1 reaches host2 across br0 (Docker's rules play no part in a clab lab).
    assert!(out.contains("64 bytes from 10.0.0.11: icmp_seq=1"), "{out}");
    // Three unanswered ARP requests for the host's LAN address, as the article captures.
    assert_eq!(out.matches("Request who-has 192.168.2.56 tell 10.0.0.10, length 28").count(), 4);
    assert!(out.contains("From 10.0.0.10 icmp_seq=1 Destination Host Unreachable"));
    // After `ip route add 10.0.0.0/24 dev br0` the host answers.
    assert!(out.contains("Reply 192.168.2.56 is-at"));
    assert!(out.contains("64 bytes from 192.168.2.56: icmp_seq=1"));
}

#[test]
fn docker_network_modes_share_and_release_namespaces() {
    let src = "docker run -d --name a alpine > /dev/null\n\
               docker run -d --name b --network container:a alpine > /dev/null\n\
               docker run -d --name h --network host alpine > /dev/null\n\
               docker run -d --name n --network none alpine > /dev/null\n\
               docker exec b ip a show eth0\n\
               docker exec h ip link show docker0\n\
               docker exec n ip a\n\
               docker rm -f a b h n > /dev/null\n\
               ip -br link\n";
    let o = sim::simulate(src, "t.sh", sim::model::HostProfile::plain(), 0, false).expect("runs");
    let out: String = o.output.iter().filter(|(k, _)| *k == Stream::Out).map(|(_, t)| t.as_str()).collect();
    // b sees a's eth0; h sees the host's docker0; n has only lo.
    assert!(out.contains("inet 172.17.0.2/16 brd 172.17.255.255 scope global eth0"), "{out}");
    assert!(out.contains("2: docker0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue \n"), "{out}");
    assert!(out.contains("1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue qlen 1000\n"));
    // Once a and b (which shared a's namespace) are gone, so is the veth.
    let tail = &out[out.rfind("lo               ").expect("ip -br link")..];
    assert!(!tail.contains("veth"), "{tail}");
}

#[test]
fn ip_netns_del_of_a_task_link_keeps_the_task_namespace() {
    let src = "ctr run -d docker.io/library/busybox:latest t1\n\
               ip link add v0 type veth peer name v1\n\
               ip link set v1 up netns 1000\n\
               ln -s /proc/1000/ns/net /var/run/netns/t1\n\
               ip netns exec t1 ip addr add 10.1.0.2/24 dev v1\n\
               ip netns del t1\n\
               ip netns list\n\
               ctr task exec --exec-id 1 t1 ip a show v1\n\
               ip netns exec t1 true\n";
    let o = sim::simulate(src, "t.sh", sim::model::HostProfile::plain(), 0, false).expect("runs");
    let out: String = o.output.iter().filter(|(k, _)| *k == Stream::Out).map(|(_, t)| t.as_str()).collect();
    let err: String = o.output.iter().filter(|(k, _)| *k == Stream::Err).map(|(_, t)| t.as_str()).collect();
    assert!(out.contains("inet 10.1.0.2/24 scope global v1"), "{out}");
    assert_eq!(err, "Cannot open network namespace \"t1\": No such file or directory\n");
}

#[test]
fn seed000_dnat_reaches_alpine_nginx_from_another_machine() {
    // Seed 000 §4: the article's output, byte for byte (nginx's CRLF lines).
    let (out, err, code) = stdout("scenarios/seeds/seed000-clab-dnat.sh");
    assert_eq!(code, 0, "{err}");
    assert!(
        out == "net.ipv4.ip_forward = 1\n<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n<center><h1>404 Not Found</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n",
        "{out}"
    );
    // The same path on the kernel (scenarios/nginx-dnat.sh, Debian's nginx in
    // the node): the same page but for the version Alpine's server_tokens
    // off leaves out.
    let kernel = std::fs::read_to_string(root().join("golden/nginx-dnat/stdout")).expect("golden");
    let start = kernel.find("<html>\r\n<head><title>404").expect("404 page");
    let len = kernel[start..].find("</html>\r\n").expect("end") + "</html>\r\n".len();
    let page = kernel[start..start + len].replace("nginx/1.22.1", "nginx");
    assert!(out.ends_with(&page), "{page}");
    // Without the DNAT rule the host itself refuses port 12345.
    let path = root().join("scenarios/seeds/seed000-clab-dnat.sh");
    let src =
        std::fs::read_to_string(path).expect("readable").replace("-j DNAT --to-destination 10.0.0.11:80", "-j RETURN")
            + "echo \"curl: $?\"\n";
    let o = sim::simulate(&src, "t.sh", sim::model::HostProfile::plain(), 0, false).expect("runs");
    let text: String = o.output.iter().filter(|(k, _)| *k == Stream::Out).map(|(_, t)| t.clone()).collect();
    assert!(text.ends_with("curl: 7\n"), "{text}");
}

#[test]
fn docker_ps_and_network_inspect_print_as_docker_28() {
    let src = "docker run -d --name web nginx:alpine > /dev/null\n\
               sleep 3\n\
               docker run -d --name db alpine sleep infinity > /dev/null\n\
               docker network create --subnet 10.9.0.0/24 backend > /dev/null\n\
               sleep 70\n\
               docker ps\n\
               docker ps --no-trunc -q\n\
               docker ps --no-trunc\n\
               docker network inspect backend nope\n\
               echo \"inspect: $?\"\n\
               docker network inspect bridge\n";
    let o = sim::simulate(src, "t.sh", sim::model::HostProfile::plain(), 0, false).expect("runs");
    let out: String = o.output.iter().filter(|(k, _)| *k == Stream::Out).map(|(_, t)| t.clone()).collect();
    let err: String = o.output.iter().filter(|(k, _)| *k == Stream::Err).map(|(_, t)| t.clone()).collect();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0],
        "CONTAINER ID   IMAGE          COMMAND                  CREATED              STATUS              PORTS     NAMES"
    );
    // Newest first; an image's exposed port without -p shows as 80/tcp.
    assert!(
        lines[1].ends_with(
            "   alpine         \"sleep infinity\"         About a minute ago   Up About a minute             db"
        ),
        "{out}"
    );
    assert!(
        lines[2].ends_with(
            "   nginx:alpine   \"/docker-entrypoint.…\"   About a minute ago   Up About a minute   80/tcp    web"
        ),
        "{out}"
    );
    // --no-trunc: whole ids, the whole command.
    assert_eq!(lines[3].len(), 64, "{out}");
    assert!(out.contains("   \"/docker-entrypoint.sh nginx -g 'daemon off;'\"   About a minute ago   "), "{out}");
    assert!(out.contains("        \"Name\": \"backend\",\n"), "{out}");
    assert!(out.contains("            \"Options\": {},\n            \"Config\": [\n                {\n                    \"Subnet\": \"10.9.0.0/24\",\n                    \"Gateway\": \"10.9.0.1\"\n"), "{out}");
    assert!(
        out.contains(
            "        \"Containers\": {},\n        \"Options\": {\n            \"com.docker.network.enable_ipv4\": \"true\",\n            \"com.docker.network.enable_ipv6\": \"false\"\n        },\n        \"Labels\": {}\n    }\n]\ninspect: 1\n"
        ),
        "{out}"
    );
    assert_eq!(err, "Error response from daemon: network nope not found\n");
    assert!(out.contains("                \"Name\": \"web\",\n"), "{out}");
    assert!(out.contains("                \"MacAddress\": \"02:42:ac:11:00:02\",\n                \"IPv4Address\": \"172.17.0.2/16\",\n"), "{out}");
    assert!(out.contains("            \"com.docker.network.bridge.name\": \"docker0\",\n"), "{out}");
}

#[test]
fn nginx_in_containers_follows_its_install() {
    // The image's nginx already holds port 80; Alpine's package needs apk.
    let src = "docker run -d --name web nginx:alpine > /dev/null\n\
               docker exec web nginx\n\
               echo \"second: $?\"\n\
               docker exec web nginx -s stop 2> /dev/null\n\
               docker run -d --name a alpine sleep infinity > /dev/null\n\
               docker exec a apk add nginx\n\
               docker exec a nginx\n\
               echo \"alpine: $?\"\n\
               docker exec a nginx -v\n\
               curl -s http://172.17.0.3/\n\
               curl -s -o /dev/null -w '%{http_code}\\n' http://172.17.0.2/\n";
    let o = sim::simulate(src, "t.sh", sim::model::HostProfile::plain(), 0, false).expect("runs");
    let out: String = o.output.iter().filter(|(k, _)| *k == Stream::Out).map(|(_, t)| t.clone()).collect();
    let err: String = o.output.iter().filter(|(k, _)| *k == Stream::Err).map(|(_, t)| t.clone()).collect();
    assert!(out.starts_with("second: 1\nalpine: 0\n<html>\r\n"), "{out}");
    assert!(out.contains("<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n000\n"), "{out}");
    assert!(err.contains("nginx: [emerg] still could not bind()\n"), "{err}");
    assert!(err.contains("nginx version: nginx/1.26.3\n"), "{err}");
}
