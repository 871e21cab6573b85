//! Pods and kubelet: OOM kills, the restart policies' back-offs, scaling,
//! and memory as the cgroup charges it.

use super::*;
use crate::engine::pods::PState;
use crate::metrics as m;
use crate::telemetry::PodStatus;

/// One pool pod whose every request takes it past its limit: 60Mi idle,
/// 8Mi per request, a 64Mi limit. Ten users keep trying.
fn crash_loop(policy: &str, duration: &str) -> String {
    format!(
        r#"
duration = "{duration}"
sample_interval = "10s"

[services.api]
kind = "worker-pool"
memory_limit = "64Mi"
startup = "0s"
restart_policy = "{policy}"
[services.api.pool]
baseline_memory = "60Mi"
[services.api.routes.get]
memory = "8Mi"

[workload]
users = 10
spawn_rate = 100.0
think_time = {{ min = "100ms", max = "100ms" }}
start_at = "1s"
connect_timeout = "10ms"
[[workload.tasks]]
name = "get"
weight = 1
steps = [{{ call = "api/get" }}]
"#
    )
}

/// From each exit to the restart that follows it, in microseconds.
fn restart_gaps(t: &Trace) -> Vec<u64> {
    let ooms = times_us(t, "OOMKilled");
    let starts = times_us(t, "Started");
    starts.iter().zip(&ooms).map(|(s, o)| s - o).collect()
}

#[test]
fn an_oom_kill_restarts_in_crash_loop_back_off_doubling_from_10s_to_5m() {
    let t = run(&crash_loop("kubelet", "16m"));
    let ooms = times_us(&t, "OOMKilled");
    // The first request at 1 s kills the container; kubelet restarts the
    // first exit within its sync loop (1 s), then waits 10 s, 20 s … 5 min.
    assert_eq!(ooms[0], secs(1.0).0);
    let expected: Vec<u64> = [1, 10, 20, 40, 80, 160, 300, 300]
        .iter()
        .map(|s| SimTime::from_secs(*s).0)
        .collect();
    assert_eq!(restart_gaps(&t), expected);
    // The ninth exit waits 5 min more: past the end of the run.
    assert_eq!(ooms.len(), 9);
    let backoffs = messages(&t, "BackOff");
    assert_eq!(backoffs.len(), 8, "every exit after the first backs off");
    for (msg, s) in backoffs.iter().zip([10, 20, 40, 80, 160, 300, 300, 300]) {
        let waiting = format!("(waiting {})", SimTime::from_secs(s));
        assert!(msg.ends_with(&waiting), "{msg} should end {waiting}");
    }
    let api = t.summary.service("api").unwrap();
    assert_eq!((api.oom_kills, api.restarts), (9, 8));
    assert_eq!(api.first_oom_s, Some(1.0));
    // kubectl's view: OOMKilled, CrashLoopBackOff 1 s later, Running again
    // with one more restart.
    let pod = &t.pods[0];
    let last = pod.changes.last().unwrap();
    assert_eq!(last.restarts, 8);
    let second_oom = ooms[1];
    let after: Vec<(u64, PodStatus, u32)> = pod
        .changes
        .iter()
        .filter(|c| c.at_us >= second_oom)
        .take(3)
        .map(|c| (c.at_us - second_oom, c.status, c.restarts))
        .collect();
    assert_eq!(
        after,
        [
            (0, PodStatus::OOMKilled, 1),
            (SimTime::from_secs(1).0, PodStatus::CrashLoopBackOff, 1),
            (SimTime::from_secs(10).0, PodStatus::Running, 2),
        ]
    );
}

#[test]
fn docker_restarts_after_100ms_doubling_to_a_minute_without_back_off_status() {
    let t = run(&crash_loop("docker", "5m"));
    let gaps = restart_gaps(&t);
    let ms = |v: u64| SimTime::from_millis(v).0;
    let first: Vec<u64> = [100, 200, 400, 800, 1600, 3200, 6400, 12800, 25600, 51200]
        .map(ms)
        .to_vec();
    assert_eq!(gaps[..10], first[..]);
    assert!(gaps.len() > 12, "{gaps:?}");
    assert!(gaps[10..].iter().all(|&g| g == ms(60_000)), "{gaps:?}");
    assert!(messages(&t, "BackOff").is_empty());
    let statuses = &t.pods[0].changes;
    assert!(statuses
        .iter()
        .all(|c| c.status != PodStatus::CrashLoopBackOff));
}

