//! The printable handout: every step with a chart and its question, and
//! an answer key.

use super::step_title;
use crate::app::AppState;
use crate::html::Html;
use crate::lesson::LessonState;
use incident_core::lesson::prose as lesson_prose;
use incident_core::lesson::{Answer, Lesson, Question};
use incident_core::Trace;
use leptos::prelude::*;
use std::sync::Arc;

/// Builds the handout (every step's text, a chart of its run cut where its
/// question stops, the answer key) and prints it. Each step's run takes a
/// task of its own.
pub(super) fn print_handout(app: AppState, ls: LessonState) {
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
            h.el("p", &[("class", "handout-q")], &question_line(q, &trace));
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

/// The question as the handout asks it, with room for the answer.
fn question_line(q: &Question, trace: &Trace) -> String {
    let prompt = q.render(&q.prompt, trace);
    match &q.answer {
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
    }
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
