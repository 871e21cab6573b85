//! serve, dist and test.

use crate::server::StaticServer;
use crate::setup::{self, Needs};
use crate::util::{command, free_port, note, root, run, step, Guard, Result};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub fn serve() -> Result {
    setup::all(Needs::APP)?;
    step("Serving the app on http://127.0.0.1:8080/ (Ctrl-C to stop)");
    let mut c = trunk();
    c.args([
        "serve",
        "--release",
        "--address",
        "127.0.0.1",
        "--port",
        "8080",
    ]);
    run(c)
}

/// Trunk, building the wasm with the pinned nightly and a standard library
/// rebuilt for size: `optimize_for_size` (small sort and formatting code) and
/// no file/line in panic messages. The panic hook still runs (panic=abort,
/// not immediate-abort), so a panic still shows the error view. A plain
/// `trunk build` on stable makes the same app, about 26 KB larger.
fn trunk() -> Command {
    let mut c = command("trunk");
    c.env("RUSTUP_TOOLCHAIN", setup::WASM_TOOLCHAIN)
        .env("CARGO_UNSTABLE_BUILD_STD", "std,panic_abort")
        .env("CARGO_UNSTABLE_BUILD_STD_FEATURES", "optimize_for_size")
        // Cargo appends this to `.cargo/config.toml`'s flags for the target.
        .env(
            "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS",
            "-Zlocation-detail=none",
        );
    c
}

/// Builds the static site; returns the dist directory.
pub fn dist() -> Result<PathBuf> {
    setup::all(Needs::APP)?;
    build_dist()
}

pub fn build_dist() -> Result<PathBuf> {
    step("Building the static site (trunk build --release)");
    let started = Instant::now();
    let mut c = trunk();
    c.args(["build", "--release"]);
    run(c)?;
    let dist = root().join("dist");
    minify_glue(&dist)?;
    let sizes = crate::bundle::sizes(&dist)?;
    note(&format!(
        "dist/ built in {:.0} s: wasm {} KB, js {} KB, css {} KB raw; {} KB gzipped in all",
        started.elapsed().as_secs_f64(),
        sizes.wasm_raw / 1024,
        sizes.js_raw / 1024,
        sizes.css_raw / 1024,
        sizes.total_gzip / 1024
    ));
    Ok(dist)
}

/// Trunk minifies the CSS and HTML but not wasm-bindgen's JS glue: terser
/// does (about 2 KB less gzip), and the page's integrity hash follows.
fn minify_glue(dist: &std::path::Path) -> Result {
    let mut c = command("node");
    c.arg(root().join("xtask").join("minify-glue.mjs"))
        .arg(dist)
        .arg(crate::util::tools_dir());
    let line = crate::util::output(c)?;
    note(line.trim());
    Ok(())
}

fn cargo_test() -> Result {
    step("Rust tests: core, harness, app logic (release)");
    let mut c = command("cargo");
    c.args(["test", "--release", "--workspace", "--exclude", "xtask"]);
    // The export tests run locust and kubernetes-validate from here.
    c.env("INCIDENT_PY_TOOLS", setup::python_bin());
    run(c)
}

/// The property tests again, with debug assertions on (`profile.checked`):
/// the engine asserts its invariants where state changes, and random
/// scenarios are where a broken one shows.
fn checked_property_tests() -> Result {
    step("Property tests with debug assertions on (profile checked)");
    let mut c = command("cargo");
    c.args(["test", "--profile", "checked", "-p", "incident-core"]);
    c.args(["--test", "invariants", "--test", "toml_differential"]);
    run(c)
}

fn incident_binary() -> PathBuf {
    root().join("target").join("release").join("incident")
}

