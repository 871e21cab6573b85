//! Numbers as the format readers read and write them: decimal text to the
//! nearest f64 (the same answer natively and in the browser) and a JSON
//! number back to text. A leaf: it imports nothing from the crate.

use serde_json::Number;

/// A number as JSON writes it: integers exactly, floats in the shortest
/// decimals that read back as the same value, with `.0` if they would
/// otherwise read as an integer.
pub fn number_text(n: &Number) -> String {
    if let Some(v) = n.as_u64() {
        v.to_string()
    } else if let Some(v) = n.as_i64() {
        v.to_string()
    } else {
        // A `Number` is never NaN or infinite; Display never uses an exponent.
        let mut text = n.as_f64().unwrap_or(0.0).to_string();
        if !text.contains('.') {
            text.push_str(".0");
        }
        text
    }
}

/// Powers of ten that are exact in an f64.
const EXACT_POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// Parses a decimal number (`-12.5`, `3e-4`, `.5`) to the nearest f64, as
/// `str::parse` does, but without linking the standard library's float
/// tables into the browser build (15 KB of its transfer budget). Numbers a
/// person types — up to 15 significant digits and a small exponent — are
/// computed exactly here (Clinger's fast path); anything else goes to the
/// platform's own correctly rounded parser: `str::parse` natively, the JS
/// engine's `parseFloat` in the browser. Correct rounding has one answer, so
/// both builds agree to the bit. `None` for anything that is not a finite
/// decimal number (no `inf`, `nan`, hex or stray characters).
pub fn parse_f64(text: &str) -> Option<f64> {
    let bytes = text.as_bytes();
    let (negative, rest) = match bytes.first()? {
        b'-' => (true, &bytes[1..]),
        b'+' => (false, &bytes[1..]),
        _ => (false, bytes),
    };
    let mut mantissa: u64 = 0;
    let mut significant = 0u32;
    let mut digits = 0u32;
    let mut exponent: i64 = 0;
    let mut seen_dot = false;
    let mut i = 0;
    while i < rest.len() {
        match rest[i] {
            c @ b'0'..=b'9' => {
                digits += 1;
                if mantissa == 0 && c == b'0' {
                    // Leading zeros carry no digits of their own.
                } else if significant < 19 {
                    mantissa = mantissa * 10 + u64::from(c - b'0');
                    significant += 1;
                } else {
                    // Past 19 digits only the scale is kept; the slow path decides.
                    significant += 1;
                    exponent += 1;
                }
                if seen_dot {
                    exponent -= 1;
                }
            }
            b'.' if !seen_dot => seen_dot = true,
            b'e' | b'E' => break,
            _ => return None,
        }
        i += 1;
    }
    if digits == 0 {
        return None;
    }
    if i < rest.len() {
        let exp_text = std::str::from_utf8(&rest[i + 1..]).ok()?;
        let exp_digits = exp_text.strip_prefix(['+', '-']).unwrap_or(exp_text);
        if exp_digits.is_empty() || !exp_digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        // Saturating: beyond this every f64 is zero or infinite anyway.
        let e = exp_digits
            .bytes()
            .fold(0i64, |e, b| (e * 10 + i64::from(b - b'0')).min(100_000));
        exponent += if exp_text.starts_with('-') { -e } else { e };
    }
    let value = if mantissa == 0 {
        Some(0.0)
    } else if significant <= 15 && exponent.abs() <= 22 {
        let m = mantissa as f64;
        Some(if exponent >= 0 {
            m * EXACT_POW10[exponent as usize]
        } else {
            m / EXACT_POW10[(-exponent) as usize]
        })
    } else {
        slow_parse(text)
    }?;
    let value = if negative { -value.abs() } else { value.abs() };
    value.is_finite().then_some(value)
}

#[cfg(not(target_arch = "wasm32"))]
fn slow_parse(text: &str) -> Option<f64> {
    text.parse().ok()
}

#[cfg(target_arch = "wasm32")]
fn slow_parse(text: &str) -> Option<f64> {
    // The text has been checked against the decimal grammar above, so
    // parseFloat reads all of it.
    let v = js_sys::Number::parse_float(text);
    (!v.is_nan()).then_some(v)
}

#[cfg(test)]
mod parse_f64_tests {
    use super::parse_f64;

    #[test]
    fn agrees_with_the_standard_parser() {
        let cases = [
            "0",
            "-0",
            "1",
            "+1",
            "0.105",
            "300",
            "5.0",
            ".5",
            "5.",
            "420.5",
            "1e3",
            "1E-3",
            "2.5e+2",
            "0.1",
            "0.30000000000000004",
            "123456789012345678901234567890",
            "9007199254740993",
            "1e22",
            "1e23",
            "4.9e-324",
            "1.7976931348623157e308",
            "0.000001",
            "000123.4500",
            "-12.5e3",
            "3.14159265358979323846",
            "1e0000001",
            "0.0000000000000000000000000001e28",
        ];
        for text in cases {
            let ours = parse_f64(text);
            let std: f64 = text.parse().unwrap();
            assert_eq!(ours.map(f64::to_bits), Some(std.to_bits()), "{text}");
        }
    }

    #[test]
    fn refuses_what_is_not_a_finite_decimal() {
        for text in [
            "", "-", ".", "e5", "1e", "1e+", "1.2.3", "inf", "NaN", "0x10", "1,5", " 1", "1 ",
            "1e999", "--1",
        ] {
            assert_eq!(parse_f64(text), None, "{text:?}");
        }
    }
}
