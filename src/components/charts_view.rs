//! The charts: each is a base canvas drawn once per run (or per sample while
//! a lesson plays the rest of a run), an overlay canvas for the scrub and
//! hover lines, and a legend in HTML. Charts redraw one per task after a
//! run, and the time from the change to the last chart is recorded.

use crate::app::AppState;
use crate::charts::registry::{self, Chart};
use crate::charts::specs::Inputs;
use crate::charts::{self, draw::Px, Geometry, LegendStyle, DARK, LIGHT};
use crate::html::Html;
use incident_core::units::SimTime;
use incident_core::view::value_at;
use incident_core::Trace;
use leptos::html::Canvas;
use leptos::prelude::*;
use std::cell::Cell;
use std::rc::Rc;
use std::sync::Arc;

#[derive(Clone)]
struct ChartSlot {
    kind: &'static Chart,
    base: NodeRef<Canvas>,
    overlay: NodeRef<Canvas>,
    geometry: RwSignal<Geometry>,
    legend: RwSignal<String>,
}

fn theme(app: &AppState) -> &'static charts::Theme {
    if app.dark.get_untracked() {
        &DARK
    } else {
        &LIGHT
    }
}

/// Lengths on the charts: projector mode draws text and lines larger.
pub fn px(app: &AppState) -> Px {
    Px {
        dpr: crate::dom::device_pixel_ratio(),
        zoom: if app.share.with_untracked(|s| s.projector) {
            PROJECTOR_ZOOM
        } else {
            1.0
        },
    }
}

const PROJECTOR_ZOOM: f64 = 1.3;

/// Time the charts may take in one task before the rest wait for the next,
/// once the page is up (see `dom::slice_ms`): under a long task's 50 ms, and
/// long enough that a slow CPU draws them all in one or two tasks (each
/// task's canvases are painted and composited in a frame of their own,
/// which costs more than drawing them).
const DRAW_SLICE_MS: f64 = 30.0;

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
        let slice_ms = crate::dom::slice_ms(DRAW_SLICE_MS);
        // A run streaming in is drawn where the learner looks; the charts
        // off screen wait for the whole run (each chart drawn costs its
        // canvas a raster and the frame a commit).
        let streaming = app.running.with_untracked(Option::is_some);
        let mut i = i;
        while i < slots.len() && crate::dom::now_ms() - begin < slice_ms {
            if !streaming || on_screen(&slots[i]) {
                draw_one(&app, &slots[i]);
            }
            i += 1;
        }
        if i < slots.len() {
            crate::dom::yield_then(move || step(app, slots, i, generation, mine));
            return;
        }
        record_redraw(&app);
        // Whole runs count in data-drawn (tests wait on it), the first
        // parts of streaming runs in data-streamed.
        let counter = if app.running.with_untracked(Option::is_some) {
            "data-streamed"
        } else {
            "data-drawn"
        };
        if let Some(root) = document().get_element_by_id("charts") {
            let n: u32 = root
                .get_attribute(counter)
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            let _ = root.set_attribute(counter, &(n + 1).to_string());
        }
    }
    step(app, Rc::new(slots), 0, generation, mine);
}

/// The change's first part is on screen once the charts show its own run,
/// whole or streaming (`firstDrawMs`); the whole of it once its whole run is
/// drawn (`redrawMs`). Not while they show the run before.
fn record_redraw(app: &AppState) {
    thread_local! {
        static FIRST_DRAWN_FOR: Cell<Option<f64>> = const { Cell::new(None) };
    }
    let run_in_flight = app.progress.get_untracked().is_some();
    if !run_in_flight && app.trace.with_untracked(Option::is_some) {
        crate::dom::mark_first_screen_drawn();
        // A whole run on screen has its link in the address bar.
        crate::dom::flush_query();
    }
    let Some(t0) = app.changed_at.get_untracked() else {
        return;
    };
    let streaming_own = app
        .running
        .with_untracked(|r| r.as_ref().is_some_and(|r| r.changed_at == Some(t0)));
    if (streaming_own || !run_in_flight) && FIRST_DRAWN_FOR.get() != Some(t0) {
        FIRST_DRAWN_FOR.set(Some(t0));
        crate::dom::record_metric("firstDrawMs", crate::dom::now_ms() - t0);
    }
    if !run_in_flight {
        crate::dom::record_metric("redrawMs", crate::dom::now_ms() - t0);
        crate::dom::record_metric("wasmMemoryBytes", crate::dom::wasm_memory_bytes());
        app.changed_at.set(None);
    }
}

