//! The charts: each is a base canvas drawn once per run and an overlay
//! canvas for the scrub and hover lines. Charts redraw one per task after
//! a run, and the time from the change to the last chart is recorded.

use crate::app::AppState;
use crate::charts::specs::{self, ChartKind, Inputs};
use crate::charts::{self, Geometry, DARK, LIGHT};
use incident_core::units::SimTime;
use incident_core::view::value_at;
use leptos::html::Canvas;
use leptos::prelude::*;
use std::cell::Cell;
use std::rc::Rc;

#[derive(Clone)]
struct ChartSlot {
    kind: ChartKind,
    base: NodeRef<Canvas>,
    overlay: NodeRef<Canvas>,
    geometry: RwSignal<Geometry>,
}

fn theme(app: &AppState) -> &'static charts::Theme {
    if app.dark.get_untracked() {
        &DARK
    } else {
        &LIGHT
    }
}

/// Time the charts may take in one task before the rest wait for the next.
const DRAW_SLICE_MS: f64 = 10.0;

/// Draws the charts a few per task (each takes a few milliseconds), then
/// records how long the change took to reach the screen.
fn draw_all(app: AppState, slots: Vec<ChartSlot>, generation: Rc<Cell<u64>>, mine: u64) {
    fn step(
        app: AppState,
        slots: Rc<Vec<ChartSlot>>,
        i: usize,
        generation: Rc<Cell<u64>>,
        mine: u64,
    ) {
        // A newer run, or these charts were replaced (another scenario has
        // other charts) and their canvases and signals are gone.
        if generation.get() != mine
            || slots
                .iter()
                .any(|s| s.geometry.try_get_untracked().is_none())
        {
            return;
        }
        let begin = crate::dom::now_ms();
        let mut i = i;
        while i < slots.len() && crate::dom::now_ms() - begin < DRAW_SLICE_MS {
            draw_one(&app, &slots[i]);
            i += 1;
        }
        if i < slots.len() {
            crate::dom::yield_then(move || step(app, slots, i, generation, mine));
            return;
        }
        if let Some(t0) = app.changed_at.get_untracked() {
            crate::dom::record_metric("redrawMs", crate::dom::now_ms() - t0);
            app.changed_at.set(None);
        }
        if let Some(root) = document().get_element_by_id("charts") {
            let n: u32 = root
                .get_attribute("data-drawn")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            let _ = root.set_attribute("data-drawn", &(n + 1).to_string());
        }
    }
    step(app, Rc::new(slots), 0, generation, mine);
}

fn draw_one(app: &AppState, slot: &ChartSlot) {
    {
        if let (Some(canvas), Some(trace)) = (slot.base.get_untracked(), app.trace.get_untracked())
        {
            let pinned = app.pinned.get_untracked();
            let imported = app.imported.get_untracked();
            let width = canvas.client_width().max(200) as usize;
            let inputs = Inputs {
                trace: &trace,
                pinned: pinned.as_deref(),
                imported: imported.as_deref(),
                theme: theme(app),
                buckets: width / 2,
            };
            let t0 = crate::dom::now_ms();
            let spec = specs::build(slot.kind, &inputs, &app.service.get_untracked());
            // The legend in words, for screen readers and for tests.
            let legend = match &spec.body {
                charts::Body::Panels(panels) => panels
                    .iter()
                    .flat_map(|p| p.lines.iter().map(|l| l.label.as_str()))
                    .collect::<Vec<_>>()
                    .join("; "),
                charts::Body::Strip(rows) => rows
                    .iter()
                    .map(|r| r.label.as_str())
                    .collect::<Vec<_>>()
                    .join("; "),
            };
            let _ = canvas.set_attribute("data-legend", &legend);
            let _ = canvas.set_attribute("aria-label", &format!("{}: {legend}", slot.kind.title()));
            let dpr = crate::dom::device_pixel_ratio();
            match charts::draw(&canvas, &spec, theme(app), dpr) {
                Ok(g) => {
                    slot.geometry.set(g);
                    let _ = canvas.set_attribute("data-ready", "true");
                }
                Err(e) => leptos::logging::warn!("chart {} not drawn: {e}", slot.kind.id()),
            }
            crate::dom::record_metric("chartMs", crate::dom::now_ms() - t0);
            if let Some(overlay) = slot.overlay.get_untracked() {
                charts::draw_overlay(
                    &overlay,
                    &slot.geometry.get_untracked(),
                    app.scrub_s.get_untracked(),
                    app.hover_s.get_untracked(),
                    theme(app),
                    dpr,
                );
            }
        }
    }
}

