//! Measures: numbers and names taken from a finished run. Questions are
//! graded against them, prose embeds them (`{first_oom_after_load_min(checkout)}`)
//! and claims compare them, so nothing a lesson says about a run is typed
//! by hand.
//!
//! A measure is written as a call: its name, then the service (or, for
//! `param`, the parameter path) and `key=value` arguments:
//! `utilization_reached_at_s(checkout, ratio=0.8)`.

mod call;
mod evaluate;
#[cfg(test)]
mod tests;

pub use call::Call;

use crate::alerts::Rule;
use crate::scenario::Scenario;
use crate::trace::Trace;
use crate::units::SimTime;

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
    /// Growth: "0.42 Mi per minute".
    MibPerMinute,
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
            Unit::MibPerMinute => format!("{n:.2} Mi per minute"),
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
            Unit::MibPerMinute => "Mi per minute",
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
    /// Goroutines at the first OOM kill: the lower median of the samples
    /// over the 10 s before it, so one sample inside a burst does not
    /// decide it.
    GoroutinesAtFirstOom {
        service: String,
    },
    /// How fast the working set grew, MiB a minute, from the first sample
    /// at load start to the last before the first OOM kill (or the run's
    /// end): a burst's step counts as growth wherever it falls.
    WorkingSetGrowthMiPerMin {
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

impl MeasureValue {
    /// The number, for a measure that gives one.
    pub fn number(&self) -> Option<f64> {
        match self {
            MeasureValue::Number(n) => Some(*n),
            MeasureValue::Text(_) => None,
        }
    }
}

/// The names measures are written with, and whether they need a service.
pub const NAMES: &[(&str, Needs)] = &[
    ("first_oom_after_load_min", Needs::Service),
    ("first_oom_at_s", Needs::Service),
    ("goroutines_at_first_oom", Needs::Service),
    ("working_set_growth_mi_per_min", Needs::Service),
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

impl Measure {
    /// Builds a measure from its call; the error names what is wrong.
    pub fn from_call(call: &Call) -> Result<Measure, String> {
        let needs = needs_of(&call.name)?;
        let subject = subject_of(call, needs)?;
        Measure::from_parts(call, subject)
    }

    /// The measure `call.name` names, about `subject`, with the call's
    /// arguments; the name is one of `NAMES`.
    fn from_parts(call: &Call, subject: String) -> Result<Measure, String> {
        let service = subject.clone();
        let ratio = || call.number("ratio", None, (0.0, 1.0));
        Ok(match call.name.as_str() {
            "first_oom_after_load_min" => Measure::FirstOomAfterLoadMin { service },
            "first_oom_at_s" => Measure::FirstOomAtS { service },
            "goroutines_at_first_oom" => Measure::GoroutinesAtFirstOom { service },
            "working_set_growth_mi_per_min" => Measure::WorkingSetGrowthMiPerMin { service },
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
            Measure::Restarts { .. }
            | Measure::OomKills { .. }
            | Measure::LivenessKills { .. }
            | Measure::GoroutinesAtFirstOom { .. } => Unit::Count,
            Measure::WorkingSetGrowthMiPerMin { .. } => Unit::MibPerMinute,
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
            | Measure::GoroutinesAtFirstOom { service }
            | Measure::WorkingSetGrowthMiPerMin { service }
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
            "service `{name}` is not in the scenario; it has {}",
            known.join(", ")
        ))
    }

    /// The measure on a run, in words with its unit: "11.5 min", "9:15".
    pub fn text(&self, trace: &Trace) -> Option<String> {
        Some(match self.evaluate(trace)? {
            MeasureValue::Number(n) => self.unit().format(n),
            MeasureValue::Text(t) => t,
        })
    }
}

/// Whether the measure `name` needs a service, a subject or nothing.
fn needs_of(name: &str) -> Result<Needs, String> {
    match NAMES.iter().find(|(n, _)| *n == name) {
        Some((_, needs)) => Ok(*needs),
        None => {
            let names: Vec<&str> = NAMES.iter().map(|(n, _)| *n).collect();
            Err(format!("no measure `{name}`; one of {}", names.join(", ")))
        }
    }
}

/// The call's first argument, checked against what the measure needs
/// (empty for a measure that takes none).
fn subject_of(call: &Call, needs: Needs) -> Result<String, String> {
    match (needs, &call.subject) {
        (Needs::Nothing, None) => Ok(String::new()),
        (Needs::Nothing, Some(s)) => Err(format!("`{}` takes no service (got `{s}`)", call.name)),
        (_, Some(s)) => Ok(s.clone()),
        (Needs::Service, None) => Err(format!(
            "`{}` is about one service: `{}(SERVICE)`",
            call.name, call.name
        )),
        (Needs::Subject, None) => Err(format!(
            "`{}` needs what it is about: `param(workload.users)`, `event_at_s(FlagChanged)`",
            call.name
        )),
    }
}
