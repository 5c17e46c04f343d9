//! pcapng files (draft-ietf-opsawg-pcapng): one Section Header Block, one
//! Interface Description Block per capture point (named with `if_name`,
//! nanosecond timestamps), and one Enhanced Packet Block per frame with its
//! direction (`epb_flags`) and a comment (`opt_comment`) that Wireshark
//! shows in the packet details, where netsim puts the packet's story.
//!
//! Little-endian, written whole into a byte vector. Not here: choosing the
//! frames or writing the comments (see `crate::explain::pcapng`), reading
//! pcapng (classic pcap stays what `tcpdump -w` writes, see [`super::pcap`]).

use super::pcap::{LINKTYPE_ETHERNET, SNAPLEN};

const SHB: u32 = 0x0A0D_0D0A;
const IDB: u32 = 1;
const EPB: u32 = 6;
const OPT_END: u16 = 0;
const OPT_COMMENT: u16 = 1;
const SHB_USERAPPL: u16 = 4;
const IF_NAME: u16 = 2;
const IF_TSRESOL: u16 = 9;
const EPB_FLAGS: u16 = 2;

/// Which way a frame crossed its interface (`epb_flags` bits 0-1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Received.
    Inbound,
    /// Transmitted.
    Outbound,
}

/// Builds a pcapng file in memory.
#[derive(Debug, Clone)]
pub struct PcapngWriter {
    buf: Vec<u8>,
    interfaces: Vec<String>,
}

fn option(out: &mut Vec<u8>, code: u16, value: &[u8]) {
    out.extend_from_slice(&code.to_le_bytes());
    out.extend_from_slice(&(value.len() as u16).to_le_bytes());
    out.extend_from_slice(value);
    out.resize(out.len().next_multiple_of(4), 0);
}

fn block(buf: &mut Vec<u8>, kind: u32, body: &[u8]) {
    let len = (12 + body.len()) as u32;
    buf.extend_from_slice(&kind.to_le_bytes());
    buf.extend_from_slice(&len.to_le_bytes());
    buf.extend_from_slice(body);
    buf.extend_from_slice(&len.to_le_bytes());
}

impl Default for PcapngWriter {
    fn default() -> Self {
        Self::new()
    }
}

impl PcapngWriter {
    /// A file with its section header (application `netsim`).
    pub fn new() -> PcapngWriter {
        let mut body = Vec::new();
        body.extend_from_slice(&0x1A2B_3C4Du32.to_le_bytes());
        body.extend_from_slice(&1u16.to_le_bytes());
        body.extend_from_slice(&0u16.to_le_bytes());
        body.extend_from_slice(&(-1i64).to_le_bytes());
        option(&mut body, SHB_USERAPPL, b"netsim");
        option(&mut body, OPT_END, &[]);
        let mut buf = Vec::new();
        block(&mut buf, SHB, &body);
        PcapngWriter { buf, interfaces: Vec::new() }
    }

    /// The interface id for `name`, describing it on first use.
    pub fn interface(&mut self, name: &str) -> u32 {
        if let Some(i) = self.interfaces.iter().position(|n| n == name) {
            return i as u32;
        }
        let mut body = Vec::new();
        body.extend_from_slice(&(LINKTYPE_ETHERNET as u16).to_le_bytes());
        body.extend_from_slice(&0u16.to_le_bytes());
        body.extend_from_slice(&SNAPLEN.to_le_bytes());
        option(&mut body, IF_NAME, name.as_bytes());
        option(&mut body, IF_TSRESOL, &[9]);
        option(&mut body, OPT_END, &[]);
        block(&mut self.buf, IDB, &body);
        self.interfaces.push(name.to_string());
        (self.interfaces.len() - 1) as u32
    }

    /// Appends a frame seen on interface `iface` at `ts_ns` nanoseconds
    /// since the Unix epoch, with its direction and an optional comment.
    pub fn packet(&mut self, iface: u32, ts_ns: u64, frame: &[u8], dir: Direction, comment: Option<&str>) {
        let cap = frame.len().min(SNAPLEN as usize);
        let mut body = Vec::new();
        body.extend_from_slice(&iface.to_le_bytes());
        body.extend_from_slice(&((ts_ns >> 32) as u32).to_le_bytes());
        body.extend_from_slice(&(ts_ns as u32).to_le_bytes());
        body.extend_from_slice(&(cap as u32).to_le_bytes());
        body.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        body.extend_from_slice(&frame[..cap]);
        body.resize(body.len().next_multiple_of(4), 0);
        let flags: u32 = match dir {
            Direction::Inbound => 1,
            Direction::Outbound => 2,
        };
        option(&mut body, EPB_FLAGS, &flags.to_le_bytes());
        if let Some(c) = comment {
            // An option value is at most 65535 bytes; cut on a char boundary.
            let mut end = c.len().min(65_000);
            while !c.is_char_boundary(end) {
                end -= 1;
            }
            option(&mut body, OPT_COMMENT, &c.as_bytes()[..end]);
        }
        option(&mut body, OPT_END, &[]);
        block(&mut self.buf, EPB, &body);
    }

    /// The file's bytes.
    pub fn into_bytes(self) -> Vec<u8> {
        self.buf
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_are_framed_and_padded() {
        // Every block's leading and trailing lengths agree and are multiples
        // of 4, and the interface block carries its name: what readers
        // (libpcap, Wireshark) check first.
        let mut w = PcapngWriter::new();
        let i = w.interface("ctr1/eth0");
        assert_eq!(w.interface("ctr1/eth0"), i);
        w.packet(i, 1_000_000_001, &[0xff; 42], Direction::Outbound, Some("packet #1"));
        let b = w.into_bytes();
        let mut off = 0;
        let mut kinds = Vec::new();
        while off < b.len() {
            let kind = u32::from_le_bytes(b[off..off + 4].try_into().expect("4 bytes"));
            let len = u32::from_le_bytes(b[off + 4..off + 8].try_into().expect("4 bytes")) as usize;
            assert_eq!(len % 4, 0);
            let tail = u32::from_le_bytes(b[off + len - 4..off + len].try_into().expect("4 bytes")) as usize;
            assert_eq!(len, tail);
            kinds.push(kind);
            off += len;
        }
        assert_eq!(kinds, vec![SHB, IDB, EPB]);
        assert!(b.windows(9).any(|w| w == b"ctr1/eth0"));
    }
}
