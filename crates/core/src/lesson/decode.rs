//! A lesson's fields out of its TOML value. Every problem is reported,
//! in the order the fields are read, with unknown keys after the rest.

use super::{
    measure, Answer, Call, Claim, Fix, Lesson, Measure, Question, Reveal, Step, MAX_CHOICES,
    MAX_STEPS,
};
use crate::checks::Check;
use crate::decode::{one_of, Fields, FromValue, Path};
use crate::scenario::{Problem, Problems};
use serde_json::Value;
use std::collections::BTreeMap;

const LESSON_KEYS: &[&str] = &["name", "title", "seed_doc", "summary", "steps"];

const STEP_KEYS: &[&str] = &[
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
];

const QUESTION_KEYS: &[&str] = &[
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
];

/// The arguments a question may give its measure as fields of their own.
const QUESTION_ARG_KEYS: [&str; 4] = ["per_min", "at", "ratio", "rule"];

const FIX_KEYS: &[&str] = &["label", "set", "timeline"];

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

/// A value as `--set` and measure arguments take it: text as it is,
/// anything else as compact JSON.
fn value_text(value: Value) -> String {
    match value {
        Value::String(s) => s,
        other => crate::json::to_compact(&other),
    }
}

fn set_pairs(set: Option<BTreeMap<String, Value>>) -> Vec<(String, String)> {
    set.unwrap_or_default()
        .into_iter()
        .map(|(k, v)| (k, value_text(v)))
        .collect()
}

