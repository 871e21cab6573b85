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

/// The CLI's stdout for `args`, which must succeed.
fn incident<I, S>(args: I) -> Vec<u8>
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let out = Command::new(env!("CARGO_BIN_EXE_incident"))
        .args(args)
        .output()
        .expect("the CLI runs");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
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

/// Each command in record.sh, as `(fixture name, arguments after the
/// program)`, read from the script itself (`PRINT=1`).
fn record_commands() -> Vec<(String, Vec<String>)> {
    let out = Command::new("bash")
        .arg(fixtures_dir().join("record.sh"))
        .env("PRINT", "1")
        .env("INCIDENT", "incident")
        .output()
        .expect("bash runs record.sh");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|line| {
            let (name, cmd) = line.split_once('|').expect("NAME|COMMAND");
            let args = cmd.split_whitespace().skip(1).map(String::from).collect();
            (name.to_string(), args)
        })
        .collect()
}

/// `incident export ARGS --to compose` into a fresh directory: everything a
/// workload is handed (its environment, limits, flags and load), as files.
fn exported(args: &[String], dir: &Path) -> Vec<(String, String)> {
    let _ = std::fs::remove_dir_all(dir);
    let out = Command::new(env!("CARGO_BIN_EXE_incident"))
        .args(args)
        .args(["--to", "compose", "--out"])
        .arg(dir)
        .output()
        .expect("the CLI runs");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut files: Vec<(String, String)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let path = e.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            (name, std::fs::read_to_string(&path).unwrap())
        })
        .collect();
    files.sort();
    files
}

/// A fixture stays reproducible only if its command, run again today, hands
/// the workload what the recorded run was handed: a preset value that moves
/// (the broker's error ratio did) must not change what record.sh records.
#[test]
fn each_command_in_record_sh_still_hands_the_workload_what_its_fixture_was_handed() {
    let scratch = std::env::temp_dir().join(format!("incident-record-sh-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).unwrap();
    for (name, args) in record_commands() {
        let fixture = fixtures_dir().join(format!("{name}.json"));
        let trace: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&fixture).unwrap()).unwrap();
        let recorded = scratch.join(format!("{name}.scenario.json"));
        std::fs::write(&recorded, trace["scenario"].to_string()).unwrap();
        let then = exported(
            &["export".into(), recorded.display().to_string()],
            &scratch.join("then"),
        );
        let mut again: Vec<String> = vec!["export".into()];
        let mut rest = args.iter().skip(1);
        while let Some(arg) = rest.next() {
            match arg.as_str() {
                "--out" => {
                    rest.next();
                }
                _ => again.push(arg.clone()),
            }
        }
        let now = exported(&again, &scratch.join("now"));
        assert_eq!(
            then, now,
            "{name}: record.sh's command no longer makes this fixture's run"
        );
    }
    let _ = std::fs::remove_dir_all(&scratch);
}

/// A real run that died before writing its trace leaves its partial file:
/// `compare` reads it, says it is partial, and checks what it holds.
#[test]
fn compare_reads_a_partial_trace_and_says_so() {
    use incident_core::trace::partial::{event_line, header_line, load_started_line, sample_line};
    let path = fixtures_dir().join("f2000-u50-20Mi.json");
    let whole = incident_core::trace::import(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let cut = whole.sample_times_us.len() / 2;
    let cut_us = whole.sample_times_us[cut - 1];
    let mut lines = vec![header_line(&whole.scenario)];
    if let Some(s) = whole.summary.load_started_s {
        lines.push(load_started_line((s * 1e6) as u64));
    }
    lines.extend((0..cut).map(|i| sample_line(whole.sample_times_us[i], &whole.series, i)));
    for e in whole.events.iter().filter(|e| e.at_us <= cut_us) {
        lines.push(event_line(
            e,
            e.object.starts_with("pod/checkout-").then_some("checkout"),
        ));
    }
    let file = std::env::temp_dir().join(format!(
        "incident-partial-{}.partial.jsonl",
        std::process::id()
    ));
    std::fs::write(&file, lines.join("\n")).unwrap();
    let doc = compare(&file);
    assert_eq!(doc["partial"], true);
    assert_eq!(doc["duration_s"].as_f64(), Some(cut_us as f64 / 1e6));
    let first_oom = &doc["calibration"][0];
    assert_eq!(first_oom["what"], "checkout first OOM after load");
    let real_oom = whole
        .summary
        .service("checkout")
        .unwrap()
        .first_oom_s
        .unwrap();
    let load = whole.summary.load_started_s.unwrap_or(0.0);
    assert!(
        (first_oom["real"].as_f64().unwrap() - (real_oom - load)).abs() < 1e-6,
        "{first_oom}"
    );
    let table = Command::new(env!("CARGO_BIN_EXE_incident"))
        .arg("compare")
        .arg(&file)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        table.status.success() && text.contains("(partial:"),
        "{text}"
    );
    let _ = std::fs::remove_file(&file);
}

