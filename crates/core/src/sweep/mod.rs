//! A grid of runs over the parameters a learner or a course author picks:
//! seed 001's table (flag 100–2000, one run at a time) as a whole space.
//!
//! Each axis is a parameter path and the values it takes; each cell is the
//! base scenario with one value of every axis applied as a whole (as
//! `--set` applies them), run, and read with the lesson measures. A cell is
//! exactly the run `incident simulate --set …` makes, trace hash included,
//! so a sweep can be run in any order, on any number of threads.

pub mod map;

use crate::lesson::measure::Needs;
use crate::lesson::measure::NAMES;
use crate::lesson::{Call, Measure, MeasureValue};
use crate::scenario::{apply_set, apply_sets, find_param, ParamKind};
use crate::Scenario;

/// Axes a sweep may have: a map is two, a table may add a third.
pub const MAX_AXES: usize = 3;
/// Values one axis may take.
pub const MAX_POINTS: usize = 100;
/// Cells a sweep may have in all (each is a whole run).
pub const MAX_CELLS: usize = 10_000;
/// Measures read from each cell.
pub const MAX_MEASURES: usize = 8;

/// The measures a sweep reads when none are named: the map's layers.
pub const DEFAULT_MEASURES: &str =
    "first_oom_after_load_min,restarts,latency_p95_ms,failure_percent";

/// One parameter and the values (as written) it takes across the grid.
#[derive(Clone, Debug, PartialEq)]
pub struct Axis {
    pub path: String,
    pub values: Vec<String>,
}

/// `FROM..TO:N`, spaced evenly or, with `:log` (the default for a
/// parameter its control drags on a log scale), by equal ratios.
impl Axis {
    pub fn parse(text: &str, base: &Scenario) -> Result<Axis, String> {
        let fail = |why: &str| format!("--vary `{text}`: {why}");
        let form = "write it as PATH=FROM..TO:N, like workload.users=5..100:10 (add :log or :lin)";
        let (path, range) = text.split_once('=').ok_or_else(|| fail(form))?;
        let path = path.trim().to_string();
        let info = find_param(base, &path).ok_or_else(|| {
            fail(&format!(
                "{path} is not a parameter of {}; `incident params` lists them",
                base.name
            ))
        })?;
        if !is_number(info.kind) {
            return Err(fail(&format!(
                "{path} is not a number; a sweep varies numbers"
            )));
        }
        let mut parts = range.split(':');
        let span = parts.next().unwrap_or("");
        let (from, to) = span.split_once("..").ok_or_else(|| fail(form))?;
        let n: usize = parts
            .next()
            .and_then(|n| n.trim().parse().ok())
            .filter(|n| (2..=MAX_POINTS).contains(n))
            .ok_or_else(|| fail(&format!("N is the number of values, 2..={MAX_POINTS}")))?;
        let log = match parts.next().map(str::trim) {
            None => info.log_scale,
            Some("log") => true,
            Some("lin") => false,
            Some(other) => return Err(fail(&format!("`{other}`: the spacing is log or lin"))),
        };
        let number = |value: &str| base_number(base, &path, value).map_err(|e| fail(&e));
        let (lo, hi) = (number(from)?, number(to)?);
        if log && (lo <= 0.0 || hi <= 0.0) {
            return Err(fail("a log axis needs values above 0; add :lin"));
        }
        let mut values: Vec<String> = spread(lo, hi, n, log)
            .into_iter()
            .map(|x| info.format(x))
            .collect();
        // Rounding to whole numbers can make neighbours equal; each once.
        values.dedup();
        Ok(Axis { path, values })
    }
}

/// Whether a parameter of this kind can be an axis: a number of some unit.
pub fn is_number(kind: ParamKind) -> bool {
    matches!(
        kind,
        ParamKind::Int | ParamKind::Float | ParamKind::Bytes | ParamKind::Duration | ParamKind::Cpu
    )
}

/// A measure's value as JSON: a number, a text, or null where the run has
/// none.
pub fn value_json(value: &Option<MeasureValue>) -> serde_json::Value {
    match value {
        Some(MeasureValue::Number(n)) => serde_json::json!(n),
        Some(MeasureValue::Text(t)) => serde_json::json!(t),
        None => serde_json::Value::Null,
    }
}

/// A value as written (`20Mi`, `15s`), in the parameter's base unit, with
/// the message `--set` would give.
fn base_number(base: &Scenario, path: &str, value: &str) -> Result<f64, String> {
    let mut probe = base.clone();
    apply_set(&mut probe, path, value.trim())
        .map_err(|p| first_line(&p.to_string()).to_string())?;
    find_param(&probe, path)
        .and_then(|p| p.number)
        .ok_or_else(|| format!("{path} has no value after setting it"))
}

/// `n` values from `lo` to `hi`, both included.
fn spread(lo: f64, hi: f64, n: usize, log: bool) -> Vec<f64> {
    debug_assert!(n >= 2);
    (0..n)
        .map(|i| {
            let f = i as f64 / (n - 1) as f64;
            if log {
                lo * libm::pow(hi / lo, f)
            } else {
                lo + (hi - lo) * f
            }
        })
        .collect()
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or(text)
}

