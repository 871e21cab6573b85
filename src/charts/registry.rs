//! Every chart, one entry each: its names, which scenarios have it, its
//! builder and its hover rows. Adding a chart is an entry in `CHARTS` and a
//! builder in `specs`. Plain fn pointers and a static table: one copy of
//! the dispatch code in the wasm, however many charts there are.

use super::specs::{self, Inputs};
use super::{ChartSpec, Unit};
use incident_core::metrics as m;
use incident_core::scenario::{Scenario, ServiceKind};
use incident_core::Trace;

/// Whose series a chart reads.
#[derive(Clone, Copy, Debug)]
pub enum Source {
    /// The service the learner follows.
    Followed,
    /// The scenario's first service of this kind, else the followed one.
    FirstOf(ServiceKind),
    /// Always this service.
    Named(&'static str),
}

/// A line of the hover box.
pub struct HoverRow {
    pub label: &'static str,
    pub series: &'static str,
    pub unit: Unit,
    /// Another service than the chart's own.
    pub service: Option<&'static str>,
}

/// A hover row on the chart's own service.
const fn row(label: &'static str, series: &'static str, unit: Unit) -> HoverRow {
    HoverRow {
        label,
        series,
        unit,
        service: None,
    }
}

pub struct Chart {
    /// `data-chart` in the DOM, the PNG's name, a query card's `chart`.
    pub id: &'static str,
    pub title: &'static str,
    /// What to look at, in a line.
    pub hint: &'static str,
    /// CSS height of the canvas; 0 for a strip as tall as its rows.
    pub height_px: u32,
    /// What lessons call it (`lesson::HIGHLIGHTS`).
    pub highlight: &'static str,
    /// Its name in `embed=`, when an iframe may show it alone.
    pub embed: Option<&'static str>,
    /// Whether the chart means something for a scenario.
    pub shown_for: fn(&Scenario) -> bool,
    pub source: Source,
    /// Builds the chart for the service `source` picks.
    pub builder: fn(&Inputs, &str) -> ChartSpec,
    pub hover: &'static [HoverRow],
}

fn runs(scenario: &Scenario, kind: ServiceKind) -> bool {
    scenario.services.values().any(|s| s.kind == kind)
}

/// Every chart, in display order.
pub static CHARTS: [Chart; 8] = [
    Chart {
        id: "memory",
        title: "Memory: working set against the limit",
        hint: "Dashed lines: the limit and the alert thresholds. Red lines: OOM kills; triangles: alerts firing. Shaded: at the limit, where the kernel reclaims page cache before it kills.",
        height_px: 200,
        highlight: "memory",
        embed: Some("memory"),
        shown_for: |_| true,
        source: Source::Followed,
        builder: specs::memory,
        hover: &[
            row("working set", m::WORKING_SET.name, Unit::Bytes),
            row("utilization", m::MEMORY_UTILIZATION.name, Unit::Ratio),
            row("restarts", m::RESTARTS.name, Unit::Count),
        ],
    },
    Chart {
        id: "go",
        title: "Go runtime: heap, goroutines, GC",
        hint: "With GOMEMLIMIT the heap goal shrinks as goroutines pile up: GC runs more and more often.",
        height_px: 300,
        highlight: "go",
        embed: Some("go"),
        shown_for: |s| runs(s, ServiceKind::GoCheckout),
        source: Source::FirstOf(ServiceKind::GoCheckout),
        builder: specs::go,
        hover: &[
            row("heap_alloc", m::GO_HEAP_ALLOC.name, Unit::Bytes),
            row("goroutines", m::GO_GOROUTINES.name, Unit::Count),
            row("GC cycles", m::GO_GC_COUNT.name, Unit::Count),
        ],
    },
    Chart {
        id: "python",
        title: "Leaked memory by leak",
        hint: "Bytes each leak holds. Clear frees the cache and history; listeners wait for gc.",
        height_px: 200,
        highlight: "leaks",
        embed: None,
        shown_for: |s| runs(s, ServiceKind::PythonLeaky),
        source: Source::FirstOf(ServiceKind::PythonLeaky),
        builder: specs::python,
        hover: &[
            row("cache", m::LEAK_CACHE_BYTES.name, Unit::Bytes),
            row("listeners", m::LEAK_LISTENERS_BYTES.name, Unit::Bytes),
            row("history", m::LEAK_HISTORY_BYTES.name, Unit::Bytes),
        ],
    },
    Chart {
        id: "node",
        title: "Node event loop",
        hint: "Event-loop lag: how long a new callback waits. Above 1 s the liveness probe fails.",
        height_px: 200,
        highlight: "node",
        embed: None,
        shown_for: |s| runs(s, ServiceKind::NodeFrontend),
        source: Source::FirstOf(ServiceKind::NodeFrontend),
        builder: specs::node,
        hover: &[
            row("event-loop lag", m::NODE_LOOP_LAG.name, Unit::Millis),
            row("connections", m::OPEN_CONNECTIONS.name, Unit::Count),
            row("CPU", m::CPU_USAGE.name, Unit::Count),
        ],
    },
    Chart {
        id: "latency",
        title: "Response time (P50, P95, P99)",
        hint: "Log scale. Locust's view: every response, failures included.",
        height_px: 200,
        highlight: "latency",
        embed: Some("latency"),
        shown_for: |_| true,
        source: Source::Named(m::LOAD_GENERATOR),
        builder: |inputs, _| specs::latency(inputs),
        hover: &[
            row("P50", m::LOCUST_P50.name, Unit::Millis),
            row("P95", m::LOCUST_P95.name, Unit::Millis),
            row("P99", m::LOCUST_P99.name, Unit::Millis),
        ],
    },
    Chart {
        id: "requests",
        title: "Requests and failures",
        hint: "Completed requests per second, and the failed ones.",
        height_px: 200,
        highlight: "requests",
        embed: Some("requests"),
        shown_for: |_| true,
        source: Source::Named(m::LOAD_GENERATOR),
        builder: |inputs, _| specs::requests(inputs),
        hover: &[
            row("requests", m::LOCUST_REQUEST_RATE.name, Unit::PerSecond),
            row("failures", m::LOCUST_FAILURE_RATE.name, Unit::PerSecond),
            row("users", m::LOCUST_USERS.name, Unit::Count),
        ],
    },
    Chart {
        id: "pods",
        title: "Pods: status and restarts",
        hint: "Green running, amber not ready, red killed, purple back-off, grey starting; a tick marks each restart.",
        height_px: 0,
        highlight: "pods",
        embed: Some("pods"),
        shown_for: |_| true,
        source: Source::Followed,
        builder: |inputs, _| specs::pods(inputs),
        hover: &[row("restarts", m::RESTARTS.name, Unit::Count)],
    },
    Chart {
        id: "postgres",
        title: "Postgres: disk and write IOPS",
        hint: "One row per delivered Kafka message: the fan-out multiplies writes.",
        height_px: 200,
        highlight: "postgres",
        embed: None,
        shown_for: |s| s.kafka.is_some(),
        source: Source::Named("postgresql"),
        builder: |inputs, _| specs::postgres(inputs),
        hover: &[
            row("table", m::DB_SIZE.name, Unit::Bytes),
            row("write IOPS", m::WRITE_IOPS.name, Unit::PerSecond),
            HoverRow {
                service: Some("fraud-detection"),
                ..row("consumer lag", m::CONSUMER_LAG.name, Unit::Count)
            },
        ],
    },
];

impl Chart {
    /// The service the chart reads while the learner follows `followed`.
    pub fn service<'a>(&self, trace: &'a Trace, followed: &'a str) -> &'a str {
        match self.source {
            Source::Followed => followed,
            Source::FirstOf(kind) => trace
                .scenario
                .services
                .iter()
                .find(|(_, s)| s.kind == kind)
                .map_or(followed, |(name, _)| name),
            Source::Named(name) => name,
        }
    }

