//! The seeds' alert rules, evaluated at every sample:
//!
//! * memory utilization above 0.70 (warning) and 0.85 (critical);
//! * working-set growth above N bytes per minute over a window
//!   (seed 001's `RATE_AVG(k8s.pod.memory.working_set) > 500000`);
//! * server-side P95 above a threshold (`P95(duration_ms) > 500`);
//! * a container restarted;
//! * a forecast: a least-squares line through the working set over a
//!   window, extended to the limit — "at this rate, OOM in 7 min".

use crate::scenario::AlertSpec;
use crate::units::SimTime;
use serde::Serialize;
use std::collections::VecDeque;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    #[default]
    MemoryUtilizationWarning,
    MemoryUtilizationCritical,
    MemoryGrowthRate,
    LatencyP95High,
    ContainerRestarted,
    OomPredicted,
}

impl Rule {
    pub const ALL: [Rule; 6] = [
        Rule::MemoryUtilizationWarning,
        Rule::MemoryUtilizationCritical,
        Rule::MemoryGrowthRate,
        Rule::LatencyP95High,
        Rule::ContainerRestarted,
        Rule::OomPredicted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Rule::MemoryUtilizationWarning => "memory_utilization_warning",
            Rule::MemoryUtilizationCritical => "memory_utilization_critical",
            Rule::MemoryGrowthRate => "memory_growth_rate",
            Rule::LatencyP95High => "latency_p95_high",
            Rule::ContainerRestarted => "container_restarted",
            Rule::OomPredicted => "oom_predicted",
        }
    }

    pub fn parse(text: &str) -> Option<Rule> {
        Rule::ALL.into_iter().find(|r| r.as_str() == text)
    }

    /// The rule in words, for learners.
    pub fn label(self) -> &'static str {
        match self {
            Rule::MemoryUtilizationWarning => "memory utilization warning",
            Rule::MemoryUtilizationCritical => "memory utilization critical",
            Rule::MemoryGrowthRate => "memory growth rate",
            Rule::LatencyP95High => "P95 latency high",
            Rule::ContainerRestarted => "container restarted",
            Rule::OomPredicted => "OOM predicted",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// One transition of an alert to firing, and when it resolved.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AlertFiring {
    pub rule: Rule,
    pub service: String,
    pub at_us: u64,
    pub value: f64,
    pub message: String,
    /// When the condition cleared; `None` while it still holds at the end
    /// (a restart alert is an event and never resolves).
    pub resolved_at_us: Option<u64>,
}

/// What one service reported at one sample.
#[derive(Clone, Copy, Debug, Default)]
pub struct AlertInput {
    pub working_set: Option<f64>,
    pub limit: f64,
    /// P95 over the last latency window; `None` when no window ended at this
    /// sample (the rule keeps its state) or nothing completed in it.
    pub latency_p95_ms: Option<f64>,
    /// True when a latency window ended at this sample.
    pub latency_window_ended: bool,
    pub restarts: u64,
}

/// Working-set samples kept for the growth and forecast rules.
const MAX_HISTORY: usize = 4_000;

#[derive(Clone, Debug, Default)]
struct ServiceAlerts {
    firing: [bool; 6],
    history: VecDeque<(f64, f64)>,
    restarts_seen: u64,
    /// When the running container first reported memory (seconds).
    started_s: Option<f64>,
}

/// Headroom under which a working set counts as at its limit: there the
/// kernel is reclaiming page cache, and a linear forecast says nothing.
const AT_LIMIT_RATIO: f64 = 0.01;

impl AlertInput {
    /// The working set is within `AT_LIMIT_RATIO` of the limit.
    fn at_limit(&self) -> bool {
        self.working_set
            .is_some_and(|ws| self.limit > 0.0 && self.limit - ws <= self.limit * AT_LIMIT_RATIO)
    }
}

impl ServiceAlerts {
    /// Adds this sample's working set to the trend history and drops what
    /// no window reaches any more.
    fn record(&mut self, spec: &AlertSpec, t: f64, input: &AlertInput) {
        // A restart starts a new trend: the old container's memory says
        // nothing about the new one's.
        if input.restarts > self.restarts_seen || input.working_set.is_none() {
            self.history.clear();
            self.started_s = None;
        }
        if let Some(ws) = input.working_set {
            let started = *self.started_s.get_or_insert(t);
            // Start-up allocation is not a leak: the trend rules wait.
            if t - started >= spec.warmup.as_secs_f64() {
                debug_assert!(
                    self.history.back().is_none_or(|(ht, _)| *ht <= t),
                    "the trend history stays in time order (the rules bisect it)"
                );
                self.history.push_back((t, ws));
                if self.history.len() > MAX_HISTORY {
                    self.history.pop_front();
                }
            }
        }
        let keep_from = t - spec
            .predictive_window
            .as_secs_f64()
            .max(spec.growth_window.as_secs_f64());
        while self.history.front().is_some_and(|(ht, _)| *ht < keep_from) {
            self.history.pop_front();
        }
    }
}

