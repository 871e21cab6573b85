//! The load generator: users spawned at the spawn rate, their tasks and
//! steps, keep-alive connections to Node pods, and connects that find no
//! ready pod.

use super::*;
use crate::engine::pods::Exit;
use crate::engine::requests::Fail;
use crate::metrics as m;
use crate::units::SimTime;

const API: &str = r#"
[services.api]
kind = "worker-pool"
memory_limit = "128Mi"
[services.api.routes.get]
wait = "10ms"
"#;

#[test]
fn users_spawn_one_per_interval_of_the_spawn_rate() {
    let t = run(&format!(
        r#"duration = "20s"
sample_interval = "1s"
{API}
[workload]
users = 10
spawn_rate = 2.0
think_time = {{ min = "1s", max = "2s" }}
start_at = "250ms"
[[workload.tasks]]
name = "get"
weight = 1
steps = [{{ call = "api/get" }}]
"#
    ));
    // Users at 0.25 s, 0.75 s, 1.25 s …: two more by each sample, ten in all.
    let users = values(&t, &m::LOCUST_USERS, m::LOAD_GENERATOR);
    let expected: Vec<Option<f64>> = (0..=20).map(|k| Some((2 * k).min(10) as f64)).collect();
    assert_eq!(users, expected);
    assert_eq!(
        messages(&t, "LoadStarted"),
        ["Ramping to 10 users at a rate of 2 per second"]
    );
    assert_eq!(t.summary.load_started_s, Some(0.25));
}

#[test]
fn lowering_the_users_stops_the_most_recent_first() {
    let mut w = world(&format!(
        r#"duration = "30s"
{API}
[workload]
users = 8
spawn_rate = 100.0
think_time = {{ min = "1s", max = "1s" }}
start_at = "0s"
[[workload.tasks]]
name = "get"
weight = 1
steps = [{{ call = "api/get" }}]
"#
    ));
    run_to(&mut w, 5.0);
    assert_eq!(w.load.active, 8);
    w.set_users(3, None, "set users 3".into());
    run_to(&mut w, 6.0);
    let active: Vec<bool> = w.load.users.iter().map(|u| u.active).collect();
    assert_eq!(
        active,
        [true, true, true, false, false, false, false, false]
    );
    assert_eq!(w.load.active, 3);
    // Raised again: the freed slots are taken before new ones.
    w.set_users(5, None, "set users 5".into());
    run_to(&mut w, 7.0);
    assert_eq!(w.load.users.len(), 8);
    assert_eq!(w.load.active, 5);
}

#[test]
fn node_users_stay_on_their_pod_until_its_container_dies() {
    let mut w = world(
        r#"duration = "40s"
[services.web]
kind = "node-frontend"
replicas = 3
memory_limit = "512Mi"
restart_policy = "never"
[services.web.routes.page]
cpu = "1ms"
[workload]
users = 30
spawn_rate = 30.0
think_time = { min = "200ms", max = "400ms" }
start_at = "0s"
[[workload.tasks]]
name = "page"
weight = 1
steps = [{ call = "web/page" }]
"#,
    );
    let web = pods_of(&w, "web");
    run_to(&mut w, 10.0);
    let conns: Vec<_> = w.load.users.iter().map(|u| u.conn.unwrap()).collect();
    assert_eq!(conns.len(), 30);
    let open = |w: &World, p: PodId| match &w.pods[p].rt {
        crate::engine::pods::Rt::Node(n) => n.conns,
        _ => unreachable!(),
    };
    assert_eq!(web.iter().map(|&p| open(&w, p)).sum::<u32>(), 30);
    run_to(&mut w, 20.0);
    let later: Vec<_> = w.load.users.iter().map(|u| u.conn.unwrap()).collect();
    assert_eq!(
        later, conns,
        "a hundred requests later, the same connections"
    );
    // One pod dies: its users reconnect to the others, the rest stay.
    let dead = conns[0].0;
    let moved = conns.iter().filter(|c| c.0 == dead).count() as u32;
    assert!(moved > 0);
    w.kill(dead, Exit::Crash("test"));
    run_to(&mut w, 30.0);
    for (before, now) in conns.iter().zip(w.load.users.iter()) {
        let now = now.conn.unwrap();
        if before.0 == dead {
            assert_ne!(now.0, dead);
        } else {
            assert_eq!(now, *before);
        }
    }
    let alive: u32 = web
        .iter()
        .filter(|&&p| p != dead)
        .map(|&p| open(&w, p))
        .sum();
    assert_eq!(alive, 30);
    let t = w.run();
    assert_eq!(at(&t, &m::OPEN_CONNECTIONS, "web", 10.0), Some(30.0));
}

