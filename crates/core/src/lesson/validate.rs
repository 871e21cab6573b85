//! What `parse`, `read` and `incident lessons check` find wrong with a
//! lesson: its shape, its numbers, its steps' scenarios and, after a run,
//! what it says about that run.

use super::{prose, Answer, Lesson, Step, HIGHLIGHTS, MAX_CASES, MAX_CHOICES, MAX_CLAIMS};
use crate::scenario::{Problem, Scenario};
use crate::simulate;
use crate::trace::Trace;

impl Lesson {
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
    pub(super) fn shape_problems(&self) -> Vec<Problem> {
        let mut problems = self.header_problems();
        for (i, step) in self.steps.iter().enumerate() {
            problems.extend(step_limit_problems(step, i));
            problems.extend(step_text_problems(step, i));
            problems.extend(highlight_problems(step, i));
        }
        problems
    }

    /// Problems with the lesson's own fields, and with its steps as a whole.
    fn header_problems(&self) -> Vec<Problem> {
        let mut problems = Vec::new();
        // The catalogue shows these before any run: no measures in them.
        problems.extend(text_problems("title", &self.title, false));
        problems.extend(text_problems("summary", &self.summary, false));
        if self.steps.is_empty() {
            problems.push(Problem::new("steps", "a lesson needs at least one step"));
        }
        if self.steps.first().is_some_and(|s| !s.starts_run()) {
            problems.push(Problem::new(
                "steps.0.preset",
                "the first step must name a preset",
            ));
        }
        if !super::is_lesson_name(&self.name) {
            problems.push(Problem::new(
                "name",
                "use lowercase letters, digits and dashes, like `gradual-leak`",
            ));
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
                let found = match self.scenario_for(i, Some(case)) {
                    Ok(scenario) => case_problems(step, i, &scenario),
                    Err(e) => e.0,
                };
                // Later steps repeat an earlier step's problems; keep each once.
                push_new(&mut problems, found);
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
                push_new(&mut problems, step_run_problems(step, i, &trace, &which));
            }
        }
        problems
    }
}

/// Adds the problems not listed yet, in order.
fn push_new(problems: &mut Vec<Problem>, found: Vec<Problem>) {
    for p in found {
        if !problems.contains(&p) {
            problems.push(p);
        }
    }
}

/// A step's counts over their limits, and a preset named beside cases.
fn step_limit_problems(step: &Step, i: usize) -> Vec<Problem> {
    let mut problems = Vec::new();
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
    problems
}

/// The malformed texts of a step; only its question's texts may name the
/// question's arguments.
fn step_text_problems(step: &Step, i: usize) -> Vec<Problem> {
    let args = step.question.as_ref().map(|q| q.args.as_slice());
    let mut problems = Vec::new();
    for (path, text) in step_texts(step, i) {
        let own = if path.contains(".question.") {
            args
        } else {
            None
        };
        problems.extend(text_problems_with(&path, text, true, own));
    }
    problems
}

/// Highlights that name no chart or panel.
fn highlight_problems(step: &Step, i: usize) -> Vec<Problem> {
    step.highlight
        .iter()
        .enumerate()
        .filter(|(_, h)| !HIGHLIGHTS.contains(&h.as_str()))
        .map(|(j, h)| {
            Problem::new(
                format!("steps.{i}.highlight.{j}"),
                format!(
                    "unknown chart or panel `{h}`; one of {}",
                    HIGHLIGHTS.join(", ")
                ),
            )
        })
        .collect()
}

/// What is wrong with step `i` on one case's scenario: its question's
/// measure, then its fixes.
fn case_problems(step: &Step, i: usize, scenario: &Scenario) -> Vec<Problem> {
    let mut problems = Vec::new();
    if let Some(q) = &step.question {
        if let Some(why) = q.answer.measure().problem(scenario) {
            problems.push(Problem::new(format!("steps.{i}.question.measure"), why));
        }
    }
    for (j, fix) in step.fixes.iter().enumerate() {
        if let Err(e) = fix.apply(&mut scenario.clone()) {
            problems.extend(
                e.0.into_iter()
                    .map(|p| Problem::new(format!("steps.{i}.fixes.{j}.{}", p.path), p.message)),
            );
        }
    }
    problems
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

/// What a step says that its run contradicts; `which` names the case.
fn step_run_problems(step: &Step, i: usize, trace: &Trace, which: &str) -> Vec<Problem> {
    let mut problems = question_run_problems(step, i, trace, which);
    for (j, claim) in step.claims.iter().enumerate() {
        if let Err(e) = claim.check(trace) {
            problems.push(Problem::new(
                format!("steps.{i}.claims.{j}"),
                format!("{e}{which}"),
            ));
        }
    }
    problems.extend(text_measure_problems(step, i, trace, which));
    problems
}

/// The step's question has no answer on the run, or (for a choice) an
/// answer that is not among the choices.
fn question_run_problems(step: &Step, i: usize, trace: &Trace, which: &str) -> Vec<Problem> {
    let Some(q) = &step.question else {
        return Vec::new();
    };
    let path = format!("steps.{i}.question");
    match (&q.answer, q.expected_value(trace)) {
        (_, None) => vec![Problem::new(
            &path,
            format!("the step's run{which} never reaches what the question measures (no OOM, no GC, no load?)"),
        )],
        (Answer::Choice { choices, .. }, Some(actual)) if !choices.contains(&actual) => {
            vec![Problem::new(
                format!("{path}.choices"),
                format!("the run's answer{which} is `{actual}`, which is not one of the choices"),
            )]
        }
        _ => Vec::new(),
    }
}

/// Measures embedded in the step's texts that the run never reached.
fn text_measure_problems(step: &Step, i: usize, trace: &Trace, which: &str) -> Vec<Problem> {
    let mut problems = Vec::new();
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