#[component]
pub fn Charts(#[prop(optional)] only: Option<ChartKind>) -> impl IntoView {
    let app = expect_context::<AppState>();
    let kinds = Memo::new(move |_| {
        let all = app.scenario.with(specs::charts_for);
        match only {
            Some(k) => vec![k],
            None => all,
        }
    });
    view! {
        <section id="charts" class="charts" aria-label="Charts" data-drawn="0">
            {move || {
                let slots: Vec<ChartSlot> = kinds
                    .get()
                    .into_iter()
                    .map(|kind| ChartSlot { kind, base: NodeRef::new(), overlay: NodeRef::new(), geometry: RwSignal::new(Geometry::default()) })
                    .collect();
                let generation = Rc::new(Cell::new(0u64));
                let to_draw = slots.clone();
                // Redraw everything when the data, the theme, the size or the
                // followed service change.
                crate::app::effect(move || {
                    app.trace.track();
                    app.pinned.track();
                    app.imported.track();
                    app.dark.track();
                    app.layout.track();
                    app.service.track();
                    let mine = generation.get() + 1;
                    generation.set(mine);
                    let (slots, generation) = (to_draw.clone(), generation.clone());
                    // After the DOM has laid the canvases out, and in a task of
                    // its own: drawn inside the frame callback, a chart's
                    // milliseconds add to the frame's layout and paint.
                    request_animation_frame(move || {
                        crate::dom::yield_then(move || draw_all(app, slots, generation, mine))
                    });
                });
                slots.into_iter().map(|slot| view! { <Chart chart=slot /> }).collect_view()
            }}
        </section>
    }
}

#[component]
fn Chart(chart: ChartSlot) -> impl IntoView {
    let slot = chart;
    let app = expect_context::<AppState>();
    let kind = slot.kind;
    let (base, overlay, geometry) = (slot.base, slot.overlay, slot.geometry);
    // The overlay follows the scrub and the pointer.
    crate::app::effect(move || {
        let scrub = app.scrub_s.get();
        let hover = app.hover_s.get();
        let g = geometry.get();
        app.dark.track();
        if let Some(canvas) = overlay.get() {
            charts::draw_overlay(
                &canvas,
                &g,
                scrub,
                hover,
                theme(&app),
                crate::dom::device_pixel_ratio(),
            );
        }
    });
    let pods = kind == ChartKind::Pods;
    let height = move || {
        if pods {
            let n = app
                .trace
                .with(|t| t.as_ref().map(|t| t.pods.len()).unwrap_or(2))
                .clamp(1, 30);
            format!("height: {}px", 34 + n * 22)
        } else {
            format!("height: {}px", kind.height())
        }
    };
    let on_move = move |ev: leptos::ev::MouseEvent| {
        let x = ev.offset_x() as f64;
        app.hover_s.set(geometry.get_untracked().t_of(x));
    };
    let on_click = move |ev: leptos::ev::MouseEvent| {
        if let Some(t) = geometry.get_untracked().t_of(ev.offset_x() as f64) {
            app.scrub_s.set(t);
        }
    };
    let tooltip = move || {
        let t = app.hover_s.get()?;
        let trace = app.trace.get()?;
        let service = app.service.get();
        let rows = specs::hover_rows(kind, &trace, &service);
        let at = SimTime::from_secs_f64(t);
        let items = rows
            .into_iter()
            .map(|(label, name, svc, unit)| {
                let v = value_at(&trace, name, &svc, at)
                    .map(|v| unit.format(v))
                    .unwrap_or_else(|| "—".into());
                view! { <div><span class="k">{label}</span> " " <span class="v">{v}</span></div> }
            })
            .collect_view();
        let x = geometry.get_untracked().x_of(t);
        Some(view! {
            <div class="tooltip" style=format!("left: {x:.0}px") role="status">
                <div class="t">{crate::format::clock(t)}</div>
                {items}
            </div>
        })
    };
    let download = move |_| {
        if let Some(c) = base.get_untracked() {
            let name = app.scenario.with_untracked(|s| s.name.clone());
            crate::dom::download_canvas(&c, &format!("{name}-{}.png", kind.id()));
        }
    };
    let lessons = use_context::<crate::lesson::LessonState>();
    let highlighted = move || {
        lessons.is_some_and(|ls| {
            ls.highlights(&app)
                .iter()
                .any(|h| h == kind.highlight_name())
        })
    };
    let queries = move || {
        let ls = lessons?;
        let cards = ls.queries.get();
        let service = app.service.get();
        let items: Vec<_> = app.scenario.with(|sc| {
            cards
                .iter()
                .filter(|c| c.chart == kind.id())
                .map(|c| (c.tool.clone(), c.render(sc, &service), c.seed_doc.clone()))
                .collect()
        });
        if items.is_empty() {
            return None;
        }
        Some(view! {
            <details class="queries">
                <summary>"Query this in your own tool"</summary>
                <dl>
                    {items.into_iter().map(|(tool, query, doc)| view! {
                        <dt>{tool}{doc.map(|d| format!(" (seed {d})"))}</dt>
                        <dd><pre><code>{query}</code></pre></dd>
                    }).collect_view()}
                </dl>
            </details>
        })
    };
    view! {
        <figure class="chart" class:highlight=highlighted data-chart=kind.id()>
            <figcaption>
                <span class="title">{kind.title()}</span>
                <button class="link" on:click=download title="Download this chart as PNG">"PNG"</button>
            </figcaption>
            <div class="plot" style=height on:mousemove=on_move on:mouseleave=move |_| app.hover_s.set(None) on:click=on_click>
                <canvas node_ref=base class="base" aria-label=kind.title() role="img"></canvas>
                <canvas node_ref=overlay class="overlay" aria-hidden="true"></canvas>
                {tooltip}
            </div>
            <p class="hint">{kind.hint()}</p>
            {queries}
        </figure>
    }
}
