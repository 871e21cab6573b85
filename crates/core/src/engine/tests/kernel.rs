//! The kernel (clock, queue, random streams) and the typed ids, and what
//! they promise a run: same scenario, same trace, however it is advanced.

use super::*;
use crate::engine::ids::{Table, UserId};
use crate::engine::kernel::{Kernel, Lane};
use crate::engine::Ev;

#[test]
fn events_come_in_time_order_and_none_past_the_end() {
    let mut k = Kernel::new(1, secs(10.0), 0);
    k.schedule(secs(5.0), Ev::Sample);
    k.schedule(secs(15.0), Ev::LoadStop);
    k.schedule(secs(10.0), Ev::LoadStart);
    k.schedule(secs(5.0), Ev::SpawnUser);
    let user = UserId(3);
    k.schedule_lane(
        Lane::ClientTimeout,
        secs(7.0),
        Ev::ClientTimeout { user, gen: 1 },
    );
    assert_eq!(k.q.len(), 4, "the event past the end is never queued");
    let mut seen = Vec::new();
    while let Some(ev) = k.next_event() {
        seen.push((k.now.as_secs_f64(), format!("{ev:?}")));
    }
    let expected = [
        (5.0, "Sample"),
        (5.0, "SpawnUser"),
        (7.0, "ClientTimeout { user: UserId(3), gen: 1 }"),
        (10.0, "LoadStart"),
    ]
    .map(|(t, e)| (t, e.to_string()));
    assert_eq!(seen, expected, "time order; first in, first out at a tie");
    assert_eq!((k.events, k.progress()), (4, 1.0));
}

#[test]
fn each_subsystem_draws_from_its_own_random_stream() {
    let mut a = Kernel::new(7, secs(1.0), 0);
    let mut b = Kernel::new(7, secs(1.0), 0);
    // Extra latency draws in one world do not move the others' streams.
    for _ in 0..100 {
        a.rng.latency.unit();
    }
    assert_eq!(a.rng.kafka.below(1 << 40), b.rng.kafka.below(1 << 40));
    assert_eq!(a.rng.routing.below(1 << 40), b.rng.routing.below(1 << 40));
    assert_ne!(a.rng.latency.below(1 << 40), b.rng.latency.below(1 << 40));
    // And the streams of one seed differ from each other.
    let mut c = Kernel::new(7, secs(1.0), 0);
    assert_ne!(c.rng.kafka.below(1 << 40), c.rng.routing.below(1 << 40));
}

const VARIED: &str = r#"duration = "30s"
[services.api]
kind = "worker-pool"
memory_limit = "128Mi"
[services.api.routes.get]
wait = "50ms"
sigma = 0.8
[workload]
users = 20
spawn_rate = 10.0
think_time = { min = "100ms", max = "500ms" }
start_at = "0s"
[[workload.tasks]]
name = "get"
weight = 1
steps = [{ call = "api/get" }]
"#;

#[test]
fn a_run_is_a_pure_function_of_its_scenario_however_it_is_advanced() {
    let whole = run(VARIED);
    assert_eq!(run(VARIED).summary.trace_hash, whole.summary.trace_hash);
    // The browser advances in slices; the trace is the same.
    let mut w = world(VARIED);
    let (mut slices, mut progress) = (0, 0.0);
    while !w.advance(100) {
        slices += 1;
        assert!(w.progress() >= progress && w.progress() <= 1.0);
        progress = w.progress();
    }
    assert!(slices > 10, "{slices} slices");
    assert_eq!(w.events_processed(), whole.summary.events_processed);
    let sliced = w.into_trace();
    assert_eq!(sliced, whole);
    // Another seed, another run.
    let other = run(&format!("seed = 2\n{VARIED}"));
    assert_ne!(other.summary.trace_hash, whole.summary.trace_hash);
}

#[test]
fn a_table_is_indexed_by_its_own_ids_in_push_order() {
    let mut t: Table<UserId, &str> = Table::default();
    let ids = [t.push("a"), t.push("b"), t.push("c")];
    assert_eq!(ids, [UserId(0), UserId(1), UserId(2)]);
    assert_eq!(t.ids().collect::<Vec<_>>(), ids);
    t[UserId(1)] = "B";
    assert_eq!((t[UserId(1)], t.len()), ("B", 3));
    assert_eq!(UserId::from_index(2).index(), 2);
    assert_eq!(t.into_vec(), ["a", "B", "c"]);
}
