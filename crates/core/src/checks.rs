//! Seed 002's diagnostic checklist as buttons. Each check is the command an
//! engineer would type and what it would print at a moment of a run, read
//! from the trace: what flagd answers, what checkout logged, how many orders
//! it placed, `kubectl top`, the limit, KAFKA_ADDR and Locust's state.
//!
//! [`not_growing_cause`] applies the same checks in the checklist's order to
//! a whole run, so the lesson's "what is broken?" answer comes from the run.

use crate::metrics as m;
use crate::trace::Trace;
use crate::units::{format_bytes_human, SimTime};
use crate::view::value_at;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Check {
    FlagEvaluation,
    FlagLogs,
    OrderCount,
    KubectlTop,
    MemoryLimit,
    KafkaAddr,
    LoadGenerator,
}

impl Check {
    pub const ALL: [Check; 7] = [
        Check::FlagEvaluation,
        Check::FlagLogs,
        Check::OrderCount,
        Check::KubectlTop,
        Check::MemoryLimit,
        Check::KafkaAddr,
        Check::LoadGenerator,
    ];

    /// The name a lesson file uses.
    pub fn name(self) -> &'static str {
        match self {
            Check::FlagEvaluation => "flag_evaluation",
            Check::FlagLogs => "flag_logs",
            Check::OrderCount => "order_count",
            Check::KubectlTop => "kubectl_top",
            Check::MemoryLimit => "memory_limit",
            Check::KafkaAddr => "kafka_addr",
            Check::LoadGenerator => "load_generator",
        }
    }

    pub fn parse(name: &str) -> Option<Check> {
        Check::ALL.into_iter().find(|c| c.name() == name)
    }

    /// The button's words.
    pub fn label(self) -> &'static str {
        match self {
            Check::FlagEvaluation => "What does flagd serve?",
            Check::FlagLogs => "Did checkout log the flag?",
            Check::OrderCount => "Are orders placed?",
            Check::KubectlTop => "kubectl top",
            Check::MemoryLimit => "What is the limit?",
            Check::KafkaAddr => "Is Kafka configured?",
            Check::LoadGenerator => "Is Locust running?",
        }
    }

    /// The command, as the seed writes it, for the run's service and flag.
    pub fn command(self, trace: &Trace, service: &str) -> String {
        let flag = flag_of(trace, service);
        let ns = "otel-demo";
        match self {
            Check::FlagEvaluation => {
                format!("curl -s -X POST http://localhost:8016/ofrep/v1/evaluate/flags/{flag}")
            }
            Check::FlagLogs => format!(
                "kubectl logs -n {ns} -l app.kubernetes.io/name={service} --tail=100 | grep -i \"{flag}\""
            ),
            Check::OrderCount => {
                format!("kubectl logs -n {ns} deploy/{service} | grep -ci \"order placed\"")
            }
            Check::KubectlTop => {
                format!("kubectl top pod -n {ns} -l app.kubernetes.io/name={service}")
            }
            Check::MemoryLimit => format!(
                "kubectl get deployment {service} -n {ns} -o jsonpath='{{.spec.template.spec.containers[0].resources.limits.memory}}'"
            ),
            Check::KafkaAddr => format!("kubectl exec -n {ns} deploy/{service} -- printenv KAFKA_ADDR"),
            Check::LoadGenerator => {
                "curl -s http://localhost:8089/stats/requests | jq '{state, user_count}'".to_string()
            }
        }
    }

    /// What the command prints at `t` in this run.
    pub fn output(self, trace: &Trace, service: &str, t: SimTime) -> String {
        let at = |name: &str, svc: &str| value_at(trace, name, svc, t);
        match self {
            Check::FlagEvaluation => flag_evaluation(trace, service, t),
            Check::FlagLogs => flag_logs(trace, service, t),
            Check::OrderCount => {
                let orders = at(m::ORDERS.name, service).unwrap_or(0.0);
                format!("{orders:.0}")
            }
            Check::KubectlTop => kubectl_top(trace, service, t),
            Check::MemoryLimit => match at(m::MEMORY_LIMIT.name, service) {
                Some(bytes) => crate::units::format_bytes_exact(bytes as u64),
                None => format_bytes_human(0.0),
            },
            Check::KafkaAddr => {
                if kafka_configured(trace, service) {
                    "kafka:9092".to_string()
                } else {
                    "(no output; exit code 1)".to_string()
                }
            }
            Check::LoadGenerator => {
                let users = at(m::LOCUST_USERS.name, m::LOAD_GENERATOR).unwrap_or(0.0);
                let state = if users > 0.0 { "running" } else { "stopped" };
                format!("{{\n  \"state\": \"{state}\",\n  \"user_count\": {users:.0}\n}}")
            }
        }
    }
}

