//! JSON text to and from `serde_json::Value`, written by hand.
//!
//! serde_json's reader and writer are generic over readers, writers,
//! formatters and visitors; compiled for the browser they cost about 6 KB of
//! gzip for two things the app needs: text to a `Value` (scenario and trace
//! files) and a `Value` to text (the downloads). This module does only that.
//!
//! Reading gives serde_json's values: integers that fit become `u64` (`i64`
//! when negative), every other number an `f64`, correctly rounded by
//! `number::parse_f64`. Errors name the line and column, as serde_json's do.
//! Files come from users, so reading has the TOML reader's budget: arrays
//! and objects nest at most `MAX_DEPTH` deep (serde_json allows 128), a key
//! is at most `MAX_KEY_BYTES` long and a document has at most `MAX_KEYS`
//! keys. Unlike serde_json, a key given twice in one object is refused, as
//! TOML refuses it, and a leading byte-order mark is skipped.
//! Writing gives serde_json's text, compact or indented by two spaces, except
//! that a float is written in plain decimals, never with an exponent (`1e-7`
//! is `0.0000001`): the shortest digits that read back as the same `f64`.
//! Both directions are tested against serde_json.

pub use crate::number::number_text;
use crate::toml_reader::{shorten, BOM};
pub use crate::toml_reader::{MAX_DEPTH, MAX_KEY_BYTES};
use serde_json::{Map, Number, Value};
use std::fmt;

/// A document has at most this many keys. More than TOML's limit because
/// traces are JSON too, and the engine's own bounds let a trace hold about
/// 4.2 million (256 pods of 4,000 changes of 4 keys, 20,000 log events of
/// 5, and the rest): every trace the engine writes must read back. A preset
/// run's trace has under 2,000.
pub const MAX_KEYS: usize = 5_000_000;

#[derive(Debug, Clone, PartialEq)]
pub struct JsonError {
    pub message: String,
    pub line: usize,
    pub column: usize,
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} at line {} column {}",
            self.message, self.line, self.column
        )
    }
}

impl std::error::Error for JsonError {}

/// Reads one JSON document; whitespace may surround it, nothing else.
pub fn parse(text: &str) -> Result<Value, JsonError> {
    parse_with(text, MAX_KEYS)
}

/// `parse`, with at most `max_keys` keys.
fn parse_with(text: &str, max_keys: usize) -> Result<Value, JsonError> {
    let text = text.strip_prefix(BOM).unwrap_or(text);
    let mut reader = Reader {
        text,
        bytes: text.as_bytes(),
        pos: 0,
        depth: 0,
        keys: 0,
        max_keys,
        field: Vec::new(),
    };
    let value = reader.value().map_err(|m| reader.error(m))?;
    reader.skip_space();
    if reader.pos < reader.bytes.len() {
        return Err(reader.error("trailing characters after the document".into()));
    }
    Ok(value)
}

struct Reader<'t> {
    text: &'t str,
    bytes: &'t [u8],
    pos: usize,
    depth: usize,
    /// Keys read so far, and how many may be.
    keys: usize,
    max_keys: usize,
    /// The keys of the objects around the value being read, for messages.
    field: Vec<String>,
}

type Read<T> = Result<T, String>;

