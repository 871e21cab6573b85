//! The simulation: a small kernel (clock, event queue, seeded random streams,
//! event log, recorder; `kernel.rs`) and one module per subsystem, each with
//! its own state and handlers, as in dslab-core. The one dispatch `match`
//! is here. A run is a pure function of its scenario.
//!
//! Flow of one request: a Locust user (`load`) picks a task and sends a
//! request to a service; the service picks a ready pod; the request gets a
//! slot (`requests`) and the pod's runtime serves it (`pool`, `python`,
//! `node`, `checkout`; a Node event loop may call back ends on other pods);
//! the reply goes back to the user, who moves to the next step or thinks.
//! Pods live and die by `pods` (kubelet: start, kill, back-off, scaling),
//! `probes` and `hpa`; flags change in `flags`; timeline actions come
//! through `actions` (the same `ControlPlane` a real run implements);
//! `sampling` records the series and evaluates the alerts; `finish` writes
//! the trace.
//!
//! Where to add things: ARCHITECTURE.md.

mod actions;
mod build;
mod checkout;
mod finish;
mod flags;
mod hpa;
mod ids;
mod kafka;
mod kernel;
mod load;
mod node;
mod pods;
mod pool;
mod probes;
mod python;
mod requests;
mod sampling;
mod service;
#[cfg(test)]
mod tests;

pub use kernel::MAX_EVENTS;

use crate::alerts::AlertEngine;
use crate::scenario::Scenario;
use crate::trace::Trace;
use crate::units::SimTime;
use ids::{PodId, Slot, SvcId, Table, UserId};
use std::rc::Rc;

/// A pod's container generation: an event for an older container is stale.
type Cgen = u32;
/// A user's generation: an event for an earlier request of theirs is stale.
type Ugen = u32;
/// A request's id within its slot: an event for an earlier request is stale.
type Rid = u32;

#[derive(Clone, Copy, Debug)]
enum Ev {
    Sample,
    Housekeeping,
    Action(u16),
    LoadStart,
    LoadStop,
    SpawnUser,
    UserWake {
        user: UserId,
        gen: Ugen,
    },
    ClientTimeout {
        user: UserId,
        gen: Ugen,
    },
    ConnectFailed {
        user: UserId,
        gen: Ugen,
    },
    SynResend {
        user: UserId,
        gen: Ugen,
        sent: u8,
    },
    PodStart {
        pod: PodId,
        cgen: Cgen,
    },
    PodServing {
        pod: PodId,
        cgen: Cgen,
    },
    PodBackOff {
        pod: PodId,
        cgen: Cgen,
    },
    Probe {
        pod: PodId,
        cgen: Cgen,
        liveness: bool,
    },
    ProbeKill {
        pod: PodId,
        cgen: Cgen,
    },
    CheckoutDownstream {
        slot: Slot,
        rid: Rid,
    },
    CheckoutDeadline {
        slot: Slot,
        rid: Rid,
    },
    ProducerFlush {
        pod: PodId,
        cgen: Cgen,
    },
    GoGc {
        pod: PodId,
        cgen: Cgen,
    },
    NodeJob {
        slot: Slot,
        rid: Rid,
        after: bool,
    },
    WorkDone {
        slot: Slot,
        rid: Rid,
    },
    HpaSync {
        svc: SvcId,
    },
    FlagdPropagate {
        flag: u16,
    },
}

/// The world of one run: the kernel and every subsystem's state.
pub struct World {
    k: kernel::Kernel,
    sc: Rc<Scenario>,
    svcs: Table<SvcId, service::Svc>,
    pods: Table<PodId, pods::Pod>,
    reqs: requests::Requests,
    load: load::Load,
    flags: Vec<flags::FlagState>,
    kafka: Option<kafka::KafkaWorld>,
    alerts: AlertEngine,
}

impl World {
    pub fn new(scenario: &Scenario) -> World {
        World::build(scenario)
    }

    /// Processes up to `max_events` events. Returns true when the run has
    /// reached its end (then call `into_trace`). The browser calls this in
    /// slices so a long run never blocks the page.
    pub fn advance(&mut self, max_events: u64) -> bool {
        for _ in 0..max_events {
            let Some(ev) = self.k.next_event() else {
                return true;
            };
            self.dispatch(ev);
        }
        false
    }

    /// Simulated time reached, as a fraction of the run.
    pub fn progress(&self) -> f64 {
        self.k.progress()
    }

    pub fn events_processed(&self) -> u64 {
        self.k.events
    }

    /// Runs to the end of the scenario and returns the trace.
    pub fn run(mut self) -> Trace {
        while !self.advance(u64::MAX) {}
        self.into_trace()
    }

    /// The trace of a finished run.
    pub fn into_trace(mut self) -> Trace {
        self.k.now = self.k.end;
        self.finish()
    }

    fn now(&self) -> SimTime {
        self.k.now
    }

    /// The one dispatch: every event to the subsystem that handles it.
    fn dispatch(&mut self, ev: Ev) {
        match ev {
            Ev::Sample => self.on_sample(),
            Ev::Housekeeping => self.on_housekeeping(),
            Ev::Action(i) => self.on_action(i),
            Ev::LoadStart => self.on_load_start(),
            Ev::LoadStop => self.on_load_stop(),
            Ev::SpawnUser => self.on_spawn_user(),
            Ev::UserWake { user, gen } => self.on_user_wake(user, gen),
            Ev::ClientTimeout { user, gen } => {
                self.resolve(user, gen, Err(requests::Fail::Timeout))
            }
            Ev::ConnectFailed { user, gen } => {
                self.resolve(user, gen, Err(requests::Fail::Connect))
            }
            Ev::SynResend { user, gen, sent } => self.on_syn_resend(user, gen, sent),
            Ev::PodStart { pod, cgen } => self.on_pod_start(pod, cgen),
            Ev::PodServing { pod, cgen } => self.on_pod_serving(pod, cgen),
            Ev::PodBackOff { pod, cgen } => self.on_pod_backoff(pod, cgen),
            Ev::Probe {
                pod,
                cgen,
                liveness,
            } => self.on_probe(pod, cgen, liveness),
            Ev::ProbeKill { pod, cgen } => self.on_probe_kill(pod, cgen),
            Ev::CheckoutDownstream { slot, rid } => self.on_checkout_downstream(slot, rid),
            Ev::CheckoutDeadline { slot, rid } => self.on_checkout_deadline(slot, rid),
            Ev::ProducerFlush { pod, cgen } => self.on_producer_flush(pod, cgen),
            Ev::GoGc { pod, cgen } => self.on_go_gc(pod, cgen),
            Ev::NodeJob { slot, rid, after } => self.on_node_job(slot, rid, after),
            Ev::WorkDone { slot, rid } => self.on_work_done(slot, rid),
            Ev::HpaSync { svc } => self.on_hpa(svc),
            Ev::FlagdPropagate { flag } => self.on_flagd_propagate(flag),
        }
    }
}

/// Runs a validated scenario to its end. Pure: same scenario, same trace.
pub fn simulate(scenario: &Scenario) -> Trace {
    World::new(scenario).run()
}
