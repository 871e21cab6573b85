//! `incident simulate`, `incident presets` and `incident params`: the
//! core's numbers, printed for people (table) and for scripts (json, csv).

use crate::Format;
use incident_core::scenario::list_params;
use incident_core::trace::{AlertSummary, RequestSummary, Summary};
use incident_core::units::{format_bytes_exact, format_bytes_human, format_duration, SimTime};
use incident_core::{presets, simulate, Scenario};
use std::fmt::Write;

pub fn render(sc: &Scenario, format: Format) -> String {
    let trace = simulate(sc);
    match format {
        Format::Json => {
            let mut text =
                serde_json::to_string_pretty(&trace.summary).expect("summary serializes");
            text.push('\n');
            text
        }
        Format::Csv => trace.to_csv(),
        Format::Trace => trace.to_json(),
        Format::Table => {
            let mut text = summary_table(sc, &trace.summary);
            write_claims(&mut text, sc, &trace);
            text
        }
    }
}

/// The description's claims, each checked on this run: after a `--set`
/// the run may no longer do what the preset's description says.
fn write_claims(out: &mut String, sc: &Scenario, trace: &incident_core::Trace) {
    let verdicts = incident_core::claims::check(sc, trace);
    if verdicts.is_empty() {
        return;
    }
    let _ = writeln!(out, "\nclaims of the description, on this run");
    for v in verdicts {
        match v.result {
            Ok(()) => {
                let _ = writeln!(out, "  holds  {}", v.claim);
            }
            Err(why) => {
                let _ = writeln!(out, "  FALSE  {why}");
            }
        }
    }
}

fn secs(s: f64) -> String {
    format_duration(SimTime::from_secs_f64(s.round()))
}

fn ms(v: Option<f64>) -> String {
    match v {
        None => "-".into(),
        Some(ms) if ms >= 10_000.0 => format!("{:.1} s", ms / 1000.0),
        Some(ms) if ms >= 1000.0 => format!("{:.2} s", ms / 1000.0),
        Some(ms) => format!("{ms:.0} ms"),
    }
}

pub fn summary_table(sc: &Scenario, s: &Summary) -> String {
    let mut out = String::new();
    write_run_header(&mut out, sc, s);
    out.push('\n');
    write_services(&mut out, s);
    out.push('\n');
    write_requests(&mut out, &s.requests);
    out.push('\n');
    write_alerts(&mut out, &s.alerts);
    out
}

fn write_run_header(out: &mut String, sc: &Scenario, s: &Summary) {
    let _ = writeln!(out, "{} — {}", sc.name, sc.title);
    let _ = writeln!(
        out,
        "seed {} · {} simulated · {} events · trace {}",
        s.seed,
        secs(s.duration_s),
        s.events_processed,
        s.trace_hash
    );
    if let Some(t) = s.load_started_s {
        let _ = writeln!(out, "load started at {}", secs(t));
    }
}

fn write_services(out: &mut String, s: &Summary) {
    let _ = writeln!(
        out,
        "{:<16} {:>10} {:>11} {:>9} {:>7} {:>8} {:>11} {:>6} {:>8}",
        "SERVICE",
        "FIRST OOM",
        "AFTER LOAD",
        "RESTARTS",
        "OOMS",
        "CRASHES",
        "PEAK WS",
        "UTIL",
        "LIMIT"
    );
    for svc in &s.services {
        let oom = svc.first_oom_s.map(secs).unwrap_or_else(|| "-".into());
        let after = match (svc.first_oom_s, s.load_started_s) {
            (Some(o), Some(l)) if o >= l => secs(o - l),
            _ => "-".into(),
        };
        let _ = writeln!(
            out,
            "{:<16} {:>10} {:>11} {:>9} {:>7} {:>8} {:>11} {:>6.2} {:>8}",
            svc.name,
            oom,
            after,
            svc.restarts,
            svc.oom_kills,
            svc.crashes + svc.liveness_kills,
            format_bytes_human(svc.peak_working_set_bytes),
            svc.peak_utilization,
            format_bytes_exact(svc.memory_bytes_limit as u64)
        );
    }
}

