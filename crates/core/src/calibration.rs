//! The model against a recorded real run: the four numbers the calibration
//! holds the model to, each with its tolerance (issue: "the model against
//! reality"). Both traces come from the same scenario, the model's run as
//! long as the real one, with the same sample interval.

use crate::lesson::Measure;
use crate::trace::Trace;

/// Relative tolerance of the time to the first OOM, the goroutines at it
/// and the working set's growth.
pub const RELATIVE_TOLERANCE: f64 = 0.25;
/// Restarts may differ by this many.
pub const RESTARTS_TOLERANCE: f64 = 1.0;
/// A flat working set (a healthy broker) grows at about zero, where a
/// relative error means nothing: growths within this of each other agree.
pub const GROWTH_FLOOR_MI_PER_MIN: f64 = 0.1;

/// One number of both runs, and whether the model is within tolerance.
#[derive(Clone, Debug, PartialEq)]
pub struct Check {
    pub what: String,
    pub unit: &'static str,
    pub real: Option<f64>,
    pub model: Option<f64>,
    pub tolerance: String,
    pub within: bool,
}

/// The checks for one service of a scenario.
pub fn checks(real: &Trace, model: &Trace, service: &str) -> Vec<Check> {
    let take = |text: String, trace: &Trace| {
        Measure::parse(&text)
            .ok()
            .and_then(|m| m.evaluate(trace))
            .and_then(|v| v.number())
    };
    let both = |name: &str| {
        let text = format!("{name}({service})");
        (take(text.clone(), real), take(text, model))
    };
    let relative = format!("±{:.0} %", RELATIVE_TOLERANCE * 100.0);
    let (oom_r, oom_m) = both("first_oom_after_load_min");
    let (restarts_r, restarts_m) = both("restarts");
    let (g_r, g_m) = both("goroutines_at_first_oom");
    let (growth_r, growth_m) = both("working_set_growth_mi_per_min");
    let seconds = |v: Option<f64>| v.map(|m| m * 60.0);
    vec![
        check(
            format!("{service} first OOM after load"),
            "s",
            (seconds(oom_r), seconds(oom_m)),
            relative.clone(),
            within_relative,
        ),
        check(
            format!("{service} restarts"),
            "",
            (restarts_r, restarts_m),
            format!("±{RESTARTS_TOLERANCE:.0}"),
            |r, m| (r - m).abs() <= RESTARTS_TOLERANCE,
        ),
        check(
            format!("{service} goroutines at first OOM"),
            "",
            (g_r, g_m),
            relative.clone(),
            within_relative,
        ),
        check(
            format!("{service} working-set growth before the kill"),
            "Mi/min",
            (growth_r, growth_m),
            format!("{relative} or ±{GROWTH_FLOOR_MI_PER_MIN} Mi/min"),
            |r, m| within_relative(r, m) || (r - m).abs() <= GROWTH_FLOOR_MI_PER_MIN,
        ),
    ]
}

/// Both sides measured and within, or neither side got there (no OOM in
/// either run): one side alone is a miss.
fn check(
    what: String,
    unit: &'static str,
    (real, model): (Option<f64>, Option<f64>),
    tolerance: String,
    agree: fn(f64, f64) -> bool,
) -> Check {
    let within = match (real, model) {
        (Some(r), Some(m)) => agree(r, m),
        (None, None) => true,
        _ => false,
    };
    Check {
        what,
        unit,
        real,
        model,
        tolerance,
        within,
    }
}

fn within_relative(real: f64, model: f64) -> bool {
    (model - real).abs() <= RELATIVE_TOLERANCE * real.abs()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Scenario;

    #[test]
    fn agreement_follows_the_tolerances() {
        assert!(within_relative(100.0, 124.0));
        assert!(!within_relative(100.0, 126.0));
        let c = |r, m| check("x".into(), "", (r, m), String::new(), within_relative);
        assert!(c(None, None).within, "neither run got there");
        assert!(!c(Some(1.0), None).within, "only one did");
        assert!(!c(Some(10.0), Some(14.0)).within);
    }

    #[test]
    fn a_run_agrees_with_itself() {
        let mut sc = crate::presets::load("checkout-spike").expect("a preset");
        sc.duration = crate::units::Dur::secs(150);
        let t = crate::simulate(&sc);
        let all = checks(&t, &t, "checkout");
        assert_eq!(all.len(), 4);
        assert!(all.iter().all(|c| c.within), "{all:?}");
        assert!(all[0].real.is_some() && all[2].real.is_some(), "{all:?}");
    }

    #[test]
    fn the_go_costs_run_of_the_model_gives_back_the_models_own_costs() {
        let text = include_str!("../../../workloads/checkout/go-costs.toml");
        let sc = Scenario::from_toml(text).expect("it reads");
        let t = crate::simulate(&sc);
        let costs = go_costs(&t, "checkout").expect("enough samples");
        let spec = &sc.services["checkout"];
        let (go, c) = (spec.go.as_ref().unwrap(), spec.checkout.as_ref().unwrap());
        let heap = (go.goroutine_descriptor.0 + c.message_heap.0 + c.waiter_heap.0) as f64;
        let per = heap + c.goroutine_stack.0 as f64;
        let off = |got: f64, want: f64| (got - want).abs() / want;
        assert!(costs.samples >= 10, "{costs:?}");
        assert!(
            off(costs.heap_per_goroutine_bytes, heap) < 0.2,
            "{costs:?} vs {heap}"
        );
        assert!(
            off(costs.working_set_per_goroutine_bytes, per) < 0.2,
            "{costs:?} vs {per}"
        );
        assert!(
            costs.goroutines_at_first_oom.is_some_and(|g| g > 2000.0),
            "{costs:?}"
        );
    }
}

