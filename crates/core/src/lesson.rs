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
//! A step may instead list `cases`, presets of which the learner's seed picks
//! one, so that each learner of a diagnostic lesson may get a different
//! broken setup; its `checks` are the checklist buttons to find it with.

use crate::checks::{not_growing_cause, Check};
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
pub const MAX_CASES: usize = 8;

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
    "checks",
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
    /// Presets the learner's seed picks from (`seed % len`), instead of `preset`.
    pub cases: Vec<String>,
    /// Checklist buttons shown with this step.
    pub checks: Vec<Check>,
    /// Buttons that change the learner's current run, to try a fix.
    pub fixes: Vec<Fix>,
    /// `path = value` overrides, as `incident simulate --set` takes them.
    pub set: Vec<(String, String)>,
    pub timeline: Vec<Action>,
    pub highlight: Vec<String>,
    pub question: Option<Question>,
}

/// A change the learner can apply to the run on screen with one button.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Fix {
    pub label: String,
    pub set: Vec<(String, String)>,
    pub timeline: Vec<Action>,
}

impl Fix {
    /// Applies the fix; on a problem the scenario is left as it was.
    pub fn apply(&self, scenario: &mut Scenario) -> Result<(), Problems> {
        let mut changed = scenario.clone();
        let mut problems = Vec::new();
        for (path, value) in &self.set {
            if let Err(e) = apply_set(&mut changed, path, value) {
                problems.extend(e.0);
            }
        }
        for action in &self.timeline {
            match action.check(&changed) {
                Ok(()) => changed.timeline.push(action.clone()),
                Err(e) => problems.push(Problem::new("timeline", e)),
            }
        }
        problems.extend(changed.validate());
        if problems.is_empty() {
            *scenario = changed;
            Ok(())
        } else {
            Err(Problems(problems))
        }
    }
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
            | Measure::GcRateReachedAtS { service, .. }
            | Measure::NotGrowingCause { service }
            | Measure::WorkingSetAtMi { service, .. }
            | Measure::TopAllocationSiteAt { service, .. } => Some(service),
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
            Measure::NotGrowingCause { service } => {
                not_growing_cause(trace, service).map(|c| MeasureValue::Text(c.to_string()))
            }
            Measure::WorkingSetAtMi { service, at } => number(
                crate::view::value_at(trace, "k8s.pod.memory.working_set", service, *at)?
                    / (1024.0 * 1024.0),
            ),
            Measure::TopAllocationSiteAt { service, at } => {
                crate::view::allocation_sites_at(trace, &trace.scenario, service, *at)
                    .into_iter()
                    .next()
                    .map(|site| MeasureValue::Text(site.site))
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
    /// Reads a lesson and checks everything `validate` checks.
    pub fn parse(text: &str) -> Result<Lesson, Problems> {
        Lesson::decode_checked(text, Lesson::validate)
    }

    /// Reads a lesson and checks its shape (fields, names, highlights,
    /// limits) without building any step's scenario. That is cheap, for a
    /// catalogue of cards; `scenario_problems` does the rest before the
    /// lesson is opened, and `parse` does both.
    pub fn read(text: &str) -> Result<Lesson, Problems> {
        Lesson::decode_checked(text, Lesson::shape_problems)
    }

    fn decode_checked(text: &str, check: fn(&Lesson) -> Vec<Problem>) -> Result<Lesson, Problems> {
        let lesson = Lesson::decode(text)?;
        let problems = check(&lesson);
        if problems.is_empty() {
            Ok(lesson)
        } else {
            Err(Problems(problems))
        }
    }

    fn decode(text: &str) -> Result<Lesson, Problems> {
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
        Lesson::from_value(&value, Path::Root)
    }

    /// The scenario step `index` runs with the preset's own seed, and the
    /// first of any `cases`.
    pub fn scenario_at(&self, index: usize) -> Result<Scenario, Problems> {
        self.scenario_for(index, None)
    }

    /// How many cases the step runs from (1 without `cases`).
    pub fn case_count(&self, index: usize) -> usize {
        let steps = self.steps.get(..=index).unwrap_or(&self.steps);
        steps
            .iter()
            .rev()
            .find(|s| s.preset.is_some() || !s.cases.is_empty())
            .map_or(1, |s| s.cases.len().max(1))
    }

    /// The scenario step `index` runs for a learner's seed: the seed picks
    /// the case and becomes the run's seed (see the module notes).
    pub fn scenario_for(&self, index: usize, seed: Option<u64>) -> Result<Scenario, Problems> {
        let steps = self.steps.get(..=index).unwrap_or(&self.steps);
        let start = steps
            .iter()
            .rposition(|s| s.preset.is_some() || !s.cases.is_empty())
            .unwrap_or(0);
        let preset = steps
            .get(start)
            .and_then(|s| match (&s.preset, s.cases.is_empty()) {
                (_, false) => {
                    let case = seed.unwrap_or(0) % s.cases.len() as u64;
                    Some(s.cases[case as usize].as_str())
                }
                (Some(p), true) => Some(p.as_str()),
                (None, true) => None,
            })
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
        if let Some(seed) = seed {
            scenario.seed = seed;
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
        let mut problems = self.shape_problems();
        problems.extend(self.scenario_problems());
        problems
    }

    /// Problems visible in the file itself.
    fn shape_problems(&self) -> Vec<Problem> {
        let mut problems = Vec::new();
        if self.steps.is_empty() {
            problems.push(Problem::new("steps", "a lesson needs at least one step"));
        }
        if self
            .steps
            .first()
            .is_some_and(|s| s.preset.is_none() && s.cases.is_empty())
        {
            problems.push(Problem::new(
                "steps.0.preset",
                "the first step must name a preset",
            ));
        }
        if !is_lesson_name(&self.name) {
            problems.push(Problem::new(
                "name",
                "use lowercase letters, digits and dashes, like `gradual-leak`",
            ));
        }
        for (i, step) in self.steps.iter().enumerate() {
            if step.preset.is_some() && !step.cases.is_empty() {
                problems.push(Problem::new(
                    format!("steps.{i}.cases"),
                    "a step names either a preset or cases, not both",
                ));
            }
            if step.fixes.len() > MAX_CHOICES || step.checks.len() > 2 * MAX_CHOICES {
                problems.push(Problem::new(
                    format!("steps.{i}.fixes"),
                    format!("at most {MAX_CHOICES} fixes and {} checks", 2 * MAX_CHOICES),
                ));
            }
            if step.cases.len() > MAX_CASES {
                problems.push(Problem::new(
                    format!("steps.{i}.cases"),
                    format!("at most {MAX_CASES} cases"),
                ));
            }
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
        }
        problems
    }

    /// Problems that show only when each step's scenario (and each case's)
    /// is built: presets, `set` paths and values, timeline actions, the
    /// question's measure and the fixes.
    pub fn scenario_problems(&self) -> Vec<Problem> {
        let mut problems = Vec::new();
        for (i, step) in self.steps.iter().enumerate() {
            for case in 0..self.case_count(i).min(MAX_CASES) as u64 {
                match self.scenario_for(i, Some(case)) {
                    Ok(scenario) => {
                        if let Some(q) = &step.question {
                            let measure = q.answer.measure();
                            for p in
                                measure.check(&scenario, &format!("steps.{i}.question.measure"))
                            {
                                if !problems.contains(&p) {
                                    problems.push(p);
                                }
                            }
                        }
                        for (j, fix) in step.fixes.iter().enumerate() {
                            if let Err(e) = fix.apply(&mut scenario.clone()) {
                                for p in e.0 {
                                    let p = Problem::new(
                                        format!("steps.{i}.fixes.{j}.{}", p.path),
                                        p.message,
                                    );
                                    if !problems.contains(&p) {
                                        problems.push(p);
                                    }
                                }
                            }
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
            let cases = self.case_count(i);
            for case in 0..cases.min(MAX_CASES) as u64 {
                let Ok(scenario) = self.scenario_for(i, (cases > 1).then_some(case)) else {
                    continue;
                };
                let trace = simulate(&scenario);
                let path = format!("steps.{i}.question");
                let which = if cases > 1 {
                    format!(" (case {case}, {})", scenario.name)
                } else {
                    String::new()
                };
                match (&q.answer, q.expected(&trace)) {
                    (_, None) => problems.push(Problem::new(
                        path,
                        format!("the step's run{which} never reaches what the question measures (no OOM, no GC, no load?)"),
                    )),
                    (Answer::Choice { choices, .. }, Some(actual)) if !choices.contains(&actual) => {
                        problems.push(Problem::new(
                            format!("{path}.choices"),
                            format!("the run's answer{which} is `{actual}`, which is not one of the choices"),
                        ))
                    }
                    _ => {}
                }
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
                "cases",
                "checks",
                "fixes",
                "set",
                "timeline",
                "highlight",
                "question",
            ],
        );
        let mut f = Fields::new(value, path)?;
        let set: Option<std::collections::BTreeMap<String, Value>> = f.optional("set");
        let fixes: Vec<Fix> = f.or("fixes", Vec::new());
        let step = Step {
            title: f.required("title"),
            prose: f.required("prose"),
            preset: f.optional("preset"),
            cases: f.or("cases", Vec::new()),
            checks: f.or("checks", Vec::new()),
            fixes,
            set: set_pairs(set),
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
                "at",
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
        let at_text: Option<String> = f.optional("at");
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
        let needs_at = matches!(
            measure_name,
            MeasureName::WorkingSetAtMi | MeasureName::TopAllocationSiteAt
        );
        let at = match (
            at_text.as_deref().map(crate::units::parse_duration),
            needs_at,
        ) {
            (Some(Ok(t)), _) => t,
            (Some(Err(e)), _) => {
                extra.push(Problem::new(Path::Key(&path, "at").to_string(), e));
                SimTime::ZERO
            }
            (None, true) => {
                extra.push(Problem::new(
                    Path::Key(&path, "at").to_string(),
                    "is missing; this measure is taken at a moment, like \"5m30s\"",
                ));
                SimTime::ZERO
            }
            (None, false) => SimTime::ZERO,
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
            MeasureName::NotGrowingCause => Measure::NotGrowingCause {
                service: service_name,
            },
            MeasureName::WorkingSetAtMi => Measure::WorkingSetAtMi {
                service: service_name,
                at,
            },
            MeasureName::TopAllocationSiteAt => Measure::TopAllocationSiteAt {
                service: service_name,
                at,
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
    NotGrowingCause,
    WorkingSetAtMi,
    TopAllocationSiteAt,
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
                ("not_growing_cause", MeasureName::NotGrowingCause),
                ("working_set_at_mi", MeasureName::WorkingSetAtMi),
                ("top_allocation_site_at", MeasureName::TopAllocationSiteAt),
            ],
        )
    }
}

impl FromValue for Check {
    fn from_value(value: &Value, path: Path<'_>) -> Result<Self, Problems> {
        let options: Vec<(&str, Check)> = Check::ALL.iter().map(|c| (c.name(), *c)).collect();
        one_of(value, path, &options)
    }
}

fn set_pairs(set: Option<std::collections::BTreeMap<String, Value>>) -> Vec<(String, String)> {
    set.unwrap_or_default()
        .into_iter()
        .map(|(k, v)| {
            let text = match v {
                Value::String(s) => s,
                other => crate::json::to_compact(&other),
            };
            (k, text)
        })
        .collect()
}

impl FromValue for Fix {
    fn from_value(value: &Value, path: Path<'_>) -> Result<Self, Problems> {
        let unknown = unknown_keys(value, path, &["label", "set", "timeline"]);
        let mut f = Fields::new(value, path)?;
        let set: Option<std::collections::BTreeMap<String, Value>> = f.optional("set");
        let fix = Fix {
            label: f.required("label"),
            set: set_pairs(set),
            timeline: f.or("timeline", Vec::new()),
        };
        with_unknown(f.finish(fix), unknown)
    }
}

/// The lessons directory's `index.toml`: the names the app lists, in order.
pub fn parse_index(text: &str) -> Result<Vec<String>, Problems> {
    let value = crate::toml_reader::parse(text).map_err(|e| Problem::new("", e.to_string()))?;
    let mut f = Fields::new(&value, Path::Root)?;
    let names: Vec<String> = f.required("lessons");
    let names = f.finish(names)?;
    let mut problems = Vec::new();
    if names.len() > 100 {
        problems.push(Problem::new("lessons", "at most 100 lessons"));
    }
    for (i, name) in names.iter().enumerate() {
        if !is_lesson_name(name) {
            problems.push(Problem::new(
                format!("lessons.{i}"),
                format!("`{name}`: use lowercase letters, digits and dashes, like `gradual-leak`"),
            ));
        } else if names[..i].contains(name) {
            problems.push(Problem::new(
                format!("lessons.{i}"),
                format!("`{name}` is listed twice"),
            ));
        }
    }
    if problems.is_empty() {
        Ok(names)
    } else {
        Err(Problems(problems))
    }
}

/// Lesson names travel in links and file names: keep them plain.
pub fn is_lesson_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}
