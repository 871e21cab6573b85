//! A service: its spec compiled for the hot path, its pods, its counters
//! and the series it records.

use super::ids::{PodId, RouteId, SvcId};
use crate::histogram::Histogram;
use crate::metrics as m;
use crate::scenario::{ServiceKind, ServiceSpec};
use crate::telemetry::{Recorder, SeriesId};
use crate::units::SimTime;
use std::collections::VecDeque;

/// A route's numbers, as the runtimes read them on every request.
pub(super) struct Route {
    pub(super) cpu_us: f64,
    pub(super) cpu_after_us: f64,
    pub(super) wait_s: f64,
    pub(super) sigma: f64,
    /// Back-end calls a Node front end makes, in order.
    pub(super) calls: Vec<(SvcId, RouteId)>,
    pub(super) memory_bytes: f64,
    pub(super) memory_after_bytes: f64,
}

/// The series a service records. Runtime series exist only for their kind.
#[derive(Default)]
pub(super) struct SvcSeries {
    pub(super) ws: SeriesId,
    pub(super) usage: SeriesId,
    pub(super) util: SeriesId,
    pub(super) limit: SeriesId,
    pub(super) cpu: SeriesId,
    pub(super) restarts: SeriesId,
    pub(super) ready: SeriesId,
    pub(super) rate: SeriesId,
    pub(super) fail_rate: SeriesId,
    pub(super) p50: SeriesId,
    pub(super) p95: SeriesId,
    pub(super) p99: SeriesId,
    pub(super) active: SeriesId,
    /// heap_alloc, goroutines, gc count, gc goal, gc cpu, producer queue,
    /// producer errors, orders: in `GoSample`'s order.
    pub(super) go: Option<[SeriesId; 8]>,
    /// What flagd answers for the service's flag (the seed-002 `curl`), and
    /// the value checkout acts on.
    pub(super) flag_served: Option<SeriesId>,
    pub(super) flag_value: Option<SeriesId>,
    /// Event-loop lag and open connections.
    pub(super) node: Option<[SeriesId; 2]>,
    pub(super) leak_bytes: Option<[SeriesId; 3]>,
    pub(super) leak_count: Option<[SeriesId; 3]>,
    pub(super) leak_cycles: Option<SeriesId>,
}

impl SvcSeries {
    /// Registers the service's series, in a fixed order (the trace's).
    pub(super) fn register(
        rec: &mut Recorder,
        kind: ServiceKind,
        name: &str,
        cap: usize,
    ) -> SvcSeries {
        let mut add = |metric: &m::Metric| rec.add_metric(metric, name, cap);
        let mut ids = SvcSeries {
            ws: add(&m::WORKING_SET),
            usage: add(&m::MEMORY_USAGE),
            util: add(&m::MEMORY_UTILIZATION),
            limit: add(&m::MEMORY_LIMIT),
            cpu: add(&m::CPU_USAGE),
            restarts: add(&m::RESTARTS),
            ready: add(&m::PODS_AVAILABLE),
            rate: add(&m::SERVER_REQUEST_RATE),
            fail_rate: add(&m::SERVER_FAILURE_RATE),
            p50: add(&m::SERVER_P50),
            p95: add(&m::SERVER_P95),
            p99: add(&m::SERVER_P99),
            active: add(&m::SERVER_ACTIVE),
            ..SvcSeries::default()
        };
        match kind {
            ServiceKind::GoCheckout => {
                ids.go = Some([
                    add(&m::GO_HEAP_ALLOC),
                    add(&m::GO_GOROUTINES),
                    add(&m::GO_GC_COUNT),
                    add(&m::GO_GC_GOAL),
                    add(&m::GO_GC_CPU),
                    add(&m::KAFKA_PRODUCER_QUEUE),
                    add(&m::KAFKA_PRODUCER_ERRORS),
                    add(&m::ORDERS),
                ]);
                ids.flag_value = Some(add(&m::FLAG_SEEN));
                ids.flag_served = Some(add(&m::FLAG_SERVED));
            }
            ServiceKind::NodeFrontend => {
                ids.node = Some([add(&m::NODE_LOOP_LAG), add(&m::OPEN_CONNECTIONS)]);
            }
            ServiceKind::PythonLeaky => {
                ids.leak_bytes = Some([
                    add(&m::LEAK_CACHE_BYTES),
                    add(&m::LEAK_LISTENERS_BYTES),
                    add(&m::LEAK_HISTORY_BYTES),
                ]);
                ids.leak_count = Some([
                    add(&m::LEAK_CACHE_ENTRIES),
                    add(&m::LEAK_LISTENERS),
                    add(&m::LEAK_HISTORY_RECORDS),
                ]);
                ids.leak_cycles = Some(add(&m::LEAK_CYCLES_BYTES));
            }
            ServiceKind::WorkerPool => {}
        }
        ids
    }
}

