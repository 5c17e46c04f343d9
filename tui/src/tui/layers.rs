//! A frame's layers for the Layers pane: Ethernet, then ARP or IPv4, then
//! ICMP, UDP or TCP, one line per field group, like a packet dissector's
//! tree (without the bytes).

use sim::engine::datapath::Ipv4View;

fn mac(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect::<Vec<_>>().join(":")
}

fn ip(b: &[u8]) -> String {
    format!("{}.{}.{}.{}", b[0], b[1], b[2], b[3])
}

/// The layers of an Ethernet frame, outermost first.
pub fn layers(f: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    if f.len() < 14 {
        out.push(format!("truncated frame ({} bytes)", f.len()));
        return out;
    }
    let et = u16::from_be_bytes([f[12], f[13]]);
    out.push(format!("Ethernet  {} -> {}  type 0x{et:04x}  ({} bytes)", mac(&f[6..12]), mac(&f[0..6]), f.len()));
    let p = &f[14..];
    match et {
        0x0806 if p.len() >= 28 => {
            let op = match u16::from_be_bytes([p[6], p[7]]) {
                1 => "request",
                2 => "reply",
                _ => "other",
            };
            out.push(format!("ARP       {op}"));
            out.push(format!("  sender  {} {}", mac(&p[8..14]), ip(&p[14..18])));
            out.push(format!("  target  {} {}", mac(&p[18..24]), ip(&p[24..28])));
        }
        0x0800 => match Ipv4View::parse(p) {
            Some(v) => {
                out.push(format!("IPv4      {} -> {}", v.src, v.dst));
                out.push(format!(
                    "  ttl {}  proto {}  id 0x{:04x}  length {}",
                    v.ttl,
                    v.proto,
                    u16::from_be_bytes([p[4], p[5]]),
                    v.total_len
                ));
                let l4 = &p[v.ihl..v.total_len];
                match v.proto {
                    1 if l4.len() >= 8 => {
                        let name = match l4[0] {
                            0 => "echo reply",
                            3 => "destination unreachable",
                            8 => "echo request",
                            11 => "time exceeded",
                            _ => "other",
                        };
                        out.push(format!("ICMP      type {} ({name})  code {}", l4[0], l4[1]));
                        if matches!(l4[0], 0 | 8) {
                            out.push(format!(
                                "  id {}  seq {}  payload {} bytes",
                                u16::from_be_bytes([l4[4], l4[5]]),
                                u16::from_be_bytes([l4[6], l4[7]]),
                                l4.len() - 8
                            ));
                        }
                    }
                    6 | 17 if l4.len() >= 8 => {
                        let name = if v.proto == 6 { "TCP" } else { "UDP" };
                        out.push(format!(
                            "{name:<9} port {} -> {}",
                            u16::from_be_bytes([l4[0], l4[1]]),
                            u16::from_be_bytes([l4[2], l4[3]])
                        ));
                    }
                    _ => {}
                }
            }
            None => out.push("IPv4      (bad header)".into()),
        },
        _ => {}
    }
    out
}
