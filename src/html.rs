//! Read-only tables and lists rendered as escaped HTML text.
//!
//! A panel that only shows rows (pods, events, alerts) is one string per
//! change instead of a tree of reactive views: the same DOM, a fraction of the
//! wasm. Everything that reaches the string goes through `text` or `attr`,
//! which escape it, so scenario text from a file cannot inject markup.

use incident_core::lesson::prose::Shown;

/// Attribute names and (unescaped) values.
pub type Attrs<'a> = [(&'static str, &'a str)];

/// An HTML fragment being built. Tags are `'static` names from this crate;
/// text and attribute values are escaped.
#[derive(Default)]
pub struct Html(String);

impl Html {
    pub fn new() -> Self {
        Self::default()
    }

    /// `<tag a="v" …>`; close it with [`Html::close`].
    pub fn open(&mut self, tag: &'static str, attrs: &Attrs<'_>) -> &mut Self {
        self.0.push('<');
        self.0.push_str(tag);
        for (name, value) in attrs {
            self.0.push(' ');
            self.0.push_str(name);
            self.0.push_str("=\"");
            escape_into(&mut self.0, value);
            self.0.push('"');
        }
        self.0.push('>');
        self
    }

    pub fn close(&mut self, tag: &'static str) -> &mut Self {
        self.0.push_str("</");
        self.0.push_str(tag);
        self.0.push('>');
        self
    }

    pub fn text(&mut self, text: &str) -> &mut Self {
        escape_into(&mut self.0, text);
        self
    }

    /// `<tag …>text</tag>`.
    pub fn el(&mut self, tag: &'static str, attrs: &Attrs<'_>, text: &str) -> &mut Self {
        self.open(tag, attrs).text(text).close(tag)
    }

    /// A problem with a control or a form, announced to screen readers.
    pub fn error(&mut self, message: &str) -> &mut Self {
        self.el("p", &[("class", "error"), ("role", "alert")], message)
    }

    pub fn finish(self) -> String {
        self.0
    }
}

impl Html {
    /// A lesson text as paragraphs: the run's measures in `.measured`
    /// spans, the seed's words in `<q>`, `code` in backticks as code.
    pub fn prose(&mut self, pieces: &[Shown]) -> &mut Self {
        let mut paragraphs: Vec<Vec<Shown>> = vec![Vec::new()];
        for piece in pieces {
            match piece {
                Shown::Text(t) => {
                    for (i, part) in t.split("\n\n").enumerate() {
                        if i > 0 {
                            paragraphs.push(Vec::new());
                        }
                        if let Some(last) = paragraphs.last_mut() {
                            last.push(Shown::Text(part.to_string()));
                        }
                    }
                }
                other => {
                    if let Some(last) = paragraphs.last_mut() {
                        last.push(other.clone());
                    }
                }
            }
        }
        for para in paragraphs {
            let empty = para
                .iter()
                .all(|p| matches!(p, Shown::Text(t) if t.trim().is_empty()));
            if empty {
                continue;
            }
            self.open("p", &[]);
            let last = para.len() - 1;
            for (i, piece) in para.iter().enumerate() {
                match piece {
                    Shown::Text(t) => {
                        let mut t = collapse(t);
                        if i == 0 {
                            t = t.trim_start().to_string();
                        }
                        if i == last {
                            t = t.trim_end().to_string();
                        }
                        self.code_spans(&t);
                    }
                    Shown::Measured(m) => {
                        self.el("span", &[("class", "measured")], m);
                    }
                    Shown::Quote(q) => {
                        self.el(
                            "q",
                            &[("class", "seed"), ("title", "the seed document's words")],
                            q,
                        );
                    }
                }
            }
            self.close("p");
        }
        self
    }

    /// Text with `backticked` parts as `<code>`.
    fn code_spans(&mut self, text: &str) {
        for (i, part) in text.split('`').enumerate() {
            if i % 2 == 1 {
                self.el("code", &[], part);
            } else {
                self.text(part);
            }
        }
    }
}

/// Runs of whitespace as one space, keeping one at either end.
fn collapse(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    for c in text.chars() {
        if c.is_whitespace() {
            space = true;
        } else {
            if space {
                out.push(' ');
            }
            space = false;
            out.push(c);
        }
    }
    if space {
        out.push(' ');
    }
    out
}

/// The error paragraph for a message, or nothing.
pub fn error_paragraph(message: Option<&str>) -> String {
    let mut h = Html::new();
    if let Some(m) = message {
        h.error(m);
    }
    h.finish()
}

/// An HTML boolean attribute's value: `aria-pressed`, `data-correct`.
pub fn flag(on: bool) -> &'static str {
    if on {
        "true"
    } else {
        "false"
    }
}

fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_attributes_are_escaped() {
        let mut h = Html::new();
        h.open("li", &[("class", "a\" onclick=\"x")])
            .text("<script>&'")
            .close("li");
        assert_eq!(
            h.finish(),
            "<li class=\"a&quot; onclick=&quot;x\">&lt;script&gt;&amp;&#39;</li>"
        );
    }

    #[test]
    fn an_error_is_an_alert_paragraph_or_nothing() {
        assert_eq!(error_paragraph(None), "");
        assert_eq!(
            error_paragraph(Some("below the minimum <1>")),
            "<p class=\"error\" role=\"alert\">below the minimum &lt;1&gt;</p>"
        );
        assert_eq!((flag(true), flag(false)), ("true", "false"));
    }

    #[test]
    fn prose_marks_measures_quotes_and_code() {
        let mut h = Html::new();
        h.prose(&[
            Shown::Text("Dies after\n  ".into()),
            Shown::Measured("11.5 min".into()),
            Shown::Text("; the seed says ".into()),
            Shown::Quote("10–15 minutes".into()),
            Shown::Text(".\n\nSet `GOGC`.".into()),
        ]);
        assert_eq!(
            h.finish(),
            "<p>Dies after <span class=\"measured\">11.5 min</span>; the seed says <q class=\"seed\" title=\"the seed document&#39;s words\">10–15 minutes</q>.</p><p>Set <code>GOGC</code>.</p>"
        );
    }

    #[test]
    fn elements_nest() {
        let mut h = Html::new();
        h.open("tr", &[])
            .el("td", &[], "web-1")
            .el("td", &[("class", "status running")], "Running")
            .close("tr");
        assert_eq!(
            h.finish(),
            "<tr><td>web-1</td><td class=\"status running\">Running</td></tr>"
        );
    }
}