#[test]
fn steps_repeat_and_a_slow_response_counts_as_a_failure() {
    let t = run(r#"duration = "10s"
[services.a]
kind = "worker-pool"
memory_limit = "128Mi"
[services.a.routes.get]
wait = "20ms"
sigma = 0.0
[services.b]
kind = "worker-pool"
memory_limit = "128Mi"
[services.b.routes.get]
wait = "50ms"
sigma = 0.0
[workload]
users = 1
spawn_rate = 1.0
think_time = { min = "100ms", max = "100ms" }
start_at = "0s"
[[workload.tasks]]
name = "both"
weight = 1
steps = [{ call = "a/get", repeat = [3, 3] }, { call = "b/get", fail_slower_than = "40ms" }]
"#);
    // Each task: three 20 ms requests to a, one 50 ms request to b that the
    // client fails for being slower than 40 ms (the server answered fine).
    // 210 ms per task: 48 tasks begin in 10 s (the last at 9.87 s, done at
    // 9.98 s).
    let r = &t.summary.requests;
    assert_eq!(r.issued, 48 * 4);
    assert_eq!((r.succeeded, r.failed, r.in_flight), (48 * 3, 48, 0));
    assert_eq!(r.failures_by_reason.keys().collect::<Vec<_>>(), ["slow"]);
    assert_eq!(at(&t, &m::SERVER_FAILURE_RATE, "b", 10.0), Some(0.0));
    assert_latency_ms(r.latency_ms_p99, 50.0);
}

/// One pool pod and one user who thinks 100 ms. The pod is killed at 5 s;
/// `restart` is its restart policy (kubelet: started again at 6 s, serving
/// and ready at 7 s).
fn killed_at_five(restart: &str, connect: &str) -> World {
    let mut w = world(&format!(
        r#"duration = "200s"
sample_interval = "1s"
[services.api]
kind = "worker-pool"
memory_limit = "128Mi"
startup = "1s"
restart_policy = "{restart}"
[services.api.routes.get]
wait = "10ms"
sigma = 0.0
[workload]
users = 1
spawn_rate = 1.0
think_time = {{ min = "100ms", max = "100ms" }}
start_at = "0s"
{connect}
[[workload.tasks]]
name = "get"
weight = 1
steps = [{{ call = "api/get" }}]
"#
    ));
    run_to(&mut w, 5.0);
    let pod = pods_of(&w, "api")[0];
    w.kill(pod, Exit::Crash("test"));
    w
}

#[test]
fn an_unanswered_syn_is_resent_and_connects_once_a_pod_is_ready() {
    let resend = "connect_timeout = \"131s\"\nsyn_retransmit = true";
    let mut w = killed_at_five("kubelet", resend);
    // The next request goes out by 5.1 s and finds no ready pod: its SYNs
    // at 1 s and 2 s after it (Linux resends at 1 s intervals first). The
    // pod is ready at 7 s, so the third SYN connects.
    run_to(&mut w, 5.1);
    let ok_before = w.load.client.ok;
    run_to(&mut w, 7.0);
    assert_eq!(waiting_users(&w), 1, "still connecting");
    assert_eq!(w.load.client.ok, ok_before);
    run_to(&mut w, 7.2);
    assert!(w.load.client.ok > ok_before, "connected and answered");
    let r = w.run().summary.requests;
    // The kill reset at most the request it was serving; no connect failed.
    assert!(r.failures_by_reason.keys().all(|k| k == "reset"), "{r:?}");
    assert!(r.failed <= 1);
}

#[test]
fn without_resending_a_connect_waits_its_whole_timeout() {
    let once = "connect_timeout = \"10s\"";
    let mut w = killed_at_five("kubelet", once);
    // The pod is back at 7 s, but the one SYN's wait runs to 10 s after it.
    run_to(&mut w, 14.9);
    assert_eq!(w.load.client.failures[Fail::Connect.index()], 0);
    run_to(&mut w, 15.2);
    assert_eq!(w.load.client.failures[Fail::Connect.index()], 1);
}

#[test]
fn a_connect_no_pod_ever_answers_gives_up_when_linux_does() {
    // The connect timeout is longer than the kernel's: ETIMEDOUT comes 131 s
    // in, after the SYN sent at 67 s.
    let resend = "connect_timeout = \"10m\"\nsyn_retransmit = true";
    let mut w = killed_at_five("never", resend);
    run_to(&mut w, 5.1);
    let start = w.load.users.iter().find(|u| u.active).unwrap().req_start;
    let give_up = (start + SimTime::from_secs(131)).as_secs_f64();
    run_to(&mut w, give_up - 0.001);
    assert_eq!(w.load.client.failures[Fail::Connect.index()], 0);
    run_to(&mut w, give_up + 0.000_5);
    assert_eq!(w.load.client.failures[Fail::Connect.index()], 1);
}

#[test]
fn each_user_draws_its_tasks_from_its_own_stream_as_the_real_load_does() {
    let mut w = world(&format!(
        r#"duration = "30s"
seed = 11
{API}
[workload]
users = 8
spawn_rate = 100.0
think_time = {{ min = "5s", max = "9s" }}
start_at = "0s"
[[workload.tasks]]
name = "a"
weight = 1
steps = [{{ call = "api/get" }}]
[[workload.tasks]]
name = "b"
weight = 3
steps = [{{ call = "api/get" }}]
[[workload.tasks]]
name = "c"
weight = 5
steps = [{{ call = "api/get" }}]
"#
    ));
    // Every user has started its first task, and none its second.
    run_to(&mut w, 1.0);
    let weights = [1, 3, 5];
    for (i, u) in w.load.users.iter().enumerate() {
        let mut own = crate::rng::Rng::for_user(11, i as u32);
        let first = own.weighted(&weights, 9);
        assert_eq!(usize::from(u.task), first, "user {i}'s first task");
    }
}

#[test]
fn users_below_a_raised_target_carry_on_and_a_new_user_takes_the_lowest_free_number() {
    let mut w = world(
        r#"duration = "30s"
[services.api]
kind = "worker-pool"
memory_limit = "128Mi"
[services.api.routes.get]
wait = "3s"
sigma = 0.0
[workload]
users = 8
spawn_rate = 100.0
think_time = { min = "1s", max = "1s" }
start_at = "0s"
[[workload.tasks]]
name = "get"
weight = 1
steps = [{ call = "api/get" }]
"#,
    );
    let active = |w: &World| -> Vec<bool> { w.load.users.iter().map(|u| u.active).collect() };
    run_to(&mut w, 1.0);
    // Every user waits on its 3 s request: lowered to 3, users 3–7 stop
    // once they have their answer.
    w.set_users(3, None, "set users 3".into());
    run_to(&mut w, 1.5);
    // Raised to 6 before they had it: 3, 4 and 5 carry on, as the real
    // load generator's users below the target do.
    w.set_users(6, None, "set users 6".into());
    run_to(&mut w, 4.0);
    assert_eq!(
        active(&w),
        [true, true, true, true, true, true, false, false]
    );
    assert_eq!(w.load.active, 6);
    // One more: it takes number 6, the lowest free one.
    w.set_users(7, None, "set users 7".into());
    run_to(&mut w, 4.5);
    assert_eq!(
        active(&w),
        [true, true, true, true, true, true, true, false]
    );
}
