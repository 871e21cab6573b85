//! `incident run`: the scenario the browser simulates, against real
//! containers. Workloads run under the scenario's memory and CPU limits,
//! the core's load model drives them, and every sample interval the
//! working set, restarts and the runtime's own numbers are recorded into
//! the core's trace format — appended to `OUT.partial.jsonl` as they come,
//! and written whole to `OUT` at the end (also on error and Ctrl-C).

mod docker;
mod flagd;
mod load;

use crate::cli_error::CliError;
use incident_core::model::cgroup::{DockerBackoff, KubeletBackoff};
use incident_core::scenario::{ActionKind, LeakKind, LeakTarget, RestartPolicy, ServiceKind};
use incident_core::telemetry::{EventType, LogEvent, PodChange, PodStatus, PodTimeline, Series};
use incident_core::trace::{RequestSummary, ServiceSummary, Summary, Trace, TRACE_FORMAT};
use incident_core::units::SimTime;
use incident_core::Scenario;
use load::{Endpoint, Load};
use std::io::Write as _;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Runs are bounded: a forgotten run stops by itself.
pub const MAX_RUN: Duration = Duration::from_secs(3600);
const TICK: Duration = Duration::from_millis(250);
const HEALTH_TIMEOUT: Duration = Duration::from_secs(30);

pub struct RunArgs {
    pub docker_host: Option<String>,
    pub out: Option<PathBuf>,
    pub target: Option<String>,
    pub allow_remote: bool,
    /// An existing flagd (OFREP) for the workloads, instead of ours.
    pub flagd: Option<String>,
    /// `SERVICE=CONTAINER`: sample a running container (an OTel demo's)
    /// instead of starting a workload; it is never stopped or removed.
    pub containers: Vec<String>,
}

/// `--container SERVICE=NAME` pairs, checked against the scenario.
fn external_containers(sc: &Scenario, args: &RunArgs) -> Result<Vec<(String, String)>, CliError> {
    let mut out = Vec::new();
    for pair in &args.containers {
        let Some((service, name)) = pair.split_once('=') else {
            return Err(CliError::input(format!(
                "--container `{pair}`: write it as SERVICE=CONTAINER, like checkout=otel-demo-checkout-1"
            )));
        };
        if !sc.services.contains_key(service) {
            let known: Vec<&str> = sc.services.keys().map(String::as_str).collect();
            return Err(CliError::input(format!(
                "--container `{pair}`: the scenario has no service `{service}`; it has {}",
                known.join(", ")
            )));
        }
        out.push((service.to_string(), name.to_string()));
    }
    if !out.is_empty() && args.target.is_none() {
        return Err(CliError::input(
            "--container samples a service you run yourself: give --target for the load too",
        ));
    }
    Ok(out)
}

