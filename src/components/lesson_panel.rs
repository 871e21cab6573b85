//! The lesson list, the open lesson's step (prose, checks, fixes, question,
//! feedback), instructor mode and the printable handout.
//!
//! Read-only parts and lists of buttons are rendered as escaped HTML
//! (`crate::html`) with one click handler per list that reads the button's
//! `data-*` attribute; only the question form, whose inputs hold what the
//! learner types, is a tree of reactive views. That keeps the wasm small.

use crate::app::AppState;
use crate::dom::clicked_attr;
use crate::format::{clock, paragraphs};
use crate::html::Html;
use crate::lesson::{self, LessonState};
use incident_core::checks::Check;
use incident_core::lesson::{Answer, Lesson, Response, Step};
use incident_core::units::{parse_f64, SimTime};
use leptos::prelude::*;
use std::sync::Arc;

fn lesson_cards(ls: LessonState) -> String {
    let open = ls.open.with(|o| o.as_ref().map(|o| o.name.clone()));
    let mut h = Html::new();
    ls.catalogue.with(|entries| {
        for entry in entries {
            match &entry.lesson {
                Ok(l) => {
                    let steps = l.steps.len();
                    let done = lesson::stored_done(&l.name).min(steps);
                    let class = if open.as_deref() == Some(l.name.as_str()) {
                        "card lesson-card current"
                    } else {
                        "card lesson-card"
                    };
                    let doc = l
                        .seed_doc
                        .as_ref()
                        .map(|d| format!("seed {d} · "))
                        .unwrap_or_default();
                    h.open("li", &[])
                        .open("button", &[("class", class), ("data-lesson", &l.name)])
                        .el("span", &[("class", "card-title")], &l.title)
                        .el("span", &[("class", "card-desc")], &l.summary)
                        .el(
                            "span",
                            &[("class", "card-doc")],
                            &format!("{doc}{done} of {steps} answered"),
                        )
                        .close("button")
                        .close("li");
                }
                Err(e) => {
                    h.el(
                        "li",
                        &[("class", "broken")],
                        &format!("{}: {e}", entry.name),
                    );
                }
            }
        }
    });
    h.finish()
}

#[component]
pub fn LessonList() -> impl IntoView {
    let app = expect_context::<AppState>();
    let ls = expect_context::<LessonState>();
    let open = move |ev: leptos::ev::MouseEvent| {
        let Some(name) = clicked_attr(&ev, "data-lesson") else {
            return;
        };
        let found = ls.catalogue.with_untracked(|c| {
            c.iter()
                .find(|e| e.name == name)
                .and_then(|e| e.lesson.clone().ok())
        });
        if let Some(l) = found {
            lesson::open(app, ls, l);
        }
    };
    view! {
        <nav class="gallery lessons" aria-label="Lessons">
            <h2>"Lessons"</h2>
            <ul on:click=open inner_html=move || lesson_cards(ls)></ul>
        </nav>
    }
}

fn step_head(lesson: &Lesson, step: &Step, step_index: usize) -> String {
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
            "Lesson{seed} · step {} of {}",
            step_index + 1,
            lesson.steps.len()
        ),
    )
    .el("h2", &[("id", "lesson-h")], &step.title)
    .el("p", &[("class", "lesson-title")], &lesson.title)
    .open("div", &[("class", "prose")]);
    for p in paragraphs(&step.prose) {
        h.el("p", &[], &p);
    }
    h.close("div");
    h.finish()
}

