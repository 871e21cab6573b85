//! Every settable knob has one rule: its path pattern, its kind, its
//! allowed range and a line of help, declared with its field (`spec!` in
//! service.rs, flags.rs, workload.rs and mod.rs). Range validation,
//! `incident params`, `--set path=value` and the app's sliders all read the
//! one table built from those declarations, so they cannot disagree.

use super::spec::{ParamKind, Rule, Rules};
use super::{Problem, Problems, Scenario};
use crate::decode::{describe, FromValue, Path};
use crate::units::{
    format_bytes_exact, format_duration, parse_bytes, parse_duration, parse_millicores, Millicores,
    SimTime,
};
use serde::Serialize;
use serde_json::{Map, Value};
use std::sync::OnceLock;

use ParamKind::*;

/// Optional fields that are absent unless set; `params` lists them too.
const OPTIONAL_SERVICE_FIELDS: &[&str] = &["memory_request", "cpu_limit", "cpu_request"];

/// The rules table, built once from the declarations: the top level's
/// rules (`Scenario::rules`) with every `spec!` section expanded in place.
fn rules() -> &'static [Rule] {
    static RULES: OnceLock<Vec<Rule>> = OnceLock::new();
    RULES.get_or_init(|| Rules::table(Scenario::rules))
}

fn segments_match(segments: &[&str], path: &[String]) -> bool {
    segments
        .iter()
        .zip(path)
        .all(|(p, s)| *p == "*" || *p == s.as_str())
}

fn find_rule(path: &[String]) -> Option<&'static Rule> {
    rules()
        .iter()
        .find(|rule| rule.segments.len() == path.len() && segments_match(&rule.segments, path))
}

fn format_base(kind: ParamKind, value: f64) -> String {
    match kind {
        Duration => format_duration(SimTime(value as u64)),
        Bytes => format_bytes_exact(value as u64),
        Cpu => Millicores(value as u32).to_string(),
        Int => format!("{}", value as i64),
        Float => format!("{value}"),
        _ => String::new(),
    }
}

fn describe_allowed(rule: &Rule) -> String {
    match rule.kind {
        Bool => "true or false".into(),
        Enum(options) => format!("one of {}", options.join(", ")),
        Text => "text".into(),
        kind => format!(
            "{}..={}",
            format_base(kind, rule.min),
            format_base(kind, rule.max)
        ),
    }
}

/// A JSON leaf to a number in the rule's base units.
fn base_value(kind: ParamKind, value: &Value) -> Result<Option<f64>, String> {
    Ok(match (kind, value) {
        (Int | Float, Value::Number(n)) => n.as_f64(),
        (Duration, Value::String(s)) => Some(parse_duration(s)?.0 as f64),
        (Bytes, Value::String(s)) => Some(parse_bytes(s)? as f64),
        (Bytes, Value::Number(n)) => n.as_f64(),
        (Cpu, Value::String(s)) => Some(parse_millicores(s)? as f64),
        _ => None,
    })
}

fn walk(value: &Value, path: &mut Vec<String>, visit: &mut dyn FnMut(&[String], &Value)) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                path.push(key.clone());
                walk(child, path, visit);
                path.pop();
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                path.push(i.to_string());
                walk(child, path, visit);
                path.pop();
            }
        }
        leaf => visit(path, leaf),
    }
}

/// The names a section may hold at `path`, from the rule patterns
/// (`None` when any name goes, like service names).
fn children_of(path: &[String]) -> Option<Vec<&'static str>> {
    let mut names = Vec::new();
    for next in next_segments(path) {
        if next == "*" {
            return None;
        }
        if !names.contains(&next) {
            names.push(next);
        }
    }
    Some(names)
}

/// The next segment of every rule pattern that is longer than `path` and
/// starts with it (`*` for any name).
fn next_segments(path: &[String]) -> impl Iterator<Item = &'static str> + '_ {
    rules()
        .iter()
        .map(|rule| &rule.segments)
        .filter(move |seg| seg.len() > path.len() && segments_match(seg, path))
        .map(move |seg| seg[path.len()])
}

fn is_section(path: &[String]) -> bool {
    next_segments(path).next().is_some()
}

