//! Panels that read the trace at the scrub time: kubectl get pods, the event
//! log, alerts, tracemalloc's view, and what this run is.

use crate::app::AppState;
use incident_core::scenario::ServiceKind;
use incident_core::telemetry::EventType;
use incident_core::units::SimTime;
use incident_core::view;
use leptos::prelude::*;

/// Whether the open lesson step points at this panel.
fn highlighted(name: &str) -> bool {
    let app = expect_context::<AppState>();
    use_context::<crate::lesson::LessonState>()
        .is_some_and(|ls| ls.highlights(&app).iter().any(|h| h == name))
}

fn at(app: &AppState) -> SimTime {
    SimTime::from_secs_f64(app.scrub_s.get())
}

#[component]
pub fn Pods() -> impl IntoView {
    let app = expect_context::<AppState>();
    let rows = move || {
        app.trace.with(|t| {
            t.as_ref()
                .map(|t| view::pods_at(t, at(&app)))
                .unwrap_or_default()
        })
    };
    view! {
        <section class="panel" aria-labelledby="pods-h" data-panel="pods" class:highlight=move || highlighted("pods-table")>
            <h2 id="pods-h">"kubectl get pods"</h2>
            <div class="scroll">
                <table class="kubectl">
                    <thead><tr><th scope="col">"NAME"</th><th scope="col">"READY"</th><th scope="col">"STATUS"</th><th scope="col">"RESTARTS"</th><th scope="col">"AGE"</th></tr></thead>
                    <tbody>
                        {move || rows().into_iter().map(|r| {
                            let status_class = format!("status {}", r.status.to_ascii_lowercase());
                            view! {
                                <tr>
                                    <td>{r.name}</td>
                                    <td>{r.ready}</td>
                                    <td class=status_class>{r.status}</td>
                                    <td>{r.restarts}</td>
                                    <td>{r.age}</td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    }
}

#[component]
pub fn Events() -> impl IntoView {
    let app = expect_context::<AppState>();
    let (warnings_only, set_warnings_only) = signal(false);
    let rows = move || {
        let only = warnings_only.get();
        app.trace.with(|t| {
            t.as_ref()
                .map(|t| {
                    view::events_until(t, at(&app), 400)
                        .into_iter()
                        .filter(|e| {
                            !only || matches!(e.kind, EventType::Warning | EventType::Alert)
                        })
                        .take(150)
                        .map(|e| {
                            (
                                e.at_us,
                                e.kind.as_str(),
                                e.object.clone(),
                                e.reason.clone(),
                                e.message.clone(),
                            )
                        })
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        })
    };
    view! {
        <section class="panel" aria-labelledby="events-h" data-panel="events" class:highlight=move || highlighted("events")>
            <h2 id="events-h">"Events"</h2>
            <label class="inline"><input type="checkbox" on:change=move |ev| set_warnings_only.set(event_target_checked(&ev)) />" warnings and alerts only"</label>
            <ol class="events" reversed>
                {move || rows().into_iter().map(|(at_us, kind, object, reason, message)| {
                    let class = format!("event {}", kind.to_ascii_lowercase());
                    view! {
                        <li class=class>
                            <time>{crate::format::clock(at_us as f64 / 1e6)}</time>
                            <span class="kind">{kind}</span>
                            <span class="reason">{reason}</span>
                            <span class="object">{object}</span>
                            <span class="message">{message}</span>
                        </li>
                    }
                }).collect_view()}
            </ol>
        </section>
    }
}

#[component]
pub fn Alerts() -> impl IntoView {
    let app = expect_context::<AppState>();
    let rows = move || {
        let t = at(&app);
        app.trace.with(|tr| {
            tr.as_ref()
                .map(|tr| {
                    tr.alerts
                        .iter()
                        .filter(|a| a.at_us <= t.0)
                        .rev()
                        .take(60)
                        .map(|a| {
                            (
                                a.at_us,
                                a.rule.as_str().to_string(),
                                a.service.clone(),
                                a.message.clone(),
                            )
                        })
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        })
    };
    view! {
        <section class="panel" aria-labelledby="alerts-h" data-panel="alerts" class:highlight=move || highlighted("alerts")>
            <h2 id="alerts-h">"Alerts"</h2>
            {move || {
                let r = rows();
                if r.is_empty() {
                    view! { <p class="muted">"No alert has fired yet."</p> }.into_any()
                } else {
                    view! {
                        <ul class="alerts">
                            {r.into_iter().map(|(at_us, rule, service, message)| { let attr = rule.clone(); view! {
                                <li data-rule=attr>
                                    <time>{crate::format::clock(at_us as f64 / 1e6)}</time>
                                    " " <strong>{rule}</strong> " " <span class="muted">{service}</span>
                                    <div>{message}</div>
                                </li>
                            }}).collect_view()}
                        </ul>
                    }.into_any()
                }
            }}
        </section>
    }
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
        let svc = service.get()?;
        let t = at(&app);
        let trace = app.trace.get()?;
        let sites = app
            .scenario
            .with(|sc| view::allocation_sites_at(&trace, sc, &svc, t));
        Some(sites)
    };
    view! {
        <Show when=move || service.get().is_some()>
            <section class="panel" aria-labelledby="tm-h" data-panel="tracemalloc" class:highlight=move || highlighted("tracemalloc")>
                <h2 id="tm-h">"Top allocation sites (tracemalloc)"</h2>
                <table>
                    <thead><tr><th scope="col">"site"</th><th scope="col">"size"</th><th scope="col">"count"</th></tr></thead>
                    <tbody>
                        {move || rows().unwrap_or_default().into_iter().take(8).map(|s| view! {
                            <tr><td><code>{s.site}</code></td><td>{crate::format::bytes(s.size_bytes)}</td><td>{crate::format::count(s.count as f64)}</td></tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </section>
        </Show>
    }
}

#[component]
pub fn About() -> impl IntoView {
    let app = expect_context::<AppState>();
    view! {
        <section class="panel about" aria-labelledby="about-h" data-panel="about" class:highlight=move || highlighted("about")>
            <h2 id="about-h">"About this run"</h2>
            {move || app.scenario.with(|s| view! {
                <p><strong>{s.title.clone()}</strong></p>
                <p>{s.description.clone()}</p>
                <dl>
                    <dt>"Scenario"</dt><dd><code>{s.name.clone()}</code>{s.seed_doc.clone().map(|d| format!(" (seed document {d})"))}</dd>
                    <dt>"Seed"</dt><dd><code>{s.seed}</code></dd>
                    <dt>"Simulated"</dt><dd>{crate::format::span(s.duration.as_secs_f64())}</dd>
                </dl>
                <h3>"Where the model departs from the document"</h3>
                <div class="notes">{crate::format::paragraphs(&s.notes).into_iter().map(|p| view! { <p>{p}</p> }).collect_view()}</div>
            })}
            {move || app.trace.with(|t| t.as_ref().map(|t| view! {
                <dl>
                    <dt>"Trace hash"</dt><dd><code id="trace-hash">{t.summary.trace_hash.clone()}</code></dd>
                    <dt>"Events"</dt><dd>{crate::format::count(t.summary.events_processed as f64)} " in " {format!("{:.0} ms", app.run_ms.get())}</dd>
                </dl>
            }))}
        </section>
    }
}
