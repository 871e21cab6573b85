//! `incident run`: the scenario the browser simulates, against real
//! containers. Workloads run under the scenario's memory and CPU limits,
//! the core's load model drives them, and every sample interval the
//! working set, restarts and the runtime's own numbers are recorded into
//! the core's trace format — appended to `OUT.partial.jsonl` as they come,
//! and written whole to `OUT` at the end (also on error and Ctrl-C).

mod docker;
mod drive;
mod flagd;
mod load;
mod plane;
mod record;
mod sample;
mod service;
mod trace;

use crate::cli_error::CliError;
use bollard::Docker;
use incident_core::scenario::ServiceSpec;
use incident_core::trace::Trace;
use incident_core::Scenario;
use load::Endpoint;
use record::Recorder;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Runs are bounded: a forgotten run stops by itself.
pub const MAX_RUN: Duration = Duration::from_secs(3600);
const TICK: Duration = Duration::from_millis(250);
const HEALTH_TIMEOUT: Duration = Duration::from_secs(30);
/// The run's t = 0 is planned this far ahead, so every container (and
/// each restart of it) can be told the same instant for its schedule.
const EPOCH_LEAD: Duration = Duration::from_secs(8);
/// After Ctrl-C or SIGTERM, removing the run's containers may take this
/// long; past it the next run removes them (their owner is gone by then).
const CLEAN_UP_AFTER_SIGNAL: Duration = Duration::from_millis(1200);

pub use docker::workloads_dir;

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

/// The services run for real (the ones with a reference workload, or the
/// `--container`s), with the others named on stderr.
fn services_run_for_real(
    sc: &Scenario,
    external: &[(String, String)],
) -> Result<Vec<(String, ServiceSpec)>, CliError> {
    let real: Vec<(String, ServiceSpec)> = sc
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
    let fixed: Vec<String> = real
        .iter()
        .flat_map(|(n, s)| crate::export::not_applied(n, s))
        .collect();
    if !fixed.is_empty() {
        eprintln!(
            "not applied for real (the workload's runtime has its own; `incident go-costs` \
             measures them): {}",
            fixed.join(", ")
        );
    }
    if sc.kafka.is_some() {
        eprintln!(
            "not applied for real (no consumers run): kafka.fraud_detection_sleep, \
             kafka.consumer_msgs_per_s, kafka.accounting_rows_per_s, kafka.row_bytes, \
             kafka.wal_bytes_per_row, kafka.rows_per_write"
        );
    }
    Ok(real)
}

/// Where the trace goes, checked before anything runs: a directory or a
/// place that cannot be written is refused at once.
fn output_path(sc: &Scenario, args: &RunArgs) -> Result<PathBuf, CliError> {
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("{}.real.trace.json", sc.name)));
    if out.is_dir() {
        return Err(CliError::input(format!(
            "--out {}: is a directory; name the trace file, like {}/{}.json",
            out.display(),
            out.display(),
            sc.name
        )));
    }
    let parent = out.parent().filter(|p| !p.as_os_str().is_empty());
    if let Some(dir) = parent.filter(|d| !d.is_dir()) {
        return Err(CliError::input(format!(
            "--out {}: the directory {} does not exist",
            out.display(),
            dir.display()
        )));
    }
    Ok(out)
}

