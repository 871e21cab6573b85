//! The HorizontalPodAutoscaler: CPU utilization of the request against its
//! target, scaled to the desired replicas (`model::hpa`), with scale-down
//! stabilization.

use super::ids::SvcId;
use super::pods::PState;
use super::{Ev, World};
use crate::model::hpa;
use crate::telemetry::EventType;

impl World {
    pub(super) fn on_hpa(&mut self, svc: SvcId) {
        let Some(spec) = self.svcs[svc].spec.hpa.clone() else {
            return;
        };
        self.k
            .schedule(self.now() + spec.sync_period.0, Ev::HpaSync { svc });
        if !self.svcs[svc].hpa_on {
            return;
        }
        let current = self.svcs[svc].pods.len() as u32;
        let Some(utilization) = self.cpu_utilization(svc, spec.sync_period.as_secs_f64()) else {
            return;
        };
        if current == 0 {
            return;
        }
        let desired = hpa::desired_replicas(
            current,
            utilization,
            spec.cpu_target,
            spec.min_replicas,
            spec.max_replicas,
        );
        let now = self.now();
        let window = spec.scale_down_stabilization.0;
        let target = hpa::stabilized(&mut self.svcs[svc].hpa_recs, now, desired, current, window);
        if target == current {
            return;
        }
        let reason = format!(
            "cpu resource utilization (percentage of request) {} target: {:.0} % vs {:.0} %",
            if target > current { "above" } else { "below" },
            utilization * 100.0,
            spec.cpu_target * 100.0
        );
        let name = self.svcs[svc].name.clone();
        self.k.log.push(
            now,
            EventType::Normal,
            &format!("horizontalpodautoscaler/{name}"),
            "SuccessfulRescale",
            format!("New size: {target}; reason: {reason}"),
        );
        self.scale_to(svc, target, "HPA");
    }

    /// CPU used by the service's ready pods over the last `window_s`, as a
    /// share of their request; `None` when no pod is ready.
    fn cpu_utilization(&mut self, svc: SvcId, window_s: f64) -> Option<f64> {
        let spec = &self.svcs[svc].spec;
        let request_cores = spec
            .cpu_request
            .or(spec.cpu_limit)
            .map(|c| c.cores())
            .unwrap_or(1.0);
        let mut used = 0.0;
        let mut counted = 0u32;
        for &p in &self.svcs[svc].pods {
            let pod = &mut self.pods[p];
            let delta = pod.cpu_used_us - pod.cpu_at_hpa_us;
            pod.cpu_at_hpa_us = pod.cpu_used_us;
            if pod.state == PState::Running && pod.ready {
                used += delta / 1e6 / window_s;
                counted += 1;
            }
        }
        (counted > 0).then(|| used / counted as f64 / request_cores)
    }
}
