//! The load generator (Locust-like): users spawned at a rate, each picking
//! weighted tasks and thinking between them; requests with client and
//! connect timeouts; which pod a request goes to (keep-alive for Node).

use super::ids::{PodId, RouteId, SvcId, Table, UserId};
use super::kernel::Lane;
use super::pods::{PState, Rt};
use super::requests::{Caller, Fail};
use super::{Cgen, Ev, Ugen, World};
use crate::histogram::Histogram;
use crate::metrics as m;
use crate::rng::Rng;
use crate::scenario::ServiceKind;
use crate::telemetry::{EventType, Recorder, SeriesId};
use crate::units::SimTime;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// One request of a task: a route, maybe repeated, maybe failed when slow.
pub(super) struct Step {
    pub(super) svc: SvcId,
    pub(super) route: RouteId,
    pub(super) repeat: Option<(u32, u32)>,
    pub(super) slow: Option<SimTime>,
}

pub(super) struct Task {
    pub(super) steps: Vec<Step>,
}

#[derive(Clone)]
pub(super) struct User {
    /// The user's own draws (`Rng::for_user`): the same on the real load
    /// generator, so both sides run the same tasks with the same pauses.
    pub(super) rng: Rng,
    pub(super) active: bool,
    pub(super) stopping: bool,
    pub(super) waiting: bool,
    pub(super) gen: Ugen,
    pub(super) task: u16,
    pub(super) step: u16,
    pub(super) repeats_left: u32,
    pub(super) in_on_start: bool,
    pub(super) req_start: SimTime,
    pub(super) slow_limit: Option<SimTime>,
    /// The pod a keep-alive connection is open to, and its container.
    pub(super) conn: Option<(PodId, Cgen)>,
}

impl User {
    fn new(rng: Rng) -> User {
        User {
            rng,
            active: false,
            stopping: false,
            waiting: false,
            gen: 0,
            task: 0,
            step: 0,
            repeats_left: 0,
            in_on_start: false,
            req_start: SimTime::ZERO,
            slow_limit: None,
            conn: None,
        }
    }
}

/// Locust's view: every response, failures included.
#[derive(Default)]
pub(super) struct ClientStats {
    pub(super) issued: u64,
    pub(super) ok: u64,
    pub(super) failed: u64,
    pub(super) latency_all: Histogram,
    pub(super) latency_ok: Histogram,
    /// Since the last sample.
    pub(super) interval: Histogram,
    pub(super) interval_ok: u64,
    pub(super) interval_failed: u64,
    pub(super) failures: [u64; Fail::COUNT],
}

impl ClientStats {
    /// Requests issued are answered, failed or still in flight.
    fn conserved(&self) -> bool {
        self.ok + self.failed <= self.issued
    }
}

pub(super) struct ClientIds {
    pub(super) users: SeriesId,
    pub(super) rate: SeriesId,
    pub(super) fail_rate: SeriesId,
    pub(super) p50: SeriesId,
    pub(super) p95: SeriesId,
    pub(super) p99: SeriesId,
}

impl ClientIds {
    pub(super) fn register(rec: &mut Recorder, cap: usize) -> ClientIds {
        let mut add = |metric: &m::Metric| rec.add_metric(metric, m::LOAD_GENERATOR, cap);
        ClientIds {
            users: add(&m::LOCUST_USERS),
            rate: add(&m::LOCUST_REQUEST_RATE),
            fail_rate: add(&m::LOCUST_FAILURE_RATE),
            p50: add(&m::LOCUST_P50),
            p95: add(&m::LOCUST_P95),
            p99: add(&m::LOCUST_P99),
        }
    }
}

/// The load generator's state.
pub(super) struct Load {
    pub(super) running: bool,
    pub(super) target: u32,
    pub(super) spawn_rate: f64,
    pub(super) active: u32,
    pub(super) spawn_pending: bool,
    pub(super) started_at: Option<SimTime>,
    pub(super) running_since: Option<SimTime>,
    pub(super) running_seconds: f64,
    pub(super) users: Table<UserId, User>,
    /// Stopped users' numbers: the next user takes the lowest.
    pub(super) free: BinaryHeap<Reverse<UserId>>,
    pub(super) tasks: Vec<Task>,
    pub(super) task_weights: Vec<u32>,
    pub(super) task_total: u64,
    pub(super) on_start: Vec<Step>,
    pub(super) client: ClientStats,
    pub(super) client_ids: ClientIds,
    /// When each SYN of a connect is sent, from the connect (`model::tcp`).
    pub(super) syn_sends: Vec<SimTime>,
    /// When the kernel gives a connect up.
    pub(super) syn_give_up: SimTime,
}

