//! Liveness and readiness probes: kubelet's health checks, answered by the
//! pod's runtime (a busy event loop answers late).

use super::ids::PodId;
use super::pods::{Exit, Rt};
use super::{Cgen, Ev, World};
use crate::scenario::ProbeSpec;
use crate::telemetry::{EventType, PodStatus};
use crate::units::SimTime;

/// CPU a health check costs the runtime that answers it.
const PROBE_CPU_US: u64 = 300;

impl World {
    pub(super) fn on_probe(&mut self, pod: PodId, cgen: Cgen, liveness: bool) {
        if !self.pod_current(pod, cgen) {
            return;
        }
        let svc = self.pods[pod].svc;
        let spec = if liveness {
            self.svcs[svc].spec.liveness.clone()
        } else {
            self.svcs[svc].spec.readiness.clone()
        };
        let Some(spec) = spec else { return };
        let latency = if self.pods[pod].serving {
            self.probe_latency(pod)
        } else {
            None
        };
        let ok = latency.is_some_and(|l| l <= spec.timeout.0);
        let again = if liveness {
            self.liveness_result(pod, cgen, &spec, latency, ok)
        } else {
            self.readiness_result(pod, &spec, ok);
            true
        };
        if again {
            let at = self.now() + spec.period.0;
            self.k.schedule(
                at,
                Ev::Probe {
                    pod,
                    cgen,
                    liveness,
                },
            );
        }
    }

    /// Counts a liveness result; after `failure_threshold` failures in a
    /// row the container is killed once the last probe gives up. Returns
    /// whether probing goes on.
    fn liveness_result(
        &mut self,
        pod: PodId,
        cgen: Cgen,
        spec: &ProbeSpec,
        latency: Option<SimTime>,
        ok: bool,
    ) -> bool {
        let p = &mut self.pods[pod];
        if ok {
            p.live_fails = 0;
            return true;
        }
        p.live_fails += 1;
        let fails = p.live_fails;
        let container = self.svcs[p.svc].name.clone();
        let message = if latency.is_none() {
            "Liveness probe failed: connect: connection refused".to_string()
        } else {
            format!("Liveness probe failed: Get \"http://{container}/health\": context deadline exceeded (Client.Timeout exceeded while awaiting headers) [{fails}/{}]", spec.failure_threshold)
        };
        let object = self.pod_object(pod);
        let now = self.now();
        self.k
            .log
            .push(now, EventType::Warning, &object, "Unhealthy", message);
        if fails >= spec.failure_threshold {
            let waited = latency.unwrap_or(spec.timeout.0).min(spec.timeout.0);
            self.k.schedule(now + waited, Ev::ProbeKill { pod, cgen });
            return false;
        }
        true
    }

    fn readiness_result(&mut self, pod: PodId, spec: &ProbeSpec, ok: bool) {
        let p = &mut self.pods[pod];
        let was_ready = p.ready;
        if ok {
            p.ready_fails = 0;
            p.ready = p.serving;
        } else {
            p.ready_fails += 1;
            if p.ready_fails >= spec.failure_threshold {
                p.ready = false;
            }
        }
        let now_ready = p.ready;
        if was_ready == now_ready {
            return;
        }
        if !now_ready {
            let object = self.pod_object(pod);
            self.k.log.push(
                self.now(),
                EventType::Warning,
                &object,
                "Unhealthy",
                "Readiness probe failed: context deadline exceeded".into(),
            );
        }
        self.record_status(pod, PodStatus::Running);
        if now_ready {
            self.on_ready(pod);
        }
    }

    pub(super) fn on_probe_kill(&mut self, pod: PodId, cgen: Cgen) {
        if self.pod_current(pod, cgen) {
            self.kill(pod, Exit::Liveness);
        }
    }

    /// How long a health check takes right now, or None if nothing answers.
    fn probe_latency(&mut self, pod: PodId) -> Option<SimTime> {
        let now = self.now();
        let p = &mut self.pods[pod];
        let busy_until = match &mut p.rt {
            Rt::Node(n) => &mut n.busy_until,
            Rt::Py(py) => &mut py.busy_until,
            // Go and multi-worker servers answer health checks on their own
            // goroutine or thread: they do not queue behind requests.
            Rt::Go(_) | Rt::Pool(_) => return Some(SimTime::from_millis(1)),
        };
        let start = (*busy_until).max(now);
        let end = p.cfs.finish(start, PROBE_CPU_US);
        *busy_until = end;
        p.cpu_used_us += PROBE_CPU_US as f64;
        Some(end.saturating_sub(now))
    }

    /// Schedules a container's first probes. A container started in the
    /// run waits each probe's initial delay. A pod the run starts with has
    /// been up longer than that (the seeds' clusters run for days before
    /// the load: seed 003's pods are 12 d old), so its probes are already
    /// running: the first comes one period in.
    pub(super) fn schedule_probes(&mut self, pod: PodId, settled: bool) {
        let p = &self.pods[pod];
        let spec = &self.svcs[p.svc].spec;
        let cgen = p.cgen;
        let first = |probe: &ProbeSpec| {
            if settled {
                probe.period.0
            } else {
                probe.initial_delay.0
            }
        };
        let live = spec.liveness.as_ref().map(first);
        let ready = spec.readiness.as_ref().map(first);
        let now = self.now();
        if let Some(delay) = live {
            let ev = Ev::Probe {
                pod,
                cgen,
                liveness: true,
            };
            self.k.schedule(now + delay, ev);
        }
        if let Some(delay) = ready {
            let ev = Ev::Probe {
                pod,
                cgen,
                liveness: false,
            };
            self.k.schedule(now + delay, ev);
        }
    }
}
