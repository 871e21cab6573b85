//! Numbers the app shows, computed here so they are tested natively: what
//! happened by a moment, the next notable moment, the value of a series at
//! a scrub time, a preset's headline, and chart-ready downsampling.

use crate::metrics as m;
use crate::model::python::{AllocationSite, PythonLeaks};
use crate::scenario::{LeakKind, Scenario, ServiceKind};
use crate::telemetry::{EventType, LogEvent, PodRow};
use crate::trace::Trace;
use crate::units::{format_duration, SimTime};

/// Reasons that make a moment worth jumping to.
const NOTABLE: &[&str] = &[
    "OOMKilled",
    "Error",
    "Killing",
    "BackOff",
    "AlertFiring",
    "FlagChanged",
    "LoadStarted",
    "LoadStopped",
];

/// Times (µs) of OOM kills, crashes, restarts, back-offs, alerts and
/// actions, sorted and without duplicates.
pub fn notable_times(trace: &Trace) -> Vec<u64> {
    let mut times: Vec<u64> = trace
        .events
        .iter()
        .filter(|e| {
            NOTABLE.contains(&e.reason.as_str())
                || (e.reason == "Started" && e.kind == EventType::Normal)
        })
        .map(|e| e.at_us)
        .collect();
    times.sort_unstable();
    times.dedup();
    times
}

/// The first notable moment strictly after `after_us`.
pub fn next_notable(trace: &Trace, after_us: u64) -> Option<u64> {
    notable_times(trace).into_iter().find(|&t| t > after_us)
}

/// The value a series had at `t`: the last sample at or before it.
pub fn value_at(trace: &Trace, name: &str, service: &str, t: SimTime) -> Option<f64> {
    let series = trace.find_series(name, service)?;
    let i = trace.sample_index_at(t)?;
    series.values.get(i).copied().flatten()
}

/// `kubectl get pods` at `t`, pods in name order.
pub fn pods_at(trace: &Trace, t: SimTime) -> Vec<PodRow> {
    let mut rows: Vec<PodRow> = trace.pods.iter().filter_map(|p| p.row_at(t)).collect();
    rows.sort_by(|a, b| a.name.cmp(&b.name));
    rows
}

/// Events up to `t`, newest first, at most `limit`.
pub fn events_until(trace: &Trace, t: SimTime, limit: usize) -> Vec<&LogEvent> {
    let end = trace.events.partition_point(|e| e.at_us <= t.0);
    trace.events[..end].iter().rev().take(limit).collect()
}

/// The tracemalloc view of a Python service at `t`, largest first.
pub fn allocation_sites_at(
    trace: &Trace,
    scenario: &Scenario,
    service: &str,
    t: SimTime,
) -> Vec<AllocationSite> {
    let Some(spec) = scenario
        .services
        .get(service)
        .and_then(|s| s.python.as_ref())
    else {
        return Vec::new();
    };
    let names = [
        (m::LEAK_CACHE_BYTES.name, m::LEAK_CACHE_ENTRIES.name),
        (m::LEAK_LISTENERS_BYTES.name, m::LEAK_LISTENERS.name),
        (m::LEAK_HISTORY_BYTES.name, m::LEAK_HISTORY_RECORDS.name),
    ];
    let mut leaks = PythonLeaks::new(spec);
    for (i, (bytes, count)) in names.iter().enumerate() {
        leaks.bytes[i] = value_at(trace, bytes, service, t).unwrap_or(0.0);
        leaks.count[i] = value_at(trace, count, service, t).unwrap_or(0.0) as u64;
    }
    leaks.cyclic_garbage = value_at(trace, m::LEAK_CYCLES_BYTES.name, service, t).unwrap_or(0.0);
    let _ = LeakKind::ALL;
    leaks.top_sites(spec)
}

/// The service a chart of memory should follow first: the first service a
/// control names, else the one that matters most in this kind of scenario.
pub fn focus_service(scenario: &Scenario) -> String {
    for control in &scenario.controls {
        if let Some(rest) = control.strip_prefix("services.") {
            if let Some((name, _)) = rest.split_once('.') {
                if scenario.services.contains_key(name) {
                    return name.to_string();
                }
            }
        }
    }
    let rank = |k: ServiceKind| match k {
        ServiceKind::GoCheckout => 0,
        ServiceKind::NodeFrontend => 1,
        ServiceKind::PythonLeaky => 2,
        ServiceKind::WorkerPool => 3,
    };
    scenario
        .services
        .iter()
        .min_by_key(|(_, s)| rank(s.kind))
        .map(|(n, _)| n.clone())
        .unwrap_or_default()
}

