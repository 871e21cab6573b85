//! The presets: one scenario file per seed situation, compiled in so the
//! command line and the browser carry the same data.

use crate::scenario::Scenario;

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
