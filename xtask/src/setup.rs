//! Installs what is missing and skips what is there. Versions are the ones
//! checked to work together on these machines (see TOOLCHAIN facts):
//! trunk 0.21.14, wasm-bindgen-cli equal to the crate in Cargo.lock, and
//! wasm-opt from npm's binaryen 132 (Debian's breaks the app at start-up).

use crate::util::{command, have, note, output, root, run, step, tools_dir, version_of, Result};
use std::process::{Command, Stdio};

pub const TRUNK_VERSION: &str = "0.21.14";
pub const BINARYEN_VERSION: &str = "132";
/// Minifies wasm-bindgen's JS glue after trunk (`tasks::minify_glue`).
pub const TERSER_VERSION: &str = "5.51.4";

/// The browser bundle alone is built with this pinned nightly, which can
/// rebuild the standard library for size (see `tasks::trunk`): about 26 KB
/// less gzip than stable. Native builds and every test binary use stable.
pub const WASM_TOOLCHAIN: &str = "nightly-2026-10-30";

#[derive(Clone, Copy)]
pub struct Needs {
    pub app: bool,
    pub browser: bool,
    pub docker: bool,
    pub bench: bool,
}

impl Needs {
    /// What building and serving the app needs.
    pub const APP: Needs = Needs {
        app: true,
        browser: false,
        docker: false,
        bench: false,
    };

    pub fn everything() -> Needs {
        Needs {
            app: true,
            browser: true,
            docker: true,
            bench: true,
        }
    }
}

pub fn all(needs: Needs) -> Result {
    step("Checking tools (installing only what is missing)");
    let mut apt: Vec<&str> = Vec::new();
    if needs.browser || needs.bench {
        apt.extend(["chromium", "chromium-driver"]);
    }
    if needs.docker {
        // The Python and Node workloads run the host's /usr/bin/python3 and
        // /usr/bin/node, bind-mounted read-only (run/docker.rs).
        // The checkout workload is built with Go 1.23 from bookworm-backports:
        // bookworm's own Go 1.19 counts about 8 MiB of GC metadata against
        // GOMEMLIMIT, which a 16 MiB limit cannot afford (the demo builds with 1.2x).
        apt.extend(["docker.io", GO_PACKAGE, "python3", "nodejs"]);
        backports_source()?;
    }
    // wasm-opt and the browser tools come from npm; a bare machine may have
    // no Node.js at all.
    if (needs.app || needs.browser || needs.bench) && !have("npm") {
        apt.extend(["nodejs", "npm"]);
    }
    apt.sort_unstable();
    apt.dedup();
    apt_packages(&apt)?;
    if needs.app {
        rust_target()?;
        wasm_toolchain()?;
        crate_sources()?;
        trunk()?;
        wasm_bindgen()?;
        binaryen()?;
        terser()?;
    }
    if needs.browser || needs.bench {
        node_modules()?;
    }
    // The export tests (locust, kubernetes-validate) run with the others;
    // the bench runs the SimPy peer.
    if needs.browser || needs.docker || needs.bench {
        python_packages()?;
    }
    Ok(())
}

fn rust_target() -> Result {
    let installed = output({
        let mut c = command("rustup");
        c.args(["target", "list", "--installed"]);
        c
    })?;
    if installed
        .lines()
        .any(|l| l.trim() == "wasm32-unknown-unknown")
    {
        note("rustup target wasm32-unknown-unknown: present");
        return Ok(());
    }
    let mut c = command("rustup");
    c.args(["target", "add", "wasm32-unknown-unknown"]);
    timed(
        "rustup target wasm32-unknown-unknown: installing (under a minute)",
        c,
    )
}

