//! `incident export`: every preset to every target, and the output checked
//! by the real tools: Locust runs the locustfile against the Python workload
//! on loopback, kubernetes-validate accepts the manifests, PyYAML reads the
//! compose file and Node parses the k6 script.
//!
//! The tools come from `target/tools/venv` (installed by `cargo xtask test`,
//! which points INCIDENT_PY_TOOLS at it). Without them the tool checks are
//! skipped with a message, except under CI, where they must run.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn incident() -> Command {
    Command::new(env!("CARGO_BIN_EXE_incident"))
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn export(preset: &str, to: &str) -> String {
    let out = incident()
        .args(["export", preset, "--to", to])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{preset} --to {to}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn tools() -> Option<PathBuf> {
    let dir = std::env::var_os("INCIDENT_PY_TOOLS")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("target/tools/venv/bin"));
    if dir.join("locust").exists() && dir.join("kubernetes-validate").exists() {
        return Some(dir);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI needs locust and kubernetes-validate in {}: run `cargo xtask setup`",
        dir.display()
    );
    eprintln!(
        "skipping the tool checks: no locust/kubernetes-validate in {}",
        dir.display()
    );
    None
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("incident-export-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn every_preset_exports_to_every_target() {
    let list = incident()
        .args(["presets", "--format", "json"])
        .output()
        .unwrap();
    let presets: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap();
    let names: Vec<String> = presets
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_string())
        .collect();
    assert!(names.len() >= 18);
    for name in &names {
        for to in ["locust", "k6", "k8s"] {
            assert!(!export(name, to).is_empty());
        }
    }
}

#[test]
fn the_locustfile_carries_the_workload() {
    let locust = export("checkout-gradual", "locust");
    assert!(locust.contains("wait_time = between(1, 10)"), "{locust}");
    assert!(locust.contains("@task(10)\n    def browse_product(self):"));
    assert!(locust.contains("for _ in range(random.randint(2, 4)):"));
    assert!(locust.contains("/api/checkout"));
}

/// Seed 003's locustfile judges slow responses as failures.
#[test]
fn the_locustfile_judges_slow_responses() {
    let dir = scratch("judged");
    let file = dir.join("judged.toml");
    std::fs::write(
        &file,
        "extends = \"sockshop-hybrid\"\nname = \"judged\"\n\n[[workload.tasks]]\nname = \"browse\"\nweight = 5\nsteps = [{ call = \"front-end/catalogue\", fail_slower_than = \"3s\" }]\n",
    )
    .unwrap();
    let judged = incident()
        .arg("export")
        .arg(&file)
        .args(["--to", "locust"])
        .output()
        .unwrap();
    let judged = String::from_utf8_lossy(&judged.stdout).to_string();
    assert!(
        judged.contains("catch_response=True")
            && judged.contains("if resp.elapsed.total_seconds() > 3:"),
        "{judged}"
    );
}

#[test]
fn the_manifests_carry_the_limits_flags_and_timeline() {
    let k8s = export("checkout-spike", "k8s");
    assert!(k8s.contains("memory: 20Mi"), "{k8s}");
    // The spike starts with the flag off; the timeline turns it on.
    assert!(k8s.contains("\"defaultVariant\": \"off\""));
    assert!(
        k8s.contains("#   30s set flag kafkaQueueProblems on"),
        "{k8s}"
    );
    assert!(
        k8s.contains("\"on\": 2000"),
        "the spike's flag value travels"
    );
    assert!(k8s.contains("kind: Job") && k8s.contains("locustio/locust"));
    let k8s_off = incident()
        .args([
            "export",
            "checkout-spike",
            "--to",
            "k8s",
            "--set",
            "flags.kafkaQueueProblems.variants.on=300",
        ])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&k8s_off.stdout).contains("\"on\": 300"),
        "overrides apply"
    );
}

