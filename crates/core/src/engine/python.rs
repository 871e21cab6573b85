//! The Python leaky service: one interpreter thread under the CPU limit,
//! and seed 004's leaks (`model::python`).

use super::ids::Slot;
use super::pods::Rt;
use super::{Ev, World};
use crate::model::python::PythonLeaks;
use crate::scenario::PythonSpec;
use crate::units::SimTime;

pub(super) struct PyPod {
    pub(super) leaks: PythonLeaks,
    pub(super) busy_until: SimTime,
    pub(super) next_auto_gc: SimTime,
}

impl PyPod {
    pub(super) fn new(spec: &PythonSpec, now: SimTime) -> PyPod {
        PyPod {
            leaks: PythonLeaks::new(spec),
            busy_until: now,
            next_auto_gc: now + spec.auto_gc_interval.0,
        }
    }
}

impl World {
    pub(super) fn python_arrive(&mut self, slot: Slot) {
        let r = self.reqs.slots[slot];
        let pod = r.pod;
        let svc = self.pods[pod].svc;
        let route = &self.svcs[svc].routes[r.route.index()];
        let (cpu_us, wait_s, sigma, mem) =
            (route.cpu_us, route.wait_s, route.sigma, route.memory_bytes);
        let extra_cpu = match &mut self.pods[pod].rt {
            Rt::Py(py) => py
                .leaks
                .on_request(self.svcs[svc].spec.python.as_ref().expect("normalized")),
            _ => 0.0,
        };
        self.charge_mem(slot, mem);
        if self.check_oom(pod) {
            return;
        }
        let now = self.now();
        let work = (cpu_us + extra_cpu) as u64;
        let p = &mut self.pods[pod];
        let Rt::Py(py) = &mut p.rt else { return };
        let start = py.busy_until.max(now);
        let end = p.cfs.finish(start, work);
        py.busy_until = end;
        p.cpu_used_us += work as f64;
        let wait = if wait_s > 0.0 {
            self.k.rng.latency.lognormal(wait_s, sigma)
        } else {
            0.0
        };
        let at = end + SimTime::from_secs_f64(wait);
        self.k.schedule(at, Ev::WorkDone { slot, rid: r.rid });
    }
}
