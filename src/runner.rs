//! Runs the simulation in slices of a few milliseconds, yielding to the
//! browser between them, so a long scenario never blocks the page. A newer
//! run supersedes an older one: the older stops at its next slice. A
//! streaming run hands out the run so far after a short first slice and
//! then every few hundred milliseconds, so its first part is on screen at
//! once and the rest streams in.

use incident_core::engine::World;
use incident_core::{Scenario, Trace};
use std::cell::{Cell, RefCell};
use std::rc::Rc;

/// Time one slice may take before it yields, once the page is up (see
/// `dom::slice_ms`): under the 50 ms a task may take before it is a long
/// task, and long enough that the frames between slices (style, layout and
/// paint of the whole page) do not cost more than the slices themselves.
const SLICE_MS: f64 = 25.0;
/// A run shows its progress only once it has taken this long: a short run's
/// bar would only flash, and every update re-lays the page out.
const PROGRESS_AFTER_MS: f64 = 150.0;
/// Events between clock checks.
const CHUNK: u64 = 2_000;
/// A streaming run's first slice: short, so the first part of the run is
/// drawn within a frame or two of the change.
const FIRST_SLICE_MS: f64 = 8.0;
/// Time between the later snapshots of a streaming run: each costs a draw of
/// the charts in view and a frame, which a run that redrew after every
/// slice would pay many times over.
const PARTIAL_EVERY_MS: f64 = 200.0;

#[derive(Clone, Default)]
pub struct Runner {
    generation: Rc<Cell<u64>>,
    /// Background work (the gallery's headlines) keeps the load's short
    /// slices: it must never hold the thread while the learner may act.
    background: bool,
}

impl Runner {
    pub fn background() -> Runner {
        Runner {
            background: true,
            ..Runner::default()
        }
    }

    /// Starts a run; `progress` gets 0..1 between slices, `done` the trace
    /// and the wall time it took in milliseconds.
    pub fn start(
        &self,
        scenario: &Scenario,
        progress: impl Fn(f64) + 'static,
        done: impl FnOnce(Trace, f64) + 'static,
    ) {
        self.begin(scenario, Rc::new(progress), None, Box::new(done));
    }

    /// As `start`, and `partial` gets the run so far (a partial trace)
    /// after the first slice and then every `PARTIAL_EVERY_MS`, until the
    /// run is done or superseded.
    pub fn start_streaming(
        &self,
        scenario: &Scenario,
        progress: impl Fn(f64) + 'static,
        partial: impl Fn(Trace) + 'static,
        done: impl FnOnce(Trace, f64) + 'static,
    ) {
        let partial: Rc<dyn Fn(Trace)> = Rc::new(partial);
        self.begin(scenario, Rc::new(progress), Some(partial), Box::new(done));
    }

    fn begin(
        &self,
        scenario: &Scenario,
        progress: Rc<dyn Fn(f64)>,
        partial: Option<Rc<dyn Fn(Trace)>>,
        done: Box<dyn FnOnce(Trace, f64)>,
    ) {
        let generation = self.generation.get() + 1;
        self.generation.set(generation);
        let world = Rc::new(RefCell::new(Some(World::new(scenario))));
        let current = self.generation.clone();
        let started = crate::dom::now_ms();
        // Boxed: one copy of the slicing code for every caller.
        let done: Done = Rc::new(RefCell::new(Some(done)));
        let run = Run {
            world,
            current,
            generation,
            started,
            background: self.background,
            partial,
            last_partial_ms: None,
        };
        // The first slice runs in its own task, so the input event that
        // started the run returns at once.
        crate::dom::yield_then(move || slice(run, progress, done));
    }

    pub fn cancel(&self) {
        self.generation.set(self.generation.get() + 1);
    }
}

type Done = Rc<RefCell<Option<Box<dyn FnOnce(Trace, f64)>>>>;

/// One run in progress, handed from slice to slice.
struct Run {
    world: Rc<RefCell<Option<World>>>,
    current: Rc<Cell<u64>>,
    generation: u64,
    started: f64,
    background: bool,
    partial: Option<Rc<dyn Fn(Trace)>>,
    /// When the last snapshot was handed out; `None` before the first.
    last_partial_ms: Option<f64>,
}

impl Run {
    fn stale(&self) -> bool {
        self.current.get() != self.generation
    }

    fn slice_ms(&self) -> f64 {
        if self.background {
            crate::dom::LOAD_SLICE_MS
        } else if self.streams() && self.last_partial_ms.is_none() {
            FIRST_SLICE_MS
        } else {
            crate::dom::slice_ms(SLICE_MS)
        }
    }

    /// Whether this run hands out snapshots. The page's first run is drawn
    /// whole: while the page loads, every draw adds to the work of the load
    /// (Lighthouse's mobile run scales it 4x), and nothing is on screen to
    /// replace yet.
    fn streams(&self) -> bool {
        self.partial.is_some() && crate::dom::first_screen_drawn()
    }

    /// Hands out the run so far when it is time (after the first slice,
    /// then every `PARTIAL_EVERY_MS`); true when it did.
    fn maybe_partial(&mut self) -> bool {
        let Some(partial) = self.partial.clone().filter(|_| self.streams()) else {
            return false;
        };
        let now = crate::dom::now_ms();
        if self
            .last_partial_ms
            .is_some_and(|last| now - last < PARTIAL_EVERY_MS)
        {
            return false;
        }
        let snapshot = self.world.borrow().as_ref().map(World::snapshot);
        if let Some(trace) = snapshot {
            debug_assert!(trace.summary.partial);
            partial(trace);
        }
        self.last_partial_ms = Some(crate::dom::now_ms());
        true
    }
}

fn slice(mut run: Run, progress: Rc<dyn Fn(f64)>, done: Done) {
    if run.stale() {
        return;
    }
    let begin = crate::dom::now_ms();
    let slice_ms = run.slice_ms();
    let finished = {
        let mut guard = run.world.borrow_mut();
        let Some(w) = guard.as_mut() else { return };
        loop {
            if w.advance(CHUNK) {
                break true;
            }
            if crate::dom::now_ms() - begin > slice_ms {
                break false;
            }
        }
    };
    if finished {
        // Building the trace and drawing it get a task of their own, so no
        // task holds both a full slice and that work.
        crate::dom::yield_then(move || finish(run, done));
        return;
    }
    if crate::dom::now_ms() - run.started > PROGRESS_AFTER_MS {
        let p = run
            .world
            .borrow()
            .as_ref()
            .map(|w| w.progress())
            .unwrap_or(1.0);
        progress(p);
    }
    if run.maybe_partial() {
        // The snapshot's charts are drawn in a task that the effects post
        // once this one ends; hop once so the next slice queues behind it
        // and the first part reaches the screen before the rest is run.
        crate::dom::yield_then(move || crate::dom::yield_then(move || slice(run, progress, done)));
        return;
    }
    crate::dom::yield_then(move || slice(run, progress, done));
}

fn finish(run: Run, done: Done) {
    if run.stale() {
        return;
    }
    let t0 = crate::dom::now_ms();
    let Some(w) = run.world.borrow_mut().take() else {
        return;
    };
    let trace = w.into_trace();
    crate::dom::record_metric("traceMs", crate::dom::now_ms() - t0);
    if let Some(d) = done.borrow_mut().take() {
        d(trace, crate::dom::now_ms() - run.started);
    }
}
