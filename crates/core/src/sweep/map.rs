//! The failure map: a sweep over two parameters, drawn as a grid of cells,
//! one whole run each. Its default axes and the seed rows marked on it are
//! data (`maps/maps.toml`); what a cell shows, and how dark, is computed
//! here so the app only paints it.

use super::{parse_measures, Axis, Cell, Grid, DEFAULT_MEASURES};
use crate::lesson::{Measure, MeasureValue, Unit};
use crate::scenario::{find_param, list_params, ParamInfo, ParamKind};
use crate::Scenario;
use serde_json::{json, Value};

const MAPS_TOML: &str = include_str!("../../maps/maps.toml");
/// Values on an axis the data file does not describe.
pub const FALLBACK_POINTS: usize = 8;
/// Marks one map may carry.
pub const MAX_MARKS: usize = 12;
/// A map's cells: both axes at their longest.
pub const MAX_MAP_CELLS: usize = 40 * 40;

/// A map's axes (columns `x`, rows `y`), what it reads, and the seed rows
/// marked on it.
#[derive(Clone, Debug)]
pub struct Map {
    pub x: Axis,
    pub y: Axis,
    pub about: String,
    pub layers: Vec<(String, Measure)>,
    pub marks: Vec<Mark>,
}

/// A seed row, at the cell nearest its values.
#[derive(Clone, Debug, PartialEq)]
pub struct Mark {
    pub label: String,
    pub column: usize,
    pub row: usize,
}

/// One map of the data file, as written.
struct Entry {
    about: String,
    x: String,
    y: String,
    marks: Vec<String>,
}

fn entries() -> Vec<Entry> {
    let Ok(doc) = crate::toml_reader::parse(MAPS_TOML) else {
        return Vec::new();
    };
    let text = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    doc.get("map")
        .and_then(Value::as_array)
        .map(|maps| {
            maps.iter()
                .map(|m| Entry {
                    about: text(m, "about"),
                    x: text(m, "x"),
                    y: text(m, "y"),
                    marks: m
                        .get("marks")
                        .and_then(Value::as_array)
                        .map(|a| {
                            a.iter()
                                .filter_map(Value::as_str)
                                .map(String::from)
                                .collect()
                        })
                        .unwrap_or_default(),
                })
                .collect()
        })
        .unwrap_or_default()
}

fn path_of(axis_text: &str) -> &str {
    axis_text
        .split_once('=')
        .map_or(axis_text, |(p, _)| p)
        .trim()
}

fn has_param(base: &Scenario, path: &str) -> bool {
    find_param(base, path).is_some_and(|p| p.number.is_some())
}

/// The default axes of `base`'s map, as `--vary` texts: the first map of
/// the data file that fits, else its first two numeric controls.
pub fn default_axes(base: &Scenario) -> Result<(String, String), String> {
    if let Some(e) = entries()
        .into_iter()
        .find(|e| has_param(base, path_of(&e.x)) && has_param(base, path_of(&e.y)))
    {
        return Ok((e.x, e.y));
    }
    let numeric: Vec<String> = base
        .controls
        .iter()
        .filter(|c| is_numeric(base, c))
        .take(2)
        .cloned()
        .collect();
    match numeric.as_slice() {
        [x, y] => Ok((axis_default(base, x)?, axis_default(base, y)?)),
        _ => Err(format!(
            "{} has fewer than two numeric controls; pick the map's axes",
            base.name
        )),
    }
}

fn is_numeric(base: &Scenario, path: &str) -> bool {
    find_param(base, path).is_some_and(|p| numeric(&p))
}

fn numeric(p: &ParamInfo) -> bool {
    p.number.is_some()
        && matches!(
            p.kind,
            ParamKind::Int
                | ParamKind::Float
                | ParamKind::Bytes
                | ParamKind::Duration
                | ParamKind::Cpu
        )
}

/// The parameters a map may have as an axis: the numeric ones, controls
/// first. One walk of the scenario: the app asks on every change.
pub fn axis_choices(base: &Scenario) -> Vec<String> {
    let params: Vec<ParamInfo> = list_params(base).into_iter().filter(numeric).collect();
    let mut paths: Vec<String> = base
        .controls
        .iter()
        .filter(|c| params.iter().any(|p| &p.path == *c))
        .cloned()
        .collect();
    for p in params {
        if !paths.contains(&p.path) {
            paths.push(p.path);
        }
    }
    paths
}

/// `path`'s axis as a `--vary` text: as the data file writes it if it
/// has it, else from a quarter to four times its value, within its range.
pub fn axis_default(base: &Scenario, path: &str) -> Result<String, String> {
    for e in entries() {
        for text in [&e.x, &e.y] {
            if path_of(text) == path {
                return Ok(text.clone());
            }
        }
    }
    let info = find_param(base, path)
        .filter(|p| p.number.is_some())
        .ok_or_else(|| format!("{path} is not a numeric parameter of {}", base.name))?;
    let value = info.number.unwrap_or(1.0);
    let low = info.min.map_or(value / 4.0, |m| (value / 4.0).max(m));
    let high = info.max.map_or(value * 4.0, |m| (value * 4.0).min(m));
    let (low, high) = if value > 0.0 { (low, high) } else { (0.0, 1.0) };
    let spacing = if info.log_scale && low > 0.0 {
        "log"
    } else {
        "lin"
    };
    Ok(format!(
        "{path}={}..{}:{FALLBACK_POINTS}:{spacing}",
        info.format(low),
        info.format(high)
    ))
}

