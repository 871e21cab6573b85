//! Presets cannot say what their run does not do: every preset states its
//! description's facts as claims, each holds on the preset's own run, and
//! every number in the description is a claim's or a parameter's.

use incident_core::{claims, presets, simulate};

#[test]
fn every_preset_has_claims_and_each_holds_on_its_run() {
    for name in presets::names() {
        let scenario = presets::load(name).unwrap();
        assert!(!scenario.claims.is_empty(), "{name} states no claims");
        let trace = simulate(&scenario);
        for verdict in claims::check(&scenario, &trace) {
            if let Err(why) = verdict.result {
                panic!("{name}: {why}");
            }
        }
    }
}

#[test]
fn every_number_in_a_description_is_backed() {
    for name in presets::names() {
        let scenario = presets::load(name).unwrap();
        let unbacked = claims::unbacked_numbers(&scenario);
        assert!(
            unbacked.is_empty(),
            "{name}: the description states {unbacked:?}, which no claim or parameter backs"
        );
    }
}
