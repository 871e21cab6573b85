//! Multi-worker back ends (Sock Shop's catalogue, carts, orders …): a pool
//! of workers sharing the CPU limit, and a bounded queue.

use super::ids::Slot;
use super::pods::Rt;
use super::requests::Fail;
use super::{Ev, Rid, World};
use crate::units::SimTime;
use std::collections::VecDeque;

#[derive(Default)]
pub(super) struct PoolPod {
    pub(super) busy: u32,
    pub(super) queue: VecDeque<Slot>,
}

impl World {
    pub(super) fn pool_arrive(&mut self, slot: Slot) {
        let r = self.reqs.slots[slot];
        let pod = r.pod;
        let svc = self.pods[pod].svc;
        let mem = self.svcs[svc].routes[r.route.index()].memory_bytes;
        let pool = self.svcs[svc].spec.pool.clone().expect("normalized");
        self.charge_mem(slot, mem);
        if self.check_oom(pod) {
            return;
        }
        let Rt::Pool(state) = &mut self.pods[pod].rt else {
            return;
        };
        if state.busy < pool.workers {
            self.pool_start(slot);
        } else if (state.queue.len() as u32) < pool.queue_limit {
            state.queue.push_back(slot);
        } else {
            self.reply(slot, Err(Fail::Refused));
        }
    }

    /// A worker takes the request: its wait, and its CPU at the pool's share
    /// of the limit (slower while the page cache is squeezed).
    fn pool_start(&mut self, slot: Slot) {
        let r = self.reqs.slots[slot];
        let pod = r.pod;
        let svc = self.pods[pod].svc;
        let route = &self.svcs[svc].routes[r.route.index()];
        let (cpu_us, wait_s, sigma) = (route.cpu_us, route.wait_s, route.sigma);
        let cores = self.svcs[svc]
            .spec
            .cpu_limit
            .map(|c| c.cores())
            .unwrap_or(f64::INFINITY);
        let thrash = self.thrash_factor(pod);
        let Rt::Pool(state) = &mut self.pods[pod].rt else {
            return;
        };
        state.busy += 1;
        let speed = (cores / state.busy as f64).min(1.0);
        let wait = if wait_s > 0.0 {
            self.k.rng.latency.lognormal(wait_s, sigma)
        } else {
            0.0
        };
        let service = wait + cpu_us / 1e6 / speed * thrash;
        self.pods[pod].cpu_used_us += cpu_us;
        let at = self.now() + SimTime::from_secs_f64(service);
        self.k.schedule(at, Ev::WorkDone { slot, rid: r.rid });
    }

    /// A worker (pool) or the interpreter (Python) finished a request.
    pub(super) fn on_work_done(&mut self, slot: Slot, rid: Rid) {
        let Some(r) = self.request(slot, rid) else {
            return;
        };
        match &mut self.pods[r.pod].rt {
            Rt::Pool(state) => {
                state.busy = state.busy.saturating_sub(1);
                let next = state.queue.pop_front();
                self.reply(slot, Ok(()));
                if let Some(next) = next {
                    if self.reqs.slots[next].live {
                        self.pool_start(next);
                    }
                }
            }
            Rt::Py(_) => self.reply(slot, Ok(())),
            _ => {}
        }
    }
}
