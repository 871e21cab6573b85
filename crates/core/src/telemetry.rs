//! What the run records: sampled series named after OpenTelemetry
//! conventions, a kubelet-style event log, and each pod's status history.

use crate::units::SimTime;
use serde::Serialize;

/// One sampled series. `None` is a gap: nothing to report (the container
/// was down, or no request completed in the interval).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Series {
    pub name: String,
    pub service: String,
    /// UCUM-ish, as OpenTelemetry writes it: `By`, `1`, `ms`, `{request}/s`.
    pub unit: String,
    pub values: Vec<Option<f64>>,
}

/// Registry and storage of all series of a run.
#[derive(Clone, Debug, Default)]
pub struct Recorder {
    pub series: Vec<Series>,
}

pub type SeriesId = usize;

impl Recorder {
    /// A series of a catalogued metric for a service (`crate::metrics`).
    pub fn add_metric(
        &mut self,
        metric: &crate::metrics::Metric,
        service: &str,
        capacity: usize,
    ) -> SeriesId {
        self.add(metric.name, service, metric.unit, capacity)
    }

    pub fn add(&mut self, name: &str, service: &str, unit: &str, capacity: usize) -> SeriesId {
        self.series.push(Series {
            name: name.to_string(),
            service: service.to_string(),
            unit: unit.to_string(),
            values: Vec::with_capacity(capacity),
        });
        self.series.len() - 1
    }

    /// Non-finite and negative values are recorded as gaps: a series never
    /// carries NaN or a negative number.
    pub fn push(&mut self, id: SeriesId, value: Option<f64>) {
        let clean = value.filter(|v| v.is_finite()).map(|v| v.max(0.0));
        self.series[id].values.push(clean);
    }

    pub fn last(&self, id: SeriesId) -> Option<f64> {
        self.series[id].values.last().copied().flatten()
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub enum EventType {
    #[default]
    Normal,
    Warning,
    /// Something the scenario's timeline did (flag change, load start).
    Action,
    /// An alert changed state.
    Alert,
    /// A line the application logged.
    Log,
}

impl EventType {
    pub const ALL: [EventType; 5] = [
        EventType::Normal,
        EventType::Warning,
        EventType::Action,
        EventType::Alert,
        EventType::Log,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Normal => "Normal",
            EventType::Warning => "Warning",
            EventType::Action => "Action",
            EventType::Alert => "Alert",
            EventType::Log => "Log",
        }
    }
}

/// One line of the event log, in kubelet wording where it is a kubelet event.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LogEvent {
    pub at_us: u64,
    #[serde(rename = "type")]
    pub kind: EventType,
    /// `pod/checkout-5d8f…` or `deployment/front-end` or `flagd`.
    pub object: String,
    pub reason: String,
    pub message: String,
}

impl LogEvent {
    pub fn at(&self) -> SimTime {
        SimTime(self.at_us)
    }
}

/// Bounded: a scenario cannot fill memory with log lines.
pub const MAX_LOG_EVENTS: usize = 20_000;

#[derive(Clone, Debug, Default)]
pub struct EventLog {
    pub events: Vec<LogEvent>,
    pub dropped: u64,
}

impl EventLog {
    pub fn push(
        &mut self,
        at: SimTime,
        kind: EventType,
        object: &str,
        reason: &str,
        message: String,
    ) {
        if self.events.len() >= MAX_LOG_EVENTS {
            self.dropped += 1;
            return;
        }
        self.events.push(LogEvent {
            at_us: at.0,
            kind,
            object: object.to_string(),
            reason: reason.to_string(),
            message,
        });
    }
}

/// A pod's STATUS column, as `kubectl get pods` prints it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub enum PodStatus {
    ContainerCreating,
    #[default]
    Running,
    OOMKilled,
    Error,
    CrashLoopBackOff,
    Terminating,
    Completed,
}

impl PodStatus {
    pub const ALL: [PodStatus; 7] = [
        PodStatus::ContainerCreating,
        PodStatus::Running,
        PodStatus::OOMKilled,
        PodStatus::Error,
        PodStatus::CrashLoopBackOff,
        PodStatus::Terminating,
        PodStatus::Completed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PodStatus::ContainerCreating => "ContainerCreating",
            PodStatus::Running => "Running",
            PodStatus::OOMKilled => "OOMKilled",
            PodStatus::Error => "Error",
            PodStatus::CrashLoopBackOff => "CrashLoopBackOff",
            PodStatus::Terminating => "Terminating",
            PodStatus::Completed => "Completed",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PodChange {
    pub at_us: u64,
    pub status: PodStatus,
    pub ready: bool,
    pub restarts: u32,
}

/// Bounded per pod: beyond this the history keeps only the latest state.
pub const MAX_POD_CHANGES: usize = 4_000;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PodTimeline {
    pub name: String,
    pub service: String,
    pub created_us: u64,
    pub deleted_us: Option<u64>,
    pub changes: Vec<PodChange>,
}

/// One row of `kubectl get pods` at a moment.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PodRow {
    pub name: String,
    pub service: String,
    pub ready: String,
    pub status: String,
    pub restarts: String,
    pub age: String,
}

impl PodTimeline {
    /// The pod's state at `t`, or `None` when it did not exist.
    pub fn state_at(&self, t: SimTime) -> Option<&PodChange> {
        if t.0 < self.created_us || self.deleted_us.is_some_and(|d| t.0 >= d) {
            return None;
        }
        let i = self.changes.partition_point(|c| c.at_us <= t.0);
        if i == 0 {
            None
        } else {
            Some(&self.changes[i - 1])
        }
    }

