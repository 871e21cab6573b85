//! Every shipped lesson parses, validates, and has answers that come out of
//! its runs; and an answer moves when the scenario does.

use incident_core::lesson::{Lesson, Response};
use std::path::PathBuf;

fn lessons_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../assets/lessons")
}

fn shipped() -> Vec<(String, Lesson)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(lessons_dir()).expect("assets/lessons exists") {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") && !path.ends_with("index.toml") {
            let text = std::fs::read_to_string(&path).unwrap();
            let lesson = Lesson::parse(&text)
                .unwrap_or_else(|e| panic!("{} is invalid:\n{e}", path.display()));
            out.push((path.display().to_string(), lesson));
        }
    }
    assert!(!out.is_empty());
    out
}

#[test]
fn every_shipped_lesson_is_valid_and_answerable() {
    for (path, lesson) in shipped() {
        let problems = lesson.check_answers();
        assert!(problems.is_empty(), "{path}: {problems:?}");
    }
}

#[test]
fn answers_come_from_the_run_and_move_with_the_scenario() {
    let (_, lesson) = shipped()
        .into_iter()
        .find(|(_, l)| l.name == "memory-spike")
        .unwrap();
    let i = lesson
        .steps
        .iter()
        .position(|s| s.title == "Flag on, load on")
        .unwrap();
    let question = lesson.steps[i].question.as_ref().unwrap();
    let spike = incident_core::simulate(&lesson.scenario_at(i).unwrap());
    let expected: f64 = question.expected_value(&spike).unwrap().parse().unwrap();
    assert!(expected > 0.1 && expected < 2.5, "{expected} min");
    let right = question.check(&spike, &Response::Number(expected * 1.1), 1);
    assert!(right.correct, "{right:?}");
    let wrong = question.check(&spike, &Response::Number(expected * 5.0), 2);
    assert!(!wrong.correct);
    assert!(!wrong.explanation.is_empty());
    // The same question on the later, slower scenario expects a later OOM.
    let later = lesson.steps.len() - 1;
    let slow = incident_core::simulate(&lesson.scenario_at(later).unwrap());
    let slow_expected: f64 = question.expected_value(&slow).unwrap().parse().unwrap();
    assert!(
        slow_expected > expected * 2.0,
        "{slow_expected} vs {expected}"
    );
    assert!(
        !question
            .check(&slow, &Response::Number(expected), 1)
            .correct
    );
}

#[test]
fn bad_lessons_get_one_message_per_problem() {
    let text = r#"
name = "Bad Name"
title = "t"
colour = "red"

[[steps]]
title = "s"
prose = "p"
preset = "no-such-preset"
highlight = ["memroy"]

[[steps]]
title = "s2"
set = { "workload.users" = "lots" }
[steps.question]
kind = "choice"
prompt = "?"
measure = "restarts"
explanation = "e"
"#;
    let problems = Lesson::parse(text).unwrap_err().to_string();
    for needle in [
        "colour",
        "steps.1.prose",
        "steps.1.question.service",
        "steps.1.question.choices",
    ] {
        assert!(problems.contains(needle), "missing {needle} in\n{problems}");
    }
    let text = r#"
name = "bad-name-2"
title = "t"
[[steps]]
title = "s"
prose = "p"
preset = "no-such-preset"
highlight = ["memroy"]
"#;
    let problems = Lesson::parse(text).unwrap_err().to_string();
    for needle in ["no-such-preset", "steps.0.highlight.0", "memroy"] {
        assert!(problems.contains(needle), "missing {needle} in\n{problems}");
    }
}

