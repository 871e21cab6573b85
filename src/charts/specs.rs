//! What each chart shows, built from traces. Plain data, tested natively.

use super::{
    Band, Body, ChartSpec, HLine, Line, Marker, MarkerKind, Panel, Rgb, Status, StripRow, Theme,
    Unit,
};
use incident_core::alerts::Rule;
use incident_core::metrics as m;
use incident_core::telemetry::PodStatus;
use incident_core::view::downsample;
use incident_core::Trace;

pub struct Inputs<'a> {
    pub trace: &'a Trace,
    pub pinned: Option<&'a Trace>,
    pub imported: Option<&'a Trace>,
    pub theme: &'a Theme,
    /// Plot width in CSS pixels: two points per pixel at most.
    pub buckets: usize,
    /// Show the run on screen only up to here (seconds); pinned and
    /// imported runs are the learner's own and stay whole.
    pub until_s: Option<f64>,
}

fn times(trace: &Trace) -> Vec<f64> {
    trace
        .sample_times_us
        .iter()
        .map(|t| *t as f64 / 1e6)
        .collect()
}

/// A series, downsampled; empty when the trace does not have it.
pub fn points(trace: &Trace, name: &str, service: &str, buckets: usize) -> Vec<(f64, Option<f64>)> {
    match trace.find_series(name, service) {
        Some(s) => downsample(&times(trace), &s.values, buckets),
        None => Vec::new(),
    }
}

/// A series of the run on screen, cut at `until_s`.
fn own(inputs: &Inputs, name: &str, service: &str) -> Vec<(f64, Option<f64>)> {
    cut(
        points(inputs.trace, name, service, inputs.buckets),
        inputs.until_s,
    )
}

/// Points after `until_s` dropped.
fn cut(mut points: Vec<(f64, Option<f64>)>, until_s: Option<f64>) -> Vec<(f64, Option<f64>)> {
    if let Some(until) = until_s {
        points.retain(|(t, _)| *t <= until);
    }
    points
}

fn line(label: &str, color: Rgb, points: Vec<(f64, Option<f64>)>) -> Line {
    Line {
        label: label.to_string(),
        color,
        points,
        dashed: false,
        width: 2,
    }
}

/// A panel of lines only: no thresholds or bands, a linear axis that fits
/// the data.
fn panel(title: &str, unit: Unit, lines: Vec<Line>) -> Panel {
    Panel {
        title: title.to_string(),
        unit,
        lines,
        hlines: Vec::new(),
        bands: Vec::new(),
        y_max: None,
        log: false,
    }
}

fn overlay_lines(inputs: &Inputs, name: &str, service: &str, label: &str, into: &mut Vec<Line>) {
    if let Some(p) = inputs.pinned {
        let pts = points(p, name, service, inputs.buckets);
        if !pts.is_empty() {
            into.push(Line {
                label: format!("{label} (pinned)"),
                color: inputs.theme.pinned,
                points: pts,
                dashed: true,
                width: 2,
            });
        }
    }
    if let Some(r) = inputs.imported {
        let pts = points(r, name, service, inputs.buckets);
        if !pts.is_empty() {
            into.push(Line {
                label: format!("{label} (real)"),
                color: inputs.theme.imported,
                points: pts,
                dashed: true,
                width: 2,
            });
        }
    }
}

fn x_max(inputs: &Inputs) -> f64 {
    let own = inputs.trace.scenario.duration.as_secs_f64();
    let pinned = inputs
        .pinned
        .map(|p| p.scenario.duration.as_secs_f64())
        .unwrap_or(0.0);
    let real = inputs
        .imported
        .map(|r| r.sample_times_us.last().copied().unwrap_or(0) as f64 / 1e6)
        .unwrap_or(0.0);
    own.max(pinned).max(real)
}

fn oom_times<'a>(trace: &'a Trace, service: &'a str) -> impl Iterator<Item = f64> + 'a {
    let prefix = format!("pod/{service}-");
    trace
        .events
        .iter()
        .filter(move |e| {
            e.reason == "OOMKilled" && (service.is_empty() || e.object.starts_with(&prefix))
        })
        .map(|e| e.at_us as f64 / 1e6)
}

/// OOM kills of the run on screen (up to `until_s`), then of the pinned and
/// imported runs in their own colours.
fn oom_markers(inputs: &Inputs, service: &str) -> Vec<Marker> {
    let theme = inputs.theme;
    let until = inputs.until_s.unwrap_or(f64::INFINITY);
    let mut out: Vec<Marker> = oom_times(inputs.trace, service)
        .filter(|t| *t <= until)
        .map(|at_s| Marker {
            at_s,
            color: theme.oom,
            kind: MarkerKind::Oom,
        })
        .collect();
    for (other, color) in [
        (inputs.pinned, theme.pinned),
        (inputs.imported, theme.imported),
    ] {
        if let Some(other) = other {
            out.extend(oom_times(other, service).map(|at_s| Marker {
                at_s,
                color,
                kind: MarkerKind::OtherOom,
            }));
        }
    }
    out
}

