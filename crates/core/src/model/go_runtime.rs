//! The Go runtime's memory and collector, at the level the Go GC guide
//! explains them.
//!
//! * The pacer's heap goal is `live + (live + stacks + globals) · GOGC/100`
//!   (stacks count since Go 1.18), never below `4 MiB · GOGC/100`.
//! * GOMEMLIMIT caps the goal at the limit less everything the runtime has
//!   mapped that is not heap (stacks, the stacks of exited goroutines until
//!   the next cycle frees their spans, runtime metadata, thread stacks) and
//!   less a headroom of 3 % (at least 1 MiB), never below the heap marked
//!   live (`memoryLimitHeapGoal`, runtime/mgcpacer.go). As goroutines pile
//!   up the goal falls, and the collector runs more and more often.
//! * The GC CPU limiter keeps collection near 50 % of GOMAXPROCS: beyond it
//!   the heap overshoots its goal instead ("GC can't keep up").
//! * Freed pages stay resident until the scavenger returns what exceeds
//!   about 110 % of the goal, or what takes the runtime's mapped memory past
//!   95 % of the limit (runtime/mgcscavenge.go).
//!
//! Simplifications, stated: a collection completes at the moment it starts
//! (its mark phase is remembered only to slow overlapping requests);
//! allocation is charged in lumps at request and delivery events.

use crate::scenario::GoSpec;
use crate::units::{SimTime, MIB};

/// The minimum total heap goal at GOGC=100 (`heapMinimum`).
const HEAP_MINIMUM: f64 = (4 * MIB) as f64;
/// Background mark workers use a quarter of GOMAXPROCS.
const BACKGROUND_MARK_SHARE: f64 = 0.25;
/// The GC CPU limiter's ceiling.
const GC_CPU_LIMIT: f64 = 0.5;
/// The scavenger retains up to this multiple of the heap goal.
const SCAVENGE_RETAIN: f64 = 1.1;
/// Under a memory limit it keeps mapped memory under 95 % of it.
const SCAVENGE_LIMIT_SHARE: f64 = 0.95;
/// `memoryLimitHeapGoalHeadroomPercent` and its 1 MiB floor.
const LIMIT_HEADROOM_SHARE: f64 = 0.03;
const LIMIT_HEADROOM_MIN: f64 = MIB as f64;
/// `forcegcperiod`: an idle program still collects every two minutes.
const FORCED_GC_PERIOD: SimTime = SimTime::from_secs(120);
/// Time constant of the GC CPU utilization average.
const GC_UTIL_TAU_S: f64 = 10.0;

#[derive(Clone, Debug)]
pub struct GoHeap {
    gogc: f64,
    memory_limit: Option<f64>,
    procs: f64,
    globals: f64,
    /// Resident runtime memory beside heap and stacks.
    overhead: f64,
    /// Runtime memory the limit counts but that is mostly never touched.
    metadata: f64,
    mark_rate: f64,
    /// Reachable heap.
    pub live: f64,
    /// Live plus garbage not yet collected (`HeapAlloc`).
    pub in_use: f64,
    /// Heap pages resident in RAM (in use, free or not yet scavenged).
    pub resident: f64,
    /// Goroutine stacks, in use.
    pub stacks: f64,
    /// Stacks of exited goroutines: cached for new goroutines, and given
    /// back to the heap's free pages only by the next collection.
    pub dead_stacks: f64,
    pub goroutines: u64,
    /// The most goroutines ever alive: their descriptors stay on the heap.
    pub peak_goroutines: u64,
    descriptor: f64,
    gogc_goal: f64,
    pub gc_count: u64,
    pub gc_cpu_seconds: f64,
    last_gc: SimTime,
    next_gc_allowed: SimTime,
    mark_end: SimTime,
    /// Exponentially decayed GC CPU seconds, for the utilization estimate.
    recent_gc_cpu: f64,
    recent_at: SimTime,
}

/// What an allocation asks of the engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GcOutcome {
    /// Nothing to do.
    None,
    /// A collection ran.
    Collected,
    /// The goal is exceeded but the CPU limiter defers the collection to this time.
    DeferredUntil(SimTime),
}

