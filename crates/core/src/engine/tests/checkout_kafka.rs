//! The Go checkout and its Kafka producer: the flag's fan-out of
//! goroutines, deliveries, and the consumers downstream.

use super::*;
use crate::engine::checkout::GoPod;
use crate::metrics as m;

/// Idle goroutines of a Go process (`baseline_goroutines`' default).
const BASELINE: u64 = 40;

/// Two users placing orders from 0 s to 30 s; the flag `on` = `flag`.
fn checkout(flag: i64, configured: bool, loss: f64) -> String {
    let kafka = if configured {
        format!("[kafka]\nthroughput_msgs_per_s = 10000.0\nerror_ratio = {loss:?}\n")
    } else {
        String::new()
    };
    format!(
        r#"duration = "40s"
sample_interval = "1s"
[flags.kafkaQueueProblems]
variants = {{ on = {flag}, off = 0 }}
default_variant = "on"
[services.checkout]
kind = "go-checkout"
memory_limit = "256Mi"
[services.checkout.checkout]
kafka_configured = {configured}
downstream_sigma = 0.0
deadline = "2s"
{kafka}
[workload]
users = 2
spawn_rate = 10.0
think_time = {{ min = "500ms", max = "1s" }}
start_at = "0s"
stop_at = "30s"
[[workload.tasks]]
name = "order"
weight = 1
steps = [{{ call = "checkout/place_order" }}]
"#
    )
}

fn go(w: &World) -> &GoPod {
    match &w.pods[pods_of(w, "checkout")[0]].rt {
        crate::engine::pods::Rt::Go(g) => g,
        _ => unreachable!("a go pod"),
    }
}

#[test]
fn every_fan_out_goroutine_waits_for_good_when_every_write_fails() {
    for flag in [10u64, 20] {
        // Every write fails: no success ever wakes a fan-out goroutine.
        let mut w = world(&checkout(flag as i64, true, 1.0));
        let pod = pods_of(&w, "checkout")[0];
        for s in [5.0, 10.0, 20.0, 35.0] {
            run_to(&mut w, s);
            let g = go(&w);
            assert!(g.fan_outs > 0, "flag {flag} at {s}s");
            assert_eq!(g.overload_alive, flag * g.fan_outs, "flag {flag} at {s}s");
            // Plus one goroutine per PlaceOrder being served.
            let serving = w.pods[pod].inflight as u64;
            assert_eq!(g.heap.goroutines, BASELINE + g.overload_alive + serving);
            // Every goroutine ever alive left its descriptor behind.
            assert!(g.heap.peak_goroutines >= g.heap.goroutines);
        }
        let fan_outs = go(&w).fan_outs;
        let t = w.run();
        let goroutines = at(&t, &m::GO_GOROUTINES, "checkout", 40.0).unwrap();
        assert_eq!(goroutines, (BASELINE + flag * fan_outs) as f64);
        // Logged once per container, with the flag's value.
        let notes = messages(&t, "FeatureFlag");
        assert_eq!(notes.len(), 2);
        assert_eq!(
            notes[1],
            format!("Done with #{flag} messages for overload simulation.")
        );
    }
}

#[test]
fn delivered_fan_out_goroutines_exit_and_the_topic_gets_every_message() {
    let mut w = world(&checkout(10, true, 0.0));
    run_to(&mut w, 35.0);
    let orders = w.load.client.ok;
    let g = go(&w);
    assert_eq!((g.overload_alive, g.producer.queued()), (0, 0));
    assert_eq!(g.heap.goroutines, BASELINE);
    assert_eq!(g.fan_outs, orders);
    // The main message and its ten copies, for every order.
    let topic = w.kafka.as_ref().unwrap().topic;
    assert_eq!(topic, (orders * 11) as f64);
    let t = w.run();
    // fraud-detection sleeps 1 s per record while the flag is on: it read
    // one a second at the 40 samples after the first.
    assert_eq!(
        at(&t, &m::CONSUMER_LAG, "fraud-detection", 40.0),
        Some(topic - 40.0)
    );
    // accounting (800 rows/s) keeps up: every copy is WAL-logged, but the
    // primary key keeps one 420-byte row per order.
    let rows = at(&t, &m::DB_SIZE, "postgresql", 40.0).unwrap() / 420.0;
    assert!(
        (rows - orders as f64).abs() < 1e-6,
        "{rows} rows, {orders} orders"
    );
    assert_eq!(
        at(&t, &m::WAL_SIZE, "postgresql", 40.0),
        Some(topic * 560.0)
    );
    assert_eq!(at(&t, &m::WRITE_IOPS, "postgresql", 40.0), Some(0.0));
}

#[test]
fn without_kafka_the_flag_does_nothing() {
    let mut w = world(&checkout(10, false, 0.0));
    assert!(w.kafka.is_none());
    for s in [10.0, 20.0, 35.0] {
        run_to(&mut w, s);
        let serving = w.pods[pods_of(&w, "checkout")[0]].inflight as u64;
        let g = go(&w);
        assert_eq!(
            (g.overload_alive, g.heap.goroutines),
            (0, BASELINE + serving)
        );
        assert_eq!(g.orders, w.load.client.ok);
    }
    let t = w.run();
    assert_eq!(
        at(&t, &m::GO_GOROUTINES, "checkout", 40.0),
        Some(BASELINE as f64)
    );
    assert!(messages(&t, "FeatureFlag").is_empty());
    assert!(t
        .find_series(m::CONSUMER_LAG.name, "fraud-detection")
        .is_none());
}
