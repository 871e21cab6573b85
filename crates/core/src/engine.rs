//! The simulation: one world that owns the clock, the event queue and the
//! seeded random streams (as in dslab-core), and handlers that move load,
//! pods and runtimes forward. A run is a pure function of its scenario.
//!
//! Flow of one request: a Locust user picks a task and sends a request to
//! a service; the service picks a ready pod; the pod's runtime serves it
//! (a Node event loop may call back ends on other pods); the reply comes
//! back to the user, who moves to the next step or thinks.

use crate::alerts::{AlertEngine, AlertInput};
use crate::histogram::Histogram;
use crate::model::cfs::CfsQuota;
use crate::model::cgroup::{self, DockerBackoff, KubeletBackoff, MemoryView};
use crate::model::go_runtime::{GcOutcome, GoHeap};
use crate::model::kafka::{MainAtDeadline, Producer};
use crate::model::python::PythonLeaks;
use crate::queue::EventQueue;
use crate::rng::{Rng, Stream};
use crate::scenario::{
    Action, ActionKind, FlagCache, FlagSpec, FlagdReload, LeakKind, RestartPolicy, Scenario,
    ServiceKind, ServiceSpec,
};
use crate::telemetry::{
    EventLog, EventType, PodChange, PodStatus, PodTimeline, Recorder, SeriesId, MAX_POD_CHANGES,
};
use crate::trace::{AlertSummary, RequestSummary, ServiceSummary, Summary, Trace, TRACE_FORMAT};
use crate::units::{format_bytes_human, SimTime, KIB};
use std::collections::{BTreeMap, VecDeque};
use std::rc::Rc;

const NONE: u32 = u32::MAX;
/// Pods ever created in one run (replicas, rollouts, HPA).
const MAX_PODS: usize = 256;
/// Pending events: far above any preset's need; a runaway model stops cleanly.
const MAX_PENDING_EVENTS: usize = 4_000_000;
/// Events processed in one run, at most.
pub const MAX_EVENTS: u64 = 200_000_000;
/// Kubelet notices an exited container within its sync loop.
const RESTART_LATENCY: SimTime = SimTime::from_secs(1);
/// Scheduling, image present, container created.
const POD_CREATE_DELAY: SimTime = SimTime::from_secs(2);
const PROBE_CPU_US: u64 = 300;
/// Stack of the goroutine serving one request.
const REQUEST_GOROUTINE_STACK: f64 = (8 * KIB) as f64;
/// CPU one PlaceOrder burns in checkout itself (marshalling, spans).
const PLACE_ORDER_CPU_US: f64 = 2_000.0;
/// Producer CPU per message (encoding, batching).
const MESSAGE_CPU_US: f64 = 15.0;
/// Event-queue lanes for fixed-delay timers.
const LANE_CLIENT_TIMEOUT: usize = 0;
const LANE_CONNECT: usize = 1;
const LANE_DEADLINE: usize = 2;
/// Major page faults: latency multiplier at a fully squeezed page cache.
const THRASH_PENALTY: f64 = 4.0;

