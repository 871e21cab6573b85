//! A scenario is plain data: topology, workload, flags, runtime knobs, a
//! timeline of actions, duration and sample interval. It reads from TOML or
//! JSON, validates into a list of problems (every one, each with its field
//! path and the allowed range), and takes `--set path=value` overrides.

//!
//! Each field of the plain structs is declared once, with `spec!`
//! (spec.rs): its type, serde attributes, default, how it decodes and its
//! `params` rule. `Scenario` itself, the enums and the `extends` step are
//! written by hand; reading a file, which resolves `extends` against the
//! presets, is `Scenario::from_toml` and its siblings in presets.rs, since
//! this module sits below the presets.

#[macro_use]
mod spec;
mod action;
mod decode;
mod params;

pub use crate::problem::{Problem, Problems};
pub use action::{Action, ActionKind, LeakKind, LeakTarget};
pub use params::{apply_set, find_param, list_params, ParamInfo};
pub use spec::ParamKind;

use crate::decode::{FromValue, Path};
use crate::units::{Bytes, Dur, Millicores, SimTime, KIB, MIB};
use decode::{FLAGD_RELOADS, FLAG_CACHES, RESTART_POLICIES, SERVICE_KINDS};
use serde::Serialize;
use spec::{
    boolean, bytes, choice, cpu, duration, each, float, int, section, text, Rules, GI, H, KI, MI,
    MIN, MS, S,
};
use std::collections::BTreeMap;

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

spec! {
    #[derive(Clone, Debug, PartialEq, Serialize)]
    pub struct ProbeSpec {
        initial_delay: Dur = default(Dur::secs(10)),
            duration(0.0, 10.0 * MIN, "delay after start");
        period: Dur = default(Dur::secs(10)), duration(1.0 * S, 5.0 * MIN, "period");
        timeout: Dur = default(Dur::secs(1)), duration(100.0 * MS, 1.0 * MIN, "timeout");
        /// The help says what a failing liveness probe does; the readiness
        /// probe's own is set where `ServiceSpec` declares it.
        failure_threshold: u32 = default(3), int(1.0, 20.0, "failures before a restart");
    }
}

spec! {
    #[derive(Clone, Debug, PartialEq, Serialize)]
    pub struct HpaSpec {
        enabled: bool = default(true), boolean("HorizontalPodAutoscaler on");
        min_replicas: u32 = required, int(1.0, 20.0, "HPA minimum replicas");
        max_replicas: u32 = required, int(1.0, 20.0, "HPA maximum replicas");
        /// Target average CPU utilization of the request, as a fraction (0.7 = 70 %).
        cpu_target: f64 = required,
            float(0.05, 1.0, "HPA target CPU utilization of the request");
        sync_period: Dur = default(Dur::secs(15)),
            duration(1.0 * S, 5.0 * MIN, "HPA evaluation period");
        /// Scale-down waits this long (Kubernetes' stabilization window).
        scale_down_stabilization: Dur = default(Dur::secs(300)),
            duration(0.0, 1.0 * H, "HPA scale-down window");
    }
}

spec! {
    /// One request type a service serves.
    #[derive(Clone, Debug, PartialEq, Serialize)]
    pub struct RouteSpec {
        /// CPU time per request before any back-end call (event loop or worker).
        cpu: Dur = default(Dur::default()), duration(0.0, 10.0 * S, "CPU per request");
        /// Node only: CPU time after the back-end responses arrive (parse, render).
        #[serde(skip_serializing_if = "is_zero_dur")]
        cpu_after: Dur = default(Dur::default()),
            duration(0.0, 10.0 * S, "CPU after back-end responses (node)");
        /// Median time waiting on something that is not this service's CPU.
        wait: Dur = default(Dur::default()),
            duration(0.0, 10.0 * MIN, "median non-CPU wait per request");
        /// Log-normal shape of `wait`.
        sigma: f64 = default(0.3), float(0.0, 3.0, "log-normal shape of the wait");
        /// Node only: back-end calls `service/route`, made one after another.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        calls: Vec<String> = default(Vec::new()), each(text("back-end call service/route"));
        /// Memory held while a request is in flight.
        memory: Bytes = default(Bytes::default()),
            bytes(0.0, 1.0 * GI, "memory per in-flight request");
        /// Node only: memory held from the back-end response until the reply is
        /// sent (the buffered body and the objects parsed from it).
        #[serde(skip_serializing_if = "is_zero_bytes")]
        memory_after: Bytes = default(Bytes::default()),
            bytes(0.0, 1.0 * GI, "memory per buffered back-end response (node)");
    }
}

