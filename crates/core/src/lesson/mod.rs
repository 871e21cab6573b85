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

mod decode;
pub mod measure;
pub mod prose;
pub mod question;
mod validate;

pub use measure::{Call, Measure, MeasureValue, Unit};
pub use prose::Claim;
pub use question::{Answer, Feedback, Question, Response, Verdict};

use crate::checks::Check;
use crate::decode::{Fields, FromValue, Path};
use crate::presets;
use crate::scenario::{apply_sets, Action, Problem, Problems, Scenario};
use crate::trace::Trace;
use crate::units::SimTime;

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
    "map",
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
        if let Err(e) = apply_sets(&mut changed, &self.set) {
            problems.extend(e.0);
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
            .find(|s| s.starts_run())
            .map_or(1, |s| s.cases.len().max(1))
    }

    /// The scenario step `index` runs for a learner's seed: the seed picks
    /// the case and becomes the run's seed (see the module notes).
    pub fn scenario_for(&self, index: usize, seed: Option<u64>) -> Result<Scenario, Problems> {
        let steps = self.steps.get(..=index).unwrap_or(&self.steps);
        let start = steps.iter().rposition(Step::starts_run).unwrap_or(0);
        let mut scenario = load_start(steps, start, seed)?;
        let mut problems = apply_steps(&mut scenario, &steps[start..], start);
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

impl Step {
    /// Whether the step names what it runs, so that the steps before it
    /// no longer count.
    fn starts_run(&self) -> bool {
        self.preset.is_some() || !self.cases.is_empty()
    }

    /// The preset the step runs: its own, or the case the seed picks.
    fn preset_for(&self, seed: Option<u64>) -> Option<&str> {
        match (&self.preset, self.cases.is_empty()) {
            (_, false) => {
                let case = seed.unwrap_or(0) % self.cases.len() as u64;
                Some(self.cases[case as usize].as_str())
            }
            (Some(p), true) => Some(p.as_str()),
            (None, true) => None,
        }
    }
}

/// The preset `steps[start]` names, loaded.
fn load_start(steps: &[Step], start: usize, seed: Option<u64>) -> Result<Scenario, Problems> {
    let preset = steps
        .get(start)
        .and_then(|s| s.preset_for(seed))
        .ok_or_else(|| Problem::new("steps.0.preset", "the first step must name a preset"))?;
    presets::load(preset).ok_or_else(|| {
        Problem::new(
            format!("steps.{start}.preset"),
            format!(
                "there is no preset `{preset}`; the presets are {}",
                presets::names().join(", ")
            ),
        )
        .into()
    })
}

/// Applies each step's `set` (as a whole) and `timeline` in turn; `first`
/// is the index of `steps[0]` in the lesson, for the problems' paths.
fn apply_steps(scenario: &mut Scenario, steps: &[Step], first: usize) -> Vec<Problem> {
    let mut problems = Vec::new();
    for (offset, step) in steps.iter().enumerate() {
        let i = first + offset;
        // The step's `set` applies as a whole; each problem is under the
        // key it is about (see `apply_sets`).
        if let Err(e) = apply_sets(scenario, &step.set) {
            problems.extend(e.0.into_iter().map(|p| {
                let key = if p.path.is_empty() {
                    String::new()
                } else {
                    format!(".{}", p.path)
                };
                Problem::new(format!("steps.{i}.set{key}"), p.message)
            }));
        }
        for (j, action) in step.timeline.iter().enumerate() {
            match action.check(scenario) {
                Ok(()) => scenario.timeline.push(action.clone()),
                Err(e) => problems.push(Problem::new(format!("steps.{i}.timeline.{j}"), e)),
            }
        }
    }
    problems
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
