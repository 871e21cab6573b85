//! Query cards: beside each chart, the query a learner would type into their
//! own tool to draw it. The cards are data (`assets/queries.toml`), started
//! from the seeds' own queries.

use crate::decode::{Fields, FromValue, Path};
use crate::scenario::{Problem, Problems, Scenario};
use serde_json::Value;

pub const MAX_CARDS: usize = 200;
pub const MAX_QUERIES_BYTES: usize = 128 * 1024;
/// The charts a card may sit beside (the app's chart ids).
pub const CHARTS: &[&str] = &[
    "memory", "go", "latency", "requests", "pods", "node", "python", "postgres",
];

#[derive(Clone, Debug, Default, PartialEq)]
pub struct QueryCard {
    pub chart: String,
    pub tool: String,
    /// With `{service}` and `{namespace}` still in it.
    pub query: String,
    pub seed_doc: Option<String>,
}

impl QueryCard {
    /// The query for a service of a run.
    pub fn render(&self, scenario: &Scenario, service: &str) -> String {
        self.query
            .replace("{service}", service)
            .replace("{namespace}", namespace_of(scenario))
    }
}

/// The Kubernetes namespace the seed deployed a scenario's services into.
pub fn namespace_of(scenario: &Scenario) -> &'static str {
    if scenario.services.contains_key("front-end") {
        "sock-shop"
    } else if scenario.services.contains_key("checkout") {
        "otel-demo"
    } else {
        "default"
    }
}

/// Reads `queries.toml`: every problem, with its path.
pub fn parse(text: &str) -> Result<Vec<QueryCard>, Problems> {
    if text.len() > MAX_QUERIES_BYTES {
        return Err(Problem::new("", "query cards may be at most 128 KB").into());
    }
    let value = crate::toml_reader::parse(text).map_err(|e| Problem::new("", e.to_string()))?;
    let mut f = Fields::new(&value, Path::Root)?;
    let cards: Vec<QueryCard> = f.required("cards");
    let cards = f.finish(cards)?;
    let mut problems = Vec::new();
    if cards.len() > MAX_CARDS {
        problems.push(Problem::new("cards", format!("at most {MAX_CARDS} cards")));
    }
    for (i, card) in cards.iter().enumerate() {
        if !CHARTS.contains(&card.chart.as_str()) {
            problems.push(Problem::new(
                format!("cards.{i}.chart"),
                format!(
                    "unknown chart `{}`; one of {}",
                    card.chart,
                    CHARTS.join(", ")
                ),
            ));
        }
        if card.query.trim().is_empty() || card.tool.trim().is_empty() {
            problems.push(Problem::new(
                format!("cards.{i}"),
                "a card needs a tool and a query",
            ));
        }
    }
    if problems.is_empty() {
        Ok(cards)
    } else {
        Err(Problems(problems))
    }
}

impl FromValue for QueryCard {
    fn from_value(value: &Value, path: Path<'_>) -> Result<Self, Problems> {
        let mut f = Fields::new(value, path)?;
        let card = QueryCard {
            chart: f.required("chart"),
            tool: f.required("tool"),
            query: f.required("query"),
            seed_doc: f.optional("seed_doc"),
        };
        f.finish(card)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHIPPED: &str = include_str!("../../../assets/queries.toml");

    #[test]
    fn shipped_cards_parse_and_fill_in_the_run() {
        let cards = parse(SHIPPED).unwrap();
        assert!(cards
            .iter()
            .any(|c| c.chart == "memory" && c.tool == "Honeycomb"));
        let sc = crate::presets::load("checkout-gradual").unwrap();
        let memory = cards.iter().find(|c| c.chart == "memory").unwrap();
        let q = memory.render(&sc, "checkout");
        assert!(
            q.contains("STARTS_WITH checkout") && !q.contains("{service}"),
            "{q}"
        );
        let shop = crate::presets::load("sockshop-hybrid").unwrap();
        let dd = cards.iter().find(|c| c.tool == "Datadog").unwrap();
        let q = dd.render(&shop, "front-end");
        assert!(
            q.contains("kube_namespace:sock-shop") && q.contains("{pod_name}"),
            "{q}"
        );
    }

    /// Metric names in a PromQL query: identifiers followed by a selector.
    fn promql_metrics(query: &str) -> Vec<&str> {
        let mut names = Vec::new();
        for (i, _) in query.match_indices('{') {
            let start = query[..i]
                .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .map_or(0, |j| j + 1);
            if start < i {
                names.push(&query[start..i]);
            }
        }
        names
    }

    #[test]
    fn every_prometheus_card_queries_a_catalogued_metric() {
        let prometheus: Vec<&str> = crate::metrics::ALL
            .iter()
            .map(|m| m.prometheus)
            .filter(|p| !p.is_empty())
            .collect();
        let cards = parse(SHIPPED).unwrap();
        let promql: Vec<&QueryCard> = cards.iter().filter(|c| c.tool == "Prometheus").collect();
        assert!(promql.len() >= 3);
        for card in promql {
            let names = promql_metrics(&card.query);
            assert!(!names.is_empty(), "{}", card.query);
            for name in names {
                let base = ["_bucket", "_count", "_sum"]
                    .iter()
                    .find_map(|s| name.strip_suffix(s))
                    .unwrap_or(name);
                assert!(
                    prometheus.contains(&base),
                    "{name} in `{}` is not in the metric catalogue",
                    card.query
                );
            }
        }
    }

    #[test]
    fn bad_cards_name_the_field() {
        let e = parse("[[cards]]\nchart = \"heap\"\ntool = \"x\"\nquery = \"y\"\n").unwrap_err();
        assert!(e.to_string().contains("cards.0.chart"), "{e}");
        let e = parse("[[cards]]\nchart = \"go\"\n").unwrap_err();
        assert!(e.to_string().contains("tool"), "{e}");
    }
}
