//! A fixed log-linear latency histogram: percentiles without sorting every
//! sample, in constant memory, identical on every target.
//!
//! Buckets are 1/16 of an octave wide (about 4.4 % relative error) from
//! 10 µs up to about 11 hours, so one array of 512 counters covers any
//! latency the model can produce.

const SUB_BUCKETS_PER_OCTAVE: usize = 16;
const OCTAVES: usize = 32;
pub const BUCKETS: usize = SUB_BUCKETS_PER_OCTAVE * OCTAVES;
/// Smallest resolvable latency, in microseconds.
const BASE_MICROS: f64 = 10.0;

#[derive(Clone, Debug)]
pub struct Histogram {
    counts: Box<[u64; BUCKETS]>,
    total: u64,
    max_micros: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            counts: Box::new([0; BUCKETS]),
            total: 0,
            max_micros: 0,
        }
    }
}

fn bucket_of(micros: u64) -> usize {
    if (micros as f64) < BASE_MICROS {
        return 0;
    }
    let ratio = micros as f64 / BASE_MICROS;
    let index = (libm::log2(ratio) * SUB_BUCKETS_PER_OCTAVE as f64) as usize;
    index.min(BUCKETS - 1)
}

/// Upper edge of a bucket, in microseconds.
fn bucket_upper(index: usize) -> f64 {
    BASE_MICROS * libm::exp2((index + 1) as f64 / SUB_BUCKETS_PER_OCTAVE as f64)
}

fn bucket_lower(index: usize) -> f64 {
    if index == 0 {
        0.0
    } else {
        BASE_MICROS * libm::exp2(index as f64 / SUB_BUCKETS_PER_OCTAVE as f64)
    }
}

impl Histogram {
    pub fn record(&mut self, micros: u64) {
        self.counts[bucket_of(micros)] += 1;
        self.total += 1;
        self.max_micros = self.max_micros.max(micros);
    }

    pub fn count(&self) -> u64 {
        self.total
    }

    pub fn clear(&mut self) {
        self.counts.fill(0);
        self.total = 0;
        self.max_micros = 0;
    }

    pub fn merge(&mut self, other: &Histogram) {
        for (a, b) in self.counts.iter_mut().zip(other.counts.iter()) {
            *a += *b;
        }
        self.total += other.total;
        self.max_micros = self.max_micros.max(other.max_micros);
    }

    /// The q-quantile (0..=1) in microseconds, interpolated within its
    /// bucket and never above the largest recorded value. `None` when empty.
    pub fn quantile_micros(&self, q: f64) -> Option<f64> {
        if self.total == 0 {
            return None;
        }
        let rank = (q.clamp(0.0, 1.0) * self.total as f64).max(1.0);
        let mut seen = 0u64;
        for (i, &c) in self.counts.iter().enumerate() {
            if c == 0 {
                continue;
            }
            if (seen + c) as f64 >= rank {
                let within = (rank - seen as f64) / c as f64;
                let low = bucket_lower(i);
                let high = bucket_upper(i);
                let value = low + (high - low) * within;
                return Some(value.min(self.max_micros as f64));
            }
            seen += c;
        }
        Some(self.max_micros as f64)
    }

    pub fn quantile_ms(&self, q: f64) -> Option<f64> {
        self.quantile_micros(q).map(|us| us / 1000.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_within_bucket_error() {
        let mut h = Histogram::default();
        for ms in 1..=1000u64 {
            h.record(ms * 1000);
        }
        let p50 = h.quantile_ms(0.5).unwrap();
        let p99 = h.quantile_ms(0.99).unwrap();
        assert!((p50 - 500.0).abs() / 500.0 < 0.05, "{p50}");
        assert!((p99 - 990.0).abs() / 990.0 < 0.05, "{p99}");
        assert!(h.quantile_ms(1.0).unwrap() <= 1000.0);
    }

    #[test]
    fn empty_has_no_quantile_and_merge_adds() {
        let mut a = Histogram::default();
        assert!(a.quantile_ms(0.5).is_none());
        let mut b = Histogram::default();
        b.record(5_000);
        a.merge(&b);
        a.merge(&b);
        assert_eq!(a.count(), 2);
        assert!((a.quantile_ms(0.5).unwrap() - 5.0).abs() < 0.3);
    }

    #[test]
    fn extremes_do_not_panic() {
        let mut h = Histogram::default();
        h.record(0);
        h.record(u64::MAX / 2);
        assert_eq!(h.count(), 2);
        assert!(h.quantile_micros(1.0).unwrap().is_finite());
    }
}
