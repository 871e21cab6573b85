use super::*;
use serde_json::json;

/// The reference: the `toml` crate, through the same JSON value.
fn reference(text: &str) -> Option<Value> {
    let table: toml::Table = text.parse().ok()?;
    serde_json::to_value(table).ok()
}

fn agree(text: &str) {
    let ours = parse(text);
    let theirs = reference(text);
    match (&ours, &theirs) {
        (Ok(a), Some(b)) => assert_eq!(a, b, "values differ for:\n{text}"),
        (Err(_), None) => {}
        _ => panic!("disagree on:\n{text}\nours: {ours:?}\ntoml: {theirs:?}"),
    }
}

#[test]
fn every_shipped_file_reads_as_the_toml_crate_reads_it() {
    let files = crate::presets::PRESET_FILES
        .iter()
        .chain(crate::presets::BASE_FILES);
    for (name, text) in files {
        assert!(parse(text).is_ok(), "{name}: {:?}", parse(text));
        agree(text);
    }
}

/// Documents both readers accept, and must read alike.
const VALID_EDGE_CASES: &[&str] = &[
    "",
    "# only a comment\n",
    "a = 1\r\nb = 2\r\n",
    "a = +1\nb = -0\nc = 1_000\nd = 0xDEAD_beef\ne = 0o17\nf = 0b1010",
    "a = 1.5\nb = -0.0\nc = 1e3\nd = 6.626e-34\ne = 1_000.5\nf = 3E+2",
    "a = true\nb = false",
    "s = \"tab\\there \\u00e9 \\U0001F600 \\\\ \\\"\"",
    "s = 'C:\\path\\no escapes'",
    "s = \"\"\"\nfirst\nsecond\"\"\"",
    "s = \"\"\"one \\\n    two\"\"\"",
    "s = \"\"\"quote at the end\"\"\"\"\"",
    "s = '''\nliteral\n  kept '''",
    "s = ''''quoted''''",
    "a = [1, 2, 3,]\nb = [\n  \"x\", # comment\n  \"y\"\n]\nc = [[1, 2], [\"a\"]]\nd = []",
    "t = { a = 1, b.c = \"x\" }\ne = {}",
    "[a]\nx = 1\n[a.b]\ny = 2",
    "[a.b]\ny = 2\n[a]\nx = 1",
    "[[t]]\nn = 1\n[[t]]\nn = 2\n[t.sub]\nk = 3",
    "[[a.b]]\n[a]\nc = 1",
    "x.y.z = 1\nx.y.w = 2",
    "\"quoted key\" = 1\n'lit key' = 2\n\"\" = 3",
    "[ a . \"b c\" . d ]\nk = 1",
    "a = 1 # trailing\n[b] # header comment\n",
    "key-with-dash_and_underscore = 1\n1234 = 2",
    "[services.checkout]\nkind = \"go-checkout\"\n[services.checkout.go]\ngogc = 100",
    "a = \"é ü 中文\"",
];

/// Documents both readers refuse.
const INVALID_EDGE_CASES: &[&str] = &[
    "a = 1\na = 2",
    "[a]\n[a]",
    "a = { b = 1 }\n[a]",
    "a = { b = 1 }\na.c = 2",
    "[a]\nb = 1\n[a.b]",
    "a.b = 1\n[a.b]",
    "a = [1]\n[[a]]",
    "[[a]]\n[a]",
    "a = 01",
    "a = 1__0",
    "a = _1",
    "a = 1_",
    "a = 1.",
    "a = .5",
    "a = 1e",
    "a = 0x",
    "a = -0x10",
    "a = 9223372036854775808",
    "a = \"unclosed",
    "a = \"bad \\q escape\"",
    "a = \"line\nbreak\"",
    "a = 'unclosed",
    "a = { b = 1, }",
    "a = { b = 1\n}",
    "a = [1, 2",
    "a = [1 2]",
    "a = tru",
    "a =",
    "= 1",
    "a = 1 b = 2",
    "[a",
    "[[a]",
    "a = \"\\uD800\"",
    "a = \"\"\"too many\"\"\"\"\"\"",
    "\"\"\"key\"\"\" = 1",
    "a = 1\n[a]",
    "a = \"ctrl \u{1} char\"",
    "# ctrl \u{1} in comment",
];

#[test]
fn edge_cases_agree_with_the_toml_crate() {
    for text in VALID_EDGE_CASES {
        assert!(
            parse(text).is_ok(),
            "should read: {text:?}: {:?}",
            parse(text)
        );
        agree(text);
    }
    for text in INVALID_EDGE_CASES {
        assert!(
            parse(text).is_err(),
            "should refuse: {text:?}: {:?}",
            parse(text)
        );
        agree(text);
    }
}

#[test]
fn dates_and_non_finite_numbers_are_refused_with_a_reason() {
    let e = parse("when = 1979-05-27T07:32:00Z").unwrap_err();
    assert!(e.message.contains("dates and times"), "{e}");
    let e = parse("at = 07:32:00").unwrap_err();
    assert!(e.message.contains("dates and times"), "{e}");
    let e = parse("x = inf").unwrap_err();
    assert!(e.message.contains("infinity and NaN"), "{e}");
    let e = parse("x = -nan").unwrap_err();
    assert!(e.message.contains("infinity and NaN"), "{e}");
}

#[test]
fn errors_name_their_line() {
    let e = parse("a = 1\nb = 2\n\nc = \n").unwrap_err();
    assert_eq!(e.line, 4);
    assert!(e.message.starts_with("expected a value"), "{e}");
    let e = parse("[x]\nk = 1\n[x]\n").unwrap_err();
    assert_eq!(e.to_string(), "line 3: table [x] is defined twice");
}

#[test]
fn deep_nesting_is_refused_not_a_stack_overflow() {
    let deep = format!("a = {}{}", "[".repeat(10_000), "]".repeat(10_000));
    assert!(parse(&deep).unwrap_err().message.contains("nest deeper"));
    let ok = format!("a = {}{}", "[".repeat(20), "]".repeat(20));
    assert!(parse(&ok).is_ok());
}

#[test]
fn values_have_json_types() {
    let v = parse("i = 3\nf = 3.0\ns = \"3\"\n[t]\nl = [1, \"a\"]").unwrap();
    assert_eq!(v, json!({"i": 3, "f": 3.0, "s": "3", "t": {"l": [1, "a"]}}));
    assert!(v["i"].is_i64() && v["f"].is_f64());
}
