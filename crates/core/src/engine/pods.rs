//! Pods and kubelet: a pod's lifecycle (created, started, serving, ready,
//! killed, restarted after its back-off, deleted), scaling, rollouts, and
//! its memory as the cgroup charges it.

use super::checkout::GoPod;
use super::ids::{PodId, SvcId};
use super::node::NodePod;
use super::pool::PoolPod;
use super::python::PyPod;
use super::service::Svc;
use super::{Cgen, Ev, World};
use crate::model::cfs::CfsQuota;
use crate::model::cgroup::{self, DockerBackoff, KubeletBackoff, MemoryView};
use crate::scenario::{RestartPolicy, ServiceKind};
use crate::telemetry::{EventType, PodChange, PodStatus, PodTimeline, MAX_POD_CHANGES};
use crate::units::{format_bytes_human, SimTime};

/// Pods ever created in one run (replicas, rollouts, HPA).
const MAX_PODS: usize = 256;
/// Kubelet notices an exited container within its sync loop.
const RESTART_LATENCY: SimTime = SimTime::from_secs(1);
/// Scheduling, image present, container created.
const POD_CREATE_DELAY: SimTime = SimTime::from_secs(2);
/// Major page faults: latency multiplier at a fully squeezed page cache.
const THRASH_PENALTY: f64 = 4.0;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum PState {
    Creating,
    Running,
    Exited,
    Deleted,
}

impl PState {
    /// The transitions kubelet makes; anything else is a bug.
    fn may_become(self, to: PState) -> bool {
        use PState::*;
        matches!(
            (self, to),
            (Creating, Running)
                | (Creating, Deleted)
                | (Running, Exited)
                | (Running, Deleted)
                | (Exited, Running)
                | (Exited, Deleted)
        )
    }
}

/// The runtime inside a pod's container.
pub(super) enum Rt {
    Go(Box<GoPod>),
    Node(NodePod),
    Pool(PoolPod),
    Py(Box<PyPod>),
}

/// Why a container stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Exit {
    Oom,
    Crash(&'static str),
    Liveness,
    Deleted,
}

pub(super) struct Pod {
    pub(super) svc: SvcId,
    pub(super) cgen: Cgen,
    pub(super) state: PState,
    pub(super) started: SimTime,
    pub(super) serving: bool,
    pub(super) ready: bool,
    pub(super) ever_started: bool,
    pub(super) restarts: u32,
    pub(super) kube: KubeletBackoff,
    pub(super) docker: DockerBackoff,
    pub(super) live_fails: u32,
    pub(super) ready_fails: u32,
    /// The pod this one replaces in a rollout, deleted once this is ready.
    pub(super) replaces: Option<PodId>,
    pub(super) memory_limit_bytes: f64,
    pub(super) cpu_used_us: f64,
    pub(super) cpu_at_sample_us: f64,
    pub(super) cpu_at_hpa_us: f64,
    pub(super) cfs: CfsQuota,
    pub(super) inflight: u32,
    pub(super) inflight_mem_bytes: f64,
    pub(super) rt: Rt,
    pub(super) timeline: PodTimeline,
}

impl Pod {
    fn set_state(&mut self, to: PState) {
        debug_assert!(
            self.state.may_become(to),
            "pod {}: {:?} cannot become {to:?}",
            self.timeline.name,
            self.state
        );
        self.state = to;
    }

    /// A new container: it has not served yet, and holds nothing.
    fn reset_container(&mut self, rt: Rt, now: SimTime) {
        self.set_state(PState::Running);
        self.started = now;
        self.serving = false;
        self.ready = false;
        self.live_fails = 0;
        self.ready_fails = 0;
        self.inflight = 0;
        self.inflight_mem_bytes = 0.0;
        self.rt = rt;
    }

    /// The container stopped: a new generation, nothing served.
    fn stop_container(&mut self, to: PState) {
        self.cgen += 1;
        self.set_state(to);
        self.serving = false;
        self.ready = false;
        self.inflight = 0;
        self.inflight_mem_bytes = 0.0;
    }

