//! Scenario files: every preset is valid and documented; bad input gets
//! one clear message per problem, naming the field and what is allowed.

mod common;
use common::*;
use incident_core::scenario::{apply_set, list_params, ParamKind};
use incident_core::{presets, Scenario};

#[test]
fn every_preset_parses_validates_and_explains_itself() {
    let names = presets::names();
    assert!(names.len() >= 17);
    for name in names {
        let sc = preset(name);
        assert_eq!(sc.name, name);
        assert!(sc.validate().is_empty(), "{name}: {:?}", sc.validate());
        assert!(
            !sc.description.contains('\n') && sc.description.len() > 20,
            "{name}: one-line description"
        );
        assert!(
            sc.notes.len() > 80,
            "{name}: notes say where the model departs from the document"
        );
        assert!(sc.seed_doc.is_some(), "{name}: which seed it reproduces");
        assert!(!sc.controls.is_empty(), "{name}: the app's key sliders");
        // Round trips through TOML and JSON unchanged.
        let again = Scenario::from_toml(&sc.to_toml()).unwrap();
        assert_eq!(again, sc, "{name}: TOML round trip");
        let again = Scenario::from_json(&sc.to_json()).unwrap();
        assert_eq!(again, sc, "{name}: JSON round trip");
    }
}

#[test]
fn there_is_a_preset_for_every_design_row() {
    for name in [
        "checkout-spike",
        "checkout-gradual",
        "checkout-flag-100",
        "checkout-flag-200",
        "checkout-flag-300",
        "checkout-flag-500",
        "checkout-flag-2000",
        "not-growing-flag-off",
        "not-growing-stale-flag",
        "not-growing-no-checkouts",
        "not-growing-limit-too-high",
        "not-growing-kafka-unconfigured",
        "sockshop-healthy",
        "sockshop-latency",
        "sockshop-hybrid",
        "sockshop-outage",
        "python-leaks",
        "postgres-disk-iops",
    ] {
        assert!(presets::load(name).is_some(), "missing {name}");
    }
}

#[test]
fn every_problem_is_reported_at_once_with_its_path_and_range() {
    let text = r#"
extends = "checkout-gradual"
name = "broken one"
[workload]
users = 100000
spawn_rate = 0.0
[services.checkout]
memory_limit = "0"
"#;
    let problems = Scenario::from_toml(text).unwrap_err().0;
    let lines: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
    let has = |needle: &str| lines.iter().any(|l| l.contains(needle));
    assert!(
        has("workload.users: 100000 is above the maximum 20000 (allowed 0..=20000)"),
        "{lines:#?}"
    );
    assert!(
        has("workload.spawn_rate: 0.0 is below the minimum 0.1"),
        "{lines:#?}"
    );
    assert!(has("services.checkout.memory_limit:"), "{lines:#?}");
    assert!(has("name:"), "{lines:#?}");
    assert!(problems.len() >= 4);
}

#[test]
fn type_errors_name_the_field() {
    let mut text = presets::source("checkout-gradual").unwrap().to_string();
    text = text.replace("users = 25", "users = \"lots\"");
    let e = Scenario::from_toml(&text).unwrap_err().to_string();
    assert!(e.contains("workload.users"), "{e}");
    let e = Scenario::from_toml("name = \"x\"\ntitle = 3\n")
        .unwrap_err()
        .to_string();
    assert!(e.contains("title") || e.contains("missing"), "{e}");
    let e = Scenario::from_toml("this is not toml")
        .unwrap_err()
        .to_string();
    assert!(e.contains("line 1"), "{e}");
    let e = Scenario::from_json("{\"name\": ").unwrap_err().to_string();
    assert!(e.contains("JSON"), "{e}");
}

#[test]
fn unknown_fields_and_bases_are_named() {
    let e = Scenario::from_toml("extends = \"otel-demo\"\nnmae = \"x\"\n")
        .unwrap_err()
        .to_string();
    assert!(e.contains("nmae"), "{e}");
    let e = Scenario::from_toml("extends = \"no-such-base\"\n")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("unknown preset or base `no-such-base`") && e.contains("otel-demo"),
        "{e}"
    );
}