#[test]
fn the_compose_project_carries_the_memory_limit() {
    let dir = scratch("compose");
    let out = incident()
        .args(["export", "python-leaks", "--to", "compose", "--out"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(out.status.success());
    let compose = std::fs::read_to_string(dir.join("compose.yaml")).unwrap();
    assert!(
        compose.contains("mem_limit: 256m") && compose.contains("memswap_limit: 256m"),
        "{compose}"
    );
    assert!(dir.join("locustfile.py").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_export_requests_exit_2() {
    let out = incident()
        .args(["export", "checkout-spike", "--to", "helm"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = incident()
        .args(["export", "checkout-spike", "--to", "compose"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--out DIR"));
    let out = incident()
        .args(["export", "no-such-preset", "--to", "k6"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn kubernetes_validate_accepts_the_manifests() {
    let Some(tools) = tools() else { return };
    let dir = scratch("k8s");
    for preset in ["checkout-spike", "sockshop-hybrid", "python-leaks"] {
        let path = dir.join(format!("{preset}.yaml"));
        std::fs::write(&path, export(preset, "k8s")).unwrap();
        let out = Command::new(tools.join("kubernetes-validate"))
            .arg("--strict")
            .arg(&path)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).to_string()
            + &String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{preset}:\n{text}");
        assert!(text.contains("passed for resource deployment/"), "{text}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_compose_file_and_k6_script_parse() {
    let Some(tools) = tools() else { return };
    let dir = scratch("parse");
    let out = incident()
        .args(["export", "checkout-gradual", "--to", "compose", "--out"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(out.status.success());
    let check = "import sys, yaml; d = yaml.safe_load(open(sys.argv[1])); \
        c = d['services']['checkout']; assert c['mem_limit'] == '20m', c; \
        assert c['environment']['GOMEMLIMIT'] and 'load-generator' in d['services'] and 'flagd' in d['services']";
    let status = Command::new(tools.join("python"))
        .args(["-c", check])
        .arg(dir.join("compose.yaml"))
        .status()
        .unwrap();
    assert!(status.success(), "compose.yaml");
    let script = dir.join("script.mjs");
    std::fs::write(&script, export("sockshop-hybrid", "k6")).unwrap();
    let node = Command::new("node").arg("--check").arg(&script).output();
    match node {
        Ok(out) => assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(e) => eprintln!("node not found ({e}); the k6 script's syntax was not checked"),
    }
    let _ = std::fs::remove_dir_all(&dir);
}

struct Workload(Child);

impl Drop for Workload {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_for(port: u16, path: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            use std::io::{Read, Write};
            let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
            let _ = write!(s, "GET {path} HTTP/1.0\r\n\r\n");
            let mut text = String::new();
            let _ = s.read_to_string(&mut text);
            if text.starts_with("HTTP/1.1 200") || text.starts_with("HTTP/1.0 200") {
                return;
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("the workload on port {port} did not come up");
}

fn stats_row(csv: &Path) -> (u64, u64) {
    let text = std::fs::read_to_string(csv).unwrap();
    let row = text
        .lines()
        .find(|l| l.contains(",Aggregated,"))
        .unwrap_or_else(|| panic!("no Aggregated row in {text}"));
    let cells: Vec<&str> = row.split(',').collect();
    (cells[2].parse().unwrap(), cells[3].parse().unwrap())
}

/// Runs an exported locustfile for a few seconds against a workload on
/// loopback; returns (requests, failures).
fn run_locust(tools: &Path, preset: &str, port: u16) -> (u64, u64) {
    let dir = scratch(&format!("locust-{preset}"));
    std::fs::write(dir.join("locustfile.py"), export(preset, "locust")).unwrap();
    // Bounded: 10 users for 4 seconds, on loopback. With seed 003's 1–3 s
    // think time that is about 20 requests; 5 users gave as few as 9.
    let out = Command::new(tools.join("locust"))
        .current_dir(&dir)
        .args([
            "-f",
            "locustfile.py",
            "--headless",
            "-u",
            "10",
            "-r",
            "10",
            "-t",
            "4s",
            "--only-summary",
        ])
        .args([
            "--host",
            &format!("http://127.0.0.1:{port}"),
            "--csv",
            "run",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stats = stats_row(&dir.join("run_stats.csv"));
    let _ = std::fs::remove_dir_all(&dir);
    stats
}

#[test]
fn locust_runs_the_sock_shop_locustfile_against_the_node_front_end() {
    let Some(tools) = tools() else { return };
    let port = free_port();
    let Ok(child) = Command::new("node")
        .arg(repo().join("workloads/front-end/server.js"))
        .env("PORT", port.to_string())
        .stdout(Stdio::null())
        .spawn()
    else {
        assert!(std::env::var_os("CI").is_none(), "CI needs node");
        return;
    };
    let _front_end = Workload(child);
    wait_for(port, "/health");
    let (requests, failures) = run_locust(&tools, "sockshop-latency", port);
    assert!(requests >= 10, "{requests} requests");
    assert_eq!(failures, 0, "every seed-003 route exists on the front end");
}

#[test]
fn locust_runs_the_locustfile_against_the_python_workload() {
    let Some(tools) = tools() else { return };
    let port = free_port();
    let _leaky = Workload(
        Command::new("python3")
            .arg(repo().join("workloads/leaky/main.py"))
            .env("PORT", port.to_string())
            .stdout(Stdio::null())
            .spawn()
            .expect("python3 runs the leaky workload"),
    );
    wait_for(port, "/health");
    let (requests, failures) = run_locust(&tools, "python-leaks", port);
    assert!(requests >= 10, "{requests} requests");
    assert_eq!(failures, 0);
}
