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
use crate::html::{error_paragraph, flag, Html};
use crate::lesson::{self, LessonState};
use incident_core::checks::Check;
use incident_core::lesson::{Answer, Lesson, Question, Response, Step};
use incident_core::units::{parse_f64, SimTime};
use leptos::prelude::*;
use wasm_bindgen::JsCast;

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

/// The service a step's checks and answers are about.
fn step_service(app: &AppState, step: &Step) -> String {
    step.question
        .as_ref()
        .and_then(|q| q.answer.measure().service().map(str::to_string))
        .unwrap_or_else(|| app.service.get_untracked())
}

/// The checklist: a chip per check, and what the pressed one prints at the
/// scrub time.
fn checks_html(
    app: AppState,
    ls: LessonState,
    checks: &[Check],
    highlight: bool,
    service: &str,
) -> String {
    let pressed = ls.check.get();
    let mut h = Html::new();
    h.open(
        "div",
        &[(
            "class",
            if highlight {
                "checks highlight"
            } else {
                "checks"
            },
        )],
    )
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
            "At the start of the run (drag the time slider to run it later):".to_string()
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
fn fixes_html(app: AppState, labels: &[String]) -> String {
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

fn feedback_html(ls: LessonState) -> String {
    let mut h = Html::new();
    ls.feedback.with(|f| {
        let Some(f) = f else { return };
        let verdict = if f.correct { "Right." } else { "Not quite." };
        h.open(
            "div",
            &[
                ("class", "feedback"),
                ("data-correct", flag(f.correct)),
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

/// The question's prompt and inputs. They are plain HTML: the browser keeps
/// what the learner types or picks, and the submit handler reads it.
fn question_fields(question: &Question) -> String {
    let mut h = Html::new();
    h.el("p", &[("class", "prompt")], &question.prompt);
    match &question.answer {
        Answer::Number { .. } => {
            h.open("label", &[("class", "answer")])
                .text("Your prediction ")
                .open(
                    "input",
                    &[
                        ("name", "answer"),
                        ("type", "text"),
                        ("inputmode", "decimal"),
                        ("autocomplete", "off"),
                    ],
                )
                .close("label");
        }
        Answer::Choice { choices, .. } => {
            h.open("fieldset", &[("class", "choices")]).el(
                "legend",
                &[("class", "sr-only")],
                "Choices",
            );
            for c in choices {
                h.open("label", &[("class", "choice")])
                    .open(
                        "input",
                        &[("type", "radio"), ("name", "answer"), ("value", c)],
                    )
                    .text(" ")
                    .text(c)
                    .close("label");
            }
            h.close("fieldset");
        }
        Answer::Moment { .. } => {
            h.el(
                "p",
                &[("class", "hint")],
                "Click a chart or drag the time slider to the moment, then answer.",
            );
        }
    }
    h.finish()
}

/// What the learner answered, read from the form's inputs.
fn read_response(
    app: AppState,
    form: &web_sys::Element,
    answer: &Answer,
) -> Result<Response, &'static str> {
    let input = |selector: &str| {
        form.query_selector(selector)
            .ok()
            .flatten()
            .and_then(|e| e.dyn_into::<web_sys::HtmlInputElement>().ok())
            .map(|i| i.value())
    };
    match answer {
        Answer::Number { .. } => {
            match input("input[name=answer]").and_then(|v| parse_f64(v.trim())) {
                Some(n) if n.is_finite() => Ok(Response::Number(n)),
                _ => Err("Type a number, like 11.5."),
            }
        }
        Answer::Choice { .. } => input("input[name=answer]:checked")
            .map(Response::Choice)
            .ok_or("Pick one of the choices."),
        Answer::Moment { .. } => Ok(Response::MomentS(app.scrub_s.get_untracked())),
    }
}

fn instructor_html(app: AppState, ls: LessonState, lesson: &Lesson, step_index: usize) -> String {
    let expected = lesson
        .steps
        .get(step_index)
        .and_then(|s| s.question.as_ref())
        .zip(app.trace.get())
        .map(|(q, trace)| {
            q.expected(&trace)
                .unwrap_or_else(|| "never happens in this run".into())
        })
        .unwrap_or_default();
    let mut h = Html::new();
    h.open(
        "div",
        &[("class", "instructor"), ("aria-label", "Instructor")],
    )
    .el("h3", &[], "Instructor")
    .open("p", &[("class", "instructor-answer")])
    .text("Answer on this run: ")
    .el("strong", &[], &expected)
    .close("p");
    if lesson.case_count(step_index) > 1 {
        let case = format!(
            "Case: {} (seed {})",
            app.scenario.with(|s| s.name.clone()),
            app.share.with(|s| s.seed.unwrap_or(0))
        );
        h.el("p", &[], &case);
    }
    h.open("ol", &[("class", "lesson-steps")]);
    ls.done.with(|done| {
        for (i, s) in lesson.steps.iter().enumerate() {
            let index = i.to_string();
            let mut attrs = vec![("class", "link"), ("data-goto", index.as_str())];
            if i == step_index {
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
    h.close("ol")
        .el("button", &[("data-action", "print")], "Print handout")
        .close("div");
    h.finish()
}

fn nav_html(first: bool, last: bool) -> String {
    let mut h = Html::new();
    let back: &[(&str, &str)] = if first {
        &[("data-action", "back"), ("disabled", "")]
    } else {
        &[("data-action", "back")]
    };
    let next: &[(&str, &str)] = if last {
        &[
            ("class", "primary"),
            ("data-action", "next"),
            ("disabled", ""),
        ]
    } else {
        &[("class", "primary"), ("data-action", "next")]
    };
    h.el("button", back, "← Back")
        .el("button", next, "Next step →")
        .el(
            "button",
            &[("class", "link"), ("data-action", "leave")],
            "Leave lesson",
        );
    h.finish()
}

/// The open step. Everything but the answer button is HTML; one click
/// handler on the section serves the checks, fixes, step buttons and
/// instructor links by their `data-*` attributes.
#[component]
pub fn LessonPanel() -> impl IntoView {
    let app = expect_context::<AppState>();
    let ls = expect_context::<LessonState>();
    move || {
        let lesson = ls.open.get()?;
        let step_index = ls.step(&app);
        let step = lesson.steps.get(step_index)?.clone();
        let instructor = app.share.with_untracked(|s| s.instructor);
        let last = step_index + 1 >= lesson.steps.len();
        let click = move |ev: leptos::ev::MouseEvent| {
            if let Some(check) = clicked_attr(&ev, "data-check").and_then(|n| Check::parse(&n)) {
                ls.check.set(Some(check));
            } else if let Some(i) = clicked_attr(&ev, "data-fix").and_then(|i| i.parse().ok()) {
                lesson::apply_fix(app, ls, i);
            } else if let Some(i) = clicked_attr(&ev, "data-goto").and_then(|i| i.parse().ok()) {
                lesson::go_to(app, ls, i);
            } else {
                match clicked_attr(&ev, "data-action").as_deref() {
                    Some("back") => lesson::go_to(app, ls, step_index.saturating_sub(1)),
                    Some("next") => lesson::go_to(app, ls, step_index + 1),
                    Some("leave") => lesson::leave(app, ls),
                    Some("print") => crate::dom::print(),
                    _ => {}
                }
            }
        };
        let service = step_service(&app, &step);
        let checks = step.checks.clone();
        let highlight = step.highlight.iter().any(|h| h == "checks");
        let checks = move || {
            if checks.is_empty() {
                String::new()
            } else {
                checks_html(app, ls, &checks, highlight, &service)
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
        let question = step.question.clone();
        let form = question.map(|q| {
            let (error, set_error) = signal(Option::<String>::None);
            let moment = matches!(q.answer, Answer::Moment { .. });
            let kind = match q.answer {
                Answer::Number { .. } => "number",
                Answer::Choice { .. } => "choice",
                Answer::Moment { .. } => "moment",
            };
            let fields = question_fields(&q);
            let submit = move |ev: leptos::ev::SubmitEvent| {
                ev.prevent_default();
                let Some(form) = ev.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()) else { return };
                match read_response(app, &form, &q.answer) {
                    Ok(response) => {
                        set_error.set(None);
                        lesson::answer(app, ls, response);
                    }
                    Err(message) => set_error.set(Some(message.to_string())),
                }
            };
            let button_text = move || {
                if moment {
                    format!("Answer with {}", clock(app.scrub_s.get()))
                } else {
                    "Check my answer".to_string()
                }
            };
            view! {
                <form class="question" data-kind=kind on:submit=submit>
                    <div inner_html=fields></div>
                    <button type="submit" class="primary" disabled=move || app.progress.get().is_some()>{button_text}</button>
                    <div inner_html=move || error_paragraph(error.get().as_deref())></div>
                </form>
            }
        });
        let open_lesson = lesson.clone();
        let instructor_part = move || {
            if instructor {
                instructor_html(app, ls, &open_lesson, step_index)
            } else {
                String::new()
            }
        };
        let head = step_head(&lesson, &step, step_index);
        let name = lesson.name.clone();
        Some(view! {
            <section class="lesson" aria-labelledby="lesson-h" data-lesson=name data-step=step_index + 1 on:click=click>
                <div inner_html=head></div>
                <div inner_html=checks></div>
                <div inner_html=fixes></div>
                {form}
                <div inner_html=move || feedback_html(ls)></div>
                <nav class="lesson-nav" aria-label="Lesson steps" inner_html=nav_html(step_index == 0, last)></nav>
                <div inner_html=instructor_part></div>
            </section>
        })
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