#[derive(Clone, Copy, Debug)]
enum Ev {
    Sample,
    Action(u16),
    LoadStart,
    LoadStop,
    SpawnUser,
    UserWake { user: u32, gen: u32 },
    ClientTimeout { user: u32, gen: u32 },
    ConnectFailed { user: u32, gen: u32 },
    PodStart { pod: u32, cgen: u32 },
    PodServing { pod: u32, cgen: u32 },
    PodBackOff { pod: u32, cgen: u32 },
    Probe { pod: u32, cgen: u32, liveness: bool },
    ProbeKill { pod: u32, cgen: u32 },
    CheckoutDownstream { slot: u32, rid: u32 },
    CheckoutDeadline { slot: u32, rid: u32 },
    ProducerFlush { pod: u32, cgen: u32 },
    GoGc { pod: u32, cgen: u32 },
    NodeJob { slot: u32, rid: u32, after: bool },
    WorkDone { slot: u32, rid: u32 },
    HpaSync { svc: u16 },
    FlagdPropagate { flag: u16 },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fail {
    Timeout,
    Connect,
    Reset,
    Deadline,
    Refused,
    Slow,
    Backend,
}

const FAIL_NAMES: [&str; 7] = [
    "timeout", "connect", "reset", "deadline", "refused", "slow", "backend",
];

impl Fail {
    fn index(self) -> usize {
        self as usize
    }
}

struct RouteC {
    cpu_us: f64,
    cpu_after_us: f64,
    wait_s: f64,
    sigma: f64,
    calls: Vec<(u16, u16)>,
    memory: f64,
    memory_after: f64,
}

struct StepC {
    svc: u16,
    route: u16,
    repeat: Option<(u32, u32)>,
    slow: Option<SimTime>,
}

struct TaskC {
    steps: Vec<StepC>,
}

#[derive(Default)]
struct SvcSeries {
    ws: SeriesId,
    usage: SeriesId,
    util: SeriesId,
    limit: SeriesId,
    cpu: SeriesId,
    restarts: SeriesId,
    ready: SeriesId,
    rate: SeriesId,
    fail_rate: SeriesId,
    p50: SeriesId,
    p95: SeriesId,
    p99: SeriesId,
    active: SeriesId,
    heap_alloc: Option<SeriesId>,
    goroutines: Option<SeriesId>,
    gc_count: Option<SeriesId>,
    gc_goal: Option<SeriesId>,
    gc_cpu: Option<SeriesId>,
    producer_queue: Option<SeriesId>,
    kafka_lost: Option<SeriesId>,
    orders: Option<SeriesId>,
    /// What flagd answers for the service's flag (the seed-002 `curl`).
    flag_served: Option<SeriesId>,
    flag_value: Option<SeriesId>,
    loop_lag: Option<SeriesId>,
    conns: Option<SeriesId>,
    leak_bytes: Option<[SeriesId; 3]>,
    leak_count: Option<[SeriesId; 3]>,
    leak_cycles: Option<SeriesId>,
}

/// A checkout's knobs as plain numbers, read on every request.
#[derive(Clone, Copy, Default)]
struct CheckoutNumbers {
    kafka_configured: bool,
    downstream_s: f64,
    downstream_sigma: f64,
    deadline: SimTime,
    goroutine_stack: f64,
    message_heap: f64,
    request_live: f64,
    request_garbage: f64,
    message_garbage: f64,
}

struct Svc {
    name: String,
    kind: ServiceKind,
    spec: ServiceSpec,
    checkout: CheckoutNumbers,
    routes: Vec<RouteC>,
    pods: Vec<u32>,
    hpa_on: bool,
    hpa_recs: VecDeque<(SimTime, u32)>,
    int_hist: Histogram,
    int_ok: u64,
    int_fail: u64,
    /// Server latency over the current alert window.
    window_hist: Histogram,
    window_started: SimTime,
    first_oom: Option<SimTime>,
    oom_kills: u64,
    crashes: u64,
    liveness_kills: u64,
    retired_restarts: u64,
    peak_ws: f64,
    peak_util: f64,
    ids: SvcSeries,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum PState {
    Creating,
    Running,
    Exited,
    Deleted,
}

struct GoPod {
    heap: GoHeap,
    producer: Producer,
    overload_alive: u64,
    flag_cached: i64,
    gc_pending: bool,
    orders: u64,
    warned: bool,
    /// GC CPU already charged to the pod's CPU usage.
    gc_cpu_accounted_s: f64,
}

struct NodePod {
    busy_until: SimTime,
    conns: u32,
    backend_sockets: u32,
}

struct PoolPod {
    busy: u32,
    queue: VecDeque<u32>,
}

struct PyPod {
    leaks: PythonLeaks,
    busy_until: SimTime,
    next_auto_gc: SimTime,
}

enum Rt {
    Go(Box<GoPod>),
    Node(NodePod),
    Pool(PoolPod),
    Py(Box<PyPod>),
}

struct Pod {
    svc: u16,
    cgen: u32,
    state: PState,
    started: SimTime,
    serving: bool,
    ready: bool,
    ever_started: bool,
    restarts: u32,
    kube: KubeletBackoff,
    docker: DockerBackoff,
    live_fails: u32,
    ready_fails: u32,
    replaces: u32,
    memory_limit: f64,
    cpu_used_us: f64,
    cpu_at_sample: f64,
    cpu_at_hpa: f64,
    cfs: CfsQuota,
    inflight: u32,
    inflight_mem: f64,
    rt: Rt,
    timeline: PodTimeline,
}

/// A request as the server sees it (it outlives a client that gave up).
#[derive(Clone, Copy)]
struct SReq {
    rid: u32,
    live: bool,
    pod: u32,
    cgen: u32,
    route: u16,
    user: u32,
    ugen: u32,
    /// The node request that made this back-end call, or NONE.
    parent: u32,
    parent_rid: u32,
    start: SimTime,
    stage: u8,
    call_idx: u8,
    mem: f64,
}

#[derive(Clone, Copy, Default)]
struct User {
    active: bool,
    stopping: bool,
    waiting: bool,
    gen: u32,
    task: u16,
    step: u16,
    repeats_left: u32,
    in_on_start: bool,
    req_start: SimTime,
    slow_limit: Option<SimTime>,
    conn_pod: u32,
    conn_cgen: u32,
}

struct FlagState {
    name: String,
    config: FlagSpec,
    served: FlagSpec,
}

#[derive(Default)]
struct KafkaWorld {
    topic: f64,
    fraud_consumed: f64,
    accounting_rows: f64,
    db_bytes: f64,
    wal_bytes: f64,
    iops: f64,
    lag_id: SeriesId,
    db_id: SeriesId,
    wal_id: SeriesId,
    iops_id: SeriesId,
}

#[derive(Default)]
struct ClientStats {
    issued: u64,
    ok: u64,
    failed: u64,
    hist_all: Histogram,
    hist_ok: Histogram,
    int_hist: Histogram,
    int_ok: u64,
    int_fail: u64,
    failures: [u64; 7],
}

struct Load {
    running: bool,
    target: u32,
    spawn_rate: f64,
    active: u32,
    spawn_pending: bool,
    started_at: Option<SimTime>,
    running_since: Option<SimTime>,
    running_seconds: f64,
    free: Vec<u32>,
}

struct ClientIds {
    users: SeriesId,
    rate: SeriesId,
    fail_rate: SeriesId,
    p50: SeriesId,
    p95: SeriesId,
    p99: SeriesId,
}

pub struct World {
    sc: Rc<Scenario>,
    now: SimTime,
    end: SimTime,
    q: EventQueue<Ev>,
    events: u64,
    rng_users: Rng,
    rng_tasks: Rng,
    rng_latency: Rng,
    rng_kafka: Rng,
    rng_routing: Rng,
    svcs: Vec<Svc>,
    pods: Vec<Pod>,
    reqs: Vec<SReq>,
    free_reqs: Vec<u32>,
    next_rid: u32,
    users: Vec<User>,
    tasks: Vec<TaskC>,
    task_weights: Vec<u32>,
    task_total: u64,
    on_start: Vec<StepC>,
    load: Load,
    flags: Vec<FlagState>,
    kafka: Option<KafkaWorld>,
    rec: Recorder,
    sample_times: Vec<u64>,
    log: EventLog,
    alerts: AlertEngine,
    client: ClientStats,
    client_ids: ClientIds,
    samples_expected: usize,
}

fn pod_name(service: &str, index: usize, seed: u64) -> String {
    // Deterministic, kubectl-looking names: a replica-set hash and a suffix.
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ seed;
    for b in service.bytes() {
        h = (h ^ b as u64).wrapping_mul(0x100_0000_01b3);
    }
    let mut rs = String::new();
    let mut x = h;
    for _ in 0..9 {
        rs.push(ALPHABET[(x % ALPHABET.len() as u64) as usize] as char);
        x /= ALPHABET.len() as u64;
    }
    let mut y = h ^ ((index as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15));
    y = y.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    let mut suffix = String::new();
    for _ in 0..5 {
        suffix.push(ALPHABET[(y % ALPHABET.len() as u64) as usize] as char);
        y /= ALPHABET.len() as u64;
    }
    format!("{service}-{rs}-{suffix}")
}

impl World {
    pub fn new(scenario: &Scenario) -> World {
        let sc = scenario;
        let seed = sc.seed;
        let samples_expected = (sc.duration.0 .0 / sc.sample_interval.0 .0.max(1)) as usize + 1;
        let mut rec = Recorder::default();
        let names: Vec<&String> = sc.services.keys().collect();
        let svc_index = |name: &str| {
            names
                .iter()
                .position(|n| n.as_str() == name)
                .map(|i| i as u16)
        };
        let route_names = |spec: &ServiceSpec| -> Vec<String> {
            if spec.kind == ServiceKind::GoCheckout {
                vec!["place_order".to_string()]
            } else {
                spec.routes.keys().cloned().collect()
            }
        };
        let resolve = |call: &str| -> (u16, u16) {
            let (s, r) = call.split_once('/').expect("validated call");
            let si = svc_index(s).expect("validated service");
            let ri = route_names(&sc.services[s])
                .iter()
                .position(|n| n == r)
                .expect("validated route") as u16;
            (si, ri)
        };
        let mut svcs = Vec::new();
        for (name, spec) in &sc.services {
            let routes = if spec.kind == ServiceKind::GoCheckout {
                vec![RouteC {
                    cpu_us: 0.0,
                    cpu_after_us: 0.0,
                    wait_s: 0.0,
                    sigma: 0.0,
                    calls: vec![],
                    memory: 0.0,
                    memory_after: 0.0,
                }]
            } else {
                spec.routes
                    .values()
                    .map(|r| RouteC {
                        cpu_us: r.cpu.0 .0 as f64,
                        cpu_after_us: r.cpu_after.0 .0 as f64,
                        wait_s: r.wait.as_secs_f64(),
                        sigma: r.sigma,
                        calls: r.calls.iter().map(|c| resolve(c)).collect(),
                        memory: r.memory.as_f64(),
                        memory_after: r.memory_after.as_f64(),
                    })
                    .collect()
            };
            let cap = samples_expected;
            let mut ids = SvcSeries {
                ws: rec.add("k8s.pod.memory.working_set", name, "By", cap),
                usage: rec.add("k8s.pod.memory.usage", name, "By", cap),
                util: rec.add("k8s.pod.memory_limit_utilization", name, "1", cap),
                limit: rec.add("k8s.container.memory_limit", name, "By", cap),
                cpu: rec.add("k8s.pod.cpu.usage", name, "{cpu}", cap),
                restarts: rec.add("k8s.container.restarts", name, "{restart}", cap),
                ready: rec.add("k8s.deployment.available", name, "{pod}", cap),
                rate: rec.add("http.server.request.rate", name, "{request}/s", cap),
                fail_rate: rec.add("http.server.failure.rate", name, "{request}/s", cap),
                p50: rec.add("http.server.duration.p50", name, "ms", cap),
                p95: rec.add("http.server.duration.p95", name, "ms", cap),
                p99: rec.add("http.server.duration.p99", name, "ms", cap),
                active: rec.add("http.server.active_requests", name, "{request}", cap),
                ..SvcSeries::default()
            };
            match spec.kind {
                ServiceKind::GoCheckout => {
                    ids.heap_alloc =
                        Some(rec.add("process.runtime.go.mem.heap_alloc", name, "By", cap));
                    ids.goroutines =
                        Some(rec.add("process.runtime.go.goroutines", name, "{goroutine}", cap));
                    ids.gc_count = Some(rec.add("process.runtime.go.gc.count", name, "{gc}", cap));
                    ids.gc_goal = Some(rec.add("go.memory.gc.goal", name, "By", cap));
                    ids.gc_cpu =
                        Some(rec.add("process.runtime.go.gc.cpu_fraction", name, "1", cap));
                    ids.producer_queue =
                        Some(rec.add("messaging.kafka.producer.queue", name, "{message}", cap));
                    ids.kafka_lost =
                        Some(rec.add("messaging.kafka.producer.errors", name, "{message}", cap));
                    ids.orders = Some(rec.add("app.orders.placed", name, "{order}", cap));
                    ids.flag_value =
                        Some(rec.add("feature_flag.kafkaQueueProblems", name, "1", cap));
                    ids.flag_served = Some(rec.add("flagd.evaluation.value", name, "1", cap));
                }
                ServiceKind::NodeFrontend => {
                    ids.loop_lag = Some(rec.add("nodejs.eventloop.lag", name, "ms", cap));
                    ids.conns =
                        Some(rec.add("http.server.open_connections", name, "{connection}", cap));
                }
                ServiceKind::PythonLeaky => {
                    ids.leak_bytes = Some([
                        rec.add("leak.cache.size", name, "By", cap),
                        rec.add("leak.listeners.size", name, "By", cap),
                        rec.add("leak.history.size", name, "By", cap),
                    ]);
                    ids.leak_count = Some([
                        rec.add("leak.cache.entries", name, "{entry}", cap),
                        rec.add("leak.listeners.count", name, "{listener}", cap),
                        rec.add("leak.history.records", name, "{record}", cap),
                    ]);
                    ids.leak_cycles = Some(rec.add("leak.cycles.size", name, "By", cap));
                }
                ServiceKind::WorkerPool => {}
            }
            let checkout = spec
                .checkout
                .as_ref()
                .map(|c| CheckoutNumbers {
                    kafka_configured: c.kafka_configured,
                    downstream_s: c.downstream.as_secs_f64(),
                    downstream_sigma: c.downstream_sigma,
                    deadline: c.deadline.0,
                    goroutine_stack: c.goroutine_stack.as_f64(),
                    message_heap: c.message_heap.as_f64(),
                    request_live: c.request_live.as_f64(),
                    request_garbage: c.request_garbage.as_f64(),
                    message_garbage: c.message_garbage.as_f64(),
                })
                .unwrap_or_default();
            svcs.push(Svc {
                name: name.clone(),
                kind: spec.kind,
                spec: spec.clone(),
                checkout,
                routes,
                pods: Vec::new(),
                hpa_on: spec.hpa.as_ref().is_some_and(|h| h.enabled),
                hpa_recs: VecDeque::new(),
                int_hist: Histogram::default(),
                int_ok: 0,
                int_fail: 0,
                window_hist: Histogram::default(),
                window_started: SimTime::ZERO,
                first_oom: None,
                oom_kills: 0,
                crashes: 0,
                liveness_kills: 0,
                retired_restarts: 0,
                peak_ws: 0.0,
                peak_util: 0.0,
                ids,
            });
        }
        let kafka = sc.kafka.as_ref().map(|_| KafkaWorld {
            lag_id: rec.add(
                "messaging.kafka.consumer.lag",
                "fraud-detection",
                "{message}",
                samples_expected,
            ),
            db_id: rec.add("postgresql.db_size", "postgresql", "By", samples_expected),
            wal_id: rec.add("postgresql.wal.size", "postgresql", "By", samples_expected),
            iops_id: rec.add(
                "postgresql.write_iops",
                "postgresql",
                "{operation}/s",
                samples_expected,
            ),
            ..KafkaWorld::default()
        });
        let client_ids = ClientIds {
            users: rec.add("locust.users", "load-generator", "{user}", samples_expected),
            rate: rec.add(
                "locust.requests.rate",
                "load-generator",
                "{request}/s",
                samples_expected,
            ),
            fail_rate: rec.add(
                "locust.failures.rate",
                "load-generator",
                "{request}/s",
                samples_expected,
            ),
            p50: rec.add(
                "locust.response_time.p50",
                "load-generator",
                "ms",
                samples_expected,
            ),
            p95: rec.add(
                "locust.response_time.p95",
                "load-generator",
                "ms",
                samples_expected,
            ),
            p99: rec.add(
                "locust.response_time.p99",
                "load-generator",
                "ms",
                samples_expected,
            ),
        };
        let compile_step = |s: &crate::scenario::StepSpec| {
            let (svc, route) = resolve(&s.call);
            StepC {
                svc,
                route,
                repeat: s.repeat.map(|[a, b]| (a, b)),
                slow: s.fail_slower_than.map(|d| d.0),
            }
        };
        let tasks: Vec<TaskC> = sc
            .workload
            .tasks
            .iter()
            .map(|t| TaskC {
                steps: t.steps.iter().map(compile_step).collect(),
            })
            .collect();
        let task_weights: Vec<u32> = sc.workload.tasks.iter().map(|t| t.weight).collect();
        let task_total = task_weights.iter().map(|w| *w as u64).sum();
        let flags = sc
            .flags
            .iter()
            .map(|(name, spec)| FlagState {
                name: name.clone(),
                config: spec.clone(),
                served: spec.clone(),
            })
            .collect();
        let n_svcs = svcs.len();
        let mut world = World {
            sc: Rc::new(scenario.clone()),
            now: SimTime::ZERO,
            end: sc.duration.0,
            q: EventQueue::new(MAX_PENDING_EVENTS),
            events: 0,
            rng_users: Rng::new(seed, Stream::Users),
            rng_tasks: Rng::new(seed, Stream::Tasks),
            rng_latency: Rng::new(seed, Stream::Latency),
            rng_kafka: Rng::new(seed, Stream::Kafka),
            rng_routing: Rng::new(seed, Stream::Routing),
            svcs,
            pods: Vec::new(),
            reqs: Vec::new(),
            free_reqs: Vec::new(),
            next_rid: 1,
            users: Vec::new(),
            tasks,
            task_weights,
            task_total,
            on_start: sc.workload.on_start.iter().map(compile_step).collect(),
            load: Load {
                running: false,
                target: sc.workload.users,
                spawn_rate: sc.workload.spawn_rate,
                active: 0,
                spawn_pending: false,
                started_at: None,
                running_since: None,
                running_seconds: 0.0,
                free: Vec::new(),
            },
            flags,
            kafka,
            rec,
            sample_times: Vec::with_capacity(samples_expected),
            log: EventLog::default(),
            alerts: AlertEngine::new(&sc.alerts, n_svcs),
            client: ClientStats::default(),
            client_ids,
            samples_expected,
        };
        for svc in 0..world.svcs.len() {
            let replicas = match &world.svcs[svc].spec.hpa {
                Some(h) if h.enabled => world.svcs[svc]
                    .spec
                    .replicas
                    .clamp(h.min_replicas, h.max_replicas),
                _ => world.svcs[svc].spec.replicas,
            };
            for _ in 0..replicas {
                world.create_pod(svc as u16, true);
            }
            if world.svcs[svc].spec.hpa.is_some() {
                world.schedule(SimTime::ZERO, Ev::HpaSync { svc: svc as u16 });
            }
        }
        world.schedule(SimTime::ZERO, Ev::Sample);
        for (i, action) in sc.timeline.iter().enumerate() {
            world.schedule(action.at.0, Ev::Action(i as u16));
        }
        if let Some(start) = sc.workload.start_at {
            world.schedule(start.0, Ev::LoadStart);
        }
        if let Some(stop) = sc.workload.stop_at {
            world.schedule(stop.0, Ev::LoadStop);
        }
        world
    }

    fn schedule(&mut self, at: SimTime, ev: Ev) {
        // Past the end nothing can be observed: do not queue it.
        if at <= self.end {
            self.q.push(at, ev);
        }
    }

    /// For timers with a fixed delay: they queue in time order in a lane.
    fn schedule_lane(&mut self, lane: usize, at: SimTime, ev: Ev) {
        if at <= self.end {
            self.q.push_lane(lane, at, ev);
        }
    }

    /// Processes up to `max_events` events. Returns true when the run has
    /// reached its end (then call `into_trace`). The browser calls this in
    /// slices so a long run never blocks the page.
    pub fn advance(&mut self, max_events: u64) -> bool {
        let mut budget = max_events;
        while budget > 0 {
            if self.events >= MAX_EVENTS {
                return true;
            }
            let Some((t, ev)) = self.q.pop_until(self.end) else {
                return true;
            };
            self.now = t;
            self.events += 1;
            budget -= 1;
            self.dispatch(ev);
        }
        false
    }

    /// Simulated time reached, as a fraction of the run.
    pub fn progress(&self) -> f64 {
        self.now.0 as f64 / self.end.0.max(1) as f64
    }

    pub fn events_processed(&self) -> u64 {
        self.events
    }

    /// Runs to the end of the scenario and returns the trace.
    pub fn run(mut self) -> Trace {
        while !self.advance(u64::MAX) {}
        self.into_trace()
    }

    /// The trace of a finished run.
    pub fn into_trace(mut self) -> Trace {
        self.now = self.end;
        self.finish()
    }

