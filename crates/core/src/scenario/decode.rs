//! Scenario structs from a JSON value. The defaults live here and in the
//! structs' `Default` impls; `schema_problems` has already refused unknown
//! fields and wrong types, so what is left to report is mostly "is missing".

use super::*;
use crate::decode::{one_of, Fields, FromValue, Path};
use serde_json::Value;

impl ServiceKind {
    pub const NAMES: [(&'static str, ServiceKind); 4] = [
        ("go-checkout", ServiceKind::GoCheckout),
        ("node-frontend", ServiceKind::NodeFrontend),
        ("worker-pool", ServiceKind::WorkerPool),
        ("python-leaky", ServiceKind::PythonLeaky),
    ];
}

impl RestartPolicy {
    pub const NAMES: [(&'static str, RestartPolicy); 3] = [
        ("kubelet", RestartPolicy::Kubelet),
        ("docker", RestartPolicy::Docker),
        ("never", RestartPolicy::Never),
    ];
}

impl FlagCache {
    pub const NAMES: [(&'static str, FlagCache); 2] =
        [("live", FlagCache::Live), ("startup", FlagCache::Startup)];
}

impl FlagdReload {
    pub const NAMES: [(&'static str, FlagdReload); 2] = [
        ("watch", FlagdReload::Watch),
        ("restart", FlagdReload::Restart),
    ];
}

impl FromValue for ServiceKind {
    fn from_value(value: &Value, path: Path<'_>) -> Result<Self, Problems> {
        one_of(value, path, &ServiceKind::NAMES)
    }
}

impl FromValue for RestartPolicy {
    fn from_value(value: &Value, path: Path<'_>) -> Result<Self, Problems> {
        one_of(value, path, &RestartPolicy::NAMES)
    }
}

impl FromValue for FlagCache {
    fn from_value(value: &Value, path: Path<'_>) -> Result<Self, Problems> {
        one_of(value, path, &FlagCache::NAMES)
    }
}

impl FromValue for FlagdReload {
    fn from_value(value: &Value, path: Path<'_>) -> Result<Self, Problems> {
        one_of(value, path, &FlagdReload::NAMES)
    }
}

impl FromValue for Scenario {
    fn from_value(value: &Value, path: Path<'_>) -> Result<Self, Problems> {
        let mut f = Fields::new(value, path)?;
        let scenario = Scenario {
            name: f.required("name"),
            title: f.required("title"),
            description: f.required("description"),
            seed_doc: f.optional("seed_doc"),
            notes: f.or("notes", String::new()),
            seed: f.or("seed", 1),
            duration: f.required("duration"),
            sample_interval: f.or("sample_interval", Dur::secs(5)),
            services: f.required("services"),
            flags: f.or("flags", BTreeMap::new()),
            kafka: f.optional("kafka"),
            flagd: f.or("flagd", FlagdSpec::default()),
            workload: f.required("workload"),
            alerts: f.or("alerts", AlertSpec::default()),
            timeline: f.or("timeline", Vec::new()),
            controls: f.or("controls", Vec::new()),
        };
        f.finish(scenario)
    }
}

impl FromValue for ProbeSpec {
    fn from_value(value: &Value, path: Path<'_>) -> Result<Self, Problems> {
        let mut f = Fields::new(value, path)?;
        let d = ProbeSpec::default();
        let probe = ProbeSpec {
            initial_delay: f.or("initial_delay", d.initial_delay),
            period: f.or("period", d.period),
            timeout: f.or("timeout", d.timeout),
            failure_threshold: f.or("failure_threshold", d.failure_threshold),
        };
        f.finish(probe)
    }
}

impl FromValue for HpaSpec {
    fn from_value(value: &Value, path: Path<'_>) -> Result<Self, Problems> {
        let mut f = Fields::new(value, path)?;
        let hpa = HpaSpec {
            enabled: f.or("enabled", true),
            min_replicas: f.required("min_replicas"),
            max_replicas: f.required("max_replicas"),
            cpu_target: f.required("cpu_target"),
            sync_period: f.or("sync_period", Dur::secs(15)),
            scale_down_stabilization: f.or("scale_down_stabilization", Dur::secs(300)),
        };
        f.finish(hpa)
    }
}

impl FromValue for RouteSpec {
    fn from_value(value: &Value, path: Path<'_>) -> Result<Self, Problems> {
        let mut f = Fields::new(value, path)?;
        let d = RouteSpec::default();
        let route = RouteSpec {
            cpu: f.or("cpu", d.cpu),
            cpu_after: f.or("cpu_after", d.cpu_after),
            wait: f.or("wait", d.wait),
            sigma: f.or("sigma", d.sigma),
            calls: f.or("calls", d.calls),
            memory: f.or("memory", d.memory),
            memory_after: f.or("memory_after", d.memory_after),
        };
        f.finish(route)
    }
}

impl FromValue for ServiceSpec {
    fn from_value(value: &Value, path: Path<'_>) -> Result<Self, Problems> {
        let mut f = Fields::new(value, path)?;
        let service = ServiceSpec {
            kind: f.required("kind"),
            replicas: f.or("replicas", 1),
            memory_limit: f.required("memory_limit"),
            memory_request: f.optional("memory_request"),
            cpu_limit: f.optional("cpu_limit"),
            cpu_request: f.optional("cpu_request"),
            file_cache_active: f.or("file_cache_active", Bytes::default()),
            file_cache_inactive: f.or("file_cache_inactive", Bytes::default()),
            startup: f.or("startup", Dur::secs(2)),
            restart_policy: f.or("restart_policy", RestartPolicy::default()),
            liveness: f.optional("liveness"),
            readiness: f.optional("readiness"),
            hpa: f.optional("hpa"),
            go: f.optional("go"),
            checkout: f.optional("checkout"),
            node: f.optional("node"),
            pool: f.optional("pool"),
            python: f.optional("python"),
            routes: f.or("routes", BTreeMap::new()),
        };
        f.finish(service)
    }
}

impl FromValue for GoSpec {
    fn from_value(value: &Value, path: Path<'_>) -> Result<Self, Problems> {
        let mut f = Fields::new(value, path)?;
        let d = GoSpec::default();
        let go = GoSpec {
            gogc: f.or("gogc", d.gogc),
            gomemlimit: f.optional("gomemlimit"),
            gomaxprocs: f.or("gomaxprocs", d.gomaxprocs),
            baseline_live_heap: f.or("baseline_live_heap", d.baseline_live_heap),
            baseline_goroutines: f.or("baseline_goroutines", d.baseline_goroutines),
            baseline_stack: f.or("baseline_stack", d.baseline_stack),
            runtime_overhead: f.or("runtime_overhead", d.runtime_overhead),
            globals: f.or("globals", d.globals),
            background_alloc_per_s: f.or("background_alloc_per_s", d.background_alloc_per_s),
            mark_bytes_per_cpu_s: f.or("mark_bytes_per_cpu_s", d.mark_bytes_per_cpu_s),
        };
        f.finish(go)
    }
}

impl FromValue for CheckoutSpec {
    fn from_value(value: &Value, path: Path<'_>) -> Result<Self, Problems> {
        let mut f = Fields::new(value, path)?;
        let d = CheckoutSpec::default();
        let checkout = CheckoutSpec {
            kafka_configured: f.or("kafka_configured", d.kafka_configured),
            flag: f.or("flag", d.flag),
            flag_cache: f.or("flag_cache", d.flag_cache),
            downstream: f.or("downstream", d.downstream),
            downstream_sigma: f.or("downstream_sigma", d.downstream_sigma),
            deadline: f.or("deadline", d.deadline),
            goroutine_stack: f.or("goroutine_stack", d.goroutine_stack),
            message_heap: f.or("message_heap", d.message_heap),
            request_live: f.or("request_live", d.request_live),
            request_garbage: f.or("request_garbage", d.request_garbage),
            message_garbage: f.or("message_garbage", d.message_garbage),
        };
        f.finish(checkout)
    }
}

impl FromValue for NodeSpec {
    fn from_value(value: &Value, path: Path<'_>) -> Result<Self, Problems> {
        let mut f = Fields::new(value, path)?;
        let d = NodeSpec::default();
        let node = NodeSpec {
            baseline_memory: f.or("baseline_memory", d.baseline_memory),
            memory_per_connection: f.or("memory_per_connection", d.memory_per_connection),
            gc_heap_scale: f.or("gc_heap_scale", d.gc_heap_scale),
            fd_limit: f.or("fd_limit", d.fd_limit),
        };
        f.finish(node)
    }
}

impl FromValue for PoolSpec {
    fn from_value(value: &Value, path: Path<'_>) -> Result<Self, Problems> {
        let mut f = Fields::new(value, path)?;
        let d = PoolSpec::default();
        let pool = PoolSpec {
            workers: f.or("workers", d.workers),
            baseline_memory: f.or("baseline_memory", d.baseline_memory),
            queue_limit: f.or("queue_limit", d.queue_limit),
        };
        f.finish(pool)
    }
}

impl FromValue for PythonSpec {
    fn from_value(value: &Value, path: Path<'_>) -> Result<Self, Problems> {
        let mut f = Fields::new(value, path)?;
        let d = PythonSpec::default();
        let python = PythonSpec {
            baseline_memory: f.or("baseline_memory", d.baseline_memory),
            cache_enabled: f.or("cache_enabled", d.cache_enabled),
            listeners_enabled: f.or("listeners_enabled", d.listeners_enabled),
            history_enabled: f.or("history_enabled", d.history_enabled),
            cache_bytes_per_request: f.or("cache_bytes_per_request", d.cache_bytes_per_request),
            listener_bytes_per_request: f
                .or("listener_bytes_per_request", d.listener_bytes_per_request),
            history_bytes_per_request: f
                .or("history_bytes_per_request", d.history_bytes_per_request),
            fragmentation: f.or("fragmentation", d.fragmentation),
            auto_gc_interval: f.or("auto_gc_interval", d.auto_gc_interval),
        };
        f.finish(python)
    }
}

impl FromValue for KafkaSpec {
    fn from_value(value: &Value, path: Path<'_>) -> Result<Self, Problems> {
        let mut f = Fields::new(value, path)?;
        let d = KafkaSpec::default();
        let kafka = KafkaSpec {
            throughput_msgs_per_s: f.or("throughput_msgs_per_s", d.throughput_msgs_per_s),
            loss_ratio: f.or("loss_ratio", d.loss_ratio),
            producer_buffer_msgs: f.or("producer_buffer_msgs", d.producer_buffer_msgs),
            flush_interval: f.or("flush_interval", d.flush_interval),
            fraud_detection_sleep: f.or("fraud_detection_sleep", d.fraud_detection_sleep),
            consumer_msgs_per_s: f.or("consumer_msgs_per_s", d.consumer_msgs_per_s),
            accounting_rows_per_s: f.or("accounting_rows_per_s", d.accounting_rows_per_s),
            row_bytes: f.or("row_bytes", d.row_bytes),
            wal_bytes_per_row: f.or("wal_bytes_per_row", d.wal_bytes_per_row),
            rows_per_write: f.or("rows_per_write", d.rows_per_write),
        };
        f.finish(kafka)
    }
}

impl FromValue for FlagSpec {
    fn from_value(value: &Value, path: Path<'_>) -> Result<Self, Problems> {
        let mut f = Fields::new(value, path)?;
        let flag = FlagSpec {
            variants: f.required("variants"),
            default_variant: f.required("default_variant"),
        };
        f.finish(flag)
    }
}

impl FromValue for FlagdSpec {
    fn from_value(value: &Value, path: Path<'_>) -> Result<Self, Problems> {
        let mut f = Fields::new(value, path)?;
        let d = FlagdSpec::default();
        let flagd = FlagdSpec {
            reload: f.or("reload", d.reload),
            propagation_delay: f.or("propagation_delay", d.propagation_delay),
        };
        f.finish(flagd)
    }
}

impl FromValue for ThinkTime {
    fn from_value(value: &Value, path: Path<'_>) -> Result<Self, Problems> {
        let mut f = Fields::new(value, path)?;
        let think = ThinkTime {
            min: f.required("min"),
            max: f.required("max"),
        };
        f.finish(think)
    }
}

impl FromValue for StepSpec {
    fn from_value(value: &Value, path: Path<'_>) -> Result<Self, Problems> {
        let mut f = Fields::new(value, path)?;
        let step = StepSpec {
            call: f.required("call"),
            repeat: f.optional("repeat"),
            fail_slower_than: f.optional("fail_slower_than"),
        };
        f.finish(step)
    }
}

impl FromValue for TaskSpec {
    fn from_value(value: &Value, path: Path<'_>) -> Result<Self, Problems> {
        let mut f = Fields::new(value, path)?;
        let task = TaskSpec {
            name: f.required("name"),
            weight: f.required("weight"),
            steps: f.required("steps"),
        };
        f.finish(task)
    }
}

impl FromValue for WorkloadSpec {
    fn from_value(value: &Value, path: Path<'_>) -> Result<Self, Problems> {
        let mut f = Fields::new(value, path)?;
        let workload = WorkloadSpec {
            users: f.required("users"),
            spawn_rate: f.required("spawn_rate"),
            think_time: f.required("think_time"),
            start_at: f.optional("start_at"),
            stop_at: f.optional("stop_at"),
            request_timeout: f.or("request_timeout", Dur::secs(60)),
            connect_timeout: f.or("connect_timeout", Dur::secs(3)),
            on_start: f.or("on_start", Vec::new()),
            tasks: f.required("tasks"),
        };
        f.finish(workload)
    }
}

impl FromValue for AlertSpec {
    fn from_value(value: &Value, path: Path<'_>) -> Result<Self, Problems> {
        let mut f = Fields::new(value, path)?;
        let d = AlertSpec::default();
        let alerts = AlertSpec {
            utilization_warning: f.or("utilization_warning", d.utilization_warning),
            utilization_critical: f.or("utilization_critical", d.utilization_critical),
            growth_bytes_per_min: f.or("growth_bytes_per_min", d.growth_bytes_per_min),
            growth_window: f.or("growth_window", d.growth_window),
            latency_p95_ms: f.or("latency_p95_ms", d.latency_p95_ms),
            latency_window: f.or("latency_window", d.latency_window),
            restarts: f.or("restarts", d.restarts),
            predictive_window: f.or("predictive_window", d.predictive_window),
            predictive_horizon: f.or("predictive_horizon", d.predictive_horizon),
            warmup: f.or("warmup", d.warmup),
        };
        f.finish(alerts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Serialization is derived and decoding is written by hand: every
    /// preset must survive the round trip unchanged, field for field.
    #[test]
    fn every_preset_round_trips_through_a_value() {
        for name in crate::presets::names() {
            let scenario = crate::presets::load(name).unwrap();
            let value = serde_json::to_value(&scenario).unwrap();
            let back = Scenario::from_value(value).unwrap();
            assert_eq!(back, scenario, "{name}");
        }
    }

    #[test]
    fn enum_names_match_serialization() {
        for (name, kind) in ServiceKind::NAMES {
            assert_eq!(serde_json::to_value(kind).unwrap(), name);
            assert_eq!(kind.as_str(), name);
        }
        for (name, v) in RestartPolicy::NAMES {
            assert_eq!(serde_json::to_value(v).unwrap(), name);
        }
        for (name, v) in FlagCache::NAMES {
            assert_eq!(serde_json::to_value(v).unwrap(), name);
        }
        for (name, v) in FlagdReload::NAMES {
            assert_eq!(serde_json::to_value(v).unwrap(), name);
        }
    }
}
