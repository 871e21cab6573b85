//! The partial trace a real run appends as it goes (`OUT.partial.jsonl`),
//! and reading it back as a [`Trace`] marked partial.
//!
//! One JSON object a line: a header with the whole scenario, then samples
//! (`t_us` and every series' value), events and the moment the load
//! started, in the order they happened. A run that dies, loses its disk or
//! is killed leaves this file; `compare` and the app read it like a whole
//! trace. What a partial file cannot hold, it does not invent: the summary
//! is rebuilt from the samples and the events (restarts, OOM kills, peaks,
//! request counts), and the request latencies, kept only in memory by the
//! run, are left empty.

use crate::metrics;
use crate::scenario::{Scenario, ServiceSpec};
use crate::telemetry::{EventType, LogEvent, Series, MAX_LOG_EVENTS};
use crate::trace::{RequestSummary, ServiceSummary, Summary, Trace, TRACE_FORMAT};
use serde_json::{json, Value};

pub const PARTIAL_FORMAT: &str = "incident-trace-partial/1";

/// Series a partial file may name (the harness records about 20).
const MAX_SERIES: usize = 256;

/// The first line: what was run.
pub fn header_line(sc: &Scenario) -> String {
    let scenario = crate::json::parse(&sc.to_json()).unwrap_or(Value::Null);
    let header = json!({ "format": PARTIAL_FORMAT, "source": "harness", "scenario": scenario });
    crate::json::to_compact(&header)
}

/// One sample: the value of every series at `index`.
pub fn sample_line(t_us: u64, series: &[Series], index: usize) -> String {
    let values: Vec<Value> = series
        .iter()
        .map(|s| {
            json!([
                s.name,
                s.service,
                s.unit,
                s.values.get(index).copied().flatten()
            ])
        })
        .collect();
    crate::json::to_compact(&json!({ "t_us": t_us, "values": values }))
}

/// One event, with the service it is about (when it is about one).
pub fn event_line(e: &LogEvent, service: Option<&str>) -> String {
    let line = json!({
        "t_us": e.at_us, "type": e.kind.as_str(), "object": e.object,
        "reason": e.reason, "message": e.message, "service": service,
    });
    crate::json::to_compact(&line)
}

/// The moment the load first started.
pub fn load_started_line(t_us: u64) -> String {
    crate::json::to_compact(&json!({ "t_us": t_us, "load_started": true }))
}

/// Whether `text` is a partial trace (its first line says so).
pub fn is_partial(text: &str) -> bool {
    let first = text.lines().next().unwrap_or("");
    first.contains(PARTIAL_FORMAT)
        && crate::json::parse(first)
            .ok()
            .and_then(|v| v.get("format").and_then(Value::as_str).map(String::from))
            .is_some_and(|f| f == PARTIAL_FORMAT)
}

/// What the lines add up to, before the summary is rebuilt.
#[derive(Default)]
struct Lines {
    times: Vec<u64>,
    series: Vec<Series>,
    events: Vec<(LogEvent, Option<String>)>,
    load_started_us: Option<u64>,
}

/// Reads a partial trace. A last line cut off mid-write (the run died while
/// writing it) is dropped; any other bad line is an error that names it.
pub fn import_partial(text: &str) -> Result<Trace, String> {
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let (_, first) = lines.next().ok_or("the partial trace is empty")?;
    let header = crate::json::parse(first).map_err(|e| format!("line 1: not JSON ({e})"))?;
    let scenario = crate::trace::scenario_of(&header).map_err(|p| format!("line 1: {p}"))?;
    let all: Vec<(usize, &str)> = lines.collect();
    let mut read = Lines::default();
    for (i, (n, line)) in all.iter().enumerate() {
        let last = i + 1 == all.len();
        match crate::json::parse(line) {
            Ok(value) => {
                read_line(&mut read, &value).map_err(|e| format!("line {}: {e}", n + 1))?
            }
            Err(_) if last => break,
            Err(e) => return Err(format!("line {}: not JSON ({e})", n + 1)),
        }
    }
    Ok(assemble(scenario, read))
}

fn read_line(read: &mut Lines, v: &Value) -> Result<(), String> {
    let t_us = v
        .get("t_us")
        .and_then(Value::as_u64)
        .ok_or("`t_us` must be a whole number of microseconds")?;
    if let Some(values) = v.get("values") {
        return read_sample(read, t_us, values);
    }
    if v.get("load_started").is_some() {
        read.load_started_us.get_or_insert(t_us);
        return Ok(());
    }
    if v.get("reason").is_some() {
        return read_event(read, t_us, v);
    }
    Err("expected a sample (`values`), an event (`reason`) or `load_started`".into())
}

fn read_sample(read: &mut Lines, t_us: u64, values: &Value) -> Result<(), String> {
    if read.times.last().is_some_and(|&last| t_us < last) {
        return Err(format!("sample at {t_us} µs comes before the one above it"));
    }
    read.times.push(t_us);
    let n = read.times.len();
    let values = values.as_array().ok_or("`values` must be an array")?;
    for entry in values {
        let parts = entry.as_array().filter(|p| p.len() == 4);
        let parts = parts.ok_or("each value is [name, service, unit, value]")?;
        let text = |i: usize| parts[i].as_str().unwrap_or("").to_string();
        let (name, service) = (text(0), text(1));
        let at = match read
            .series
            .iter()
            .position(|s| s.name == name && s.service == service)
        {
            Some(at) => at,
            None if read.series.len() >= MAX_SERIES => {
                return Err(format!("more than {MAX_SERIES} series"))
            }
            None => {
                let values = vec![None; n - 1];
                read.series.push(Series {
                    name,
                    service,
                    unit: text(2),
                    values,
                });
                read.series.len() - 1
            }
        };
        let value = parts[3].as_f64().filter(|x| x.is_finite() && *x >= 0.0);
        let s = &mut read.series[at];
        s.values.resize(n - 1, None);
        s.values.push(value);
    }
    for s in &mut read.series {
        s.values.resize(n, None);
    }
    Ok(())
}

