//! The open step: its section, with one click handler for every button in
//! its HTML parts.

use super::question::{question_form, step_feedback_html};
use super::step_html::{
    checks_html, fixes_html, instructor_html, nav_html, step_head, step_service,
};
use super::summary::LessonSummary;
use crate::app::AppState;
use crate::dom::clicked_attr;
use crate::format::clock;
use crate::html::flag;
use crate::lesson::{self, LessonState};
use incident_core::checks::Check;
use incident_core::lesson::{Lesson, Step};
use leptos::prelude::*;
use std::sync::Arc;

/// The open step. Everything but the answer form is HTML; one click
/// handler on the section serves the checks, fixes, step buttons and
/// instructor links by their `data-*` attributes.
#[component]
pub fn LessonPanel() -> impl IntoView {
    let app = expect_context::<AppState>();
    let ls = expect_context::<LessonState>();
    move || {
        let lesson = ls.open.get()?;
        if ls.finished.get() {
            return Some(view! { <LessonSummary lesson=lesson.clone() /> }.into_any());
        }
        let step_index = ls.step(&app);
        let step = lesson.steps.get(step_index)?.clone();
        Some(step_section(app, ls, lesson, step, step_index).into_any())
    }
}

/// What a click on the step's section does, by the button's `data-*`.
fn step_click(app: AppState, ls: LessonState, step_index: usize, ev: &leptos::ev::MouseEvent) {
    if let Some(check) = clicked_attr(ev, "data-check").and_then(|n| Check::parse(&n)) {
        ls.check.set(Some(check));
    } else if let Some(i) = clicked_attr(ev, "data-fix").and_then(|i| i.parse().ok()) {
        lesson::apply_fix(app, ls, i);
    } else if let Some(i) = clicked_attr(ev, "data-goto").and_then(|i| i.parse().ok()) {
        lesson::go_to(app, ls, i);
    } else {
        match clicked_attr(ev, "data-action").as_deref() {
            Some("back") => lesson::go_to(app, ls, step_index.saturating_sub(1)),
            Some("next") => lesson::go_to(app, ls, step_index + 1),
            Some("finish") => lesson::finish(ls),
            Some("show") => lesson::show_answer(app, ls),
            Some("dashboard") => ls.dashboard.update(|d| *d = !*d),
            Some("show-all") => ls.show_all.update(|s| *s = !*s),
            Some("leave") => lesson::leave(app, ls),
            Some("print") => super::handout::print_handout(app, ls),
            _ => {}
        }
    }
}

/// Why the charts stop short, while a question holds the run back.
fn held_note(app: &AppState, ls: &LessonState) -> Option<String> {
    ls.hold_s(app).map(|h| {
        format!(
            "The charts stop at {}: the rest of the run shows once you answer.",
            clock(h)
        )
    })
}

fn step_section(
    app: AppState,
    ls: LessonState,
    lesson: Arc<Lesson>,
    step: Step,
    step_index: usize,
) -> impl IntoView {
    let instructor = app.share.with_untracked(|s| s.instructor);
    let last = step_index + 1 >= lesson.steps.len();
    let click = move |ev: leptos::ev::MouseEvent| step_click(app, ls, step_index, &ev);
    let service = step_service(&app, &step);
    let checks = step.checks.clone();
    let checks = move || {
        if checks.is_empty() {
            String::new()
        } else {
            checks_html(app, ls, &checks, &service)
        }
    };
    let labels: Vec<String> = step.fixes.iter().map(|f| f.label.clone()).collect();
    let fixes = move || {
        if labels.is_empty() {
            String::new()
        } else {
            fixes_html(app, &labels)
        }
    };
    let form = step.question.clone().map(|q| question_form(app, ls, q));
    let open_lesson = lesson.clone();
    let instructor_part = move || {
        if instructor {
            instructor_html(app, ls, &open_lesson, step_index)
        } else {
            String::new()
        }
    };
    let head_lesson = lesson.clone();
    let head_step = step.clone();
    let head = move || {
        let trace = ls.step_trace.get();
        step_head(&head_lesson, &head_step, step_index, trace.as_deref())
    };
    let feedback = move || step_feedback_html(app, ls, &step);
    let held = move || held_note(&app, &ls);
    let name = lesson.name.clone();
    view! {
        <section class="lesson" aria-labelledby="lesson-h" data-lesson=name data-step=step_index + 1 data-settled=move || flag(ls.settled(&app)) on:click=click>
            <div inner_html=head></div>
            <div inner_html=checks></div>
            <div inner_html=fixes></div>
            {form}
            <p class="held muted" role="note">{held}</p>
            <div inner_html=feedback></div>
            <nav class="lesson-nav" aria-label="Lesson steps" inner_html=move || nav_html(step_index == 0, last, ls.settled(&app), ls.dashboard.get())></nav>
            <div inner_html=instructor_part></div>
        </section>
    }
}
