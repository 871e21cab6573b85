//! Requests as the servers see them: a slot per in-flight request (it
//! outlives a client that gave up), the reply, and the runtime it goes to.

use super::ids::{PodId, RouteId, Slot, Table, UserId};
use super::pods::{PState, Rt};
use super::{Cgen, Rid, Ugen, World};
use crate::units::SimTime;

/// Why a request failed, as Locust's failure column names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Fail {
    Timeout,
    Connect,
    Reset,
    Deadline,
    Refused,
    Slow,
    Backend,
}

impl Fail {
    pub(super) const COUNT: usize = 7;
    pub(super) const NAMES: [&'static str; Fail::COUNT] = [
        "timeout", "connect", "reset", "deadline", "refused", "slow", "backend",
    ];

    pub(super) fn index(self) -> usize {
        self as usize
    }
}

/// Who waits for a request: a Locust user, or the Node request that made
/// this back-end call.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Caller {
    User { user: UserId, gen: Ugen },
    Node { slot: Slot, rid: Rid },
}

/// A request as the server sees it (it outlives a client that gave up).
#[derive(Clone, Copy)]
pub(super) struct Request {
    pub(super) rid: Rid,
    pub(super) live: bool,
    pub(super) pod: PodId,
    pub(super) cgen: Cgen,
    pub(super) route: RouteId,
    pub(super) caller: Caller,
    pub(super) start: SimTime,
    /// How far the runtime got (checkout: 0 downstream, 1 publishing, 2 done).
    pub(super) stage: u8,
    /// The next back-end call of a Node request.
    pub(super) call_idx: u8,
    pub(super) memory_bytes: f64,
}

/// Every request slot, and the free ones.
pub(super) struct Requests {
    pub(super) slots: Table<Slot, Request>,
    free: Vec<Slot>,
    next_rid: Rid,
}

/// Slots at most: users plus their back-end calls.
const MAX_SLOTS: usize = crate::scenario::MAX_USERS as usize * 8;

impl Requests {
    pub(super) fn new() -> Requests {
        Requests {
            slots: Table::default(),
            free: Vec::new(),
            next_rid: 1,
        }
    }

    /// A slot for a new request; `None` when every slot is taken.
    fn alloc(&mut self, make: impl FnOnce(Rid) -> Request) -> Option<Slot> {
        let rid = self.next_rid;
        self.next_rid = self.next_rid.wrapping_add(1).max(1);
        let req = make(rid);
        match self.free.pop() {
            Some(s) => {
                debug_assert!(!self.slots[s].live, "a free slot is not in use");
                self.slots[s] = req;
                Some(s)
            }
            None if self.slots.len() >= MAX_SLOTS => None,
            None => Some(self.slots.push(req)),
        }
    }

    fn release(&mut self, slot: Slot) {
        debug_assert!(self.slots[slot].live);
        self.slots[slot].live = false;
        self.free.push(slot);
    }

    /// Live slots on a pod (a dying container fails them all).
    fn on_pod(&self, pod: PodId) -> Vec<Slot> {
        self.slots
            .ids()
            .filter(|&s| self.slots[s].live && self.slots[s].pod == pod)
            .collect()
    }
}

impl World {
    /// A request arriving at `pod`; `None` when there is no slot left.
    pub(super) fn new_request(
        &mut self,
        pod: PodId,
        route: RouteId,
        caller: Caller,
    ) -> Option<Slot> {
        let (cgen, start) = (self.pods[pod].cgen, self.now());
        let slot = self.reqs.alloc(|rid| Request {
            rid,
            live: true,
            pod,
            cgen,
            route,
            caller,
            start,
            stage: 0,
            call_idx: 0,
            memory_bytes: 0.0,
        })?;
        self.pods[pod].inflight += 1;
        Some(slot)
    }

    /// The request in `slot` if it is still `rid`'s and its container lives.
    pub(super) fn request(&self, slot: Slot, rid: Rid) -> Option<Request> {
        let r = self.reqs.slots[slot];
        if !r.live || r.rid != rid {
            return None;
        }
        let p = &self.pods[r.pod];
        if p.cgen != r.cgen || p.state != PState::Running {
            return None;
        }
        Some(r)
    }

    /// Memory a request holds on its pod while it is served.
    pub(super) fn charge_mem(&mut self, slot: Slot, bytes: f64) {
        let r = &mut self.reqs.slots[slot];
        r.memory_bytes += bytes;
        let pod = r.pod;
        self.pods[pod].inflight_mem_bytes += bytes;
    }

    fn free_request(&mut self, slot: Slot) {
        let r = self.reqs.slots[slot];
        if !r.live {
            return;
        }
        self.reqs.release(slot);
        let p = &mut self.pods[r.pod];
        if p.cgen == r.cgen {
            p.inflight = p.inflight.saturating_sub(1);
            p.inflight_mem_bytes = (p.inflight_mem_bytes - r.memory_bytes).max(0.0);
        }
    }

    /// The server finished (or failed) a request: record it, answer the caller.
    pub(super) fn reply(&mut self, slot: Slot, outcome: Result<(), Fail>) {
        let r = self.reqs.slots[slot];
        if !r.live {
            return;
        }
        let svc = self.pods[r.pod].svc;
        let latency = self.now().saturating_sub(r.start);
        self.svcs[svc].record_reply(latency, outcome.is_ok());
        self.free_request(slot);
        match r.caller {
            Caller::User { user, gen } => self.resolve(user, gen, outcome),
            Caller::Node { slot, rid } => self.node_backend_done(slot, rid, outcome.is_ok()),
        }
    }

    /// A container died: every request it was serving is reset.
    pub(super) fn fail_requests_on(&mut self, pod: PodId) {
        for slot in self.reqs.on_pod(pod) {
            self.reply(slot, Err(Fail::Reset));
        }
    }

    /// A request reaches its pod's runtime.
    pub(super) fn arrive(&mut self, slot: Slot) {
        let pod = self.reqs.slots[slot].pod;
        match self.pods[pod].rt {
            Rt::Go(_) => self.checkout_arrive(slot),
            Rt::Node(_) => self.node_arrive(slot),
            Rt::Pool(_) => self.pool_arrive(slot),
            Rt::Py(_) => self.python_arrive(slot),
        }
    }
}
