//! The frame around the charts: gallery, playback, summary, toolbar, notices.

use crate::app::AppState;
use incident_core::presets;
use leptos::prelude::*;

#[component]
pub fn Gallery() -> impl IntoView {
    let app = expect_context::<AppState>();
    let cards: Vec<(String, String, String, Option<String>)> = presets::all()
        .into_iter()
        .map(|p| (p.name, p.title, p.description, p.seed_doc))
        .collect();
    let current = move || {
        app.share.with(|s| {
            if s.scenario_json.is_some() {
                String::new()
            } else {
                s.preset.clone()
            }
        })
    };
    view! {
        <nav class="gallery" aria-label="Scenarios">
            <h2>"Scenarios"</h2>
            <ul>
                {cards.into_iter().map(|(name, title, description, doc)| {
                    let n1 = name.clone();
                    let n2 = name.clone();
                    let n3 = name.clone();
                    let headline = move || app.headlines.with(|h| h.get(&n3).cloned()).unwrap_or_else(|| "…".into());
                    view! {
                        <li>
                            <button class="card" class:current=move || current() == n1 aria-pressed=move || (current() == n2).to_string()
                                data-preset=name.clone() on:click=move |_| app.load_preset(&name)>
                                <span class="card-title">{title}</span>
                                <span class="card-desc">{description}</span>
                                <span class="card-headline">{headline}</span>
                                {doc.map(|d| view! { <span class="card-doc">{format!("seed {d}")}</span> })}
                            </button>
                        </li>
                    }
                }).collect_view()}
            </ul>
            <label class="file">
                "Open a scenario file (TOML or JSON) "
                <input type="file" accept=".toml,.json,application/json,text/plain" on:change=move |ev| read_file(ev, move |name, text| app.load_scenario_text(&name, &text)) />
            </label>
        </nav>
    }
}