    fn dispatch(&mut self, ev: Ev) {
        match ev {
            Ev::Sample => self.on_sample(),
            Ev::Action(i) => {
                let action = self.sc.timeline[i as usize].clone();
                self.apply_action(&action);
            }
            Ev::LoadStart => {
                let (u, r) = (self.sc.workload.users, self.sc.workload.spawn_rate);
                self.start_load(u, r);
            }
            Ev::LoadStop => self.stop_load(),
            Ev::SpawnUser => self.on_spawn_user(),
            Ev::UserWake { user, gen } => self.on_user_wake(user, gen),
            Ev::ClientTimeout { user, gen } => self.resolve(user, gen, Err(Fail::Timeout)),
            Ev::ConnectFailed { user, gen } => self.resolve(user, gen, Err(Fail::Connect)),
            Ev::PodStart { pod, cgen } => self.on_pod_start(pod, cgen),
            Ev::PodServing { pod, cgen } => self.on_pod_serving(pod, cgen),
            Ev::PodBackOff { pod, cgen } => self.on_pod_backoff(pod, cgen),
            Ev::Probe {
                pod,
                cgen,
                liveness,
            } => self.on_probe(pod, cgen, liveness),
            Ev::ProbeKill { pod, cgen } => {
                if self.pod_current(pod, cgen) {
                    self.kill(pod, Exit::Liveness);
                }
            }
            Ev::CheckoutDownstream { slot, rid } => self.on_checkout_downstream(slot, rid),
            Ev::CheckoutDeadline { slot, rid } => self.on_checkout_deadline(slot, rid),
            Ev::ProducerFlush { pod, cgen } => self.on_producer_flush(pod, cgen),
            Ev::GoGc { pod, cgen } => self.on_go_gc(pod, cgen),
            Ev::NodeJob { slot, rid, after } => self.on_node_job(slot, rid, after),
            Ev::WorkDone { slot, rid } => self.on_work_done(slot, rid),
            Ev::HpaSync { svc } => self.on_hpa(svc),
            Ev::FlagdPropagate { flag } => {
                let f = &mut self.flags[flag as usize];
                f.served = f.config.clone();
                let msg = format!(
                    "flagd now serves {}={} ({})",
                    f.name,
                    f.served.value(),
                    f.served.default_variant
                );
                self.log
                    .push(self.now, EventType::Normal, "flagd", "ConfigReloaded", msg);
            }
        }
    }

    // ----- pods -------------------------------------------------------

    fn pod_current(&self, pod: u32, cgen: u32) -> bool {
        let p = &self.pods[pod as usize];
        p.cgen == cgen && p.state == PState::Running
    }

    fn fresh_runtime(&self, svc: u16) -> Rt {
        let s = &self.svcs[svc as usize];
        match s.kind {
            ServiceKind::GoCheckout => {
                let go = s.spec.go.clone().unwrap_or_default();
                Rt::Go(Box::new(GoPod {
                    heap: GoHeap::new(&go, self.now),
                    producer: Producer::default(),
                    overload_alive: 0,
                    flag_cached: self.flag_value_served(&s.spec),
                    gc_pending: false,
                    orders: 0,
                    warned: false,
                    gc_cpu_accounted_s: 0.0,
                }))
            }
            ServiceKind::NodeFrontend => Rt::Node(NodePod {
                busy_until: self.now,
                conns: 0,
                backend_sockets: 0,
            }),
            ServiceKind::WorkerPool => Rt::Pool(PoolPod {
                busy: 0,
                queue: VecDeque::new(),
            }),
            ServiceKind::PythonLeaky => {
                let spec = s.spec.python.clone().unwrap_or_default();
                Rt::Py(Box::new(PyPod {
                    leaks: PythonLeaks::new(&spec),
                    busy_until: self.now,
                    next_auto_gc: self.now + spec.auto_gc_interval.0,
                }))
            }
        }
    }

    fn threads_of(spec: &ServiceSpec) -> u32 {
        match spec.kind {
            ServiceKind::NodeFrontend | ServiceKind::PythonLeaky => 1,
            ServiceKind::GoCheckout => spec.go.as_ref().map(|g| g.gomaxprocs).unwrap_or(2),
            ServiceKind::WorkerPool => spec.pool.as_ref().map(|p| p.workers).unwrap_or(8),
        }
    }

    fn create_pod(&mut self, svc: u16, initial: bool) -> Option<u32> {
        if self.pods.len() >= MAX_PODS {
            self.log.push(
                self.now,
                EventType::Warning,
                &format!("deployment/{}", self.svcs[svc as usize].name),
                "FailedCreate",
                format!("pod limit of {MAX_PODS} for one run reached"),
            );
            return None;
        }
        let index = self.pods.len();
        let s = &self.svcs[svc as usize];
        let name = pod_name(&s.name, index, self.sc.seed);
        let rt = self.fresh_runtime(svc);
        let spec = &s.spec;
        let pod = Pod {
            svc,
            cgen: 0,
            state: if initial {
                PState::Running
            } else {
                PState::Creating
            },
            started: self.now,
            serving: initial,
            ready: initial,
            ever_started: initial,
            restarts: 0,
            kube: KubeletBackoff::default(),
            docker: DockerBackoff::default(),
            live_fails: 0,
            ready_fails: 0,
            replaces: NONE,
            memory_limit: spec.memory_limit.as_f64(),
            cpu_used_us: 0.0,
            cpu_at_sample: 0.0,
            cpu_at_hpa: 0.0,
            cfs: CfsQuota::new(spec.cpu_limit.map(|c| c.0), Self::threads_of(spec)),
            inflight: 0,
            inflight_mem: 0.0,
            rt,
            timeline: PodTimeline {
                name: name.clone(),
                service: s.name.clone(),
                created_us: self.now.0,
                deleted_us: None,
                changes: Vec::new(),
            },
        };
        self.pods.push(pod);
        let p = index as u32;
        self.svcs[svc as usize].pods.push(p);
        if initial {
            self.record_status(p, PodStatus::Running);
            self.schedule_probes(p);
        } else {
            self.record_status(p, PodStatus::ContainerCreating);
            self.log.push(
                self.now,
                EventType::Normal,
                &format!("pod/{name}"),
                "Scheduled",
                format!("Successfully assigned {name} to node incident-lab"),
            );
            self.schedule(
                self.now + POD_CREATE_DELAY,
                Ev::PodStart { pod: p, cgen: 0 },
            );
        }
        Some(p)
    }

    fn record_status(&mut self, pod: u32, status: PodStatus) {
        let p = &mut self.pods[pod as usize];
        let change = PodChange {
            at_us: self.now.0,
            status,
            ready: p.ready,
            restarts: p.restarts,
        };
        let changes = &mut p.timeline.changes;
        if let Some(last) = changes.last_mut() {
            if last.at_us == change.at_us {
                *last = change;
                return;
            }
            if last.status == change.status
                && last.ready == change.ready
                && last.restarts == change.restarts
            {
                return;
            }
        }
        if changes.len() >= MAX_POD_CHANGES {
            changes.remove(0);
        }
        changes.push(change);
    }

    fn pod_object(&self, pod: u32) -> String {
        format!("pod/{}", self.pods[pod as usize].timeline.name)
    }

    fn schedule_probes(&mut self, pod: u32) {
        let p = &self.pods[pod as usize];
        let spec = &self.svcs[p.svc as usize].spec;
        let cgen = p.cgen;
        let live = spec.liveness.as_ref().map(|l| l.initial_delay.0);
        let ready = spec.readiness.as_ref().map(|r| r.initial_delay.0);
        if let Some(delay) = live {
            self.schedule(
                self.now + delay,
                Ev::Probe {
                    pod,
                    cgen,
                    liveness: true,
                },
            );
        }
        if let Some(delay) = ready {
            self.schedule(
                self.now + delay,
                Ev::Probe {
                    pod,
                    cgen,
                    liveness: false,
                },
            );
        }
    }

    fn on_pod_start(&mut self, pod: u32, cgen: u32) {
        let now = self.now;
        let svc;
        {
            let p = &self.pods[pod as usize];
            if p.cgen != cgen || !matches!(p.state, PState::Creating | PState::Exited) {
                return;
            }
            svc = p.svc;
        }
        let rt = self.fresh_runtime(svc);
        let startup = self.svcs[svc as usize].spec.startup.0;
        let container = self.svcs[svc as usize].name.clone();
        let p = &mut self.pods[pod as usize];
        if p.ever_started {
            p.restarts += 1;
            p.kube.on_restart(now);
        }
        p.ever_started = true;
        p.state = PState::Running;
        p.started = now;
        p.serving = false;
        p.ready = false;
        p.live_fails = 0;
        p.ready_fails = 0;
        p.inflight = 0;
        p.inflight_mem = 0.0;
        p.rt = rt;
        let cgen = p.cgen;
        self.record_status(pod, PodStatus::Running);
        let object = self.pod_object(pod);
        self.log.push(
            now,
            EventType::Normal,
            &object,
            "Started",
            format!("Started container {container}"),
        );
        self.schedule(now + startup, Ev::PodServing { pod, cgen });
        self.schedule_probes(pod);
    }

    fn on_pod_serving(&mut self, pod: u32, cgen: u32) {
        if !self.pod_current(pod, cgen) {
            return;
        }
        let has_readiness = self.svcs[self.pods[pod as usize].svc as usize]
            .spec
            .readiness
            .is_some();
        let p = &mut self.pods[pod as usize];
        p.serving = true;
        if !has_readiness {
            p.ready = true;
        }
        self.record_status(pod, PodStatus::Running);
        if !has_readiness {
            self.on_ready(pod);
        }
    }

    fn on_ready(&mut self, pod: u32) {
        let old = self.pods[pod as usize].replaces;
        if old != NONE {
            self.pods[pod as usize].replaces = NONE;
            self.delete_pod(old);
        }
    }

    fn on_pod_backoff(&mut self, pod: u32, cgen: u32) {
        let p = &self.pods[pod as usize];
        if p.cgen != cgen || p.state != PState::Exited {
            return;
        }
        self.record_status(pod, PodStatus::CrashLoopBackOff);
    }

    /// Why a container stopped.
    fn kill(&mut self, pod: u32, exit: Exit) {
        let now = self.now;
        let (svc, uptime, view) = {
            let p = &self.pods[pod as usize];
            if p.state != PState::Running {
                return;
            }
            (p.svc, now.saturating_sub(p.started), self.memory_view(pod))
        };
        let container = self.svcs[svc as usize].name.clone();
        let object = self.pod_object(pod);
        let limit = self.pods[pod as usize].memory_limit;
        {
            let s = &mut self.svcs[svc as usize];
            match exit {
                Exit::Oom => {
                    s.oom_kills += 1;
                    s.first_oom.get_or_insert(now);
                    s.peak_ws = s.peak_ws.max(limit);
                    s.peak_util = s.peak_util.max(1.0);
                }
                Exit::Crash(_) => s.crashes += 1,
                Exit::Liveness => s.liveness_kills += 1,
                Exit::Deleted => {}
            }
        }
        let (status, reason, message) = match exit {
            Exit::Oom => (
                PodStatus::OOMKilled,
                "OOMKilled",
                format!(
                    "Container {container} was OOMKilled (exit code 137): anonymous memory {} reached the {} limit",
                    format_bytes_human(view.map(|v| v.anon).unwrap_or(limit)),
                    format_bytes_human(limit)
                ),
            ),
            Exit::Crash(why) => (
                PodStatus::Error,
                "Error",
                format!("Container {container} exited with code 1: {why}"),
            ),
            Exit::Liveness => (
                PodStatus::Error,
                "Killing",
                format!("Container {container} failed liveness probe, will be restarted (exit code 143)"),
            ),
            Exit::Deleted => (PodStatus::Terminating, "Killing", format!("Stopping container {container}")),
        };
        let kind = if exit == Exit::Deleted {
            EventType::Normal
        } else {
            EventType::Warning
        };
        self.log.push(now, kind, &object, reason, message);
        {
            let p = &mut self.pods[pod as usize];
            p.cgen += 1;
            p.state = if exit == Exit::Deleted {
                PState::Deleted
            } else {
                PState::Exited
            };
            p.serving = false;
            p.ready = false;
            p.inflight = 0;
            p.inflight_mem = 0.0;
        }
        self.record_status(pod, status);
        self.fail_requests_on(pod);
        if exit == Exit::Deleted {
            return;
        }
        let policy = self.svcs[svc as usize].spec.restart_policy;
        let delay = match policy {
            RestartPolicy::Kubelet => self.pods[pod as usize].kube.delay_after_exit(now),
            RestartPolicy::Docker => self.pods[pod as usize].docker.delay_after_exit(uptime),
            RestartPolicy::Never => return,
        };
        let cgen = self.pods[pod as usize].cgen;
        let restart_at = now
            + delay.max(if policy == RestartPolicy::Kubelet {
                RESTART_LATENCY
            } else {
                SimTime::ZERO
            });
        if policy == RestartPolicy::Kubelet && delay > SimTime::ZERO {
            self.log.push(
                now,
                EventType::Warning,
                &object,
                "BackOff",
                format!(
                    "Back-off restarting failed container {container} in pod {} (waiting {})",
                    self.pods[pod as usize].timeline.name, delay
                ),
            );
            self.schedule(
                now + RESTART_LATENCY.min(delay),
                Ev::PodBackOff { pod, cgen },
            );
        }
        self.schedule(restart_at, Ev::PodStart { pod, cgen });
    }

