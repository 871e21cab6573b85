//! The trace of a real run, in the model's format: the recorded series and
//! events, each container's pod timeline, and the same summary the model
//! writes (restarts, OOM kills, Locust's totals).

use super::load::{Load, Stats};
use super::record::Recorder;
use super::service::Service;
use incident_core::trace::{RequestSummary, ServiceSummary, Summary, Trace, TRACE_FORMAT};
use incident_core::units::SimTime;
use incident_core::Scenario;

fn request_summary(st: &Stats, load_s: Option<f64>) -> RequestSummary {
    let completed = st.succeeded + st.failed;
    RequestSummary {
        issued: st.issued,
        succeeded: st.succeeded,
        failed: st.failed,
        in_flight: st.issued.saturating_sub(completed),
        rate_per_s: load_s.map(|s| completed as f64 / s).unwrap_or(0.0),
        failure_ratio: if completed > 0 {
            st.failed as f64 / completed as f64
        } else {
            0.0
        },
        latency_ms_p50: st.all.quantile_ms(0.5),
        latency_ms_p95: st.all.quantile_ms(0.95),
        latency_ms_p99: st.all.quantile_ms(0.99),
        success_latency_ms_p50: st.ok.quantile_ms(0.5),
        success_latency_ms_p95: st.ok.quantile_ms(0.95),
        success_latency_ms_p99: st.ok.quantile_ms(0.99),
        failures_by_reason: st.failures_by_reason.clone(),
    }
}

fn service_summary(s: &Service) -> ServiceSummary {
    ServiceSummary {
        name: s.name.clone(),
        kind: s.kind.as_str().to_string(),
        first_oom_s: s.first_oom.map(|t| t.as_secs_f64()),
        restarts: s.restarts as u64,
        oom_kills: s.oom_kills,
        crashes: s.crashes,
        // Docker has no liveness probe of its own.
        liveness_kills: 0,
        peak_working_set_bytes: s.peak_ws_bytes,
        peak_utilization: s.peak_ws_bytes / s.limit_bytes,
        memory_bytes_limit: s.limit_bytes,
    }
}

pub(super) fn build_trace(
    sc: &Scenario,
    rec: &mut Recorder,
    services: Vec<Service>,
    load: &Load,
    load_started: Option<SimTime>,
) -> Trace {
    let end_us = rec.times.last().copied().unwrap_or(0);
    let st = load.stats.lock().unwrap_or_else(|e| e.into_inner());
    let load_s = load_started.map(|s| (end_us as f64 / 1e6 - s.as_secs_f64()).max(1.0));
    let summary = Summary {
        scenario: sc.name.clone(),
        trace_hash: String::new(),
        seed: sc.seed,
        duration_s: end_us as f64 / 1e6,
        load_started_s: load_started.map(|t| t.as_secs_f64()),
        services: services.iter().map(service_summary).collect(),
        requests: request_summary(&st, load_s),
        alerts: Vec::new(),
        events_processed: st.issued,
        partial: false,
    };
    let mut trace = Trace {
        format: TRACE_FORMAT.to_string(),
        source: "harness".to_string(),
        scenario: sc.clone(),
        sample_times_us: std::mem::take(&mut rec.times),
        series: std::mem::take(&mut rec.series),
        pods: services.into_iter().map(|s| s.pod).collect(),
        events: std::mem::take(&mut rec.events),
        alerts: Vec::new(),
        summary,
    };
    trace.summary.trace_hash = trace.compute_hash();
    trace
}
