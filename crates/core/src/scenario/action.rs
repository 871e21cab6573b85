//! Timeline actions, written the way an instructor says them:
//!
//! ```text
//! 30s set flag kafkaQueueProblems on        switch the served variant
//! 30s set flag kafkaQueueProblems.on=300    edit a variant's value
//! 40s start load 50 at 5/s                  start (or resize) the load
//! 5m stop load
//! 6m set users 25 at 3/s
//! 7m restart checkout                       also: restart flagd
//! 7m scale front-end 3
//! 8m set limit checkout memory=64Mi cpu=500m
//! 9m leak leaky cache on
//! 9m clear leaky cache                      cache | listeners | history | all
//! 9m gc leaky
//! 9m hpa front-end on
//! ```

use super::validate::joined_keys;
use super::{
    FlagSpec, Problems, Scenario, ServiceKind, ServiceSpec, MAX_FLAG_VALUE, MAX_REPLICAS, MAX_USERS,
};
use crate::decode::{expected, FromValue, Path};
use crate::units::{
    format_bytes_exact, parse_bytes, parse_duration, parse_millicores, Dur, GIB, MIB,
};
use serde::{Serialize, Serializer};
use serde_json::Value;
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LeakKind {
    Cache,
    Listeners,
    History,
}

impl LeakKind {
    pub const ALL: [LeakKind; 3] = [LeakKind::Cache, LeakKind::Listeners, LeakKind::History];
    pub fn as_str(self) -> &'static str {
        match self {
            LeakKind::Cache => "cache",
            LeakKind::Listeners => "listeners",
            LeakKind::History => "history",
        }
    }
    fn parse(word: &str) -> Option<LeakKind> {
        match word {
            "cache" => Some(LeakKind::Cache),
            "listeners" => Some(LeakKind::Listeners),
            "history" => Some(LeakKind::History),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LeakTarget {
    One(LeakKind),
    All,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ActionKind {
    SetFlagVariant {
        flag: String,
        variant: String,
    },
    SetFlagValue {
        flag: String,
        variant: String,
        value: i64,
    },
    StartLoad {
        users: Option<u32>,
        spawn_rate: Option<f64>,
    },
    StopLoad,
    SetUsers {
        users: u32,
        spawn_rate: Option<f64>,
    },
    Restart {
        service: String,
    },
    Scale {
        service: String,
        replicas: u32,
    },
    SetLimit {
        service: String,
        memory: Option<u64>,
        cpu_millicores: Option<u32>,
    },
    Leak {
        service: String,
        kind: LeakKind,
        enabled: bool,
    },
    Clear {
        service: String,
        target: LeakTarget,
    },
    Gc {
        service: String,
    },
    Hpa {
        service: String,
        enabled: bool,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Action {
    pub at: Dur,
    pub kind: ActionKind,
}

const GRAMMAR: &str = "set flag NAME VARIANT | set flag NAME.VARIANT=VALUE | start load [USERS [at RATE/s]] | stop load | set users N [at RATE/s] | restart SERVICE | scale SERVICE N | set limit SERVICE memory=SIZE cpu=CPU | leak SERVICE cache|listeners|history on|off | clear SERVICE cache|listeners|history|all | gc SERVICE | hpa SERVICE on|off";

fn parse_rate(words: &[&str]) -> Result<Option<f64>, String> {
    match words {
        [] => Ok(None),
        ["at", rate] => {
            let number = rate.strip_suffix("/s").unwrap_or(rate);
            crate::units::parse_f64(number)
                .filter(|r| r.is_finite() && *r > 0.0)
                .map(Some)
                .ok_or_else(|| format!("`{rate}` is not a spawn rate; write it like 5/s"))
        }
        other => Err(format!(
            "unexpected `{}`; write `at RATE/s`",
            other.join(" ")
        )),
    }
}

fn parse_count(word: &str, what: &str) -> Result<u32, String> {
    word.parse::<u32>()
        .map_err(|_| format!("`{word}` is not a whole number of {what}"))
}

fn parse_on_off(word: &str) -> Result<bool, String> {
    match word {
        "on" | "true" | "enable" => Ok(true),
        "off" | "false" | "disable" => Ok(false),
        other => Err(format!("`{other}` must be on or off")),
    }
}

/// `NAME.VARIANT=VALUE`: edits a variant's value.
fn parse_flag_value(spec: &str) -> Result<ActionKind, String> {
    let (name_variant, value) = spec.split_once('=').ok_or_else(|| {
        format!("`{spec}`: write `set flag NAME VARIANT` or `set flag NAME.VARIANT=VALUE`")
    })?;
    let (flag, variant) = name_variant.split_once('.').ok_or_else(|| {
        format!("`{name_variant}`: write NAME.VARIANT, like kafkaQueueProblems.on")
    })?;
    let value = value
        .parse::<i64>()
        .map_err(|_| format!("`{value}` is not a whole number"))?;
    Ok(ActionKind::SetFlagValue {
        flag: flag.into(),
        variant: variant.into(),
        value,
    })
}

/// `[USERS [at RATE/s]]` after `start load`.
fn parse_start_load(rest: &[&str]) -> Result<ActionKind, String> {
    match rest {
        [] => Ok(ActionKind::StartLoad {
            users: None,
            spawn_rate: None,
        }),
        [users, tail @ ..] => Ok(ActionKind::StartLoad {
            users: Some(parse_count(users, "users")?),
            spawn_rate: parse_rate(tail)?,
        }),
    }
}

/// `memory=SIZE` and `cpu=CPU`, in any order; the first bad setting is reported.
fn parse_set_limit(service: &str, settings: &[&str]) -> Result<ActionKind, String> {
    let mut memory = None;
    let mut cpu_millicores = None;
    for setting in settings {
        match setting.split_once('=') {
            Some(("memory", v)) => memory = Some(parse_bytes(v)?),
            Some(("cpu", v)) => cpu_millicores = Some(parse_millicores(v)?),
            _ => return Err(format!("`{setting}`: write memory=SIZE or cpu=CPU")),
        }
    }
    Ok(ActionKind::SetLimit {
        service: service.into(),
        memory,
        cpu_millicores,
    })
}

fn parse_leak_kind(word: &str) -> Result<LeakKind, String> {
    LeakKind::parse(word)
        .ok_or_else(|| format!("`{word}` is not a leak; use cache, listeners or history"))
}

fn parse_leak_target(word: &str) -> Result<LeakTarget, String> {
    if word == "all" {
        return Ok(LeakTarget::All);
    }
    LeakKind::parse(word)
        .map(LeakTarget::One)
        .ok_or_else(|| format!("`{word}` is not a leak; use cache, listeners, history or all"))
}

impl ActionKind {
    fn parse(words: &[&str]) -> Result<ActionKind, String> {
        use ActionKind::*;
        let kind = match words {
            ["set", "flag", spec] => parse_flag_value(spec)?,
            ["set", "flag", flag, variant] => SetFlagVariant {
                flag: (*flag).into(),
                variant: (*variant).into(),
            },
            ["start", "load", rest @ ..] => parse_start_load(rest)?,
            ["stop", "load"] => StopLoad,
            ["set", "users", users, tail @ ..] => SetUsers {
                users: parse_count(users, "users")?,
                spawn_rate: parse_rate(tail)?,
            },
            ["restart", service] => Restart {
                service: (*service).into(),
            },
            ["scale", service, replicas] => Scale {
                service: (*service).into(),
                replicas: parse_count(replicas, "replicas")?,
            },
            ["set", "limit", service, settings @ ..] if !settings.is_empty() => {
                parse_set_limit(service, settings)?
            }
            ["leak", service, kind, state] => Leak {
                service: (*service).into(),
                kind: parse_leak_kind(kind)?,
                enabled: parse_on_off(state)?,
            },
            ["clear", service, target] => Clear {
                service: (*service).into(),
                target: parse_leak_target(target)?,
            },
            ["gc", service] => Gc {
                service: (*service).into(),
            },
            ["hpa", service, state] => Hpa {
                service: (*service).into(),
                enabled: parse_on_off(state)?,
            },
            _ => {
                return Err(format!(
                    "`{}` is not an action; actions are: {GRAMMAR}",
                    words.join(" ")
                ))
            }
        };
        Ok(kind)
    }

    /// The service this action acts on, if any.
    pub fn service(&self) -> Option<&str> {
        use ActionKind::*;
        match self {
            Restart { service }
            | Scale { service, .. }
            | SetLimit { service, .. }
            | Leak { service, .. }
            | Clear { service, .. }
            | Gc { service }
            | Hpa { service, .. } => Some(service),
            _ => None,
        }
    }
}

impl fmt::Display for ActionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use ActionKind::*;
        let rate = |r: &Option<f64>| r.map(|r| format!(" at {r}/s")).unwrap_or_default();
        match self {
            SetFlagVariant { flag, variant } => write!(f, "set flag {flag} {variant}"),
            SetFlagValue {
                flag,
                variant,
                value,
            } => write!(f, "set flag {flag}.{variant}={value}"),
            StartLoad { users: None, .. } => write!(f, "start load"),
            StartLoad {
                users: Some(u),
                spawn_rate,
            } => write!(f, "start load {u}{}", rate(spawn_rate)),
            StopLoad => write!(f, "stop load"),
            SetUsers { users, spawn_rate } => write!(f, "set users {users}{}", rate(spawn_rate)),
            Restart { service } => write!(f, "restart {service}"),
            Scale { service, replicas } => write!(f, "scale {service} {replicas}"),
            SetLimit {
                service,
                memory,
                cpu_millicores,
            } => {
                write!(f, "set limit {service}")?;
                if let Some(m) = memory {
                    write!(f, " memory={}", format_bytes_exact(*m))?;
                }
                if let Some(c) = cpu_millicores {
                    write!(f, " cpu={}", crate::units::Millicores(*c))?;
                }
                Ok(())
            }
            Leak {
                service,
                kind,
                enabled,
            } => {
                write!(
                    f,
                    "leak {service} {} {}",
                    kind.as_str(),
                    if *enabled { "on" } else { "off" }
                )
            }
            Clear { service, target } => match target {
                LeakTarget::All => write!(f, "clear {service} all"),
                LeakTarget::One(k) => write!(f, "clear {service} {}", k.as_str()),
            },
            Gc { service } => write!(f, "gc {service}"),
            Hpa { service, enabled } => {
                write!(f, "hpa {service} {}", if *enabled { "on" } else { "off" })
            }
        }
    }
}

impl Action {
    pub fn parse(text: &str) -> Result<Action, String> {
        let words: Vec<&str> = text.split_whitespace().collect();
        let Some((at, rest)) = words.split_first() else {
            return Err("empty action; write it like `30s set flag kafkaQueueProblems on`".into());
        };
        let at = parse_duration(at).map_err(|e| format!("the time: {e}"))?;
        if rest.is_empty() {
            return Err(format!("nothing happens at {at}; actions are: {GRAMMAR}"));
        }
        Ok(Action {
            at: Dur(at),
            kind: ActionKind::parse(rest)?,
        })
    }

    /// Checks the action against the scenario it belongs to.
    pub fn check(&self, scenario: &Scenario) -> Result<(), String> {
        use ActionKind::*;
        match &self.kind {
            SetFlagVariant { flag, variant } => {
                let spec = find_flag(scenario, flag)?;
                check_variant(flag, spec, variant)
            }
            SetFlagValue { flag, value, .. } => {
                find_flag(scenario, flag)?;
                check_flag_value(*value)
            }
            StartLoad { users, spawn_rate } => check_load(*users, *spawn_rate),
            SetUsers { users, spawn_rate } => check_load(Some(*users), *spawn_rate),
            StopLoad => Ok(()),
            Restart { service } if service == "flagd" => Ok(()),
            Restart { service } => find_service(scenario, service).map(|_| ()),
            Scale { service, replicas } => {
                find_service(scenario, service)?;
                check_replicas(*replicas)
            }
            SetLimit {
                service,
                memory,
                cpu_millicores,
            } => {
                find_service(scenario, service)?;
                check_limit(*memory, *cpu_millicores)
            }
            Leak { service, .. } | Clear { service, .. } | Gc { service } => {
                let spec = find_service(scenario, service)?;
                check_leak_target(&self.kind, service, spec)
            }
            Hpa { service, .. } => {
                let spec = find_service(scenario, service)?;
                check_hpa_switch(service, spec)
            }
        }
    }
}

fn find_service<'a>(scenario: &'a Scenario, name: &str) -> Result<&'a ServiceSpec, String> {
    scenario.services.get(name).ok_or_else(|| {
        format!(
            "unknown service `{name}`; the services are {}",
            joined_keys(&scenario.services)
        )
    })
}

fn find_flag<'a>(scenario: &'a Scenario, flag: &str) -> Result<&'a FlagSpec, String> {
    scenario.flags.get(flag).ok_or_else(|| {
        format!(
            "unknown flag `{flag}`; define it under [flags.{flag}] (flags: {})",
            joined_keys(&scenario.flags)
        )
    })
}

