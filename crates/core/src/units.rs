//! Units the model and its scenario files speak: simulated time in integer
//! microseconds, byte quantities in Kubernetes notation, CPU in millicores.
//!
//! Everything parses from the strings people already write (`90s`, `15m`,
//! `20Mi`, `16MiB`, `300m`) and prints back in the same notation, so a
//! scenario survives a round trip through TOML, JSON and a share link.

use crate::decode::{expected, FromValue, Path};
pub use crate::number::parse_f64;
use crate::problem::Problems;
use serde::{Serialize, Serializer};
use serde_json::Value;
use std::fmt;

/// Simulated time or a duration, in integer microseconds. Never `f64` seconds
/// in the event queue: integer time keeps ordering exact on every target.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimTime(pub u64);

impl SimTime {
    pub const ZERO: SimTime = SimTime(0);
    pub const MICROS_PER_SECOND: u64 = 1_000_000;

    pub const fn from_micros(micros: u64) -> SimTime {
        SimTime(micros)
    }
    pub const fn from_millis(millis: u64) -> SimTime {
        SimTime(millis * 1_000)
    }
    pub const fn from_secs(secs: u64) -> SimTime {
        SimTime(secs * Self::MICROS_PER_SECOND)
    }
    /// Rounds to the nearest microsecond; negative and NaN inputs become zero.
    pub fn from_secs_f64(secs: f64) -> SimTime {
        if secs.is_nan() || secs <= 0.0 {
            return SimTime::ZERO;
        }
        let micros = secs * Self::MICROS_PER_SECOND as f64 + 0.5;
        if micros >= u64::MAX as f64 {
            SimTime(u64::MAX)
        } else {
            SimTime(micros as u64)
        }
    }
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / Self::MICROS_PER_SECOND as f64
    }
    pub fn as_millis_f64(self) -> f64 {
        self.0 as f64 / 1_000.0
    }
    pub fn saturating_add(self, other: SimTime) -> SimTime {
        SimTime(self.0.saturating_add(other.0))
    }
    pub fn saturating_sub(self, other: SimTime) -> SimTime {
        SimTime(self.0.saturating_sub(other.0))
    }
}

impl std::ops::Add for SimTime {
    type Output = SimTime;
    fn add(self, rhs: SimTime) -> SimTime {
        SimTime(self.0.saturating_add(rhs.0))
    }
}

impl fmt::Display for SimTime {
    /// Prints the shortest exact form: `90s`, `15m`, `1h30m`, `250ms`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_duration(*self))
    }
}

/// Parses `90s`, `15m`, `1h`, `500ms`, `1m30s`, `2.5s`. A bare number is
/// rejected: the unit must be written, because `30` could mean anything.
pub fn parse_duration(text: &str) -> Result<SimTime, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("empty duration; write it like 90s, 15m or 1h".into());
    }
    let mut total_micros: u128 = 0;
    let mut rest = text;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if number_len == 0 {
            return Err(format!(
                "`{text}` is not a duration; write it like 90s, 15m or 1h"
            ));
        }
        let number_text = &rest[..number_len];
        rest = &rest[number_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let micros_per_unit: u128 = match unit {
            "us" | "µs" => 1,
            "ms" => 1_000,
            "s" => 1_000_000,
            "m" | "min" => 60_000_000,
            "h" => 3_600_000_000,
            "" => {
                return Err(format!(
                    "`{text}` has no unit; write it like {number_text}s, {number_text}m or {number_text}h"
                ))
            }
            other => {
                return Err(format!(
                    "`{text}` has an unknown unit `{other}`; use ms, s, m or h"
                ))
            }
        };
        let micros = parse_decimal_scaled(number_text, micros_per_unit)
            .ok_or_else(|| format!("`{text}` is not a duration; write it like 90s, 15m or 1h"))?;
        total_micros = total_micros.saturating_add(micros);
    }
    if total_micros > u64::MAX as u128 {
        return Err(format!("`{text}` is too long"));
    }
    Ok(SimTime(total_micros as u64))
}

/// `12.5` scaled by `scale` without floating point, so `0.1s` is exactly 100 ms.
fn parse_decimal_scaled(text: &str, scale: u128) -> Option<u128> {
    let (whole, frac) = match text.split_once('.') {
        Some((w, f)) => (w, f),
        None => (text, ""),
    };
    if whole.is_empty() && frac.is_empty() {
        return None;
    }
    if frac.contains('.') || frac.len() > 9 {
        return None;
    }
    let whole_value: u128 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let mut frac_value: u128 = 0;
    let mut frac_scale: u128 = 1;
    for digit in frac.chars() {
        frac_value = frac_value * 10 + digit.to_digit(10)? as u128;
        frac_scale *= 10;
    }
    Some(whole_value.checked_mul(scale)? + frac_value * scale / frac_scale)
}

