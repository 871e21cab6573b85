//! The Docker side of `incident run`: connect, build the workload images
//! locally (no registry pull), and create, start, sample and remove
//! containers. Everything carries the `incident-lab.run` label.

use crate::cli_error::CliError;
use bollard::models::{ContainerCreateBody, HostConfig};
use bollard::query_parameters::{
    BuildImageOptionsBuilder, CreateContainerOptionsBuilder, ListContainersOptionsBuilder,
    RemoveContainerOptionsBuilder, StatsOptionsBuilder,
};
use bollard::Docker;
use futures_util::StreamExt;
use incident_core::scenario::{ServiceKind, ServiceSpec};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

pub const LABEL: &str = "incident-lab.run";
/// The pid of the `incident run` that owns the container: start-up clean-up
/// removes only containers whose owner is gone, never a live run's.
pub const OWNER_LABEL: &str = "incident-lab.owner-pid";
/// A call to the daemon while a run is sampling answers within this, or
/// the daemon counts as not answering (a frozen or dead one would
/// otherwise hold the run for bollard's two minutes).
pub const DAEMON_CALL: std::time::Duration = std::time::Duration::from_secs(2);
/// Connecting, or removing a run's containers at its end, may take longer.
pub const DAEMON_SLOW_CALL: std::time::Duration = std::time::Duration::from_secs(10);

const DAEMON_HELP: &str =
    "Start one the way the tests do (Debian's docker.io, no iptables, host networking):
  dockerd --iptables=false --ip6tables=false --bridge=none \\
    --host=unix:///tmp/incident-docker/docker.sock --data-root /tmp/incident-docker/data \\
    --exec-root /tmp/incident-docker/exec --pidfile /tmp/incident-docker/docker.pid &
then pass --docker-host unix:///tmp/incident-docker/docker.sock (or set DOCKER_HOST).";

/// Connects and agrees on an API version the daemon speaks.
pub async fn connect(host: Option<&str>) -> Result<Docker, CliError> {
    let host = host
        .map(str::to_string)
        .or_else(|| std::env::var("DOCKER_HOST").ok())
        .unwrap_or_else(|| "unix:///var/run/docker.sock".to_string());
    let Some(path) = host.strip_prefix("unix://") else {
        return Err(CliError::input(format!(
            "--docker-host `{host}`: only unix:// sockets are supported, like unix:///var/run/docker.sock"
        )));
    };
    let unreachable = |why: String| {
        CliError::Input(vec![
            format!("no Docker daemon at {host}: {why}"),
            DAEMON_HELP.to_string(),
        ])
    };
    let docker = Docker::connect_with_unix(path, 120, bollard::API_DEFAULT_VERSION)
        .map_err(|e| unreachable(e.to_string()))?;
    let answered = tokio::time::timeout(DAEMON_SLOW_CALL, async {
        let docker = docker.negotiate_version().await?;
        docker.ping().await?;
        Ok::<Docker, bollard::errors::Error>(docker)
    })
    .await;
    match answered {
        Ok(Ok(docker)) => Ok(docker),
        Ok(Err(e)) => Err(unreachable(e.to_string())),
        Err(_) => Err(unreachable(format!(
            "it did not answer within {} s (is it stopped?)",
            DAEMON_SLOW_CALL.as_secs()
        ))),
    }
}

/// How a service's reference workload runs in a container.
pub struct Image {
    pub tag: &'static str,
    pub cmd: Vec<String>,
    /// Host directories the runtime comes from (read-only), for Python and
    /// Node: the image itself holds only the program.
    pub binds: Vec<String>,
}

pub fn image_for(spec: &ServiceSpec) -> Option<Image> {
    let host_runtime = || {
        ["/usr", "/lib", "/lib64", "/etc/ssl"]
            .iter()
            .filter(|p| Path::new(p).exists())
            .map(|p| format!("{p}:{p}:ro"))
            .collect()
    };
    match spec.kind {
        ServiceKind::GoCheckout => Some(Image {
            tag: "incident-lab/checkout:dev",
            cmd: vec!["/checkout".into()],
            binds: Vec::new(),
        }),
        ServiceKind::PythonLeaky => Some(Image {
            tag: "incident-lab/leaky:dev",
            cmd: vec![
                "/usr/bin/python3".into(),
                "-u".into(),
                "/app/main.py".into(),
            ],
            binds: host_runtime(),
        }),
        ServiceKind::NodeFrontend => Some(Image {
            tag: "incident-lab/front-end:dev",
            cmd: vec!["/usr/bin/node".into(), "/app/server.js".into()],
            binds: host_runtime(),
        }),
        ServiceKind::WorkerPool => None,
    }
}