    pub fn build(&self, inputs: &Inputs, followed: &str) -> ChartSpec {
        (self.builder)(inputs, self.service(inputs.trace, followed))
    }

    /// Tooltip rows: (label, series name, service, unit).
    pub fn hover_rows(
        &self,
        trace: &Trace,
        followed: &str,
    ) -> Vec<(&'static str, &'static str, String, Unit)> {
        let own = self.service(trace, followed);
        self.hover
            .iter()
            .map(|r| {
                let service = r.service.unwrap_or(own);
                (r.label, r.series, service.to_string(), r.unit)
            })
            .collect()
    }
}

/// Every chart is an entry of `CHARTS`: the same entry is the same chart.
impl PartialEq for Chart {
    fn eq(&self, other: &Chart) -> bool {
        std::ptr::eq(self, other)
    }
}

impl std::fmt::Debug for Chart {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(self.id)
    }
}

/// The charts that mean something for this scenario, in display order.
pub fn charts_for(scenario: &Scenario) -> Vec<&'static Chart> {
    let mut out = Vec::with_capacity(CHARTS.len());
    for chart in &CHARTS {
        if (chart.shown_for)(scenario) {
            out.push(chart);
        }
    }
    out
}

/// The chart every scenario has (first in `CHARTS`, tested): shown when
/// the one asked for is missing.
pub fn memory() -> &'static Chart {
    &CHARTS[0]
}

