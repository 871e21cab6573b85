//! The frame around the charts: gallery, playback, summary, toolbar, notices.

use crate::app::AppState;
use crate::dom::clicked_attr;
use crate::format;
use crate::html::{flag, Attrs, Html};
use incident_core::presets;
// `Summary` is this module's component.
use incident_core::Summary as RunSummary;
use leptos::prelude::*;

fn gallery_cards(app: AppState, cards: &[presets::Card]) -> String {
    // In a lesson the preset on screen may be the case to diagnose: mark none.
    let current = app.share.with(|s| {
        if s.scenario_json.is_some() || s.lesson.is_some() {
            String::new()
        } else {
            s.preset.clone()
        }
    });
    // A preset's headline could answer an open question: hold them back too.
    let held = app.scrub_max_s.get().is_some();
    let mut h = Html::new();
    app.headlines.with(|headlines| {
        for card in cards {
            let name = &card.name;
            let is_current = *name == current;
            let class = if is_current { "card current" } else { "card" };
            let headline = if held {
                "(shown once you answer)"
            } else {
                headlines.get(name).map(String::as_str).unwrap_or("…")
            };
            h.open("li", &[])
                .open(
                    "button",
                    &[
                        ("class", class),
                        ("aria-pressed", flag(is_current)),
                        ("data-preset", name),
                    ],
                )
                .el("span", &[("class", "card-title")], &card.title)
                .el("span", &[("class", "card-desc")], &card.description)
                .el("span", &[("class", "card-headline")], headline);
            if let Some(d) = &card.seed_doc {
                h.el("span", &[("class", "card-doc")], &format!("seed {d}"));
            }
            h.close("button").close("li");
        }
    });
    h.finish()
}

#[component]
pub fn Gallery() -> impl IntoView {
    let app = expect_context::<AppState>();
    let cards = presets::cards();
    let pick = move |ev: leptos::ev::MouseEvent| {
        if let Some(name) = clicked_attr(&ev, "data-preset") {
            app.load_preset(&name);
        }
    };
    view! {
        <nav class="gallery" aria-label="Scenarios">
            <h2>"Scenarios"</h2>
            <ul on:click=pick inner_html=move || gallery_cards(app, &cards)></ul>
            <label class="file">
                "Open a scenario file (TOML or JSON) "
                <input type="file" accept=".toml,.json,application/json,text/plain" on:change=move |ev| read_file(ev, Box::new(move |name, text| app.load_scenario_text(&name, &text))) />
            </label>
        </nav>
    }
}

/// Reads the chosen file as text and hands over its name and text. Boxed:
/// one copy of this code for every file input.
pub fn read_file(ev: leptos::ev::Event, then: Box<dyn Fn(String, String)>) {
    let input: web_sys::HtmlInputElement = event_target(&ev);
    let Some(file) = input.files().and_then(|f| f.get(0)) else {
        return;
    };
    let name = file.name();
    if file.size() > incident_core::trace::MAX_TRACE_BYTES as f64 {
        return;
    }
    let promise = file.text();
    leptos::task::spawn_local(async move {
        if let Ok(text) = wasm_bindgen_futures::JsFuture::from(promise).await {
            then(name, text.as_string().unwrap_or_default());
        }
    });
    input.set_value("");
}

const SPEED_OPTIONS: &str = "<option value=\"1\">1×</option><option value=\"10\">10×</option><option value=\"60\" selected>60×</option><option value=\"120\">120×</option><option value=\"600\">600×</option>";

/// Plays or pauses; at the end (or at a lesson's hold) it starts over.
pub fn toggle_play(app: AppState) {
    if !app.playing.get_untracked() && app.scrub_s.get_untracked() >= app.scrub_end_s() - 0.01 {
        app.scrub_s.set(0.0);
    }
    app.playing.update(|p| *p = !*p);
}

