//! What a real run records: one value per sample for every catalogued
//! series, the events, and each container's pod timeline — also appended to
//! `OUT.partial.jsonl` as they come, so an interrupted run keeps its data.

use incident_core::metrics::Metric;
use incident_core::telemetry::{EventType, LogEvent, PodChange, PodStatus, PodTimeline, Series};
use incident_core::trace::partial;
use incident_core::units::SimTime;
use incident_core::Scenario;
use std::io::Write as _;
use std::path::PathBuf;

/// Events a real run keeps at most (the model's log has the same kind of limit).
const MAX_EVENTS: usize = 10_000;

/// Where the samples are appended as they come: the partial file beside
/// `--out`, or, once that can no longer be written, a fallback file.
pub(super) struct PartialFile {
    file: std::fs::File,
    pub(super) path: PathBuf,
    /// The place it moved to after the first one failed.
    pub(super) fallback: bool,
}

impl PartialFile {
    pub(super) fn create(path: PathBuf) -> std::io::Result<PartialFile> {
        let file = std::fs::File::create(&path)?;
        Ok(PartialFile {
            file,
            path,
            fallback: false,
        })
    }
}

/// The sampled series, one value per sample each.
pub(super) struct Recorder {
    pub(super) times: Vec<u64>,
    pub(super) series: Vec<Series>,
    pub(super) events: Vec<LogEvent>,
    /// The service each event is about, beside it.
    event_services: Vec<Option<String>>,
    load_started_us: Option<u64>,
    header: String,
    /// Pod names end in `-RUN_ID`: how an event's object names its service.
    pod_suffix: String,
    scenario_name: String,
    pub(super) partial: Option<PartialFile>,
}

impl Recorder {
    pub(super) fn new(partial: Option<PartialFile>, sc: &Scenario, run_id: &str) -> Recorder {
        let mut rec = Recorder {
            times: Vec::new(),
            series: Vec::new(),
            events: Vec::new(),
            event_services: Vec::new(),
            load_started_us: None,
            header: partial::header_line(sc),
            pod_suffix: format!("-{run_id}"),
            scenario_name: sc.name.clone(),
            partial,
        };
        let header = rec.header.clone();
        rec.append(&header);
        rec
    }

    /// Appends a line to the partial file and flushes it. When that fails,
    /// or the file is gone (its directory removed), says so at once and
    /// writes everything so far, and what follows, to a fallback file.
    fn append(&mut self, line: &str) {
        let Some(f) = &mut self.partial else { return };
        let written = writeln!(f.file, "{line}").and_then(|_| f.file.flush());
        let gone = !f.path.exists();
        if let Err(e) = written.as_ref() {
            self.fall_back(&format!("{e}"));
        } else if gone {
            self.fall_back("the file was removed");
        }
    }

    fn fall_back(&mut self, why: &str) {
        let Some(lost) = self.partial.take() else {
            return;
        };
        let path = fallback_path(&self.scenario_name, "partial.jsonl");
        match PartialFile::create(path.clone()) {
            Ok(mut f) if !lost.fallback => {
                f.fallback = true;
                let mut all = vec![self.header.clone()];
                all.extend(self.lines_so_far());
                let written = all.iter().try_for_each(|l| writeln!(f.file, "{l}"));
                eprintln!(
                    "\ncannot write {} ({why}): the samples so far and from now on go to {}",
                    lost.path.display(),
                    path.display()
                );
                if written.is_ok() {
                    self.partial = Some(f);
                }
            }
            _ => eprintln!(
                "\ncannot write {} ({why}); the samples stay in memory for the trace",
                lost.path.display()
            ),
        }
    }

    /// Removes the partial file: the whole trace was written, or nothing ran.
    pub(super) fn discard_partial(&mut self) {
        if let Some(p) = self.partial.take() {
            let _ = std::fs::remove_file(&p.path);
        }
    }

    /// Every sample and event recorded so far, as partial-file lines.
    fn lines_so_far(&self) -> Vec<String> {
        let samples =
            (0..self.times.len()).map(|i| partial::sample_line(self.times[i], &self.series, i));
        let events = self
            .events
            .iter()
            .zip(&self.event_services)
            .map(|(e, s)| partial::event_line(e, s.as_deref()));
        let started = self.load_started_us.map(partial::load_started_line);
        samples.chain(events).chain(started).collect()
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
        let line = partial::sample_line(self.times[n - 1], &self.series, n - 1);
        self.append(&line);
    }

    /// The load's first start, once.
    pub(super) fn load_started(&mut self, at: SimTime) {
        if self.load_started_us.is_none() {
            self.load_started_us = Some(at.0);
            self.append(&partial::load_started_line(at.0));
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
        let event = LogEvent {
            at_us: at.0,
            kind,
            object: object.into(),
            reason: reason.into(),
            message,
        };
        let service = object
            .strip_prefix("pod/")
            .and_then(|pod| pod.strip_suffix(self.pod_suffix.as_str()))
            .map(String::from);
        let line = partial::event_line(&event, service.as_deref());
        self.append(&line);
        if self.events.len() < MAX_EVENTS {
            self.events.push(event);
            self.event_services.push(service);
        }
    }
}

/// A file in the temporary directory for what could not be written where
/// the user asked: named after the scenario and this process.
pub(super) fn fallback_path(scenario: &str, ext: &str) -> PathBuf {
    let safe: String = scenario
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .take(64)
        .collect();
    std::env::temp_dir().join(format!("incident-{safe}-{}.{ext}", std::process::id()))
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
