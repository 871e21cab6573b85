use super::*;
use crate::{presets, simulate};

#[test]
fn calls_read_names_subjects_and_arguments() {
    let c = Call::parse("utilization_reached_at_s(checkout, ratio=0.8)").unwrap();
    assert_eq!(c.name, "utilization_reached_at_s");
    assert_eq!(c.subject.as_deref(), Some("checkout"));
    assert_eq!(c.args, vec![("ratio".to_string(), "0.8".to_string())]);
    assert_eq!(
        c.to_string(),
        "utilization_reached_at_s(checkout, ratio=0.8)"
    );
    assert_eq!(Call::parse("most_restarted").unwrap().subject, None);
    assert!(Call::parse("restarts(checkout").is_err());
    assert!(Call::parse("restarts(a, b)")
        .unwrap_err()
        .contains("key=value"));
    assert!(Measure::parse("restarts")
        .unwrap_err()
        .contains("one service"));
    assert!(Measure::parse("latency_p95_ms(checkout)").is_err());
    assert!(Measure::parse("nope(checkout)")
        .unwrap_err()
        .contains("no measure"));
    assert!(
        Measure::parse("utilization_reached_at_s(checkout, ratio=2)")
            .unwrap_err()
            .contains("from 0 to 1")
    );
    assert!(Measure::parse("alert_lead_min(checkout, rule=bogus)")
        .unwrap_err()
        .contains("memory_utilization_warning"));
}

#[test]
fn units_read_as_a_learner_reads_them() {
    assert_eq!(Unit::Minutes.format(11.46), "11.5 min");
    assert_eq!(Unit::Minutes.format(3.02), "3 min");
    assert_eq!(Unit::Moment.format(555.0), "9:15");
    assert_eq!(Unit::Mib.format(19.23), "19.2 Mi");
    assert_eq!(Unit::Millis.format(2140.0), "2.1 s");
    assert_eq!(Unit::Millis.format(312.4), "312 ms");
    assert_eq!(Unit::Percent.format(4.21), "4.2 %");
}

#[test]
fn measures_follow_the_run() {
    let sc = presets::load("checkout-gradual").unwrap();
    let trace = simulate(&sc);
    let value = |text: &str| Measure::parse(text).unwrap().evaluate(&trace);
    let Some(MeasureValue::Number(oom_min)) = value("first_oom_after_load_min(checkout)") else {
        panic!("the gradual leak OOMs");
    };
    // The kill comes from a fan-out burst between samples: the sampled
    // working set passes 75 % before it, not always 80 %.
    let Some(MeasureValue::Number(at75)) = value("utilization_reached_at_s(checkout, ratio=0.75)")
    else {
        panic!("it passes 75 %");
    };
    let Some(MeasureValue::Number(at50)) = value("utilization_reached_at_s(checkout, ratio=0.5)")
    else {
        panic!("it passes 50 %");
    };
    assert!(at50 < at75, "50 % before 75 %");
    let load = trace.summary.load_started_s.unwrap_or(0.0);
    assert!(at75 < load + oom_min * 60.0, "75 % before the kill");
    assert_eq!(
        value("param(flags.kafkaQueueProblems.variants.on)"),
        Some(MeasureValue::Text("300".into()))
    );
    let Some(MeasureValue::Number(range)) = value("working_set_range_mi(checkout, from=0s)") else {
        panic!("a range");
    };
    assert!(range > 5.0, "the leak climbs: {range} Mi");
    let Some(MeasureValue::Number(later)) = value("working_set_range_mi(checkout)") else {
        panic!("a range");
    };
    assert!(
        later < range,
        "the range after start-up is part of the whole"
    );
    assert!(value("first_alert(checkout)").is_some());
}

#[test]
fn flat_memory_has_a_small_range_and_no_oom() {
    let sc = presets::load("not-growing-flag-off").unwrap();
    let trace = simulate(&sc);
    let m = Measure::parse("working_set_range_mi(checkout)").unwrap();
    let Some(MeasureValue::Number(range)) = m.evaluate(&trace) else {
        panic!("a range");
    };
    // The GC sawtooth of request garbage, not a climb.
    assert!(range < 1.5, "flat: {range} Mi");
    assert_eq!(
        Measure::parse("first_oom_at_s(checkout)")
            .unwrap()
            .evaluate(&trace),
        None
    );
}
