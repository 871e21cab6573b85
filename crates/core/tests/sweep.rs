//! A sweep's axes are spaced as asked and written as `--set` takes them,
//! and each cell is exactly the run the same overrides make alone.

use incident_core::lesson::MeasureValue;
use incident_core::scenario::apply_sets;
use incident_core::sweep::{parse_measures, Axis, Grid};
use incident_core::{presets, simulate, Scenario};

fn gradual() -> Scenario {
    presets::load("checkout-gradual").unwrap()
}

#[test]
fn an_axis_is_spaced_evenly_or_by_equal_ratios_and_written_as_set_takes_it() {
    let sc = gradual();
    let lin = Axis::parse("workload.users=10..50:5:lin", &sc).unwrap();
    assert_eq!(lin.values, ["10", "20", "30", "40", "50"]);
    let log = Axis::parse("workload.users=10..1000:3:log", &sc).unwrap();
    assert_eq!(log.values, ["10", "100", "1000"]);
    let bytes = Axis::parse("services.checkout.memory_limit=16Mi..64Mi:3:log", &sc).unwrap();
    assert_eq!(bytes.values, ["16Mi", "32Mi", "64Mi"]);
    // Whole numbers that round alike are one value, once.
    let few = Axis::parse("workload.users=1..3:5:lin", &sc).unwrap();
    assert_eq!(few.values, ["1", "2", "3"]);
}

#[test]
fn a_bad_axis_or_measure_names_what_is_wrong() {
    let sc = gradual();
    let err = |text: &str| Axis::parse(text, &sc).unwrap_err();
    assert!(err("workload.users").contains("PATH=FROM..TO:N"));
    assert!(err("nope=1..2:3").contains("nope is not a parameter"));
    assert!(err("workload.users=1..2:1").contains("2..=100"));
    assert!(err("workload.users=0..20:3:log").contains("above 0"));
    assert!(err("workload.users=1..lots:3").contains("workload.users"));
    assert!(err("workload.users=1..9:3:cubic").contains("log or lin"));
    let m = parse_measures("restarts(nowhere)", &sc).unwrap_err();
    assert!(m.contains("nowhere"), "{m}");
    let m = parse_measures("no_such_measure", &sc).unwrap_err();
    assert!(m.contains("no measure `no_such_measure`"), "{m}");
}

#[test]
fn each_cell_is_the_run_its_overrides_make_alone() {
    let mut sc = gradual();
    apply_sets(&mut sc, &[("duration".into(), "12m".into())]).unwrap();
    let axes = vec![
        Axis::parse("flags.kafkaQueueProblems.variants.on=300..2000:2", &sc).unwrap(),
        Axis::parse("workload.users=25..50:2:lin", &sc).unwrap(),
    ];
    let measures = parse_measures("first_oom_after_load_min,restarts", &sc).unwrap();
    assert_eq!(measures[0].0, "first_oom_after_load_min(checkout)");
    let grid = Grid::new(axes, measures.into_iter().map(|(_, m)| m).collect()).unwrap();
    assert_eq!(grid.cells(), 4);
    let mut hashes = Vec::new();
    for i in 0..grid.cells() {
        let cell = grid.run(&sc, i);
        let mut alone = sc.clone();
        apply_sets(&mut alone, &cell.sets).unwrap();
        let trace = simulate(&alone);
        assert_eq!(cell.trace_hash, trace.summary.trace_hash, "{:?}", cell.sets);
        let restarts = trace.summary.service("checkout").unwrap().restarts as f64;
        assert_eq!(cell.values[1], Some(MeasureValue::Number(restarts)));
        hashes.push(cell.trace_hash);
    }
    assert_eq!(grid.sets(3)[0].1, "2000");
    assert_eq!(grid.sets(1)[1].1, "50", "the last axis varies fastest");
    hashes.dedup();
    assert_eq!(hashes.len(), 4, "every cell is its own run");
}

#[test]
fn a_grid_is_bounded() {
    let sc = gradual();
    let axis = |text: &str| Axis::parse(text, &sc).unwrap();
    let axes = vec![
        axis("workload.users=100..10000:100:lin"),
        axis("flags.kafkaQueueProblems.variants.on=100..5000:100:lin"),
        axis("workload.spawn_rate=1..10:2:lin"),
    ];
    let m = parse_measures("restarts", &sc).unwrap();
    let err = Grid::new(axes, m.into_iter().map(|(_, m)| m).collect()).unwrap_err();
    assert!(
        err.contains("20000 cells") && err.contains("at most 10000"),
        "{err}"
    );
}
