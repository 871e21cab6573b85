//! A fixed log-linear latency histogram: percentiles without sorting every
//! sample, in constant memory, identical on every target.
//!
//! HDR-style buckets: each power of two of microseconds is split into 16
//! linear sub-buckets (at most 6.25 % relative error). The index comes from
//! the value's bits, no floating point. Values up to 2^40 µs (12 days).

const SUB_BITS: u32 = 4;
const SUBS: usize = 1 << SUB_BITS;
const MAX_EXPONENT: u32 = 40;
pub const BUCKETS: usize = (MAX_EXPONENT as usize + 1) * SUBS;
/// Words of the occupied-bucket bitmap.
const WORDS: usize = BUCKETS.div_ceil(64);

#[derive(Clone, Debug)]
pub struct Histogram {
    counts: Box<[u32; BUCKETS]>,
    /// One bit per bucket that holds a count: a quantile visits only those
    /// (a sampler's interval holds a few values spread over hundreds of
    /// buckets).
    occupied: [u64; WORDS],
    total: u64,
    max_micros: u64,
    /// Occupied index range, so quantiles scan only what is used.
    low: usize,
    high: usize,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            counts: Box::new([0; BUCKETS]),
            occupied: [0; WORDS],
            total: 0,
            max_micros: 0,
            low: BUCKETS,
            high: 0,
        }
    }
}

fn bucket_of(micros: u64) -> usize {
    if micros < SUBS as u64 {
        return micros as usize;
    }
    let exponent = 63 - micros.leading_zeros();
    if exponent > MAX_EXPONENT {
        return BUCKETS - 1;
    }
    let sub = (micros >> (exponent - SUB_BITS)) as usize & (SUBS - 1);
    (exponent - SUB_BITS + 1) as usize * SUBS + sub
}

/// `[lower, upper)` of a bucket, in microseconds.
fn bucket_bounds(index: usize) -> (f64, f64) {
    if index < SUBS {
        return (index as f64, index as f64 + 1.0);
    }
    let exponent = (index / SUBS) as u32 + SUB_BITS - 1;
    let sub = (index % SUBS) as u64;
    let step = 1u64 << (exponent - SUB_BITS);
    let lower = (1u64 << exponent) + sub * step;
    (lower as f64, (lower + step) as f64)
}

impl Histogram {
    pub fn record(&mut self, micros: u64) {
        let i = bucket_of(micros);
        self.counts[i] = self.counts[i].saturating_add(1);
        self.occupied[i / 64] |= 1 << (i % 64);
        self.total += 1;
        self.max_micros = self.max_micros.max(micros);
        self.low = self.low.min(i);
        self.high = self.high.max(i);
    }

    pub fn count(&self) -> u64 {
        self.total
    }

    pub fn clear(&mut self) {
        if self.total > 0 {
            self.counts[self.low..=self.high].fill(0);
            self.occupied = [0; WORDS];
        }
        self.total = 0;
        self.max_micros = 0;
        self.low = BUCKETS;
        self.high = 0;
    }

    pub fn merge(&mut self, other: &Histogram) {
        if other.total == 0 {
            return;
        }
        for i in other.low..=other.high {
            self.counts[i] = self.counts[i].saturating_add(other.counts[i]);
        }
        for (mine, theirs) in self.occupied.iter_mut().zip(&other.occupied) {
            *mine |= theirs;
        }
        self.total += other.total;
        self.max_micros = self.max_micros.max(other.max_micros);
        self.low = self.low.min(other.low);
        self.high = self.high.max(other.high);
    }

