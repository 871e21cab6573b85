//! Prints the headline numbers of presets, with optional overrides:
//! `cargo run --release --example explore -- checkout-spike kafka.loss_ratio=0.05`
use incident_core::{presets, scenario::apply_set};
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut names = Vec::new();
    let mut sets = Vec::new();
    for a in &args {
        if let Some((k, v)) = a.split_once('=') {
            sets.push((k.to_string(), v.to_string()));
        } else {
            names.push(a.clone());
        }
    }
    for name in names {
        let mut sc = presets::load(&name).expect("preset");
        for (k, v) in &sets {
            apply_set(&mut sc, k, v).unwrap_or_else(|e| panic!("{e}"));
        }
        let repeat: usize = std::env::var("REPEAT")
            .ok()
            .and_then(|r| r.parse().ok())
            .unwrap_or(1);
        let mut wall = std::time::Duration::MAX;
        let mut tr = None;
        for _ in 0..repeat {
            let t0 = Instant::now();
            let t = incident_core::simulate(&sc);
            wall = wall.min(t0.elapsed());
            tr = Some(t);
        }
        let tr = tr.unwrap();
        let s = &tr.summary;
        if std::env::var("COMPACT").is_ok() {
            let c = s.service("checkout").or(s.services.first()).unwrap();
            let after = c.first_oom_s.map(|t| t - s.load_started_s.unwrap_or(0.0));
            print!(
                "{name}:{} ",
                after.map(|x| format!("{x:.0}")).unwrap_or("-".into())
            );
            continue;
        }
        println!(
            "== {name} ({} events, {:.1} ms, {:.1} Mev/s) load_started={:?}",
            s.events_processed,
            wall.as_secs_f64() * 1e3,
            s.events_processed as f64 / wall.as_secs_f64() / 1e6,
            s.load_started_s
        );
        for sv in &s.services {
            println!("  {:<16} first_oom={:>8} restarts={} ooms={} crashes={} live={} peak_ws={:.1}Mi util={:.2}", sv.name, sv.first_oom_s.map(|x| format!("{x:.0}s")).unwrap_or("-".into()), sv.restarts, sv.oom_kills, sv.crashes, sv.liveness_kills, sv.peak_working_set_bytes/1048576.0, sv.peak_utilization);
        }
        let r = &s.requests;
        println!("  requests issued={} ok={} failed={} inflight={} rate={:.1}/s fail={:.3} p50={:?} p95={:?} p99={:?} ok_p50={:?} fails={:?}", r.issued, r.succeeded, r.failed, r.in_flight, r.rate_per_s, r.failure_ratio, r.latency_ms_p50.map(|x| x as i64), r.latency_ms_p95.map(|x| x as i64), r.latency_ms_p99.map(|x| x as i64), r.success_latency_ms_p50.map(|x| x as i64), r.failures_by_reason);
        // Sampled curve for checkout: every minute
        if std::env::var("CURVE").is_ok() {
            let svc = std::env::var("CURVE").unwrap();
            let names = [
                "k8s.pod.memory.working_set",
                "process.runtime.go.goroutines",
                "process.runtime.go.gc.count",
                "go.memory.gc.goal",
                "messaging.kafka.producer.queue",
                "http.server.duration.p95",
                "process.runtime.go.gc.cpu_fraction",
                "http.server.request.rate",
                "http.server.active_requests",
                "nodejs.eventloop.lag",
                "http.server.open_connections",
                "k8s.pod.cpu.usage",
                "k8s.container.restarts",
            ];
            let step = std::env::var("STEP")
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(60.0);
            let mut next = 0.0;
            for (i, t) in tr.sample_times_us.iter().enumerate() {
                let ts = *t as f64 / 1e6;
                if ts + 1e-9 < next {
                    continue;
                }
                next += step;
                let mut line = format!("  t={ts:>6.0}");
                for n in names {
                    if let Some(se) = tr.find_series(n, &svc) {
                        let v = se.values[i];
                        let short = n.rsplit('.').next().unwrap();
                        match v {
                            Some(x) if n.contains("working_set") || n.contains("goal") => {
                                line += &format!(" {short}={:.1}Mi", x / 1048576.0)
                            }
                            Some(x) => line += &format!(" {short}={x:.1}"),
                            None => line += &format!(" {short}=-"),
                        }
                    }
                }
                println!("{line}");
            }
        }
        if std::env::var("EVENTS").is_ok() {
            for e in tr.events.iter().take(60) {
                println!(
                    "  {:>8.1}s {:?} {} {}: {}",
                    e.at_us as f64 / 1e6,
                    e.kind,
                    e.object,
                    e.reason,
                    e.message
                );
            }
        }
        if std::env::var("ALERTS").is_ok() {
            for a in &s.alerts {
                println!(
                    "  alert {:>7.0}s {} {} {}",
                    a.at_s, a.rule, a.service, a.message
                );
            }
        }
    }
}