/// The pinned nightly with the standard library's source (`-Z build-std`
/// compiles it); its prebuilt wasm32 std is not needed.
fn wasm_toolchain() -> Result {
    // Fails quietly when the toolchain is not there yet.
    let installed = command("rustup")
        .args([
            "component",
            "list",
            "--installed",
            "--toolchain",
            WASM_TOOLCHAIN,
        ])
        .stderr(Stdio::null())
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    if installed.lines().any(|l| l.starts_with("rust-src")) {
        note(&format!(
            "rust toolchain {WASM_TOOLCHAIN} with rust-src: present"
        ));
        return Ok(());
    }
    let mut c = command("rustup");
    c.args([
        "toolchain",
        "install",
        WASM_TOOLCHAIN,
        "--profile",
        "minimal",
        "--component",
        "rust-src",
    ]);
    timed(
        &format!("rust toolchain {WASM_TOOLCHAIN} with rust-src: installing (about a minute)"),
        c,
    )
}

/// Trunk builds with `offline = true` (it must never download a tool), which
/// also runs cargo with `--offline`: every crate the wasm build compiles must
/// already be in the cargo cache. That is the project's wasm32 dependencies
/// and, because `-Z build-std` compiles the standard library from source,
/// std's own dependencies (`wasip1`, `rustc-demangle`, ...) from the
/// toolchain's `library/Cargo.lock`. A warm machine has them; a new one does
/// not, so fetch both here. `cargo fetch --offline` succeeding means present.
fn crate_sources() -> Result {
    let project = || {
        let mut c = command("cargo");
        c.args(["fetch", "--locked", "--target", "wasm32-unknown-unknown"]);
        c
    };
    fetch_if_missing("crates for the wasm build (Cargo.lock)", project)?;
    let sysroot = output({
        let mut c = command("rustc");
        c.args([&format!("+{WASM_TOOLCHAIN}"), "--print", "sysroot"]);
        c
    })?;
    let library =
        std::path::Path::new(sysroot.trim()).join("lib/rustlib/src/rust/library/Cargo.toml");
    let std_deps = || {
        let mut c = command("cargo");
        c.arg(format!("+{WASM_TOOLCHAIN}"))
            .args(["fetch", "--locked", "--manifest-path"])
            .arg(&library);
        c
    };
    fetch_if_missing(
        &format!("crates of {WASM_TOOLCHAIN}'s standard library (for -Z build-std)"),
        std_deps,
    )
}

fn fetch_if_missing(what: &str, fetch: impl Fn() -> Command) -> Result {
    let mut offline = fetch();
    offline
        .arg("--offline")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if offline.status().is_ok_and(|s| s.success()) {
        note(&format!("{what}: present"));
        return Ok(());
    }
    timed(&format!("{what}: downloading (seconds)"), fetch())
}

/// Runs one install step, saying what it is and how long it took.
fn timed(what: &str, c: Command) -> Result {
    note(what);
    let started = std::time::Instant::now();
    let result = run(c);
    let seconds = started.elapsed().as_secs_f64();
    if result.is_ok() {
        if seconds >= 90.0 {
            note(&format!("    done in {:.1} min", seconds / 60.0));
        } else {
            note(&format!("    done in {seconds:.0} s"));
        }
    }
    result
}

fn trunk() -> Result {
    if version_of("trunk").is_some_and(|v| v.contains(TRUNK_VERSION)) {
        note(&format!("trunk {TRUNK_VERSION}: present"));
        return Ok(());
    }
    let mut c = command("cargo");
    c.args(["install", "--locked", &format!("trunk@{TRUNK_VERSION}")])
        // Thin LTO and more codegen units: a third faster to build, same tool.
        .env("CARGO_PROFILE_RELEASE_LTO", "false")
        .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "16");
    timed(
        &format!(
            "trunk {TRUNK_VERSION}: compiling with cargo install (6 to 10 minutes on 2 cores)"
        ),
        c,
    )
}

/// The wasm-bindgen crate version the lock file pins.
pub fn locked_wasm_bindgen() -> Result<String> {
    let lock = std::fs::read_to_string(root().join("Cargo.lock"))
        .map_err(|e| format!("cannot read Cargo.lock: {e}"))?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == "name = \"wasm-bindgen\"" {
            if let Some(v) = lines
                .next()
                .and_then(|l| l.trim().strip_prefix("version = \""))
            {
                return Ok(v.trim_end_matches('"').to_string());
            }
        }
    }
    Err("Cargo.lock has no wasm-bindgen entry".into())
}

