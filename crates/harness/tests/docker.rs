//! `incident run` against a real Docker daemon (started by `cargo xtask
//! test`, which sets INCIDENT_DOCKER_HOST): real OOM kills under a 20Mi
//! limit, none with the flag at 0, a Python leak that grows with requests,
//! and Ctrl-C leaving nothing behind. Each run is short and bounded. They
//! are `#[ignore]`d in a plain `cargo test`; xtask runs them with `--ignored`.

use incident_core::metrics as m;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn host() -> String {
    std::env::var("INCIDENT_DOCKER_HOST")
        .expect("INCIDENT_DOCKER_HOST: run these through `cargo xtask test`, which starts dockerd")
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("incident-docker-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn incident(args: &[&str], out: &PathBuf) -> serde_json::Value {
    let result = Command::new(env!("CARGO_BIN_EXE_incident"))
        .current_dir(repo())
        .arg("run")
        .args(args)
        .args(["--docker-host", &host(), "--out"])
        .arg(out)
        .output()
        .unwrap();
    assert!(
        result.status.success(),
        "incident run {args:?}:\n{}\n{}",
        String::from_utf8_lossy(&result.stdout),
        String::from_utf8_lossy(&result.stderr)
    );
    serde_json::from_str(&std::fs::read_to_string(out).unwrap()).unwrap()
}

fn ours() -> Vec<String> {
    let out = docker(&["ps", "-a", "-q", "--filter", "label=incident-lab.run"])
        .output()
        .expect("the docker CLI");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

fn service<'a>(trace: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    trace["summary"]["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap()
}

fn series(trace: &serde_json::Value, name: &str, svc: &str) -> Vec<Option<f64>> {
    trace["series"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name && s["service"] == svc)
        .unwrap_or_else(|| panic!("no series {name} for {svc}"))["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64())
        .collect()
}

const SPIKE_FAST: [&str; 6] = [
    "--set",
    "flags.kafkaQueueProblems.default_variant=on",
    "--set",
    "workload.start_at=3s",
    "--duration",
    "45s",
];

#[test]
#[ignore = "needs a Docker daemon; `cargo xtask test` starts one and runs these"]
fn checkout_at_flag_2000_is_really_oom_killed_and_restarted() {
    let dir = scratch("spike");
    let out = dir.join("spike.json");
    let mut args = vec!["checkout-spike"];
    args.extend(SPIKE_FAST);
    let trace = incident(&args, &out);
    assert_eq!(trace["source"], "harness");
    let checkout = service(&trace, "checkout");
    assert!(checkout["oom_kills"].as_u64().unwrap() >= 1, "{checkout}");
    assert!(checkout["restarts"].as_u64().unwrap() >= 1, "{checkout}");
    let oom_s = checkout["first_oom_s"].as_f64().unwrap();
    assert!(trace["events"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["reason"] == "OOMKilled"));
    // Samples on both sides of the kill.
    let times: Vec<f64> = trace["sample_times_us"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_f64().unwrap() / 1e6)
        .collect();
    let ws = series(&trace, m::WORKING_SET.name, "checkout");
    assert!(times
        .iter()
        .zip(&ws)
        .any(|(t, v)| *t < oom_s && v.is_some()));
    assert!(
        times
            .iter()
            .zip(&ws)
            .any(|(t, v)| *t > oom_s && v.is_some()),
        "samples after the restart"
    );
    // The trace is one the app and `compare` read.
    let compare = Command::new(env!("CARGO_BIN_EXE_incident"))
        .args(["compare"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(compare.status.success());
    assert!(String::from_utf8_lossy(&compare.stdout).contains("checkout restarts"));
    assert!(ours().is_empty(), "containers left behind: {:?}", ours());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
#[ignore = "needs a Docker daemon; `cargo xtask test` starts one and runs these"]
fn checkout_with_the_flag_at_0_is_not_oom_killed() {
    let dir = scratch("flag0");
    let out = dir.join("flag0.json");
    let mut args = vec![
        "checkout-spike",
        "--set",
        "flags.kafkaQueueProblems.variants.on=0",
    ];
    args.extend(SPIKE_FAST);
    let trace = incident(&args, &out);
    let checkout = service(&trace, "checkout");
    assert_eq!(checkout["oom_kills"].as_u64(), Some(0), "{checkout}");
    assert!(trace["summary"]["requests"]["succeeded"].as_u64().unwrap() > 0);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
#[ignore = "needs a Docker daemon; `cargo xtask test` starts one and runs these"]
fn the_python_cache_leak_grows_with_requests() {
    let dir = scratch("leaky");
    let out = dir.join("leaky.json");
    // The lab's exercise 2 on its own: the cache leak on from the start.
    let file = dir.join("cache-leak.toml");
    std::fs::write(
        &file,
        "extends = \"python-leaks\"\nname = \"cache-leak\"\nduration = \"30s\"\ntimeline = []\n\n[services.leaky.python]\ncache_enabled = true\ncache_bytes_per_request = \"64Ki\"\n",
    )
    .unwrap();
    let trace = incident(&[file.to_str().unwrap()], &out);
    let ws: Vec<f64> = series(&trace, m::WORKING_SET.name, "leaky")
        .into_iter()
        .flatten()
        .collect();
    let requests = trace["summary"]["requests"]["succeeded"].as_f64().unwrap();
    assert!(requests > 100.0, "{requests} requests");
    let grown = ws.last().unwrap() - ws.first().unwrap();
    // Each request keeps 64 KiB; allow for the allocator and the sampling.
    assert!(
        grown > 0.5 * requests * 65536.0 * 0.5,
        "grew {grown} bytes over {requests} requests"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
#[ignore = "needs a Docker daemon; `cargo xtask test` starts one and runs these"]
fn ctrl_c_mid_run_leaves_no_container_behind() {
    let dir = scratch("sigint");
    let out = dir.join("sigint.json");
    let mut child = Command::new(env!("CARGO_BIN_EXE_incident"))
        .current_dir(repo())
        .args([
            "run",
            "checkout-gradual",
            "--duration",
            "5m",
            "--docker-host",
            &host(),
            "--out",
        ])
        .arg(&out)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Wait for the run to be recording (its containers are up).
    let partial = PathBuf::from(format!("{}.partial.jsonl", out.display()));
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let lines = std::fs::read_to_string(&partial)
            .map(|t| t.lines().count())
            .unwrap_or(0);
        if lines >= 3 {
            break;
        }
        assert!(Instant::now() < deadline, "the run never started recording");
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(!ours().is_empty(), "the run's container is up");
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(60);
    let code = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status.code();
        }
        assert!(Instant::now() < deadline, "the run did not stop on SIGINT");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(code, Some(1), "an interrupted run reports it");
    assert!(ours().is_empty(), "containers left behind: {:?}", ours());
    // What was recorded up to the interrupt is kept.
    let trace: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert!(!trace["sample_times_us"].as_array().unwrap().is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}

/// The OTel-demo mode: a container someone else runs is sampled through
/// the API while the harness sends the load, and it is left running.
#[test]
#[ignore = "needs a Docker daemon; `cargo xtask test` starts one and runs these"]
fn a_running_container_is_sampled_and_left_alone() {
    let image = "incident-lab/checkout:dev";
    let dir = scratch("external");
    if !have_image(image) {
        // A short run builds the image.
        incident(
            &["checkout-gradual", "--duration", "10s"],
            &dir.join("build.json"),
        );
    }
    let port = free_port();
    let name = format!("someone-elses-checkout-{}", std::process::id());
    start_checkout_outside_the_harness(&name, image, port);
    let out = dir.join("external.json");
    let trace = incident(
        &[
            "checkout-gradual",
            "--duration",
            "12s",
            "--container",
            &format!("checkout={name}"),
            "--target",
            &format!("http://127.0.0.1:{port}"),
        ],
        &out,
    );
    let ws: Vec<f64> = series(&trace, m::WORKING_SET.name, "checkout")
        .into_iter()
        .flatten()
        .collect();
    assert!(!ws.is_empty() && ws.iter().all(|w| *w > 0.0), "{ws:?}");
    assert!(trace["summary"]["requests"]["succeeded"].as_u64().unwrap() > 0);
    assert_eq!(running(&name), "true", "left running");
    let _ = docker(&["rm", "-f", &name]).output();
    let _ = std::fs::remove_dir_all(&dir);
}

/// The docker CLI, on the test daemon.
fn docker(args: &[&str]) -> Command {
    let mut command = Command::new("docker");
    command.args(["--host", &host()]).args(args);
    command
}

fn have_image(image: &str) -> bool {
    docker(&["image", "inspect", image])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap()
        .success()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The checkout workload as someone else would run it: `docker run`, on
/// the host network, under its own memory limit.
fn start_checkout_outside_the_harness(name: &str, image: &str, port: u16) {
    let started = docker(&["run", "-d", "--name", name, "--network", "host"])
        .args(["--memory", "64m"])
        .args([
            "-e",
            &format!("PORT={port}"),
            "-e",
            "KAFKA_ADDR=local",
            image,
            "/checkout",
        ])
        .output()
        .unwrap();
    assert!(
        started.status.success(),
        "{}",
        String::from_utf8_lossy(&started.stderr)
    );
}

/// `docker inspect`'s `.State.Running` for a container: "true" or "false".
fn running(name: &str) -> String {
    let still = docker(&["inspect", "-f", "{{.State.Running}}", name])
        .output()
        .unwrap();
    String::from_utf8_lossy(&still.stdout).trim().to_string()
}

/// The fixture the re-record test takes again: a steady leak (flag 300, 50
/// users, six minutes), whose numbers rest on many orders, not on where
/// one sample fell in a burst.
const RERECORDED: &str = "f300-u50-20Mi";

#[test]
#[ignore = "needs a Docker daemon; `cargo xtask test` starts one and runs these"]
fn a_fixture_recorded_again_agrees_with_itself_within_the_calibration_tolerance() {
    use incident_core::calibration::checks;
    use incident_core::trace::import;
    let dir = scratch("rerecord");
    let status = Command::new("bash")
        .arg(repo().join("tests/fixtures/real/record.sh"))
        .arg(RERECORDED)
        .current_dir(repo())
        .env("INCIDENT", env!("CARGO_BIN_EXE_incident"))
        .env("DOCKER_HOST", host())
        .env("OUT_DIR", &dir)
        .status()
        .expect("bash runs record.sh");
    let log = std::fs::read_to_string(dir.join(format!("{RERECORDED}.log"))).unwrap_or_default();
    assert!(status.success(), "record.sh {RERECORDED}:\n{log}");
    let read = |path: PathBuf| import(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let again = read(dir.join(format!("{RERECORDED}.json")));
    let fixture = read(repo().join(format!("tests/fixtures/real/{RERECORDED}.json")));
    // Reality against itself, held to the calibration's own tolerances.
    // Two recordings by record.sh's command (2026-12-02, one while the
    // machine was compiling) agreed within 1 %: first OOM 216.7 and 216.9 s
    // after load, 1,976 and 1,995 goroutines, 2.17 and 2.16 Mi/min. A
    // third (2026-12-03) was killed at 223.1 s on a level of 2,099, but
    // its last sample caught a fan-out at 3,001: hence the measure takes
    // the median of the last 10 s. (A recording at the preset's later
    // 3.5 % error ratio never OOM-killed in 6 minutes: hence record.sh
    // writes the ratio out.)
    let all = checks(&fixture, &again, "checkout");
    let held: Vec<bool> = all.iter().map(|c| c.within).collect();
    assert!(held.iter().all(|ok| *ok), "{all:#?}\n{log}");
    assert!(ours().is_empty(), "containers left behind: {:?}", ours());
    let _ = std::fs::remove_dir_all(&dir);
}
