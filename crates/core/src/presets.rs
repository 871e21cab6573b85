//! The presets: one scenario file per seed situation, compiled in so the
//! command line and the browser carry the same data. Reading a scenario
//! file is here too: its `extends = "NAME"` names a preset or base.

use crate::problem::Problems;
use crate::scenario::Scenario;
use serde_json::Value;

/// `(name, file contents)`, in gallery order.
pub const PRESET_FILES: &[(&str, &str)] = &[
    (
        "checkout-spike",
        include_str!("../presets/checkout-spike.toml"),
    ),
    (
        "checkout-gradual",
        include_str!("../presets/checkout-gradual.toml"),
    ),
    (
        "checkout-healthy-broker",
        include_str!("../presets/checkout-healthy-broker.toml"),
    ),
    (
        "checkout-broker-outage",
        include_str!("../presets/checkout-broker-outage.toml"),
    ),
    (
        "checkout-flag-100",
        include_str!("../presets/checkout-flag-100.toml"),
    ),
    (
        "checkout-flag-200",
        include_str!("../presets/checkout-flag-200.toml"),
    ),
    (
        "checkout-flag-300",
        include_str!("../presets/checkout-flag-300.toml"),
    ),
    (
        "checkout-flag-500",
        include_str!("../presets/checkout-flag-500.toml"),
    ),
    (
        "checkout-flag-2000",
        include_str!("../presets/checkout-flag-2000.toml"),
    ),
    (
        "postgres-disk-iops",
        include_str!("../presets/postgres-disk-iops.toml"),
    ),
    (
        "not-growing-flag-off",
        include_str!("../presets/not-growing-flag-off.toml"),
    ),
    (
        "not-growing-stale-flag",
        include_str!("../presets/not-growing-stale-flag.toml"),
    ),
    (
        "not-growing-no-checkouts",
        include_str!("../presets/not-growing-no-checkouts.toml"),
    ),
    (
        "not-growing-limit-too-high",
        include_str!("../presets/not-growing-limit-too-high.toml"),
    ),
    (
        "not-growing-kafka-unconfigured",
        include_str!("../presets/not-growing-kafka-unconfigured.toml"),
    ),
    (
        "sockshop-healthy",
        include_str!("../presets/sockshop-healthy.toml"),
    ),
    (
        "sockshop-latency",
        include_str!("../presets/sockshop-latency.toml"),
    ),
    (
        "sockshop-hybrid",
        include_str!("../presets/sockshop-hybrid.toml"),
    ),
    (
        "sockshop-hybrid-seed-probes",
        include_str!("../presets/sockshop-hybrid-seed-probes.toml"),
    ),
    (
        "sockshop-outage",
        include_str!("../presets/sockshop-outage.toml"),
    ),
    ("python-leaks", include_str!("../presets/python-leaks.toml")),
];

/// Partial scenarios that presets (and course authors) extend.
pub const BASE_FILES: &[(&str, &str)] = &[
    ("otel-demo", include_str!("../presets/base/otel-demo.toml")),
    ("sock-shop", include_str!("../presets/base/sock-shop.toml")),
];

/// The TOML text of a preset or base, for `extends`.
pub fn source(name: &str) -> Option<&'static str> {
    PRESET_FILES
        .iter()
        .chain(BASE_FILES)
        .find(|(n, _)| *n == name)
        .map(|(_, t)| *t)
}

/// Everything a file may extend.
pub fn extendable() -> Vec<&'static str> {
    BASE_FILES
        .iter()
        .chain(PRESET_FILES)
        .map(|(n, _)| *n)
        .collect()
}

/// `extends` resolution for `Scenario::from_value_with`.
fn base_source(name: &str) -> Result<&'static str, String> {
    source(name).ok_or_else(|| {
        format!(
            "unknown preset or base `{name}`; choose one of {}",
            extendable().join(", ")
        )
    })
}

/// Reading a scenario file, with `extends` resolved against the presets
/// and bases. An impl here rather than in `scenario`, which sits below the
/// presets and so cannot name them.
impl Scenario {
    pub fn from_toml(text: &str) -> Result<Scenario, Problems> {
        Scenario::from_value(Scenario::toml_value(text)?)
    }

    pub fn from_json(text: &str) -> Result<Scenario, Problems> {
        Scenario::from_value(Scenario::json_value(text)?)
    }

    /// TOML or JSON, decided by the first non-blank character after any
    /// byte-order mark.
    pub fn parse(text: &str) -> Result<Scenario, Problems> {
        Scenario::from_value(Scenario::text_value(text)?)
    }

    pub fn from_value(value: Value) -> Result<Scenario, Problems> {
        Scenario::from_value_with(value, &base_source)
    }
}

pub fn names() -> Vec<&'static str> {
    PRESET_FILES.iter().map(|(n, _)| *n).collect()
}

/// The preset's scenario. Presets are validated by a test, so a shipped
/// preset always parses.
pub fn load(name: &str) -> Option<Scenario> {
    PRESET_FILES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, text)| {
            Scenario::from_toml(text).unwrap_or_else(|e| panic!("preset {name} is invalid: {e}"))
        })
}

pub fn all() -> Vec<Scenario> {
    names().into_iter().filter_map(load).collect()
}

/// What the gallery shows of a preset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Card {
    pub name: String,
    pub title: String,
    pub description: String,
    pub seed_doc: Option<String>,
}

/// Every preset's card, in gallery order, read from the preset's own file
/// without resolving `extends` or validating. Loading all the presets for
/// their titles took most of the app's first task; this takes a fraction.
/// A test checks that each card says what the loaded preset says.
pub fn cards() -> Vec<Card> {
    PRESET_FILES
        .iter()
        .map(|(name, text)| {
            let value = crate::toml_reader::parse(text).ok();
            let text_of = |key: &str| {
                value
                    .as_ref()
                    .and_then(|v| v.get(key))
                    .and_then(serde_json::Value::as_str)
                    .map(str::to_string)
            };
            Card {
                name: name.to_string(),
                title: text_of("title").unwrap_or_else(|| name.to_string()),
                description: text_of("description").unwrap_or_default(),
                seed_doc: text_of("seed_doc"),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Serialization is derived and decoding is written by `spec!`: every
    /// preset must survive the round trip unchanged, field for field.
    #[test]
    fn every_preset_round_trips_through_a_value() {
        for name in names() {
            let scenario = load(name).unwrap();
            let value = serde_json::to_value(&scenario).unwrap();
            let back = Scenario::from_value(value).unwrap();
            assert_eq!(back, scenario, "{name}");
        }
    }

    #[test]
    fn every_card_says_what_its_loaded_preset_says() {
        let cards = cards();
        assert_eq!(cards.len(), PRESET_FILES.len());
        for card in cards {
            let preset = load(&card.name).expect("a shipped preset");
            let from_preset = Card {
                name: preset.name,
                title: preset.title,
                description: preset.description,
                seed_doc: preset.seed_doc,
            };
            assert_eq!(card, from_preset);
        }
    }
}
