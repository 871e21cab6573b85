//! A TOML 1.0 reader that produces a JSON value.
//!
//! Scenario and lesson files are TOML, and the browser must read them. The
//! `toml` crate with its parser and serde glue is about 45 KB of the app's
//! gzipped transfer budget of 300 KB; this reader is a tenth of that. Every
//! input format ends up as a `serde_json::Value` anyway (see `decode`), so
//! the reader builds one directly.
//!
//! It implements the whole of TOML 1.0 except dates and times, which no
//! scenario uses: a date is refused with a message that says so. Infinity
//! and NaN are refused too, because a JSON value cannot hold them. The
//! table rules (no table defined twice, no key added to an inline table,
//! arrays of tables) are those of the specification. The tests compare it
//! with the `toml` crate on every shipped file and on a corpus of edge cases.
//!
//! Files come from users, so the reader has a budget, and past it says
//! which line and key went over which limit: tables and arrays nest at most
//! `MAX_DEPTH` levels (whether made by `[headers]`, dotted keys, arrays or
//! inline tables), a key is at most `MAX_KEY_BYTES` long and a document
//! writes at most `MAX_KEYS` keys. Each part of a key costs a map lookup or
//! two however large the document is, so a hostile file is refused as fast
//! as a good file of its size is read. A leading byte-order mark is
//! skipped: some editors write one.

mod document;
mod strings;

use document::Document;
use serde_json::{Number, Value};
use std::fmt;

/// Tables and arrays nest at most this many levels below the document's
/// root, and a dotted key or header has at most this many parts. The JSON
/// reader uses the same limit. Shipped files nest at most 6 levels.
pub const MAX_DEPTH: usize = 64;

/// One key (one part of a dotted key) is at most this many bytes, in both
/// readers. The longest key in a shipped file is 43 bytes.
pub const MAX_KEY_BYTES: usize = 256;

/// A document writes at most this many keys, counting every part of every
/// key and header. The largest shipped file writes about 250.
pub const MAX_KEYS: usize = 100_000;

/// The byte-order mark some editors put first; both readers skip it.
pub(crate) const BOM: char = '\u{feff}';

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TomlError {
    /// 1-based line of the problem.
    pub line: usize,
    pub message: String,
}

impl fmt::Display for TomlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for TomlError {}

/// Parses a TOML document into a JSON object.
pub fn parse(text: &str) -> Result<Value, TomlError> {
    let text = text.strip_prefix(BOM).unwrap_or(text);
    let mut parser = Parser {
        text,
        bytes: text.as_bytes(),
        pos: 0,
        depth: 0,
        keys: 0,
        table: Vec::new(),
        field: Vec::new(),
    };
    let mut doc = Document::default();
    parser.document(&mut doc).map_err(|message| TomlError {
        line: line_at(text, parser.pos),
        message,
    })?;
    Ok(Value::Object(doc.root))
}

/// The 1-based line of byte `pos` (the JSON reader counts alike).
pub(crate) fn line_at(text: &str, pos: usize) -> usize {
    let end = pos.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// `text` for a message: control characters escaped, so the message stays
/// on one line, and cut to its start and end when it is long.
pub(crate) fn shorten(text: &str) -> String {
    const KEEP: usize = 24;
    let escaped = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_control() {
                    c.escape_debug().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect()
    };
    if text.chars().nth(2 * KEEP + 1).is_none() {
        return escaped(text);
    }
    let head_end = text.char_indices().nth(KEEP).map_or(0, |(i, _)| i);
    let tail_start = text
        .char_indices()
        .rev()
        .nth(KEEP - 1)
        .map_or(0, |(i, _)| i);
    format!(
        "{}…{}",
        escaped(&text[..head_end]),
        escaped(&text[tail_start..])
    )
}

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    /// Tables and arrays around the value being read, below the root.
    depth: usize,
    /// Keys written so far.
    keys: usize,
    /// The keys of the last `[header]`, and of the value being read below
    /// it: what a message about that value names.
    table: Vec<String>,
    field: Vec<String>,
}

type Parsed<T> = Result<T, String>;

fn is_bare_key_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

