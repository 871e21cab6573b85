//! Sampling: every sample interval, each service's series (largest pod
//! for gauges, sums for counts), its alerts, and Locust's. The pods'
//! housekeeping (idle allocation, the interpreter's own GC) runs on its own
//! fixed period, so how often a run is sampled cannot change the run.

use super::ids::{PodId, SvcId};
use super::pods::{PState, Rt};
use super::{Ev, World};
use crate::alerts::AlertInput;
use crate::scenario::{LeakKind, ServiceKind};
use crate::telemetry::EventType;
use crate::units::SimTime;

/// The period of the pods' housekeeping, whatever the sample interval.
const HOUSEKEEPING_PERIOD: SimTime = SimTime::from_secs(1);

/// What a Go checkout reports, in `SvcSeries::go`'s order.
type GoSample = [f64; 8];
/// Index of the orders count in `GoSample`: summed over pods, not maxed.
const GO_ORDERS: usize = 7;

/// One service's numbers at one sample, over its pods.
#[derive(Default)]
struct ServiceSample {
    ws: Option<f64>,
    usage: Option<f64>,
    util: Option<f64>,
    cpu_cores: f64,
    active: u32,
    ready: u32,
    restarts: u64,
    go: Option<GoSample>,
    /// Event-loop lag (ms, largest) and open connections (summed).
    node: Option<(f64, f64)>,
    /// Leaked bytes and counts per leak, and unreachable cycles, summed.
    py: Option<([f64; 3], [f64; 3], f64)>,
    flag_seen: Option<f64>,
}

impl World {
    pub(super) fn on_sample(&mut self) {
        let now = self.now();
        let dt = self.sc.sample_interval.as_secs_f64();
        self.k.sample_times.push(now.0);
        if now + self.sc.sample_interval.0 <= self.k.end {
            self.k.schedule(now + self.sc.sample_interval.0, Ev::Sample);
        }
        self.sample_kafka(dt);
        let svcs: Vec<SvcId> = self.svcs.ids().collect();
        for svc in svcs {
            self.sample_service(svc, dt);
        }
        self.sample_client(dt);
    }

    pub(super) fn on_housekeeping(&mut self) {
        let now = self.now();
        if now + HOUSEKEEPING_PERIOD <= self.k.end {
            self.k.schedule(now + HOUSEKEEPING_PERIOD, Ev::Housekeeping);
        }
        let dt = HOUSEKEEPING_PERIOD.as_secs_f64();
        let pods: Vec<PodId> = self.pods.ids().collect();
        for pod in pods {
            self.housekeeping(pod, dt);
        }
    }

    /// Per-pod work each period: a Go process's background allocation
    /// (and any GC it brings), the Python interpreter's periodic collection.
    fn housekeeping(&mut self, pod: PodId, dt: f64) {
        if self.pods[pod].state != PState::Running {
            return;
        }
        let now = self.now();
        let svc = self.pods[pod].svc;
        match &mut self.pods[pod].rt {
            Rt::Go(g) => {
                let bg = self.svcs[svc]
                    .spec
                    .go
                    .as_ref()
                    .map(|g| g.background_alloc_per_s.as_f64())
                    .unwrap_or(0.0);
                let outcome = g.heap.allocate_garbage(bg * dt, now);
                self.go_handle(pod, outcome);
                self.go_account_gc(pod);
                self.check_oom(pod);
            }
            Rt::Py(py) if now >= py.next_auto_gc => {
                let spec = self.svcs[svc].spec.python.clone().unwrap_or_default();
                py.leaks.collect(&spec);
                py.next_auto_gc = now + spec.auto_gc_interval.0;
            }
            _ => {}
        }
    }

