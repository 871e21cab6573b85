//! The format readers against hostile input. A committed corpus of small
//! files (`tests/hostile/`), each read with the outcome it must give; large
//! documents made here at run time, each of which took minutes or
//! gigabytes before its bound (so this test finishing is the check that
//! they are refused fast); generated documents that must be read or
//! refused, never panic; and a byte-order mark working for scenarios and
//! lessons alike.

use incident_core::lesson::{self, Lesson};
use incident_core::{json, presets, toml_reader, Scenario};
use proptest::prelude::*;
use std::path::PathBuf;

const BOM: char = '\u{feff}';

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/hostile")
}

fn corpus_file(name: &str) -> String {
    std::fs::read_to_string(corpus_dir().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Each corpus file read by its format's reader: `Ok`, or the whole error.
const CORPUS: &[(&str, Result<(), &str>)] = &[
    ("bom.toml", Ok(())),
    ("bom-twice.toml", Err("line 1: expected a key, found `\u{feff}`")),
    (
        "deep-array.toml",
        Err("line 1: the value of `a` nests deeper than 64 levels"),
    ),
    (
        "deep-inline-table.toml",
        Err("line 1: the value of `a.b.b.b.b.b.b.b.b.b.b.b.….b.b.b.b.b.b.b.b.b.b.b.b` nests deeper than 64 levels"),
    ),
    (
        "deep-dotted-key.toml",
        Err("line 2: `a.a.a.a.a.a.a.a.a.a.a.a.….a.a.a.a.a.a.a.a.a.a.a.a.…` nests deeper than 64 levels"),
    ),
    (
        "deep-dotted-key-under-header.toml",
        Err("line 2: `t.t.t.t.t.t.t.t.t.t.t.t.….a.a.a.a.a.a.a.a.a.a.a.a` nests deeper than 64 levels"),
    ),
    (
        "deep-dotted-key-in-inline-table.toml",
        Err("line 1: `a.b.b.b.b.b.b.b.b.b.b.b.….b.b.b.b.b.b.b.b.b.b.b.b` nests deeper than 64 levels"),
    ),
    (
        "deep-header.toml",
        Err("line 1: `a.a.a.a.a.a.a.a.a.a.a.a.….a.a.a.a.a.a.a.a.a.a.a.a.…` nests deeper than 64 levels"),
    ),
    (
        "deep-array-header.toml",
        Err("line 1: array of tables [[a.a.a.a.a.a.a.a.a.a.a.a.….a.a.a.a.a.a.a.a.a.a.a.a]] nests deeper than 64 levels"),
    ),
    (
        "deep-header-then-array.toml",
        Err("line 2: the value of `t.t.t.t.t.t.t.t.t.t.t.t.….t.t.t.t.t.t.t.t.t.t.t.x` nests deeper than 64 levels"),
    ),
    (
        "long-bare-key.toml",
        Err("line 1: key `kkkkkkkkkkkkkkkkkkkkkkkk…kkkkkkkkkkkkkkkkkkkkkkkk` is 257 bytes long; a key may be at most 256 bytes"),
    ),
    (
        "long-quoted-key.toml",
        Err("line 1: key `éééééééééééééééééééééééé…éééééééééééééééééééééééé` is 258 bytes long; a key may be at most 256 bytes"),
    ),
    (
        "long-key-with-newline.toml",
        Err("line 1: key `xxxxxxxxxxxxxxxxxxxxxxxx…xxxxxxxxxxxxxxxxxxxxxxx\\n` is 301 bytes long; a key may be at most 256 bytes"),
    ),
    ("duplicate-key.toml", Err("line 2: key `a` is defined twice")),
    ("bom.json", Ok(())),
    (
        "bom-twice.json",
        Err("expected a value, found `\u{feff}` at line 1 column 0"),
    ),
    (
        "deep-array.json",
        Err("nested more than 64 deep at line 1 column 64"),
    ),
    (
        "deep-object.json",
        Err("nested more than 64 deep under `a.a.a.a.a.a.a.a.a.a.a.a.….a.a.a.a.a.a.a.a.a.a.a.a` at line 1 column 384"),
    ),
    (
        "long-key.json",
        Err("key `kkkkkkkkkkkkkkkkkkkkkkkk…kkkkkkkkkkkkkkkkkkkkkkkk` is 257 bytes long; a key may be at most 256 bytes at line 1 column 1"),
    ),
    (
        "duplicate-key.json",
        Err("key `a` is defined twice at line 4 column 2"),
    ),
    (
        "duplicate-nested-key.json",
        Err("key `y` is defined twice at line 1 column 16"),
    ),
    (
        "duplicate-escaped-key.json",
        Err("key `é` is defined twice at line 1 column 9"),
    ),
];

/// Corpus files read as a scenario or lesson (below) rather than above.
const WHOLE_FILES: &[&str] = &["bom-scenario.toml", "bom-scenario.json", "bom-lesson.toml"];

fn read(name: &str, text: &str) -> Result<(), String> {
    if name.ends_with(".json") {
        json::parse(text).map(drop).map_err(|e| e.to_string())
    } else {
        toml_reader::parse(text)
            .map(drop)
            .map_err(|e| e.to_string())
    }
}

#[test]
fn every_corpus_file_gives_its_outcome() {
    for (name, expected) in CORPUS {
        let got = read(name, &corpus_file(name));
        assert_eq!(got, expected.map_err(str::to_string), "{name}");
    }
}

#[test]
fn the_corpus_lists_every_file() {
    let mut on_disk: Vec<String> = std::fs::read_dir(corpus_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "README.md")
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = CORPUS
        .iter()
        .map(|(n, _)| n.to_string())
        .chain(WHOLE_FILES.iter().map(|n| n.to_string()))
        .collect();
    listed.sort();
    assert_eq!(on_disk, listed);
}

#[test]
fn a_scenario_with_a_byte_order_mark_reads_as_without_one() {
    let plain = presets::load("checkout-spike").unwrap();
    for name in ["bom-scenario.toml", "bom-scenario.json"] {
        let text = corpus_file(name);
        assert!(text.starts_with(BOM), "{name}");
        let with = Scenario::parse(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(with, Scenario::parse(&text[BOM.len_utf8()..]).unwrap());
        assert_eq!((with.seed, with.services.len()), (7, plain.services.len()));
    }
    let json = corpus_file("bom-scenario.json");
    assert_eq!(
        Scenario::from_json(&json).unwrap(),
        Scenario::parse(&json).unwrap()
    );
    let toml = corpus_file("bom-scenario.toml");
    assert_eq!(
        Scenario::from_toml(&toml).unwrap(),
        Scenario::parse(&toml).unwrap()
    );
    // Every preset, and a preset written as JSON, with a mark in front.
    for (name, text) in presets::PRESET_FILES {
        assert_eq!(
            Scenario::parse(&format!("{BOM}{text}")).ok(),
            presets::load(name),
            "{name}"
        );
    }
    let as_json = format!("{BOM}\n  {}", plain.to_json());
    assert_eq!(Scenario::parse(&as_json).unwrap(), plain);
}

#[test]
fn a_lesson_with_a_byte_order_mark_reads_as_without_one() {
    let text = corpus_file("bom-lesson.toml");
    assert!(text.starts_with(BOM));
    let with = Lesson::read(&text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(with, Lesson::read(&text[BOM.len_utf8()..]).unwrap());
    assert_eq!(with.name, "bom-lesson");
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../assets/lessons");
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let marked = format!("{BOM}{text}");
        if path.ends_with("index.toml") {
            let index = lesson::parse_index(&marked).unwrap();
            assert_eq!(index, lesson::parse_index(&text).unwrap());
        } else {
            let read = Lesson::read(&marked).unwrap_or_else(|e| panic!("{path:?}: {e}"));
            assert_eq!(read, Lesson::read(&text).unwrap(), "{path:?}");
        }
    }
}

fn repeat(part: &str, sep: &str, n: usize) -> String {
    vec![part; n].join(sep)
}

/// Each took minutes (or gigabytes) to refuse before its bound, and each
/// fits in a scenario or lesson file (256 KB).
fn large_hostile_files() -> Vec<(&'static str, String)> {
    let deep = 100_000;
    vec![
        ("dotted key", format!("{} = 1", repeat("a", ".", deep))),
        ("header", format!("[{}]", repeat("a", ".", deep))),
        ("array header", format!("[[{}]]", repeat("a", ".", deep))),
        ("arrays", format!("a = {}", "[".repeat(deep))),
        ("inline tables", format!("a = {}", "{b=".repeat(60_000))),
        (
            "dotted keys in inline tables",
            format!("a = {}", "{b.b.b=".repeat(30_000)),
        ),
        ("long key", format!("\"{}\" = 1", "k".repeat(200_000))),
        ("json arrays", "[".repeat(deep)),
        ("json objects", "{\"a\":".repeat(40_000)),
        (
            "json long key",
            format!("{{\"{}\":1}}", "k".repeat(200_000)),
        ),
    ]
}

#[test]
fn large_hostile_files_are_refused_by_scenarios_and_lessons() {
    for (what, text) in large_hostile_files() {
        assert!(text.len() < 256 * 1024, "{what}");
        let is_json = what.starts_with("json");
        let read = if is_json {
            Scenario::from_json
        } else {
            Scenario::parse
        };
        let scenario = read(&text).unwrap_err().to_string();
        let bound = [
            "nests deeper than 64",
            "nested more than 64",
            "at most 256 bytes",
        ];
        assert!(
            bound.iter().any(|b| scenario.contains(b)),
            "{what}: {scenario}"
        );
        assert!(!scenario.contains('\n'), "{what}: {scenario}");
        if !is_json {
            let lesson = Lesson::read(&text).unwrap_err().to_string();
            assert!(bound.iter().any(|b| lesson.contains(b)), "{what}: {lesson}");
        }
    }
}

#[test]
fn a_scenario_in_json_may_not_give_a_key_twice() {
    let e = Scenario::parse(&format!(
        "{BOM}{{\"extends\": \"checkout-spike\", \"seed\": 1, \"seed\": 2}}"
    ));
    assert_eq!(
        e.unwrap_err().to_string(),
        "not valid JSON: key `seed` is defined twice at line 1 column 41"
    );
}

/// Nesting of one kind, `depth` levels deep, and the most that kind allows.
fn nesting(kind: usize, depth: usize) -> (String, usize, bool) {
    let keys = |n: usize| repeat("a", ".", n.max(1));
    match kind {
        0 => (format!("{} = 1", keys(depth)), 64, false),
        1 => (format!("[{}]\nk = 1", keys(depth)), 64, false),
        // An array of tables is two levels: the array and its table.
        2 => (format!("[[{}]]\nk = 1", keys(depth)), 63, false),
        3 => (
            format!("a = {}1{}", "[".repeat(depth), "]".repeat(depth)),
            64,
            false,
        ),
        4 => (
            format!("a = {}1{}", "{b=".repeat(depth), "}".repeat(depth)),
            64,
            false,
        ),
        5 => (
            format!("{}1{}", "[".repeat(depth), "]".repeat(depth)),
            64,
            true,
        ),
        _ => (
            format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth)),
            64,
            true,
        ),
    }
}

fn parsed(text: &str, is_json: bool) -> Result<serde_json::Value, String> {
    if is_json {
        json::parse(text).map_err(|e| e.to_string())
    } else {
        toml_reader::parse(text).map_err(|e| e.to_string())
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn nesting_of_each_kind_is_read_up_to_its_bound(kind in 0usize..7, depth in 0usize..200) {
        let (text, most, is_json) = nesting(kind, depth);
        let depth = if kind <= 2 { depth.max(1) } else { depth };
        match parsed(&text, is_json) {
            Ok(_) => prop_assert!(depth <= most, "read {depth} levels: {text}"),
            Err(e) => {
                prop_assert!(depth > most, "refused {depth} levels: {e}");
                prop_assert!(e.contains(" 64 "), "{e}");
            }
        }
    }

    /// A header, a dotted key under it and arrays in its value add up.
    #[test]
    fn nesting_adds_up_across_headers_keys_and_values(
        header in 1usize..70,
        key in 1usize..70,
        arrays in 0usize..70,
    ) {
        let text = format!(
            "[{}]\n{} = {}1{}",
            repeat("t", ".", header),
            repeat("k", ".", key),
            "[".repeat(arrays),
            "]".repeat(arrays)
        );
        let fits = header <= 64 && key <= 64 && header + key - 1 + arrays <= 64;
        let read = toml_reader::parse(&text);
        prop_assert_eq!(read.is_ok(), fits, "{:?}", read);
    }

    #[test]
    fn keys_are_read_up_to_their_bound(key in "[a-zé_]{0,300}", quote in 0usize..4) {
        let bare = key.is_ascii() && !key.is_empty();
        let text = match quote {
            0 if bare => format!("{key} = 1"),
            0 | 1 => format!("\"{key}\" = 1"),
            2 => format!("[t.'{key}']"),
            _ => format!("{{\"{key}\": 1}}"),
        };
        let read = parsed(&text, quote == 3);
        prop_assert_eq!(read.is_ok(), key.len() <= 256, "{:?}", read);
        if let Err(e) = read {
            prop_assert!(e.contains("a key may be at most 256 bytes"), "{}", e);
        }
    }

    #[test]
    fn many_keys_are_read(count in 0usize..3000, shape in 0usize..4) {
        let items: Vec<String> = (0..count).map(|i| format!("k{i} = {i}")).collect();
        let text = match shape {
            0 => items.join("\n"),
            1 => format!("t = {{ {} }}", items.join(", ")),
            2 => items.iter().map(|kv| format!("[[t]]\n{kv}")).collect::<Vec<_>>().join("\n"),
            _ => (0..count).map(|i| format!("[t.k{i}]\nx = {i}")).collect::<Vec<_>>().join("\n"),
        };
        prop_assert!(toml_reader::parse(&text).is_ok(), "{}", text);
        let object: Vec<String> = (0..count).map(|i| format!("\"k{i}\": {i}")).collect();
        let json_text = format!("{{{}}}", object.join(", "));
        prop_assert_eq!(json::parse(&json_text).unwrap().as_object().unwrap().len(), count);
    }

    /// Anything at all, after a byte-order mark: read or refused, the same
    /// as without the mark.
    #[test]
    fn random_text_after_a_mark_is_read_or_refused(
        bytes in prop::collection::vec(any::<u8>(), 0..600),
        near in r#"[\[\]{}=.,"'ab01 \n#\\:-]{0,200}"#,
    ) {
        for text in [String::from_utf8_lossy(&bytes).into_owned(), near] {
            let marked = format!("{BOM}{text}");
            prop_assert_eq!(toml_reader::parse(&marked), toml_reader::parse(&text));
            prop_assert_eq!(json::parse(&marked), json::parse(&text));
            let scenario = |t: &str| Scenario::parse(t).map_err(|e| e.to_string());
            prop_assert_eq!(scenario(&marked), scenario(&text));
            let lesson = |t: &str| Lesson::read(t).map_err(|e| e.to_string());
            prop_assert_eq!(lesson(&marked), lesson(&text));
        }
    }
}
