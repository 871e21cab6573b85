//! Sampling: one sample per interval, the catalogued series of each kind of
//! service, and what a sample reports (largest pod for gauges, sums for
//! counts and rates).

use super::*;
use crate::metrics::{self as m, Metric};

#[test]
fn a_sample_every_interval_and_one_value_per_sample_in_every_series() {
    let t = run(&format!(
        r#"duration = "21s"
sample_interval = "2s"
[services.api]
kind = "worker-pool"
memory_limit = "128Mi"
[services.api.routes.get]
wait = "10ms"
{NO_LOAD}"#
    ));
    let expected: Vec<u64> = (0..=10).map(|k| SimTime::from_secs(2 * k).0).collect();
    assert_eq!(t.sample_times_us, expected, "the last sample fits in 21 s");
    assert!(!t.series.is_empty());
    assert!(t.series.iter().all(|s| s.values.len() == 11));
}

/// What every service records, in order; then each runtime's own.
const SERVER: [Metric; 13] = [
    m::WORKING_SET,
    m::MEMORY_USAGE,
    m::MEMORY_UTILIZATION,
    m::MEMORY_LIMIT,
    m::CPU_USAGE,
    m::RESTARTS,
    m::PODS_AVAILABLE,
    m::SERVER_REQUEST_RATE,
    m::SERVER_FAILURE_RATE,
    m::SERVER_P50,
    m::SERVER_P95,
    m::SERVER_P99,
    m::SERVER_ACTIVE,
];

const GO: [Metric; 10] = [
    m::GO_HEAP_ALLOC,
    m::GO_GOROUTINES,
    m::GO_GC_COUNT,
    m::GO_GC_GOAL,
    m::GO_GC_CPU,
    m::KAFKA_PRODUCER_QUEUE,
    m::KAFKA_PRODUCER_ERRORS,
    m::ORDERS,
    m::FLAG_SEEN,
    m::FLAG_SERVED,
];

const PYTHON: [Metric; 7] = [
    m::LEAK_CACHE_BYTES,
    m::LEAK_LISTENERS_BYTES,
    m::LEAK_HISTORY_BYTES,
    m::LEAK_CACHE_ENTRIES,
    m::LEAK_LISTENERS,
    m::LEAK_HISTORY_RECORDS,
    m::LEAK_CYCLES_BYTES,
];

/// Locust's.
const CLIENT: [Metric; 6] = [
    m::LOCUST_USERS,
    m::LOCUST_REQUEST_RATE,
    m::LOCUST_FAILURE_RATE,
    m::LOCUST_P50,
    m::LOCUST_P95,
    m::LOCUST_P99,
];

#[test]
fn each_kind_of_service_records_its_catalogued_series() {
    let t = run(&format!(
        r#"duration = "10s"
[services.api]
kind = "worker-pool"
memory_limit = "128Mi"
[services.api.routes.get]
wait = "10ms"
[services.checkout]
kind = "go-checkout"
memory_limit = "64Mi"
[services.leaky]
kind = "python-leaky"
memory_limit = "256Mi"
[services.leaky.routes.api_data]
cpu = "1ms"
[services.web]
kind = "node-frontend"
memory_limit = "512Mi"
[services.web.routes.page]
calls = ["api/get"]
[flags.kafkaQueueProblems]
variants = {{ on = 1, off = 0 }}
default_variant = "off"
{NO_LOAD}"#
    ));
    let of = |service: &str, metrics: &[Metric]| -> Vec<(String, String, String)> {
        let row = |x: &Metric| (service.to_string(), x.name.to_string(), x.unit.to_string());
        metrics.iter().map(row).collect()
    };
    // Services in name order, each its own; then Kafka's consumers and
    // Postgres (checkout publishes), then Locust.
    let expected = [
        of("api", &SERVER),
        of("checkout", &[&SERVER[..], &GO[..]].concat()),
        of("leaky", &[&SERVER[..], &PYTHON[..]].concat()),
        of(
            "web",
            &[&SERVER[..], &[m::NODE_LOOP_LAG, m::OPEN_CONNECTIONS]].concat(),
        ),
        of("fraud-detection", &[m::CONSUMER_LAG]),
        of("postgresql", &[m::DB_SIZE, m::WAL_SIZE, m::WRITE_IOPS]),
        of(m::LOAD_GENERATOR, &CLIENT),
    ]
    .concat();
    let recorded: Vec<(String, String, String)> = t
        .series
        .iter()
        .map(|s| (s.service.clone(), s.name.clone(), s.unit.clone()))
        .collect();
    assert_eq!(recorded, expected);
}

