//! Fuzz target: the scenario parser (`sim::scenario::parse`) and the
//! interpreter's pre-run check, on arbitrary text. Either a script or a
//! `file:line:col` error; never a panic or a stack overflow.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else { return };
    if let Ok(script) = sim::scenario::parse(src, "fuzz.sh") {
        let _ = sim::engine::interp::check(&script, "fuzz.sh");
    }
});
