//! Timeline actions applied to the model's world: the world is a
//! `ControlPlane` (`crate::control`), which says what each action means.

use super::ids::SvcId;
use super::pods::Rt;
use super::World;
use crate::control::{self, ControlPlane, FlagChange};
use crate::scenario::{LeakKind, LeakTarget};
use crate::telemetry::EventType;
use crate::units::{format_bytes_human, Bytes, Millicores};

impl World {
    pub(super) fn on_action(&mut self, index: u16) {
        let action = self.sc.timeline[index as usize].clone();
        let scenario = self.sc.clone();
        control::apply(&action, &scenario, self);
    }

    fn svc_by_name(&self, name: &str) -> Option<SvcId> {
        self.svcs.ids().find(|&s| self.svcs[s].name == name)
    }

    /// An action on a service, logged against it.
    fn service_event(&mut self, object: String, reason: &str, message: String) {
        let now = self.now();
        self.k
            .log
            .push(now, EventType::Action, &object, reason, message);
    }
}

impl ControlPlane for World {
    fn set_flag(&mut self, flag: &str, change: FlagChange<'_>, text: &str) {
        let Some(i) = self.flag_index(flag) else {
            return;
        };
        let config = &mut self.flags[i].config;
        match change {
            FlagChange::DefaultVariant(v) => config.default_variant = v.to_string(),
            FlagChange::VariantValue { variant, value } => {
                config.variants.insert(variant.to_string(), value);
            }
        }
        self.flag_changed(i, text.to_string());
    }

    fn start_load(&mut self, users: u32, spawn_rate: f64, _text: &str) {
        World::start_load(self, users, spawn_rate);
    }

    fn stop_load(&mut self, _text: &str) {
        World::stop_load(self);
    }

    fn set_users(&mut self, users: u32, spawn_rate: Option<f64>, text: &str) {
        World::set_users(self, users, spawn_rate, text.to_string());
    }

    fn restart_service(&mut self, service: &str, _text: &str) {
        if let Some(svc) = self.svc_by_name(service) {
            let why = format!("kubectl rollout restart deployment {service}");
            self.rollout(svc, &why);
        }
    }

    fn restart_flagd(&mut self, _text: &str) {
        World::restart_flagd(self);
    }

    fn scale(&mut self, service: &str, replicas: u32, _text: &str) {
        if let Some(svc) = self.svc_by_name(service) {
            self.scale_to(svc, replicas, "kubectl scale");
        }
    }

    fn set_limits(
        &mut self,
        service: &str,
        memory_bytes: Option<u64>,
        cpu_millicores: Option<u32>,
        text: &str,
    ) {
        let Some(svc) = self.svc_by_name(service) else {
            return;
        };
        let spec = &mut self.svcs[svc].spec;
        if let Some(m) = memory_bytes {
            spec.memory_limit = Bytes(m);
        }
        if let Some(c) = cpu_millicores {
            spec.cpu_limit = Some(Millicores(c));
        }
        self.rollout(svc, &format!("kubectl set resources: {text}"));
    }

    fn set_leak(&mut self, service: &str, kind: LeakKind, enabled: bool, _text: &str) {
        let Some(svc) = self.svc_by_name(service) else {
            return;
        };
        for &pod in &self.svcs[svc].pods {
            if let Rt::Py(py) = &mut self.pods[pod].rt {
                py.leaks.set_enabled(kind, enabled);
            }
        }
        // New containers start with the leak as it is now.
        if let Some(py) = self.svcs[svc].spec.python.as_mut() {
            match kind {
                LeakKind::Cache => py.cache_enabled = enabled,
                LeakKind::Listeners => py.listeners_enabled = enabled,
                LeakKind::History => py.history_enabled = enabled,
            }
        }
        let message = format!(
            "POST /admin/leaks/{} {{\"enabled\": {enabled}}}",
            kind.as_str()
        );
        self.service_event(format!("service/{service}"), "LeakToggled", message);
    }

    fn clear_leak(&mut self, service: &str, target: LeakTarget, text: &str) {
        let Some(svc) = self.svc_by_name(service) else {
            return;
        };
        let spec = self.svcs[svc].spec.python.clone().unwrap_or_default();
        for &pod in &self.svcs[svc].pods {
            if let Rt::Py(py) = &mut self.pods[pod].rt {
                py.leaks.clear(target, &spec);
            }
        }
        let message = format!("POST /admin/leaks/clear ({text})");
        self.service_event(format!("service/{service}"), "LeakCleared", message);
    }

    fn collect_garbage(&mut self, service: &str, _text: &str) {
        let Some(svc) = self.svc_by_name(service) else {
            return;
        };
        let spec = self.svcs[svc].spec.python.clone().unwrap_or_default();
        let now = self.now();
        let mut collected = 0.0;
        for &pod in &self.svcs[svc].pods {
            match &mut self.pods[pod].rt {
                Rt::Py(py) => collected += py.leaks.collect(&spec),
                Rt::Go(g) => g.heap.collect(now),
                _ => {}
            }
        }
        let message = format!("gc: collected {}", format_bytes_human(collected));
        self.service_event(format!("service/{service}"), "GarbageCollected", message);
    }

    fn set_hpa(&mut self, service: &str, enabled: bool, text: &str) {
        if let Some(svc) = self.svc_by_name(service) {
            self.svcs[svc].hpa_on = enabled;
            let object = format!("horizontalpodautoscaler/{service}");
            self.service_event(object, "HpaToggled", text.to_string());
        }
    }
}
