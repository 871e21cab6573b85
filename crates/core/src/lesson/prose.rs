//! Lesson text that cannot lie.
//!
//! Prose embeds measures of the step's own run in braces,
//! `memory passes 80 % at {utilization_reached_at_s(checkout, ratio=0.8)}`,
//! and marks what the seed document says in guillemets, `«10–15 minutes»`,
//! so a reader can tell the run's numbers from the document's. A value the
//! lesson itself chooses (a threshold, a moment of its own timeline) is
//! written `{= 80 %}`. Any other number in a step's text is a mistake
//! `number_problems` reports.
//!
//! Claims are what a step asserts about its run, as data:
//! `p99_at_utilization_ms(checkout, ratio=0.9) >= 1.3 * p99_at_utilization_ms(checkout, ratio=0.5)`.
//! `incident lessons check` and the tests fail when one is false.

use super::measure::{Measure, MeasureValue};
use crate::trace::Trace;
use crate::units::parse_f64;
use std::fmt;

/// One piece of a text: plain words, a measure of the run, or a quote.
#[derive(Clone, Debug, PartialEq)]
pub enum Piece {
    Text(String),
    Measure(Measure),
    Quote(String),
    /// `{at}`, `{per_min}`, `{ratio}`: the question's own argument, which
    /// defines what is asked rather than telling what happened.
    Arg(String),
    /// `{= 80 %}`: a value the lesson itself chooses (a threshold, a moment
    /// of its timeline), shown as written; not a claim about the run.
    Defined(String),
}

/// A question's arguments a prompt may name.
pub const ARGS: &[&str] = &["at", "per_min", "ratio"];

/// A text's pieces, at most this many (a text is a paragraph or three).
const MAX_PIECES: usize = 200;

/// Splits a text into its pieces; the error says what is malformed.
pub fn pieces(text: &str) -> Result<Vec<Piece>, String> {
    let mut out = Vec::new();
    let mut plain = String::new();
    let mut rest = text;
    while let Some(i) = rest.find(['{', '«']) {
        if out.len() >= MAX_PIECES {
            return Err(format!("more than {MAX_PIECES} measures and quotes"));
        }
        plain.push_str(&rest[..i]);
        let tail = &rest[i..];
        if let Some(after) = tail.strip_prefix("{{") {
            plain.push('{');
            rest = after;
            continue;
        }
        let (open, close) = if tail.starts_with('{') {
            ('{', '}')
        } else {
            ('«', '»')
        };
        let body_start = open.len_utf8();
        let Some(end) = tail[body_start..].find(close) else {
            return Err(format!("a `{open}` is never closed with `{close}`"));
        };
        let body = &tail[body_start..body_start + end];
        if !plain.is_empty() {
            out.push(Piece::Text(std::mem::take(&mut plain)));
        }
        out.push(
            if let (true, Some(value)) = (open == '{', body.strip_prefix('=')) {
                Piece::Defined(value.trim().to_string())
            } else if open == '{' && ARGS.contains(&body.trim()) {
                Piece::Arg(body.trim().to_string())
            } else if open == '{' {
                Piece::Measure(Measure::parse(body).map_err(|e| format!("in `{{{body}}}`: {e}"))?)
            } else {
                Piece::Quote(body.to_string())
            },
        );
        rest = &tail[body_start + end + close.len_utf8()..];
    }
    plain.push_str(rest);
    if !plain.is_empty() {
        out.push(Piece::Text(plain));
    }
    Ok(out)
}

/// A piece as shown: its words, and whether it is the run's, the seed's or
/// plain prose.
#[derive(Clone, Debug, PartialEq)]
pub enum Shown {
    Text(String),
    /// A measure of the run, in words with its unit.
    Measured(String),
    Quote(String),
}

/// What a measure that never happened in the run reads as.
pub const NEVER: &str = "never, in this run";

/// The text with every measure taken on `trace`.
pub fn render(text: &str, trace: &Trace) -> Vec<Shown> {
    render_with(text, trace, &[])
}