/// A chart an iframe shows alone (`embed=`). Made only from an entry's
/// embed name, so a link's name cannot drift from its chart.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Embed(&'static Chart);

impl Embed {
    pub fn parse(name: &str) -> Option<Embed> {
        CHARTS.iter().find(|c| c.embed == Some(name)).map(Embed)
    }

    /// The memory chart's (tested: it has an embed name).
    pub fn memory() -> Embed {
        Embed(memory())
    }

    pub fn as_str(self) -> &'static str {
        // `parse` made it from the embed name, so there is one.
        self.0.embed.unwrap_or(self.0.id)
    }

    pub fn chart(self) -> &'static Chart {
        self.0
    }

    /// Every embed name, in display order.
    pub fn names() -> Vec<&'static str> {
        CHARTS.iter().filter_map(|c| c.embed).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use incident_core::lesson::HIGHLIGHTS;
    use incident_core::presets;

    /// Highlights that name a panel, not a chart.
    const PANELS: [&str; 7] = [
        "map",
        "pods-table",
        "events",
        "alerts",
        "tracemalloc",
        "about",
        "checks",
    ];

    fn unique(names: &[&str]) -> bool {
        names
            .iter()
            .enumerate()
            .all(|(i, n)| !names[i + 1..].contains(n))
    }

    #[test]
    fn names_are_unique_and_every_chart_highlight_has_an_entry() {
        let ids: Vec<&str> = CHARTS.iter().map(|c| c.id).collect();
        let highlights: Vec<&str> = CHARTS.iter().map(|c| c.highlight).collect();
        assert!(unique(&ids), "{ids:?}");
        assert!(unique(&highlights), "{highlights:?}");
        assert!(unique(&Embed::names()), "{:?}", Embed::names());
        for h in HIGHLIGHTS.iter().filter(|h| !PANELS.contains(h)) {
            assert!(highlights.contains(h), "lessons highlight `{h}`: no chart");
        }
        for h in &highlights {
            assert!(!PANELS.contains(h), "`{h}` names a panel and a chart");
        }
        // Query cards name charts by id (core keeps its own list).
        let mut cards = incident_core::queries::CHARTS.to_vec();
        let mut sorted = ids.clone();
        cards.sort_unstable();
        sorted.sort_unstable();
        assert_eq!(cards, sorted);
    }

    /// Links in the wild name these: they must keep opening their chart.
    #[test]
    fn embed_names_are_those_links_use() {
        for name in ["memory", "latency", "requests", "go", "pods"] {
            let e = Embed::parse(name).unwrap_or_else(|| panic!("embed={name}"));
            assert_eq!(e.as_str(), name);
            assert_eq!(e.chart().id, name);
        }
        assert_eq!(Embed::names().len(), 5);
        assert_eq!(Embed::parse("python"), None);
        assert_eq!(memory().id, "memory");
        assert_eq!(Embed::memory().as_str(), "memory");
        assert_eq!(Embed::memory(), Embed::parse("memory").unwrap());
    }

    /// The charts each preset shows, by the rules the app has always used.
    #[test]
    fn every_preset_shows_its_charts_in_order() {
        for name in presets::names() {
            let sc = presets::load(name).unwrap();
            let mut want = vec!["memory"];
            for (kind, id) in [
                (ServiceKind::GoCheckout, "go"),
                (ServiceKind::PythonLeaky, "python"),
                (ServiceKind::NodeFrontend, "node"),
            ] {
                if runs(&sc, kind) {
                    want.push(id);
                }
            }
            want.extend(["latency", "requests", "pods"]);
            if sc.kafka.is_some() {
                want.push("postgres");
            }
            let got: Vec<&str> = charts_for(&sc).iter().map(|c| c.id).collect();
            assert_eq!(got, want, "{name}");
        }
    }
}
