//! Measures: numbers and names taken from a finished run. Questions are
//! graded against them, prose embeds them (`{first_oom_after_load_min(checkout)}`)
//! and claims compare them, so nothing a lesson says about a run is typed
//! by hand.
//!
//! A measure is written as a call: its name, then the service (or, for
//! `param`, the parameter path) and `key=value` arguments:
//! `utilization_reached_at_s(checkout, ratio=0.8)`.

use crate::alerts::Rule;
use crate::checks::not_growing_cause;
use crate::metrics as m;
use crate::scenario::Scenario;
use crate::trace::Trace;
use crate::units::{parse_duration, parse_f64, SimTime, MIB};
use std::fmt;

/// How a measure's number reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// A duration in minutes: "11.5 min".
    Minutes,
    /// A moment of the run, seconds from its start: "9:15".
    Moment,
    /// MiB, as kubectl prints it: "19.2 Mi".
    Mib,
    Millis,
    Percent,
    Count,
    PerMinute,
    /// Text: a service, a cause, an allocation site, a parameter's value.
    Name,
}

impl Unit {
    /// The number as a learner reads it, with its unit.
    pub fn format(self, n: f64) -> String {
        match self {
            Unit::Minutes => format!("{} min", one_decimal(n)),
            Unit::Moment => clock(n),
            Unit::Mib => format!("{} Mi", one_decimal(n)),
            Unit::Millis if n >= 1000.0 => format!("{} s", one_decimal(n / 1000.0)),
            Unit::Millis => format!("{n:.0} ms"),
            Unit::Percent => format!("{} %", one_decimal(n)),
            Unit::Count => format!("{n:.0}"),
            Unit::PerMinute => format!("{n:.0} per minute"),
            Unit::Name => one_decimal(n),
        }
    }

    /// What a learner types after the number, if anything: shown beside
    /// the answer box.
    pub fn suffix(self) -> &'static str {
        match self {
            Unit::Minutes => "min",
            Unit::Moment => "m:ss",
            Unit::Mib => "Mi",
            Unit::Millis => "ms",
            Unit::Percent => "%",
            Unit::PerMinute => "per minute",
            Unit::Count | Unit::Name => "",
        }
    }

    /// The words for "more" and "less" of this unit, for hints.
    pub fn directions(self) -> (&'static str, &'static str) {
        match self {
            Unit::Minutes => ("It takes longer than that", "It comes sooner than that"),
            Unit::Moment => ("Later than that", "Earlier than that"),
            Unit::Count => ("More than that", "Fewer than that"),
            _ => ("Higher than that", "Lower than that"),
        }
    }
}

fn one_decimal(n: f64) -> String {
    if (n - n.round()).abs() < 0.05 {
        format!("{n:.0}")
    } else {
        format!("{n:.1}")
    }
}

/// Seconds as a clock: `0:45`, `12:03`, `1:02:03`.
pub fn clock(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

/// When a `from` argument starts counting.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Since {
    /// When the load first started (the run's start without load).
    Load,
    At(SimTime),
}

