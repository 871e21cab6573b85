//! The partial trace a real run appends as it goes reads back as a trace:
//! the same samples and events, a summary rebuilt from them, marked
//! partial; a last line cut off mid-write is dropped, any other bad line is
//! named.

use incident_core::trace::partial::{
    event_line, header_line, import_partial, load_started_line, sample_line,
};
use incident_core::trace::{import, Trace};
use incident_core::{presets, simulate};

/// A whole run written the way `incident run` writes its partial file.
fn partial_of(trace: &Trace) -> String {
    let mut lines = vec![header_line(&trace.scenario)];
    let started = trace.summary.load_started_s.map(|s| (s * 1e6) as u64);
    for (i, &t) in trace.sample_times_us.iter().enumerate() {
        if started.is_some_and(|s| s <= t && (i == 0 || trace.sample_times_us[i - 1] < s)) {
            lines.push(load_started_line(started.unwrap()));
        }
        lines.push(sample_line(t, &trace.series, i));
    }
    for e in &trace.events {
        let service = trace
            .scenario
            .services
            .keys()
            .find(|name| e.object.starts_with(&format!("pod/{name}-")));
        lines.push(event_line(e, service.map(String::as_str)));
    }
    lines.join("\n") + "\n"
}

fn spike() -> Trace {
    let mut sc = presets::load("checkout-spike").unwrap();
    sc.duration = incident_core::units::Dur(incident_core::units::SimTime::from_secs(150));
    simulate(&sc)
}

#[test]
fn a_partial_trace_reads_back_with_its_samples_and_a_rebuilt_summary() {
    let whole = spike();
    let read = import(&partial_of(&whole)).expect("import reads a partial trace");
    assert!(read.summary.partial);
    assert_eq!(read.source, "harness");
    assert_eq!(read.sample_times_us, whole.sample_times_us);
    assert_eq!(read.series, whole.series);
    assert_eq!(read.events.len(), whole.events.len());
    let (was, now) = (
        whole.summary.service("checkout").unwrap(),
        read.summary.service("checkout").unwrap(),
    );
    assert!(was.oom_kills > 0, "the spike kills checkout");
    assert_eq!(now.oom_kills, was.oom_kills);
    assert_eq!(now.restarts, was.restarts);
    assert_eq!(now.first_oom_s, was.first_oom_s);
    assert_eq!(now.kind, "go-checkout");
    assert_eq!(read.summary.load_started_s, whole.summary.load_started_s);
    assert!(read.summary.requests.latency_ms_p95.is_none(), "not kept");
    // Locust's per-sample rates add up to about the run's request count.
    let (ok_was, ok_now) = (
        whole.summary.requests.succeeded as f64,
        read.summary.requests.succeeded as f64,
    );
    assert!(
        (ok_now - ok_was).abs() <= 0.1 * ok_was.max(10.0),
        "{ok_now} vs {ok_was}"
    );
}

#[test]
fn a_last_line_cut_off_mid_write_is_dropped_and_a_bad_line_is_named() {
    let text = partial_of(&spike());
    let samples = text.lines().filter(|l| l.contains("\"values\"")).count();
    let cut = &text[..text.len() - 40];
    let read = import_partial(cut).expect("the cut-off line is dropped");
    assert!(read.sample_times_us.len() + 1 >= samples);
    let mut lines: Vec<&str> = text.lines().collect();
    lines.insert(3, "{\"t_us\": 5, \"values\": [");
    let err = import_partial(&lines.join("\n")).unwrap_err();
    assert!(err.starts_with("line 4: not JSON"), "{err}");
    lines[3] = "{\"t_us\": -1, \"values\": []}";
    let err = import_partial(&lines.join("\n")).unwrap_err();
    assert!(err.contains("line 4") && err.contains("t_us"), "{err}");
}

#[test]
fn a_partial_header_is_checked_like_a_scenario_file() {
    let text = partial_of(&spike());
    let bad = text.replacen("\"users\":", "\"users\":-3,\"x\":", 1);
    let err = import(&bad).unwrap_err();
    assert!(
        err.starts_with("line 1:") && err.contains("scenario."),
        "{err}"
    );
}