fn check_variant(flag: &str, spec: &FlagSpec, variant: &str) -> Result<(), String> {
    if !spec.variants.contains_key(variant) {
        return Err(format!(
            "`{flag}` has no variant `{variant}`; its variants are {}",
            joined_keys(&spec.variants)
        ));
    }
    Ok(())
}

fn check_flag_value(value: i64) -> Result<(), String> {
    if !(0..=MAX_FLAG_VALUE).contains(&value) {
        return Err(format!("{value} is outside 0..={MAX_FLAG_VALUE}"));
    }
    Ok(())
}

/// Fastest spawn rate an action may ask for, users per second.
const MAX_SPAWN_RATE_PER_S: f64 = 1000.0;

fn check_load(users: Option<u32>, spawn_rate_per_s: Option<f64>) -> Result<(), String> {
    if users.is_some_and(|u| u > MAX_USERS) {
        return Err(format!("more than the maximum {MAX_USERS} users"));
    }
    if spawn_rate_per_s.is_some_and(|r| r > MAX_SPAWN_RATE_PER_S) {
        return Err("spawn rate above the maximum 1000/s".into());
    }
    Ok(())
}

fn check_replicas(replicas: u32) -> Result<(), String> {
    if replicas == 0 || replicas > MAX_REPLICAS {
        return Err(format!("{replicas} replicas; allowed 1..={MAX_REPLICAS}"));
    }
    Ok(())
}

