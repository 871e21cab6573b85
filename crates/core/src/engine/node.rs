//! The Node front end: one event loop under a CFS quota (its work slows as
//! V8's heap grows), back-end calls in turn, open connections and the
//! file-descriptor limit.

use super::ids::{PodId, Slot};
use super::pods::{Exit, Rt};
use super::requests::{Caller, Fail, Request};
use super::{Ev, Rid, World};
use crate::units::SimTime;

/// Descriptors a Node process holds besides its sockets (files, pipes).
const BASE_DESCRIPTORS: u32 = 20;

pub(super) struct NodePod {
    pub(super) busy_until: SimTime,
    pub(super) conns: u32,
    pub(super) backend_sockets: u32,
}

impl NodePod {
    pub(super) fn new(now: SimTime) -> NodePod {
        NodePod {
            busy_until: now,
            conns: 0,
            backend_sockets: 0,
        }
    }
}

impl World {
    /// How much longer the loop's work takes with a bigger heap (V8's GC).
    fn node_gc_factor(&self, pod: PodId) -> f64 {
        let p = &self.pods[pod];
        let node = self.svcs[p.svc].spec.node.as_ref().expect("normalized");
        let Rt::Node(n) = &p.rt else { return 1.0 };
        let heap = p.inflight_mem_bytes + n.conns as f64 * node.memory_per_connection.as_f64();
        1.0 + heap / node.gc_heap_scale.as_f64()
    }

    /// Queues CPU work on the event loop, behind whatever is already there.
    fn node_enqueue(&mut self, slot: Slot, cpu_us: f64, after: bool) {
        let r = self.reqs.slots[slot];
        let pod = r.pod;
        let work = (cpu_us * self.node_gc_factor(pod)) as u64;
        let now = self.now();
        let p = &mut self.pods[pod];
        let Rt::Node(n) = &mut p.rt else { return };
        let start = n.busy_until.max(now);
        let end = p.cfs.finish(start, work);
        n.busy_until = end;
        p.cpu_used_us += work as f64;
        let ev = Ev::NodeJob {
            slot,
            rid: r.rid,
            after,
        };
        self.k.schedule(end, ev);
    }

    pub(super) fn node_arrive(&mut self, slot: Slot) {
        let r = self.reqs.slots[slot];
        let pod = r.pod;
        let svc = self.pods[pod].svc;
        let route = &self.svcs[svc].routes[r.route.index()];
        let (mem, cpu) = (route.memory_bytes, route.cpu_us);
        self.charge_mem(slot, mem);
        if self.node_fd_check(pod) || self.check_oom(pod) {
            return;
        }
        self.node_enqueue(slot, cpu, false);
    }

    /// Past its descriptor limit an unhandled EMFILE takes the process down.
    fn node_fd_check(&mut self, pod: PodId) -> bool {
        let p = &self.pods[pod];
        let limit = self.svcs[p.svc]
            .spec
            .node
            .as_ref()
            .expect("normalized")
            .fd_limit;
        let Rt::Node(n) = &p.rt else { return false };
        let open = n.conns + n.backend_sockets + BASE_DESCRIPTORS;
        if open > limit {
            self.kill(
                pod,
                Exit::Crash("Error: EMFILE: too many open files (unhandled 'error' event)"),
            );
            return true;
        }
        false
    }

    pub(super) fn on_node_job(&mut self, slot: Slot, rid: Rid, after: bool) {
        let Some(r) = self.request(slot, rid) else {
            return;
        };
        if after {
            self.reply(slot, Ok(()));
            return;
        }
        self.node_next_call(slot, r);
    }

    /// The request's next back-end call, or, when there is none, its last
    /// CPU work and the reply.
    fn node_next_call(&mut self, slot: Slot, r: Request) {
        let svc = self.pods[r.pod].svc;
        let route = &self.svcs[svc].routes[r.route.index()];
        let Some(&(target, target_route)) = route.calls.get(r.call_idx as usize) else {
            let (after, buffered) = (route.cpu_after_us, route.memory_after_bytes);
            self.node_finish(slot, r.pod, after, buffered);
            return;
        };
        if let Rt::Node(n) = &mut self.pods[r.pod].rt {
            n.backend_sockets += 1;
        }
        if self.node_fd_check(r.pod) {
            return;
        }
        let caller = Caller::Node { slot, rid: r.rid };
        let call = self
            .pick_pod(target)
            .and_then(|bpod| self.new_request(bpod, target_route, caller));
        match call {
            Some(bslot) => self.arrive(bslot),
            None => self.node_backend_done(slot, r.rid, false),
        }
    }

    /// Every back end answered: buffer the response, render it, reply.
    fn node_finish(&mut self, slot: Slot, pod: PodId, after_us: f64, buffered_bytes: f64) {
        if buffered_bytes > 0.0 {
            self.charge_mem(slot, buffered_bytes);
            if self.check_oom(pod) {
                return;
            }
        }
        if after_us > 0.0 {
            self.node_enqueue(slot, after_us, true);
        } else {
            self.reply(slot, Ok(()));
        }
    }

    /// A back end answered (or failed) the Node request in `slot`.
    pub(super) fn node_backend_done(&mut self, slot: Slot, rid: Rid, ok: bool) {
        let Some(r) = self.request(slot, rid) else {
            return;
        };
        if let Rt::Node(n) = &mut self.pods[r.pod].rt {
            n.backend_sockets = n.backend_sockets.saturating_sub(1);
        }
        if !ok {
            self.reply(slot, Err(Fail::Backend));
            return;
        }
        self.reqs.slots[slot].call_idx += 1;
        let r = self.reqs.slots[slot];
        self.node_next_call(slot, r);
    }
}
