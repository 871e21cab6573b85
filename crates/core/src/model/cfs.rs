//! CPU limits as the kernel enforces them: CFS bandwidth control gives the
//! cgroup `quota` microseconds of CPU in every 100 ms period. A single
//! thread at `300m` runs 30 ms, then is throttled for 70 ms.

use crate::units::SimTime;

pub const CFS_PERIOD_MICROS: u64 = 100_000;

#[derive(Clone, Debug)]
pub struct CfsQuota {
    /// CPU microseconds per period; `None` means no limit.
    quota_micros: Option<u64>,
    period_index: u64,
    used_micros: u64,
    /// Periods in which the quota ran out (`nr_throttled`).
    pub throttled_periods: u64,
}

impl CfsQuota {
    /// `threads` is how many threads can run at once: a quota of at least
    /// `threads` cores never throttles.
    pub fn new(limit_millicores: Option<u32>, threads: u32) -> CfsQuota {
        let quota_micros = limit_millicores
            .map(|m| m as u64 * CFS_PERIOD_MICROS / 1000)
            .filter(|q| *q < CFS_PERIOD_MICROS * threads.max(1) as u64)
            .map(|q| q.max(1));
        CfsQuota {
            quota_micros,
            period_index: 0,
            used_micros: 0,
            throttled_periods: 0,
        }
    }

    pub fn is_limited(&self) -> bool {
        self.quota_micros.is_some()
    }

    /// When a single thread that starts `work` micros of CPU at `start`
    /// finishes. Calls must come in non-decreasing `start` order (one
    /// event loop, or jobs started in time order).
    pub fn finish(&mut self, start: SimTime, work_micros: u64) -> SimTime {
        let Some(quota) = self.quota_micros else {
            return SimTime(start.0 + work_micros);
        };
        let mut t = start.0;
        let mut remaining = work_micros;
        loop {
            let index = t / CFS_PERIOD_MICROS;
            if index != self.period_index {
                self.period_index = index;
                self.used_micros = 0;
            }
            let period_end = (index + 1) * CFS_PERIOD_MICROS;
            let available = quota.saturating_sub(self.used_micros).min(period_end - t);
            if remaining <= available {
                self.used_micros += remaining;
                return SimTime(t + remaining);
            }
            self.used_micros += available;
            remaining -= available;
            if self.used_micros >= quota {
                self.throttled_periods += 1;
            }
            t = period_end;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unlimited_runs_at_full_speed() {
        let mut q = CfsQuota::new(None, 1);
        assert_eq!(q.finish(SimTime(5), 1000), SimTime(1005));
        let q = CfsQuota::new(Some(2000), 1);
        assert!(!q.is_limited());
    }

    #[test]
    fn quota_throttles_within_each_period() {
        // 300m: 30 ms per 100 ms.
        let mut q = CfsQuota::new(Some(300), 1);
        // 50 ms of work from t=0: 30 ms in period 0, 20 ms in period 1.
        assert_eq!(q.finish(SimTime(0), 50_000), SimTime(120_000));
        assert_eq!(q.throttled_periods, 1);
        // A second job right after uses the rest of period 1's quota.
        assert_eq!(q.finish(SimTime(120_000), 10_000), SimTime(130_000));
        // Then the next 1 ms must wait for period 2.
        assert_eq!(q.finish(SimTime(130_000), 1_000), SimTime(200_000 + 1_000));
    }

    #[test]
    fn long_run_rate_equals_the_limit() {
        let mut q = CfsQuota::new(Some(250), 1);
        let mut t = SimTime(0);
        for _ in 0..1000 {
            t = q.finish(t, 2_000);
        }
        // 2 s of CPU at 0.25 cores takes about 8 s.
        let secs = t.as_secs_f64();
        assert!((secs - 8.0).abs() < 0.11, "{secs}");
    }
}
