//! The SimPy peer (tests/peers/checkout_gradual.py): the same gradual leak
//! written in SimPy, fed the same parameters by `incident params`. The
//! bench prints how much faster the engine is, whole process against whole
//! process and simulation against simulation, and how close the two
//! models' answers are, so the ratio is between like and like.

use crate::setup;
use crate::util::{median, note, process_wall, root, step, Result};
use incident_core::lesson::measure::Measure;
use incident_core::{presets, simulate};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// The engine should stay at least this many times faster (issue 16).
const PEER_RATIO_BUDGET: f64 = 100.0;
/// Seeds compared for the answer: one seed's draws differ between the two
/// random generators, so the means are what should agree.
const SEEDS: u64 = 10;
/// Timed runs of each whole process; the median is shown.
const RUNS: usize = 5;
const PRESET: &str = "checkout-gradual";

/// What one peer run printed.
struct PeerRun {
    first_oom_min: Option<f64>,
    events: u64,
    wall_s: f64,
}

fn peer_script() -> PathBuf {
    root()
        .join("tests")
        .join("peers")
        .join("checkout_gradual.py")
}

fn run_peer(incident: &Path, seed: u64) -> Result<PeerRun> {
    let out = Command::new(setup::python_bin().join("python"))
        .arg(peer_script())
        .arg("--incident")
        .arg(incident)
        .args(["--seed", &seed.to_string()])
        .output()
        .map_err(|e| format!("cannot start the SimPy peer: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "the SimPy peer failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .map_err(|e| format!("the SimPy peer's output is not JSON: {e}"))?;
    let number = |key: &str| v.get(key).and_then(serde_json::Value::as_f64);
    Ok(PeerRun {
        first_oom_min: number("first_oom_after_load_min"),
        events: number("events").ok_or("the SimPy peer printed no events")? as u64,
        wall_s: number("wall_s").ok_or("the SimPy peer printed no wall_s")?,
    })
}

/// The model's first OOM after load on `seed`, and its simulation wall time.
fn model_run(seed: u64) -> Result<(Option<f64>, f64)> {
    let mut sc = presets::load(PRESET).ok_or("checkout-gradual loads")?;
    sc.seed = seed;
    let measure = Measure::parse("first_oom_after_load_min(checkout)")?;
    let started = Instant::now();
    let trace = simulate(&sc);
    let wall = started.elapsed().as_secs_f64();
    let first_oom = measure.evaluate(&trace).and_then(|v| v.number());
    Ok((first_oom, wall))
}

fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

/// `incident` has been built in release by the sweep bench.
pub fn bench(incident: &Path) -> Result {
    step("SimPy peer: checkout-gradual written in SimPy (tests/peers), the same parameters");
    setup::python_packages()?;
    let model_process = process_wall(RUNS, || {
        let mut c = Command::new(incident);
        c.args(["simulate", PRESET]);
        c
    })?;
    let peer_process = process_wall(RUNS, || {
        let mut c = Command::new(setup::python_bin().join("python"));
        c.arg(peer_script()).arg("--incident").arg(incident);
        c
    })?;
    let (mut model_ooms, mut peer_ooms) = (Vec::new(), Vec::new());
    let (mut model_walls, mut peer_walls, mut peer_events) = (Vec::new(), Vec::new(), 0);
    for seed in 1..=SEEDS {
        let (oom, wall) = model_run(seed)?;
        model_ooms.extend(oom);
        model_walls.push(wall);
        let peer = run_peer(incident, seed)?;
        peer_ooms.extend(peer.first_oom_min);
        peer_walls.push(peer.wall_s);
        peer_events = peer.events;
    }
    report(
        model_process,
        peer_process,
        &model_walls,
        &peer_walls,
        peer_events,
    );
    let (model_mean, peer_mean) = (mean(&model_ooms), mean(&peer_ooms));
    match (model_mean, peer_mean) {
        (Some(m), Some(p)) => note(&format!(
            "same answer: first OOM after load, mean of seeds 1-{SEEDS}: model {m:.1} min \
             ({} OOMs), SimPy {p:.1} min ({} OOMs), {:+.0} %",
            model_ooms.len(),
            peer_ooms.len(),
            (p / m - 1.0) * 100.0
        )),
        _ => note("same answer: one side had no OOM on any seed"),
    }
    Ok(())
}

fn report(
    model_process: f64,
    peer_process: f64,
    model_walls: &[f64],
    peer_walls: &[f64],
    peer_events: u64,
) {
    let model_sim = median(model_walls.to_vec());
    let peer_sim = median(peer_walls.to_vec());
    println!(
        "    whole process:  incident simulate {:>7.1} ms   python (SimPy) {:>7.1} ms   {:>5.0}x",
        model_process * 1e3,
        peer_process * 1e3,
        peer_process / model_process
    );
    println!(
        "    simulation:     engine            {:>7.1} ms   SimPy          {:>7.1} ms   {:>5.0}x  \
         (SimPy: {peer_events} events)",
        model_sim * 1e3,
        peer_sim * 1e3,
        peer_sim / model_sim
    );
    let worst = (peer_process / model_process).min(peer_sim / model_sim);
    note(&format!(
        "engine vs SimPy: {worst:.0}x at the least (budget {PEER_RATIO_BUDGET:.0}x: {})",
        if worst >= PEER_RATIO_BUDGET {
            "ok"
        } else {
            "missed"
        }
    ));
}
