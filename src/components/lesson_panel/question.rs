//! The step's question: its form (the one reactive view of a step), what
//! the learner answered, and the feedback on it.

use super::{plain, shown};
use crate::app::AppState;
use crate::format::clock;
use crate::html::{error_paragraph, flag, Html};
use crate::lesson::{self, LessonState};
use incident_core::lesson::prose::Shown;
use incident_core::lesson::{Answer, Feedback, Question, Response, Step, Verdict};
use incident_core::units::parse_f64;
use incident_core::Trace;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// The form's `data-kind`: what sort of answer it takes.
fn answer_kind(answer: &Answer) -> &'static str {
    match answer {
        Answer::Number { .. } => "number",
        Answer::Choice { .. } => "choice",
        Answer::Moment { .. } => "moment",
    }
}

/// Grades what the form holds, or says what is wrong with it.
fn submit_answer(
    app: AppState,
    ls: LessonState,
    set_error: WriteSignal<Option<String>>,
    answer: &Answer,
    ev: leptos::ev::SubmitEvent,
) {
    ev.prevent_default();
    let Some(form) = ev
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
    else {
        return;
    };
    match read_response(app, &form, answer) {
        Ok(response) => {
            set_error.set(None);
            lesson::answer(app, ls, response);
        }
        Err(message) => set_error.set(Some(message.to_string())),
    }
}

/// The question form: its fields are HTML, its buttons wait for the step's
/// run, and it hides once the question is settled.
pub(super) fn question_form(app: AppState, ls: LessonState, q: Question) -> impl IntoView {
    let (error, set_error) = signal(Option::<String>::None);
    let moment = matches!(q.answer, Answer::Moment { .. });
    let kind = answer_kind(&q.answer);
    let fields_q = q.clone();
    let fields = move || {
        let trace = ls.step_trace.get();
        question_fields(
            &fields_q,
            trace.as_deref(),
            &graded_note(&app, &ls, &fields_q),
        )
    };
    let submit =
        move |ev: leptos::ev::SubmitEvent| submit_answer(app, ls, set_error, &q.answer, ev);
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

/// The step's feedback, explained on the run it was graded on.
pub(super) fn step_feedback_html(app: AppState, ls: LessonState, step: &Step) -> String {
    let q = step.question.as_ref();
    let trace = match q {
        Some(q) if q.on_learners_run => app.trace.get(),
        _ => ls.step_trace.get(),
    };
    let takeaway = shown(&step.takeaway, trace.as_deref(), &[]);
    ls.feedback
        .with(|f| feedback_html(f.as_ref(), q, trace.as_deref(), &takeaway))
}

/// The feedback's `data-verdict`.
fn verdict_name(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Right => "right",
        Verdict::TryAgain => "try-again",
        Verdict::Revealed => "revealed",
    }
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
    h.open(
        "div",
        &[
            ("class", "feedback"),
            ("data-verdict", verdict_name(f.verdict)),
            ("data-correct", flag(f.correct)),
            ("role", "status"),
        ],
    );
    match f.verdict {
        Verdict::TryAgain => try_again_html(&mut h, f),
        Verdict::Right | Verdict::Revealed => settled_html(&mut h, f, question, trace, takeaway),
    }
    h.close("div");
    h.finish()
}

/// Not yet: the hint, and a way to the answer.
fn try_again_html(h: &mut Html, f: &Feedback) {
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

/// Right or shown: what the run did, why, and the step's takeaway.
fn settled_html(
    h: &mut Html,
    f: &Feedback,
    question: Option<&Question>,
    trace: Option<&Trace>,
    takeaway: &[Shown],
) {
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
    explanation_html(h, f, question, trace);
    if !takeaway.is_empty() {
        h.open("div", &[("class", "takeaway")])
            .prose(takeaway)
            .close("div");
    }
}

/// Why: the question's explanation and the reason for the value the run
/// gave, rendered on that run; without the run, the feedback's own words.
fn explanation_html(
    h: &mut Html,
    f: &Feedback,
    question: Option<&Question>,
    trace: Option<&Trace>,
) {
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
}