pub fn run(sc: Scenario, args: RunArgs) -> Result<(), CliError> {
    if sc.duration.0.as_secs_f64() > MAX_RUN.as_secs_f64() {
        return Err(CliError::input(format!(
            "duration: a real run may last at most {} min; pass --duration",
            MAX_RUN.as_secs() / 60
        )));
    }
    if let Some(target) = &args.target {
        check_target(target, args.allow_remote)?;
    }
    let external = external_containers(&sc, &args)?;
    if let Some(flagd) = &args.flagd {
        if !flagd.starts_with("http://") {
            return Err(CliError::input(format!(
                "--flagd `{flagd}`: write it as http://HOST:PORT"
            )));
        }
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| CliError::Failed(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(run_async(sc, args, external))
}

/// Load goes to loopback unless the user says otherwise, explicitly.
fn check_target(target: &str, allow_remote: bool) -> Result<(), CliError> {
    let rest = target.strip_prefix("http://").ok_or_else(|| {
        CliError::input(format!("--target `{target}`: write it as http://HOST:PORT"))
    })?;
    let host = rest.split([':', '/']).next().unwrap_or("");
    let loopback = matches!(host, "127.0.0.1" | "localhost" | "::1" | "[::1]");
    if !loopback && !allow_remote {
        return Err(CliError::input(format!(
            "--target `{target}` is not loopback; add --allow-remote-target to send load there"
        )));
    }
    Ok(())
}

struct Service {
    /// Not ours (`--container`): sampled, never started or removed.
    external: bool,
    seen_restarts: i64,
    name: String,
    kind: ServiceKind,
    id: String,
    port: u16,
    limit_bytes: f64,
    policy: RestartPolicy,
    kubelet: KubeletBackoff,
    docker: DockerBackoff,
    started_at: SimTime,
    /// When an exited container is due to start again.
    restart_at: Option<SimTime>,
    restarts: u32,
    oom_kills: u64,
    crashes: u64,
    first_oom: Option<SimTime>,
    peak_ws: f64,
    last_cpu_ns: Option<(f64, SimTime)>,
    pod: PodTimeline,
}

/// The sampled series, one value per sample each.
struct Recorder {
    times: Vec<u64>,
    series: Vec<Series>,
    events: Vec<LogEvent>,
    partial: Option<std::fs::File>,
}

impl Recorder {
    fn series_index(&mut self, name: &str, service: &str, unit: &str) -> usize {
        if let Some(i) = self
            .series
            .iter()
            .position(|s| s.name == name && s.service == service)
        {
            return i;
        }
        self.series.push(Series {
            name: name.into(),
            service: service.into(),
            unit: unit.into(),
            values: vec![None; self.times.len().saturating_sub(1)],
        });
        self.series.len() - 1
    }

    fn set(&mut self, name: &str, service: &str, unit: &str, value: Option<f64>) {
        let i = self.series_index(name, service, unit);
        let s = &mut self.series[i];
        s.values.resize(self.times.len() - 1, None);
        s.values.push(value);
    }

    fn begin_sample(&mut self, t: SimTime) {
        self.times.push(t.0);
    }

    /// Pads series that had no value this sample, and appends the sample to
    /// the partial file.
    fn end_sample(&mut self) {
        let n = self.times.len();
        for s in &mut self.series {
            s.values.resize(n, None);
        }
        if let Some(f) = &mut self.partial {
            let values: Vec<serde_json::Value> = self
                .series
                .iter()
                .map(|s| serde_json::json!([s.name, s.service, s.values[n - 1]]))
                .collect();
            let line = serde_json::json!({ "t_us": self.times[n - 1], "values": values });
            let _ = writeln!(f, "{line}");
        }
    }

    fn event(&mut self, at: SimTime, kind: EventType, object: &str, reason: &str, message: String) {
        if let Some(f) = &mut self.partial {
            let line = serde_json::json!({ "t_us": at.0, "event": reason, "object": object, "message": message });
            let _ = writeln!(f, "{line}");
        }
        if self.events.len() < 10_000 {
            self.events.push(LogEvent {
                at_us: at.0,
                kind,
                object: object.into(),
                reason: reason.into(),
                message,
            });
        }
    }
}

fn pod_change(s: &mut Service, at: SimTime, status: PodStatus, ready: bool) {
    if s.pod.changes.len() < incident_core::telemetry::MAX_POD_CHANGES {
        s.pod.changes.push(PodChange {
            at_us: at.0,
            status,
            ready,
            restarts: s.restarts,
        });
    }
}

fn free_port() -> Result<u16, CliError> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| CliError::Failed(format!("no free port: {e}")))
}

