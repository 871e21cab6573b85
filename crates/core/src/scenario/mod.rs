//! A scenario is plain data: topology, workload, flags, runtime knobs, a
//! timeline of actions, duration and sample interval. It reads from TOML or
//! JSON, validates into a list of problems (every one, each with its field
//! path and the allowed range), and takes `--set path=value` overrides.

mod action;
mod decode;
mod params;

pub use action::{Action, ActionKind, LeakKind, LeakTarget};
pub use params::{apply_set, find_param, list_params, ParamInfo, ParamKind};

use crate::decode::{FromValue, Path};
use crate::units::{Bytes, Dur, Millicores, SimTime, KIB, MIB};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;

/// Largest scenario file we read: bigger input is refused before parsing.
pub const MAX_SCENARIO_BYTES: usize = 256 * 1024;
pub const MAX_DURATION: SimTime = SimTime::from_secs(2 * 3600);
pub const MIN_SAMPLE_INTERVAL: SimTime = SimTime::from_millis(100);
pub const MAX_SAMPLES: u64 = 7_200;
pub const MAX_USERS: u32 = 20_000;
pub const MAX_SERVICES: usize = 16;
pub const MAX_REPLICAS: u32 = 20;
pub const MAX_FLAG_VALUE: i64 = 5_000;
pub const MAX_TASKS: usize = 32;
pub const MAX_STEPS: usize = 16;
pub const MAX_ACTIONS: usize = 200;

/// One problem found in a scenario: where, and what is allowed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub path: String,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

impl Problem {
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Problem {
        Problem {
            path: path.into(),
            message: message.into(),
        }
    }
}

/// Every problem found, in a stable order. Never empty when returned as an error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problems(pub Vec<Problem>);

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Problems {}