/// Jumps to the next notable moment, no further than the playhead may go.
pub fn next_event(app: AppState) {
    app.playing.set(false);
    let t = (app.scrub_s.get_untracked() * 1e6) as u64;
    if let Some(trace) = app.trace.get_untracked() {
        let next = incident_core::view::next_notable(&trace, t)
            .map(|n| n as f64 / 1e6)
            .unwrap_or(f64::INFINITY);
        app.scrub_to(next.min(app.scrub_end_s()));
    }
}

#[component]
pub fn Playback() -> impl IntoView {
    let app = expect_context::<AppState>();
    let end = move || app.duration_s();
    // Arrow keys step one sample, or a hundredth of a long run. The slider
    // itself takes any value (`step="any"`), so a lesson's hold point is
    // exact; its keys are handled here.
    let step_s = move || {
        app.scenario.with(|s| {
            let sample = s.sample_interval.as_secs_f64();
            sample.max(s.duration.as_secs_f64() / 100.0)
        })
    };
    let keys = move |ev: leptos::ev::KeyboardEvent| {
        let step = step_s();
        let now = app.scrub_s.get_untracked();
        let to = match ev.key().as_str() {
            "ArrowRight" | "ArrowUp" => now + step,
            "ArrowLeft" | "ArrowDown" => now - step,
            "PageUp" => now + 10.0 * step,
            "PageDown" => now - 10.0 * step,
            "Home" => 0.0,
            "End" => f64::INFINITY,
            _ => return,
        };
        ev.prevent_default();
        app.playing.set(false);
        app.scrub_to(to);
    };
    let valuetext = move || {
        format!(
            "{} of {}",
            crate::format::clock(app.scrub_s.get()),
            crate::format::clock(end())
        )
    };
    view! {
        <section class="playback" aria-label="Playback" id="playback">
            <button class="play" on:click=move |_| toggle_play(app) aria-keyshortcuts="Space" data-playing=move || crate::html::flag(app.playing.get())>
                {move || if app.playing.get() { "Pause" } else { "Play" }}
            </button>
            <label for="speed" class="sr-only">"Speed"</label>
            <select id="speed" inner_html=SPEED_OPTIONS on:change=move |ev| app.speed.set(incident_core::units::parse_f64(&event_target_value(&ev)).unwrap_or(60.0))>
            </select>
            <label for="scrub" class="sr-only">"Time"</label>
            <input id="scrub" type="range" min="0" step="any" data-step=move || step_s().to_string() prop:max=move || end().to_string() prop:value=move || app.scrub_s.get().to_string()
                aria-valuetext=valuetext on:keydown=keys
                on:input=move |ev| { app.playing.set(false); app.scrub_to(incident_core::units::parse_f64(&event_target_value(&ev)).unwrap_or(0.0)); } />
            <output for="scrub" class="clock">{move || format!("{} / {}", crate::format::clock(app.scrub_s.get()), crate::format::clock(end()))}</output>
            <button on:click=move |_| next_event(app) aria-keyshortcuts="N" title="Jump to the next OOM kill, restart, alert or action (key N)">"Next event"</button>
        </section>
    }
}

/// The progress bar while a run is in progress.
fn progress_html(h: &mut Html, fraction: f64) {
    let percent = format!("{:.0}", fraction * 100.0);
    h.open(
        "div",
        &[
            ("class", "progress"),
            ("role", "progressbar"),
            ("aria-valuemin", "0"),
            ("aria-valuemax", "100"),
            ("aria-valuenow", &percent),
        ],
    )
    .open("span", &[("style", &format!("width: {percent}%"))])
    .close("span")
    .close("div")
    .el("p", &[("class", "muted")], "Simulating…");
}

/// Each service's first OOM kill after the load started, in minutes, or
/// "none".
fn first_ooms_words(s: &RunSummary, load_s: f64) -> String {
    let ooms: Vec<String> = s
        .services
        .iter()
        .filter_map(|x| {
            x.first_oom_s.map(|o| {
                let minutes = ((o - load_s) / 60.0).max(0.0);
                // The same words as a lesson's answer: "11.5 min".
                format!(
                    "{} {}",
                    x.name,
                    incident_core::lesson::Unit::Minutes.format(minutes)
                )
            })
        })
        .collect();
    if ooms.is_empty() {
        "none".to_string()
    } else {
        ooms.join(", ")
    }
}