fn read_event(read: &mut Lines, t_us: u64, v: &Value) -> Result<(), String> {
    let text = |key: &str| v.get(key).and_then(Value::as_str).unwrap_or("").to_string();
    let kind_text = text("type");
    let kind = EventType::ALL
        .into_iter()
        .find(|k| k.as_str() == kind_text)
        .unwrap_or_default();
    if read.events.len() < MAX_LOG_EVENTS {
        let event = LogEvent {
            at_us: t_us,
            kind,
            object: text("object"),
            reason: text("reason"),
            message: text("message"),
        };
        let service = v.get("service").and_then(Value::as_str).map(String::from);
        read.events.push((event, service));
    }
    Ok(())
}

fn assemble(scenario: Scenario, read: Lines) -> Trace {
    let summary = summary_of(&scenario, &read);
    let mut trace = Trace {
        format: TRACE_FORMAT.to_string(),
        source: "harness".to_string(),
        scenario,
        sample_times_us: read.times,
        series: read.series,
        pods: Vec::new(),
        events: read.events.into_iter().map(|(e, _)| e).collect(),
        alerts: Vec::new(),
        summary,
    };
    trace.summary.trace_hash = trace.compute_hash();
    trace
}

fn summary_of(sc: &Scenario, read: &Lines) -> Summary {
    let end_us = read.times.last().copied().unwrap_or(0);
    let services = sc
        .services
        .iter()
        .filter(|(name, _)| read.series.iter().any(|s| &s.service == *name))
        .map(|(name, spec)| service_of(name, spec, read))
        .collect();
    Summary {
        scenario: sc.name.clone(),
        trace_hash: String::new(),
        seed: sc.seed,
        duration_s: end_us as f64 / 1e6,
        load_started_s: read.load_started_us.map(|t| t as f64 / 1e6),
        services,
        requests: requests_of(read),
        alerts: Vec::new(),
        events_processed: 0,
        partial: true,
    }
}

fn series<'a>(read: &'a Lines, metric: &metrics::Metric, service: &str) -> Option<&'a Series> {
    read.series
        .iter()
        .find(|s| s.name == metric.name && s.service == service)
}

fn service_of(name: &str, spec: &ServiceSpec, read: &Lines) -> ServiceSummary {
    let limit_bytes = spec.memory_limit.0 as f64;
    let about = |reason: &'static str| {
        read.events
            .iter()
            .filter(move |(e, s)| s.as_deref() == Some(name) && e.reason == reason)
            .map(|(e, _)| e)
    };
    let oom_kills = about("OOMKilled").count() as u64;
    let last =
        |metric| series(read, metric, name).and_then(|s| s.values.iter().rev().find_map(|v| *v));
    let peak = series(read, &metrics::WORKING_SET, name)
        .map(|s| s.values.iter().flatten().fold(0.0_f64, |a, &b| a.max(b)))
        .unwrap_or(0.0);
    // The kernel kills when a charge would pass the limit (as a whole run counts it).
    let peak = if oom_kills > 0 {
        peak.max(limit_bytes)
    } else {
        peak
    };
    ServiceSummary {
        name: name.to_string(),
        kind: spec.kind.as_str().to_string(),
        first_oom_s: about("OOMKilled").next().map(|e| e.at_us as f64 / 1e6),
        restarts: last(&metrics::RESTARTS).unwrap_or(0.0) as u64,
        oom_kills,
        crashes: about("Error").count() as u64,
        liveness_kills: 0,
        peak_working_set_bytes: peak,
        peak_utilization: if limit_bytes > 0.0 {
            peak / limit_bytes
        } else {
            0.0
        },
        memory_bytes_limit: limit_bytes,
    }
}

/// Request counts from Locust's per-sample rates; latencies are not kept.
fn requests_of(read: &Lines) -> RequestSummary {
    let lg = metrics::LOAD_GENERATOR;
    let total = |metric| -> f64 {
        let Some(s) = series(read, metric, lg) else {
            return 0.0;
        };
        read.times
            .windows(2)
            .zip(s.values.iter().skip(1))
            .map(|(t, v)| v.unwrap_or(0.0) * (t[1] - t[0]) as f64 / 1e6)
            .sum()
    };
    let succeeded = total(&metrics::LOCUST_REQUEST_RATE).round() as u64;
    let failed = total(&metrics::LOCUST_FAILURE_RATE).round() as u64;
    let completed = succeeded + failed;
    let load_s = read.load_started_us.map(|start| {
        (read
            .times
            .last()
            .copied()
            .unwrap_or(start)
            .saturating_sub(start) as f64
            / 1e6)
            .max(1.0)
    });
    RequestSummary {
        issued: completed,
        succeeded,
        failed,
        rate_per_s: load_s.map(|s| completed as f64 / s).unwrap_or(0.0),
        failure_ratio: if completed > 0 {
            failed as f64 / completed as f64
        } else {
            0.0
        },
        ..RequestSummary::default()
    }
}
