//! A scenario is plain data: topology, workload, flags, runtime knobs, a
//! timeline of actions, duration and sample interval. It reads from TOML or
//! JSON, validates into a list of problems (every one, each with its field
//! path and the allowed range), and takes `--set path=value` overrides.

//!
//! Each field of the plain structs is declared once, with `spec!`
//! (spec.rs): its type, serde attributes, default, how it decodes and its
//! `params` rule. `Scenario` itself, the enums and the `extends` step are
//! written by hand; reading a file, which resolves `extends` against the
//! presets, is `Scenario::from_toml` and its siblings in presets.rs, since
//! this module sits below the presets.

//! The sections live by concern: service.rs (services and their kinds'
//! sections, Kafka), flags.rs (flags and flagd), workload.rs (the load);
//! validate.rs holds the checks that span fields, action.rs the timeline,
//! sets.rs the `path=value` overrides.

#[macro_use]
mod spec;
mod action;
mod decode;
mod flags;
mod params;
mod service;
mod sets;
mod validate;
mod workload;

pub use crate::problem::{Problem, Problems};
pub use action::{Action, ActionKind, LeakKind, LeakTarget};
pub use flags::{FlagSpec, FlagdReload, FlagdSpec};
pub use params::{find_param, list_params, ParamInfo};
pub use service::{
    BrokerWindow, CheckoutSpec, FlagCache, GoSpec, HpaSpec, KafkaSpec, NodeSpec, PoolSpec,
    ProbeSpec, PythonSpec, RestartPolicy, RouteSpec, ServiceKind, ServiceSpec,
};
pub use sets::{apply_set, apply_sets};
pub use spec::ParamKind;
pub use workload::{StepSpec, TaskSpec, ThinkTime, WorkloadSpec};

use crate::decode::{FromValue, Path};
use crate::units::{Dur, SimTime};
use serde::Serialize;
use spec::{boolean, duration, each, float, int, section, text, Rules, H, MIN, MS, S};
use std::collections::BTreeMap;

/// Largest scenario file we read: bigger input is refused before parsing.
pub const MAX_SCENARIO_BYTES: usize = 256 * 1024;
pub const MAX_DURATION: SimTime = SimTime::from_secs(2 * 3600);
pub const MIN_SAMPLE_INTERVAL: SimTime = SimTime::from_millis(100);
pub const MAX_SAMPLES: u64 = 7_200;
pub const MAX_USERS: u32 = 20_000;
pub const MAX_SERVICES: usize = 16;
pub const MAX_REPLICAS: u32 = 20;
pub const MAX_FLAG_VALUE: i64 = 5_000;
pub const MAX_TASKS: usize = 32;
pub const MAX_STEPS: usize = 16;
pub const MAX_ACTIONS: usize = 200;
pub const MAX_CLAIMS: usize = 16;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Scenario {
    /// Short identifier, used by `incident simulate NAME` and share links.
    pub name: String,
    pub title: String,
    /// One line: what the learner will see.
    pub description: String,
    /// Which seed document this reproduces.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed_doc: Option<String>,
    /// Where the model departs from the document's numbers, and why.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub notes: String,
    pub seed: u64,
    pub duration: Dur,
    pub sample_interval: Dur,
    pub services: BTreeMap<String, ServiceSpec>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub flags: BTreeMap<String, FlagSpec>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kafka: Option<KafkaSpec>,
    pub flagd: FlagdSpec,
    pub workload: WorkloadSpec,
    pub alerts: AlertSpec,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub timeline: Vec<Action>,
    /// Parameter paths a learner explores first; the app shows these as
    /// sliders and folds the rest under "advanced".
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub controls: Vec<String>,
    /// What the description says the run does, as claims on the run's
    /// measures (`restarts(front-end) >= 3`, as lessons write them); the
    /// tests check every preset's claims on its own run, and `incident
    /// simulate` prints whether each holds.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub claims: Vec<String>,
}