/// What `incident go-costs` measures on the reference workload's run.
#[derive(Clone, Debug, PartialEq)]
pub struct GoCosts {
    /// Mean working set before the load starts.
    pub idle_working_set_bytes: f64,
    /// Working set each extra goroutine adds (least squares over the
    /// samples from load start to the last before the OOM kill).
    pub working_set_per_goroutine_bytes: f64,
    /// Heap each adds: its descriptor, sudog and message copy.
    pub heap_per_goroutine_bytes: f64,
    /// The goroutine count at the first OOM kill (the measure's own).
    pub goroutines_at_first_oom: Option<f64>,
    /// Samples the slopes rest on.
    pub samples: usize,
}

impl GoCosts {
    /// The rest of each goroutine's working set: its stack and the pages
    /// around it.
    pub fn stack_per_goroutine_bytes(&self) -> f64 {
        self.working_set_per_goroutine_bytes - self.heap_per_goroutine_bytes
    }
}

/// The costs, from a run of `workloads/checkout/go-costs.toml` (or any
/// run whose goroutines only grow); `None` without enough samples.
pub fn go_costs(trace: &Trace, service: &str) -> Option<GoCosts> {
    use crate::metrics as m;
    let load_s = trace.summary.load_started_s?;
    let oom_s = trace
        .summary
        .service(service)?
        .first_oom_s
        .unwrap_or(f64::INFINITY);
    let column = |name: &str| trace.find_series(name, service).map(|s| &s.values);
    let (ws, goroutines, heap) = (
        column(m::WORKING_SET.name)?,
        column(m::GO_GOROUTINES.name)?,
        column(m::GO_HEAP_ALLOC.name)?,
    );
    let at = |i: usize| trace.sample_times_us[i] as f64 / 1e6;
    let idle: Vec<f64> = (0..ws.len())
        .filter(|&i| at(i) < load_s)
        .filter_map(|i| ws[i])
        .collect();
    let growing: Vec<(f64, f64, f64)> = (0..ws.len())
        .filter(|&i| at(i) >= load_s && at(i) < oom_s)
        .filter_map(|i| Some((goroutines[i]?, ws[i]?, heap[i]?)))
        .collect();
    if idle.is_empty() || growing.len() < 3 {
        return None;
    }
    let slope = |pick: fn(&(f64, f64, f64)) -> f64| {
        let pts: Vec<(f64, f64)> = growing.iter().map(|p| (p.0, pick(p))).collect();
        least_squares_slope(&pts)
    };
    Some(GoCosts {
        idle_working_set_bytes: idle.iter().sum::<f64>() / idle.len() as f64,
        working_set_per_goroutine_bytes: slope(|p| p.1)?,
        heap_per_goroutine_bytes: slope(|p| p.2)?,
        goroutines_at_first_oom: crate::lesson::Measure::parse(&format!(
            "goroutines_at_first_oom({service})"
        ))
        .ok()
        .and_then(|m| m.evaluate(trace))
        .and_then(|v| v.number()),
        samples: growing.len(),
    })
}

/// The slope of a least-squares line through `points`.
pub fn least_squares_slope(points: &[(f64, f64)]) -> Option<f64> {
    let n = points.len() as f64;
    if n < 2.0 {
        return None;
    }
    let (mx, my) = points
        .iter()
        .fold((0.0, 0.0), |(a, b), (x, y)| (a + x / n, b + y / n));
    let sxx: f64 = points.iter().map(|(x, _)| (x - mx) * (x - mx)).sum();
    let sxy: f64 = points.iter().map(|(x, y)| (x - mx) * (y - my)).sum();
    (sxx > 0.0).then(|| sxy / sxx)
}
