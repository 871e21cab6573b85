//! Runs a failure map's cells in Web Workers, one per core the browser
//! offers. Each worker is the app's own wasm (the page sends it the module
//! it has compiled) and answers one cell, a whole run, at a time. Where a
//! worker cannot start, the cells run on this thread in slices instead,
//! so the map still fills in. A newer map supersedes an older one: the
//! older's answers are dropped and its remaining cells are never sent.

use incident_core::lesson::Measure;
use incident_core::sweep::map::read_cell_answer;
use incident_core::sweep::{parse_measures, Cell};
use incident_core::Scenario;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// Workers at most, whatever the browser offers: each holds a whole wasm
/// instance.
const MAX_WORKERS: usize = 8;
/// Cells a worker holds at once: the next is already there when it
/// finishes one, so a busy page never leaves it idle. A stale map costs at
/// most this many cells per worker.
const CELLS_IN_FLIGHT: usize = 2;
/// Cells per map in an id (`generation * CELL_IDS + index`).
const CELL_IDS: f64 = 65_536.0;

type OnCell = Rc<dyn Fn(usize, Cell)>;

struct Job {
    generation: u64,
    scenario: Scenario,
    scenario_json: String,
    cells: Vec<Vec<(String, String)>>,
    measures: String,
    next: usize,
    on_cell: OnCell,
}

struct Slot {
    worker: web_sys::Worker,
    ready: bool,
    in_flight: usize,
}

#[derive(Default)]
struct Pool {
    slots: Vec<Slot>,
    generation: u64,
    job: Option<Job>,
    /// Workers could not start: the cells run on this thread.
    on_this_thread: bool,
}

thread_local! {
    static POOL: RefCell<Pool> = RefCell::new(Pool::default());
    static FALLBACK: crate::runner::Runner = crate::runner::Runner::default();
}

/// Workers the map uses: the browser's cores, within `1..=MAX_WORKERS`.
pub fn worker_count() -> usize {
    let cores = crate::dom::window().navigator().hardware_concurrency();
    (cores as usize).clamp(1, MAX_WORKERS)
}

/// Runs every cell of a map (`cells[i]` are its overrides) and calls
/// `on_cell(i, cell)` as each finishes, in any order. Returns the map's
/// generation, for [`cancel_if_current`].
pub fn run(
    scenario: &Scenario,
    cells: Vec<Vec<(String, String)>>,
    measures: String,
    on_cell: impl Fn(usize, Cell) + 'static,
) -> u64 {
    assert!(cells.len() as f64 <= CELL_IDS, "{} cells", cells.len());
    let (generation, on_this_thread) = POOL.with(|p| {
        let mut pool = p.borrow_mut();
        pool.generation += 1;
        pool.job = Some(Job {
            generation: pool.generation,
            scenario: scenario.clone(),
            scenario_json: scenario.to_json(),
            cells,
            measures,
            next: 0,
            on_cell: Rc::new(on_cell),
        });
        if pool.slots.is_empty() && !pool.on_this_thread {
            pool.on_this_thread = !start_workers(&mut pool);
        }
        (pool.generation, pool.on_this_thread)
    });
    if on_this_thread {
        run_next_here();
    } else {
        dispatch();
    }
    generation
}

/// Stops map `generation` if no newer one has started since.
pub fn cancel_if_current(generation: u64) {
    if POOL.with(|p| p.borrow().generation) == generation {
        cancel();
    }
}

/// Stops the map in progress: nothing more is sent, answers are dropped.
pub fn cancel() {
    POOL.with(|p| {
        let mut pool = p.borrow_mut();
        pool.generation += 1;
        pool.job = None;
    });
    FALLBACK.with(|r| r.cancel());
}

/// The URL of the wasm-bindgen glue the page loaded (Trunk preloads it).
fn glue_url() -> Option<String> {
    let document = crate::dom::window().document()?;
    let link = document
        .query_selector("link[rel=modulepreload][href$='.js']")
        .ok()??;
    let href = link.get_attribute("href")?;
    let base = document.url().ok()?;
    web_sys::Url::new_with_base(&href, &base)
        .ok()
        .map(|u| u.href())
}

fn start_workers(pool: &mut Pool) -> bool {
    let Some(glue) = glue_url() else {
        return false;
    };
    let options = web_sys::WorkerOptions::new();
    options.set_type(web_sys::WorkerType::Module);
    for n in 0..worker_count() {
        let Ok(worker) = web_sys::Worker::new_with_options("assets/sweep-worker.js", &options)
        else {
            break;
        };
        let on_message =
            Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
                answered(n, e.data())
            });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        // The handler lives as long as the worker, which lives as long as the page.
        on_message.forget();
        let hello = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&hello, &"glue".into(), &glue.as_str().into());
        let _ = js_sys::Reflect::set(&hello, &"module".into(), &wasm_bindgen::module());
        if worker.post_message(&hello).is_err() {
            worker.terminate();
            break;
        }
        pool.slots.push(Slot {
            worker,
            ready: false,
            in_flight: 0,
        });
    }
    !pool.slots.is_empty()
}