pub fn format_duration(t: SimTime) -> String {
    let micros = t.0;
    if micros == 0 {
        return "0s".into();
    }
    if !micros.is_multiple_of(1_000_000) {
        if micros.is_multiple_of(1_000) {
            return format!("{}ms", micros / 1_000);
        }
        return format!("{micros}us");
    }
    let mut secs = micros / 1_000_000;
    let mut out = String::new();
    let hours = secs / 3600;
    if hours > 0 {
        out.push_str(&format!("{hours}h"));
        secs %= 3600;
    }
    let minutes = secs / 60;
    if minutes > 0 {
        out.push_str(&format!("{minutes}m"));
        secs %= 60;
    }
    if secs > 0 {
        out.push_str(&format!("{secs}s"));
    }
    out
}

/// A duration field in a scenario file: always written with its unit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Dur(pub SimTime);

impl Dur {
    pub const fn secs(s: u64) -> Dur {
        Dur(SimTime::from_secs(s))
    }
    pub const fn millis(ms: u64) -> Dur {
        Dur(SimTime::from_millis(ms))
    }
    pub fn as_secs_f64(self) -> f64 {
        self.0.as_secs_f64()
    }
}

impl fmt::Display for Dur {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl Serialize for Dur {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format_duration(self.0))
    }
}

impl FromValue for Dur {
    fn from_value(value: &Value, path: Path<'_>) -> Result<Self, Problems> {
        match value {
            Value::String(text) => parse_duration(text).map(Dur).map_err(|m| path.problem(m)),
            Value::Number(n) => {
                let n = crate::number::number_text(n);
                Err(path.problem(format!("{n} has no unit; write it like \"{n}s\"")))
            }
            other => expected(
                other,
                path,
                "a duration with a unit, like \"90s\", \"15m\" or \"1h\"",
            ),
        }
    }
}

pub const KIB: u64 = 1024;
pub const MIB: u64 = 1024 * 1024;
pub const GIB: u64 = 1024 * 1024 * 1024;

/// A byte quantity. Parses Kubernetes quantities (`20Mi`, `1Gi`, `500M`),
/// Go's GOMEMLIMIT spelling (`16MiB`) and plain byte counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Bytes(pub u64);

impl Bytes {
    pub const fn mib(n: u64) -> Bytes {
        Bytes(n * MIB)
    }
    pub const fn kib(n: u64) -> Bytes {
        Bytes(n * KIB)
    }
    pub fn as_f64(self) -> f64 {
        self.0 as f64
    }
}

pub fn parse_bytes(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    if number.is_empty() {
        return Err(format!(
            "`{text}` is not a size; write it like 20Mi, 256Mi, 1Gi or 16MiB"
        ));
    }
    let multiplier: u128 = match unit.trim() {
        "" | "B" => 1,
        "k" | "K" | "kB" | "KB" => 1_000,
        "M" | "MB" => 1_000_000,
        "G" | "GB" => 1_000_000_000,
        "Ki" | "KiB" => KIB as u128,
        "Mi" | "MiB" => MIB as u128,
        "Gi" | "GiB" => GIB as u128,
        other => {
            return Err(format!(
                "`{text}` has an unknown unit `{other}`; use Ki, Mi, Gi (binary), k, M, G (decimal) or MiB"
            ))
        }
    };
    let value = parse_decimal_scaled(number, multiplier)
        .ok_or_else(|| format!("`{text}` is not a size; write it like 20Mi or 256Mi"))?;
    if value > u64::MAX as u128 {
        return Err(format!("`{text}` is too large"));
    }
    Ok(value as u64)
}

/// Prints the exact binary form when there is one (`20Mi`), else bytes.
pub fn format_bytes_exact(bytes: u64) -> String {
    if bytes == 0 {
        return "0".into();
    }
    if bytes.is_multiple_of(GIB) {
        format!("{}Gi", bytes / GIB)
    } else if bytes.is_multiple_of(MIB) {
        format!("{}Mi", bytes / MIB)
    } else if bytes.is_multiple_of(KIB) {
        format!("{}Ki", bytes / KIB)
    } else {
        format!("{bytes}")
    }
}

/// Human form for tables and charts: `19.6Mi`, `812Ki`. "Mi" means MiB.
pub fn format_bytes_human(bytes: f64) -> String {
    let abs = bytes.abs();
    if abs >= GIB as f64 {
        format!("{:.2}Gi", bytes / GIB as f64)
    } else if abs >= MIB as f64 {
        format!("{:.1}Mi", bytes / MIB as f64)
    } else if abs >= KIB as f64 {
        format!("{:.0}Ki", bytes / KIB as f64)
    } else {
        format!("{bytes:.0}B")
    }
}

impl fmt::Display for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_bytes_exact(self.0))
    }
}

impl Serialize for Bytes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format_bytes_exact(self.0))
    }
}

impl FromValue for Bytes {
    fn from_value(value: &Value, path: Path<'_>) -> Result<Self, Problems> {
        match value {
            Value::String(text) => parse_bytes(text).map(Bytes).map_err(|m| path.problem(m)),
            Value::Number(n) => match n.as_u64() {
                Some(v) => Ok(Bytes(v)),
                None => Err(path.problem(format!(
                    "{} is not a size: sizes are whole bytes, 0 or more",
                    crate::number::number_text(n)
                ))),
            },
            other => expected(other, path, "a size like \"20Mi\", \"256Mi\" or \"16MiB\""),
        }
    }
}

