//! `incident sweep PRESET|FILE --vary PATH=FROM..TO:N [--vary …]`: a grid
//! of runs on every core (rayon), each cell exactly the run `incident
//! simulate --set …` makes, printed as a table, CSV or JSON for a course's
//! own material. The grid and the cells are the core's (`core::sweep`).

use crate::cli_error::CliError;
use incident_core::lesson::{Measure, MeasureValue};
use incident_core::sweep::{parse_measures, Axis, Cell, Grid, DEFAULT_MEASURES};
use incident_core::Scenario;
use rayon::prelude::*;
use serde_json::json;
use std::io::IsTerminal;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum SweepFormat {
    Table,
    Csv,
    Json,
}

pub struct SweepArgs {
    pub vary: Vec<String>,
    pub measures: Vec<String>,
    pub format: SweepFormat,
    /// Threads to run cells on (default: every core).
    pub threads: Option<usize>,
}

fn grid_of(sc: &Scenario, args: &SweepArgs) -> Result<(Grid, Vec<String>), CliError> {
    let mut problems = Vec::new();
    let axes: Vec<Axis> = args
        .vary
        .iter()
        .filter_map(|v| Axis::parse(v, sc).map_err(|e| problems.push(e)).ok())
        .collect();
    let text = if args.measures.is_empty() {
        DEFAULT_MEASURES.to_string()
    } else {
        args.measures.join(",")
    };
    let measures = parse_measures(&text, sc)
        .map_err(|e| problems.push(e))
        .unwrap_or_default();
    if !problems.is_empty() {
        return Err(CliError::Input(problems));
    }
    let (labels, measures): (Vec<String>, Vec<Measure>) = measures.into_iter().unzip();
    let grid = Grid::new(axes, measures).map_err(CliError::input)?;
    Ok((grid, labels))
}

pub fn sweep(sc: &Scenario, args: &SweepArgs) -> Result<(), CliError> {
    let (grid, labels) = grid_of(sc, args)?;
    let threads = args.threads.unwrap_or(0);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| CliError::Failed(format!("cannot start the worker threads: {e}")))?;
    let started = Instant::now();
    let done = AtomicUsize::new(0);
    let finished = std::sync::atomic::AtomicBool::new(false);
    let cells: Vec<Cell> = std::thread::scope(|scope| {
        scope.spawn(|| progress(&done, &finished, grid.cells(), started));
        let cells = pool.install(|| {
            (0..grid.cells())
                .into_par_iter()
                .map(|i| {
                    let cell = grid.run(sc, i);
                    done.fetch_add(1, Ordering::Relaxed);
                    cell
                })
                .collect()
        });
        finished.store(true, Ordering::Relaxed);
        cells
    });
    let took = started.elapsed().as_secs_f64();
    let text = match args.format {
        SweepFormat::Table => table(&grid, &labels, &cells),
        SweepFormat::Csv => csv(&grid, &labels, &cells),
        SweepFormat::Json => json_text(sc, &grid, &labels, &cells),
    };
    crate::stdout::out!("{text}");
    eprintln!(
        "{} cells in {took:.2} s ({:.1} cells/s, {} threads)",
        cells.len(),
        cells.len() as f64 / took.max(1e-9),
        pool.current_num_threads()
    );
    Ok(())
}

/// A line rewritten in place on a terminal; nothing in a log.
fn progress(
    done: &AtomicUsize,
    finished: &std::sync::atomic::AtomicBool,
    total: usize,
    started: Instant,
) {
    if !std::io::stderr().is_terminal() {
        return;
    }
    while !finished.load(Ordering::Relaxed) {
        let n = done.load(Ordering::Relaxed);
        let rate = n as f64 / started.elapsed().as_secs_f64().max(1e-9);
        eprint!("\r{n}/{total} cells · {rate:.1} cells/s   ");
        std::thread::sleep(Duration::from_millis(200));
    }
    eprint!("\r{:60}\r", "");
}

fn shown(measure: &Measure, value: &Option<MeasureValue>) -> String {
    match value {
        Some(MeasureValue::Number(n)) => measure.unit().format(*n),
        Some(MeasureValue::Text(t)) => t.clone(),
        None => "—".into(),
    }
}

fn table(grid: &Grid, labels: &[String], cells: &[Cell]) -> String {
    let mut rows: Vec<Vec<String>> = Vec::with_capacity(cells.len() + 1);
    let header = grid.axes.iter().map(|a| a.path.clone());
    rows.push(
        header
            .chain(labels.iter().cloned())
            .chain(["trace".into()])
            .collect(),
    );
    for cell in cells {
        let mut row: Vec<String> = cell.sets.iter().map(|(_, v)| v.clone()).collect();
        match &cell.problem {
            Some(problem) => row.push(problem.clone()),
            None => {
                let values = grid.measures.iter().zip(&cell.values);
                row.extend(values.map(|(m, v)| shown(m, v)));
                row.push(cell.trace_hash.clone());
            }
        }
        rows.push(row);
    }
    let columns = rows[0].len();
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in &rows {
        let cells: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(c, s)| format!("{s:<w$}", w = widths[c.min(columns - 1)]))
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

fn csv(grid: &Grid, labels: &[String], cells: &[Cell]) -> String {
    let header: Vec<String> = grid
        .axes
        .iter()
        .map(|a| a.path.clone())
        .chain(labels.iter().cloned())
        .chain(["trace_hash".into(), "problem".into()])
        .collect();
    let mut out = header
        .iter()
        .map(|h| csv_field(h))
        .collect::<Vec<_>>()
        .join(",")
        + "\n";
    for cell in cells {
        let mut row: Vec<String> = cell.sets.iter().map(|(_, v)| csv_field(v)).collect();
        row.extend(
            cell.values
                .iter()
                .map(|v| match incident_core::sweep::value_json(v) {
                    serde_json::Value::Null => String::new(),
                    serde_json::Value::String(s) => csv_field(&s),
                    other => other.to_string(),
                }),
        );
        row.push(cell.trace_hash.clone());
        row.push(csv_field(cell.problem.as_deref().unwrap_or("")));
        out.push_str(&row.join(","));
        out.push('\n');
    }
    out
}

fn json_text(sc: &Scenario, grid: &Grid, labels: &[String], cells: &[Cell]) -> String {
    let units: Vec<String> = grid
        .measures
        .iter()
        .map(|m| format!("{:?}", m.unit()))
        .collect();
    let cells: Vec<serde_json::Value> = cells
        .iter()
        .map(|cell| {
            let sets: serde_json::Map<String, serde_json::Value> =
                cell.sets.iter().map(|(p, v)| (p.clone(), json!(v))).collect();
            let values: serde_json::Map<String, serde_json::Value> =
                labels.iter().cloned().zip(cell.values.iter().map(incident_core::sweep::value_json)).collect();
            json!({ "set": sets, "measures": values, "trace_hash": cell.trace_hash, "problem": cell.problem })
        })
        .collect();
    let axes: Vec<serde_json::Value> = grid
        .axes
        .iter()
        .map(|a| json!({ "path": a.path, "values": a.values }))
        .collect();
    let doc = json!({ "scenario": sc.name, "seed": sc.seed, "axes": axes, "measures": labels, "units": units, "cells": cells });
    serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
}
