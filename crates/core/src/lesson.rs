//! Lessons: a seed guide as an ordered list of steps, each with prose, the
//! scenario it runs, what to look at, and optionally a question.
//!
//! A question's correct answer is never written in the file: the file names
//! a *measure* ("minutes from load start to checkout's first OOM kill"), and
//! the answer is that measure taken on the step's own simulated run. Change
//! the scenario and the expected answer changes with it.
//!
//! Steps are cumulative: a step runs the preset named by the latest step
//! that names one, with every `set` and `timeline` entry of the steps since.

use crate::decode::{one_of, Fields, FromValue, Path};
use crate::scenario::{apply_set, Action, Problem, Problems, Scenario};
use crate::trace::Trace;
use crate::units::SimTime;
use crate::{presets, simulate};
use serde_json::Value;

/// Lessons are small; anything larger is a mistake or an attack.
pub const MAX_LESSON_BYTES: usize = 256 * 1024;
pub const MAX_STEPS: usize = 40;
pub const MAX_CHOICES: usize = 8;

/// Charts and panels a step may point the learner at.
pub const HIGHLIGHTS: &[&str] = &[
    "memory",
    "go",
    "latency",
    "requests",
    "pods",
    "postgres",
    "leaks",
    "pods-table",
    "events",
    "alerts",
    "tracemalloc",
    "about",
];

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Lesson {
    pub name: String,
    pub title: String,
    pub seed_doc: Option<String>,
    pub summary: String,
    pub steps: Vec<Step>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Step {
    pub title: String,
    pub prose: String,
    pub preset: Option<String>,
    /// `path = value` overrides, as `incident simulate --set` takes them.
    pub set: Vec<(String, String)>,
    pub timeline: Vec<Action>,
    pub highlight: Vec<String>,
    pub question: Option<Question>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Question {
    pub prompt: String,
    pub answer: Answer,
    /// Shown after the learner answers, right or wrong.
    pub explanation: String,
}

/// How a response is compared with the measure.
#[derive(Clone, Debug, PartialEq)]
pub enum Answer {
    /// A number within `tolerance_ratio` of the measure (0.25 = ±25 %).
    Number {
        measure: Measure,
        tolerance_ratio: f64,
    },
    /// One of `choices`; the right one is the measure's text.
    Choice {
        measure: Measure,
        choices: Vec<String>,
    },
    /// A moment on the time axis, within `tolerance_s` of the measure.
    Moment { measure: Measure, tolerance_s: f64 },
}

impl Answer {
    pub fn measure(&self) -> &Measure {
        match self {
            Answer::Number { measure, .. }
            | Answer::Choice { measure, .. }
            | Answer::Moment { measure, .. } => measure,
        }
    }
}

impl Default for Answer {
    fn default() -> Self {
        Answer::Number {
            measure: Measure::LatencyP95Ms,
            tolerance_ratio: 0.25,
        }
    }
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
    /// Peak working set, MiB.
    PeakWorkingSetMi {
        service: String,
    },
    LatencyP95Ms,
    FailurePercent,
    /// The service that restarted most, or "none".
    MostRestarted,
    /// Seconds into the run when the service's GC rate first reached
    /// `per_min` collections a minute.
    GcRateReachedAtS {
        service: String,
        per_min: f64,
    },
}

/// What a measure gave on a run.
#[derive(Clone, Debug, PartialEq)]
pub enum MeasureValue {
    Number(f64),
    Text(String),
}

/// The learner's answer.
#[derive(Clone, Debug, PartialEq)]
pub enum Response {
    Number(f64),
    Choice(String),
    MomentS(f64),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Feedback {
    pub correct: bool,
    /// What the run did, in words: "11.2", "checkout".
    pub actual: String,
    pub explanation: String,
}

impl Measure {
    pub fn service(&self) -> Option<&str> {
        match self {
            Measure::FirstOomAfterLoadMin { service }
            | Measure::FirstOomAtS { service }
            | Measure::Restarts { service }
            | Measure::PeakWorkingSetMi { service }
            | Measure::GcRateReachedAtS { service, .. } => Some(service),
            _ => None,
        }
    }

    /// The measure on a run; `None` when the run never got there (no OOM).
    pub fn evaluate(&self, trace: &Trace) -> Option<MeasureValue> {
        let s = &trace.summary;
        let svc = |name: &str| s.services.iter().find(|x| x.name == name);
        let number = |v: f64| Some(MeasureValue::Number(v));
        match self {
            Measure::FirstOomAfterLoadMin { service } => {
                let oom = svc(service)?.first_oom_s?;
                number((oom - s.load_started_s.unwrap_or(0.0)).max(0.0) / 60.0)
            }
            Measure::FirstOomAtS { service } => number(svc(service)?.first_oom_s?),
            Measure::Restarts { service } => number(svc(service)?.restarts as f64),
            Measure::PeakWorkingSetMi { service } => {
                number(svc(service)?.peak_working_set_bytes / (1024.0 * 1024.0))
            }
            Measure::LatencyP95Ms => number(s.requests.latency_ms_p95?),
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
            Measure::GcRateReachedAtS { service, per_min } => {
                let series = trace.find_series("process.runtime.go.gc.count", service)?;
                let times = &trace.sample_times_us;
                let mut previous: Option<(u64, f64)> = None;
                for (i, v) in series.values.iter().enumerate() {
                    let (Some(v), Some(&t)) = (v, times.get(i)) else {
                        previous = None;
                        continue;
                    };
                    if let Some((t0, v0)) = previous {
                        let minutes = (t - t0) as f64 / 60e6;
                        if minutes > 0.0 && *v >= v0 && (v - v0) / minutes >= *per_min {
                            return number(SimTime(t).as_secs_f64());
                        }
                    }
                    previous = Some((t, *v));
                }
                None
            }
        }
    }

    fn check(&self, scenario: &Scenario, path: &str) -> Vec<Problem> {
        match self.service() {
            Some(name) if !scenario.services.contains_key(name) => {
                let known: Vec<&str> = scenario.services.keys().map(String::as_str).collect();
                vec![Problem::new(
                    path,
                    format!(
                        "service `{name}` is not in this step's scenario; it has {}",
                        known.join(", ")
                    ),
                )]
            }
            _ => Vec::new(),
        }
    }
}

impl Question {
    /// The answer this run gives, in words, if it has one.
    pub fn expected(&self, trace: &Trace) -> Option<String> {
        self.answer.measure().evaluate(trace).map(|v| match v {
            MeasureValue::Number(n) => format_answer(n),
            MeasureValue::Text(t) => t,
        })
    }

    /// Checks a response against this run.
    pub fn check(&self, trace: &Trace, response: &Response) -> Feedback {
        let feedback = |correct: bool, actual: String| Feedback {
            correct,
            actual,
            explanation: self.explanation.clone(),
        };
        let never = || feedback(false, "never happened in this run".to_string());
        match (&self.answer, response) {
            (
                Answer::Number {
                    measure,
                    tolerance_ratio,
                },
                Response::Number(n),
            ) => match measure.evaluate(trace) {
                Some(MeasureValue::Number(actual)) => feedback(
                    (n - actual).abs() <= tolerance_ratio * actual.abs().max(1e-9),
                    format_answer(actual),
                ),
                _ => never(),
            },
            (
                Answer::Moment {
                    measure,
                    tolerance_s,
                },
                Response::MomentS(at),
            ) => match measure.evaluate(trace) {
                Some(MeasureValue::Number(actual)) => {
                    feedback((at - actual).abs() <= *tolerance_s, format_answer(actual))
                }
                _ => never(),
            },
            (Answer::Choice { measure, .. }, Response::Choice(chosen)) => {
                match measure.evaluate(trace) {
                    Some(MeasureValue::Text(actual)) => feedback(*chosen == actual, actual),
                    Some(MeasureValue::Number(actual)) => feedback(
                        crate::units::parse_f64(chosen) == Some(actual),
                        format_answer(actual),
                    ),
                    None => never(),
                }
            }
            _ => feedback(
                false,
                "that kind of answer does not fit this question".to_string(),
            ),
        }
    }
}

fn format_answer(n: f64) -> String {
    if n == n.round() {
        format!("{n:.0}")
    } else {
        format!("{n:.1}")
    }
}

impl Lesson {
    pub fn parse(text: &str) -> Result<Lesson, Problems> {
        if text.len() > MAX_LESSON_BYTES {
            return Err(Problem::new(
                "",
                format!(
                    "the lesson is {} KB; lessons may be at most {} KB",
                    text.len() / 1024,
                    MAX_LESSON_BYTES / 1024
                ),
            )
            .into());
        }
        let value = crate::toml_reader::parse(text).map_err(|e| Problem::new("", e.to_string()))?;
        let lesson = Lesson::from_value(&value, Path::Root)?;
        let problems = lesson.validate();
        if problems.is_empty() {
            Ok(lesson)
        } else {
            Err(Problems(problems))
        }
    }

    /// The scenario step `index` runs (see the module notes).
    pub fn scenario_at(&self, index: usize) -> Result<Scenario, Problems> {
        let steps = self.steps.get(..=index).unwrap_or(&self.steps);
        let start = steps.iter().rposition(|s| s.preset.is_some()).unwrap_or(0);
        let preset = steps
            .get(start)
            .and_then(|s| s.preset.as_deref())
            .ok_or_else(|| Problem::new("steps.0.preset", "the first step must name a preset"))?;
        let mut scenario = presets::load(preset).ok_or_else(|| {
            Problem::new(
                format!("steps.{start}.preset"),
                format!(
                    "there is no preset `{preset}`; the presets are {}",
                    presets::names().join(", ")
                ),
            )
        })?;
        let mut problems = Vec::new();
        for (offset, step) in steps[start..].iter().enumerate() {
            let i = start + offset;
            for (path, value) in &step.set {
                if let Err(e) = apply_set(&mut scenario, path, value) {
                    problems.extend(
                        e.0.into_iter()
                            .map(|p| Problem::new(format!("steps.{i}.set.{path}"), p.message)),
                    );
                }
            }
            for (j, action) in step.timeline.iter().enumerate() {
                match action.check(&scenario) {
                    Ok(()) => scenario.timeline.push(action.clone()),
                    Err(e) => problems.push(Problem::new(format!("steps.{i}.timeline.{j}"), e)),
                }
            }
        }
        let invalid = scenario.validate();
        problems.extend(invalid);
        if problems.is_empty() {
            Ok(scenario)
        } else {
            Err(Problems(problems))
        }
    }

    /// Every problem with the lesson that needs no simulation.
    pub fn validate(&self) -> Vec<Problem> {
        let mut problems = Vec::new();
        if self.steps.is_empty() {
            problems.push(Problem::new("steps", "a lesson needs at least one step"));
        }
        if self.steps.first().is_some_and(|s| s.preset.is_none()) {
            problems.push(Problem::new(
                "steps.0.preset",
                "the first step must name a preset",
            ));
        }
        if !self
            .name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            || self.name.is_empty()
        {
            problems.push(Problem::new(
                "name",
                "use lowercase letters, digits and dashes, like `gradual-leak`",
            ));
        }
        for (i, step) in self.steps.iter().enumerate() {
            for (j, h) in step.highlight.iter().enumerate() {
                if !HIGHLIGHTS.contains(&h.as_str()) {
                    problems.push(Problem::new(
                        format!("steps.{i}.highlight.{j}"),
                        format!(
                            "unknown chart or panel `{h}`; one of {}",
                            HIGHLIGHTS.join(", ")
                        ),
                    ));
                }
            }
            match self.scenario_at(i) {
                Ok(scenario) => {
                    if let Some(q) = &step.question {
                        let measure = q.answer.measure();
                        problems.extend(
                            measure.check(&scenario, &format!("steps.{i}.question.measure")),
                        );
                    }
                }
                // Later steps repeat an earlier step's problems; keep each once.
                Err(e) => {
                    for p in e.0 {
                        if !problems.contains(&p) {
                            problems.push(p);
                        }
                    }
                }
            }
        }
        problems
    }

    /// Simulates every step with a question and checks that its answer
    /// comes out of the run: a number for number and moment questions, one
    /// of the choices for choice questions. For `incident lessons check`.
    pub fn check_answers(&self) -> Vec<Problem> {
        let mut problems = Vec::new();
        for (i, step) in self.steps.iter().enumerate() {
            let Some(q) = &step.question else { continue };
            let Ok(scenario) = self.scenario_at(i) else {
                continue;
            };
            let trace = simulate(&scenario);
            let path = format!("steps.{i}.question");
            match (&q.answer, q.expected(&trace)) {
                (_, None) => problems.push(Problem::new(
                    path,
                    "the step's run never reaches what the question measures (no OOM, no GC, no load?)",
                )),
                (Answer::Choice { choices, .. }, Some(actual)) if !choices.contains(&actual) => {
                    problems.push(Problem::new(
                        format!("{path}.choices"),
                        format!("the run's answer is `{actual}`, which is not one of the choices"),
                    ))
                }
                _ => {}
            }
        }
        problems
    }
}

/// Reports keys a table may not hold.
fn unknown_keys(value: &Value, path: Path<'_>, allowed: &[&str]) -> Vec<Problem> {
    let Value::Object(map) = value else {
        return Vec::new();
    };
    map.keys()
        .filter(|k| !allowed.contains(&k.as_str()))
        .map(|k| {
            Problem::new(
                Path::Key(&path, k).to_string(),
                format!(
                    "unknown field `{k}`; expected one of {}",
                    allowed.join(", ")
                ),
            )
        })
        .collect()
}

fn with_unknown<T>(result: Result<T, Problems>, unknown: Vec<Problem>) -> Result<T, Problems> {
    match (result, unknown.is_empty()) {
        (Ok(v), true) => Ok(v),
        (Ok(_), false) => Err(Problems(unknown)),
        (Err(mut e), _) => {
            e.0.extend(unknown);
            Err(e)
        }
    }
}

impl FromValue for Lesson {
    fn from_value(value: &Value, path: Path<'_>) -> Result<Self, Problems> {
        let unknown = unknown_keys(
            value,
            path,
            &["name", "title", "seed_doc", "summary", "steps"],
        );
        let mut f = Fields::new(value, path)?;
        let steps: Vec<Step> = f.required("steps");
        let lesson = Lesson {
            name: f.required("name"),
            title: f.required("title"),
            seed_doc: f.optional("seed_doc"),
            summary: f.or("summary", String::new()),
            steps,
        };
        let mut result = f.finish(lesson);
        if let Ok(l) = &result {
            if l.steps.len() > MAX_STEPS {
                result = Err(Problem::new(
                    "steps",
                    format!(
                        "{} steps; a lesson may have at most {MAX_STEPS}",
                        l.steps.len()
                    ),
                )
                .into());
            }
        }
        with_unknown(result, unknown)
    }
}

impl FromValue for Step {
    fn from_value(value: &Value, path: Path<'_>) -> Result<Self, Problems> {
        let unknown = unknown_keys(
            value,
            path,
            &[
                "title",
                "prose",
                "preset",
                "set",
                "timeline",
                "highlight",
                "question",
            ],
        );
        let mut f = Fields::new(value, path)?;
        let set: Option<std::collections::BTreeMap<String, Value>> = f.optional("set");
        let step = Step {
            title: f.required("title"),
            prose: f.required("prose"),
            preset: f.optional("preset"),
            set: set
                .unwrap_or_default()
                .into_iter()
                .map(|(k, v)| {
                    let text = match v {
                        Value::String(s) => s,
                        other => other.to_string(),
                    };
                    (k, text)
                })
                .collect(),
            timeline: f.or("timeline", Vec::new()),
            highlight: f.or("highlight", Vec::new()),
            question: f.optional("question"),
        };
        with_unknown(f.finish(step), unknown)
    }
}

impl FromValue for Question {
    fn from_value(value: &Value, path: Path<'_>) -> Result<Self, Problems> {
        let unknown = unknown_keys(
            value,
            path,
            &[
                "prompt",
                "kind",
                "measure",
                "service",
                "per_min",
                "tolerance",
                "choices",
                "explanation",
            ],
        );
        let mut f = Fields::new(value, path)?;
        let prompt: String = f.required("prompt");
        let explanation: String = f.required("explanation");
        let kind: QuestionKind = f.required("kind");
        let measure_name: MeasureName = f.required("measure");
        let service: Option<String> = f.optional("service");
        let per_min: f64 = f.or("per_min", 6.0);
        let tolerance: Option<f64> = f.optional("tolerance");
        let choices: Option<Vec<String>> = f.optional("choices");
        let mut extra = Vec::new();
        let needs_service = !matches!(
            measure_name,
            MeasureName::LatencyP95Ms | MeasureName::FailurePercent | MeasureName::MostRestarted
        );
        let service_name = match (&service, needs_service) {
            (Some(s), _) => s.clone(),
            (None, true) => {
                extra.push(Problem::new(
                    Path::Key(&path, "service").to_string(),
                    "is missing; this measure is about one service",
                ));
                String::new()
            }
            (None, false) => String::new(),
        };
        let measure = match measure_name {
            MeasureName::FirstOomAfterLoadMin => Measure::FirstOomAfterLoadMin {
                service: service_name,
            },
            MeasureName::FirstOomAtS => Measure::FirstOomAtS {
                service: service_name,
            },
            MeasureName::Restarts => Measure::Restarts {
                service: service_name,
            },
            MeasureName::PeakWorkingSetMi => Measure::PeakWorkingSetMi {
                service: service_name,
            },
            MeasureName::LatencyP95Ms => Measure::LatencyP95Ms,
            MeasureName::FailurePercent => Measure::FailurePercent,
            MeasureName::MostRestarted => Measure::MostRestarted,
            MeasureName::GcRateReachedAtS => Measure::GcRateReachedAtS {
                service: service_name,
                per_min,
            },
        };
        let answer = match kind {
            QuestionKind::Number => Answer::Number {
                measure,
                tolerance_ratio: tolerance.unwrap_or(0.25),
            },
            QuestionKind::Moment => Answer::Moment {
                measure,
                tolerance_s: tolerance.unwrap_or(30.0),
            },
            QuestionKind::Choice => {
                let choices = choices.unwrap_or_default();
                if choices.len() < 2 || choices.len() > MAX_CHOICES {
                    extra.push(Problem::new(
                        Path::Key(&path, "choices").to_string(),
                        format!("a choice question needs 2 to {MAX_CHOICES} choices"),
                    ));
                }
                Answer::Choice { measure, choices }
            }
        };
        if let Some(t) = tolerance {
            let ok = match kind {
                QuestionKind::Number => (0.0..=1.0).contains(&t) && t > 0.0,
                QuestionKind::Moment => t > 0.0 && t <= 3600.0,
                QuestionKind::Choice => false,
            };
            if !ok {
                extra.push(Problem::new(
                    Path::Key(&path, "tolerance").to_string(),
                    match kind {
                        QuestionKind::Number => "a ratio above 0 and at most 1 (0.25 = ±25 %)",
                        QuestionKind::Moment => "seconds, above 0 and at most 3600",
                        QuestionKind::Choice => "choice questions take no tolerance",
                    },
                ));
            }
        }
        let question = Question {
            prompt,
            answer,
            explanation,
        };
        let mut result = f.finish(question);
        if !extra.is_empty() {
            result = match result {
                Ok(_) => Err(Problems(extra)),
                Err(mut e) => {
                    e.0.extend(extra);
                    Err(e)
                }
            };
        }
        with_unknown(result, unknown)
    }
}

#[derive(Clone, Copy, Default)]
enum QuestionKind {
    #[default]
    Number,
    Choice,
    Moment,
}

impl FromValue for QuestionKind {
    fn from_value(value: &Value, path: Path<'_>) -> Result<Self, Problems> {
        one_of(
            value,
            path,
            &[
                ("number", QuestionKind::Number),
                ("choice", QuestionKind::Choice),
                ("moment", QuestionKind::Moment),
            ],
        )
    }
}

#[derive(Clone, Copy, Default)]
enum MeasureName {
    #[default]
    FirstOomAfterLoadMin,
    FirstOomAtS,
    Restarts,
    PeakWorkingSetMi,
    LatencyP95Ms,
    FailurePercent,
    MostRestarted,
    GcRateReachedAtS,
}

impl FromValue for MeasureName {
    fn from_value(value: &Value, path: Path<'_>) -> Result<Self, Problems> {
        one_of(
            value,
            path,
            &[
                (
                    "first_oom_after_load_min",
                    MeasureName::FirstOomAfterLoadMin,
                ),
                ("first_oom_at_s", MeasureName::FirstOomAtS),
                ("restarts", MeasureName::Restarts),
                ("peak_working_set_mi", MeasureName::PeakWorkingSetMi),
                ("latency_p95_ms", MeasureName::LatencyP95Ms),
                ("failure_percent", MeasureName::FailurePercent),
                ("most_restarted", MeasureName::MostRestarted),
                ("gc_rate_reached_at_s", MeasureName::GcRateReachedAtS),
            ],
        )
    }
}