#[test]
fn never_leaves_the_killed_container_down() {
    let t = run(&crash_loop("never", "1m"));
    assert_eq!(times_us(&t, "OOMKilled"), [secs(1.0).0]);
    assert!(times_us(&t, "Started").is_empty());
    let last = t.pods[0].changes.last().unwrap();
    assert_eq!(
        (last.status, last.ready, last.restarts),
        (PodStatus::OOMKilled, false, 0)
    );
    assert_eq!(at(&t, &m::PODS_AVAILABLE, "api", 0.0), Some(1.0));
    for s in [10.0, 30.0, 60.0] {
        assert_eq!(at(&t, &m::PODS_AVAILABLE, "api", s), Some(0.0));
    }
    // With nothing ready every later request fails to connect.
    let failures = &t.summary.requests.failures_by_reason;
    assert!(failures["connect"] > 100, "{failures:?}");
}

const TWO_POOLS: &str = r#"
duration = "30s"
sample_interval = "1s"

[services.api]
kind = "worker-pool"
memory_limit = "128Mi"
startup = "3s"
[services.api.routes.get]
wait = "10ms"
"#;

#[test]
fn scaling_up_creates_pods_that_serve_after_creation_and_startup_and_down_removes_the_newest() {
    let mut w = world(&format!("{TWO_POOLS}{NO_LOAD}"));
    let api = svc(&w, "api");
    run_to(&mut w, 10.0);
    w.scale_to(api, 3, "test");
    let pods = pods_of(&w, "api");
    assert_eq!(pods.len(), 3);
    let (old, new) = (pods[0], [pods[1], pods[2]]);
    assert!(new.iter().all(|&p| w.pods[p].state == PState::Creating));
    // Scheduled and created after 2 s; serving 3 s (startup) later.
    run_to(&mut w, 11.9);
    assert!(new.iter().all(|&p| w.pods[p].state == PState::Creating));
    run_to(&mut w, 12.0);
    assert!(new.iter().all(|&p| w.pods[p].state == PState::Running));
    run_to(&mut w, 14.9);
    assert!(new.iter().all(|&p| !w.pods[p].ready));
    run_to(&mut w, 15.0);
    assert!(new.iter().all(|&p| w.pods[p].ready && w.pods[p].serving));
    run_to(&mut w, 20.0);
    w.scale_to(api, 1, "test");
    assert_eq!(pods_of(&w, "api"), [old]);
    assert!(new.iter().all(|&p| w.pods[p].state == PState::Deleted));
    let t = w.run();
    assert_eq!(
        messages(&t, "ScalingReplicaSet"),
        [
            "Scaled up replica set api from 1 to 3 (test)",
            "Scaled down replica set api from 3 to 1 (test)"
        ]
    );
    let deleted: Vec<Option<u64>> = t.pods.iter().map(|p| p.deleted_us).collect();
    assert_eq!(deleted, [None, Some(secs(20.0).0), Some(secs(20.0).0)]);
    for (s, ready) in [(11.0, 1.0), (14.0, 1.0), (16.0, 3.0), (21.0, 1.0)] {
        assert_eq!(at(&t, &m::PODS_AVAILABLE, "api", s), Some(ready), "at {s}s");
    }
}

#[test]
fn a_squeezed_page_cache_slows_the_pod_by_major_faults() {
    // The same route on two pods: one has room for its 8Mi of hot file
    // pages, the other only 4Mi of it (60Mi anonymous under 64Mi): half
    // its hot pages fault back in, 1 + 4 × 0.5 = 3 times slower.
    let pool = |name: &str, limit: &str| {
        format!(
            r#"
[services.{name}]
kind = "worker-pool"
memory_limit = "{limit}"
file_cache_active = "8Mi"
[services.{name}.pool]
baseline_memory = "60Mi"
[services.{name}.routes.get]
cpu = "10ms"
"#
        )
    };
    let t = run(&format!(
        r#"duration = "20s"
sample_interval = "10s"
{}{}
[workload]
users = 2
spawn_rate = 10.0
think_time = {{ min = "100ms", max = "100ms" }}
start_at = "0s"
[[workload.tasks]]
name = "both"
weight = 1
steps = [{{ call = "roomy/get" }}, {{ call = "squeezed/get" }}]
"#,
        pool("roomy", "128Mi"),
        pool("squeezed", "64Mi")
    ));
    assert_latency_ms(at(&t, &m::SERVER_P50, "roomy", 20.0), 10.0);
    assert_latency_ms(at(&t, &m::SERVER_P50, "squeezed", 20.0), 30.0);
    let mi = (1u64 << 20) as f64;
    // The squeezed working set is the whole limit, never above it.
    assert_eq!(at(&t, &m::WORKING_SET, "squeezed", 20.0), Some(64.0 * mi));
    assert_eq!(at(&t, &m::WORKING_SET, "roomy", 20.0), Some(68.0 * mi));
    assert_eq!(t.summary.service("squeezed").unwrap().oom_kills, 0);
}
