//! The text the `LOG` target puts in the kernel log for an IPv4 packet,
//! as `nf_log_syslog` (`nf_log_ip_packet`) writes it: the prefix, `IN=`
//! `OUT=`, br_netfilter's `PHYSIN=`/`PHYSOUT=`, `MAC=` for a received
//! packet, then the IPv4 header (`SRC= DST= LEN= TOS= PREC= TTL= ID=`,
//! `CE DF MF`, `FRAG:`), the transport header (TCP, UDP, ICMP with the
//! quoted packet of an error; other protocols as `PROTO=N`) and `MARK=`.
//! Every field is followed by a space, so lines end with one.
//!
//! `--log-uid` prints `UID= GID=` for a packet from a process's full socket
//! (`nf_log_dump_sk_uid_gid`: not for the kernel's own sockets, forwarded
//! packets or a SYN-ACK, whose socket is a request sock).
//!
//! What it does not do: AH/ESP/SCTP/IGMP headers (printed
//! as `PROTO=N`, where the kernel decodes SPI and ports), VLAN tags with
//! `--log-macdecode`.

use std::fmt::Write as _;
use std::net::Ipv4Addr;

use crate::model::MacAddr;

/// `--log-tcp-sequence`.
pub const LOG_TCPSEQ: u8 = 1;
/// `--log-tcp-options`.
pub const LOG_TCPOPT: u8 = 2;
/// `--log-ip-options`.
pub const LOG_IPOPT: u8 = 4;
/// `--log-uid`.
pub const LOG_UID: u8 = 8;
/// `--log-macdecode`.
pub const LOG_MACDECODE: u8 = 32;

/// Where the packet is: the devices and the frame's MACs.
pub struct LogCtx<'a> {
    /// `IN=` (set for received packets).
    pub in_name: Option<&'a str>,
    /// `OUT=`.
    pub out_name: Option<&'a str>,
    /// The bridge port a bridged frame came in on.
    pub phys_in: Option<&'a str>,
    /// The bridge port it leaves by.
    pub phys_out: Option<&'a str>,
    /// (source, destination) MAC of the received frame; `None` on loopback,
    /// whose header is all zeros.
    pub macs: Option<(MacAddr, MacAddr)>,
    /// `skb->mark`.
    pub mark: u32,
    /// The fsuid/fsgid of the file behind the packet's full socket, if any.
    pub uid: Option<(u32, u32)>,
}

/// The IPv4 fragment offset and MF bit of a packet (0 for a whole one).
fn frag_off(pkt: &[u8]) -> u16 {
    pkt.get(6..8).map_or(0, |b| u16::from_be_bytes([b[0], b[1]]) & 0x3fff)
}

/// One log line (without the `[time]` dmesg adds).
pub fn log_line(prefix: &str, flags: u8, c: &LogCtx<'_>, pkt: &[u8]) -> String {
    let mut m = String::new();
    let _ = write!(m, "{prefix}IN={} OUT={} ", c.in_name.unwrap_or(""), c.out_name.unwrap_or(""));
    if let Some(p) = c.phys_in.filter(|p| Some(*p) != c.in_name) {
        let _ = write!(m, "PHYSIN={p} ");
    }
    if let Some(p) = c.phys_out.filter(|p| Some(*p) != c.out_name) {
        let _ = write!(m, "PHYSOUT={p} ");
    }
    if c.in_name.is_some() {
        let (src, dst) = c.macs.unwrap_or((MacAddr::ZERO, MacAddr::ZERO));
        if flags & LOG_MACDECODE != 0 {
            let _ = write!(m, "MACSRC={src} MACDST={dst} MACPROTO=0800 ");
        } else {
            let bytes: Vec<String> =
                dst.0.iter().chain(src.0.iter()).chain([8u8, 0].iter()).map(|b| format!("{b:02x}")).collect();
            let _ = write!(m, "MAC={} ", bytes.join(":"));
        }
    }
    dump_ipv4(&mut m, flags, pkt, true);
    if flags & LOG_UID != 0 && frag_off(pkt) == 0 {
        if let Some((uid, gid)) = c.uid {
            let _ = write!(m, "UID={uid} GID={gid} ");
        }
    }
    if c.mark != 0 {
        let _ = write!(m, "MARK=0x{:x} ", c.mark);
    }
    m
}

fn be16(b: &[u8], i: usize) -> u16 {
    u16::from_be_bytes([b[i], b[i + 1]])
}

fn be32(b: &[u8], i: usize) -> u32 {
    u32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]])
}