/// Seed 002's diagnostic step: the learner's seed picks the broken setup,
/// the answer is that setup's cause as the checklist finds it in the run,
/// and the right fix (not any fix) makes the checklist come up clean.
#[test]
fn each_seed_gets_a_broken_setup_that_one_fix_repairs() {
    let (_, lesson) = shipped()
        .into_iter()
        .find(|(_, l)| l.name == "not-growing")
        .unwrap();
    let (mystery, fix_step) = (0, 1);
    let cases = lesson.case_count(mystery);
    assert_eq!(cases, 5);
    let question = lesson.steps[fix_step].question.as_ref().unwrap();
    let mut causes = Vec::new();
    for seed in 0..cases as u64 {
        let broken = lesson.scenario_for(fix_step, Some(seed)).unwrap();
        assert_eq!(broken.seed, seed);
        let cause = question
            .expected(&incident_core::simulate(&broken))
            .unwrap();
        assert_ne!(cause, "none", "seed {seed} ({}) is not broken", broken.name);
        let mut repaired = Vec::new();
        for fix in &lesson.steps[fix_step].fixes {
            let mut sc = broken.clone();
            fix.apply(&mut sc).unwrap();
            let after = question.expected(&incident_core::simulate(&sc)).unwrap();
            if after == "none" {
                repaired.push(fix.label.clone());
            }
        }
        // A stale flag is also cured by serving `on` before checkout starts.
        assert!(
            (1..=2).contains(&repaired.len()),
            "seed {seed} ({cause}): {repaired:?}"
        );
        causes.push(cause);
    }
    causes.sort();
    causes.dedup();
    assert_eq!(causes.len(), 5, "every seed mod 5 gives a different cause");
}

#[test]
fn the_index_lists_every_shipped_lesson_once() {
    let text = std::fs::read_to_string(lessons_dir().join("index.toml")).unwrap();
    let mut listed = incident_core::lesson::parse_index(&text).unwrap();
    let mut names: Vec<String> = shipped().into_iter().map(|(_, l)| l.name).collect();
    listed.sort();
    names.sort();
    assert_eq!(listed, names);
    assert!(incident_core::lesson::parse_index("lessons = [\"Bad Name\"]").is_err());
}

/// Measures taken at a moment read that moment of the run: the cache leak's
/// working set before the clear grows with traffic, and the top allocation
/// site is the leaking line only while the leak runs.
#[test]
fn moment_measures_follow_the_run() {
    let (_, lesson) = shipped()
        .into_iter()
        .find(|(_, l)| l.name == "python-leaks")
        .unwrap();
    let leak = lesson
        .steps
        .iter()
        .position(|s| s.title.contains("cache leak"))
        .unwrap();
    let question = lesson.steps[leak].question.as_ref().unwrap();
    let mut scenario = lesson.scenario_at(leak).unwrap();
    let normal: f64 = question
        .expected_value(&incident_core::simulate(&scenario))
        .unwrap()
        .parse()
        .unwrap();
    incident_core::scenario::apply_set(&mut scenario, "workload.users", "5").unwrap();
    let quiet: f64 = question
        .expected_value(&incident_core::simulate(&scenario))
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        quiet < normal - 30.0,
        "half the users, less leaked: {quiet} vs {normal}"
    );

    let top = lesson
        .steps
        .iter()
        .find(|s| s.title.contains("where the memory is"))
        .and_then(|s| s.question.as_ref())
        .unwrap();
    let mut no_leak = lesson.scenario_at(0).unwrap();
    no_leak.timeline.clear();
    let site = top.expected(&incident_core::simulate(&no_leak)).unwrap();
    assert!(!site.contains("response_cache"), "{site}");
}

/// A catalogue reads lessons cheaply: `read` checks the file's shape only,
/// and the problems that need each step's scenario come from
/// `scenario_problems`, which `parse` also runs.
#[test]
fn reading_a_lesson_defers_the_scenario_checks() {
    let text = r#"
name = "later"
title = "t"
[[steps]]
title = "s"
prose = "p"
preset = "no-such-preset"
"#;
    let lesson = Lesson::read(text).expect("the shape is fine");
    let later = lesson.scenario_problems();
    assert!(
        later
            .iter()
            .any(|p| p.to_string().contains("no-such-preset")),
        "{later:?}"
    );
    assert!(Lesson::parse(text).is_err());
    // A shape problem is caught at once.
    let bad = text.replace("\"later\"", "\"Not A Name\"");
    assert!(Lesson::read(&bad).unwrap_err().to_string().contains("name"));
}

