//! The HorizontalPodAutoscaler's arithmetic, as the Kubernetes controller
//! does it: desired = ceil(current × utilization / target), left alone
//! within the 10 % tolerance, clamped to [min, max]; a scale down waits for
//! the highest recommendation of the stabilization window.

use crate::units::SimTime;
use std::collections::VecDeque;

/// The controller's tolerance: no change while |ratio − 1| ≤ 0.1.
pub const TOLERANCE: f64 = 0.1;

/// Replicas the controller wants for a measured utilization (of the CPU
/// request) against its target.
pub fn desired_replicas(current: u32, utilization: f64, target: f64, min: u32, max: u32) -> u32 {
    let ratio = utilization / target;
    let desired = if (ratio - 1.0).abs() <= TOLERANCE {
        current
    } else {
        libm::ceil(current as f64 * ratio) as u32
    };
    desired.clamp(min, max)
}

/// The replicas to scale to: up at once, down only to the highest
/// recommendation within `window` (kept in `recs`, oldest first).
pub fn stabilized(
    recs: &mut VecDeque<(SimTime, u32)>,
    now: SimTime,
    desired: u32,
    current: u32,
    window: SimTime,
) -> u32 {
    recs.push_back((now, desired));
    let keep_from = now.saturating_sub(window);
    while recs.front().is_some_and(|(t, _)| *t < keep_from) {
        recs.pop_front();
    }
    let highest = recs.iter().map(|(_, d)| *d).max().unwrap_or(desired);
    if desired > current {
        desired
    } else {
        highest.min(current)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn desired_follows_the_ratio_outside_the_tolerance() {
        assert_eq!(desired_replicas(2, 0.75, 0.7, 1, 10), 2, "within 10 %");
        assert_eq!(desired_replicas(2, 1.4, 0.7, 1, 10), 4);
        assert_eq!(
            desired_replicas(4, 0.2, 0.7, 2, 10),
            2,
            "clamped to the minimum"
        );
        assert_eq!(
            desired_replicas(4, 7.0, 0.7, 1, 10),
            10,
            "clamped to the maximum"
        );
    }

    #[test]
    fn scale_down_waits_for_the_window() {
        let mut recs = VecDeque::new();
        let w = SimTime::from_secs(300);
        assert_eq!(
            stabilized(&mut recs, SimTime::from_secs(0), 6, 2, w),
            6,
            "up at once"
        );
        assert_eq!(
            stabilized(&mut recs, SimTime::from_secs(60), 2, 6, w),
            6,
            "held"
        );
        assert_eq!(
            stabilized(&mut recs, SimTime::from_secs(400), 2, 6, w),
            2,
            "window passed"
        );
    }
}