fn check_limit(memory_bytes: Option<u64>, cpu_millicores: Option<u32>) -> Result<(), String> {
    if memory_bytes.is_some_and(|m| !(MIB..=64 * GIB).contains(&m)) {
        return Err("memory limit must be between 1Mi and 64Gi".into());
    }
    if cpu_millicores.is_some_and(|c| !(10..=64_000).contains(&c)) {
        return Err("cpu limit must be between 10m and 64".into());
    }
    Ok(())
}

/// Leaks, clear and gc act on a python-leaky service; gc also on a go-checkout.
fn check_leak_target(kind: &ActionKind, service: &str, spec: &ServiceSpec) -> Result<(), String> {
    let gc_on_go = matches!(kind, ActionKind::Gc { .. }) && spec.kind == ServiceKind::GoCheckout;
    if spec.kind != ServiceKind::PythonLeaky && !gc_on_go {
        return Err(format!(
            "`{service}` is a {}; leaks, clear and gc act on a python-leaky service (gc also on go-checkout)",
            spec.kind.as_str()
        ));
    }
    Ok(())
}

fn check_hpa_switch(service: &str, spec: &ServiceSpec) -> Result<(), String> {
    if spec.hpa.is_none() {
        return Err(format!(
            "`{service}` has no [services.{service}.hpa] section to switch"
        ));
    }
    Ok(())
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.at, self.kind)
    }
}

