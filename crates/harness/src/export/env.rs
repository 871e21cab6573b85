//! The environment a reference workload reads its scenario from: every
//! parameter it implements, under the name its source documents
//! (workloads/checkout/main.go, workloads/leaky/main.py).

use incident_core::scenario::{KafkaSpec, ServiceKind, ServiceSpec};
use incident_core::Scenario;

pub(crate) fn env_of(sc: &Scenario, spec: &ServiceSpec) -> Vec<(String, String)> {
    let mut env = Vec::new();
    if let Some(go) = &spec.go {
        env.push(("GOGC".into(), go.gogc.to_string()));
        if let Some(limit) = go.gomemlimit {
            env.push(("GOMEMLIMIT".into(), format!("{}B", limit.0)));
        }
        env.push(("BASELINE_BYTES".into(), go.baseline_live_heap.0.to_string()));
    }
    if let Some(c) = &spec.checkout {
        env.push(("FLAGD_URL".into(), "http://flagd:8016".into()));
        if c.kafka_configured {
            env.push(("KAFKA_ADDR".into(), "kafka:9092".into()));
        }
        let ms = |d: incident_core::units::Dur| format!("{:.0}", d.as_secs_f64() * 1e3);
        env.push(("MESSAGE_BYTES".into(), c.message_heap.0.to_string()));
        env.push(("CALLER_DEADLINE_MS".into(), ms(c.deadline)));
        env.push(("DOWNSTREAM_MS".into(), ms(c.downstream)));
        env.push(("DOWNSTREAM_SIGMA".into(), c.downstream_sigma.to_string()));
        env.push(("SEED".into(), sc.seed.to_string()));
        if let Some(k) = &sc.kafka {
            env.extend(kafka_env(k));
        }
    }
    if let Some(p) = &spec.python {
        env.push((
            "CACHE_BYTES_PER_REQUEST".into(),
            p.cache_bytes_per_request.0.to_string(),
        ));
        env.push((
            "LISTENER_BYTES_PER_REQUEST".into(),
            p.listener_bytes_per_request.0.to_string(),
        ));
        env.push((
            "HISTORY_BYTES_PER_REQUEST".into(),
            p.history_bytes_per_request.0.to_string(),
        ));
    }
    env
}

/// The producer and broker stand-in's parameters.
fn kafka_env(k: &KafkaSpec) -> Vec<(String, String)> {
    let windows: Vec<String> = k
        .broker_windows
        .iter()
        .map(|w| {
            let span = format!("{}-{}", w.from.as_secs_f64(), w.until.as_secs_f64());
            if w.msgs_per_s == 0.0 {
                format!("down@{span}")
            } else {
                format!("slow@{span}:{}", w.msgs_per_s)
            }
        })
        .collect();
    vec![
        (
            "KAFKA_THROUGHPUT_MSGS_PER_S".into(),
            k.throughput_msgs_per_s.to_string(),
        ),
        ("KAFKA_ERROR_RATIO".into(), k.error_ratio.to_string()),
        (
            "KAFKA_BUFFER_MSGS".into(),
            k.producer_buffer_msgs.to_string(),
        ),
        ("KAFKA_RETRY_MAX".into(), k.retry_max.to_string()),
        (
            "KAFKA_RETRY_BACKOFF_MS".into(),
            format!("{:.0}", k.retry_backoff.as_secs_f64() * 1e3),
        ),
        ("KAFKA_BROKER_WINDOWS".into(), windows.join(",")),
    ]
}

/// Parameters of a service that a real run cannot set: the runtime's own
/// costs, which the workload has (and `incident go-costs` measures), and
/// the Kafka consumers, which do not run for real.
pub(crate) fn not_applied(name: &str, spec: &ServiceSpec) -> Vec<String> {
    let fields: &[&str] = match spec.kind {
        ServiceKind::GoCheckout => &[
            "go.gomaxprocs",
            "go.baseline_goroutines",
            "go.baseline_stack",
            "go.runtime_overhead",
            "go.runtime_metadata",
            "go.globals",
            "go.background_alloc_per_s",
            "go.mark_bytes_per_cpu_s",
            "go.goroutine_descriptor",
            "checkout.goroutine_stack",
            "checkout.waiter_heap",
            "checkout.request_live",
            "checkout.request_garbage",
            "checkout.message_garbage",
            "file_cache_active",
            "file_cache_inactive",
        ],
        _ => &[],
    };
    fields
        .iter()
        .map(|f| format!("services.{name}.{f}"))
        .collect()
}
