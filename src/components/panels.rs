//! Panels that read the trace at the scrub time: kubectl get pods, the event
//! log, alerts, tracemalloc's view, and what this run is.
//!
//! Their rows are read-only, so each is rendered as one escaped HTML string
//! per change (see `crate::html`) rather than a tree of reactive views.

use crate::app::AppState;
use crate::format;
use crate::html::Html;
use incident_core::scenario::ServiceKind;
use incident_core::telemetry::EventType;
use incident_core::units::SimTime;
use incident_core::view;
use leptos::prelude::*;

/// Whether the open lesson step points at this panel (on the whole
/// dashboard; the step's own page shows only what it points at).
fn highlighted(name: &str) -> bool {
    let app = expect_context::<AppState>();
    use_context::<crate::lesson::LessonState>()
        .is_some_and(|ls| !ls.step_page() && ls.highlights(&app).iter().any(|h| h == name))
}

fn at(app: &AppState) -> SimTime {
    SimTime::from_secs_f64(app.scrub_s.get())
}

fn pods_rows(app: AppState) -> String {
    let mut h = Html::new();
    app.trace.with(|t| {
        for r in t
            .as_ref()
            .map(|t| view::pods_at(t, at(&app)))
            .unwrap_or_default()
        {
            let status_class = format!("status {}", r.status.to_ascii_lowercase());
            h.open("tr", &[])
                .el("td", &[], &r.name)
                .el("td", &[], &r.ready)
                .el("td", &[("class", &status_class)], &r.status)
                .el("td", &[], &r.restarts)
                .el("td", &[], &r.age)
                .close("tr");
        }
    });
    h.finish()
}

#[component]
pub fn Pods() -> impl IntoView {
    let app = expect_context::<AppState>();
    view! {
        <section class="panel" aria-labelledby="pods-h" data-panel="pods" class:highlight=move || highlighted("pods-table")>
            <h2 id="pods-h">"kubectl get pods"</h2>
            <div class="scroll">
                <table class="kubectl">
                    <thead><tr><th scope="col">"NAME"</th><th scope="col">"READY"</th><th scope="col">"STATUS"</th><th scope="col">"RESTARTS"</th><th scope="col">"AGE"</th></tr></thead>
                    <tbody inner_html=move || pods_rows(app)></tbody>
                </table>
            </div>
        </section>
    }
}

fn event_rows(app: AppState, warnings_only: bool) -> String {
    let mut h = Html::new();
    app.trace.with(|t| {
        let Some(t) = t.as_ref() else { return };
        let events = view::events_until(t, at(&app), 400);
        let shown = events
            .iter()
            .filter(|e| !warnings_only || matches!(e.kind, EventType::Warning | EventType::Alert))
            .take(150);
        for e in shown {
            let kind = e.kind.as_str();
            let class = format!("event {}", kind.to_ascii_lowercase());
            h.open("li", &[("class", &class)])
                .el("time", &[], &format::clock(e.at_us as f64 / 1e6))
                .el("span", &[("class", "kind")], kind)
                .el("span", &[("class", "reason")], &e.reason)
                .el("span", &[("class", "object")], &e.object)
                .el("span", &[("class", "message")], &e.message)
                .close("li");
        }
    });
    h.finish()
}

#[component]
pub fn Events() -> impl IntoView {
    let app = expect_context::<AppState>();
    let (warnings_only, set_warnings_only) = signal(false);
    view! {
        <section class="panel" aria-labelledby="events-h" data-panel="events" class:highlight=move || highlighted("events")>
            <h2 id="events-h">"Events"</h2>
            <label class="inline"><input type="checkbox" on:change=move |ev| set_warnings_only.set(event_target_checked(&ev)) />" warnings and alerts only"</label>
            <ol class="events" reversed inner_html=move || event_rows(app, warnings_only.get())></ol>
        </section>
    }
}