fn type_problem(kind: ParamKind, value: &Value) -> Option<String> {
    let ok = match (kind, value) {
        (Int, Value::Number(n)) => n.is_i64() || n.is_u64(),
        (Float, Value::Number(_)) => true,
        (Bool, Value::Bool(_)) => true,
        (Duration | Text, Value::String(_)) => true,
        (Bytes | Cpu, Value::String(_) | Value::Number(_)) => true,
        (Enum(options), Value::String(s)) => {
            return (!options.contains(&s.as_str()))
                .then(|| format!("`{s}` is not allowed; use one of {}", options.join(", ")));
        }
        _ => false,
    };
    if ok {
        return None;
    }
    let expected = match kind {
        Int => "a whole number".to_string(),
        Float => "a number".to_string(),
        Bool => "true or false".to_string(),
        Duration => "a duration with a unit, like \"90s\"".to_string(),
        Bytes => "a size like \"20Mi\"".to_string(),
        Cpu => "a CPU amount like \"300m\"".to_string(),
        Enum(options) => format!("one of {}", options.join(", ")),
        Text => "text".to_string(),
    };
    Some(format!("expected {expected}, found {}", describe(value)))
}

/// Checks the shape of a scenario before it is deserialized: every field
/// is known, every value has the right type. Reports every problem.
pub(super) fn schema_problems(value: &Value) -> Vec<Problem> {
    let mut problems = Vec::new();
    fn visit(value: &Value, path: &mut Vec<String>, problems: &mut Vec<Problem>) {
        let joined = |path: &[String]| path.join(".");
        if let Some(rule) = find_rule(path) {
            if let Some(message) = type_problem(rule.kind, value) {
                problems.push(Problem::new(joined(path), message));
            }
            return;
        }
        if !is_section(path) && !path.is_empty() {
            let last = path.last().cloned().unwrap_or_default();
            let parent = &path[..path.len() - 1];
            let hint = children_of(parent)
                .map(|names| format!("; expected one of {}", names.join(", ")))
                .unwrap_or_default();
            problems.push(Problem::new(
                joined(path),
                format!("unknown field `{last}`{hint}"),
            ));
            return;
        }
        match value {
            Value::Object(map) => {
                for (key, child) in map {
                    path.push(key.clone());
                    visit(child, path, problems);
                    path.pop();
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter().enumerate().take(10_000) {
                    path.push(i.to_string());
                    visit(child, path, problems);
                    path.pop();
                }
            }
            other => {
                let expected = if children_of(path)
                    .is_none_or(|c| c.first().is_some_and(|n| n.parse::<usize>().is_err()))
                {
                    "a table"
                } else {
                    "a list"
                };
                problems.push(Problem::new(
                    joined(path),
                    format!(
                        "expected {expected}, found {}",
                        crate::json::to_compact(other)
                    ),
                ));
            }
        }
    }
    visit(value, &mut Vec::new(), &mut problems);
    problems
}

/// Range problems for every numeric leaf.
pub(super) fn check_ranges(scenario: &Scenario) -> Vec<Problem> {
    let mut problems = Vec::new();
    let Ok(tree) = serde_json::to_value(scenario) else {
        return vec![Problem::new(
            "",
            "the scenario cannot be represented as data",
        )];
    };
    walk(&tree, &mut Vec::new(), &mut |path, leaf| {
        let joined = path.join(".");
        let Some(rule) = find_rule(path) else {
            problems.push(Problem::new(joined, "is not a known parameter"));
            return;
        };
        if matches!(rule.kind, Text | Enum(_) | Bool) {
            return;
        }
        match base_value(rule.kind, leaf) {
            Ok(Some(v)) if !v.is_finite() || v < rule.min || v > rule.max => {
                let shown = match leaf {
                    Value::String(s) => s.clone(),
                    other => crate::json::to_compact(other),
                };
                let relation = if v < rule.min {
                    "below the minimum"
                } else {
                    "above the maximum"
                };
                let bound = if v < rule.min { rule.min } else { rule.max };
                problems.push(Problem::new(
                    joined,
                    format!(
                        "{shown} is {relation} {} (allowed {})",
                        format_base(rule.kind, bound),
                        describe_allowed(rule)
                    ),
                ));
            }
            Err(message) => problems.push(Problem::new(joined, message)),
            _ => {}
        }
    });
    for (i, control) in scenario.controls.iter().enumerate() {
        let segments: Vec<String> = control.split('.').map(String::from).collect();
        if find_rule(&segments).is_none() {
            problems.push(Problem::new(
                format!("controls.{i}"),
                format!("`{control}` is not a parameter path"),
            ));
        }
    }
    problems
}

/// One settable parameter of a scenario, as `incident params` prints it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ParamInfo {
    pub path: String,
    pub kind: ParamKind,
    /// The current value as it would be written in the file ("none" when unset).
    pub value: String,
    /// The current value in base units, for numeric kinds.
    pub number: Option<f64>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// "0..=20000", "1Mi..=64Gi", "true or false", …
    pub allowed: String,
    pub log_scale: bool,
    pub help: String,
}

