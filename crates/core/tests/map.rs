//! The failure map: its default axes come from the data file, its marks
//! land on the seed rows' cells, and a worker's cell is the CLI's cell.

use incident_core::lesson::Measure;
use incident_core::presets;
use incident_core::sweep::map::{
    axis_default, default_axes, read_cell_answer, run_cell_request, severities, Map,
};

const FLAG: &str = "flags.kafkaQueueProblems.variants.on";

fn map_of(preset: &str) -> Map {
    let base = presets::load(preset).expect("preset");
    let (x, y) = default_axes(&base).expect("default axes");
    Map::new(&base, &x, &y).expect("map")
}

#[test]
fn a_checkout_map_is_seed_001s_flag_against_users_on_a_log_grid() {
    for preset in [
        "checkout-gradual",
        "checkout-spike",
        "checkout-healthy-broker",
    ] {
        let map = map_of(preset);
        assert_eq!(map.x.path, FLAG, "{preset}");
        assert_eq!(map.y.path, "workload.users", "{preset}");
        assert!(map.columns() >= 12 && map.rows() >= 10, "{preset}: {map:?}");
        assert_eq!(map.x.values.first().map(String::as_str), Some("100"));
        assert_eq!(map.x.values.last().map(String::as_str), Some("5000"));
        assert_eq!(map.y.values.first().map(String::as_str), Some("5"));
        assert_eq!(map.y.values.last().map(String::as_str), Some("100"));
        // Log spacing: the ratio of neighbours is steady, the gaps are not.
        let xs: Vec<f64> = map.x.values.iter().map(|v| v.parse().unwrap()).collect();
        let first_ratio = xs[1] / xs[0];
        let last_ratio = xs[xs.len() - 1] / xs[xs.len() - 2];
        assert!((first_ratio / last_ratio - 1.0).abs() < 0.05, "{xs:?}");
    }
}

#[test]
fn seed_001s_rows_are_marked_at_their_nearest_cells() {
    let map = map_of("checkout-gradual");
    assert_eq!(map.marks.len(), 5, "{:?}", map.marks);
    let spike = map
        .marks
        .iter()
        .find(|m| m.label.contains("flag 2000"))
        .expect("the spike row");
    let flag: f64 = map.x.values[spike.column].parse().unwrap();
    let users: f64 = map.y.values[spike.row].parse().unwrap();
    // No other value on either axis is nearer (by ratio) than the mark's.
    for v in &map.x.values {
        let v: f64 = v.parse().unwrap();
        assert!((v / 2000.0).ln().abs() >= (flag / 2000.0).ln().abs() - 1e-9);
    }
    for v in &map.y.values {
        let v: f64 = v.parse().unwrap();
        assert!((v / 50.0).ln().abs() >= (users / 50.0).ln().abs() - 1e-9);
    }
}

#[test]
fn every_map_in_the_data_file_fits_a_preset_and_places_every_mark() {
    let maps: Vec<Map> = presets::names().into_iter().map(map_of).collect();
    let sock = map_of("sockshop-hybrid");
    assert_eq!(sock.x.path, "workload.users");
    assert_eq!(sock.y.path, "services.front-end.cpu_limit");
    assert_eq!(sock.marks.len(), 3, "{:?}", sock.marks);
    let python = map_of("python-leaks");
    assert_eq!(python.y.path, "services.leaky.memory_limit");
    for map in &maps {
        assert!(!map.about.is_empty(), "{}: {}", map.x.path, map.y.path);
        assert_eq!(map.layers.len(), 4);
    }
}

#[test]
fn an_axis_the_data_file_lacks_spans_a_quarter_to_four_times_its_value() {
    let base = presets::load("checkout-gradual").unwrap();
    let gogc = axis_default(&base, "services.checkout.go.gogc").unwrap();
    assert_eq!(
        gogc, "services.checkout.go.gogc=25..400:8:lin",
        "GOGC is 100"
    );
    assert!(axis_default(&base, "services.nope.replicas").is_err());
    let map = Map::new(&base, &gogc, "workload.users=5..100:10").unwrap();
    assert!(map.marks.is_empty(), "no seed row is about GOGC");
    let same = Map::new(&base, "workload.users=5..10:2", "workload.users=5..100:10");
    assert!(same.unwrap_err().contains("both workload.users"));
}

#[test]
fn a_workers_cell_is_the_sweeps_cell_and_a_bad_request_is_an_answer() {
    let base = presets::load("checkout-spike").unwrap();
    let map = Map::new(
        &base,
        &format!("{FLAG}=500..2000:2"),
        "workload.users=10..50:2",
    )
    .unwrap();
    let grid = map.grid();
    let index = 3;
    let native = grid.run(&base, index);
    let request = serde_json::json!({
        "scenario": base.to_json(),
        "sets": grid.sets(index).iter().map(|(p, v)| [p, v]).collect::<Vec<_>>(),
        "measures": map.measures_text(),
    });
    let answer = run_cell_request(&request.to_string());
    let cell = read_cell_answer(&answer, grid.sets(index));
    assert_eq!(cell, native);
    assert!(!cell.trace_hash.is_empty());
    for bad in [
        "",
        "{",
        "[]",
        r#"{"scenario": 3}"#,
        r#"{"scenario": "{}", "sets": []}"#,
    ] {
        let answer = run_cell_request(bad);
        let cell = read_cell_answer(&answer, vec![]);
        assert!(cell.problem.is_some(), "{bad:?} gave {answer}");
    }
}

#[test]
fn a_sooner_oom_is_darker_and_no_oom_is_none() {
    let oom = Measure::parse("first_oom_after_load_min(checkout)").unwrap();
    let shades = severities(&oom, &[None, Some(1.0), Some(10.0)], 20.0);
    assert_eq!(shades[0], 0.0);
    assert!(shades[1] > shades[2] && shades[2] > 0.0, "{shades:?}");
    let restarts = Measure::parse("restarts(checkout)").unwrap();
    let shades = severities(&restarts, &[Some(0.0), Some(2.0), Some(4.0)], 20.0);
    assert_eq!(shades, vec![0.0, 0.5, 1.0]);
}