spec! {
    /// The seeds' alert rules, with their thresholds.
    #[derive(Clone, Debug, PartialEq, Serialize)]
    pub struct AlertSpec {
        utilization_warning: f64 = default(0.70),
            float(0.05, 1.0, "memory utilization warning threshold");
        utilization_critical: f64 = default(0.85),
            float(0.05, 1.0, "memory utilization critical threshold");
        /// Working-set growth over `growth_window`, in bytes per minute.
        growth_bytes_per_min: f64 = default(500_000.0),
            float(0.0, 1.0e12, "working-set growth alert, bytes per minute").log();
        growth_window: Dur = default(Dur::secs(60)),
            duration(10.0 * S, 1.0 * H, "window of the growth rate");
        /// Server-side P95 over each `latency_window`.
        latency_p95_ms: f64 = default(500.0),
            float(1.0, 600_000.0, "server-side P95 alert threshold, ms").log();
        /// The latency rule is judged once per window (the seeds' "every 1 minute").
        latency_window: Dur = default(Dur::secs(60)),
            duration(1.0 * S, 1.0 * H, "the latency rule's evaluation window");
        restarts: bool = default(true), boolean("alert on container restarts");
        /// Linear regression over this window predicts the OOM time.
        predictive_window: Dur = default(Dur::secs(300)),
            duration(30.0 * S, 1.0 * H, "regression window for the OOM forecast");
        /// Fire when the predicted OOM is closer than this.
        predictive_horizon: Dur = default(Dur::secs(600)),
            duration(1.0 * MIN, 24.0 * H, "fire when OOM is predicted sooner than this");
        /// After a container starts, the growth and forecast rules ignore its
        /// memory this long: start-up allocation is not a leak. An assumption
        /// about the alerting rules, like a Prometheus `for:` clause.
        warmup: Dur = default(Dur::secs(120)), duration(
            0.0,
            1.0 * H,
            "after a container starts, the growth and forecast rules wait this long",
        );
    }
}

impl Scenario {
    /// The top level's rules. Written out rather than declared with
    /// `spec!`: the table lists `controls` after `sample_interval` (so an
    /// unknown top-level field's hint names them in that order) while
    /// serialization puts it last, and a scenario has no default to declare
    /// (name, duration, services and workload are required). Its decoding,
    /// after `extends` is resolved, is in decode.rs.
    pub(in crate::scenario) fn rules(at: &mut Rules) {
        at.field("name", text("short identifier"));
        at.field("title", text("display title"));
        at.field("description", text("one-line description"));
        at.field("seed_doc", text("the seed document reproduced"));
        at.field("notes", text("where the model departs from the document"));
        at.field("seed", int(0.0, 9_007_199_254_740_991.0, "random seed"));
        at.field(
            "duration",
            duration(10.0 * S, 2.0 * H, "simulated time").log(),
        );
        at.field(
            "sample_interval",
            duration(100.0 * MS, 10.0 * MIN, "telemetry sampling period").log(),
        );
        at.field("controls", each(text("a parameter the app shows first")));
        at.field("services", each(section(ServiceSpec::rules)));
        at.field("flags", each(section(FlagSpec::rules)));
        at.field("kafka", section(KafkaSpec::rules));
        at.field("flagd", section(FlagdSpec::rules));
        at.field("workload", section(WorkloadSpec::rules));
        at.field("alerts", section(AlertSpec::rules));
        at.field("timeline", each(text("an action: `30s set flag NAME on`")));
        at.field(
            "claims",
            each(text("what the run does: `restarts(checkout) >= 3`")),
        );
    }
}

/// Claims back the description they were written for: a file that writes
/// its own description does not inherit its base's claims.
fn drop_claims_of_a_replaced_description(base: &mut serde_json::Value, file: &serde_json::Value) {
    let writes = |key: &str| file.as_object().is_some_and(|m| m.contains_key(key));
    if writes("description") && !writes("claims") {
        if let Some(base) = base.as_object_mut() {
            base.remove("claims");
        }
    }
}

/// Where `extends = "NAME"` finds its base: the base's TOML text, or a
/// message saying what may be extended. Passed in, because the bases are
/// the presets and this module sits below them.
pub type BaseSource<'a> = &'a dyn Fn(&str) -> Result<&'static str, String>;

impl Scenario {
    /// A TOML file as a value, after the size check: a syntax error names
    /// its line.
    pub fn toml_value(text: &str) -> Result<serde_json::Value, Problems> {
        check_size(text)?;
        crate::toml_reader::parse(text).map_err(|e| Problem::new("", e.to_string()).into())
    }

    pub fn json_value(text: &str) -> Result<serde_json::Value, Problems> {
        check_size(text)?;
        crate::json::parse(text)
            .map_err(|e| Problem::new("", format!("not valid JSON: {e}")).into())
    }

