//! `incident run` under faults, against a real Docker daemon: the workload
//! removed or killed from outside, two runs at once, the output directory
//! removed mid-run, SIGINT and SIGTERM in each phase, and a daemon of the
//! test's own that is frozen and then killed. Each asserts the exit code,
//! the events, the samples kept and that no container is left behind.
//! `#[ignore]`d in a plain `cargo test`; `cargo xtask test` runs them with
//! the daemon it starts (INCIDENT_DOCKER_HOST).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn host() -> String {
    std::env::var("INCIDENT_DOCKER_HOST")
        .expect("INCIDENT_DOCKER_HOST: run these through `cargo xtask test`, which starts dockerd")
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("incident-faults-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn docker_at(host: &str, args: &[&str]) -> String {
    let out = Command::new("docker")
        .args(["--host", host])
        .args(args)
        .output()
        .expect("the docker CLI");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// The containers of every `incident run` on that daemon.
fn ours_at(host: &str) -> Vec<String> {
    let ids = docker_at(
        host,
        &["ps", "-a", "-q", "--filter", "label=incident-lab.run"],
    );
    ids.lines().map(str::to_string).collect()
}

/// A run in the background, its stderr kept in a file to read as it goes.
struct Run {
    child: Child,
    stderr: PathBuf,
    out: PathBuf,
}

/// A checkout run under a limit it never reaches, so nothing but the fault
/// stops or restarts it.
fn start(host: &str, out: &Path, duration: &str, extra: &[(&str, &str)]) -> Run {
    // Beside the scratch folders, not in them: one test removes its own.
    let stem = out.file_stem().unwrap().to_string_lossy();
    let stderr = std::env::temp_dir().join(format!(
        "incident-faults-{}-{stem}.stderr",
        std::process::id()
    ));
    let mut c = Command::new(env!("CARGO_BIN_EXE_incident"));
    c.current_dir(repo())
        .args(["run", "checkout-gradual", "--duration", duration])
        .args(["--set", "services.checkout.memory_limit=256Mi"])
        .args(["--docker-host", host, "--out"])
        .arg(out)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&stderr).unwrap());
    for (k, v) in extra {
        c.env(k, v);
    }
    Run {
        child: c.spawn().unwrap(),
        stderr,
        out: out.to_path_buf(),
    }
}

/// The stderr file goes with a run that passed; a failed one keeps it.
impl Drop for Run {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if !std::thread::panicking() {
            let _ = std::fs::remove_file(&self.stderr);
        }
    }
}