fn alert_list(app: AppState) -> String {
    let t = at(&app);
    let mut h = Html::new();
    app.trace.with(|tr| {
        let fired = tr
            .as_ref()
            .map(|tr| {
                tr.alerts
                    .iter()
                    .filter(|a| a.at_us <= t.0)
                    .rev()
                    .take(60)
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default();
        if fired.is_empty() {
            h.el("p", &[("class", "muted")], "No alert has fired yet.");
            return;
        }
        h.open("ul", &[("class", "alerts")]);
        for a in fired {
            let firing = view::alert_firing_at(a, t);
            // A restart alert is an event: it neither holds nor resolves.
            let restart = a.rule == incident_core::alerts::Rule::ContainerRestarted;
            let state = match (restart, firing, a.resolved_at_us) {
                (true, _, _) => String::new(),
                (false, true, _) => "firing".to_string(),
                (false, false, Some(r)) => format!("resolved {}", format::clock(r as f64 / 1e6)),
                (false, false, None) => "firing".to_string(),
            };
            let class = if firing && !restart {
                "alert firing"
            } else {
                "alert"
            };
            h.open("li", &[("data-rule", a.rule.as_str()), ("class", class)])
                .el("time", &[], &format::clock(a.at_us as f64 / 1e6))
                .text(" ")
                .el("strong", &[], a.rule.label())
                .text(" ")
                .el("span", &[("class", "muted")], &a.service)
                .text(" ")
                .el("span", &[("class", "state")], &state)
                .el("div", &[], &a.message)
                .close("li");
        }
        h.close("ul");
    });
    h.finish()
}

#[component]
pub fn Alerts() -> impl IntoView {
    let app = expect_context::<AppState>();
    view! {
        <section class="panel" aria-labelledby="alerts-h" data-panel="alerts" class:highlight=move || highlighted("alerts")>
            <h2 id="alerts-h">"Alerts"</h2>
            <div inner_html=move || alert_list(app)></div>
        </section>
    }
}

fn allocation_rows(app: AppState, service: &str) -> String {
    let t = at(&app);
    let mut h = Html::new();
    let Some(trace) = app.trace.get() else {
        return String::new();
    };
    let sites = app
        .scenario
        .with(|sc| view::allocation_sites_at(&trace, sc, service, t));
    for s in sites.iter().take(8) {
        h.open("tr", &[])
            .open("td", &[])
            .el("code", &[], &s.site)
            .close("td")
            .el("td", &[], &format::bytes(s.size_bytes))
            .el("td", &[], &format::count(s.count as f64))
            .close("tr");
    }
    h.finish()
}

#[component]
pub fn Tracemalloc() -> impl IntoView {
    let app = expect_context::<AppState>();
    let service = Memo::new(move |_| {
        app.scenario.with(|s| {
            s.services
                .iter()
                .find(|(_, x)| x.kind == ServiceKind::PythonLeaky)
                .map(|(n, _)| n.clone())
        })
    });
    let rows = move || {
        service
            .get()
            .map(|svc| allocation_rows(app, &svc))
            .unwrap_or_default()
    };
    view! {
        <Show when=move || service.get().is_some()>
            <section class="panel" aria-labelledby="tm-h" data-panel="tracemalloc" class:highlight=move || highlighted("tracemalloc")>
                <h2 id="tm-h">"Top allocation sites (tracemalloc)"</h2>
                <table>
                    <thead><tr><th scope="col">"site"</th><th scope="col">"size"</th><th scope="col">"count"</th></tr></thead>
                    <tbody inner_html=rows></tbody>
                </table>
            </section>
        </Show>
    }
}

fn about_html(app: AppState) -> String {
    let mut h = Html::new();
    app.scenario.with(|s| {
        h.open("p", &[]).el("strong", &[], &s.title).close("p");
        h.el("p", &[], &s.description);
        h.open("dl", &[])
            .el("dt", &[], "Scenario")
            .open("dd", &[])
            .el("code", &[], &s.name);
        if let Some(d) = &s.seed_doc {
            h.text(&format!(" (seed document {d})"));
        }
        h.close("dd")
            .el("dt", &[], "Seed")
            .open("dd", &[])
            .el("code", &[], &s.seed.to_string())
            .close("dd")
            .el("dt", &[], "Simulated")
            .el("dd", &[], &format::span(s.duration.as_secs_f64()))
            .close("dl");
        h.el("h3", &[], "Where the model departs from the document");
        h.open("div", &[("class", "notes")]);
        for p in format::paragraphs(&s.notes) {
            h.el("p", &[], &p);
        }
        h.close("div");
    });
    app.trace.with(|t| {
        if let Some(t) = t {
            let events = format!(
                "{} in {:.0} ms",
                format::count(t.summary.events_processed as f64),
                app.run_ms.get()
            );
            h.open("dl", &[])
                .el("dt", &[], "Trace hash")
                .open("dd", &[])
                .el("code", &[("id", "trace-hash")], &t.summary.trace_hash)
                .close("dd")
                .el("dt", &[], "Events")
                .el("dd", &[], &events)
                .close("dl");
        }
    });
    h.finish()
}

#[component]
pub fn About() -> impl IntoView {
    let app = expect_context::<AppState>();
    view! {
        <section class="panel about" aria-labelledby="about-h" data-panel="about" class:highlight=move || highlighted("about")>
            <h2 id="about-h">"About this run"</h2>
            <div inner_html=move || about_html(app)></div>
        </section>
    }
}
