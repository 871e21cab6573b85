//! The core's load model against real services: Locust-like users that
//! pick a task by weight, run its requests, and think for a uniform time.
//! Every request's latency and outcome is recorded.

use incident_core::histogram::Histogram;
use incident_core::rng::Rng;
use incident_core::scenario::{StepSpec, WorkloadSpec};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// More users than this are not started (a real machine's limit).
pub const MAX_USERS: u32 = 2000;
/// Responses are read up to this size; the rest is discarded.
const MAX_RESPONSE_BYTES: usize = 1024 * 1024;

/// Maps a scenario call (`checkout/place_order`) to where it goes.
pub type Router = Arc<dyn Fn(&str) -> Option<Endpoint> + Send + Sync>;

/// Where a `service/route` call goes: host:port, method, path, body.
#[derive(Clone, Debug)]
pub struct Endpoint {
    pub addr: String,
    pub method: &'static str,
    pub path: String,
    pub body: Option<String>,
}

#[derive(Default)]
pub struct Stats {
    pub issued: u64,
    pub succeeded: u64,
    pub failed: u64,
    pub all: Histogram,
    pub ok: Histogram,
    /// Since the last sample: for the rate and percentile series.
    pub window: Histogram,
    pub window_ok: u64,
    pub window_failed: u64,
    pub failures_by_reason: BTreeMap<String, u64>,
}

pub struct Load {
    pub stats: Mutex<Stats>,
    pub users_wanted: AtomicU32,
    pub users_running: AtomicU32,
    pub stopped: AtomicBool,
    pub in_flight: AtomicU32,
}

impl Load {
    pub fn new() -> Arc<Load> {
        Arc::new(Load {
            stats: Mutex::new(Stats::default()),
            users_wanted: AtomicU32::new(0),
            users_running: AtomicU32::new(0),
            stopped: AtomicBool::new(false),
            in_flight: AtomicU32::new(0),
        })
    }

    fn record(&self, latency: Duration, outcome: Result<(), String>) {
        let micros = latency.as_micros().min(u64::MAX as u128) as u64;
        let mut s = self.stats.lock().unwrap_or_else(|e| e.into_inner());
        s.all.record(micros);
        s.window.record(micros);
        match outcome {
            Ok(()) => {
                s.succeeded += 1;
                s.window_ok += 1;
                s.ok.record(micros);
            }
            Err(reason) => {
                s.failed += 1;
                s.window_failed += 1;
                *s.failures_by_reason.entry(reason).or_insert(0) += 1;
            }
        }
    }
}

/// One HTTP/1.1 request with `Connection: close`; Ok for a 2xx answer.
pub async fn request(
    endpoint: &Endpoint,
    connect_timeout: Duration,
    request_timeout: Duration,
) -> Result<(u16, Vec<u8>), String> {
    let started = Instant::now();
    let mut stream = tokio::time::timeout(connect_timeout, TcpStream::connect(&endpoint.addr))
        .await
        .map_err(|_| "connect timeout".to_string())?
        .map_err(|_| "connect".to_string())?;
    let body = endpoint.body.as_deref().unwrap_or("");
    let head = format!(
        "{} {} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        endpoint.method,
        endpoint.path,
        endpoint.addr,
        body.len()
    );
    let remaining = request_timeout.saturating_sub(started.elapsed());
    let exchange = async {
        stream.write_all(head.as_bytes()).await?;
        stream.write_all(body.as_bytes()).await?;
        let mut response = Vec::new();
        let mut chunk = [0u8; 8192];
        loop {
            let n = stream.read(&mut chunk).await?;
            if n == 0 {
                break;
            }
            if response.len() < MAX_RESPONSE_BYTES {
                response.extend_from_slice(&chunk[..n]);
            }
        }
        Ok::<_, std::io::Error>(response)
    };
    let response = tokio::time::timeout(remaining, exchange)
        .await
        .map_err(|_| "timeout".to_string())?
        .map_err(|_| "reset".to_string())?;
    let status: u16 = std::str::from_utf8(&response[..response.len().min(16)])
        .ok()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| "reset".to_string())?;
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| i + 4)
        .unwrap_or(response.len());
    Ok((status, response[split..].to_vec()))
}

async fn call(load: &Load, endpoint: &Endpoint, workload: &WorkloadSpec) {
    let started = Instant::now();
    load.in_flight.fetch_add(1, Ordering::Relaxed);
    {
        let mut s = load.stats.lock().unwrap_or_else(|e| e.into_inner());
        s.issued += 1;
    }
    let result = request(
        endpoint,
        Duration::from_micros(workload.connect_timeout.0 .0),
        Duration::from_micros(workload.request_timeout.0 .0),
    )
    .await;
    load.in_flight.fetch_sub(1, Ordering::Relaxed);
    let outcome = match result {
        Ok((status, _)) if (200..300).contains(&status) => Ok(()),
        Ok((status, _)) => Err(format!("http {status}")),
        Err(reason) => Err(reason),
    };
    load.record(started.elapsed(), outcome);
}

async fn run_steps(
    load: &Load,
    steps: &[StepSpec],
    route: &(dyn Fn(&str) -> Option<Endpoint> + Send + Sync),
    workload: &WorkloadSpec,
    rng: &mut Rng,
) {
    for step in steps {
        let Some(endpoint) = route(&step.call) else {
            continue;
        };
        let times = match step.repeat {
            Some([lo, hi]) => lo + rng.below((hi - lo + 1) as u64) as u32,
            None => 1,
        };
        for _ in 0..times {
            if load.stopped.load(Ordering::Relaxed) {
                return;
            }
            call(load, &endpoint, workload).await;
        }
    }
}

/// One user: on_start, then tasks and think time until told to stop.
pub async fn user(
    load: Arc<Load>,
    index: u32,
    workload: Arc<WorkloadSpec>,
    route: Router,
    seed: u64,
) {
    let mut rng = Rng::for_user(seed, index);
    let weights: Vec<u32> = workload.tasks.iter().map(|t| t.weight).collect();
    let total: u64 = weights.iter().map(|w| *w as u64).sum();
    load.users_running.fetch_add(1, Ordering::Relaxed);
    run_steps(
        &load,
        &workload.on_start,
        route.as_ref(),
        &workload,
        &mut rng,
    )
    .await;
    while !load.stopped.load(Ordering::Relaxed) && index < load.users_wanted.load(Ordering::Relaxed)
    {
        if total > 0 {
            let task = &workload.tasks[rng.weighted(&weights, total)];
            run_steps(&load, &task.steps, route.as_ref(), &workload, &mut rng).await;
        }
        let think = rng.uniform(
            workload.think_time.min.0.as_secs_f64(),
            workload.think_time.max.0.as_secs_f64(),
        );
        tokio::time::sleep(Duration::from_secs_f64(think.max(0.0))).await;
    }
    load.users_running.fetch_sub(1, Ordering::Relaxed);
}
