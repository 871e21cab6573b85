//! The kernel: the clock, the event queue, the seeded random streams, the
//! event log and the recorder — what every subsystem schedules on and writes
//! to (as dslab-core's simulation owns clock, queue and RNG). The handlers
//! live in the subsystems; the one dispatch is in `mod.rs`.

use super::Ev;
use crate::queue::EventQueue;
use crate::rng::{Rng, Stream};
use crate::telemetry::{EventLog, Recorder};
use crate::units::SimTime;

/// Pending events: far above any preset's need; a runaway model stops cleanly.
const MAX_PENDING_EVENTS: usize = 4_000_000;
/// Events processed in one run, at most.
pub const MAX_EVENTS: u64 = 200_000_000;

/// Event-queue lanes for fixed-delay timers: they queue in time order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Lane {
    ClientTimeout = 0,
    Connect = 1,
    Deadline = 2,
}

/// One random stream per subsystem, so adding a draw to one model does not
/// reshuffle the others. Each Locust user has its own (`Rng::for_user`).
pub(super) struct Rngs {
    pub(super) latency: Rng,
    pub(super) kafka: Rng,
    pub(super) routing: Rng,
}

pub(super) struct Kernel {
    pub(super) now: SimTime,
    pub(super) end: SimTime,
    pub(super) q: EventQueue<Ev>,
    pub(super) events: u64,
    pub(super) rng: Rngs,
    pub(super) log: EventLog,
    pub(super) rec: Recorder,
    pub(super) sample_times: Vec<u64>,
    pub(super) samples_expected: usize,
}

impl Kernel {
    pub(super) fn new(seed: u64, end: SimTime, samples_expected: usize) -> Kernel {
        Kernel {
            now: SimTime::ZERO,
            end,
            q: EventQueue::new(MAX_PENDING_EVENTS),
            events: 0,
            rng: Rngs {
                latency: Rng::new(seed, Stream::Latency),
                kafka: Rng::new(seed, Stream::Kafka),
                routing: Rng::new(seed, Stream::Routing),
            },
            log: EventLog::default(),
            rec: Recorder::default(),
            sample_times: Vec::with_capacity(samples_expected),
            samples_expected,
        }
    }

    /// Queues an event; past the end nothing can be observed, so it is not.
    pub(super) fn schedule(&mut self, at: SimTime, ev: Ev) {
        if at <= self.end {
            self.q.push(at, ev);
        }
    }

    /// For timers with a fixed delay: they queue in time order in a lane.
    pub(super) fn schedule_lane(&mut self, lane: Lane, at: SimTime, ev: Ev) {
        if at <= self.end {
            self.q.push_lane(lane as usize, at, ev);
        }
    }

    /// The next event, with the clock moved to it; `None` at the end (or
    /// past the event budget).
    pub(super) fn next_event(&mut self) -> Option<Ev> {
        if self.events >= MAX_EVENTS {
            return None;
        }
        let (t, ev) = self.q.pop_until(self.end)?;
        debug_assert!(t >= self.now, "the clock never runs backwards");
        self.now = t;
        self.events += 1;
        Some(ev)
    }

    /// Simulated time reached, as a fraction of the run.
    pub(super) fn progress(&self) -> f64 {
        self.now.0 as f64 / self.end.0.max(1) as f64
    }
}
