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
    "\u{feff}# a byte-order mark first\na = 1",
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

/// `n` copies of `part` joined by `sep`.
fn repeat(part: &str, sep: &str, n: usize) -> String {
    vec![part; n].join(sep)
}

fn error(text: &str) -> String {
    parse(text).unwrap_err().to_string()
}

#[test]
fn deep_arrays_are_refused_not_a_stack_overflow() {
    let deep = format!("x = 1\na = {}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert_eq!(
        error(&deep),
        "line 2: the value of `a` nests deeper than 64 levels"
    );
    let most = format!("a = {}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
    assert!(parse(&most).is_ok());
    let over = format!(
        "a = {}{}",
        "[".repeat(MAX_DEPTH + 1),
        "]".repeat(MAX_DEPTH + 1)
    );
    assert!(parse(&over).is_err());
}

#[test]
fn deep_inline_tables_are_refused() {
    let deep = format!("a = {}1{}", "{ b = ".repeat(100_000), " }".repeat(100_000));
    assert_eq!(
        error(&deep),
        "line 1: the value of `a.b.b.b.b.b.b.b.b.b.b.b.….b.b.b.b.b.b.b.b.b.b.b.b` nests deeper than 64 levels"
    );
    let most = format!(
        "a = {}1{}",
        "{ b = ".repeat(MAX_DEPTH),
        " }".repeat(MAX_DEPTH)
    );
    assert!(parse(&most).is_ok());
    // Dotted keys inside inline tables count: 7 levels of 10 are 70.
    let dotted = format!(
        "a = {}1{}",
        format!("{{ {} = ", repeat("b", ".", 10)).repeat(7),
        " }".repeat(7)
    );
    assert!(error(&dotted).ends_with("nests deeper than 64 levels"));
}

#[test]
fn deep_dotted_keys_are_refused_fast() {
    let deep = format!("{} = 1", repeat("a", ".", 100_000));
    assert_eq!(
        error(&deep),
        "line 1: `a.a.a.a.a.a.a.a.a.a.a.a.….a.a.a.a.a.a.a.a.a.a.a.a.…` nests deeper than 64 levels"
    );
    assert!(parse(&format!("{} = 1", repeat("a", ".", MAX_DEPTH))).is_ok());
    assert!(parse(&format!("{} = 1", repeat("a", ".", MAX_DEPTH + 1))).is_err());
    // Under a header the header's tables count too.
    let under = format!("[t.u]\n{} = 1", repeat("a", ".", MAX_DEPTH));
    assert_eq!(
        error(&under),
        "line 2: `t.u.a.a.a.a.a.a.a.a.a.a.….a.a.a.a.a.a.a.a.a.a.a.a` nests deeper than 64 levels"
    );
    let inside = format!("a = {{ {} = 1 }}", repeat("b", ".", 100_000));
    assert!(error(&inside).ends_with("nests deeper than 64 levels"));
    // A header's depth and its value's arrays add up.
    let both = format!("[{}]\nx = [[[[[1]]]]]", repeat("t", ".", 60));
    assert_eq!(
        error(&both),
        "line 2: the value of `t.t.t.t.t.t.t.t.t.t.t.t.….t.t.t.t.t.t.t.t.t.t.t.x` nests deeper than 64 levels"
    );
}

#[test]
fn deep_headers_are_refused_fast() {
    let deep = format!("a = 1\n[{}]\n", repeat("a", ".", 100_000));
    assert_eq!(
        error(&deep),
        "line 2: `a.a.a.a.a.a.a.a.a.a.a.a.….a.a.a.a.a.a.a.a.a.a.a.a.…` nests deeper than 64 levels"
    );
    let deep_array = format!("[[{}]]", repeat("a", ".", 100_000));
    assert!(error(&deep_array).ends_with("nests deeper than 64 levels"));
    assert!(parse(&format!("[{}]\nk = 1", repeat("a", ".", MAX_DEPTH))).is_ok());
    // An array of tables is two levels: the array and its table.
    let array = format!("[[{}]]", repeat("a", ".", MAX_DEPTH));
    assert_eq!(
        error(&array),
        "line 1: array of tables [[a.a.a.a.a.a.a.a.a.a.a.a.….a.a.a.a.a.a.a.a.a.a.a.a]] nests deeper than 64 levels"
    );
    assert!(parse(&format!("[[{}]]\nk = 1", repeat("a", ".", MAX_DEPTH - 1))).is_ok());
}

#[test]
fn long_keys_are_refused() {
    let most = "k".repeat(MAX_KEY_BYTES);
    assert!(parse(&format!("{most} = 1\n[t.\"{most}\"]")).is_ok());
    let long = "k".repeat(200_000);
    for text in [
        format!("{long} = 1"),
        format!("\"{long}\" = 1"),
        format!("'{long}' = 1"),
        format!("[a.{long}]"),
    ] {
        assert_eq!(
            error(&text),
            "line 1: key `kkkkkkkkkkkkkkkkkkkkkkkk…kkkkkkkkkkkkkkkkkkkkkkkk` is 200000 bytes long; a key may be at most 256 bytes"
        );
    }
    let over = format!("a = 1\nb = {{ \"{}\" = 1 }}", "é".repeat(129));
    assert_eq!(
        error(&over),
        "line 2: key `éééééééééééééééééééééééé…éééééééééééééééééééééééé` is 258 bytes long; a key may be at most 256 bytes"
    );
    // A message stays on one line.
    let control = format!("\"{}\\n\" = 1", "x".repeat(300));
    assert!(!error(&control).contains('\n'), "{}", error(&control));
}

#[test]
fn the_number_of_keys_is_bounded() {
    let most = "[[a]]\n".repeat(MAX_KEYS);
    assert!(parse(&most).is_ok());
    let over = format!("{most}[[a]]\n");
    assert_eq!(
        error(&over),
        "line 100001: key `a` is one too many: a document may write at most 100000 keys"
    );
    let inline = format!("a = [{}]", "{ b = 1 }, ".repeat(MAX_KEYS));
    assert!(error(&inline)
        .ends_with("key `b` is one too many: a document may write at most 100000 keys"));
}

/// Headers under one table each asked whether that table was open by
/// looking at every header: a file of headers took time with its square.
#[test]
fn many_headers_take_linear_time() {
    let mut text = String::from("[x.y]\n");
    for i in 0..25_000 {
        text.push_str(&format!("[b{i}]\n"));
    }
    for i in 0..25_000 {
        text.push_str(&format!("[x.z{i}]\n"));
    }
    let value = parse(&text).unwrap();
    assert_eq!(value["x"].as_object().unwrap().len(), 25_001);
}

#[test]
fn a_byte_order_mark_is_skipped() {
    assert_eq!(parse("\u{feff}a = 1").unwrap(), json!({"a": 1}));
    assert_eq!(parse("\u{feff}").unwrap(), json!({}));
    assert_eq!(error("\u{feff}a = 1\nb ="), error("a = 1\nb ="));
    // Only at the start: elsewhere it is a character like any other.
    assert!(error("a = 1\n\u{feff}b = 2").starts_with("line 2: expected a key"));
}

#[test]
fn values_have_json_types() {
    let v = parse("i = 3\nf = 3.0\ns = \"3\"\n[t]\nl = [1, \"a\"]").unwrap();
    assert_eq!(v, json!({"i": 3, "f": 3.0, "s": "3", "t": {"l": [1, "a"]}}));
    assert!(v["i"].is_i64() && v["f"].is_f64());
}
