//! What a timeline action means, written once. Both the model's world
//! (`crate::engine`) and a real run's control plane (the harness's Docker
//! run) implement `ControlPlane`; `apply` turns an action into calls on it,
//! so an action cannot mean one thing in the model and another for real.

use crate::scenario::{Action, ActionKind, LeakKind, LeakTarget, Scenario};

/// The operations a timeline can ask for. `text` is the action as the
/// timeline writes it, for the plane's event log.
pub trait ControlPlane {
    /// flagd's configuration: the default variant, or a variant's value.
    fn set_flag(&mut self, flag: &str, change: FlagChange<'_>, text: &str);
    fn start_load(&mut self, users: u32, spawn_rate: f64, text: &str);
    fn stop_load(&mut self, text: &str);
    fn set_users(&mut self, users: u32, spawn_rate: Option<f64>, text: &str);
    /// `kubectl rollout restart` (Docker: a container restart).
    fn restart_service(&mut self, service: &str, text: &str);
    /// flagd restarts and serves its whole configuration.
    fn restart_flagd(&mut self, text: &str);
    fn scale(&mut self, service: &str, replicas: u32, text: &str);
    fn set_limits(
        &mut self,
        service: &str,
        memory_bytes: Option<u64>,
        cpu_millicores: Option<u32>,
        text: &str,
    );
    /// `POST /admin/leaks/KIND {"enabled": …}` on the Python service.
    fn set_leak(&mut self, service: &str, kind: LeakKind, enabled: bool, text: &str);
    /// `POST /admin/leaks/clear`.
    fn clear_leak(&mut self, service: &str, target: LeakTarget, text: &str);
    /// `POST /admin/gc` (Python), `runtime.GC()` (Go).
    fn collect_garbage(&mut self, service: &str, text: &str);
    fn set_hpa(&mut self, service: &str, enabled: bool, text: &str);
}

/// A change to a flag's configuration.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum FlagChange<'a> {
    DefaultVariant(&'a str),
    VariantValue { variant: &'a str, value: i64 },
}

/// Applies one action to a plane: the only place an action's meaning is
/// written (its defaults, which operation it is).
pub fn apply(action: &Action, scenario: &Scenario, plane: &mut impl ControlPlane) {
    let text = action.kind.to_string();
    let text = text.as_str();
    match &action.kind {
        ActionKind::SetFlagVariant { flag, variant } => {
            plane.set_flag(flag, FlagChange::DefaultVariant(variant), text)
        }
        ActionKind::SetFlagValue {
            flag,
            variant,
            value,
        } => plane.set_flag(
            flag,
            FlagChange::VariantValue {
                variant,
                value: *value,
            },
            text,
        ),
        ActionKind::StartLoad { users, spawn_rate } => plane.start_load(
            users.unwrap_or(scenario.workload.users),
            spawn_rate.unwrap_or(scenario.workload.spawn_rate),
            text,
        ),
        ActionKind::StopLoad => plane.stop_load(text),
        ActionKind::SetUsers { users, spawn_rate } => plane.set_users(*users, *spawn_rate, text),
        ActionKind::Restart { service } if service == FLAGD => plane.restart_flagd(text),
        ActionKind::Restart { service } => plane.restart_service(service, text),
        ActionKind::Scale { service, replicas } => plane.scale(service, *replicas, text),
        ActionKind::SetLimit {
            service,
            memory,
            cpu_millicores,
        } => plane.set_limits(service, *memory, *cpu_millicores, text),
        ActionKind::Leak {
            service,
            kind,
            enabled,
        } => plane.set_leak(service, *kind, *enabled, text),
        ActionKind::Clear { service, target } => plane.clear_leak(service, *target, text),
        ActionKind::Gc { service } => plane.collect_garbage(service, text),
        ActionKind::Hpa { service, enabled } => plane.set_hpa(service, *enabled, text),
    }
}

/// `workload.start_at`: the same operation as `start load`, with the
/// workload's users and spawn rate.
pub fn start_workload(scenario: &Scenario, plane: &mut impl ControlPlane) {
    let w = &scenario.workload;
    plane.start_load(w.users, w.spawn_rate, "start load");
}

/// `workload.stop_at`: the same operation as `stop load`.
pub fn stop_workload(plane: &mut impl ControlPlane) {
    plane.stop_load("stop load");
}

/// The flag daemon's name in a timeline (`restart flagd`).
pub const FLAGD: &str = "flagd";

#[cfg(test)]
mod tests {
    use super::*;

    /// Records the calls it gets, to see what each action means.
    #[derive(Default)]
    struct Log(Vec<String>);

    impl ControlPlane for Log {
        fn set_flag(&mut self, flag: &str, change: FlagChange<'_>, _: &str) {
            self.0.push(format!("flag {flag} {change:?}"));
        }
        fn start_load(&mut self, users: u32, rate: f64, _: &str) {
            self.0.push(format!("start {users} at {rate}"));
        }
        fn stop_load(&mut self, _: &str) {
            self.0.push("stop".into());
        }
        fn set_users(&mut self, users: u32, rate: Option<f64>, _: &str) {
            self.0.push(format!("users {users} {rate:?}"));
        }
        fn restart_service(&mut self, s: &str, _: &str) {
            self.0.push(format!("restart {s}"));
        }
        fn restart_flagd(&mut self, _: &str) {
            self.0.push("restart flagd".into());
        }
        fn scale(&mut self, s: &str, n: u32, _: &str) {
            self.0.push(format!("scale {s} {n}"));
        }
        fn set_limits(&mut self, s: &str, m: Option<u64>, c: Option<u32>, _: &str) {
            self.0.push(format!("limits {s} {m:?} {c:?}"));
        }
        fn set_leak(&mut self, s: &str, k: LeakKind, on: bool, _: &str) {
            self.0.push(format!("leak {s} {k:?} {on}"));
        }
        fn clear_leak(&mut self, s: &str, t: LeakTarget, _: &str) {
            self.0.push(format!("clear {s} {t:?}"));
        }
        fn collect_garbage(&mut self, s: &str, _: &str) {
            self.0.push(format!("gc {s}"));
        }
        fn set_hpa(&mut self, s: &str, on: bool, _: &str) {
            self.0.push(format!("hpa {s} {on}"));
        }
    }

    #[test]
    fn each_action_means_one_operation_with_the_scenarios_defaults() {
        let mut sc = crate::presets::load("checkout-spike").unwrap();
        sc.workload.users = 50;
        sc.workload.spawn_rate = 5.0;
        let mut log = Log::default();
        for text in [
            "start load",
            "start load 20 at 2/s",
            "restart flagd",
            "restart checkout",
            "set flag kafkaQueueProblems on",
            "gc checkout",
        ] {
            let action = Action::parse(&format!("1s {text}")).unwrap();
            apply(&action, &sc, &mut log);
        }
        assert_eq!(
            log.0,
            [
                "start 50 at 5",
                "start 20 at 2",
                "restart flagd",
                "restart checkout",
                "flag kafkaQueueProblems DefaultVariant(\"on\")",
                "gc checkout",
            ]
        );
    }
}
