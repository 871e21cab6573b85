//! Feature flags and flagd, the service that serves them.

use super::decode::FLAGD_RELOADS;
use super::spec::{choice, duration, each, int, text, MIN};
use crate::units::{Dur, SimTime};
use serde::Serialize;
use std::collections::BTreeMap;

spec! {
    /// A flagd flag: named variants and the default one served.
    #[derive(Clone, Debug, PartialEq, Serialize)]
    pub struct FlagSpec {
        variants: BTreeMap<String, i64> = required,
            each(int(0.0, 5_000.0, "flag variant value").log());
        default_variant: String = required, text("the variant flagd serves");
    }
}

impl FlagSpec {
    pub fn value(&self) -> i64 {
        self.variants
            .get(&self.default_variant)
            .copied()
            .unwrap_or(0)
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FlagdReload {
    /// flagd watches its config: a change is served after `propagation_delay`.
    #[default]
    Watch,
    /// flagd serves what it read at start; a change needs `restart flagd`.
    Restart,
}

spec! {
    #[derive(Clone, Debug, PartialEq, Serialize)]
    pub struct FlagdSpec {
        reload: FlagdReload = default(FlagdReload::Watch), choice(
            &FLAGD_RELOADS,
            "watch: serve changes; restart: only after restart flagd",
        );
        /// ConfigMap to flagd: the kubelet syncs mounted files about once a minute.
        propagation_delay: Dur = default(Dur(SimTime::ZERO)),
            duration(0.0, 10.0 * MIN, "ConfigMap to flagd delay");
    }
}
