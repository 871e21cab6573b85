//! The failure map: the scenario run over two parameters at once, one
//! whole run per cell, in Web Workers. Seed rows are marked on it; a cell
//! opens its run in the dashboard. Core decides the axes, the cells' text
//! and shade; this only paints them and dispatches clicks.

use crate::app::AppState;
use crate::html::Html;
use incident_core::sweep::map::{self, Map};
use incident_core::sweep::Cell;
use incident_core::Scenario;
use leptos::prelude::*;
use std::sync::Arc;

#[derive(Clone, Debug, PartialEq)]
enum Status {
    Idle,
    Running { started_ms: f64 },
    Done { ms: f64 },
}

#[derive(Clone, Copy)]
struct MapState {
    /// The axes as `--vary` texts.
    x: RwSignal<String>,
    y: RwSignal<String>,
    layer: RwSignal<usize>,
    map: RwSignal<Option<Arc<Map>>>,
    /// The scenario the map was drawn on.
    base: RwSignal<Option<Scenario>>,
    cells: RwSignal<Vec<Option<Cell>>>,
    status: RwSignal<Status>,
    error: RwSignal<Option<String>>,
    /// The runner's generation of the map this view started last.
    generation: StoredValue<u64>,
}

fn new_state(app: AppState) -> MapState {
    let wanted = app.share.with_untracked(|s| s.map.clone());
    let (x, y) = wanted
        .as_ref()
        .map(|m| (m.x.clone(), m.y.clone()))
        .or_else(|| app.scenario.with_untracked(|s| map::default_axes(s).ok()))
        .unwrap_or_default();
    MapState {
        x: RwSignal::new(x),
        y: RwSignal::new(y),
        layer: RwSignal::new(wanted.map_or(0, |m| m.layer)),
        map: RwSignal::new(None),
        base: RwSignal::new(None),
        cells: RwSignal::new(Vec::new()),
        status: RwSignal::new(Status::Idle),
        error: RwSignal::new(None),
        generation: StoredValue::new(0),
    }
}

/// Starts the map on the scenario as it is now.
fn draw(app: AppState, ms: MapState) {
    let scenario = app.scenario.get_untracked();
    let built = Map::new(&scenario, &ms.x.get_untracked(), &ms.y.get_untracked());
    let built = match built {
        Ok(m) => Arc::new(m),
        Err(e) => {
            ms.error.set(Some(e));
            return;
        }
    };
    ms.error.set(None);
    let grid = built.grid();
    let cells: Vec<Vec<(String, String)>> = (0..grid.cells()).map(|i| grid.sets(i)).collect();
    let total = cells.len();
    ms.cells.set(vec![None; total]);
    ms.map.set(Some(built.clone()));
    ms.base.set(Some(scenario.clone()));
    let started_ms = crate::dom::now_ms();
    ms.status.set(Status::Running { started_ms });
    remember(app, ms);
    // Cells are drawn in batches, at most every BATCH_MS, and the last at
    // once: a redraw per cell would make the page's own thread the
    // bottleneck on a slow machine.
    let arrived: Arrived = Default::default();
    // Plain cells, not reactive values: draw() may run inside an effect,
    // which disposes what it created each time it runs again.
    let landed = std::rc::Rc::new(std::cell::Cell::new(0usize));
    let generation =
        crate::map_runner::run(&scenario, cells, built.measures_text(), move |i, cell| {
            let first = arrived.borrow().is_empty();
            arrived.borrow_mut().push((i, cell));
            // The map may have left the page (a lesson's step page rebuilt):
            // then its values are gone and the cell is dropped.
            let last = landed.get() + arrived.borrow().len() == total;
            if first || last {
                let (arrived, landed) = (arrived.clone(), landed.clone());
                let wait = if last { 0 } else { BATCH_MS };
                set_timeout(
                    move || landed.set(land(ms, &arrived, started_ms)),
                    std::time::Duration::from_millis(wait),
                );
            }
        });
    ms.generation.set_value(generation);
}

/// Longest a finished cell waits to be drawn while the map is running.
const BATCH_MS: u64 = 150;

type Arrived = std::rc::Rc<std::cell::RefCell<Vec<(usize, Cell)>>>;

/// Draws the cells that have arrived; returns how many are drawn in all.
fn land(ms: MapState, arrived: &Arrived, started_ms: f64) -> usize {
    match ms.status.try_get_untracked() {
        Some(Status::Running { started_ms: s }) if s == started_ms => {}
        _ => return 0, // a newer map has started, or this one left the page
    }
    let batch = std::mem::take(&mut *arrived.borrow_mut());
    if batch.is_empty() {
        return ms
            .cells
            .with_untracked(|cs| cs.iter().filter(|c| c.is_some()).count());
    }
    ms.cells.update(|cs| {
        for (i, cell) in batch {
            if let Some(slot) = cs.get_mut(i) {
                *slot = Some(cell);
            }
        }
    });
    let drawn = ms
        .cells
        .with_untracked(|cs| cs.iter().filter(|c| c.is_some()).count());
    if drawn == ms.cells.with_untracked(Vec::len) {
        let elapsed = crate::dom::now_ms() - started_ms;
        crate::dom::record_metric("mapMs", elapsed);
        ms.status.set(Status::Done { ms: elapsed });
    }
    drawn
}