/// What each rule says at one sample: whether it should be firing, and the
/// value its message shows.
struct Verdict {
    wanted: [bool; 6],
    values: [f64; 6],
    /// The forecast's trend, for its message; 0 when there is none.
    slope_per_s: f64,
}

impl Verdict {
    fn of(spec: &AlertSpec, state: &ServiceAlerts, t: f64, input: &AlertInput) -> Verdict {
        let mut verdict = Verdict {
            wanted: [false; 6],
            values: [0.0; 6],
            slope_per_s: 0.0,
        };
        if let (Some(ws), true) = (input.working_set, input.limit > 0.0) {
            verdict.utilization(spec, ws / input.limit);
            verdict.growth(spec, &state.history, t, ws);
            verdict.forecast(spec, &state.history, t, ws, input.limit);
        }
        let r = Rule::LatencyP95High.index();
        if !input.latency_window_ended {
            // Between windows the rule holds its state.
            verdict.wanted[r] = state.firing[r];
        } else if let Some(p95) = input.latency_p95_ms {
            verdict.set(Rule::LatencyP95High, p95 > spec.latency_p95_ms, p95);
        }
        if spec.restarts && input.restarts > state.restarts_seen {
            verdict.set(Rule::ContainerRestarted, true, input.restarts as f64);
        }
        verdict
    }

    fn set(&mut self, rule: Rule, wanted: bool, value: f64) {
        self.wanted[rule.index()] = wanted;
        self.values[rule.index()] = value;
    }

    fn utilization(&mut self, spec: &AlertSpec, utilization: f64) {
        let warning = utilization > spec.utilization_warning;
        self.set(Rule::MemoryUtilizationWarning, warning, utilization);
        let critical = utilization > spec.utilization_critical;
        self.set(Rule::MemoryUtilizationCritical, critical, utilization);
    }

    /// Compares with the oldest sample inside the growth window, once at
    /// least half the window is there.
    fn growth(&mut self, spec: &AlertSpec, history: &VecDeque<(f64, f64)>, t: f64, ws: f64) {
        let window = spec.growth_window.as_secs_f64();
        // The history is in time order: the oldest sample inside the window
        // is found by bisection, not by a scan every sample.
        let first = history.partition_point(|(ht, _)| *ht < t - window - 1e-9);
        let Some(&(t0, ws0)) = history.get(first) else {
            return;
        };
        if t - t0 >= window * 0.5 {
            let per_min = (ws - ws0) / (t - t0) * 60.0;
            self.set(
                Rule::MemoryGrowthRate,
                per_min > spec.growth_bytes_per_min,
                per_min,
            );
        }
    }

    /// Least squares over the window, since the last restart, once at
    /// least half the window is there.
    fn forecast(
        &mut self,
        spec: &AlertSpec,
        history: &VecDeque<(f64, f64)>,
        t: f64,
        ws: f64,
        limit: f64,
    ) {
        let window = spec.predictive_window.as_secs_f64();
        let pred_from = t - window;
        let span = history
            .front()
            .map(|(ht, _)| t - ht.max(pred_from))
            .unwrap_or(0.0);
        if span >= window / 2.0 {
            let first = history.partition_point(|(ht, _)| *ht < pred_from);
            let points = history.range(first..).copied();
            if let Some(slope) = slope_per_s(points).filter(|slope| *slope > 0.0) {
                // At the limit the eta is zero: the message says so instead
                // of "OOM in 1 s" (see `AlertEngine::message`).
                let eta_s = ((limit - ws) / slope).max(0.0);
                let soon = eta_s < spec.predictive_horizon.as_secs_f64();
                self.set(Rule::OomPredicted, soon, eta_s);
                self.slope_per_s = slope;
            }
        }
    }
}

#[derive(Clone, Debug)]
pub struct AlertEngine {
    spec: AlertSpec,
    services: Vec<ServiceAlerts>,
    pub firings: Vec<AlertFiring>,
}

/// A state change the engine reports, for the event log.
#[derive(Clone, Debug, PartialEq)]
pub struct Transition {
    pub rule: Rule,
    pub firing: bool,
    pub message: String,
}

