//! What `spec!` does not write: the enums' names and the top level.
//! `schema_problems` has already refused unknown fields and wrong types,
//! so what is left to report is mostly "is missing".

use super::spec::names_of;
use super::*;
use crate::decode::{one_of, Fields, FromValue, Path};
use serde_json::Value;

impl ServiceKind {
    pub const NAMES: [(&'static str, ServiceKind); 4] = [
        ("go-checkout", ServiceKind::GoCheckout),
        ("node-frontend", ServiceKind::NodeFrontend),
        ("worker-pool", ServiceKind::WorkerPool),
        ("python-leaky", ServiceKind::PythonLeaky),
    ];
}

impl RestartPolicy {
    pub const NAMES: [(&'static str, RestartPolicy); 3] = [
        ("kubelet", RestartPolicy::Kubelet),
        ("docker", RestartPolicy::Docker),
        ("never", RestartPolicy::Never),
    ];
}

impl FlagCache {
    pub const NAMES: [(&'static str, FlagCache); 2] =
        [("live", FlagCache::Live), ("startup", FlagCache::Startup)];
}

impl FlagdReload {
    pub const NAMES: [(&'static str, FlagdReload); 2] = [
        ("watch", FlagdReload::Watch),
        ("restart", FlagdReload::Restart),
    ];
}

/// The names alone, for the enums' `choice` rules.
pub(super) const SERVICE_KINDS: [&str; 4] = names_of(&ServiceKind::NAMES);
pub(super) const RESTART_POLICIES: [&str; 3] = names_of(&RestartPolicy::NAMES);
pub(super) const FLAG_CACHES: [&str; 2] = names_of(&FlagCache::NAMES);
pub(super) const FLAGD_RELOADS: [&str; 2] = names_of(&FlagdReload::NAMES);

impl FromValue for ServiceKind {
    fn from_value(value: &Value, path: Path<'_>) -> Result<Self, Problems> {
        one_of(value, path, &ServiceKind::NAMES)
    }
}

impl FromValue for RestartPolicy {
    fn from_value(value: &Value, path: Path<'_>) -> Result<Self, Problems> {
        one_of(value, path, &RestartPolicy::NAMES)
    }
}

impl FromValue for FlagCache {
    fn from_value(value: &Value, path: Path<'_>) -> Result<Self, Problems> {
        one_of(value, path, &FlagCache::NAMES)
    }
}

impl FromValue for FlagdReload {
    fn from_value(value: &Value, path: Path<'_>) -> Result<Self, Problems> {
        one_of(value, path, &FlagdReload::NAMES)
    }
}

impl FromValue for Scenario {
    fn from_value(value: &Value, path: Path<'_>) -> Result<Self, Problems> {
        let mut f = Fields::new(value, path)?;
        let scenario = Scenario {
            name: f.required("name"),
            title: f.required("title"),
            description: f.required("description"),
            seed_doc: f.optional("seed_doc"),
            notes: f.or("notes", String::new()),
            seed: f.or("seed", 1),
            duration: f.required("duration"),
            sample_interval: f.or("sample_interval", Dur::secs(5)),
            services: f.required("services"),
            flags: f.or("flags", BTreeMap::new()),
            kafka: f.optional("kafka"),
            flagd: f.or("flagd", FlagdSpec::default()),
            workload: f.required("workload"),
            alerts: f.or("alerts", AlertSpec::default()),
            timeline: f.or("timeline", Vec::new()),
            controls: f.or("controls", Vec::new()),
            claims: f.or("claims", Vec::new()),
        };
        f.finish(scenario)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enum_names_match_serialization() {
        for (name, kind) in ServiceKind::NAMES {
            assert_eq!(serde_json::to_value(kind).unwrap(), name);
            assert_eq!(kind.as_str(), name);
        }
        for (name, v) in RestartPolicy::NAMES {
            assert_eq!(serde_json::to_value(v).unwrap(), name);
        }
        for (name, v) in FlagCache::NAMES {
            assert_eq!(serde_json::to_value(v).unwrap(), name);
        }
        for (name, v) in FlagdReload::NAMES {
            assert_eq!(serde_json::to_value(v).unwrap(), name);
        }
    }
}
