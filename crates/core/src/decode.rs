//! Typed data out of a JSON value, written by hand.
//!
//! Every input — TOML and JSON scenario files, share links, trace files —
//! arrives as a `serde_json::Value`. Scenarios have had their shape checked
//! first (`scenario::params::schema_problems`: unknown fields, wrong types),
//! so decoding mostly builds structs, fills defaults and reports missing
//! fields. It is not derived: serde's derived visitors, compiled for the
//! browser, cost more than a quarter of the app's 300 KB transfer budget.
//!
//! Decoding never stops at the first problem of a struct: `Fields` collects
//! every missing or malformed field, so a file with five mistakes gets five
//! messages.

use crate::problem::{Problem, Problems};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::fmt;

/// Where a value sits in the document. Built on the stack as decoding
/// descends and rendered (`services.checkout.go.gogc`) only for a message.
#[derive(Clone, Copy)]
pub enum Path<'a> {
    Root,
    Key(&'a Path<'a>, &'a str),
    Index(&'a Path<'a>, usize),
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Path::Root => Ok(()),
            Path::Key(parent, key) => write_child(f, parent, key),
            Path::Index(parent, index) => write_child(f, parent, index),
        }
    }
}

fn write_child(
    f: &mut fmt::Formatter<'_>,
    parent: &Path<'_>,
    child: impl fmt::Display,
) -> fmt::Result {
    if matches!(parent, Path::Root) {
        write!(f, "{child}")
    } else {
        write!(f, "{parent}.{child}")
    }
}

impl Path<'_> {
    pub fn problem(&self, message: impl Into<String>) -> Problems {
        Problem::new(self.to_string(), message).into()
    }
}

pub trait FromValue: Sized {
    fn from_value(value: &Value, path: Path<'_>) -> Result<Self, Problems>;
}

/// How a value reads in a message: `"20Mi"`, `3`, `a list`.
pub fn describe(value: &Value) -> String {
    match value {
        Value::Null => "nothing".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => crate::number::number_text(n),
        Value::String(s) => format!("\"{s}\""),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "a table".into(),
    }
}

pub fn expected<T>(value: &Value, path: Path<'_>, what: &str) -> Result<T, Problems> {
    Err(path.problem(format!("expected {what}, found {}", describe(value))))
}

/// The fields of one table. Each accessor records its problem and returns a
/// placeholder, so decoding goes on and `finish` reports them all.
pub struct Fields<'v, 'p> {
    map: &'v Map<String, Value>,
    path: Path<'p>,
    problems: Vec<Problem>,
}

impl<'v, 'p> Fields<'v, 'p> {
    pub fn new(value: &'v Value, path: Path<'p>) -> Result<Self, Problems> {
        match value {
            Value::Object(map) => Ok(Fields {
                map,
                path,
                problems: Vec::new(),
            }),
            other => expected(other, path, "a table"),
        }
    }

    fn decode<T: FromValue>(&mut self, key: &str, value: &Value) -> Option<T> {
        match T::from_value(value, Path::Key(&self.path, key)) {
            Ok(v) => Some(v),
            Err(problems) => {
                self.problems.extend(problems.0);
                None
            }
        }
    }

    /// A field that must be present.
    pub fn required<T: FromValue + Default>(&mut self, key: &str) -> T {
        match self.map.get(key) {
            Some(value) => self.decode(key, value).unwrap_or_default(),
            None => {
                let at = Path::Key(&self.path, key).to_string();
                self.problems.push(Problem::new(at, "is missing"));
                T::default()
            }
        }
    }

    /// A field that may be absent (or null).
    pub fn optional<T: FromValue>(&mut self, key: &str) -> Option<T> {
        match self.map.get(key) {
            None | Some(Value::Null) => None,
            Some(value) => self.decode(key, value),
        }
    }

    /// A field with a default.
    pub fn or<T: FromValue>(&mut self, key: &str, default: T) -> T {
        match self.map.get(key) {
            None => default,
            Some(value) => self.decode(key, value).unwrap_or(default),
        }
    }

