//! The lesson list, the open lesson's step (prose, checks, fixes, question,
//! hint and feedback), the end-of-lesson summary, instructor mode and the
//! printable handout.
//!
//! Read-only parts and lists of buttons are rendered as escaped HTML
//! (`crate::html`) with one click handler per section that reads the
//! button's `data-*` attribute; only the question form, whose inputs hold
//! what the learner types, is a reactive view. That keeps the wasm small.

mod handout;
mod question;
mod step;
mod step_html;
mod summary;

pub use handout::Handout;
pub use step::LessonPanel;

use crate::app::AppState;
use crate::dom::clicked_attr;
use crate::html::Html;
use crate::lesson::{self, LessonState};
use incident_core::lesson::prose::{self as lesson_prose, Shown};
use incident_core::lesson::Step;
use incident_core::Trace;
use leptos::prelude::*;

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