fn write_requests(out: &mut String, r: &RequestSummary) {
    let _ = writeln!(
        out,
        "requests   issued {}  ok {}  failed {} ({:.1} %)  in flight {}  rate {:.1}/s",
        r.issued,
        r.succeeded,
        r.failed,
        r.failure_ratio * 100.0,
        r.in_flight,
        r.rate_per_s
    );
    let _ = writeln!(
        out,
        "latency    p50 {}  p95 {}  p99 {}   (successful: p50 {}  p95 {}  p99 {})",
        ms(r.latency_ms_p50),
        ms(r.latency_ms_p95),
        ms(r.latency_ms_p99),
        ms(r.success_latency_ms_p50),
        ms(r.success_latency_ms_p95),
        ms(r.success_latency_ms_p99)
    );
    if !r.failures_by_reason.is_empty() {
        let reasons: Vec<String> = r
            .failures_by_reason
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        let _ = writeln!(out, "failures   {}", reasons.join(", "));
    }
}

/// The table stays readable on a terminal; json has every alert.
const ALERTS_SHOWN: usize = 40;

fn write_alerts(out: &mut String, alerts: &[AlertSummary]) {
    if alerts.is_empty() {
        let _ = writeln!(out, "alerts     none fired");
        return;
    }
    let _ = writeln!(out, "alerts");
    for a in alerts.iter().take(ALERTS_SHOWN) {
        let _ = writeln!(
            out,
            "  {:>8}  {:<16} {:<28} {}",
            secs(a.at_s),
            a.service,
            a.rule,
            a.message
        );
    }
    if alerts.len() > ALERTS_SHOWN {
        let _ = writeln!(
            out,
            "  … {} more (use --format json for all)",
            alerts.len() - ALERTS_SHOWN
        );
    }
}

pub fn presets_listing(format: Format) -> String {
    let all = presets::all();
    match format {
        Format::Json => {
            let items: Vec<serde_json::Value> = all
                .iter()
                .map(|p| {
                    serde_json::json!({
                        "name": p.name,
                        "title": p.title,
                        "description": p.description,
                        "seed_doc": p.seed_doc,
                        "duration_s": p.duration.as_secs_f64(),
                    })
                })
                .collect();
            format!(
                "{}\n",
                serde_json::to_string_pretty(&items).expect("serializes")
            )
        }
        _ => {
            let mut out = String::new();
            for p in &all {
                let _ = writeln!(out, "{:<32} {}", p.name, p.description);
            }
            out
        }
    }
}

pub fn params_listing(sc: &Scenario, format: Format) -> String {
    let params = list_params(sc);
    match format {
        Format::Json => format!(
            "{}\n",
            serde_json::to_string_pretty(&params).expect("serializes")
        ),
        Format::Csv | Format::Trace => {
            let mut out = String::from("path,value,allowed,help\n");
            for p in &params {
                let _ = writeln!(
                    out,
                    "{},{},{},\"{}\"",
                    p.path,
                    p.value,
                    p.allowed,
                    p.help.replace('"', "'")
                );
            }
            out
        }
        Format::Table => {
            let mut out = String::new();
            let width = params
                .iter()
                .map(|p| p.path.len())
                .max()
                .unwrap_or(4)
                .min(60);
            let _ = writeln!(
                out,
                "{:<width$}  {:<14} {:<26} HELP",
                "PATH", "VALUE", "ALLOWED"
            );
            for p in &params {
                let value = if p.value.len() > 14 {
                    format!(
                        "{}…",
                        &p.value[..p
                            .value
                            .char_indices()
                            .nth(12)
                            .map(|(i, _)| i)
                            .unwrap_or(p.value.len())]
                    )
                } else {
                    p.value.clone()
                };
                let _ = writeln!(
                    out,
                    "{:<width$}  {:<14} {:<26} {}",
                    p.path, value, p.allowed, p.help
                );
            }
            out
        }
    }
}