impl Load {
    fn current_step(&self, user: UserId) -> &Step {
        let u = &self.users[user];
        if u.in_on_start {
            &self.on_start[u.step as usize]
        } else {
            &self.tasks[u.task as usize].steps[u.step as usize]
        }
    }

    fn steps_len(&self, user: UserId) -> usize {
        let u = &self.users[user];
        if u.in_on_start {
            self.on_start.len()
        } else {
            self.tasks[u.task as usize].steps.len()
        }
    }
}

impl World {
    pub(super) fn on_load_start(&mut self) {
        let sc = self.sc.clone();
        crate::control::start_workload(&sc, self);
    }

    pub(super) fn on_load_stop(&mut self) {
        crate::control::stop_workload(self);
    }

    pub(super) fn start_load(&mut self, users: u32, rate: f64) {
        let now = self.now();
        if !self.load.running {
            self.load.running_since = Some(now);
        }
        self.load.running = true;
        self.load.target = users;
        self.load.spawn_rate = rate;
        self.load.started_at.get_or_insert(now);
        self.k.log.push(
            now,
            EventType::Action,
            m::LOAD_GENERATOR,
            "LoadStarted",
            format!("Ramping to {users} users at a rate of {rate} per second"),
        );
        self.stop_extra_users();
        self.ensure_spawning();
    }

    pub(super) fn stop_load(&mut self) {
        if let Some(since) = self.load.running_since.take() {
            self.load.running_seconds += self.now().saturating_sub(since).as_secs_f64();
        }
        self.load.running = false;
        self.load.target = 0;
        self.k.log.push(
            self.now(),
            EventType::Action,
            m::LOAD_GENERATOR,
            "LoadStopped",
            "Stopping all users".into(),
        );
        self.stop_extra_users();
    }

    /// A new user count (and spawn rate) while the load runs.
    pub(super) fn set_users(&mut self, users: u32, spawn_rate: Option<f64>, text: String) {
        if let Some(r) = spawn_rate {
            self.load.spawn_rate = r;
        }
        self.load.target = users;
        self.k.log.push(
            self.now(),
            EventType::Action,
            m::LOAD_GENERATOR,
            "LoadChanged",
            text,
        );
        self.stop_extra_users();
        self.ensure_spawning();
    }

    /// The lowest-numbered `target` users run on and the rest stop, as
    /// the real load generator's user `i` runs while `i` is below the
    /// target: the most recently started stop first, and a user still
    /// finishing its request when the target rises again carries on.
    fn stop_extra_users(&mut self) {
        let mut keep = self.load.target;
        for i in 0..self.load.users.len() {
            let user = UserId::from_index(i);
            let u = &mut self.load.users[user];
            if !u.active {
                continue;
            }
            if keep > 0 {
                keep -= 1;
                u.stopping = false;
            } else if u.waiting {
                u.stopping = true;
            } else if !u.stopping {
                self.deactivate(user);
            }
        }
    }

    fn deactivate(&mut self, user: UserId) {
        let u = &mut self.load.users[user];
        if !u.active {
            return;
        }
        u.active = false;
        u.stopping = false;
        u.gen = u.gen.wrapping_add(1);
        let conn = u.conn.take();
        debug_assert!(self.load.active > 0, "an active user is counted");
        self.load.active -= 1;
        self.load.free.push(Reverse(user));
        if let Some((pod, cgen)) = conn {
            self.drop_connection(pod, cgen);
        }
    }

    fn drop_connection(&mut self, pod: PodId, cgen: Cgen) {
        let p = &mut self.pods[pod];
        if p.cgen == cgen {
            if let Rt::Node(n) = &mut p.rt {
                n.conns = n.conns.saturating_sub(1);
            }
        }
    }

    fn ensure_spawning(&mut self) {
        if self.load.running && self.load.active < self.load.target && !self.load.spawn_pending {
            self.load.spawn_pending = true;
            self.k.schedule(self.now(), Ev::SpawnUser);
        }
    }