/// flagd's OFREP answer: the served value and the variant it belongs to.
fn flag_evaluation(trace: &Trace, service: &str, t: SimTime) -> String {
    let flag = flag_of(trace, service);
    let value = value_at(trace, m::FLAG_SERVED.name, service, t).unwrap_or(0.0) as i64;
    let variant = trace
        .scenario
        .flags
        .get(&flag)
        .and_then(|f| f.variants.iter().find(|(_, v)| **v == value))
        .map_or("default", |(name, _)| name.as_str());
    format!(
        "{{\"key\":\"{flag}\",\"value\":{value},\"variant\":\"{variant}\",\"reason\":\"STATIC\"}}"
    )
}

/// The last 10 flag lines the service's pods logged up to `t`, like `--tail`.
fn flag_logs(trace: &Trace, service: &str, t: SimTime) -> String {
    let prefix = format!("pod/{service}-");
    let lines: Vec<&str> = trace
        .events
        .iter()
        .take_while(|e| e.at_us <= t.0)
        .filter(|e| e.reason == "FeatureFlag" && e.object.starts_with(&prefix))
        .map(|e| e.message.as_str())
        .collect();
    let shown = &lines[lines.len().saturating_sub(10)..];
    if shown.is_empty() {
        "(no output)".to_string()
    } else {
        shown.join("\n")
    }
}

/// One row per running pod of the service, with the service's CPU and
/// working set at `t`.
fn kubectl_top(trace: &Trace, service: &str, t: SimTime) -> String {
    let at = |name: &str| value_at(trace, name, service, t);
    let mut out = format!("{:<34}{:<13}{}", "NAME", "CPU(cores)", "MEMORY(bytes)");
    let cpu_millicores = at(m::CPU_USAGE.name).unwrap_or(0.0) * 1000.0;
    let ws_bytes = at(m::WORKING_SET.name);
    for row in crate::view::pods_at(trace, t)
        .into_iter()
        .filter(|r| r.service == service && r.status == "Running")
    {
        let memory = ws_bytes.map_or("<unknown>".to_string(), |b| {
            format!("{:.0}Mi", b / (1024.0 * 1024.0))
        });
        out.push_str(&format!(
            "\n{:<34}{:<13}{memory}",
            row.name,
            format!("{cpu_millicores:.0}m")
        ));
    }
    out
}

fn flag_of(trace: &Trace, service: &str) -> String {
    trace
        .scenario
        .services
        .get(service)
        .and_then(|s| s.checkout.as_ref())
        .map_or_else(|| "kafkaQueueProblems".to_string(), |c| c.flag.clone())
}

fn kafka_configured(trace: &Trace, service: &str) -> bool {
    trace
        .scenario
        .services
        .get(service)
        .and_then(|s| s.checkout.as_ref())
        .is_some_and(|c| c.kafka_configured)
}

