//! The shape of the source, checked: modules import each other without
//! cycles, the format readers are a leaf, and no function is longer than
//! 70 lines except the declarative tables named below. Read from the files
//! themselves, so a change that breaks the shape fails here.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The longest a function may be (TIGER_STYLE's limit).
const FUNCTION_LINES_MAX: usize = 70;

/// Functions that are one declarative table each, allowed to be long:
/// `(file under the repository, function)`.
const LONG_TABLES: &[(&str, &str)] = &[];

/// The format readers import only each other.
const FORMAT_LEAF: &[&str] = &["problem", "number", "toml_reader", "json"];

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|x| x == "rs") {
            out.push(path);
        }
    }
}

/// The source with comments, strings and char literals blanked out (line
/// breaks kept), so braces and `crate::` are only code's.
fn code_only(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        let skip = literal_or_comment_len(&text[i..]);
        if skip > 0 {
            out.extend(text[i..i + skip].chars().filter(|&c| c == '\n'));
            i += skip;
        } else {
            let c = text[i..].chars().next().unwrap();
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// Bytes of the comment or literal `rest` starts with, or 0.
fn literal_or_comment_len(rest: &str) -> usize {
    if rest.starts_with("//") {
        return rest.find('\n').unwrap_or(rest.len());
    }
    if rest.starts_with("/*") {
        return rest.find("*/").map_or(rest.len(), |e| e + 2);
    }
    if let Some((open, hashes)) = raw_string_opening(rest) {
        let close = format!("\"{}", "#".repeat(hashes));
        return rest[open..]
            .find(&close)
            .map_or(rest.len(), |e| open + e + close.len());
    }
    if rest.starts_with('"') {
        return quoted_len(rest, '"');
    }
    if rest.starts_with('\'') {
        // A char literal ('x', '\n', '\u{..}'), not a lifetime ('a).
        let len = quoted_len(rest, '\'');
        if len > 2 {
            let inner = &rest[1..len - 1];
            if inner.chars().count() == 1 || inner.starts_with('\\') {
                return len;
            }
        }
    }
    0
}

/// `r"`, `r#"`, `br##"`…: the opening's length and its number of `#`.
fn raw_string_opening(rest: &str) -> Option<(usize, usize)> {
    let after_r = rest.strip_prefix("br").or_else(|| rest.strip_prefix('r'))?;
    let hashes = after_r.len() - after_r.trim_start_matches('#').len();
    let prefix = rest.len() - after_r.len();
    after_r[hashes..]
        .starts_with('"')
        .then_some((prefix + hashes + 1, hashes))
}

fn quoted_len(rest: &str, quote: char) -> usize {
    let mut escaped = false;
    for (i, c) in rest.char_indices().skip(1) {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '\n' if quote == '\'' => return 0,
            c if c == quote => return i + 1,
            _ => {}
        }
    }
    0
}

/// The code before the file's `#[cfg(test)]` module: tests may import
/// anything.
fn non_test_code(text: &str) -> String {
    let code = code_only(text);
    match code.find("#[cfg(test)]\nmod ") {
        Some(at) => code[..at].to_string(),
        None => code,
    }
}

/// Top-level module of each file under `src` -> the crate's top-level
/// modules it names through `crate::`.
fn module_imports(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let mut imports: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let rel = file.strip_prefix(src).unwrap();
        let top = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        let module = top.trim_end_matches(".rs").to_string();
        if module == "lib" || module == "main" {
            continue;
        }
        if is_test_module(rel) {
            continue;
        }
        let code = non_test_code(&std::fs::read_to_string(&file).unwrap());
        let named = imports.entry(module.clone()).or_default();
        named.extend(crate_paths(&code).into_iter().filter(|m| *m != module));
    }
    imports
}

/// A test module in a file of its own (`foo/tests.rs`, `engine/tests/…`).
fn is_test_module(rel: &Path) -> bool {
    rel.components()
        .any(|c| c.as_os_str() == "tests" || c.as_os_str() == "tests.rs")
}

/// `crate::a::…` and `crate::{a, b::c}` -> a, b.
fn crate_paths(code: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for (at, _) in code.match_indices("crate::") {
        let rest = &code[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let group = &group[..group.find('}').unwrap_or(group.len())];
            found.extend(group.split(',').filter_map(|part| first_ident(part.trim())));
        } else {
            found.extend(first_ident(rest));
        }
    }
    found
}

fn first_ident(text: &str) -> Option<String> {
    let end = text
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(text.len());
    (end > 0).then(|| text[..end].to_string())
}

/// A cycle through `start`, as module names, if there is one.
fn cycle_from(imports: &BTreeMap<String, BTreeSet<String>>, start: &str) -> Option<Vec<String>> {
    let mut stack = vec![vec![start.to_string()]];
    let mut seen = BTreeSet::new();
    while let Some(path) = stack.pop() {
        let last = path.last().unwrap();
        for next in imports.get(last).into_iter().flatten() {
            if next == start {
                return Some([path.clone(), vec![next.clone()]].concat());
            }
            if seen.insert(next.clone()) {
                stack.push([path.clone(), vec![next.clone()]].concat());
            }
        }
    }
    None
}