/// The map in the link, so it opens drawn.
fn remember(app: AppState, ms: MapState) {
    let wanted = crate::share_link::MapLink {
        x: ms.x.get_untracked(),
        y: ms.y.get_untracked(),
        layer: ms.layer.get_untracked(),
    };
    app.share.update(|s| s.map = Some(wanted));
}

/// Whether the scenario differs from the one the map was drawn on in
/// anything but the map's own two parameters.
fn stale(app: AppState, ms: MapState) -> bool {
    let (Some(m), Some(base)) = (ms.map.get(), ms.base.get()) else {
        return false;
    };
    app.scenario.with(|now| !m.still_fits(&base, now))
}

/// Opens cell `i`'s run in the dashboard: its two values applied.
fn open_cell(app: AppState, ms: MapState, i: usize) {
    let Some(sets) = ms
        .cells
        .with_untracked(|cs| cs.get(i).cloned().flatten().map(|c| c.sets))
    else {
        return;
    };
    for (path, value) in &sets {
        app.set_param(path, value);
    }
    if let Some(charts) = crate::dom::window()
        .document()
        .and_then(|d| d.get_element_by_id("charts"))
    {
        charts.scroll_into_view();
    }
}

fn number(cell: &Option<Cell>, layer: usize) -> Option<f64> {
    cell.as_ref()
        .and_then(|c| c.values.get(layer))
        .and_then(|v| v.as_ref()?.number())
}

/// The map as one HTML table: a row per value of `y`, a column per `x`.
fn table_html(h: &mut Html, m: &Map, cells: &[Option<Cell>], layer: usize, run_min: f64) {
    let (label, measure) = &m.layers[layer.min(m.layers.len() - 1)];
    let values: Vec<Option<f64>> = cells.iter().map(|c| number(c, layer)).collect();
    let shades = map::severities(measure, &values, run_min);
    h.open("table", &[("class", "map-grid"), ("data-layer", label)]);
    h.el("caption", &[], map::layer_heading(measure));
    h.open("thead", &[]).open("tr", &[]);
    h.el(
        "th",
        &[("scope", "col"), ("class", "corner")],
        &format!(
            "{} ↑ · {} →",
            map::axis_label(&m.y.path),
            map::axis_label(&m.x.path)
        ),
    );
    for x in &m.x.values {
        h.el("th", &[("scope", "col")], x);
    }
    h.close("tr").close("thead").open("tbody", &[]);
    for (row, y) in m.y.values.iter().enumerate().rev() {
        h.open("tr", &[]).el("th", &[("scope", "row")], y);
        for (column, x) in m.x.values.iter().enumerate() {
            let i = row * m.columns() + column;
            cell_html(
                h,
                m,
                cells.get(i).and_then(Option::as_ref),
                i,
                (x, y),
                values[i],
                shades[i],
                (measure, run_min),
            );
        }
        h.close("tr");
    }
    h.close("tbody").close("table");
}

#[allow(clippy::too_many_arguments)]
fn cell_html(
    h: &mut Html,
    m: &Map,
    cell: Option<&Cell>,
    i: usize,
    (x, y): (&str, &str),
    value: Option<f64>,
    shade: f64,
    (measure, run_min): (&incident_core::lesson::Measure, f64),
) {
    let mark = m
        .marks
        .iter()
        .position(|k| k.row * m.columns() + k.column == i);
    let class = match mark {
        Some(_) => "cell marked",
        None => "cell",
    };
    let index = i.to_string();
    let Some(cell) = cell else {
        h.open("td", &[("class", "cell pending")]).close("td");
        return;
    };
    let text = match &cell.problem {
        Some(_) => "!".to_string(),
        None => map::cell_text(measure.unit(), value),
    };
    let style = format!("--s:{shade:.3}");
    let label = format!(
        "{} {x}, {} {y}: {}{}. Open this run.",
        map::axis_label(&m.x.path),
        map::axis_label(&m.y.path),
        map::describe(measure, value, run_min),
        mark.map(|k| format!(" ({})", m.marks[k].label))
            .unwrap_or_default()
    );
    let title = cell.problem.clone().unwrap_or_else(|| label.clone());
    h.open(
        "td",
        &[
            ("class", class),
            ("style", &style),
            ("data-trace-hash", &cell.trace_hash),
        ],
    );
    h.open(
        "button",
        &[
            ("type", "button"),
            ("data-cell", &index),
            ("aria-label", &label),
            ("title", &title),
        ],
    );
    h.text(&text);
    if let Some(k) = mark {
        h.el("sup", &[], &(k + 1).to_string());
    }
    h.close("button").close("td");
}