/// Reads `a,b(x, k=v),c` into measures, each with its label; a measure
/// about a service given without one is about the scenario's focus service
/// (the one its charts follow first): `restarts` is `restarts(checkout)`.
pub fn parse_measures(text: &str, base: &Scenario) -> Result<Vec<(String, Measure)>, String> {
    let focus = crate::view::focus_service(base);
    let mut measures = Vec::new();
    for part in split_top_level(text) {
        let mut call = Call::parse(part).map_err(|e| format!("--measure {e}"))?;
        let needs = NAMES
            .iter()
            .find(|(n, _)| *n == call.name)
            .map(|(_, needs)| *needs);
        let label = if needs == Some(Needs::Service) && call.subject.is_none() {
            call.subject = Some(focus.clone());
            format!("{}({focus})", call.name)
        } else {
            part.to_string()
        };
        let measure = Measure::from_call(&call).map_err(|e| format!("--measure `{part}`: {e}"))?;
        if let Some(problem) = measure.problem(base) {
            return Err(format!("--measure `{part}`: {problem}"));
        }
        measures.push((label, measure));
    }
    if measures.is_empty() || measures.len() > MAX_MEASURES {
        return Err(format!("--measure: name 1..={MAX_MEASURES} measures"));
    }
    Ok(measures)
}

/// Splits at the commas outside parentheses.
fn split_top_level(text: &str) -> Vec<&str> {
    let (mut parts, mut depth, mut start) = (Vec::new(), 0i32, 0);
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(text[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(text[start..].trim());
    parts.into_iter().filter(|p| !p.is_empty()).collect()
}

/// The axes and what to read from each cell.
#[derive(Clone, Debug)]
pub struct Grid {
    pub axes: Vec<Axis>,
    pub measures: Vec<Measure>,
}

/// One run of the grid: its overrides, its trace's hash, and each measure
/// (`None` where the run has none: no OOM kill, say). `problem` when the
/// combination is not a valid scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct Cell {
    pub sets: Vec<(String, String)>,
    pub trace_hash: String,
    pub values: Vec<Option<MeasureValue>>,
    pub problem: Option<String>,
}

impl Grid {
    pub fn new(axes: Vec<Axis>, measures: Vec<Measure>) -> Result<Grid, String> {
        if axes.is_empty() || axes.len() > MAX_AXES {
            return Err(format!("--vary: give 1..={MAX_AXES} axes"));
        }
        let grid = Grid { axes, measures };
        if grid.cells() > MAX_CELLS {
            return Err(format!(
                "the grid has {} cells; a sweep may have at most {MAX_CELLS}",
                grid.cells()
            ));
        }
        Ok(grid)
    }

    pub fn cells(&self) -> usize {
        self.axes.iter().map(|a| a.values.len()).product()
    }

    /// The overrides of cell `index`: the last axis varies fastest.
    pub fn sets(&self, index: usize) -> Vec<(String, String)> {
        assert!(index < self.cells(), "cell {index} of {}", self.cells());
        let mut rest = index;
        let mut sets: Vec<(String, String)> = self
            .axes
            .iter()
            .rev()
            .map(|axis| {
                let n = axis.values.len();
                let value = axis.values[rest % n].clone();
                rest /= n;
                (axis.path.clone(), value)
            })
            .collect();
        sets.reverse();
        sets
    }

    /// Runs cell `index` on `base`.
    pub fn run(&self, base: &Scenario, index: usize) -> Cell {
        run_sets(base, self.sets(index), &self.measures)
    }
}

/// `base` with `sets` applied as a whole, run, and read with `measures`:
/// one cell, wherever it runs (a thread, a browser's worker).
pub fn run_sets(base: &Scenario, sets: Vec<(String, String)>, measures: &[Measure]) -> Cell {
    let mut scenario = base.clone();
    if let Err(problems) = apply_sets(&mut scenario, &sets) {
        return Cell::refused(sets, &problems, measures.len());
    }
    Cell::of_run(sets, &crate::simulate(&scenario), measures)
}

impl Cell {
    /// A cell whose overrides the scenario refuses: its first problem.
    pub fn refused(
        sets: Vec<(String, String)>,
        problems: &crate::Problems,
        measures: usize,
    ) -> Cell {
        Cell {
            sets,
            trace_hash: String::new(),
            values: vec![None; measures],
            problem: Some(first_line(&problems.to_string()).to_string()),
        }
    }

    /// A cell read off its finished run, wherever that ran.
    pub fn of_run(sets: Vec<(String, String)>, trace: &crate::Trace, measures: &[Measure]) -> Cell {
        Cell {
            sets,
            trace_hash: trace.summary.trace_hash.clone(),
            values: measures.iter().map(|m| m.evaluate(trace)).collect(),
            problem: None,
        }
    }
}
