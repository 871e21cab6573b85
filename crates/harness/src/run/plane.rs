//! The real run's control plane: what a timeline action does to real
//! containers. `incident_core::control::apply` says which operation an
//! action is, for the model and for this plane alike; this file only says
//! how each operation is done for real. Operations that need the network
//! are queued and done by the run's loop; the rest happen at once.

use super::flagd;
use super::load::{Load, MAX_USERS};
use super::service::Service;
use incident_core::control::{ControlPlane, FlagChange};
use incident_core::metrics::LOAD_GENERATOR;
use incident_core::scenario::{LeakKind, LeakTarget};
use incident_core::telemetry::EventType;
use incident_core::units::SimTime;
use std::sync::atomic::Ordering;

/// Spawn rates below this would never start a user.
const MIN_SPAWN_RATE: f64 = 0.01;

/// Work that needs Docker or a workload's admin endpoint.
pub(super) enum Op {
    /// `docker restart` of a service's container, by its index.
    Restart(usize),
    /// `POST path body` to a workload.
    Admin {
        port: u16,
        path: String,
        body: String,
    },
}

/// An event the plane logs for what it did (or could not do).
pub(super) struct Note {
    pub(super) kind: EventType,
    pub(super) object: String,
    pub(super) reason: &'static str,
    pub(super) message: String,
}

/// The load generator's controls, which the loop reads every tick.
pub(super) struct LoadControl {
    pub(super) spawn_rate: f64,
    pub(super) started: Option<SimTime>,
}

pub(super) struct RealPlane<'a> {
    pub(super) t: SimTime,
    pub(super) flags: &'a flagd::Flags,
    pub(super) load: &'a Load,
    pub(super) control: &'a mut LoadControl,
    pub(super) services: &'a [Service],
    pub(super) ops: Vec<Op>,
    pub(super) notes: Vec<Note>,
}

impl RealPlane<'_> {
    fn note(&mut self, kind: EventType, object: &str, reason: &'static str, message: String) {
        self.notes.push(Note {
            kind,
            object: object.to_string(),
            reason,
            message,
        });
    }

    fn done(&mut self, object: &str, reason: &'static str, message: String) {
        self.note(EventType::Action, object, reason, message);
    }

    fn not_supported(&mut self, text: &str, why: &str) {
        let message = format!("{text}: not supported in a real run ({why}); skipped");
        self.note(EventType::Warning, "timeline", "NotSupported", message);
    }

    fn service(&self, name: &str) -> Option<usize> {
        self.services.iter().position(|s| s.name == name)
    }

    /// A service this run drives, or a note that it has none.
    fn driven(&mut self, name: &str, text: &str) -> Option<usize> {
        let found = self.service(name);
        if found.is_none() {
            self.not_supported(text, "the service is only modelled");
        }
        found
    }

    fn want_users(&mut self, users: u32) {
        self.load
            .users_wanted
            .store(users.min(MAX_USERS), Ordering::Relaxed);
    }

    fn admin(&mut self, index: usize, path: String, body: String) {
        let port = self.services[index].port;
        self.ops.push(Op::Admin { port, path, body });
    }
}