/// Least-squares slope of (t, y), per second. `None` with fewer than 3 points.
pub fn slope_per_s(points: impl ExactSizeIterator<Item = (f64, f64)> + Clone) -> Option<f64> {
    let n = points.len();
    if n < 3 {
        return None;
    }
    let nf = n as f64;
    let (st, sy) = points
        .clone()
        .fold((0.0, 0.0), |(a, b), (t, y)| (a + t, b + y));
    let (mt, my) = (st / nf, sy / nf);
    let (num, den) = points.fold((0.0, 0.0), |(num, den), (t, y)| {
        (num + (t - mt) * (y - my), den + (t - mt) * (t - mt))
    });
    if den <= 0.0 {
        None
    } else {
        Some(num / den)
    }
}

fn format_minutes(seconds: f64) -> String {
    if seconds < 90.0 {
        format!("{:.0} s", seconds.max(1.0))
    } else {
        format!("{:.0} min", seconds / 60.0)
    }
}

impl AlertEngine {
    pub fn new(spec: &AlertSpec, services: usize) -> AlertEngine {
        AlertEngine {
            spec: spec.clone(),
            services: vec![ServiceAlerts::default(); services],
            firings: Vec::new(),
        }
    }

    /// Evaluates every rule for one service; returns the state changes.
    /// Messages are written only for rules that change state.
    pub fn evaluate(
        &mut self,
        service_index: usize,
        service: &str,
        now: SimTime,
        input: AlertInput,
    ) -> Vec<Transition> {
        let spec = &self.spec;
        let state = &mut self.services[service_index];
        let t = now.as_secs_f64();
        state.record(spec, t, &input);
        let verdict = Verdict::of(spec, state, t, &input);
        state.restarts_seen = state.restarts_seen.max(input.restarts);
        let was_firing = std::mem::replace(&mut state.firing, verdict.wanted);
        let at_limit = input.at_limit();
        Rule::ALL
            .into_iter()
            .filter_map(|rule| {
                let i = rule.index();
                let (was, wanted) = (was_firing[i], verdict.wanted[i]);
                // A restart alert is an event: it fires on every new restart
                // and never resolves.
                let event = rule == Rule::ContainerRestarted;
                if wanted && (event || !was) {
                    let message = Self::message(
                        &self.spec,
                        rule,
                        service,
                        verdict.values[i],
                        verdict.slope_per_s,
                        at_limit,
                    );
                    Some(self.fire(rule, service, now, verdict.values[i], message))
                } else if was && !wanted && !event {
                    Some(self.resolve(rule, service, now))
                } else {
                    None
                }
            })
            .collect()
    }

    fn fire(
        &mut self,
        rule: Rule,
        service: &str,
        now: SimTime,
        value: f64,
        message: String,
    ) -> Transition {
        self.firings.push(AlertFiring {
            rule,
            service: service.to_string(),
            at_us: now.0,
            value,
            message: message.clone(),
            resolved_at_us: None,
        });
        Transition {
            rule,
            firing: true,
            message,
        }
    }

    fn resolve(&mut self, rule: Rule, service: &str, now: SimTime) -> Transition {
        if let Some(open) = self
            .firings
            .iter_mut()
            .rev()
            .find(|f| f.rule == rule && f.service == service && f.resolved_at_us.is_none())
        {
            debug_assert!(open.at_us <= now.0, "an alert resolves after it fires");
            open.resolved_at_us = Some(now.0);
        }
        Transition {
            rule,
            firing: false,
            message: format!("{} resolved for {service}", rule.as_str()),
        }
    }

