//! A measure as written: `name(subject, key=value, …)`, and its arguments
//! read as numbers, moments, alert rules and starting points.

use super::Since;
use crate::alerts::Rule;
use crate::units::{parse_duration, parse_f64, SimTime};
use std::fmt;

/// A measure as written: its name, its first argument and `key=value`s.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Call {
    pub name: String,
    pub subject: Option<String>,
    pub args: Vec<(String, String)>,
}

/// Arguments a measure call may not have more of.
const MAX_ARGS: usize = 4;

impl Call {
    /// Reads `name(subject, key=value, …)`; `name` alone has no arguments.
    pub fn parse(text: &str) -> Result<Call, String> {
        let text = text.trim();
        let (name, rest) = match text.split_once('(') {
            Some((n, r)) => (
                n.trim(),
                Some(
                    r.strip_suffix(')')
                        .ok_or_else(|| format!("`{text}`: a call ends with `)`"))?,
                ),
            ),
            None => (text, None),
        };
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            return Err(format!(
                "`{text}`: a measure name is lowercase letters, digits and `_`"
            ));
        }
        let mut call = Call {
            name: name.to_string(),
            ..Call::default()
        };
        let parts = rest
            .map(|r| {
                r.split(',')
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default();
        if parts.len() > MAX_ARGS {
            return Err(format!("`{text}`: at most {MAX_ARGS} arguments"));
        }
        for (i, part) in parts.into_iter().enumerate() {
            match part.split_once('=') {
                Some((k, v)) => call.args.push((k.trim().to_string(), v.trim().to_string())),
                None if i == 0 => call.subject = Some(part.to_string()),
                None => {
                    return Err(format!(
                        "`{text}`: only the first argument goes without a name; write `key=value`"
                    ))
                }
            }
        }
        Ok(call)
    }

    fn arg(&self, key: &str) -> Option<&str> {
        self.args
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub(super) fn number(
        &self,
        key: &str,
        default: Option<f64>,
        range: (f64, f64),
    ) -> Result<f64, String> {
        let value = match self.arg(key) {
            Some(text) => {
                parse_f64(text).ok_or_else(|| format!("`{key}` is not a number: `{text}`"))?
            }
            None => default.ok_or_else(|| format!("`{}` needs `{key}=…`", self.name))?,
        };
        if value < range.0 || value > range.1 || !value.is_finite() {
            return Err(format!("`{key}` must be from {} to {}", range.0, range.1));
        }
        Ok(value)
    }

    pub(super) fn moment(&self, key: &str) -> Result<SimTime, String> {
        let text = self
            .arg(key)
            .ok_or_else(|| format!("`{}` needs `{key}=…`, a moment like 5m30s", self.name))?;
        parse_duration(text).map_err(|e| format!("`{key}`: {e}"))
    }

    pub(super) fn rule(&self) -> Result<Rule, String> {
        let text = self
            .arg("rule")
            .ok_or_else(|| format!("`{}` needs `rule=…`", self.name))?;
        Rule::parse(text).ok_or_else(|| {
            let names: Vec<&str> = Rule::ALL.iter().map(|r| r.as_str()).collect();
            format!("`rule`: no rule `{text}`; one of {}", names.join(", "))
        })
    }

    pub(super) fn from(&self) -> Result<Since, String> {
        match self.arg("from") {
            None | Some("load") => Ok(Since::Load),
            Some(t) => parse_duration(t)
                .map(Since::At)
                .map_err(|e| format!("`from`: {e}")),
        }
    }
}

impl fmt::Display for Call {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        let mut parts: Vec<String> = self.subject.iter().cloned().collect();
        parts.extend(self.args.iter().map(|(k, v)| format!("{k}={v}")));
        if !parts.is_empty() {
            write!(f, "({})", parts.join(", "))?;
        }
        Ok(())
    }
}