impl Serialize for Action {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl FromValue for Action {
    fn from_value(value: &Value, path: Path<'_>) -> Result<Self, Problems> {
        match value.as_str() {
            Some(text) => Action::parse(text).map_err(|m| path.problem(m)),
            None => expected(
                value,
                path,
                "an action like \"30s set flag kafkaQueueProblems on\"",
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_round_trips() {
        for text in [
            "30s set flag kafkaQueueProblems on",
            "30s set flag kafkaQueueProblems.on=300",
            "40s start load",
            "40s start load 50 at 5/s",
            "5m stop load",
            "6m set users 25 at 3/s",
            "7m restart checkout",
            "7m restart flagd",
            "7m scale front-end 3",
            "8m set limit checkout memory=64Mi cpu=500m",
            "9m leak leaky cache on",
            "9m clear leaky all",
            "9m clear leaky listeners",
            "9m gc leaky",
            "9m hpa front-end off",
        ] {
            let action = Action::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(action.to_string(), text);
        }
    }

    #[test]
    fn bad_actions_say_what_is_allowed() {
        assert!(Action::parse("30s explode checkout")
            .unwrap_err()
            .contains("actions are"));
        assert!(Action::parse("30 stop load")
            .unwrap_err()
            .contains("no unit"));
        assert!(Action::parse("1m start load many")
            .unwrap_err()
            .contains("whole number"));
        assert!(Action::parse("1m leak leaky memory on")
            .unwrap_err()
            .contains("cache, listeners"));
        assert!(Action::parse("1m start load 5 at fast")
            .unwrap_err()
            .contains("spawn rate"));
        assert!(Action::parse("").is_err());
        assert!(Action::parse("10s")
            .unwrap_err()
            .contains("nothing happens"));
    }
}
