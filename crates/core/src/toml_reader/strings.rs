//! Strings, as TOML writes them: basic (`"…"`, with escapes), literal
//! (`'…'`, as written) and the multi-line kind of each.

use super::{is_forbidden_control, Parsed, Parser};

impl Parser<'_> {
    /// After the opening `"`.
    pub(super) fn basic_string(&mut self) -> Parsed<String> {
        let mut out = String::new();
        loop {
            let Some(c) = self.text[self.pos..].chars().next() else {
                return Err("the string is not closed".into());
            };
            self.pos += c.len_utf8();
            match c {
                '"' => return Ok(out),
                '\\' => out.push(self.escape()?),
                '\n' | '\r' => {
                    return Err("the string is not closed before the end of the line".into())
                }
                c if is_forbidden_control(c) => {
                    return Err(format!(
                        "control character U+{:04X} in a string; escape it",
                        c as u32
                    ))
                }
                c => out.push(c),
            }
        }
    }

    /// After the backslash.
    fn escape(&mut self) -> Parsed<char> {
        let Some(c) = self.text[self.pos..].chars().next() else {
            return Err("the string is not closed".into());
        };
        self.pos += c.len_utf8();
        Ok(match c {
            'b' => '\u{8}',
            't' => '\t',
            'n' => '\n',
            'f' => '\u{c}',
            'r' => '\r',
            '"' => '"',
            '\\' => '\\',
            'u' => self.unicode_escape(4)?,
            'U' => self.unicode_escape(8)?,
            other => return Err(format!("unknown escape `\\{other}`")),
        })
    }

    fn unicode_escape(&mut self, digits: usize) -> Parsed<char> {
        let hex = self
            .text
            .get(self.pos..self.pos + digits)
            .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or_else(|| format!("a \\u escape needs {digits} hex digits"))?;
        self.pos += digits;
        u32::from_str_radix(hex, 16)
            .ok()
            .and_then(char::from_u32)
            .ok_or_else(|| format!("\\u{hex} is not a Unicode scalar value"))
    }

    /// At a run of three or more `quote`s the string ends, and up to two
    /// more quotes before the closing three belong to it. `None` elsewhere.
    fn close_multiline(&mut self, quote: u8, out: &mut String) -> Option<Parsed<()>> {
        let run = self.bytes[self.pos..]
            .iter()
            .take_while(|&&b| b == quote)
            .count();
        if run < 3 {
            return None;
        }
        if run > 5 {
            return Some(Err("too many quotes closing the string".into()));
        }
        out.extend(std::iter::repeat_n(char::from(quote), run - 3));
        self.pos += run;
        Some(Ok(()))
    }

    /// After the opening `"""`.
    pub(super) fn multiline_basic_string(&mut self) -> Parsed<String> {
        self.newline();
        let mut out = String::new();
        loop {
            if let Some(end) = self.close_multiline(b'"', &mut out) {
                return end.map(|()| out);
            }
            let Some(c) = self.text[self.pos..].chars().next() else {
                return Err("the multi-line string is not closed".into());
            };
            if self.newline() {
                out.push('\n');
                continue;
            }
            self.pos += c.len_utf8();
            match c {
                '\\' => {
                    // A backslash at the end of a line trims the newline
                    // and all whitespace that follows.
                    let save = self.pos;
                    self.skip_spaces();
                    if self.newline() {
                        loop {
                            self.skip_spaces();
                            if !self.newline() {
                                break;
                            }
                        }
                    } else {
                        self.pos = save;
                        out.push(self.escape()?);
                    }
                }
                c if is_forbidden_control(c) => {
                    return Err(format!(
                        "control character U+{:04X} in a string; escape it",
                        c as u32
                    ))
                }
                c => out.push(c),
            }
        }
    }

    /// After the opening `'`.
    pub(super) fn literal_string(&mut self) -> Parsed<String> {
        let start = self.pos;
        loop {
            let Some(c) = self.text[self.pos..].chars().next() else {
                return Err("the string is not closed".into());
            };
            match c {
                '\'' => {
                    let s = self.text[start..self.pos].to_string();
                    self.pos += 1;
                    return Ok(s);
                }
                '\n' | '\r' => {
                    return Err("the string is not closed before the end of the line".into())
                }
                c if is_forbidden_control(c) => {
                    return Err(format!("control character U+{:04X} in a string", c as u32))
                }
                c => self.pos += c.len_utf8(),
            }
        }
    }

    /// After the opening `'''`.
    pub(super) fn multiline_literal_string(&mut self) -> Parsed<String> {
        self.newline();
        let mut out = String::new();
        loop {
            if let Some(end) = self.close_multiline(b'\'', &mut out) {
                return end.map(|()| out);
            }
            let Some(c) = self.text[self.pos..].chars().next() else {
                return Err("the multi-line string is not closed".into());
            };
            if self.newline() {
                out.push('\n');
                continue;
            }
            if is_forbidden_control(c) {
                return Err(format!("control character U+{:04X} in a string", c as u32));
            }
            self.pos += c.len_utf8();
            out.push(c);
        }
    }
}
