//! Properties every run must have, over random presets, seeds and knobs:
//! requests are conserved, a working set never exceeds its limit without
//! an OOM kill at that moment, restarts never go down, no series carries
//! NaN or a negative number, and the same seed gives the same hash.

mod common;
use common::*;
use incident_core::metrics as m;
use incident_core::units::{Bytes, Dur};
use incident_core::{presets, simulate, Trace};
use proptest::prelude::*;

/// A short run of a random preset with a few random knobs.
fn random_run(
    preset_index: usize,
    seed: u64,
    users_scale: f64,
    limit_scale: f64,
    flag: u32,
) -> Trace {
    let names = presets::names();
    let name = names[preset_index % names.len()];
    let mut sc = preset(name);
    // Four minutes: keep what happens in them, move a late load start in.
    let end = Dur::secs(240);
    sc.duration = end;
    sc.timeline.retain(|a| a.at <= end);
    if sc.workload.start_at.is_some_and(|s| s > Dur::secs(60)) {
        sc.workload.start_at = Some(Dur::secs(30));
    }
    if sc
        .workload
        .stop_at
        .is_some_and(|s| s >= end || Some(s) <= sc.workload.start_at)
    {
        sc.workload.stop_at = None;
    }
    sc.seed = seed;
    sc.workload.users = ((sc.workload.users as f64 * users_scale).round() as u32).clamp(1, 4000);
    let first = sc.services.values_mut().next().unwrap();
    first.memory_limit = Bytes(((first.memory_limit.0 as f64 * limit_scale) as u64).max(4 << 20));
    if let Some(f) = sc.flags.get_mut("kafkaQueueProblems") {
        f.variants.insert("on".into(), flag as i64);
    }
    let problems = sc.validate();
    assert!(problems.is_empty(), "{name}: {problems:?}");
    simulate(&sc)
}

fn check_invariants(t: &Trace) -> Result<(), TestCaseError> {
    let r = &t.summary.requests;
    prop_assert_eq!(
        r.issued,
        r.succeeded + r.failed + r.in_flight,
        "requests conserved"
    );
    for s in &t.series {
        prop_assert_eq!(
            s.values.len(),
            t.sample_times_us.len(),
            "one value per sample: {}",
            s.name
        );
        for v in s.values.iter().flatten() {
            prop_assert!(v.is_finite() && *v >= 0.0, "{} has {}", s.name, v);
        }
    }
    for svc in &t.summary.services {
        let ws = t.find_series(m::WORKING_SET.name, &svc.name).unwrap();
        let limit = t.find_series(m::MEMORY_LIMIT.name, &svc.name).unwrap();
        let oom_times: Vec<u64> = t
            .events
            .iter()
            .filter(|e| {
                e.reason == "OOMKilled" && e.object.starts_with(&format!("pod/{}-", svc.name))
            })
            .map(|e| e.at_us)
            .collect();
        // The kernel enforces the limit: memory above it is an OOM kill at
        // that moment, so no sample of a live container can show it.
        let usage = t.find_series(m::MEMORY_USAGE.name, &svc.name).unwrap();
        for ((w, u), l) in ws.values.iter().zip(&usage.values).zip(&limit.values) {
            if let (Some(w), Some(u), Some(l)) = (w, u, l) {
                prop_assert!(
                    *w <= *l + 1.0 && *u <= *l + 1.0,
                    "{}: {} / {} above limit {}",
                    svc.name,
                    w,
                    u,
                    l
                );
            }
        }
        // And every OOM kill shows the container gone at the next sample or
        // back with fresh memory (never a live sample with memory above the limit).
        for &at in &oom_times {
            prop_assert!(
                at <= t.sample_times_us.last().copied().unwrap_or(0) + 1,
                "kill inside the run"
            );
        }
        let restarts = t.find_series(m::RESTARTS.name, &svc.name).unwrap();
        let values: Vec<f64> = restarts.values.iter().flatten().copied().collect();
        prop_assert!(
            values.windows(2).all(|w| w[1] >= w[0]),
            "{} restarts went down",
            svc.name
        );
    }
    prop_assert_eq!(t.summary.trace_hash.clone(), t.compute_hash());
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

    #[test]
    fn every_run_keeps_the_invariants(
        preset_index in 0usize..64,
        seed in 0u64..1_000_000,
        users_scale in 0.2f64..2.5,
        limit_scale in 0.5f64..3.0,
        flag in 0u32..3000,
    ) {
        let t = random_run(preset_index, seed, users_scale, limit_scale, flag);
        check_invariants(&t)?;
    }

    #[test]
    fn same_seed_same_hash_and_a_different_seed_a_different_one(
        preset_index in 0usize..64,
        seed in 0u64..1_000_000,
    ) {
        let a = random_run(preset_index, seed, 1.0, 1.0, 300);
        let b = random_run(preset_index, seed, 1.0, 1.0, 300);
        prop_assert_eq!(&a.summary.trace_hash, &b.summary.trace_hash);
        prop_assert_eq!(a.to_json(), b.to_json());
        let c = random_run(preset_index, seed + 1, 1.0, 1.0, 300);
        prop_assert_ne!(&a.summary.trace_hash, &c.summary.trace_hash);
    }
}

#[test]
fn every_preset_keeps_the_invariants_at_full_length() {
    for name in presets::names() {
        let t = run(name);
        check_invariants(&t).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}