fn field(data: &JsValue, key: &str) -> JsValue {
    js_sys::Reflect::get(data, &key.into()).unwrap_or(JsValue::UNDEFINED)
}

/// A worker's message: ready, failed to start, or a cell's answer.
fn answered(slot: usize, data: JsValue) {
    if field(&data, "failed").is_string() {
        workers_failed();
        return;
    }
    if let Some(ms) = field(&data, "ms").as_f64() {
        crate::dom::record_metric("mapCellMs", ms);
    }
    let id = field(&data, "id").as_f64();
    let answer = field(&data, "answer").as_string();
    let delivery = POOL.with(|p| {
        let mut pool = p.borrow_mut();
        let s = pool.slots.get_mut(slot)?;
        let (id, answer) = match (s.ready, id, answer) {
            (false, ..) => {
                s.ready = true;
                return None;
            }
            (true, Some(id), Some(answer)) => (id, answer),
            _ => return None,
        };
        s.in_flight = s.in_flight.saturating_sub(1);
        let job = pool.job.as_ref()?;
        let generation = (id / CELL_IDS).floor() as u64;
        let index = (id - generation as f64 * CELL_IDS) as usize;
        if generation != job.generation || index >= job.cells.len() {
            return None;
        }
        let cell = read_cell_answer(&answer, job.cells[index].clone());
        Some((job.on_cell.clone(), index, cell))
    });
    if let Some((on_cell, index, cell)) = delivery {
        on_cell(index, cell);
    }
    dispatch();
}

/// Sends the next cells to every idle worker.
fn dispatch() {
    POOL.with(|p| {
        let mut pool = p.borrow_mut();
        let Pool { slots, job, .. } = &mut *pool;
        let Some(job) = job.as_mut() else { return };
        for s in slots.iter_mut().filter(|s| s.ready) {
            while s.in_flight < CELLS_IN_FLIGHT && job.next < job.cells.len() {
                send(s, job);
            }
        }
    });
}

fn send(s: &mut Slot, job: &mut Job) {
    let index = job.next;
    job.next += 1;
    let message = js_sys::Object::new();
    let id = job.generation as f64 * CELL_IDS + index as f64;
    let _ = js_sys::Reflect::set(&message, &"id".into(), &id.into());
    let _ = js_sys::Reflect::set(&message, &"request".into(), &request(job, index).into());
    if s.worker.post_message(&message).is_ok() {
        s.in_flight += 1;
    }
}

fn request(job: &Job, index: usize) -> String {
    let sets: Vec<[&str; 2]> = job.cells[index]
        .iter()
        .map(|(p, v)| [p.as_str(), v.as_str()])
        .collect();
    // The core's own JSON writer: serde_json's would add a second to the wasm.
    incident_core::json::to_compact(&serde_json::json!({
        "scenario": job.scenario_json, "sets": sets, "measures": job.measures
    }))
}

/// A worker could not load the wasm: every worker goes, and what is left
/// of the map (the cells in flight included) runs on this thread.
fn workers_failed() {
    let resume = POOL.with(|p| {
        let mut pool = p.borrow_mut();
        for s in pool.slots.drain(..) {
            s.worker.terminate();
        }
        pool.on_this_thread = true;
        if let Some(job) = pool.job.as_mut() {
            job.next = 0;
            return true;
        }
        false
    });
    crate::dom::record_metric("mapWorkersFailed", 1.0);
    if resume {
        run_next_here();
    }
}

/// The next cell on this thread, in the runner's slices.
fn run_next_here() {
    let next = POOL.with(|p| {
        let mut pool = p.borrow_mut();
        let job = pool.job.as_mut()?;
        if job.next >= job.cells.len() {
            return None;
        }
        let index = job.next;
        job.next += 1;
        let measures: Vec<Measure> = parse_measures(&job.measures, &job.scenario)
            .ok()?
            .into_iter()
            .map(|(_, m)| m)
            .collect();
        Some((
            job.generation,
            index,
            job.scenario.clone(),
            job.cells[index].clone(),
            measures,
        ))
    });
    let Some((generation, index, mut scenario, sets, measures)) = next else {
        return;
    };
    if let Err(problems) = incident_core::scenario::apply_sets(&mut scenario, &sets) {
        let cell = Cell {
            sets,
            trace_hash: String::new(),
            values: vec![None; measures.len()],
            problem: Some(problems.to_string()),
        };
        deliver_here(generation, index, cell);
        return;
    }
    FALLBACK.with(|r| {
        r.start(
            &scenario,
            |_| {},
            move |trace, _| {
                let values = measures.iter().map(|m| m.evaluate(&trace)).collect();
                let cell = Cell {
                    sets,
                    trace_hash: trace.summary.trace_hash.clone(),
                    values,
                    problem: None,
                };
                deliver_here(generation, index, cell);
            },
        )
    });
}

fn deliver_here(generation: u64, index: usize, cell: Cell) {
    let on_cell = POOL.with(|p| {
        let pool = p.borrow();
        let job = pool.job.as_ref()?;
        (job.generation == generation).then(|| job.on_cell.clone())
    });
    if let Some(on_cell) = on_cell {
        on_cell(index, cell);
        run_next_here();
    }
}
