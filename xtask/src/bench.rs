//! `cargo xtask bench`: figures, not pass/fail tests.
//!
//! * the simulator, per preset, in release: events processed, events per
//!   second and wall time for the full preset duration (median of runs);
//! * the bundle: wasm + js + css, raw and gzipped;
//! * in the browser: slider-to-redraw time, long tasks while dragging and
//!   Lighthouse scores (tests/browser/bench.mjs).

use crate::server::StaticServer;
use crate::setup::{self, Needs};
use crate::util::{self, command, note, root, step, Result};
use incident_core::{presets, simulate};
use std::path::Path;
use std::time::Instant;

/// Events per second the checkout presets should reach.
const CHECKOUT_EVENTS_PER_S: f64 = 10_000_000.0;
/// Wall time every preset's full duration should fit in.
const PRESET_WALL_MS: f64 = 100.0;
/// Transfer size budget of the app.
/// Issue 18 raised it from 300 KB for the chart library (plotters).
const BUNDLE_GZIP_BYTES: u64 = 340 * 1024;

fn simulator() -> Result {
    step("Simulator: every preset, full duration, release build (median of 7 runs)");
    println!(
        "    {:<32} {:>10} {:>14} {:>10}  budget",
        "preset", "events", "events/s", "wall ms"
    );
    let mut missed = Vec::new();
    for name in presets::names() {
        let sc = presets::load(name).ok_or_else(|| format!("preset {name} does not load"))?;
        let mut walls = Vec::new();
        let mut events = 0;
        for _ in 0..7 {
            let started = Instant::now();
            let trace = simulate(&sc);
            walls.push(started.elapsed().as_secs_f64());
            events = trace.summary.events_processed;
        }
        walls.sort_by(|a, b| a.total_cmp(b));
        let wall = walls[walls.len() / 2];
        let rate = events as f64 / wall;
        let wall_ms = wall * 1000.0;
        let mut verdict = Vec::new();
        if wall_ms > PRESET_WALL_MS {
            verdict.push(format!("wall {wall_ms:.0} ms > {PRESET_WALL_MS:.0} ms"));
        }
        if name.starts_with("checkout-") && rate < CHECKOUT_EVENTS_PER_S {
            verdict.push(format!(
                "{:.1}x under 10 M events/s",
                CHECKOUT_EVENTS_PER_S / rate
            ));
        }
        let shown = if verdict.is_empty() {
            "ok".to_string()
        } else {
            verdict.join("; ")
        };
        if !verdict.is_empty() {
            missed.push(name);
        }
        println!(
            "    {name:<32} {events:>10} {:>12.2} M {wall_ms:>10.1}  {shown}",
            rate / 1e6
        );
    }
    if missed.is_empty() {
        note("every preset within its budgets");
    } else {
        note(&format!("budgets missed by: {}", missed.join(", ")));
    }
    Ok(())
}

fn bundle(dist: &Path) -> Result {
    let s = crate::bundle::sizes(dist)?;
    step("Bundle (wasm + js + css)");
    println!(
        "    raw: wasm {} KB, js {} KB, css {} KB; gzip total {} KB (budget {} KB: {})",
        s.wasm_raw / 1024,
        s.js_raw / 1024,
        s.css_raw / 1024,
        s.total_gzip / 1024,
        BUNDLE_GZIP_BYTES / 1024,
        if s.total_gzip <= BUNDLE_GZIP_BYTES {
            "ok"
        } else {
            "over"
        }
    );
    Ok(())
}

fn browser(dist: &Path) -> Result {
    let script = root().join("tests").join("browser").join("bench.mjs");
    if !script.exists() {
        note("no browser bench script yet");
        return Ok(());
    }
    step("Browser: slider-to-redraw, long tasks, Lighthouse (headless Chromium)");
    let server = StaticServer::start(dist.to_path_buf(), "incident-lab")?;
    let mut c = command("node");
    c.current_dir(script.parent().expect("dir"))
        .arg("bench.mjs")
        .env("BASE_URL", server.url())
        .env("CHROMIUM", "/usr/bin/chromium")
        .env("ARTIFACTS", root().join("target").join("artifacts"));
    util::run(c)
}

pub fn run(quick: bool) -> Result {
    simulator()?;
    if quick {
        return Ok(());
    }
    setup::all(Needs {
        app: true,
        browser: false,
        docker: false,
        bench: true,
    })?;
    let dist = crate::tasks::build_dist()?;
    bundle(&dist)?;
    browser(&dist)
}