impl ParamInfo {
    /// Formats a base-unit number the way this parameter is written.
    pub fn format(&self, number: f64) -> String {
        match self.kind {
            Int => format!("{}", libm::round(number) as i64),
            Float => {
                let rounded = libm::round(number * 1000.0) / 1000.0;
                format!("{rounded}")
            }
            kind => format_base(kind, number),
        }
    }
}

fn info(path: String, rule: &Rule, leaf: Option<&Value>) -> ParamInfo {
    let (value, number) = match leaf {
        None => ("none".to_string(), None),
        Some(Value::String(s)) => (
            s.clone(),
            base_value(rule.kind, &Value::String(s.clone()))
                .ok()
                .flatten(),
        ),
        Some(other) => (
            crate::json::to_compact(other),
            base_value(rule.kind, other).ok().flatten(),
        ),
    };
    let numeric = !matches!(rule.kind, Text | Enum(_) | Bool);
    ParamInfo {
        path,
        kind: rule.kind,
        value,
        number,
        min: numeric.then_some(rule.min),
        max: numeric.then_some(rule.max),
        allowed: describe_allowed(rule),
        log_scale: rule.log,
        help: rule.help.to_string(),
    }
}

/// Every parameter of the scenario with its value and allowed range, in
/// file order; optional knobs that are unset are listed as "none".
pub fn list_params(scenario: &Scenario) -> Vec<ParamInfo> {
    let mut out = Vec::new();
    let Ok(tree) = serde_json::to_value(scenario) else {
        return out;
    };
    walk(&tree, &mut Vec::new(), &mut |path, leaf| {
        if let Some(rule) = find_rule(path) {
            if !matches!(
                path.first().map(String::as_str),
                Some("controls" | "claims")
            ) {
                out.push(info(path.join("."), rule, Some(leaf)));
            }
        }
    });
    for path in optional_paths(scenario) {
        let joined = path.join(".");
        if out.iter().any(|p| p.path == joined) {
            continue;
        }
        if let Some(rule) = find_rule(&path) {
            out.push(info(joined, rule, None));
        }
    }
    out
}

/// The optional knobs `list_params` lists as "none" when they are unset.
fn optional_paths(scenario: &Scenario) -> Vec<Vec<String>> {
    let mut optional: Vec<Vec<String>> = Vec::new();
    for (name, service) in &scenario.services {
        for field in OPTIONAL_SERVICE_FIELDS {
            optional.push(vec!["services".into(), name.clone(), (*field).into()]);
        }
        if service.go.as_ref().is_some_and(|g| g.gomemlimit.is_none()) {
            optional.push(vec![
                "services".into(),
                name.clone(),
                "go".into(),
                "gomemlimit".into(),
            ]);
        }
    }
    optional.push(vec!["workload".into(), "start_at".into()]);
    optional.push(vec!["workload".into(), "stop_at".into()]);
    optional
}

/// The leaf at `segments` of the scenario's tree, as `walk` reaches it.
fn leaf_at<'a>(tree: &'a Value, segments: &[String]) -> Option<&'a Value> {
    let mut node = tree;
    for segment in segments {
        node = match node {
            Value::Object(map) => map.get(segment)?,
            Value::Array(items) => {
                let i: usize = segment.parse().ok()?;
                // Only the spelling `walk` gives an index ("3", not "03").
                if i.to_string() != *segment {
                    return None;
                }
                items.get(i)?
            }
            _ => return None,
        };
    }
    (!node.is_object() && !node.is_array()).then_some(node)
}

/// Looks up one parameter by path: what `list_params` lists for it, without
/// listing the rest (a sweep and a lesson's `param(...)` ask for one).
pub fn find_param(scenario: &Scenario, path: &str) -> Option<ParamInfo> {
    let segments: Vec<String> = path.split('.').map(String::from).collect();
    if matches!(
        segments.first().map(String::as_str),
        Some("controls" | "claims")
    ) {
        return None;
    }
    let rule = find_rule(&segments)?;
    let tree = serde_json::to_value(scenario).ok()?;
    match leaf_at(&tree, &segments) {
        Some(leaf) => Some(info(path.to_string(), rule, Some(leaf))),
        None if optional_paths(scenario).contains(&segments) => {
            Some(info(path.to_string(), rule, None))
        }
        None => None,
    }
}