    fn delete_pod(&mut self, pod: u32) {
        let svc = self.pods[pod as usize].svc;
        match self.pods[pod as usize].state {
            PState::Running => self.kill(pod, Exit::Deleted),
            PState::Deleted => return,
            _ => {
                self.pods[pod as usize].cgen += 1;
                self.pods[pod as usize].state = PState::Deleted;
                self.record_status(pod, PodStatus::Terminating);
            }
        }
        let restarts = self.pods[pod as usize].restarts as u64;
        let s = &mut self.svcs[svc as usize];
        s.pods.retain(|&p| p != pod);
        s.retired_restarts += restarts;
        self.pods[pod as usize].timeline.deleted_us = Some(self.now.0);
    }

    fn scale_to(&mut self, svc: u16, replicas: u32, reason: &str) {
        let current = self.svcs[svc as usize].pods.len() as u32;
        if replicas == current {
            return;
        }
        let name = self.svcs[svc as usize].name.clone();
        self.log.push(
            self.now,
            EventType::Normal,
            &format!("deployment/{name}"),
            "ScalingReplicaSet",
            format!(
                "Scaled {} replica set {name} from {current} to {replicas} ({reason})",
                if replicas > current { "up" } else { "down" }
            ),
        );
        for _ in current..replicas {
            self.create_pod(svc, false);
        }
        for _ in replicas..current {
            // Kubernetes removes the newest pods first.
            if let Some(&newest) = self.svcs[svc as usize].pods.last() {
                self.delete_pod(newest);
            }
        }
    }

    /// `kubectl rollout restart`: a new pod for each old one; the old one
    /// goes when its replacement is ready.
    fn rollout(&mut self, svc: u16, why: &str) {
        let old: Vec<u32> = self.svcs[svc as usize].pods.clone();
        let name = self.svcs[svc as usize].name.clone();
        self.log.push(
            self.now,
            EventType::Normal,
            &format!("deployment/{name}"),
            "RolloutRestart",
            why.to_string(),
        );
        for o in old {
            if let Some(new) = self.create_pod(svc, false) {
                self.pods[new as usize].replaces = o;
            }
        }
    }

    fn memory_anon(&self, pod: u32) -> f64 {
        let p = &self.pods[pod as usize];
        let spec = &self.svcs[p.svc as usize].spec;
        match &p.rt {
            Rt::Go(g) => g.heap.total(),
            Rt::Node(n) => {
                let node = spec.node.as_ref().expect("normalized");
                node.baseline_memory.as_f64()
                    + n.conns as f64 * node.memory_per_connection.as_f64()
                    + p.inflight_mem
            }
            Rt::Pool(_) => {
                spec.pool
                    .as_ref()
                    .expect("normalized")
                    .baseline_memory
                    .as_f64()
                    + p.inflight_mem
            }
            Rt::Py(py) => {
                py.leaks.resident(spec.python.as_ref().expect("normalized")) + p.inflight_mem
            }
        }
    }

    fn memory_view(&self, pod: u32) -> Option<MemoryView> {
        let p = &self.pods[pod as usize];
        let spec = &self.svcs[p.svc as usize].spec;
        cgroup::charge(
            p.memory_limit,
            self.memory_anon(pod),
            spec.file_cache_active.as_f64(),
            spec.file_cache_inactive.as_f64(),
        )
    }

    /// After memory grew: the OOM killer fires if nothing is left to reclaim.
    /// Returns true when the container died.
    fn check_oom(&mut self, pod: u32) -> bool {
        if self.pods[pod as usize].state != PState::Running {
            return false;
        }
        if self.memory_view(pod).is_none() {
            self.kill(pod, Exit::Oom);
            return true;
        }
        false
    }

    fn thrash_factor(&self, pod: u32) -> f64 {
        let p = &self.pods[pod as usize];
        let wanted = self.svcs[p.svc as usize].spec.file_cache_active.as_f64();
        match self.memory_view(pod) {
            Some(v) => 1.0 + THRASH_PENALTY * cgroup::thrash_fraction(&v, wanted),
            None => 1.0 + THRASH_PENALTY,
        }
    }

    fn on_probe(&mut self, pod: u32, cgen: u32, liveness: bool) {
        if !self.pod_current(pod, cgen) {
            return;
        }
        let svc = self.pods[pod as usize].svc as usize;
        let spec = if liveness {
            self.svcs[svc].spec.liveness.clone()
        } else {
            self.svcs[svc].spec.readiness.clone()
        };
        let Some(spec) = spec else { return };
        let now = self.now;
        let latency = if self.pods[pod as usize].serving {
            self.probe_latency(pod)
        } else {
            None
        };
        let ok = latency.is_some_and(|l| l <= spec.timeout.0);
        let object = self.pod_object(pod);
        let container = self.svcs[svc].name.clone();
        let waited = latency.unwrap_or(spec.timeout.0).min(spec.timeout.0);
        let p = &mut self.pods[pod as usize];
        if liveness {
            if ok {
                p.live_fails = 0;
            } else {
                p.live_fails += 1;
                let fails = p.live_fails;
                let message = if latency.is_none() {
                    "Liveness probe failed: connect: connection refused".to_string()
                } else {
                    format!("Liveness probe failed: Get \"http://{container}/health\": context deadline exceeded (Client.Timeout exceeded while awaiting headers) [{fails}/{}]", spec.failure_threshold)
                };
                self.log
                    .push(now, EventType::Warning, &object, "Unhealthy", message);
                if fails >= spec.failure_threshold {
                    self.schedule(now + waited, Ev::ProbeKill { pod, cgen });
                    return;
                }
            }
        } else {
            let was_ready = p.ready;
            if ok {
                p.ready_fails = 0;
                p.ready = p.serving;
            } else {
                p.ready_fails += 1;
                if p.ready_fails >= spec.failure_threshold {
                    p.ready = false;
                }
            }
            let now_ready = p.ready;
            if was_ready != now_ready {
                if !now_ready {
                    self.log.push(
                        now,
                        EventType::Warning,
                        &object,
                        "Unhealthy",
                        "Readiness probe failed: context deadline exceeded".into(),
                    );
                }
                self.record_status(pod, PodStatus::Running);
                if now_ready {
                    self.on_ready(pod);
                }
            }
        }
        self.schedule(
            now + spec.period.0,
            Ev::Probe {
                pod,
                cgen,
                liveness,
            },
        );
    }

    /// How long a health check takes right now, or None if nothing answers.
    fn probe_latency(&mut self, pod: u32) -> Option<SimTime> {
        let now = self.now;
        let p = &mut self.pods[pod as usize];
        match &mut p.rt {
            Rt::Node(n) => {
                let start = n.busy_until.max(now);
                let end = p.cfs.finish(start, PROBE_CPU_US);
                n.busy_until = end;
                p.cpu_used_us += PROBE_CPU_US as f64;
                Some(end.saturating_sub(now))
            }
            Rt::Py(py) => {
                let start = py.busy_until.max(now);
                let end = p.cfs.finish(start, PROBE_CPU_US);
                py.busy_until = end;
                p.cpu_used_us += PROBE_CPU_US as f64;
                Some(end.saturating_sub(now))
            }
            // Go and multi-worker servers answer health checks on their own
            // goroutine or thread: they do not queue behind requests.
            Rt::Go(_) | Rt::Pool(_) => Some(SimTime::from_millis(1)),
        }
    }

    fn on_hpa(&mut self, svc: u16) {
        let Some(hpa) = self.svcs[svc as usize].spec.hpa.clone() else {
            return;
        };
        self.schedule(self.now + hpa.sync_period.0, Ev::HpaSync { svc });
        if !self.svcs[svc as usize].hpa_on {
            return;
        }
        let spec = &self.svcs[svc as usize].spec;
        let request_cores = spec
            .cpu_request
            .or(spec.cpu_limit)
            .map(|c| c.cores())
            .unwrap_or(1.0);
        let window = hpa.sync_period.as_secs_f64();
        let pods = self.svcs[svc as usize].pods.clone();
        let mut used = 0.0;
        let mut counted = 0u32;
        for &p in &pods {
            let pod = &mut self.pods[p as usize];
            let delta = pod.cpu_used_us - pod.cpu_at_hpa;
            pod.cpu_at_hpa = pod.cpu_used_us;
            if pod.state == PState::Running && pod.ready {
                used += delta / 1e6 / window;
                counted += 1;
            }
        }
        let current = pods.len() as u32;
        if counted == 0 || current == 0 {
            return;
        }
        let utilization = used / counted as f64 / request_cores;
        let ratio = utilization / hpa.cpu_target;
        let desired = if (ratio - 1.0).abs() <= 0.1 {
            current
        } else {
            libm::ceil(current as f64 * ratio) as u32
        }
        .clamp(hpa.min_replicas, hpa.max_replicas);
        let now = self.now;
        let s = &mut self.svcs[svc as usize];
        s.hpa_recs.push_back((now, desired));
        let keep_from = now.saturating_sub(hpa.scale_down_stabilization.0);
        while s.hpa_recs.front().is_some_and(|(t, _)| *t < keep_from) {
            s.hpa_recs.pop_front();
        }
        let stabilized = s.hpa_recs.iter().map(|(_, d)| *d).max().unwrap_or(desired);
        let target = if desired > current {
            desired
        } else {
            stabilized.min(current)
        };
        if target != current {
            let reason = format!(
                "cpu resource utilization (percentage of request) {} target: {:.0} % vs {:.0} %",
                if target > current { "above" } else { "below" },
                utilization * 100.0,
                hpa.cpu_target * 100.0
            );
            let name = self.svcs[svc as usize].name.clone();
            self.log.push(
                now,
                EventType::Normal,
                &format!("horizontalpodautoscaler/{name}"),
                "SuccessfulRescale",
                format!("New size: {target}; reason: {reason}"),
            );
            self.scale_to(svc, target, "HPA");
        }
    }

    // ----- flags ------------------------------------------------------

    fn flag_index(&self, name: &str) -> Option<usize> {
        self.flags.iter().position(|f| f.name == name)
    }

    fn flag_value_served(&self, spec: &ServiceSpec) -> i64 {
        let Some(c) = &spec.checkout else { return 0 };
        self.flag_index(&c.flag)
            .map(|i| self.flags[i].served.value())
            .unwrap_or(0)
    }

    fn checkout_flag(&self, pod: u32) -> i64 {
        let p = &self.pods[pod as usize];
        let spec = &self.svcs[p.svc as usize].spec;
        let cache = spec
            .checkout
            .as_ref()
            .map(|c| c.flag_cache)
            .unwrap_or_default();
        match (&p.rt, cache) {
            (Rt::Go(g), FlagCache::Startup) => g.flag_cached,
            _ => self.flag_value_served(spec),
        }
    }

    // ----- load -------------------------------------------------------

    fn start_load(&mut self, users: u32, rate: f64) {
        let now = self.now;
        if !self.load.running {
            self.load.running_since = Some(now);
        }
        self.load.running = true;
        self.load.target = users;
        self.load.spawn_rate = rate;
        self.load.started_at.get_or_insert(now);
        self.log.push(
            now,
            EventType::Action,
            "load-generator",
            "LoadStarted",
            format!("Ramping to {users} users at a rate of {rate} per second"),
        );
        self.stop_extra_users();
        self.ensure_spawning();
    }

    fn stop_load(&mut self) {
        if let Some(since) = self.load.running_since.take() {
            self.load.running_seconds += self.now.saturating_sub(since).as_secs_f64();
        }
        self.load.running = false;
        self.load.target = 0;
        self.log.push(
            self.now,
            EventType::Action,
            "load-generator",
            "LoadStopped",
            "Stopping all users".into(),
        );
        self.stop_extra_users();
    }

    fn stop_extra_users(&mut self) {
        // Locust stops the most recently started users first.
        let mut excess = self.load.active.saturating_sub(self.load.target);
        let mut i = self.users.len();
        while excess > 0 && i > 0 {
            i -= 1;
            let u = &mut self.users[i];
            if u.active && !u.stopping {
                excess -= 1;
                if u.waiting {
                    u.stopping = true;
                } else {
                    self.deactivate(i as u32);
                }
            }
        }
    }

    fn deactivate(&mut self, user: u32) {
        let u = &mut self.users[user as usize];
        if !u.active {
            return;
        }
        u.active = false;
        u.stopping = false;
        u.gen = u.gen.wrapping_add(1);
        let (conn, cgen) = (u.conn_pod, u.conn_cgen);
        u.conn_pod = NONE;
        self.load.active -= 1;
        self.load.free.push(user);
        self.drop_connection(conn, cgen);
    }

    fn drop_connection(&mut self, pod: u32, cgen: u32) {
        if pod == NONE {
            return;
        }
        let p = &mut self.pods[pod as usize];
        if p.cgen == cgen {
            if let Rt::Node(n) = &mut p.rt {
                n.conns = n.conns.saturating_sub(1);
            }
        }
    }

