//! The Python leaky service: each leak keeps bytes per request its own way;
//! clear and the collector free them (or not yet).

use super::*;
use crate::engine::pods::Rt;
use crate::metrics as m;
use crate::model::python::{PythonLeaks, LISTENER_CALL_MICROS};

const KI: f64 = 1024.0;
const MI: f64 = 1024.0 * 1024.0;

/// One pod with every leak on; three users from 0 s to 20 s.
fn leaky(python: &str, timeline: &str) -> String {
    format!(
        r#"duration = "40s"
sample_interval = "1s"
timeline = [{timeline}]
[services.leaky]
kind = "python-leaky"
memory_limit = "256Mi"
file_cache_active = "4Mi"
[services.leaky.python]
cache_enabled = true
listeners_enabled = true
history_enabled = true
{python}
[services.leaky.routes.api_data]
cpu = "2ms"
memory = "64Ki"
[workload]
users = 3
spawn_rate = 10.0
think_time = {{ min = "100ms", max = "100ms" }}
start_at = "0s"
stop_at = "20s"
[[workload.tasks]]
name = "api_data"
weight = 1
steps = [{{ call = "leaky/api_data" }}]
"#
    )
}

fn leaks(w: &World) -> &PythonLeaks {
    match &w.pods[pods_of(w, "leaky")[0]].rt {
        Rt::Py(py) => &py.leaks,
        _ => unreachable!("a python pod"),
    }
}

fn anon(w: &World) -> f64 {
    w.memory_view(pods_of(w, "leaky")[0]).unwrap().anon
}

fn assert_close(a: f64, b: f64) {
    assert!((a - b).abs() <= b.abs() * 1e-12, "{a} != {b}");
}

#[test]
fn each_leak_keeps_its_bytes_per_request_and_listeners_cost_cpu() {
    let mut w = world(&leaky("", ""));
    run_to(&mut w, 25.0);
    // Every request reached the one pod.
    let n = w.load.client.issued;
    assert_eq!(w.load.client.ok, n);
    let l = leaks(&w);
    assert_eq!(l.count, [n, n, n]);
    let bytes = [
        n as f64 * 10.0 * KI,
        n as f64 * 3.0 * KI,
        n as f64 * 5.0 * KI,
    ];
    assert_eq!(l.bytes, bytes);
    assert_eq!((l.cyclic_garbage, l.fragmentation_retained), (0.0, 0.0));
    let base = 48.0 * MI;
    assert_close(anon(&w), base + bytes.iter().sum::<f64>());
    // Every request calls every listener registered so far, itself included.
    let cpu: u64 = (1..=n)
        .map(|k| (2000.0 + k as f64 * LISTENER_CALL_MICROS) as u64)
        .sum();
    let pod = pods_of(&w, "leaky")[0];
    assert_eq!(w.pods[pod].cpu_used_us, cpu as f64);
    let t = w.run();
    assert_eq!(
        at(&t, &m::LEAK_CACHE_ENTRIES, "leaky", 30.0),
        Some(n as f64)
    );
    assert_eq!(
        at(&t, &m::LEAK_HISTORY_BYTES, "leaky", 30.0),
        Some(bytes[2])
    );
}

#[test]
fn clear_frees_cache_and_history_at_once_but_listeners_only_at_gc() {
    let timeline = r#""25.5s clear leaky cache", "26.5s clear leaky listeners", "27.5s gc leaky", "28.5s clear leaky all""#;
    let mut w = world(&leaky("", timeline));
    run_to(&mut w, 25.0);
    let [c, l, h] = leaks(&w).bytes;
    let base = 48.0 * MI;
    // pymalloc keeps 4 % of what is freed.
    let kept = |freed: f64| freed * 0.04;
    run_to(&mut w, 26.0);
    assert_eq!(leaks(&w).bytes, [0.0, l, h]);
    assert_close(anon(&w), base + l + h + kept(c));
    run_to(&mut w, 27.0);
    assert_eq!(leaks(&w).bytes, [0.0, 0.0, h]);
    assert_eq!(
        leaks(&w).cyclic_garbage,
        l,
        "unreachable, not yet collected"
    );
    assert_close(anon(&w), base + l + h + kept(c));
    run_to(&mut w, 28.0);
    assert_eq!(leaks(&w).cyclic_garbage, 0.0);
    assert_close(anon(&w), base + h + kept(c) + kept(l));
    run_to(&mut w, 29.0);
    assert_eq!(leaks(&w).bytes, [0.0; 3]);
    assert_close(anon(&w), base + kept(c) + kept(l) + kept(h));
    let t = w.run();
    assert_eq!(
        messages(&t, "GarbageCollected"),
        [format!(
            "gc: collected {}",
            crate::units::format_bytes_human(l)
        )]
    );
    assert_eq!(times_us(&t, "LeakCleared").len(), 3);
}

#[test]
fn the_interpreters_own_collection_frees_cleared_listeners_on_its_interval() {
    let t = run(&leaky(
        "auto_gc_interval = \"10s\"",
        r#""20.5s clear leaky listeners""#,
    ));
    let listeners = at(&t, &m::LEAK_LISTENERS_BYTES, "leaky", 20.0).unwrap();
    assert!(listeners > 0.0);
    assert_eq!(at(&t, &m::LEAK_LISTENERS_BYTES, "leaky", 21.0), Some(0.0));
    // Collections at 10 s, 20 s, 30 s: the cleared listeners wait for the
    // one at 30 s.
    for s in 21..30 {
        let cycles = at(&t, &m::LEAK_CYCLES_BYTES, "leaky", s as f64);
        assert_eq!(cycles, Some(listeners), "at {s}s");
    }
    assert_eq!(at(&t, &m::LEAK_CYCLES_BYTES, "leaky", 30.0), Some(0.0));
    // The other leaks are not the collector's business.
    let cache = at(&t, &m::LEAK_CACHE_BYTES, "leaky", 20.0);
    assert_eq!(at(&t, &m::LEAK_CACHE_BYTES, "leaky", 40.0), cache);
}