/// A number or a name taken from a run.
#[derive(Clone, Debug, PartialEq)]
pub enum Measure {
    /// Minutes from load start to the service's first OOM kill.
    FirstOomAfterLoadMin {
        service: String,
    },
    /// Seconds from the start of the run to the service's first OOM kill.
    FirstOomAtS {
        service: String,
    },
    Restarts {
        service: String,
    },
    OomKills {
        service: String,
    },
    /// Restarts kubelet made because the liveness probe failed.
    LivenessKills {
        service: String,
    },
    /// Peak working set, MiB.
    PeakWorkingSetMi {
        service: String,
    },
    /// Peak working set over the limit, percent.
    PeakUtilizationPercent {
        service: String,
    },
    /// Locust's P95 over every response, failures included, ms.
    LatencyP95Ms,
    LatencyP99Ms,
    FailurePercent,
    /// The service that restarted most, or "none".
    MostRestarted,
    /// Seconds into the run when the service's GC rate first reached
    /// `per_min` collections a minute.
    GcRateReachedAtS {
        service: String,
        per_min: f64,
    },
    /// Collections a minute around a moment (over the sample before it).
    GcPerMinAt {
        service: String,
        at: SimTime,
    },
    /// What keeps the service's memory from growing into an OOM kill, by
    /// seed 002's checklist (see [`crate::checks::not_growing_cause`]).
    NotGrowingCause {
        service: String,
    },
    /// The service's working set at a moment, MiB.
    WorkingSetAtMi {
        service: String,
        at: SimTime,
    },
    /// The largest allocation site tracemalloc shows at a moment (Python).
    TopAllocationSiteAt {
        service: String,
        at: SimTime,
    },
    /// Seconds into the run when working set / limit first reached `ratio`.
    UtilizationReachedAtS {
        service: String,
        ratio: f64,
    },
    /// Highest minus lowest working set from `from` (by default the load
    /// start, and never the run's first minute, when the process starts) to
    /// the first OOM kill or the end, MiB: how flat the memory line is.
    WorkingSetRangeMi {
        service: String,
        from: Since,
    },
    /// The service's own P99 (server side) over the minute around the
    /// moment its utilization first reached `ratio`, ms.
    P99AtUtilizationMs {
        service: String,
        ratio: f64,
    },
    /// The first alert to fire for the service (restart alerts aside).
    FirstAlert {
        service: String,
    },
    /// Seconds into the run when `rule` first fired for the service.
    AlertFiredAtS {
        service: String,
        rule: Rule,
    },
    /// Minutes from `rule` first firing to the service's first OOM kill.
    AlertLeadMin {
        service: String,
        rule: Rule,
    },
    /// Seconds into the run when the load started.
    LoadStartedAtS,
    /// Seconds into the run of the first event with this reason
    /// (`FlagChanged`, `LoadStarted`, `OOMKilled`, `BackOff` …).
    EventAtS {
        reason: String,
    },
    /// A scenario parameter's value as written (`param(workload.users)`).
    Param {
        path: String,
    },
}

/// What a measure gave on a run.
#[derive(Clone, Debug, PartialEq)]
pub enum MeasureValue {
    Number(f64),
    Text(String),
}

/// The names measures are written with, and whether they need a service.
pub const NAMES: &[(&str, Needs)] = &[
    ("first_oom_after_load_min", Needs::Service),
    ("first_oom_at_s", Needs::Service),
    ("restarts", Needs::Service),
    ("oom_kills", Needs::Service),
    ("liveness_kills", Needs::Service),
    ("peak_working_set_mi", Needs::Service),
    ("peak_utilization_percent", Needs::Service),
    ("latency_p95_ms", Needs::Nothing),
    ("latency_p99_ms", Needs::Nothing),
    ("failure_percent", Needs::Nothing),
    ("most_restarted", Needs::Nothing),
    ("gc_rate_reached_at_s", Needs::Service),
    ("gc_per_min_at", Needs::Service),
    ("not_growing_cause", Needs::Service),
    ("working_set_at_mi", Needs::Service),
    ("top_allocation_site_at", Needs::Service),
    ("utilization_reached_at_s", Needs::Service),
    ("working_set_range_mi", Needs::Service),
    ("p99_at_utilization_ms", Needs::Service),
    ("first_alert", Needs::Service),
    ("alert_fired_at_s", Needs::Service),
    ("alert_lead_min", Needs::Service),
    ("load_started_at_s", Needs::Nothing),
    ("event_at_s", Needs::Subject),
    ("param", Needs::Subject),
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Needs {
    Nothing,
    Service,
    /// Not a service: a parameter path, an event reason.
    Subject,
}

/// A measure as written: its name, its first argument and `key=value`s.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Call {
    pub name: String,
    pub subject: Option<String>,
    pub args: Vec<(String, String)>,
}

/// Arguments a measure call may not have more of.
const MAX_ARGS: usize = 4;

