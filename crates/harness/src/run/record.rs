//! What a real run records: one value per sample for every catalogued
//! series, the events, and each container's pod timeline — also appended to
//! `OUT.partial.jsonl` as they come, so an interrupted run keeps its data.

use incident_core::metrics::Metric;
use incident_core::telemetry::{EventType, LogEvent, PodChange, PodStatus, PodTimeline, Series};
use incident_core::units::SimTime;
use std::io::Write as _;

/// Events a real run keeps at most (the model's log has the same kind of limit).
const MAX_EVENTS: usize = 10_000;

/// The sampled series, one value per sample each.
pub(super) struct Recorder {
    pub(super) times: Vec<u64>,
    pub(super) series: Vec<Series>,
    pub(super) events: Vec<LogEvent>,
    pub(super) partial: Option<std::fs::File>,
}

impl Recorder {
    pub(super) fn new(partial: Option<std::fs::File>, scenario: &str) -> Recorder {
        let mut rec = Recorder {
            times: Vec::new(),
            series: Vec::new(),
            events: Vec::new(),
            partial,
        };
        if let Some(f) = &mut rec.partial {
            let header =
                serde_json::json!({ "format": "incident-trace-partial/1", "scenario": scenario });
            let _ = writeln!(f, "{header}");
        }
        rec
    }

    fn series_index(&mut self, metric: &Metric, service: &str) -> usize {
        if let Some(i) = self
            .series
            .iter()
            .position(|s| s.name == metric.name && s.service == service)
        {
            return i;
        }
        self.series.push(Series {
            name: metric.name.into(),
            service: service.into(),
            unit: metric.unit.into(),
            values: vec![None; self.times.len().saturating_sub(1)],
        });
        self.series.len() - 1
    }

    /// This sample's value of a series (a series first seen now is padded).
    pub(super) fn set(&mut self, metric: &Metric, service: &str, value: Option<f64>) {
        debug_assert!(!self.times.is_empty(), "set inside a sample");
        let i = self.series_index(metric, service);
        let s = &mut self.series[i];
        s.values.resize(self.times.len() - 1, None);
        s.values.push(value);
    }

    pub(super) fn begin_sample(&mut self, t: SimTime) {
        debug_assert!(self.times.last().is_none_or(|&last| last <= t.0));
        self.times.push(t.0);
    }

    /// Pads series that had no value this sample, and appends the sample to
    /// the partial file.
    pub(super) fn end_sample(&mut self) {
        let n = self.times.len();
        for s in &mut self.series {
            s.values.resize(n, None);
        }
        if let Some(f) = &mut self.partial {
            let values: Vec<serde_json::Value> = self
                .series
                .iter()
                .map(|s| serde_json::json!([s.name, s.service, s.values[n - 1]]))
                .collect();
            let line = serde_json::json!({ "t_us": self.times[n - 1], "values": values });
            let _ = writeln!(f, "{line}");
        }
    }

    pub(super) fn event(
        &mut self,
        at: SimTime,
        kind: EventType,
        object: &str,
        reason: &str,
        message: String,
    ) {
        if let Some(f) = &mut self.partial {
            let line = serde_json::json!({ "t_us": at.0, "event": reason, "object": object, "message": message });
            let _ = writeln!(f, "{line}");
        }
        if self.events.len() < MAX_EVENTS {
            self.events.push(LogEvent {
                at_us: at.0,
                kind,
                object: object.into(),
                reason: reason.into(),
                message,
            });
        }
    }
}

/// A container's status change, in its pod timeline.
pub(super) fn pod_change(
    pod: &mut PodTimeline,
    at: SimTime,
    status: PodStatus,
    ready: bool,
    restarts: u32,
) {
    debug_assert!(pod.changes.last().is_none_or(|c| c.restarts <= restarts));
    if pod.changes.len() < incident_core::telemetry::MAX_POD_CHANGES {
        pod.changes.push(PodChange {
            at_us: at.0,
            status,
            ready,
            restarts,
        });
    }
}