/// CPU in millicores, as Kubernetes writes it: `300m` or `0.3` or `2`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Millicores(pub u32);

impl Millicores {
    pub fn cores(self) -> f64 {
        self.0 as f64 / 1000.0
    }
}

pub fn parse_millicores(text: &str) -> Result<u32, String> {
    let text = text.trim();
    let value = if let Some(milli) = text.strip_suffix('m') {
        parse_decimal_scaled(milli, 1)
    } else {
        parse_decimal_scaled(text, 1000)
    };
    match value {
        Some(v) if v <= u32::MAX as u128 => Ok(v as u32),
        _ => Err(format!(
            "`{text}` is not a CPU amount; write it like 300m, 0.5 or 2"
        )),
    }
}

impl fmt::Display for Millicores {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_multiple_of(1000) {
            write!(f, "{}", self.0 / 1000)
        } else {
            write!(f, "{}m", self.0)
        }
    }
}

impl Serialize for Millicores {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl FromValue for Millicores {
    fn from_value(value: &Value, path: Path<'_>) -> Result<Self, Problems> {
        let text = match value {
            Value::String(text) => text.clone(),
            // `cpu_limit = 2` means two cores, as in Kubernetes.
            Value::Number(n) => crate::number::number_text(n),
            other => return expected(other, path, "a CPU amount like \"300m\" or \"2\""),
        };
        parse_millicores(&text)
            .map(Millicores)
            .map_err(|m| path.problem(m))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn durations_parse_and_print() {
        assert_eq!(parse_duration("90s").unwrap(), SimTime::from_secs(90));
        assert_eq!(parse_duration("15m").unwrap(), SimTime::from_secs(900));
        assert_eq!(parse_duration("1h").unwrap(), SimTime::from_secs(3600));
        assert_eq!(parse_duration("1m30s").unwrap(), SimTime::from_secs(90));
        assert_eq!(parse_duration("0.1s").unwrap(), SimTime::from_millis(100));
        assert_eq!(parse_duration("250ms").unwrap(), SimTime::from_millis(250));
        assert_eq!(format_duration(SimTime::from_secs(90)), "1m30s");
        assert_eq!(format_duration(SimTime::from_millis(250)), "250ms");
        assert_eq!(format_duration(SimTime::from_secs(3600)), "1h");
    }

    #[test]
    fn durations_reject_missing_or_unknown_units() {
        assert!(parse_duration("30").unwrap_err().contains("no unit"));
        assert!(parse_duration("3 days").is_err());
        assert!(parse_duration("5d").unwrap_err().contains("unknown unit"));
        assert!(parse_duration("").is_err());
        assert!(parse_duration("s").is_err());
    }

    #[test]
    fn bytes_follow_kubernetes_and_go_notation() {
        assert_eq!(parse_bytes("20Mi").unwrap(), 20 * MIB);
        assert_eq!(parse_bytes("16MiB").unwrap(), 16 * MIB);
        assert_eq!(parse_bytes("20M").unwrap(), 20_000_000);
        assert_eq!(parse_bytes("1.5Gi").unwrap(), 3 * GIB / 2);
        assert_eq!(parse_bytes("4096").unwrap(), 4096);
        assert!(parse_bytes("20 megs").is_err());
        assert!(parse_bytes("Mi").is_err());
        assert_eq!(format_bytes_exact(20 * MIB), "20Mi");
        assert_eq!(format_bytes_human(19.6 * MIB as f64), "19.6Mi");
    }

    #[test]
    fn millicores_parse() {
        assert_eq!(parse_millicores("300m").unwrap(), 300);
        assert_eq!(parse_millicores("0.5").unwrap(), 500);
        assert_eq!(parse_millicores("2").unwrap(), 2000);
        assert!(parse_millicores("lots").is_err());
        assert_eq!(Millicores(300).to_string(), "300m");
        assert_eq!(Millicores(2000).to_string(), "2");
    }

    #[test]
    fn values_round_trip_keeping_notation() {
        let d = Dur::from_value(&json!("15m"), Path::Root).unwrap();
        assert_eq!(d, Dur::secs(900));
        assert_eq!(serde_json::to_value(d).unwrap(), json!("15m"));
        let b = Bytes::from_value(&json!("20Mi"), Path::Root).unwrap();
        assert_eq!(serde_json::to_value(b).unwrap(), json!("20Mi"));
        assert_eq!(
            Bytes::from_value(&json!(1024), Path::Root).unwrap(),
            Bytes(1024)
        );
        let c = Millicores::from_value(&json!("300m"), Path::Root).unwrap();
        assert_eq!(serde_json::to_value(c).unwrap(), json!("300m"));
        assert_eq!(
            Millicores::from_value(&json!(2), Path::Root).unwrap(),
            Millicores(2000)
        );
        let err = Dur::from_value(&json!(30), Path::Key(&Path::Root, "d")).unwrap_err();
        assert_eq!(
            err.0[0].to_string(),
            "d: 30 has no unit; write it like \"30s\""
        );
        assert!(Bytes::from_value(&json!(-1), Path::Root).is_err());
    }
}