/// When `rules` fired for the service (any service when it is empty), up to
/// `until_s`.
fn alert_markers(inputs: &Inputs, service: &str, rules: &[Rule]) -> Vec<Marker> {
    let until = inputs.until_s.unwrap_or(f64::INFINITY);
    inputs
        .trace
        .alerts
        .iter()
        .filter(|a| (service.is_empty() || a.service == service) && rules.contains(&a.rule))
        .map(|a| a.at_us as f64 / 1e6)
        .filter(|t| *t <= until)
        .map(|at_s| Marker {
            at_s,
            color: inputs.theme.warning,
            kind: MarkerKind::Alert,
        })
        .collect()
}

/// The alerts the memory chart marks; latency alerts mark the latency chart.
const MEMORY_RULES: [Rule; 4] = [
    Rule::MemoryUtilizationWarning,
    Rule::MemoryUtilizationCritical,
    Rule::MemoryGrowthRate,
    Rule::OomPredicted,
];

/// Within 2 % of the limit counts as at it (the model's reclaim keeps the
/// working set just under the limit; 5 s samples land within that).
const AT_LIMIT_RATIO: f64 = 0.98;

/// A service's memory limit in bytes; 0 when the scenario has no such
/// service.
fn memory_limit(trace: &Trace, service: &str) -> f64 {
    trace
        .scenario
        .services
        .get(service)
        .map(|s| s.memory_limit.as_f64())
        .unwrap_or(0.0)
}

/// The limit and the utilization alerts' thresholds under it.
fn limit_lines(inputs: &Inputs, limit: f64) -> Vec<HLine> {
    let theme = inputs.theme;
    let alerts = &inputs.trace.scenario.alerts;
    vec![
        HLine {
            value: limit,
            color: theme.critical,
            label: format!("limit {}", crate::format::bytes(limit)),
        },
        HLine {
            value: limit * alerts.utilization_critical,
            color: theme.critical,
            label: format!("{:.0} % critical", alerts.utilization_critical * 100.0),
        },
        HLine {
            value: limit * alerts.utilization_warning,
            color: theme.warning,
            label: format!("{:.0} % warning", alerts.utilization_warning * 100.0),
        },
    ]
}

/// Parked at the limit without a kill: the kernel reclaiming page cache.
fn at_limit_bands(inputs: &Inputs, service: &str) -> Vec<Band> {
    let until = inputs.until_s.unwrap_or(f64::INFINITY);
    incident_core::view::at_limit_spans(inputs.trace, service, AT_LIMIT_RATIO)
        .into_iter()
        .filter(|(from, _)| *from <= until)
        .map(|(from_s, to_s)| Band {
            from_s,
            to_s: to_s.min(until),
            color: inputs.theme.warning,
            label: "at the limit: the kernel reclaims page cache".into(),
        })
        .collect()
}

pub fn memory(inputs: &Inputs, service: &str) -> ChartSpec {
    let limit = memory_limit(inputs.trace, service);
    let mut lines = vec![line(
        "working set",
        inputs.theme.series[0],
        own(inputs, m::WORKING_SET.name, service),
    )];
    overlay_lines(
        inputs,
        m::WORKING_SET.name,
        service,
        "working set",
        &mut lines,
    );
    let mut markers = oom_markers(inputs, service);
    markers.extend(alert_markers(inputs, service, &MEMORY_RULES));
    ChartSpec {
        x_max_s: x_max(inputs),
        hidden_from_s: inputs.until_s,
        body: Body::Panels(vec![Panel {
            hlines: limit_lines(inputs, limit),
            bands: at_limit_bands(inputs, service),
            y_max: Some(limit * 1.05),
            ..panel(&format!("{service} working set"), Unit::Bytes, lines)
        }]),
        markers,
    }
}

/// GC cycles per minute from the cumulative count.
fn per_minute(points: &[(f64, Option<f64>)]) -> Vec<(f64, Option<f64>)> {
    let mut out = Vec::with_capacity(points.len());
    let mut previous: Option<(f64, f64)> = None;
    for &(t, v) in points {
        match (v, previous) {
            (Some(v), Some((pt, pv))) if t > pt && v >= pv => {
                out.push((t, Some((v - pv) / (t - pt) * 60.0)))
            }
            (Some(_), _) => out.push((t, None)),
            (None, _) => out.push((t, None)),
        }
        previous = v.map(|v| (t, v));
    }
    out
}