/// What stopped a run before its end.
pub(super) enum Halt {
    /// SIGINT or SIGTERM, in the phase named.
    Interrupted(&'static str),
    /// The run lost a container it measures: what.
    Lost(String),
    /// The Docker daemon stopped answering: what happened.
    DaemonLost(String),
    /// A set-up step failed.
    Failed(CliError),
}

impl Halt {
    fn reason(&self) -> (&'static str, String) {
        match self {
            Halt::Interrupted(phase) => ("Interrupted", format!("interrupted while {phase}")),
            Halt::Lost(what) | Halt::DaemonLost(what) => ("Lost", what.clone()),
            Halt::Failed(CliError::Failed(m)) => ("SetupFailed", m.clone()),
            Halt::Failed(CliError::Input(lines)) => ("SetupFailed", lines.join("; ")),
        }
    }
}

/// `external`: the checked `--container` pairs, (service, container).
async fn run_async(
    sc: Scenario,
    args: RunArgs,
    external: Vec<(String, String)>,
) -> Result<(), CliError> {
    let out = output_path(&sc, &args)?;
    let partial_path = PathBuf::from(format!("{}.partial.jsonl", out.display()));
    let partial = record::PartialFile::create(partial_path).map_err(|e| {
        CliError::input(format!("--out {}: cannot write there ({e})", out.display()))
    })?;
    let run_id = new_run_id();
    let mut rec = Recorder::new(Some(partial), &sc, &run_id);
    // Registered before anything else, so a signal in any phase stops it.
    let mut stop = Stop::watch()?;
    let host = args.docker_host.as_deref();
    let connected = stop
        .during("connecting to Docker", docker::connect(host))
        .await;
    let (services, load, started, halt) = match connected {
        Ok(Ok(docker)) => {
            let driven =
                set_up_and_drive(&docker, &sc, &args, &external, &run_id, &mut rec, &mut stop)
                    .await;
            // Whatever happened: nothing of ours stays behind, unless the
            // daemon cannot be asked; after a signal, within the 2 s a
            // stop may take.
            let within = match &driven.3 {
                Some(Halt::Interrupted(_)) => CLEAN_UP_AFTER_SIGNAL,
                _ => docker::DAEMON_SLOW_CALL,
            };
            match &driven.3 {
                Some(Halt::DaemonLost(_)) => report_removed(None),
                _ => report_removed(docker::remove_labelled(&docker, Some(&run_id), within).await),
            }
            driven
        }
        // No daemon: nothing ran, so there is no trace to keep.
        Ok(Err(e)) => {
            rec.discard_partial();
            return Err(e);
        }
        Err(halt) => (Vec::new(), load::Load::new(), None, Some(halt)),
    };
    if let Some(halt) = &halt {
        let (reason, message) = halt.reason();
        let at = incident_core::units::SimTime(rec.times.last().copied().unwrap_or(0));
        let kind = incident_core::telemetry::EventType::Warning;
        rec.event(at, kind, "run", reason, message);
    }
    let trace = trace::build_trace(&sc, &mut rec, services, &load, started);
    let written = write_trace(&trace, &out, &mut rec)?;
    match halt {
        None => Ok(()),
        Some(Halt::Failed(e)) => Err(e),
        Some(halt) => Err(CliError::Failed(format!(
            "{}; the trace up to that moment was written to {}",
            halt.reason().1,
            written.display()
        ))),
    }
}

fn report_removed(removed: Option<usize>) {
    match removed {
        Some(n) => eprintln!("\nremoved {n} container(s)"),
        None => eprintln!(
            "\nthe Docker daemon did not answer in time, so this run's containers may \
             remain; the next `incident run` removes them"
        ),
    }
}

/// Every phase before the samples, then the drive itself; each phase can
/// be interrupted, and a failed one is recorded.
async fn set_up_and_drive(
    docker: &Docker,
    sc: &Scenario,
    args: &RunArgs,
    external: &[(String, String)],
    run_id: &str,
    rec: &mut Recorder,
    stop: &mut Stop,
) -> drive::Driven {
    let not_started = |halt| (Vec::new(), load::Load::new(), None, Some(halt));
    if let Err(halt) = stop
        .during("removing leftovers", remove_leftovers(docker))
        .await
    {
        return not_started(halt);
    }
    let real = match services_run_for_real(sc, external) {
        Ok(real) => real,
        Err(e) => return not_started(Halt::Failed(e)),
    };
    match stop
        .during("building images", build_images(docker, &real, external))
        .await
    {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return not_started(Halt::Failed(e)),
        Err(halt) => return not_started(halt),
    }
    let flags: flagd::Flags = Arc::new(Mutex::new(sc.flags.clone()));
    let (flagd_port, flagd_task) = match flagd::serve(flags.clone()).await {
        Ok(served) => served,
        Err(e) => {
            let e = CliError::Failed(format!("cannot serve flags on loopback: {e}"));
            return not_started(Halt::Failed(e));
        }
    };
    let setup = service::Setup {
        docker,
        sc,
        run_id,
        epoch: std::time::SystemTime::now() + EPOCH_LEAD,
        flagd_url: args
            .flagd
            .clone()
            .unwrap_or_else(|| format!("http://127.0.0.1:{flagd_port}")),
    };
    let driven = drive(&setup, args, &real, external, flags, rec, stop).await;
    flagd_task.abort();
    driven
}

/// Containers of an earlier run whose owner is gone are ours to remove.
async fn remove_leftovers(docker: &Docker) {
    if let Some(n @ 1..) = docker::remove_labelled(docker, None, docker::DAEMON_SLOW_CALL).await {
        eprintln!("removed {n} container(s) left by an earlier run that did not finish");
    }
}

/// Builds the workload images, unless the services are `--container`s
/// someone else runs.
async fn build_images(
    docker: &Docker,
    real: &[(String, ServiceSpec)],
    external: &[(String, String)],
) -> Result<(), CliError> {
    let workloads = docker::workloads_dir()?;
    for (name, spec) in real.iter().filter(|_| external.is_empty()) {
        eprintln!("building the {name} image locally (no pull)…");
        docker::build(docker, spec, &workloads).await?;
    }
    Ok(())
}

/// Labels this run's containers apart from another run's.
fn new_run_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    format!("{:08x}", std::process::id() ^ nanos ^ 0x1ab5)
}

