//! Seed 004's leaky Python service: three classic leaks, each retaining
//! bytes per request, and what `tracemalloc` would show about them.
//!
//! * cache: an unbounded dict of responses; `clear` frees it at once
//!   (reference counting).
//! * listeners: closures appended to an event bus on every request. They
//!   sit in reference cycles, so `clear` only makes them garbage: the
//!   memory returns at the next full collection (`gc`). Every request also
//!   calls every listener, so latency grows with the leak.
//! * history: a list of full request records; `clear` frees it at once.
//!
//! pymalloc keeps a share of freed memory mapped (arena fragmentation).

use crate::scenario::{LeakKind, LeakTarget, PythonSpec};
use serde::Serialize;

#[derive(Clone, Debug, Default)]
pub struct PythonLeaks {
    pub enabled: [bool; 3],
    pub bytes: [f64; 3],
    pub count: [u64; 3],
    /// Cleared listeners waiting for a full collection.
    pub cyclic_garbage: f64,
    /// Freed memory pymalloc still holds.
    pub fragmentation_retained: f64,
}

fn index(kind: LeakKind) -> usize {
    match kind {
        LeakKind::Cache => 0,
        LeakKind::Listeners => 1,
        LeakKind::History => 2,
    }
}

/// CPU to call one leaked listener on every request.
pub const LISTENER_CALL_MICROS: f64 = 0.4;

impl PythonLeaks {
    pub fn new(spec: &PythonSpec) -> PythonLeaks {
        PythonLeaks {
            enabled: [
                spec.cache_enabled,
                spec.listeners_enabled,
                spec.history_enabled,
            ],
            ..PythonLeaks::default()
        }
    }

    pub fn set_enabled(&mut self, kind: LeakKind, on: bool) {
        self.enabled[index(kind)] = on;
    }

    pub fn is_enabled(&self, kind: LeakKind) -> bool {
        self.enabled[index(kind)]
    }

    pub fn bytes_of(&self, kind: LeakKind) -> f64 {
        self.bytes[index(kind)]
    }

    pub fn count_of(&self, kind: LeakKind) -> u64 {
        self.count[index(kind)]
    }

    /// One `/api/data` request: each enabled leak keeps its share. Returns
    /// the extra CPU micros the request spends calling leaked listeners.
    pub fn on_request(&mut self, spec: &PythonSpec) -> f64 {
        let per_request = [
            spec.cache_bytes_per_request.as_f64(),
            spec.listener_bytes_per_request.as_f64(),
            spec.history_bytes_per_request.as_f64(),
        ];
        for (i, bytes) in per_request.iter().enumerate() {
            if self.enabled[i] {
                self.bytes[i] += bytes;
                self.count[i] += 1;
            }
        }
        self.count[1] as f64 * LISTENER_CALL_MICROS
    }

    /// `POST /admin/leaks/clear`.
    pub fn clear(&mut self, target: LeakTarget, spec: &PythonSpec) {
        let kinds: &[LeakKind] = match target {
            LeakTarget::All => &LeakKind::ALL,
            LeakTarget::One(LeakKind::Cache) => &[LeakKind::Cache],
            LeakTarget::One(LeakKind::Listeners) => &[LeakKind::Listeners],
            LeakTarget::One(LeakKind::History) => &[LeakKind::History],
        };
        for &kind in kinds {
            let i = index(kind);
            let freed = self.bytes[i];
            self.bytes[i] = 0.0;
            self.count[i] = 0;
            if kind == LeakKind::Listeners {
                self.cyclic_garbage += freed;
            } else {
                self.free(freed, spec);
            }
        }
    }

    fn free(&mut self, bytes: f64, spec: &PythonSpec) {
        self.fragmentation_retained += bytes * spec.fragmentation;
    }

    /// `POST /admin/gc` (or the interpreter's own full collection).
    /// Returns the bytes collected.
    pub fn collect(&mut self, spec: &PythonSpec) -> f64 {
        let collected = self.cyclic_garbage;
        self.cyclic_garbage = 0.0;
        self.free(collected, spec);
        collected
    }

    /// Resident memory of the process.
    pub fn resident(&self, spec: &PythonSpec) -> f64 {
        spec.baseline_memory.as_f64()
            + self.bytes.iter().sum::<f64>()
            + self.cyclic_garbage
            + self.fragmentation_retained
    }

    /// The restarted process starts clean (but with the leaks' switches as
    /// configured).
    pub fn reset(&mut self, spec: &PythonSpec) {
        *self = PythonLeaks::new(spec);
    }

