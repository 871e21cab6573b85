//! The real containers a run drives, one per service: created and started
//! under the scenario's limits, and watched as kubelet would watch them —
//! an exit is an OOM kill (exit 137) or a crash, and the container comes
//! back after the scenario's back-off.

use super::docker::{self, State};
use super::record::{pod_change, Recorder};
use super::{admin, wait_healthy, HEALTH_TIMEOUT};
use crate::cli_error::CliError;
use incident_core::model::cgroup::{DockerBackoff, KubeletBackoff};
use incident_core::scenario::{RestartPolicy, ServiceKind, ServiceSpec};
use incident_core::telemetry::{EventType, PodStatus, PodTimeline};
use incident_core::units::SimTime;
use incident_core::Scenario;

pub(super) struct Service {
    /// Not ours (`--container`): sampled, never started or removed.
    pub(super) external: bool,
    pub(super) seen_restarts: i64,
    pub(super) name: String,
    pub(super) kind: ServiceKind,
    pub(super) id: String,
    pub(super) port: u16,
    pub(super) limit_bytes: f64,
    policy: RestartPolicy,
    kubelet: KubeletBackoff,
    docker: DockerBackoff,
    pub(super) started_at: SimTime,
    /// When an exited container is due to start again.
    pub(super) restart_at: Option<SimTime>,
    /// Exited for good (restart policy `never`): counted once, not watched.
    exited: bool,
    pub(super) restarts: u32,
    pub(super) oom_kills: u64,
    pub(super) crashes: u64,
    pub(super) first_oom: Option<SimTime>,
    pub(super) peak_ws_bytes: f64,
    pub(super) last_cpu_ns: Option<(f64, SimTime)>,
    pub(super) pod: PodTimeline,
}

impl Service {
    pub(super) fn new(
        name: &str,
        spec: &ServiceSpec,
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
            exited: false,
            restarts: 0,
            oom_kills: 0,
            crashes: 0,
            first_oom: None,
            peak_ws_bytes: 0.0,
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

    pub(super) fn object(&self) -> String {
        format!("pod/{}", self.pod.name)
    }

    fn change(&mut self, at: SimTime, status: PodStatus, ready: bool) {
        pod_change(&mut self.pod, at, status, ready, self.restarts);
    }

    fn count_oom(&mut self, t: SimTime) {
        self.oom_kills += 1;
        self.first_oom.get_or_insert(t);
        // The kernel kills when a charge would pass the limit: the working
        // set reached it, whatever the last poll saw.
        self.peak_ws_bytes = self.peak_ws_bytes.max(self.limit_bytes);
    }
}

/// What a run needs to create its containers.
pub(super) struct Setup<'a> {
    pub(super) docker: &'a bollard::Docker,
    pub(super) sc: &'a Scenario,
    pub(super) run_id: &'a str,
    /// The flagd the workloads ask (ours on loopback, or `--flagd`).
    pub(super) flagd_url: String,
    /// The run's t = 0 on the wall clock.
    pub(super) epoch: std::time::SystemTime,
}

impl Setup<'_> {
    /// A running container someone else manages (`--container`).
    async fn external(
        &self,
        name: &str,
        spec: &ServiceSpec,
        container: &str,
    ) -> Result<Service, CliError> {
        let info = self
            .docker
            .inspect_container(container, None)
            .await
            .map_err(|e| CliError::input(format!("--container {container}: {e}")))?;
        let id = info.id.unwrap_or_else(|| container.to_string());
        let mut s = Service::new(name, spec, id, 0, self.run_id);
        s.external = true;
        s.seen_restarts = info.restart_count.unwrap_or(0);
        Ok(s)
    }

    /// Our container for a service, under the scenario's limits.
    async fn create(&self, name: &str, spec: &ServiceSpec) -> Result<Service, CliError> {
        let image = docker::image_for(spec).expect("only services with a workload run for real");
        let port = super::free_port()?;
        let mut env = vec![format!("PORT={port}"), "HOST=127.0.0.1".to_string()];
        for (k, v) in crate::export::env_of(self.sc, spec) {
            let v = if k == "FLAGD_URL" {
                self.flagd_url.clone()
            } else {
                v
            };
            env.push(format!("{k}={v}"));
        }
        if spec.checkout.is_some() {
            let epoch = self.epoch.duration_since(std::time::UNIX_EPOCH);
            let ms = epoch.map(|d| d.as_millis()).unwrap_or_default();
            env.push(format!("KAFKA_EPOCH_MS={ms}"));
        }
        let container = docker::ContainerSpec {
            name: format!("incident-{}-{name}", self.run_id),
            image: image.tag.to_string(),
            cmd: image.cmd.clone(),
            env,
            binds: image.binds.clone(),
            memory_bytes: spec.memory_limit.0 as i64,
            nano_cpus: spec.cpu_limit.map(|c| c.0 as i64 * 1_000_000),
            run_id: self.run_id.to_string(),
        };
        let id = docker::create(self.docker, &container).await?;
        Ok(Service::new(name, spec, id, port, self.run_id))
    }

    /// Every service's container: ours created, `--container`s looked up.
    pub(super) async fn services(
        &self,
        real: &[(String, ServiceSpec)],
        external: &[(String, String)],
    ) -> Result<Vec<Service>, CliError> {
        let mut services = Vec::with_capacity(real.len());
        for (name, spec) in real {
            let s = match external.iter().find(|(svc, _)| svc == name) {
                Some((_, container)) => self.external(name, spec, container).await?,
                None => self.create(name, spec).await?,
            };
            services.push(s);
        }
        Ok(services)
    }

    /// Starts our containers, waits for each to answer, and switches on the
    /// leaks the scenario starts with.
    pub(super) async fn start(&self, services: &mut [Service]) -> Result<(), CliError> {
        for s in services.iter_mut().filter(|s| !s.external) {
            docker::start(self.docker, &s.id).await?;
            if !wait_healthy(s.port).await {
                return Err(CliError::Failed(format!(
                    "{} did not answer /health within {} s",
                    s.name,
                    HEALTH_TIMEOUT.as_secs()
                )));
            }
            let Some(p) = self
                .sc
                .services
                .get(&s.name)
                .and_then(|x| x.python.as_ref())
            else {
                continue;
            };
            for (on, kind) in [
                (p.cache_enabled, "cache"),
                (p.listeners_enabled, "listeners"),
                (p.history_enabled, "history"),
            ] {
                if on {
                    let path = format!("/admin/leaks/{kind}");
                    admin(s.port, &path, "{\"enabled\": true}").await;
                }
            }
        }
        Ok(())
    }
}