    /// The buckets that hold a count, in order.
    fn occupied_buckets(&self) -> impl Iterator<Item = usize> + '_ {
        let words = self.low / 64..=self.high / 64;
        words.flat_map(move |w| {
            let mut bits = self.occupied[w];
            std::iter::from_fn(move || {
                (bits != 0).then(|| {
                    let i = w * 64 + bits.trailing_zeros() as usize;
                    bits &= bits - 1;
                    i
                })
            })
        })
    }

    /// The q-quantile (0..=1) in microseconds, interpolated within its
    /// bucket and never above the largest recorded value. `None` when empty.
    pub fn quantile_micros(&self, q: f64) -> Option<f64> {
        self.quantiles_micros([q])[0]
    }

    pub fn quantile_ms(&self, q: f64) -> Option<f64> {
        self.quantile_micros(q).map(|us| us / 1000.0)
    }

    /// Several quantiles (ascending) in one scan, in milliseconds: each
    /// equals `quantile_ms` of it. The sampler asks for P50, P95 and P99
    /// of every service every interval.
    pub fn quantiles_ms<const N: usize>(&self, qs: [f64; N]) -> [Option<f64>; N] {
        self.quantiles_micros(qs).map(|v| v.map(|us| us / 1000.0))
    }

    /// Several quantiles (ascending) in one scan, in microseconds.
    fn quantiles_micros<const N: usize>(&self, qs: [f64; N]) -> [Option<f64>; N] {
        debug_assert!(qs.windows(2).all(|w| w[0] <= w[1]), "ascending");
        let mut out = [None; N];
        if self.total == 0 {
            return out;
        }
        let ranks = qs.map(|q| (q.clamp(0.0, 1.0) * self.total as f64).max(1.0));
        let mut next = 0;
        let mut seen = 0u64;
        for i in self.occupied_buckets() {
            let c = self.counts[i] as u64;
            debug_assert!(c > 0, "an occupied bucket holds a count");
            while next < N && (seen + c) as f64 >= ranks[next] {
                let within = (ranks[next] - seen as f64) / c as f64;
                let (low, high) = bucket_bounds(i);
                out[next] = Some((low + (high - low) * within).min(self.max_micros as f64));
                next += 1;
            }
            if next == N {
                return out;
            }
            seen += c;
        }
        for value in &mut out[next..] {
            *value = Some(self.max_micros as f64);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_scan_gives_each_quantile() {
        let mut h = Histogram::default();
        assert_eq!(h.quantiles_ms([0.5, 0.95]), [None, None]);
        let mut x = 7u64;
        for _ in 0..5_000 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            h.record((x >> 40) % 3_000_000);
        }
        let qs = [0.0, 0.25, 0.5, 0.95, 0.99, 0.999, 1.0];
        let all = h.quantiles_ms(qs);
        for (q, got) in qs.iter().zip(all) {
            assert_eq!(got, h.quantile_ms(*q), "q {q}");
        }
    }

    #[test]
    fn buckets_cover_values_in_order() {
        let mut last = 0;
        for v in [0u64, 1, 15, 16, 17, 31, 32, 1000, 1_000_000, 1 << 39] {
            let i = bucket_of(v);
            assert!(i >= last, "{v}");
            let (lo, hi) = bucket_bounds(i);
            assert!(lo <= v as f64 && (v as f64) < hi, "{v} in [{lo}, {hi})");
            last = i;
        }
        assert_eq!(bucket_of(u64::MAX), BUCKETS - 1);
    }

    #[test]
    fn percentiles_are_within_bucket_error() {
        let mut h = Histogram::default();
        for ms in 1..=1000u64 {
            h.record(ms * 1000);
        }
        let p50 = h.quantile_ms(0.5).unwrap();
        let p99 = h.quantile_ms(0.99).unwrap();
        assert!((p50 - 500.0).abs() / 500.0 < 0.07, "{p50}");
        assert!((p99 - 990.0).abs() / 990.0 < 0.07, "{p99}");
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
        assert!((a.quantile_ms(0.5).unwrap() - 5.0).abs() < 0.35);
        a.clear();
        assert!(a.quantile_ms(0.5).is_none());
        a.record(7);
        assert_eq!(a.quantile_micros(1.0), Some(7.0));
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