    pub(super) fn object(&self) -> String {
        format!("pod/{}", self.timeline.name)
    }
}

/// Deterministic, kubectl-looking names: a replica-set hash and a suffix.
fn pod_name(service: &str, index: usize, seed: u64) -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ seed;
    for b in service.bytes() {
        h = (h ^ b as u64).wrapping_mul(0x100_0000_01b3);
    }
    let mut rs = String::new();
    let mut x = h;
    for _ in 0..9 {
        rs.push(ALPHABET[(x % ALPHABET.len() as u64) as usize] as char);
        x /= ALPHABET.len() as u64;
    }
    let mut y = h ^ ((index as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15));
    y = y.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    let mut suffix = String::new();
    for _ in 0..5 {
        suffix.push(ALPHABET[(y % ALPHABET.len() as u64) as usize] as char);
        y /= ALPHABET.len() as u64;
    }
    format!("{service}-{rs}-{suffix}")
}

impl World {
    /// Whether `cgen` is the pod's running container.
    pub(super) fn pod_current(&self, pod: PodId, cgen: Cgen) -> bool {
        let p = &self.pods[pod];
        p.cgen == cgen && p.state == PState::Running
    }

    pub(super) fn pod_object(&self, pod: PodId) -> String {
        self.pods[pod].object()
    }

    fn fresh_runtime(&self, svc: SvcId) -> Rt {
        let s = &self.svcs[svc];
        let now = self.now();
        match s.kind {
            ServiceKind::GoCheckout => Rt::Go(Box::new(GoPod::new(
                s.spec.go.clone().unwrap_or_default(),
                self.flag_value_served(&s.spec),
                now,
            ))),
            ServiceKind::NodeFrontend => Rt::Node(NodePod::new(now)),
            ServiceKind::WorkerPool => Rt::Pool(PoolPod::default()),
            ServiceKind::PythonLeaky => Rt::Py(Box::new(PyPod::new(
                &s.spec.python.clone().unwrap_or_default(),
                now,
            ))),
        }
    }

    /// A new pod: running at once for the run's initial replicas, else
    /// created and started after the scheduling delay.
    pub(super) fn create_pod(&mut self, svc: SvcId, initial: bool) -> Option<PodId> {
        if self.pods.len() >= MAX_PODS {
            let object = format!("deployment/{}", self.svcs[svc].name);
            self.k.log.push(
                self.now(),
                EventType::Warning,
                &object,
                "FailedCreate",
                format!("pod limit of {MAX_PODS} for one run reached"),
            );
            return None;
        }
        let pod = self.new_pod(svc, initial);
        let p = self.pods.push(pod);
        self.svcs[svc].pods.push(p);
        if initial {
            self.record_status(p, PodStatus::Running);
            self.schedule_probes(p, true);
        } else {
            self.record_status(p, PodStatus::ContainerCreating);
            let name = self.pods[p].timeline.name.clone();
            self.k.log.push(
                self.now(),
                EventType::Normal,
                &format!("pod/{name}"),
                "Scheduled",
                format!("Successfully assigned {name} to node incident-lab"),
            );
            self.k.schedule(
                self.now() + POD_CREATE_DELAY,
                Ev::PodStart { pod: p, cgen: 0 },
            );
        }
        Some(p)
    }

    fn new_pod(&self, svc: SvcId, initial: bool) -> Pod {
        let s = &self.svcs[svc];
        let spec = &s.spec;
        let name = pod_name(&s.name, self.pods.len(), self.sc.seed);
        Pod {
            svc,
            cgen: 0,
            state: if initial {
                PState::Running
            } else {
                PState::Creating
            },
            started: self.now(),
            serving: initial,
            ready: initial,
            ever_started: initial,
            restarts: 0,
            kube: KubeletBackoff::default(),
            docker: DockerBackoff::default(),
            live_fails: 0,
            ready_fails: 0,
            replaces: None,
            memory_limit_bytes: spec.memory_limit.as_f64(),
            cpu_used_us: 0.0,
            cpu_at_sample_us: 0.0,
            cpu_at_hpa_us: 0.0,
            cfs: CfsQuota::new(spec.cpu_limit.map(|c| c.0), Svc::threads(spec)),
            inflight: 0,
            inflight_mem_bytes: 0.0,
            rt: self.fresh_runtime(svc),
            timeline: PodTimeline {
                name,
                service: s.name.clone(),
                created_us: self.now().0,
                deleted_us: None,
                changes: Vec::new(),
            },
        }
    }

