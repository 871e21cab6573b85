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

pub mod measure;
pub mod prose;
pub mod question;

pub use measure::{Call, Measure, MeasureValue, Unit};
pub use prose::Claim;
pub use question::{Answer, Feedback, Question, Response, Verdict};

use crate::checks::Check;
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
pub const MAX_CLAIMS: usize = 16;
/// Simulated time a whole lesson may ask for: every step × case × duration.
pub const MAX_LESSON_SIMULATED_S: f64 = 40.0 * 3600.0;

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
    /// Until when the run is shown while the question is open.
    pub reveal: Reveal,
    /// What the step asserts about its run, checked on every case.
    pub claims: Vec<Claim>,
    /// The step's idea in one line, for the end-of-lesson summary.
    pub takeaway: String,
}

/// How much of a step's run is on screen before its question is answered:
/// a prediction must not be answered by the chart beside it.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum Reveal {
    /// The step's default: up to the load start for a number or choice
    /// question, the whole run for a moment question (the learner reads it
    /// off the chart), a diagnosis (the symptoms are the evidence) or no
    /// question at all.
    #[default]
    Auto,
    /// Up to the moment the load starts.
    Load,
    /// Up to a moment of the run.
    At(SimTime),
    /// The whole run.
    End,
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
        problems.extend(self.number_problems());
        problems.extend(self.scenario_problems());
        problems
    }

    /// Numbers in the lesson's texts that come from neither a run nor the
    /// seed (an authoring rule: `incident lessons check` enforces it; the
    /// app, which only shows lessons, does not need to).
    pub fn number_problems(&self) -> Vec<Problem> {
        let mut texts = vec![
            ("title".to_string(), self.title.as_str()),
            ("summary".to_string(), self.summary.as_str()),
        ];
        for (i, step) in self.steps.iter().enumerate() {
            texts.extend(step_texts(step, i));
        }
        texts
            .into_iter()
            .flat_map(|(path, text)| {
                prose::number_problems(text)
                    .into_iter()
                    .map(move |e| Problem::new(&path, e))
            })
            .collect()
    }

    /// Problems visible in the file itself.
    fn shape_problems(&self) -> Vec<Problem> {
        let mut problems = Vec::new();
        // The catalogue shows these before any run: no measures in them.
        problems.extend(text_problems("title", &self.title, false));
        problems.extend(text_problems("summary", &self.summary, false));
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
            if step.claims.len() > MAX_CLAIMS {
                problems.push(Problem::new(
                    format!("steps.{i}.claims"),
                    format!("at most {MAX_CLAIMS} claims"),
                ));
            }
            let args = step.question.as_ref().map(|q| q.args.as_slice());
            for (path, text) in step_texts(step, i) {
                let own = if path.contains(".question.") {
                    args
                } else {
                    None
                };
                problems.extend(text_problems_with(&path, text, true, own));
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
                            if let Some(why) = measure.problem(&scenario) {
                                let p = Problem::new(format!("steps.{i}.question.measure"), why);
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

    /// Simulates every step (every case of a diagnostic step) and checks
    /// what the lesson says against the run: the question's answer comes
    /// out of it (one of the choices, for a choice), every claim holds,
    /// and every measure the prose embeds happened. For `incident lessons
    /// check` and the tests.
    pub fn check_answers(&self) -> Vec<Problem> {
        let mut problems = Vec::new();
        for (i, step) in self.steps.iter().enumerate() {
            let cases = self.case_count(i);
            for case in 0..cases.min(MAX_CASES) as u64 {
                let Ok(scenario) = self.scenario_for(i, (cases > 1).then_some(case)) else {
                    continue;
                };
                let trace = simulate(&scenario);
                let which = if cases > 1 {
                    format!(" (case {case}, {})", scenario.name)
                } else {
                    String::new()
                };
                for p in step_run_problems(step, i, &trace, &which) {
                    if !problems.contains(&p) {
                        problems.push(p);
                    }
                }
            }
        }
        problems
    }

    /// Seconds of the step's run shown while its question is open; `None`
    /// when all of it is (see [`Reveal`]).
    pub fn reveal_at_s(&self, index: usize, trace: &Trace) -> Option<f64> {
        let step = self.steps.get(index)?;
        let load_s = || trace.summary.load_started_s.unwrap_or(0.0);
        let diagnosis = self.case_count(index) > 1;
        match step.reveal {
            Reveal::End => None,
            Reveal::Load => Some(load_s()),
            Reveal::At(t) => Some(t.as_secs_f64().min(trace.scenario.duration.as_secs_f64())),
            Reveal::Auto => match &step.question {
                Some(q) if !diagnosis && !matches!(q.answer, Answer::Moment { .. }) => {
                    Some(load_s())
                }
                _ => None,
            },
        }
    }
}

/// A text's malformed measures, quotes and arguments.
fn text_problems(path: &str, text: &str, measures_allowed: bool) -> Vec<Problem> {
    text_problems_with(path, text, measures_allowed, None)
}

/// `text_problems`, where `args` are the arguments `{at}` and the like may
/// name (a question's texts only).
fn text_problems_with(
    path: &str,
    text: &str,
    measures_allowed: bool,
    args: Option<&[(String, String)]>,
) -> Vec<Problem> {
    let pieces = match prose::pieces(text) {
        Ok(p) => p,
        Err(e) => return vec![Problem::new(path, e)],
    };
    let mut problems: Vec<Problem> = Vec::new();
    for piece in &pieces {
        let prose::Piece::Arg(name) = piece else {
            continue;
        };
        if !args.is_some_and(|a| a.iter().any(|(k, _)| k == name)) {
            problems.push(Problem::new(
                path,
                format!("`{{{name}}}` names an argument this text's question does not have"),
            ));
        }
    }
    if !measures_allowed && pieces.iter().any(|p| matches!(p, prose::Piece::Measure(_))) {
        problems.push(Problem::new(path, "shown before any run: no measures here"));
    }
    problems
}

/// Every text of a step a learner reads, with its field path.
fn step_texts(step: &Step, i: usize) -> Vec<(String, &str)> {
    let mut out = vec![
        (format!("steps.{i}.title"), step.title.as_str()),
        (format!("steps.{i}.prose"), step.prose.as_str()),
        (format!("steps.{i}.takeaway"), step.takeaway.as_str()),
    ];
    if let Some(q) = &step.question {
        let path = format!("steps.{i}.question");
        out.push((format!("{path}.prompt"), q.prompt.as_str()));
        out.push((format!("{path}.explanation"), q.explanation.as_str()));
        if let Some(h) = &q.hint {
            out.push((format!("{path}.hint"), h.as_str()));
        }
        for (k, v) in &q.hints {
            out.push((format!("{path}.hints.{k}"), v.as_str()));
        }
        for (k, v) in &q.because {
            out.push((format!("{path}.because.{k}"), v.as_str()));
        }
    }
    out
}

/// What a step says that its run contradicts.
fn step_run_problems(step: &Step, i: usize, trace: &Trace, which: &str) -> Vec<Problem> {
    let mut problems = Vec::new();
    if let Some(q) = &step.question {
        let path = format!("steps.{i}.question");
        match (&q.answer, q.expected_value(trace)) {
            (_, None) => problems.push(Problem::new(
                &path,
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
    for (j, claim) in step.claims.iter().enumerate() {
        if let Err(e) = claim.check(trace) {
            problems.push(Problem::new(
                format!("steps.{i}.claims.{j}"),
                format!("{e}{which}"),
            ));
        }
    }
    for (path, text) in step_texts(step, i) {
        for piece in prose::pieces(text).unwrap_or_default() {
            if let prose::Piece::Measure(m) = piece {
                if m.evaluate(trace).is_none() {
                    problems.push(Problem::new(
                        &path,
                        format!("a measure in the text never happened in the run{which}; say so in words instead"),
                    ));
                }
            }
        }
    }
    problems
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
                "reveal",
                "claims",
                "takeaway",
            ],
        );
        let mut f = Fields::new(value, path)?;
        let set: Option<std::collections::BTreeMap<String, Value>> = f.optional("set");
        let fixes: Vec<Fix> = f.or("fixes", Vec::new());
        let reveal: Option<String> = f.optional("reveal");
        let claims: Vec<String> = f.or("claims", Vec::new());
        let mut extra = Vec::new();
        let reveal = match reveal.as_deref() {
            None | Some("auto") => Reveal::Auto,
            Some("load") => Reveal::Load,
            Some("end") => Reveal::End,
            Some(t) => match crate::units::parse_duration(t) {
                Ok(at) => Reveal::At(at),
                Err(e) => {
                    extra.push(Problem::new(
                        Path::Key(&path, "reveal").to_string(),
                        format!("`auto`, `load`, `end` or a moment like \"5m\": {e}"),
                    ));
                    Reveal::Auto
                }
            },
        };
        let claims = claims
            .iter()
            .enumerate()
            .filter_map(|(j, c)| match Claim::parse(c) {
                Ok(c) => Some(c),
                Err(e) => {
                    extra.push(Problem::new(
                        format!("{}.{j}", Path::Key(&path, "claims")),
                        e,
                    ));
                    None
                }
            })
            .collect();
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
            reveal,
            claims,
            takeaway: f.or("takeaway", String::new()),
        };
        with_unknown(with_extra(f.finish(step), extra), unknown)
    }
}

/// Adds problems found beside the fields' own.
fn with_extra<T>(result: Result<T, Problems>, extra: Vec<Problem>) -> Result<T, Problems> {
    match (result, extra.is_empty()) {
        (r, true) => r,
        (Ok(_), false) => Err(Problems(extra)),
        (Err(mut e), false) => {
            e.0.extend(extra);
            Err(e)
        }
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
                "ratio",
                "rule",
                "tolerance",
                "choices",
                "explanation",
                "hint",
                "hints",
                "because",
                "run",
            ],
        );
        let mut f = Fields::new(value, path)?;
        let prompt: String = f.required("prompt");
        let explanation: String = f.required("explanation");
        let kind: QuestionKind = f.required("kind");
        let measure_text: String = f.required("measure");
        let service: Option<String> = f.optional("service");
        let missing_service = service.is_none();
        let mut args = Vec::new();
        for key in ["per_min", "at", "ratio", "rule"] {
            let arg: Option<Value> = f.optional(key);
            if let Some(v) = arg {
                let text = match v {
                    Value::String(s) => s,
                    other => crate::json::to_compact(&other),
                };
                args.push((key.to_string(), text));
            }
        }
        let tolerance: Option<f64> = f.optional("tolerance");
        let choices: Option<Vec<String>> = f.optional("choices");
        let hint: Option<String> = f.optional("hint");
        let hints: std::collections::BTreeMap<String, String> = f.or("hints", Default::default());
        let because: std::collections::BTreeMap<String, String> =
            f.or("because", Default::default());
        let run: Option<String> = f.optional("run");
        let mut extra = Vec::new();
        let on_learners_run = match run.as_deref() {
            None | Some("step") => false,
            Some("yours") => true,
            Some(other) => {
                extra.push(Problem::new(
                    Path::Key(&path, "run").to_string(),
                    format!("`{other}`: `step` (graded on the step's own run) or `yours` (on the learner's)"),
                ));
                false
            }
        };
        // `measure = "name(service, key=value)"`, or the name with the
        // arguments as fields of their own.
        let call = if measure_text.contains('(') {
            Call::parse(&measure_text)
        } else {
            Ok(Call {
                name: measure_text.clone(),
                subject: service,
                args,
            })
        };
        let call_args = call.as_ref().map(|c| c.args.clone()).unwrap_or_default();
        let needs_service = measure::NAMES
            .iter()
            .any(|(n, needs)| *n == measure_text && *needs == measure::Needs::Service);
        let measure = match call.and_then(|c| Measure::from_call(&c)) {
            Ok(m) => m,
            Err(_) if needs_service && !measure_text.contains('(') && missing_service => {
                extra.push(Problem::new(
                    Path::Key(&path, "service").to_string(),
                    "is missing; this measure is about one service",
                ));
                Measure::LatencyP95Ms
            }
            Err(e) => {
                extra.push(Problem::new(Path::Key(&path, "measure").to_string(), e));
                Measure::LatencyP95Ms
            }
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
                for key in hints.keys() {
                    if !choices.contains(key) {
                        extra.push(Problem::new(
                            format!("{}.{key}", Path::Key(&path, "hints")),
                            "a hint is for one of the choices",
                        ));
                    }
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
            hint,
            hints: hints.into_iter().collect(),
            because: because.into_iter().collect(),
            args: call_args,
            on_learners_run,
        };
        with_unknown(with_extra(f.finish(question), extra), unknown)
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