impl GoHeap {
    pub fn new(spec: &GoSpec, now: SimTime) -> GoHeap {
        let goroutines = spec.baseline_goroutines as u64;
        let stacks = goroutines as f64 * spec.baseline_stack.as_f64();
        let mut heap = GoHeap {
            gogc: spec.gogc as f64,
            memory_limit: spec.gomemlimit.map(|b| b.as_f64()),
            procs: spec.gomaxprocs.max(1) as f64,
            globals: spec.globals.as_f64(),
            overhead: spec.runtime_overhead.as_f64(),
            metadata: spec.runtime_metadata.as_f64(),
            mark_rate: spec.mark_bytes_per_cpu_s.as_f64().max(1.0),
            live: spec.baseline_live_heap.as_f64(),
            in_use: spec.baseline_live_heap.as_f64(),
            resident: spec.baseline_live_heap.as_f64(),
            stacks,
            dead_stacks: 0.0,
            goroutines,
            peak_goroutines: goroutines,
            descriptor: spec.goroutine_descriptor.as_f64(),
            gogc_goal: 0.0,
            gc_count: 0,
            gc_cpu_seconds: 0.0,
            last_gc: now,
            next_gc_allowed: now,
            mark_end: now,
            recent_gc_cpu: 0.0,
            recent_at: now,
        };
        heap.gogc_goal = heap.compute_gogc_goal();
        heap
    }

    /// The runtime's resident memory: heap pages, stacks and overhead.
    pub fn total(&self) -> f64 {
        self.resident + self.stacks + self.dead_stacks + self.overhead
    }

    /// What GOMEMLIMIT counts beside the heap's own pages.
    fn non_heap(&self) -> f64 {
        self.stacks + self.dead_stacks + self.overhead + self.metadata
    }

    /// The heap goal the memory limit leaves (`memoryLimitHeapGoal`).
    fn limit_goal(&self, limit: f64) -> f64 {
        let room = (limit - self.non_heap()).max(0.0);
        let headroom = (room * LIMIT_HEADROOM_SHARE).max(LIMIT_HEADROOM_MIN);
        if room - headroom < headroom {
            headroom
        } else {
            room - headroom
        }
    }

    /// The GOGC goal, fixed at the end of each cycle from what it marked.
    fn compute_gogc_goal(&self) -> f64 {
        if self.gogc > 0.0 {
            let scan = self.live + self.stacks + self.globals;
            (self.live + scan * self.gogc / 100.0).max(HEAP_MINIMUM * self.gogc / 100.0)
        } else {
            f64::INFINITY
        }
    }

    /// The goal the trigger compares against now: the GOGC goal, capped by
    /// what the memory limit leaves after today's non-heap memory (the
    /// runtime re-reads it continuously, not once per cycle).
    fn effective_goal(&self) -> f64 {
        let limit_goal = match self.memory_limit {
            Some(limit) => self.limit_goal(limit),
            None => f64::INFINITY,
        };
        let goal = self.gogc_goal.min(limit_goal);
        if goal.is_finite() {
            goal.max(self.live)
        } else {
            // GOGC=off without a limit: the heap only grows.
            f64::MAX
        }
    }

    /// The current heap goal (`go.memory.gc.goal`).
    pub fn goal(&self) -> f64 {
        self.effective_goal()
    }

    /// Garbage allocated (and immediately unreachable once the request ends).
    pub fn allocate_garbage(&mut self, bytes: f64, now: SimTime) -> GcOutcome {
        self.in_use += bytes;
        self.resident = self.resident.max(self.in_use);
        self.maybe_collect(now)
    }

    /// Heap that stays reachable until `release_live` is called.
    pub fn allocate_live(&mut self, bytes: f64, now: SimTime) -> GcOutcome {
        self.live += bytes;
        self.allocate_garbage(bytes, now)
    }

    /// Reachable heap becomes garbage (the next collection frees it).
    pub fn release_live(&mut self, bytes: f64) {
        self.live = (self.live - bytes).max(0.0);
    }

