//! Fuzz target: `iptables-restore` input. Refused (ruleset unchanged) or
//! applied; an applied ruleset's `iptables-save` text restores to the same
//! text.
#![no_main]
use libfuzzer_sys::fuzz_target;
use sim::model::nf::Ruleset;
use sim::tools::iptables;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut rs = Ruleset::new();
    let before = sim::render::iptables::save(&rs, &Default::default());
    match iptables::restore(&mut rs, text, Default::default()) {
        Err(_) => assert_eq!(
            sim::render::iptables::save(&rs, &Default::default()),
            before,
            "refused input changed the ruleset"
        ),
        Ok(()) => {
            let saved = sim::render::iptables::save(&rs, &Default::default());
            let mut again = Ruleset::new();
            if let Err(e) = iptables::restore(&mut again, &saved, Default::default()) {
                panic!("iptables-save output does not restore: {e}\n{saved}");
            }
            assert_eq!(
                sim::render::iptables::save(&again, &Default::default()),
                saved,
                "save/restore is not a fixed point"
            );
        }
    }
});
