//! The read-only parts of the open step, as HTML: its head and prose, the
//! checklist, the fixes, the step buttons and the instructor's panel.

use super::{shown, step_title};
use crate::app::AppState;
use crate::format::clock;
use crate::html::{flag, Html};
use crate::lesson::LessonState;
use incident_core::checks::Check;
use incident_core::lesson::{Lesson, Step};
use incident_core::units::SimTime;
use incident_core::Trace;
use leptos::prelude::*;

pub(super) fn step_head(
    lesson: &Lesson,
    step: &Step,
    step_index: usize,
    trace: Option<&Trace>,
) -> String {
    let seed = lesson
        .seed_doc
        .as_ref()
        .map(|d| format!(" · seed {d}"))
        .unwrap_or_default();
    let mut h = Html::new();
    h.el(
        "p",
        &[("class", "kicker")],
        &format!(
            "{}{seed} · step {} of {}",
            lesson.title,
            step_index + 1,
            lesson.steps.len()
        ),
    )
    .el("h2", &[("id", "lesson-h")], &step_title(step, trace))
    .open("div", &[("class", "prose")])
    .prose(&shown(&step.prose, trace, &[]))
    .close("div");
    h.finish()
}

/// The service a step's checks and answers are about.
pub(super) fn step_service(app: &AppState, step: &Step) -> String {
    step.question
        .as_ref()
        .and_then(|q| q.answer.measure().service().map(str::to_string))
        .unwrap_or_else(|| app.service.get_untracked())
}

/// The checklist: a chip per check, and what the pressed one prints at the
/// scrub time.
pub(super) fn checks_html(
    app: AppState,
    ls: LessonState,
    checks: &[Check],
    service: &str,
) -> String {
    let pressed = ls.check.get();
    let mut h = Html::new();
    h.open("div", &[("class", "checks")])
        .el("h3", &[], "The checklist")
        .open("div", &[("class", "chips")]);
    for &check in checks {
        h.el(
            "button",
            &[
                ("class", "chip"),
                ("aria-pressed", flag(pressed == Some(check))),
                ("data-check", check.name()),
            ],
            check.label(),
        );
    }
    h.close("div");
    if let (Some(check), Some(trace)) = (pressed, app.trace.get()) {
        let t = SimTime::from_secs_f64(app.scrub_s.get());
        let caption = if t.0 == 0 {
            "At the start of the run (move the playhead to run it later):".to_string()
        } else {
            format!("At {} into the run:", clock(t.as_secs_f64()))
        };
        h.open(
            "figure",
            &[("class", "check-output"), ("data-check", check.name())],
        )
        .el("figcaption", &[], &caption)
        .open("pre", &[])
        .open("code", &[])
        .el("span", &[("class", "prompt")], "$ ")
        .text(&check.command(&trace, service))
        .text("\n")
        .text(&check.output(&trace, service, t))
        .close("code")
        .close("pre")
        .close("figure");
    }
    h.close("div");
    h.finish()
}

/// The fixes a step offers; an applied one is pressed and disabled.
pub(super) fn fixes_html(app: AppState, labels: &[String]) -> String {
    let mut h = Html::new();
    h.open("div", &[("class", "fixes")])
        .el("h3", &[], "Try a fix")
        .open("div", &[("class", "chips")]);
    app.share.with(|s| {
        for (i, label) in labels.iter().enumerate() {
            let index = i.to_string();
            let applied = s.fixes.contains(&i);
            let mut attrs = vec![
                ("class", "chip"),
                ("data-fix", index.as_str()),
                ("aria-pressed", flag(applied)),
            ];
            if applied {
                attrs.push(("disabled", ""));
            }
            h.el("button", &attrs, label);
        }
    });
    h.close("div").close("div");
    h.finish()
}

/// The instructor's panel: the answer, the case, every step and the
/// handout.
pub(super) fn instructor_html(
    app: AppState,
    ls: LessonState,
    lesson: &Lesson,
    step_index: usize,
) -> String {
    let expected = expected_answer(ls, lesson, step_index);
    let mut h = Html::new();
    h.open(
        "div",
        &[("class", "instructor"), ("aria-label", "Instructor")],
    )
    .el("h3", &[], "Instructor")
    .open("label", &[("class", "inline")])
    .open(
        "input",
        &if ls.show_all.get() {
            vec![
                ("type", "checkbox"),
                ("data-action", "show-all"),
                ("checked", ""),
            ]
        } else {
            vec![("type", "checkbox"), ("data-action", "show-all")]
        },
    )
    .text(" Show the whole run (do not hold back what a question asks)")
    .close("label")
    .open("p", &[("class", "instructor-answer")])
    .text("Answer on the step's run: ")
    .el("strong", &[], &expected)
    .close("p");
    if lesson.case_count(step_index) > 1 {
        let case = format!(
            "Case: {} (seed {})",
            ls.step_scenario
                .with(|s| s.as_ref().map(|s| s.name.clone()).unwrap_or_default()),
            app.share.with(|s| s.seed.unwrap_or(0))
        );
        h.el("p", &[], &case);
    }
    steps_html(&mut h, ls, lesson, step_index);
    h.el("button", &[("data-action", "print")], "Print the handout")
        .close("div");
    h.finish()
}

/// The step's answer on its own run, for the instructor.
fn expected_answer(ls: LessonState, lesson: &Lesson, step_index: usize) -> String {
    let trace = ls.step_trace.get();
    lesson
        .steps
        .get(step_index)
        .and_then(|s| s.question.as_ref())
        .zip(trace.as_deref())
        .map(|(q, trace)| {
            q.expected(trace)
                .unwrap_or_else(|| "never happens in this run".into())
        })
        .unwrap_or_default()
}

/// Every step, as a link to it, with how its question went.
fn steps_html(h: &mut Html, ls: LessonState, lesson: &Lesson, step_index: usize) {
    h.open("ol", &[("class", "lesson-steps")]);
    for (i, s) in lesson.steps.iter().enumerate() {
        let index = i.to_string();
        let mut attrs = vec![("class", "link"), ("data-goto", index.as_str())];
        if i == step_index {
            attrs.push(("aria-current", "step"));
        }
        h.open("li", &[]).el(
            "button",
            &attrs,
            &format!("{}. {}", i + 1, step_title(s, None)),
        );
        if let Some(o) = ls.outcome_of(i) {
            h.text(&format!(" — {}", o.words()));
        }
        h.close("li");
    }
    h.close("ol");
}

pub(super) fn nav_html(first: bool, last: bool, settled: bool, dashboard: bool) -> String {
    let mut h = Html::new();
    let back: &[(&str, &str)] = if first {
        &[("data-action", "back"), ("disabled", "")]
    } else {
        &[("data-action", "back")]
    };
    let forward_class = if settled { "primary" } else { "" };
    h.el("button", back, "Back");
    if last {
        h.el(
            "button",
            &[("class", forward_class), ("data-action", "finish")],
            "Finish the lesson",
        );
    } else {
        h.el(
            "button",
            &[("class", forward_class), ("data-action", "next")],
            "Next step",
        );
    }
    h.el(
        "button",
        &[("class", "link"), ("data-action", "dashboard")],
        if dashboard {
            "Back to the step's page"
        } else {
            "Show the whole dashboard"
        },
    )
    .el(
        "button",
        &[("class", "link"), ("data-action", "leave")],
        "Leave the lesson",
    );
    h.finish()
}
