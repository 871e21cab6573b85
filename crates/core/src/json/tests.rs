use super::*;
use serde_json::json;

fn agree(text: &str) {
    let ours = parse(text);
    let theirs: Result<Value, _> = serde_json::from_str(text);
    match (&ours, &theirs) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "{text}"),
        (Err(_), Err(_)) => {}
        _ => panic!("{text}: ours {ours:?}, serde_json {theirs:?}"),
    }
}

#[test]
fn edge_cases_agree_with_serde_json() {
    for text in [
        "0",
        "-0",
        "-1",
        "12",
        "1.5",
        "-2.5e3",
        "1E400",
        "1e-400",
        "18446744073709551615",
        "18446744073709551616",
        "-9223372036854775808",
        "-9223372036854775809",
        "0.1",
        "123456789012345678901234567890",
        "2.2250738585072014e-308",
        "true",
        "false",
        "null",
        r#""a\"b\\c\/d\b\f\n\r\t""#,
        r#""\u00e9\u20ac\ud83d\ude00""#,
        "\"plain ünïcödé €\"",
        "[]",
        "{}",
        " [ 1 , 2 , [ 3 ] ] ",
        r#"{"a": {"b": [true, null]}, "c": "d"}"#,
        r#"[{"a": 1}, {"a": 2}, {"b": {"a": {"a": 3}}}]"#,
        // Broken: each must be refused by both.
        "",
        "01",
        "1.",
        ".5",
        "-",
        "1e",
        "+1",
        "[1,]",
        "[1 2]",
        "{\"a\" 1}",
        "{a: 1}",
        "{\"a\": 1,}",
        "\"open",
        "\"tab\there\"",
        r#""\x""#,
        r#""\ud83d""#,
        r#""\udc00x""#,
        r#""\u12""#,
        "tru",
        "nul",
        "[1] 2",
        "NaN",
        "Infinity",
    ] {
        agree(text);
    }
}

#[test]
fn every_shipped_trace_and_scenario_reads_as_serde_json_reads_it() {
    for name in crate::presets::names() {
        agree(&crate::presets::load(name).unwrap().to_json());
    }
    for name in ["checkout-spike", "sockshop-outage", "python-leaks"] {
        let mut scenario = crate::presets::load(name).unwrap();
        scenario.duration = crate::units::Dur::secs(10 * 60);
        agree(&crate::engine::simulate(&scenario).to_json());
    }
}

#[test]
fn written_text_is_serde_json_text() {
    let values = [
        json!(null),
        json!([]),
        json!({}),
        json!([[], {}, [1, [2, {"a": []}]]]),
        json!({"b": true, "a": false, "n": null, "u": u64::MAX, "i": i64::MIN}),
        json!({"s": "quote \" back \\ slash / nl \n cr \r tab \t bs \u{8} ff \u{c}"}),
        json!(["\u{0}\u{1f}\u{7f} é € 😀", {"nested": {"deeper": [0, -1]}}]),
        json!({"float": 1.5, "whole": 2.0, "neg": -0.25}),
    ];
    for value in values {
        assert_eq!(to_compact(&value), serde_json::to_string(&value).unwrap());
        assert_eq!(
            to_pretty(&value),
            serde_json::to_string_pretty(&value).unwrap()
        );
        assert_eq!(parse(&to_pretty(&value)).unwrap(), value);
    }
}

#[test]
fn floats_are_plain_decimals_that_read_back_to_the_same_bits() {
    for f in [
        0.1,
        -0.0,
        1.0,
        1e-7,
        1e21,
        2.5e15,
        123_456.789,
        5e-324,
        f64::MIN_POSITIVE,
        f64::MAX,
        -f64::MAX,
    ] {
        let text = to_compact(&json!(f));
        assert!(!text.contains('e') && text.contains('.'), "{text}");
        let ours = parse(&text).unwrap().as_f64().unwrap();
        let theirs: f64 = serde_json::from_str(&text).unwrap();
        assert_eq!(ours.to_bits(), f.to_bits(), "{text}");
        assert_eq!(theirs.to_bits(), f.to_bits(), "{text}");
    }
}

