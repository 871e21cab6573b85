//! The HorizontalPodAutoscaler: CPU of the request against its target, min
//! and max, and scale-down stabilization.

use super::*;
use crate::metrics as m;

/// One user makes 10 requests a second (10 ms of CPU, 90 ms of thinking),
/// so `users` users use `users / 10` cores, against a 100m request.
fn autoscaled(enabled: bool, replicas: u32, users: u32, stop_at: &str) -> String {
    format!(
        r#"
duration = "3m"
sample_interval = "5s"

[services.api]
kind = "worker-pool"
replicas = {replicas}
memory_limit = "128Mi"
cpu_request = "100m"
startup = "0s"
[services.api.hpa]
enabled = {enabled}
min_replicas = 2
max_replicas = 4
cpu_target = 0.5
sync_period = "15s"
scale_down_stabilization = "60s"
[services.api.routes.get]
cpu = "10ms"

[workload]
users = {users}
spawn_rate = 100.0
think_time = {{ min = "90ms", max = "90ms" }}
start_at = "0s"
stop_at = "{stop_at}"
[[workload.tasks]]
name = "get"
weight = 1
steps = [{{ call = "api/get" }}]
"#
    )
}

fn rescales(t: &Trace) -> Vec<(f64, String)> {
    t.events
        .iter()
        .filter(|e| e.reason == "SuccessfulRescale")
        .map(|e| (e.at_us as f64 / 1e6, e.message.clone()))
        .collect()
}

#[test]
fn cpu_above_target_scales_up_at_the_next_sync_no_further_than_max() {
    let t = run(&autoscaled(true, 1, 10, "60s"));
    // One replica asked for, two from the start: the HPA's minimum.
    assert_eq!(at(&t, &m::PODS_AVAILABLE, "api", 0.0), Some(2.0));
    // Over 0–15 s: 10 users × 150 requests × 10 ms = 1 core on 2 pods of
    // 100m: 500 % against 50 %, so ceil(2 × 10) = 20, capped at 4.
    let r = rescales(&t);
    assert_eq!(
        r[0],
        (
            15.0,
            "New size: 4; reason: cpu resource utilization (percentage of request) above target: 500 % vs 50 %"
                .to_string()
        )
    );
    // Four ready pods (created at 15 s, started 2 s later) still run above
    // target, but max is max: no other change while the load runs.
    assert!(r[1..].iter().all(|(s, _)| *s > 60.0), "{r:?}");
    assert_eq!(at(&t, &m::PODS_AVAILABLE, "api", 20.0), Some(4.0));
    assert_eq!(at(&t, &m::PODS_AVAILABLE, "api", 60.0), Some(4.0));
    assert_eq!(t.pods.len(), 4);
}

#[test]
fn scale_down_waits_for_the_stabilization_window_and_stops_at_min() {
    let t = run(&autoscaled(true, 1, 10, "60s"));
    // Idle from 60 s: every sync from 75 s on recommends the minimum, 2,
    // but a recommendation of 4 (the last at 60 s) stays in the 60 s
    // window until the sync at 135 s.
    let r = rescales(&t);
    assert_eq!(r.len(), 2, "{r:?}");
    assert_eq!(r[1].0, 135.0);
    assert_eq!(
        r[1].1,
        "New size: 2; reason: cpu resource utilization (percentage of request) below target: 0 % vs 50 %"
    );
    assert_eq!(at(&t, &m::PODS_AVAILABLE, "api", 130.0), Some(4.0));
    assert_eq!(at(&t, &m::PODS_AVAILABLE, "api", 140.0), Some(2.0));
    assert_eq!(at(&t, &m::PODS_AVAILABLE, "api", 180.0), Some(2.0));
    // The newest pods go first.
    let deleted: Vec<Option<u64>> = t.pods.iter().map(|p| p.deleted_us).collect();
    let down = Some(secs(135.0).0);
    assert_eq!(deleted, [None, None, down, down]);
}

#[test]
fn within_the_tolerance_or_when_disabled_the_replicas_stay() {
    // One user: 0.1 core on 2 pods of 100m is 50 %, the target exactly.
    let t = run(&autoscaled(true, 2, 1, "3m"));
    assert!(rescales(&t).is_empty(), "{:?}", rescales(&t));
    assert_eq!(at(&t, &m::PODS_AVAILABLE, "api", 180.0), Some(2.0));
    // Disabled: not even the minimum applies, whatever the CPU.
    let t = run(&autoscaled(false, 1, 10, "3m"));
    assert!(rescales(&t).is_empty());
    assert_eq!(at(&t, &m::PODS_AVAILABLE, "api", 180.0), Some(1.0));
    let cpu = at(&t, &m::CPU_USAGE, "api", 60.0).unwrap();
    assert!((cpu - 1.0).abs() < 0.01, "{cpu}");
}

#[test]
fn pods_not_ready_yet_are_left_out_of_the_average() {
    // Three users: 0.3 core. New pods take 20 s to serve. A target of 40 %
    // keeps the ratios off whole numbers.
    let text = autoscaled(true, 2, 3, "3m")
        .replace("startup = \"0s\"", "startup = \"20s\"")
        .replace("max_replicas = 4", "max_replicas = 10")
        .replace("cpu_target = 0.5", "cpu_target = 0.4");
    let r = rescales(&run(&text));
    // At 15 s: 0.3 core on 2 pods is 150 %, so ceil(2 × 3.75) = 8. At 30 s
    // the six new pods run but do not serve yet: the two ready ones still
    // carry 150 % (not 0.3 / 8 = 37.5 %, within the tolerance), and the HPA
    // asks for ceil(8 × 3.75), capped at 10.
    let above = "above target: 150 % vs 40 %";
    assert_eq!(r[0].0, 15.0);
    assert!(
        r[0].1.starts_with("New size: 8;") && r[0].1.ends_with(above),
        "{r:?}"
    );
    assert_eq!(r[1].0, 30.0);
    assert!(
        r[1].1.starts_with("New size: 10;") && r[1].1.ends_with(above),
        "{r:?}"
    );
}
