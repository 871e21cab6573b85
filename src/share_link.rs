//! The state a share link carries, and how it reads and writes a URL query.
//!
//! Links stay readable: `?preset=checkout-spike&workload.users=80&seed=3&t=72`.
//! Every knob is a `--set` path with its value; a few words are reserved.
//! A malformed, stale or hostile query never fails: whatever cannot be
//! used becomes a notice, and the rest falls back to defaults.

use crate::charts::registry::Embed;
use incident_core::scenario::{apply_set, apply_sets};
use incident_core::{presets, Scenario};

pub const DEFAULT_PRESET: &str = "checkout-spike";
/// Longer queries are not read at all.
pub const MAX_QUERY_BYTES: usize = 64 * 1024;
/// More overrides than this are dropped.
pub const MAX_OVERRIDES: usize = 64;
const RESERVED: &[&str] = &[
    "preset",
    "seed",
    "t",
    "embed",
    "panels",
    "scenario",
    "service",
    "theme",
    "lesson",
    "step",
    "compare",
    "instructor",
    "fixes",
    "projector",
    "map",
    "layer",
];

#[derive(Clone, Debug, PartialEq, Default)]
pub struct ShareState {
    pub preset: String,
    /// `(path, value)` in the order applied.
    pub overrides: Vec<(String, String)>,
    /// A whole scenario that is not a preset (loaded from a file), as JSON.
    pub scenario_json: Option<String>,
    pub seed: Option<u64>,
    /// Scrub time, seconds.
    pub t_s: Option<f64>,
    pub embed: Option<Embed>,
    /// Open panels by name.
    pub panels: Vec<String>,
    /// The service the memory chart follows.
    pub service: Option<String>,
    /// Overrides of a pinned run to compare against.
    pub compare: Option<Vec<(String, String)>>,
    pub lesson: Option<String>,
    /// The lesson step, from 0 (links count from 1).
    pub step: Option<usize>,
    /// Fixes of the lesson step the learner applied, in order.
    pub fixes: Vec<usize>,
    /// Instructor mode: answers shown, every step reachable, a handout.
    pub instructor: bool,
    /// Projector mode: larger text and thicker lines for a room.
    pub projector: bool,
    /// The failure map, drawn when the link opens.
    pub map: Option<MapLink>,
}

/// A failure map in a link: `map=X;Y` (each axis as `incident sweep
/// --vary` takes it) and `layer=N`, the layer shown.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct MapLink {
    pub x: String,
    pub y: String,
    pub layer: usize,
}

/// What a query turned into, and what could not be used.
pub struct Loaded {
    pub state: ShareState,
    pub scenario: Scenario,
    pub notices: Vec<String>,
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Percent-decoding with `+` as space; invalid escapes are kept as text.
pub fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                match (
                    bytes.get(i + 1).copied().and_then(hex),
                    bytes.get(i + 2).copied().and_then(hex),
                ) {
                    (Some(h), Some(l)) => {
                        out.push(h * 16 + l);
                        i += 2;
                    }
                    _ => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Percent-encoding of everything but unreserved characters and the few
/// that read well in a link (`.`, `-`, `_`, `~`, `/`).
pub fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'_' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// base64url without padding, for a whole scenario in a link.
pub fn base64url(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = (chunk[0] as u32) << 16
            | (*chunk.get(1).unwrap_or(&0) as u32) << 8
            | *chunk.get(2).unwrap_or(&0) as u32;
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(A[((n >> shift) & 63) as usize] as char);
            }
        }
    }
    out
}

pub fn unbase64url(text: &str) -> Option<Vec<u8>> {
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => return None,
        } as u32)
    };
    let bytes = text.trim_end_matches('=').as_bytes();
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    for chunk in bytes.chunks(4) {
        if chunk.len() == 1 {
            return None;
        }
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            n |= value(c)? << (18 - 6 * i);
        }
        for i in 0..chunk.len() - 1 {
            out.push((n >> (16 - 8 * i)) as u8);
        }
    }
    Some(out)
}

fn parse_pairs(query: &str) -> Vec<(String, String)> {
    query
        .trim_start_matches('?')
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (decode(k), decode(v)),
            None => (decode(p), String::new()),
        })
        .collect()
}