/// A checkout's knobs as plain numbers, read on every request.
#[derive(Clone, Copy, Default)]
pub(super) struct CheckoutNumbers {
    pub(super) kafka_configured: bool,
    pub(super) downstream_s: f64,
    pub(super) downstream_sigma: f64,
    pub(super) deadline: SimTime,
    pub(super) goroutine_stack_bytes: f64,
    /// Heap one blocked fan-out goroutine keeps: message copy and sudog.
    pub(super) waiter_live_bytes: f64,
    pub(super) request_live_bytes: f64,
    pub(super) request_garbage_bytes: f64,
    pub(super) message_garbage_bytes: f64,
}

/// What a service counts between two samples, and over the alert window.
#[derive(Default)]
pub(super) struct ServerStats {
    /// Latency of the requests finished since the last sample.
    pub(super) interval: Histogram,
    pub(super) interval_ok: u64,
    pub(super) interval_failed: u64,
    /// Server latency over the current alert window.
    pub(super) window: Histogram,
    pub(super) window_started: SimTime,
}

/// What happened to a service over the whole run, for the summary.
#[derive(Default)]
pub(super) struct ServiceTotals {
    pub(super) first_oom: Option<SimTime>,
    pub(super) oom_kills: u64,
    pub(super) crashes: u64,
    pub(super) liveness_kills: u64,
    /// Restarts of pods already deleted (a deployment's count keeps them).
    pub(super) retired_restarts: u64,
    pub(super) peak_ws_bytes: f64,
    pub(super) peak_util: f64,
}

pub(super) struct Svc {
    pub(super) name: String,
    pub(super) kind: ServiceKind,
    pub(super) spec: ServiceSpec,
    pub(super) checkout: CheckoutNumbers,
    pub(super) routes: Vec<Route>,
    pub(super) pods: Vec<PodId>,
    pub(super) hpa_on: bool,
    /// The HPA's recent recommendations, for scale-down stabilization.
    pub(super) hpa_recs: VecDeque<(SimTime, u32)>,
    pub(super) stats: ServerStats,
    pub(super) totals: ServiceTotals,
    pub(super) ids: SvcSeries,
}

impl Svc {
    /// Threads a runtime has for CPU: one event loop, GOMAXPROCS, workers.
    pub(super) fn threads(spec: &ServiceSpec) -> u32 {
        match spec.kind {
            ServiceKind::NodeFrontend | ServiceKind::PythonLeaky => 1,
            ServiceKind::GoCheckout => spec.go.as_ref().map(|g| g.gomaxprocs).unwrap_or(2),
            ServiceKind::WorkerPool => spec.pool.as_ref().map(|p| p.workers).unwrap_or(8),
        }
    }

    /// A finished request, counted for the next sample and the alert window.
    pub(super) fn record_reply(&mut self, latency: SimTime, ok: bool) {
        self.stats.interval.record(latency.0);
        if ok {
            self.stats.interval_ok += 1;
        } else {
            self.stats.interval_failed += 1;
        }
    }
}
