//! The first screen a newcomer sees: what the lab is, the lessons and the
//! scenario gallery, all above the fold; and the short "what am I looking
//! at" card the first time the simulator opens.

use crate::app::AppState;
use crate::dom::clicked_attr;
use crate::html::Html;
use crate::lesson::LessonState;
use incident_core::presets;
use leptos::prelude::*;

fn preset_cards(cards: &[presets::Card]) -> String {
    let mut h = Html::new();
    for card in cards {
        h.open("li", &[])
            .open(
                "button",
                &[("class", "card compact"), ("data-preset", &card.name)],
            )
            .el("span", &[("class", "card-title")], &card.title);
        if let Some(d) = &card.seed_doc {
            h.el("span", &[("class", "card-doc")], &format!("seed {d}"));
        }
        h.close("button").close("li");
    }
    h.finish()
}

/// The hero: what the lab is, in two sentences, and the way in.
const HERO: &str = "<header class=\"hero\"><h1>Incident Lab</h1><p class=\"lede\">How production services fail, simulated in your browser. A Go checkout fans out goroutines until it is OOM-killed, a Node front end crash-loops while its back ends only slow down, a Python service leaks memory three classic ways. Each lesson asks you to predict what happens, then runs it and shows you.</p><p class=\"hero-actions\"><button class=\"primary\" id=\"enter\" data-action=\"enter\">Open the simulator</button> <span class=\"muted\">or start with a lesson below. Everything runs here: no cluster, no account.</span></p></header>";

#[component]
pub fn Landing() -> impl IntoView {
    let app = expect_context::<AppState>();
    let ls = expect_context::<LessonState>();
    let presets_html = preset_cards(&presets::cards());
    // One handler for the whole page: the way in, a lesson, a scenario.
    let click = move |ev: leptos::ev::MouseEvent| {
        if clicked_attr(&ev, "data-action").as_deref() == Some("enter") {
            app.enter();
        } else if let Some(name) = clicked_attr(&ev, "data-preset") {
            app.load_preset(&name);
        } else {
            crate::components::lesson_panel::open_clicked(app, ls, &ev);
        }
    };
    view! {
        <main id="app" class="landing" data-page="landing" data-status="ready" on:click=click>
            <a class="skip" href="#lessons">"Skip to the lessons"</a>
            <div inner_html=HERO></div>
            <section id="lessons" class="landing-section" aria-labelledby="lessons-h">
                <h2 id="lessons-h">"Lessons"</h2>
                <ul class="landing-lessons" inner_html=move || crate::components::lesson_panel::lesson_cards_html(ls)></ul>
            </section>
            <section class="landing-section" aria-labelledby="presets-h">
                <h2 id="presets-h">"Scenarios to explore"</h2>
                <ul class="landing-presets" inner_html=presets_html></ul>
            </section>
        </main>
    }
}

const TOUR_KEY: &str = "incident-lab-tour";

const TOUR: &str = "<aside class=\"tour\" aria-labelledby=\"tour-h\"><h2 id=\"tour-h\">What am I looking at?</h2><ul><li><strong>Controls</strong> (left): the scenario&#39;s knobs. Every change re-runs the simulation.</li><li><strong>Playback</strong>: play the run, drag the time, or jump to the next event (Space plays, N jumps).</li><li><strong>Charts</strong>: memory against its limit, the runtime, latency, requests and the pods. Hover for values.</li><li><strong>kubectl get pods, alerts and events</strong> (right): the cluster as it was at the playhead.</li></ul><button class=\"primary\" data-action=\"tour-done\">Got it</button></aside>";

/// A short guide to the screen, the first time; dismissed for good.
#[component]
pub fn Tour() -> impl IntoView {
    let (open, set_open) = signal(crate::dom::storage_get(TOUR_KEY).is_none());
    let click = move |ev: leptos::ev::MouseEvent| {
        if clicked_attr(&ev, "data-action").as_deref() == Some("tour-done") {
            crate::dom::storage_set(TOUR_KEY, "seen");
            set_open.set(false);
        }
    };
    view! { <div on:click=click inner_html=move || if open.get() { TOUR } else { "" }></div> }
}
