//! A service and the sections its kind takes: the Go checkout (its
//! runtime, PlaceOrder and the Kafka it publishes to), the Node front end,
//! the worker pool and the leaky Python service.

use super::decode::{FLAG_CACHES, RESTART_POLICIES, SERVICE_KINDS};
use super::spec::{boolean, bytes, choice, cpu, duration, each, float, int, section, text};
use super::spec::{GI, H, KI, MI, MIN, MS, S};
use crate::units::{Bytes, Dur, Millicores, SimTime, KIB, MIB};
use serde::Serialize;
use std::collections::BTreeMap;

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
        /// From a container's start to its first probe. A pod the run starts
        /// with is taken to have run longer than this (`engine::probes`).
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
        /// Resident runtime memory beside heap and stacks: the touched part
        /// of its metadata, mcache/mspan, OS thread stacks.
        runtime_overhead: Bytes = default(Bytes(MIB)),
            bytes(0.0, 1.0 * GI, "resident runtime memory beside heap and stacks");
        /// Runtime memory GOMEMLIMIT counts that is mostly never touched,
        /// so not resident: heap bitmaps, span and profiling metadata
        /// reserved ahead. It lowers the heap goal, not the working set.
        runtime_metadata: Bytes = default(Bytes(3 * MIB)),
            bytes(0.0, 1.0 * GI, "runtime memory the memory limit counts, not resident");
        globals: Bytes = default(Bytes(256 * KIB)),
            bytes(0.0, 1.0 * GI, "global data the GC scans");
        /// A goroutine's descriptor (`g`). The runtime keeps every `g` it
        /// ever made (`allgs`) for reuse, so this heap ratchets up to the peak
        /// goroutine count and never comes back down.
        goroutine_descriptor: Bytes = default(Bytes(416)),
            bytes(0.0, 64.0 * KI, "heap of one goroutine descriptor, never freed");
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
        /// The caller's context: PlaceOrder has no deadline of its own, so the
        /// front end's gives up first (Envoy's route timeout, 15 s).
        deadline: Dur = default(Dur::secs(15)),
            duration(100.0 * MS, 10.0 * MIN, "the caller's PlaceOrder deadline").log();
        /// Stack of one blocked fan-out goroutine (a goroutine starts with 2 KiB).
        goroutine_stack: Bytes = default(Bytes(2048)),
            bytes(2.0 * KI, 64.0 * KI, "stack of one fan-out goroutine");
        /// Heap one fan-out goroutine keeps reachable: its message copy.
        message_heap: Bytes = default(Bytes(160)),
            bytes(0.0, 1.0 * MI, "heap of one goroutine's message copy");
        /// The `sudog` a goroutine blocked on a channel holds.
        waiter_heap: Bytes = default(Bytes(96)),
            bytes(0.0, 64.0 * KI, "heap of one blocked goroutine's sudog");
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
    /// A stretch of scenario time when the broker is slow (`msgs_per_s` > 0)
    /// or unreachable (0: every write fails after its retries).
    #[derive(Clone, Debug, PartialEq, Serialize)]
    pub struct BrokerWindow {
        from: Dur = required, duration(0.0, 2.0 * H, "when the window starts");
        until: Dur = required, duration(0.0, 2.0 * H, "when the window ends");
        msgs_per_s: f64 = default(0.0),
            float(0.0, 1_000_000.0, "broker writes per second in the window (0 = down)");
    }
}

spec! {
    /// Kafka as the checkout sees it: a producer with bounded throughput, and
    /// the two consumers of the `orders` topic.
    #[derive(Clone, Debug, PartialEq, Serialize)]
    pub struct KafkaSpec {
        /// Messages per second the broker takes while healthy. Under
        /// `RequiredAcks = NoResponse` a write succeeds once it is sent.
        throughput_msgs_per_s: f64 = default(20_000.0),
            float(1.0, 1_000_000.0, "broker writes per second while healthy").log();
        /// Share of writes that fail after their retries while the broker is
        /// up. Each failure the logger drains strands one fan-out goroutine.
        error_ratio: f64 = default(0.0),
            float(0.0, 1.0, "writes failing after retries");
        /// Messages the producer accepts before `Input()` blocks its senders
        /// (sarama's `ChannelBufferSize`, 256).
        producer_buffer_msgs: u32 = default(256),
            int(1.0, 100_000.0, "messages accepted before Input() blocks").log();
        /// Retries of a failed write (sarama's `Producer.Retry.Max`, 3).
        retry_max: u32 = default(3), int(0.0, 100.0, "retries of a failed write");
        /// Wait between retries (sarama's `Producer.Retry.Backoff`, 100 ms).
        retry_backoff: Dur = default(Dur::millis(100)),
            duration(0.0, 1.0 * MIN, "wait between retries of a failed write");
        /// Stretches when the broker is slow or unreachable.
        broker_windows: Vec<BrokerWindow> = default(Vec::new()),
            each(section(BrokerWindow::rules));
        /// The model's write step: deliveries are computed this often.
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