async fn wait_healthy(port: u16) -> bool {
    let deadline = Instant::now() + HEALTH_TIMEOUT;
    let endpoint = Endpoint {
        addr: format!("127.0.0.1:{port}"),
        method: "GET",
        path: "/health".into(),
        body: None,
    };
    while Instant::now() < deadline {
        if let Ok((200, _)) =
            load::request(&endpoint, Duration::from_secs(1), Duration::from_secs(2)).await
        {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    false
}

async fn admin(port: u16, path: &str, body: &str) {
    let endpoint = Endpoint {
        addr: format!("127.0.0.1:{port}"),
        method: "POST",
        path: path.into(),
        body: Some(body.into()),
    };
    let _ = load::request(&endpoint, Duration::from_secs(1), Duration::from_secs(5)).await;
}

/// The workload's own numbers (Go: goroutines, heap, GC count, orders).
async fn runtime_metrics(port: u16) -> Option<serde_json::Value> {
    let endpoint = Endpoint {
        addr: format!("127.0.0.1:{port}"),
        method: "GET",
        path: "/metrics".into(),
        body: None,
    };
    let (status, body) = load::request(
        &endpoint,
        Duration::from_millis(300),
        Duration::from_millis(800),
    )
    .await
    .ok()?;
    if status != 200 {
        return None;
    }
    serde_json::from_slice(&body).ok()
}

fn leak_name(kind: LeakKind) -> &'static str {
    match kind {
        LeakKind::Cache => "cache",
        LeakKind::Listeners => "listeners",
        LeakKind::History => "history",
    }
}

/// `external`: the checked `--container` pairs, (service, container).
async fn run_async(
    sc: Scenario,
    args: RunArgs,
    external: Vec<(String, String)>,
) -> Result<(), CliError> {
    // Registered first, so Ctrl-C during the set-up still cleans up.
    use tokio::signal::unix::{signal, SignalKind};
    let signal_error =
        |e: std::io::Error| CliError::Failed(format!("cannot watch for Ctrl-C: {e}"));
    let mut stop = Stop {
        interrupt: signal(SignalKind::interrupt()).map_err(signal_error)?,
        terminate: signal(SignalKind::terminate()).map_err(signal_error)?,
    };
    let docker = docker::connect(args.docker_host.as_deref()).await?;
    let leftovers = docker::remove_labelled(&docker, None).await;
    if leftovers > 0 {
        eprintln!("removed {leftovers} container(s) left by an earlier run that did not finish");
    }
    let workloads = docker::workloads_dir()?;
    let real: Vec<(String, incident_core::scenario::ServiceSpec)> = sc
        .services
        .iter()
        .filter(|(n, s)| {
            if external.is_empty() {
                docker::image_for(s).is_some()
            } else {
                external.iter().any(|(svc, _)| svc == *n)
            }
        })
        .map(|(n, s)| (n.clone(), s.clone()))
        .collect();
    if real.is_empty() {
        return Err(CliError::input(format!(
            "{} has no service with a reference workload (checkout, leaky, front-end)",
            sc.name
        )));
    }
    let modelled_only: Vec<&str> = sc
        .services
        .iter()
        .filter(|(_, s)| docker::image_for(s).is_none())
        .map(|(n, _)| n.as_str())
        .collect();
    if !modelled_only.is_empty() {
        eprintln!(
            "not run for real (no reference workload): {}",
            modelled_only.join(", ")
        );
    }
    for (name, spec) in real.iter().filter(|_| external.is_empty()) {
        eprintln!("building the {name} image locally (no pull)…");
        docker::build(&docker, spec, &workloads).await?;
    }

    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("{}.real.trace.json", sc.name)));
    let partial_path = PathBuf::from(format!("{}.partial.jsonl", out.display()));
    let partial = std::fs::File::create(&partial_path)
        .map_err(|e| CliError::Failed(format!("cannot write {}: {e}", partial_path.display())))?;
    let mut rec = Recorder {
        times: Vec::new(),
        series: Vec::new(),
        events: Vec::new(),
        partial: Some(partial),
    };
    if let Some(f) = &mut rec.partial {
        let _ = writeln!(
            f,
            "{}",
            serde_json::json!({ "format": "incident-trace-partial/1", "scenario": sc.name })
        );
    }

    let run_id = format!(
        "{:08x}",
        std::process::id() ^ (Instant::now().elapsed().as_nanos() as u32) ^ 0x1ab5
    );
    let flags: flagd::Flags = Arc::new(Mutex::new(sc.flags.clone()));
    let (flagd_port, flagd_task) = flagd::serve(flags.clone())
        .await
        .map_err(|e| CliError::Failed(format!("cannot serve flags on loopback: {e}")))?;

    let result = drive(
        &docker, &sc, &args, &real, &external, &run_id, flagd_port, flags, &mut rec, &mut stop,
    )
    .await;
    // Whatever happened: nothing of ours stays behind.
    let removed = docker::remove_labelled(&docker, Some(&run_id)).await;
    flagd_task.abort();
    let (services, load, started, interrupted) = result?;
    eprintln!(
        "\nremoved {removed} container(s){}",
        if interrupted { " (interrupted)" } else { "" }
    );
    let trace = build_trace(&sc, &mut rec, services, &load, started);
    std::fs::write(&out, trace.to_json())
        .map_err(|e| CliError::Failed(format!("cannot write {}: {e}", out.display())))?;
    let _ = std::fs::remove_file(&partial_path);
    crate::stdout::out!(
        "{}",
        crate::simulate::summary_table(&trace.scenario, &trace.summary)
    );
    crate::stdout::outln!("trace written to {}", out.display());
    if interrupted {
        return Err(CliError::Failed(
            "interrupted; the trace up to that moment was written".into(),
        ));
    }
    Ok(())
}