/// What watching the containers found.
pub(super) enum Watch {
    Fine,
    /// The daemon did not answer: why.
    DaemonSilent(String),
    /// A container is gone from outside the run: what was lost.
    Lost(String),
}

/// Watches every container once: restarts the ones whose back-off is over,
/// and notices the ones that exited or were removed.
pub(super) async fn supervise(
    docker_api: &bollard::Docker,
    services: &mut [Service],
    rec: &mut Recorder,
    t: SimTime,
) -> Watch {
    for s in services.iter_mut().filter(|s| !s.exited) {
        if let Some(at) = s.restart_at {
            if t >= at {
                restart(docker_api, s, rec, t).await;
            }
            continue;
        }
        let state = match docker::state(docker_api, &s.id).await {
            docker::Seen::Now(state) => state,
            docker::Seen::Silent(why) => return Watch::DaemonSilent(why),
            docker::Seen::Gone => return removed_from_outside(s, rec, t),
        };
        if s.external {
            count_external_restarts(s, &state, rec, t);
        } else if !state.running {
            on_exit(s, &state, rec, t);
        }
    }
    Watch::Fine
}

/// Someone removed the container (`docker rm -f`): recorded as such, and
/// the run has lost what it was measuring.
fn removed_from_outside(s: &mut Service, rec: &mut Recorder, t: SimTime) -> Watch {
    s.exited = true;
    s.change(t, PodStatus::Terminating, false);
    s.pod.deleted_us = Some(t.0);
    let message = format!(
        "Container {} was removed from outside the run (Docker no longer knows it)",
        s.name
    );
    rec.event(t, EventType::Warning, &s.object(), "Removed", message);
    Watch::Lost(format!(
        "the {} container was removed from outside the run at {:.0} s",
        s.name,
        t.as_secs_f64()
    ))
}

/// The back-off is over: the container starts again.
async fn restart(docker_api: &bollard::Docker, s: &mut Service, rec: &mut Recorder, t: SimTime) {
    s.restart_at = None;
    s.restarts += 1;
    if s.policy == RestartPolicy::Kubelet {
        s.kubelet.on_restart(t);
    }
    if docker::start(docker_api, &s.id).await.is_ok() {
        s.started_at = t;
        s.change(t, PodStatus::Running, true);
        let message = format!("Started container {} (restart {})", s.name, s.restarts);
        rec.event(t, EventType::Normal, &s.object(), "Started", message);
    }
}

/// Someone else restarts an external container: count what they did.
fn count_external_restarts(s: &mut Service, state: &State, rec: &mut Recorder, t: SimTime) {
    if state.restart_count <= s.seen_restarts {
        return;
    }
    s.restarts += (state.restart_count - s.seen_restarts) as u32;
    s.seen_restarts = state.restart_count;
    let object = s.object();
    if state.oom_killed {
        s.count_oom(t);
        let message = format!(
            "{} was OOM-killed and restarted by its orchestrator",
            s.name
        );
        rec.event(t, EventType::Warning, &object, "OOMKilled", message);
    } else {
        let message = format!("{} restarted (exit code {})", s.name, state.exit_code);
        rec.event(t, EventType::Warning, &object, "Restarted", message);
    }
    s.change(t, PodStatus::Running, true);
}

/// Our container exited: why, and when it comes back.
fn on_exit(s: &mut Service, state: &State, rec: &mut Recorder, t: SimTime) {
    let object = s.object();
    // Only the kernel's word makes an OOM kill: exit 137 alone is any SIGKILL.
    if state.oom_killed {
        s.count_oom(t);
        s.change(t, PodStatus::OOMKilled, false);
        let message = format!(
            "Container {} exceeded its memory limit and was OOM-killed (exit code {})",
            s.name, state.exit_code
        );
        rec.event(t, EventType::Warning, &object, "OOMKilled", message);
    } else {
        s.crashes += 1;
        s.change(t, PodStatus::Error, false);
        let message = if state.exit_code == 137 {
            format!(
                "Container {} was killed (exit code 137, SIGKILL) but not by the OOM killer",
                s.name
            )
        } else {
            format!("Container {} exited with code {}", s.name, state.exit_code)
        };
        rec.event(t, EventType::Warning, &object, "Error", message);
    }
    let delay = match s.policy {
        RestartPolicy::Kubelet => s.kubelet.delay_after_exit(t),
        RestartPolicy::Docker => s.docker.delay_after_exit(t.saturating_sub(s.started_at)),
        RestartPolicy::Never => {
            s.exited = true;
            return;
        }
    };
    if delay > SimTime::ZERO {
        s.change(t, PodStatus::CrashLoopBackOff, false);
        let message = format!(
            "Back-off restarting failed container {} ({} s)",
            s.name,
            delay.as_secs_f64()
        );
        rec.event(t, EventType::Warning, &object, "BackOff", message);
    }
    s.restart_at = Some(t.saturating_add(delay));
}
