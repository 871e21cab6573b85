//! Reading scenarios from a preset name or a file, and applying overrides.

use crate::cli_error::CliError;
use incident_core::scenario::{apply_sets, MAX_SCENARIO_BYTES};
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
    let text = crate::files::read_text(path, MAX_SCENARIO_BYTES, "a scenario file")
        .map_err(CliError::input)?;
    let parsed = match path.extension().and_then(|e| e.to_str()) {
        Some("json") => Scenario::from_json(&text),
        Some("toml") => Scenario::from_toml(&text),
        _ => Scenario::parse(&text),
    };
    parsed.map_err(|problems| {
        CliError::Input(problems.0.iter().map(|p| format!("{arg}: {p}")).collect())
    })
}

/// `--set path=value`, `--seed` and `--duration`, applied as a whole and
/// then validated once (their order does not matter); every problem is
/// reported, under the path the user wrote.
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
    if !pairs.is_empty() {
        if let Err(problems) = apply_sets(sc, &pairs) {
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
