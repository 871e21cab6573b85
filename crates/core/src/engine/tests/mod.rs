//! The engine's unit tests, one file per subsystem. Each test writes a small
//! scenario of its own (a service or two, seconds to minutes of simulated
//! time) and checks what the subsystem computed: in the trace, or in the
//! world's state at a chosen moment (`run_to`). The helpers are here.

mod actions;
mod checkout_kafka;
mod flags;
mod hpa;
mod kernel;
mod load;
mod node;
mod pods;
mod pool;
mod probes;
mod python;
mod requests;
mod sampling;

use super::ids::{PodId, SvcId};
use super::World;
use crate::metrics::Metric;
use crate::scenario::Scenario;
use crate::trace::Trace;
use crate::units::SimTime;

/// A scenario from TOML text (top-level keys first, then tables), with its
/// name, title and description filled in.
pub(super) fn scenario(toml: &str) -> Scenario {
    let text = format!("name = \"unit\"\ntitle = \"unit\"\ndescription = \"unit\"\n{toml}");
    Scenario::parse(&text).unwrap_or_else(|e| panic!("the test's scenario is invalid: {e}\n{toml}"))
}

/// A workload that never starts, for a test that drives the world itself.
pub(super) const NO_LOAD: &str = r#"
[workload]
users = 0
spawn_rate = 1.0
think_time = { min = "1s", max = "1s" }
[[workload.tasks]]
name = "idle"
weight = 1
steps = []
"#;

pub(super) fn world(toml: &str) -> World {
    World::new(&scenario(toml))
}

pub(super) fn run(toml: &str) -> Trace {
    crate::simulate(&scenario(toml))
}

pub(super) fn secs(s: f64) -> SimTime {
    SimTime::from_secs_f64(s)
}

/// Processes every event due at or before `at` seconds, then sets the clock
/// there, so the world's state is the state at that moment.
pub(super) fn run_to(w: &mut World, at: f64) {
    let t = secs(at);
    assert!(t >= w.k.now && t <= w.k.end, "run_to({at}) out of order");
    while w.k.q.peek_time().is_some_and(|next| next <= t) {
        w.advance(1);
    }
    w.k.now = t;
}

pub(super) fn svc(w: &World, name: &str) -> SvcId {
    w.svcs
        .ids()
        .find(|&s| w.svcs[s].name == name)
        .unwrap_or_else(|| panic!("no service {name}"))
}

/// The service's pods now, oldest first.
pub(super) fn pods_of(w: &World, name: &str) -> Vec<PodId> {
    w.svcs[svc(w, name)].pods.clone()
}

/// Users waiting for a response: the requests in flight, as Locust sees them.
pub(super) fn waiting_users(w: &World) -> u64 {
    w.load
        .users
        .iter()
        .filter(|u| u.active && u.waiting)
        .count() as u64
}

/// One value per sample (`None` is a gap).
pub(super) fn values(t: &Trace, metric: &Metric, service: &str) -> Vec<Option<f64>> {
    t.find_series(metric.name, service)
        .unwrap_or_else(|| panic!("no series {} for {service}", metric.name))
        .values
        .clone()
}

/// The value of the sample taken at `at` seconds (which must be a sample time).
pub(super) fn at(t: &Trace, metric: &Metric, service: &str, at: f64) -> Option<f64> {
    let us = secs(at).0;
    let i = t
        .sample_times_us
        .iter()
        .position(|&s| s == us)
        .unwrap_or_else(|| panic!("no sample at {at}s"));
    values(t, metric, service)[i]
}

/// When events of one reason were logged, in microseconds.
pub(super) fn times_us(t: &Trace, reason: &str) -> Vec<u64> {
    t.events
        .iter()
        .filter(|e| e.reason == reason)
        .map(|e| e.at_us)
        .collect()
}

/// The messages of the events of one reason, in order.
pub(super) fn messages(t: &Trace, reason: &str) -> Vec<String> {
    t.events
        .iter()
        .filter(|e| e.reason == reason)
        .map(|e| e.message.clone())
        .collect()
}

/// A latency read from a histogram: within its 6.25 % bucket resolution.
pub(super) fn assert_latency_ms(actual: Option<f64>, expected_ms: f64) {
    let a = actual.expect("a latency was recorded");
    assert!(
        (a - expected_ms).abs() <= expected_ms * 0.0625,
        "latency {a} ms, expected {expected_ms} ms"
    );
}
