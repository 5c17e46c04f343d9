//! Classic pcap files: the writer `tcpdump -w` uses and a tolerant reader.
//!
//! The writer produces exactly the file layout tcpdump 4.99.3 writes on Linux:
//! magic `a1b2c3d4` in the host's byte order (microsecond timestamps),
//! version 2.4, zone 0, sigfigs 0, snaplen 262144, link type 1
//! (`LINKTYPE_ETHERNET`). Record headers come from the `pcap-file` crate.
//!
//! The reader is hand-written because `pcap-file` rejects records whose wire
//! length exceeds the snapshot length, which every `tcpdump -s N` capture
//! contains. It accepts the microsecond and nanosecond magics in both byte
//! orders, like libpcap.

use std::borrow::Cow;
use std::io::{self, Write};

use pcap_file::pcap::{PcapHeader, PcapWriter as RawWriter, RawPcapPacket};
use pcap_file::{DataLink, Endianness, TsResolution};

/// Snapshot length tcpdump uses by default (`MAXIMUM_SNAPLEN`).
pub const SNAPLEN: u32 = 262_144;

/// `LINKTYPE_ETHERNET`.
pub const LINKTYPE_ETHERNET: u32 = 1;

/// Writes frames to a classic pcap stream, as `tcpdump -w` does.
pub struct PcapWriter<W: Write> {
    inner: RawWriter<W>,
}

impl<W: Write> std::fmt::Debug for PcapWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PcapWriter").field("snaplen", &self.inner.snaplen()).finish()
    }
}

fn to_io(e: pcap_file::PcapError) -> io::Error {
    match e {
        pcap_file::PcapError::IoError(e) => e,
        other => io::Error::new(io::ErrorKind::InvalidInput, other),
    }
}

impl<W: Write> PcapWriter<W> {
    /// Writes the 24-byte file header and returns the writer.
    ///
    /// # Errors
    /// Any error of the underlying writer.
    pub fn new(w: W) -> io::Result<Self> {
        let header = PcapHeader {
            version_major: 2,
            version_minor: 4,
            ts_correction: 0,
            ts_accuracy: 0,
            snaplen: SNAPLEN,
            datalink: DataLink::ETHERNET,
            ts_resolution: TsResolution::MicroSecond,
            endianness: Endianness::native(),
        };
        let inner = RawWriter::with_header(w, header).map_err(to_io)?;
        Ok(PcapWriter { inner })
    }

    /// Appends one frame captured at `ts_ns` nanoseconds since the Unix epoch.
    /// The timestamp is truncated to microseconds; a frame longer than
    /// [`SNAPLEN`] is cut to it, with its full length kept as `orig_len`.
    ///
    /// # Errors
    /// An underlying write error, or `InvalidInput` when the timestamp is past
    /// 2106 (it does not fit the format's 32-bit seconds) or the frame is
    /// 4 GiB or longer.
    pub fn write(&mut self, ts_ns: u64, frame: &[u8]) -> io::Result<()> {
        let too_big = |what: &str| io::Error::new(io::ErrorKind::InvalidInput, what.to_owned());
        let ts_sec = u32::try_from(ts_ns / 1_000_000_000).map_err(|_| too_big("timestamp after 2106"))?;
        let ts_frac = u32::try_from(ts_ns % 1_000_000_000 / 1000).map_err(|_| too_big("timestamp"))?;
        let orig_len = u32::try_from(frame.len()).map_err(|_| too_big("frame longer than 4 GiB"))?;
        let incl_len = orig_len.min(SNAPLEN);
        let packet =
            RawPcapPacket { ts_sec, ts_frac, incl_len, orig_len, data: Cow::Borrowed(&frame[..incl_len as usize]) };
        self.inner.write_raw_packet(&packet).map_err(to_io)?;
        Ok(())
    }

    /// Returns the underlying writer (flush it if it buffers).
    pub fn into_inner(self) -> W {
        self.inner.into_writer()
    }
}