impl Reader<'_> {
    fn error(&self, message: String) -> JsonError {
        let end = self.pos.min(self.text.len());
        let line_start = self.text[..end].rfind('\n').map_or(0, |i| i + 1);
        JsonError {
            message,
            line: crate::toml_reader::line_at(self.text, self.pos),
            column: self.text[line_start..end].chars().count(),
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_space(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    /// What stands at the cursor, for a message.
    fn found(&self) -> String {
        match self.text[self.pos..].chars().next() {
            None => "the end of the file".into(),
            Some(c) => format!("`{c}`"),
        }
    }

    fn value(&mut self) -> Read<Value> {
        self.skip_space();
        match self.peek() {
            Some(b'{') => self.nested(Reader::object),
            Some(b'[') => self.nested(Reader::array),
            Some(b'"') => self.string().map(Value::String),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => {
                for (word, value) in [
                    ("true", Value::Bool(true)),
                    ("false", Value::Bool(false)),
                    ("null", Value::Null),
                ] {
                    if self.bytes[self.pos..].starts_with(word.as_bytes()) {
                        self.pos += word.len();
                        return Ok(value);
                    }
                }
                Err(format!("expected a value, found {}", self.found()))
            }
            None => Err("expected a value, found the end of the file".into()),
        }
    }

    fn nested(&mut self, read: fn(&mut Self) -> Read<Value>) -> Read<Value> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            let under = if self.field.is_empty() {
                String::new()
            } else {
                format!(" under `{}`", shorten(&self.field.join(".")))
            };
            return Err(format!("nested more than {MAX_DEPTH} deep{under}"));
        }
        let value = read(self)?;
        self.depth -= 1;
        Ok(value)
    }

    /// After an item of a list or object: `,` goes on, `close` ends.
    fn more(&mut self, close: u8) -> Read<bool> {
        self.skip_space();
        match self.peek() {
            Some(b',') => {
                self.pos += 1;
                Ok(true)
            }
            Some(b) if b == close => {
                self.pos += 1;
                Ok(false)
            }
            _ => Err(format!(
                "expected `,` or `{}`, found {}",
                close as char,
                self.found()
            )),
        }
    }

    /// The opening bracket is at the cursor: reads items with `item` until
    /// `close`, with commas between them.
    fn items(&mut self, close: u8, mut item: impl FnMut(&mut Self) -> Read<()>) -> Read<()> {
        self.pos += 1;
        self.skip_space();
        if self.peek() == Some(close) {
            self.pos += 1;
            return Ok(());
        }
        loop {
            item(self)?;
            if !self.more(close)? {
                return Ok(());
            }
        }
    }

    fn array(&mut self) -> Read<Value> {
        let mut items = Vec::new();
        self.items(b']', |r| {
            items.push(r.value()?);
            Ok(())
        })?;
        Ok(Value::Array(items))
    }

    /// A repeated key is refused (serde_json keeps its last value).
    fn object(&mut self) -> Read<Value> {
        let mut map = Map::new();
        self.items(b'}', |r| {
            r.skip_space();
            if r.peek() != Some(b'"') {
                return Err(format!("expected a key in quotes, found {}", r.found()));
            }
            let key = r.key(&map)?;
            r.skip_space();
            if r.peek() != Some(b':') {
                return Err(format!("expected `:`, found {}", r.found()));
            }
            r.pos += 1;
            r.field.push(key);
            let value = r.value()?;
            let key = r.field.pop().expect("pushed above");
            map.insert(key, value);
            Ok(())
        })?;
        Ok(Value::Object(map))
    }

    /// A key of `map`, within the budget; an error points at its quote.
    fn key(&mut self, map: &Map<String, Value>) -> Read<String> {
        let start = self.pos;
        let key = self.string()?;
        self.keys += 1;
        let problem = if key.len() > MAX_KEY_BYTES {
            format!(
                "key `{}` is {} bytes long; a key may be at most {MAX_KEY_BYTES} bytes",
                shorten(&key),
                key.len()
            )
        } else if self.keys > self.max_keys {
            format!(
                "key `{}` is one too many: a document may have at most {} keys",
                shorten(&key),
                self.max_keys
            )
        } else if map.contains_key(&key) {
            format!("key `{}` is defined twice", shorten(&key))
        } else {
            return Ok(key);
        };
        self.pos = start;
        Err(problem)
    }

    /// `"` is at the cursor.
    fn string(&mut self) -> Read<String> {
        self.pos += 1;
        let mut out = String::new();
        loop {
            // Copy the run up to the next quote, backslash or control byte.
            let run = self.bytes[self.pos..]
                .iter()
                .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
                .unwrap_or(self.bytes.len() - self.pos);
            // The run ends at an ASCII byte or the end, so it is whole UTF-8.
            out.push_str(&self.text[self.pos..self.pos + run]);
            self.pos += run;
            match self.peek() {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    out.push(self.escape()?);
                }
                Some(_) => return Err("control character in a string".into()),
                None => return Err("the string is not closed".into()),
            }
        }
    }

    /// After a backslash.
    fn escape(&mut self) -> Read<char> {
        let b = self.peek().ok_or("the string is not closed")?;
        self.pos += 1;
        Ok(match b {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => return self.unicode_escape(),
            _ => {
                self.pos -= 1;
                return Err(format!(
                    "`\\{}` is not an escape",
                    self.found().trim_matches('`')
                ));
            }
        })
    }

    /// After `\u`: four hex digits, and a second `\uXXXX` for a surrogate pair.
    fn unicode_escape(&mut self) -> Read<char> {
        let high = self.hex4()?;
        if !(0xD800..0xE000).contains(&high) {
            return char::from_u32(high).ok_or_else(|| "invalid \\u escape".into());
        }
        if high >= 0xDC00 || !self.bytes[self.pos..].starts_with(b"\\u") {
            return Err("a lone surrogate in a \\u escape".into());
        }
        self.pos += 2;
        let low = self.hex4()?;
        if !(0xDC00..0xE000).contains(&low) {
            return Err("a lone surrogate in a \\u escape".into());
        }
        let code = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00);
        char::from_u32(code).ok_or_else(|| "invalid \\u escape".into())
    }

    fn hex4(&mut self) -> Read<u32> {
        let digits = self
            .text
            .get(self.pos..self.pos + 4)
            .filter(|d| d.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or("a \\u escape needs four hex digits")?;
        self.pos += 4;
        u32::from_str_radix(digits, 16).map_err(|_| "a \\u escape needs four hex digits".into())
    }

    /// JSON's grammar: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    fn number(&mut self) -> Read<Value> {
        let start = self.pos;
        let digits = |r: &mut Self| {
            let from = r.pos;
            while r.peek().is_some_and(|b| b.is_ascii_digit()) {
                r.pos += 1;
            }
            r.pos - from
        };
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        let int_start = self.pos;
        let int_digits = digits(self);
        let bad = |r: &Self| format!("`{}` is not a number", &r.text[start..r.pos]);
        if int_digits == 0 || (int_digits > 1 && self.bytes[int_start] == b'0') {
            return Err(bad(self));
        }
        let mut is_float = false;
        if self.peek() == Some(b'.') {
            self.pos += 1;
            is_float = true;
            if digits(self) == 0 {
                return Err(bad(self));
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            is_float = true;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if digits(self) == 0 {
                return Err(bad(self));
            }
        }
        let token = &self.text[start..self.pos];
        let negative = token.starts_with('-');
        if !is_float {
            // Integers keep their exact value when they fit, as serde_json's
            // do; `-0` is the float -0.0 there too.
            if negative {
                if let Ok(v) = token.parse::<i64>() {
                    if v != 0 {
                        return Ok(Value::from(v));
                    }
                }
            } else if let Ok(v) = token.parse::<u64>() {
                return Ok(Value::from(v));
            }
        }
        let v = crate::number::parse_f64(token).ok_or_else(|| bad(self))?;
        Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| format!("`{token}` is too large for a number"))
    }
}

