//! A run's complete output and its content hash.
//!
//! The hash reads a canonical stream of 64-bit words of everything the run
//! computed (series values as IEEE bit patterns, pod histories, events and
//! alerts), one multiply a word, and mixes the result at the end. It is
//! the same natively and in the browser because every number in it was
//! computed the same way on both. It is a fingerprint for determinism,
//! not a defence against anyone forging a trace. (It read bytes, FNV-1a,
//! until 2026-12-03: one multiply a byte was 6-19 % of a checkout run.)

use crate::alerts::{AlertFiring, Rule};
use crate::decode::{one_of, Fields, FromValue, Path};
use crate::scenario::{Problem, Problems, Scenario};
use crate::telemetry::{EventType, LogEvent, PodChange, PodStatus, PodTimeline, Series};
use crate::units::SimTime;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

pub mod partial;

pub const TRACE_FORMAT: &str = "incident-trace/1";

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ServiceSummary {
    pub name: String,
    pub kind: String,
    /// Seconds from the start of the run; null when the service never OOMed.
    pub first_oom_s: Option<f64>,
    pub restarts: u64,
    pub oom_kills: u64,
    /// Exits that were not OOM kills (crashes, EMFILE).
    pub crashes: u64,
    pub liveness_kills: u64,
    pub peak_working_set_bytes: f64,
    pub peak_utilization: f64,
    pub memory_bytes_limit: f64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct RequestSummary {
    pub issued: u64,
    pub succeeded: u64,
    pub failed: u64,
    pub in_flight: u64,
    /// Completed requests per second while the load was running.
    pub rate_per_s: f64,
    pub failure_ratio: f64,
    /// Over every response, failed ones included (Locust's statistics).
    pub latency_ms_p50: Option<f64>,
    pub latency_ms_p95: Option<f64>,
    pub latency_ms_p99: Option<f64>,
    /// Over successful responses only.
    pub success_latency_ms_p50: Option<f64>,
    pub success_latency_ms_p95: Option<f64>,
    pub success_latency_ms_p99: Option<f64>,
    pub failures_by_reason: BTreeMap<String, u64>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AlertSummary {
    pub rule: String,
    pub service: String,
    pub at_s: f64,
    pub message: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Summary {
    pub scenario: String,
    pub trace_hash: String,
    pub seed: u64,
    pub duration_s: f64,
    /// When the load first started, in seconds; null when it never did.
    pub load_started_s: Option<f64>,
    pub services: Vec<ServiceSummary>,
    pub requests: RequestSummary,
    pub alerts: Vec<AlertSummary>,
    pub events_processed: u64,
    /// Read from a partial trace (a run that did not finish writing its
    /// own): what it could not keep, request latencies, is empty.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub partial: bool,
}

impl Summary {
    pub fn service(&self, name: &str) -> Option<&ServiceSummary> {
        self.services.iter().find(|s| s.name == name)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Trace {
    pub format: String,
    /// `model` for a simulation, `harness` for a real run.
    pub source: String,
    pub scenario: Scenario,
    pub sample_times_us: Vec<u64>,
    pub series: Vec<Series>,
    pub pods: Vec<PodTimeline>,
    pub events: Vec<LogEvent>,
    pub alerts: Vec<AlertFiring>,
    pub summary: Summary,
}

/// One step a word: rotate, xor, multiply (FxHash's step); `finish` mixes
/// every bit into every other (MurmurHash3's finaliser).
struct WordHasher(u64);

impl WordHasher {
    const SEED: u64 = 0xcbf2_9ce4_8422_2325;
    const K: u64 = 0x517c_c1b7_2722_0a95;

    fn new() -> WordHasher {
        WordHasher(Self::SEED)
    }
    fn u64(&mut self, v: u64) {
        self.0 = (self.0.rotate_left(5) ^ v).wrapping_mul(Self::K);
    }
    /// Eight bytes a word, the last zero-padded: every caller hashes the
    /// length first, so the padding is unambiguous.
    fn bytes(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.u64(u64::from_le_bytes(c.try_into().expect("8 bytes")));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut last = [0u8; 8];
            last[..rest.len()].copy_from_slice(rest);
            self.u64(u64::from_le_bytes(last));
        }
    }
    fn str(&mut self, s: &str) {
        self.u64(s.len() as u64);
        self.bytes(s.as_bytes());
    }
    fn f64(&mut self, v: f64) {
        self.u64(v.to_bits());
    }
    fn finish(&self) -> u64 {
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }
}

impl Trace {
    /// The content hash: 16 hex digits.
    pub fn compute_hash(&self) -> String {
        let mut h = WordHasher::new();
        h.str(&self.format);
        h.str(&self.scenario.name);
        h.u64(self.scenario.seed);
        h.u64(self.sample_times_us.len() as u64);
        for t in &self.sample_times_us {
            h.u64(*t);
        }
        for s in &self.series {
            h.str(&s.name);
            h.str(&s.service);
            h.str(&s.unit);
            for v in &s.values {
                match v {
                    Some(x) => {
                        h.u64(1);
                        h.f64(*x);
                    }
                    None => h.u64(0),
                }
            }
        }
        for p in &self.pods {
            h.str(&p.name);
            h.u64(p.created_us);
            h.u64(p.deleted_us.unwrap_or(u64::MAX));
            for c in &p.changes {
                h.u64(c.at_us);
                h.str(c.status.as_str());
                h.u64(c.ready as u64);
                h.u64(c.restarts as u64);
            }
        }
        for e in &self.events {
            h.u64(e.at_us);
            h.str(&e.object);
            h.str(&e.reason);
            h.str(&e.message);
        }
        for a in &self.alerts {
            h.str(a.rule.as_str());
            h.str(&a.service);
            h.u64(a.at_us);
            h.f64(a.value);
            h.u64(a.resolved_at_us.map_or(u64::MAX, |r| r));
        }
        let r = &self.summary.requests;
        for v in [
            r.issued,
            r.succeeded,
            r.failed,
            r.in_flight,
            self.summary.events_processed,
        ] {
            h.u64(v);
        }
        format!("{:016x}", h.finish())
    }

    pub fn hash(&self) -> &str {
        &self.summary.trace_hash
    }

    pub fn find_series(&self, name: &str, service: &str) -> Option<&Series> {
        self.series
            .iter()
            .find(|s| s.name == name && s.service == service)
    }

    /// Index of the last sample at or before `t`.
    pub fn sample_index_at(&self, t: SimTime) -> Option<usize> {
        let i = self.sample_times_us.partition_point(|&s| s <= t.0);
        i.checked_sub(1)
    }

    /// The sampled series as CSV: one row per sample, one column per series.
    pub fn to_csv(&self) -> String {
        let mut out = String::from("time_s");
        for s in &self.series {
            out.push(',');
            out.push_str(&csv_field(&format!(
                "{}:{} [{}]",
                s.service, s.name, s.unit
            )));
        }
        out.push('\n');
        for (i, t) in self.sample_times_us.iter().enumerate() {
            out.push_str(&format_number(*t as f64 / 1e6));
            for s in &self.series {
                out.push(',');
                if let Some(Some(v)) = s.values.get(i) {
                    out.push_str(&format_number(*v));
                }
            }
            out.push('\n');
        }
        out
    }

    pub fn to_json(&self) -> String {
        // Through a Value: the trace's serializer is compiled once (smaller wasm).
        serde_json::to_value(self)
            .map(|v| crate::json::to_compact(&v))
            .unwrap_or_default()
    }
}

/// Largest trace file the app or `compare` reads.
pub const MAX_TRACE_BYTES: usize = 64 * 1024 * 1024;

/// Reads a trace written by `incident simulate --format trace` or by the
/// harness, and checks it is one: its format, its scenario (validated like
/// any scenario file) and that every series has one value per sample.
pub fn import(text: &str) -> Result<Trace, String> {
    import_with(text, Trace::from_value)
}

/// What the app overlays from a real run: [`import`] without the pods,
/// events, alerts and summary, which stay empty. The same checks of the
/// format, the scenario and the series; their decoders stay out of the
/// browser bundle.
pub fn import_series(text: &str) -> Result<Trace, String> {
    import_with(text, |value, path| {
        let mut f = Fields::new(value, path)?;
        let trace = series_part(&mut f, value)?;
        f.finish(trace)
    })
}

/// A trace's format, source, scenario and series; the rest left empty.
/// Both imports start here.
fn series_part(f: &mut Fields<'_, '_>, value: &Value) -> Result<Trace, Problems> {
    Ok(Trace {
        format: f.required("format"),
        source: f.required("source"),
        scenario: scenario_of(value)?,
        sample_times_us: f.required("sample_times_us"),
        series: f.required("series"),
        pods: Vec::new(),
        events: Vec::new(),
        alerts: Vec::new(),
        summary: Summary::default(),
    })
}

fn import_with(
    text: &str,
    decode: fn(&Value, Path<'_>) -> Result<Trace, Problems>,
) -> Result<Trace, String> {
    if text.len() > MAX_TRACE_BYTES {
        return Err(format!(
            "the file is larger than {} MiB",
            MAX_TRACE_BYTES / (1024 * 1024)
        ));
    }
    if partial::is_partial(text) {
        return partial::import_partial(text);
    }
    let value = crate::json::parse(text).map_err(|e| format!("not JSON ({e})"))?;
    let format = value.get("format").and_then(Value::as_str).unwrap_or("");
    if format != TRACE_FORMAT {
        return Err(format!(
            "not a trace file: its format is `{format}`, not `{TRACE_FORMAT}`"
        ));
    }
    let trace = decode(&value, Path::Root).map_err(|p| format!("not a trace file: {p}"))?;
    let samples = trace.sample_times_us.len();
    if let Some(s) = trace.series.iter().find(|s| s.values.len() != samples) {
        return Err(format!(
            "series {} has {} values for {samples} samples",
            s.name,
            s.values.len()
        ));
    }
    Ok(trace)
}

/// A trace's scenario, validated like any scenario file; problems are
/// reported under `scenario.`.
pub(crate) fn scenario_of(trace: &Value) -> Result<Scenario, Problems> {
    let value = trace.get("scenario").cloned().unwrap_or(Value::Null);
    Scenario::from_value(value).map_err(|p| {
        Problems(
            p.0.into_iter()
                .map(|q| Problem::new(format!("scenario.{}", q.path), q.message))
                .collect(),
        )
    })
}

impl FromValue for Trace {
    fn from_value(value: &Value, path: Path<'_>) -> Result<Self, Problems> {
        let mut f = Fields::new(value, path)?;
        let mut trace = series_part(&mut f, value)?;
        trace.pods = f.or("pods", Vec::new());
        trace.events = f.or("events", Vec::new());
        trace.alerts = f.or("alerts", Vec::new());
        trace.summary = f.required("summary");
        f.finish(trace)
    }
}

impl FromValue for Summary {
    fn from_value(value: &Value, path: Path<'_>) -> Result<Self, Problems> {
        let mut f = Fields::new(value, path)?;
        let summary = Summary {
            scenario: f.required("scenario"),
            trace_hash: f.required("trace_hash"),
            seed: f.required("seed"),
            duration_s: f.required("duration_s"),
            load_started_s: f.optional("load_started_s"),
            services: f.required("services"),
            requests: f.required("requests"),
            alerts: f.or("alerts", Vec::new()),
            events_processed: f.or("events_processed", 0),
            partial: f.or("partial", false),
        };
        f.finish(summary)
    }
}

impl FromValue for ServiceSummary {
    fn from_value(value: &Value, path: Path<'_>) -> Result<Self, Problems> {
        let mut f = Fields::new(value, path)?;
        let service = ServiceSummary {
            name: f.required("name"),
            kind: f.required("kind"),
            first_oom_s: f.optional("first_oom_s"),
            restarts: f.required("restarts"),
            oom_kills: f.required("oom_kills"),
            crashes: f.or("crashes", 0),
            liveness_kills: f.or("liveness_kills", 0),
            peak_working_set_bytes: f.required("peak_working_set_bytes"),
            peak_utilization: f.required("peak_utilization"),
            memory_bytes_limit: f.required("memory_bytes_limit"),
        };
        f.finish(service)
    }
}

impl FromValue for RequestSummary {
    fn from_value(value: &Value, path: Path<'_>) -> Result<Self, Problems> {
        let mut f = Fields::new(value, path)?;
        let requests = RequestSummary {
            issued: f.required("issued"),
            succeeded: f.required("succeeded"),
            failed: f.required("failed"),
            in_flight: f.or("in_flight", 0),
            rate_per_s: f.required("rate_per_s"),
            failure_ratio: f.required("failure_ratio"),
            latency_ms_p50: f.optional("latency_ms_p50"),
            latency_ms_p95: f.optional("latency_ms_p95"),
            latency_ms_p99: f.optional("latency_ms_p99"),
            success_latency_ms_p50: f.optional("success_latency_ms_p50"),
            success_latency_ms_p95: f.optional("success_latency_ms_p95"),
            success_latency_ms_p99: f.optional("success_latency_ms_p99"),
            failures_by_reason: f.or("failures_by_reason", BTreeMap::new()),
        };
        f.finish(requests)
    }
}

impl FromValue for AlertSummary {
    fn from_value(value: &Value, path: Path<'_>) -> Result<Self, Problems> {
        let mut f = Fields::new(value, path)?;
        let alert = AlertSummary {
            rule: f.required("rule"),
            service: f.required("service"),
            at_s: f.required("at_s"),
            message: f.required("message"),
        };
        f.finish(alert)
    }
}

impl FromValue for Series {
    fn from_value(value: &Value, path: Path<'_>) -> Result<Self, Problems> {
        let mut f = Fields::new(value, path)?;
        let series = Series {
            name: f.required("name"),
            service: f.required("service"),
            unit: f.required("unit"),
            values: f.required("values"),
        };
        f.finish(series)
    }
}

impl FromValue for PodTimeline {
    fn from_value(value: &Value, path: Path<'_>) -> Result<Self, Problems> {
        let mut f = Fields::new(value, path)?;
        let pod = PodTimeline {
            name: f.required("name"),
            service: f.required("service"),
            created_us: f.required("created_us"),
            deleted_us: f.optional("deleted_us"),
            changes: f.required("changes"),
        };
        f.finish(pod)
    }
}

impl FromValue for PodChange {
    fn from_value(value: &Value, path: Path<'_>) -> Result<Self, Problems> {
        let mut f = Fields::new(value, path)?;
        let change = PodChange {
            at_us: f.required("at_us"),
            status: f.required("status"),
            ready: f.required("ready"),
            restarts: f.required("restarts"),
        };
        f.finish(change)
    }
}

impl FromValue for PodStatus {
    fn from_value(value: &Value, path: Path<'_>) -> Result<Self, Problems> {
        let names = PodStatus::ALL.map(|s| (s.as_str(), s));
        one_of(value, path, &names)
    }
}

impl FromValue for LogEvent {
    fn from_value(value: &Value, path: Path<'_>) -> Result<Self, Problems> {
        let mut f = Fields::new(value, path)?;
        let event = LogEvent {
            at_us: f.required("at_us"),
            kind: f.required("type"),
            object: f.required("object"),
            reason: f.required("reason"),
            message: f.required("message"),
        };
        f.finish(event)
    }
}

impl FromValue for EventType {
    fn from_value(value: &Value, path: Path<'_>) -> Result<Self, Problems> {
        let names = EventType::ALL.map(|e| (e.as_str(), e));
        one_of(value, path, &names)
    }
}

impl FromValue for AlertFiring {
    fn from_value(value: &Value, path: Path<'_>) -> Result<Self, Problems> {
        let mut f = Fields::new(value, path)?;
        let firing = AlertFiring {
            rule: f.required("rule"),
            service: f.required("service"),
            at_us: f.required("at_us"),
            value: f.required("value"),
            message: f.required("message"),
            resolved_at_us: f.optional("resolved_at_us"),
        };
        f.finish(firing)
    }
}

impl FromValue for Rule {
    fn from_value(value: &Value, path: Path<'_>) -> Result<Self, Problems> {
        let names = Rule::ALL.map(|r| (r.as_str(), r));
        one_of(value, path, &names)
    }
}

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// Shortest faithful decimal: integers without a fraction.
fn format_number(v: f64) -> String {
    if v == v.trunc() && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_sees_every_word_and_its_order() {
        let hash = |words: &[u64], text: &str| {
            let mut h = WordHasher::new();
            for w in words {
                h.u64(*w);
            }
            h.str(text);
            h.finish()
        };
        let base = hash(&[1, 2, 3], "abcdefghij");
        assert_ne!(base, hash(&[1, 2, 4], "abcdefghij"), "a word");
        assert_ne!(base, hash(&[2, 1, 3], "abcdefghij"), "the order");
        assert_ne!(base, hash(&[1, 2, 3], "abcdefghik"), "a padded byte");
        assert_ne!(base, hash(&[1, 2, 3 | 1 << 63], "abcdefghij"), "a top bit");
        assert_ne!(hash(&[], "a"), hash(&[], "a\0"), "the length");
        // The finaliser spreads one input bit over about half the output.
        let flipped = (hash(&[1, 2, 3], "x") ^ hash(&[1, 2, 2], "x")).count_ones();
        assert!((16..=48).contains(&flipped), "{flipped} bits changed");
    }

    #[test]
    fn traces_import_and_bad_files_are_refused() {
        let sc = crate::presets::load("checkout-spike").unwrap();
        let t = crate::simulate(&sc);
        let back = import(&t.to_json()).unwrap();
        assert_eq!(back.summary.trace_hash, t.summary.trace_hash);
        assert!(import("{}").unwrap_err().contains("not a trace"));
        let mut broken: Value = serde_json::from_str(&t.to_json()).unwrap();
        broken["summary"]["requests"]
            .as_object_mut()
            .unwrap()
            .remove("issued");
        broken["series"][0]["values"][3] = Value::from("high");
        let err = import(&broken.to_string()).unwrap_err();
        assert!(err.contains("summary.requests.issued: is missing"), "{err}");
        assert!(
            err.contains("series.0.values.3: expected a number"),
            "{err}"
        );
        let mut wrong = t.clone();
        wrong.format = "something/2".into();
        assert!(import(&wrong.to_json())
            .unwrap_err()
            .contains("`something/2`"));
    }

    #[test]
    fn the_overlay_import_reads_the_series_and_checks_them_alike() {
        let sc = crate::presets::load("checkout-spike").unwrap();
        let t = crate::simulate(&sc);
        let overlay = import_series(&t.to_json()).unwrap();
        let full = import(&t.to_json()).unwrap();
        assert_eq!(overlay.source, full.source);
        assert_eq!(overlay.scenario, full.scenario);
        assert_eq!(overlay.sample_times_us, full.sample_times_us);
        assert_eq!(overlay.series, full.series);
        assert!(!full.events.is_empty() && overlay.events.is_empty());
        assert_eq!(overlay.summary, Summary::default());

        let mut broken: Value = serde_json::from_str(&t.to_json()).unwrap();
        broken["series"][0]["values"][3] = Value::from("high");
        broken["scenario"]["seed"] = Value::from("soon");
        let err = import_series(&broken.to_string()).unwrap_err();
        assert!(err.contains("scenario.seed"), "{err}");
        let mut short: Value = serde_json::from_str(&t.to_json()).unwrap();
        short["sample_times_us"].as_array_mut().unwrap().pop();
        let err = import_series(&short.to_string()).unwrap_err();
        assert!(err.contains("values for"), "{err}");
        assert_eq!(err, import(&short.to_string()).unwrap_err());
        assert!(import_series("{}").unwrap_err().contains("not a trace"));
    }

    #[test]
    fn csv_quotes_and_gaps() {
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(format_number(3.0), "3");
        assert_eq!(format_number(0.5), "0.5");
    }
}