fn status_text(ms: MapState) -> String {
    let done = ms
        .cells
        .with(|cs| cs.iter().filter(|c| c.is_some()).count());
    let total = ms.cells.with(Vec::len);
    let workers = crate::map_runner::worker_count();
    match ms.status.get() {
        Status::Idle => String::new(),
        Status::Running { .. } => format!("Running {done} of {total} runs on {workers} workers…"),
        Status::Done { ms } => {
            format!("{total} runs in {:.1} s on {workers} workers.", ms / 1000.0)
        }
    }
}

fn marks_html(h: &mut Html, m: &Map, cells: &[Option<Cell>], layer: usize, run_min: f64) {
    let (_, measure) = &m.layers[layer.min(m.layers.len() - 1)];
    if m.marks.is_empty() {
        return;
    }
    h.open("ol", &[("class", "map-marks")]);
    for mark in &m.marks {
        let i = mark.row * m.columns() + mark.column;
        let here = match cells.get(i).and_then(Option::as_ref) {
            Some(cell) if cell.problem.is_none() => format!(
                " Here, at {} {} and {} {}: {}.",
                map::axis_label(&m.x.path),
                m.x.values[mark.column],
                map::axis_label(&m.y.path),
                m.y.values[mark.row],
                map::describe(measure, number(&Some(cell.clone()), layer), run_min)
            ),
            _ => String::new(),
        };
        h.el("li", &[], &format!("{}.{here}", mark.label));
    }
    h.close("ol");
}

/// Whether a lesson's open question hides the map (it could answer it).
fn hidden_by_lesson(app: AppState, ls: crate::lesson::LessonState) -> bool {
    ls.open.with(|l| l.is_some()) && !ls.settled(&app)
}

/// Whether the open lesson step points at the map.
fn pointed_at(app: AppState, ls: crate::lesson::LessonState) -> bool {
    ls.open.with(|l| l.is_some()) && ls.highlights(&app).iter().any(|h| h == "map")
}

/// When the map draws by itself: a link that names one (once the page's
/// first run is in), and a lesson step that points at it (once its
/// question is answered). The map stops if its view leaves the page,
/// unless a newer view has started one since.
fn draw_by_itself(app: AppState, ls: crate::lesson::LessonState, ms: MapState) {
    on_cleanup(move || {
        if let Some(generation) = ms.generation.try_get_value() {
            crate::map_runner::cancel_if_current(generation);
        }
    });
    if app.share.with_untracked(|s| s.map.is_some()) {
        let started = RwSignal::new(false);
        crate::app::effect(move || {
            let run_in = app.trace.with(|t| t.is_some());
            if run_in && !started.get_untracked() && !hidden_by_lesson(app, ls) {
                started.set(true);
                draw(app, ms);
            }
        });
    }
    crate::app::effect(move || {
        let run_in = app.trace.with(|t| t.is_some());
        let wanted = pointed_at(app, ls) && !hidden_by_lesson(app, ls);
        if run_in && wanted && ms.map.with_untracked(Option::is_none) {
            draw(app, ms);
        }
    });
}

/// Another scenario (a preset, a file) starts from its own default map.
fn reset_on_new_scenario(app: AppState, ms: MapState, name: Memo<String>) {
    let shown_for = StoredValue::new(name.get_untracked());
    crate::app::effect(move || {
        let now = name.get();
        if shown_for.get_value() == now {
            return;
        }
        shown_for.set_value(now);
        crate::map_runner::cancel();
        if let Ok((x, y)) = app.scenario.with_untracked(map::default_axes) {
            ms.x.set(x);
            ms.y.set(y);
        }
        ms.map.set(None);
        ms.base.set(None);
        ms.cells.set(Vec::new());
        ms.status.set(Status::Idle);
    });
}