/// Why a pcap file could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PcapError {
    /// Fewer than 24 bytes: no file header.
    #[error("file is too short for a pcap header ({0} bytes)")]
    TooShort(usize),
    /// The first four bytes are not a classic pcap magic (pcapng is not read).
    #[error("bad pcap magic 0x{0:08x}")]
    BadMagic(u32),
    /// A record header or its data runs past the end of the file.
    #[error("truncated dump file: record {index} at offset {offset}")]
    Truncated {
        /// Zero-based record number.
        index: usize,
        /// Byte offset of the record header.
        offset: usize,
    },
    /// The file's link type is not Ethernet (only [`read_pcap`] checks this).
    #[error("link type {0} is not Ethernet (1)")]
    NotEthernet(u32),
}

/// One record of a pcap file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PcapRecord {
    /// Capture time in nanoseconds since the Unix epoch.
    pub ts_ns: u64,
    /// Length of the packet on the wire (may exceed `data.len()`).
    pub orig_len: u32,
    /// The captured bytes.
    pub data: Vec<u8>,
}

/// A whole pcap file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PcapFile {
    /// `LINKTYPE_*` of the file (1 is Ethernet).
    pub linktype: u32,
    /// Snapshot length from the header.
    pub snaplen: u32,
    /// True for the nanosecond magic `a1b23c4d`.
    pub nanosecond: bool,
    /// The records, in file order.
    pub records: Vec<PcapRecord>,
}

/// Parses a classic pcap file of any link type.
///
/// # Errors
/// [`PcapError::TooShort`], [`PcapError::BadMagic`] or
/// [`PcapError::Truncated`].
pub fn parse_pcap(bytes: &[u8]) -> Result<PcapFile, PcapError> {
    let Some(header) = bytes.get(..24) else {
        return Err(PcapError::TooShort(bytes.len()));
    };
    let magic_le = u32::from_le_bytes([header[0], header[1], header[2], header[3]]);
    let (big, nanosecond) = match magic_le {
        0xa1b2_c3d4 => (false, false),
        0xa1b2_3c4d => (false, true),
        0xd4c3_b2a1 => (true, false),
        0x4d3c_b2a1 => (true, true),
        other => return Err(PcapError::BadMagic(other.swap_bytes())),
    };
    let rd32 = |b: &[u8], i: usize| {
        let a = [b[i], b[i + 1], b[i + 2], b[i + 3]];
        if big {
            u32::from_be_bytes(a)
        } else {
            u32::from_le_bytes(a)
        }
    };
    let snaplen = rd32(header, 16);
    // The upper bits of the link-type field carry FCS information.
    let linktype = rd32(header, 20) & 0x03ff_ffff;
    let mut records = Vec::new();
    let mut off = 24usize;
    while off < bytes.len() {
        let index = records.len();
        let Some(rh) = bytes.get(off..off + 16) else {
            return Err(PcapError::Truncated { index, offset: off });
        };
        let (sec, frac) = (u64::from(rd32(rh, 0)), u64::from(rd32(rh, 4)));
        let incl_len = rd32(rh, 8) as usize;
        let orig_len = rd32(rh, 12);
        let Some(data) = bytes.get(off + 16..).and_then(|rest| rest.get(..incl_len)) else {
            return Err(PcapError::Truncated { index, offset: off });
        };
        let frac_ns = if nanosecond { frac } else { frac.saturating_mul(1000) };
        records.push(PcapRecord {
            ts_ns: sec.saturating_mul(1_000_000_000).saturating_add(frac_ns),
            orig_len,
            data: data.to_vec(),
        });
        off += 16 + incl_len;
    }
    Ok(PcapFile { linktype, snaplen, nanosecond, records })
}