impl Call {
    /// Reads `name(subject, key=value, …)`; `name` alone has no arguments.
    pub fn parse(text: &str) -> Result<Call, String> {
        let text = text.trim();
        let (name, rest) = match text.split_once('(') {
            Some((n, r)) => (
                n.trim(),
                Some(
                    r.strip_suffix(')')
                        .ok_or_else(|| format!("`{text}`: a call ends with `)`"))?,
                ),
            ),
            None => (text, None),
        };
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            return Err(format!(
                "`{text}`: a measure name is lowercase letters, digits and `_`"
            ));
        }
        let mut call = Call {
            name: name.to_string(),
            ..Call::default()
        };
        let parts = rest
            .map(|r| {
                r.split(',')
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default();
        if parts.len() > MAX_ARGS {
            return Err(format!("`{text}`: at most {MAX_ARGS} arguments"));
        }
        for (i, part) in parts.into_iter().enumerate() {
            match part.split_once('=') {
                Some((k, v)) => call.args.push((k.trim().to_string(), v.trim().to_string())),
                None if i == 0 => call.subject = Some(part.to_string()),
                None => {
                    return Err(format!(
                        "`{text}`: only the first argument goes without a name; write `key=value`"
                    ))
                }
            }
        }
        Ok(call)
    }

    fn arg(&self, key: &str) -> Option<&str> {
        self.args
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    fn number(&self, key: &str, default: Option<f64>, range: (f64, f64)) -> Result<f64, String> {
        let value = match self.arg(key) {
            Some(text) => {
                parse_f64(text).ok_or_else(|| format!("`{key}` is not a number: `{text}`"))?
            }
            None => default.ok_or_else(|| format!("`{}` needs `{key}=…`", self.name))?,
        };
        if value < range.0 || value > range.1 || !value.is_finite() {
            return Err(format!("`{key}` must be from {} to {}", range.0, range.1));
        }
        Ok(value)
    }

    fn moment(&self, key: &str) -> Result<SimTime, String> {
        let text = self
            .arg(key)
            .ok_or_else(|| format!("`{}` needs `{key}=…`, a moment like 5m30s", self.name))?;
        parse_duration(text).map_err(|e| format!("`{key}`: {e}"))
    }

    fn rule(&self) -> Result<Rule, String> {
        let text = self
            .arg("rule")
            .ok_or_else(|| format!("`{}` needs `rule=…`", self.name))?;
        Rule::parse(text).ok_or_else(|| {
            let names: Vec<&str> = Rule::ALL.iter().map(|r| r.as_str()).collect();
            format!("`rule`: no rule `{text}`; one of {}", names.join(", "))
        })
    }

    fn from(&self) -> Result<Since, String> {
        match self.arg("from") {
            None | Some("load") => Ok(Since::Load),
            Some(t) => parse_duration(t)
                .map(Since::At)
                .map_err(|e| format!("`from`: {e}")),
        }
    }
}

impl fmt::Display for Call {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        let mut parts: Vec<String> = self.subject.iter().cloned().collect();
        parts.extend(self.args.iter().map(|(k, v)| format!("{k}={v}")));
        if !parts.is_empty() {
            write!(f, "({})", parts.join(", "))?;
        }
        Ok(())
    }
}

impl Measure {
    /// Builds a measure from its call; the error names what is wrong.
    pub fn from_call(call: &Call) -> Result<Measure, String> {
        let Some((_, needs)) = NAMES.iter().find(|(n, _)| *n == call.name) else {
            let names: Vec<&str> = NAMES.iter().map(|(n, _)| *n).collect();
            return Err(format!(
                "no measure `{}`; one of {}",
                call.name,
                names.join(", ")
            ));
        };
        let subject = match (needs, &call.subject) {
            (Needs::Nothing, None) => String::new(),
            (Needs::Nothing, Some(s)) => {
                return Err(format!("`{}` takes no service (got `{s}`)", call.name))
            }
            (_, Some(s)) => s.clone(),
            (Needs::Service, None) => {
                return Err(format!(
                    "`{}` is about one service: `{}(SERVICE)`",
                    call.name, call.name
                ))
            }
            (Needs::Subject, None) => {
                return Err(format!(
                "`{}` needs what it is about: `param(workload.users)`, `event_at_s(FlagChanged)`",
                call.name
            ))
            }
        };
        let service = subject.clone();
        let ratio = || call.number("ratio", None, (0.0, 1.0));
        Ok(match call.name.as_str() {
            "first_oom_after_load_min" => Measure::FirstOomAfterLoadMin { service },
            "first_oom_at_s" => Measure::FirstOomAtS { service },
            "restarts" => Measure::Restarts { service },
            "oom_kills" => Measure::OomKills { service },
            "liveness_kills" => Measure::LivenessKills { service },
            "peak_working_set_mi" => Measure::PeakWorkingSetMi { service },
            "peak_utilization_percent" => Measure::PeakUtilizationPercent { service },
            "latency_p95_ms" => Measure::LatencyP95Ms,
            "latency_p99_ms" => Measure::LatencyP99Ms,
            "failure_percent" => Measure::FailurePercent,
            "most_restarted" => Measure::MostRestarted,
            "gc_rate_reached_at_s" => Measure::GcRateReachedAtS {
                service,
                per_min: call.number("per_min", Some(6.0), (0.1, 100_000.0))?,
            },
            "gc_per_min_at" => Measure::GcPerMinAt {
                service,
                at: call.moment("at")?,
            },
            "not_growing_cause" => Measure::NotGrowingCause { service },
            "working_set_at_mi" => Measure::WorkingSetAtMi {
                service,
                at: call.moment("at")?,
            },
            "top_allocation_site_at" => Measure::TopAllocationSiteAt {
                service,
                at: call.moment("at")?,
            },
            "utilization_reached_at_s" => Measure::UtilizationReachedAtS {
                service,
                ratio: ratio()?,
            },
            "working_set_range_mi" => Measure::WorkingSetRangeMi {
                service,
                from: call.from()?,
            },
            "p99_at_utilization_ms" => Measure::P99AtUtilizationMs {
                service,
                ratio: ratio()?,
            },
            "first_alert" => Measure::FirstAlert { service },
            "alert_fired_at_s" => Measure::AlertFiredAtS {
                service,
                rule: call.rule()?,
            },
            "alert_lead_min" => Measure::AlertLeadMin {
                service,
                rule: call.rule()?,
            },
            "load_started_at_s" => Measure::LoadStartedAtS,
            "event_at_s" => Measure::EventAtS { reason: subject },
            "param" => Measure::Param { path: subject },
            other => unreachable!("{other} is listed in NAMES"),
        })
    }