    /// New stacks come from the cache of exited goroutines' stacks first,
    /// then from free heap pages; only the rest is new resident memory.
    pub fn spawn_goroutines(&mut self, count: u64, stack_bytes: f64) {
        let bytes = count as f64 * stack_bytes;
        let cached = self.dead_stacks.min(bytes);
        self.dead_stacks -= cached;
        let free = (self.resident - self.in_use).max(0.0);
        self.resident -= free.min(bytes - cached);
        self.goroutines += count;
        self.stacks += bytes;
        if self.goroutines > self.peak_goroutines {
            // New descriptors: live heap for good (`allgs` never shrinks).
            let added = (self.goroutines - self.peak_goroutines) as f64 * self.descriptor;
            self.peak_goroutines = self.goroutines;
            self.live += added;
            self.in_use += added;
            self.resident = self.resident.max(self.in_use);
        }
    }

    /// Exited goroutines' stacks go to the stack cache: still resident,
    /// still counted against the limit, until the next collection frees
    /// their spans into the heap's free pages.
    pub fn exit_goroutines(&mut self, count: u64, stack_bytes: f64) {
        let count = count.min(self.goroutines);
        self.goroutines -= count;
        let freed = (count as f64 * stack_bytes).min(self.stacks);
        self.stacks -= freed;
        self.dead_stacks += freed;
    }

    pub fn maybe_collect(&mut self, now: SimTime) -> GcOutcome {
        let due = self.in_use >= self.effective_goal()
            || now.saturating_sub(self.last_gc) >= FORCED_GC_PERIOD;
        if !due {
            return GcOutcome::None;
        }
        if now < self.next_gc_allowed {
            return GcOutcome::DeferredUntil(self.next_gc_allowed);
        }
        self.collect(now);
        GcOutcome::Collected
    }

    /// One full cycle: mark what is live, free the rest, set the next goal.
    pub fn collect(&mut self, now: SimTime) {
        let scan = self.live + self.stacks + self.globals;
        let cpu_seconds = scan / self.mark_rate;
        let mark_wall = cpu_seconds / (BACKGROUND_MARK_SHARE * self.procs);
        self.gc_count += 1;
        self.gc_cpu_seconds += cpu_seconds;
        self.recent_gc_cpu = self.recent_gc_cpu_at(now) + cpu_seconds;
        self.recent_at = now;
        self.last_gc = now;
        self.mark_end = now + SimTime::from_secs_f64(mark_wall);
        self.next_gc_allowed =
            now + SimTime::from_secs_f64(cpu_seconds / (GC_CPU_LIMIT * self.procs));
        self.in_use = self.live;
        // Cached stacks of exited goroutines go back to the heap's pages.
        self.resident += self.dead_stacks;
        self.dead_stacks = 0.0;
        self.gogc_goal = self.compute_gogc_goal();
        self.scavenge();
        debug_assert!(self.resident >= self.in_use && self.in_use >= self.live);
    }

    /// Keep about 110 % of the goal, and mapped memory under 95 % of the limit.
    fn scavenge(&mut self) {
        let mut retain = self.effective_goal() * SCAVENGE_RETAIN;
        if let Some(limit) = self.memory_limit {
            retain = retain.min(limit * SCAVENGE_LIMIT_SHARE - self.non_heap());
        }
        self.resident = self.resident.min(retain.max(self.in_use)).max(self.in_use);
    }

    /// The decayed GC CPU seconds at `now`. Reading it changes nothing, so
    /// how often a run is sampled cannot change the run.
    fn recent_gc_cpu_at(&self, now: SimTime) -> f64 {
        let dt = now.saturating_sub(self.recent_at).as_secs_f64();
        self.recent_gc_cpu * libm::exp(-dt / GC_UTIL_TAU_S)
    }

    /// Fraction of GOMAXPROCS spent collecting, recently (0..0.5).
    pub fn gc_utilization(&self, now: SimTime) -> f64 {
        (self.recent_gc_cpu_at(now) / (GC_UTIL_TAU_S * self.procs)).min(GC_CPU_LIMIT)
    }