/// Seconds from the load's start to the first OOM kill of any service, for
/// tests; empty without one.
fn first_oom_after_load_s(s: &RunSummary, load_s: f64) -> String {
    s.services
        .iter()
        .filter_map(|x| x.first_oom_s)
        .reduce(f64::min)
        .map(|o| format!("{:.1}", o - load_s))
        .unwrap_or_default()
}

/// The headline numbers of a run, as a description list.
fn headline_html(h: &mut Html, s: &RunSummary) {
    let load_s = s.load_started_s.unwrap_or(0.0);
    let ooms = first_ooms_words(s, load_s);
    let first_oom_s = first_oom_after_load_s(s, load_s);
    let restarts: u64 = s.services.iter().map(|x| x.restarts).sum();
    let r = &s.requests;
    let p95 = r
        .latency_ms_p95
        .map(format::millis)
        .unwrap_or_else(|| "—".into());
    let restarts = restarts.to_string();
    let failures = format::percent(r.failure_ratio);
    let alerts = s.alerts.len().to_string();
    let rows: [(&str, &Attrs, &str); 5] = [
        (
            "First OOM after load",
            &[("id", "first-oom"), ("data-seconds", &first_oom_s)],
            &ooms,
        ),
        ("Restarts", &[], &restarts),
        ("P95", &[], &p95),
        ("Failures", &[], &failures),
        ("Alerts", &[], &alerts),
    ];
    h.open("dl", &[("class", "headline")]);
    for (term, attrs, detail) in rows {
        h.open("div", &[])
            .el("dt", &[], term)
            .el("dd", attrs, detail)
            .close("div");
    }
    h.close("dl");
}

fn summary_html(app: AppState) -> String {
    let mut h = Html::new();
    // A run reports progress only once it is long enough to need a bar.
    if let Some(p) = app.progress.get().filter(|p| *p > 0.0) {
        progress_html(&mut h, p);
    }
    if app.scrub_max_s.get().is_some() {
        h.el(
            "p",
            &[("class", "muted"), ("id", "summary-held")],
            "The run's summary is held back until you answer the question.",
        );
        return h.finish();
    }
    app.trace.with(|t| {
        if let Some(t) = t {
            headline_html(&mut h, &t.summary);
        }
    });
    h.finish()
}

/// The run's headline numbers.
#[component]
pub fn Summary() -> impl IntoView {
    let app = expect_context::<AppState>();
    // A memo: the section is rewritten only when its text changes, not each
    // time a run starts (which leaves the summary as it was).
    let html = Memo::new(move |_| summary_html(app));
    // While the charts stream a new run in, these numbers are the run
    // before's: dimmed (after a moment, so a quick run does not flicker).
    let stale = move || app.running.with(Option::is_some);
    view! { <section class="summary" class:stale=stale aria-live="polite" inner_html=move || html.get()></section> }
}

#[component]
pub fn Notices() -> impl IntoView {
    let app = expect_context::<AppState>();
    view! {
        <Show when=move || app.notices.with(|n| !n.is_empty())>
            <div class="notice" role="alert" id="notice">
                <ul inner_html=move || app.notices.with(|ns| {
                    let mut h = Html::new();
                    for n in ns {
                        h.el("li", &[], n);
                    }
                    h.finish()
                })></ul>
                <button class="link" on:click=move |_| app.notices.set(Vec::new())>"Dismiss"</button>
            </div>
        </Show>
    }
}

/// The embed snippet's size: the memory chart, its legend, two controls,
/// the playback bar and the link fit without scrolling (a browser test
/// loads the embed at this size and finds Play and the time slider).
pub const EMBED_WIDTH_PX: u32 = 720;
pub const EMBED_HEIGHT_PX: u32 = 620;

