//! The lesson list, the open lesson's step (prose, checks, fixes, question,
//! hint and feedback), the end-of-lesson summary, instructor mode and the
//! printable handout.
//!
//! Read-only parts and lists of buttons are rendered as escaped HTML
//! (`crate::html`) with one click handler per section that reads the
//! button's `data-*` attribute; only the question form, whose inputs hold
//! what the learner types, is a reactive view. That keeps the wasm small.

use crate::app::AppState;
use crate::dom::clicked_attr;
use crate::format::clock;
use crate::html::{error_paragraph, flag, Html};
use crate::lesson::{self, LessonState, Outcome};
use incident_core::checks::Check;
use incident_core::lesson::prose::{self as lesson_prose, Shown};
use incident_core::lesson::{Answer, Feedback, Lesson, Question, Response, Step, Verdict};
use incident_core::units::{parse_f64, SimTime};
use incident_core::Trace;
use leptos::prelude::*;
use std::sync::Arc;
use wasm_bindgen::JsCast;

pub fn lesson_cards_html(ls: LessonState) -> String {
    let open = ls.open.with(|o| o.as_ref().map(|o| o.name.clone()));
    let mut h = Html::new();
    ls.catalogue.with(|entries| {
        for entry in entries {
            match &entry.lesson {
                Ok(l) => {
                    let questions = l.steps.iter().filter(|s| s.question.is_some()).count();
                    let right = lesson::stored_right(&l.name).min(questions);
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
                            &format!(
                                "{doc}{} steps · {right} of {questions} right",
                                l.steps.len()
                            ),
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

/// Opens the lesson whose card was clicked.
pub fn open_clicked(app: AppState, ls: LessonState, ev: &leptos::ev::MouseEvent) {
    let Some(name) = clicked_attr(ev, "data-lesson") else {
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
}

#[component]
pub fn LessonList() -> impl IntoView {
    let app = expect_context::<AppState>();
    let ls = expect_context::<LessonState>();
    view! {
        <nav class="gallery lessons" aria-label="Lessons">
            <h2>"Lessons"</h2>
            <ul on:click=move |ev| open_clicked(app, ls, &ev) inner_html=move || lesson_cards_html(ls)></ul>
        </nav>
    }
}

/// A text of the step as its run renders it; measures read "…" until the
/// step's own run is there.
fn shown(text: &str, trace: Option<&Trace>, args: &[(String, String)]) -> Vec<Shown> {
    match trace {
        Some(t) => lesson_prose::render_with(text, t, args),
        None => lesson_prose::pieces(text)
            .unwrap_or_default()
            .into_iter()
            .map(|p| match p {
                lesson_prose::Piece::Text(t) => Shown::Text(t),
                lesson_prose::Piece::Defined(d) => Shown::Text(d),
                lesson_prose::Piece::Quote(q) => Shown::Quote(q),
                _ => Shown::Measured("…".into()),
            })
            .collect(),
    }
}

/// Plain text of a rendered text (titles, the tab's title).
fn plain(pieces: &[Shown]) -> String {
    pieces
        .iter()
        .map(|p| match p {
            Shown::Text(t) | Shown::Measured(t) => t.as_str(),
            Shown::Quote(q) => q.as_str(),
        })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The step's title as its run renders it.
pub fn step_title(step: &Step, trace: Option<&Trace>) -> String {
    plain(&shown(&step.title, trace, &[]))
}

fn step_head(lesson: &Lesson, step: &Step, step_index: usize, trace: Option<&Trace>) -> String {
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
fn step_service(app: &AppState, step: &Step) -> String {
    step.question
        .as_ref()
        .and_then(|q| q.answer.measure().service().map(str::to_string))
        .unwrap_or_else(|| app.service.get_untracked())
}

/// The checklist: a chip per check, and what the pressed one prints at the
/// scrub time.
fn checks_html(app: AppState, ls: LessonState, checks: &[Check], service: &str) -> String {
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

/// The feedback: a hint, or the verdict, what the run did and why, with the
/// run's numbers marked as in the prose.
fn feedback_html(
    feedback: Option<&Feedback>,
    question: Option<&Question>,
    trace: Option<&Trace>,
    takeaway: &[Shown],
) -> String {
    let mut h = Html::new();
    let Some(f) = feedback else {
        return String::new();
    };
    let verdict = match f.verdict {
        Verdict::Right => "right",
        Verdict::TryAgain => "try-again",
        Verdict::Revealed => "revealed",
    };
    h.open(
        "div",
        &[
            ("class", "feedback"),
            ("data-verdict", verdict),
            ("data-correct", flag(f.correct)),
            ("role", "status"),
        ],
    );
    match f.verdict {
        Verdict::TryAgain => {
            h.open("p", &[])
                .el("strong", &[], "Not yet. ")
                .el(
                    "span",
                    &[("class", "hint")],
                    f.hint.as_deref().unwrap_or(""),
                )
                .close("p")
                .open("p", &[])
                .text("One more try, or ")
                .el(
                    "button",
                    &[("class", "link"), ("data-action", "show")],
                    "show me the answer",
                )
                .text(".")
                .close("p");
        }
        Verdict::Right | Verdict::Revealed => {
            let lead = if f.correct {
                "Right. "
            } else {
                "Here is what the run did. "
            };
            h.open("p", &[])
                .el("strong", &[], lead)
                .text("The run says: ")
                .el(
                    "span",
                    &[("class", "actual")],
                    f.actual.as_deref().unwrap_or(""),
                )
                .close("p");
            match (question, trace) {
                (Some(q), Some(t)) => {
                    h.prose(&shown(&q.explanation, Some(t), &q.args));
                    let raw = q.expected_value(t).unwrap_or_default();
                    if let Some((_, why)) = q.because.iter().find(|(k, _)| *k == raw) {
                        h.prose(&shown(why, Some(t), &q.args));
                    }
                }
                _ => {
                    for p in &f.explanation {
                        h.el("p", &[], p);
                    }
                }
            }
            if !takeaway.is_empty() {
                h.open("div", &[("class", "takeaway")])
                    .prose(takeaway)
                    .close("div");
            }
        }
    }
    h.close("div");
    h.finish()
}

/// The question's prompt and inputs. They are plain HTML: the browser keeps
/// what the learner types or picks, and the submit handler reads it.
fn question_fields(question: &Question, trace: Option<&Trace>, graded: &str) -> String {
    let mut h = Html::new();
    h.open("p", &[("class", "prompt")])
        .text(&plain(&shown(&question.prompt, trace, &question.args)))
        .close("p");
    match &question.answer {
        Answer::Number { measure, .. } => {
            let suffix = measure.unit().suffix();
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
                .text(" ")
                .el("span", &[("class", "unit")], suffix)
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
                "Click a chart or move the playhead to the moment (arrow keys on the time slider step one sample), then answer.",
            );
        }
    }
    if !graded.is_empty() {
        h.el("p", &[("class", "graded")], graded);
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
    let trace = ls.step_trace.get();
    let expected = lesson
        .steps
        .get(step_index)
        .and_then(|s| s.question.as_ref())
        .zip(trace.as_deref())
        .map(|(q, trace)| {
            q.expected(trace)
                .unwrap_or_else(|| "never happens in this run".into())
        })
        .unwrap_or_default();
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
    h.close("ol")
        .el("button", &[("data-action", "print")], "Print the handout")
        .close("div");
    h.finish()
}

fn nav_html(first: bool, last: bool, settled: bool, dashboard: bool) -> String {
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

/// Where the step is graded, when the learner could think otherwise.
fn graded_note(app: &AppState, ls: &LessonState, question: &Question) -> String {
    if question.on_learners_run {
        return "This question is about your run, with the fixes you applied.".into();
    }
    let changed = ls.step_scenario.with(|own| {
        own.as_ref()
            .is_some_and(|o| app.scenario.with(|sc| o.json != sc.to_json()))
    });
    if changed {
        "Graded on this step's own run, not on the one you changed.".into()
    } else {
        String::new()
    }
}

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
                    Some("finish") => lesson::finish(ls),
                    Some("show") => lesson::show_answer(app, ls),
                    Some("dashboard") => ls.dashboard.update(|d| *d = !*d),
                    Some("show-all") => ls.show_all.update(|s| *s = !*s),
                    Some("leave") => lesson::leave(app, ls),
                    Some("print") => print_handout(app, ls),
                    _ => {}
                }
            }
        };
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
        let form = step.question.clone().map(|q| {
            let (error, set_error) = signal(Option::<String>::None);
            let moment = matches!(q.answer, Answer::Moment { .. });
            let kind = match q.answer {
                Answer::Number { .. } => "number",
                Answer::Choice { .. } => "choice",
                Answer::Moment { .. } => "moment",
            };
            let fields_q = q.clone();
            let fields = move || {
                let trace = ls.step_trace.get();
                question_fields(&fields_q, trace.as_deref(), &graded_note(&app, &ls, &fields_q))
            };
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
            let waiting = move || ls.step_trace.with(|t| t.is_none()) || app.progress.get().is_some();
            view! {
                    <form class="question" data-kind=kind on:submit=submit prop:hidden=move || ls.settled(&app)>
                        <div inner_html=fields></div>
                        <div class="question-actions">
                            <button type="submit" class="primary" disabled=waiting>{button_text}</button>
                            <button type="button" class="link" data-action="show" disabled=waiting>"Show me the answer"</button>
                        </div>
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
        let head_lesson = lesson.clone();
        let head_step = step.clone();
        let head = move || {
            let trace = ls.step_trace.get();
            step_head(&head_lesson, &head_step, step_index, trace.as_deref())
        };
        let takeaway_step = step.clone();
        let feedback = move || {
            let q = takeaway_step.question.as_ref();
            // Explained on the run it was graded on.
            let trace = match q {
                Some(q) if q.on_learners_run => app.trace.get(),
                _ => ls.step_trace.get(),
            };
            let takeaway = shown(&takeaway_step.takeaway, trace.as_deref(), &[]);
            ls.feedback
                .with(|f| feedback_html(f.as_ref(), q, trace.as_deref(), &takeaway))
        };
        let held = move || {
            ls.hold_s(&app).map(|h| {
                format!(
                    "The charts stop at {}: the rest of the run shows once you answer.",
                    clock(h)
                )
            })
        };
        let name = lesson.name.clone();
        Some(view! {
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
        .into_any())
    }
}

/// The end of a lesson: how each question went, and each step's idea.
#[component]
fn LessonSummary(lesson: Arc<Lesson>) -> impl IntoView {
    let app = expect_context::<AppState>();
    let ls = expect_context::<LessonState>();
    let html = move || {
        let outcomes = ls.outcomes.get();
        let count = |want: Outcome| outcomes.iter().filter(|(_, o)| *o == want).count();
        let questions = lesson.steps.iter().filter(|s| s.question.is_some()).count();
        let (first, hint, shown_n) = (
            count(Outcome::FirstTry),
            count(Outcome::AfterHint),
            count(Outcome::Revealed),
        );
        let unanswered = questions.saturating_sub(first + hint + shown_n);
        let mut h = Html::new();
        h.el(
            "p",
            &[("class", "kicker")],
            &format!("{} · done", lesson.title),
        )
        .el("h2", &[("id", "lesson-h")], "What you found")
        .open("dl", &[("class", "tally")]);
        for (label, n, id) in [
            ("right first time", first, "first"),
            ("right after a hint", hint, "hint"),
            ("answer shown", shown_n, "revealed"),
            ("not answered", unanswered, "unanswered"),
        ] {
            h.open("div", &[("data-count", id)])
                .el("dt", &[], label)
                .el("dd", &[], &n.to_string())
                .close("div");
        }
        h.close("dl").open("ol", &[("class", "takeaways")]);
        for (i, s) in lesson.steps.iter().enumerate() {
            let outcome = ls
                .outcome_of(i)
                .map(|o| o.words())
                .unwrap_or(if s.question.is_some() {
                    "not answered"
                } else {
                    "no question"
                });
            h.open("li", &[])
                .el("strong", &[], &step_title(s, None))
                .el("span", &[("class", "muted")], &format!(" — {outcome}"));
            if !s.takeaway.is_empty() {
                h.el("p", &[], &plain(&shown(&s.takeaway, None, &[])));
            }
            h.close("li");
        }
        h.close("ol")
            .el(
                "button",
                &[("data-action", "again")],
                "Back to the last step",
            )
            .el(
                "button",
                &[("class", "link"), ("data-action", "leave")],
                "Leave the lesson",
            );
        h.finish()
    };
    let click = move |ev: leptos::ev::MouseEvent| match clicked_attr(&ev, "data-action").as_deref()
    {
        Some("again") => ls.finished.set(false),
        Some("leave") => lesson::leave(app, ls),
        _ => {}
    };
    view! { <section class="lesson lesson-summary" aria-labelledby="lesson-h" on:click=click inner_html=html></section> }
}

/// Builds the handout (every step's text, a chart of its run cut where its
/// question stops, the answer key) and prints it. Each step's run takes a
/// task of its own.
fn print_handout(app: AppState, ls: LessonState) {
    let Some(lesson) = ls.open.get_untracked() else {
        return;
    };
    let seed = app.share.with_untracked(|s| s.seed);
    ls.handout.set(Some("<p>Preparing the handout…</p>".into()));
    handout_step(ls, lesson, seed, 0, Vec::new(), Vec::new());
}

fn handout_step(
    ls: LessonState,
    lesson: Arc<Lesson>,
    seed: Option<u64>,
    i: usize,
    mut parts: Vec<String>,
    mut key: Vec<String>,
) {
    if i >= lesson.steps.len() {
        let html = handout_html(&lesson, &parts, &key);
        ls.handout.set(Some(html));
        // After the images are in the DOM.
        request_animation_frame(crate::dom::print);
        return;
    }
    let step = &lesson.steps[i];
    if let Ok(scenario) = lesson.scenario_for(i, seed) {
        let trace = incident_core::simulate(&scenario);
        let mut h = Html::new();
        let title = step_title(step, Some(&trace));
        h.open("li", &[])
            .el("h2", &[], &format!("{}. {title}", i + 1))
            .prose(&lesson_prose::render(&step.prose, &trace));
        let cut = lesson.reveal_at_s(i, &trace);
        if let Some(img) = handout_chart(&scenario, &trace, &step.highlight, cut) {
            h.open(
                "img",
                &[
                    ("src", &img),
                    ("alt", &format!("Chart of step {}", i + 1)),
                    ("class", "handout-chart"),
                ],
            );
        }
        if let Some(q) = &step.question {
            let prompt = q.render(&q.prompt, &trace);
            let line = match &q.answer {
                Answer::Moment { .. } => format!("{prompt} Mark the moment on the chart above."),
                Answer::Number { measure, .. } => {
                    format!(
                        "{prompt} Your prediction: ________ {}",
                        measure.unit().suffix()
                    )
                }
                Answer::Choice { choices, .. } => {
                    format!("{prompt} Circle one: {}", choices.join(" / "))
                }
            };
            h.el("p", &[("class", "handout-q")], &line);
            key.push(format!(
                "{}. {}: {}",
                i + 1,
                title,
                q.expected(&trace).unwrap_or_else(|| "never happens".into())
            ));
        }
        h.close("li");
        parts.push(h.finish());
    }
    crate::dom::yield_then(move || handout_step(ls, lesson, seed, i + 1, parts, key));
}

/// The step's first chart as a PNG, drawn up to where its question stops.
fn handout_chart(
    scenario: &incident_core::Scenario,
    trace: &Trace,
    highlight: &[String],
    until_s: Option<f64>,
) -> Option<String> {
    use crate::charts::registry;
    use crate::charts::specs::Inputs;
    // A strip sized by its rows has no height of its own to draw at.
    let kind = registry::charts_for(scenario)
        .into_iter()
        .find(|k| k.height_px > 0 && highlight.iter().any(|h| h == k.highlight))
        .unwrap_or(registry::memory());
    let inputs = Inputs {
        trace,
        pinned: None,
        imported: None,
        theme: &crate::charts::LIGHT,
        buckets: 320,
        until_s,
    };
    let spec = kind.build(&inputs, &incident_core::view::focus_service(scenario));
    let (w, h, dpr) = (640, kind.height_px, 2.0);
    crate::dom::offscreen_png(w * 2, h * 2, |canvas| {
        let _ = crate::charts::draw_sized(
            canvas,
            &spec,
            &crate::charts::LIGHT,
            crate::charts::draw::Px::new(dpr),
        );
    })
}

fn handout_html(lesson: &Lesson, parts: &[String], key: &[String]) -> String {
    let link = crate::dom::url_with_query(&format!("?lesson={}", lesson.name));
    let mut h = Html::new();
    h.el("h1", &[], &lesson.title)
        .el("p", &[], &lesson.summary)
        .open("p", &[("class", "handout-link")])
        .text("Open it: ")
        .el("strong", &[], &link)
        .close("p");
    let mut out = h.finish();
    out.push_str("<ol class=\"handout-steps\">");
    for p in parts {
        out.push_str(p);
    }
    out.push_str("</ol>");
    let mut k = Html::new();
    k.open("section", &[("class", "answer-key")])
        .el("h2", &[], "Answer key (from each step's own run)")
        .open("ol", &[]);
    for line in key {
        k.el("li", &[], line);
    }
    k.close("ol").close("section");
    out.push_str(&k.finish());
    out
}

/// One document for the room: every step with a chart and its question,
/// and an answer key on a page of its own. Only printed, and only in
/// instructor mode.
#[component]
pub fn Handout() -> impl IntoView {
    let app = expect_context::<AppState>();
    let ls = expect_context::<LessonState>();
    let html = move || {
        if !app.share.with(|s| s.instructor) {
            return String::new();
        }
        ls.handout.get().unwrap_or_default()
    };
    view! { <section class="handout" aria-hidden="true" inner_html=html></section> }
}
