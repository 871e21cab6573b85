//! Any bytes, read as a trace (whole JSON or a harness's partial JSON
//! Lines), must give a trace or one message, never a panic or a hang; a
//! trace that reads must have one value per sample in every series, and
//! its JSON must read back as the same trace.

#![no_main]

use incident_core::trace::import;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(trace) = import(text) else {
        return;
    };
    let samples = trace.sample_times_us.len();
    assert!(trace.series.iter().all(|s| s.values.len() == samples));
    if !trace.summary.partial {
        let again = import(&trace.to_json()).expect("a trace's own JSON reads back");
        assert_eq!(again.series, trace.series);
        assert_eq!(again.sample_times_us, trace.sample_times_us);
    }
});