/// Control characters TOML allows nowhere but escaped (tab is fine).
fn is_forbidden_control(c: char) -> bool {
    (c < ' ' && c != '\t') || c == '\u{7f}'
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn peek_at(&self, offset: usize) -> Option<u8> {
        self.bytes.get(self.pos + offset).copied()
    }

    fn starts_with(&self, s: &str) -> bool {
        self.bytes[self.pos..].starts_with(s.as_bytes())
    }

    fn skip_spaces(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
    }

    /// A comment runs to the end of the line; the newline is not consumed.
    fn skip_comment(&mut self) -> Parsed<()> {
        if self.peek() != Some(b'#') {
            return Ok(());
        }
        let rest = &self.text[self.pos..];
        let end = rest.find('\n').unwrap_or(rest.len());
        let comment = rest[..end].strip_suffix('\r').unwrap_or(&rest[..end]);
        if let Some(c) = comment.chars().find(|&c| is_forbidden_control(c)) {
            return Err(format!("control character U+{:04X} in a comment", c as u32));
        }
        self.pos += comment.len();
        Ok(())
    }

    /// Consumes a newline (LF or CRLF); false when there is none here.
    fn newline(&mut self) -> bool {
        match (self.peek(), self.peek_at(1)) {
            (Some(b'\n'), _) => {
                self.pos += 1;
                true
            }
            (Some(b'\r'), Some(b'\n')) => {
                self.pos += 2;
                true
            }
            _ => false,
        }
    }

    /// After a key/value pair or a header: spaces, a comment, then the end
    /// of the line.
    fn end_of_line(&mut self) -> Parsed<()> {
        self.skip_spaces();
        self.skip_comment()?;
        if self.pos == self.bytes.len() || self.newline() {
            Ok(())
        } else {
            Err(format!(
                "expected the end of the line, found {}",
                self.found()
            ))
        }
    }

    fn found(&self) -> String {
        match self.text[self.pos..].chars().next() {
            None => "the end of the file".into(),
            Some('\n') | Some('\r') => "the end of the line".into(),
            Some(c) => format!("`{c}`"),
        }
    }

    fn document(&mut self, doc: &mut Document) -> Parsed<()> {
        loop {
            self.skip_spaces();
            self.skip_comment()?;
            if self.newline() {
                continue;
            }
            match self.peek() {
                None => return Ok(()),
                Some(b'[') if self.peek_at(1) == Some(b'[') => {
                    self.pos += 2;
                    self.header(doc, true)?;
                }
                Some(b'[') => {
                    self.pos += 1;
                    self.header(doc, false)?;
                }
                Some(_) => self.pair(doc)?,
            }
        }
    }

    /// After the opening `[` or `[[`.
    fn header(&mut self, doc: &mut Document, array: bool) -> Parsed<()> {
        let keys = self.header_keys()?;
        if array {
            self.expect_str("]]", "to close the [[array]] header")?;
            doc.open_array_element(&keys)?;
        } else {
            self.expect_str("]", "to close the [table] header")?;
            doc.open_table(&keys)?;
        }
        if doc.depth() > MAX_DEPTH {
            let shown = shorten(&keys.join("."));
            let header = if array {
                format!("array of tables [[{shown}]]")
            } else {
                format!("table [{shown}]")
            };
            return Err(format!("{header} nests deeper than {MAX_DEPTH} levels"));
        }
        self.table = keys;
        self.end_of_line()
    }

    /// A `key = value` line.
    fn pair(&mut self, doc: &mut Document) -> Parsed<()> {
        self.field = self.key()?;
        self.depth = self.pair_depth(doc.depth(), self.field.len())?;
        self.skip_spaces();
        self.expect_str("=", "after the key")?;
        self.skip_spaces();
        let value = self.value()?;
        self.depth = 0;
        doc.insert(&self.field, value)?;
        self.end_of_line()
    }

    /// The depth of the value of a key of `parts` parts (the last of
    /// `self.field`), set in a table `depth` levels down: each part but the
    /// last is a table.
    fn pair_depth(&self, depth: usize, parts: usize) -> Parsed<usize> {
        let depth = depth + parts - 1;
        if depth > MAX_DEPTH {
            return Err(format!(
                "{} nests deeper than {MAX_DEPTH} levels",
                self.name()
            ));
        }
        Ok(depth)
    }

    /// The key of the value being read, for a message: `table.field`.
    fn name(&self) -> String {
        let keys: Vec<&str> = self
            .table
            .iter()
            .chain(&self.field)
            .map(String::as_str)
            .collect();
        format!("`{}`", shorten(&keys.join(".")))
    }

    fn expect_str(&mut self, s: &str, why: &str) -> Parsed<()> {
        if self.starts_with(s) {
            self.pos += s.len();
            Ok(())
        } else {
            Err(format!("expected `{s}` {why}, found {}", self.found()))
        }
    }

    fn header_keys(&mut self) -> Parsed<Vec<String>> {
        self.skip_spaces();
        let keys = self.key()?;
        self.skip_spaces();
        Ok(keys)
    }

    /// A dotted key: `a`, `a.b`, `"quoted key".c`.
    fn key(&mut self) -> Parsed<Vec<String>> {
        let mut keys = vec![self.simple_key()?];
        loop {
            let save = self.pos;
            self.skip_spaces();
            if self.peek() == Some(b'.') {
                if keys.len() == MAX_DEPTH {
                    return Err(format!(
                        "`{}.…` nests deeper than {MAX_DEPTH} levels",
                        shorten(&keys.join("."))
                    ));
                }
                self.pos += 1;
                self.skip_spaces();
                keys.push(self.simple_key()?);
            } else {
                self.pos = save;
                return Ok(keys);
            }
        }
    }

    /// One key, counted against the document's budget.
    fn simple_key(&mut self) -> Parsed<String> {
        let key = self.key_text()?;
        self.keys += 1;
        if key.len() > MAX_KEY_BYTES {
            return Err(format!(
                "key `{}` is {} bytes long; a key may be at most {MAX_KEY_BYTES} bytes",
                shorten(&key),
                key.len()
            ));
        }
        if self.keys > MAX_KEYS {
            return Err(format!(
                "key `{}` is one too many: a document may write at most {MAX_KEYS} keys",
                shorten(&key)
            ));
        }
        Ok(key)
    }

    fn key_text(&mut self) -> Parsed<String> {
        match self.peek() {
            Some(b'"') => {
                if self.starts_with("\"\"\"") {
                    return Err("a key cannot be a multi-line string".into());
                }
                self.pos += 1;
                self.basic_string()
            }
            Some(b'\'') => {
                if self.starts_with("'''") {
                    return Err("a key cannot be a multi-line string".into());
                }
                self.pos += 1;
                self.literal_string()
            }
            Some(b) if is_bare_key_byte(b) => {
                let start = self.pos;
                while self.peek().is_some_and(is_bare_key_byte) {
                    self.pos += 1;
                }
                Ok(self.text[start..self.pos].to_string())
            }
            _ => Err(format!("expected a key, found {}", self.found())),
        }
    }

    fn value(&mut self) -> Parsed<Value> {
        match self.peek() {
            Some(b'"') if self.starts_with("\"\"\"") => {
                self.pos += 3;
                self.multiline_basic_string().map(Value::String)
            }
            Some(b'"') => {
                self.pos += 1;
                self.basic_string().map(Value::String)
            }
            Some(b'\'') if self.starts_with("'''") => {
                self.pos += 3;
                self.multiline_literal_string().map(Value::String)
            }
            Some(b'\'') => {
                self.pos += 1;
                self.literal_string().map(Value::String)
            }
            Some(b'[') => self.nested(Self::array),
            Some(b'{') => self.nested(Self::inline_table),
            Some(b't') if self.starts_with("true") => {
                self.pos += 4;
                Ok(Value::Bool(true))
            }
            Some(b'f') if self.starts_with("false") => {
                self.pos += 5;
                Ok(Value::Bool(false))
            }
            Some(b) if b.is_ascii_digit() || b == b'+' || b == b'-' || b == b'i' || b == b'n' => {
                self.number()
            }
            _ => Err(format!(
                "expected a value (a string, number, true, false, array or {{ table }}), found {}",
                self.found()
            )),
        }
    }

    fn nested(&mut self, parse: fn(&mut Self) -> Parsed<Value>) -> Parsed<Value> {
        if self.depth >= MAX_DEPTH {
            return Err(format!(
                "the value of {} nests deeper than {MAX_DEPTH} levels",
                self.name()
            ));
        }
        self.depth += 1;
        let value = parse(self);
        self.depth -= 1;
        value
    }

    /// Inside an array: spaces, newlines and comments.
    fn skip_array_space(&mut self) -> Parsed<()> {
        loop {
            self.skip_spaces();
            self.skip_comment()?;
            if !self.newline() {
                return Ok(());
            }
        }
    }

    fn array(&mut self) -> Parsed<Value> {
        self.pos += 1; // [
        let mut items = Vec::new();
        loop {
            self.skip_array_space()?;
            if self.peek() == Some(b']') {
                self.pos += 1;
                return Ok(Value::Array(items));
            }
            items.push(self.value()?);
            self.skip_array_space()?;
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Value::Array(items));
                }
                _ => {
                    return Err(format!(
                        "expected `,` or `]` in the array, found {}",
                        self.found()
                    ))
                }
            }
        }
    }

    fn inline_table(&mut self) -> Parsed<Value> {
        self.pos += 1; // {
        let mut doc = Document::default();
        self.skip_spaces();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Value::Object(doc.root));
        }
        loop {
            self.skip_spaces();
            let keys = self.key()?;
            let (outer, mark) = (self.depth, self.field.len());
            let parts = keys.len();
            self.field.extend(keys);
            self.depth = self.pair_depth(outer, parts)?;
            self.skip_spaces();
            self.expect_str("=", "after the key")?;
            self.skip_spaces();
            let value = self.value()?;
            self.depth = outer;
            doc.insert(&self.field[mark..], value)?;
            self.field.truncate(mark);
            self.skip_spaces();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Value::Object(doc.root));
                }
                _ => {
                    return Err(format!(
                        "expected `,` or `}}` in the inline table (which must fit on one line), found {}",
                        self.found()
                    ))
                }
            }
        }
    }

    fn number(&mut self) -> Parsed<Value> {
        let start = self.pos;
        while self.peek().is_some_and(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'_' | b'+' | b'-' | b'.' | b':')
        }) {
            self.pos += 1;
        }
        let token = &self.text[start..self.pos];
        let unsigned = token.trim_start_matches(['+', '-']);
        if looks_like_date(token) {
            return Err(format!(
                "`{token}`: dates and times are not used in scenario files"
            ));
        }
        if matches!(unsigned, "inf" | "nan") {
            return Err(format!("`{token}`: infinity and NaN are not allowed here"));
        }
        let fail = || format!("`{token}` is not a number");
        if let Some(rest) = token.strip_prefix("0x") {
            return radix_integer(rest, 16).ok_or_else(fail);
        }
        if let Some(rest) = token.strip_prefix("0o") {
            return radix_integer(rest, 8).ok_or_else(fail);
        }
        if let Some(rest) = token.strip_prefix("0b") {
            return radix_integer(rest, 2).ok_or_else(fail);
        }
        let is_float = unsigned.contains(['.', 'e', 'E']);
        let digits = clean_digits(token).ok_or_else(fail)?;
        if !decimal_shape_ok(unsigned, is_float) {
            return Err(fail());
        }
        if is_float {
            let v: f64 = crate::number::parse_f64(&digits).ok_or_else(fail)?;
            if !v.is_finite() {
                return Err(format!("`{token}` is too large for a number"));
            }
            Ok(Value::Number(Number::from_f64(v).ok_or_else(fail)?))
        } else {
            let v: i64 = digits
                .parse()
                .map_err(|_| format!("`{token}` does not fit in a 64-bit integer"))?;
            Ok(Value::from(v))
        }
    }
}

