//! `incident lessons check [PATH]…`: lint lesson files the way CI would.

use crate::cli_error::CliError;
use incident_core::lesson::{Lesson, MAX_LESSON_BYTES};
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
                .collect();
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

fn check_file(path: &Path) -> Result<Lesson, Vec<String>> {
    let shown = path.display();
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    if size > MAX_LESSON_BYTES as u64 {
        return Err(vec![format!(
            "{shown}: {} KB; lessons may be at most {} KB",
            size / 1024,
            MAX_LESSON_BYTES / 1024
        )]);
    }
    let text = std::fs::read_to_string(path).map_err(|e| vec![format!("{shown}: {e}")])?;
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

/// Checks every file; prints a line per good lesson, and fails with one
/// line per problem.
pub fn check(paths: &[PathBuf], answers: bool) -> Result<(), CliError> {
    let default = [PathBuf::from("assets/lessons")];
    let paths = if paths.is_empty() {
        &default[..]
    } else {
        paths
    };
    let mut problems = Vec::new();
    for path in files(paths)? {
        match check_file(&path) {
            Ok(lesson) => {
                let questions = lesson.steps.iter().filter(|s| s.question.is_some()).count();
                println!(
                    "ok  {}  {} ({} steps, {} questions; every answer comes from its run)",
                    path.display(),
                    lesson.title,
                    lesson.steps.len(),
                    questions
                );
                if answers {
                    print_answers(&lesson);
                }
            }
            Err(lines) => problems.extend(lines),
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(CliError::Input(problems))
    }
}

fn print_answers(lesson: &Lesson) {
    for (i, step) in lesson.steps.iter().enumerate() {
        let (Some(q), Ok(scenario)) = (&step.question, lesson.scenario_at(i)) else {
            continue;
        };
        let trace = incident_core::simulate(&scenario);
        let answer = q.expected(&trace).unwrap_or_else(|| "(never)".into());
        println!(
            "      step {} {:<28} {} -> {answer}",
            i + 1,
            step.title,
            q.prompt
        );
    }
}