fn wasm_bindgen() -> Result {
    let version = locked_wasm_bindgen()?;
    if version_of("wasm-bindgen")
        .is_some_and(|v| v.split_whitespace().nth(1) == Some(version.as_str()))
    {
        note(&format!("wasm-bindgen-cli {version}: present"));
        return Ok(());
    }
    // Not --locked: the CLI's own lock pins a webpki-roots the registry no longer serves.
    let mut c = command("cargo");
    c.args(["install", "--force", &format!("wasm-bindgen-cli@{version}")]);
    timed(
        &format!("wasm-bindgen-cli {version}: compiling with cargo install (2 to 3 minutes)"),
        c,
    )
}

fn terser() -> Result {
    let manifest = tools_dir()
        .join("node_modules")
        .join("terser")
        .join("package.json");
    let present = std::fs::read_to_string(&manifest)
        .is_ok_and(|m| m.contains(&format!("\"version\": \"{TERSER_VERSION}\"")));
    if present {
        note(&format!("terser {TERSER_VERSION} (npm): present"));
        return Ok(());
    }
    npm_tool("terser", &format!("terser@{TERSER_VERSION}"))
}

/// Installs one pinned npm package into target/tools (next to the others).
fn npm_tool(what: &str, package: &str) -> Result {
    std::fs::create_dir_all(tools_dir()).map_err(|e| e.to_string())?;
    let mut c = command("npm");
    c.args(["install", "--no-audit", "--no-fund", "--prefix"])
        .arg(tools_dir())
        .arg(package);
    timed(
        &format!("{what}: installing {package} from npm into target/tools (seconds)"),
        c,
    )
}

fn binaryen() -> Result {
    let wasm_opt = tools_dir()
        .join("node_modules")
        .join(".bin")
        .join("wasm-opt");
    let ok = Command::new(&wasm_opt)
        .arg("--version")
        .output()
        .is_ok_and(|o| {
            String::from_utf8_lossy(&o.stdout).contains(&format!("version {BINARYEN_VERSION}"))
        });
    if ok {
        note(&format!(
            "wasm-opt (binaryen {BINARYEN_VERSION}, npm): present"
        ));
        return Ok(());
    }
    npm_tool("wasm-opt", &format!("binaryen@{BINARYEN_VERSION}"))
}

/// Browser-test tools pinned by tests/browser/package-lock.json.
fn node_modules() -> Result {
    let dir = root().join("tests").join("browser");
    let modules = dir.join("node_modules");
    if ["playwright-core", "lighthouse", "axe-core"]
        .iter()
        .all(|m| modules.join(m).exists())
    {
        note("browser test tools (playwright-core, lighthouse, axe-core): present");
        return Ok(());
    }
    if !have("npm") {
        return Err("npm is missing: install Node.js 18 or newer (it ships npm)".into());
    }
    let mut c = command("npm");
    c.current_dir(&dir).args(["ci", "--no-audit", "--no-fund"]);
    timed(
        "browser test tools: npm ci in tests/browser (under a minute)",
        c,
    )
}

fn dpkg_installed(package: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", package])
        .stderr(Stdio::null())
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("install ok installed"))
}

/// The Debian package of the Go the checkout workload is built with; the
/// harness looks for its `go` at `/usr/lib/go-1.23/bin/go`.
const GO_PACKAGE: &str = "golang-1.23-go";
const BACKPORTS_SOURCE: &str = "/etc/apt/sources.list.d/bookworm-backports.sources";

/// Adds bookworm-backports (a Debian registry) when Go 1.23 is not installed.
fn backports_source() -> Result {
    if dpkg_installed(GO_PACKAGE) || std::path::Path::new(BACKPORTS_SOURCE).exists() {
        return Ok(());
    }
    let text = "Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm-backports\n\
                Components: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n";
    std::fs::write(BACKPORTS_SOURCE, text)
        .map_err(|e| format!("could not add {BACKPORTS_SOURCE} for {GO_PACKAGE}: {e}"))?;
    note(&format!("added {BACKPORTS_SOURCE} (for {GO_PACKAGE})"));
    Ok(())
}