/// The checkout's heap goal (MiB) at a trace's first sample.
fn first_gc_goal_mib(trace: &serde_json::Value) -> f64 {
    let series = trace["series"].as_array().expect("series");
    let goal = series
        .iter()
        .find(|s| s["service"] == "checkout" && s["name"] == "go.memory.gc.goal")
        .expect("the checkout's GC goal is recorded");
    goal["values"][0].as_f64().expect("a first sample") / (1024.0 * 1024.0)
}

/// GOMEMLIMIT counts the runtime's memory beside the heap; the base
/// preset's `runtime_metadata` is read off these idle goals, and the model's
/// own idle goal must give them back.
#[test]
fn the_models_idle_heap_goal_is_the_real_runs() {
    let out = incident([
        "simulate",
        "checkout-gradual",
        "--duration",
        "10s",
        "--format",
        "trace",
    ]);
    let model: serde_json::Value = serde_json::from_slice(&out).expect("a trace");
    let model_goal = first_gc_goal_mib(&model);
    for path in fixtures() {
        let real: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let scenario = &real["scenario"]["services"]["checkout"]["go"];
        assert_eq!(scenario["gomemlimit"], "16Mi", "{}", path.display());
        let real_goal = first_gc_goal_mib(&real);
        assert!(
            (model_goal - real_goal).abs() <= 0.02 * real_goal,
            "{}: real idle goal {real_goal:.2} MiB, model {model_goal:.2} MiB",
            path.display()
        );
    }
}

/// `incident go-costs --trace FILE`'s working set per blocked goroutine (B).
fn working_set_per_goroutine(trace: &Path) -> f64 {
    let out = incident([
        std::ffi::OsStr::new("go-costs"),
        "--trace".as_ref(),
        trace.as_os_str(),
    ]);
    let text = String::from_utf8_lossy(&out).to_string();
    let line = text
        .lines()
        .find(|l| l.starts_with("working set per blocked goroutine"))
        .unwrap_or_else(|| panic!("no per-goroutine line in {text}"));
    let number = line.split_whitespace().rev().nth(1).expect("N B");
    number.parse().expect("a number of bytes")
}

/// The base preset's stack cost is read off the real go-costs run: the
/// model's run of the same scenario must cost what the real one measured.
#[test]
fn a_blocked_goroutine_costs_the_model_what_it_costs_the_real_workload() {
    let workloads = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../workloads/checkout");
    let scenario = workloads.join("go-costs.toml");
    let out = incident([
        std::ffi::OsStr::new("simulate"),
        "--format".as_ref(),
        "trace".as_ref(),
        scenario.as_os_str(),
    ]);
    let model_trace =
        std::env::temp_dir().join(format!("go-costs-model-{}.json", std::process::id()));
    std::fs::write(&model_trace, &out).unwrap();
    let model = working_set_per_goroutine(&model_trace);
    let _ = std::fs::remove_file(&model_trace);
    let real = working_set_per_goroutine(&workloads.join("go-costs.real.trace.json"));
    assert!(
        (model - real).abs() <= 0.05 * real,
        "a blocked goroutine: real {real} B, model {model} B"
    );
}