impl Map {
    /// Whether `now` is the scenario the map was drawn on (`base`), but
    /// for the map's own two parameters.
    pub fn still_fits(&self, base: &Scenario, now: &Scenario) -> bool {
        let sets = self.grid().sets(0);
        let on_the_grid = |s: &Scenario| {
            let mut s = s.clone();
            let _ = crate::scenario::apply_sets(&mut s, &sets);
            s
        };
        on_the_grid(base) == on_the_grid(now)
    }

    /// The map of `base` over two axes written as `--vary` takes them.
    pub fn new(base: &Scenario, x: &str, y: &str) -> Result<Map, String> {
        let (x, y) = (Axis::parse(x, base)?, Axis::parse(y, base)?);
        if x.path == y.path {
            return Err(format!("the map's two axes are both {}", x.path));
        }
        if x.values.len() * y.values.len() > MAX_MAP_CELLS {
            return Err(format!("a map may have at most {MAX_MAP_CELLS} cells"));
        }
        let layers = parse_measures(DEFAULT_MEASURES, base)?;
        let entry = entries()
            .into_iter()
            .find(|e| path_of(&e.x) == x.path && path_of(&e.y) == y.path);
        let about = entry.as_ref().map(|e| e.about.clone()).unwrap_or_default();
        let marks = entry
            .map(|e| place_marks(base, &e.marks, &x, &y))
            .unwrap_or_default();
        Ok(Map {
            x,
            y,
            about,
            layers,
            marks,
        })
    }

    pub fn columns(&self) -> usize {
        self.x.values.len()
    }

    pub fn rows(&self) -> usize {
        self.y.values.len()
    }

    /// The sweep: rows vary slowest, so cell `row * columns + column`.
    pub fn grid(&self) -> Grid {
        Grid {
            axes: vec![self.y.clone(), self.x.clone()],
            measures: self.layers.iter().map(|(_, m)| m.clone()).collect(),
        }
    }

    /// The measures' labels, comma-separated, as `--measure` takes them.
    pub fn measures_text(&self) -> String {
        let labels: Vec<&str> = self.layers.iter().map(|(l, _)| l.as_str()).collect();
        labels.join(",")
    }
}

/// Each mark `LABEL | PATH=VALUE, PATH=VALUE` at the nearest cell; a mark
/// whose values this scenario cannot take is left off.
fn place_marks(base: &Scenario, marks: &[String], x: &Axis, y: &Axis) -> Vec<Mark> {
    marks
        .iter()
        .take(MAX_MARKS)
        .filter_map(|text| {
            let (label, sets) = text.split_once('|')?;
            let mut at = (None, None);
            for pair in sets.split(',') {
                let (path, value) = pair.split_once('=')?;
                let (path, value) = (path.trim(), value.trim());
                if path == x.path {
                    at.0 = nearest(base, x, value);
                } else if path == y.path {
                    at.1 = nearest(base, y, value);
                }
            }
            Some(Mark {
                label: label.trim().to_string(),
                column: at.0?,
                row: at.1?,
            })
        })
        .collect()
}

/// The index of the axis value nearest `value` (by ratio on a log axis).
fn nearest(base: &Scenario, axis: &Axis, value: &str) -> Option<usize> {
    let number = |v: &str| super::base_number(base, &axis.path, v).ok();
    let target = number(value)?;
    let distance = |n: f64| {
        if n > 0.0 && target > 0.0 {
            libm::fabs(libm::log(n / target))
        } else {
            libm::fabs(n - target)
        }
    };
    axis.values
        .iter()
        .enumerate()
        .filter_map(|(i, v)| Some((i, distance(number(v)?))))
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(i, _)| i)
}

/// How bad a cell's value is, 0 (fine) to 1 (the worst on the map): an
/// OOM kill sooner is worse, and no kill at all is 0; for the other layers
/// more is worse, against the map's largest.
pub fn severities(measure: &Measure, values: &[Option<f64>], run_min: f64) -> Vec<f64> {
    if let Measure::FirstOomAfterLoadMin { .. } = measure {
        return values
            .iter()
            .map(|v| v.map_or(0.0, |t| (1.0 - t / run_min.max(1e-9)).clamp(0.15, 1.0)))
            .collect();
    }
    let largest = values.iter().flatten().fold(0.0f64, |a, b| a.max(*b));
    values
        .iter()
        .map(|v| match v {
            Some(x) if largest > 0.0 => (x / largest).clamp(0.0, 1.0),
            _ => 0.0,
        })
        .collect()
}