/// Ctrl-C and SIGTERM end the run early; the trace so far is kept.
struct Stop {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
}

fn service_record(
    name: &str,
    spec: &incident_core::scenario::ServiceSpec,
    id: String,
    port: u16,
    run_id: &str,
) -> Service {
    Service {
        external: false,
        seen_restarts: 0,
        name: name.to_string(),
        kind: spec.kind,
        id,
        port,
        limit_bytes: spec.memory_limit.0 as f64,
        policy: spec.restart_policy,
        kubelet: KubeletBackoff::default(),
        docker: DockerBackoff::default(),
        started_at: SimTime::ZERO,
        restart_at: None,
        restarts: 0,
        oom_kills: 0,
        crashes: 0,
        first_oom: None,
        peak_ws: 0.0,
        last_cpu_ns: None,
        pod: PodTimeline {
            name: format!("{name}-{run_id}"),
            service: name.to_string(),
            created_us: 0,
            deleted_us: None,
            changes: Vec::new(),
        },
    }
}

type Driven = (Vec<Service>, Arc<Load>, Option<SimTime>, bool);

#[allow(clippy::too_many_arguments)]
async fn drive(
    docker_api: &bollard::Docker,
    sc: &Scenario,
    args: &RunArgs,
    real: &[(String, incident_core::scenario::ServiceSpec)],
    external: &[(String, String)],
    run_id: &str,
    flagd_port: u16,
    flags: flagd::Flags,
    rec: &mut Recorder,
    stop: &mut Stop,
) -> Result<Driven, CliError> {
    let mut services = Vec::new();
    for (name, spec) in real {
        if let Some((_, container)) = external.iter().find(|(svc, _)| svc == name) {
            let info = docker_api
                .inspect_container(container, None)
                .await
                .map_err(|e| CliError::input(format!("--container {container}: {e}")))?;
            let mut s = service_record(
                name,
                spec,
                info.id.unwrap_or_else(|| container.clone()),
                0,
                run_id,
            );
            s.external = true;
            s.seen_restarts = info.restart_count.unwrap_or(0);
            services.push(s);
            continue;
        }
        let image = docker::image_for(spec).expect("filtered above");
        let port = free_port()?;
        let mut env = vec![format!("PORT={port}"), "HOST=127.0.0.1".to_string()];
        for (k, v) in crate::export::env_of(sc, spec) {
            let v = if k == "FLAGD_URL" {
                args.flagd
                    .clone()
                    .unwrap_or_else(|| format!("http://127.0.0.1:{flagd_port}"))
            } else {
                v
            };
            env.push(format!("{k}={v}"));
        }
        let id = docker::create(
            docker_api,
            &docker::ContainerSpec {
                name: format!("incident-{run_id}-{name}"),
                image: image.tag.to_string(),
                cmd: image.cmd.clone(),
                env,
                binds: image.binds.clone(),
                memory_bytes: spec.memory_limit.0 as i64,
                nano_cpus: spec.cpu_limit.map(|c| c.0 as i64 * 1_000_000),
                run_id: run_id.to_string(),
            },
        )
        .await?;
        services.push(service_record(name, spec, id, port, run_id));
    }
    for s in services.iter_mut().filter(|s| !s.external) {
        docker::start(docker_api, &s.id).await?;
        if !wait_healthy(s.port).await {
            return Err(CliError::Failed(format!(
                "{} did not answer /health within {} s",
                s.name,
                HEALTH_TIMEOUT.as_secs()
            )));
        }
        if let Some(p) = sc.services.get(&s.name).and_then(|x| x.python.as_ref()) {
            for (on, kind) in [
                (p.cache_enabled, "cache"),
                (p.listeners_enabled, "listeners"),
                (p.history_enabled, "history"),
            ] {
                if on {
                    admin(
                        s.port,
                        &format!("/admin/leaks/{kind}"),
                        "{\"enabled\": true}",
                    )
                    .await;
                }
            }
        }
    }
    // The clock starts when everything is up, as the model's t = 0.
    let clock = Instant::now();
    let now = || SimTime::from_secs_f64(clock.elapsed().as_secs_f64());
    for s in &mut services {
        pod_change(s, SimTime::ZERO, PodStatus::Running, true);
        rec.event(
            SimTime::ZERO,
            EventType::Normal,
            &format!("pod/{}", s.pod.name),
            "Started",
            format!("Started container {}", s.name),
        );
    }

    let load = Load::new();
    let entry_addr = |svc: &str| -> Option<String> {
        if let Some(t) = &args.target {
            let rest = t.trim_start_matches("http://");
            return Some(rest.split('/').next().unwrap_or(rest).to_string());
        }
        services
            .iter()
            .find(|s| s.name == svc)
            .map(|s| format!("127.0.0.1:{}", s.port))
    };
    let routes: Vec<(String, Endpoint)> = sc
        .workload
        .tasks
        .iter()
        .flat_map(|t| t.steps.iter())
        .chain(sc.workload.on_start.iter())
        .filter_map(|step| {
            let (svc, _) = step.call.split_once('/')?;
            let addr = entry_addr(svc)?;
            let (method, path, body) = crate::export::http_route(&step.call, sc);
            Some((
                step.call.clone(),
                Endpoint {
                    addr,
                    method,
                    path,
                    body,
                },
            ))
        })
        .collect();
    let route: load::Router = Arc::new(move |call: &str| {
        routes
            .iter()
            .find(|(c, _)| c == call)
            .map(|(_, e)| e.clone())
    });
    let workload = Arc::new(sc.workload.clone());

    let mut timeline = sc.timeline.clone();
    timeline.sort_by_key(|a| a.at.0);
    let mut next_action = 0;
    let duration = sc.duration.0;
    let sample_every = SimTime(sc.sample_interval.0 .0.clamp(1_000_000, 5_000_000));
    let mut next_sample = SimTime::ZERO;
    let mut next_progress = Instant::now();
    let mut spawn_rate = sc.workload.spawn_rate.max(0.01);
    let mut spawned: u32 = 0;
    let mut spawn_credit = 0.0;
    let mut load_started: Option<SimTime> = None;
    let mut last_tick = SimTime::ZERO;
    let start_load = |users: u32, load: &Load| {
        load.users_wanted
            .store(users.min(load::MAX_USERS), Ordering::Relaxed)
    };
    let mut interrupted = false;
    loop {
        tokio::select! {
            _ = stop.interrupt.recv() => { interrupted = true; }
            _ = stop.terminate.recv() => { interrupted = true; }
            _ = tokio::time::sleep(TICK) => {}
        }
        if interrupted {
            break;
        }
        let t = now();
        if t >= duration {
            break;
        }
        // The workload's own schedule.
        if let Some(at) = sc.workload.start_at {
            if load_started.is_none() && t >= at.0 {
                start_load(sc.workload.users, &load);
                load_started = Some(t);
                rec.event(
                    t,
                    EventType::Action,
                    "load-generator",
                    "LoadStarted",
                    format!(
                        "Ramping to {} users at a rate of {} per second",
                        sc.workload.users, spawn_rate
                    ),
                );
            }
        }
        if let Some(at) = sc.workload.stop_at {
            if t >= at.0 && load.users_wanted.load(Ordering::Relaxed) > 0 {
                start_load(0, &load);
                rec.event(
                    t,
                    EventType::Action,
                    "load-generator",
                    "LoadStopped",
                    "Stopped all users".into(),
                );
            }
        }
        // The timeline, as an instructor would do it by hand.
        while next_action < timeline.len() && t >= timeline[next_action].at.0 {
            let action = timeline[next_action].clone();
            next_action += 1;
            let text = action.kind.to_string();
            let mut supported = true;
            match &action.kind {
                ActionKind::SetFlagVariant { flag, variant } => {
                    if let Some(f) = flags
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .get_mut(flag)
                    {
                        f.default_variant = variant.clone();
                    }
                }
                ActionKind::SetFlagValue {
                    flag,
                    variant,
                    value,
                } => {
                    if let Some(f) = flags
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .get_mut(flag)
                    {
                        f.variants.insert(variant.clone(), *value);
                    }
                }
                ActionKind::StartLoad {
                    users,
                    spawn_rate: rate,
                } => {
                    if let Some(r) = rate {
                        spawn_rate = r.max(0.01);
                    }
                    start_load(users.unwrap_or(sc.workload.users), &load);
                    load_started.get_or_insert(t);
                }
                ActionKind::StopLoad => start_load(0, &load),
                ActionKind::SetUsers {
                    users,
                    spawn_rate: rate,
                } => {
                    if let Some(r) = rate {
                        spawn_rate = r.max(0.01);
                    }
                    start_load(*users, &load);
                }
                ActionKind::Restart { service } => {
                    if let Some(s) = services.iter_mut().find(|s| &s.name == service) {
                        let _ = docker_api.restart_container(&s.id, None).await;
                        s.started_at = t;
                    }
                }
                ActionKind::Leak {
                    service,
                    kind,
                    enabled,
                } => {
                    if let Some(s) = services.iter().find(|s| &s.name == service) {
                        admin(
                            s.port,
                            &format!("/admin/leaks/{}", leak_name(*kind)),
                            &format!("{{\"enabled\": {enabled}}}"),
                        )
                        .await;
                    }
                }
                ActionKind::Clear { service, target } => {
                    if let Some(s) = services.iter().find(|s| &s.name == service) {
                        let which = match target {
                            LeakTarget::One(k) => leak_name(*k),
                            LeakTarget::All => "all",
                        };
                        admin(
                            s.port,
                            "/admin/leaks/clear",
                            &format!("{{\"leak_type\": \"{which}\"}}"),
                        )
                        .await;
                    }
                }
                ActionKind::Gc { service } => {
                    if let Some(s) = services.iter().find(|s| &s.name == service) {
                        admin(s.port, "/admin/gc", "{}").await;
                    }
                }
                _ => supported = false,
            }
            let (kind, reason, message) = if supported {
                (EventType::Action, "Action", text)
            } else {
                (
                    EventType::Warning,
                    "NotSupported",
                    format!("{text}: not supported in a real run; skipped"),
                )
            };
            rec.event(t, kind, "timeline", reason, message);
        }
        // Users start at the spawn rate, up to the number wanted.
        let wanted = load.users_wanted.load(Ordering::Relaxed);
        let dt = t.saturating_sub(last_tick).as_secs_f64();
        last_tick = t;
        if wanted > spawned {
            spawn_credit += dt * spawn_rate;
            while spawn_credit >= 1.0 && spawned < wanted {
                spawn_credit -= 1.0;
                tokio::spawn(load::user(
                    load.clone(),
                    spawned,
                    workload.clone(),
                    route.clone(),
                    sc.seed,
                ));
                spawned += 1;
            }
        } else {
            spawn_credit = 0.0;
            // Users above the wanted count stop by themselves.
            spawned = spawned.min(wanted.max(load.users_running.load(Ordering::Relaxed)));
        }
        // Exits and restarts, with the scenario's back-off.
        for s in &mut services {
            if let Some(at) = s.restart_at {
                if t >= at {
                    s.restart_at = None;
                    s.restarts += 1;
                    if s.policy == RestartPolicy::Kubelet {
                        s.kubelet.on_restart(t);
                    }
                    if docker::start(docker_api, &s.id).await.is_ok() {
                        s.started_at = t;
                        pod_change(s, t, PodStatus::Running, true);
                        rec.event(
                            t,
                            EventType::Normal,
                            &format!("pod/{}", s.pod.name),
                            "Started",
                            format!("Started container {} (restart {})", s.name, s.restarts),
                        );
                    }
                }
                continue;
            }
            let Some(state) = docker::state(docker_api, &s.id).await else {
                continue;
            };
            if s.external {
                // Someone else restarts it: count what they did.
                if state.restart_count > s.seen_restarts {
                    s.restarts += (state.restart_count - s.seen_restarts) as u32;
                    s.seen_restarts = state.restart_count;
                    let object = format!("pod/{}", s.pod.name);
                    if state.oom_killed || state.exit_code == 137 {
                        s.oom_kills += 1;
                        s.first_oom.get_or_insert(t);
                        rec.event(
                            t,
                            EventType::Warning,
                            &object,
                            "OOMKilled",
                            format!(
                                "{} was OOM-killed and restarted by its orchestrator",
                                s.name
                            ),
                        );
                    } else {
                        rec.event(
                            t,
                            EventType::Warning,
                            &object,
                            "Restarted",
                            format!("{} restarted (exit code {})", s.name, state.exit_code),
                        );
                    }
                    pod_change(s, t, PodStatus::Running, true);
                }
                continue;
            }
            if state.running {
                continue;
            }
            let object = format!("pod/{}", s.pod.name);
            if state.oom_killed || state.exit_code == 137 {
                s.oom_kills += 1;
                s.first_oom.get_or_insert(t);
                pod_change(s, t, PodStatus::OOMKilled, false);
                rec.event(
                    t,
                    EventType::Warning,
                    &object,
                    "OOMKilled",
                    format!(
                        "Container {} exceeded its memory limit and was OOM-killed (exit code {})",
                        s.name, state.exit_code
                    ),
                );
            } else {
                s.crashes += 1;
                pod_change(s, t, PodStatus::Error, false);
                rec.event(
                    t,
                    EventType::Warning,
                    &object,
                    "Error",
                    format!("Container {} exited with code {}", s.name, state.exit_code),
                );
            }
            let delay = match s.policy {
                RestartPolicy::Kubelet => Some(s.kubelet.delay_after_exit(t)),
                RestartPolicy::Docker => {
                    Some(s.docker.delay_after_exit(t.saturating_sub(s.started_at)))
                }
                RestartPolicy::Never => None,
            };
            if let Some(delay) = delay {
                if delay > SimTime::ZERO {
                    pod_change(s, t, PodStatus::CrashLoopBackOff, false);
                    rec.event(
                        t,
                        EventType::Warning,
                        &object,
                        "BackOff",
                        format!(
                            "Back-off restarting failed container {} ({} s)",
                            s.name,
                            delay.as_secs_f64()
                        ),
                    );
                }
                s.restart_at = Some(t.saturating_add(delay));
            }
        }
        if t >= next_sample {
            next_sample = t.saturating_add(sample_every);
            sample(docker_api, &mut services, &load, rec, t).await;
        }
        if Instant::now() >= next_progress {
            next_progress = Instant::now() + Duration::from_secs(1);
            progress(&services, &load, t, duration);
        }
    }
    load.stopped.store(true, Ordering::Relaxed);
    Ok((services, load, load_started, interrupted))
}

