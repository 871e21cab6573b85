//! Requests as the servers see them: a slot per request in flight, the
//! reply to the caller, and what a dying container does to them.

use super::*;
use crate::engine::pods::Exit;
use crate::engine::requests::Fail;
use crate::metrics as m;

/// Requests whose slot is still in use on the server.
fn live_slots(w: &World) -> u64 {
    w.reqs.slots.iter().filter(|r| r.live).count() as u64
}

fn api(wait: &str, extra_workload: &str, users: u32, think: &str) -> String {
    format!(
        r#"duration = "40s"
sample_interval = "5s"
[services.api]
kind = "worker-pool"
memory_limit = "128Mi"
startup = "1s"
[services.api.pool]
workers = 4
queue_limit = 6
[services.api.routes.get]
wait = "{wait}"
sigma = 0.0
[workload]
users = {users}
spawn_rate = 100.0
think_time = {{ min = "{think}", max = "{think}" }}
start_at = "0s"
{extra_workload}
[[workload.tasks]]
name = "get"
weight = 1
steps = [{{ call = "api/get" }}]
"#
    )
}

#[test]
fn every_request_is_answered_failed_or_in_flight() {
    // Timeouts (the last of 6 queued behind 4 workers waits 900 ms), refusals
    // (20 users), a crash and the connect failures while the pod restarts:
    // nothing is lost or counted twice.
    let timeouts = "request_timeout = \"800ms\"\nconnect_timeout = \"200ms\"";
    let mut w = world(&api("300ms", timeouts, 20, "50ms"));
    let pod = pods_of(&w, "api")[0];
    for at in [3.0, 6.0, 9.0, 12.0, 15.0, 20.0, 30.0, 40.0] {
        run_to(&mut w, at);
        if at == 12.0 {
            w.kill(pod, Exit::Crash("test"));
        }
        let c = &w.load.client;
        assert_eq!(c.issued, c.ok + c.failed + waiting_users(&w), "at {at}s");
        assert_eq!(c.failed, c.failures.iter().sum::<u64>());
        // Every live slot is counted on its pod.
        let inflight: u32 = w.pods.iter().map(|p| p.inflight).sum();
        assert_eq!(live_slots(&w), inflight as u64, "at {at}s");
    }
    let failures = w.load.client.failures;
    for f in [Fail::Timeout, Fail::Refused, Fail::Reset, Fail::Connect] {
        assert!(failures[f.index()] > 0, "{:?} in {failures:?}", f);
    }
    let waiting = waiting_users(&w);
    let r = w.into_trace().summary.requests;
    assert_eq!(r.issued, r.succeeded + r.failed + r.in_flight);
    assert_eq!(r.in_flight, waiting);
}

#[test]
fn a_dying_container_resets_every_request_it_serves() {
    let mut w = world(&api("5s", "", 4, "100ms"));
    let pod = pods_of(&w, "api")[0];
    // Four users, each waiting on a 5 s request.
    run_to(&mut w, 3.0);
    assert_eq!((w.pods[pod].inflight, live_slots(&w)), (4, 4));
    w.kill(pod, Exit::Crash("test"));
    assert_eq!(live_slots(&w), 0);
    assert_eq!(w.load.client.failures[Fail::Reset.index()], 4);
    assert_eq!(waiting_users(&w), 0, "every user has its answer");
    let t = w.run();
    // The server counted them as failed in the sample after the crash.
    assert_eq!(at(&t, &m::SERVER_FAILURE_RATE, "api", 5.0), Some(4.0 / 5.0));
    assert_eq!(t.summary.service("api").unwrap().crashes, 1);
}

#[test]
fn a_slot_outlives_the_client_that_gave_up_on_it() {
    // The server takes 2 s, the client waits 1 s, then thinks 100 ms.
    let mut w = world(&api("2s", "request_timeout = \"1s\"", 1, "100ms"));
    run_to(&mut w, 1.5);
    // The first request (timed out at 1 s) is still served, beside the
    // second (sent at 1.1 s).
    assert_eq!(live_slots(&w), 2);
    assert_eq!(w.load.client.failures[Fail::Timeout.index()], 1);
    // The first is done on the server at 2 s; the third is sent at 2.2 s.
    run_to(&mut w, 2.1);
    assert_eq!(live_slots(&w), 1);
    let t = w.run();
    let r = &t.summary.requests;
    assert_eq!(r.succeeded, 0);
    assert_eq!(r.failures_by_reason.keys().collect::<Vec<_>>(), ["timeout"]);
    assert_latency_ms(r.latency_ms_p50, 1000.0);
    // The server finished every one of them, in 2 s, and failed none.
    assert_latency_ms(at(&t, &m::SERVER_P50, "api", 40.0), 2000.0);
    assert_eq!(at(&t, &m::SERVER_FAILURE_RATE, "api", 40.0), Some(0.0));
    // One request per 1.1 s: 4 or 5 finish in each 5 s sample.
    let rate = at(&t, &m::SERVER_REQUEST_RATE, "api", 40.0).unwrap();
    assert!(rate == 0.8 || rate == 1.0, "{rate}");
}
