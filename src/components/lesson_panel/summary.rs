//! The end of a lesson: how each question went, and each step's idea.

use super::{plain, shown, step_title};
use crate::app::AppState;
use crate::dom::clicked_attr;
use crate::html::Html;
use crate::lesson::{self, LessonState, Outcome};
use incident_core::lesson::Lesson;
use leptos::prelude::*;
use std::sync::Arc;

/// The end of a lesson: how each question went, and each step's idea.
#[component]
pub(super) fn LessonSummary(lesson: Arc<Lesson>) -> impl IntoView {
    let app = expect_context::<AppState>();
    let ls = expect_context::<LessonState>();
    let html = move || summary_html(ls, &lesson);
    let click = move |ev: leptos::ev::MouseEvent| match clicked_attr(&ev, "data-action").as_deref()
    {
        Some("again") => ls.finished.set(false),
        Some("leave") => lesson::leave(app, ls),
        _ => {}
    };
    view! { <section class="lesson lesson-summary" aria-labelledby="lesson-h" on:click=click inner_html=html></section> }
}

fn summary_html(ls: LessonState, lesson: &Lesson) -> String {
    let mut h = Html::new();
    h.el(
        "p",
        &[("class", "kicker")],
        &format!("{} · done", lesson.title),
    )
    .el("h2", &[("id", "lesson-h")], "What you found");
    tally_html(&mut h, ls, lesson);
    takeaways_html(&mut h, ls, lesson);
    h.el(
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
}

/// How many questions went which way.
fn tally_html(h: &mut Html, ls: LessonState, lesson: &Lesson) {
    let outcomes = ls.outcomes.get();
    let count = |want: Outcome| outcomes.iter().filter(|(_, o)| *o == want).count();
    let questions = lesson.steps.iter().filter(|s| s.question.is_some()).count();
    let (first, hint, shown_n) = (
        count(Outcome::FirstTry),
        count(Outcome::AfterHint),
        count(Outcome::Revealed),
    );
    let unanswered = questions.saturating_sub(first + hint + shown_n);
    h.open("dl", &[("class", "tally")]);
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
    h.close("dl");
}

/// Each step's title, how its question went, and its takeaway.
fn takeaways_html(h: &mut Html, ls: LessonState, lesson: &Lesson) {
    h.open("ol", &[("class", "takeaways")]);
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
    h.close("ol");
}