#[component]
pub fn LessonPanel() -> impl IntoView {
    let app = expect_context::<AppState>();
    let ls = expect_context::<LessonState>();
    move || {
        let lesson = ls.open.get()?;
        let step_index = ls.step(&app);
        let step = lesson.steps.get(step_index)?.clone();
        let instructor = app.share.with(|s| s.instructor);
        let first = step_index == 0;
        let last = step_index + 1 >= lesson.steps.len();
        Some(view! {
            <section class="lesson" aria-labelledby="lesson-h" data-lesson=lesson.name.clone() data-step=step_index + 1>
                <div inner_html=step_head(&lesson, &step, step_index)></div>
                <Checks step=step.clone() />
                <Fixes step=step.clone() />
                <QuestionForm step=step />
                <nav class="lesson-nav" aria-label="Lesson steps">
                    <button disabled=first on:click=move |_| lesson::go_to(app, ls, step_index.saturating_sub(1))>"← Back"</button>
                    <button class="primary" disabled=last data-action="next" on:click=move |_| lesson::go_to(app, ls, step_index + 1)>"Next step →"</button>
                    <button class="link" on:click=move |_| lesson::leave(app, ls)>"Leave lesson"</button>
                </nav>
                {instructor.then(|| view! { <Instructor lesson=lesson.clone() /> })}
            </section>
        })
    }
}

/// The service a step's checks and answers are about.
fn step_service(app: &AppState, step: &Step) -> String {
    step.question
        .as_ref()
        .and_then(|q| q.answer.measure().service().map(str::to_string))
        .unwrap_or_else(|| app.service.get_untracked())
}

fn check_chips(checks: &[Check], pressed: Option<Check>) -> String {
    let mut h = Html::new();
    for &check in checks {
        let is_pressed = if pressed == Some(check) {
            "true"
        } else {
            "false"
        };
        h.el(
            "button",
            &[
                ("class", "chip"),
                ("aria-pressed", is_pressed),
                ("data-check", check.name()),
            ],
            check.label(),
        );
    }
    h.finish()
}

fn check_output(app: AppState, check: Check, service: &str) -> String {
    let Some(trace) = app.trace.get() else {
        return String::new();
    };
    let t = SimTime::from_secs_f64(app.scrub_s.get());
    let caption = if t.0 == 0 {
        "At the start of the run (drag the time slider to run it later):".to_string()
    } else {
        format!("At {} into the run:", clock(t.as_secs_f64()))
    };
    let mut h = Html::new();
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
    h.finish()
}

#[component]
fn Checks(step: Step) -> impl IntoView {
    let app = expect_context::<AppState>();
    let ls = expect_context::<LessonState>();
    if step.checks.is_empty() {
        return None;
    }
    let service = step_service(&app, &step);
    let checks = step.checks;
    let press = move |ev: leptos::ev::MouseEvent| {
        if let Some(check) = clicked_attr(&ev, "data-check").and_then(|n| Check::parse(&n)) {
            ls.check.set(Some(check));
        }
    };
    let output = move || {
        ls.check
            .get()
            .map(|c| check_output(app, c, &service))
            .unwrap_or_default()
    };
    Some(view! {
        <div class="checks" class:highlight=move || ls.highlights(&app).iter().any(|h| h == "checks")>
            <h3>"The checklist"</h3>
            <div class="chips" on:click=press inner_html=move || check_chips(&checks, ls.check.get())></div>
            <div inner_html=output></div>
        </div>
    })
}

#[component]
fn Fixes(step: Step) -> impl IntoView {
    let app = expect_context::<AppState>();
    let ls = expect_context::<LessonState>();
    if step.fixes.is_empty() {
        return None;
    }
    let labels: Vec<String> = step.fixes.iter().map(|f| f.label.clone()).collect();
    let chips = move || {
        let mut h = Html::new();
        app.share.with(|s| {
            for (i, label) in labels.iter().enumerate() {
                let index = i.to_string();
                let applied = s.fixes.contains(&i);
                let pressed = if applied { "true" } else { "false" };
                let mut attrs = vec![
                    ("class", "chip"),
                    ("data-fix", index.as_str()),
                    ("aria-pressed", pressed),
                ];
                if applied {
                    attrs.push(("disabled", ""));
                }
                h.el("button", &attrs, label);
            }
        });
        h.finish()
    };
    let apply = move |ev: leptos::ev::MouseEvent| {
        if let Some(i) = clicked_attr(&ev, "data-fix").and_then(|i| i.parse().ok()) {
            lesson::apply_fix(app, ls, i);
        }
    };
    Some(view! {
        <div class="fixes">
            <h3>"Try a fix"</h3>
            <div class="chips" on:click=apply inner_html=chips></div>
        </div>
    })
}

