//! Helpers for reading a trace in tests.
#![allow(dead_code)]

use incident_core::scenario::apply_set;
use incident_core::telemetry::EventType;
use incident_core::{presets, simulate, Scenario, Trace};

pub fn preset(name: &str) -> Scenario {
    presets::load(name).unwrap_or_else(|| panic!("no preset {name}"))
}

pub fn with(mut sc: Scenario, sets: &[(&str, &str)]) -> Scenario {
    for (path, value) in sets {
        apply_set(&mut sc, path, value).unwrap_or_else(|e| panic!("--set {path}={value}: {e}"));
    }
    sc
}

pub fn run(name: &str) -> Trace {
    simulate(&preset(name))
}

pub fn run_with(name: &str, sets: &[(&str, &str)]) -> Trace {
    simulate(&with(preset(name), sets))
}

/// (seconds, value) of one series, gaps dropped.
pub fn series(trace: &Trace, name: &str, service: &str) -> Vec<(f64, f64)> {
    let s = trace
        .find_series(name, service)
        .unwrap_or_else(|| panic!("no series {name} for {service}"));
    trace
        .sample_times_us
        .iter()
        .zip(&s.values)
        .filter_map(|(t, v)| v.map(|v| (*t as f64 / 1e6, v)))
        .collect()
}

pub fn value_at(trace: &Trace, name: &str, service: &str, at_s: f64) -> Option<f64> {
    series(trace, name, service)
        .into_iter()
        .take_while(|(t, _)| *t <= at_s + 1e-9)
        .last()
        .map(|(_, v)| v)
}

pub fn first_oom(trace: &Trace, service: &str) -> Option<f64> {
    trace.summary.service(service).and_then(|s| s.first_oom_s)
}

/// Seconds from load start to the service's first OOM kill.
pub fn oom_after_load(trace: &Trace, service: &str) -> Option<f64> {
    let start = trace.summary.load_started_s.unwrap_or(0.0);
    first_oom(trace, service).map(|t| t - start)
}

pub fn oom_times(trace: &Trace, service: &str) -> Vec<f64> {
    trace
        .events
        .iter()
        .filter(|e| e.reason == "OOMKilled" && e.object.starts_with(&format!("pod/{service}-")))
        .map(|e| e.at_us as f64 / 1e6)
        .collect()
}

pub fn events_with(trace: &Trace, reason: &str) -> usize {
    trace.events.iter().filter(|e| e.reason == reason).count()
}

pub fn warnings(trace: &Trace) -> usize {
    trace
        .events
        .iter()
        .filter(|e| e.kind == EventType::Warning)
        .count()
}

pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

pub const MI: f64 = 1024.0 * 1024.0;