#[test]
fn a_sample_reports_memory_by_the_largest_pod_and_cpu_and_requests_summed() {
    // Two pods; one request a second (10 ms of CPU, 990 ms of thinking).
    let t = run(r#"duration = "20s"
sample_interval = "2s"
[services.api]
kind = "worker-pool"
replicas = 2
memory_limit = "128Mi"
file_cache_active = "4Mi"
file_cache_inactive = "2Mi"
[services.api.routes.get]
cpu = "10ms"
[workload]
users = 1
spawn_rate = 1.0
think_time = { min = "990ms", max = "990ms" }
start_at = "250ms"
[[workload.tasks]]
name = "get"
weight = 1
steps = [{ call = "api/get" }]
"#);
    let mi = (1u64 << 20) as f64;
    let v = |metric: &Metric, s: f64| at(&t, metric, "api", s);
    // The pool's 64Mi idle plus hot file pages; cold ones count in usage.
    assert_eq!(v(&m::WORKING_SET, 10.0), Some(68.0 * mi));
    assert_eq!(v(&m::MEMORY_USAGE, 10.0), Some(70.0 * mi));
    assert_eq!(v(&m::MEMORY_UTILIZATION, 10.0), Some(68.0 / 128.0));
    assert_eq!(v(&m::MEMORY_LIMIT, 10.0), Some(128.0 * mi));
    assert_eq!(v(&m::PODS_AVAILABLE, 10.0), Some(2.0));
    assert_eq!(v(&m::RESTARTS, 10.0), Some(0.0));
    // Nothing finished before the first sample: a gap, not a zero.
    assert_eq!(v(&m::SERVER_P50, 0.0), None);
    for s in (2..=20).step_by(2).map(f64::from) {
        // Two requests in each 2 s, on whichever pods: 20 ms of CPU.
        assert_eq!(v(&m::SERVER_REQUEST_RATE, s), Some(1.0));
        let cpu = v(&m::CPU_USAGE, s).unwrap();
        assert!((cpu - 0.01).abs() < 1e-12, "{cpu}");
        assert_latency_ms(v(&m::SERVER_P50, s), 10.0);
        assert_eq!(v(&m::SERVER_ACTIVE, s), Some(0.0));
        let client = |metric: &Metric| at(&t, metric, m::LOAD_GENERATOR, s);
        assert_eq!(client(&m::LOCUST_USERS), Some(1.0));
        assert_eq!(client(&m::LOCUST_REQUEST_RATE), Some(1.0));
        assert_eq!(client(&m::LOCUST_FAILURE_RATE), Some(0.0));
    }
}

/// Snapshots taken while a run goes are partial prefixes of its trace, and
/// taking them changes nothing: the run's hash is the plain run's.
#[test]
fn a_snapshot_is_a_prefix_of_the_run_and_taking_it_changes_nothing() {
    for preset in ["checkout-gradual", "sockshop-hybrid"] {
        let sc = crate::presets::load(preset).expect("a preset");
        let plain = crate::simulate(&sc);
        let mut w = World::new(&sc);
        let mut snapshots = Vec::new();
        while !w.advance(2_000) {
            snapshots.push(w.snapshot());
        }
        let full = w.into_trace();
        assert_eq!(
            full.summary.trace_hash, plain.summary.trace_hash,
            "{preset}"
        );
        assert!(
            snapshots.len() >= 3,
            "{preset}: {} snapshots",
            snapshots.len()
        );
        for snap in &snapshots {
            let n = snap.sample_times_us.len();
            assert!(snap.summary.partial && snap.summary.trace_hash.is_empty());
            assert!(n <= full.sample_times_us.len());
            assert_eq!(
                snap.sample_times_us[..],
                full.sample_times_us[..n],
                "{preset}"
            );
            for (s, f) in snap.series.iter().zip(&full.series) {
                assert_eq!((&s.name, &s.service), (&f.name, &f.service));
                assert_eq!(
                    s.values[..],
                    f.values[..n],
                    "{preset}: {} {}",
                    s.name,
                    s.service
                );
            }
            assert!(snap.summary.requests.issued <= full.summary.requests.issued);
        }
    }
}

#[test]
fn how_often_a_run_is_sampled_does_not_change_the_run() {
    let mut sc = crate::presets::load("checkout-gradual").expect("a preset");
    sc.duration = crate::units::Dur::secs(900);
    let kills = |interval_ms: u64| {
        let mut sc = sc.clone();
        sc.sample_interval = crate::units::Dur(SimTime::from_millis(interval_ms));
        let t = crate::simulate(&sc);
        let kills: Vec<u64> = t
            .events
            .iter()
            .filter(|e| e.reason == "OOMKilled")
            .map(|e| e.at_us)
            .collect();
        assert!(!kills.is_empty(), "checkout-gradual is killed in 15 min");
        kills
    };
    assert_eq!(kills(1000), kills(250));
    assert_eq!(kills(1000), kills(5000));
}