fn feedback_html(ls: LessonState) -> String {
    let mut h = Html::new();
    ls.feedback.with(|f| {
        let Some(f) = f else { return };
        let (verdict, correct) = if f.correct {
            ("Right.", "true")
        } else {
            ("Not quite.", "false")
        };
        h.open(
            "div",
            &[
                ("class", "feedback"),
                ("data-correct", correct),
                ("role", "status"),
            ],
        )
        .open("p", &[])
        .el("strong", &[], verdict)
        .text(" The run says: ")
        .el("span", &[("class", "actual")], &f.actual)
        .close("p");
        for p in paragraphs(&f.explanation) {
            h.el("p", &[], &p);
        }
        h.close("div");
    });
    h.finish()
}

#[component]
fn QuestionForm(step: Step) -> impl IntoView {
    let app = expect_context::<AppState>();
    let ls = expect_context::<LessonState>();
    let question = step.question?;
    let (typed, set_typed) = signal(String::new());
    let (chosen, set_chosen) = signal(Option::<String>::None);
    let (error, set_error) = signal(Option::<String>::None);
    let running = move || app.progress.get().is_some();
    let kind = match question.answer {
        Answer::Number { .. } => "number",
        Answer::Choice { .. } => "choice",
        Answer::Moment { .. } => "moment",
    };
    let input = match &question.answer {
        Answer::Number { .. } => view! {
            <label class="answer">"Your prediction "
                <input name="answer" type="text" inputmode="decimal" autocomplete="off" prop:value=typed
                    on:input=move |ev| set_typed.set(event_target_value(&ev)) />
            </label>
        }
        .into_any(),
        // Radios are plain HTML: the browser keeps which one is checked, and
        // one change handler on the fieldset reads it.
        Answer::Choice { choices, .. } => {
            let mut h = Html::new();
            for c in choices {
                h.open("label", &[("class", "choice")])
                    .open("input", &[("type", "radio"), ("name", "answer"), ("value", c)])
                    .text(" ")
                    .text(c)
                    .close("label");
            }
            let options = h.finish();
            view! {
                <fieldset class="choices" on:change=move |ev| set_chosen.set(Some(event_target_value(&ev)))>
                    <legend class="sr-only">"Choices"</legend>
                    <div inner_html=options></div>
                </fieldset>
            }
            .into_any()
        }
        Answer::Moment { .. } => view! {
            <p class="hint">"Click a chart or drag the time slider to the moment, then answer."</p>
        }
        .into_any(),
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let response = match kind {
            "number" => match parse_f64(typed.get_untracked().trim()) {
                Some(n) if n.is_finite() => Response::Number(n),
                _ => {
                    set_error.set(Some("Type a number, like 11.5.".into()));
                    return;
                }
            },
            "choice" => match chosen.get_untracked() {
                Some(c) => Response::Choice(c),
                None => {
                    set_error.set(Some("Pick one of the choices.".into()));
                    return;
                }
            },
            _ => Response::MomentS(app.scrub_s.get_untracked()),
        };
        set_error.set(None);
        lesson::answer(app, ls, response);
    };
    let button_text = move || match kind {
        "moment" => format!("Answer with {}", clock(app.scrub_s.get())),
        _ => "Check my answer".to_string(),
    };
    let error_html = move || {
        let mut h = Html::new();
        if let Some(e) = error.get() {
            h.el("p", &[("class", "error"), ("role", "alert")], &e);
        }
        h.finish()
    };
    Some(view! {
        <form class="question" data-kind=kind on:submit=submit>
            <p class="prompt">{question.prompt}</p>
            {input}
            <button type="submit" class="primary" disabled=running>{button_text}</button>
            <div inner_html=error_html></div>
        </form>
        <div inner_html=move || feedback_html(ls)></div>
    })
}