    fn ensure_spawning(&mut self) {
        if self.load.running && self.load.active < self.load.target && !self.load.spawn_pending {
            self.load.spawn_pending = true;
            self.schedule(self.now, Ev::SpawnUser);
        }
    }

    fn on_spawn_user(&mut self) {
        self.load.spawn_pending = false;
        if !self.load.running || self.load.active >= self.load.target {
            return;
        }
        let user = match self.load.free.pop() {
            Some(u) => u,
            None => {
                self.users.push(User {
                    conn_pod: NONE,
                    ..User::default()
                });
                (self.users.len() - 1) as u32
            }
        };
        self.load.active += 1;
        {
            let u = &mut self.users[user as usize];
            u.active = true;
            u.stopping = false;
            u.waiting = false;
            u.gen = u.gen.wrapping_add(1);
        }
        if !self.on_start.is_empty() {
            let u = &mut self.users[user as usize];
            u.in_on_start = true;
            u.step = 0;
            u.repeats_left = 1;
            self.issue(user);
        } else {
            self.next_task(user);
        }
        if self.load.active < self.load.target {
            self.load.spawn_pending = true;
            let gap = SimTime::from_secs_f64(1.0 / self.load.spawn_rate.max(1e-3));
            self.schedule(self.now + gap, Ev::SpawnUser);
        }
    }

    fn on_user_wake(&mut self, user: u32, gen: u32) {
        let u = &self.users[user as usize];
        if !u.active || u.waiting || u.gen != gen {
            return;
        }
        if u.stopping {
            self.deactivate(user);
            return;
        }
        self.next_task(user);
    }

    fn next_task(&mut self, user: u32) {
        let task = self.rng_tasks.weighted(&self.task_weights, self.task_total);
        let u = &mut self.users[user as usize];
        u.in_on_start = false;
        u.task = task as u16;
        u.step = 0;
        if self.tasks[task].steps.is_empty() {
            self.think(user);
            return;
        }
        self.users[user as usize].repeats_left = self.draw_repeats(user);
        self.issue(user);
    }

    fn current_step(&self, user: u32) -> &StepC {
        let u = &self.users[user as usize];
        if u.in_on_start {
            &self.on_start[u.step as usize]
        } else {
            &self.tasks[u.task as usize].steps[u.step as usize]
        }
    }

    fn steps_len(&self, user: u32) -> usize {
        let u = &self.users[user as usize];
        if u.in_on_start {
            self.on_start.len()
        } else {
            self.tasks[u.task as usize].steps.len()
        }
    }

    fn draw_repeats(&mut self, user: u32) -> u32 {
        match self.current_step(user).repeat {
            Some((low, high)) => low + self.rng_tasks.below((high - low + 1) as u64) as u32,
            None => 1,
        }
    }

    fn think(&mut self, user: u32) {
        if self.users[user as usize].stopping || !self.load.running {
            self.deactivate(user);
            return;
        }
        let tt = &self.sc.workload.think_time;
        let wait = self
            .rng_users
            .uniform(tt.min.as_secs_f64(), tt.max.as_secs_f64());
        let gen = self.users[user as usize].gen;
        self.schedule(
            self.now + SimTime::from_secs_f64(wait),
            Ev::UserWake { user, gen },
        );
    }

    fn issue(&mut self, user: u32) {
        let now = self.now;
        let (svc, route, slow) = {
            let s = self.current_step(user);
            (s.svc, s.route, s.slow)
        };
        let gen = {
            let u = &mut self.users[user as usize];
            u.gen = u.gen.wrapping_add(1);
            u.waiting = true;
            u.req_start = now;
            u.slow_limit = slow;
            u.gen
        };
        self.client.issued += 1;
        let pod = if self.svcs[svc as usize].kind == ServiceKind::NodeFrontend {
            self.sticky_pod(user, svc)
        } else {
            self.pick_pod(svc)
        };
        // Without a ready pod the connection fails first (when the connect
        // timeout is the shorter one); otherwise the client timeout runs.
        let (timeout, connect) = (
            self.sc.workload.request_timeout.0,
            self.sc.workload.connect_timeout.0,
        );
        if pod.is_some() || connect >= timeout {
            self.schedule_lane(
                LANE_CLIENT_TIMEOUT,
                now + timeout,
                Ev::ClientTimeout { user, gen },
            );
        }
        match pod {
            None => {
                self.schedule_lane(LANE_CONNECT, now + connect, Ev::ConnectFailed { user, gen });
            }
            Some(pod) => {
                if let Some(slot) = self.new_sreq(pod, route, user, gen, NONE, 0) {
                    self.arrive(slot);
                } else {
                    self.resolve(user, gen, Err(Fail::Refused));
                }
            }
        }
    }

    /// A resolved request: the user moves on.
    fn resolve(&mut self, user: u32, gen: u32, outcome: Result<(), Fail>) {
        let now = self.now;
        let u = &mut self.users[user as usize];
        if !u.waiting || u.gen != gen || !u.active {
            return;
        }
        u.waiting = false;
        let latency = now.saturating_sub(u.req_start);
        let outcome = match (outcome, u.slow_limit) {
            (Ok(()), Some(limit)) if latency > limit => Err(Fail::Slow),
            (o, _) => o,
        };
        let c = &mut self.client;
        // Connection failures have no response time worth a percentile;
        // everything else is a response, as Locust counts it.
        if outcome != Err(Fail::Connect) {
            c.hist_all.record(latency.0);
            c.int_hist.record(latency.0);
        }
        match outcome {
            Ok(()) => {
                c.ok += 1;
                c.int_ok += 1;
                c.hist_ok.record(latency.0);
            }
            Err(f) => {
                c.failed += 1;
                c.int_fail += 1;
                c.failures[f.index()] += 1;
            }
        }
        // Next step, or think.
        let u = &mut self.users[user as usize];
        if u.stopping {
            self.deactivate(user);
            return;
        }
        if u.repeats_left > 1 {
            u.repeats_left -= 1;
            self.issue(user);
            return;
        }
        u.step += 1;
        if (u.step as usize) < self.steps_len(user) {
            self.users[user as usize].repeats_left = self.draw_repeats(user);
            self.issue(user);
        } else if self.users[user as usize].in_on_start {
            self.next_task(user);
        } else {
            self.think(user);
        }
    }

    fn pick_pod(&mut self, svc: u16) -> Option<u32> {
        let pods = &self.svcs[svc as usize].pods;
        let ready = pods
            .iter()
            .filter(|&&p| self.pods[p as usize].ready)
            .count();
        if ready == 0 {
            return None;
        }
        let mut k = if ready == 1 {
            0
        } else {
            self.rng_routing.below(ready as u64) as usize
        };
        for &p in pods {
            if self.pods[p as usize].ready {
                if k == 0 {
                    return Some(p);
                }
                k -= 1;
            }
        }
        None
    }

    /// Keep-alive: a user's connection stays on its pod while that
    /// container lives, ready or not (kube-proxy balances connections).
    fn sticky_pod(&mut self, user: u32, svc: u16) -> Option<u32> {
        let (conn, cgen) = {
            let u = &self.users[user as usize];
            (u.conn_pod, u.conn_cgen)
        };
        if conn != NONE {
            let p = &self.pods[conn as usize];
            if p.cgen == cgen && p.state == PState::Running && p.svc == svc {
                return Some(conn);
            }
        }
        let pod = self.pick_pod(svc)?;
        let cgen_new = self.pods[pod as usize].cgen;
        self.drop_connection(conn, cgen);
        if let Rt::Node(n) = &mut self.pods[pod as usize].rt {
            n.conns += 1;
        }
        let u = &mut self.users[user as usize];
        u.conn_pod = pod;
        u.conn_cgen = cgen_new;
        Some(pod)
    }

    // ----- server requests ----------------------------------------------

    fn new_sreq(
        &mut self,
        pod: u32,
        route: u16,
        user: u32,
        ugen: u32,
        parent: u32,
        parent_rid: u32,
    ) -> Option<u32> {
        let rid = self.next_rid;
        self.next_rid = self.next_rid.wrapping_add(1).max(1);
        let req = SReq {
            rid,
            live: true,
            pod,
            cgen: self.pods[pod as usize].cgen,
            route,
            user,
            ugen,
            parent,
            parent_rid,
            start: self.now,
            stage: 0,
            call_idx: 0,
            mem: 0.0,
        };
        let slot = match self.free_reqs.pop() {
            Some(s) => {
                self.reqs[s as usize] = req;
                s
            }
            None => {
                // Bounded by users plus their back-end calls.
                if self.reqs.len() >= (crate::scenario::MAX_USERS as usize) * 8 {
                    return None;
                }
                self.reqs.push(req);
                (self.reqs.len() - 1) as u32
            }
        };
        self.pods[pod as usize].inflight += 1;
        Some(slot)
    }

    fn sreq(&self, slot: u32, rid: u32) -> Option<SReq> {
        let r = self.reqs[slot as usize];
        if !r.live || r.rid != rid {
            return None;
        }
        let p = &self.pods[r.pod as usize];
        if p.cgen != r.cgen || p.state != PState::Running {
            return None;
        }
        Some(r)
    }

    fn charge_mem(&mut self, slot: u32, bytes: f64) {
        let r = &mut self.reqs[slot as usize];
        r.mem += bytes;
        let pod = r.pod;
        self.pods[pod as usize].inflight_mem += bytes;
    }

    fn free_sreq(&mut self, slot: u32) {
        let r = self.reqs[slot as usize];
        if !r.live {
            return;
        }
        self.reqs[slot as usize].live = false;
        self.free_reqs.push(slot);
        let p = &mut self.pods[r.pod as usize];
        if p.cgen == r.cgen {
            p.inflight = p.inflight.saturating_sub(1);
            p.inflight_mem = (p.inflight_mem - r.mem).max(0.0);
        }
    }

    /// The server finished (or failed) a request: record it, answer the caller.
    fn reply(&mut self, slot: u32, outcome: Result<(), Fail>) {
        let r = self.reqs[slot as usize];
        if !r.live {
            return;
        }
        let svc = self.pods[r.pod as usize].svc as usize;
        let s = &mut self.svcs[svc];
        s.int_hist.record(self.now.saturating_sub(r.start).0);
        if outcome.is_ok() {
            s.int_ok += 1;
        } else {
            s.int_fail += 1;
        }
        self.free_sreq(slot);
        if r.parent == NONE {
            self.resolve(r.user, r.ugen, outcome);
        } else {
            self.node_backend_done(r.parent, r.parent_rid, outcome.is_ok());
        }
    }

    fn fail_requests_on(&mut self, pod: u32) {
        let slots: Vec<u32> = (0..self.reqs.len() as u32)
            .filter(|&s| self.reqs[s as usize].live && self.reqs[s as usize].pod == pod)
            .collect();
        for slot in slots {
            self.reply(slot, Err(Fail::Reset));
        }
    }

    fn arrive(&mut self, slot: u32) {
        let pod = self.reqs[slot as usize].pod;
        match self.pods[pod as usize].rt {
            Rt::Go(_) => self.checkout_arrive(slot),
            Rt::Node(_) => self.node_arrive(slot),
            Rt::Pool(_) => self.pool_arrive(slot),
            Rt::Py(_) => self.python_arrive(slot),
        }
    }

    // ----- worker pools ---------------------------------------------------

    fn pool_arrive(&mut self, slot: u32) {
        let r = self.reqs[slot as usize];
        let pod = r.pod;
        let svc = self.pods[pod as usize].svc as usize;
        let mem = self.svcs[svc].routes[r.route as usize].memory;
        let pool = self.svcs[svc].spec.pool.clone().expect("normalized");
        self.charge_mem(slot, mem);
        if self.check_oom(pod) {
            return;
        }
        let Rt::Pool(state) = &mut self.pods[pod as usize].rt else {
            return;
        };
        if state.busy < pool.workers {
            self.pool_start(slot);
        } else if (state.queue.len() as u32) < pool.queue_limit {
            state.queue.push_back(slot);
        } else {
            self.reply(slot, Err(Fail::Refused));
        }
    }

    fn pool_start(&mut self, slot: u32) {
        let r = self.reqs[slot as usize];
        let pod = r.pod as usize;
        let svc = self.pods[pod].svc as usize;
        let route = &self.svcs[svc].routes[r.route as usize];
        let (cpu_us, wait_s, sigma) = (route.cpu_us, route.wait_s, route.sigma);
        let cores = self.svcs[svc]
            .spec
            .cpu_limit
            .map(|c| c.cores())
            .unwrap_or(f64::INFINITY);
        let thrash = self.thrash_factor(pod as u32);
        let Rt::Pool(state) = &mut self.pods[pod].rt else {
            return;
        };
        state.busy += 1;
        let speed = (cores / state.busy as f64).min(1.0);
        let wait = if wait_s > 0.0 {
            self.rng_latency.lognormal(wait_s, sigma)
        } else {
            0.0
        };
        let service = wait + cpu_us / 1e6 / speed * thrash;
        self.pods[pod].cpu_used_us += cpu_us;
        self.schedule(
            self.now + SimTime::from_secs_f64(service),
            Ev::WorkDone { slot, rid: r.rid },
        );
    }