/// Copies a link to what is on screen, the playhead included, and says so
/// for two seconds.
fn copy_share_link(app: AppState, set_copied: WriteSignal<bool>) {
    let mut s = app.share.get_untracked();
    s.t_s = Some(app.scrub_s.get_untracked());
    let url = crate::dom::url_with_query(&crate::share_link::to_query(&s));
    let clipboard = crate::dom::window().navigator().clipboard();
    let _ = clipboard.write_text(&url);
    set_copied.set(true);
    set_timeout(
        move || set_copied.set(false),
        std::time::Duration::from_secs(2),
    );
}

fn download_csv(app: AppState) {
    if let Some(t) = app.trace.get_untracked() {
        crate::dom::download_text(&format!("{}.csv", t.scenario.name), "text/csv", &t.to_csv());
    }
}

fn download_trace_json(app: AppState) {
    if let Some(t) = app.trace.get_untracked() {
        crate::dom::download_text(
            &format!("{}.trace.json", t.scenario.name),
            "application/json",
            &t.to_json(),
        );
    }
}

/// An iframe of the memory chart embed of this run, from its start.
fn embed_snippet_text(app: AppState) -> String {
    let mut s = app.share.get();
    s.embed = Some(crate::charts::registry::Embed::memory());
    s.t_s = None;
    format!(
        "<iframe src=\"{}\" width=\"{EMBED_WIDTH_PX}\" height=\"{EMBED_HEIGHT_PX}\" title=\"Incident Lab\" loading=\"lazy\"></iframe>",
        crate::dom::url_with_query(&crate::share_link::to_query(&s))
    )
}

/// The scenario's services, the followed one selected.
fn service_options_html(app: AppState) -> String {
    let selected = app.service.get();
    let mut h = Html::new();
    app.scenario.with(|s| {
        for name in s.services.keys() {
            let mut attrs = vec![("value", name.as_str())];
            if *name == selected {
                attrs.push(("selected", ""));
            }
            h.el("option", &attrs, name);
        }
    });
    h.finish()
}

#[component]
pub fn Toolbar() -> impl IntoView {
    let app = expect_context::<AppState>();
    let (copied, set_copied) = signal(false);
    let share = move |_| copy_share_link(app, set_copied);
    let csv = move |_| download_csv(app);
    let trace_json = move |_| download_trace_json(app);
    let embed_snippet = move || embed_snippet_text(app);
    let service_options = move || service_options_html(app);
    view! {
        <div class="toolbar" role="toolbar" aria-label="Run">
            <label for="service">"Memory of "</label>
            <select id="service" on:change=move |ev| app.service.set(event_target_value(&ev)) inner_html=service_options></select>
            <button
                on:click=move |_| if app.pinned.with_untracked(|p| p.is_some()) { app.unpin() } else { app.pin() }
                title=move || if app.pinned.with(|p| p.is_some()) { "Stop comparing" } else { "Keep this run on the charts, then change something" }>
                {move || if app.pinned.with(|p| p.is_some()) { "Unpin" } else { "Pin for compare" }}
            </button>
            <button id="share" on:click=share>{move || if copied.get() { "Link copied" } else { "Share link" }}</button>
            <button id="export-csv" on:click=csv>"CSV"</button>
            <button on:click=trace_json title="The whole trace, for later or for import">"Trace"</button>
            <label class="file">"Import trace " <input type="file" accept=".json" on:change=move |ev| crate::components::chrome::read_file(ev, Box::new(move |name, text| app.import_trace_text(&name, &text))) /></label>
            {move || app.imported.with(|i| i.is_some()).then(|| view! { <button on:click=move |_| app.imported.set(None)>"Remove real trace"</button> })}
            <button on:click=move |_| app.dark.update(|d| *d = !*d) aria-pressed=move || crate::html::flag(app.dark.get())>"Dark theme"</button>
            <button id="projector" on:click=move |_| app.share.update(|s| s.projector = !s.projector) aria-pressed=move || crate::html::flag(app.share.with(|s| s.projector)) title="Larger text and thicker lines, for a room">"Projector"</button>
            <details class="embed-help">
                <summary>"Embed"</summary>
                <p>"Paste into a course page:"</p>
                <textarea readonly rows="3" aria-label="Embed snippet">{embed_snippet}</textarea>
            </details>
        </div>
    }
}