fn looks_like_date(token: &str) -> bool {
    let b = token.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|s| s.iter().all(u8::is_ascii_digit));
    (digits(0..4) && b.get(4) == Some(&b'-')) || (digits(0..2) && b.get(2) == Some(&b':'))
}

/// Removes underscores, which must each sit between two digits.
fn clean_digits(token: &str) -> Option<String> {
    let b = token.as_bytes();
    for (i, &c) in b.iter().enumerate() {
        if c == b'_' {
            let before = i.checked_sub(1).and_then(|j| b.get(j));
            let after = b.get(i + 1);
            if !before.is_some_and(u8::is_ascii_hexdigit)
                || !after.is_some_and(u8::is_ascii_hexdigit)
            {
                return None;
            }
        }
    }
    Some(token.replace('_', ""))
}

/// Decimal integers and floats: digits before any `.`, digits after it, no
/// leading zeros, an exponent with digits.
fn decimal_shape_ok(unsigned: &str, is_float: bool) -> bool {
    let s = unsigned.replace('_', "");
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s.as_str(), None),
    };
    let (int_part, frac) = match mantissa.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (mantissa, None),
    };
    let all_digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(int_part) || (int_part.len() > 1 && int_part.starts_with('0')) {
        return false;
    }
    if frac.is_some_and(|f| !all_digits(f)) {
        return false;
    }
    if let Some(e) = exponent {
        if !all_digits(e.trim_start_matches(['+', '-']))
            || e.starts_with("+-")
            || e.starts_with("-+")
        {
            return false;
        }
    }
    is_float || (frac.is_none() && exponent.is_none())
}

fn radix_integer(digits: &str, radix: u32) -> Option<Value> {
    if digits.starts_with('_') {
        return None;
    }
    let clean = clean_digits(digits)?;
    if clean.is_empty() || clean.starts_with(['+', '-']) {
        return None;
    }
    i64::from_str_radix(&clean, radix).ok().map(Value::from)
}

#[cfg(test)]
mod tests;
