//! How numbers read on screen. "Mi" means MiB, as kubectl prints it.

/// Seconds as a clock: `0:45`, `12:03`, `1:02:03`.
pub fn clock(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

/// A duration in words for prose: `45 s`, `1 min 4 s`, `12 min`.
pub fn span(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    match (s / 60, s % 60) {
        (0, sec) => format!("{sec} s"),
        (m, 0) => format!("{m} min"),
        (m, sec) if m < 10 => format!("{m} min {sec} s"),
        (m, _) => format!("{m} min"),
    }
}

pub fn bytes(b: f64) -> String {
    const MI: f64 = 1024.0 * 1024.0;
    if b >= 1024.0 * MI {
        format!("{:.2}Gi", b / (1024.0 * MI))
    } else if b >= 10.0 * MI {
        format!("{:.0}Mi", b / MI)
    } else if b >= MI {
        format!("{:.1}Mi", b / MI)
    } else if b >= 1024.0 {
        format!("{:.0}Ki", b / 1024.0)
    } else {
        format!("{b:.0}B")
    }
}

pub fn millis(ms: f64) -> String {
    if ms >= 10_000.0 {
        format!("{:.0} s", ms / 1000.0)
    } else if ms >= 1000.0 {
        format!("{:.1} s", ms / 1000.0)
    } else if ms >= 10.0 {
        format!("{ms:.0} ms")
    } else {
        format!("{ms:.1} ms")
    }
}

/// Counts with thin grouping: `12,456`, `1.2M`.
pub fn count(n: f64) -> String {
    if n >= 10_000_000.0 {
        format!("{:.0}M", n / 1e6)
    } else if n >= 1_000_000.0 {
        format!("{:.1}M", n / 1e6)
    } else if n >= 10_000.0 {
        format!("{:.0}k", n / 1e3)
    } else if n >= 1000.0 {
        let whole = n.round() as u64;
        format!("{},{:03}", whole / 1000, whole % 1000)
    } else if n == n.trunc() {
        format!("{n:.0}")
    } else {
        format!("{n:.1}")
    }
}

pub fn percent(ratio: f64) -> String {
    format!("{:.0} %", ratio * 100.0)
}

/// A value in the unit a series carries.
pub fn with_unit(value: f64, unit: &str) -> String {
    match unit {
        "By" => bytes(value),
        "ms" => millis(value),
        "1" => percent(value),
        "{cpu}" => format!("{:.0}m", value * 1000.0),
        u if u.ends_with("/s}") || u.ends_with("/s") => {
            format!("{}/s", count((value * 10.0).round() / 10.0))
        }
        _ => count(value),
    }
}

/// Prose written hard-wrapped in a data file, as paragraphs: blank lines
/// separate them and single line breaks become spaces.
pub fn paragraphs(text: &str) -> Vec<String> {
    text.split("\n\n")
        .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|p| !p.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readable_numbers() {
        assert_eq!(clock(64.4), "1:04");
        assert_eq!(clock(3723.0), "1:02:03");
        assert_eq!(span(64.0), "1 min 4 s");
        assert_eq!(span(720.0), "12 min");
        assert_eq!(span(45.0), "45 s");
        assert_eq!(bytes(19.6 * 1048576.0), "20Mi");
        assert_eq!(bytes(8.04 * 1048576.0), "8.0Mi");
        assert_eq!(bytes(512.0 * 1024.0), "512Ki");
        assert_eq!(millis(3337.0), "3.3 s");
        assert_eq!(millis(47.2), "47 ms");
        assert_eq!(count(12456.0), "12k");
        assert_eq!(count(1234.0), "1,234");
        assert_eq!(percent(0.847), "85 %");
        assert_eq!(with_unit(0.3, "{cpu}"), "300m");
        assert_eq!(with_unit(12.34, "{request}/s"), "12.3/s");
    }

    #[test]
    fn hard_wrapped_notes_become_paragraphs() {
        let notes = "One line\nwrapped here.\n\n\nSecond  paragraph.\n";
        assert_eq!(
            paragraphs(notes),
            ["One line wrapped here.", "Second paragraph."]
        );
        assert!(paragraphs("  \n ").is_empty());
    }
}