/// A minimal ustar archive: the build context.
fn tar(files: &[ContextFile]) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, data, mode) in files {
        let mut header = [0u8; 512];
        header[..name.len()].copy_from_slice(name.as_bytes());
        let octal = |buf: &mut [u8], value: u64| {
            let text = format!("{:0width$o}\0", value, width = buf.len() - 1);
            buf.copy_from_slice(text.as_bytes());
        };
        octal(&mut header[100..108], *mode as u64);
        octal(&mut header[108..116], 0);
        octal(&mut header[116..124], 0);
        octal(&mut header[124..136], data.len() as u64);
        octal(&mut header[136..148], 0);
        header[156] = b'0';
        header[257..263].copy_from_slice(b"ustar\0");
        header[263..265].copy_from_slice(b"00");
        header[148..156].copy_from_slice(b"        ");
        let sum: u32 = header.iter().map(|&b| b as u32).sum();
        let text = format!("{sum:06o}\0 ");
        header[148..156].copy_from_slice(text.as_bytes());
        out.extend_from_slice(&header);
        out.extend_from_slice(data);
        out.resize(out.len().div_ceil(512) * 512, 0);
    }
    out.resize(out.len() + 1024, 0);
    out
}

/// A workload's program or built binary, for an image: far less than this.
const MAX_CONTEXT_FILE_BYTES: usize = 256 << 20;

fn read(path: &Path) -> Result<Vec<u8>, CliError> {
    crate::files::read_bytes(path, MAX_CONTEXT_FILE_BYTES, "a workload file")
        .map_err(|e| CliError::Failed(format!("cannot read {e}")))
}

