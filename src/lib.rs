//! Incident Lab in the browser: Leptos components that render what the
//! core computes and dispatch what the learner does. No model logic here.

pub mod app;
pub mod charts;
pub mod components;
pub mod dom;
pub mod format;
pub mod html;
pub mod lesson;
pub mod map_runner;
pub mod runner;
pub mod share_link;

use app::{AppState, Page};
use charts::registry::{self, Embed};
use components::charts_view::Charts;
use components::chrome::{Gallery, Notices, Playback, Summary, Toolbar};
use components::controls::{ControlList, Controls};
use components::landing::{Landing, Tour};
use components::lesson_panel::{Handout, LessonList, LessonPanel};
use components::panels::{About, Alerts, Events, Pods, Tracemalloc};
use leptos::prelude::*;

#[component]
pub fn App() -> impl IntoView {
    let app = app::provide();
    match app.embed() {
        Some(kind) => {
            let hash = move || trace_hash(app);
            let status = move || status(app);
            view! {
                <main id="app" class="embed" data-trace-hash=hash data-status=status data-embed=kind.as_str()>
                    <EmbedView kind=kind />
                </main>
            }
            .into_any()
        }
        None => {
            app::compute_headlines(app);
            let ls = lesson::provide(app);
            keyboard_shortcuts(app);
            titles(app, ls);
            (move || match app.page.get() {
                Page::Landing => view! { <Landing /> }.into_any(),
                Page::Dashboard => view! { <Lab /> }.into_any(),
            })
            .into_any()
        }
    }
}

fn trace_hash(app: AppState) -> String {
    app.trace.with(|t| {
        t.as_ref()
            .map(|t| t.summary.trace_hash.clone())
            .unwrap_or_default()
    })
}

fn status(app: AppState) -> &'static str {
    if app.progress.get().is_some() {
        "running"
    } else {
        "ready"
    }
}

/// Space plays and pauses, N jumps to the next event, anywhere on the page
/// but in a control that takes the key itself.
fn keyboard_shortcuts(app: AppState) {
    let handle = window_event_listener(leptos::ev::keydown, move |ev| {
        if ev.ctrl_key() || ev.meta_key() || ev.alt_key() || crate::dom::typing_in(&ev) {
            return;
        }
        if app.page.get_untracked() != Page::Dashboard {
            return;
        }
        match ev.key().as_str() {
            " " => {
                ev.prevent_default();
                components::chrome::toggle_play(app);
            }
            "n" | "N" => components::chrome::next_event(app),
            _ => {}
        }
    });
    std::mem::forget(handle);
}

/// The tab's title: the lesson step's own, never a diagnostic case's name.
fn titles(app: AppState, ls: lesson::LessonState) {
    app::effect(move || {
        let title = match (app.page.get(), ls.open.get()) {
            (Page::Landing, _) => "Incident Lab".to_string(),
            (_, Some(lesson)) if ls.finished.get() => {
                format!("{} · done · Incident Lab", lesson.title)
            }
            (_, Some(lesson)) => {
                let step = ls.step(&app);
                let trace = ls.step_trace.get();
                let name = lesson
                    .steps
                    .get(step)
                    .map(|s| components::lesson_panel::step_title(s, trace.as_deref()))
                    .unwrap_or_default();
                format!("{name} · {} · Incident Lab", lesson.title)
            }
            (_, None) => format!("{} · Incident Lab", app.scenario.with(|s| s.title.clone())),
        };
        crate::dom::set_title(&title);
    });
}