    /// The last restart at or before `t`, for the RESTARTS column's "(2m ago)".
    fn last_restart_before(&self, t: SimTime) -> Option<u64> {
        let mut last = None;
        let mut previous = 0;
        for c in &self.changes {
            if c.at_us > t.0 {
                break;
            }
            if c.restarts > previous {
                last = Some(c.at_us);
            }
            previous = c.restarts;
        }
        last
    }

    pub fn row_at(&self, t: SimTime) -> Option<PodRow> {
        let state = self.state_at(t)?;
        let age = kubectl_age(SimTime(t.0 - self.created_us));
        let restarts = match (state.restarts, self.last_restart_before(t)) {
            (0, _) | (_, None) => state.restarts.to_string(),
            (n, Some(at)) => format!("{n} ({} ago)", kubectl_age(SimTime(t.0 - at))),
        };
        Some(PodRow {
            name: self.name.clone(),
            service: self.service.clone(),
            ready: format!("{}/1", u8::from(state.ready)),
            status: state.status.as_str().to_string(),
            restarts,
            age,
        })
    }
}

/// kubectl's AGE column: `45s`, `3m12s`, `12m`, `2h5m`.
pub fn kubectl_age(d: SimTime) -> String {
    let secs = d.0 / 1_000_000;
    if secs < 120 {
        format!("{secs}s")
    } else if secs < 600 {
        format!("{}m{}s", secs / 60, secs % 60)
    } else if secs < 3 * 3600 {
        let m = secs / 60;
        if m.is_multiple_of(60) || m < 60 {
            format!("{m}m")
        } else {
            format!("{}h{}m", m / 60, m % 60)
        }
    } else {
        format!("{}h", secs / 3600)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorder_never_stores_nan_or_negative() {
        let mut r = Recorder::default();
        let id = r.add("x", "svc", "1", 4);
        r.push(id, Some(f64::NAN));
        r.push(id, Some(-3.0));
        r.push(id, Some(2.0));
        r.push(id, None);
        assert_eq!(r.series[id].values, vec![None, Some(0.0), Some(2.0), None]);
    }

    #[test]
    fn pod_rows_read_like_kubectl() {
        let s = |x: u64| x * 1_000_000;
        let pod = PodTimeline {
            name: "checkout-5d8f7c9b4-x2k7p".into(),
            service: "checkout".into(),
            created_us: 0,
            deleted_us: None,
            changes: vec![
                PodChange {
                    at_us: 0,
                    status: PodStatus::ContainerCreating,
                    ready: false,
                    restarts: 0,
                },
                PodChange {
                    at_us: s(2),
                    status: PodStatus::Running,
                    ready: true,
                    restarts: 0,
                },
                PodChange {
                    at_us: s(70),
                    status: PodStatus::OOMKilled,
                    ready: false,
                    restarts: 0,
                },
                PodChange {
                    at_us: s(71),
                    status: PodStatus::Running,
                    ready: true,
                    restarts: 1,
                },
            ],
        };
        let row = pod.row_at(SimTime::from_secs(30)).unwrap();
        assert_eq!(
            (
                row.ready.as_str(),
                row.status.as_str(),
                row.restarts.as_str()
            ),
            ("1/1", "Running", "0")
        );
        let row = pod.row_at(SimTime::from_secs(70)).unwrap();
        assert_eq!(row.status, "OOMKilled");
        let row = pod.row_at(SimTime::from_secs(200)).unwrap();
        assert_eq!(row.restarts, "1 (2m9s ago)");
        assert_eq!(row.age, "3m20s");
        assert!(pod.row_at(SimTime::from_secs(0)).is_some());
    }

    #[test]
    fn ages_format_like_kubectl() {
        assert_eq!(kubectl_age(SimTime::from_secs(45)), "45s");
        assert_eq!(kubectl_age(SimTime::from_secs(192)), "3m12s");
        assert_eq!(kubectl_age(SimTime::from_secs(720)), "12m");
        assert_eq!(kubectl_age(SimTime::from_secs(7500)), "2h5m");
    }
}