#[component]
pub fn FailureMap() -> impl IntoView {
    let app = expect_context::<AppState>();
    let ls = expect_context::<crate::lesson::LessonState>();
    let ms = new_state(app);
    draw_by_itself(app, ls, ms);
    let name = Memo::new(move |_| app.scenario.with(|s| s.name.clone()));
    reset_on_new_scenario(app, ms, name);
    // The selects follow the scenario's name, not every change of a value.
    let controls = move || {
        name.track();
        controls_html(app, ms)
    };
    let body = move || body_html(app, ms);
    let state = move || match ms.status.get() {
        Status::Idle => "idle",
        Status::Running { .. } => "running",
        Status::Done { .. } => "done",
    };
    let hidden = move || hidden_by_lesson(app, ls);
    let highlight = move || pointed_at(app, ls);
    // Plain HTML and two delegated handlers: a tree of reactive views for
    // a grid of buttons and three selects would add tens of KB to the wasm.
    view! {
        <section class="panel map" id="map" aria-labelledby="map-h" data-map-status=state class:hidden=hidden class:highlight=highlight>
            <h2 id="map-h">"Failure map"</h2>
            <p class="map-intro">"Every cell is a whole run of this scenario with two parameters changed, run in the background on every core this browser offers. Darker is worse. Click a cell to open its run."</p>
            <div class="map-controls" inner_html=controls on:change=move |ev| changed(app, ms, &ev) on:click=move |ev| {
                if crate::dom::clicked_attr(&ev, "data-draw").is_some() {
                    draw(app, ms);
                }
            }></div>
            <div inner_html=body on:click=move |ev| {
                if let Some(i) = crate::dom::clicked_attr(&ev, "data-cell").and_then(|v| v.parse().ok()) {
                    open_cell(app, ms, i);
                }
            }></div>
        </section>
    }
}

/// A select changed: an axis (to its default range) or the layer shown.
fn changed(app: AppState, ms: MapState, ev: &web_sys::Event) {
    let Some(select) = ev
        .target()
        .and_then(|t| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlSelectElement>(t).ok())
    else {
        return;
    };
    let value = select.value();
    match select.name().as_str() {
        "layer" => {
            if let Ok(i) = value.parse::<usize>() {
                ms.layer.set(i);
                if ms.map.get_untracked().is_some() {
                    remember(app, ms);
                }
            }
        }
        name @ ("x" | "y") => {
            let axis = if name == "x" { ms.x } else { ms.y };
            match app
                .scenario
                .with_untracked(|s| map::axis_default(s, &value))
            {
                Ok(text) => axis.set(text),
                Err(e) => ms.error.set(Some(e)),
            }
        }
        _ => {}
    }
}

fn path_of(axis: &str) -> &str {
    axis.split_once('=').map_or(axis, |(p, _)| p)
}

fn select_html(
    h: &mut Html,
    name: &'static str,
    label: &str,
    options: &[(String, String)],
    current: &str,
) {
    h.open("label", &[("class", "map-axis")]).text(label);
    h.open("select", &[("name", name)]);
    for (value, text) in options {
        let mut attrs: Vec<(&'static str, &str)> = vec![("value", value)];
        if value == current {
            attrs.push(("selected", ""));
        }
        h.el("option", &attrs, text);
    }
    h.close("select").close("label");
}

fn controls_html(app: AppState, ms: MapState) -> String {
    let choices: Vec<(String, String)> = app
        .scenario
        .with_untracked(map::axis_choices)
        .into_iter()
        .map(|p| (p.clone(), p))
        .collect();
    let layers: Vec<(String, String)> = app
        .scenario
        .with_untracked(|s| {
            incident_core::sweep::parse_measures(incident_core::sweep::DEFAULT_MEASURES, s)
        })
        .unwrap_or_default()
        .iter()
        .enumerate()
        .map(|(i, (_, m))| (i.to_string(), map::layer_heading(m).to_string()))
        .collect();
    let mut h = Html::new();
    select_html(&mut h, "x", "Across ", &choices, path_of(&ms.x.get()));
    select_html(&mut h, "y", "Up ", &choices, path_of(&ms.y.get()));
    select_html(
        &mut h,
        "layer",
        "Show ",
        &layers,
        &ms.layer.get().to_string(),
    );
    let label = if ms.map.with(Option::is_some) {
        "Draw again"
    } else {
        "Draw the map"
    };
    h.el(
        "button",
        &[("type", "button"), ("class", "map-draw"), ("data-draw", "")],
        label,
    );
    h.finish()
}

fn body_html(app: AppState, ms: MapState) -> String {
    let mut h = Html::new();
    if let Some(e) = ms.error.get() {
        h.el("p", &[("class", "map-error"), ("role", "alert")], &e);
    }
    let Some(m) = ms.map.get() else {
        return h.finish();
    };
    h.el("p", &[("class", "map-about")], &m.about);
    if stale(app, ms) {
        h.el(
            "p",
            &[("class", "map-stale")],
            "The scenario has changed since this map was drawn: draw it again to see the new one.",
        );
    }
    h.el(
        "p",
        &[("class", "map-status"), ("role", "status")],
        &status_text(ms),
    );
    let run_min = app.duration_s() / 60.0;
    let layer = ms.layer.get();
    ms.cells.with(|cs| {
        h.open("div", &[("class", "scroll")]);
        table_html(&mut h, &m, cs, layer, run_min);
        h.close("div");
        marks_html(&mut h, &m, cs, layer, run_min);
    });
    h.finish()
}
