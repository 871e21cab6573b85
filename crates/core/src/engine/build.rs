//! Building a world from a scenario: services and their routes, the series
//! each records, tasks, flags, the first pods and the first events. The
//! order of registration is the order of the trace's series.

use super::flags::FlagState;
use super::ids::{RouteId, SvcId, Table};
use super::kafka::KafkaWorld;
use super::kernel::Kernel;
use super::load::{ClientIds, ClientStats, Load, Step, Task};
use super::requests::Requests;
use super::service::{CheckoutNumbers, Route, ServerStats, ServiceTotals, Svc, SvcSeries};
use super::{Ev, World};
use crate::alerts::AlertEngine;
use crate::scenario::{CheckoutSpec, Scenario, ServiceKind, ServiceSpec, StepSpec};
use crate::telemetry::Recorder;
use crate::units::SimTime;
use std::collections::VecDeque;
use std::rc::Rc;

/// The names a service's routes are called by, in route order.
fn route_names(spec: &ServiceSpec) -> Vec<String> {
    if spec.kind == ServiceKind::GoCheckout {
        vec!["place_order".to_string()]
    } else {
        spec.routes.keys().cloned().collect()
    }
}

/// `service/route` as ids; validation made sure both exist.
fn resolve_call(sc: &Scenario, call: &str) -> (SvcId, RouteId) {
    let (s, r) = call.split_once('/').expect("validated call");
    let svc = sc
        .services
        .keys()
        .position(|n| n == s)
        .expect("validated service");
    let route = route_names(&sc.services[s])
        .iter()
        .position(|n| n == r)
        .expect("validated route");
    (SvcId::from_index(svc), RouteId::from_index(route))
}

fn routes(sc: &Scenario, spec: &ServiceSpec) -> Vec<Route> {
    if spec.kind == ServiceKind::GoCheckout {
        // Checkout's one route is its own model; no route numbers apply.
        return vec![Route {
            cpu_us: 0.0,
            cpu_after_us: 0.0,
            wait_s: 0.0,
            sigma: 0.0,
            calls: vec![],
            memory_bytes: 0.0,
            memory_after_bytes: 0.0,
        }];
    }
    spec.routes
        .values()
        .map(|r| Route {
            cpu_us: r.cpu.0 .0 as f64,
            cpu_after_us: r.cpu_after.0 .0 as f64,
            wait_s: r.wait.as_secs_f64(),
            sigma: r.sigma,
            calls: r.calls.iter().map(|c| resolve_call(sc, c)).collect(),
            memory_bytes: r.memory.as_f64(),
            memory_after_bytes: r.memory_after.as_f64(),
        })
        .collect()
}

fn checkout_numbers(c: &CheckoutSpec) -> CheckoutNumbers {
    CheckoutNumbers {
        kafka_configured: c.kafka_configured,
        downstream_s: c.downstream.as_secs_f64(),
        downstream_sigma: c.downstream_sigma,
        deadline: c.deadline.0,
        goroutine_stack_bytes: c.goroutine_stack.as_f64(),
        waiter_live_bytes: c.message_heap.as_f64() + c.waiter_heap.as_f64(),
        request_live_bytes: c.request_live.as_f64(),
        request_garbage_bytes: c.request_garbage.as_f64(),
        message_garbage_bytes: c.message_garbage.as_f64(),
    }
}

fn service(sc: &Scenario, name: &str, spec: &ServiceSpec, rec: &mut Recorder, cap: usize) -> Svc {
    Svc {
        name: name.to_string(),
        kind: spec.kind,
        spec: spec.clone(),
        checkout: spec
            .checkout
            .as_ref()
            .map(checkout_numbers)
            .unwrap_or_default(),
        routes: routes(sc, spec),
        pods: Vec::new(),
        hpa_on: spec.hpa.as_ref().is_some_and(|h| h.enabled),
        hpa_recs: VecDeque::new(),
        stats: ServerStats::default(),
        totals: ServiceTotals::default(),
        ids: SvcSeries::register(rec, spec.kind, name, cap),
    }
}