    /// What `kubectl get pods` would show from now on.
    pub(super) fn record_status(&mut self, pod: PodId, status: PodStatus) {
        let at_us = self.now().0;
        let p = &mut self.pods[pod];
        let change = PodChange {
            at_us,
            status,
            ready: p.ready,
            restarts: p.restarts,
        };
        let changes = &mut p.timeline.changes;
        if let Some(last) = changes.last_mut() {
            debug_assert!(change.restarts >= last.restarts, "restarts never decrease");
            if last.at_us == change.at_us {
                *last = change;
                return;
            }
            if last.status == change.status
                && last.ready == change.ready
                && last.restarts == change.restarts
            {
                return;
            }
        }
        if changes.len() >= MAX_POD_CHANGES {
            changes.remove(0);
        }
        changes.push(change);
    }

    pub(super) fn on_pod_start(&mut self, pod: PodId, cgen: Cgen) {
        let now = self.now();
        let p = &self.pods[pod];
        if p.cgen != cgen || !matches!(p.state, PState::Creating | PState::Exited) {
            return;
        }
        let svc = p.svc;
        let rt = self.fresh_runtime(svc);
        let startup = self.svcs[svc].spec.startup.0;
        let container = self.svcs[svc].name.clone();
        let p = &mut self.pods[pod];
        if p.ever_started {
            p.restarts += 1;
            p.kube.on_restart(now);
        }
        p.ever_started = true;
        p.reset_container(rt, now);
        let cgen = p.cgen;
        self.record_status(pod, PodStatus::Running);
        let object = self.pod_object(pod);
        self.k.log.push(
            now,
            EventType::Normal,
            &object,
            "Started",
            format!("Started container {container}"),
        );
        self.k.schedule(now + startup, Ev::PodServing { pod, cgen });
        self.schedule_probes(pod, false);
    }

    pub(super) fn on_pod_serving(&mut self, pod: PodId, cgen: Cgen) {
        if !self.pod_current(pod, cgen) {
            return;
        }
        let has_readiness = self.svcs[self.pods[pod].svc].spec.readiness.is_some();
        let p = &mut self.pods[pod];
        p.serving = true;
        if !has_readiness {
            p.ready = true;
        }
        self.record_status(pod, PodStatus::Running);
        if !has_readiness {
            self.on_ready(pod);
        }
    }

    /// A ready pod takes over from the pod it replaces in a rollout.
    pub(super) fn on_ready(&mut self, pod: PodId) {
        if let Some(old) = self.pods[pod].replaces.take() {
            self.delete_pod(old);
        }
    }

    pub(super) fn on_pod_backoff(&mut self, pod: PodId, cgen: Cgen) {
        let p = &self.pods[pod];
        if p.cgen != cgen || p.state != PState::Exited {
            return;
        }
        self.record_status(pod, PodStatus::CrashLoopBackOff);
    }

    /// Stops a running container for `exit`, and restarts it by the
    /// service's restart policy (CrashLoopBackOff under kubelet).
    pub(super) fn kill(&mut self, pod: PodId, exit: Exit) {
        let now = self.now();
        let p = &self.pods[pod];
        if p.state != PState::Running {
            return;
        }
        let (svc, uptime, limit) = (p.svc, now.saturating_sub(p.started), p.memory_limit_bytes);
        let anon = self.memory_view(pod).map(|v| v.anon).unwrap_or(limit);
        self.count_exit(svc, exit, limit);
        let container = self.svcs[svc].name.clone();
        let (status, reason, message) = exit_event(exit, &container, anon, limit);
        let kind = if exit == Exit::Deleted {
            EventType::Normal
        } else {
            EventType::Warning
        };
        let object = self.pod_object(pod);
        self.k.log.push(now, kind, &object, reason, message);
        self.pods[pod].stop_container(if exit == Exit::Deleted {
            PState::Deleted
        } else {
            PState::Exited
        });
        self.record_status(pod, status);
        self.fail_requests_on(pod);
        if exit != Exit::Deleted {
            self.schedule_restart(pod, uptime, &container);
        }
    }

