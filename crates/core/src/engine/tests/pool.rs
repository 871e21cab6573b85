//! Multi-worker back ends: workers, their bounded queue, and the CPU limit
//! they share.

use super::*;
use crate::metrics as m;

/// One pool service: extra service keys, its `[pool]` and its route, and
/// `users` users who think `think` between requests.
fn api(service: &str, pool: &str, route: &str, users: u32, think: &str) -> String {
    format!(
        r#"duration = "10s"
sample_interval = "1s"
[services.api]
kind = "worker-pool"
memory_limit = "128Mi"
{service}
[services.api.pool]
{pool}
[services.api.routes.get]
sigma = 0.0
{route}
[workload]
users = {users}
spawn_rate = 100.0
think_time = {{ min = "{think}", max = "{think}" }}
start_at = "5ms"
[[workload.tasks]]
name = "get"
weight = 1
steps = [{{ call = "api/get" }}]
"#
    )
}

#[test]
fn queueing_past_the_workers_raises_latency_not_throughput() {
    // Two workers, 100 ms a request, users who ask again at once.
    let two = run(&api("", "workers = 2", "wait = \"100ms\"", 2, "0s"));
    let six = run(&api("", "workers = 2", "wait = \"100ms\"", 6, "0s"));
    for s in [3.0, 6.0, 9.0] {
        // As many users as workers: 100 ms, 20 requests a second.
        assert_latency_ms(at(&two, &m::SERVER_P50, "api", s), 100.0);
        assert_eq!(at(&two, &m::SERVER_REQUEST_RATE, "api", s), Some(20.0));
        // Three times as many: each waits behind four others, two rounds,
        // and the workers finish no more than before.
        assert_latency_ms(at(&six, &m::SERVER_P50, "api", s), 300.0);
        assert_latency_ms(at(&six, &m::SERVER_P99, "api", s), 300.0);
        assert_eq!(at(&six, &m::SERVER_REQUEST_RATE, "api", s), Some(20.0));
        // Two in service, four queued.
        assert_eq!(at(&six, &m::SERVER_ACTIVE, "api", s), Some(6.0));
    }
}

#[test]
fn a_full_queue_refuses_at_once() {
    // One worker, one place in the queue, three users: one is refused.
    let pool = "workers = 1\nqueue_limit = 1";
    let t = run(&api("", pool, "wait = \"100ms\"", 3, "10ms"));
    let r = &t.summary.requests;
    assert_eq!(r.failures_by_reason.keys().collect::<Vec<_>>(), ["refused"]);
    // The worker is never idle (a retry refills the queue within 10 ms): a
    // request finishes every 100 ms from 105 ms on, 99 by the end.
    assert_eq!(r.succeeded, 99);
    assert!(r.failed > 500, "{r:?}");
    // Refusals are answered at once; a success queued within 10 ms of the
    // start of the one ahead of it, so it took 190–200 ms.
    assert!(r.latency_ms_p50.unwrap() < 1.0, "{r:?}");
    let ok = r.success_latency_ms_p50.unwrap();
    assert!((185.0..=200.0).contains(&ok), "{ok}");
}

#[test]
fn busy_workers_share_the_cpu_limit() {
    let limit = "cpu_limit = \"500m\"";
    let cpu = "cpu = \"100ms\"";
    // 100 ms of CPU under a 500m limit: alone, a request runs at half speed.
    let alone = run(&api(limit, "workers = 4", cpu, 1, "1s"));
    assert_latency_ms(at(&alone, &m::SERVER_P50, "api", 10.0), 200.0);
    assert_latency_ms(alone.summary.requests.latency_ms_p99, 200.0);
    // Two users always busy: each request starts beside the other, at a
    // quarter of a core.
    let two = run(&api(limit, "workers = 4", cpu, 2, "0s"));
    assert_latency_ms(at(&two, &m::SERVER_P50, "api", 10.0), 400.0);
    // The pod never uses more than its limit.
    let used = at(&two, &m::CPU_USAGE, "api", 10.0).unwrap();
    assert!(used <= 0.5 + 1e-9, "{used}");
}