/// While a run streams in, the charts show its first part: busy (`aria-busy`)
/// and up to which simulated second.
fn streaming(app: AppState) -> Option<&'static str> {
    app.running.with(|r| r.is_some()).then_some("true")
}

fn streamed_until(app: AppState) -> Option<String> {
    app.running.with(|r| {
        r.as_ref()
            .and_then(|r| r.trace.sample_times_us.last().copied())
            .map(|us| format!("{:.0}", us as f64 / 1e6))
    })
}

/// Whether any of the chart's canvas is inside the window.
fn on_screen(slot: &ChartSlot) -> bool {
    let Some(canvas) = slot.base.get_untracked() else {
        return false;
    };
    let rect = canvas.get_bounding_client_rect();
    let height = crate::dom::window()
        .inner_height()
        .ok()
        .and_then(|h| h.as_f64())
        .unwrap_or(f64::INFINITY);
    rect.bottom() > 0.0 && rect.top() < height
}

/// The run the charts show: the one streaming in, else the last whole one.
fn shown_trace(app: &AppState) -> Option<Arc<Trace>> {
    app.running
        .with_untracked(|r| r.as_ref().map(|r| r.trace.clone()))
        .or_else(|| app.trace.get_untracked())
}

/// A chart's legend: a swatch in the series' colour and style, and its name.
fn legend_html(spec: &charts::ChartSpec) -> String {
    let mut h = Html::new();
    let mut panel = String::new();
    for item in spec.legend() {
        if item.panel != panel && !item.panel.is_empty() {
            h.el("li", &[("class", "legend-panel")], &item.panel);
            panel = item.panel.clone();
        }
        let style = match item.style {
            LegendStyle::Line => "line",
            LegendStyle::Dashed => "dashed",
            LegendStyle::Threshold => "threshold",
            LegendStyle::Mark => "mark",
            LegendStyle::Triangle => "triangle",
            LegendStyle::Band => "band",
        };
        let class = format!("swatch {style}");
        let color = format!("--c: {}", item.color.css());
        h.open("li", &[])
            .el(
                "span",
                &[
                    ("class", &class),
                    ("style", &color),
                    ("aria-hidden", "true"),
                ],
                "",
            )
            .text(&item.label)
            .close("li");
    }
    h.finish()
}

fn draw_one(app: &AppState, slot: &ChartSlot) {
    let (Some(canvas), Some(trace)) = (slot.base.get_untracked(), shown_trace(app)) else {
        return;
    };
    let pinned = app.pinned.get_untracked();
    let imported = app.imported.get_untracked();
    let width = canvas.client_width().max(200) as usize;
    let inputs = Inputs {
        trace: &trace,
        pinned: pinned.as_deref(),
        imported: imported.as_deref(),
        theme: theme(app),
        buckets: width / 2,
        until_s: app.cutoff_s.get_untracked(),
    };
    let t0 = crate::dom::now_ms();
    let spec = slot.kind.build(&inputs, &app.service.get_untracked());
    // The legend in words, for screen readers and for tests.
    let words: Vec<String> = spec.legend().into_iter().map(|l| l.label).collect();
    let words = words.join("; ");
    // Only what changed: each DOM write costs the page a style pass, and a
    // drag redraws every chart many times with the same legend.
    if canvas.get_attribute("data-legend").as_deref() != Some(words.as_str()) {
        let _ = canvas.set_attribute("data-legend", &words);
        let _ = canvas.set_attribute("aria-label", &format!("{}: {words}", slot.kind.title));
    }
    let legend = legend_html(&spec);
    if slot.legend.with_untracked(|l| *l != legend) {
        slot.legend.set(legend);
    }
    let px = px(app);
    match charts::draw(&canvas, &spec, theme(app), px) {
        Ok(g) => {
            slot.geometry.set(g);
            if !canvas.has_attribute("data-ready") {
                let _ = canvas.set_attribute("data-ready", "true");
            }
        }
        Err(e) => leptos::logging::warn!("chart {} not drawn: {e}", slot.kind.id),
    }
    crate::dom::record_metric("chartMs", crate::dom::now_ms() - t0);
    if let Some(overlay) = slot.overlay.get_untracked() {
        charts::draw_overlay(
            &overlay,
            &slot.geometry.get_untracked(),
            app.scrub_s.get_untracked(),
            app.hover_s.get_untracked(),
            theme(app),
            px,
        );
    }
}

