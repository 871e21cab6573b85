//! Running commands, finding tools, and cleaning up what we start.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

pub type Result<T = ()> = std::result::Result<T, String>;

pub fn root() -> PathBuf {
    // xtask lives in <root>/xtask.
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

pub fn tools_dir() -> PathBuf {
    root().join("target").join("tools")
}

/// PATH with the project's own tools first: npm's wasm-opt, then where
/// `cargo install` puts trunk and wasm-bindgen (`$CARGO_HOME/bin`, which CI
/// points at a fresh directory), then `~/.cargo/bin`.
pub fn tool_path() -> String {
    let mut parts = vec![tools_dir()
        .join("node_modules")
        .join(".bin")
        .display()
        .to_string()];
    if let Some(cargo_home) = std::env::var_os("CARGO_HOME") {
        parts.push(PathBuf::from(cargo_home).join("bin").display().to_string());
    }
    parts.push(home().join(".cargo").join("bin").display().to_string());
    if let Ok(path) = std::env::var("PATH") {
        parts.push(path);
    }
    parts.join(":")
}

pub fn home() -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/root"))
}

pub fn step(message: &str) {
    println!("\n==> {message}");
}

pub fn note(message: &str) {
    println!("    {message}");
}

pub fn command(program: &str) -> Command {
    let mut c = Command::new(program);
    c.current_dir(root()).env("PATH", tool_path());
    c
}

/// Runs to completion with the output shown; an error names the command.
pub fn run(mut cmd: Command) -> Result {
    let shown = format!("{cmd:?}");
    let status = cmd
        .status()
        .map_err(|e| format!("cannot start {shown}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{shown} exited with {status}"))
    }
}

/// Runs and captures standard output.
pub fn output(mut cmd: Command) -> Result<String> {
    let shown = format!("{cmd:?}");
    let out = cmd
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot start {shown}: {e}"))?;
    if !out.status.success() {
        return Err(format!("{shown} exited with {}", out.status));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Whether `program --version` (or similar) runs.
pub fn have(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .env("PATH", tool_path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

pub fn version_of(program: &str) -> Option<String> {
    let out = Command::new(program)
        .arg("--version")
        .env("PATH", tool_path())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// A process we started; stopped (by its own pid) when dropped.
pub struct Guard {
    pub name: String,
    pub child: Child,
}

impl Guard {
    pub fn spawn(name: &str, mut cmd: Command) -> Result<Guard> {
        let child = cmd
            .spawn()
            .map_err(|e| format!("cannot start {name}: {e}"))?;
        note(&format!("started {name} (pid {})", child.id()));
        Ok(Guard {
            name: name.to_string(),
            child,
        })
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        if let Ok(Some(_)) = self.child.try_wait() {
            return;
        }
        // SIGTERM first, so the daemon can clean up; then make sure.
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        for _ in 0..100 {
            if let Ok(Some(_)) = self.child.try_wait() {
                note(&format!("stopped {} (pid {})", self.name, self.child.id()));
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        note(&format!("killed {} (pid {})", self.name, self.child.id()));
    }
}

/// A free TCP port on loopback.
pub fn free_port() -> Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    Ok(listener.local_addr().map_err(|e| e.to_string())?.port())
}

/// The median of some measurements (at least one).
pub fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    values[values.len() / 2]
}

/// Median wall time, in seconds, of `runs` runs of a whole process; an
/// error carries the failed run's standard error.
pub fn process_wall(runs: usize, make: impl Fn() -> Command) -> Result<f64> {
    let mut walls = Vec::new();
    for _ in 0..runs {
        let started = std::time::Instant::now();
        let out = make()
            .output()
            .map_err(|e| format!("cannot start a timed process: {e}"))?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).into_owned());
        }
        walls.push(started.elapsed().as_secs_f64());
    }
    Ok(median(walls))
}