    /// Reads `name(subject, key=value)` into a measure.
    pub fn parse(text: &str) -> Result<Measure, String> {
        Measure::from_call(&Call::parse(text)?)
    }

    pub fn unit(&self) -> Unit {
        match self {
            Measure::FirstOomAfterLoadMin { .. } | Measure::AlertLeadMin { .. } => Unit::Minutes,
            Measure::FirstOomAtS { .. }
            | Measure::GcRateReachedAtS { .. }
            | Measure::UtilizationReachedAtS { .. }
            | Measure::AlertFiredAtS { .. }
            | Measure::LoadStartedAtS
            | Measure::EventAtS { .. } => Unit::Moment,
            Measure::Restarts { .. } | Measure::OomKills { .. } | Measure::LivenessKills { .. } => {
                Unit::Count
            }
            Measure::PeakWorkingSetMi { .. }
            | Measure::WorkingSetAtMi { .. }
            | Measure::WorkingSetRangeMi { .. } => Unit::Mib,
            Measure::PeakUtilizationPercent { .. } | Measure::FailurePercent => Unit::Percent,
            Measure::LatencyP95Ms | Measure::LatencyP99Ms | Measure::P99AtUtilizationMs { .. } => {
                Unit::Millis
            }
            Measure::GcPerMinAt { .. } => Unit::PerMinute,
            Measure::MostRestarted
            | Measure::NotGrowingCause { .. }
            | Measure::TopAllocationSiteAt { .. }
            | Measure::FirstAlert { .. }
            | Measure::Param { .. } => Unit::Name,
        }
    }

