//! Taking a measure on a finished run: from its summary, its sampled
//! series, its alerts and events, and its scenario.

use super::{Measure, MeasureValue, Since};
use crate::alerts::Rule;
use crate::checks::not_growing_cause;
use crate::metrics as m;
use crate::trace::{ServiceSummary, Trace};
use crate::units::{SimTime, MIB};

impl Measure {
    /// The measure on a run; `None` when the run never got there (no OOM).
    pub fn evaluate(&self, trace: &Trace) -> Option<MeasureValue> {
        match self {
            Measure::MostRestarted => Some(MeasureValue::Text(most_restarted(trace))),
            Measure::NotGrowingCause { service } => {
                not_growing_cause(trace, service).map(|c| MeasureValue::Text(c.to_string()))
            }
            Measure::TopAllocationSiteAt { service, at } => {
                top_allocation_site(trace, service, *at).map(MeasureValue::Text)
            }
            Measure::FirstAlert { service } => first_alert(trace, service).map(MeasureValue::Text),
            Measure::Param { path } => param_value(trace, path).map(MeasureValue::Text),
            numeric => numeric.number(trace).map(MeasureValue::Number),
        }
    }

    /// A measure that gives a number, on a run; `None` for those that
    /// give a name, which `evaluate` takes itself.
    fn number(&self, trace: &Trace) -> Option<f64> {
        let s = &trace.summary;
        let svc = |name: &str| service_summary(trace, name);
        match self {
            Measure::FirstOomAfterLoadMin { service } => {
                let oom = svc(service)?.first_oom_s?;
                Some((oom - s.load_started_s.unwrap_or(0.0)).max(0.0) / 60.0)
            }
            Measure::FirstOomAtS { service } => svc(service)?.first_oom_s,
            Measure::GoroutinesAtFirstOom { service } => goroutines_at_first_oom(trace, service),
            Measure::WorkingSetGrowthMiPerMin { service } => working_set_growth(trace, service),
            Measure::Restarts { service } => Some(svc(service)?.restarts as f64),
            Measure::OomKills { service } => Some(svc(service)?.oom_kills as f64),
            Measure::LivenessKills { service } => Some(svc(service)?.liveness_kills as f64),
            Measure::PeakWorkingSetMi { service } => {
                Some(mib(svc(service)?.peak_working_set_bytes))
            }
            Measure::PeakUtilizationPercent { service } => {
                Some(svc(service)?.peak_utilization * 100.0)
            }
            Measure::LatencyP95Ms => s.requests.latency_ms_p95,
            Measure::LatencyP99Ms => s.requests.latency_ms_p99,
            Measure::FailurePercent => Some(s.requests.failure_ratio * 100.0),
            Measure::GcRateReachedAtS { service, per_min } => gc_rates(trace, service)?
                .find(|(_, rate)| rate >= per_min)
                .map(|(t, _)| t),
            Measure::GcPerMinAt { service, at } => gc_per_min_at(trace, service, *at),
            Measure::WorkingSetAtMi { service, at } => {
                crate::view::value_at(trace, m::WORKING_SET.name, service, *at).map(mib)
            }
            Measure::UtilizationReachedAtS { service, ratio } => {
                utilization_reached_s(trace, service, *ratio)
            }
            Measure::WorkingSetRangeMi { service, from } => {
                working_set_range_mi(trace, service, *from)
            }
            Measure::P99AtUtilizationMs { service, ratio } => {
                p99_at_utilization_ms(trace, service, *ratio)
            }
            Measure::AlertFiredAtS { service, rule } => alert_first_s(trace, service, *rule),
            Measure::AlertLeadMin { service, rule } => alert_lead_min(trace, service, *rule),
            Measure::LoadStartedAtS => s.load_started_s,
            Measure::EventAtS { reason } => event_at_s(trace, reason),
            Measure::MostRestarted
            | Measure::NotGrowingCause { .. }
            | Measure::TopAllocationSiteAt { .. }
            | Measure::FirstAlert { .. }
            | Measure::Param { .. } => None,
        }
    }
}

/// How far back from the first OOM kill the goroutine count is taken.
const GOROUTINES_AT_OOM_WINDOW_S: f64 = 10.0;

