//! The model against recorded reality: every real run under
//! tests/fixtures/real/ (made by the command beside it in record.sh) is
//! compared with the model by `incident compare`, and each calibration
//! number must be within its tolerance (core::calibration), or be listed,
//! with the reason, in known-misses.txt. No Docker: the fixtures are the
//! recorded runs.

use std::path::{Path, PathBuf};
use std::process::Command;

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/real")
}

fn fixtures() -> Vec<PathBuf> {
    let mut all: Vec<PathBuf> = std::fs::read_dir(fixtures_dir())
        .expect("tests/fixtures/real exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    all.sort();
    all
}

/// `incident compare --format json` on one fixture.
fn compare(path: &Path) -> serde_json::Value {
    let out = Command::new(env!("CARGO_BIN_EXE_incident"))
        .args(["compare", "--format", "json"])
        .arg(path)
        .output()
        .expect("the CLI runs");
    assert!(
        out.status.success(),
        "{}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("compare prints JSON")
}

#[test]
fn every_fixture_was_made_by_a_command_in_record_sh() {
    let script = std::fs::read_to_string(fixtures_dir().join("record.sh")).unwrap();
    let all = fixtures();
    assert!(
        all.len() >= 14,
        "the grid, an outage and a healthy broker: {all:?}"
    );
    for path in &all {
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        let grid = format!("grid {name} ");
        let named = format!("echo \"{name}|");
        assert!(
            script.contains(&grid) || script.contains(&named),
            "{name} has no command in record.sh"
        );
    }
}

#[test]
fn the_model_is_within_tolerance_of_every_recorded_run() {
    let mut misses = Vec::new();
    let mut table = Vec::new();
    for path in fixtures() {
        let doc = compare(&path);
        assert_eq!(doc["real_source"], "harness", "{}", path.display());
        let checks = doc["calibration"].as_array().expect("checks").clone();
        assert_eq!(checks.len(), 4, "{}", path.display());
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        for c in checks {
            let line = format!(
                "{name}: {} real {} model {} ({})",
                c["what"], c["real"], c["model"], c["tolerance"]
            );
            if c["within"] != true {
                misses.push(line.clone());
            }
            table.push(line);
        }
    }
    eprintln!("{}", table.join("\n"));
    let listed = known_misses();
    let key = |line: &String| line.split(" real ").next().unwrap_or("").to_string();
    let found: Vec<String> = misses.iter().map(key).collect();
    let new: Vec<&String> = misses
        .iter()
        .filter(|line| !listed.contains(&key(line)))
        .collect();
    let fixed: Vec<&String> = listed.iter().filter(|k| !found.contains(k)).collect();
    assert!(
        new.is_empty(),
        "outside tolerance and not in known-misses.txt:\n{new:#?}"
    );
    assert!(
        fixed.is_empty(),
        "within tolerance now: take them out of known-misses.txt:\n{fixed:#?}"
    );
}

/// The `FIXTURE | what` lines of tests/fixtures/real/known-misses.txt, in
/// the table's own form, `FIXTURE: "what"`.
fn known_misses() -> Vec<String> {
    let text = std::fs::read_to_string(fixtures_dir().join("known-misses.txt")).unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let (name, what) = l.split_once(" | ").expect("FIXTURE | what");
            format!("{name}: \"{what}\"")
        })
        .collect()
}