/// The heap and the GC's goal for it, with the heap of the overlaid runs.
fn heap_lines(inputs: &Inputs, service: &str) -> Vec<Line> {
    let theme = inputs.theme;
    let mut heap = vec![
        line(
            "heap_alloc",
            theme.series[0],
            own(inputs, m::GO_HEAP_ALLOC.name, service),
        ),
        Line {
            dashed: true,
            width: 1,
            ..line(
                "heap goal",
                theme.series[1],
                own(inputs, m::GO_GC_GOAL.name, service),
            )
        },
    ];
    overlay_lines(
        inputs,
        m::GO_HEAP_ALLOC.name,
        service,
        "heap_alloc",
        &mut heap,
    );
    heap
}

fn goroutine_lines(inputs: &Inputs, service: &str) -> Vec<Line> {
    let mut goroutines = vec![line(
        "goroutines",
        inputs.theme.series[2],
        own(inputs, m::GO_GOROUTINES.name, service),
    )];
    overlay_lines(
        inputs,
        m::GO_GOROUTINES.name,
        service,
        "goroutines",
        &mut goroutines,
    );
    goroutines
}

/// GC cycles per minute: from the full-resolution count, per minute, then
/// downsampled.
fn gc_rate_lines(inputs: &Inputs, service: &str) -> Vec<Line> {
    let t = inputs.trace;
    let gc_full: Vec<(f64, Option<f64>)> = match t.find_series(m::GO_GC_COUNT.name, service) {
        Some(s) => times(t).into_iter().zip(s.values.iter().copied()).collect(),
        None => Vec::new(),
    };
    let rate = per_minute(&gc_full);
    let (tt, vv): (Vec<f64>, Vec<Option<f64>>) = rate.into_iter().unzip();
    vec![line(
        "GC cycles per minute",
        inputs.theme.series[3],
        cut(downsample(&tt, &vv, inputs.buckets), inputs.until_s),
    )]
}

/// GOMEMLIMIT, when the service sets one.
fn gomemlimit_lines(inputs: &Inputs, service: &str) -> Vec<HLine> {
    inputs
        .trace
        .scenario
        .services
        .get(service)
        .and_then(|s| s.go.as_ref())
        .and_then(|g| g.gomemlimit)
        .map(|l| l.as_f64())
        .map(|l| {
            vec![HLine {
                value: l,
                color: inputs.theme.warning,
                label: format!("GOMEMLIMIT {}", crate::format::bytes(l)),
            }]
        })
        .unwrap_or_default()
}

pub fn go(inputs: &Inputs, service: &str) -> ChartSpec {
    ChartSpec {
        x_max_s: x_max(inputs),
        hidden_from_s: inputs.until_s,
        body: Body::Panels(vec![
            Panel {
                hlines: gomemlimit_lines(inputs, service),
                ..panel("heap", Unit::Bytes, heap_lines(inputs, service))
            },
            panel("goroutines", Unit::Count, goroutine_lines(inputs, service)),
            panel("GC per minute", Unit::Count, gc_rate_lines(inputs, service)),
        ]),
        markers: oom_markers(inputs, service),
    }
}

pub fn latency(inputs: &Inputs) -> ChartSpec {
    let theme = inputs.theme;
    let svc = m::LOAD_GENERATOR;
    let mut lines = vec![
        line("P50", theme.series[2], own(inputs, m::LOCUST_P50.name, svc)),
        line("P95", theme.series[1], own(inputs, m::LOCUST_P95.name, svc)),
        line("P99", theme.series[3], own(inputs, m::LOCUST_P99.name, svc)),
    ];
    overlay_lines(inputs, m::LOCUST_P95.name, svc, "P95", &mut lines);
    ChartSpec {
        x_max_s: x_max(inputs),
        hidden_from_s: inputs.until_s,
        body: Body::Panels(vec![Panel {
            log: true,
            ..panel("latency", Unit::Millis, lines)
        }]),
        markers: {
            let mut m = oom_markers(inputs, "");
            m.extend(alert_markers(inputs, "", &[Rule::LatencyP95High]));
            m
        },
    }
}