/// The simulator: a lesson step's own page, or the whole dashboard.
#[component]
fn Lab() -> impl IntoView {
    let app = expect_context::<AppState>();
    let ls = expect_context::<lesson::LessonState>();
    let hash = move || trace_hash(app);
    let status = move || status(app);
    // In a lesson the header names the lesson, not the preset (which may be
    // the case the learner must diagnose).
    let tagline = move || match ls.open.get() {
        Some(l) => l.title.clone(),
        None => app.scenario.with(|s| s.title.clone()),
    };
    let projector = move || app.share.with(|s| s.projector);
    view! {
        <main id="app" data-page="lab" data-trace-hash=hash data-status=status class:projector=projector data-step-page=move || crate::html::flag(ls.step_page())>
            <a class="skip" href="#main-content">"Skip to the charts"</a>
            <header class="top">
                <h1><a href="./" class="home" title="The landing page">"Incident Lab"</a></h1>
                <p class="tagline">{tagline}</p>
                <Toolbar />
            </header>
            <Notices />
            <Dashboard />
            <Handout />
            <footer class="foot">
                <p>"A model, not a cluster: every number here comes from the simulator. See “About this run” for where it departs from the seed documents."</p>
            </footer>
        </main>
    }
}

/// The simulator. On a lesson step's own page (`data-step-page` on the
/// root) the same parts are laid out as the step: its prose beside the
/// charts and panels it names, and only those; the rest is hidden by the
/// style sheet. One tree for both keeps the wasm small.
#[component]
fn Dashboard() -> impl IntoView {
    let app = expect_context::<AppState>();
    let ls = expect_context::<lesson::LessonState>();
    // About names the preset and its notes: never while a case is unsolved.
    let about_hidden = move || ls.open.with(|l| l.is_some()) && !ls.settled(&app);
    let tour_hidden = move || ls.open.with(|l| l.is_some());
    view! {
        <div class="layout">
            <aside class="side">
                <div class="tour-slot" class:hidden=tour_hidden><Tour /></div>
                <LessonPanel />
                <Controls />
                <LessonList />
                <Gallery />
            </aside>
            <div class="main" id="main-content" tabindex="-1">
                <Playback />
                <Summary />
                <Charts />
                <components::failure_map::FailureMap />
            </div>
            <aside class="panels-col" aria-label="Cluster state at the playhead">
                <Pods />
                <Alerts />
                <Tracemalloc />
                <Events />
                <div class="about-slot" class:hidden=about_hidden><About /></div>
            </aside>
        </div>
    }
}

/// One chart and its preset's first two sliders, for an iframe. A chart the
/// scenario does not have is said so, and the memory chart shown instead.
#[component]
fn EmbedView(kind: Embed) -> impl IntoView {
    let app = expect_context::<AppState>();
    let wanted = kind.chart();
    let has = app.scenario.with_untracked(|s| (wanted.shown_for)(s));
    let chart = if has { wanted } else { registry::memory() };
    if !has {
        app.notices.update(|n| {
            n.push(format!(
                "This scenario has no “{}” chart (it runs no service of that kind); showing its memory chart instead.",
                wanted.title
            ))
        });
    }
    let full = move || {
        let mut s = app.share.get();
        s.embed = None;
        dom::url_with_query(&share_link::to_query(&s))
    };
    view! {
        <Notices />
        <p class="embed-title">{move || app.scenario.with(|s| s.title.clone())}</p>
        <Playback />
        <Charts only=chart />
        <div class="embed-controls">
            <ControlList max=2 />
        </div>
        <p class="embed-link"><a href=full target="_blank" rel="noopener">"Open in Incident Lab"</a></p>
    }
}

/// Shows a visible error instead of a blank page if anything panics.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        let message = info.to_string();
        if let Some(body) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.body())
        {
            let div = body
                .owner_document()
                .and_then(|d| d.create_element("div").ok());
            if let Some(div) = div {
                div.set_id("fatal");
                let _ = div.set_attribute("role", "alert");
                div.set_text_content(Some(&format!(
                    "Incident Lab stopped with an internal error: {message}. Reload the page; your link still holds the scenario."
                )));
                let _ = body.prepend_with_node_1(&div);
            }
        }
    }));
}

pub fn start() {
    install_panic_hook();
    // A failure-map worker loads this same module: it has no page to mount.
    if web_sys::window().is_none() {
        return;
    }
    if let Some(boot) = document().get_element_by_id("boot") {
        boot.remove();
    }
    mount_to_body(App);
}
