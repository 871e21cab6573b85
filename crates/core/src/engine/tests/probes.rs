//! Liveness and readiness probes: kubelet's health checks, answered by the
//! pod's runtime.

use super::*;
use crate::engine::pods::Rt;
use crate::engine::World;

/// A second pool pod, scaled up at 0 s: created at 2 s, then `startup`
/// before it serves; liveness every 5 s from 5 s after each start.
fn slow_starter(startup: &str) -> String {
    format!(
        r#"
duration = "60s"
sample_interval = "5s"
timeline = ["0s scale api 2"]

[services.api]
kind = "worker-pool"
memory_limit = "128Mi"
startup = "{startup}"
liveness = {{ initial_delay = "5s", period = "5s", timeout = "1s", failure_threshold = 3 }}
[services.api.routes.get]
wait = "10ms"
{NO_LOAD}"#
    )
}

/// When events of one reason were logged about one pod, in seconds.
fn about(t: &Trace, reason: &str, pod: &str) -> Vec<f64> {
    let object = format!("pod/{pod}");
    t.events
        .iter()
        .filter(|e| e.reason == reason && e.object == object)
        .map(|e| e.at_us as f64 / 1e6)
        .collect()
}

#[test]
fn liveness_failing_threshold_times_in_a_row_restarts_the_container() {
    let t = run(&slow_starter("60s"));
    let new = &t.pods[1].name;
    // Not serving yet: every probe is refused. The third failure in a row
    // kills the container once that probe's timeout (1 s) is over.
    assert_eq!(
        about(&t, "Unhealthy", new),
        [7.0, 12.0, 17.0, 24.0, 29.0, 34.0, 50.0, 55.0, 60.0]
    );
    let refused = messages(&t, "Unhealthy");
    assert!(refused
        .iter()
        .all(|m| m == "Liveness probe failed: connect: connection refused"));
    assert_eq!(about(&t, "Killing", new), [18.0, 35.0]);
    // Restarted within the sync loop (1 s), then after 10 s of back-off.
    assert_eq!(about(&t, "Started", new), [2.0, 19.0, 45.0]);
    let api = t.summary.service("api").unwrap();
    assert_eq!((api.liveness_kills, api.restarts), (2, 2));
    // The first pod serves from the start: its probes pass.
    assert!(about(&t, "Unhealthy", &t.pods[0].name).is_empty());
}

#[test]
fn a_passing_probe_resets_the_count_of_failures() {
    // Serving at 14 s: the probes at 7 and 12 s fail, the one at 17 s passes.
    let mut w = world(&slow_starter("12s"));
    run_to(&mut w, 12.0);
    let new = pods_of(&w, "api")[1];
    assert_eq!(w.pods[new].live_fails, 2);
    run_to(&mut w, 17.0);
    assert_eq!(w.pods[new].live_fails, 0);
    let t = w.run();
    assert_eq!(about(&t, "Unhealthy", &t.pods[1].name), [7.0, 12.0]);
    assert!(times_us(&t, "Killing").is_empty());
    assert_eq!(t.summary.service("api").unwrap().restarts, 0);
}

/// Blocks a Python pod's interpreter until `until` seconds, as a long
/// request would.
fn block_interpreter(w: &mut World, pod: PodId, until: f64) {
    let Rt::Py(py) = &mut w.pods[pod].rt else {
        panic!("a python pod")
    };
    py.busy_until = secs(until);
}

fn python(probe: &str) -> String {
    format!(
        r#"
duration = "40s"
sample_interval = "1s"

[services.py]
kind = "python-leaky"
replicas = 2
memory_limit = "256Mi"
{probe} = {{ initial_delay = "1s", period = "1s", timeout = "500ms", failure_threshold = 2 }}
[services.py.routes.api_data]
cpu = "2ms"
{NO_LOAD}"#
    )
}