async fn sample(
    docker_api: &bollard::Docker,
    services: &mut [Service],
    load: &Load,
    rec: &mut Recorder,
    t: SimTime,
) {
    rec.begin_sample(t);
    for s in services.iter_mut() {
        let usage = if s.restart_at.is_none() {
            docker::usage(docker_api, &s.id)
                .await
                .filter(|u| u.usage_bytes > 0.0)
        } else {
            None
        };
        let ws = usage.as_ref().map(|u| u.working_set_bytes);
        if let Some(w) = ws {
            s.peak_ws = s.peak_ws.max(w);
        }
        let cpu = usage.as_ref().and_then(|u| {
            let previous = s.last_cpu_ns.replace((u.cpu_total_ns, t));
            previous.and_then(|(ns, at)| {
                let dt = t.saturating_sub(at).as_secs_f64();
                (dt > 0.0 && u.cpu_total_ns >= ns).then(|| (u.cpu_total_ns - ns) / 1e9 / dt)
            })
        });
        let name = s.name.clone();
        rec.set("k8s.pod.memory.working_set", &name, "By", ws);
        rec.set(
            "k8s.pod.memory.usage",
            &name,
            "By",
            usage.as_ref().map(|u| u.usage_bytes),
        );
        rec.set(
            "k8s.container.memory_limit",
            &name,
            "By",
            Some(s.limit_bytes),
        );
        rec.set(
            "k8s.pod.memory_limit_utilization",
            &name,
            "1",
            ws.map(|w| w / s.limit_bytes),
        );
        rec.set("k8s.pod.cpu.usage", &name, "{cpu}", cpu);
        rec.set(
            "k8s.container.restarts",
            &name,
            "{restart}",
            Some(s.restarts as f64),
        );
        if s.kind == ServiceKind::GoCheckout {
            let m = if s.restart_at.is_none() && !s.external {
                runtime_metrics(s.port).await
            } else {
                None
            };
            let get = |k: &str| m.as_ref().and_then(|m| m.get(k)).and_then(|v| v.as_f64());
            rec.set(
                "process.runtime.go.goroutines",
                &name,
                "{goroutine}",
                get("goroutines"),
            );
            rec.set(
                "process.runtime.go.mem.heap_alloc",
                &name,
                "By",
                get("heap_alloc_bytes"),
            );
            rec.set(
                "process.runtime.go.gc.count",
                &name,
                "{gc}",
                get("gc_count"),
            );
            rec.set("go.memory.gc.goal", &name, "By", get("next_gc_bytes"));
            rec.set("app.orders.placed", &name, "{order}", get("orders"));
        }
    }
    let (rate, fail_rate, p50, p95, p99) = {
        let mut st = load.stats.lock().unwrap_or_else(|e| e.into_inner());
        let window_s = 1.0f64.max(0.001);
        let v = (
            st.window_ok as f64 / window_s,
            st.window_failed as f64 / window_s,
            st.window.quantile_ms(0.5),
            st.window.quantile_ms(0.95),
            st.window.quantile_ms(0.99),
        );
        st.window.clear();
        st.window_ok = 0;
        st.window_failed = 0;
        v
    };
    let lg = "load-generator";
    rec.set(
        "locust.users",
        lg,
        "{user}",
        Some(load.users_running.load(Ordering::Relaxed) as f64),
    );
    rec.set("locust.requests.rate", lg, "{request}/s", Some(rate));
    rec.set("locust.failures.rate", lg, "{request}/s", Some(fail_rate));
    rec.set("locust.response_time.p50", lg, "ms", p50);
    rec.set("locust.response_time.p95", lg, "ms", p95);
    rec.set("locust.response_time.p99", lg, "ms", p99);
    rec.end_sample();
}

