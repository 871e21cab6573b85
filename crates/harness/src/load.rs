//! Reading scenarios from a preset name or a file, and applying overrides.

use crate::cli_error::CliError;
use incident_core::scenario::{apply_set, MAX_SCENARIO_BYTES};
use incident_core::{presets, Scenario};
use std::path::Path;

/// A preset by name, or a scenario file by path.
pub fn scenario(arg: &str) -> Result<Scenario, CliError> {
    if let Some(sc) = presets::load(arg) {
        return Ok(sc);
    }
    let path = Path::new(arg);
    if !path.exists() {
        return Err(CliError::input(format!(
            "`{arg}` is neither a preset nor a file; the presets are: {}",
            presets::names().join(", ")
        )));
    }
    let meta = std::fs::metadata(path).map_err(|e| CliError::input(format!("{arg}: {e}")))?;
    if !meta.is_file() {
        return Err(CliError::input(format!("{arg}: not a file")));
    }
    if meta.len() > MAX_SCENARIO_BYTES as u64 {
        return Err(CliError::input(format!(
            "{arg}: the file is {} KiB; a scenario may be at most {} KiB",
            meta.len() / 1024,
            MAX_SCENARIO_BYTES / 1024
        )));
    }
    let bytes = std::fs::read(path).map_err(|e| CliError::input(format!("{arg}: {e}")))?;
    let text =
        String::from_utf8(bytes).map_err(|_| CliError::input(format!("{arg}: not UTF-8 text")))?;
    let parsed = match path.extension().and_then(|e| e.to_str()) {
        Some("json") => Scenario::from_json(&text),
        Some("toml") => Scenario::from_toml(&text),
        _ => Scenario::parse(&text),
    };
    parsed.map_err(|problems| {
        CliError::Input(problems.0.iter().map(|p| format!("{arg}: {p}")).collect())
    })
}

/// `--set path=value`, then `--seed` and `--duration`; every problem is reported.
pub fn apply_overrides(
    sc: &mut Scenario,
    sets: &[String],
    seed: Option<&str>,
    duration: Option<&str>,
) -> Result<(), CliError> {
    let mut pairs: Vec<(String, String)> = Vec::new();
    let mut errors = Vec::new();
    for set in sets {
        match set.split_once('=') {
            Some((path, value)) if !path.trim().is_empty() => {
                pairs.push((path.trim().to_string(), value.to_string()))
            }
            _ => errors.push(format!(
                "--set `{set}`: write it as path=value, like workload.users=50"
            )),
        }
    }
    if let Some(seed) = seed {
        pairs.push(("seed".into(), seed.to_string()));
    }
    if let Some(duration) = duration {
        pairs.push(("duration".into(), duration.to_string()));
    }
    for (path, value) in pairs {
        if let Err(problems) = apply_set(sc, &path, &value) {
            errors.extend(problems.0.iter().map(|p| p.to_string()));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(CliError::Input(errors))
    }
}

pub fn write_output(out: Option<&Path>, text: &str) -> Result<(), CliError> {
    match out {
        None => {
            crate::stdout::out!("{text}");
            Ok(())
        }
        Some(path) => std::fs::write(path, text)
            .map_err(|e| CliError::Failed(format!("cannot write {}: {e}", path.display()))),
    }
}

/// `--seed` on its own: the same range as the scenario's `seed`.
pub fn parse_seed(text: &str) -> Result<u64, CliError> {
    const MAX: u64 = (1 << 53) - 1;
    match text.trim().parse::<u64>() {
        Ok(seed) if seed <= MAX => Ok(seed),
        _ => Err(CliError::input(format!(
            "--seed `{text}`: a whole number from 0 to {MAX}"
        ))),
    }
}