/// One line for a gallery card: the number the preset is about.
pub fn headline(trace: &Trace) -> String {
    let s = &trace.summary;
    let load = s.load_started_s.unwrap_or(0.0);
    let first_oom = s
        .services
        .iter()
        .filter_map(|svc| svc.first_oom_s.map(|t| (t, svc.name.as_str())))
        .min_by(|a, b| a.0.total_cmp(&b.0));
    if let Some((t, name)) = first_oom {
        return format!(
            "{name} OOM-killed {} after load starts",
            format_duration(SimTime::from_secs_f64((t - load).max(0.0).round()))
        );
    }
    let restarted: Vec<&str> = s
        .services
        .iter()
        .filter(|x| x.restarts > 0)
        .map(|x| x.name.as_str())
        .collect();
    if !restarted.is_empty() {
        let r = &s.requests;
        return format!(
            "{} crash-looping, {:.0} % of requests failing",
            restarted.join(", "),
            r.failure_ratio * 100.0
        );
    }
    match s.requests.latency_ms_p95 {
        Some(p95) if p95 >= 1000.0 => format!("no crash; P95 {:.1} s", p95 / 1000.0),
        Some(p95) => format!("healthy; P95 {p95:.0} ms"),
        None => "no load, memory flat".to_string(),
    }
}

/// Spans (seconds) where the service's working set sits within `ratio` of
/// its limit without being killed: the kernel is reclaiming page cache to
/// keep the container alive. At most `MAX_SPANS`, in time order.
pub fn at_limit_spans(trace: &Trace, service: &str, ratio: f64) -> Vec<(f64, f64)> {
    const MAX_SPANS: usize = 200;
    let (Some(ws), Some(limit)) = (
        trace.find_series(m::WORKING_SET.name, service),
        trace.find_series(m::MEMORY_LIMIT.name, service),
    ) else {
        return Vec::new();
    };
    let mut spans: Vec<(f64, f64)> = Vec::new();
    let mut open: Option<f64> = None;
    for (i, t_us) in trace.sample_times_us.iter().enumerate() {
        let t = *t_us as f64 / 1e6;
        let at_limit = match (
            ws.values.get(i).copied().flatten(),
            limit.values.get(i).copied().flatten(),
        ) {
            (Some(w), Some(l)) => l > 0.0 && w >= l * ratio,
            _ => false,
        };
        match (at_limit, open) {
            (true, None) => open = Some(t),
            (false, Some(from)) => {
                spans.push((from, t));
                open = None;
            }
            _ => {}
        }
        if spans.len() >= MAX_SPANS {
            return spans;
        }
    }
    if let (Some(from), Some(&last)) = (open, trace.sample_times_us.last()) {
        spans.push((from, last as f64 / 1e6));
    }
    spans
}

/// Whether an alert is firing at `t`: fired at or before it, not yet resolved.
pub fn alert_firing_at(alert: &crate::alerts::AlertFiring, t: SimTime) -> bool {
    alert.at_us <= t.0 && alert.resolved_at_us.is_none_or(|r| r > t.0)
}