    pub fn service(&self) -> Option<&str> {
        match self {
            Measure::FirstOomAfterLoadMin { service }
            | Measure::FirstOomAtS { service }
            | Measure::Restarts { service }
            | Measure::OomKills { service }
            | Measure::LivenessKills { service }
            | Measure::PeakWorkingSetMi { service }
            | Measure::PeakUtilizationPercent { service }
            | Measure::GcRateReachedAtS { service, .. }
            | Measure::GcPerMinAt { service, .. }
            | Measure::NotGrowingCause { service }
            | Measure::WorkingSetAtMi { service, .. }
            | Measure::TopAllocationSiteAt { service, .. }
            | Measure::UtilizationReachedAtS { service, .. }
            | Measure::WorkingSetRangeMi { service, .. }
            | Measure::P99AtUtilizationMs { service, .. }
            | Measure::FirstAlert { service }
            | Measure::AlertFiredAtS { service, .. }
            | Measure::AlertLeadMin { service, .. } => Some(service),
            _ => None,
        }
    }

    /// Whether the measure fits the scenario: its service exists, its
    /// parameter path is one `--set` knows.
    pub fn problem(&self, scenario: &Scenario) -> Option<String> {
        if let Measure::Param { path } = self {
            let known = crate::scenario::list_params(scenario)
                .iter()
                .any(|p| p.path == *path);
            return (!known).then(|| {
                format!("`{path}` is not a parameter of this scenario (see `incident params`)")
            });
        }
        let name = self.service()?;
        if scenario.services.contains_key(name) {
            return None;
        }
        let known: Vec<&str> = scenario.services.keys().map(String::as_str).collect();
        Some(format!(
            "service `{name}` is not in this step's scenario; it has {}",
            known.join(", ")
        ))
    }