/// Writes the whole trace and prints its summary; where `out` cannot be
/// written, the trace goes to a fallback file, named. The partial file is
/// then no longer needed. Returns where the trace went.
fn write_trace(trace: &Trace, out: &Path, rec: &mut Recorder) -> Result<PathBuf, CliError> {
    let json = trace.to_json();
    let written = match std::fs::write(out, &json) {
        Ok(()) => out.to_path_buf(),
        Err(e) => {
            let fallback = record::fallback_path(&trace.scenario.name, "trace.json");
            std::fs::write(&fallback, &json).map_err(|e2| {
                CliError::Failed(format!(
                    "cannot write {} ({e}) nor {} ({e2}): the trace is lost",
                    out.display(),
                    fallback.display()
                ))
            })?;
            rec.discard_partial();
            return Err(CliError::Failed(format!(
                "cannot write {} ({e}); the trace was written to {} instead",
                out.display(),
                fallback.display()
            )));
        }
    };
    rec.discard_partial();
    crate::stdout::out!(
        "{}",
        crate::simulate::summary_table(&trace.scenario, &trace.summary)
    );
    crate::stdout::outln!("trace written to {}", written.display());
    Ok(written)
}

/// Creates and starts the containers, waits for the planned t = 0, then
/// drives them to the end.
async fn drive(
    setup: &service::Setup<'_>,
    args: &RunArgs,
    real: &[(String, ServiceSpec)],
    external: &[(String, String)],
    flags: flagd::Flags,
    rec: &mut Recorder,
    stop: &mut Stop,
) -> drive::Driven {
    let halted = |services, halt| (services, load::Load::new(), None, Some(halt));
    let mut services = match stop
        .during("creating containers", setup.services(real, external))
        .await
    {
        Ok(Ok(services)) => services,
        Ok(Err(e)) => return halted(Vec::new(), Halt::Failed(e)),
        Err(halt) => return halted(Vec::new(), halt),
    };
    match stop
        .during("starting the workloads", setup.start(&mut services))
        .await
    {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return halted(services, Halt::Failed(e)),
        Err(halt) => return halted(services, halt),
    }
    // Until the planned t = 0 that the workloads' schedules count from.
    match setup.epoch.duration_since(std::time::SystemTime::now()) {
        Ok(wait) => {
            eprintln!(
                "the workloads are up; the run starts in {:.1} s",
                wait.as_secs_f64()
            );
            if let Err(halt) = stop
                .during("waiting for the run's t = 0", tokio::time::sleep(wait))
                .await
            {
                return halted(services, halt);
            }
        }
        Err(late) => eprintln!(
            "setting up took {:.1} s longer than planned: the broker's windows run that much early",
            late.duration().as_secs_f64()
        ),
    }
    let drive = drive::Drive::new(setup.docker, setup.sc, args, flags, rec, services);
    drive.run(stop).await
}

/// Ctrl-C and SIGTERM end the run early; the trace so far is kept.
struct Stop {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
}

impl Stop {
    /// `work`, unless a signal comes first: then the phase it interrupted.
    pub(super) async fn during<T>(
        &mut self,
        phase: &'static str,
        work: impl std::future::Future<Output = T>,
    ) -> Result<T, Halt> {
        tokio::select! {
            done = work => Ok(done),
            _ = self.interrupt.recv() => Err(Halt::Interrupted(phase)),
            _ = self.terminate.recv() => Err(Halt::Interrupted(phase)),
        }
    }

    fn watch() -> Result<Stop, CliError> {
        use tokio::signal::unix::{signal, SignalKind};
        let signal_error =
            |e: std::io::Error| CliError::Failed(format!("cannot watch for Ctrl-C: {e}"));
        Ok(Stop {
            interrupt: signal(SignalKind::interrupt()).map_err(signal_error)?,
            terminate: signal(SignalKind::terminate()).map_err(signal_error)?,
        })
    }
}