    fn count_exit(&mut self, svc: SvcId, exit: Exit, limit: f64) {
        let now = self.now();
        let t = &mut self.svcs[svc].totals;
        match exit {
            Exit::Oom => {
                t.oom_kills += 1;
                t.first_oom.get_or_insert(now);
                t.peak_ws_bytes = t.peak_ws_bytes.max(limit);
                t.peak_util = t.peak_util.max(1.0);
            }
            Exit::Crash(_) => t.crashes += 1,
            Exit::Liveness => t.liveness_kills += 1,
            Exit::Deleted => {}
        }
    }

    /// The restart after an exit: kubelet's back-off (its first restart at
    /// once, within a sync loop), Docker's, or none.
    fn schedule_restart(&mut self, pod: PodId, uptime: SimTime, container: &str) {
        let now = self.now();
        let policy = self.svcs[self.pods[pod].svc].spec.restart_policy;
        let delay = match policy {
            RestartPolicy::Kubelet => self.pods[pod].kube.delay_after_exit(now),
            RestartPolicy::Docker => self.pods[pod].docker.delay_after_exit(uptime),
            RestartPolicy::Never => return,
        };
        let cgen = self.pods[pod].cgen;
        let latency = if policy == RestartPolicy::Kubelet {
            RESTART_LATENCY
        } else {
            SimTime::ZERO
        };
        if policy == RestartPolicy::Kubelet && delay > SimTime::ZERO {
            let object = self.pod_object(pod);
            let name = self.pods[pod].timeline.name.clone();
            self.k.log.push(
                now,
                EventType::Warning,
                &object,
                "BackOff",
                format!("Back-off restarting failed container {container} in pod {name} (waiting {delay})"),
            );
            self.k.schedule(
                now + RESTART_LATENCY.min(delay),
                Ev::PodBackOff { pod, cgen },
            );
        }
        self.k
            .schedule(now + delay.max(latency), Ev::PodStart { pod, cgen });
    }

    pub(super) fn delete_pod(&mut self, pod: PodId) {
        let svc = self.pods[pod].svc;
        match self.pods[pod].state {
            PState::Running => self.kill(pod, Exit::Deleted),
            PState::Deleted => return,
            _ => {
                let p = &mut self.pods[pod];
                p.cgen += 1;
                p.set_state(PState::Deleted);
                self.record_status(pod, PodStatus::Terminating);
            }
        }
        let restarts = self.pods[pod].restarts as u64;
        let s = &mut self.svcs[svc];
        s.pods.retain(|&p| p != pod);
        s.totals.retired_restarts += restarts;
        self.pods[pod].timeline.deleted_us = Some(self.k.now.0);
    }

    pub(super) fn scale_to(&mut self, svc: SvcId, replicas: u32, reason: &str) {
        let current = self.svcs[svc].pods.len() as u32;
        if replicas == current {
            return;
        }
        let name = self.svcs[svc].name.clone();
        self.k.log.push(
            self.now(),
            EventType::Normal,
            &format!("deployment/{name}"),
            "ScalingReplicaSet",
            format!(
                "Scaled {} replica set {name} from {current} to {replicas} ({reason})",
                if replicas > current { "up" } else { "down" }
            ),
        );
        for _ in current..replicas {
            self.create_pod(svc, false);
        }
        for _ in replicas..current {
            // Kubernetes removes the newest pods first.
            if let Some(&newest) = self.svcs[svc].pods.last() {
                self.delete_pod(newest);
            }
        }
    }