    fn message(
        spec: &AlertSpec,
        rule: Rule,
        service: &str,
        value: f64,
        slope: f64,
        at_limit: bool,
    ) -> String {
        match rule {
            Rule::MemoryUtilizationWarning => format!(
                "{service} memory at {:.0} % of its limit (warning above {:.0} %)",
                value * 100.0,
                spec.utilization_warning * 100.0
            ),
            Rule::MemoryUtilizationCritical => format!(
                "{service} memory at {:.0} % of its limit: OOM is imminent (critical above {:.0} %)",
                value * 100.0,
                spec.utilization_critical * 100.0
            ),
            Rule::MemoryGrowthRate => format!(
                "{service} working set growing {:.0} KB/min (alert above {:.0} KB/min)",
                value / 1000.0,
                spec.growth_bytes_per_min / 1000.0
            ),
            Rule::LatencyP95High => format!(
                "{service} P95 latency {:.0} ms over the last {} (alert above {:.0} ms)",
                value, spec.latency_window, spec.latency_p95_ms
            ),
            Rule::ContainerRestarted => format!("{service} restarted (restarts: {value:.0})"),
            // At the limit a forecast has nothing left to extend: the kernel
            // is reclaiming page cache, and the kill comes when anonymous
            // memory alone no longer fits, which the working set cannot show.
            Rule::OomPredicted if at_limit => format!(
                "{service} is at its memory limit (trend {:.0} KB/min): the kernel is reclaiming page cache; the OOM kill comes when the heap and stacks alone no longer fit",
                slope * 60.0 / 1000.0
            ),
            Rule::OomPredicted => format!(
                "{service}: at this rate, OOM in {} (trend {:.0} KB/min)",
                format_minutes(value),
                slope * 60.0 / 1000.0
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::units::MIB;

    fn input(ws_mib: f64) -> AlertInput {
        AlertInput {
            working_set: Some(ws_mib * MIB as f64),
            limit: 20.0 * MIB as f64,
            latency_p95_ms: None,
            latency_window_ended: false,
            restarts: 0,
        }
    }

    #[test]
    fn thresholds_fire_once_and_resolve() {
        let mut e = AlertEngine::new(&AlertSpec::default(), 1);
        e.evaluate(0, "checkout", SimTime::from_secs(0), input(8.0));
        let t = e.evaluate(0, "checkout", SimTime::from_secs(10), input(15.0));
        assert!(t
            .iter()
            .any(|x| x.rule == Rule::MemoryUtilizationWarning && x.firing));
        let t = e.evaluate(0, "checkout", SimTime::from_secs(20), input(15.5));
        assert!(!t.iter().any(|x| x.rule == Rule::MemoryUtilizationWarning));
        let t = e.evaluate(0, "checkout", SimTime::from_secs(30), input(18.0));
        assert!(t
            .iter()
            .any(|x| x.rule == Rule::MemoryUtilizationCritical && x.firing));
        let t = e.evaluate(0, "checkout", SimTime::from_secs(40), input(5.0));
        assert!(t
            .iter()
            .any(|x| x.rule == Rule::MemoryUtilizationCritical && !x.firing));
        assert_eq!(
            e.firings
                .iter()
                .filter(|f| f.rule == Rule::MemoryUtilizationWarning)
                .count(),
            1
        );
    }

    #[test]
    fn start_up_allocation_is_not_a_leak() {
        let mut e = AlertEngine::new(&AlertSpec::default(), 1);
        // 0 -> 8 MiB in the first 20 s, then flat for ten minutes.
        for i in 0..=120 {
            let t = i as f64 * 5.0;
            let ws = (t / 20.0).min(1.0) * 8.0;
            e.evaluate(0, "checkout", SimTime::from_secs_f64(t), input(ws));
        }
        assert!(e.firings.is_empty(), "{:?}", e.firings);
        // Without the warm-up the same start-up reads as growth.
        let spec = AlertSpec {
            warmup: crate::units::Dur::secs(0),
            ..AlertSpec::default()
        };
        let mut e = AlertEngine::new(&spec, 1);
        for i in 0..=120 {
            let t = i as f64 * 5.0;
            let ws = (t / 20.0).min(1.0) * 8.0;
            e.evaluate(0, "checkout", SimTime::from_secs_f64(t), input(ws));
        }
        assert!(e.firings.iter().any(|f| f.rule == Rule::MemoryGrowthRate));
    }

    #[test]
    fn alerts_record_when_they_resolve() {
        let mut e = AlertEngine::new(&AlertSpec::default(), 1);
        for (i, ws) in [10.0, 15.0, 15.0, 10.0].into_iter().enumerate() {
            e.evaluate(0, "checkout", SimTime::from_secs(i as u64 * 10), input(ws));
        }
        let warning = e
            .firings
            .iter()
            .find(|f| f.rule == Rule::MemoryUtilizationWarning)
            .expect("15 of 20 MiB is above 70 %");
        assert_eq!(
            (warning.at_us, warning.resolved_at_us),
            (10_000_000, Some(30_000_000))
        );
    }

    #[test]
    fn at_the_limit_the_forecast_names_reclaim_not_an_eta() {
        let spec = AlertSpec {
            warmup: crate::units::Dur::secs(0),
            ..AlertSpec::default()
        };
        let mut e = AlertEngine::new(&spec, 1);
        // Climbing to the limit, then parked at 19.9 of 20 MiB.
        for i in 0..=60 {
            let t = i as f64 * 10.0;
            let ws = (10.0 + t / 30.0).min(19.9);
            e.evaluate(0, "checkout", SimTime::from_secs_f64(t), input(ws));
        }
        let f = e
            .firings
            .iter()
            .find(|f| f.rule == Rule::OomPredicted)
            .expect("the trend points at the limit");
        assert!(!f.message.contains(" s ("), "{}", f.message);
    }

    #[test]
    fn forecast_extends_the_trend_to_the_limit() {
        let spec = AlertSpec {
            predictive_horizon: crate::units::Dur::secs(600),
            warmup: crate::units::Dur::secs(0),
            ..AlertSpec::default()
        };
        let mut e = AlertEngine::new(&spec, 1);
        // 1 MiB per minute from 8 MiB: the limit (20 MiB) is 12 min away at t=0.
        let mut fired_at = None;
        for i in 0..=60 {
            let t = i as f64 * 10.0;
            let ws = 8.0 + t / 60.0;
            let tr = e.evaluate(0, "checkout", SimTime::from_secs_f64(t), input(ws));
            if tr.iter().any(|x| x.rule == Rule::OomPredicted && x.firing) {
                fired_at = Some(t);
                break;
            }
        }
        // ETA < 10 min from t ≈ 120 s, but the forecast needs half its 5-min window.
        let at = fired_at.expect("forecast fired");
        assert!((140.0..=160.0).contains(&at), "{at}");
        let f = e
            .firings
            .iter()
            .find(|f| f.rule == Rule::OomPredicted)
            .unwrap();
        assert!(f.message.contains("OOM in"), "{}", f.message);
    }

    #[test]
    fn growth_rate_uses_the_window() {
        let mut e = AlertEngine::new(&AlertSpec::default(), 1);
        let mut fired = false;
        // Past the two-minute warm-up, then two minutes of growth.
        for i in 0..=24 {
            let t = i as f64 * 10.0;
            // 1 MB per minute: above the 500 KB/min threshold.
            let ws = 8.0 * MIB as f64 + t / 60.0 * 1.0e6;
            let tr = e.evaluate(
                0,
                "checkout",
                SimTime::from_secs_f64(t),
                AlertInput {
                    working_set: Some(ws),
                    limit: 20.0 * MIB as f64,
                    ..Default::default()
                },
            );
            fired |= tr
                .iter()
                .any(|x| x.rule == Rule::MemoryGrowthRate && x.firing);
        }
        assert!(fired);
    }

    #[test]
    fn latency_is_judged_per_window_and_holds_between() {
        let mut e = AlertEngine::new(&AlertSpec::default(), 1);
        let mut inp = input(8.0);
        inp.latency_window_ended = true;
        inp.latency_p95_ms = Some(900.0);
        let t = e.evaluate(0, "c", SimTime::from_secs(60), inp);
        assert!(t.iter().any(|x| x.rule == Rule::LatencyP95High && x.firing));
        inp.latency_window_ended = false;
        inp.latency_p95_ms = None;
        let t = e.evaluate(0, "c", SimTime::from_secs(61), inp);
        assert!(
            !t.iter().any(|x| x.rule == Rule::LatencyP95High),
            "holds between windows"
        );
        inp.latency_window_ended = true;
        inp.latency_p95_ms = Some(100.0);
        let t = e.evaluate(0, "c", SimTime::from_secs(120), inp);
        assert!(t
            .iter()
            .any(|x| x.rule == Rule::LatencyP95High && !x.firing));
    }

    #[test]
    fn forecast_waits_for_enough_history() {
        let mut e = AlertEngine::new(&AlertSpec::default(), 1);
        for i in 0..5 {
            let tr = e.evaluate(0, "c", SimTime::from_secs(i), input(8.0 + i as f64));
            assert!(
                !tr.iter().any(|x| x.rule == Rule::OomPredicted),
                "no forecast from 5 s of data"
            );
        }
    }

    #[test]
    fn every_restart_fires() {
        let mut e = AlertEngine::new(&AlertSpec::default(), 1);
        let mut inp = input(8.0);
        e.evaluate(0, "c", SimTime::from_secs(0), inp);
        inp.restarts = 1;
        e.evaluate(0, "c", SimTime::from_secs(10), inp);
        e.evaluate(0, "c", SimTime::from_secs(20), inp);
        inp.restarts = 2;
        e.evaluate(0, "c", SimTime::from_secs(30), inp);
        assert_eq!(
            e.firings
                .iter()
                .filter(|f| f.rule == Rule::ContainerRestarted)
                .count(),
            2
        );
    }

    #[test]
    fn slope_is_least_squares() {
        let pts = [(0.0, 1.0), (1.0, 3.0), (2.0, 5.0), (3.0, 7.0)];
        assert!((slope_per_s(pts.iter().copied()).unwrap() - 2.0).abs() < 1e-12);
        assert!(slope_per_s([(0.0, 1.0)].iter().copied()).is_none());
    }
}