/// A lesson that states what its run does not do fails the check: a false
/// claim, a number typed by hand, a measure that never happened.
#[test]
fn untrue_lessons_are_refused() {
    let text = r#"
name = "untrue"
title = "An untrue lesson"
[[steps]]
title = "Flat"
prose = "Memory passes 80 % around five minutes in. It dies after {first_oom_after_load_min(checkout)}."
preset = "not-growing-flag-off"
claims = ["working_set_range_mi(checkout) > 5"]
"#;
    let shape = Lesson::parse(text).unwrap_err().to_string();
    assert!(
        shape.contains("steps.0.prose") && shape.contains("`80`"),
        "{shape}"
    );
    let fixed = text.replace("80 %", "{= 80 %}");
    let lesson = Lesson::parse(&fixed).expect("the shape is fine now");
    let problems: Vec<String> = lesson
        .check_answers()
        .iter()
        .map(|p| p.to_string())
        .collect();
    assert!(
        problems
            .iter()
            .any(|p| p.contains("steps.0.claims.0") && p.contains("false of this run")),
        "{problems:?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p.contains("steps.0.prose") && p.contains("never happened")),
        "{problems:?}"
    );
}

/// While a prediction is open the run is shown only up to its reveal point:
/// the load start by default, all of it for a moment question or a
/// diagnosis, or what the step names.
#[test]
fn reveal_points_hide_what_a_prediction_asks() {
    let lessons = shipped();
    let find = |name: &str| {
        lessons
            .iter()
            .find(|(_, l)| l.name == name)
            .unwrap()
            .1
            .clone()
    };
    let gradual = find("gradual-leak");
    let trace = incident_core::simulate(&gradual.scenario_at(0).unwrap());
    assert_eq!(
        gradual.reveal_at_s(0, &trace),
        Some(120.0),
        "the step names two minutes"
    );
    let gc = gradual
        .steps
        .iter()
        .position(|s| s.title == "GC works harder")
        .unwrap();
    assert_eq!(
        gradual.reveal_at_s(gc, &trace),
        None,
        "a moment question shows the run"
    );
    let spike = find("memory-spike");
    let i = spike
        .steps
        .iter()
        .position(|s| s.title == "Flag on, load on")
        .unwrap();
    let trace = incident_core::simulate(&spike.scenario_at(i).unwrap());
    let load = trace.summary.load_started_s.unwrap();
    assert_eq!(spike.reveal_at_s(i, &trace), Some(load));
    let oom = trace
        .summary
        .service("checkout")
        .unwrap()
        .first_oom_s
        .unwrap();
    assert!(oom > load, "the answer lies past the reveal point");
    let diagnosis = find("not-growing");
    let trace = incident_core::simulate(&diagnosis.scenario_at(0).unwrap());
    assert_eq!(
        diagnosis.reveal_at_s(0, &trace),
        None,
        "symptoms are the evidence"
    );
}

fn one_step_lesson(set: &str) -> String {
    format!(
        r#"
name = "sets"
title = "t"
[[steps]]
title = "s"
prose = "p"
preset = "checkout-spike"
set = {set}
"#
    )
}

/// A step's `set` (and a fix's) applies as a whole: values that only fit
/// together are taken whatever their order (a table's keys are read in
/// sorted order, so `max` came first and was refused alone), and a bad
/// combination is reported once, under the key the lesson wrote.
#[test]
fn a_steps_set_applies_as_a_whole() {
    use incident_core::lesson::Fix;
    let both = r#"{ "workload.think_time.min" = "0s", "workload.think_time.max" = "0s" }"#;
    let lesson = Lesson::parse(&one_step_lesson(both)).unwrap_or_else(|e| panic!("{e}"));
    let scenario = lesson.scenario_at(0).unwrap();
    assert_eq!(scenario.workload.think_time.min.to_string(), "0s");
    assert_eq!(scenario.workload.think_time.max.to_string(), "0s");

    let alone = r#"{ "workload.think_time.max" = "0s" }"#;
    let e = Lesson::parse(&one_step_lesson(alone))
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "steps.0.set.workload.think_time.max: 0s conflicts with workload.think_time.min: 1s is above think_time.max 0s"
    );

    let mut sc = incident_core::presets::load("checkout-spike").unwrap();
    let fix = Fix {
        label: "no think time".into(),
        set: vec![
            ("workload.think_time.max".into(), "0s".into()),
            ("workload.think_time.min".into(), "0s".into()),
        ],
        timeline: Vec::new(),
    };
    fix.apply(&mut sc).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(sc.workload.think_time.max.to_string(), "0s");
}
