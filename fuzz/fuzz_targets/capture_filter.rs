//! Fuzz target: the capture filter compiler. The input's first line is a
//! filter expression; the rest, a frame it is matched against.
#![no_main]
use libfuzzer_sys::fuzz_target;
use sim::capture::filter::Filter;

fuzz_target!(|data: &[u8]| {
    let split = data.iter().position(|&b| b == b'\n').unwrap_or(data.len());
    let Ok(expr) = std::str::from_utf8(&data[..split]) else { return };
    let frame = data.get(split + 1..).unwrap_or(&[]);
    if let Ok(f) = Filter::parse(expr) {
        let _ = f.matches(frame);
        let _ = f.matches_with_wire_len(frame, frame.len() as u32 + 40);
    }
});