fn apt_packages(packages: &[&str]) -> Result {
    let missing: Vec<&str> = packages
        .iter()
        .copied()
        .filter(|p| !dpkg_installed(p))
        .collect();
    for p in packages.iter().filter(|p| !missing.contains(p)) {
        note(&format!("{p} (Debian): present"));
    }
    if missing.is_empty() {
        return Ok(());
    }
    let root_user = output({
        let mut c = Command::new("id");
        c.arg("-u");
        c
    })
    .map(|s| s.trim() == "0")
    .unwrap_or(false);
    let apt = |args: &[&str]| {
        let mut c = if root_user {
            Command::new("apt-get")
        } else {
            Command::new("sudo")
        };
        if !root_user {
            c.arg("apt-get");
        }
        c.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        c
    };
    timed(
        "Debian packages: apt-get update (seconds)",
        apt(&["update", "-q"]),
    )?;
    let mut args = vec!["install", "-y", "-q", "--no-install-recommends"];
    args.extend(&missing);
    timed(
        &format!(
            "Debian packages: installing {} (a minute or two)",
            missing.join(" ")
        ),
        apt(&args),
    )
}

/// How a Python package shows it is installed in the venv.
enum Present {
    Executable(&'static str),
    Module(&'static str),
}

impl Present {
    fn name(&self) -> &'static str {
        match self {
            Present::Executable(name) | Present::Module(name) => name,
        }
    }

    fn check(&self, bin: &std::path::Path) -> bool {
        match self {
            Present::Executable(exe) => bin.join(exe).exists(),
            Present::Module(module) => Command::new(bin.join("python"))
                .args(["-c", &format!("import {module}")])
                .stderr(std::process::Stdio::null())
                .status()
                .is_ok_and(|s| s.success()),
        }
    }
}

/// The venv the export tests' tools (locust, kubernetes-validate) and the
/// bench's SimPy live in.
pub fn python_bin() -> std::path::PathBuf {
    tools_dir().join("venv").join("bin")
}

/// Python tools in a venv of their own under target/tools: system Pythons
/// refuse `pip install` (PEP 668), and the versions stay pinned. SimPy is
/// the bench's peer (tests/peers); it has no executable, so its import tells.
pub fn python_packages() -> Result {
    // (what to look for, pip requirement)
    let wanted = [
        (Present::Executable("locust"), "locust==2.47.0"),
        (
            Present::Executable("kubernetes-validate"),
            "kubernetes-validate==1.37.0",
        ),
        (Present::Module("simpy"), "simpy==4.1.1"),
    ];
    let bin = python_bin();
    if !bin.join("python").exists() {
        note("python venv: creating target/tools/venv");
        let venv = |c: &mut Command| {
            c.args(["-m", "venv"]).arg(tools_dir().join("venv"));
        };
        let mut c = Command::new("python3");
        venv(&mut c);
        if run(c).is_err() {
            // Debian's Python keeps venv in its own package.
            apt_packages(&["python3-venv"])?;
            let mut c = Command::new("python3");
            venv(&mut c);
            run(c)?;
        }
    }
    let mut missing = Vec::new();
    for (present, requirement) in &wanted {
        if present.check(&bin) {
            note(&format!(
                "{} (PyPI, target/tools/venv): present",
                present.name()
            ));
        } else {
            missing.push(*requirement);
        }
    }
    if missing.is_empty() {
        return Ok(());
    }
    let mut c = Command::new(bin.join("pip"));
    c.args([
        "install",
        "--disable-pip-version-check",
        "--progress-bar",
        "off",
    ])
    .args(&missing);
    timed(
        &format!(
            "PyPI: installing {} into target/tools/venv (under a minute)",
            missing.join(" ")
        ),
        c,
    )
}