    /// `tracemalloc` top allocation sites by size, largest first.
    pub fn top_sites(&self, spec: &PythonSpec) -> Vec<AllocationSite> {
        let baseline = spec.baseline_memory.as_f64();
        let per_request = [
            spec.cache_bytes_per_request.as_f64(),
            spec.listener_bytes_per_request.as_f64(),
            spec.history_bytes_per_request.as_f64(),
        ];
        let mut sites = vec![
            AllocationSite::new(
                "<frozen importlib._bootstrap_external>:729",
                baseline * 0.22,
                41_200,
            ),
            AllocationSite::new("site-packages/pydantic/main.py:212", baseline * 0.05, 3_100),
            AllocationSite::new(
                "site-packages/starlette/routing.py:77",
                baseline * 0.02,
                860,
            ),
            AllocationSite::new("main.py:96 (orjson.dumps(payload))", 48.0 * 1024.0, 12),
        ];
        let leak_sites = [
            "main.py:58 (response_cache[request_id] = payload)",
            "main.py:71 (event_bus.listeners.append(on_event))",
            "main.py:84 (request_history.append(record))",
        ];
        // Each leaked item is a few objects (dict entry, payload, strings).
        let objects_per_item = [3, 2, 4];
        for i in 0..3 {
            if self.bytes[i] > 0.0 {
                let count = self.count[i] * objects_per_item[i];
                let _ = per_request[i];
                sites.push(AllocationSite::new(leak_sites[i], self.bytes[i], count));
            }
        }
        if self.cyclic_garbage > 0.0 {
            sites.push(AllocationSite::new(
                "main.py:66 (def on_event(evt): ...)  [unreachable cycles]",
                self.cyclic_garbage,
                (self.cyclic_garbage / per_request[1].max(1.0)) as u64 * 2,
            ));
        }
        sites.sort_by(|a, b| b.size_bytes.total_cmp(&a.size_bytes));
        sites
    }
}

/// One line of a tracemalloc snapshot grouped by line.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AllocationSite {
    pub site: String,
    pub size_bytes: f64,
    pub count: u64,
}

impl AllocationSite {
    fn new(site: &str, size_bytes: f64, count: u64) -> AllocationSite {
        AllocationSite {
            site: site.to_string(),
            size_bytes,
            count,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> PythonSpec {
        PythonSpec {
            cache_enabled: true,
            ..PythonSpec::default()
        }
    }

    #[test]
    fn memory_grows_in_proportion_to_requests() {
        let s = spec();
        let mut leaks = PythonLeaks::new(&s);
        let base = leaks.resident(&s);
        for _ in 0..1000 {
            leaks.on_request(&s);
        }
        let after_1000 = leaks.resident(&s) - base;
        for _ in 0..1000 {
            leaks.on_request(&s);
        }
        let after_2000 = leaks.resident(&s) - base;
        assert!((after_2000 / after_1000 - 2.0).abs() < 1e-9);
        assert_eq!(leaks.count_of(LeakKind::Cache), 2000);
    }

    #[test]
    fn clear_frees_the_cache_but_listeners_need_gc() {
        let mut s = spec();
        s.listeners_enabled = true;
        let mut leaks = PythonLeaks::new(&s);
        let base = leaks.resident(&s);
        for _ in 0..5000 {
            leaks.on_request(&s);
        }
        leaks.clear(LeakTarget::All, &s);
        let after_clear = leaks.resident(&s);
        assert!(
            after_clear > base + 5000.0 * 3000.0 * 0.9,
            "listeners still resident"
        );
        leaks.collect(&s);
        let after_gc = leaks.resident(&s);
        assert!(after_gc - base < 0.05 * (after_clear - base + 5000.0 * 10240.0));
        assert!(after_gc >= base);
    }

    #[test]
    fn listeners_make_requests_slower() {
        let mut s = spec();
        s.listeners_enabled = true;
        let mut leaks = PythonLeaks::new(&s);
        let first = leaks.on_request(&s);
        for _ in 0..10_000 {
            leaks.on_request(&s);
        }
        assert!(leaks.on_request(&s) > first * 1000.0);
    }

    #[test]
    fn top_site_is_the_leak() {
        let s = spec();
        let mut leaks = PythonLeaks::new(&s);
        for _ in 0..20_000 {
            leaks.on_request(&s);
        }
        let sites = leaks.top_sites(&s);
        assert!(sites[0].site.contains("response_cache"), "{:?}", sites[0]);
    }
}
