//! `incident compare TRACE`: the model against reality. The trace's own
//! scenario is simulated again and each headline number is set beside the
//! real one, with the model's relative error.

use crate::cli_error::CliError;
use incident_core::calibration::{self, Check};
use incident_core::trace::{import, Summary, Trace, MAX_TRACE_BYTES};
use incident_core::units::{Dur, SimTime};
use incident_core::Scenario;
use serde_json::json;
use std::path::Path;

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum CompareFormat {
    Table,
    Json,
}

/// (what, unit, real, model)
type Row = (String, &'static str, Option<f64>, Option<f64>);

fn rows(real: &Summary, model: &Summary) -> Vec<Row> {
    let mut rows = Vec::new();
    for r in &real.services {
        let m = model.service(&r.name);
        let load = |s: &Summary| s.load_started_s.unwrap_or(0.0);
        rows.push((
            format!("{} first OOM after load", r.name),
            "s",
            r.first_oom_s.map(|t| t - load(real)),
            m.and_then(|m| m.first_oom_s).map(|t| t - load(model)),
        ));
        rows.push((
            format!("{} restarts", r.name),
            "",
            Some(r.restarts as f64),
            m.map(|m| m.restarts as f64),
        ));
        rows.push((
            format!("{} peak working set", r.name),
            "MiB",
            Some(r.peak_working_set_bytes / 1048576.0),
            m.map(|m| m.peak_working_set_bytes / 1048576.0),
        ));
    }
    let (rq, mq) = (&real.requests, &model.requests);
    for (q, r, m) in [
        ("P50", rq.success_latency_ms_p50, mq.success_latency_ms_p50),
        ("P95", rq.success_latency_ms_p95, mq.success_latency_ms_p95),
        ("P99", rq.success_latency_ms_p99, mq.success_latency_ms_p99),
    ] {
        rows.push((format!("latency {q}, successful requests"), "ms", r, m));
    }
    rows.push((
        "failure rate".into(),
        "%",
        Some(rq.failure_ratio * 100.0),
        Some(mq.failure_ratio * 100.0),
    ));
    rows
}

/// The base preset as a scenario: the base alone lacks a scenario's name
/// and duration, so it is resolved through `extends` like a user's file.
const BASE_COSTS: &str = "extends = \"otel-demo\"\nname = \"otel-demo\"\n\
    title = \"The demo's base\"\ndescription = \"Today's workload costs.\"\n\
    duration = \"1m\"\n";

/// What the Go workload's runtime costs is a measured property of the
/// workload (`incident go-costs`), not a setting a run applies: the model
/// uses today's figures from the base preset, not the ones a trace was
/// recorded with.
pub(crate) fn current_workload_costs(scenario: &mut Scenario) {
    use incident_core::scenario::{apply_sets, find_param};
    let base = match Scenario::from_toml(BASE_COSTS) {
        Ok(base) => base,
        Err(problems) => unreachable!("the base preset resolves: {problems}"),
    };
    // The same list `incident run` prints as not applied for real, less
    // GOMAXPROCS: that is the machine's, not a cost of the workload.
    let sets: Vec<(String, String)> = scenario
        .services
        .iter()
        .flat_map(|(name, spec)| {
            let ours = format!("services.{name}.");
            crate::export::not_applied(name, spec)
                .into_iter()
                .filter(|path| !path.ends_with(".go.gomaxprocs"))
                .filter_map(|path| {
                    let in_base = path.replacen(&ours, "services.checkout.", 1);
                    find_param(&base, &in_base).map(|p| (path, p.value))
                })
                .collect::<Vec<_>>()
        })
        .collect();
    if let Err(problems) = apply_sets(scenario, &sets) {
        debug_assert!(false, "the base preset's costs apply: {problems}");
    }
}

/// The load a real run sends: steps to a service without a reference
/// workload are skipped there (`run/load.rs`), so the model skips them too,
/// and both sides issue the same request mix.
fn same_requests(scenario: &mut Scenario) {
    let real: Vec<String> = scenario
        .services
        .iter()
        .filter(|(_, s)| crate::export::has_workload(s))
        .map(|(n, _)| n.clone())
        .collect();
    let keep = |call: &str| {
        call.split_once('/')
            .is_some_and(|(svc, _)| real.iter().any(|r| r == svc))
    };
    let w = &mut scenario.workload;
    w.on_start.retain(|step| keep(&step.call));
    for task in &mut w.tasks {
        task.steps.retain(|step| keep(&step.call));
    }
}

/// The trace's scenario, to run for as long as reality did. The scenario
/// was validated on import, like a scenario file (at most 2 h); the
/// trace's `summary.duration_s` decides how long the model runs, so it is
/// checked too: a real run stops at its scenario's duration, or before
/// when interrupted, so more than that is refused.
fn model_scenario(real: &Trace) -> Result<Scenario, String> {
    const FIELD: &str = "summary.duration_s";
    let mut scenario = real.scenario.clone();
    let secs = real.summary.duration_s;
    let longest = scenario.duration.0.as_secs_f64();
    if !(0.0..=longest).contains(&secs) {
        let shown = if secs.abs() < 1e15 {
            format!("{secs}")
        } else {
            format!("{secs:e}")
        };
        return Err(format!(
            "{FIELD}: {shown} is outside 0..={longest} s; a run lasts at most its scenario's duration ({})",
            scenario.duration
        ));
    }
    // A run cut short at once still gets a second of model.
    scenario.duration = Dur(SimTime::from_secs_f64(secs.max(1.0)));
    if real.source != "model" {
        same_requests(&mut scenario);
        current_workload_costs(&mut scenario);
    }
    Ok(scenario)
}

fn relative_error(real: Option<f64>, model: Option<f64>) -> Option<f64> {
    match (real, model) {
        (Some(r), Some(m)) if r.abs() > 1e-9 => Some((m - r) / r.abs()),
        (Some(r), Some(m)) if r.abs() <= 1e-9 && m.abs() <= 1e-9 => Some(0.0),
        _ => None,
    }
}

pub fn compare(path: &Path, format: CompareFormat) -> Result<(), CliError> {
    let shown = path.display();
    let text =
        crate::files::read_text(path, MAX_TRACE_BYTES, "a trace file").map_err(CliError::input)?;
    // One line per problem, each with the path (the import's text holds
    // every problem of the trace's scenario, one a line).
    let real = import(&text)
        .map_err(|e| CliError::Input(e.lines().map(|l| format!("{shown}: {l}")).collect()))?;
    let scenario = model_scenario(&real).map_err(|e| CliError::input(format!("{shown}: {e}")))?;
    let model = incident_core::simulate(&scenario);
    let rows = rows(&real.summary, &model.summary);
    let checks: Vec<Check> = real
        .summary
        .services
        .iter()
        .filter(|s| s.kind == "go-checkout")
        .flat_map(|s| calibration::checks(&real, &model, &s.name))
        .collect();
    match format {
        CompareFormat::Json => {
            let items: Vec<_> = rows
                .iter()
                .map(|(what, unit, r, m)| json!({ "what": what, "unit": unit, "real": r, "model": m, "relative_error": relative_error(*r, *m) }))
                .collect();
            let checks: Vec<_> = checks
                .iter()
                .map(|c| json!({ "what": c.what, "unit": c.unit, "real": c.real, "model": c.model, "tolerance": c.tolerance, "within": c.within }))
                .collect();
            let doc = json!({ "scenario": real.scenario.name, "real_source": real.source, "duration_s": real.summary.duration_s, "partial": real.summary.partial, "rows": items, "calibration": checks });
            crate::stdout::outln!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
        }
        CompareFormat::Table => {
            crate::stdout::outln!(
                "{} — {} trace against the model, {:.0} s{}",
                real.scenario.name,
                real.source,
                real.summary.duration_s,
                if real.summary.partial {
                    " (partial: the run stopped before writing its trace; no request latencies)"
                } else {
                    ""
                }
            );
            crate::stdout::outln!("{:<40}{:>12}{:>12}{:>10}", "", "REAL", "MODEL", "ERROR");
            let show = |v: Option<f64>| v.map(|v| format!("{v:.1}")).unwrap_or_else(|| "—".into());
            for (what, unit, r, m) in &rows {
                let label = if unit.is_empty() {
                    what.clone()
                } else {
                    format!("{what} ({unit})")
                };
                let err = relative_error(*r, *m)
                    .map(|e| format!("{:+.0} %", e * 100.0))
                    .unwrap_or_else(|| "—".into());
                crate::stdout::outln!("{label:<40}{:>12}{:>12}{err:>10}", show(*r), show(*m));
            }
            print_checks(&checks);
        }
    }
    Ok(())
}

/// The calibration's checks, each with its tolerance and verdict.
fn print_checks(checks: &[Check]) {
    if checks.is_empty() {
        return;
    }
    crate::stdout::outln!("\ncalibration (the model within tolerance of reality)");
    let show = |v: Option<f64>| {
        v.map(|v| format!("{v:.2}"))
            .unwrap_or_else(|| "none".into())
    };
    for c in checks {
        let label = if c.unit.is_empty() {
            c.what.clone()
        } else {
            format!("{} ({})", c.what, c.unit)
        };
        let verdict = if c.within { "within" } else { "OUTSIDE" };
        crate::stdout::outln!(
            "  {verdict:<8}{label:<50}{:>10}{:>10}   {}",
            show(c.real),
            show(c.model),
            c.tolerance
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use incident_core::scenario::find_param;

    #[test]
    fn a_trace_recorded_with_older_costs_is_modelled_with_todays() {
        let mut scenario = incident_core::presets::load("checkout-gradual").expect("preset");
        let stack = "services.checkout.checkout.goroutine_stack";
        let today = find_param(&scenario, stack).expect("param").value;
        incident_core::scenario::apply_sets(&mut scenario, &[(stack.into(), "2Ki".into())])
            .expect("2Ki is allowed");
        assert_ne!(find_param(&scenario, stack).expect("param").value, today);
        current_workload_costs(&mut scenario);
        assert_eq!(find_param(&scenario, stack).expect("param").value, today);
    }
}