/// `dump_ipv4_packet`; `outer` is false for the packet an ICMP error quotes
/// (the kernel recurses once).
fn dump_ipv4(m: &mut String, flags: u8, pkt: &[u8], outer: bool) {
    if pkt.len() < 20 {
        let _ = write!(m, "TRUNCATED ");
        return;
    }
    let ihl = usize::from(pkt[0] & 0xf) * 4;
    let src = Ipv4Addr::new(pkt[12], pkt[13], pkt[14], pkt[15]);
    let dst = Ipv4Addr::new(pkt[16], pkt[17], pkt[18], pkt[19]);
    let _ = write!(m, "SRC={src} DST={dst} ");
    let tos = pkt[1];
    let _ = write!(
        m,
        "LEN={} TOS=0x{:02X} PREC=0x{:02X} TTL={} ID={} ",
        be16(pkt, 2),
        tos & 0x1e,
        tos & 0xe0,
        pkt[8],
        be16(pkt, 4)
    );
    let frag = be16(pkt, 6);
    for (bit, name) in [(0x8000, "CE"), (0x4000, "DF"), (0x2000, "MF")] {
        if frag & bit != 0 {
            let _ = write!(m, "{name} ");
        }
    }
    let offset = frag & 0x1fff;
    if offset != 0 {
        let _ = write!(m, "FRAG:{offset} ");
    }
    if flags & LOG_IPOPT != 0 && ihl > 20 && pkt.len() >= ihl {
        let _ = write!(m, "OPT (");
        for b in &pkt[20..ihl] {
            let _ = write!(m, "{b:02X}");
        }
        let _ = write!(m, ") ");
    }
    let l4 = pkt.get(ihl..).unwrap_or(&[]);
    match pkt[9] {
        6 => {
            let _ = write!(m, "PROTO=TCP ");
            if offset != 0 {
                return;
            }
            if l4.len() < 20 {
                let _ = write!(m, "INCOMPLETE [{} bytes] ", l4.len());
                return;
            }
            let _ = write!(m, "SPT={} DPT={} ", be16(l4, 0), be16(l4, 2));
            if flags & LOG_TCPSEQ != 0 {
                let _ = write!(m, "SEQ={} ACK={} ", be32(l4, 4), be32(l4, 8));
            }
            let _ = write!(m, "WINDOW={} ", be16(l4, 14));
            // (tcp_flag_word & TCP_RESERVED_BITS) >> 22: the 4 reserved bits.
            let _ = write!(m, "RES=0x{:02x} ", (l4[12] & 0x0f) << 2);
            for (bit, name) in [
                (0x80, "CWR"),
                (0x40, "ECE"),
                (0x20, "URG"),
                (0x10, "ACK"),
                (0x08, "PSH"),
                (0x04, "RST"),
                (0x02, "SYN"),
                (0x01, "FIN"),
            ] {
                if l4[13] & bit != 0 {
                    let _ = write!(m, "{name} ");
                }
            }
            let _ = write!(m, "URGP={} ", be16(l4, 18));
            let doff = usize::from(l4[12] >> 4) * 4;
            if flags & LOG_TCPOPT != 0 && doff > 20 && l4.len() >= doff {
                let _ = write!(m, "OPT (");
                for b in &l4[20..doff] {
                    let _ = write!(m, "{b:02X}");
                }
                let _ = write!(m, ") ");
            }
        }
        17 => {
            let _ = write!(m, "PROTO=UDP ");
            if offset != 0 {
                return;
            }
            if l4.len() < 8 {
                let _ = write!(m, "INCOMPLETE [{} bytes] ", l4.len());
                return;
            }
            let _ = write!(m, "SPT={} DPT={} LEN={} ", be16(l4, 0), be16(l4, 2), be16(l4, 4));
        }
        1 => {
            let _ = write!(m, "PROTO=ICMP ");
            if offset != 0 {
                return;
            }
            if l4.len() < 8 {
                let _ = write!(m, "INCOMPLETE [{} bytes] ", l4.len());
                return;
            }
            let (t, code) = (l4[0], l4[1]);
            let _ = write!(m, "TYPE={t} CODE={code} ");
            // required_len: echo 4, errors 8 + an IPv4 header, timestamps 20,
            // address masks 12.
            let need = match t {
                0 | 8 => 4,
                3 | 4 | 5 | 11 | 12 => 28,
                13 | 14 => 20,
                17 | 18 => 12,
                _ => 0,
            };
            if l4.len() < need {
                let _ = write!(m, "INCOMPLETE [{} bytes] ", l4.len());
                return;
            }
            match t {
                0 | 8 => {
                    let _ = write!(m, "ID={} SEQ={} ", be16(l4, 4), be16(l4, 6));
                }
                12 => {
                    let _ = write!(m, "PARAMETER={} ", l4[4]);
                }
                3 | 4 | 5 | 11 => {
                    if t == 5 {
                        let _ = write!(m, "GATEWAY={} ", Ipv4Addr::new(l4[4], l4[5], l4[6], l4[7]));
                    }
                    if outer {
                        let _ = write!(m, "[");
                        dump_ipv4(m, flags, &l4[8..], false);
                        let _ = write!(m, "] ");
                    }
                    if t == 3 && code == 4 {
                        let _ = write!(m, "MTU={} ", be16(l4, 6));
                    }
                }
                _ => {}
            }
        }
        p => {
            let _ = write!(m, "PROTO={p} ");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Proves the line for a received echo request matches what the kernel
    // logged on a veth (captured on the kernel: `dmesg` after a ping).
    #[test]
    fn echo_request_line_as_kernel() {
        let mut pkt = vec![0x45, 0, 0, 84, 0xd6, 0xdf, 0x40, 0, 64, 1, 0, 0, 10, 9, 0, 1, 10, 9, 0, 2];
        pkt.extend_from_slice(&[8, 0, 0, 0, 0x26, 0x42, 0, 1]);
        pkt.resize(84, 0);
        let c = LogCtx {
            in_name: Some("v1"),
            out_name: None,
            phys_in: None,
            phys_out: None,
            macs: Some((MacAddr([2, 0, 0, 0, 0xa, 1]), MacAddr([2, 0, 0, 0, 0xb, 1]))),
            mark: 0,
            uid: None,
        };
        assert_eq!(
            log_line("nsim-in: ", 0, &c, &pkt),
            "nsim-in: IN=v1 OUT= MAC=02:00:00:00:0b:01:02:00:00:00:0a:01:08:00 SRC=10.9.0.1 DST=10.9.0.2 \
             LEN=84 TOS=0x00 PREC=0x00 TTL=64 ID=55007 DF PROTO=ICMP TYPE=8 CODE=0 ID=9794 SEQ=1 "
        );
    }
}
