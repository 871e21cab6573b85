//! The metric catalogue: every series a run records, the model's or a real
//! container's, defined once — its OpenTelemetry-style name, its unit, and
//! the Prometheus name the seeds' queries use where one exists. The engine
//! records through these, the harness records real runs through them, and
//! the views, checks, lessons, queries and the app's charts read them.

/// One recorded series.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Metric {
    /// The series' name in a trace, after OpenTelemetry's conventions.
    pub name: &'static str,
    /// UCUM-style unit as OpenTelemetry writes it (`By`, `ms`, `{pod}`).
    pub unit: &'static str,
    /// What Prometheus calls it (cAdvisor, kube-state-metrics, client
    /// libraries); empty when the series is the model's own.
    pub prometheus: &'static str,
    pub help: &'static str,
}

macro_rules! metrics {
    ($($id:ident = $name:literal, $unit:literal, $prom:literal, $help:literal;)*) => {
        $(pub const $id: Metric = Metric { name: $name, unit: $unit, prometheus: $prom, help: $help };)*
        /// Every metric, in catalogue order.
        pub const ALL: &[Metric] = &[$($id),*];
    };
}

metrics! {
    // Every service (cAdvisor, kubelet, kube-state-metrics, the server's own).
    WORKING_SET = "k8s.pod.memory.working_set", "By", "container_memory_working_set_bytes", "memory usage minus inactive file cache: what kubectl top shows and the kubelet evicts on";
    MEMORY_USAGE = "k8s.pod.memory.usage", "By", "container_memory_usage_bytes", "everything charged to the cgroup, page cache included";
    MEMORY_UTILIZATION = "k8s.pod.memory_limit_utilization", "1", "", "working set over the memory limit";
    MEMORY_LIMIT = "k8s.container.memory_limit", "By", "kube_pod_container_resource_limits", "the container's memory limit";
    CPU_USAGE = "k8s.pod.cpu.usage", "{cpu}", "container_cpu_usage_seconds_total", "cores in use";
    RESTARTS = "k8s.container.restarts", "{restart}", "kube_pod_container_status_restarts_total", "container restarts, every pod of the deployment";
    PODS_AVAILABLE = "k8s.deployment.available", "{pod}", "kube_deployment_status_replicas_available", "ready pods";
    SERVER_REQUEST_RATE = "http.server.request.rate", "{request}/s", "", "requests the service finished per second";
    SERVER_FAILURE_RATE = "http.server.failure.rate", "{request}/s", "", "requests the service failed per second";
    SERVER_P50 = "http.server.duration.p50", "ms", "http_server_duration_milliseconds", "the service's own latency, median";
    SERVER_P95 = "http.server.duration.p95", "ms", "http_server_duration_milliseconds", "the service's own latency, 95th percentile";
    SERVER_P99 = "http.server.duration.p99", "ms", "http_server_duration_milliseconds", "the service's own latency, 99th percentile";
    SERVER_ACTIVE = "http.server.active_requests", "{request}", "", "requests in flight on the service";
    // The Go checkout: runtime, producer, flag.
    GO_HEAP_ALLOC = "process.runtime.go.mem.heap_alloc", "By", "go_memstats_heap_alloc_bytes", "bytes of allocated heap objects";
    GO_GOROUTINES = "process.runtime.go.goroutines", "{goroutine}", "go_goroutines", "goroutines that exist";
    GO_GC_COUNT = "process.runtime.go.gc.count", "{gc}", "go_gc_duration_seconds_count", "completed GC cycles";
    GO_GC_GOAL = "go.memory.gc.goal", "By", "go_gc_heap_goal_bytes", "the heap size the pacer aims the next GC at";
    GO_GC_CPU = "process.runtime.go.gc.cpu_fraction", "1", "", "share of CPU the collector used";
    KAFKA_PRODUCER_QUEUE = "messaging.kafka.producer.queue", "{message}", "", "messages waiting in the producer";
    KAFKA_PRODUCER_ERRORS = "messaging.kafka.producer.errors", "{message}", "", "deliveries that failed after the retries";
    ORDERS = "app.orders.placed", "{order}", "", "PlaceOrder calls checkout finished";
    FLAG_SEEN = "feature_flag.kafkaQueueProblems", "1", "", "the kafkaQueueProblems value checkout acts on";
    FLAG_SERVED = "flagd.evaluation.value", "1", "", "what flagd answers for the service's flag";
    // The Node front end.
    NODE_LOOP_LAG = "nodejs.eventloop.lag", "ms", "nodejs_eventloop_lag_seconds", "how long a new callback waits";
    OPEN_CONNECTIONS = "http.server.open_connections", "{connection}", "", "client connections the server holds open";
    // The Python leaky service (the model's view of tracemalloc).
    LEAK_CACHE_BYTES = "leak.cache.size", "By", "", "bytes the unbounded cache holds";
    LEAK_LISTENERS_BYTES = "leak.listeners.size", "By", "", "bytes the accumulated listeners hold";
    LEAK_HISTORY_BYTES = "leak.history.size", "By", "", "bytes the request history holds";
    LEAK_CACHE_ENTRIES = "leak.cache.entries", "{entry}", "", "entries in the cache";
    LEAK_LISTENERS = "leak.listeners.count", "{listener}", "", "listeners registered";
    LEAK_HISTORY_RECORDS = "leak.history.records", "{record}", "", "records in the history";
    LEAK_CYCLES_BYTES = "leak.cycles.size", "By", "", "unreachable cycles waiting for gc";
    // Kafka's consumers and Postgres.
    CONSUMER_LAG = "messaging.kafka.consumer.lag", "{message}", "kafka_consumergroup_lag", "messages the fraud-detection consumer has not read";
    DB_SIZE = "postgresql.db_size", "By", "pg_database_size_bytes", "the accounting table's size";
    WAL_SIZE = "postgresql.wal.size", "By", "", "write-ahead log written";
    WRITE_IOPS = "postgresql.write_iops", "{operation}/s", "", "write operations per second";
    // The load generator, as Locust reports it.
    LOCUST_USERS = "locust.users", "{user}", "locust_users", "running users";
    LOCUST_REQUEST_RATE = "locust.requests.rate", "{request}/s", "locust_requests_current_rps", "responses per second";
    LOCUST_FAILURE_RATE = "locust.failures.rate", "{request}/s", "locust_requests_current_fail_per_sec", "failed responses per second";
    LOCUST_P50 = "locust.response_time.p50", "ms", "", "every response's time, failures included, median";
    LOCUST_P95 = "locust.response_time.p95", "ms", "", "every response's time, failures included, 95th percentile";
    LOCUST_P99 = "locust.response_time.p99", "ms", "", "every response's time, failures included, 99th percentile";
}

/// The series the load generator's metrics are recorded under.
pub const LOAD_GENERATOR: &str = "load-generator";

/// A metric by its series name.
pub fn find(name: &str) -> Option<&'static Metric> {
    ALL.iter().find(|m| m.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_every_model_series_is_catalogued() {
        for (i, m) in ALL.iter().enumerate() {
            assert!(
                ALL[..i].iter().all(|o| o.name != m.name),
                "{} twice",
                m.name
            );
            assert!(!m.unit.is_empty() && !m.help.is_empty(), "{}", m.name);
        }
        // Every series a run of every preset records is in the catalogue,
        // with the unit the catalogue gives it.
        for name in crate::presets::names() {
            let trace = crate::simulate(&crate::presets::load(name).unwrap());
            for s in &trace.series {
                let m = find(&s.name).unwrap_or_else(|| panic!("{name}: {} uncatalogued", s.name));
                assert_eq!(m.unit, s.unit, "{}", s.name);
            }
        }
    }
}