/// The text with every measure taken on `trace` and the question's own
/// arguments (`{at}`) filled in: a moment reads as a clock.
pub fn render_with(text: &str, trace: &Trace, args: &[(String, String)]) -> Vec<Shown> {
    match pieces(text) {
        Ok(pieces) => pieces
            .into_iter()
            .map(|p| match p {
                Piece::Text(t) => Shown::Text(t),
                Piece::Measure(m) => Shown::Measured(m.text(trace).unwrap_or_else(|| NEVER.into())),
                Piece::Quote(q) => Shown::Quote(q),
                Piece::Arg(name) => Shown::Text(arg_text(&name, args)),
                Piece::Defined(value) => Shown::Text(value),
            })
            .collect(),
        // `incident lessons check` refuses such a text; never hide it.
        Err(_) => vec![Shown::Text(text.to_string())],
    }
}

fn arg_text(name: &str, args: &[(String, String)]) -> String {
    let value = args
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str());
    match (name, value) {
        ("at", Some(v)) => crate::units::parse_duration(v)
            .map(|t| super::measure::clock(t.as_secs_f64()))
            .unwrap_or_else(|_| v.to_string()),
        (_, Some(v)) => v.to_string(),
        (_, None) => format!("{{{name}}}"),
    }
}

/// The rendered text as one plain string, quotes in guillemets.
pub fn render_plain(text: &str, trace: &Trace) -> String {
    render_plain_with(text, trace, &[])
}

/// `render_plain` with the question's own arguments.
pub fn render_plain_with(text: &str, trace: &Trace, args: &[(String, String)]) -> String {
    render_with(text, trace, args)
        .into_iter()
        .map(|s| match s {
            Shown::Text(t) | Shown::Measured(t) => t,
            Shown::Quote(q) => format!("«{q}»"),
        })
        .collect()
}

/// Words before a number that make it a name, not a quantity: "step 3",
/// "seed 001", "Exercise 4".
pub(crate) const ORDINALS: &[&str] = &[
    "step",
    "steps",
    "seed",
    "exercise",
    "exercises",
    "check",
    "fix",
    "case",
    "query",
    "panel",
    "alert",
    "incident",
];

/// Numbers in a text that are neither a measure of the run nor a quote of
/// the seed. Identifiers that contain digits (`P95`, `k8s`, `main.py:58`,
/// `GOMEMLIMIT=16MiB`) are names, not numbers.
pub fn number_problems(text: &str) -> Vec<String> {
    let Ok(pieces) = pieces(text) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for piece in pieces {
        let Piece::Text(t) = piece else { continue };
        let mut previous = "";
        for raw in t.split_whitespace() {
            let word = raw.trim_matches(|c: char| !c.is_alphanumeric() && c != '_');
            let has_digit = word.chars().any(|c| c.is_ascii_digit());
            let starts_like_a_name = word
                .chars()
                .next()
                .is_some_and(|c| c.is_alphabetic() || c == '_');
            let in_code = raw.starts_with('`') || raw.contains("`");
            let ordinal = ORDINALS.contains(&previous.to_ascii_lowercase().as_str());
            if has_digit && !starts_like_a_name && !in_code && !ordinal {
                out.push(format!(
                    "`{word}` is a number the run did not give: embed a measure ({{…}}) or mark the seed's words («…»)"
                ));
            }
            previous = raw.trim_matches(|c: char| !c.is_alphanumeric());
        }
    }
    out
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Ge,
    Le,
    Gt,
    Lt,
    Eq,
    Ne,
}

impl Op {
    const ALL: [(&'static str, Op); 6] = [
        (">=", Op::Ge),
        ("<=", Op::Le),
        ("==", Op::Eq),
        ("!=", Op::Ne),
        (">", Op::Gt),
        ("<", Op::Lt),
    ];

    fn as_str(self) -> &'static str {
        Op::ALL
            .iter()
            .find(|(_, o)| *o == self)
            .map(|(s, _)| *s)
            .unwrap_or("?")
    }

    fn holds<T: PartialOrd>(self, a: T, b: T) -> bool {
        match self {
            Op::Ge => a >= b,
            Op::Le => a <= b,
            Op::Gt => a > b,
            Op::Lt => a < b,
            Op::Eq => a == b,
            Op::Ne => a != b,
        }
    }
}