fn check_number(rule: &Rule, path: &str, text: &str, n: f64) -> Result<(), String> {
    if n < rule.min || n > rule.max {
        let (relation, bound) = if n < rule.min {
            ("below the minimum", rule.min)
        } else {
            ("above the maximum", rule.max)
        };
        return Err(format!(
            "{text} is {relation} {}; {path} takes {}",
            format_base(rule.kind, bound),
            describe_allowed(rule)
        ));
    }
    Ok(())
}

fn parse_leaf(rule: &Rule, path: &str, text: &str) -> Result<Option<Value>, String> {
    let text = text.trim();
    if text == "none" {
        return Ok(None);
    }
    let allowed = describe_allowed(rule);
    let value = match rule.kind {
        Int => {
            let n: i64 = text
                .parse()
                .map_err(|_| format!("`{text}` is not a whole number; {path} takes {allowed}"))?;
            check_number(rule, path, text, n as f64)?;
            Value::from(n)
        }
        Float => {
            let n: f64 = crate::units::parse_f64(text)
                .ok_or_else(|| format!("`{text}` is not a number; {path} takes {allowed}"))?;
            check_number(rule, path, text, n)?;
            Value::from(n)
        }
        Bool => match text {
            "true" | "on" | "yes" => Value::Bool(true),
            "false" | "off" | "no" => Value::Bool(false),
            _ => {
                return Err(format!(
                    "`{text}` is not true or false; {path} takes {allowed}"
                ))
            }
        },
        Enum(options) => {
            if !options.contains(&text) {
                return Err(format!("`{text}` is not allowed; {path} takes {allowed}"));
            }
            Value::String(text.into())
        }
        Duration => {
            parse_duration(text).map_err(|e| format!("{e}; {path} takes {allowed}"))?;
            Value::String(text.into())
        }
        Bytes => {
            parse_bytes(text).map_err(|e| format!("{e}; {path} takes {allowed}"))?;
            Value::String(text.into())
        }
        Cpu => {
            parse_millicores(text).map_err(|e| format!("{e}; {path} takes {allowed}"))?;
            Value::String(text.into())
        }
        Text => Value::String(text.into()),
    };
    Ok(Some(value))
}

fn suggestions(scenario: &Scenario, path: &str) -> String {
    let params = list_params(scenario);
    let last = path.rsplit('.').next().unwrap_or(path);
    let mut close: Vec<&str> = params
        .iter()
        .map(|p| p.path.as_str())
        .filter(|p| p.ends_with(last) || p.starts_with(path.split('.').next().unwrap_or("")))
        .filter(|p| p.rsplit('.').next() == Some(last) || p.contains(last))
        .take(4)
        .collect();
    if close.is_empty() {
        close = params.iter().map(|p| p.path.as_str()).take(0).collect();
    }
    if close.is_empty() {
        String::new()
    } else {
        format!(" (did you mean {}?)", close.join(", "))
    }
}

/// Puts `path=value` into `tree`, the scenario as data, if the path is a
/// parameter of `scenario` and the value is one it takes; the result is
/// not validated here (see `sets::apply_sets`).
pub(super) fn put_set(
    tree: &mut Value,
    scenario: &Scenario,
    path: &str,
    value: &str,
) -> Result<(), Problem> {
    let segments: Vec<String> = path.split('.').map(String::from).collect();
    let unknown = || {
        Problem::new(
            path,
            format!(
                "unknown parameter{}; `incident params {}` lists them all",
                suggestions(scenario, path),
                scenario.name
            ),
        )
    };
    if segments.iter().any(|s| s.is_empty()) {
        return Err(unknown());
    }
    let Some(rule) = find_rule(&segments) else {
        return Err(unknown());
    };
    let new_leaf = parse_leaf(rule, path, value).map_err(|m| Problem::new(path, m))?;
    set_leaf(tree, &segments, new_leaf).map_err(|refusal| match refusal {
        Refusal::Unknown => unknown(),
        Refusal::Invalid(message) => Problem::new(path, message),
    })
}