fn is_zero_bytes(b: &Bytes) -> bool {
    b.0 == 0
}

fn is_zero_dur(d: &Dur) -> bool {
    d.0 == SimTime::ZERO
}

spec! {
    #[derive(Clone, Debug, PartialEq, Serialize)]
    pub struct ServiceSpec {
        kind: ServiceKind = required, choice(&SERVICE_KINDS, "what the service runs");
        replicas: u32 = default(1), int(1.0, 20.0, "pods in the deployment");
        memory_limit: Bytes = required,
            bytes(1.0 * MI, 64.0 * GI, "container memory limit (cgroup)").log();
        /// Memory request (scheduling and HPA denominator); defaults to the limit.
        #[serde(skip_serializing_if = "Option::is_none")]
        memory_request: Option<Bytes> = optional,
            bytes(1.0 * MI, 64.0 * GI, "container memory request").log();
        #[serde(skip_serializing_if = "Option::is_none")]
        cpu_limit: Option<Millicores> = optional,
            cpu(10.0, 64_000.0, "CFS quota, in cores or millicores").log();
        /// CPU request: the HPA's utilization denominator. Defaults to the limit.
        #[serde(skip_serializing_if = "Option::is_none")]
        cpu_request: Option<Millicores> = optional,
            cpu(10.0, 64_000.0, "CPU request: the HPA's denominator").log();
        /// Hot file-backed pages (the binary's text): counted in the working set,
        /// but the kernel can reclaim them under pressure.
        file_cache_active: Bytes = default(Bytes::default()),
            bytes(0.0, 4.0 * GI, "hot file pages (binary text) in the working set");
        /// Cold page cache (logs, files read once): in usage, not in the working set.
        file_cache_inactive: Bytes = default(Bytes::default()),
            bytes(0.0, 4.0 * GI, "cold page cache: in usage, not in the working set");
        /// From container start to serving requests.
        startup: Dur = default(Dur::secs(2)),
            duration(0.0, 5.0 * MIN, "container start to serving");
        restart_policy: RestartPolicy = default(RestartPolicy::default()),
            choice(&RESTART_POLICIES, "who restarts a dead container, and how fast");
        #[serde(skip_serializing_if = "Option::is_none")]
        liveness: Option<ProbeSpec> = optional,
            section(ProbeSpec::rules).help_prefix("liveness probe: ");
        /// An unready pod is taken out of service, not restarted.
        #[serde(skip_serializing_if = "Option::is_none")]
        readiness: Option<ProbeSpec> = optional,
            section(ProbeSpec::rules)
                .help_prefix("readiness probe: ")
                .help_of("failure_threshold", "failures before unready");
        #[serde(skip_serializing_if = "Option::is_none")]
        hpa: Option<HpaSpec> = optional, section(HpaSpec::rules);
        #[serde(skip_serializing_if = "Option::is_none")]
        go: Option<GoSpec> = optional, section(GoSpec::rules);
        #[serde(skip_serializing_if = "Option::is_none")]
        checkout: Option<CheckoutSpec> = optional, section(CheckoutSpec::rules);
        #[serde(skip_serializing_if = "Option::is_none")]
        node: Option<NodeSpec> = optional, section(NodeSpec::rules);
        #[serde(skip_serializing_if = "Option::is_none")]
        pool: Option<PoolSpec> = optional, section(PoolSpec::rules);
        #[serde(skip_serializing_if = "Option::is_none")]
        python: Option<PythonSpec> = optional, section(PythonSpec::rules);
        routes: BTreeMap<String, RouteSpec> = default(BTreeMap::new()),
            each(section(RouteSpec::rules));
    }
}