/// One side of a claim.
#[derive(Clone, Debug, PartialEq)]
pub enum Operand {
    Number(f64),
    /// `factor * measure`, or the measure alone (factor 1); `call` as written.
    Measure {
        factor: f64,
        measure: Measure,
        call: String,
    },
    Text(String),
}

impl Operand {
    fn parse(text: &str) -> Result<Operand, String> {
        let text = text.trim();
        if let Some(n) = parse_f64(text) {
            return Ok(Operand::Number(n));
        }
        if let Some((factor, call)) = text.split_once('*') {
            let factor = parse_f64(factor.trim())
                .ok_or_else(|| format!("`{}` is not a number", factor.trim()))?;
            return Ok(Operand::Measure {
                factor,
                measure: Measure::parse(call)?,
                call: call.trim().to_string(),
            });
        }
        let name = text.split('(').next().unwrap_or("").trim();
        if super::measure::NAMES.iter().any(|(n, _)| *n == name) {
            return Ok(Operand::Measure {
                factor: 1.0,
                measure: Measure::parse(text)?,
                call: text.to_string(),
            });
        }
        if text.is_empty() || text.contains(['(', ')']) {
            return Err(format!(
                "`{text}` is neither a number, a measure nor a name"
            ));
        }
        Ok(Operand::Text(text.trim_matches('"').to_string()))
    }

    /// The side's value on a run, and how it reads.
    fn value(&self, trace: &Trace) -> Result<(MeasureValue, String), String> {
        match self {
            Operand::Number(n) => Ok((MeasureValue::Number(*n), format!("{n}"))),
            Operand::Text(t) => Ok((MeasureValue::Text(t.clone()), t.clone())),
            Operand::Measure {
                factor,
                measure,
                call,
            } => match measure.evaluate(trace) {
                None => Err(format!("`{call}` never happened in the run")),
                Some(MeasureValue::Number(n)) => {
                    let shown = measure.unit().format(n);
                    let shown = if *factor == 1.0 {
                        shown
                    } else {
                        format!("{factor} × {shown}")
                    };
                    Ok((MeasureValue::Number(n * factor), shown))
                }
                Some(MeasureValue::Text(t)) => Ok((MeasureValue::Text(t.clone()), t)),
            },
        }
    }
}

/// What a step asserts about its run.
#[derive(Clone, Debug, PartialEq)]
pub struct Claim {
    pub text: String,
    pub left: Operand,
    pub op: Op,
    pub right: Operand,
}

impl Claim {
    pub fn parse(text: &str) -> Result<Claim, String> {
        // The first operator outside parentheses, longest first.
        // By characters, not bytes: a slice must start on a char boundary.
        let mut depth = 0i32;
        let mut found = None;
        for (i, c) in text.char_indices() {
            match c {
                '(' => depth += 1,
                ')' => depth -= 1,
                _ if depth == 0 => {
                    if let Some((s, op)) = Op::ALL.iter().find(|(s, _)| text[i..].starts_with(s)) {
                        found = Some((i, s.len(), *op));
                        break;
                    }
                }
                _ => {}
            }
        }
        let (at, len, op) = found.ok_or_else(|| {
            format!("`{text}`: a claim compares two sides with >=, <=, >, <, == or !=")
        })?;
        Ok(Claim {
            text: text.trim().to_string(),
            left: Operand::parse(&text[..at]).map_err(|e| format!("`{text}`: {e}"))?,
            op,
            right: Operand::parse(&text[at + len..]).map_err(|e| format!("`{text}`: {e}"))?,
        })
    }

    /// Whether the claim is true of the run; the error shows both sides.
    pub fn check(&self, trace: &Trace) -> Result<(), String> {
        let (left, left_shown) = self.left.value(trace)?;
        let (right, right_shown) = self.right.value(trace)?;
        // A parameter reads as text (`param(workload.users)` is "50"); a
        // number beside it compares it as the number it is.
        let (left, right) = match (left, right) {
            (MeasureValue::Text(t), MeasureValue::Number(n)) => {
                (as_number(t), MeasureValue::Number(n))
            }
            (MeasureValue::Number(n), MeasureValue::Text(t)) => {
                (MeasureValue::Number(n), as_number(t))
            }
            pair => pair,
        };
        let holds = match (&left, &right) {
            (MeasureValue::Number(a), MeasureValue::Number(b)) => self.op.holds(*a, *b),
            (MeasureValue::Text(a), MeasureValue::Text(b))
                if matches!(self.op, Op::Eq | Op::Ne) =>
            {
                self.op.holds(a, b)
            }
            _ => return Err(format!("`{}` compares a number with a name", self.text)),
        };
        if holds {
            Ok(())
        } else {
            Err(format!(
                "`{}` is false of this run: {left_shown} {} {right_shown}",
                self.text,
                self.op.as_str()
            ))
        }
    }
}