/// Why a checkout's memory did not grow into an OOM kill, found by running
/// the checklist over the whole run in the seed's order: `"flag off"`,
/// `"no checkouts"`, `"kafka not configured"`, `"stale flag"`,
/// `"limit too high"`, or `"none"` when it grew and was killed.
pub fn not_growing_cause(trace: &Trace, service: &str) -> Option<&'static str> {
    let series_max = |name: &str, svc: &str| {
        trace
            .find_series(name, svc)
            .map(|s| s.values.iter().flatten().fold(0.0_f64, |m, v| m.max(*v)))
    };
    let summary = trace.summary.services.iter().find(|s| s.name == service)?;
    let served_max = series_max(m::FLAG_SERVED.name, service)?;
    let orders_max = series_max(m::ORDERS.name, service).unwrap_or(0.0);
    let prefix = format!("pod/{service}-");
    let logged = trace
        .events
        .iter()
        .any(|e| e.reason == "FeatureFlag" && e.object.starts_with(&prefix));
    Some(if served_max <= 0.0 {
        "flag off"
    } else if orders_max <= 0.0 {
        "no checkouts"
    } else if !kafka_configured(trace, service) {
        "kafka not configured"
    } else if !logged {
        "stale flag"
    } else if summary.first_oom_s.is_none() {
        "limit too high"
    } else {
        "none"
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{presets, simulate};

    fn run(preset: &str) -> Trace {
        simulate(&presets::load(preset).unwrap())
    }

    #[test]
    fn every_broken_setup_is_found_by_the_checklist() {
        for (preset, cause) in [
            ("not-growing-flag-off", "flag off"),
            ("not-growing-no-checkouts", "no checkouts"),
            ("not-growing-kafka-unconfigured", "kafka not configured"),
            ("not-growing-stale-flag", "stale flag"),
            ("not-growing-limit-too-high", "limit too high"),
            ("checkout-gradual", "none"),
        ] {
            assert_eq!(
                not_growing_cause(&run(preset), "checkout"),
                Some(cause),
                "{preset}"
            );
        }
    }

    #[test]
    fn checks_print_what_the_run_did() {
        let off = run("not-growing-flag-off");
        let end = SimTime::from_secs_f64(off.summary.duration_s);
        let eval = Check::FlagEvaluation.output(&off, "checkout", end);
        assert!(
            eval.contains("\"value\":0") && eval.contains("\"variant\":\"off\""),
            "{eval}"
        );
        assert_eq!(Check::FlagLogs.output(&off, "checkout", end), "(no output)");
        assert_eq!(Check::MemoryLimit.output(&off, "checkout", end), "20Mi");

        let leak = run("checkout-gradual");
        let t = SimTime::from_secs_f64(240.0);
        let eval = Check::FlagEvaluation.output(&leak, "checkout", t);
        assert!(eval.contains("\"value\":300"), "{eval}");
        let logs = Check::FlagLogs.output(&leak, "checkout", t);
        assert!(logs.contains("overloading queue now"), "{logs}");
        assert!(logs.contains("Done with #300 messages"), "{logs}");
        let orders: f64 = Check::OrderCount
            .output(&leak, "checkout", t)
            .parse()
            .unwrap();
        assert!(orders > 10.0, "{orders}");
        let top = Check::KubectlTop.output(&leak, "checkout", t);
        assert!(
            top.starts_with("NAME") && top.lines().count() == 2 && top.contains("Mi"),
            "{top}"
        );

        let idle = run("not-growing-no-checkouts");
        assert_eq!(Check::OrderCount.output(&idle, "checkout", end), "0");
        assert!(Check::LoadGenerator
            .output(&idle, "checkout", end)
            .contains("stopped"));
        let no_kafka = run("not-growing-kafka-unconfigured");
        assert!(Check::KafkaAddr
            .output(&no_kafka, "checkout", end)
            .contains("exit code 1"));
        assert_eq!(
            Check::KafkaAddr.output(&leak, "checkout", end),
            "kafka:9092"
        );
    }

    #[test]
    fn names_round_trip() {
        for c in Check::ALL {
            assert_eq!(Check::parse(c.name()), Some(c));
        }
        assert_eq!(Check::parse("nope"), None);
    }
}