impl FromValue for Lesson {
    fn from_value(value: &Value, path: Path<'_>) -> Result<Self, Problems> {
        let unknown = unknown_keys(value, path, LESSON_KEYS);
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
        let unknown = unknown_keys(value, path, STEP_KEYS);
        let mut f = Fields::new(value, path)?;
        // Read before the other fields: problems are listed in reading order.
        let set: Option<BTreeMap<String, Value>> = f.optional("set");
        let fixes: Vec<Fix> = f.or("fixes", Vec::new());
        let reveal: Option<String> = f.optional("reveal");
        let claims: Vec<String> = f.or("claims", Vec::new());
        let mut extra = Vec::new();
        let reveal = decode_reveal(reveal.as_deref(), path, &mut extra);
        let claims = decode_claims(&claims, path, &mut extra);
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

/// `reveal = "auto" | "load" | "end" | "5m"`; a problem leaves `Auto`.
fn decode_reveal(text: Option<&str>, path: Path<'_>, extra: &mut Vec<Problem>) -> Reveal {
    match text {
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
    }
}

/// The claims that parse; the others become problems.
fn decode_claims(texts: &[String], path: Path<'_>, extra: &mut Vec<Problem>) -> Vec<Claim> {
    texts
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
        .collect()
}

impl FromValue for Question {
    fn from_value(value: &Value, path: Path<'_>) -> Result<Self, Problems> {
        let unknown = unknown_keys(value, path, QUESTION_KEYS);
        let mut f = Fields::new(value, path)?;
        let written = WrittenQuestion::read(&mut f);
        let mut extra = Vec::new();
        let question = written.into_question(path, &mut extra);
        with_unknown(with_extra(f.finish(question), extra), unknown)
    }
}

/// A question's fields as written, before they are checked together.
struct WrittenQuestion {
    prompt: String,
    explanation: String,
    kind: QuestionKind,
    measure: String,
    service: Option<String>,
    args: Vec<(String, String)>,
    tolerance: Option<f64>,
    choices: Option<Vec<String>>,
    hint: Option<String>,
    hints: BTreeMap<String, String>,
    because: BTreeMap<String, String>,
    run: Option<String>,
}

impl WrittenQuestion {
    /// Reads the fields in the order their problems are listed.
    fn read(f: &mut Fields<'_, '_>) -> WrittenQuestion {
        WrittenQuestion {
            prompt: f.required("prompt"),
            explanation: f.required("explanation"),
            kind: f.required("kind"),
            measure: f.required("measure"),
            service: f.optional("service"),
            args: read_args(f),
            tolerance: f.optional("tolerance"),
            choices: f.optional("choices"),
            hint: f.optional("hint"),
            hints: f.or("hints", Default::default()),
            because: f.or("because", Default::default()),
            run: f.optional("run"),
        }
    }

    fn into_question(self, path: Path<'_>, extra: &mut Vec<Problem>) -> Question {
        let on_learners_run = decode_run(self.run.as_deref(), path, extra);
        let (measure, args) = self.measure(path, extra);
        let answer = self.answer(measure, path, extra);
        extra.extend(tolerance_problem(self.kind, self.tolerance, path));
        Question {
            prompt: self.prompt,
            answer,
            explanation: self.explanation,
            hint: self.hint,
            hints: self.hints.into_iter().collect(),
            because: self.because.into_iter().collect(),
            args,
            on_learners_run,
        }
    }

    /// `measure = "name(service, key=value)"`, or the name with the
    /// arguments as fields of their own. Returns the measure (a placeholder
    /// on a problem) and the arguments as written.
    fn measure(
        &self,
        path: Path<'_>,
        extra: &mut Vec<Problem>,
    ) -> (Measure, Vec<(String, String)>) {
        let written_as_call = self.measure.contains('(');
        let call = if written_as_call {
            Call::parse(&self.measure)
        } else {
            Ok(Call {
                name: self.measure.clone(),
                subject: self.service.clone(),
                args: self.args.clone(),
            })
        };
        let args = call.as_ref().map(|c| c.args.clone()).unwrap_or_default();
        let needs_service = measure::NAMES
            .iter()
            .any(|(n, needs)| *n == self.measure && *needs == measure::Needs::Service);
        let measure = match call.and_then(|c| Measure::from_call(&c)) {
            Ok(m) => m,
            // Name the missing field, not the call the fields make up.
            Err(_) if needs_service && !written_as_call && self.service.is_none() => {
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
        (measure, args)
    }

    /// The answer of the question's kind, with its default tolerance.
    fn answer(&self, measure: Measure, path: Path<'_>, extra: &mut Vec<Problem>) -> Answer {
        match self.kind {
            QuestionKind::Number => Answer::Number {
                measure,
                tolerance_ratio: self.tolerance.unwrap_or(0.25),
            },
            QuestionKind::Moment => Answer::Moment {
                measure,
                tolerance_s: self.tolerance.unwrap_or(30.0),
            },
            QuestionKind::Choice => {
                let choices = self.choices.clone().unwrap_or_default();
                extra.extend(choice_problems(&choices, &self.hints, path));
                Answer::Choice { measure, choices }
            }
        }
    }
}

/// The measure arguments given as fields, in `QUESTION_ARG_KEYS` order.
fn read_args(f: &mut Fields<'_, '_>) -> Vec<(String, String)> {
    let mut args = Vec::new();
    for key in QUESTION_ARG_KEYS {
        let arg: Option<Value> = f.optional(key);
        if let Some(v) = arg {
            args.push((key.to_string(), value_text(v)));
        }
    }
    args
}

/// `run = "step" | "yours"`: whether the learner's own run is graded.
fn decode_run(run: Option<&str>, path: Path<'_>, extra: &mut Vec<Problem>) -> bool {
    match run {
        None | Some("step") => false,
        Some("yours") => true,
        Some(other) => {
            extra.push(Problem::new(
                Path::Key(&path, "run").to_string(),
                format!("`{other}`: `step` (graded on the step's own run) or `yours` (on the learner's)"),
            ));
            false
        }
    }
}

/// Too few or too many choices, and hints for choices there are not.
fn choice_problems(
    choices: &[String],
    hints: &BTreeMap<String, String>,
    path: Path<'_>,
) -> Vec<Problem> {
    let mut problems = Vec::new();
    if choices.len() < 2 || choices.len() > MAX_CHOICES {
        problems.push(Problem::new(
            Path::Key(&path, "choices").to_string(),
            format!("a choice question needs 2 to {MAX_CHOICES} choices"),
        ));
    }
    for key in hints.keys() {
        if !choices.contains(key) {
            problems.push(Problem::new(
                format!("{}.{key}", Path::Key(&path, "hints")),
                "a hint is for one of the choices",
            ));
        }
    }
    problems
}

/// A tolerance outside what the question's kind allows.
fn tolerance_problem(
    kind: QuestionKind,
    tolerance: Option<f64>,
    path: Path<'_>,
) -> Option<Problem> {
    let t = tolerance?;
    let (ok, allowed) = match kind {
        QuestionKind::Number => (
            (0.0..=1.0).contains(&t) && t > 0.0,
            "a ratio above 0 and at most 1 (0.25 = ±25 %)",
        ),
        QuestionKind::Moment => (t > 0.0 && t <= 3600.0, "seconds, above 0 and at most 3600"),
        QuestionKind::Choice => (false, "choice questions take no tolerance"),
    };
    (!ok).then(|| Problem::new(Path::Key(&path, "tolerance").to_string(), allowed))
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

impl FromValue for Fix {
    fn from_value(value: &Value, path: Path<'_>) -> Result<Self, Problems> {
        let unknown = unknown_keys(value, path, FIX_KEYS);
        let mut f = Fields::new(value, path)?;
        let set: Option<BTreeMap<String, Value>> = f.optional("set");
        let fix = Fix {
            label: f.required("label"),
            set: set_pairs(set),
            timeline: f.or("timeline", Vec::new()),
        };
        with_unknown(f.finish(fix), unknown)
    }
}