#[test]
fn references_are_checked() {
    let text = r#"
extends = "checkout-gradual"
timeline = ["1m restart nosuch", "2m set flag nope on", "30m stop load"]
[[workload.tasks]]
name = "ghost"
weight = 1
steps = [{ call = "nowhere/thing" }]
"#;
    let lines: Vec<String> = Scenario::from_toml(text)
        .unwrap_err()
        .0
        .iter()
        .map(|p| p.to_string())
        .collect();
    let has = |needle: &str| lines.iter().any(|l| l.contains(needle));
    assert!(has("timeline.0: unknown service `nosuch`"), "{lines:#?}");
    assert!(has("timeline.1: unknown flag `nope`"), "{lines:#?}");
    assert!(
        has("timeline.2: at 30m is after the end of the run"),
        "{lines:#?}"
    );
    assert!(has("unknown service `nowhere`"), "{lines:#?}");
}

#[test]
fn limits_keep_a_scenario_from_eating_the_browser() {
    let sc = preset("checkout-gradual");
    let mut too_long = sc.clone();
    assert!(apply_set(&mut too_long, "duration", "3h")
        .unwrap_err()
        .to_string()
        .contains("above the maximum 2h"));
    let mut too_dense = sc.clone();
    let e = apply_set(&mut too_dense, "sample_interval", "100ms")
        .unwrap_err()
        .to_string();
    assert!(e.contains("the maximum is 7200"), "{e}");
    let huge = "#".repeat(300 * 1024);
    assert!(Scenario::from_toml(&huge)
        .unwrap_err()
        .to_string()
        .contains("the maximum is 256 KiB"));
    let mut flag = sc.clone();
    assert!(apply_set(&mut flag, "flags.kafkaQueueProblems.variants.on", "9000").is_err());
    let mut replicas = preset("sockshop-hybrid");
    assert!(apply_set(&mut replicas, "services.front-end.replicas", "50").is_err());
}

#[test]
fn set_applies_typed_values_and_rejects_bad_ones() {
    let mut sc = preset("checkout-spike");
    apply_set(&mut sc, "workload.users", "80").unwrap();
    assert_eq!(sc.workload.users, 80);
    apply_set(&mut sc, "services.checkout.go.gomemlimit", "none").unwrap();
    assert!(sc.services["checkout"]
        .go
        .as_ref()
        .unwrap()
        .gomemlimit
        .is_none());
    apply_set(&mut sc, "services.checkout.go.gomemlimit", "12MiB").unwrap();
    apply_set(&mut sc, "services.checkout.cpu_limit", "500m").unwrap();
    let before = sc.clone();
    let e = apply_set(&mut sc, "workload.users", "many")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("`many` is not a whole number; workload.users takes 0..=20000"),
        "{e}"
    );
    let e = apply_set(&mut sc, "workload.userz", "5")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("unknown parameter") && e.contains("incident params"),
        "{e}"
    );
    let e = apply_set(&mut sc, "duration", "5").unwrap_err().to_string();
    assert!(e.contains("no unit"), "{e}");
    assert_eq!(sc, before, "a failed --set leaves the scenario unchanged");
}

#[test]
fn params_list_every_knob_with_its_range() {
    let sc = preset("checkout-gradual");
    let params = list_params(&sc);
    let find = |p: &str| {
        params
            .iter()
            .find(|x| x.path == p)
            .unwrap_or_else(|| panic!("{p}"))
    };
    let flag = find("flags.kafkaQueueProblems.variants.on");
    assert_eq!(flag.value, "300");
    assert_eq!((flag.min, flag.max), (Some(0.0), Some(5000.0)));
    assert!(flag.log_scale);
    assert_eq!(find("services.checkout.memory_limit").allowed, "1Mi..=64Gi");
    assert_eq!(find("services.checkout.cpu_limit").value, "none");
    assert!(matches!(
        find("services.checkout.checkout.flag_cache").kind,
        ParamKind::Enum(_)
    ));
    // Every control a preset names is a parameter.
    for name in presets::names() {
        let sc = preset(name);
        let params = list_params(&sc);
        for c in &sc.controls {
            assert!(params.iter().any(|p| &p.path == c), "{name}: control {c}");
        }
    }
}

#[test]
fn durations_are_written_with_units_everywhere() {
    let sc = preset("checkout-spike");
    let toml = sc.to_toml();
    assert!(toml.contains("duration = \"20m\""), "{toml}");
    assert!(toml.contains("\"30s set flag kafkaQueueProblems on\""));
}