/// Reads the chosen file as text, then calls `then(name, text)`.
pub fn read_file(ev: leptos::ev::Event, then: impl Fn(String, String) + 'static) {
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

#[component]
pub fn Playback() -> impl IntoView {
    let app = expect_context::<AppState>();
    let end = move || app.duration_s();
    let toggle = move |_| {
        if app.scrub_s.get_untracked() >= app.duration_s() - 0.01 {
            app.scrub_s.set(0.0);
        }
        app.playing.update(|p| *p = !*p);
    };
    let next = move |_| {
        app.playing.set(false);
        let t = (app.scrub_s.get_untracked() * 1e6) as u64;
        if let Some(trace) = app.trace.get_untracked() {
            if let Some(n) = incident_core::view::next_notable(&trace, t) {
                app.scrub_s.set(n as f64 / 1e6);
            }
        }
    };
    let speeds = [1.0, 10.0, 60.0, 120.0, 600.0];
    view! {
        <section class="playback" aria-label="Playback">
            <button on:click=toggle aria-label=move || if app.playing.get() { "Pause" } else { "Play" }>
                {move || if app.playing.get() { "❚❚ Pause" } else { "▶ Play" }}
            </button>
            <label for="speed" class="sr-only">"Speed"</label>
            <select id="speed" on:change=move |ev| app.speed.set(incident_core::units::parse_f64(&event_target_value(&ev)).unwrap_or(60.0))>
                {speeds.iter().map(|s| view! { <option value=s.to_string() selected=*s == 60.0>{format!("{s}×")}</option> }).collect_view()}
            </select>
            <label for="scrub" class="sr-only">"Time"</label>
            <input id="scrub" type="range" min="0" step="0.1" prop:max=move || end().to_string() prop:value=move || app.scrub_s.get().to_string()
                on:input=move |ev| { app.playing.set(false); app.scrub_s.set(incident_core::units::parse_f64(&event_target_value(&ev)).unwrap_or(0.0)); } />
            <output for="scrub" class="clock">{move || format!("{} / {}", crate::format::clock(app.scrub_s.get()), crate::format::clock(end()))}</output>
            <button on:click=next title="Jump to the next OOM kill, restart, alert or action">"Next event ⏭"</button>
        </section>
    }
}

/// The run's headline numbers.
#[component]
pub fn Summary() -> impl IntoView {
    let app = expect_context::<AppState>();
    view! {
        <section class="summary" aria-live="polite">
            {move || match app.progress.get() {
                Some(p) => view! { <div class="progress" role="progressbar" aria-valuemin="0" aria-valuemax="100" aria-valuenow=format!("{:.0}", p * 100.0)><span style=format!("width: {:.0}%", p * 100.0)></span></div><p class="muted">"Simulating…"</p> }.into_any(),
                None => ().into_any(),
            }}
            {move || app.trace.with(|t| t.as_ref().map(|t| {
                let s = &t.summary;
                let load = s.load_started_s.unwrap_or(0.0);
                let ooms: Vec<String> = s.services.iter().filter_map(|x| x.first_oom_s.map(|o| format!("{} {}", x.name, crate::format::span(o - load)))).collect();
                let first_oom_s = s.services.iter().filter_map(|x| x.first_oom_s).reduce(f64::min).map(|o| format!("{:.1}", o - load)).unwrap_or_default();
                let restarts: u64 = s.services.iter().map(|x| x.restarts).sum();
                let r = &s.requests;
                view! {
                    <dl class="headline">
                        <div><dt>"First OOM after load"</dt><dd id="first-oom" data-seconds=first_oom_s>{if ooms.is_empty() { "none".to_string() } else { ooms.join(", ") }}</dd></div>
                        <div><dt>"Restarts"</dt><dd>{restarts.to_string()}</dd></div>
                        <div><dt>"P95"</dt><dd>{r.latency_ms_p95.map(crate::format::millis).unwrap_or_else(|| "—".into())}</dd></div>
                        <div><dt>"Failures"</dt><dd>{crate::format::percent(r.failure_ratio)}</dd></div>
                        <div><dt>"Alerts"</dt><dd>{s.alerts.len().to_string()}</dd></div>
                    </dl>
                }
            }))}
        </section>
    }
}

#[component]
pub fn Notices() -> impl IntoView {
    let app = expect_context::<AppState>();
    view! {
        <Show when=move || app.notices.with(|n| !n.is_empty())>
            <div class="notice" role="alert" id="notice">
                <ul>{move || app.notices.get().into_iter().map(|n| view! { <li>{n}</li> }).collect_view()}</ul>
                <button class="link" on:click=move |_| app.notices.set(Vec::new())>"Dismiss"</button>
            </div>
        </Show>
    }
}

#[component]
pub fn Toolbar() -> impl IntoView {
    let app = expect_context::<AppState>();
    let (copied, set_copied) = signal(false);
    let share = move |_| {
        let mut s = app.share.get_untracked();
        s.t_s = Some(app.scrub_s.get_untracked());
        let url = crate::dom::url_with_query(&crate::state::to_query(&s));
        let clipboard = crate::dom::window().navigator().clipboard();
        let _ = clipboard.write_text(&url);
        set_copied.set(true);
        set_timeout(
            move || set_copied.set(false),
            std::time::Duration::from_secs(2),
        );
    };
    let csv = move |_| {
        if let Some(t) = app.trace.get_untracked() {
            crate::dom::download_text(&format!("{}.csv", t.scenario.name), "text/csv", &t.to_csv());
        }
    };
    let trace_json = move |_| {
        if let Some(t) = app.trace.get_untracked() {
            crate::dom::download_text(
                &format!("{}.trace.json", t.scenario.name),
                "application/json",
                &t.to_json(),
            );
        }
    };
    let embed_snippet = move || {
        let mut s = app.share.get();
        s.embed = Some(crate::state::Embed::Memory);
        s.t_s = None;
        format!(
            "<iframe src=\"{}\" width=\"720\" height=\"420\" title=\"Incident Lab\" loading=\"lazy\"></iframe>",
            crate::dom::url_with_query(&crate::state::to_query(&s))
        )
    };
    let services = Memo::new(move |_| {
        app.scenario
            .with(|s| s.services.keys().cloned().collect::<Vec<_>>())
    });
    view! {
        <div class="toolbar" role="toolbar" aria-label="Run">
            <label for="service">"Memory of "</label>
            <select id="service" on:change=move |ev| app.service.set(event_target_value(&ev))>
                {move || services.get().into_iter().map(|s| { let selected = app.service.get() == s; let v = s.clone(); view! { <option value=v selected=selected>{s}</option> } }).collect_view()}
            </select>
            {move || if app.pinned.with(|p| p.is_some()) {
                view! { <button on:click=move |_| app.unpin() title="Stop comparing">"Unpin"</button> }.into_any()
            } else {
                view! { <button on:click=move |_| app.pin() title="Keep this run on the charts, then change something">"Pin for compare"</button> }.into_any()
            }}
            <button id="share" on:click=share>{move || if copied.get() { "Link copied" } else { "Share link" }}</button>
            <button id="export-csv" on:click=csv>"CSV"</button>
            <button on:click=trace_json title="The whole trace, for later or for import">"Trace"</button>
            <label class="file">"Import trace " <input type="file" accept=".json" on:change=move |ev| crate::components::chrome::read_file(ev, move |name, text| app.import_trace_text(&name, &text)) /></label>
            {move || app.imported.with(|i| i.is_some()).then(|| view! { <button on:click=move |_| app.imported.set(None)>"Remove real trace"</button> })}
            <button on:click=move |_| app.dark.update(|d| *d = !*d) aria-label="Switch light and dark theme">{move || if app.dark.get() { "☀ Light" } else { "☾ Dark" }}</button>
            <details class="embed-help">
                <summary>"Embed"</summary>
                <p>"Paste into a course page:"</p>
                <textarea readonly rows="3" aria-label="Embed snippet">{embed_snippet}</textarea>
            </details>
        </div>
    }
}
