//! One sample of a real run: each container's memory and CPU as cAdvisor
//! reads them, the workload's own runtime numbers, and Locust's view —
//! under the catalogue's names, so a real trace reads like the model's.

use super::docker;
use super::load::{Endpoint, Load};
use super::record::Recorder;
use super::service::Service;
use incident_core::metrics as m;
use incident_core::scenario::ServiceKind;
use incident_core::units::SimTime;
use std::sync::atomic::Ordering;
use std::time::Duration;

/// The Go workload's `/metrics` keys, and the series each is recorded as.
const GO_RUNTIME: [(&str, &m::Metric); 5] = [
    ("goroutines", &m::GO_GOROUTINES),
    ("heap_alloc_bytes", &m::GO_HEAP_ALLOC),
    ("gc_count", &m::GO_GC_COUNT),
    ("next_gc_bytes", &m::GO_GC_GOAL),
    ("orders", &m::ORDERS),
];

/// The workload's own numbers (Go: goroutines, heap, GC count, orders).
async fn runtime_metrics(port: u16) -> Option<serde_json::Value> {
    let endpoint = Endpoint {
        addr: format!("127.0.0.1:{port}"),
        method: "GET",
        path: "/metrics".into(),
        body: None,
    };
    let timeouts = (Duration::from_millis(300), Duration::from_millis(800));
    let (status, body) = super::load::request(&endpoint, timeouts.0, timeouts.1)
        .await
        .ok()?;
    if status != 200 {
        return None;
    }
    serde_json::from_slice(&body).ok()
}

async fn sample_container(
    docker_api: &bollard::Docker,
    s: &mut Service,
    rec: &mut Recorder,
    t: SimTime,
) {
    let usage = if s.restart_at.is_none() {
        docker::usage(docker_api, &s.id)
            .await
            .filter(|u| u.usage_bytes > 0.0)
    } else {
        None
    };
    let ws = usage.as_ref().map(|u| u.working_set_bytes);
    if let Some(u) = &usage {
        // The cgroup's peak usage, less the inactive file cache of now.
        let inactive = u.usage_bytes - u.working_set_bytes;
        let peak = docker::peak_usage(&s.id).map(|p| (p - inactive).max(u.working_set_bytes));
        s.peak_ws_bytes = s.peak_ws_bytes.max(peak.unwrap_or(u.working_set_bytes));
    }
    // Cores: CPU time used since the last sample, over the time between.
    let cpu = usage.as_ref().and_then(|u| {
        let previous = s.last_cpu_ns.replace((u.cpu_total_ns, t));
        previous.and_then(|(ns, at)| {
            let dt = t.saturating_sub(at).as_secs_f64();
            (dt > 0.0 && u.cpu_total_ns >= ns).then(|| (u.cpu_total_ns - ns) / 1e9 / dt)
        })
    });
    let name = s.name.as_str();
    rec.set(&m::WORKING_SET, name, ws);
    rec.set(
        &m::MEMORY_USAGE,
        name,
        usage.as_ref().map(|u| u.usage_bytes),
    );
    rec.set(&m::MEMORY_LIMIT, name, Some(s.limit_bytes));
    rec.set(&m::MEMORY_UTILIZATION, name, ws.map(|w| w / s.limit_bytes));
    rec.set(&m::CPU_USAGE, name, cpu);
    rec.set(&m::RESTARTS, name, Some(s.restarts as f64));
    if s.kind == ServiceKind::GoCheckout {
        let metrics = if s.restart_at.is_none() && !s.external {
            runtime_metrics(s.port).await
        } else {
            None
        };
        for (key, metric) in GO_RUNTIME {
            let value = metrics
                .as_ref()
                .and_then(|v| v.get(key))
                .and_then(|v| v.as_f64());
            rec.set(metric, name, value);
        }
    }
}

/// Locust's numbers since the last sample (`window_s` ago), and the users
/// running.
fn sample_load(load: &Load, rec: &mut Recorder, window_s: f64) {
    let per_s = |n: u64| {
        if window_s > 0.0 {
            n as f64 / window_s
        } else {
            0.0
        }
    };
    let (rate, fail_rate, p50, p95, p99) = {
        let mut st = load.stats.lock().unwrap_or_else(|e| e.into_inner());
        let v = (
            per_s(st.window_ok),
            per_s(st.window_failed),
            st.window.quantile_ms(0.5),
            st.window.quantile_ms(0.95),
            st.window.quantile_ms(0.99),
        );
        st.window.clear();
        st.window_ok = 0;
        st.window_failed = 0;
        v
    };
    let lg = m::LOAD_GENERATOR;
    let users = load.users_running.load(Ordering::Relaxed) as f64;
    rec.set(&m::LOCUST_USERS, lg, Some(users));
    rec.set(&m::LOCUST_REQUEST_RATE, lg, Some(rate));
    rec.set(&m::LOCUST_FAILURE_RATE, lg, Some(fail_rate));
    rec.set(&m::LOCUST_P50, lg, p50);
    rec.set(&m::LOCUST_P95, lg, p95);
    rec.set(&m::LOCUST_P99, lg, p99);
}

pub(super) async fn sample(
    docker_api: &bollard::Docker,
    services: &mut [Service],
    load: &Load,
    rec: &mut Recorder,
    t: SimTime,
) {
    let since_last_s = rec
        .times
        .last()
        .map(|&last| t.0.saturating_sub(last) as f64 / 1e6)
        .unwrap_or(0.0);
    rec.begin_sample(t);
    for s in services.iter_mut() {
        sample_container(docker_api, s, rec, t).await;
    }
    sample_load(load, rec, since_last_s);
    rec.end_sample();
}

/// A status line: rewritten in place on a terminal, every 5 s in a log.
pub(super) fn progress(services: &[Service], load: &Load, t: SimTime, duration: SimTime) {
    use std::io::IsTerminal;
    let tty = std::io::stderr().is_terminal();
    let whole =
        |t: SimTime| incident_core::units::format_duration(SimTime::from_secs(t.0 / 1_000_000));
    if !tty && !(t.0 / 1_000_000).is_multiple_of(5) {
        return;
    }
    let st = load.stats.lock().unwrap_or_else(|e| e.into_inner());
    let elapsed = t.as_secs_f64().max(0.001);
    let mem: Vec<String> = services
        .iter()
        .map(|s| {
            format!(
                "{} peak {:.1}/{:.0}Mi, restarts {}",
                s.name,
                s.peak_ws_bytes / 1048576.0,
                s.limit_bytes / 1048576.0,
                s.restarts
            )
        })
        .collect();
    let line = format!(
        "[{} / {}] users {} · {:.1} req/s · {} failed · {}",
        whole(t),
        whole(duration),
        load.users_running.load(Ordering::Relaxed),
        (st.succeeded + st.failed) as f64 / elapsed,
        st.failed,
        mem.join(" · ")
    );
    if tty {
        eprint!("\r{line}   ");
    } else {
        eprintln!("{line}");
    }
}