    fn on_work_done(&mut self, slot: u32, rid: u32) {
        let Some(r) = self.sreq(slot, rid) else {
            return;
        };
        let pod = r.pod as usize;
        match &mut self.pods[pod].rt {
            Rt::Pool(state) => {
                state.busy = state.busy.saturating_sub(1);
                let next = state.queue.pop_front();
                self.reply(slot, Ok(()));
                if let Some(next) = next {
                    if self.reqs[next as usize].live {
                        self.pool_start(next);
                    }
                }
            }
            Rt::Py(_) => self.reply(slot, Ok(())),
            _ => {}
        }
    }

    // ----- python ---------------------------------------------------------

    fn python_arrive(&mut self, slot: u32) {
        let r = self.reqs[slot as usize];
        let pod = r.pod;
        let svc = self.pods[pod as usize].svc as usize;
        let route = &self.svcs[svc].routes[r.route as usize];
        let (cpu_us, wait_s, sigma, mem) = (route.cpu_us, route.wait_s, route.sigma, route.memory);
        let extra_cpu = match &mut self.pods[pod as usize].rt {
            Rt::Py(py) => py
                .leaks
                .on_request(self.svcs[svc].spec.python.as_ref().expect("normalized")),
            _ => 0.0,
        };
        self.charge_mem(slot, mem);
        if self.check_oom(pod) {
            return;
        }
        let now = self.now;
        let work = (cpu_us + extra_cpu) as u64;
        let p = &mut self.pods[pod as usize];
        let Rt::Py(py) = &mut p.rt else { return };
        let start = py.busy_until.max(now);
        let end = p.cfs.finish(start, work);
        py.busy_until = end;
        p.cpu_used_us += work as f64;
        let wait = if wait_s > 0.0 {
            self.rng_latency.lognormal(wait_s, sigma)
        } else {
            0.0
        };
        self.schedule(
            end + SimTime::from_secs_f64(wait),
            Ev::WorkDone { slot, rid: r.rid },
        );
    }

    // ----- node front end -----------------------------------------------

    fn node_gc_factor(&self, pod: u32) -> f64 {
        let p = &self.pods[pod as usize];
        let node = self.svcs[p.svc as usize]
            .spec
            .node
            .as_ref()
            .expect("normalized");
        let Rt::Node(n) = &p.rt else { return 1.0 };
        let heap = p.inflight_mem + n.conns as f64 * node.memory_per_connection.as_f64();
        1.0 + heap / node.gc_heap_scale.as_f64()
    }

    fn node_enqueue(&mut self, slot: u32, cpu_us: f64, after: bool) {
        let r = self.reqs[slot as usize];
        let pod = r.pod;
        let work = (cpu_us * self.node_gc_factor(pod)) as u64;
        let now = self.now;
        let p = &mut self.pods[pod as usize];
        let Rt::Node(n) = &mut p.rt else { return };
        let start = n.busy_until.max(now);
        let end = p.cfs.finish(start, work);
        n.busy_until = end;
        p.cpu_used_us += work as f64;
        self.schedule(
            end,
            Ev::NodeJob {
                slot,
                rid: r.rid,
                after,
            },
        );
    }

    fn node_arrive(&mut self, slot: u32) {
        let r = self.reqs[slot as usize];
        let pod = r.pod;
        let svc = self.pods[pod as usize].svc as usize;
        let (mem, cpu) = {
            let route = &self.svcs[svc].routes[r.route as usize];
            (route.memory, route.cpu_us)
        };
        self.charge_mem(slot, mem);
        if self.node_fd_check(pod) || self.check_oom(pod) {
            return;
        }
        self.node_enqueue(slot, cpu, false);
    }

    /// Past its descriptor limit an unhandled EMFILE takes the process down.
    fn node_fd_check(&mut self, pod: u32) -> bool {
        let p = &self.pods[pod as usize];
        let limit = self.svcs[p.svc as usize]
            .spec
            .node
            .as_ref()
            .expect("normalized")
            .fd_limit;
        let Rt::Node(n) = &p.rt else { return false };
        let open = n.conns + n.backend_sockets + 20;
        if open > limit {
            self.kill(
                pod,
                Exit::Crash("Error: EMFILE: too many open files (unhandled 'error' event)"),
            );
            return true;
        }
        false
    }

    fn on_node_job(&mut self, slot: u32, rid: u32, after: bool) {
        let Some(r) = self.sreq(slot, rid) else {
            return;
        };
        if after {
            self.reply(slot, Ok(()));
            return;
        }
        self.node_next_call(slot, r);
    }

    fn node_next_call(&mut self, slot: u32, r: SReq) {
        let svc = self.pods[r.pod as usize].svc as usize;
        let route = &self.svcs[svc].routes[r.route as usize];
        if let Some(&(target, target_route)) = route.calls.get(r.call_idx as usize) {
            if let Rt::Node(n) = &mut self.pods[r.pod as usize].rt {
                n.backend_sockets += 1;
            }
            if self.node_fd_check(r.pod) {
                return;
            }
            match self.pick_pod(target) {
                None => self.node_backend_done(slot, r.rid, false),
                Some(bpod) => {
                    match self.new_sreq(bpod, target_route, r.user, r.ugen, slot, r.rid) {
                        Some(bslot) => self.arrive(bslot),
                        None => self.node_backend_done(slot, r.rid, false),
                    }
                }
            }
        } else {
            let (after, buffered) = (route.cpu_after_us, route.memory_after);
            if buffered > 0.0 {
                self.charge_mem(slot, buffered);
                if self.check_oom(r.pod) {
                    return;
                }
            }
            if after > 0.0 {
                self.node_enqueue(slot, after, true);
            } else {
                self.reply(slot, Ok(()));
            }
        }
    }

    fn node_backend_done(&mut self, slot: u32, rid: u32, ok: bool) {
        let Some(r) = self.sreq(slot, rid) else {
            return;
        };
        if let Rt::Node(n) = &mut self.pods[r.pod as usize].rt {
            n.backend_sockets = n.backend_sockets.saturating_sub(1);
        }
        if !ok {
            self.reply(slot, Err(Fail::Backend));
            return;
        }
        self.reqs[slot as usize].call_idx += 1;
        let r = self.reqs[slot as usize];
        self.node_next_call(slot, r);
    }

    // ----- go checkout ------------------------------------------------------

    fn go_handle(&mut self, pod: u32, outcome: GcOutcome) {
        if let GcOutcome::DeferredUntil(at) = outcome {
            let cgen = self.pods[pod as usize].cgen;
            if let Rt::Go(g) = &mut self.pods[pod as usize].rt {
                if !g.gc_pending {
                    g.gc_pending = true;
                    self.schedule(at, Ev::GoGc { pod, cgen });
                }
            }
        }
    }

    fn on_go_gc(&mut self, pod: u32, cgen: u32) {
        if !self.pod_current(pod, cgen) {
            return;
        }
        let now = self.now;
        let outcome = match &mut self.pods[pod as usize].rt {
            Rt::Go(g) => {
                g.gc_pending = false;
                g.heap.maybe_collect(now)
            }
            _ => return,
        };
        self.go_account_gc(pod);
        self.go_handle(pod, outcome);
    }

    /// Charges the collector's CPU to the pod's CPU usage.
    fn go_account_gc(&mut self, pod: u32) {
        let p = &mut self.pods[pod as usize];
        if let Rt::Go(g) = &mut p.rt {
            let delta = g.heap.gc_cpu_seconds - g.gc_cpu_accounted_s;
            g.gc_cpu_accounted_s = g.heap.gc_cpu_seconds;
            p.cpu_used_us += delta * 1e6;
        }
    }

    /// The numbers of a checkout's spec, copied (the spec itself holds a String).
    fn checkout_spec(&self, pod: u32) -> CheckoutNumbers {
        self.svcs[self.pods[pod as usize].svc as usize].checkout
    }

    fn checkout_arrive(&mut self, slot: u32) {
        let r = self.reqs[slot as usize];
        let pod = r.pod;
        let spec = self.checkout_spec(pod);
        let now = self.now;
        let outcome = {
            let Rt::Go(g) = &mut self.pods[pod as usize].rt else {
                return;
            };
            g.heap.spawn_goroutines(1, REQUEST_GOROUTINE_STACK);
            g.heap.allocate_live(spec.request_live, now)
        };
        self.go_handle(pod, outcome);
        if self.check_oom(pod) {
            return;
        }
        let thrash = self.thrash_factor(pod);
        let (factor, assist) = match &mut self.pods[pod as usize].rt {
            Rt::Go(g) => g.heap.mutator_slowdown(now),
            _ => (1.0, SimTime::ZERO),
        };
        self.pods[pod as usize].cpu_used_us += PLACE_ORDER_CPU_US;
        let d = self
            .rng_latency
            .lognormal(spec.downstream_s, spec.downstream_sigma)
            * factor
            * thrash;
        self.schedule(
            now + SimTime::from_secs_f64(d) + assist,
            Ev::CheckoutDownstream { slot, rid: r.rid },
        );
        self.schedule_lane(
            LANE_DEADLINE,
            now + spec.deadline,
            Ev::CheckoutDeadline { slot, rid: r.rid },
        );
    }

    fn checkout_cleanup(&mut self, slot: u32) {
        let pod = self.reqs[slot as usize].pod;
        let spec = self.checkout_spec(pod);
        let now = self.now;
        let outcome = {
            let Rt::Go(g) = &mut self.pods[pod as usize].rt else {
                return;
            };
            g.heap.release_live(spec.request_live);
            g.heap.exit_goroutines(1, REQUEST_GOROUTINE_STACK);
            g.heap.allocate_garbage(spec.request_garbage, now)
        };
        self.go_handle(pod, outcome);
    }

    fn on_checkout_downstream(&mut self, slot: u32, rid: u32) {
        let Some(r) = self.sreq(slot, rid) else {
            return;
        };
        if r.stage != 0 {
            return;
        }
        let pod = r.pod;
        let spec = self.checkout_spec(pod);
        let cgen = self.pods[pod as usize].cgen;
        if let Rt::Go(g) = &mut self.pods[pod as usize].rt {
            g.orders += 1;
        }
        if !spec.kafka_configured {
            // No KAFKA_ADDR: no publish, and the flag is never read.
            self.checkout_cleanup(slot);
            self.reply(slot, Ok(()));
            return;
        }
        self.reqs[slot as usize].stage = 1;
        let Rt::Go(g) = &mut self.pods[pod as usize].rt else {
            return;
        };
        if !g.producer.enqueue_main(slot, rid) {
            self.checkout_cleanup(slot);
            self.reply(slot, Err(Fail::Deadline));
            return;
        }
        if !g.producer.flush_scheduled {
            g.producer.flush_scheduled = true;
            self.schedule(self.now, Ev::ProducerFlush { pod, cgen });
        }
    }

    fn on_checkout_deadline(&mut self, slot: u32, rid: u32) {
        let Some(r) = self.sreq(slot, rid) else {
            return;
        };
        let pod = r.pod;
        let buffer = self
            .sc
            .kafka
            .as_ref()
            .map(|k| k.producer_buffer_msgs as u64)
            .unwrap_or(256);
        match r.stage {
            0 => {
                self.reqs[slot as usize].stage = 2;
                self.checkout_cleanup(slot);
                self.reply(slot, Err(Fail::Deadline));
            }
            1 => {
                let Rt::Go(g) = &mut self.pods[pod as usize].rt else {
                    return;
                };
                match g.producer.main_at_deadline(slot, rid, buffer) {
                    MainAtDeadline::Gone => {}
                    MainAtDeadline::NotAccepted => {
                        self.log_once_kafka_deadline(pod);
                        self.checkout_cleanup(slot);
                        self.reply(slot, Err(Fail::Deadline));
                    }
                    MainAtDeadline::Accepted => {
                        // The inner select gives up; the fan-out still runs.
                        self.checkout_fan_out(pod);
                        self.checkout_cleanup(slot);
                        self.reply(slot, Err(Fail::Deadline));
                    }
                }
            }
            _ => {}
        }
    }

    fn log_once_kafka_deadline(&mut self, pod: u32) {
        let object = self.pod_object(pod);
        if !self
            .log
            .events
            .iter()
            .rev()
            .take(200)
            .any(|e| e.reason == "KafkaSendTimeout" && e.object == object)
        {
            self.log.push(
                self.now,
                EventType::Log,
                &object,
                "KafkaSendTimeout",
                "Failed to send message to Kafka within context deadline: context deadline exceeded".into(),
            );
        }
    }