pub fn requests(inputs: &Inputs) -> ChartSpec {
    let theme = inputs.theme;
    let svc = m::LOAD_GENERATOR;
    let mut lines = vec![
        line(
            "requests/s",
            theme.series[0],
            own(inputs, m::LOCUST_REQUEST_RATE.name, svc),
        ),
        line(
            "failures/s",
            theme.critical,
            own(inputs, m::LOCUST_FAILURE_RATE.name, svc),
        ),
    ];
    overlay_lines(
        inputs,
        m::LOCUST_REQUEST_RATE.name,
        svc,
        "requests/s",
        &mut lines,
    );
    ChartSpec {
        x_max_s: x_max(inputs),
        hidden_from_s: inputs.until_s,
        body: Body::Panels(vec![panel("rate", Unit::PerSecond, lines)]),
        markers: vec![],
    }
}

pub fn node(inputs: &Inputs, service: &str) -> ChartSpec {
    let theme = inputs.theme;
    let lag = vec![line(
        "event-loop lag",
        theme.series[1],
        own(inputs, m::NODE_LOOP_LAG.name, service),
    )];
    let conns = vec![line(
        "open connections",
        theme.series[0],
        own(inputs, m::OPEN_CONNECTIONS.name, service),
    )];
    ChartSpec {
        x_max_s: x_max(inputs),
        hidden_from_s: inputs.until_s,
        body: Body::Panels(vec![
            Panel {
                hlines: vec![HLine {
                    value: 1000.0,
                    color: theme.critical,
                    label: "probe timeout 1 s".into(),
                }],
                ..panel("lag", Unit::Millis, lag)
            },
            panel("connections", Unit::Count, conns),
        ]),
        markers: vec![],
    }
}

pub fn python(inputs: &Inputs, service: &str) -> ChartSpec {
    let theme = inputs.theme;
    let lines = vec![
        line(
            "cache",
            theme.series[0],
            own(inputs, m::LEAK_CACHE_BYTES.name, service),
        ),
        line(
            "listeners",
            theme.series[1],
            own(inputs, m::LEAK_LISTENERS_BYTES.name, service),
        ),
        line(
            "history",
            theme.series[2],
            own(inputs, m::LEAK_HISTORY_BYTES.name, service),
        ),
        Line {
            dashed: true,
            ..line(
                "unreachable cycles",
                theme.series[3],
                own(inputs, m::LEAK_CYCLES_BYTES.name, service),
            )
        },
    ];
    ChartSpec {
        x_max_s: x_max(inputs),
        hidden_from_s: inputs.until_s,
        body: Body::Panels(vec![panel("leaks", Unit::Bytes, lines)]),
        markers: oom_markers(inputs, service),
    }
}

pub fn postgres(inputs: &Inputs) -> ChartSpec {
    let theme = inputs.theme;
    let mut disk = vec![
        line(
            "table",
            theme.series[0],
            own(inputs, m::DB_SIZE.name, "postgresql"),
        ),
        line(
            "WAL",
            theme.series[1],
            own(inputs, m::WAL_SIZE.name, "postgresql"),
        ),
    ];
    overlay_lines(inputs, m::DB_SIZE.name, "postgresql", "table", &mut disk);
    let iops = vec![line(
        "write IOPS",
        theme.series[2],
        own(inputs, m::WRITE_IOPS.name, "postgresql"),
    )];
    let lag = vec![line(
        "fraud-detection lag",
        theme.series[3],
        own(inputs, m::CONSUMER_LAG.name, "fraud-detection"),
    )];
    ChartSpec {
        x_max_s: x_max(inputs),
        hidden_from_s: inputs.until_s,
        body: Body::Panels(vec![
            panel("disk", Unit::Bytes, disk),
            panel("iops", Unit::PerSecond, iops),
            panel("lag", Unit::Count, lag),
        ]),
        markers: vec![],
    }
}

fn status_of(s: PodStatus, ready: bool) -> Status {
    match s {
        PodStatus::Running if ready => Status::Running,
        PodStatus::Running => Status::NotReady,
        PodStatus::ContainerCreating => Status::Creating,
        PodStatus::OOMKilled | PodStatus::Error => Status::Killed,
        PodStatus::CrashLoopBackOff => Status::BackOff,
        PodStatus::Terminating | PodStatus::Completed => Status::Gone,
    }
}

