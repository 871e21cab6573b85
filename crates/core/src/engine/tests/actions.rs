//! Timeline actions: each changes the world at its time, through the same
//! `ControlPlane` calls a real run makes.

use super::*;
use crate::engine::pods::{PState, Rt};
use crate::metrics as m;
use crate::scenario::LeakKind;

/// One pool service (CPU request for an HPA), a user per `users`, thinking
/// 1 s, and the given timeline; the load starts only if `start` says so.
fn api(timeline: &str, users: u32, start: &str, service: &str) -> String {
    format!(
        r#"duration = "60s"
sample_interval = "1s"
timeline = [{timeline}]
[services.api]
kind = "worker-pool"
memory_limit = "128Mi"
cpu_request = "100m"
startup = "0s"
{service}
[services.api.routes.get]
cpu = "10ms"
[workload]
users = {users}
spawn_rate = 100.0
think_time = {{ min = "1s", max = "1s" }}
{start}
[[workload.tasks]]
name = "get"
weight = 1
steps = [{{ call = "api/get" }}]
"#
    )
}

#[test]
fn load_actions_start_resize_and_stop_the_users_at_their_times() {
    let timeline = r#""10.25s start load 4 at 2/s", "20.25s set users 2", "30.25s stop load""#;
    let t = run(&api(timeline, 9, "", ""));
    let users = |s: f64| at(&t, &m::LOCUST_USERS, m::LOAD_GENERATOR, s);
    // Not before its time, then 2 a second (at 10.25, 10.75, 11.25, 11.75 s).
    assert_eq!(users(10.0), Some(0.0));
    assert_eq!(users(11.0), Some(2.0));
    assert_eq!(users(12.0), Some(4.0));
    assert_eq!(users(20.0), Some(4.0));
    assert_eq!(users(21.0), Some(2.0));
    assert_eq!(users(30.0), Some(2.0));
    assert_eq!(users(31.0), Some(0.0));
    assert_eq!(t.summary.load_started_s, Some(10.25));
    for (reason, at) in [
        ("LoadStarted", 10.25),
        ("LoadChanged", 20.25),
        ("LoadStopped", 30.25),
    ] {
        assert_eq!(times_us(&t, reason), [secs(at).0], "{reason}");
    }
    // The users the action asked for, not the workload's nine.
    assert_eq!(
        messages(&t, "LoadStarted"),
        ["Ramping to 4 users at a rate of 2 per second"]
    );
}

#[test]
fn scale_and_restart_change_the_pods_at_their_times() {
    let t = run(&api(r#""10s scale api 3", "30s restart api""#, 0, "", ""));
    let created: Vec<f64> = t.pods.iter().map(|p| p.created_us as f64 / 1e6).collect();
    assert_eq!(created, [0.0, 10.0, 10.0, 30.0, 30.0, 30.0]);
    // Each old pod goes once its replacement is ready: created, started
    // 2 s later, serving at once (startup 0 s).
    let deleted: Vec<Option<f64>> = t
        .pods
        .iter()
        .map(|p| p.deleted_us.map(|d| d as f64 / 1e6))
        .collect();
    let gone = Some(32.0);
    assert_eq!(deleted, [gone, gone, gone, None, None, None]);
    // Ready: one until the new pods serve, then three, old or new.
    let ready: Vec<_> = [11.0, 13.0, 31.0, 33.0]
        .map(|s| at(&t, &m::PODS_AVAILABLE, "api", s).unwrap())
        .to_vec();
    assert_eq!(ready, [1.0, 3.0, 3.0, 3.0]);
}

#[test]
fn set_limit_rolls_out_pods_with_the_new_limit() {
    let mut w = world(&api(r#""10.5s set limit api memory=64Mi""#, 0, "", ""));
    run_to(&mut w, 15.0);
    let limits: Vec<(PState, f64)> = w
        .pods
        .iter()
        .map(|p| (p.state, p.memory_limit_bytes))
        .collect();
    let mi = (1u64 << 20) as f64;
    assert_eq!(
        limits,
        [(PState::Deleted, 128.0 * mi), (PState::Running, 64.0 * mi)]
    );
    let t = w.run();
    assert_eq!(at(&t, &m::MEMORY_LIMIT, "api", 10.0), Some(128.0 * mi));
    assert_eq!(at(&t, &m::MEMORY_LIMIT, "api", 11.0), Some(64.0 * mi));
    assert_eq!(t.pods[0].deleted_us, Some(secs(12.5).0));
}

#[test]
fn an_hpa_switched_on_rescales_at_its_next_sync() {
    let hpa =
        "[services.api.hpa]\nenabled = false\nmin_replicas = 1\nmax_replicas = 3\ncpu_target = 0.5";
    // 50 users: 0.5 core on one pod of 100m. Syncs every 15 s.
    let t = run(&api(r#""20s hpa api on""#, 50, "start_at = \"0s\"", hpa));
    assert_eq!(times_us(&t, "HpaToggled"), [secs(20.0).0]);
    assert_eq!(times_us(&t, "SuccessfulRescale"), [secs(30.0).0]);
    assert!(messages(&t, "SuccessfulRescale")[0].starts_with("New size: 3;"));
    assert_eq!(at(&t, &m::PODS_AVAILABLE, "api", 29.0), Some(1.0));
    assert_eq!(at(&t, &m::PODS_AVAILABLE, "api", 33.0), Some(3.0));
}

#[test]
fn a_leak_switched_on_applies_to_the_running_container_and_its_replacement() {
    let py = r#"duration = "60s"
sample_interval = "1s"
timeline = ["10.5s leak leaky cache on", "20.5s restart leaky"]
[services.leaky]
kind = "python-leaky"
memory_limit = "256Mi"
[services.leaky.routes.api_data]
cpu = "1ms"
[workload]
users = 2
spawn_rate = 10.0
think_time = { min = "100ms", max = "100ms" }
start_at = "0s"
[[workload.tasks]]
name = "api_data"
weight = 1
steps = [{ call = "leaky/api_data" }]
"#;
    let mut w = world(py);
    run_to(&mut w, 30.0);
    let cache_on = |w: &World, p: PodId| match &w.pods[p].rt {
        Rt::Py(py) => py.leaks.is_enabled(LeakKind::Cache),
        _ => unreachable!(),
    };
    let [old, new] = [PodId(0), PodId(1)];
    assert!(cache_on(&w, old) && cache_on(&w, new));
    let t = w.run();
    let entries = |s: f64| at(&t, &m::LEAK_CACHE_ENTRIES, "leaky", s).unwrap();
    assert_eq!(entries(10.0), 0.0);
    assert!(entries(11.0) > 0.0 && entries(20.0) > entries(11.0));
    // The replacement (serving from 24.5 s) starts empty, leaking again.
    assert!(entries(25.0) < entries(24.0));
    assert!(entries(30.0) > entries(25.0));
}