    pub(super) fn on_spawn_user(&mut self) {
        self.load.spawn_pending = false;
        if !self.load.running || self.load.active >= self.load.target {
            return;
        }
        // The lowest free number, as the real generator numbers a new user.
        let seed = self.sc.seed;
        let user = match self.load.free.pop() {
            // A user started again under a number starts that number's draws
            // afresh, as the real load generator's new user of that number does.
            Some(Reverse(u)) => {
                self.load.users[u].rng = Rng::for_user(seed, u.0);
                u
            }
            None => {
                let number = self.load.users.len() as u32;
                self.load.users.push(User::new(Rng::for_user(seed, number)))
            }
        };
        self.load.active += 1;
        let u = &mut self.load.users[user];
        u.active = true;
        u.stopping = false;
        u.waiting = false;
        u.gen = u.gen.wrapping_add(1);
        if !self.load.on_start.is_empty() {
            let u = &mut self.load.users[user];
            u.in_on_start = true;
            u.step = 0;
            self.load.users[user].repeats_left = self.draw_repeats(user);
            self.issue(user);
        } else {
            self.next_task(user);
        }
        if self.load.active < self.load.target {
            self.load.spawn_pending = true;
            let gap = SimTime::from_secs_f64(1.0 / self.load.spawn_rate.max(1e-3));
            self.k.schedule(self.now() + gap, Ev::SpawnUser);
        }
    }

    pub(super) fn on_user_wake(&mut self, user: UserId, gen: Ugen) {
        let u = &self.load.users[user];
        if !u.active || u.waiting || u.gen != gen {
            return;
        }
        if u.stopping {
            self.deactivate(user);
            return;
        }
        self.next_task(user);
    }

    fn next_task(&mut self, user: UserId) {
        let u = &mut self.load.users[user];
        let task = u
            .rng
            .weighted(&self.load.task_weights, self.load.task_total);
        u.in_on_start = false;
        u.task = task as u16;
        u.step = 0;
        if self.load.tasks[task].steps.is_empty() {
            self.think(user);
            return;
        }
        self.load.users[user].repeats_left = self.draw_repeats(user);
        self.issue(user);
    }

    fn draw_repeats(&mut self, user: UserId) -> u32 {
        match self.load.current_step(user).repeat {
            Some((low, high)) => {
                low + self.load.users[user].rng.below((high - low + 1) as u64) as u32
            }
            None => 1,
        }
    }

    fn think(&mut self, user: UserId) {
        if self.load.users[user].stopping || !self.load.running {
            self.deactivate(user);
            return;
        }
        let tt = &self.sc.workload.think_time;
        let u = &mut self.load.users[user];
        let wait = u.rng.uniform(tt.min.as_secs_f64(), tt.max.as_secs_f64());
        let gen = u.gen;
        self.k.schedule(
            self.now() + SimTime::from_secs_f64(wait),
            Ev::UserWake { user, gen },
        );
    }

    /// Sends the user's current step: to a ready pod, or a connect failure.
    fn issue(&mut self, user: UserId) {
        let now = self.now();
        let slow = self.load.current_step(user).slow;
        let gen = {
            let u = &mut self.load.users[user];
            u.gen = u.gen.wrapping_add(1);
            u.waiting = true;
            u.req_start = now;
            u.slow_limit = slow;
            u.gen
        };
        self.load.client.issued += 1;
        let pod = self.choose_pod(user);
        let (timeout, connect) = (
            self.sc.workload.request_timeout.0,
            self.sc.workload.connect_timeout.0,
        );
        let resend = pod.is_none() && self.sc.workload.syn_retransmit;
        // Without a ready pod the connection fails first (when the connect
        // timeout is the shorter one); otherwise the client timeout runs. A
        // connect whose SYNs are resent starts it once a pod answers.
        if !resend && (pod.is_some() || connect >= timeout) {
            self.k.schedule_lane(
                Lane::ClientTimeout,
                now + timeout,
                Ev::ClientTimeout { user, gen },
            );
        }
        match pod {
            None if resend => self.next_syn(user, gen, 0),
            None => self.k.schedule_lane(
                Lane::Connect,
                now + connect,
                Ev::ConnectFailed { user, gen },
            ),
            Some(pod) => self.send(user, gen, pod),
        }
    }

    /// The pod the user's current step goes to, if one is ready (or holds
    /// the user's keep-alive connection).
    fn choose_pod(&mut self, user: UserId) -> Option<PodId> {
        let svc = self.load.current_step(user).svc;
        if self.svcs[svc].kind == ServiceKind::NodeFrontend {
            self.sticky_pod(user, svc)
        } else {
            self.pick_pod(svc)
        }
    }

    /// The request reaches `pod`: a slot and its runtime, or a refusal.
    fn send(&mut self, user: UserId, gen: Ugen, pod: PodId) {
        let route = self.load.current_step(user).route;
        match self.new_request(pod, route, Caller::User { user, gen }) {
            Some(slot) => self.arrive(slot),
            None => self.resolve(user, gen, Err(Fail::Refused)),
        }
    }