fn browser_tests(dist: &std::path::Path) -> Result {
    step("Browser tests in headless Chromium against the built site");
    let server = StaticServer::start(dist.to_path_buf(), "incident-lab")?;
    note(&format!("serving dist/ at {}", server.url()));
    let artifacts = root().join("target").join("artifacts");
    std::fs::create_dir_all(&artifacts).map_err(|e| e.to_string())?;
    let tests_dir = root().join("tests").join("browser");
    let mut files: Vec<String> = std::fs::read_dir(&tests_dir)
        .map_err(|e| e.to_string())?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".test.mjs"))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err("no browser tests found in tests/browser".into());
    }
    let mut c = command("node");
    c.current_dir(&tests_dir)
        .arg("--test")
        .arg("--test-concurrency=1")
        .args(&files)
        .env("BASE_URL", server.url())
        .env("CHROMIUM", "/usr/bin/chromium")
        .env("ARTIFACTS", &artifacts)
        .env("INCIDENT_BIN", incident_binary());
    let result = run(c);
    note(&format!(
        "screenshots and reports in {}",
        artifacts.display()
    ));
    result
}

/// dockerd on its own socket, data-root and pidfile; stopped when dropped.
pub struct Dockerd {
    pub host: String,
    _guard: Guard,
    dir: PathBuf,
}

impl Drop for Dockerd {
    fn drop(&mut self) {
        // The guard stops the daemon first (field order); then tidy up. Its
        // images go too: the next run builds its own from workloads/, so no
        // image left from an earlier run can hide a broken build.
        let _ = std::fs::remove_dir_all(self.dir.join("exec"));
        let _ = std::fs::remove_dir_all(self.dir.join("data"));
    }
}

pub fn start_dockerd() -> Result<Dockerd> {
    let dir = std::env::temp_dir().join(format!("incident-lab-dockerd-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let socket = dir.join("docker.sock");
    let host = format!("unix://{}", socket.display());
    let log = std::fs::File::create(dir.join("dockerd.log")).map_err(|e| e.to_string())?;
    let mut c = Command::new("dockerd");
    c.arg("--iptables=false")
        .arg("--ip6tables=false")
        .arg("--bridge=none")
        .arg(format!("--host={host}"))
        .arg("--data-root")
        .arg(dir.join("data"))
        .arg("--exec-root")
        .arg(dir.join("exec"))
        .arg("--pidfile")
        .arg(dir.join("docker.pid"))
        .stdout(Stdio::from(log.try_clone().map_err(|e| e.to_string())?))
        .stderr(Stdio::from(log));
    let guard = Guard::spawn("dockerd", c)?;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let ok = Command::new("docker")
            .args([
                "--host",
                &host,
                "version",
                "--format",
                "{{.Server.Version}}",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            note(&format!("dockerd ready at {host}"));
            break;
        }
        if Instant::now() > deadline {
            return Err(format!(
                "dockerd did not come up in 60 s; see {}",
                dir.join("dockerd.log").display()
            ));
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    Ok(Dockerd {
        host,
        _guard: guard,
        dir,
    })
}

fn docker_tests() -> Result {
    step("Harness tests against a real Docker daemon");
    let daemon = start_dockerd()?;
    let mut c = command("cargo");
    c.args([
        "test",
        "--release",
        "-p",
        "incident-harness",
        "--test",
        "docker",
        "--test",
        "faults",
        "--",
        "--ignored",
        "--test-threads=1",
    ])
    .env("INCIDENT_DOCKER_HOST", &daemon.host)
    .env("INCIDENT_TEST_PORT_BASE", free_port()?.to_string());
    let result = run(c);
    drop(daemon);
    result
}

pub fn test(browser: bool, docker: bool) -> Result {
    let started = Instant::now();
    setup::all(Needs {
        app: true,
        browser,
        docker,
        bench: false,
    })?;
    cargo_test()?;
    checked_property_tests()?;
    let dist = build_dist()?;
    if browser {
        browser_tests(&dist)?;
    } else {
        note("browser tests skipped (--skip-browser)");
    }
    if docker {
        let harness_docker_tests = root()
            .join("crates")
            .join("harness")
            .join("tests")
            .join("docker.rs");
        if harness_docker_tests.exists() {
            docker_tests()?;
        } else {
            note("no Docker harness tests yet");
        }
    } else {
        note("Docker tests skipped (--skip-docker)");
    }
    step(&format!(
        "All tests passed in {:.1} min",
        started.elapsed().as_secs_f64() / 60.0
    ));
    Ok(())
}