impl Run {
    fn stderr_text(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// Until `done` holds, while the run is still going (three minutes at
    /// most: a cold image build); `what` names the wait in a failure.
    fn wait_until(&mut self, what: &str, done: impl Fn(&Run) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(180);
        while !done(self) {
            let exited = self.child.try_wait().unwrap();
            let stderr = self.stderr_text();
            assert!(exited.is_none(), "exited before {what}:\n{stderr}");
            assert!(Instant::now() < deadline, "never {what}:\n{stderr}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Until stderr says `what`.
    fn wait_for_stderr(&mut self, what: &str) {
        self.wait_until(&format!("`{what}`"), |run| run.stderr_text().contains(what));
    }

    /// Until the partial file holds `samples` samples.
    fn wait_for_samples(&mut self, samples: usize) {
        let partial = PathBuf::from(format!("{}.partial.jsonl", self.out.display()));
        self.wait_until("recording", |_| {
            let text = std::fs::read_to_string(&partial).unwrap_or_default();
            text.lines().filter(|l| l.contains("\"values\"")).count() >= samples
        });
    }

    /// The exit code and how long the exit took from now.
    fn wait_exit(&mut self, at_most: Duration) -> (Option<i32>, Duration) {
        let since = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return (status.code(), since.elapsed());
            }
            if since.elapsed() > at_most {
                let _ = self.child.kill();
                panic!("still running after {at_most:?}:\n{}", self.stderr_text());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn signal(&self, name: &str) {
        let pid = self.child.id().to_string();
        assert!(Command::new("kill")
            .args([name, &pid])
            .status()
            .unwrap()
            .success());
    }

    fn trace(&self) -> serde_json::Value {
        let text = std::fs::read_to_string(&self.out)
            .unwrap_or_else(|e| panic!("{}: {e}\n{}", self.out.display(), self.stderr_text()));
        serde_json::from_str(&text).unwrap()
    }
}

fn events_with_reason(trace: &serde_json::Value, reason: &str) -> Vec<String> {
    trace["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["reason"] == reason)
        .map(|e| e["message"].as_str().unwrap_or("").to_string())
        .collect()
}

fn samples(trace: &serde_json::Value) -> usize {
    trace["sample_times_us"].as_array().unwrap().len()
}

fn checkout(trace: &serde_json::Value) -> &serde_json::Value {
    let services = trace["summary"]["services"].as_array().unwrap();
    services.iter().find(|s| s["name"] == "checkout").unwrap()
}

#[test]
#[ignore = "needs a Docker daemon; `cargo xtask test` starts one and runs these"]
fn a_workload_removed_from_outside_is_recorded_and_the_run_says_what_it_lost() {
    let dir = scratch("removed");
    let mut run = start(&host(), &dir.join("removed.json"), "2m", &[]);
    run.wait_for_samples(3);
    let id = ours_at(&host()).pop().expect("the run's container");
    docker_at(&host(), &["rm", "-f", &id]);
    let (code, _) = run.wait_exit(Duration::from_secs(20));
    assert_eq!(code, Some(1), "{}", run.stderr_text());
    assert!(run.stderr_text().contains("removed from outside the run"));
    let trace = run.trace();
    assert_eq!(events_with_reason(&trace, "Removed").len(), 1);
    assert!(samples(&trace) >= 3, "the samples before it are kept");
    assert_eq!(checkout(&trace)["oom_kills"], 0);
    assert!(ours_at(&host()).is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
#[ignore = "needs a Docker daemon; `cargo xtask test` starts one and runs these"]
fn a_workload_killed_from_outside_is_a_kill_not_an_oom_and_comes_back() {
    let dir = scratch("killed");
    let mut run = start(&host(), &dir.join("killed.json"), "40s", &[]);
    run.wait_for_samples(3);
    let id = ours_at(&host()).pop().expect("the run's container");
    docker_at(&host(), &["kill", &id]);
    let (code, _) = run.wait_exit(Duration::from_secs(90));
    assert_eq!(code, Some(0), "{}", run.stderr_text());
    let trace = run.trace();
    let c = checkout(&trace);
    assert_eq!(c["oom_kills"], 0, "exit 137 alone is not an OOM kill");
    assert!(c["crashes"].as_u64().unwrap() >= 1);
    assert!(
        c["restarts"].as_u64().unwrap() >= 1,
        "the back-off brings it back"
    );
    let errors = events_with_reason(&trace, "Error");
    assert!(
        errors.iter().any(|m| m.contains("not by the OOM killer")),
        "{errors:?}"
    );
    assert!(events_with_reason(&trace, "OOMKilled").is_empty());
    assert!(ours_at(&host()).is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
#[ignore = "needs a Docker daemon; `cargo xtask test` starts one and runs these"]
fn two_runs_at_once_leave_each_other_alone() {
    let dir = scratch("two");
    let mut first = start(&host(), &dir.join("first.json"), "40s", &[]);
    first.wait_for_samples(3);
    let mut second = start(&host(), &dir.join("second.json"), "15s", &[]);
    let (code, _) = second.wait_exit(Duration::from_secs(120));
    assert_eq!(code, Some(0), "{}", second.stderr_text());
    assert!(
        !second.stderr_text().contains("left by an earlier run"),
        "the second run removed the first one's container:\n{}",
        second.stderr_text()
    );
    let (code, _) = first.wait_exit(Duration::from_secs(120));
    assert_eq!(code, Some(0), "{}", first.stderr_text());
    let trace = first.trace();
    assert!(events_with_reason(&trace, "Removed").is_empty());
    assert_eq!(checkout(&trace)["restarts"], 0);
    // Every sample after the first has the first run's working set.
    let series = trace["series"].as_array().unwrap();
    let ws = series
        .iter()
        .find(|s| s["name"] == "k8s.pod.memory.working_set" && s["service"] == "checkout")
        .expect("a working-set series");
    let gaps = ws["values"].as_array().unwrap()[1..]
        .iter()
        .filter(|v| v.is_null())
        .count();
    assert_eq!(gaps, 0, "{ws}");
    assert!(ours_at(&host()).is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
#[ignore = "needs a Docker daemon; `cargo xtask test` starts one and runs these"]
fn the_output_directory_removed_mid_run_keeps_the_samples_in_a_named_file() {
    let dir = scratch("outdir");
    let sub = dir.join("going");
    std::fs::create_dir_all(&sub).unwrap();
    let mut run = start(&host(), &sub.join("run.json"), "20s", &[]);
    run.wait_for_samples(3);
    std::fs::remove_dir_all(&sub).unwrap();
    let (code, _) = run.wait_exit(Duration::from_secs(60));
    let stderr = run.stderr_text();
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("the samples so far and from now on go to"),
        "{stderr}"
    );
    let written = stderr
        .split("the trace was written to ")
        .nth(1)
        .and_then(|rest| rest.split(" instead").next())
        .unwrap_or_else(|| panic!("no fallback named:\n{stderr}"));
    let text = std::fs::read_to_string(written).unwrap();
    let trace: serde_json::Value = serde_json::from_str(&text).unwrap();
    let last_us = trace["sample_times_us"].as_array().unwrap().last().unwrap();
    assert!(
        last_us.as_u64().unwrap() >= 15_000_000,
        "all 20 s kept: {trace}"
    );
    let _ = std::fs::remove_file(written);
    assert!(ours_at(&host()).is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}

/// A signal in one phase: the run stops within 2 s, exit 1, says where it
/// was, writes the trace and leaves nothing behind.
fn stops_within_two_seconds(run: &mut Run, signal: &str, phase: &str) {
    run.signal(signal);
    let (code, took) = run.wait_exit(Duration::from_secs(30));
    let stderr = run.stderr_text();
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        took <= Duration::from_secs(2),
        "{signal} while {phase}: {took:?}\n{stderr}"
    );
    let trace = run.trace();
    let interrupted = events_with_reason(&trace, "Interrupted");
    assert_eq!(interrupted, vec![format!("interrupted while {phase}")]);
    assert!(
        ours_at(&host()).is_empty(),
        "{signal} while {phase}: left behind"
    );
}

#[test]
#[ignore = "needs a Docker daemon; `cargo xtask test` starts one and runs these"]
fn sigint_and_sigterm_stop_a_run_within_two_seconds_in_every_phase() {
    let dir = scratch("signals");
    // An empty Go build cache makes the build long enough to interrupt.
    let cache = dir.join("gocache");
    let cold = [("GOCACHE", cache.to_str().unwrap())];
    let mut run = start(&host(), &dir.join("build.json"), "2m", &cold);
    run.wait_for_stderr("building the checkout image");
    std::thread::sleep(Duration::from_millis(300));
    stops_within_two_seconds(&mut run, "-INT", "building images");
    let mut run = start(&host(), &dir.join("epoch.json"), "2m", &[]);
    run.wait_for_stderr("the workloads are up");
    stops_within_two_seconds(&mut run, "-TERM", "waiting for the run's t = 0");
    let mut run = start(&host(), &dir.join("running.json"), "2m", &[]);
    run.wait_for_samples(3);
    stops_within_two_seconds(&mut run, "-INT", "running");
    assert!(samples(&run.trace()) >= 3, "the samples so far are kept");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A daemon of the test's own, to freeze and kill.
struct OwnDaemon {
    dir: PathBuf,
    host: String,
    pid: u32,
    child: Child,
}

impl OwnDaemon {
    fn start(dir: &Path) -> OwnDaemon {
        let host = format!("unix://{}/docker.sock", dir.display());
        let log = std::fs::File::create(dir.join("dockerd.log")).unwrap();
        let child = Command::new("dockerd")
            .args(["--iptables=false", "--ip6tables=false", "--bridge=none"])
            .arg(format!("--host={host}"))
            .arg("--data-root")
            .arg(dir.join("data"))
            .arg("--exec-root")
            .arg(dir.join("exec"))
            .arg("--pidfile")
            .arg(dir.join("docker.pid"))
            .stdout(Stdio::from(log.try_clone().unwrap()))
            .stderr(Stdio::from(log))
            .spawn()
            .expect("dockerd");
        let deadline = Instant::now() + Duration::from_secs(60);
        while docker_at(&host, &["version", "--format", "{{.Server.Version}}"]).is_empty() {
            assert!(Instant::now() < deadline, "dockerd did not come up");
            std::thread::sleep(Duration::from_millis(200));
        }
        OwnDaemon {
            dir: dir.to_path_buf(),
            host,
            pid: child.id(),
            child,
        }
    }

    fn signal(&self, name: &str) {
        let pid = self.pid.to_string();
        assert!(Command::new("kill")
            .args([name, &pid])
            .status()
            .unwrap()
            .success());
    }

    /// Stops it (see `Drop`).
    fn stop(self) {}
}

/// Also when a check fails: the containers it holds are removed, then it
/// and the containerd it started are stopped, by their pids.
impl Drop for OwnDaemon {
    fn drop(&mut self) {
        let pid = self.pid.to_string();
        let quiet = |args: &[&str]| {
            let _ = Command::new("kill")
                .args(args)
                .stderr(Stdio::null())
                .status();
        };
        quiet(&["-CONT", &pid]);
        if self.child.try_wait().ok().flatten().is_none() {
            for id in ours_at(&self.host) {
                docker_at(&self.host, &["rm", "-f", &id]);
            }
        }
        quiet(&[&pid]);
        let deadline = Instant::now() + Duration::from_secs(20);
        while self.child.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(100));
        }
        let containerd = self.dir.join("exec/containerd/containerd.pid");
        if let Ok(pid) = std::fs::read_to_string(containerd) {
            quiet(&[pid.trim()]);
        }
    }
}

/// A new run on a daemon removes what a lost run left there.
fn next_run_cleans_up(host: &str, out: &Path) {
    assert!(!ours_at(host).is_empty(), "the lost run left its container");
    let mut run = start(host, out, "10s", &[]);
    let (code, _) = run.wait_exit(Duration::from_secs(90));
    assert_eq!(code, Some(0), "{}", run.stderr_text());
    assert!(run
        .stderr_text()
        .contains("left by an earlier run that did not finish"));
    assert!(ours_at(host).is_empty());
}

#[test]
#[ignore = "needs a Docker daemon; `cargo xtask test` starts one and runs these"]
fn a_daemon_that_freezes_or_dies_stops_the_run_with_what_it_has() {
    let dir = scratch("daemon");
    let mut daemon = OwnDaemon::start(&dir);
    // Frozen, then Ctrl-C: the hung calls do not hold the run.
    let mut run = start(&daemon.host, &dir.join("frozen-sigint.json"), "2m", &[]);
    run.wait_for_samples(3);
    daemon.signal("-STOP");
    run.signal("-INT");
    let (code, took) = run.wait_exit(Duration::from_secs(30));
    assert_eq!(code, Some(1), "{}", run.stderr_text());
    assert!(
        took <= Duration::from_secs(2),
        "SIGINT on a frozen daemon: {took:?}"
    );
    assert!(samples(&run.trace()) >= 3);
    daemon.signal("-CONT");
    next_run_cleans_up(&daemon.host, &dir.join("after-sigint.json"));
    // Frozen, no signal: detected, recorded, the run stops by itself.
    let mut run = start(&daemon.host, &dir.join("frozen.json"), "2m", &[]);
    run.wait_for_samples(3);
    daemon.signal("-STOP");
    let (code, took) = run.wait_exit(Duration::from_secs(30));
    daemon.signal("-CONT");
    assert_eq!(code, Some(1), "{}", run.stderr_text());
    assert!(
        took <= Duration::from_secs(10),
        "a frozen daemon is noticed: {took:?}"
    );
    let trace = run.trace();
    assert_eq!(events_with_reason(&trace, "DaemonLost").len(), 1);
    assert!(run.stderr_text().contains("stopped answering"));
    next_run_cleans_up(&daemon.host, &dir.join("after-freeze.json"));
    // Killed: the same, and the next start on a new daemon cleans up.
    let mut run = start(&daemon.host, &dir.join("killed.json"), "2m", &[]);
    run.wait_for_samples(3);
    daemon.signal("-KILL");
    let (code, took) = run.wait_exit(Duration::from_secs(30));
    assert_eq!(code, Some(1), "{}", run.stderr_text());
    assert!(
        took <= Duration::from_secs(10),
        "a dead daemon is noticed: {took:?}"
    );
    assert_eq!(events_with_reason(&run.trace(), "DaemonLost").len(), 1);
    std::thread::sleep(Duration::from_secs(1));
    daemon.stop();
    daemon = OwnDaemon::start(&dir);
    next_run_cleans_up(&daemon.host, &dir.join("after-kill.json"));
    daemon.stop();
    let _ = std::fs::remove_dir_all(&dir);
}