fn assert_acyclic(src: &Path) {
    let imports = module_imports(src);
    assert!(
        imports.len() > 3,
        "no modules found under {}",
        src.display()
    );
    for module in imports.keys() {
        if let Some(cycle) = cycle_from(&imports, module) {
            panic!("{}: import cycle {}", src.display(), cycle.join(" -> "));
        }
    }
}

#[test]
fn core_modules_import_each_other_without_cycles() {
    assert_acyclic(&repo().join("crates/core/src"));
}

#[test]
fn xtask_modules_import_each_other_without_cycles() {
    assert_acyclic(&repo().join("xtask/src"));
}

#[test]
fn the_format_readers_are_a_leaf() {
    let imports = module_imports(&repo().join("crates/core/src"));
    for module in FORMAT_LEAF {
        let named = imports
            .get(*module)
            .unwrap_or_else(|| panic!("no module {module}"));
        let outside: Vec<_> = named
            .iter()
            .filter(|m| !FORMAT_LEAF.contains(&m.as_str()))
            .collect();
        assert!(
            outside.is_empty(),
            "{module} imports {outside:?} from outside the format readers"
        );
    }
}

#[test]
fn presets_sit_above_scenario() {
    let imports = module_imports(&repo().join("crates/core/src"));
    assert!(imports["presets"].contains("scenario"));
    assert!(
        !imports["scenario"].contains("presets"),
        "scenario imports presets"
    );
}

/// `(line of the fn, name, lines from the fn to its closing brace)`.
fn functions(code: &str) -> Vec<(usize, String, usize)> {
    let lines: Vec<&str> = code.lines().collect();
    let mut found = Vec::new();
    for (at, line) in lines.iter().enumerate() {
        let Some(name) = fn_name(line) else { continue };
        if let Some(end) = closing_line(&lines[at..]) {
            found.push((at + 1, name, end + 1));
        }
    }
    found
}

/// The name a line declares with `fn`, if it declares one.
fn fn_name(line: &str) -> Option<String> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let at = words.iter().position(|w| *w == "fn")?;
    let leading = ["pub", "const", "async", "unsafe", "extern"];
    let before_ok = words[..at]
        .iter()
        .all(|w| leading.contains(w) || w.starts_with("pub(") || w.starts_with("\""));
    let name = first_ident(words.get(at + 1)?)?;
    before_ok.then_some(name)
}

/// Lines from the first to the line that closes the body; `None` for a
/// declaration without one (a trait method).
fn closing_line(lines: &[&str]) -> Option<usize> {
    let mut depth = 0i64;
    let mut opened = false;
    for (i, line) in lines.iter().enumerate() {
        for c in line.chars() {
            match c {
                '{' => (depth, opened) = (depth + 1, true),
                '}' => depth -= 1,
                ';' if !opened => return None,
                _ => {}
            }
            if opened && depth == 0 {
                return Some(i);
            }
        }
    }
    None
}

#[test]
fn no_function_is_longer_than_seventy_lines() {
    let root = repo();
    let mut files = Vec::new();
    for dir in [
        "crates/core/src",
        "crates/core/tests",
        "crates/harness",
        "xtask/src",
        "src",
    ] {
        rust_files(&root.join(dir), &mut files);
    }
    files.retain(|f| !f.components().any(|c| c.as_os_str() == "target"));
    let mut long = Vec::new();
    for file in &files {
        let rel = file
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let code = code_only(&std::fs::read_to_string(file).unwrap());
        for (line, name, length) in functions(&code) {
            let allowed = LONG_TABLES.iter().any(|(f, n)| *f == rel && *n == name);
            if length > FUNCTION_LINES_MAX && !allowed {
                long.push(format!("{rel}:{line} {name} is {length} lines"));
            }
        }
    }
    assert!(files.len() > 50, "found only {} files", files.len());
    assert!(
        long.is_empty(),
        "longer than {FUNCTION_LINES_MAX} lines:\n{}",
        long.join("\n")
    );
}

#[test]
fn the_checker_sees_a_long_function_and_ignores_strings() {
    let body = "    x += 1;\n".repeat(80);
    let code = code_only(&format!(
        "fn short() {{ let s = \"}}\"; let c = '{{'; }}\nfn long<'a>() {{\n{body}}}\n"
    ));
    let found = functions(&code);
    assert_eq!(found.len(), 2, "{found:?}");
    assert_eq!((found[0].1.as_str(), found[0].2), ("short", 1));
    assert_eq!((found[1].1.as_str(), found[1].2), ("long", 82));
    assert_eq!(
        crate_paths("use crate::{a, b::c};\nlet x = crate::d::e;"),
        ["a", "b", "d"].map(String::from).into()
    );
}

#[test]
fn the_checker_finds_a_cycle() {
    let graph = |edges: &[(&str, &str)]| {
        let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (a, b) in edges {
            g.entry(a.to_string()).or_default().insert(b.to_string());
        }
        g
    };
    let acyclic = graph(&[("a", "b"), ("b", "c"), ("a", "c")]);
    assert_eq!(cycle_from(&acyclic, "a"), None);
    let cyclic = graph(&[("a", "b"), ("b", "c"), ("c", "a")]);
    assert_eq!(cycle_from(&cyclic, "b").unwrap(), ["b", "c", "a", "b"]);
}
