//! Any bytes, read as a TOML or JSON scenario, must give a scenario or a
//! list of problems, never a panic. A scenario that passes validation must
//! survive a JSON round trip unchanged and run in the engine without
//! panicking (for a bounded number of events, so one input stays fast).

#![no_main]

use incident_core::engine::World;
use incident_core::Scenario;
use libfuzzer_sys::fuzz_target;

/// Events to run a valid scenario for; enough to start load, probes and GC.
const EVENTS_MAX: u64 = 50_000;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let scenario = match Scenario::parse(text) {
        Ok(s) => s,
        Err(problems) => {
            assert!(!problems.0.is_empty(), "an error names at least one problem");
            return;
        }
    };
    assert!(scenario.validate().is_empty());
    let again = Scenario::from_json(&scenario.to_json()).expect("a valid scenario round-trips");
    assert_eq!(again, scenario);
    let mut world = World::new(&scenario);
    world.advance(EVENTS_MAX);
});
