//! Incident Lab in the browser: Leptos components that render what the
//! core computes and dispatch what the learner does. No model logic here.

pub mod app;
pub mod charts;
pub mod components;
pub mod dom;
pub mod format;
pub mod html;
pub mod lesson;
pub mod runner;
pub mod state;

use app::AppState;
use charts::specs::ChartKind;
use components::charts_view::Charts;
use components::chrome::{Gallery, Notices, Playback, Summary, Toolbar};
use components::controls::{ControlList, Controls};
use components::lesson_panel::{Handout, LessonList, LessonPanel};
use components::panels::{About, Alerts, Events, Pods, Tracemalloc};
use leptos::prelude::*;
use state::Embed;

#[component]
pub fn App() -> impl IntoView {
    let app = app::provide();
    let hash = move || {
        app.trace.with(|t| {
            t.as_ref()
                .map(|t| t.summary.trace_hash.clone())
                .unwrap_or_default()
        })
    };
    let status = move || {
        if app.progress.get().is_some() {
            "running"
        } else {
            "ready"
        }
    };
    match app.embed() {
        Some(kind) => view! {
            <main id="app" class="embed" data-trace-hash=hash data-status=status data-embed=kind.as_str()>
                <EmbedView kind=kind />
            </main>
        }
        .into_any(),
        None => {
            app::compute_headlines(app);
            lesson::provide(app);
            view! {
                <main id="app" data-trace-hash=hash data-status=status>
                    <header class="top">
                        <h1>"Incident Lab"</h1>
                        <p class="tagline">{move || app.scenario.with(|s| s.title.clone())}</p>
                        <Toolbar />
                    </header>
                    <Notices />
                    <div class="layout">
                        <aside class="side">
                            <LessonPanel />
                            <Controls />
                            <LessonList />
                            <Gallery />
                        </aside>
                        <div class="main">
                            <Playback />
                            <Summary />
                            <Charts />
                            <div class="panels">
                                <Pods />
                                <Alerts />
                                <Tracemalloc />
                                <Events />
                                <About />
                            </div>
                        </div>
                    </div>
                    <Handout />
                    <footer class="foot">
                        <p>"A model, not a cluster: every number here comes from the simulator. See “About this run” for where it departs from the seed documents."</p>
                    </footer>
                </main>
            }
            .into_any()
        }
    }
}

/// One chart and its preset's first two sliders, for an iframe.
#[component]
fn EmbedView(kind: Embed) -> impl IntoView {
    let app = expect_context::<AppState>();
    let chart = match kind {
        Embed::Memory => ChartKind::Memory,
        Embed::Latency => ChartKind::Latency,
        Embed::Requests => ChartKind::Requests,
        Embed::Go => ChartKind::Go,
        Embed::Pods => ChartKind::Pods,
    };
    let full = move || {
        let mut s = app.share.get();
        s.embed = None;
        dom::url_with_query(&state::to_query(&s))
    };
    view! {
        <Notices />
        <p class="embed-title">{move || app.scenario.with(|s| s.title.clone())}</p>
        <Charts only=chart />
        <div class="embed-controls">
            <ControlList max=2 />
        </div>
        <Playback />
        <p class="embed-link"><a href=full target="_blank" rel="noopener">"Open in Incident Lab ↗"</a></p>
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
    if let Some(boot) = document().get_element_by_id("boot") {
        boot.remove();
    }
    mount_to_body(App);
}