    /// TOML or JSON, decided by the first non-blank character after any
    /// byte-order mark (which both readers skip).
    pub fn text_value(text: &str) -> Result<serde_json::Value, Problems> {
        let start = text.strip_prefix(crate::toml_reader::BOM).unwrap_or(text);
        if start.trim_start().starts_with('{') {
            Scenario::json_value(text)
        } else {
            Scenario::toml_value(text)
        }
    }

    /// Every format arrives here as a JSON value: one deserializer for the
    /// whole scenario keeps the browser bundle small. A file may start from
    /// a base with `extends = "NAME"` and override only what differs
    /// (tables merge, values and arrays replace); a type error names its
    /// field path.
    pub fn from_value_with(
        mut value: serde_json::Value,
        bases: BaseSource<'_>,
    ) -> Result<Scenario, Problems> {
        let mut depth = 0;
        while let Some(base_name) = value.as_object_mut().and_then(|m| m.remove("extends")) {
            depth += 1;
            let Some(base_name) = base_name.as_str().map(str::to_string) else {
                return Err(Problem::new("extends", "must be the name of a preset or base").into());
            };
            if depth > 4 {
                return Err(Problem::new("extends", "bases nest more than 4 deep").into());
            }
            let base_text = bases(&base_name).map_err(|m| Problem::new("extends", m))?;
            let mut base = crate::toml_reader::parse(base_text).map_err(|e| {
                Problem::new("extends", format!("base `{base_name}` is broken: {e}"))
            })?;
            drop_claims_of_a_replaced_description(&mut base, &value);
            merge(&mut base, value);
            value = base;
        }
        let shape = params::schema_problems(&value);
        if !shape.is_empty() {
            return Err(Problems(shape));
        }
        let scenario = <Scenario as FromValue>::from_value(&value, Path::Root)?;
        scenario.normalized_and_validated()
    }

    #[cfg(feature = "toml-write")]
    pub fn to_toml(&self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| toml::to_string(&v).ok())
            .unwrap_or_default()
    }

    pub fn to_json(&self) -> String {
        serde_json::to_value(self)
            .ok()
            .map(|v| crate::json::to_pretty(&v))
            .unwrap_or_default()
    }

    fn normalized_and_validated(mut self) -> Result<Scenario, Problems> {
        self.normalize();
        let problems = self.validate();
        if problems.is_empty() {
            Ok(self)
        } else {
            Err(Problems(problems))
        }
    }

    /// Fills the kind-specific sections with their defaults, so every knob
    /// has a path and a value (`incident params` lists them all).
    pub fn normalize(&mut self) {
        for service in self.services.values_mut() {
            match service.kind {
                ServiceKind::GoCheckout => {
                    service.go.get_or_insert_with(GoSpec::default);
                    service.checkout.get_or_insert_with(CheckoutSpec::default);
                }
                ServiceKind::NodeFrontend => {
                    service.node.get_or_insert_with(NodeSpec::default);
                }
                ServiceKind::WorkerPool => {
                    service.pool.get_or_insert_with(PoolSpec::default);
                }
                ServiceKind::PythonLeaky => {
                    service.python.get_or_insert_with(PythonSpec::default);
                }
            }
        }
        let has_checkout = self.services.values().any(|s| {
            s.kind == ServiceKind::GoCheckout
                && s.checkout.as_ref().is_some_and(|c| c.kafka_configured)
        });
        if has_checkout {
            self.kafka.get_or_insert_with(KafkaSpec::default);
        }
    }

    pub fn service_names(&self) -> Vec<String> {
        self.services.keys().cloned().collect()
    }
}

/// Tables merge key by key; anything else in `overlay` replaces `base`.
fn merge(base: &mut serde_json::Value, overlay: serde_json::Value) {
    match (base, overlay) {
        (serde_json::Value::Object(b), serde_json::Value::Object(o)) => {
            for (key, value) in o {
                match b.get_mut(&key) {
                    Some(existing) => merge(existing, value),
                    None => {
                        b.insert(key, value);
                    }
                }
            }
        }
        (b, o) => *b = o,
    }
}

fn check_size(text: &str) -> Result<(), Problems> {
    if text.len() > MAX_SCENARIO_BYTES {
        return Err(Problem::new(
            "",
            format!(
                "the scenario is {} KiB; the maximum is {} KiB",
                text.len() / 1024,
                MAX_SCENARIO_BYTES / 1024
            ),
        )
        .into());
    }
    Ok(())
}