    /// The measure on a run; `None` when the run never got there (no OOM).
    pub fn evaluate(&self, trace: &Trace) -> Option<MeasureValue> {
        let s = &trace.summary;
        let svc = |name: &str| s.services.iter().find(|x| x.name == name);
        let number = |v: f64| Some(MeasureValue::Number(v));
        let mib = |b: f64| b / MIB as f64;
        match self {
            Measure::FirstOomAfterLoadMin { service } => {
                let oom = svc(service)?.first_oom_s?;
                number((oom - s.load_started_s.unwrap_or(0.0)).max(0.0) / 60.0)
            }
            Measure::FirstOomAtS { service } => number(svc(service)?.first_oom_s?),
            Measure::Restarts { service } => number(svc(service)?.restarts as f64),
            Measure::OomKills { service } => number(svc(service)?.oom_kills as f64),
            Measure::LivenessKills { service } => number(svc(service)?.liveness_kills as f64),
            Measure::PeakWorkingSetMi { service } => {
                number(mib(svc(service)?.peak_working_set_bytes))
            }
            Measure::PeakUtilizationPercent { service } => {
                number(svc(service)?.peak_utilization * 100.0)
            }
            Measure::LatencyP95Ms => number(s.requests.latency_ms_p95?),
            Measure::LatencyP99Ms => number(s.requests.latency_ms_p99?),
            Measure::FailurePercent => number(s.requests.failure_ratio * 100.0),
            Measure::MostRestarted => {
                let top = s
                    .services
                    .iter()
                    .filter(|x| x.restarts > 0)
                    .max_by_key(|x| x.restarts);
                Some(MeasureValue::Text(
                    top.map_or_else(|| "none".to_string(), |x| x.name.clone()),
                ))
            }
            Measure::GcRateReachedAtS { service, per_min } => gc_rates(trace, service)?
                .find(|(_, rate)| rate >= per_min)
                .and_then(|(t, _)| number(t)),
            Measure::GcPerMinAt { service, at } => {
                let at_s = at.as_secs_f64();
                gc_rates(trace, service)?
                    .take_while(|(t, _)| *t <= at_s + 1e-9)
                    .last()
                    .and_then(|(_, rate)| number(rate))
            }
            Measure::NotGrowingCause { service } => {
                not_growing_cause(trace, service).map(|c| MeasureValue::Text(c.to_string()))
            }
            Measure::WorkingSetAtMi { service, at } => number(mib(crate::view::value_at(
                trace,
                m::WORKING_SET.name,
                service,
                *at,
            )?)),
            Measure::TopAllocationSiteAt { service, at } => {
                crate::view::allocation_sites_at(trace, &trace.scenario, service, *at)
                    .into_iter()
                    .next()
                    .map(|site| MeasureValue::Text(site.site))
            }
            Measure::UtilizationReachedAtS { service, ratio } => {
                utilization_reached_s(trace, service, *ratio).and_then(number)
            }
            Measure::WorkingSetRangeMi { service, from } => {
                let from_s = match from {
                    // Not the process's own start-up either.
                    Since::Load => s.load_started_s.unwrap_or(0.0).max(STARTUP_S),
                    Since::At(t) => t.as_secs_f64(),
                };
                let until_s = svc(service)?.first_oom_s.unwrap_or(f64::INFINITY);
                let (lo, hi) = samples(trace, m::WORKING_SET.name, service)?
                    .filter(|(t, _)| *t >= from_s && *t < until_s)
                    .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), (_, v)| {
                        (lo.min(v), hi.max(v))
                    });
                (hi >= lo).then(|| MeasureValue::Number(mib(hi - lo)))
            }
            Measure::P99AtUtilizationMs { service, ratio } => {
                let at = utilization_reached_s(trace, service, *ratio)?;
                let (sum, n) = samples(trace, m::SERVER_P99.name, service)?
                    .filter(|(t, _)| (*t - at).abs() <= 30.0)
                    .fold((0.0, 0u32), |(sum, n), (_, v)| (sum + v, n + 1));
                (n > 0).then(|| MeasureValue::Number(sum / f64::from(n)))
            }
            Measure::FirstAlert { service } => trace
                .alerts
                .iter()
                .find(|a| a.service == *service && a.rule != Rule::ContainerRestarted)
                .map(|a| MeasureValue::Text(a.rule.label().to_string())),
            Measure::AlertFiredAtS { service, rule } => {
                alert_first_s(trace, service, *rule).and_then(number)
            }
            Measure::AlertLeadMin { service, rule } => {
                let oom = svc(service)?.first_oom_s?;
                let fired = alert_first_s(trace, service, *rule)?;
                (fired <= oom).then(|| MeasureValue::Number((oom - fired) / 60.0))
            }
            Measure::LoadStartedAtS => number(s.load_started_s?),
            Measure::EventAtS { reason } => trace
                .events
                .iter()
                .find(|e| e.reason == *reason)
                .and_then(|e| number(e.at_us as f64 / 1e6)),
            Measure::Param { path } => crate::scenario::list_params(&trace.scenario)
                .into_iter()
                .find(|p| p.path == *path)
                .map(|p| MeasureValue::Text(p.value)),
        }
    }

    /// The measure on a run, in words with its unit: "11.5 min", "9:15".
    pub fn text(&self, trace: &Trace) -> Option<String> {
        Some(match self.evaluate(trace)? {
            MeasureValue::Number(n) => self.unit().format(n),
            MeasureValue::Text(t) => t,
        })
    }
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