/// A status line: rewritten in place on a terminal, every 5 s in a log.
fn progress(services: &[Service], load: &Load, t: SimTime, duration: SimTime) {
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
                s.peak_ws / 1048576.0,
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

fn build_trace(
    sc: &Scenario,
    rec: &mut Recorder,
    services: Vec<Service>,
    load: &Load,
    load_started: Option<SimTime>,
) -> Trace {
    let end = rec.times.last().copied().unwrap_or(0);
    let st = load.stats.lock().unwrap_or_else(|e| e.into_inner());
    let completed = st.succeeded + st.failed;
    let load_s = load_started.map(|s| (end as f64 / 1e6 - s.as_secs_f64()).max(1.0));
    let requests = RequestSummary {
        issued: st.issued,
        succeeded: st.succeeded,
        failed: st.failed,
        in_flight: st.issued.saturating_sub(completed),
        rate_per_s: load_s.map(|s| completed as f64 / s).unwrap_or(0.0),
        failure_ratio: if completed > 0 {
            st.failed as f64 / completed as f64
        } else {
            0.0
        },
        latency_ms_p50: st.all.quantile_ms(0.5),
        latency_ms_p95: st.all.quantile_ms(0.95),
        latency_ms_p99: st.all.quantile_ms(0.99),
        success_latency_ms_p50: st.ok.quantile_ms(0.5),
        success_latency_ms_p95: st.ok.quantile_ms(0.95),
        success_latency_ms_p99: st.ok.quantile_ms(0.99),
        failures_by_reason: st.failures_by_reason.clone(),
    };
    let summaries = services
        .iter()
        .map(|s| ServiceSummary {
            name: s.name.clone(),
            kind: s.kind.as_str().to_string(),
            first_oom_s: s.first_oom.map(|t| t.as_secs_f64()),
            restarts: s.restarts as u64,
            oom_kills: s.oom_kills,
            crashes: s.crashes,
            liveness_kills: 0,
            peak_working_set_bytes: s.peak_ws,
            peak_utilization: s.peak_ws / s.limit_bytes,
            memory_bytes_limit: s.limit_bytes,
        })
        .collect();
    let mut trace = Trace {
        format: TRACE_FORMAT.to_string(),
        source: "harness".to_string(),
        scenario: sc.clone(),
        sample_times_us: std::mem::take(&mut rec.times),
        series: std::mem::take(&mut rec.series),
        pods: services.into_iter().map(|s| s.pod).collect(),
        events: std::mem::take(&mut rec.events),
        alerts: Vec::new(),
        summary: Summary {
            scenario: sc.name.clone(),
            trace_hash: String::new(),
            seed: sc.seed,
            duration_s: end as f64 / 1e6,
            load_started_s: load_started.map(|t| t.as_secs_f64()),
            services: summaries,
            requests,
            alerts: Vec::new(),
            events_processed: st.issued,
        },
    };
    trace.summary.trace_hash = trace.compute_hash();
    trace
}