/// Reads an Ethernet pcap file into `(timestamp ns, frame bytes)` pairs.
///
/// # Errors
/// Those of [`parse_pcap`], and [`PcapError::NotEthernet`] for other link
/// types.
pub fn read_pcap(bytes: &[u8]) -> Result<Vec<(u64, Vec<u8>)>, PcapError> {
    let file = parse_pcap(bytes)?;
    if file.linktype != LINKTYPE_ETHERNET {
        return Err(PcapError::NotEthernet(file.linktype));
    }
    Ok(file.records.into_iter().map(|r| (r.ts_ns, r.data)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFORMANCE: &str = "/work/shared/conformance/tcpdump";

    fn write_one(ts_ns: u64, frame: &[u8]) -> Vec<u8> {
        let mut w = PcapWriter::new(Vec::new()).expect("vec write");
        w.write(ts_ns, frame).expect("vec write");
        w.into_inner()
    }

    #[test]
    fn header_matches_tcpdump_w() {
        // Proves the 24-byte header is byte for byte what `tcpdump -w` wrote
        // on this (little-endian) machine: magic, 2.4, snaplen 262144, DLT 1.
        let bytes = write_one(0, &[]);
        let expected: [u8; 24] = [
            0xd4, 0xc3, 0xb2, 0xa1, 0x02, 0x00, 0x04, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x00, 0x04, 0x00, 0x01, 0x00,
            0x00, 0x00,
        ];
        if cfg!(target_endian = "little") {
            assert_eq!(&bytes[..24], &expected);
        }
        assert_eq!(bytes.len(), 24 + 16);
    }

    #[test]
    fn record_round_trip_truncates_to_microseconds() {
        // Proves write then read returns the frame and the timestamp cut to
        // whole microseconds, as tcpdump's files hold it.
        let frame = [0xffu8, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x06];
        let bytes = write_one(1_684_400_000_123_456_789, &frame);
        let got = read_pcap(&bytes).expect("valid file");
        assert_eq!(got, vec![(1_684_400_000_123_456_000, frame.to_vec())]);
    }

    #[test]
    fn reads_all_magics_and_byte_orders() {
        // Proves both byte orders and both resolutions decode to the same
        // record: big-endian nanosecond and little-endian microsecond.
        let mut be_ns = vec![0xa1, 0xb2, 0x3c, 0x4d, 0, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0];
        be_ns.extend_from_slice(&[0, 0, 0, 100, 0, 0, 0, 1]);
        be_ns.extend_from_slice(&[0, 0, 0, 5, 0, 0, 0, 7, 0, 0, 0, 2, 0, 0, 0, 60, 0xab, 0xcd]);
        let f = parse_pcap(&be_ns).expect("valid");
        assert!(f.nanosecond);
        assert_eq!(f.records[0], PcapRecord { ts_ns: 5_000_000_007, orig_len: 60, data: vec![0xab, 0xcd] });
        let mut le_us = vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        le_us.extend_from_slice(&[100, 0, 0, 0, 1, 0, 0, 0]);
        le_us.extend_from_slice(&[5, 0, 0, 0, 7, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0xee]);
        let f = parse_pcap(&le_us).expect("valid");
        assert_eq!(f.records[0].ts_ns, 5_000_007_000);
    }

    #[test]
    fn errors_on_garbage() {
        // Proves short, foreign and cut files are errors, never panics.
        assert_eq!(parse_pcap(&[1, 2, 3]), Err(PcapError::TooShort(3)));
        assert_eq!(parse_pcap(&[0x0a, 0x0d, 0x0d, 0x0a].repeat(6)), Err(PcapError::BadMagic(0x0a0d_0d0a)));
        let mut cut = write_one(0, &[1, 2, 3, 4]);
        cut.pop();
        assert_eq!(parse_pcap(&cut), Err(PcapError::Truncated { index: 0, offset: 24 }));
        let mut raw_ip = write_one(0, &[]);
        raw_ip[20] = 228;
        assert_eq!(read_pcap(&raw_ip), Err(PcapError::NotEthernet(228)));
    }

    #[test]
    fn reads_conformance_captures() {
        // Proves the reader accepts every capture of the tcpdump suite
        // (micro and nano, several link types) and gets the record counts
        // tcpdump prints for them.
        let cases = [
            ("print-flags.pcap", 1, 10),
            ("tcp-handshake-nano.pcap", 113, 3),
            ("vxlan.pcap", 1, 10),
            ("tfo-5c1fa7f9ae91.pcap", 1, 14),
            ("e1000g.pcap", 226, 20),
        ];
        for (name, linktype, count) in cases {
            let Ok(bytes) = std::fs::read(format!("{CONFORMANCE}/{name}")) else {
                continue;
            };
            let f = parse_pcap(&bytes).expect(name);
            assert_eq!((f.linktype, f.records.len()), (linktype, count), "{name}");
        }
    }
}