fn instructor_steps(lesson: &Lesson, current: usize, ls: LessonState) -> String {
    let mut h = Html::new();
    ls.done.with(|done| {
        for (i, s) in lesson.steps.iter().enumerate() {
            let index = i.to_string();
            let mut attrs = vec![("class", "link"), ("data-step", index.as_str())];
            if i == current {
                attrs.push(("aria-current", "step"));
            }
            h.open("li", &[])
                .el("button", &attrs, &format!("{}. {}", i + 1, s.title));
            if done.contains(&i) {
                h.text(" ✓");
            }
            h.close("li");
        }
    });
    h.finish()
}

#[component]
fn Instructor(lesson: Arc<Lesson>) -> impl IntoView {
    let app = expect_context::<AppState>();
    let ls = expect_context::<LessonState>();
    let step_index = ls.step(&app);
    let question = lesson
        .steps
        .get(step_index)
        .and_then(|s| s.question.clone());
    let expected = move || {
        let q = question.as_ref()?;
        let trace = app.trace.get()?;
        Some(
            q.expected(&trace)
                .unwrap_or_else(|| "never happens in this run".into()),
        )
    };
    let case = move || {
        let n = ls
            .open
            .with(|l| l.as_ref().map(|l| l.case_count(step_index)).unwrap_or(1));
        (n > 1).then(|| {
            format!(
                "Case: {} (seed {})",
                app.scenario.with(|s| s.name.clone()),
                app.share.with(|s| s.seed.unwrap_or(0))
            )
        })
    };
    let go = move |ev: leptos::ev::MouseEvent| {
        if let Some(i) = clicked_attr(&ev, "data-step").and_then(|i| i.parse().ok()) {
            lesson::go_to(app, ls, i);
        }
    };
    view! {
        <div class="instructor" aria-label="Instructor">
            <h3>"Instructor"</h3>
            <p class="instructor-answer">"Answer on this run: "<strong>{expected}</strong></p>
            <p>{case}</p>
            <ol class="lesson-steps" on:click=go inner_html=move || instructor_steps(&lesson, step_index, ls)></ol>
            <button on:click=move |_| crate::dom::print()>"Print handout"</button>
        </div>
    }
}

fn handout_html(lesson: &Lesson) -> String {
    let link = crate::dom::url_with_query(&format!("?lesson={}", lesson.name));
    let mut h = Html::new();
    h.el("h1", &[], &lesson.title)
        .el("p", &[], &lesson.summary)
        .open("p", &[("class", "handout-link")])
        .text("Open it: ")
        .el("strong", &[], &link)
        .close("p")
        .open("ol", &[]);
    for s in &lesson.steps {
        h.open("li", &[])
            .el("strong", &[], &s.title)
            .el("p", &[], &paragraphs(&s.prose).join(" "));
        if let Some(q) = &s.question {
            h.el(
                "p",
                &[("class", "handout-q")],
                &format!("{} Your prediction: ________", q.prompt),
            );
        }
        h.close("li");
    }
    h.close("ol");
    h.finish()
}

/// One page for the room: every step and question, and a short link. Only
/// printed (see the print styles), and only in instructor mode.
#[component]
pub fn Handout() -> impl IntoView {
    let app = expect_context::<AppState>();
    let ls = expect_context::<LessonState>();
    let html = move || {
        if !app.share.with(|s| s.instructor) {
            return String::new();
        }
        ls.open
            .with(|l| l.as_deref().map(handout_html).unwrap_or_default())
    };
    view! { <section class="handout" aria-hidden="true" inner_html=html></section> }
}
