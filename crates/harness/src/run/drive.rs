//! The run's loop: every tick, the workload's schedule and the timeline
//! (through the same `ControlPlane` operations the model uses), Locust
//! users spawned at the spawn rate, the containers watched, and a sample
//! every sample interval.

use super::load::{self, Endpoint, Load, Router};
use super::plane::{LoadControl, Op, RealPlane};
use super::record::Recorder;
use super::sample::{progress, sample};
use super::service::{supervise, Service, Watch};
use super::{admin, flagd, Halt, RunArgs, Stop, TICK};
use incident_core::control;
use incident_core::scenario::{Action, WorkloadSpec};
use incident_core::telemetry::{EventType, PodStatus};
use incident_core::units::SimTime;
use incident_core::Scenario;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Samples at least this often and at most this seldom in a real run.
const SAMPLE_EVERY_MIN: SimTime = SimTime::from_secs(1);
const SAMPLE_EVERY_MAX: SimTime = SimTime::from_secs(5);

/// A daemon that has not answered for this long is lost: the run stops.
const DAEMON_GRACE: SimTime = SimTime::from_secs(3);

/// What a finished drive leaves: the containers, the load, when the load
/// started, and what stopped it before its end (if anything did).
pub(super) type Driven = (Vec<Service>, Arc<Load>, Option<SimTime>, Option<Halt>);

pub(super) struct Drive<'a> {
    pub(super) docker: &'a bollard::Docker,
    pub(super) sc: &'a Scenario,
    pub(super) flags: flagd::Flags,
    pub(super) rec: &'a mut Recorder,
    services: Vec<Service>,
    load: Arc<Load>,
    router: Router,
    workload: Arc<WorkloadSpec>,
    timeline: Vec<Action>,
    next_action: usize,
    control: LoadControl,
    workload_started: bool,
    workload_stopped: bool,
    spawned: u32,
    spawn_credit: f64,
    last_tick: SimTime,
}

/// Where each step of the workload is sent: the service's container, or
/// `--target` for everything.
fn router(sc: &Scenario, args: &RunArgs, services: &[Service]) -> Router {
    let entry_addr = |svc: &str| -> Option<String> {
        if let Some(t) = &args.target {
            let rest = t.trim_start_matches("http://");
            return Some(rest.split('/').next().unwrap_or(rest).to_string());
        }
        services
            .iter()
            .find(|s| s.name == svc)
            .map(|s| format!("127.0.0.1:{}", s.port))
    };
    let routes: Vec<(String, Endpoint)> = sc
        .workload
        .tasks
        .iter()
        .flat_map(|t| t.steps.iter())
        .chain(sc.workload.on_start.iter())
        .filter_map(|step| {
            let (svc, _) = step.call.split_once('/')?;
            let addr = entry_addr(svc)?;
            let (method, path, body) = crate::export::http_route(&step.call, sc);
            let endpoint = Endpoint {
                addr,
                method,
                path,
                body,
            };
            Some((step.call.clone(), endpoint))
        })
        .collect();
    Arc::new(move |call: &str| {
        routes
            .iter()
            .find(|(c, _)| c == call)
            .map(|(_, e)| e.clone())
    })
}

