//! Feature flags: what flagd serves and when, and the value a checkout acts
//! on (live, or cached at its start).

use super::*;
use crate::metrics as m;

fn flagged(flagd: &str, cache: &str, default_variant: &str, timeline: &str) -> String {
    format!(
        r#"duration = "60s"
sample_interval = "1s"
timeline = [{timeline}]
[flags.kafkaQueueProblems]
variants = {{ on = 300, off = 0 }}
default_variant = "{default_variant}"
[flagd]
{flagd}
[services.checkout]
kind = "go-checkout"
memory_limit = "64Mi"
[services.checkout.checkout]
kafka_configured = false
flag_cache = "{cache}"
{NO_LOAD}"#
    )
}

/// `(first sample, value)` of each run of equal values.
fn steps(t: &Trace, metric: &m::Metric) -> Vec<(f64, f64)> {
    let mut out: Vec<(f64, f64)> = Vec::new();
    for (at, v) in t.sample_times_us.iter().zip(values(t, metric, "checkout")) {
        let v = v.expect("a value");
        if out.last().is_none_or(|(_, last)| *last != v) {
            out.push((*at as f64 / 1e6, v));
        }
    }
    out
}

#[test]
fn a_change_is_served_after_flagds_propagation_delay() {
    let flagd = "reload = \"watch\"\npropagation_delay = \"30s\"";
    let t = run(&flagged(
        flagd,
        "live",
        "off",
        r#""10.5s set flag kafkaQueueProblems on""#,
    ));
    // Configured at 10.5 s, served from 40.5 s: the sample at 41 s sees it.
    assert_eq!(steps(&t, &m::FLAG_SERVED), [(0.0, 0.0), (41.0, 300.0)]);
    assert_eq!(steps(&t, &m::FLAG_SEEN), [(0.0, 0.0), (41.0, 300.0)]);
    assert_eq!(times_us(&t, "FlagChanged"), [secs(10.5).0]);
    assert!(messages(&t, "FlagChanged")[0]
        .ends_with("(config: kafkaQueueProblems=300, served until reload: 0)"));
    assert_eq!(times_us(&t, "ConfigReloaded"), [secs(40.5).0]);
    assert_eq!(
        messages(&t, "ConfigReloaded"),
        ["flagd now serves kafkaQueueProblems=300 (on)"]
    );
}

#[test]
fn a_checkout_that_caches_the_flag_at_startup_acts_on_it_only_after_a_restart() {
    let timeline = r#""10.5s set flag kafkaQueueProblems on", "20.5s restart checkout""#;
    let t = run(&flagged("", "startup", "off", timeline));
    // No propagation delay: served at once.
    assert_eq!(steps(&t, &m::FLAG_SERVED), [(0.0, 0.0), (11.0, 300.0)]);
    // The new pod (created 20.5 s, started 22.5 s, serving 2 s later)
    // replaces the old at 24.5 s; it read 300 when it started.
    assert_eq!(steps(&t, &m::FLAG_SEEN), [(0.0, 0.0), (25.0, 300.0)]);
    assert_eq!(t.pods[0].deleted_us, Some(secs(24.5).0));
}

#[test]
fn with_reload_on_restart_a_change_waits_for_flagd_to_restart() {
    let timeline = r#""10.5s set flag kafkaQueueProblems.on=500", "20.5s restart flagd""#;
    let t = run(&flagged("reload = \"restart\"", "live", "on", timeline));
    assert_eq!(steps(&t, &m::FLAG_SERVED), [(0.0, 300.0), (21.0, 500.0)]);
    assert_eq!(steps(&t, &m::FLAG_SEEN), [(0.0, 300.0), (21.0, 500.0)]);
    assert!(times_us(&t, "ConfigReloaded").is_empty());
    assert_eq!(times_us(&t, "Restarted"), [secs(20.5).0]);
}
