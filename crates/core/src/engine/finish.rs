//! The end of a run: the summary and the trace.

use super::load::ClientStats;
use super::requests::Fail;
use super::service::Svc;
use super::World;
use crate::telemetry::EventType;
use crate::trace::{AlertSummary, RequestSummary, ServiceSummary, Summary, Trace, TRACE_FORMAT};
use std::collections::BTreeMap;

/// Locust's totals: every response, and the successful ones apart.
fn request_summary(c: &ClientStats, running_seconds: f64) -> RequestSummary {
    let completed = (c.ok + c.failed) as f64;
    let failures_by_reason: BTreeMap<String, u64> = c
        .failures
        .iter()
        .enumerate()
        .filter(|(_, n)| **n > 0)
        .map(|(i, n)| (Fail::NAMES[i].to_string(), *n))
        .collect();
    let [p50, p95, p99] = c.latency_all.quantiles_ms([0.5, 0.95, 0.99]);
    let [ok_p50, ok_p95, ok_p99] = c.latency_ok.quantiles_ms([0.5, 0.95, 0.99]);
    RequestSummary {
        issued: c.issued,
        succeeded: c.ok,
        failed: c.failed,
        in_flight: c.issued - c.ok - c.failed,
        rate_per_s: if running_seconds > 0.0 {
            completed / running_seconds
        } else {
            0.0
        },
        failure_ratio: if completed > 0.0 {
            c.failed as f64 / completed
        } else {
            0.0
        },
        latency_ms_p50: p50,
        latency_ms_p95: p95,
        latency_ms_p99: p99,
        success_latency_ms_p50: ok_p50,
        success_latency_ms_p95: ok_p95,
        success_latency_ms_p99: ok_p99,
        failures_by_reason,
    }
}

impl World {
    fn service_summary(&self, s: &Svc) -> ServiceSummary {
        let live_restarts: u64 = s.pods.iter().map(|&p| self.pods[p].restarts as u64).sum();
        let t = &s.totals;
        ServiceSummary {
            name: s.name.clone(),
            kind: s.kind.as_str().to_string(),
            first_oom_s: t.first_oom.map(|t| t.as_secs_f64()),
            restarts: t.retired_restarts + live_restarts,
            oom_kills: t.oom_kills,
            crashes: t.crashes,
            liveness_kills: t.liveness_kills,
            peak_working_set_bytes: t.peak_ws_bytes,
            peak_utilization: t.peak_util,
            memory_bytes_limit: s.spec.memory_limit.as_f64(),
        }
    }

    /// A log that hit its limit says so in its last event.
    fn close_log(&mut self) {
        if self.k.log.dropped == 0 {
            return;
        }
        let dropped = self.k.log.dropped;
        self.k.log.dropped = 0;
        self.k.log.events.pop();
        self.k.log.push(
            self.k.end,
            EventType::Warning,
            "incident-lab",
            "LogTruncated",
            format!("{} more events were not kept", dropped + 1),
        );
    }

    /// The run's totals; `partial` while the run is still going.
    fn summary(&self, running_seconds: f64, partial: bool) -> Summary {
        let requests = request_summary(&self.load.client, running_seconds);
        let services = self.svcs.iter().map(|s| self.service_summary(s)).collect();
        let alerts = self
            .alerts
            .firings
            .iter()
            .map(|a| AlertSummary {
                rule: a.rule.as_str().to_string(),
                service: a.service.clone(),
                at_s: a.at_us as f64 / 1e6,
                message: a.message.clone(),
            })
            .collect();
        Summary {
            scenario: self.sc.name.clone(),
            trace_hash: String::new(),
            seed: self.sc.seed,
            duration_s: self.sc.duration.as_secs_f64(),
            load_started_s: self.load.started_at.map(|t| t.as_secs_f64()),
            services,
            requests,
            alerts,
            events_processed: self.k.events,
            partial,
        }
    }

    /// The run so far, marked partial and without a hash: what the browser
    /// draws while the rest is simulated. Reads the world and changes
    /// nothing, so a run with snapshots gives the same trace as one without.
    pub fn snapshot(&self) -> Trace {
        let samples = self.k.sample_times.len();
        let running_seconds = self.load.running_seconds
            + self
                .load
                .running_since
                .map_or(0.0, |since| self.k.now.saturating_sub(since).as_secs_f64());
        let mut series = self.k.rec.series.clone();
        for s in &mut series {
            s.values.resize(samples, None);
        }
        Trace {
            format: TRACE_FORMAT.to_string(),
            source: "model".to_string(),
            scenario: (*self.sc).clone(),
            sample_times_us: self.k.sample_times.clone(),
            series,
            pods: self.pods.iter().map(|p| p.timeline.clone()).collect(),
            events: self.k.log.events.clone(),
            alerts: self.alerts.firings.clone(),
            summary: self.summary(running_seconds, true),
        }
    }

    pub(super) fn finish(mut self) -> Trace {
        if let Some(since) = self.load.running_since.take() {
            self.load.running_seconds += self.k.end.saturating_sub(since).as_secs_f64();
        }
        // Every series has exactly one value per sample.
        let samples = self.k.sample_times.len();
        debug_assert!(samples <= self.k.samples_expected);
        for s in &mut self.k.rec.series {
            s.values.resize(samples, None);
        }
        self.close_log();
        let summary = self.summary(self.load.running_seconds, false);
        let mut trace = Trace {
            format: TRACE_FORMAT.to_string(),
            source: "model".to_string(),
            scenario: (*self.sc).clone(),
            sample_times_us: self.k.sample_times,
            series: self.k.rec.series,
            pods: self
                .pods
                .into_vec()
                .into_iter()
                .map(|p| p.timeline)
                .collect(),
            events: self.k.log.events,
            alerts: self.alerts.firings,
            summary,
        };
        trace.summary.trace_hash = trace.compute_hash();
        trace
    }
}