fn load(sc: &Scenario, client_ids: ClientIds) -> Load {
    let step = |s: &StepSpec| {
        let (svc, route) = resolve_call(sc, &s.call);
        Step {
            svc,
            route,
            repeat: s.repeat.map(|[a, b]| (a, b)),
            slow: s.fail_slower_than.map(|d| d.0),
        }
    };
    let tasks = sc
        .workload
        .tasks
        .iter()
        .map(|t| Task {
            steps: t.steps.iter().map(step).collect(),
        })
        .collect();
    let task_weights: Vec<u32> = sc.workload.tasks.iter().map(|t| t.weight).collect();
    let (syn_sends, syn_give_up) = crate::model::tcp::default_syn_schedule();
    Load {
        running: false,
        target: sc.workload.users,
        spawn_rate: sc.workload.spawn_rate,
        active: 0,
        spawn_pending: false,
        started_at: None,
        running_since: None,
        running_seconds: 0.0,
        users: Table::default(),
        free: Default::default(),
        tasks,
        task_total: task_weights.iter().map(|w| *w as u64).sum(),
        task_weights,
        on_start: sc.workload.on_start.iter().map(step).collect(),
        client: ClientStats::default(),
        client_ids,
        syn_sends,
        syn_give_up,
    }
}

fn flags(sc: &Scenario) -> Vec<FlagState> {
    sc.flags
        .iter()
        .map(|(name, spec)| FlagState {
            name: name.clone(),
            config: spec.clone(),
            served: spec.clone(),
        })
        .collect()
}

impl World {
    pub(super) fn build(sc: &Scenario) -> World {
        let samples_expected = (sc.duration.0 .0 / sc.sample_interval.0 .0.max(1)) as usize + 1;
        let mut k = Kernel::new(sc.seed, sc.duration.0, samples_expected);
        let svcs: Vec<Svc> = sc
            .services
            .iter()
            .map(|(name, spec)| service(sc, name, spec, &mut k.rec, samples_expected))
            .collect();
        let kafka = sc
            .kafka
            .as_ref()
            .map(|_| KafkaWorld::register(&mut k.rec, samples_expected));
        let client_ids = ClientIds::register(&mut k.rec, samples_expected);
        let mut world = World {
            k,
            sc: Rc::new(sc.clone()),
            alerts: AlertEngine::new(&sc.alerts, svcs.len()),
            svcs: Table::from(svcs),
            pods: Table::default(),
            reqs: Requests::new(),
            load: load(sc, client_ids),
            flags: flags(sc),
            kafka,
        };
        world.start();
        world
    }

    /// The first pods and the events the scenario schedules.
    fn start(&mut self) {
        let svcs: Vec<SvcId> = self.svcs.ids().collect();
        for svc in svcs {
            let spec = &self.svcs[svc].spec;
            let replicas = match &spec.hpa {
                Some(h) if h.enabled => spec.replicas.clamp(h.min_replicas, h.max_replicas),
                _ => spec.replicas,
            };
            let has_hpa = spec.hpa.is_some();
            for _ in 0..replicas {
                self.create_pod(svc, true);
            }
            if has_hpa {
                self.k.schedule(SimTime::ZERO, Ev::HpaSync { svc });
            }
        }
        // Housekeeping keeps its own clock; at a shared moment the event
        // queued first runs first, so a sample may see the last period's.
        self.k.schedule(SimTime::ZERO, Ev::Housekeeping);
        self.k.schedule(SimTime::ZERO, Ev::Sample);
        let sc = Rc::clone(&self.sc);
        for (i, action) in sc.timeline.iter().enumerate() {
            self.k.schedule(action.at.0, Ev::Action(i as u16));
        }
        if let Some(start) = sc.workload.start_at {
            self.k.schedule(start.0, Ev::LoadStart);
        }
        if let Some(stop) = sc.workload.stop_at {
            self.k.schedule(stop.0, Ev::LoadStop);
        }
    }
}