/// Why `set_leaf` left the tree alone.
enum Refusal {
    /// The path names nothing in this scenario.
    Unknown,
    Invalid(&'static str),
}

/// Puts `new_leaf` at `segments` (`None` removes an optional leaf). The
/// parent must already exist: services and flags are not created by
/// --set; optional leaves are.
fn set_leaf(tree: &mut Value, segments: &[String], new_leaf: Option<Value>) -> Result<(), Refusal> {
    let (last, parents) = segments.split_last().expect("path has segments");
    match child_at(tree, parents).ok_or(Refusal::Unknown)? {
        Value::Object(map) => set_in_table(map, last, segments, new_leaf),
        Value::Array(items) => {
            let Some(slot) = last.parse::<usize>().ok().and_then(|i| items.get_mut(i)) else {
                return Err(Refusal::Unknown);
            };
            *slot = new_leaf.ok_or(Refusal::Invalid("cannot be none"))?;
            Ok(())
        }
        _ => Err(Refusal::Unknown),
    }
}

/// The node at `segments` below `node`, through tables and lists.
fn child_at<'a>(mut node: &'a mut Value, segments: &[String]) -> Option<&'a mut Value> {
    for segment in segments {
        node = match node {
            Value::Object(map) => map.get_mut(segment)?,
            Value::Array(items) => items.get_mut(segment.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(node)
}

fn set_in_table(
    map: &mut Map<String, Value>,
    last: &str,
    segments: &[String],
    new_leaf: Option<Value>,
) -> Result<(), Refusal> {
    let optional = is_optional(segments);
    if !map.contains_key(last) && !optional {
        return Err(Refusal::Unknown);
    }
    match new_leaf {
        Some(v) => {
            map.insert(last.to_string(), v);
        }
        None if optional => {
            map.remove(last);
        }
        None => return Err(Refusal::Invalid("is required; it cannot be none")),
    }
    Ok(())
}

/// The edited tree decoded, normalized and validated as a file would be.
pub(super) fn revalidated(tree: &Value) -> Result<Scenario, Problems> {
    let shape = schema_problems(tree);
    if !shape.is_empty() {
        return Err(Problems(shape));
    }
    let mut updated = <Scenario as FromValue>::from_value(tree, Path::Root)?;
    updated.normalize();
    let problems = updated.validate();
    if !problems.is_empty() {
        return Err(Problems(problems));
    }
    Ok(updated)
}

fn is_optional(segments: &[String]) -> bool {
    let s: Vec<&str> = segments.iter().map(String::as_str).collect();
    match s.as_slice() {
        ["services", _, field] => OPTIONAL_SERVICE_FIELDS.contains(field),
        ["services", _, "go", "gomemlimit"] => true,
        ["workload", "start_at" | "stop_at"] => true,
        ["seed_doc"] => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_segments_exactly() {
        let p = |s: &str| s.split('.').map(String::from).collect::<Vec<_>>();
        let rule = find_rule(&p("services.checkout.memory_limit")).unwrap();
        assert_eq!(rule.pattern(), "services.*.memory_limit");
        assert!(find_rule(&p("services.checkout.go.memory_limit")).is_none());
        assert!(is_section(&p("services.checkout")));
        assert!(!is_section(&p("services.checkout.memory_limit")));
        assert_eq!(children_of(&p("services")), None, "any service name goes");
        assert!(children_of(&p("workload")).unwrap().contains(&"users"));
        assert!(find_rule(&p("flags.kafkaQueueProblems.variants.on")).is_some());
        assert!(find_rule(&p("workload.userz")).is_none());
    }

    #[test]
    fn one_lookup_finds_what_the_listing_lists() {
        for name in crate::presets::names() {
            let sc = crate::presets::load(name).unwrap();
            let listed = list_params(&sc);
            for param in &listed {
                assert_eq!(find_param(&sc, &param.path).as_ref(), Some(param), "{name}");
            }
            for path in [
                "workload.userz",
                "controls.0",
                "workload.tasks.00.weight",
                "services",
                "services.nope.memory_limit",
                "",
            ] {
                let in_list = listed.iter().any(|p| p.path == path);
                assert_eq!(find_param(&sc, path).is_some(), in_list, "{name}: {path}");
            }
        }
    }

    #[test]
    fn allowed_ranges_print_in_file_notation() {
        let r = find_rule(&["services".into(), "x".into(), "memory_limit".into()]).unwrap();
        assert_eq!(describe_allowed(r), "1Mi..=64Gi");
        let r = find_rule(&["duration".into()]).unwrap();
        assert_eq!(describe_allowed(r), "10s..=2h");
    }
}
