//! Fuzz target: a whole simulated run of arbitrary script text (parser,
//! interpreter, tools, datapath). Output or a clean refusal; never a panic.
//! Scripts that ask for long virtual sleeps still finish quickly: time is
//! virtual.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else { return };
    let _ = sim::simulate(src, "fuzz.sh", sim::model::HostProfile::plain(), 0, false);
});