    /// How much slower the program's own work runs: the collector takes
    /// its share of CPU, and a request that meets a mark phase assists it.
    pub fn mutator_slowdown(&self, now: SimTime) -> (f64, SimTime) {
        let util = self.gc_utilization(now);
        let factor = 1.0 / (1.0 - util);
        let assist = if now < self.mark_end {
            SimTime((self.mark_end.0 - now.0) / 2)
        } else {
            SimTime::ZERO
        };
        (factor, assist)
    }

    pub fn next_forced_gc(&self) -> SimTime {
        self.last_gc + FORCED_GC_PERIOD
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::units::{Bytes, KIB};

    const M: f64 = MIB as f64;

    fn spec(limit: Option<u64>) -> GoSpec {
        GoSpec {
            gomemlimit: limit.map(Bytes),
            baseline_live_heap: Bytes(MIB),
            baseline_goroutines: 4,
            baseline_stack: Bytes(8 * KIB),
            runtime_overhead: Bytes(MIB / 2),
            globals: Bytes(64 * KIB),
            ..GoSpec::default()
        }
    }

    #[test]
    fn goal_has_the_four_mib_floor_and_counts_stacks() {
        let mut h = GoHeap::new(&spec(None), SimTime::ZERO);
        assert_eq!(h.goal(), 4.0 * M);
        h.spawn_goroutines(2000, 2150.0);
        h.allocate_live(2000.0 * 512.0, SimTime::ZERO);
        h.collect(SimTime::from_secs(1));
        let scan = h.live + h.stacks + 64.0 * KIB as f64;
        assert!((h.goal() - (h.live + scan)).abs() < 1.0);
        assert!(h.goal() > 4.0 * M);
    }

    #[test]
    fn gomemlimit_clamps_the_goal_and_gc_runs_more_often() {
        let limit = 16 * MIB;
        let mut unlimited = GoHeap::new(&spec(None), SimTime::ZERO);
        let mut limited = GoHeap::new(&spec(Some(limit)), SimTime::ZERO);
        for h in [&mut unlimited, &mut limited] {
            h.spawn_goroutines(3000, 2150.0);
            h.allocate_live(3000.0 * 512.0, SimTime::ZERO);
            h.collect(SimTime::ZERO);
        }
        assert!(limited.goal() < unlimited.goal());
        assert!(limited.goal() <= limit as f64 - limited.stacks - 0.5 * M + 1.0);
        let run = |h: &mut GoHeap| {
            let start = h.gc_count;
            let mut t = SimTime::from_secs(1);
            for _ in 0..2000 {
                h.allocate_garbage(64.0 * KIB as f64, t);
                t = t + SimTime::from_millis(10);
            }
            h.gc_count - start
        };
        let gcs_unlimited = run(&mut unlimited);
        let gcs_limited = run(&mut limited);
        assert!(
            gcs_limited > gcs_unlimited,
            "{gcs_limited} vs {gcs_unlimited}"
        );
    }

    #[test]
    fn total_memory_stays_near_the_limit_while_live_fits() {
        let limit = 16 * MIB;
        let mut h = GoHeap::new(&spec(Some(limit)), SimTime::ZERO);
        let mut t = SimTime::ZERO;
        for _ in 0..5000 {
            h.allocate_garbage(32.0 * KIB as f64, t);
            t = t + SimTime::from_millis(20);
        }
        assert!(h.total() <= limit as f64 * 1.02, "{}", h.total() / M);
    }

    #[test]
    fn the_limiter_lets_the_heap_overshoot_when_live_exceeds_the_limit() {
        let limit = 8 * MIB;
        let mut h = GoHeap::new(&spec(Some(limit)), SimTime::ZERO);
        h.spawn_goroutines(2000, 2150.0);
        h.allocate_live(7.0 * M, SimTime::ZERO);
        let mut deferred = 0;
        let mut t = SimTime::from_secs(1);
        for _ in 0..200 {
            if let GcOutcome::DeferredUntil(_) = h.allocate_garbage(16.0 * KIB as f64, t) {
                deferred += 1;
            }
            t = t + SimTime::from_millis(1);
        }
        assert!(deferred > 0);
        assert!(h.total() > limit as f64);
        assert!(h.gc_utilization(t) <= 0.5);
    }

    #[test]
    fn new_stacks_reuse_freed_pages() {
        let mut h = GoHeap::new(&spec(None), SimTime::ZERO);
        h.spawn_goroutines(2000, 2150.0);
        let peak = h.total();
        for _ in 0..10 {
            h.exit_goroutines(2000, 2150.0);
            h.spawn_goroutines(2000, 2150.0);
        }
        assert!(
            (h.total() - peak).abs() < 1.0,
            "bursts reuse the same pages"
        );
    }

    #[test]
    fn exited_stacks_stay_resident_until_scavenged() {
        let mut h = GoHeap::new(&spec(None), SimTime::ZERO);
        h.spawn_goroutines(2000, 2150.0);
        let before = h.total();
        h.exit_goroutines(2000, 2150.0);
        assert!(
            (h.total() - before).abs() < 1.0,
            "freed stacks are still resident"
        );
        h.collect(SimTime::from_secs(1));
        assert!(h.total() < before);
    }

    #[test]
    fn the_limit_goal_leaves_room_for_everything_that_is_not_heap() {
        let limit = 16.0 * M;
        let mut h = GoHeap::new(
            &GoSpec {
                runtime_metadata: Bytes(3 * MIB),
                // Enough live heap that the limit, not GOGC, sets the goal.
                baseline_live_heap: Bytes(6 * MIB),
                ..spec(Some(16 * MIB))
            },
            SimTime::ZERO,
        );
        // Idle: the limit less stacks, overhead and metadata, less the
        // 1 MiB headroom floor (3 % of 12.5 MiB is less).
        let non_heap = 4.0 * 8.0 * KIB as f64 + 0.5 * M + 3.0 * M;
        assert!(
            (h.goal() - (limit - non_heap - M)).abs() < 1.0,
            "{}",
            h.goal() / M
        );
        // Goroutines pile up: the goal falls with their stacks.
        let idle_goal = h.goal();
        h.spawn_goroutines(1000, 2048.0);
        assert!((idle_goal - h.goal() - 1000.0 * 2048.0).abs() < 1.0);
        // Exited stacks still count until a collection frees their spans.
        let piled_goal = h.goal();
        h.exit_goroutines(1000, 2048.0);
        assert_eq!(h.goal(), piled_goal);
        h.collect(SimTime::from_secs(1));
        assert!(h.goal() > piled_goal);
        assert_eq!(h.dead_stacks, 0.0);
    }

    #[test]
    fn the_scavenger_keeps_mapped_memory_under_95_percent_of_the_limit() {
        let limit = 16 * MIB;
        let mut h = GoHeap::new(&spec(Some(limit)), SimTime::ZERO);
        let mut t = SimTime::ZERO;
        for round in 0..200 {
            h.spawn_goroutines(10, 2048.0);
            h.allocate_garbage(256.0 * KIB as f64, t);
            if round % 10 == 0 {
                h.collect(t);
                let mapped = h.resident + h.non_heap();
                assert!(mapped <= 0.95 * limit as f64 + 1.0, "{}", mapped / M);
            }
            t = t + SimTime::from_millis(100);
        }
    }

    #[test]
    fn reading_the_gc_load_changes_nothing() {
        let mut h = GoHeap::new(&spec(Some(16 * MIB)), SimTime::ZERO);
        h.allocate_live(6.0 * M, SimTime::ZERO);
        h.collect(SimTime::from_secs(1));
        let before = h.clone();
        for ms in [1100, 1500, 4000] {
            let _ = h.gc_utilization(SimTime::from_millis(ms));
            let _ = h.mutator_slowdown(SimTime::from_millis(ms));
        }
        assert_eq!(h.recent_gc_cpu, before.recent_gc_cpu);
        assert_eq!(h.recent_at, before.recent_at);
    }
}