impl ControlPlane for RealPlane<'_> {
    fn set_flag(&mut self, flag: &str, change: FlagChange<'_>, text: &str) {
        {
            let mut flags = self.flags.lock().unwrap_or_else(|e| e.into_inner());
            let Some(f) = flags.get_mut(flag) else {
                drop(flags);
                return self.not_supported(text, "no such flag");
            };
            match change {
                FlagChange::DefaultVariant(v) => f.default_variant = v.to_string(),
                FlagChange::VariantValue { variant, value } => {
                    f.variants.insert(variant.to_string(), value);
                }
            }
        }
        self.done(&format!("flag/{flag}"), "FlagChanged", text.to_string());
    }

    fn start_load(&mut self, users: u32, spawn_rate: f64, _text: &str) {
        self.control.spawn_rate = spawn_rate.max(MIN_SPAWN_RATE);
        self.control.started.get_or_insert(self.t);
        self.want_users(users);
        let message = format!("Ramping to {users} users at a rate of {spawn_rate} per second");
        self.done(LOAD_GENERATOR, "LoadStarted", message);
    }

    fn stop_load(&mut self, _text: &str) {
        self.want_users(0);
        self.done(LOAD_GENERATOR, "LoadStopped", "Stopping all users".into());
    }

    fn set_users(&mut self, users: u32, spawn_rate: Option<f64>, text: &str) {
        if let Some(r) = spawn_rate {
            self.control.spawn_rate = r.max(MIN_SPAWN_RATE);
        }
        self.want_users(users);
        self.done(LOAD_GENERATOR, "LoadChanged", text.to_string());
    }

    fn restart_service(&mut self, service: &str, text: &str) {
        if let Some(i) = self.driven(service, text) {
            self.ops.push(Op::Restart(i));
            let message = format!("docker restart {} ({text})", self.services[i].id);
            self.done(&format!("deployment/{service}"), "Restarted", message);
        }
    }

    fn restart_flagd(&mut self, text: &str) {
        // The run's flagd serves every change at once: nothing to reload.
        let message = format!("{text}: the run's flagd already serves its configuration");
        self.done("deployment/flagd", "FlagdRestarted", message);
    }

    fn scale(&mut self, _service: &str, _replicas: u32, text: &str) {
        self.not_supported(text, "one container per service");
    }

    fn set_limits(&mut self, _: &str, _: Option<u64>, _: Option<u32>, text: &str) {
        self.not_supported(text, "limits are set when the container is created");
    }

    fn set_leak(&mut self, service: &str, kind: LeakKind, enabled: bool, text: &str) {
        if let Some(i) = self.driven(service, text) {
            let path = format!("/admin/leaks/{}", kind.as_str());
            let body = format!("{{\"enabled\": {enabled}}}");
            let message = format!("POST {path} {body}");
            self.admin(i, path, body);
            self.done(&format!("service/{service}"), "LeakToggled", message);
        }
    }

    fn clear_leak(&mut self, service: &str, target: LeakTarget, text: &str) {
        if let Some(i) = self.driven(service, text) {
            let which = match target {
                LeakTarget::One(k) => k.as_str(),
                LeakTarget::All => "all",
            };
            let body = format!("{{\"leak_type\": \"{which}\"}}");
            self.admin(i, "/admin/leaks/clear".into(), body);
            let message = format!("POST /admin/leaks/clear ({text})");
            self.done(&format!("service/{service}"), "LeakCleared", message);
        }
    }

    fn collect_garbage(&mut self, service: &str, text: &str) {
        if let Some(i) = self.driven(service, text) {
            self.admin(i, "/admin/gc".into(), "{}".into());
            let message = format!("POST /admin/gc ({text})");
            self.done(&format!("service/{service}"), "GarbageCollected", message);
        }
    }

    fn set_hpa(&mut self, _service: &str, _enabled: bool, text: &str) {
        self.not_supported(text, "no autoscaler runs beside the containers");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use incident_core::control;
    use incident_core::scenario::Action;
    use std::sync::{Arc, Mutex};

    /// Applies timeline lines to a plane over one service, `leaky` on 9000.
    fn apply(lines: &[&str]) -> (Vec<Note>, Vec<Op>, flagd::Flags, Arc<Load>, LoadControl) {
        let sc = incident_core::presets::load("checkout-spike").unwrap();
        let flags: flagd::Flags = Arc::new(Mutex::new(sc.flags.clone()));
        let load = Load::new();
        let spec = sc.services["checkout"].clone();
        let services = vec![Service::new("leaky", &spec, "c0ffee".into(), 9000, "run")];
        let mut control = LoadControl {
            spawn_rate: 1.0,
            started: None,
        };
        let mut plane = RealPlane {
            t: SimTime::from_secs(3),
            flags: &flags,
            load: &load,
            control: &mut control,
            services: &services,
            ops: Vec::new(),
            notes: Vec::new(),
        };
        for line in lines {
            let action = Action::parse(&format!("3s {line}")).unwrap();
            control::apply(&action, &sc, &mut plane);
        }
        let (notes, ops) = (plane.notes, plane.ops);
        (notes, ops, flags, load, control)
    }

    #[test]
    fn each_action_is_done_for_real_or_said_to_be_skipped() {
        let (notes, ops, flags, load, control) = apply(&[
            "set flag kafkaQueueProblems on",
            "start load 40 at 4/s",
            "leak leaky cache on",
            "scale leaky 3",
            "gc nowhere",
        ]);
        let reasons: Vec<&str> = notes.iter().map(|n| n.reason).collect();
        assert_eq!(
            reasons,
            [
                "FlagChanged",
                "LoadStarted",
                "LeakToggled",
                "NotSupported",
                "NotSupported"
            ]
        );
        let flags = flags.lock().unwrap();
        assert_eq!(flags["kafkaQueueProblems"].default_variant, "on");
        assert_eq!(load.users_wanted.load(Ordering::Relaxed), 40);
        assert_eq!(control.spawn_rate, 4.0);
        assert_eq!(control.started, Some(SimTime::from_secs(3)));
        assert!(
            notes[3].message.contains("scale leaky 3"),
            "{}",
            notes[3].message
        );
        assert_eq!(notes[3].kind, EventType::Warning);
        match ops.as_slice() {
            [Op::Admin { port, path, body }] => {
                assert_eq!((*port, path.as_str()), (9000, "/admin/leaks/cache"));
                assert_eq!(body, "{\"enabled\": true}");
            }
            _ => panic!("one admin call expected"),
        }
    }

    #[test]
    fn the_workloads_own_schedule_is_start_and_stop_load() {
        let sc = incident_core::presets::load("checkout-spike").unwrap();
        let flags: flagd::Flags = Arc::new(Mutex::new(sc.flags.clone()));
        let load = Load::new();
        let mut control = LoadControl {
            spawn_rate: 1.0,
            started: None,
        };
        let mut plane = RealPlane {
            t: SimTime::ZERO,
            flags: &flags,
            load: &load,
            control: &mut control,
            services: &[],
            ops: Vec::new(),
            notes: Vec::new(),
        };
        control::start_workload(&sc, &mut plane);
        assert_eq!(
            plane.load.users_wanted.load(Ordering::Relaxed),
            sc.workload.users.min(MAX_USERS)
        );
        control::stop_workload(&mut plane);
        assert_eq!(plane.load.users_wanted.load(Ordering::Relaxed), 0);
        let reasons: Vec<&str> = plane.notes.iter().map(|n| n.reason).collect();
        assert_eq!(reasons, ["LoadStarted", "LoadStopped"]);
    }
}