    fn sample_client(&mut self, dt: f64) {
        let c = &mut self.load.client;
        let ids = &self.load.client_ids;
        let rec = &mut self.k.rec;
        rec.push(ids.users, Some(self.load.active as f64));
        let answered = c.interval_ok + c.interval_failed;
        rec.push(ids.rate, Some(answered as f64 / dt));
        rec.push(ids.fail_rate, Some(c.interval_failed as f64 / dt));
        let [p50, p95, p99] = c.interval.quantiles_ms([0.50, 0.95, 0.99]);
        rec.push(ids.p50, p50);
        rec.push(ids.p95, p95);
        rec.push(ids.p99, p99);
        c.interval.clear();
        c.interval_ok = 0;
        c.interval_failed = 0;
    }

    fn sample_service(&mut self, svc: SvcId, dt: f64) {
        let sample = self.collect(svc, dt);
        self.record(svc, &sample, dt);
    }

    /// The service's numbers now, over its pods.
    fn collect(&mut self, svc: SvcId, dt: f64) -> ServiceSample {
        let mut s = ServiceSample {
            restarts: self.svcs[svc].totals.retired_restarts,
            ..ServiceSample::default()
        };
        let pods = self.svcs[svc].pods.clone();
        for p in pods {
            s.restarts += self.pods[p].restarts as u64;
            let pod = &mut self.pods[p];
            let cpu_delta_us = pod.cpu_used_us - pod.cpu_at_sample_us;
            pod.cpu_at_sample_us = pod.cpu_used_us;
            if pod.state != PState::Running {
                continue;
            }
            s.cpu_cores += cpu_delta_us / 1e6 / dt;
            s.ready += pod.ready as u32;
            s.active += pod.inflight;
            if let Some(v) = self.memory_view(p) {
                let limit = self.pods[p].memory_limit_bytes;
                debug_assert!(
                    v.working_set() <= limit * (1.0 + 1e-9),
                    "working set within the limit"
                );
                s.ws = Some(s.ws.unwrap_or(0.0).max(v.working_set()));
                s.usage = Some(s.usage.unwrap_or(0.0).max(v.usage()));
                s.util = Some(s.util.unwrap_or(0.0).max(v.working_set() / limit));
            }
            if self.svcs[svc].kind == ServiceKind::GoCheckout && s.flag_seen.is_none() {
                s.flag_seen = Some(self.checkout_flag(p) as f64);
            }
            self.collect_runtime(p, &mut s);
        }
        s
    }

    /// What the pod's runtime adds to the service's sample.
    fn collect_runtime(&mut self, pod: PodId, s: &mut ServiceSample) {
        let now = self.now();
        match &mut self.pods[pod].rt {
            Rt::Go(g) => {
                let values: GoSample = [
                    g.heap.in_use,
                    g.heap.goroutines as f64,
                    g.heap.gc_count as f64,
                    g.heap.goal().min(1e15),
                    g.heap.gc_utilization(now),
                    g.producer.queued() as f64,
                    g.producer.failed_total as f64,
                    g.orders as f64,
                ];
                // Largest across pods; orders add up.
                let mut merged = s.go.unwrap_or_default();
                for (k, v) in values.iter().enumerate() {
                    merged[k] = if k == GO_ORDERS {
                        merged[k] + v
                    } else {
                        merged[k].max(*v)
                    };
                }
                s.go = Some(merged);
            }
            Rt::Node(n) => {
                let lag_ms = n.busy_until.saturating_sub(now).as_millis_f64();
                let prev = s.node.unwrap_or_default();
                s.node = Some((prev.0.max(lag_ms), prev.1 + n.conns as f64));
            }
            Rt::Py(p) => {
                let (mut bytes, mut counts, cycles) = s.py.unwrap_or_default();
                for (i, k) in LeakKind::ALL.iter().enumerate() {
                    bytes[i] += p.leaks.bytes_of(*k);
                    counts[i] += p.leaks.count_of(*k) as f64;
                }
                s.py = Some((bytes, counts, cycles + p.leaks.cyclic_garbage));
            }
            Rt::Pool(_) => {}
        }
    }

