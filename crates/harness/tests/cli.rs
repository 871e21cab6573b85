//! The `incident` command as a user runs it: real process, real exit codes.

use std::path::PathBuf;
use std::process::{Command, Output};

fn incident(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_incident"))
        .args(args)
        .output()
        .expect("run incident")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json(args: &[&str]) -> serde_json::Value {
    let o = incident(args);
    assert!(o.status.success(), "{}", stderr(&o));
    serde_json::from_slice(&o.stdout).expect("json")
}

fn service<'a>(summary: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    summary["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap()
}

fn temp_file(name: &str, contents: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("incident-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

#[test]
fn json_summary_has_the_documented_keys() {
    let s = json(&["simulate", "checkout-spike", "--format", "json"]);
    for key in [
        "trace_hash",
        "seed",
        "duration_s",
        "services",
        "requests",
        "alerts",
    ] {
        assert!(s.get(key).is_some(), "missing {key}");
    }
    let checkout = service(&s, "checkout");
    for key in [
        "name",
        "first_oom_s",
        "restarts",
        "peak_working_set_bytes",
        "memory_bytes_limit",
    ] {
        assert!(checkout.get(key).is_some(), "missing services[].{key}");
    }
    for key in [
        "issued",
        "succeeded",
        "failed",
        "in_flight",
        "rate_per_s",
        "latency_ms_p50",
        "latency_ms_p95",
        "latency_ms_p99",
    ] {
        assert!(s["requests"].get(key).is_some(), "missing requests.{key}");
    }
    let alert = &s["alerts"][0];
    for key in ["rule", "service", "at_s"] {
        assert!(alert.get(key).is_some(), "missing alerts[].{key}");
    }
    assert_eq!(s["trace_hash"].as_str().unwrap().len(), 16);
}

#[test]
fn done_criteria_from_the_command_line() {
    let spike = json(&["simulate", "checkout-spike", "--format", "json"]);
    let after = service(&spike, "checkout")["first_oom_s"].as_f64().unwrap()
        - spike["load_started_s"].as_f64().unwrap();
    // Not the seed's 60–90 s: the first burst's failed writes block later
    // PlaceOrders until their 15 s deadline, and their fan-outs land
    // together (checkout-spike's notes; a real run: 17.5 s).
    assert!(
        (15.0..=30.0).contains(&after),
        "spike OOM {after} s after load"
    );

    let gradual = json(&["simulate", "checkout-gradual", "--format", "json"]);
    let oom = service(&gradual, "checkout")["first_oom_s"]
        .as_f64()
        .unwrap();
    // Seed 001's 10–15 min (the preset's claims; the median over seeds is
    // checked in tests/calibration.rs).
    assert!((600.0..=900.0).contains(&oom), "gradual OOM at {oom} s");

    let hybrid = json(&["simulate", "sockshop-hybrid", "--format", "json"]);
    assert!(service(&hybrid, "front-end")["restarts"].as_u64().unwrap() > 0);
    for back in ["catalogue", "carts", "orders", "user", "payment"] {
        assert_eq!(service(&hybrid, back)["restarts"], 0, "{back}");
    }
}

#[test]
fn table_output_reads_well() {
    let o = incident(&["simulate", "checkout-gradual"]);
    assert!(o.status.success());
    let text = stdout(&o);
    assert!(text.contains("checkout-gradual — Checkout: gradual memory leak"));
    assert!(text.contains("FIRST OOM"));
    assert!(text.contains("trace "));
    assert!(text.contains("latency"));
}

#[test]
fn same_input_same_hash_and_seed_changes_it() {
    let a = json(&[
        "simulate",
        "checkout-gradual",
        "--format",
        "json",
        "--duration",
        "5m",
    ]);
    let b = json(&[
        "simulate",
        "checkout-gradual",
        "--format",
        "json",
        "--duration",
        "5m",
    ]);
    let c = json(&[
        "simulate",
        "checkout-gradual",
        "--format",
        "json",
        "--duration",
        "5m",
        "--seed",
        "7",
    ]);
    assert_eq!(a["trace_hash"], b["trace_hash"]);
    assert_ne!(a["trace_hash"], c["trace_hash"]);
    assert_eq!(c["seed"], 7);
    assert_eq!(a["duration_s"], 300.0);
}

#[test]
fn set_changes_the_run() {
    let low = json(&[
        "simulate",
        "checkout-spike",
        "--format",
        "json",
        "--set",
        "flags.kafkaQueueProblems.variants.on=0",
    ]);
    assert!(
        service(&low, "checkout")["first_oom_s"].is_null(),
        "no fan-out, no OOM"
    );
}

#[test]
fn csv_has_a_row_per_sample_and_out_writes_a_file() {
    let out = temp_file("series.csv", b"");
    let o = incident(&[
        "simulate",
        "checkout-spike",
        "--format",
        "csv",
        "--duration",
        "5m",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let csv = std::fs::read_to_string(&out).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].starts_with("time_s,"));
    assert!(lines[0].contains("checkout:k8s.pod.memory.working_set [By]"));
    assert_eq!(
        lines.len(),
        1 + 301,
        "header plus one row per second of 5 minutes"
    );
}

#[test]
fn files_work_and_extend_presets() {
    let f = temp_file(
        "mine.toml",
        b"extends = \"checkout-gradual\"\nname = \"mine\"\nduration = \"2m\"\n[workload]\nusers = 5\n",
    );
    let s = json(&["simulate", f.to_str().unwrap(), "--format", "json"]);
    assert_eq!(s["scenario"], "mine");
    assert_eq!(s["duration_s"], 120.0);
}

fn assert_bad_input(args: &[&str], needle: &str) {
    let o = incident(args);
    assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains(needle),
        "{args:?}: expected `{needle}` in\n{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn bad_input_exits_2_with_one_clear_message_per_problem() {
    assert_bad_input(
        &["simulate", "no-such-preset"],
        "is neither a preset nor a file; the presets are: checkout-spike",
    );
    assert_bad_input(
        &["simulate", "checkout-spike", "--set", "workload.userz=5"],
        "workload.userz: unknown parameter",
    );
    assert_bad_input(
        &["simulate", "checkout-spike", "--set", "workload.users=lots"],
        "`lots` is not a whole number; workload.users takes 0..=20000",
    );
    assert_bad_input(
        &["simulate", "checkout-spike", "--set", "workload.users=1e9"],
        "workload.users",
    );
    assert_bad_input(
        &[
            "simulate",
            "checkout-spike",
            "--set",
            "workload.users=99999",
        ],
        "99999 is above the maximum 20000",
    );
    assert_bad_input(
        &["simulate", "checkout-spike", "--set", "users"],
        "write it as path=value",
    );
    assert_bad_input(
        &["simulate", "checkout-spike", "--duration", "5"],
        "no unit",
    );
    assert_bad_input(&["simulate", "checkout-spike", "--seed", "-3"], "seed");
    assert_bad_input(&["simulate", "checkout-spike", "--format", "xml"], "xml");
    // Several problems: all reported.
    let o = incident(&[
        "simulate",
        "checkout-spike",
        "--set",
        "workload.users=99999",
        "--set",
        "kafka.error_ratio=2",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o)
            .lines()
            .filter(|l| l.starts_with("error: "))
            .count(),
        2,
        "{}",
        stderr(&o)
    );
}

#[test]
fn bad_files_exit_2() {
    let malformed = temp_file("bad.toml", b"name = \"x\"\nthis is not toml\n");
    assert_bad_input(&["simulate", malformed.to_str().unwrap()], "line 2");
    let huge = temp_file("huge.toml", &vec![b'#'; 300 * 1024]);
    assert_bad_input(&["simulate", huge.to_str().unwrap()], "at most 256 KiB");
    let binary = temp_file("bin.toml", &[0xff, 0xfe, 0x00, 0x01]);
    assert_bad_input(&["simulate", binary.to_str().unwrap()], "not UTF-8");
    let json_bad = temp_file("bad.json", b"{\"name\": 3}");
    assert_bad_input(&["simulate", json_bad.to_str().unwrap()], "bad.json");
    let dir = std::env::temp_dir();
    assert_bad_input(
        &["simulate", dir.to_str().unwrap()],
        "is a directory; a scenario file must be a regular file",
    );
}

#[test]
fn presets_and_params_list_what_exists() {
    let o = incident(&["presets"]);
    assert!(o.status.success());
    let text = stdout(&o);
    for name in [
        "checkout-spike",
        "checkout-gradual",
        "sockshop-hybrid",
        "python-leaks",
    ] {
        assert!(text.contains(name), "{name}");
    }
    let o = incident(&["params", "checkout-gradual"]);
    assert!(o.status.success());
    let text = stdout(&o);
    assert!(text.contains("flags.kafkaQueueProblems.variants.on"));
    assert!(text.contains("1Mi..=64Gi"));
    let o = incident(&["params", "checkout-gradual", "--format", "json"]);
    let params: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(params.as_array().unwrap().len() > 60);
    assert_bad_input(&["params", "nope"], "neither a preset nor a file");
}

#[test]
fn lessons_check_passes_the_shipped_lessons_and_names_every_problem() {
    let shipped = concat!(env!("CARGO_MANIFEST_DIR"), "/../../assets/lessons");
    let o = incident(&["lessons", "check", shipped]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("every answer, claim and number comes from its run"));

    // A lesson that says what its run does not: the claim and the stray
    // number are named with their fields.
    let untrue = temp_file(
        "untrue-lesson.toml",
        br#"
name = "untrue"
title = "t"
[[steps]]
title = "a"
prose = "Memory stays flat at {peak_working_set_mi(checkout)}."
preset = "checkout-gradual"
claims = ["working_set_range_mi(checkout) < 1"]
"#,
    );
    let o = incident(&["lessons", "check", untrue.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("steps.0.claims.0") && err.contains("false of this run"),
        "{err}"
    );
    let o = incident(&[
        "measure",
        "checkout-gradual",
        "first_oom_after_load_min(checkout)",
        "restarts(checkout) >= 1",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.contains("first_oom_after_load_min(checkout) = ") && text.contains(" min"),
        "{text}"
    );
    assert!(text.contains("restarts(checkout) >= 1 = true"), "{text}");
    assert_bad_input(
        &["measure", "checkout-gradual", "no_such(checkout)"],
        "no measure",
    );

    let bad = temp_file(
        "bad-lesson.toml",
        br#"
name = "bad"
title = "t"
[[steps]]
title = "a"
prose = "p"
preset = "nope"
highlight = ["memroy"]
"#,
    );
    let o = incident(&["lessons", "check", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("steps.0.preset") && err.contains("nope"),
        "{err}"
    );
    assert!(err.contains("steps.0.highlight.0"), "{err}");
    assert_bad_input(&["lessons", "check", "/no/such/lessons"], "no such file");
}

/// Found by fuzzing lesson files: a claim with a character of several
/// bytes before its operator panicked.
#[test]
fn a_claim_with_a_multibyte_character_is_bad_input_not_a_panic() {
    assert_bad_input(
        &["measure", "checkout-spike", "restarts(checkout)é>=1"],
        "a call ends with `)`",
    );
}

#[test]
fn run_without_a_daemon_explains_how_to_start_one() {
    let o = incident(&[
        "run",
        "checkout-spike",
        "--docker-host",
        "unix:///nonexistent/docker.sock",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("no Docker daemon at unix:///nonexistent/docker.sock"),
        "{err}"
    );
    assert!(
        err.contains("dockerd --iptables=false --ip6tables=false --bridge=none"),
        "{err}"
    );
    // Nothing ran, so nothing is written where it was run.
    let here = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    for name in [
        "checkout-spike.real.trace.json",
        "checkout-spike.real.trace.json.partial.jsonl",
    ] {
        assert!(!here.join(name).exists(), "{name} was left behind");
    }
}

#[test]
fn run_refuses_an_output_it_cannot_write_before_anything_runs() {
    let dir = std::env::temp_dir();
    let o = incident(&["run", "checkout-spike", "--out", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("is a directory"), "{}", stderr(&o));
    let o = incident(&["run", "checkout-spike", "--out", "/no/such/folder/run.json"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("/no/such/folder does not exist"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn run_sends_load_to_loopback_unless_told_otherwise() {
    let o = incident(&["run", "checkout-spike", "--target", "http://10.1.2.3:8080"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("--allow-remote-target"),
        "{}",
        stderr(&o)
    );
    let o = incident(&["run", "checkout-spike", "--duration", "2h"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("at most 60 min"), "{}", stderr(&o));
}

#[test]
fn compare_rejects_what_is_not_a_trace() {
    let dir = std::env::temp_dir().join(format!("incident-compare-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.json");
    std::fs::write(&bad, "{\"format\": \"something-else\"}").unwrap();
    let o = incident(&["compare", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("not a trace file"), "{}", stderr(&o));
    // A model trace compares with itself: every error is zero.
    let model = dir.join("model.json");
    let o = incident(&[
        "simulate",
        "checkout-spike",
        "--format",
        "trace",
        "--out",
        model.to_str().unwrap(),
    ]);
    assert!(o.status.success());
    let o = incident(&["compare", model.to_str().unwrap(), "--format", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let doc: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    for row in doc["rows"].as_array().unwrap() {
        if let Some(e) = row["relative_error"].as_f64() {
            assert!(e.abs() < 1e-9, "{row}");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn run_against_your_own_containers_needs_a_target_and_a_known_service() {
    let o = incident(&[
        "run",
        "checkout-spike",
        "--container",
        "checkout=otel-demo-checkout-1",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("give --target"), "{}", stderr(&o));
    let o = incident(&[
        "run",
        "checkout-spike",
        "--container",
        "payments=x",
        "--target",
        "http://127.0.0.1:8080",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("no service `payments`"),
        "{}",
        stderr(&o)
    );
}

/// `incident simulate … | head -1`: the reader closes the pipe after one
/// line; the CLI stops writing and exits cleanly instead of panicking.
#[test]
fn a_closed_output_pipe_is_not_a_crash() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_incident"))
        .args(["simulate", "checkout-spike", "--format", "csv"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run incident");
    let mut header = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut header)
        .unwrap();
    // The reader is dropped here: the pipe is closed with rows still to come.
    assert!(header.starts_with("time_s,"), "{header}");
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "exit {:?}: {}", o.status, stderr(&o));
    assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
}

/// `incident sweep`: each cell's hash is the one `simulate --set` gives
/// for the same overrides, on several threads as on one.
#[test]
fn sweep_cells_are_the_runs_simulate_makes() {
    let args = [
        "sweep",
        "checkout-gradual",
        "--duration",
        "10m",
        "--vary",
        "flags.kafkaQueueProblems.variants.on=300..2000:2",
        "--vary",
        "workload.users=25..50:2:lin",
        "--measure",
        "first_oom_after_load_min,restarts",
        "--format",
        "json",
    ];
    let o = incident(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("4 cells in"), "{}", stderr(&o));
    let doc: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let cells = doc["cells"].as_array().unwrap();
    assert_eq!(cells.len(), 4);
    for cell in cells {
        let mut run = vec![
            "simulate",
            "checkout-gradual",
            "--duration",
            "10m",
            "--format",
            "json",
        ];
        let sets: Vec<String> = cell["set"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(p, v)| format!("{p}={}", v.as_str().unwrap()))
            .collect();
        for s in &sets {
            run.extend(["--set", s.as_str()]);
        }
        let alone: serde_json::Value = serde_json::from_str(&stdout(&incident(&run))).unwrap();
        assert_eq!(cell["trace_hash"], alone["trace_hash"], "{sets:?}");
        let restarts = alone["services"][0]["restarts"].as_f64().unwrap();
        assert_eq!(
            cell["measures"]["restarts(checkout)"].as_f64(),
            Some(restarts)
        );
    }
    let one = incident(&[&args[..], &["--threads", "1"]].concat());
    let doc_one: serde_json::Value = serde_json::from_str(&stdout(&one)).unwrap();
    assert_eq!(doc_one["cells"], doc["cells"]);
    let csv = incident(&[&args[..10], &["--format", "csv"]].concat());
    let text = stdout(&csv);
    assert!(text.starts_with("flags.kafkaQueueProblems.variants.on,workload.users,first_oom_after_load_min(checkout)"), "{text}");
    assert_eq!(text.lines().count(), 5);
}

#[test]
fn sweep_refuses_bad_axes_and_measures_with_exit_2() {
    assert_bad_input(
        &["sweep", "checkout-gradual", "--vary", "workload.users"],
        "PATH=FROM..TO:N",
    );
    assert_bad_input(
        &["sweep", "checkout-gradual", "--vary", "nope=1..2:2"],
        "nope is not a parameter",
    );
    assert_bad_input(
        &[
            "sweep",
            "checkout-gradual",
            "--vary",
            "workload.users=1..9:3",
            "--measure",
            "restarts(nowhere)",
        ],
        "nowhere",
    );
}