pub fn pods(inputs: &Inputs) -> ChartSpec {
    let t = inputs.trace;
    let end = t.scenario.duration.as_secs_f64();
    let until = inputs.until_s.unwrap_or(f64::INFINITY);
    let rows = t
        .pods
        .iter()
        // A pod created after the cutoff is part of the hidden future.
        .filter(|p| {
            p.changes
                .first()
                .is_none_or(|c| c.at_us as f64 / 1e6 <= until)
        })
        .map(|p| {
            let mut spans = Vec::new();
            let mut restarts = Vec::new();
            let mut previous_restarts = 0;
            let stop = p
                .deleted_us
                .map(|d| d as f64 / 1e6)
                .unwrap_or(end)
                .min(until);
            for (i, c) in p.changes.iter().enumerate() {
                let from = c.at_us as f64 / 1e6;
                if from > until {
                    break;
                }
                let to = p
                    .changes
                    .get(i + 1)
                    .map(|n| n.at_us as f64 / 1e6)
                    .unwrap_or(stop)
                    .min(stop);
                if to > from || i + 1 == p.changes.len() {
                    spans.push((from, to.max(from), status_of(c.status, c.ready)));
                }
                if c.restarts > previous_restarts {
                    restarts.push(from);
                }
                previous_restarts = c.restarts;
            }
            // kubectl-style short name: service plus the pod suffix.
            let suffix = p.name.rsplit('-').next().unwrap_or("");
            StripRow {
                label: format!("{}-…{suffix}", p.service),
                spans,
                restarts,
            }
        })
        .collect();
    ChartSpec {
        x_max_s: x_max(inputs),
        hidden_from_s: inputs.until_s,
        body: Body::Strip(rows),
        markers: vec![],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::charts::registry::charts_for;
    use crate::charts::LIGHT;
    use incident_core::{presets, simulate};

    #[test]
    fn every_chart_of_every_preset_has_data() {
        for name in presets::names() {
            let sc = presets::load(name).unwrap();
            let trace = simulate(&sc);
            let inputs = Inputs {
                trace: &trace,
                pinned: None,
                imported: None,
                theme: &LIGHT,
                buckets: 300,
                until_s: None,
            };
            let service = incident_core::view::focus_service(&sc);
            for kind in charts_for(&sc) {
                let spec = kind.build(&inputs, &service);
                match &spec.body {
                    Body::Panels(panels) => {
                        for p in panels {
                            assert!(
                                p.lines
                                    .iter()
                                    .any(|l| l.points.iter().any(|(_, v)| v.is_some()))
                                    || ["postgres", "latency", "requests"].contains(&kind.id),
                                "{name}/{kind:?}/{} empty",
                                p.title
                            );
                            for l in &p.lines {
                                assert!(
                                    l.points.len() <= 600 + 300,
                                    "{name}/{kind:?}: downsampled"
                                );
                            }
                        }
                    }
                    Body::Strip(rows) => assert!(!rows.is_empty()),
                }
                assert!(spec.x_max_s > 0.0);
            }
        }
    }

    #[test]
    fn memory_chart_marks_ooms_and_thresholds() {
        let sc = presets::load("checkout-spike").unwrap();
        let trace = simulate(&sc);
        let inputs = Inputs {
            trace: &trace,
            pinned: Some(&trace),
            imported: None,
            theme: &LIGHT,
            buckets: 200,
            until_s: None,
        };
        let spec = memory(&inputs, "checkout");
        assert!(!spec.markers.is_empty());
        let Body::Panels(panels) = spec.body else {
            panic!()
        };
        assert_eq!(panels[0].hlines.len(), 3);
        assert!(panels[0]
            .lines
            .iter()
            .any(|l| l.label.contains("pinned") && l.dashed));
    }

    #[test]
    fn gc_rate_comes_from_the_cumulative_count() {
        let pts = vec![
            (0.0, Some(0.0)),
            (60.0, Some(10.0)),
            (120.0, Some(40.0)),
            (180.0, None),
            (240.0, Some(2.0)),
        ];
        let r = per_minute(&pts);
        assert_eq!(r[1].1, Some(10.0));
        assert_eq!(r[2].1, Some(30.0));
        assert_eq!(r[3].1, None);
        assert_eq!(
            r[4].1, None,
            "a restart resets the count: no rate across it"
        );
    }

    #[test]
    fn pods_strip_shows_the_crash_loop() {
        // The crash loop at the seed's pace (sockshop-hybrid, on the manifest's
        // 300 s liveness delay, restarts twice).
        let sc = presets::load("sockshop-hybrid-seed-probes").unwrap();
        let trace = simulate(&sc);
        let inputs = Inputs {
            trace: &trace,
            pinned: None,
            imported: None,
            theme: &LIGHT,
            buckets: 200,
            until_s: None,
        };
        let Body::Strip(rows) = pods(&inputs).body else {
            panic!()
        };
        let fe = rows
            .iter()
            .find(|r| r.label.starts_with("front-end"))
            .unwrap();
        assert!(fe.restarts.len() >= 4);
        assert!(fe
            .spans
            .iter()
            .any(|s| s.2 == Status::Killed || s.2 == Status::BackOff));
    }
}
