//! `incident lessons check [PATH]…`: lint lesson files the way CI would.

use crate::cli_error::CliError;
use incident_core::lesson::{Answer, Lesson, MAX_LESSON_BYTES};
use serde_json::{json, Value};
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

/// Directories are read for their `.toml` files, at most this many.
const MAX_FILES: usize = 500;

fn files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, CliError> {
    let mut out = Vec::new();
    for path in paths {
        if path.is_dir() {
            let entries = std::fs::read_dir(path)
                .map_err(|e| CliError::input(format!("{}: cannot read: {e}", path.display())))?;
            let mut found: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "toml"))
                .filter(|p| !p.ends_with("index.toml"))
                .collect();
            check_index(path, &found)?;
            found.sort();
            out.extend(found);
        } else if path.exists() {
            out.push(path.clone());
        } else {
            return Err(CliError::input(format!(
                "{}: no such file or directory",
                path.display()
            )));
        }
        if out.len() > MAX_FILES {
            return Err(CliError::input(format!(
                "more than {MAX_FILES} lesson files; check fewer at a time"
            )));
        }
    }
    if out.is_empty() {
        return Err(CliError::input("no .toml lesson files found"));
    }
    Ok(out)
}

/// A directory's `index.toml`, if it has one, must list exactly its lessons.
fn check_index(dir: &Path, files: &[PathBuf]) -> Result<(), CliError> {
    let index = dir.join("index.toml");
    if matches!(std::fs::symlink_metadata(&index), Err(e) if e.kind() == ErrorKind::NotFound) {
        return Ok(());
    }
    let text = crate::files::read_text(&index, MAX_LESSON_BYTES, "a lessons index")
        .map_err(CliError::input)?;
    let shown = index.display();
    let names = incident_core::lesson::parse_index(&text)
        .map_err(|p| CliError::Input(p.0.iter().map(|p| format!("{shown}: {p}")).collect()))?;
    let stems: Vec<String> = files
        .iter()
        .filter_map(|f| f.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .collect();
    let mut problems = Vec::new();
    for name in &names {
        if !stems.contains(name) {
            problems.push(format!(
                "{shown}: lists `{name}`, but there is no {name}.toml"
            ));
        }
    }
    for stem in &stems {
        if !names.contains(stem) {
            problems.push(format!(
                "{shown}: {stem}.toml is not listed, so the app will not show it"
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(CliError::Input(problems))
    }
}

fn check_file(path: &Path) -> Result<Lesson, Vec<String>> {
    let shown = path.display();
    let text =
        crate::files::read_text(path, MAX_LESSON_BYTES, "a lesson file").map_err(|e| vec![e])?;
    let lesson = Lesson::parse(&text).map_err(|p| {
        p.0.iter()
            .map(|p| format!("{shown}: {p}"))
            .collect::<Vec<_>>()
    })?;
    let problems = lesson.check_answers();
    if problems.is_empty() {
        Ok(lesson)
    } else {
        Err(problems.iter().map(|p| format!("{shown}: {p}")).collect())
    }
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum LessonFormat {
    Table,
    Json,
}

/// Checks every file; prints a line per good lesson (or one JSON document),
/// and fails with one line per problem.
pub fn check(
    paths: &[PathBuf],
    answers: bool,
    seed: Option<u64>,
    format: LessonFormat,
) -> Result<(), CliError> {
    let default = [PathBuf::from("assets/lessons")];
    let paths = if paths.is_empty() {
        &default[..]
    } else {
        paths
    };
    let mut problems = Vec::new();
    let mut documents = Vec::new();
    for path in files(paths)? {
        match check_file(&path) {
            Ok(lesson) if matches!(format, LessonFormat::Json) => {
                documents.push(lesson_json(&path, &lesson, seed));
            }
            Ok(lesson) => {
                let questions = lesson.steps.iter().filter(|s| s.question.is_some()).count();
                crate::stdout::outln!(
                    "ok  {}  {} ({} steps, {} questions, {} claims; every answer, claim and number comes from its run)",
                    path.display(),
                    lesson.title,
                    lesson.steps.len(),
                    questions,
                    lesson.steps.iter().map(|s| s.claims.len()).sum::<usize>()
                );
                if answers {
                    print_answers(&lesson, seed);
                }
            }
            Err(lines) => problems.extend(lines),
        }
    }
    if matches!(format, LessonFormat::Json) && problems.is_empty() {
        let text = serde_json::to_string_pretty(&json!({ "lessons": documents }))
            .map_err(|e| CliError::Failed(e.to_string()))?;
        crate::stdout::outln!("{text}");
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(CliError::Input(problems))
    }
}

fn print_answers(lesson: &Lesson, seed: Option<u64>) {
    for (i, step) in lesson.steps.iter().enumerate() {
        let (Some(q), Ok(scenario)) = (&step.question, lesson.scenario_for(i, seed)) else {
            continue;
        };
        let trace = incident_core::simulate(&scenario);
        let answer = q.expected(&trace).unwrap_or_else(|| "(never)".into());
        let prompt = q.render(&q.prompt, &trace);
        crate::stdout::outln!(
            "      step {} {:<28} {prompt} -> {answer}",
            i + 1,
            step.title
        );
    }
}

/// A lesson with each step's scenario, its run's hash, its texts as the run
/// renders them and, for questions, the answer the run gives: what the
/// browser tests and instructors check against.
fn lesson_json(path: &Path, lesson: &Lesson, seed: Option<u64>) -> Value {
    use incident_core::lesson::prose::{render, render_plain, Shown};
    let steps: Vec<Value> = lesson
        .steps
        .iter()
        .enumerate()
        .map(|(i, step)| {
            let scenario = lesson.scenario_for(i, seed).ok();
            let trace = scenario.as_ref().map(incident_core::simulate);
            let Some(trace) = trace else {
                return json!({ "step": i + 1, "title": step.title, "scenario": Value::Null });
            };
            // The measures the step's prose shows, in order.
            let measured: Vec<String> = render(&step.prose, &trace)
                .into_iter()
                .filter_map(|s| match s {
                    Shown::Measured(t) => Some(t),
                    _ => None,
                })
                .collect();
            let question = match &step.question {
                Some(q) => {
                    let (kind, choices) = match &q.answer {
                        Answer::Number { .. } => ("number", Vec::new()),
                        Answer::Moment { .. } => ("moment", Vec::new()),
                        Answer::Choice { choices, .. } => ("choice", choices.clone()),
                    };
                    json!({
                        "prompt": q.render(&q.prompt, &trace),
                        "kind": kind,
                        "choices": choices,
                        "expected": q.expected_value(&trace),
                        "expected_text": q.expected(&trace),
                        "trace_hash": trace.summary.trace_hash,
                    })
                }
                None => Value::Null,
            };
            json!({
                "step": i + 1,
                "title": render_plain(&step.title, &trace),
                "scenario": scenario.as_ref().map(|s| s.name.clone()),
                "seed": scenario.as_ref().map(|s| s.seed),
                "cases": lesson.case_count(i),
                "trace_hash": trace.summary.trace_hash,
                "reveal_at_s": lesson.reveal_at_s(i, &trace),
                "prose": render_plain(&step.prose, &trace),
                "measured": measured,
                "takeaway": render_plain(&step.takeaway, &trace),
                "claims": step.claims.iter().map(|c| c.to_string()).collect::<Vec<_>>(),
                "question": question,
            })
        })
        .collect();
    json!({
        "path": path.display().to_string(),
        "name": lesson.name,
        "title": lesson.title,
        "steps": steps,
    })
}

/// Prints each measure (or claim) on the scenario's run, one per line.
pub fn measure(scenario: &incident_core::Scenario, texts: &[String]) -> Result<(), CliError> {
    use incident_core::lesson::{Claim, Measure};
    const MAX_MEASURES: usize = 64;
    if texts.len() > MAX_MEASURES {
        return Err(CliError::input(format!(
            "at most {MAX_MEASURES} measures at a time"
        )));
    }
    enum Item {
        Measure(Measure),
        Claim(Claim),
    }
    let mut items = Vec::new();
    let mut problems = Vec::new();
    for text in texts {
        let is_claim = ["<", ">", "=="].iter().any(|op| text.contains(op)) || text.contains("!=");
        let parsed = if is_claim {
            Claim::parse(text).map(Item::Claim)
        } else {
            Measure::parse(text).map(Item::Measure)
        };
        match parsed {
            Ok(item) => items.push((text, item)),
            Err(e) => problems.push(e),
        }
    }
    if !problems.is_empty() {
        return Err(CliError::Input(problems));
    }
    let trace = incident_core::simulate(scenario);
    for (text, item) in items {
        let shown = match item {
            Item::Measure(m) => m
                .text(&trace)
                .unwrap_or_else(|| "never, in this run".into()),
            Item::Claim(c) => match c.check(&trace) {
                Ok(()) => "true".into(),
                Err(e) => e,
            },
        };
        crate::stdout::outln!("{text} = {shown}");
    }
    Ok(())
}