/// A text that is a plain number, as that number; any other text as it is.
fn as_number(text: String) -> MeasureValue {
    match parse_f64(text.trim()) {
        Some(n) => MeasureValue::Number(n),
        None => MeasureValue::Text(text),
    }
}

impl fmt::Display for Claim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{presets, simulate};

    #[test]
    fn pieces_are_text_measures_and_quotes() {
        let p = pieces("OOM after {first_oom_after_load_min(checkout)}; the seed says «10–15 minutes». {{literal}").unwrap();
        assert_eq!(p.len(), 5);
        assert!(
            matches!(&p[1], Piece::Measure(Measure::FirstOomAfterLoadMin { service }) if service == "checkout")
        );
        assert_eq!(p[3], Piece::Quote("10–15 minutes".into()));
        assert_eq!(p[4], Piece::Text(". {literal}".into()));
        assert!(pieces("an {unclosed").unwrap_err().contains("never closed"));
        assert!(pieces("{no_such(checkout)}")
            .unwrap_err()
            .contains("no measure"));
    }

    #[test]
    fn numbers_must_come_from_the_run_or_the_seed() {
        assert!(number_problems("Flag 300 and 25 users.").len() == 2);
        assert!(number_problems("P95 and P99 on k8s, `GOMEMLIMIT=16MiB`, main.py:58.").is_empty());
        assert!(number_problems("Step 3 of seed 001, Exercise 4.").is_empty());
        assert!(number_problems("«10–15 minutes» and {restarts(checkout)}").is_empty());
        assert_eq!(number_problems("it dies at 11:30").len(), 1);
    }

    #[test]
    fn prose_renders_the_runs_own_numbers() {
        let trace = simulate(&presets::load("checkout-gradual").unwrap());
        let text = render_plain("flag {param(flags.kafkaQueueProblems.variants.on)}, OOM after {first_oom_after_load_min(checkout)}", &trace);
        let minutes = Measure::parse("first_oom_after_load_min(checkout)")
            .unwrap()
            .text(&trace)
            .unwrap();
        assert_eq!(text, format!("flag 300, OOM after {minutes}"));
        assert!(minutes.ends_with(" min"));
    }

    #[test]
    fn claims_are_checked_on_the_run() {
        let trace = simulate(&presets::load("checkout-gradual").unwrap());
        let ok = Claim::parse("utilization_reached_at_s(checkout, ratio=0.8) > utilization_reached_at_s(checkout, ratio=0.5)").unwrap();
        assert_eq!(ok.check(&trace), Ok(()));
        let false_claim = Claim::parse("restarts(checkout) >= 1000").unwrap();
        // Found by fuzzing lesson files: a character of more than one byte
        // before the operator made the search slice inside it.
        for odd in [
            "restarts(checkout)é>=1",
            "\u{feff}restarts(checkout) >= 1",
            "é",
        ] {
            let _ = Claim::parse(odd);
        }
        assert!(Claim::parse("restarts(checkout)é>=1").is_err());
        let why = false_claim.check(&trace).unwrap_err();
        assert!(why.contains("false of this run"), "{why}");
        assert_eq!(
            Claim::parse("most_restarted == checkout")
                .unwrap()
                .check(&trace),
            Ok(())
        );
        let scaled =
            Claim::parse("peak_working_set_mi(checkout) >= 2 * peak_working_set_mi(checkout)")
                .unwrap();
        assert!(scaled.check(&trace).is_err());
        assert!(Claim::parse("restarts(checkout)").is_err());
        assert!(Claim::parse("never_heard(checkout) > 1").is_err());
    }
}