    /// Pushes the service's series and evaluates its alerts.
    fn record(&mut self, svc: SvcId, s: &ServiceSample, dt: f64) {
        let now = self.now();
        let limit = self.svcs[svc].spec.memory_limit.as_f64();
        let flag_served = self.flag_value_served(&self.svcs[svc].spec) as f64;
        let latency_window = self.sc.alerts.latency_window.0;
        let service = &mut self.svcs[svc];
        let t = &mut service.totals;
        if let Some(w) = s.ws {
            t.peak_ws_bytes = t.peak_ws_bytes.max(w);
        }
        if let Some(u) = s.util {
            t.peak_util = t.peak_util.max(u);
        }
        let st = &mut service.stats;
        let [p50, p95, p99] = st.interval.quantiles_ms([0.5, 0.95, 0.99]);
        let rate = (st.interval_ok + st.interval_failed) as f64 / dt;
        let fail_rate = st.interval_failed as f64 / dt;
        st.window.merge(&st.interval);
        let window_ended = now.saturating_sub(st.window_started) >= latency_window;
        let window_p95 = window_ended.then(|| st.window.quantile_ms(0.95)).flatten();
        if window_ended {
            st.window.clear();
            st.window_started = now;
        }
        st.interval.clear();
        st.interval_ok = 0;
        st.interval_failed = 0;
        let ids = &service.ids;
        let rec = &mut self.k.rec;
        rec.push(ids.ws, s.ws);
        rec.push(ids.usage, s.usage);
        rec.push(ids.util, s.util);
        rec.push(ids.limit, Some(limit));
        rec.push(ids.cpu, Some(s.cpu_cores));
        rec.push(ids.restarts, Some(s.restarts as f64));
        rec.push(ids.ready, Some(s.ready as f64));
        rec.push(ids.rate, Some(rate));
        rec.push(ids.fail_rate, Some(fail_rate));
        rec.push(ids.p50, p50);
        rec.push(ids.p95, p95);
        rec.push(ids.p99, p99);
        rec.push(ids.active, Some(s.active as f64));
        self.record_runtime(svc, s, flag_served);
        let input = AlertInput {
            working_set: s.ws,
            limit,
            latency_p95_ms: window_p95,
            latency_window_ended: window_ended,
            restarts: s.restarts,
        };
        self.evaluate_alerts(svc, input);
    }

    fn record_runtime(&mut self, svc: SvcId, s: &ServiceSample, flag_served: f64) {
        let ids = &self.svcs[svc].ids;
        let rec = &mut self.k.rec;
        if let Some(go) = ids.go {
            for (k, id) in go.iter().enumerate() {
                rec.push(*id, s.go.map(|v| v[k]));
            }
        }
        if let Some(id) = ids.flag_value {
            rec.push(id, s.flag_seen);
        }
        if let Some(id) = ids.flag_served {
            rec.push(id, Some(flag_served));
        }
        if let Some([lag, conns]) = ids.node {
            rec.push(lag, s.node.map(|n| n.0));
            rec.push(conns, s.node.map(|n| n.1));
        }
        if let (Some(b), Some(c)) = (ids.leak_bytes, ids.leak_count) {
            for i in 0..3 {
                rec.push(b[i], s.py.map(|p| p.0[i]));
                rec.push(c[i], s.py.map(|p| p.1[i]));
            }
        }
        if let Some(id) = ids.leak_cycles {
            rec.push(id, s.py.map(|p| p.2));
        }
    }

    /// The alert rules on the service's sample; each change to the log.
    fn evaluate_alerts(&mut self, svc: SvcId, input: AlertInput) {
        let now = self.now();
        let name = self.svcs[svc].name.clone();
        for t in self.alerts.evaluate(svc.index(), &name, now, input) {
            let (kind, reason) = if t.firing {
                (EventType::Alert, "AlertFiring")
            } else {
                (EventType::Normal, "AlertResolved")
            };
            let object = format!("alert/{}", t.rule.as_str());
            self.k.log.push(now, kind, &object, reason, t.message);
        }
    }
}