#[test]
fn failing_readiness_takes_the_pod_out_of_routing_until_it_answers() {
    let mut w = world(&python("readiness"));
    let py = svc(&w, "py");
    let [busy, other] = pods_of(&w, "py")[..] else {
        panic!("two pods")
    };
    run_to(&mut w, 10.0);
    block_interpreter(&mut w, busy, 30.0);
    // Probes at 11 s and 12 s time out; the second (the threshold) makes the
    // pod unready. It is not restarted: readiness only routes.
    run_to(&mut w, 11.0);
    assert!(w.pods[busy].ready);
    run_to(&mut w, 12.0);
    assert!(!w.pods[busy].ready);
    assert!((0..50).all(|_| w.pick_pod(py) == Some(other)));
    // Free again from 30 s (and the 19 probes since 11 s, 300 µs each): the
    // probe at 30 s answers in 6 ms, and the pod is back.
    run_to(&mut w, 29.0);
    assert!(!w.pods[busy].ready);
    run_to(&mut w, 30.0);
    assert!(w.pods[busy].ready);
    let picks: Vec<PodId> = (0..50).filter_map(|_| w.pick_pod(py)).collect();
    assert!(picks.contains(&busy) && picks.contains(&other));
    let t = w.run();
    let ready: Vec<(f64, bool)> = t.pods[0]
        .changes
        .iter()
        .map(|c| (c.at_us as f64 / 1e6, c.ready))
        .collect();
    assert_eq!(ready, [(0.0, true), (12.0, false), (30.0, true)]);
    assert_eq!(
        messages(&t, "Unhealthy"),
        ["Readiness probe failed: context deadline exceeded"]
    );
    assert_eq!(
        at(&t, &crate::metrics::PODS_AVAILABLE, "py", 20.0),
        Some(1.0)
    );
    assert_eq!(t.summary.service("py").unwrap().restarts, 0);
}

#[test]
fn a_busy_interpreter_fails_liveness_only_after_threshold_failures_in_a_row() {
    let mut w = world(&python("liveness"));
    let busy = pods_of(&w, "py")[0];
    // Blocked for 1.2 s: one failure (at 11 s), then an answer.
    run_to(&mut w, 10.0);
    block_interpreter(&mut w, busy, 11.7);
    run_to(&mut w, 11.0);
    assert_eq!(w.pods[busy].live_fails, 1);
    run_to(&mut w, 12.0);
    assert_eq!(w.pods[busy].live_fails, 0);
    // Blocked for 10 s: two failures in a row reach the threshold, and the
    // container is killed when the second probe's 500 ms are up.
    block_interpreter(&mut w, busy, 22.0);
    run_to(&mut w, 14.0);
    assert_eq!(w.pods[busy].restarts, 0);
    let t = w.run();
    assert_eq!(times_us(&t, "Killing"), [secs(14.5).0]);
    let api = t.summary.service("py").unwrap();
    assert_eq!((api.liveness_kills, api.restarts), (1, 1));
}

#[test]
fn a_pod_the_run_starts_with_is_probed_at_once_a_restarted_one_after_its_delay() {
    let mut w = world(&format!(
        r#"
duration = "48s"
sample_interval = "1s"

[services.py]
kind = "python-leaky"
memory_limit = "256Mi"
startup = "60s"
liveness = {{ initial_delay = "30s", period = "3s", timeout = "500ms", failure_threshold = 3 }}
[services.py.routes.api_data]
cpu = "2ms"
{NO_LOAD}"#
    ));
    let pod = pods_of(&w, "py")[0];
    block_interpreter(&mut w, pod, 100.0);
    let t = w.run();
    let name = &t.pods[0].name;
    // The first container has been up for longer than 30 s: probed from
    // one period in, killed when the third probe's 500 ms are up. The
    // second (started at 10.5 s, not serving yet) waits its 30 s.
    assert_eq!(
        about(&t, "Unhealthy", name),
        [3.0, 6.0, 9.0, 40.5, 43.5, 46.5]
    );
    assert_eq!(about(&t, "Killing", name), [9.5, 47.0]);
    assert_eq!(about(&t, "Started", name), [10.5]);
}
