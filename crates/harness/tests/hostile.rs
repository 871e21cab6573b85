//! Input that is not what a command expects, given to the real binary:
//! every case ends fast with one line naming the path or field and what is
//! allowed (exit 2), or, for output that could not be written, exit 1.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Longer than any of these commands takes; a hang fails the test.
const PATIENCE: Duration = Duration::from_secs(60);

fn incident_with(args: &[&str], stdout: Stdio) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_incident"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(Stdio::piped())
        .spawn()
        .expect("run incident");
    let started = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if started.elapsed() > PATIENCE {
            let _ = child.kill();
            let _ = child.wait();
            panic!("incident {args:?} still running after {PATIENCE:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("output")
}

fn incident(args: &[&str]) -> Output {
    incident_with(args, Stdio::piped())
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn error_lines(o: &Output) -> Vec<String> {
    stderr(o)
        .lines()
        .filter(|l| l.starts_with("error: "))
        .map(String::from)
        .collect()
}

/// Exit 2 with exactly one error line, which contains every needle.
fn refused_once(args: &[&str], needles: &[&str]) -> String {
    let o = incident(args);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
    let lines = error_lines(&o);
    assert_eq!(lines.len(), 1, "{args:?}: one line expected:\n{err}");
    for needle in needles {
        assert!(
            lines[0].contains(needle),
            "{args:?}: no `{needle}` in\n{err}"
        );
    }
    assert!(!err.contains("panicked"), "{err}");
    lines[0].clone()
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("incident-hostile-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status().expect("mkfifo");
    assert!(status.success(), "mkfifo {}", path.display());
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[test]
fn only_regular_files_are_read() {
    let dir = temp_dir("kinds");
    let fifo = dir.join("pipe.toml");
    mkfifo(&fifo);
    let folder = dir.join("folder.json");
    std::fs::create_dir(&folder).unwrap();
    let cases = [
        (fifo.as_path(), "is a named pipe (FIFO)"),
        (Path::new("/dev/zero"), "is a device"),
        (folder.as_path(), "is a directory"),
    ];
    for (path, kind) in cases {
        for (command, what) in [
            (&["simulate"][..], "a scenario file"),
            (&["params"][..], "a scenario file"),
            (&["compare"][..], "a trace file"),
        ] {
            let args = [command, &[s(path)][..]].concat();
            let must = format!("{kind}; {what} must be a regular file");
            refused_once(&args, &[s(path), &must]);
        }
    }
    // `lessons check` reads directories for their lessons; a FIFO, a
    // device or a directory given as a lesson is refused.
    for (path, kind) in [cases[0], cases[1]] {
        let must = format!("{kind}; a lesson file must be a regular file");
        refused_once(&["lessons", "check", s(path)], &[s(path), &must]);
    }
    let lessons = dir.join("lessons");
    std::fs::create_dir(&lessons).unwrap();
    mkfifo(&lessons.join("a.toml"));
    std::fs::create_dir(lessons.join("b.toml")).unwrap();
    let o = incident(&["lessons", "check", s(&lessons)]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let lines = error_lines(&o);
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(
        lines[0].contains("a.toml: is a named pipe (FIFO)"),
        "{lines:?}"
    );
    assert!(lines[1].contains("b.toml: is a directory"), "{lines:?}");
    // An index that is a FIFO is refused too, instead of waited on.
    mkfifo(&lessons.join("index.toml"));
    refused_once(
        &["lessons", "check", s(&lessons)],
        &["index.toml: is a named pipe (FIFO); a lessons index must be a regular file"],
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_file_is_read_only_up_to_its_limit() {
    let dir = temp_dir("sizes");
    let scenario = dir.join("big.toml");
    std::fs::write(&scenario, vec![b'#'; 256 * 1024 + 1]).unwrap();
    refused_once(
        &["simulate", s(&scenario)],
        &["big.toml: larger than 256 KiB; a scenario file may be at most 256 KiB"],
    );
    let lesson = dir.join("big-lesson.toml");
    std::fs::write(&lesson, vec![b'#'; 300 * 1024]).unwrap();
    refused_once(
        &["lessons", "check", s(&lesson)],
        &["larger than 256 KiB; a lesson file may be at most 256 KiB"],
    );
    let _ = std::fs::remove_dir_all(&dir);
}

fn dev_full() -> Option<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .ok()
}

#[test]
fn output_that_cannot_be_written_is_a_failure() {
    if dev_full().is_none() {
        eprintln!("no /dev/full here; skipped");
        return;
    }
    let lessons = concat!(env!("CARGO_MANIFEST_DIR"), "/../../assets/lessons");
    let commands: [&[&str]; 8] = [
        &["simulate", "checkout-spike", "--duration", "1m"],
        &[
            "simulate",
            "checkout-spike",
            "--duration",
            "1m",
            "--format",
            "csv",
        ],
        &[
            "simulate",
            "checkout-spike",
            "--duration",
            "1m",
            "--format",
            "json",
        ],
        &["presets"],
        &["params", "checkout-spike"],
        &["export", "checkout-spike", "--to", "k6"],
        &["lessons", "check", lessons],
        &["--help"],
    ];
    for args in commands {
        let o = incident_with(args, Stdio::from(dev_full().unwrap()));
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {err}");
        assert!(
            err.contains("could not write the output: No space left on device"),
            "{args:?}: {err}"
        );
        assert_eq!(error_lines(&o).len(), 1, "{args:?}: {err}");
    }
}

fn write_trace(dir: &Path, name: &str, duration_s: f64) -> PathBuf {
    let model = dir.join("model.json");
    if !model.exists() {
        let o = incident(&[
            "simulate",
            "checkout-spike",
            "--format",
            "trace",
            "--duration",
            "2m",
            "--out",
            s(&model),
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let mut trace: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&model).unwrap()).unwrap();
    trace["summary"]["duration_s"] = serde_json::json!(duration_s);
    let path = dir.join(name);
    std::fs::write(&path, trace.to_string()).unwrap();
    path
}

#[test]
fn compare_takes_the_traces_duration_only_within_its_scenarios() {
    let dir = temp_dir("compare");
    for (name, duration_s, shown) in [
        ("long.json", 1e9, "1000000000"),
        ("longest.json", 1e308, "1e308"),
        ("negative.json", -5.0, "-5"),
    ] {
        let trace = write_trace(&dir, name, duration_s);
        let line = refused_once(
            &["compare", s(&trace)],
            &[
                name,
                "summary.duration_s",
                shown,
                "outside 0..=120 s; a run lasts at most its scenario's duration (2m)",
            ],
        );
        assert!(!line.contains("memory allocation"), "{line}");
    }
    // A run cut short compares over what it ran.
    let short = write_trace(&dir, "short.json", 60.0);
    let o = incident(&["compare", s(&short)]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains(", 60 s"),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

fn trace_hash(args: &[&str]) -> String {
    let o = incident(args);
    assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    let summary: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    summary["trace_hash"].as_str().unwrap().to_string()
}

#[test]
fn sets_apply_as_a_whole_in_either_order() {
    let run = |first: &str, second: &str| {
        trace_hash(&[
            "simulate",
            "checkout-spike",
            "--duration",
            "2m",
            "--format",
            "json",
            "--set",
            first,
            "--set",
            second,
        ])
    };
    let (min, max) = ("workload.think_time.min=20s", "workload.think_time.max=30s");
    let one_way = run(min, max);
    assert_eq!(
        one_way,
        run(max, min),
        "the order of the sets does not matter"
    );
    let plain = trace_hash(&[
        "simulate",
        "checkout-spike",
        "--duration",
        "2m",
        "--format",
        "json",
    ]);
    assert_ne!(one_way, plain, "the sets changed the run");
    let o = incident(&[
        "measure",
        "checkout-spike",
        "--duration",
        "2m",
        "--set",
        min,
        "--set",
        max,
        "restarts(checkout)",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn a_bad_combination_is_one_line_naming_a_field_the_user_wrote() {
    let spike = ["simulate", "checkout-spike"];
    let both = [
        "--set",
        "workload.think_time.min=30s",
        "--set",
        "workload.think_time.max=20s",
    ];
    assert_eq!(
        refused_once(&[&spike[..], &both].concat(), &[]),
        "error: workload.think_time.min: 30s is above think_time.max 20s"
    );
    assert_eq!(
        refused_once(&[&spike[..], &["--set", "workload.think_time.max=0s"]].concat(), &[]),
        "error: workload.think_time.max: 0s conflicts with workload.think_time.min: 1s is above think_time.max 0s"
    );
    // --duration is one of the overrides; the timeline it cuts off is named
    // in its line.
    let line = refused_once(
        &[
            &spike[..],
            &["--set", "workload.users=5", "--duration", "10s"],
        ]
        .concat(),
        &[],
    );
    assert!(
        line.starts_with("error: duration: 10s conflicts with timeline.0: at ")
            && line.ends_with("is after the end of the run (10s)"),
        "{line}"
    );
    // A lesson's `set` is read the same way, under the key it wrote.
    let dir = temp_dir("lesson-set");
    let lesson = dir.join("set.toml");
    std::fs::write(
        &lesson,
        "name = \"set\"\ntitle = \"t\"\n[[steps]]\ntitle = \"s\"\nprose = \"p\"\n\
         preset = \"checkout-spike\"\nset = { \"workload.think_time.max\" = \"0s\" }\n",
    )
    .unwrap();
    refused_once(
        &["lessons", "check", s(&lesson)],
        &["set.toml: steps.0.set.workload.think_time.max: 0s conflicts with workload.think_time.min"],
    );
    let _ = std::fs::remove_dir_all(&dir);
}