fn parse_overrides(text: &str) -> Vec<(String, String)> {
    text.split(',')
        .filter_map(|pair| pair.split_once(':'))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn format_overrides(overrides: &[(String, String)]) -> String {
    overrides
        .iter()
        .map(|(k, v)| format!("{k}:{v}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// Applies a state's overrides and seed on top of a scenario, dropping (with
/// a notice) whatever does not apply. The overrides apply as a whole, as
/// `--set` does, so their order in the link does not matter (a think time's
/// min and max can both move past the other); the ones refused are dropped,
/// each named, and the rest are tried again.
pub fn apply_state(
    mut scenario: Scenario,
    state: &mut ShareState,
    notices: &mut Vec<String>,
) -> Scenario {
    let mut wanted: Vec<(String, String)> = Vec::new();
    for (path, value) in std::mem::take(&mut state.overrides) {
        // A later value of a path replaces an earlier one, as in `set_override`.
        wanted.retain(|(p, _)| *p != path);
        wanted.push((path, value));
    }
    // Each round drops at least one override, so this ends.
    while !wanted.is_empty() {
        let Err(problems) = apply_sets(&mut scenario, &wanted) else {
            break;
        };
        let named = |path: &str| problems.0.iter().find(|p| p.path == path);
        let refused: Vec<bool> = wanted.iter().map(|(p, _)| named(p).is_some()).collect();
        let none_named = !refused.contains(&true);
        let mut kept = Vec::with_capacity(wanted.len());
        for ((path, value), refused) in wanted.into_iter().zip(refused) {
            if !(refused || none_named) {
                kept.push((path, value));
                continue;
            }
            let why = named(&path).map_or_else(
                || first_line(&problems.to_string()).to_string(),
                |p| p.message.clone(),
            );
            notices.push(format!("Ignored {path}={value}: {path}: {why}"));
        }
        wanted = kept;
    }
    state.overrides = wanted;
    if let Some(seed) = state.seed {
        if apply_set(&mut scenario, "seed", &seed.to_string()).is_err() {
            notices.push(format!("Ignored seed {seed}: out of range."));
            state.seed = None;
        }
    }
    scenario
}

/// Builds the scenario a state describes; every unusable part is a notice.
pub fn scenario_of(state: &mut ShareState, notices: &mut Vec<String>) -> Scenario {
    let base = match &state.scenario_json {
        Some(json) => {
            match Scenario::from_json(json) {
                Ok(sc) => Some(sc),
                Err(e) => {
                    notices.push(format!("The scenario in the link could not be used ({}); showing {DEFAULT_PRESET}.", first_line(&e.to_string())));
                    state.scenario_json = None;
                    None
                }
            }
        }
        None => None,
    };
    let scenario = match base {
        Some(sc) => sc,
        None => match presets::load(&state.preset) {
            Some(sc) => sc,
            None => {
                notices.push(format!(
                    "There is no preset called “{}” (it may have been renamed); showing {DEFAULT_PRESET}.",
                    state.preset
                ));
                state.preset = DEFAULT_PRESET.to_string();
                presets::load(DEFAULT_PRESET).expect("the default preset exists")
            }
        },
    };
    apply_state(scenario, state, notices)
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or(text)
}

/// Reads a query string (with or without `?`).
pub fn load(query: &str) -> Loaded {
    let mut notices = Vec::new();
    let mut state = ShareState {
        preset: DEFAULT_PRESET.to_string(),
        ..ShareState::default()
    };
    if query.len() > MAX_QUERY_BYTES {
        notices.push(format!(
            "The link is longer than {} KB and was not read; showing the defaults.",
            MAX_QUERY_BYTES / 1024
        ));
    } else {
        let mut unknown = Vec::new();
        for (key, value) in parse_pairs(query) {
            read_pair(&mut state, &mut notices, &mut unknown, key, value);
        }
        note_unknown(&mut notices, unknown);
    }
    let scenario = scenario_of(&mut state, &mut notices);
    Loaded {
        state,
        scenario,
        notices,
    }
}

/// Reads one `key=value` of a link into the state; what cannot be used is
/// a notice, and a key that is no parameter goes to `unknown`.
fn read_pair(
    state: &mut ShareState,
    notices: &mut Vec<String>,
    unknown: &mut Vec<String>,
    key: String,
    value: String,
) {
    match key.as_str() {
        "preset" => state.preset = value,
        "seed" => read_seed(state, notices, &value),
        "t" => read_time(state, notices, &value),
        "embed" => read_embed(state, notices, &value),
        "panels" => state.panels = panel_names(&value),
        "service" => state.service = Some(value),
        "scenario" => read_scenario(state, notices, &value),
        "compare" => {
            state.compare = Some(
                parse_overrides(&value)
                    .into_iter()
                    .take(MAX_OVERRIDES)
                    .collect(),
            )
        }
        "lesson" => read_lesson(state, notices, value),
        "step" => read_step(state, notices, &value),
        "fixes" => state.fixes = fix_indices(&value),
        "instructor" => state.instructor = is_on(&value),
        "projector" => state.projector = is_on(&value),
        "map" => read_map(state, notices, &value),
        "layer" => {
            let layer = value.parse().ok().filter(|l| *l < 8);
            state.map.get_or_insert_with(MapLink::default).layer = layer.unwrap_or(0);
        }
        "theme" => {}
        _ => read_override(state, unknown, key, value),
    }
}

fn read_map(state: &mut ShareState, notices: &mut Vec<String>, value: &str) {
    match value.split_once(';') {
        Some((x, y)) if !x.trim().is_empty() && !y.trim().is_empty() => {
            let link = state.map.get_or_insert_with(MapLink::default);
            link.x = x.trim().to_string();
            link.y = y.trim().to_string();
        }
        _ => notices.push(format!(
            "Ignored map “{value}”: write it as map=PATH=FROM..TO:N;PATH=FROM..TO:N."
        )),
    }
}

fn read_seed(state: &mut ShareState, notices: &mut Vec<String>, value: &str) {
    match value.parse::<u64>() {
        Ok(s) => state.seed = Some(s),
        Err(_) => notices.push(format!("Ignored seed “{value}”: not a whole number.")),
    }
}

fn read_time(state: &mut ShareState, notices: &mut Vec<String>, value: &str) {
    match incident_core::units::parse_f64(value) {
        Some(t) if t >= 0.0 => state.t_s = Some(t),
        _ => notices.push(format!("Ignored t=“{value}”: not a time in seconds.")),
    }
}

fn read_embed(state: &mut ShareState, notices: &mut Vec<String>, value: &str) {
    match Embed::parse(value) {
        Some(e) => state.embed = Some(e),
        None => notices.push(format!(
            "Ignored embed=“{value}”; embeds are {}.",
            Embed::names().join(", ")
        )),
    }
}

/// At most 16 panel names.
fn panel_names(value: &str) -> Vec<String> {
    value
        .split(',')
        .filter(|p| !p.is_empty())
        .take(16)
        .map(str::to_string)
        .collect()
}

fn read_scenario(state: &mut ShareState, notices: &mut Vec<String>, value: &str) {
    match unbase64url(value).and_then(|b| String::from_utf8(b).ok()) {
        Some(json) => state.scenario_json = Some(json),
        None => notices.push("The scenario in the link is damaged and was not used.".to_string()),
    }
}

fn read_lesson(state: &mut ShareState, notices: &mut Vec<String>, value: String) {
    if incident_core::lesson::is_lesson_name(&value) {
        state.lesson = Some(value);
    } else {
        notices.push(format!(
            "Ignored lesson “{}”: lesson names are lowercase letters, digits and dashes.",
            value.chars().take(40).collect::<String>()
        ));
    }
}

/// Links count steps from 1; the state from 0.
fn read_step(state: &mut ShareState, notices: &mut Vec<String>, value: &str) {
    match value.parse::<usize>() {
        Ok(n) if (1..=incident_core::lesson::MAX_STEPS).contains(&n) => state.step = Some(n - 1),
        _ => notices.push(format!("Ignored step “{value}”: steps count from 1.")),
    }
}

/// The fixes' indices that can be fixes at all; the rest are dropped.
fn fix_indices(value: &str) -> Vec<usize> {
    value
        .split(',')
        .filter_map(|n| n.parse().ok())
        .filter(|&n: &usize| n < incident_core::lesson::MAX_CHOICES)
        .take(incident_core::lesson::MAX_CHOICES)
        .collect()
}

fn is_on(value: &str) -> bool {
    value != "0" && value != "false"
}

/// A parameter path is an override, up to `MAX_OVERRIDES` of them; any
/// other key is unknown.
fn read_override(state: &mut ShareState, unknown: &mut Vec<String>, key: String, value: String) {
    if key.contains('.') || key == "duration" || key == "sample_interval" {
        if state.overrides.len() < MAX_OVERRIDES {
            state.overrides.push((key, value));
        } else {
            unknown.push(key);
        }
    } else {
        unknown.push(key);
    }
}

/// One notice for the first few keys the link should not have had.
fn note_unknown(notices: &mut Vec<String>, mut unknown: Vec<String>) {
    if unknown.is_empty() {
        return;
    }
    unknown.truncate(5);
    let shown: Vec<String> = unknown
        .iter()
        .map(|k| k.chars().take(40).collect())
        .collect();
    notices.push(format!(
        "Ignored unknown link parameters: {}.",
        shown.join(", ")
    ));
}

/// The query that reproduces a state (starting with `?`).
pub fn to_query(state: &ShareState) -> String {
    let mut parts = Vec::new();
    // A lesson's step names its own preset: the link does not, so a
    // diagnostic case's name never shows in the address bar.
    match (&state.scenario_json, &state.lesson) {
        (Some(json), _) => parts.push(format!("scenario={}", base64url(json.as_bytes()))),
        (None, None) => parts.push(format!("preset={}", encode(&state.preset))),
        (None, Some(_)) => {}
    }
    for (path, value) in &state.overrides {
        parts.push(format!("{}={}", encode(path), encode(value)));
    }
    if let Some(seed) = state.seed {
        parts.push(format!("seed={seed}"));
    }
    if let Some(t) = state.t_s {
        parts.push(format!("t={}", (t * 10.0).round() / 10.0));
    }
    if let Some(service) = &state.service {
        parts.push(format!("service={}", encode(service)));
    }
    if !state.panels.is_empty() {
        parts.push(format!("panels={}", encode(&state.panels.join(","))));
    }
    if let Some(compare) = &state.compare {
        parts.push(format!("compare={}", encode(&format_overrides(compare))));
    }
    if let Some(e) = state.embed {
        parts.push(format!("embed={}", e.as_str()));
    }
    if let Some(l) = &state.lesson {
        parts.push(format!("lesson={}", encode(l)));
        if let Some(s) = state.step {
            parts.push(format!("step={}", s + 1));
        }
        if !state.fixes.is_empty() {
            let fixes: Vec<String> = state.fixes.iter().map(|f| f.to_string()).collect();
            parts.push(format!("fixes={}", fixes.join(",")));
        }
        if state.instructor {
            parts.push("instructor=1".to_string());
        }
    }
    if state.projector {
        parts.push("projector=1".to_string());
    }
    if let Some(m) = state.map.as_ref().filter(|m| !m.x.is_empty()) {
        parts.push(format!("map={}", encode(&format!("{};{}", m.x, m.y))));
        if m.layer > 0 {
            parts.push(format!("layer={}", m.layer));
        }
    }
    let _ = RESERVED;
    format!("?{}", parts.join("&"))
}

/// Records an override, replacing an earlier value of the same path.
pub fn set_override(state: &mut ShareState, path: &str, value: &str) {
    state.overrides.retain(|(p, _)| p != path);
    state.overrides.push((path.to_string(), value.to_string()));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_map_round_trips_through_the_link_and_a_bad_one_is_a_notice() {
        let x = "flags.kafkaQueueProblems.variants.on=100..5000:12:log";
        let y = "workload.users=5..100:10:log";
        let query = format!(
            "?preset=checkout-gradual&map={}&layer=2",
            encode(&format!("{x};{y}"))
        );
        let loaded = load(&query);
        let want = MapLink {
            x: x.to_string(),
            y: y.to_string(),
            layer: 2,
        };
        assert_eq!(loaded.state.map.as_ref(), Some(&want));
        assert!(loaded.notices.is_empty(), "{:?}", loaded.notices);
        assert_eq!(load(&to_query(&loaded.state)).state.map, Some(want));
        let bad = load("?preset=checkout-gradual&map=workload.users");
        assert_eq!(bad.state.map, None);
        assert!(
            bad.notices.iter().any(|n| n.contains("Ignored map")),
            "{:?}",
            bad.notices
        );
    }

    #[test]
    fn plain_preset_link_opens_its_defaults() {
        let l = load("?preset=checkout-gradual");
        assert!(l.notices.is_empty(), "{:?}", l.notices);
        assert_eq!(l.scenario, presets::load("checkout-gradual").unwrap());
    }

    #[test]
    fn round_trip_keeps_the_whole_state() {
        let state = ShareState {
            preset: "checkout-spike".into(),
            overrides: vec![
                ("flags.kafkaQueueProblems.variants.on".into(), "300".into()),
                ("workload.users".into(), "35".into()),
            ],
            seed: Some(42),
            t_s: Some(72.5),
            panels: vec!["events".into(), "about".into()],
            service: Some("checkout".into()),
            compare: Some(vec![(
                "flags.kafkaQueueProblems.variants.on".into(),
                "2000".into(),
            )]),
            ..ShareState::default()
        };
        let q = to_query(&state);
        assert!(q.starts_with("?preset=checkout-spike&flags.kafkaQueueProblems.variants.on=300&workload.users=35&seed=42&t=72.5"), "{q}");
        let l = load(&q);
        assert!(l.notices.is_empty(), "{:?}", l.notices);
        assert_eq!(l.state, state);
        assert_eq!(l.scenario.workload.users, 35);
        assert_eq!(l.scenario.seed, 42);
    }

    #[test]
    fn hostile_and_stale_links_give_notices_and_defaults() {
        let l = load("?preset=no-such-thing&workload.users=lots&seed=-1&t=NaN&embed=everything&%zz=1&<script>=x");
        assert_eq!(l.state.preset, DEFAULT_PRESET);
        assert_eq!(l.scenario.name, DEFAULT_PRESET);
        let all = l.notices.join("\n");
        for needle in [
            "no preset called",
            "Ignored workload.users=lots",
            "Ignored seed",
            "Ignored t=",
            "embeds are",
            "unknown link parameters",
        ] {
            assert!(all.contains(needle), "missing `{needle}` in\n{all}");
        }
        let huge = format!("?preset={}", "x".repeat(MAX_QUERY_BYTES + 1));
        let l = load(&huge);
        assert!(l.notices[0].contains("longer than"));
        assert_eq!(l.scenario.name, DEFAULT_PRESET);
        let l = load("?scenario=!!!not-base64!!!");
        assert!(l.notices[0].contains("damaged"));
        let l = load("?scenario=e30");
        assert!(
            l.notices[0].contains("could not be used"),
            "{:?}",
            l.notices
        );
    }

    #[test]
    fn lesson_progress_travels_in_the_link() {
        let state = ShareState {
            preset: "not-growing-flag-off".into(),
            seed: Some(3),
            lesson: Some("not-growing".into()),
            step: Some(1),
            fixes: vec![0, 3],
            instructor: true,
            ..ShareState::default()
        };
        let q = to_query(&state);
        assert!(
            q.contains("lesson=not-growing&step=2&fixes=0,3&instructor=1"),
            "{q}"
        );
        assert!(
            !q.contains("not-growing-flag-off"),
            "a diagnostic case's name stays out of the link: {q}"
        );
        let l = load(&q);
        assert!(l.notices.is_empty(), "{:?}", l.notices);
        // The step's own preset comes back when the lesson opens.
        assert_eq!(
            l.state,
            ShareState {
                preset: DEFAULT_PRESET.into(),
                ..state
            }
        );
        let l = load("?lesson=../../etc/passwd&step=0");
        assert_eq!(l.state.lesson, None);
        assert_eq!(l.state.step, None);
        assert_eq!(l.notices.len(), 2, "{:?}", l.notices);
    }

    #[test]
    fn a_whole_scenario_travels_in_the_link() {
        let mut sc = presets::load("python-leaks").unwrap();
        sc.name = "my-lab".into();
        let state = ShareState {
            scenario_json: Some(sc.to_json()),
            ..ShareState::default()
        };
        let l = load(&to_query(&state));
        assert!(l.notices.is_empty(), "{:?}", l.notices);
        assert_eq!(l.scenario, sc);
    }

    #[test]
    fn encodings_round_trip() {
        for s in ["", "a b", "20Mi", "x=y&z", "ünïcode", "%%%"] {
            assert_eq!(decode(&encode(s)), s);
        }
        for bytes in [
            &b""[..],
            b"a",
            b"ab",
            b"abc",
            b"abcd",
            &[0xff, 0x00, 0x7f][..],
        ] {
            assert_eq!(unbase64url(&base64url(bytes)).unwrap(), bytes);
        }
        assert_eq!(decode("%4"), "%4");
    }

    #[test]
    fn overrides_in_a_link_apply_as_a_whole_in_any_order() {
        // Each alone breaks min <= max; together they are fine.
        let l = load(
            "?preset=checkout-gradual&workload.think_time.min=20s&workload.think_time.max=30s",
        );
        assert!(l.notices.is_empty(), "{:?}", l.notices);
        assert_eq!(l.state.overrides.len(), 2);
        assert_eq!(l.scenario.workload.think_time.min.0.as_secs_f64(), 20.0);
        // A refused one is named and dropped; the others still apply.
        let l = load("?preset=checkout-gradual&workload.users=lots&workload.users=40&services.checkout.memory_limit=1Ki");
        let all = l.notices.join("\n");
        assert!(
            all.contains(
                "Ignored services.checkout.memory_limit=1Ki: services.checkout.memory_limit:"
            ),
            "{all}"
        );
        assert_eq!(l.scenario.workload.users, 40, "{all}");
    }

    #[test]
    fn overrides_replace_earlier_values() {
        let mut s = ShareState::default();
        set_override(&mut s, "workload.users", "10");
        set_override(&mut s, "seed", "3");
        set_override(&mut s, "workload.users", "20");
        assert_eq!(
            s.overrides,
            vec![
                ("seed".to_string(), "3".to_string()),
                ("workload.users".to_string(), "20".to_string())
            ]
        );
    }
}