impl From<Problem> for Problems {
    fn from(p: Problem) -> Problems {
        Problems(vec![p])
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Scenario {
    /// Short identifier, used by `incident simulate NAME` and share links.
    pub name: String,
    pub title: String,
    /// One line: what the learner will see.
    pub description: String,
    /// Which seed document this reproduces.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed_doc: Option<String>,
    /// Where the model departs from the document's numbers, and why.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub notes: String,
    pub seed: u64,
    pub duration: Dur,
    pub sample_interval: Dur,
    pub services: BTreeMap<String, ServiceSpec>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub flags: BTreeMap<String, FlagSpec>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kafka: Option<KafkaSpec>,
    pub flagd: FlagdSpec,
    pub workload: WorkloadSpec,
    pub alerts: AlertSpec,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub timeline: Vec<Action>,
    /// Parameter paths a learner explores first; the app shows these as
    /// sliders and folds the rest under "advanced".
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub controls: Vec<String>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ServiceKind {
    /// The OTel demo checkout: Go runtime, PlaceOrder, Kafka fan-out.
    GoCheckout,
    /// The Sock Shop front end: one Node event loop proxying to back ends.
    NodeFrontend,
    /// A multi-worker service with a CPU limit (Sock Shop back ends, the OTel frontend).
    #[default]
    WorkerPool,
    /// Seed 004's leaky Python service.
    PythonLeaky,
}

impl ServiceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceKind::GoCheckout => "go-checkout",
            ServiceKind::NodeFrontend => "node-frontend",
            ServiceKind::WorkerPool => "worker-pool",
            ServiceKind::PythonLeaky => "python-leaky",
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RestartPolicy {
    /// Kubernetes: CrashLoopBackOff, 10 s doubling to 300 s, reset after 10 min up.
    #[default]
    Kubelet,
    /// Docker's `restart: always`: 100 ms doubling, reset after 10 s up.
    Docker,
    /// Stay dead.
    Never,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ProbeSpec {
    pub initial_delay: Dur,
    pub period: Dur,
    pub timeout: Dur,
    pub failure_threshold: u32,
}

impl Default for ProbeSpec {
    fn default() -> Self {
        ProbeSpec {
            initial_delay: Dur::secs(10),
            period: Dur::secs(10),
            timeout: Dur::secs(1),
            failure_threshold: 3,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HpaSpec {
    pub enabled: bool,
    pub min_replicas: u32,
    pub max_replicas: u32,
    /// Target average CPU utilization of the request, as a fraction (0.7 = 70 %).
    pub cpu_target: f64,
    pub sync_period: Dur,
    /// Scale-down waits this long (Kubernetes' stabilization window).
    pub scale_down_stabilization: Dur,
}

/// One request type a service serves.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RouteSpec {
    /// CPU time per request before any back-end call (event loop or worker).
    pub cpu: Dur,
    /// Node only: CPU time after the back-end responses arrive (parse, render).
    #[serde(skip_serializing_if = "is_zero_dur")]
    pub cpu_after: Dur,
    /// Median time waiting on something that is not this service's CPU.
    pub wait: Dur,
    /// Log-normal shape of `wait`.
    pub sigma: f64,
    /// Node only: back-end calls `service/route`, made one after another.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub calls: Vec<String>,
    /// Memory held while a request is in flight.
    pub memory: Bytes,
    /// Node only: memory held from the back-end response until the reply is
    /// sent (the buffered body and the objects parsed from it).
    #[serde(skip_serializing_if = "is_zero_bytes")]
    pub memory_after: Bytes,
}

impl Default for RouteSpec {
    fn default() -> Self {
        RouteSpec {
            cpu: Dur::default(),
            cpu_after: Dur::default(),
            wait: Dur::default(),
            sigma: 0.3,
            calls: Vec::new(),
            memory: Bytes::default(),
            memory_after: Bytes::default(),
        }
    }
}

fn is_zero_bytes(b: &Bytes) -> bool {
    b.0 == 0
}

fn is_zero_dur(d: &Dur) -> bool {
    d.0 == SimTime::ZERO
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ServiceSpec {
    pub kind: ServiceKind,
    pub replicas: u32,
    pub memory_limit: Bytes,
    /// Memory request (scheduling and HPA denominator); defaults to the limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory_request: Option<Bytes>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_limit: Option<Millicores>,
    /// CPU request: the HPA's utilization denominator. Defaults to the limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_request: Option<Millicores>,
    /// Hot file-backed pages (the binary's text): counted in the working set,
    /// but the kernel can reclaim them under pressure.
    pub file_cache_active: Bytes,
    /// Cold page cache (logs, files read once): in usage, not in the working set.
    pub file_cache_inactive: Bytes,
    /// From container start to serving requests.
    pub startup: Dur,
    pub restart_policy: RestartPolicy,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub liveness: Option<ProbeSpec>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub readiness: Option<ProbeSpec>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hpa: Option<HpaSpec>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub go: Option<GoSpec>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checkout: Option<CheckoutSpec>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node: Option<NodeSpec>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pool: Option<PoolSpec>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub python: Option<PythonSpec>,
    pub routes: BTreeMap<String, RouteSpec>,
}

/// The Go runtime's knobs and the process's fixed costs.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GoSpec {
    /// GOGC percent; 0 means off.
    pub gogc: u32,
    /// GOMEMLIMIT; absent means no soft limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gomemlimit: Option<Bytes>,
    pub gomaxprocs: u32,
    /// Reachable heap of an idle process (caches, clients, config).
    pub baseline_live_heap: Bytes,
    pub baseline_goroutines: u32,
    /// Average stack of a long-lived goroutine (servers, clients, exporters).
    pub baseline_stack: Bytes,
    /// Runtime metadata, mcache/mspan, OS thread stacks.
    pub runtime_overhead: Bytes,
    pub globals: Bytes,
    /// Garbage made per second when idle (exporters, health checks).
    pub background_alloc_per_s: Bytes,
    /// Bytes the collector marks per CPU-second (heap and stacks).
    pub mark_bytes_per_cpu_s: Bytes,
}

impl Default for GoSpec {
    fn default() -> Self {
        GoSpec {
            gogc: 100,
            gomemlimit: None,
            gomaxprocs: 2,
            baseline_live_heap: Bytes(2 * MIB),
            baseline_goroutines: 40,
            baseline_stack: Bytes(8 * KIB),
            runtime_overhead: Bytes(MIB),
            globals: Bytes(256 * KIB),
            background_alloc_per_s: Bytes(32 * KIB),
            mark_bytes_per_cpu_s: Bytes(128 * MIB),
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FlagCache {
    /// Every PlaceOrder evaluates the flag against flagd.
    #[default]
    Live,
    /// The value read when the container started stays in use until restart
    /// (seed 002: "checkout service might be caching old flag value").
    Startup,
}

/// PlaceOrder and the `kafkaQueueProblems` fan-out.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CheckoutSpec {
    /// KAFKA_ADDR set. Without it the flag has no effect at all.
    pub kafka_configured: bool,
    pub flag: String,
    pub flag_cache: FlagCache,
    /// Median of the calls PlaceOrder makes before publishing (cart,
    /// catalog, currency, payment, shipping, email).
    pub downstream: Dur,
    pub downstream_sigma: f64,
    /// The caller's deadline for PlaceOrder.
    pub deadline: Dur,
    /// Stack plus goroutine descriptor of one blocked overload goroutine.
    pub goroutine_stack: Bytes,
    /// Heap one overload goroutine keeps reachable (its message copy).
    pub message_heap: Bytes,
    /// Heap reachable while one PlaceOrder is in flight.
    pub request_live: Bytes,
    /// Garbage one PlaceOrder leaves behind.
    pub request_garbage: Bytes,
    /// Garbage the producer makes per message it sends.
    pub message_garbage: Bytes,
}

impl Default for CheckoutSpec {
    fn default() -> Self {
        CheckoutSpec {
            kafka_configured: true,
            flag: "kafkaQueueProblems".into(),
            flag_cache: FlagCache::Live,
            downstream: Dur::millis(150),
            downstream_sigma: 0.35,
            deadline: Dur::millis(700),
            goroutine_stack: Bytes(2150),
            message_heap: Bytes(512),
            request_live: Bytes(64 * KIB),
            request_garbage: Bytes(256 * KIB),
            message_garbage: Bytes(256),
        }
    }
}

/// The Node front end's process: event loop, heap, connections.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NodeSpec {
    /// Resident memory of an idle process.
    pub baseline_memory: Bytes,
    /// Memory per open client connection (socket buffers, parser).
    pub memory_per_connection: Bytes,
    /// V8's garbage collection work grows with the heap: event-loop CPU is
    /// multiplied by (1 + heap / gc_heap_scale).
    pub gc_heap_scale: Bytes,
    /// Open sockets (clients plus back-end calls) past which the process
    /// crashes: an unhandled EMFILE.
    pub fd_limit: u32,
}

impl Default for NodeSpec {
    fn default() -> Self {
        NodeSpec {
            baseline_memory: Bytes(150 * MIB),
            memory_per_connection: Bytes(64 * KIB),
            gc_heap_scale: Bytes(400 * MIB),
            fd_limit: 4096,
        }
    }
}

/// A multi-worker service: threads or a connection pool in front of a database.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PoolSpec {
    pub workers: u32,
    pub baseline_memory: Bytes,
    /// Requests waiting beyond this are refused (a full accept queue).
    pub queue_limit: u32,
}

impl Default for PoolSpec {
    fn default() -> Self {
        PoolSpec {
            workers: 8,
            baseline_memory: Bytes(64 * MIB),
            queue_limit: 10_000,
        }
    }
}

/// Seed 004's service: three leaks, each retaining bytes per request.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PythonSpec {
    pub baseline_memory: Bytes,
    pub cache_enabled: bool,
    pub listeners_enabled: bool,
    pub history_enabled: bool,
    /// Bytes the unbounded cache keeps per request (the response payload).
    pub cache_bytes_per_request: Bytes,
    /// Bytes one accumulated listener closure keeps (it captures the request).
    pub listener_bytes_per_request: Bytes,
    /// Bytes one request-history record keeps (headers, body, timings).
    pub history_bytes_per_request: Bytes,
    /// pymalloc arenas that stay mapped after objects are freed, as a
    /// fraction of what was freed.
    pub fragmentation: f64,
    /// The interpreter's own full collection runs about this often under load.
    pub auto_gc_interval: Dur,
}

impl Default for PythonSpec {
    fn default() -> Self {
        PythonSpec {
            baseline_memory: Bytes(48 * MIB),
            cache_enabled: false,
            listeners_enabled: false,
            history_enabled: false,
            cache_bytes_per_request: Bytes(10 * KIB),
            listener_bytes_per_request: Bytes(3 * KIB),
            history_bytes_per_request: Bytes(5 * KIB),
            fragmentation: 0.04,
            auto_gc_interval: Dur::secs(600),
        }
    }
}

/// Kafka as the checkout sees it: a producer with bounded throughput, and
/// the two consumers of the `orders` topic.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct KafkaSpec {
    /// Messages per second the producer can deliver to the broker.
    pub throughput_msgs_per_s: f64,
    /// Fraction of deliveries that never return a success (failed writes
    /// swallowed under acks=NoResponse). Their goroutines wait forever.
    pub loss_ratio: f64,
    /// Messages the producer accepts before `Input()` blocks its senders.
    pub producer_buffer_msgs: u32,
    pub flush_interval: Dur,
    /// fraud-detection sleeps this long per record while the flag is on.
    pub fraud_detection_sleep: Dur,
    /// Consumer throughput when nothing slows it down.
    pub consumer_msgs_per_s: f64,
    /// accounting: rows Postgres can insert per second.
    pub accounting_rows_per_s: f64,
    /// Table plus index bytes per order row.
    pub row_bytes: Bytes,
    /// WAL bytes per inserted row.
    pub wal_bytes_per_row: Bytes,
    /// Rows written per write operation (commit batching).
    pub rows_per_write: u32,
}

impl Default for KafkaSpec {
    fn default() -> Self {
        KafkaSpec {
            throughput_msgs_per_s: 700.0,
            loss_ratio: 0.105,
            producer_buffer_msgs: 256,
            flush_interval: Dur::millis(20),
            fraud_detection_sleep: Dur::secs(1),
            consumer_msgs_per_s: 2000.0,
            accounting_rows_per_s: 800.0,
            row_bytes: Bytes(420),
            wal_bytes_per_row: Bytes(560),
            rows_per_write: 1,
        }
    }
}

/// A flagd flag: named variants and the default one served.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FlagSpec {
    pub variants: BTreeMap<String, i64>,
    pub default_variant: String,
}

impl FlagSpec {
    pub fn value(&self) -> i64 {
        self.variants
            .get(&self.default_variant)
            .copied()
            .unwrap_or(0)
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FlagdReload {
    /// flagd watches its config: a change is served after `propagation_delay`.
    #[default]
    Watch,
    /// flagd serves what it read at start; a change needs `restart flagd`.
    Restart,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FlagdSpec {
    pub reload: FlagdReload,
    /// ConfigMap to flagd: the kubelet syncs mounted files about once a minute.
    pub propagation_delay: Dur,
}

impl Default for FlagdSpec {
    fn default() -> Self {
        FlagdSpec {
            reload: FlagdReload::Watch,
            propagation_delay: Dur(SimTime::ZERO),
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ThinkTime {
    pub min: Dur,
    pub max: Dur,
}

/// One request of a task: `service/route`, optionally repeated.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StepSpec {
    pub call: String,
    /// Repeat a random number of times in `[min, max]` (checkout_multi's 2–4 carts).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repeat: Option<[u32; 2]>,
    /// Locust `catch_response`: a response slower than this counts as a failure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fail_slower_than: Option<Dur>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TaskSpec {
    pub name: String,
    pub weight: u32,
    pub steps: Vec<StepSpec>,
}

/// Locust-like closed-loop load.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct WorkloadSpec {
    pub users: u32,
    /// Users started per second.
    pub spawn_rate: f64,
    pub think_time: ThinkTime,
    /// When the load starts; absent means only the timeline starts it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_at: Option<Dur>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop_at: Option<Dur>,
    /// Client timeout for a whole request.
    pub request_timeout: Dur,
    /// How long a connection attempt waits when no pod is ready.
    pub connect_timeout: Dur,
    /// Steps each user runs once when it starts (Locust `on_start`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub on_start: Vec<StepSpec>,
    pub tasks: Vec<TaskSpec>,
}

/// The seeds' alert rules, with their thresholds.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AlertSpec {
    pub utilization_warning: f64,
    pub utilization_critical: f64,
    /// Working-set growth over `growth_window`, in bytes per minute.
    pub growth_bytes_per_min: f64,
    pub growth_window: Dur,
    /// Server-side P95 over each `latency_window`.
    pub latency_p95_ms: f64,
    /// The latency rule is judged once per window (the seeds' "every 1 minute").
    pub latency_window: Dur,
    pub restarts: bool,
    /// Linear regression over this window predicts the OOM time.
    pub predictive_window: Dur,
    /// Fire when the predicted OOM is closer than this.
    pub predictive_horizon: Dur,
    /// After a container starts, the growth and forecast rules ignore its
    /// memory this long: start-up allocation is not a leak. An assumption
    /// about the alerting rules, like a Prometheus `for:` clause.
    pub warmup: Dur,
}

impl Default for AlertSpec {
    fn default() -> Self {
        AlertSpec {
            utilization_warning: 0.70,
            utilization_critical: 0.85,
            growth_bytes_per_min: 500_000.0,
            growth_window: Dur::secs(60),
            latency_p95_ms: 500.0,
            latency_window: Dur::secs(60),
            restarts: true,
            predictive_window: Dur::secs(300),
            predictive_horizon: Dur::secs(600),
            warmup: Dur::secs(120),
        }
    }
}

impl Scenario {
    /// Parses TOML: a syntax error names its line, a type error its field
    /// path. A file may start from a preset or base with `extends = "NAME"`
    /// and override only what differs (tables merge, values and arrays replace).
    pub fn from_toml(text: &str) -> Result<Scenario, Problems> {
        check_size(text)?;
        let value = crate::toml_reader::parse(text).map_err(|e| Problem::new("", e.to_string()))?;
        Scenario::from_value(value)
    }

    pub fn from_json(text: &str) -> Result<Scenario, Problems> {
        check_size(text)?;
        let value = crate::json::parse(text)
            .map_err(|e| Problem::new("", format!("not valid JSON: {e}")))?;
        Scenario::from_value(value)
    }

    /// Every format arrives here as a JSON value: one deserializer for the
    /// whole scenario keeps the browser bundle small.
    pub fn from_value(mut value: serde_json::Value) -> Result<Scenario, Problems> {
        let mut depth = 0;
        while let Some(base_name) = value.as_object_mut().and_then(|m| m.remove("extends")) {
            depth += 1;
            let Some(base_name) = base_name.as_str().map(str::to_string) else {
                return Err(Problem::new("extends", "must be the name of a preset or base").into());
            };
            if depth > 4 {
                return Err(Problem::new("extends", "bases nest more than 4 deep").into());
            }
            let Some(base_text) = crate::presets::source(&base_name) else {
                return Err(Problem::new(
                    "extends",
                    format!(
                        "unknown preset or base `{base_name}`; choose one of {}",
                        crate::presets::extendable().join(", ")
                    ),
                )
                .into());
            };
            let mut base = crate::toml_reader::parse(base_text).map_err(|e| {
                Problem::new("extends", format!("base `{base_name}` is broken: {e}"))
            })?;
            merge(&mut base, value);
            value = base;
        }
        let shape = params::schema_problems(&value);
        if !shape.is_empty() {
            return Err(Problems(shape));
        }
        let scenario = <Scenario as FromValue>::from_value(&value, Path::Root)?;
        scenario.normalized_and_validated()
    }

    /// TOML or JSON, decided by the first non-blank character.
    pub fn parse(text: &str) -> Result<Scenario, Problems> {
        if text.trim_start().starts_with('{') {
            Scenario::from_json(text)
        } else {
            Scenario::from_toml(text)
        }
    }

    #[cfg(feature = "toml-write")]
    pub fn to_toml(&self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| toml::to_string(&v).ok())
            .unwrap_or_default()
    }

    pub fn to_json(&self) -> String {
        serde_json::to_value(self)
            .ok()
            .map(|v| crate::json::to_pretty(&v))
            .unwrap_or_default()
    }

    fn normalized_and_validated(mut self) -> Result<Scenario, Problems> {
        self.normalize();
        let problems = self.validate();
        if problems.is_empty() {
            Ok(self)
        } else {
            Err(Problems(problems))
        }
    }

    /// Fills the kind-specific sections with their defaults, so every knob
    /// has a path and a value (`incident params` lists them all).
    pub fn normalize(&mut self) {
        for service in self.services.values_mut() {
            match service.kind {
                ServiceKind::GoCheckout => {
                    service.go.get_or_insert_with(GoSpec::default);
                    service.checkout.get_or_insert_with(CheckoutSpec::default);
                }
                ServiceKind::NodeFrontend => {
                    service.node.get_or_insert_with(NodeSpec::default);
                }
                ServiceKind::WorkerPool => {
                    service.pool.get_or_insert_with(PoolSpec::default);
                }
                ServiceKind::PythonLeaky => {
                    service.python.get_or_insert_with(PythonSpec::default);
                }
            }
        }
        let has_checkout = self.services.values().any(|s| {
            s.kind == ServiceKind::GoCheckout
                && s.checkout.as_ref().is_some_and(|c| c.kafka_configured)
        });
        if has_checkout {
            self.kafka.get_or_insert_with(KafkaSpec::default);
        }
    }

    /// Every problem, each with its path and what is allowed.
    pub fn validate(&self) -> Vec<Problem> {
        let mut problems = params::check_ranges(self);
        self.check_structure(&mut problems);
        problems
    }

    fn check_structure(&self, problems: &mut Vec<Problem>) {
        let push = |problems: &mut Vec<Problem>, path: String, message: String| {
            problems.push(Problem::new(path, message));
        };
        if self.name.trim().is_empty() {
            push(problems, "name".into(), "must not be empty".into());
        }
        if !self
            .name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            push(
                problems,
                "name".into(),
                format!("`{}` may only use letters, digits, `-` and `_`", self.name),
            );
        }
        let samples = self.duration.0 .0 / self.sample_interval.0 .0.max(1);
        if samples > MAX_SAMPLES {
            push(
                problems,
                "sample_interval".into(),
                format!(
                    "{} over {} makes {samples} samples; the maximum is {MAX_SAMPLES} (use a sample interval of at least {})",
                    self.sample_interval,
                    self.duration,
                    crate::units::format_duration(SimTime(self.duration.0 .0.div_ceil(MAX_SAMPLES)))
                ),
            );
        }
        if self.sample_interval.0 > self.duration.0 {
            push(
                problems,
                "sample_interval".into(),
                format!("must not exceed the duration {}", self.duration),
            );
        }
        if self.services.is_empty() {
            push(
                problems,
                "services".into(),
                "at least one service is required".into(),
            );
        }
        if self.services.len() > MAX_SERVICES {
            push(
                problems,
                "services".into(),
                format!(
                    "{} services; the maximum is {MAX_SERVICES}",
                    self.services.len()
                ),
            );
        }
        for (name, service) in &self.services {
            let base = format!("services.{name}");
            if !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                || name.is_empty()
            {
                push(
                    problems,
                    base.clone(),
                    "service names may only use letters, digits, `-` and `_`".into(),
                );
            }
            let section_ok = match service.kind {
                ServiceKind::GoCheckout => {
                    service.node.is_none() && service.pool.is_none() && service.python.is_none()
                }
                ServiceKind::NodeFrontend => {
                    service.go.is_none()
                        && service.checkout.is_none()
                        && service.pool.is_none()
                        && service.python.is_none()
                }
                ServiceKind::WorkerPool => {
                    service.go.is_none()
                        && service.checkout.is_none()
                        && service.node.is_none()
                        && service.python.is_none()
                }
                ServiceKind::PythonLeaky => {
                    service.go.is_none()
                        && service.checkout.is_none()
                        && service.node.is_none()
                        && service.pool.is_none()
                }
            };
            if !section_ok {
                push(
                    problems,
                    base.clone(),
                    format!(
                        "has a section for another kind of service; a {} takes only its own section",
                        service.kind.as_str()
                    ),
                );
            }
            if let Some(hpa) = &service.hpa {
                if hpa.min_replicas > hpa.max_replicas {
                    push(
                        problems,
                        format!("{base}.hpa.min_replicas"),
                        format!(
                            "{} is above max_replicas {}",
                            hpa.min_replicas, hpa.max_replicas
                        ),
                    );
                }
                if service.cpu_limit.is_none() && service.cpu_request.is_none() {
                    push(
                        problems,
                        format!("{base}.hpa"),
                        "an HPA on CPU needs cpu_request or cpu_limit".into(),
                    );
                }
            }
            if service.kind == ServiceKind::GoCheckout && !service.routes.is_empty() {
                push(
                    problems,
                    format!("{base}.routes"),
                    "a go-checkout serves only place_order; set its latency in checkout.downstream"
                        .into(),
                );
            }
            if service.kind == ServiceKind::PythonLeaky && service.routes.is_empty() {
                push(
                    problems,
                    format!("{base}.routes"),
                    "needs at least one route (for example api_data)".into(),
                );
            }
            if matches!(
                service.kind,
                ServiceKind::NodeFrontend | ServiceKind::WorkerPool
            ) && service.routes.is_empty()
            {
                push(
                    problems,
                    format!("{base}.routes"),
                    "needs at least one route".into(),
                );
            }
            for (route_name, route) in &service.routes {
                let route_path = format!("{base}.routes.{route_name}");
                if service.kind != ServiceKind::NodeFrontend {
                    if !route.calls.is_empty() {
                        push(
                            problems,
                            format!("{route_path}.calls"),
                            "only a node-frontend calls back ends".into(),
                        );
                    }
                    if route.memory_after.0 != 0 {
                        push(
                            problems,
                            format!("{route_path}.memory_after"),
                            "only a node-frontend buffers back-end responses".into(),
                        );
                    }
                    if route.cpu_after.0 != SimTime::ZERO {
                        push(
                            problems,
                            format!("{route_path}.cpu_after"),
                            "only a node-frontend has CPU after its back-end calls".into(),
                        );
                    }
                }
                if route.calls.len() > 4 {
                    push(
                        problems,
                        format!("{route_path}.calls"),
                        format!("{} calls; the maximum is 4", route.calls.len()),
                    );
                }
                for (i, call) in route.calls.iter().enumerate() {
                    match self.resolve_call(call) {
                        Ok((target, _)) if target == name => push(
                            problems,
                            format!("{route_path}.calls.{i}"),
                            "a service cannot call itself".into(),
                        ),
                        Ok((target, _)) if self.services[target].kind == ServiceKind::NodeFrontend => push(
                            problems,
                            format!("{route_path}.calls.{i}"),
                            "a back-end call must go to a worker-pool, go-checkout or python-leaky service".into(),
                        ),
                        Ok(_) => {}
                        Err(message) => push(problems, format!("{route_path}.calls.{i}"), message),
                    }
                }
            }
        }
        for (flag_name, flag) in &self.flags {
            if !flag.variants.contains_key(&flag.default_variant) {
                push(
                    problems,
                    format!("flags.{flag_name}.default_variant"),
                    format!(
                        "`{}` is not one of its variants ({})",
                        flag.default_variant,
                        flag.variants.keys().cloned().collect::<Vec<_>>().join(", ")
                    ),
                );
            }
            if flag.variants.len() > 8 {
                push(
                    problems,
                    format!("flags.{flag_name}.variants"),
                    "at most 8 variants".into(),
                );
            }
        }
        if self.flags.len() > 16 {
            push(problems, "flags".into(), "at most 16 flags".into());
        }
        let w = &self.workload;
        if w.think_time.min > w.think_time.max {
            push(
                problems,
                "workload.think_time.min".into(),
                format!(
                    "{} is above think_time.max {}",
                    w.think_time.min, w.think_time.max
                ),
            );
        }
        if w.tasks.is_empty() {
            push(
                problems,
                "workload.tasks".into(),
                "at least one task is required".into(),
            );
        }
        if w.tasks.len() > MAX_TASKS {
            push(
                problems,
                "workload.tasks".into(),
                format!("{} tasks; the maximum is {MAX_TASKS}", w.tasks.len()),
            );
        }
        if w.tasks.iter().all(|t| t.weight == 0) && !w.tasks.is_empty() {
            push(
                problems,
                "workload.tasks".into(),
                "at least one task needs a weight above 0".into(),
            );
        }
        if let (Some(start), Some(stop)) = (w.start_at, w.stop_at) {
            if stop <= start {
                push(
                    problems,
                    "workload.stop_at".into(),
                    format!("{stop} is not after start_at {start}"),
                );
            }
        }
        let check_steps = |steps: &[StepSpec], path: String, problems: &mut Vec<Problem>| {
            if steps.len() > MAX_STEPS {
                problems.push(Problem::new(
                    path.clone(),
                    format!("{} steps; the maximum is {MAX_STEPS}", steps.len()),
                ));
            }
            for (j, step) in steps.iter().enumerate() {
                let step_path = format!("{path}.{j}");
                if let Err(message) = self.resolve_call(&step.call) {
                    problems.push(Problem::new(format!("{step_path}.call"), message));
                }
                if let Some([low, high]) = step.repeat {
                    if low == 0 || low > high || high > 10 {
                        problems.push(Problem::new(
                            format!("{step_path}.repeat"),
                            format!("[{low}, {high}] must satisfy 1 <= min <= max <= 10"),
                        ));
                    }
                }
            }
        };
        check_steps(&w.on_start, "workload.on_start".into(), problems);
        for (i, task) in w.tasks.iter().enumerate() {
            let path = format!("workload.tasks.{i}");
            if task.steps.is_empty() && task.weight > 0 {
                // A task with no steps is a Locust task that issues nothing
                // (the OTel demo's flood_home with its flag off): allowed.
            }
            check_steps(&task.steps, format!("{path}.steps"), problems);
        }
        if self.timeline.len() > MAX_ACTIONS {
            push(
                problems,
                "timeline".into(),
                format!(
                    "{} actions; the maximum is {MAX_ACTIONS}",
                    self.timeline.len()
                ),
            );
        }
        for (i, action) in self.timeline.iter().enumerate() {
            let path = format!("timeline.{i}");
            if action.at.0 > self.duration.0 {
                push(
                    problems,
                    path.clone(),
                    format!(
                        "at {} is after the end of the run ({})",
                        action.at, self.duration
                    ),
                );
            }
            if let Err(message) = action.check(self) {
                push(problems, path, message);
            }
        }
        let has_checkout = self
            .services
            .values()
            .any(|s| s.kind == ServiceKind::GoCheckout);
        if self.kafka.is_some() && !has_checkout {
            push(
                problems,
                "kafka".into(),
                "only a go-checkout service publishes to Kafka".into(),
            );
        }
    }

    /// `service/route` to the service name and route name, or a message
    /// listing what exists.
    pub fn resolve_call<'a>(&'a self, call: &'a str) -> Result<(&'a str, &'a str), String> {
        let Some((service, route)) = call.split_once('/') else {
            return Err(format!("`{call}` must be written service/route"));
        };
        let Some(spec) = self.services.get(service) else {
            return Err(format!(
                "unknown service `{service}`; the services are {}",
                self.services.keys().cloned().collect::<Vec<_>>().join(", ")
            ));
        };
        let known = if spec.kind == ServiceKind::GoCheckout {
            route == "place_order"
        } else {
            spec.routes.contains_key(route)
        };
        if !known {
            let routes = if spec.kind == ServiceKind::GoCheckout {
                "place_order".to_string()
            } else {
                spec.routes.keys().cloned().collect::<Vec<_>>().join(", ")
            };
            return Err(format!(
                "`{service}` has no route `{route}`; its routes are {routes}"
            ));
        }
        Ok((service, route))
    }

    pub fn service_names(&self) -> Vec<String> {
        self.services.keys().cloned().collect()
    }
}

/// Tables merge key by key; anything else in `overlay` replaces `base`.
fn merge(base: &mut serde_json::Value, overlay: serde_json::Value) {
    match (base, overlay) {
        (serde_json::Value::Object(b), serde_json::Value::Object(o)) => {
            for (key, value) in o {
                match b.get_mut(&key) {
                    Some(existing) => merge(existing, value),
                    None => {
                        b.insert(key, value);
                    }
                }
            }
        }
        (b, o) => *b = o,
    }
}

fn check_size(text: &str) -> Result<(), Problems> {
    if text.len() > MAX_SCENARIO_BYTES {
        return Err(Problem::new(
            "",
            format!(
                "the scenario is {} KiB; the maximum is {} KiB",
                text.len() / 1024,
                MAX_SCENARIO_BYTES / 1024
            ),
        )
        .into());
    }
    Ok(())
}