/// `value` as compact JSON: no spaces, as `serde_json::to_string`.
pub fn to_compact(value: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, value, None);
    out
}

/// `value` as JSON indented by two spaces, as `serde_json::to_string_pretty`.
pub fn to_pretty(value: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, value, Some(0));
    out
}

/// `indent` is the current depth when pretty, `None` when compact.
fn write_value(out: &mut String, value: &Value, indent: Option<usize>) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&number_text(n)),
        Value::String(s) => write_string(out, s),
        Value::Array(items) => write_nested(out, b'[', items.iter().map(|v| (None, v)), indent),
        Value::Object(map) => write_nested(
            out,
            b'{',
            map.iter().map(|(k, v)| (Some(k.as_str()), v)),
            indent,
        ),
    }
}

fn write_nested<'v>(
    out: &mut String,
    open: u8,
    items: impl ExactSizeIterator<Item = (Option<&'v str>, &'v Value)>,
    indent: Option<usize>,
) {
    let close = if open == b'[' { ']' } else { '}' };
    out.push(open as char);
    let empty = items.len() == 0;
    let inner = indent.map(|depth| depth + 1);
    let new_line = |out: &mut String, depth: Option<usize>| {
        if let Some(depth) = depth {
            out.push('\n');
            (0..depth).for_each(|_| out.push_str("  "));
        }
    };
    for (i, (key, value)) in items.enumerate() {
        if i > 0 {
            out.push(',');
        }
        new_line(out, inner);
        if let Some(key) = key {
            write_string(out, key);
            out.push_str(if indent.is_some() { ": " } else { ":" });
        }
        write_value(out, value, inner);
    }
    if !empty {
        new_line(out, indent);
    }
    out.push(close);
}

/// Escapes what JSON requires (quote, backslash, control characters) and
/// nothing else, as serde_json does.
fn write_string(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if c < ' ' => {
                out.push_str("\\u00");
                out.push(char::from_digit(c as u32 >> 4, 16).unwrap_or('0'));
                out.push(char::from_digit(c as u32 & 15, 16).unwrap_or('0'));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests;