    /// After SYN number `sent` went unanswered: the next one on Linux's
    /// schedule, or the connect's failure when the next would come after
    /// the client gives up.
    fn next_syn(&mut self, user: UserId, gen: Ugen, sent: u8) {
        let start = self.load.users[user].req_start;
        let wait = self.sc.workload.connect_timeout.0;
        let give_up = start + wait.min(self.load.syn_give_up);
        let next = self.load.syn_sends.get(sent as usize + 1);
        let next = next.map(|&t| start + t);
        match next {
            Some(at) if at < give_up => self.k.schedule(
                at,
                Ev::SynResend {
                    user,
                    gen,
                    sent: sent + 1,
                },
            ),
            _ => self.k.schedule(give_up, Ev::ConnectFailed { user, gen }),
        }
    }

    /// A SYN sent again: a ready pod answers it and the request goes, with
    /// the client timeout from now; else the next SYN.
    pub(super) fn on_syn_resend(&mut self, user: UserId, gen: Ugen, sent: u8) {
        let u = &self.load.users[user];
        if !u.active || !u.waiting || u.gen != gen {
            return;
        }
        let Some(pod) = self.choose_pod(user) else {
            self.next_syn(user, gen, sent);
            return;
        };
        let at = self.now() + self.sc.workload.request_timeout.0;
        self.k
            .schedule_lane(Lane::ClientTimeout, at, Ev::ClientTimeout { user, gen });
        self.send(user, gen, pod);
    }

    /// A resolved request: the user's statistics, then the next step.
    pub(super) fn resolve(&mut self, user: UserId, gen: Ugen, outcome: Result<(), Fail>) {
        let now = self.now();
        let u = &mut self.load.users[user];
        if !u.waiting || u.gen != gen || !u.active {
            return;
        }
        u.waiting = false;
        let latency = now.saturating_sub(u.req_start);
        let outcome = match (outcome, u.slow_limit) {
            (Ok(()), Some(limit)) if latency > limit => Err(Fail::Slow),
            (o, _) => o,
        };
        self.count_response(latency, outcome);
        self.next_step(user);
    }

    fn count_response(&mut self, latency: SimTime, outcome: Result<(), Fail>) {
        let c = &mut self.load.client;
        // Connection failures have no response time worth a percentile;
        // everything else is a response, as Locust counts it.
        if outcome != Err(Fail::Connect) {
            c.latency_all.record(latency.0);
            c.interval.record(latency.0);
        }
        match outcome {
            Ok(()) => {
                c.ok += 1;
                c.interval_ok += 1;
                c.latency_ok.record(latency.0);
            }
            Err(f) => {
                c.failed += 1;
                c.interval_failed += 1;
                c.failures[f.index()] += 1;
            }
        }
        debug_assert!(c.conserved(), "requests are conserved");
    }

    /// After a response: the same step again, the next one, or think.
    fn next_step(&mut self, user: UserId) {
        let u = &mut self.load.users[user];
        if u.stopping {
            self.deactivate(user);
            return;
        }
        if u.repeats_left > 1 {
            u.repeats_left -= 1;
            self.issue(user);
            return;
        }
        u.step += 1;
        if (u.step as usize) < self.load.steps_len(user) {
            self.load.users[user].repeats_left = self.draw_repeats(user);
            self.issue(user);
        } else if self.load.users[user].in_on_start {
            self.next_task(user);
        } else {
            self.think(user);
        }
    }

    /// A ready pod of the service, chosen uniformly (kube-proxy's random
    /// mode); `None` when no pod is ready.
    pub(super) fn pick_pod(&mut self, svc: SvcId) -> Option<PodId> {
        let pods = &self.svcs[svc].pods;
        let ready = pods.iter().filter(|&&p| self.pods[p].ready).count();
        let k = crate::model::routing::pick(ready, &mut self.k.rng.routing)?;
        pods.iter().copied().filter(|&p| self.pods[p].ready).nth(k)
    }

    /// Keep-alive: a user's connection stays on its pod while that
    /// container lives, ready or not (kube-proxy balances connections).
    fn sticky_pod(&mut self, user: UserId, svc: SvcId) -> Option<PodId> {
        let conn = self.load.users[user].conn;
        if let Some((pod, cgen)) = conn {
            let p = &self.pods[pod];
            if p.cgen == cgen && p.state == PState::Running && p.svc == svc {
                return Some(pod);
            }
        }
        let pod = self.pick_pod(svc)?;
        let cgen_new = self.pods[pod].cgen;
        if let Some((old, cgen)) = conn {
            self.drop_connection(old, cgen);
        }
        if let Rt::Node(n) = &mut self.pods[pod].rt {
            n.conns += 1;
        }
        self.load.users[user].conn = Some((pod, cgen_new));
        Some(pod)
    }
}