impl<'a> Drive<'a> {
    pub(super) fn new(
        docker: &'a bollard::Docker,
        sc: &'a Scenario,
        args: &RunArgs,
        flags: flagd::Flags,
        rec: &'a mut Recorder,
        services: Vec<Service>,
    ) -> Drive<'a> {
        let mut timeline = sc.timeline.clone();
        timeline.sort_by_key(|a| a.at.0);
        Drive {
            docker,
            sc,
            flags,
            rec,
            router: router(sc, args, &services),
            services,
            load: Load::new(),
            workload: Arc::new(sc.workload.clone()),
            timeline,
            next_action: 0,
            control: LoadControl {
                spawn_rate: sc.workload.spawn_rate.max(0.01),
                started: None,
            },
            workload_started: false,
            workload_stopped: false,
            spawned: 0,
            spawn_credit: 0.0,
            last_tick: SimTime::ZERO,
        }
    }

    /// Until the scenario's end, Ctrl-C, or the loss of what it measures.
    pub(super) async fn run(mut self, stop: &mut Stop) -> Driven {
        // The clock starts when everything is up, as the model's t = 0.
        let clock = Instant::now();
        self.mark_started();
        let duration = self.sc.duration.0;
        let mut next_sample = SimTime::ZERO;
        let mut next_progress = Instant::now();
        let mut silent_since: Option<SimTime> = None;
        let halt = loop {
            if let Err(halt) = stop.during("running", tokio::time::sleep(TICK)).await {
                break Some(halt);
            }
            let t = SimTime::from_secs_f64(clock.elapsed().as_secs_f64());
            if t >= duration {
                break None;
            }
            let watch = match stop.during("running", self.step(t, &mut next_sample)).await {
                Ok(watch) => watch,
                Err(halt) => break Some(halt),
            };
            match watch {
                Watch::Fine => silent_since = None,
                Watch::Lost(what) => break Some(Halt::Lost(what)),
                Watch::DaemonSilent(why) => {
                    let since = *silent_since.get_or_insert(t);
                    if t.saturating_sub(since) >= DAEMON_GRACE {
                        break Some(self.daemon_lost(since, &why));
                    }
                }
            }
            if Instant::now() >= next_progress {
                next_progress = Instant::now() + Duration::from_secs(1);
                progress(&self.services, &self.load, t, duration);
            }
        };
        self.load.stopped.store(true, Ordering::Relaxed);
        let started = self.control.started;
        (self.services, self.load, started, halt)
    }

    /// One tick: the schedule, the containers, and a sample when one is due.
    async fn step(&mut self, t: SimTime, next_sample: &mut SimTime) -> Watch {
        let watch = self.tick(t).await;
        if let Some(started) = self.control.started {
            self.rec.load_started(started);
        }
        if t >= *next_sample {
            let every = self
                .sc
                .sample_interval
                .0
                .clamp(SAMPLE_EVERY_MIN, SAMPLE_EVERY_MAX);
            *next_sample = t.saturating_add(every);
            sample(self.docker, &mut self.services, &self.load, self.rec, t).await;
        }
        watch
    }

    fn daemon_lost(&mut self, since: SimTime, why: &str) -> Halt {
        let what = format!(
            "the Docker daemon stopped answering at {:.0} s ({why})",
            since.as_secs_f64()
        );
        let message = format!("{what}; the run stopped with what it had");
        self.rec
            .event(since, EventType::Warning, "daemon", "DaemonLost", message);
        Halt::DaemonLost(what)
    }

    fn mark_started(&mut self) {
        for s in &mut self.services {
            super::record::pod_change(&mut s.pod, SimTime::ZERO, PodStatus::Running, true, 0);
            let message = format!("Started container {}", s.name);
            self.rec.event(
                SimTime::ZERO,
                EventType::Normal,
                &s.object(),
                "Started",
                message,
            );
        }
    }

    async fn tick(&mut self, t: SimTime) -> Watch {
        self.workload_schedule(t).await;
        while self.next_action < self.timeline.len() && t >= self.timeline[self.next_action].at.0 {
            let action = self.timeline[self.next_action].clone();
            self.next_action += 1;
            let sc = self.sc;
            self.control_plane(t, |plane| control::apply(&action, sc, plane))
                .await;
        }
        self.spawn_users(t);
        supervise(self.docker, &mut self.services, self.rec, t).await
    }

    /// `workload.start_at` and `stop_at`: the same operations as the
    /// timeline's `start load` and `stop load`, once each.
    async fn workload_schedule(&mut self, t: SimTime) {
        let sc = self.sc;
        if !self.workload_started && sc.workload.start_at.is_some_and(|at| t >= at.0) {
            self.workload_started = true;
            self.control_plane(t, |plane| control::start_workload(sc, plane))
                .await;
        }
        if !self.workload_stopped && sc.workload.stop_at.is_some_and(|at| t >= at.0) {
            self.workload_stopped = true;
            self.control_plane(t, |plane| control::stop_workload(plane))
                .await;
        }
    }

    /// Runs operations on the real control plane, logs what it did, and
    /// does the work that needs Docker or a workload's admin endpoint.
    async fn control_plane(&mut self, t: SimTime, operate: impl FnOnce(&mut RealPlane<'_>)) {
        let mut plane = RealPlane {
            t,
            flags: &self.flags,
            load: &self.load,
            control: &mut self.control,
            services: &self.services,
            ops: Vec::new(),
            notes: Vec::new(),
        };
        operate(&mut plane);
        let (ops, notes) = (plane.ops, plane.notes);
        for n in notes {
            self.rec.event(t, n.kind, &n.object, n.reason, n.message);
        }
        for op in ops {
            match op {
                Op::Restart(i) => {
                    let s = &mut self.services[i];
                    let _ = self.docker.restart_container(&s.id, None).await;
                    s.started_at = t;
                }
                Op::Admin { port, path, body } => admin(port, &path, &body).await,
            }
        }
    }

    /// Users start at the spawn rate, up to the number wanted.
    fn spawn_users(&mut self, t: SimTime) {
        let wanted = self.load.users_wanted.load(Ordering::Relaxed);
        let dt = t.saturating_sub(self.last_tick).as_secs_f64();
        self.last_tick = t;
        if wanted <= self.spawned {
            self.spawn_credit = 0.0;
            // Users above the wanted count stop by themselves.
            let running = self.load.users_running.load(Ordering::Relaxed);
            self.spawned = self.spawned.min(wanted.max(running));
            return;
        }
        self.spawn_credit += dt * self.control.spawn_rate;
        while self.spawn_credit >= 1.0 && self.spawned < wanted {
            self.spawn_credit -= 1.0;
            tokio::spawn(load::user(
                self.load.clone(),
                self.spawned,
                self.workload.clone(),
                self.router.clone(),
                self.sc.seed,
            ));
            self.spawned += 1;
        }
    }
}