/// A cell's value, short, in the unit its layer's heading names; `–` when
/// the run has none (no OOM kill, no request).
pub fn cell_text(unit: Unit, value: Option<f64>) -> String {
    let Some(n) = value else {
        return "–".to_string();
    };
    match unit {
        Unit::Count => format!("{n:.0}"),
        Unit::Millis if n >= 10_000.0 => format!("{:.0}s", n / 1000.0),
        Unit::Millis if n >= 1000.0 => format!("{:.1}s", n / 1000.0),
        Unit::Millis => format!("{n:.0}"),
        _ if n >= 100.0 => format!("{n:.0}"),
        _ => format!("{n:.1}"),
    }
}

/// A cell's value as a sentence: "first OOM kill 2.6 min after load
/// starts", "no OOM kill in this 25-minute run".
pub fn describe(measure: &Measure, value: Option<f64>, run_min: f64) -> String {
    let unit = measure.unit();
    match (measure, value) {
        (Measure::FirstOomAfterLoadMin { .. }, Some(t)) => {
            format!("first OOM kill {} after load starts", unit.format(t))
        }
        (Measure::FirstOomAfterLoadMin { .. }, None) => {
            format!("no OOM kill in this {run_min:.0}-minute run")
        }
        (Measure::Restarts { .. }, Some(n)) => format!("{n:.0} restarts"),
        (Measure::LatencyP95Ms, Some(ms)) => format!("P95 latency {}", unit.format(ms)),
        (Measure::FailurePercent, Some(p)) => format!("{} of requests failed", unit.format(p)),
        (_, Some(n)) => unit.format(n),
        (_, None) => "no value".to_string(),
    }
}

/// An axis's name, short: a flag's variant as "kafkaQueueProblems (on)",
/// anything else by its last segment ("users", "memory_limit").
pub fn axis_label(path: &str) -> String {
    let parts: Vec<&str> = path.split('.').collect();
    match parts.as_slice() {
        ["flags", flag, "variants", variant] => format!("{flag} ({variant})"),
        [.., last] => last.to_string(),
        [] => String::new(),
    }
}

/// What a layer's heading says its numbers are.
pub fn layer_heading(measure: &Measure) -> &'static str {
    match measure {
        Measure::FirstOomAfterLoadMin { .. } => "first OOM kill, minutes after load starts",
        Measure::Restarts { .. } => "restarts",
        Measure::LatencyP95Ms => "P95 latency of successful requests, ms",
        Measure::FailurePercent => "failed requests, %",
        _ => "value",
    }
}

/// One cell for a worker: `{"scenario": JSON, "sets": [[path, value]…],
/// "measures": "a,b"}` in, `{"trace_hash", "values", "problem"}` out. A
/// request it cannot read is answered with its problem, never a panic.
pub fn run_cell_request(request: &str) -> String {
    let answer = match read_request(request) {
        Ok((scenario, sets, measures)) => {
            let cell = super::run_sets(&scenario, sets, &measures);
            json!({
                "trace_hash": cell.trace_hash,
                "values": cell.values.iter().map(super::value_json).collect::<Vec<_>>(),
                "problem": cell.problem,
            })
        }
        Err(problem) => json!({ "trace_hash": "", "values": [], "problem": problem }),
    };
    crate::json::to_compact(&answer)
}

type Request = (Scenario, Vec<(String, String)>, Vec<Measure>);

fn read_request(request: &str) -> Result<Request, String> {
    let doc = crate::json::parse(request).map_err(|e| format!("not a cell request: {e}"))?;
    let scenario_text = doc
        .get("scenario")
        .and_then(Value::as_str)
        .ok_or("a cell request names its scenario")?;
    let scenario = Scenario::parse(scenario_text).map_err(|p| {
        format!(
            "the scenario: {}",
            p.0.first().map(|p| p.to_string()).unwrap_or_default()
        )
    })?;
    let sets = doc
        .get("sets")
        .and_then(Value::as_array)
        .ok_or("a cell request lists its sets")?
        .iter()
        .take(super::MAX_AXES)
        .filter_map(|pair| {
            let pair = pair.as_array()?;
            Some((
                pair.first()?.as_str()?.to_string(),
                pair.get(1)?.as_str()?.to_string(),
            ))
        })
        .collect();
    let measures_text = doc.get("measures").and_then(Value::as_str).unwrap_or("");
    let measures = parse_measures(measures_text, &scenario)?
        .into_iter()
        .map(|(_, m)| m)
        .collect();
    Ok((scenario, sets, measures))
}

/// Reads a worker's answer back into a cell with these sets.
pub fn read_cell_answer(answer: &str, sets: Vec<(String, String)>) -> Cell {
    let doc = crate::json::parse(answer).unwrap_or(Value::Null);
    let values = doc
        .get("values")
        .and_then(Value::as_array)
        .map(|vs| {
            vs.iter()
                .map(|v| match v {
                    Value::Number(n) => n.as_f64().map(MeasureValue::Number),
                    Value::String(s) => Some(MeasureValue::Text(s.clone())),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    let problem = match doc.get("problem") {
        Some(Value::String(p)) => Some(p.clone()),
        Some(Value::Null) => None,
        _ => Some("the worker's answer could not be read".to_string()),
    };
    Cell {
        sets,
        trace_hash: doc
            .get("trace_hash")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
        values,
        problem,
    }
}