/// The goroutine count the first OOM kill came at: the lower median of the
/// samples over the 10 s before it (the last sample when none is that
/// close). A kill often lands inside a fan-out burst, whose goroutines live
/// for a second; one sample that catches it must not decide the count (two
/// real recordings of one point sampled 1,976 and 3,001 last, on levels of
/// 1,976 and 2,099).
fn goroutines_at_first_oom(trace: &Trace, service: &str) -> Option<f64> {
    let oom_s = service_summary(trace, service)?.first_oom_s?;
    let series = trace.find_series(m::GO_GOROUTINES.name, service)?;
    let before: Vec<(f64, f64)> = trace
        .sample_times_us
        .iter()
        .zip(&series.values)
        .map(|(t, v)| (*t as f64 / 1e6, *v))
        .take_while(|(t, _)| *t < oom_s)
        .filter_map(|(t, v)| Some((t, v?)))
        .collect();
    let (_, last) = *before.last()?;
    let mut window: Vec<f64> = before
        .iter()
        .filter(|(t, _)| *t > oom_s - GOROUTINES_AT_OOM_WINDOW_S)
        .map(|(_, v)| *v)
        .collect();
    if window.is_empty() {
        return Some(last);
    }
    window.sort_by(f64::total_cmp);
    Some(window[(window.len() - 1) / 2])
}

/// The working set's mean growth (MiB a minute) from load start to the
/// last sample before the first OOM kill; at least 3 samples.
fn working_set_growth(trace: &Trace, service: &str) -> Option<f64> {
    let from_s = trace.summary.load_started_s.unwrap_or(0.0);
    let until_s = service_summary(trace, service)?
        .first_oom_s
        .unwrap_or(f64::INFINITY);
    let series = trace.find_series(m::WORKING_SET.name, service)?;
    let points: Vec<(f64, f64)> = trace
        .sample_times_us
        .iter()
        .zip(&series.values)
        .map(|(t, v)| (*t as f64 / 1e6, *v))
        .filter(|(t, _)| *t >= from_s && *t < until_s)
        .filter_map(|(t, v)| Some((t / 60.0, mib(v?))))
        .collect();
    let (first, last) = (points.first()?, points.last()?);
    (points.len() >= 3 && last.0 > first.0).then(|| (last.1 - first.1) / (last.0 - first.0))
}

fn mib(bytes: f64) -> f64 {
    bytes / MIB as f64
}

fn service_summary<'a>(trace: &'a Trace, name: &str) -> Option<&'a ServiceSummary> {
    trace.summary.services.iter().find(|x| x.name == name)
}

/// The service that restarted most, or "none".
fn most_restarted(trace: &Trace) -> String {
    let top = trace
        .summary
        .services
        .iter()
        .filter(|x| x.restarts > 0)
        .max_by_key(|x| x.restarts);
    top.map_or_else(|| "none".to_string(), |x| x.name.clone())
}

fn top_allocation_site(trace: &Trace, service: &str, at: SimTime) -> Option<String> {
    crate::view::allocation_sites_at(trace, &trace.scenario, service, at)
        .into_iter()
        .next()
        .map(|site| site.site)
}

/// The first alert to fire for the service, restart alerts aside.
fn first_alert(trace: &Trace, service: &str) -> Option<String> {
    trace
        .alerts
        .iter()
        .find(|a| a.service == service && a.rule != Rule::ContainerRestarted)
        .map(|a| a.rule.label().to_string())
}

fn param_value(trace: &Trace, path: &str) -> Option<String> {
    crate::scenario::find_param(&trace.scenario, path).map(|p| p.value)
}

/// The GC rate over the last sample interval that ends by `at`.
fn gc_per_min_at(trace: &Trace, service: &str, at: SimTime) -> Option<f64> {
    let at_s = at.as_secs_f64();
    gc_rates(trace, service)?
        .take_while(|(t, _)| *t <= at_s + 1e-9)
        .last()
        .map(|(_, rate)| rate)
}