/// A file of a build context: name, contents and mode.
type ContextFile = (&'static str, Vec<u8>, u32);

/// Builds the image for a workload from the repository's `workloads/`:
/// a static Go binary on `FROM scratch`, or the program alone for Python and
/// Node (their runtime is bind-mounted from the host). Nothing is pulled.
pub async fn build(docker: &Docker, spec: &ServiceSpec, workloads: &Path) -> Result<(), CliError> {
    let Some(image) = image_for(spec) else {
        return Ok(());
    };
    let files = match spec.kind {
        ServiceKind::GoCheckout => checkout_context(workloads).await?,
        ServiceKind::PythonLeaky => {
            program_context("main.py", "/app/main.py", &workloads.join("leaky/main.py"))?
        }
        ServiceKind::NodeFrontend => program_context(
            "server.js",
            "/app/server.js",
            &workloads.join("front-end/server.js"),
        )?,
        ServiceKind::WorkerPool => return Ok(()),
    };
    build_image(docker, image.tag, tar(&files)).await
}

/// Go 1.23 from bookworm-backports when it is there (`cargo xtask setup`
/// installs it), else the `go` on PATH; `INCIDENT_GO` overrides both.
fn go_binary() -> PathBuf {
    if let Some(go) = std::env::var_os("INCIDENT_GO") {
        return PathBuf::from(go);
    }
    let backports = PathBuf::from("/usr/lib/go-1.23/bin/go");
    if backports.exists() {
        backports
    } else {
        PathBuf::from("go")
    }
}

/// The checkout binary, built static (no cgo) so it runs on `scratch`.
/// `go build` of the workload, as a child the run can stop: dropping the
/// future (Ctrl-C while building) kills it.
async fn checkout_context(workloads: &Path) -> Result<Vec<ContextFile>, CliError> {
    let out = std::env::temp_dir().join(format!("incident-checkout-{}", std::process::id()));
    let status = tokio::process::Command::new(go_binary())
        .kill_on_drop(true)
        .args(["build", "-trimpath", "-ldflags=-s -w", "-o"])
        .arg(&out)
        .arg(".")
        .current_dir(workloads.join("checkout"))
        .env("CGO_ENABLED", "0")
        .env("GOTOOLCHAIN", "local")
        .status()
        .await
        .map_err(|e| {
            CliError::input(format!(
                "the checkout workload needs Go 1.23 to build (`cargo xtask setup` installs \
                 golang-1.23-go from bookworm-backports): {e}"
            ))
        })?;
    if !status.success() {
        return Err(CliError::Failed(
            "go build of workloads/checkout failed".into(),
        ));
    }
    let binary = read(&out)?;
    let _ = std::fs::remove_file(&out);
    Ok(vec![
        (
            "Dockerfile",
            b"FROM scratch\nCOPY checkout /checkout\n".to_vec(),
            0o644,
        ),
        ("checkout", binary, 0o755),
    ])
}

/// A script copied alone to `dest`: its interpreter comes from the host.
fn program_context(
    name: &'static str,
    dest: &str,
    source: &Path,
) -> Result<Vec<ContextFile>, CliError> {
    let dockerfile = format!("FROM scratch\nCOPY {name} {dest}\n");
    Ok(vec![
        ("Dockerfile", dockerfile.into_bytes(), 0o644),
        (name, read(source)?, 0o644),
    ])
}

/// Sends the context to the daemon and waits for the build to finish.
async fn build_image(docker: &Docker, tag: &str, context: Vec<u8>) -> Result<(), CliError> {
    let options = BuildImageOptionsBuilder::new()
        .dockerfile("Dockerfile")
        .t(tag)
        .rm(true)
        .build();
    let mut stream = docker.build_image(
        options,
        None,
        Some(bollard::body_full(bytes::Bytes::from(context))),
    );
    while let Some(item) = stream.next().await {
        let info = item.map_err(|e| CliError::Failed(format!("building {tag}: {e}")))?;
        if let Some(detail) = info.error_detail {
            return Err(CliError::Failed(format!(
                "building {tag}: {}",
                detail.message.unwrap_or_default()
            )));
        }
    }
    Ok(())
}

/// Where the workloads are: `workloads/` under the current directory or
/// next to the binary's repository.
pub fn workloads_dir() -> Result<PathBuf, CliError> {
    let candidates = [
        PathBuf::from("workloads"),
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../workloads"),
    ];
    candidates
        .into_iter()
        .find(|p| p.join("checkout/main.go").exists())
        .ok_or_else(|| {
            CliError::input(
                "the reference workloads (workloads/) were not found; run from the repository",
            )
        })
}

pub struct ContainerSpec {
    pub name: String,
    pub image: String,
    pub cmd: Vec<String>,
    pub env: Vec<String>,
    pub binds: Vec<String>,
    pub memory_bytes: i64,
    pub nano_cpus: Option<i64>,
    pub run_id: String,
}

pub async fn create(docker: &Docker, c: &ContainerSpec) -> Result<String, CliError> {
    let mut labels = HashMap::new();
    labels.insert(LABEL.to_string(), c.run_id.clone());
    labels.insert(OWNER_LABEL.to_string(), std::process::id().to_string());
    let body = ContainerCreateBody {
        image: Some(c.image.clone()),
        cmd: Some(c.cmd.clone()),
        env: Some(c.env.clone()),
        labels: Some(labels),
        host_config: Some(HostConfig {
            memory: Some(c.memory_bytes),
            // Equal to the memory limit: no swap, as Kubernetes runs it.
            memory_swap: Some(c.memory_bytes),
            nano_cpus: c.nano_cpus,
            network_mode: Some("host".into()),
            binds: (!c.binds.is_empty()).then(|| c.binds.clone()),
            ..Default::default()
        }),
        ..Default::default()
    };
    let options = CreateContainerOptionsBuilder::new().name(&c.name).build();
    let created = docker
        .create_container(Some(options), body)
        .await
        .map_err(|e| CliError::Failed(format!("creating {}: {e}", c.name)))?;
    Ok(created.id)
}

pub async fn start(docker: &Docker, id: &str) -> Result<(), CliError> {
    docker
        .start_container(id, None)
        .await
        .map_err(|e| CliError::Failed(format!("starting {id}: {e}")))
}

/// What `docker inspect` says about a container's process.
pub struct State {
    pub restart_count: i64,
    pub running: bool,
    pub oom_killed: bool,
    pub exit_code: i64,
}

/// What asking the daemon about a container found.
pub enum Seen {
    Now(State),
    /// The daemon no longer knows the container: removed from outside.
    Gone,
    /// The daemon did not answer (dead, frozen, or its socket gone): why.
    Silent(String),
}

pub async fn state(docker: &Docker, id: &str) -> Seen {
    use bollard::errors::Error;
    let info = match tokio::time::timeout(DAEMON_CALL, docker.inspect_container(id, None)).await {
        Err(_) => return Seen::Silent(format!("no answer within {} s", DAEMON_CALL.as_secs())),
        Ok(Err(Error::DockerResponseServerError {
            status_code: 404, ..
        })) => return Seen::Gone,
        Ok(Err(e)) => return Seen::Silent(e.to_string()),
        Ok(Ok(info)) => info,
    };
    let restart_count = info.restart_count.unwrap_or(0);
    let s = info.state.unwrap_or_default();
    Seen::Now(State {
        restart_count,
        running: s.running.unwrap_or(false),
        oom_killed: s.oom_killed.unwrap_or(false),
        exit_code: s.exit_code.unwrap_or(0),
    })
}

/// Memory and CPU as cAdvisor reads them: working set = usage − inactive_file.
pub struct Usage {
    pub usage_bytes: f64,
    pub working_set_bytes: f64,
    pub cpu_total_ns: f64,
}

pub async fn usage(docker: &Docker, id: &str) -> Option<Usage> {
    let options = StatsOptionsBuilder::new()
        .stream(false)
        .one_shot(true)
        .build();
    let mut stream = docker.stats(id, Some(options));
    let stats = tokio::time::timeout(DAEMON_CALL, stream.next())
        .await
        .ok()??
        .ok()?;
    let memory = stats.memory_stats?;
    let usage = memory.usage? as f64;
    let inactive = memory
        .stats
        .as_ref()
        .and_then(|s| {
            s.get("inactive_file")
                .or_else(|| s.get("total_inactive_file"))
        })
        .copied()
        .unwrap_or(0) as f64;
    Some(Usage {
        usage_bytes: usage,
        working_set_bytes: (usage - inactive).max(0.0),
        cpu_total_ns: stats
            .cpu_stats
            .and_then(|c| c.cpu_usage)
            .and_then(|u| u.total_usage)
            .unwrap_or(0) as f64,
    })
}

/// The cgroup's own high-water mark of memory usage since the container
/// started (`memory.peak` in cgroup v2, `memory.max_usage_in_bytes` in v1),
/// read from the host: a poll every few seconds misses the moment before
/// a kill. `None` when the harness is not on the Docker host.
pub fn peak_usage(id: &str) -> Option<f64> {
    let candidates = [
        format!("/sys/fs/cgroup/memory/docker/{id}/memory.max_usage_in_bytes"),
        format!("/sys/fs/cgroup/system.slice/docker-{id}.scope/memory.peak"),
        format!("/sys/fs/cgroup/docker/{id}/memory.peak"),
    ];
    candidates.iter().find_map(|path| {
        let text = std::fs::read_to_string(path).ok()?;
        text.trim().parse::<f64>().ok()
    })
}

/// Whether the run that labelled a container is still running here. A
/// container without the label (an older harness's) counts as orphaned.
fn owner_alive(labels: Option<&HashMap<String, String>>) -> bool {
    let pid = labels
        .and_then(|l| l.get(OWNER_LABEL))
        .and_then(|p| p.parse::<u32>().ok());
    match pid {
        Some(pid) if pid != std::process::id() => {
            std::path::Path::new(&format!("/proc/{pid}")).exists()
        }
        _ => false,
    }
}

/// Removes every container of a run (or of every run, with `None`); `None`
/// when the daemon does not answer in time (the next run's start-up
/// removes what is left, since its owner is gone by then).
pub async fn remove_labelled(
    docker: &Docker,
    run_id: Option<&str>,
    within: std::time::Duration,
) -> Option<usize> {
    tokio::time::timeout(within, remove_labelled_now(docker, run_id))
        .await
        .ok()
}

async fn remove_labelled_now(docker: &Docker, run_id: Option<&str>) -> usize {
    let filter = match run_id {
        Some(id) => format!("{LABEL}={id}"),
        None => LABEL.to_string(),
    };
    let mut filters = HashMap::new();
    filters.insert("label", vec![filter]);
    let options = ListContainersOptionsBuilder::new()
        .all(true)
        .filters(&filters)
        .build();
    let Ok(list) = docker.list_containers(Some(options)).await else {
        return 0;
    };
    let mut removed = 0;
    for c in list {
        if run_id.is_none() && owner_alive(c.labels.as_ref()) {
            continue;
        }
        if let Some(id) = c.id {
            let options = RemoveContainerOptionsBuilder::new().force(true).build();
            if docker.remove_container(&id, Some(options)).await.is_ok() {
                removed += 1;
            }
        }
    }
    removed
}