    /// `kubectl rollout restart`: a new pod for each old one; the old one
    /// goes when its replacement is ready.
    pub(super) fn rollout(&mut self, svc: SvcId, why: &str) {
        let old: Vec<PodId> = self.svcs[svc].pods.clone();
        let name = self.svcs[svc].name.clone();
        self.k.log.push(
            self.now(),
            EventType::Normal,
            &format!("deployment/{name}"),
            "RolloutRestart",
            why.to_string(),
        );
        for o in old {
            if let Some(new) = self.create_pod(svc, false) {
                self.pods[new].replaces = Some(o);
            }
        }
    }

    /// Anonymous memory the container holds: heap and stacks, connections,
    /// requests in flight.
    fn memory_anon(&self, pod: PodId) -> f64 {
        let p = &self.pods[pod];
        let spec = &self.svcs[p.svc].spec;
        match &p.rt {
            Rt::Go(g) => g.heap.total(),
            Rt::Node(n) => {
                let node = spec.node.as_ref().expect("normalized");
                node.baseline_memory.as_f64()
                    + n.conns as f64 * node.memory_per_connection.as_f64()
                    + p.inflight_mem_bytes
            }
            Rt::Pool(_) => {
                let pool = spec.pool.as_ref().expect("normalized");
                pool.baseline_memory.as_f64() + p.inflight_mem_bytes
            }
            Rt::Py(py) => {
                py.leaks.resident(spec.python.as_ref().expect("normalized")) + p.inflight_mem_bytes
            }
        }
    }

    /// The container's memory as the cgroup charges it; `None` when
    /// anonymous memory no longer fits (the OOM killer's case).
    pub(super) fn memory_view(&self, pod: PodId) -> Option<MemoryView> {
        let p = &self.pods[pod];
        let spec = &self.svcs[p.svc].spec;
        let view = cgroup::charge(
            p.memory_limit_bytes,
            self.memory_anon(pod),
            spec.file_cache_active.as_f64(),
            spec.file_cache_inactive.as_f64(),
        );
        debug_assert!(
            view.is_none_or(|v| v.usage() <= p.memory_limit_bytes * (1.0 + 1e-9)),
            "usage above the limit is only ever an OOM kill"
        );
        view
    }

    /// After memory grew: the OOM killer fires if nothing is left to reclaim.
    /// Returns true when the container died.
    pub(super) fn check_oom(&mut self, pod: PodId) -> bool {
        if self.pods[pod].state != PState::Running {
            return false;
        }
        if self.memory_view(pod).is_none() {
            self.kill(pod, Exit::Oom);
            return true;
        }
        false
    }

    /// How much slower the pod runs while the kernel takes its hot page
    /// cache away (major faults).
    pub(super) fn thrash_factor(&self, pod: PodId) -> f64 {
        let p = &self.pods[pod];
        let wanted = self.svcs[p.svc].spec.file_cache_active.as_f64();
        match self.memory_view(pod) {
            Some(v) => 1.0 + THRASH_PENALTY * cgroup::thrash_fraction(&v, wanted),
            None => 1.0 + THRASH_PENALTY,
        }
    }
}

/// The pod status, event reason and message of an exit.
fn exit_event(
    exit: Exit,
    container: &str,
    anon: f64,
    limit: f64,
) -> (PodStatus, &'static str, String) {
    match exit {
        Exit::Oom => (
            PodStatus::OOMKilled,
            "OOMKilled",
            format!(
                "Container {container} was OOMKilled (exit code 137): anonymous memory {} reached the {} limit",
                format_bytes_human(anon),
                format_bytes_human(limit)
            ),
        ),
        Exit::Crash(why) => (
            PodStatus::Error,
            "Error",
            format!("Container {container} exited with code 1: {why}"),
        ),
        Exit::Liveness => (
            PodStatus::Error,
            "Killing",
            format!("Container {container} failed liveness probe, will be restarted (exit code 143)"),
        ),
        Exit::Deleted => (
            PodStatus::Terminating,
            "Killing",
            format!("Stopping container {container}"),
        ),
    }
}