#[test]
fn errors_name_line_and_column() {
    let e = parse("{\n  \"a\": 1,\n  \"b\": tru\n}").unwrap_err();
    assert_eq!((e.line, e.column), (3, 7), "{e}");
    assert!(e.to_string().contains("expected a value"), "{e}");
    let e = parse("[1, 2").unwrap_err();
    assert!(e.to_string().contains("found the end of the file"), "{e}");
}

fn error(text: &str) -> String {
    parse(text).unwrap_err().to_string()
}

#[test]
fn deep_nesting_is_refused_not_a_stack_overflow() {
    assert_eq!(
        error(&"[".repeat(100_000)),
        "nested more than 64 deep at line 1 column 64"
    );
    let objects = format!("{}1{}", "{\"a\": ".repeat(100_000), "}".repeat(100_000));
    assert_eq!(
        error(&objects),
        "nested more than 64 deep under `a.a.a.a.a.a.a.a.a.a.a.a.….a.a.a.a.a.a.a.a.a.a.a.a` \
         at line 1 column 384"
    );
    let mixed = format!("{{\"x\": [{}", "{\"y\": [".repeat(50_000));
    assert!(error(&mixed).starts_with("nested more than 64 deep under `x.y.y"));
    let most = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
    assert!(parse(&most).is_ok());
    let over = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
    assert!(parse(&over).is_err());
}

#[test]
fn a_key_given_twice_is_refused() {
    assert_eq!(
        error("{\n  \"a\": 1,\n  \"a\": 2\n}"),
        "key `a` is defined twice at line 3 column 2"
    );
    assert_eq!(
        error(r#"{"x": {"b": 1, "c": 2, "b": 3}}"#),
        "key `b` is defined twice at line 1 column 23"
    );
    // An escape spells the same key.
    assert!(error(r#"{"é": 1, "\u00e9": 2}"#).starts_with("key `é` is defined twice"));
    // serde_json keeps the last value; this reader is as strict as TOML.
    assert!(serde_json::from_str::<Value>(r#"{"a": 1, "a": 2}"#).is_ok());
}

#[test]
fn long_keys_are_refused() {
    let most = "k".repeat(MAX_KEY_BYTES);
    assert!(parse(&format!("{{\"{most}\": 1}}")).is_ok());
    let long = format!("{{\"a\": 1, \"{}\": 1}}", "k".repeat(200_000));
    assert_eq!(
        error(&long),
        "key `kkkkkkkkkkkkkkkkkkkkkkkk…kkkkkkkkkkkkkkkkkkkkkkkk` is 200000 bytes long; \
         a key may be at most 256 bytes at line 1 column 9"
    );
    let escaped = format!("{{\"{}\\n\": 1}}", "x".repeat(300));
    assert!(!error(&escaped).contains('\n'), "{}", error(&escaped));
}

#[test]
fn the_number_of_keys_is_bounded() {
    let text = r#"[{"a": 1}, {"b": {"c": 2}}, {"d": 3}]"#;
    assert!(parse_with(text, 4).is_ok());
    assert_eq!(
        parse_with(text, 2).unwrap_err().to_string(),
        "key `c` is one too many: a document may have at most 2 keys at line 1 column 18"
    );
    // Every trace the engine can write reads back: 256 pods of
    // MAX_POD_CHANGES changes of 4 keys, and MAX_LOG_EVENTS events of 5.
    const {
        use crate::telemetry::{MAX_LOG_EVENTS, MAX_POD_CHANGES};
        assert!(MAX_KEYS > 256 * MAX_POD_CHANGES * 4 + MAX_LOG_EVENTS * 5);
    }
}

#[test]
fn a_byte_order_mark_is_skipped() {
    assert_eq!(parse("\u{feff}{\"a\": [1]}").unwrap(), json!({"a": [1]}));
    // Columns are counted after it, as an editor shows them.
    assert_eq!(error("\u{feff}[1, x]"), error("[1, x]"));
    assert!(parse("[1]\u{feff}").is_err());
    assert!(parse("\u{feff}\u{feff}[1]").is_err());
}
