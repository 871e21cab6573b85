//! The trace hash of every preset and of every lesson step (every case of a
//! diagnostic step), pinned. A change of shape (moving code, renaming,
//! typed ids) must leave every run exactly as it was; a change of the model
//! changes hashes on purpose, and then the pins are written again with
//!
//! ```text
//! INCIDENT_REPIN=1 cargo test --release -p incident-core --test pinned
//! ```
//!
//! and the diff of `pinned_hashes.txt` shows which runs moved.

use incident_core::lesson::Lesson;
use incident_core::{presets, simulate};
use std::path::PathBuf;

fn pins_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/pinned_hashes.txt")
}

/// Every run the project ships, with its hash, one per line.
fn current() -> Vec<String> {
    let mut out = Vec::new();
    for name in presets::names() {
        let trace = simulate(&presets::load(name).expect("a preset"));
        out.push(format!("preset {name} {}", trace.summary.trace_hash));
    }
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../assets/lessons");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("assets/lessons")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml") && !p.ends_with("index.toml"))
        .collect();
    files.sort();
    for path in files {
        let lesson = Lesson::parse(&std::fs::read_to_string(&path).unwrap()).expect("a lesson");
        for step in 0..lesson.steps.len() {
            let cases = lesson.case_count(step);
            for case in 0..cases as u64 {
                let seed = (cases > 1).then_some(case);
                let scenario = lesson.scenario_for(step, seed).expect("a step's scenario");
                let hash = simulate(&scenario).summary.trace_hash;
                out.push(format!("lesson {} {} {case} {hash}", lesson.name, step + 1));
            }
        }
    }
    out
}

#[test]
fn every_shipped_run_keeps_its_hash() {
    let now = current();
    if std::env::var_os("INCIDENT_REPIN").is_some() {
        std::fs::write(pins_path(), now.join("\n") + "\n").expect("write the pins");
        return;
    }
    let pinned = std::fs::read_to_string(pins_path()).expect("tests/pinned_hashes.txt");
    let pinned: Vec<&str> = pinned.lines().collect();
    let moved: Vec<String> = now
        .iter()
        .filter(|line| !pinned.contains(&line.as_str()))
        .cloned()
        .collect();
    assert!(
        moved.is_empty() && pinned.len() == now.len(),
        "{} of {} runs changed (or the set of runs did); a change of shape must not \
         change any. Now:\n{}\n(Write the pins again only for a change of the model: \
         INCIDENT_REPIN=1.)",
        moved.len(),
        now.len(),
        moved.join("\n")
    );
}