/// The charts a lesson step shows on its own page: those it names (the
/// memory chart when it names only panels).
fn lesson_kinds(all: Vec<&'static Chart>, highlights: &[String]) -> Vec<&'static Chart> {
    let named: Vec<&'static Chart> = all
        .iter()
        .copied()
        .filter(|k| highlights.iter().any(|h| h == k.highlight))
        .collect();
    if named.is_empty() {
        all.into_iter()
            .filter(|k| *k == registry::memory())
            .collect()
    } else {
        named
    }
}

#[component]
pub fn Charts(#[prop(optional)] only: Option<&'static Chart>) -> impl IntoView {
    let app = expect_context::<AppState>();
    let lessons = use_context::<crate::lesson::LessonState>();
    let kinds = Memo::new(move |_| {
        let all = app.scenario.with(registry::charts_for);
        match (only, lessons) {
            (Some(k), _) => vec![k],
            (None, Some(ls)) if ls.step_page() => lesson_kinds(all, &ls.highlights(&app)),
            (None, _) => all,
        }
    });
    // Only projector mode of the share state redraws: a slider's input
    // updates the rest (the link) before its run starts, and redrawing the
    // old run then is wasted work.
    let projector = Memo::new(move |_| app.share.with(|s| s.projector));
    let cutoff = move || {
        app.cutoff_s
            .get()
            .map(|c| format!("{c:.0}"))
            .unwrap_or_default()
    };
    let (streaming, streamed_until) = (move || streaming(app), move || streamed_until(app));
    view! {
        <section id="charts" class="charts" aria-label="Charts" data-drawn="0" data-cutoff=cutoff aria-busy=streaming data-streamed-until-s=streamed_until>
            {move || {
                let slots: Vec<ChartSlot> = kinds
                    .get()
                    .into_iter()
                    .map(|kind| ChartSlot {
                        kind,
                        base: NodeRef::new(),
                        overlay: NodeRef::new(),
                        geometry: RwSignal::new(Geometry::default()),
                        legend: RwSignal::new(String::new()),
                    })
                    .collect();
                let generation = Rc::new(Cell::new(0u64));
                let to_draw = slots.clone();
                // Redraw everything when the data, the theme, the size, the
                // followed service, the cutoff or projector mode change.
                crate::app::effect(move || {
                    app.trace.track();
                    app.running.track();
                    app.pinned.track();
                    app.imported.track();
                    app.dark.track();
                    app.layout.track();
                    app.service.track();
                    app.cutoff_s.track();
                    let _projector_mode = projector.get();
                    let mine = generation.get() + 1;
                    generation.set(mine);
                    let (slots, generation) = (to_draw.clone(), generation.clone());
                    // After the DOM has laid the canvases out, and in a task of
                    // its own: drawn inside the frame callback, a chart's
                    // milliseconds add to the frame's layout and paint.
                    crate::dom::yield_then(move || draw_all(app, slots, generation, mine));
                });
                slots.into_iter().map(|slot| view! { <Chart chart=slot /> }).collect_view()
            }}
        </section>
    }
}

/// The hover box: the moment, each row's value on the run on screen, and
/// on the pinned and imported runs when they are overlaid.
fn tooltip_rows(
    kind: &'static Chart,
    trace: &Trace,
    others: &[(&str, Option<&Trace>)],
    service: &str,
    t: f64,
) -> String {
    let at = SimTime::from_secs_f64(t);
    let mut h = Html::new();
    h.el("div", &[("class", "t")], &crate::format::clock(t));
    for (label, name, svc, unit) in kind.hover_rows(trace, service) {
        let value = |tr: &Trace| {
            value_at(tr, name, &svc, at)
                .map(|v| unit.format(v))
                .unwrap_or_else(|| "no data".into())
        };
        h.open("div", &[])
            .el("span", &[("class", "k")], label)
            .text(" ")
            .el("span", &[("class", "v")], &value(trace))
            .close("div");
        for (which, other) in others {
            if let Some(other) = other {
                h.open("div", &[("class", "other")])
                    .el("span", &[("class", "k")], &format!("{label} ({which})"))
                    .text(" ")
                    .el("span", &[("class", "v")], &value(other))
                    .close("div");
            }
        }
    }
    h.finish()
}

/// The overlay follows the scrub and the pointer.
fn follow_scrub_and_pointer(app: AppState, overlay: NodeRef<Canvas>, geometry: RwSignal<Geometry>) {
    crate::app::effect(move || {
        let scrub = app.scrub_s.get();
        let hover = app.hover_s.get();
        let g = geometry.get();
        app.dark.track();
        if let Some(canvas) = overlay.get() {
            charts::draw_overlay(&canvas, &g, scrub, hover, theme(&app), px(&app));
        }
    });
}

/// The plot's CSS height. The pods strip is as tall as its rows.
fn plot_height_css(app: AppState, kind: &'static Chart) -> String {
    let pods = kind.height_px == 0;
    let zoom = if app.share.with(|s| s.projector) {
        PROJECTOR_ZOOM
    } else {
        1.0
    };
    let css = if pods {
        let n = app
            .trace
            .with(|t| t.as_ref().map(|t| t.pods.len()).unwrap_or(2))
            .clamp(1, 30);
        (40 + n * 24) as f64
    } else {
        f64::from(kind.height_px)
    };
    format!("height: {:.0}px", css * zoom)
}

/// The hover box at the pointer's moment, while there is one.
fn tooltip_view(
    app: AppState,
    kind: &'static Chart,
    geometry: RwSignal<Geometry>,
) -> Option<impl IntoView> {
    let t = app.hover_s.get()?;
    app.running.track();
    app.trace.track();
    let trace = shown_trace(&app)?;
    let pinned = app.pinned.get();
    let imported = app.imported.get();
    let others = [("pinned", pinned.as_deref()), ("real", imported.as_deref())];
    let rows = tooltip_rows(kind, &trace, &others, &app.service.get(), t);
    let x = geometry.get_untracked().x_of(t);
    Some(
        view! { <div class="tooltip" style=format!("left: {x:.0}px") role="status" inner_html=rows></div> },
    )
}

fn download_png(app: AppState, kind: &'static Chart, base: NodeRef<Canvas>) {
    if let Some(c) = base.get_untracked() {
        let name = app.scenario.with_untracked(|s| s.name.clone());
        crate::dom::download_canvas(&c, &format!("{name}-{}.png", kind.id));
    }
}

/// The lesson's queries for this chart, in the learner's own tools.
fn queries_view(
    app: AppState,
    lessons: Option<crate::lesson::LessonState>,
    kind: &'static Chart,
) -> Option<impl IntoView> {
    let ls = lessons?;
    let cards = ls.queries.get();
    let service = app.service.get();
    let items: Vec<_> = app.scenario.with(|sc| {
        cards
            .iter()
            .filter(|c| c.chart == kind.id)
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
}

#[component]
fn Chart(chart: ChartSlot) -> impl IntoView {
    let slot = chart;
    let app = expect_context::<AppState>();
    let kind = slot.kind;
    let (base, overlay, geometry, legend) = (slot.base, slot.overlay, slot.geometry, slot.legend);
    follow_scrub_and_pointer(app, overlay, geometry);
    let height = move || plot_height_css(app, kind);
    // Hover never shows what a lesson holds back.
    let visible = move |t: f64| app.cutoff_s.get_untracked().is_none_or(|c| t <= c);
    let on_move = move |ev: leptos::ev::MouseEvent| {
        let t = geometry.get_untracked().t_of(ev.offset_x() as f64);
        app.hover_s.set(t.filter(|t| visible(*t)));
    };
    let on_click = move |ev: leptos::ev::MouseEvent| {
        if let Some(t) = geometry.get_untracked().t_of(ev.offset_x() as f64) {
            app.playing.set(false);
            app.scrub_to(t);
        }
    };
    let tooltip = move || tooltip_view(app, kind, geometry);
    let download = move |_| download_png(app, kind, base);
    let lessons = use_context::<crate::lesson::LessonState>();
    let highlighted = move || {
        lessons.is_some_and(|ls| {
            !ls.step_page() && ls.highlights(&app).iter().any(|h| h == kind.highlight)
        })
    };
    let queries = move || queries_view(app, lessons, kind);
    view! {
        <figure class="chart" class:highlight=highlighted data-chart=kind.id>
            <figcaption>
                <span class="title">{kind.title}</span>
                <button class="link" on:click=download title="Download this chart as PNG">"PNG"</button>
            </figcaption>
            <ul class="legend" inner_html=move || legend.get()></ul>
            <div class="plot" style=height on:mousemove=on_move on:mouseleave=move |_| app.hover_s.set(None) on:click=on_click>
                <canvas node_ref=base class="base" aria-label=kind.title role="img"></canvas>
                <canvas node_ref=overlay class="overlay" aria-hidden="true"></canvas>
                {tooltip}
            </div>
            <p class="hint">{kind.hint}</p>
            {queries}
        </figure>
    }
}
