//! Feature flags as flagd serves them, and when a service sees a change:
//! a change to the configuration is served after flagd's propagation delay
//! (or its restart); a checkout that caches the flag at start-up keeps the
//! value it started with.

use super::ids::PodId;
use super::pods::Rt;
use super::{Ev, World};
use crate::scenario::{FlagCache, FlagSpec, FlagdReload, ServiceSpec};
use crate::telemetry::EventType;

pub(super) struct FlagState {
    pub(super) name: String,
    /// The flag as its configuration says.
    pub(super) config: FlagSpec,
    /// The flag as flagd answers evaluations now.
    pub(super) served: FlagSpec,
}

impl World {
    pub(super) fn flag_index(&self, name: &str) -> Option<usize> {
        self.flags.iter().position(|f| f.name == name)
    }

    /// What flagd answers for a checkout's flag (0 for other services).
    pub(super) fn flag_value_served(&self, spec: &ServiceSpec) -> i64 {
        let Some(c) = &spec.checkout else { return 0 };
        self.flag_index(&c.flag)
            .map(|i| self.flags[i].served.value())
            .unwrap_or(0)
    }

    /// The flag value a checkout pod acts on.
    pub(super) fn checkout_flag(&self, pod: PodId) -> i64 {
        let p = &self.pods[pod];
        let spec = &self.svcs[p.svc].spec;
        let cache = spec
            .checkout
            .as_ref()
            .map(|c| c.flag_cache)
            .unwrap_or_default();
        match (&p.rt, cache) {
            (Rt::Go(g), FlagCache::Startup) => g.flag_cached,
            _ => self.flag_value_served(spec),
        }
    }

    /// The configuration changed: say so, and serve it after the delay.
    pub(super) fn flag_changed(&mut self, flag: usize, text: String) {
        let now = self.now();
        let f = &self.flags[flag];
        let message = format!(
            "{text} (config: {}={}, served until reload: {})",
            f.name,
            f.config.value(),
            f.served.value()
        );
        self.k
            .log
            .push(now, EventType::Action, "flagd", "FlagChanged", message);
        if self.sc.flagd.reload == FlagdReload::Watch {
            let at = now + self.sc.flagd.propagation_delay.0;
            self.k
                .schedule(at, Ev::FlagdPropagate { flag: flag as u16 });
        }
    }

    pub(super) fn on_flagd_propagate(&mut self, flag: u16) {
        let f = &mut self.flags[flag as usize];
        f.served = f.config.clone();
        let msg = format!(
            "flagd now serves {}={} ({})",
            f.name,
            f.served.value(),
            f.served.default_variant
        );
        let now = self.now();
        self.k
            .log
            .push(now, EventType::Normal, "flagd", "ConfigReloaded", msg);
    }

    /// flagd restarted: it serves its whole configuration at once.
    pub(super) fn restart_flagd(&mut self) {
        for f in &mut self.flags {
            f.served = f.config.clone();
        }
        self.k.log.push(
            self.now(),
            EventType::Action,
            "flagd",
            "Restarted",
            "flagd restarted and reloaded its configuration".into(),
        );
    }
}