/// Highest minus lowest working set from `from` to the first OOM kill or
/// the end, MiB.
fn working_set_range_mi(trace: &Trace, service: &str, from: Since) -> Option<f64> {
    let from_s = match from {
        // Not the process's own start-up either.
        Since::Load => trace.summary.load_started_s.unwrap_or(0.0).max(STARTUP_S),
        Since::At(t) => t.as_secs_f64(),
    };
    let until_s = service_summary(trace, service)?
        .first_oom_s
        .unwrap_or(f64::INFINITY);
    let (lo, hi) = samples(trace, m::WORKING_SET.name, service)?
        .filter(|(t, _)| *t >= from_s && *t < until_s)
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), (_, v)| {
            (lo.min(v), hi.max(v))
        });
    (hi >= lo).then(|| mib(hi - lo))
}

/// The service's mean P99 over the minute around the moment its
/// utilization first reached `ratio`.
fn p99_at_utilization_ms(trace: &Trace, service: &str, ratio: f64) -> Option<f64> {
    let at = utilization_reached_s(trace, service, ratio)?;
    let (sum, n) = samples(trace, m::SERVER_P99.name, service)?
        .filter(|(t, _)| (*t - at).abs() <= 30.0)
        .fold((0.0, 0u32), |(sum, n), (_, v)| (sum + v, n + 1));
    (n > 0).then(|| sum / f64::from(n))
}

/// Minutes from `rule` first firing to the first OOM kill; `None` if it
/// fired only after.
fn alert_lead_min(trace: &Trace, service: &str, rule: Rule) -> Option<f64> {
    let oom = service_summary(trace, service)?.first_oom_s?;
    let fired = alert_first_s(trace, service, rule)?;
    (fired <= oom).then(|| (oom - fired) / 60.0)
}

fn event_at_s(trace: &Trace, reason: &str) -> Option<f64> {
    trace
        .events
        .iter()
        .find(|e| e.reason == reason)
        .map(|e| e.at_us as f64 / 1e6)
}

/// The first minute of a run: the process starting, not the workload.
const STARTUP_S: f64 = 60.0;

/// (seconds, value) of a series' present samples.
fn samples<'a>(
    trace: &'a Trace,
    name: &str,
    service: &str,
) -> Option<impl Iterator<Item = (f64, f64)> + 'a> {
    let series = trace.find_series(name, service)?;
    Some(
        trace
            .sample_times_us
            .iter()
            .zip(series.values.iter())
            .filter_map(|(t, v)| v.map(|v| (*t as f64 / 1e6, v))),
    )
}

fn utilization_reached_s(trace: &Trace, service: &str, ratio: f64) -> Option<f64> {
    samples(trace, m::MEMORY_UTILIZATION.name, service)?
        .find(|(_, u)| *u >= ratio)
        .map(|(t, _)| t)
}

fn alert_first_s(trace: &Trace, service: &str, rule: Rule) -> Option<f64> {
    trace
        .alerts
        .iter()
        .find(|a| a.service == service && a.rule == rule)
        .map(|a| a.at_us as f64 / 1e6)
}

/// The window a GC rate is counted over: a minute, as the measure names it.
const GC_RATE_WINDOW_S: f64 = 60.0;

/// (seconds, collections over the last minute) at each sample a minute or
/// more into a stretch of the GC count; a restart (the count falls) or a
/// gap starts a new stretch. A rate between two samples alone would turn
/// one collection in a 5 s sample into "12 a minute".
fn gc_rates(trace: &Trace, service: &str) -> Option<std::vec::IntoIter<(f64, f64)>> {
    let series = trace.find_series(m::GO_GC_COUNT.name, service)?;
    let mut rates = Vec::with_capacity(series.values.len());
    let mut stretch: Vec<(f64, f64)> = Vec::with_capacity(series.values.len());
    let mut start = 0;
    for (t, v) in trace.sample_times_us.iter().zip(series.values.iter()) {
        let t = *t as f64 / 1e6;
        let restarted = match (v, stretch.last()) {
            (None, _) => true,
            (Some(v), Some((_, last))) => v < last,
            (Some(_), None) => false,
        };
        if restarted {
            stretch.clear();
            start = 0;
        }
        let Some(v) = *v else { continue };
        stretch.push((t, v));
        // The latest sample at least a minute before this one.
        while start + 1 < stretch.len() && stretch[start + 1].0 <= t - GC_RATE_WINDOW_S {
            start += 1;
        }
        let (t0, v0) = stretch[start];
        if t - t0 >= GC_RATE_WINDOW_S {
            rates.push((t, (v - v0) / ((t - t0) / 60.0)));
        }
    }
    Some(rates.into_iter())
}
