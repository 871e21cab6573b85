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

fn open_partial(path: &Path) -> Result<std::fs::File, CliError> {
    std::fs::File::create(path)
        .map_err(|e| CliError::Failed(format!("cannot write {}: {e}", path.display())))
}

/// `external`: the checked `--container` pairs, (service, container).
async fn run_async(
    sc: Scenario,
    args: RunArgs,
    external: Vec<(String, String)>,
) -> Result<(), CliError> {
    // Registered first, so Ctrl-C during the set-up still cleans up.
    let mut stop = Stop::watch()?;
    let docker = docker::connect(args.docker_host.as_deref()).await?;
    remove_leftovers(&docker).await;
    let real = services_run_for_real(&sc, &external)?;
    build_images(&docker, &real, &external).await?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("{}.real.trace.json", sc.name)));
    let partial_path = PathBuf::from(format!("{}.partial.jsonl", out.display()));
    let mut rec = Recorder::new(Some(open_partial(&partial_path)?), &sc.name);
    let run_id = new_run_id();
    let flags: flagd::Flags = Arc::new(Mutex::new(sc.flags.clone()));
    let (flagd_port, flagd_task) = flagd::serve(flags.clone())
        .await
        .map_err(|e| CliError::Failed(format!("cannot serve flags on loopback: {e}")))?;
    let setup = service::Setup {
        docker: &docker,
        sc: &sc,
        run_id: &run_id,
        epoch: std::time::SystemTime::now() + EPOCH_LEAD,
        flagd_url: args
            .flagd
            .clone()
            .unwrap_or_else(|| format!("http://127.0.0.1:{flagd_port}")),
    };
    let result = drive(&setup, &args, &real, &external, flags, &mut rec, &mut stop).await;
    // Whatever happened: nothing of ours stays behind.
    let removed = docker::remove_labelled(&docker, Some(&run_id)).await;
    flagd_task.abort();
    let (services, load, started, interrupted) = result?;
    eprintln!(
        "\nremoved {removed} container(s){}",
        if interrupted { " (interrupted)" } else { "" }
    );
    let trace = trace::build_trace(&sc, &mut rec, services, &load, started);
    write_trace(&trace, &out, &partial_path)?;
    if interrupted {
        return Err(CliError::Failed(
            "interrupted; the trace up to that moment was written".into(),
        ));
    }
    Ok(())
}

/// Containers of an earlier run that did not finish are ours to remove.
async fn remove_leftovers(docker: &Docker) {
    let leftovers = docker::remove_labelled(docker, None).await;
    if leftovers > 0 {
        eprintln!("removed {leftovers} container(s) left by an earlier run that did not finish");
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
    format!(
        "{:08x}",
        std::process::id() ^ (Instant::now().elapsed().as_nanos() as u32) ^ 0x1ab5
    )
}

/// Writes the whole trace (the partial file is then no longer needed) and
/// prints its summary.
fn write_trace(trace: &Trace, out: &Path, partial_path: &Path) -> Result<(), CliError> {
    std::fs::write(out, trace.to_json())
        .map_err(|e| CliError::Failed(format!("cannot write {}: {e}", out.display())))?;
    let _ = std::fs::remove_file(partial_path);
    crate::stdout::out!(
        "{}",
        crate::simulate::summary_table(&trace.scenario, &trace.summary)
    );
    crate::stdout::outln!("trace written to {}", out.display());
    Ok(())
}

/// Creates and starts the containers, then drives them to the end.
async fn drive(
    setup: &service::Setup<'_>,
    args: &RunArgs,
    real: &[(String, ServiceSpec)],
    external: &[(String, String)],
    flags: flagd::Flags,
    rec: &mut Recorder,
    stop: &mut Stop,
) -> Result<drive::Driven, CliError> {
    let mut services = setup.services(real, external).await?;
    setup.start(&mut services).await?;
    // Until the planned t = 0 that the workloads' schedules count from.
    match setup.epoch.duration_since(std::time::SystemTime::now()) {
        Ok(wait) => tokio::time::sleep(wait).await,
        Err(late) => eprintln!(
            "setting up took {:.1} s longer than planned: the broker's windows run that much early",
            late.duration().as_secs_f64()
        ),
    }
    let drive = drive::Drive::new(setup.docker, setup.sc, args, flags, rec, services);
    Ok(drive.run(stop).await)
}

/// Ctrl-C and SIGTERM end the run early; the trace so far is kept.
struct Stop {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
}

impl Stop {
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