    /// `for i := 0; i < ffValue; i++ { go func() { Input() <- &msg; <-Successes() }() }`
    fn checkout_fan_out(&mut self, pod: u32) {
        let n = self.checkout_flag(pod).max(0) as u64;
        if n == 0 {
            return;
        }
        let spec = self.checkout_spec(pod);
        let now = self.now;
        let cgen = self.pods[pod as usize].cgen;
        let first = {
            let Rt::Go(g) = &mut self.pods[pod as usize].rt else {
                return;
            };
            g.heap.spawn_goroutines(n, spec.goroutine_stack);
            let outcome = g.heap.allocate_live(n as f64 * spec.message_heap, now);
            g.overload_alive += n;
            g.producer.enqueue_overload(n);
            let first = !g.warned;
            g.warned = true;
            let schedule_flush = !g.producer.flush_scheduled;
            g.producer.flush_scheduled = true;
            if schedule_flush {
                self.schedule(now, Ev::ProducerFlush { pod, cgen });
            }
            (first, outcome)
        };
        self.go_handle(pod, first.1);
        if first.0 {
            let object = self.pod_object(pod);
            self.log.push(
                now,
                EventType::Log,
                &object,
                "FeatureFlag",
                "Warning: FeatureFlag 'kafkaQueueProblems' is activated, overloading queue now."
                    .into(),
            );
            self.log.push(
                now,
                EventType::Log,
                &object,
                "FeatureFlag",
                format!("Done with #{n} messages for overload simulation."),
            );
        }
        self.check_oom(pod);
    }

    fn on_producer_flush(&mut self, pod: u32, cgen: u32) {
        if !self.pod_current(pod, cgen) {
            return;
        }
        let Some(kafka) = self.sc.kafka.clone() else {
            return;
        };
        let spec = self.checkout_spec(pod);
        let now = self.now;
        let thrash = self.thrash_factor(pod);
        let dt = kafka.flush_interval.as_secs_f64();
        let delivery = {
            let Rt::Go(g) = &mut self.pods[pod as usize].rt else {
                return;
            };
            let (factor, _) = g.heap.mutator_slowdown(now);
            let rate = kafka.throughput_msgs_per_s / factor / thrash;
            g.producer
                .deliver(rate, dt, kafka.loss_ratio, &mut self.rng_kafka)
        };
        let stack = spec.goroutine_stack;
        let msg_heap = spec.message_heap;
        let delivered = delivery.overload_ok + delivery.overload_lost + delivery.mains.len() as u64;
        let mut gc = GcOutcome::None;
        {
            let Rt::Go(g) = &mut self.pods[pod as usize].rt else {
                return;
            };
            // Woken goroutines exit: stacks back to free pages, copies become garbage.
            g.heap.exit_goroutines(delivery.overload_ok, stack);
            g.heap.release_live(delivery.overload_ok as f64 * msg_heap);
            g.overload_alive -= delivery.overload_ok.min(g.overload_alive);
            for &(_, _, ok, orphaned) in &delivery.mains {
                if orphaned && ok {
                    // Nobody waits for this success: one stranded goroutine takes it.
                    let stuck = g.overload_alive.saturating_sub(g.producer.queued_overload);
                    if stuck > 0 {
                        g.heap.exit_goroutines(1, stack);
                        g.heap.release_live(msg_heap);
                        g.overload_alive -= 1;
                    }
                }
            }
            if delivered > 0 {
                gc = g
                    .heap
                    .allocate_garbage(delivered as f64 * spec.message_garbage, now);
            }
        }
        self.pods[pod as usize].cpu_used_us += delivered as f64 * MESSAGE_CPU_US;
        self.go_handle(pod, gc);
        if let Some(k) = &mut self.kafka {
            k.topic += delivery.written as f64;
        }
        for (slot, rid, ok, orphaned) in delivery.mains {
            if orphaned {
                continue;
            }
            if self.sreq(slot, rid).is_none() {
                continue;
            }
            if !ok {
                let object = self.pod_object(pod);
                if !self
                    .log
                    .events
                    .iter()
                    .rev()
                    .take(50)
                    .any(|e| e.reason == "KafkaError" && e.object == object)
                {
                    self.log.push(
                        now,
                        EventType::Log,
                        &object,
                        "KafkaError",
                        "Failed to write message: kafka: Failed to deliver 1 messages.".into(),
                    );
                }
            }
            self.reqs[slot as usize].stage = 2;
            self.checkout_fan_out(pod);
            if !self.pod_current(pod, cgen) {
                return;
            }
            self.checkout_cleanup(slot);
            self.reply(slot, Ok(()));
        }
        if !self.pod_current(pod, cgen) {
            return;
        }
        let Rt::Go(g) = &mut self.pods[pod as usize].rt else {
            return;
        };
        if g.producer.queued > 0 {
            self.schedule(
                now + kafka.flush_interval.0,
                Ev::ProducerFlush { pod, cgen },
            );
        } else {
            g.producer.flush_scheduled = false;
        }
    }

    // ----- actions ----------------------------------------------------------

    fn svc_by_name(&self, name: &str) -> Option<u16> {
        self.svcs
            .iter()
            .position(|s| s.name == name)
            .map(|i| i as u16)
    }

    fn apply_action(&mut self, action: &Action) {
        let now = self.now;
        let text = action.kind.to_string();
        match &action.kind {
            ActionKind::SetFlagVariant { flag, variant } => {
                if let Some(i) = self.flag_index(flag) {
                    self.flags[i].config.default_variant = variant.clone();
                    self.flag_changed(i, text);
                }
            }
            ActionKind::SetFlagValue {
                flag,
                variant,
                value,
            } => {
                if let Some(i) = self.flag_index(flag) {
                    self.flags[i]
                        .config
                        .variants
                        .insert(variant.clone(), *value);
                    self.flag_changed(i, text);
                }
            }
            ActionKind::StartLoad { users, spawn_rate } => {
                let users = users.unwrap_or(self.sc.workload.users);
                let rate = spawn_rate.unwrap_or(self.sc.workload.spawn_rate);
                self.start_load(users, rate);
            }
            ActionKind::StopLoad => self.stop_load(),
            ActionKind::SetUsers { users, spawn_rate } => {
                if let Some(r) = spawn_rate {
                    self.load.spawn_rate = *r;
                }
                self.load.target = *users;
                self.log.push(
                    now,
                    EventType::Action,
                    "load-generator",
                    "LoadChanged",
                    text,
                );
                self.stop_extra_users();
                self.ensure_spawning();
            }
            ActionKind::Restart { service } if service == "flagd" => {
                for f in &mut self.flags {
                    f.served = f.config.clone();
                }
                self.log.push(
                    now,
                    EventType::Action,
                    "flagd",
                    "Restarted",
                    "flagd restarted and reloaded its configuration".into(),
                );
            }
            ActionKind::Restart { service } => {
                if let Some(svc) = self.svc_by_name(service) {
                    self.rollout(
                        svc,
                        format!("kubectl rollout restart deployment {service}").as_str(),
                    );
                }
            }
            ActionKind::Scale { service, replicas } => {
                if let Some(svc) = self.svc_by_name(service) {
                    self.scale_to(svc, *replicas, "kubectl scale");
                }
            }
            ActionKind::SetLimit {
                service,
                memory,
                cpu_millicores,
            } => {
                if let Some(svc) = self.svc_by_name(service) {
                    let s = &mut self.svcs[svc as usize];
                    if let Some(m) = memory {
                        s.spec.memory_limit = crate::units::Bytes(*m);
                    }
                    if let Some(c) = cpu_millicores {
                        s.spec.cpu_limit = Some(crate::units::Millicores(*c));
                    }
                    self.rollout(svc, &format!("kubectl set resources: {text}"));
                }
            }
            ActionKind::Leak {
                service,
                kind,
                enabled,
            } => {
                if let Some(svc) = self.svc_by_name(service) {
                    for pod in self.svcs[svc as usize].pods.clone() {
                        if let Rt::Py(py) = &mut self.pods[pod as usize].rt {
                            py.leaks.set_enabled(*kind, *enabled);
                        }
                    }
                    if let Some(py) = self.svcs[svc as usize].spec.python.as_mut() {
                        match kind {
                            LeakKind::Cache => py.cache_enabled = *enabled,
                            LeakKind::Listeners => py.listeners_enabled = *enabled,
                            LeakKind::History => py.history_enabled = *enabled,
                        }
                    }
                    self.log.push(
                        now,
                        EventType::Action,
                        &format!("service/{service}"),
                        "LeakToggled",
                        format!(
                            "POST /admin/leaks/{} {{\"enabled\": {enabled}}}",
                            kind.as_str()
                        ),
                    );
                }
            }
            ActionKind::Clear { service, target } => {
                if let Some(svc) = self.svc_by_name(service) {
                    let spec = self.svcs[svc as usize]
                        .spec
                        .python
                        .clone()
                        .unwrap_or_default();
                    for pod in self.svcs[svc as usize].pods.clone() {
                        if let Rt::Py(py) = &mut self.pods[pod as usize].rt {
                            py.leaks.clear(*target, &spec);
                        }
                    }
                    self.log.push(
                        now,
                        EventType::Action,
                        &format!("service/{service}"),
                        "LeakCleared",
                        format!("POST /admin/leaks/clear ({text})"),
                    );
                }
            }
            ActionKind::Gc { service } => {
                if let Some(svc) = self.svc_by_name(service) {
                    let spec = self.svcs[svc as usize]
                        .spec
                        .python
                        .clone()
                        .unwrap_or_default();
                    let mut collected = 0.0;
                    for pod in self.svcs[svc as usize].pods.clone() {
                        match &mut self.pods[pod as usize].rt {
                            Rt::Py(py) => collected += py.leaks.collect(&spec),
                            Rt::Go(g) => g.heap.collect(now),
                            _ => {}
                        }
                    }
                    self.log.push(
                        now,
                        EventType::Action,
                        &format!("service/{service}"),
                        "GarbageCollected",
                        format!("gc: collected {}", format_bytes_human(collected)),
                    );
                }
            }
            ActionKind::Hpa { service, enabled } => {
                if let Some(svc) = self.svc_by_name(service) {
                    self.svcs[svc as usize].hpa_on = *enabled;
                    self.log.push(
                        now,
                        EventType::Action,
                        &format!("horizontalpodautoscaler/{service}"),
                        "HpaToggled",
                        text,
                    );
                }
            }
        }
    }

    fn flag_changed(&mut self, flag: usize, text: String) {
        let now = self.now;
        let f = &self.flags[flag];
        let message = format!(
            "{text} (config: {}={}, served until reload: {})",
            f.name,
            f.config.value(),
            f.served.value()
        );
        self.log
            .push(now, EventType::Action, "flagd", "FlagChanged", message);
        if self.sc.flagd.reload == FlagdReload::Watch {
            self.schedule(
                now + self.sc.flagd.propagation_delay.0,
                Ev::FlagdPropagate { flag: flag as u16 },
            );
        }
    }

    // ----- sampling ---------------------------------------------------------

    fn on_sample(&mut self) {
        let now = self.now;
        let dt = self.sc.sample_interval.as_secs_f64();
        self.sample_times.push(now.0);
        if now + self.sc.sample_interval.0 <= self.end {
            self.schedule(now + self.sc.sample_interval.0, Ev::Sample);
        }
        // Per-pod housekeeping: idle allocation, forced GC, interpreter GC.
        for pod in 0..self.pods.len() as u32 {
            if self.pods[pod as usize].state != PState::Running {
                continue;
            }
            let svc = self.pods[pod as usize].svc as usize;
            match &mut self.pods[pod as usize].rt {
                Rt::Go(g) => {
                    let bg = self.svcs[svc]
                        .spec
                        .go
                        .as_ref()
                        .map(|g| g.background_alloc_per_s.as_f64())
                        .unwrap_or(0.0);
                    let outcome = g.heap.allocate_garbage(bg * dt, now);
                    self.go_handle(pod, outcome);
                    self.go_account_gc(pod);
                    self.check_oom(pod);
                }
                Rt::Py(py) if now >= py.next_auto_gc => {
                    let spec = self.svcs[svc].spec.python.clone().unwrap_or_default();
                    py.leaks.collect(&spec);
                    py.next_auto_gc = now + spec.auto_gc_interval.0;
                }
                _ => {}
            }
        }
        self.sample_kafka(dt);
        for svc in 0..self.svcs.len() {
            self.sample_service(svc, dt);
        }
        let c = &mut self.client;
        let ids = &self.client_ids;
        self.rec.push(ids.users, Some(self.load.active as f64));
        self.rec
            .push(ids.rate, Some((c.int_ok + c.int_fail) as f64 / dt));
        self.rec.push(ids.fail_rate, Some(c.int_fail as f64 / dt));
        self.rec.push(ids.p50, c.int_hist.quantile_ms(0.50));
        self.rec.push(ids.p95, c.int_hist.quantile_ms(0.95));
        self.rec.push(ids.p99, c.int_hist.quantile_ms(0.99));
        c.int_hist.clear();
        c.int_ok = 0;
        c.int_fail = 0;
    }