spec! {
    /// The Go runtime's knobs and the process's fixed costs.
    #[derive(Clone, Debug, PartialEq, Serialize)]
    pub struct GoSpec {
        /// GOGC percent; 0 means off.
        gogc: u32 = default(100), int(0.0, 1000.0, "GOGC percent (0 = off)");
        /// GOMEMLIMIT; absent means no soft limit.
        #[serde(skip_serializing_if = "Option::is_none")]
        gomemlimit: Option<Bytes> = optional,
            bytes(1.0 * MI, 64.0 * GI, "GOMEMLIMIT soft memory limit").log();
        gomaxprocs: u32 = default(2), int(1.0, 64.0, "GOMAXPROCS");
        /// Reachable heap of an idle process (caches, clients, config).
        baseline_live_heap: Bytes = default(Bytes(2 * MIB)),
            bytes(0.0, 4.0 * GI, "reachable heap when idle");
        baseline_goroutines: u32 = default(40),
            int(1.0, 100_000.0, "goroutines when idle").log();
        /// Average stack of a long-lived goroutine (servers, clients, exporters).
        baseline_stack: Bytes = default(Bytes(8 * KIB)),
            bytes(2.0 * KI, 1.0 * MI, "average stack of a long-lived goroutine");
        /// Runtime metadata, mcache/mspan, OS thread stacks.
        runtime_overhead: Bytes = default(Bytes(MIB)),
            bytes(0.0, 1.0 * GI, "runtime metadata and thread stacks");
        globals: Bytes = default(Bytes(256 * KIB)),
            bytes(0.0, 1.0 * GI, "global data the GC scans");
        /// Garbage made per second when idle (exporters, health checks).
        background_alloc_per_s: Bytes = default(Bytes(32 * KIB)),
            bytes(0.0, 1.0 * GI, "garbage per second when idle");
        /// Bytes the collector marks per CPU-second (heap and stacks).
        mark_bytes_per_cpu_s: Bytes = default(Bytes(128 * MIB)),
            bytes(1.0 * MI, 64.0 * GI, "GC mark speed per CPU-second").log();
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

spec! {
    /// PlaceOrder and the `kafkaQueueProblems` fan-out.
    #[derive(Clone, Debug, PartialEq, Serialize)]
    pub struct CheckoutSpec {
        /// KAFKA_ADDR set. Without it the flag has no effect at all.
        kafka_configured: bool = default(true),
            boolean("KAFKA_ADDR set (without it the flag does nothing)");
        flag: String = default("kafkaQueueProblems".into()),
            text("the flag that sets the fan-out");
        flag_cache: FlagCache = default(FlagCache::Live), choice(
            &FLAG_CACHES,
            "live: read flagd per order; startup: keep the value read at start",
        );
        /// Median of the calls PlaceOrder makes before publishing (cart,
        /// catalog, currency, payment, shipping, email).
        downstream: Dur = default(Dur::millis(150)),
            duration(1.0 * MS, 1.0 * MIN, "median of PlaceOrder's calls before publishing")
                .log();
        downstream_sigma: f64 = default(0.35),
            float(0.0, 2.0, "log-normal shape of those calls");
        /// The caller's deadline for PlaceOrder.
        deadline: Dur = default(Dur::millis(700)),
            duration(100.0 * MS, 10.0 * MIN, "the caller's PlaceOrder deadline").log();
        /// Stack plus goroutine descriptor of one blocked overload goroutine.
        goroutine_stack: Bytes = default(Bytes(2150)),
            bytes(2.0 * KI, 64.0 * KI, "stack + descriptor of one overload goroutine");
        /// Heap one overload goroutine keeps reachable (its message copy).
        message_heap: Bytes = default(Bytes(512)),
            bytes(0.0, 1.0 * MI, "heap one overload goroutine keeps");
        /// Heap reachable while one PlaceOrder is in flight.
        request_live: Bytes = default(Bytes(64 * KIB)),
            bytes(0.0, 64.0 * MI, "heap reachable during one PlaceOrder");
        /// Garbage one PlaceOrder leaves behind.
        request_garbage: Bytes = default(Bytes(256 * KIB)),
            bytes(0.0, 64.0 * MI, "garbage per PlaceOrder");
        /// Garbage the producer makes per message it sends.
        message_garbage: Bytes = default(Bytes(256)),
            bytes(0.0, 1.0 * MI, "garbage per message sent");
    }
}

spec! {
    /// The Node front end's process: event loop, heap, connections.
    #[derive(Clone, Debug, PartialEq, Serialize)]
    pub struct NodeSpec {
        /// Resident memory of an idle process.
        baseline_memory: Bytes = default(Bytes(150 * MIB)),
            bytes(0.0, 64.0 * GI, "resident memory when idle");
        /// Memory per open client connection (socket buffers, parser).
        memory_per_connection: Bytes = default(Bytes(64 * KIB)),
            bytes(0.0, 64.0 * MI, "memory per open client connection");
        /// V8's garbage collection work grows with the heap: event-loop CPU is
        /// multiplied by (1 + heap / gc_heap_scale).
        gc_heap_scale: Bytes = default(Bytes(400 * MIB)),
            bytes(1.0 * MI, 64.0 * GI, "heap size that doubles event-loop CPU (V8 GC)").log();
        /// Open sockets (clients plus back-end calls) past which the process
        /// crashes: an unhandled EMFILE.
        fd_limit: u32 = default(4096),
            int(64.0, 1_048_576.0, "open sockets before EMFILE crashes the process").log();
    }
}

spec! {
    /// A multi-worker service: threads or a connection pool in front of a database.
    #[derive(Clone, Debug, PartialEq, Serialize)]
    pub struct PoolSpec {
        workers: u32 = default(8), int(1.0, 4096.0, "concurrent workers").log();
        baseline_memory: Bytes = default(Bytes(64 * MIB)),
            bytes(0.0, 64.0 * GI, "resident memory when idle");
        /// Requests waiting beyond this are refused (a full accept queue).
        queue_limit: u32 = default(10_000),
            int(1.0, 100_000.0, "waiting requests before refusing").log();
    }
}

spec! {
    /// Seed 004's service: three leaks, each retaining bytes per request.
    #[derive(Clone, Debug, PartialEq, Serialize)]
    pub struct PythonSpec {
        baseline_memory: Bytes = default(Bytes(48 * MIB)),
            bytes(0.0, 64.0 * GI, "resident memory when idle");
        cache_enabled: bool = default(false), boolean("unbounded cache leak on");
        listeners_enabled: bool = default(false), boolean("event listener leak on");
        history_enabled: bool = default(false), boolean("request history leak on");
        /// Bytes the unbounded cache keeps per request (the response payload).
        cache_bytes_per_request: Bytes = default(Bytes(10 * KIB)),
            bytes(0.0, 16.0 * MI, "bytes the cache keeps per request");
        /// Bytes one accumulated listener closure keeps (it captures the request).
        listener_bytes_per_request: Bytes = default(Bytes(3 * KIB)),
            bytes(0.0, 16.0 * MI, "bytes one leaked listener keeps");
        /// Bytes one request-history record keeps (headers, body, timings).
        history_bytes_per_request: Bytes = default(Bytes(5 * KIB)),
            bytes(0.0, 16.0 * MI, "bytes one history record keeps");
        /// pymalloc arenas that stay mapped after objects are freed, as a
        /// fraction of what was freed.
        fragmentation: f64 = default(0.04),
            float(0.0, 1.0, "share of freed memory pymalloc keeps mapped");
        /// The interpreter's own full collection runs about this often under load.
        auto_gc_interval: Dur = default(Dur::secs(600)),
            duration(1.0 * S, 2.0 * H, "how often the interpreter runs a full collection")
                .log();
    }
}

spec! {
    /// Kafka as the checkout sees it: a producer with bounded throughput, and
    /// the two consumers of the `orders` topic.
    #[derive(Clone, Debug, PartialEq, Serialize)]
    pub struct KafkaSpec {
        /// Messages per second the producer can deliver to the broker.
        throughput_msgs_per_s: f64 = default(700.0),
            float(1.0, 1_000_000.0, "producer delivery capacity").log();
        /// Fraction of deliveries that never return a success (failed writes
        /// swallowed under acks=NoResponse). Their goroutines wait forever.
        loss_ratio: f64 = default(0.105),
            float(0.0, 1.0, "deliveries that never return a success");
        /// Messages the producer accepts before `Input()` blocks its senders.
        producer_buffer_msgs: u32 = default(256),
            int(1.0, 100_000.0, "messages accepted before Input() blocks").log();
        flush_interval: Dur = default(Dur::millis(20)),
            duration(1.0 * MS, 1.0 * S, "producer delivery granularity");
        /// fraud-detection sleeps this long per record while the flag is on.
        fraud_detection_sleep: Dur = default(Dur::secs(1)), duration(
            0.0,
            1.0 * MIN,
            "fraud-detection sleep per record while the flag is on",
        );
        /// Consumer throughput when nothing slows it down.
        consumer_msgs_per_s: f64 = default(2000.0),
            float(1.0, 1_000_000.0, "consumer throughput unhindered").log();
        /// accounting: rows Postgres can insert per second.
        accounting_rows_per_s: f64 = default(800.0),
            float(1.0, 1_000_000.0, "Postgres insert capacity").log();
        /// Table plus index bytes per order row.
        row_bytes: Bytes = default(Bytes(420)),
            bytes(1.0, 1.0 * MI, "table and index bytes per row");
        /// WAL bytes per inserted row.
        wal_bytes_per_row: Bytes = default(Bytes(560)),
            bytes(0.0, 1.0 * MI, "WAL bytes per row");
        /// Rows written per write operation (commit batching).
        rows_per_write: u32 = default(1),
            int(1.0, 10_000.0, "rows per write operation").log();
    }
}

spec! {
    /// A flagd flag: named variants and the default one served.
    #[derive(Clone, Debug, PartialEq, Serialize)]
    pub struct FlagSpec {
        variants: BTreeMap<String, i64> = required,
            each(int(0.0, 5_000.0, "flag variant value").log());
        default_variant: String = required, text("the variant flagd serves");
    }
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

spec! {
    #[derive(Clone, Debug, PartialEq, Serialize)]
    pub struct FlagdSpec {
        reload: FlagdReload = default(FlagdReload::Watch), choice(
            &FLAGD_RELOADS,
            "watch: serve changes; restart: only after restart flagd",
        );
        /// ConfigMap to flagd: the kubelet syncs mounted files about once a minute.
        propagation_delay: Dur = default(Dur(SimTime::ZERO)),
            duration(0.0, 10.0 * MIN, "ConfigMap to flagd delay");
    }
}

spec! {
    #[derive(Clone, Debug, PartialEq, Serialize)]
    pub struct ThinkTime {
        min: Dur = required, duration(0.0, 10.0 * MIN, "wait between tasks, minimum");
        max: Dur = required, duration(0.0, 10.0 * MIN, "wait between tasks, maximum");
    }
}

spec! {
    /// One request of a task: `service/route`, optionally repeated.
    #[derive(Clone, Debug, PartialEq, Serialize)]
    pub struct StepSpec {
        call: String = required, text("service/route");
        /// Repeat a random number of times in `[min, max]` (checkout_multi's 2–4 carts).
        #[serde(skip_serializing_if = "Option::is_none")]
        repeat: Option<[u32; 2]> = optional, each(int(1.0, 10.0, "repeat range"));
        /// Locust `catch_response`: a response slower than this counts as a failure.
        #[serde(skip_serializing_if = "Option::is_none")]
        fail_slower_than: Option<Dur> = optional,
            duration(1.0 * MS, 10.0 * MIN, "slower responses count as failures");
    }
}

spec! {
    #[derive(Clone, Debug, PartialEq, Serialize)]
    pub struct TaskSpec {
        name: String = required, text("task name");
        weight: u32 = required, int(0.0, 1000.0, "task weight");
        steps: Vec<StepSpec> = required, each(section(StepSpec::rules));
    }
}

spec! {
    /// Locust-like closed-loop load.
    #[derive(Clone, Debug, PartialEq, Serialize)]
    pub struct WorkloadSpec {
        users: u32 = required, int(0.0, 20_000.0, "concurrent Locust users").log();
        /// Users started per second.
        spawn_rate: f64 = required, float(0.1, 1000.0, "users started per second").log();
        think_time: ThinkTime = required, section(ThinkTime::rules);
        /// When the load starts; absent means only the timeline starts it.
        #[serde(skip_serializing_if = "Option::is_none")]
        start_at: Option<Dur> = optional, duration(0.0, 2.0 * H, "when the load starts");
        #[serde(skip_serializing_if = "Option::is_none")]
        stop_at: Option<Dur> = optional, duration(0.0, 2.0 * H, "when the load stops");
        /// Client timeout for a whole request.
        request_timeout: Dur = default(Dur::secs(60)),
            duration(100.0 * MS, 10.0 * MIN, "client timeout per request").log();
        /// How long a connection attempt waits when no pod is ready.
        connect_timeout: Dur = default(Dur::secs(3)),
            duration(10.0 * MS, 10.0 * MIN, "connect wait when no pod is ready").log();
        /// Steps each user runs once when it starts (Locust `on_start`).
        #[serde(skip_serializing_if = "Vec::is_empty")]
        on_start: Vec<StepSpec> = default(Vec::new()), each(section(StepSpec::rules));
        tasks: Vec<TaskSpec> = required, each(section(TaskSpec::rules));
    }
}

spec! {
    /// The seeds' alert rules, with their thresholds.
    #[derive(Clone, Debug, PartialEq, Serialize)]
    pub struct AlertSpec {
        utilization_warning: f64 = default(0.70),
            float(0.05, 1.0, "memory utilization warning threshold");
        utilization_critical: f64 = default(0.85),
            float(0.05, 1.0, "memory utilization critical threshold");
        /// Working-set growth over `growth_window`, in bytes per minute.
        growth_bytes_per_min: f64 = default(500_000.0),
            float(0.0, 1.0e12, "working-set growth alert, bytes per minute").log();
        growth_window: Dur = default(Dur::secs(60)),
            duration(10.0 * S, 1.0 * H, "window of the growth rate");
        /// Server-side P95 over each `latency_window`.
        latency_p95_ms: f64 = default(500.0),
            float(1.0, 600_000.0, "server-side P95 alert threshold, ms").log();
        /// The latency rule is judged once per window (the seeds' "every 1 minute").
        latency_window: Dur = default(Dur::secs(60)),
            duration(1.0 * S, 1.0 * H, "the latency rule's evaluation window");
        restarts: bool = default(true), boolean("alert on container restarts");
        /// Linear regression over this window predicts the OOM time.
        predictive_window: Dur = default(Dur::secs(300)),
            duration(30.0 * S, 1.0 * H, "regression window for the OOM forecast");
        /// Fire when the predicted OOM is closer than this.
        predictive_horizon: Dur = default(Dur::secs(600)),
            duration(1.0 * MIN, 24.0 * H, "fire when OOM is predicted sooner than this");
        /// After a container starts, the growth and forecast rules ignore its
        /// memory this long: start-up allocation is not a leak. An assumption
        /// about the alerting rules, like a Prometheus `for:` clause.
        warmup: Dur = default(Dur::secs(120)), duration(
            0.0,
            1.0 * H,
            "after a container starts, the growth and forecast rules wait this long",
        );
    }
}

impl Scenario {
    /// The top level's rules. Written out rather than declared with
    /// `spec!`: the table lists `controls` after `sample_interval` (so an
    /// unknown top-level field's hint names them in that order) while
    /// serialization puts it last, and a scenario has no default to declare
    /// (name, duration, services and workload are required). Its decoding,
    /// after `extends` is resolved, is in decode.rs.
    pub(in crate::scenario) fn rules(at: &mut Rules) {
        at.field("name", text("short identifier"));
        at.field("title", text("display title"));
        at.field("description", text("one-line description"));
        at.field("seed_doc", text("the seed document reproduced"));
        at.field("notes", text("where the model departs from the document"));
        at.field("seed", int(0.0, 9_007_199_254_740_991.0, "random seed"));
        at.field(
            "duration",
            duration(10.0 * S, 2.0 * H, "simulated time").log(),
        );
        at.field(
            "sample_interval",
            duration(100.0 * MS, 10.0 * MIN, "telemetry sampling period").log(),
        );
        at.field("controls", each(text("a parameter the app shows first")));
        at.field("services", each(section(ServiceSpec::rules)));
        at.field("flags", each(section(FlagSpec::rules)));
        at.field("kafka", section(KafkaSpec::rules));
        at.field("flagd", section(FlagdSpec::rules));
        at.field("workload", section(WorkloadSpec::rules));
        at.field("alerts", section(AlertSpec::rules));
        at.field("timeline", each(text("an action: `30s set flag NAME on`")));
    }
}

/// Where `extends = "NAME"` finds its base: the base's TOML text, or a
/// message saying what may be extended. Passed in, because the bases are
/// the presets and this module sits below them.
pub type BaseSource<'a> = &'a dyn Fn(&str) -> Result<&'static str, String>;

impl Scenario {
    /// A TOML file as a value, after the size check: a syntax error names
    /// its line.
    pub fn toml_value(text: &str) -> Result<serde_json::Value, Problems> {
        check_size(text)?;
        crate::toml_reader::parse(text).map_err(|e| Problem::new("", e.to_string()).into())
    }

    pub fn json_value(text: &str) -> Result<serde_json::Value, Problems> {
        check_size(text)?;
        crate::json::parse(text)
            .map_err(|e| Problem::new("", format!("not valid JSON: {e}")).into())
    }

    /// TOML or JSON, decided by the first non-blank character.
    pub fn text_value(text: &str) -> Result<serde_json::Value, Problems> {
        if text.trim_start().starts_with('{') {
            Scenario::json_value(text)
        } else {
            Scenario::toml_value(text)
        }
    }

    /// Every format arrives here as a JSON value: one deserializer for the
    /// whole scenario keeps the browser bundle small. A file may start from
    /// a base with `extends = "NAME"` and override only what differs
    /// (tables merge, values and arrays replace); a type error names its
    /// field path.
    pub fn from_value_with(
        mut value: serde_json::Value,
        bases: BaseSource<'_>,
    ) -> Result<Scenario, Problems> {
        let mut depth = 0;
        while let Some(base_name) = value.as_object_mut().and_then(|m| m.remove("extends")) {
            depth += 1;
            let Some(base_name) = base_name.as_str().map(str::to_string) else {
                return Err(Problem::new("extends", "must be the name of a preset or base").into());
            };
            if depth > 4 {
                return Err(Problem::new("extends", "bases nest more than 4 deep").into());
            }
            let base_text = bases(&base_name).map_err(|m| Problem::new("extends", m))?;
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