/// At most `2 × buckets` points that keep every peak and trough: each bucket
/// of consecutive samples contributes its minimum and its maximum, in order.
/// Gaps (None) are kept as gaps.
pub fn downsample(
    times: &[f64],
    values: &[Option<f64>],
    buckets: usize,
) -> Vec<(f64, Option<f64>)> {
    let n = times.len().min(values.len());
    if n <= buckets.max(1) * 2 {
        return (0..n).map(|i| (times[i], values[i])).collect();
    }
    let mut out = Vec::with_capacity(buckets * 2);
    let per = n.div_ceil(buckets);
    let mut start = 0;
    while start < n {
        let end = (start + per).min(n);
        let mut lo: Option<(usize, f64)> = None;
        let mut hi: Option<(usize, f64)> = None;
        let mut gap = false;
        for (i, value) in values.iter().enumerate().take(end).skip(start) {
            match *value {
                Some(v) => {
                    if lo.is_none_or(|(_, l)| v < l) {
                        lo = Some((i, v));
                    }
                    if hi.is_none_or(|(_, h)| v > h) {
                        hi = Some((i, v));
                    }
                }
                None => gap = true,
            }
        }
        match (lo, hi) {
            (Some((li, lv)), Some((hi_i, hv))) => {
                let (a, b) = if li <= hi_i {
                    ((li, lv), (hi_i, hv))
                } else {
                    ((hi_i, hv), (li, lv))
                };
                out.push((times[a.0], Some(a.1)));
                if b.0 != a.0 {
                    out.push((times[b.0], Some(b.1)));
                }
                if gap {
                    out.push((times[end - 1], None));
                }
            }
            _ => out.push((times[start], None)),
        }
        start = end;
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_python_leaks_park_at_their_limit_before_the_kill() {
        // The kernel reclaims the interpreter's page cache before it kills.
        let trace = crate::simulate(&crate::presets::load("python-leaks").unwrap());
        let spans = super::at_limit_spans(&trace, "leaky", 0.98);
        let oom = trace.summary.service("leaky").unwrap().first_oom_s.unwrap();
        let before: Vec<_> = spans.iter().filter(|(from, _)| *from < oom).collect();
        assert!(!before.is_empty(), "{spans:?}");
        assert!(spans.iter().all(|(a, b)| a <= b));
        let flat = crate::simulate(&crate::presets::load("not-growing-flag-off").unwrap());
        assert!(super::at_limit_spans(&flat, "checkout", 0.98).is_empty());
    }

    use super::*;
    use crate::presets;

    #[test]
    fn notable_moments_include_the_oom_kills_in_order() {
        let sc = presets::load("checkout-spike").unwrap();
        let t = crate::simulate(&sc);
        let times = notable_times(&t);
        assert!(times.windows(2).all(|w| w[0] < w[1]));
        let oom = t
            .events
            .iter()
            .find(|e| e.reason == "OOMKilled")
            .unwrap()
            .at_us;
        assert!(times.contains(&oom));
        assert!(next_notable(&t, oom - 1).unwrap() <= oom);
        let after = next_notable(&t, oom).unwrap();
        assert!(after > oom);
        assert_eq!(next_notable(&t, u64::MAX), None);
    }

    #[test]
    fn values_and_pods_at_a_scrub_time() {
        let sc = presets::load("checkout-spike").unwrap();
        let t = crate::simulate(&sc);
        let ws = value_at(&t, m::WORKING_SET.name, "checkout", SimTime::from_secs(20)).unwrap();
        assert!(ws > 4.0 * 1048576.0 && ws < 9.0 * 1048576.0);
        assert!(value_at(&t, "no.such.series", "checkout", SimTime::from_secs(20)).is_none());
        let pods = pods_at(&t, SimTime::from_secs(20));
        assert_eq!(pods.len(), 2);
        assert!(pods.iter().all(|p| p.status == "Running"));
        let early = events_until(&t, SimTime::from_secs(35), 10);
        assert!(early.iter().all(|e| e.at_us <= 35_000_000));
    }

    #[test]
    fn tracemalloc_view_follows_the_scrub_time() {
        let sc = presets::load("python-leaks").unwrap();
        let t = crate::simulate(&sc);
        let before = allocation_sites_at(&t, &sc, "leaky", SimTime::from_secs(60));
        assert!(!before.iter().any(|s| s.site.contains("response_cache")));
        let during = allocation_sites_at(&t, &sc, "leaky", SimTime::from_secs(330));
        assert!(during[0].site.contains("response_cache"), "{:?}", during[0]);
    }

    #[test]
    fn headlines_say_what_the_preset_is_about() {
        let h = headline(&crate::simulate(&presets::load("checkout-spike").unwrap()));
        let after_s: f64 = h
            .strip_prefix("checkout OOM-killed ")
            .and_then(|rest| rest.split('s').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{h}"));
        assert!((15.0..=30.0).contains(&after_s), "{h}");
        let h = headline(&crate::simulate(
            &presets::load("sockshop-healthy").unwrap(),
        ));
        assert!(h.starts_with("healthy; P95"), "{h}");
        let h = headline(&crate::simulate(&presets::load("sockshop-hybrid").unwrap()));
        assert!(h.contains("front-end crash-looping"), "{h}");
    }

    #[test]
    fn focus_follows_the_controls() {
        assert_eq!(
            focus_service(&presets::load("checkout-gradual").unwrap()),
            "checkout"
        );
        assert_eq!(
            focus_service(&presets::load("sockshop-hybrid").unwrap()),
            "front-end"
        );
        assert_eq!(
            focus_service(&presets::load("python-leaks").unwrap()),
            "leaky"
        );
    }

    #[test]
    fn downsampling_keeps_peaks_and_gaps() {
        let times: Vec<f64> = (0..10_000).map(|i| i as f64).collect();
        let mut values: Vec<Option<f64>> = (0..10_000).map(|i| Some((i % 100) as f64)).collect();
        values[5_000] = Some(1_000.0);
        values[7_000] = None;
        let d = downsample(&times, &values, 200);
        assert!(d.len() <= 600);
        assert!(
            d.iter().any(|(_, v)| *v == Some(1_000.0)),
            "the spike survives"
        );
        assert!(d.iter().any(|(_, v)| v.is_none()), "the gap survives");
        assert!(d.windows(2).all(|w| w[0].0 <= w[1].0), "time stays ordered");
        let small = downsample(&times[..10], &values[..10], 200);
        assert_eq!(small.len(), 10);
    }

    #[test]
    fn sliced_runs_equal_whole_runs() {
        let sc = presets::load("sockshop-hybrid").unwrap();
        let whole = crate::simulate(&sc);
        let mut world = crate::engine::World::new(&sc);
        let mut slices = 0;
        while !world.advance(7_919) {
            slices += 1;
        }
        assert!(slices > 10);
        assert_eq!(
            world.into_trace().summary.trace_hash,
            whole.summary.trace_hash
        );
    }
}

/// Axis ticks between `lo` and `hi`: about `target` values on a 1-2-5 grid,
/// all inside the range. Empty for an empty or non-finite range.
pub fn nice_ticks(lo: f64, hi: f64, target: usize) -> Vec<f64> {
    if !(lo.is_finite() && hi.is_finite()) || hi <= lo || target == 0 {
        return Vec::new();
    }
    let rough = (hi - lo) / target as f64;
    let magnitude = libm::pow(10.0, libm::floor(libm::log10(rough)));
    // The finest 1-2-5 step that gives no more than 1.5 × target ticks.
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|s| *s * 1.5 >= rough)
        .unwrap_or(10.0 * magnitude);
    tick_range(lo, hi, step)
}

/// Time-axis ticks in seconds, on steps a clock reads well (15 s, 1 min,
/// 5 min, 1 h …), about `target` of them.
pub fn time_ticks(max_s: f64, target: usize) -> Vec<f64> {
    const STEPS_S: [f64; 15] = [
        1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0, 7200.0,
        21600.0,
    ];
    if !max_s.is_finite() || max_s <= 0.0 || target == 0 {
        return Vec::new();
    }
    let rough = max_s / target as f64;
    let step = STEPS_S
        .into_iter()
        .find(|s| *s >= rough)
        .unwrap_or(STEPS_S[STEPS_S.len() - 1]);
    tick_range(0.0, max_s, step)
}

fn tick_range(lo: f64, hi: f64, step: f64) -> Vec<f64> {
    // Bounded: a step always gives at most a few dozen ticks here.
    let first = libm::ceil(lo / step - 1e-9);
    (0..64)
        .map(|i| (first + i as f64) * step)
        .take_while(|v| *v <= hi + step * 1e-9)
        .collect()
}

#[cfg(test)]
mod tick_tests {
    use super::*;

    #[test]
    fn ticks_fall_on_round_values_inside_the_range() {
        assert_eq!(nice_ticks(0.0, 21.6, 4), [0.0, 5.0, 10.0, 15.0, 20.0]);
        let t = nice_ticks(0.0, 1.08, 4);
        assert_eq!((t.len(), t[1], t[5]), (6, 0.2, 1.0));
        let t = nice_ticks(0.0, 23_000_000.0, 4);
        assert!(t.len() >= 3 && t.len() <= 6, "{t:?}");
        assert!(t.iter().all(|v| *v <= 23_000_000.0));
        assert!(nice_ticks(1.0, 1.0, 4).is_empty());
        assert!(nice_ticks(0.0, f64::NAN, 4).is_empty());
    }

    #[test]
    fn time_ticks_read_like_a_clock() {
        assert_eq!(
            time_ticks(300.0, 7),
            [0.0, 60.0, 120.0, 180.0, 240.0, 300.0]
        );
        assert_eq!(time_ticks(1200.0, 7)[1], 300.0);
        assert_eq!(time_ticks(90.0, 7)[1], 15.0);
        assert!(time_ticks(0.0, 7).is_empty());
    }
}