    fn sample_kafka(&mut self, dt: f64) {
        let Some(spec) = self.sc.kafka.clone() else {
            return;
        };
        let flag_on = self
            .flags
            .iter()
            .any(|f| f.name == "kafkaQueueProblems" && f.served.value() > 0);
        let Some(k) = &mut self.kafka else { return };
        let sleep = spec.fraud_detection_sleep.as_secs_f64();
        let fraud_rate = if flag_on && sleep > 0.0 {
            1.0 / sleep
        } else {
            spec.consumer_msgs_per_s
        };
        k.fraud_consumed = (k.fraud_consumed + fraud_rate * dt).min(k.topic);
        let before = k.accounting_rows;
        k.accounting_rows = (k.accounting_rows + spec.accounting_rows_per_s * dt).min(k.topic);
        let rows = k.accounting_rows - before;
        k.db_bytes += rows * spec.row_bytes.as_f64();
        k.wal_bytes += rows * spec.wal_bytes_per_row.as_f64();
        k.iops = rows / spec.rows_per_write.max(1) as f64 / dt;
        let (lag, db, wal, iops) = (k.topic - k.fraud_consumed, k.db_bytes, k.wal_bytes, k.iops);
        let ids = (k.lag_id, k.db_id, k.wal_id, k.iops_id);
        self.rec.push(ids.0, Some(lag));
        self.rec.push(ids.1, Some(db));
        self.rec.push(ids.2, Some(wal));
        self.rec.push(ids.3, Some(iops));
    }

    fn sample_service(&mut self, svc: usize, dt: f64) {
        let now = self.now;
        let pods = self.svcs[svc].pods.clone();
        let mut ws: Option<f64> = None;
        let mut usage: Option<f64> = None;
        let mut util: Option<f64> = None;
        let mut cpu = 0.0;
        let mut active = 0u32;
        let mut ready = 0u32;
        let mut restarts = self.svcs[svc].retired_restarts;
        // heap_alloc, goroutines, gc count, gc goal, gc cpu, producer queue, lost, orders
        let mut go: Option<[f64; 8]> = None;
        let mut node: Option<(f64, f64)> = None;
        let mut py: Option<([f64; 3], [f64; 3], f64)> = None;
        let limit = self.svcs[svc].spec.memory_limit.as_f64();
        let mut flag_seen: Option<f64> = None;
        for &p in &pods {
            restarts += self.pods[p as usize].restarts as u64;
            let delta = self.pods[p as usize].cpu_used_us - self.pods[p as usize].cpu_at_sample;
            self.pods[p as usize].cpu_at_sample = self.pods[p as usize].cpu_used_us;
            if self.pods[p as usize].state != PState::Running {
                continue;
            }
            cpu += delta / 1e6 / dt;
            if self.pods[p as usize].ready {
                ready += 1;
            }
            active += self.pods[p as usize].inflight;
            if let Some(v) = self.memory_view(p) {
                let pl = self.pods[p as usize].memory_limit;
                ws = Some(ws.unwrap_or(0.0).max(v.working_set()));
                usage = Some(usage.unwrap_or(0.0).max(v.usage()));
                util = Some(util.unwrap_or(0.0).max(v.working_set() / pl));
            }
            if self.svcs[svc].kind == ServiceKind::GoCheckout && flag_seen.is_none() {
                flag_seen = Some(self.checkout_flag(p) as f64);
            }
            let pod = &mut self.pods[p as usize];
            match &mut pod.rt {
                Rt::Go(g) => {
                    let util_gc = g.heap.gc_utilization(now);
                    let stuck_and_queued = g.producer.queued as f64;
                    let prev = go.unwrap_or_default();
                    let now_values = [
                        g.heap.in_use,
                        g.heap.goroutines as f64,
                        g.heap.gc_count as f64,
                        g.heap.goal().min(1e15),
                        util_gc,
                        stuck_and_queued,
                        g.producer.lost_total as f64,
                        g.orders as f64,
                    ];
                    // Largest across pods; orders add up.
                    let mut merged = prev;
                    for (k, v) in now_values.iter().enumerate() {
                        merged[k] = if k == 7 {
                            merged[k] + v
                        } else {
                            merged[k].max(*v)
                        };
                    }
                    go = Some(merged);
                }
                Rt::Node(n) => {
                    let lag = n.busy_until.saturating_sub(now).as_millis_f64();
                    let prev = node.unwrap_or_default();
                    node = Some((prev.0.max(lag), prev.1 + n.conns as f64));
                }
                Rt::Py(p) => {
                    let prev = py.unwrap_or_default();
                    let mut b = prev.0;
                    let mut c = prev.1;
                    for (i, k) in LeakKind::ALL.iter().enumerate() {
                        b[i] += p.leaks.bytes_of(*k);
                        c[i] += p.leaks.count_of(*k) as f64;
                    }
                    py = Some((b, c, prev.2 + p.leaks.cyclic_garbage));
                }
                Rt::Pool(_) => {}
            }
        }
        let flag_served = self.flag_value_served(&self.svcs[svc].spec) as f64;
        let s = &mut self.svcs[svc];
        if let Some(w) = ws {
            s.peak_ws = s.peak_ws.max(w);
        }
        if let Some(u) = util {
            s.peak_util = s.peak_util.max(u);
        }
        let ids = &s.ids;
        let p50 = s.int_hist.quantile_ms(0.5);
        let p95 = s.int_hist.quantile_ms(0.95);
        let p99 = s.int_hist.quantile_ms(0.99);
        let rate = (s.int_ok + s.int_fail) as f64 / dt;
        let fail_rate = s.int_fail as f64 / dt;
        s.window_hist.merge(&s.int_hist);
        let window_ended = now.saturating_sub(s.window_started) >= self.sc.alerts.latency_window.0;
        let window_p95 = if window_ended {
            s.window_hist.quantile_ms(0.95)
        } else {
            None
        };
        if window_ended {
            s.window_hist.clear();
            s.window_started = now;
        }
        s.int_hist.clear();
        s.int_ok = 0;
        s.int_fail = 0;
        let rec = &mut self.rec;
        rec.push(ids.ws, ws);
        rec.push(ids.usage, usage);
        rec.push(ids.util, util);
        rec.push(ids.limit, Some(limit));
        rec.push(ids.cpu, Some(cpu));
        rec.push(ids.restarts, Some(restarts as f64));
        rec.push(ids.ready, Some(ready as f64));
        rec.push(ids.rate, Some(rate));
        rec.push(ids.fail_rate, Some(fail_rate));
        rec.push(ids.p50, p50);
        rec.push(ids.p95, p95);
        rec.push(ids.p99, p99);
        rec.push(ids.active, Some(active as f64));
        let gids = [
            ids.heap_alloc,
            ids.goroutines,
            ids.gc_count,
            ids.gc_goal,
            ids.gc_cpu,
            ids.producer_queue,
            ids.kafka_lost,
            ids.orders,
        ];
        for (k, id) in gids.iter().enumerate() {
            if let Some(id) = id {
                rec.push(*id, go.map(|v| v[k]));
            }
        }
        if let Some(id) = ids.flag_value {
            rec.push(id, flag_seen);
        }
        if let Some(id) = ids.flag_served {
            rec.push(id, Some(flag_served));
        }
        if let (Some(lag), Some(conns)) = (ids.loop_lag, ids.conns) {
            rec.push(lag, node.map(|n| n.0));
            rec.push(conns, node.map(|n| n.1));
        }
        if let (Some(b), Some(c)) = (ids.leak_bytes, ids.leak_count) {
            for i in 0..3 {
                rec.push(b[i], py.map(|p| p.0[i]));
                rec.push(c[i], py.map(|p| p.1[i]));
            }
        }
        if let Some(id) = ids.leak_cycles {
            rec.push(id, py.map(|p| p.2));
        }
        let name = s.name.clone();
        let input = AlertInput {
            working_set: ws,
            limit,
            latency_p95_ms: window_p95,
            latency_window_ended: window_ended,
            restarts,
        };
        for t in self.alerts.evaluate(svc, &name, now, input) {
            let kind = if t.firing {
                EventType::Alert
            } else {
                EventType::Normal
            };
            let reason = if t.firing {
                "AlertFiring"
            } else {
                "AlertResolved"
            };
            self.log.push(
                now,
                kind,
                &format!("alert/{}", t.rule.as_str()),
                reason,
                t.message,
            );
        }
    }

    // ----- the end ------------------------------------------------------------

    fn finish(mut self) -> Trace {
        if let Some(since) = self.load.running_since.take() {
            self.load.running_seconds += self.end.saturating_sub(since).as_secs_f64();
        }
        // Every series has exactly one value per sample.
        for s in &mut self.rec.series {
            s.values.resize(self.sample_times.len(), None);
        }
        let _ = self.samples_expected;
        let c = &self.client;
        let in_flight = c.issued - c.ok - c.failed;
        let completed = (c.ok + c.failed) as f64;
        let mut failures = BTreeMap::new();
        for (i, n) in c.failures.iter().enumerate() {
            if *n > 0 {
                failures.insert(FAIL_NAMES[i].to_string(), *n);
            }
        }
        let requests = RequestSummary {
            issued: c.issued,
            succeeded: c.ok,
            failed: c.failed,
            in_flight,
            rate_per_s: if self.load.running_seconds > 0.0 {
                completed / self.load.running_seconds
            } else {
                0.0
            },
            failure_ratio: if completed > 0.0 {
                c.failed as f64 / completed
            } else {
                0.0
            },
            latency_ms_p50: c.hist_all.quantile_ms(0.5),
            latency_ms_p95: c.hist_all.quantile_ms(0.95),
            latency_ms_p99: c.hist_all.quantile_ms(0.99),
            success_latency_ms_p50: c.hist_ok.quantile_ms(0.5),
            success_latency_ms_p95: c.hist_ok.quantile_ms(0.95),
            success_latency_ms_p99: c.hist_ok.quantile_ms(0.99),
            failures_by_reason: failures,
        };
        let services = self
            .svcs
            .iter()
            .map(|s| {
                let restarts = s.retired_restarts
                    + s.pods
                        .iter()
                        .map(|&p| self.pods[p as usize].restarts as u64)
                        .sum::<u64>();
                ServiceSummary {
                    name: s.name.clone(),
                    kind: s.kind.as_str().to_string(),
                    first_oom_s: s.first_oom.map(|t| t.as_secs_f64()),
                    restarts,
                    oom_kills: s.oom_kills,
                    crashes: s.crashes,
                    liveness_kills: s.liveness_kills,
                    peak_working_set_bytes: s.peak_ws,
                    peak_utilization: s.peak_util,
                    memory_bytes_limit: s.spec.memory_limit.as_f64(),
                }
            })
            .collect();
        let alerts = self
            .alerts
            .firings
            .iter()
            .map(|a| AlertSummary {
                rule: a.rule.as_str().to_string(),
                service: a.service.clone(),
                at_s: a.at_us as f64 / 1e6,
                message: a.message.clone(),
            })
            .collect();
        if self.log.dropped > 0 {
            let dropped = self.log.dropped;
            self.log.dropped = 0;
            self.log.events.pop();
            self.log.push(
                self.end,
                EventType::Warning,
                "incident-lab",
                "LogTruncated",
                format!("{} more events were not kept", dropped + 1),
            );
        }
        let summary = Summary {
            scenario: self.sc.name.clone(),
            trace_hash: String::new(),
            seed: self.sc.seed,
            duration_s: self.sc.duration.as_secs_f64(),
            load_started_s: self.load.started_at.map(|t| t.as_secs_f64()),
            services,
            requests,
            alerts,
            events_processed: self.events,
        };
        let mut trace = Trace {
            format: TRACE_FORMAT.to_string(),
            source: "model".to_string(),
            scenario: (*self.sc).clone(),
            sample_times_us: self.sample_times,
            series: self.rec.series,
            pods: self.pods.into_iter().map(|p| p.timeline).collect(),
            events: self.log.events,
            alerts: self.alerts.firings,
            summary,
        };
        trace.summary.trace_hash = trace.compute_hash();
        trace
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Exit {
    Oom,
    Crash(&'static str),
    Liveness,
    Deleted,
}

/// Runs a validated scenario to its end. Pure: same scenario, same trace.
pub fn simulate(scenario: &Scenario) -> Trace {
    World::new(scenario).run()
}
