//! The Node front end: one event loop under its CPU quota, back-end calls
//! one after another, and the file-descriptor limit.

use super::*;
use crate::engine::pods::{Exit, PState, Rt};
use crate::metrics as m;

fn frontend(users: u32) -> String {
    format!(
        r#"duration = "30s"
sample_interval = "1s"
[services.web]
kind = "node-frontend"
memory_limit = "1Gi"
cpu_limit = "300m"
[services.web.routes.page]
cpu = "2ms"
[workload]
users = {users}
spawn_rate = 100.0
think_time = {{ min = "1s", max = "1s" }}
start_at = "0s"
[[workload.tasks]]
name = "page"
weight = 1
steps = [{{ call = "web/page" }}]
"#
    )
}

#[test]
fn event_loop_lag_rises_with_load_past_the_cpu_quota() {
    // 5 users ask for 10 ms of CPU a second: the loop is idle between them.
    let light = run(&frontend(5));
    let lags = values(&light, &m::NODE_LOOP_LAG, "web");
    assert!(lags.iter().all(|l| l.unwrap() < 3.0), "{lags:?}");
    // 300 users want twice the 300m quota. Each request costs 2 ms × (1 +
    // 300 × 64Ki / 400Mi) of V8 time = 2093 µs: 143 requests a second, so
    // (Little) 300 / 143.3 − 1 s of thinking = 1.09 s waiting on the loop,
    // give or take one 100 ms CFS period.
    let heavy = run(&frontend(300));
    let lags: Vec<f64> = values(&heavy, &m::NODE_LOOP_LAG, "web")[20..]
        .iter()
        .map(|l| l.unwrap())
        .collect();
    let mean = lags.iter().sum::<f64>() / lags.len() as f64;
    let expected = (300.0 / (300_000.0 / 2093.0) - 1.0) * 1000.0;
    assert!((mean - expected).abs() < 100.0, "{mean} vs {expected}");
    let cpu = at(&heavy, &m::CPU_USAGE, "web", 25.0).unwrap();
    assert!((cpu - 0.3).abs() < 0.02, "saturated at the quota: {cpu}");
    assert_eq!(at(&heavy, &m::OPEN_CONNECTIONS, "web", 25.0), Some(300.0));
}

#[test]
fn past_the_descriptor_limit_the_process_crashes_and_connections_fail() {
    let mut w = world(
        r#"duration = "10s"
sample_interval = "1s"
[services.web]
kind = "node-frontend"
memory_limit = "1Gi"
restart_policy = "never"
[services.web.node]
fd_limit = 64
[services.web.routes.page]
cpu = "1ms"
[workload]
users = 50
spawn_rate = 10.0
think_time = { min = "1s", max = "1s" }
start_at = "0s"
connect_timeout = "100ms"
[[workload.tasks]]
name = "page"
weight = 1
steps = [{ call = "web/page" }]
"#,
    );
    let pod = pods_of(&w, "web")[0];
    // One user every 100 ms, each keeping its connection open. With 20
    // other descriptors, 44 sockets fit under 64; the 45th (at 4.4 s) does not.
    run_to(&mut w, 4.35);
    let Rt::Node(n) = &w.pods[pod].rt else {
        panic!()
    };
    assert_eq!((n.conns, w.pods[pod].state), (44, PState::Running));
    run_to(&mut w, 4.45);
    assert_eq!(w.pods[pod].state, PState::Exited);
    let t = w.run();
    assert_eq!(times_us(&t, "Error"), [secs(4.4).0]);
    assert!(messages(&t, "Error")[0].contains("EMFILE: too many open files"));
    assert_eq!(t.summary.service("web").unwrap().crashes, 1);
    let failures = &t.summary.requests.failures_by_reason;
    assert!(failures["reset"] >= 1, "the 45th request: {failures:?}");
    assert!(
        failures["connect"] > 50,
        "nothing to connect to: {failures:?}"
    );
}

#[test]
fn back_end_calls_run_one_after_another_and_a_failed_one_fails_the_page() {
    let backend = |name: &str, wait: &str| {
        format!(
            r#"[services.{name}]
kind = "worker-pool"
memory_limit = "128Mi"
restart_policy = "never"
[services.{name}.routes.get]
wait = "{wait}"
sigma = 0.0
"#
        )
    };
    let mut w = world(&format!(
        r#"duration = "10s"
sample_interval = "5s"
[services.web]
kind = "node-frontend"
memory_limit = "1Gi"
[services.web.routes.page]
calls = ["b1/get", "b2/get"]
{}{}
[workload]
users = 1
spawn_rate = 1.0
think_time = {{ min = "200ms", max = "200ms" }}
start_at = "0s"
[[workload.tasks]]
name = "page"
weight = 1
steps = [{{ call = "web/page" }}]
"#,
        backend("b1", "30ms"),
        backend("b2", "50ms")
    ));
    run_to(&mut w, 5.0);
    let b2 = pods_of(&w, "b2")[0];
    w.kill(b2, Exit::Crash("test"));
    let t = w.run();
    // 30 ms, then 50 ms: 80 ms a page.
    assert_latency_ms(at(&t, &m::SERVER_P50, "web", 5.0), 80.0);
    assert_eq!(at(&t, &m::SERVER_FAILURE_RATE, "web", 5.0), Some(0.0));
    // Without b2 every page fails after b1's 30 ms, as a back-end failure.
    let r = &t.summary.requests;
    assert_eq!(r.failures_by_reason.keys().collect::<Vec<_>>(), ["backend"]);
    assert_latency_ms(at(&t, &m::SERVER_P50, "web", 10.0), 30.0);
    assert_eq!(
        at(&t, &m::SERVER_FAILURE_RATE, "web", 10.0),
        at(&t, &m::SERVER_REQUEST_RATE, "web", 10.0)
    );
    assert_eq!(at(&t, &m::SERVER_FAILURE_RATE, "b1", 10.0), Some(0.0));
}