    pub fn finish<T>(self, value: T) -> Result<T, Problems> {
        if self.problems.is_empty() {
            Ok(value)
        } else {
            Err(Problems(self.problems))
        }
    }
}

/// One of a fixed set of names, as in `kind = "go-checkout"`.
pub fn one_of<T: Copy>(value: &Value, path: Path<'_>, names: &[(&str, T)]) -> Result<T, Problems> {
    if let Some(text) = value.as_str() {
        if let Some((_, v)) = names.iter().find(|(name, _)| *name == text) {
            return Ok(*v);
        }
    }
    let allowed: Vec<&str> = names.iter().map(|(name, _)| *name).collect();
    expected(value, path, &format!("one of {}", allowed.join(", ")))
}

/// A value kept as it is, for fields whose meaning depends on a key.
impl FromValue for Value {
    fn from_value(value: &Value, _: Path<'_>) -> Result<Self, Problems> {
        Ok(value.clone())
    }
}

impl FromValue for bool {
    fn from_value(value: &Value, path: Path<'_>) -> Result<Self, Problems> {
        value
            .as_bool()
            .map_or_else(|| expected(value, path, "true or false"), Ok)
    }
}

impl FromValue for String {
    fn from_value(value: &Value, path: Path<'_>) -> Result<Self, Problems> {
        value
            .as_str()
            .map_or_else(|| expected(value, path, "text"), |s| Ok(s.to_string()))
    }
}

impl FromValue for f64 {
    fn from_value(value: &Value, path: Path<'_>) -> Result<Self, Problems> {
        value
            .as_f64()
            .map_or_else(|| expected(value, path, "a number"), Ok)
    }
}

impl FromValue for u64 {
    fn from_value(value: &Value, path: Path<'_>) -> Result<Self, Problems> {
        value
            .as_u64()
            .map_or_else(|| expected(value, path, "a whole number, 0 or more"), Ok)
    }
}

impl FromValue for i64 {
    fn from_value(value: &Value, path: Path<'_>) -> Result<Self, Problems> {
        value
            .as_i64()
            .map_or_else(|| expected(value, path, "a whole number"), Ok)
    }
}

impl FromValue for u32 {
    fn from_value(value: &Value, path: Path<'_>) -> Result<Self, Problems> {
        match value.as_u64().map(u32::try_from) {
            Some(Ok(v)) => Ok(v),
            _ => expected(value, path, "a whole number from 0 to 4294967295"),
        }
    }
}

impl<T: FromValue> FromValue for Option<T> {
    fn from_value(value: &Value, path: Path<'_>) -> Result<Self, Problems> {
        match value {
            Value::Null => Ok(None),
            v => T::from_value(v, path).map(Some),
        }
    }
}

impl<T: FromValue> FromValue for Vec<T> {
    fn from_value(value: &Value, path: Path<'_>) -> Result<Self, Problems> {
        let Value::Array(items) = value else {
            return expected(value, path, "a list");
        };
        let mut out = Vec::with_capacity(items.len());
        let mut problems = Vec::new();
        for (i, item) in items.iter().enumerate() {
            match T::from_value(item, Path::Index(&path, i)) {
                Ok(v) => out.push(v),
                Err(p) => problems.extend(p.0),
            }
        }
        if problems.is_empty() {
            Ok(out)
        } else {
            Err(Problems(problems))
        }
    }
}

impl<T: FromValue> FromValue for BTreeMap<String, T> {
    fn from_value(value: &Value, path: Path<'_>) -> Result<Self, Problems> {
        let Value::Object(map) = value else {
            return expected(value, path, "a table");
        };
        let mut out = BTreeMap::new();
        let mut problems = Vec::new();
        for (key, item) in map {
            match T::from_value(item, Path::Key(&path, key)) {
                Ok(v) => {
                    out.insert(key.clone(), v);
                }
                Err(p) => problems.extend(p.0),
            }
        }
        if problems.is_empty() {
            Ok(out)
        } else {
            Err(Problems(problems))
        }
    }
}

impl FromValue for [u32; 2] {
    fn from_value(value: &Value, path: Path<'_>) -> Result<Self, Problems> {
        match Vec::<u32>::from_value(value, path)?.as_slice() {
            [a, b] => Ok([*a, *b]),
            _ => expected(value, path, "two whole numbers, like [2, 4]"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Debug, Default, PartialEq)]
    struct Probe {
        period: u32,
        label: String,
        limit: Option<f64>,
    }

    impl FromValue for Probe {
        fn from_value(value: &Value, path: Path<'_>) -> Result<Self, Problems> {
            let mut f = Fields::new(value, path)?;
            let probe = Probe {
                period: f.required("period"),
                label: f.or("label", "none".into()),
                limit: f.optional("limit"),
            };
            f.finish(probe)
        }
    }

    #[test]
    fn fields_take_defaults_and_report_every_problem_with_its_path() {
        let ok = Probe::from_value(&json!({"period": 5}), Path::Root).unwrap();
        assert_eq!(
            ok,
            Probe {
                period: 5,
                label: "none".into(),
                limit: None
            }
        );
        let list = json!([{"period": 1}, {"label": 3, "limit": "x"}]);
        let err = Vec::<Probe>::from_value(&list, Path::Key(&Path::Root, "probes")).unwrap_err();
        let text: Vec<String> = err.0.iter().map(|p| p.to_string()).collect();
        assert_eq!(
            text,
            [
                "probes.1.period: is missing",
                "probes.1.label: expected text, found 3",
                "probes.1.limit: expected a number, found \"x\"",
            ]
        );
    }

    #[test]
    fn numbers_are_range_checked() {
        let big = json!(5_000_000_000u64);
        assert!(u32::from_value(&big, Path::Root).is_err());
        assert_eq!(u64::from_value(&big, Path::Root).unwrap(), 5_000_000_000);
        assert!(u64::from_value(&json!(-1), Path::Root).is_err());
        assert!(u32::from_value(&json!(1.5), Path::Root).is_err());
        assert_eq!(f64::from_value(&json!(2), Path::Root).unwrap(), 2.0);
        assert!(<[u32; 2]>::from_value(&json!([1, 2, 3]), Path::Root).is_err());
    }

    #[test]
    fn enums_list_their_names() {
        let names = [("on", true), ("off", false)];
        assert!(one_of(&json!("on"), Path::Root, &names).unwrap());
        let err = one_of(&json!("maybe"), Path::Key(&Path::Root, "state"), &names).unwrap_err();
        assert_eq!(
            err.0[0].to_string(),
            "state: expected one of on, off, found \"maybe\""
        );
    }
}
