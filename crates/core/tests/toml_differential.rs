//! `toml_reader` against the `toml` crate on generated documents.
//!
//! The documents are built from a small alphabet of keys, so headers,
//! dotted keys, arrays of tables and inline tables collide often: that is
//! where the specification's table rules live. Both readers must accept the
//! same documents and produce the same values.

use incident_core::toml_reader;
use proptest::prelude::*;

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("a".to_string()),
        Just("b".to_string()),
        Just("c".to_string()),
        Just("\"a\"".to_string()),
        Just("'b'".to_string()),
        Just("\"x y\"".to_string()),
    ]
}

fn dotted() -> impl Strategy<Value = String> {
    prop::collection::vec(key(), 1..4).prop_map(|keys| keys.join("."))
}

fn scalar() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("1".to_string()),
        Just("-7".to_string()),
        Just("1_000".to_string()),
        Just("0x1F".to_string()),
        Just("2.5".to_string()),
        Just("1e-3".to_string()),
        Just("true".to_string()),
        Just("\"s\\t\\u00e9\"".to_string()),
        Just("'lit'".to_string()),
        Just("\"\"\"\nml\\\n  x\"\"\"".to_string()),
        Just("01".to_string()),
        Just("1.".to_string()),
    ]
}

fn value() -> impl Strategy<Value = String> {
    scalar().prop_recursive(3, 12, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(|v| format!("[{}]", v.join(", "))),
            prop::collection::vec((dotted(), inner), 0..3).prop_map(|kv| {
                let pairs: Vec<String> =
                    kv.into_iter().map(|(k, v)| format!("{k} = {v}")).collect();
                format!("{{ {} }}", pairs.join(", "))
            }),
        ]
    })
}

fn line() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => (dotted(), value()).prop_map(|(k, v)| format!("{k} = {v}")),
        1 => dotted().prop_map(|k| format!("[{k}]")),
        1 => dotted().prop_map(|k| format!("[[{k}]]")),
        1 => Just("# comment".to_string()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn reads_like_the_toml_crate(lines in prop::collection::vec(line(), 0..8)) {
        let text = lines.join("\n");
        let ours = toml_reader::parse(&text).ok();
        let theirs = text
            .parse::<toml::Table>()
            .ok()
            .map(|t| serde_json::to_value(t).unwrap());
        prop_assert_eq!(ours, theirs, "document:\n{}", text);
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(20_000))]

    /// `units::parse_f64` gives the standard parser's answer, bit for bit.
    #[test]
    fn parse_f64_matches_the_standard_parser(
        whole in "[0-9]{0,20}",
        frac in proptest::option::of("[0-9]{0,20}"),
        exp in proptest::option::of(-330i32..330),
        negative in proptest::bool::ANY,
    ) {
        let mut text = String::new();
        if negative { text.push('-'); }
        text.push_str(&whole);
        if let Some(f) = &frac { text.push('.'); text.push_str(f); }
        if let Some(e) = exp { text.push_str(&format!("e{e}")); }
        let std = text.parse::<f64>().ok().filter(|v| v.is_finite());
        let ours = incident_core::units::parse_f64(&text);
        proptest::prop_assert_eq!(ours.map(f64::to_bits), std.map(f64::to_bits), "{}", text);
    }
}