/// (seconds, collections a minute) between consecutive samples of the GC
/// count; a restart (the count falls) or a gap starts over.
fn gc_rates<'a>(trace: &'a Trace, service: &str) -> Option<impl Iterator<Item = (f64, f64)> + 'a> {
    let series = trace.find_series(m::GO_GC_COUNT.name, service)?;
    let mut previous: Option<(f64, f64)> = None;
    Some(
        trace
            .sample_times_us
            .iter()
            .zip(series.values.iter())
            .filter_map(move |(t, v)| {
                let t = *t as f64 / 1e6;
                let Some(v) = *v else {
                    previous = None;
                    return None;
                };
                let rate = previous
                    .filter(|(t0, v0)| t > *t0 && v >= *v0)
                    .map(|(t0, v0)| (v - v0) / ((t - t0) / 60.0));
                previous = Some((t, v));
                rate.map(|r| (t, r))
            }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{presets, simulate};

    #[test]
    fn calls_read_names_subjects_and_arguments() {
        let c = Call::parse("utilization_reached_at_s(checkout, ratio=0.8)").unwrap();
        assert_eq!(c.name, "utilization_reached_at_s");
        assert_eq!(c.subject.as_deref(), Some("checkout"));
        assert_eq!(c.args, vec![("ratio".to_string(), "0.8".to_string())]);
        assert_eq!(
            c.to_string(),
            "utilization_reached_at_s(checkout, ratio=0.8)"
        );
        assert_eq!(Call::parse("most_restarted").unwrap().subject, None);
        assert!(Call::parse("restarts(checkout").is_err());
        assert!(Call::parse("restarts(a, b)")
            .unwrap_err()
            .contains("key=value"));
        assert!(Measure::parse("restarts")
            .unwrap_err()
            .contains("one service"));
        assert!(Measure::parse("latency_p95_ms(checkout)").is_err());
        assert!(Measure::parse("nope(checkout)")
            .unwrap_err()
            .contains("no measure"));
        assert!(
            Measure::parse("utilization_reached_at_s(checkout, ratio=2)")
                .unwrap_err()
                .contains("from 0 to 1")
        );
        assert!(Measure::parse("alert_lead_min(checkout, rule=bogus)")
            .unwrap_err()
            .contains("memory_utilization_warning"));
    }

    #[test]
    fn units_read_as_a_learner_reads_them() {
        assert_eq!(Unit::Minutes.format(11.46), "11.5 min");
        assert_eq!(Unit::Minutes.format(3.02), "3 min");
        assert_eq!(Unit::Moment.format(555.0), "9:15");
        assert_eq!(Unit::Mib.format(19.23), "19.2 Mi");
        assert_eq!(Unit::Millis.format(2140.0), "2.1 s");
        assert_eq!(Unit::Millis.format(312.4), "312 ms");
        assert_eq!(Unit::Percent.format(4.21), "4.2 %");
    }

    #[test]
    fn measures_follow_the_run() {
        let sc = presets::load("checkout-gradual").unwrap();
        let trace = simulate(&sc);
        let value = |text: &str| Measure::parse(text).unwrap().evaluate(&trace);
        let Some(MeasureValue::Number(oom_min)) = value("first_oom_after_load_min(checkout)")
        else {
            panic!("the gradual leak OOMs");
        };
        let Some(MeasureValue::Number(at80)) =
            value("utilization_reached_at_s(checkout, ratio=0.8)")
        else {
            panic!("it passes 80 %");
        };
        let Some(MeasureValue::Number(at50)) =
            value("utilization_reached_at_s(checkout, ratio=0.5)")
        else {
            panic!("it passes 50 %");
        };
        assert!(at50 < at80, "50 % before 80 %");
        let load = trace.summary.load_started_s.unwrap_or(0.0);
        assert!(at80 < load + oom_min * 60.0, "80 % before the kill");
        assert_eq!(
            value("param(flags.kafkaQueueProblems.variants.on)"),
            Some(MeasureValue::Text("300".into()))
        );
        let Some(MeasureValue::Number(range)) = value("working_set_range_mi(checkout)") else {
            panic!("a range");
        };
        assert!(range > 5.0, "the leak climbs: {range} Mi");
        assert!(value("first_alert(checkout)").is_some());
    }

    #[test]
    fn flat_memory_has_a_small_range_and_no_oom() {
        let sc = presets::load("not-growing-flag-off").unwrap();
        let trace = simulate(&sc);
        let m = Measure::parse("working_set_range_mi(checkout)").unwrap();
        let Some(MeasureValue::Number(range)) = m.evaluate(&trace) else {
            panic!("a range");
        };
        assert!(range < 0.5, "flat: {range} Mi");
        assert_eq!(
            Measure::parse("first_oom_at_s(checkout)")
                .unwrap()
                .evaluate(&trace),
            None
        );
    }
}
