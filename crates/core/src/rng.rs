//! Seeded random streams with one fixed definition on every target.
//!
//! PCG64 (XSL-RR over a 128-bit LCG) is specified bit for bit, so native
//! and wasm32 draw the same numbers. It replaced ChaCha8: the same
//! portability for a tenth of the code in the browser bundle. Each
//! subsystem gets its own stream derived from the scenario seed: adding a
//! draw to one model never reshuffles another. Floats are
//! built from raw bits and shaped with `libm`, never with the platform's
//! `ln`/`exp`, so the same seed gives the same trace everywhere.

use rand_core::RngCore;
use rand_pcg::Pcg64;

/// One independent stream per subsystem. The numeric values are part of the
/// trace format: changing one changes every hash, so only append.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u64)]
pub enum Stream {
    Users = 1,
    Tasks = 2,
    Latency = 3,
    Kafka = 4,
    Routing = 5,
    Python = 6,
    Probes = 7,
}

#[derive(Clone, Debug)]
pub struct Rng {
    inner: Pcg64,
    /// Box–Muller makes normals in pairs; the second waits here.
    spare_normal: Option<f64>,
}

impl Rng {
    /// Locust user number `index`'s own stream: its tasks, repeats and
    /// think times, in the order it draws them. The model's users and the
    /// harness's real load generator both take it from here, so user `i`
    /// runs the same tasks with the same pauses on both sides, and a
    /// comparison is not decided by two different draws of the load.
    pub fn for_user(seed: u64, index: u32) -> Rng {
        Rng::new(seed.wrapping_add(u64::from(index) * 7919), Stream::Tasks)
    }

    pub fn new(seed: u64, stream: Stream) -> Rng {
        // SplitMix64 spreads small seeds (1, 2, 3…) over the whole state;
        // the stream number picks the LCG's increment, so streams never meet.
        let high = splitmix64(seed);
        let low = splitmix64(high);
        let state = (u128::from(high) << 64) | u128::from(low);
        let inner = Pcg64::new(state, stream as u128);
        Rng {
            inner,
            spare_normal: None,
        }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.inner.next_u64()
    }

    /// Uniform in [0, 1) with 53 bits of precision.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in (0, 1]: safe to take the logarithm of.
    pub fn unit_open(&mut self) -> f64 {
        ((self.next_u64() >> 11) + 1) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    pub fn uniform(&mut self, low: f64, high: f64) -> f64 {
        low + (high - low) * self.unit()
    }

    /// Uniform integer in [0, n). `n` must be positive.
    pub fn below(&mut self, n: u64) -> u64 {
        debug_assert!(n > 0);
        // Multiply-shift: unbiased enough for n far below 2^64, and portable.
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }

    pub fn chance(&mut self, probability: f64) -> bool {
        self.unit() < probability
    }

    pub fn exponential(&mut self, mean: f64) -> f64 {
        -mean * libm::log(self.unit_open())
    }

    /// Standard normal by Box–Muller, through libm.
    pub fn normal(&mut self) -> f64 {
        if let Some(z) = self.spare_normal.take() {
            return z;
        }
        let u1 = self.unit_open();
        let u2 = self.unit();
        let r = libm::sqrt(-2.0 * libm::log(u1));
        let (sin, cos) = libm::sincos(2.0 * std::f64::consts::PI * u2);
        self.spare_normal = Some(r * sin);
        r * cos
    }

    /// Log-normal with the given median and shape sigma: the usual form of
    /// service latency (a fat right tail, never negative).
    pub fn lognormal(&mut self, median: f64, sigma: f64) -> f64 {
        median * libm::exp(sigma * self.normal())
    }

    /// Number of successes in `n` trials of probability `p`. Exact for small
    /// `n` (one draw each); a normal approximation above 64 trials keeps
    /// bursts of thousands of messages cheap.
    pub fn binomial(&mut self, n: u64, p: f64) -> u64 {
        if n == 0 || p <= 0.0 {
            return 0;
        }
        if p >= 1.0 {
            return n;
        }
        if n <= 64 {
            return (0..n).filter(|_| self.chance(p)).count() as u64;
        }
        let mean = n as f64 * p;
        let sd = libm::sqrt(mean * (1.0 - p));
        let draw = libm::round(mean + sd * self.normal());
        draw.clamp(0.0, n as f64) as u64
    }

    /// Index drawn in proportion to `weights` (Locust's weighted tasks).
    pub fn weighted(&mut self, weights: &[u32], total: u64) -> usize {
        let mut pick = self.below(total.max(1));
        for (i, &w) in weights.iter().enumerate() {
            if pick < w as u64 {
                return i;
            }
            pick -= w as u64;
        }
        weights.len().saturating_sub(1)
    }
}

/// One SplitMix64 step (Steele, Lea and Flood): a bijective mix of 64 bits.
fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream_same_numbers() {
        let mut a = Rng::new(42, Stream::Users);
        let mut b = Rng::new(42, Stream::Users);
        for _ in 0..100 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
    }

    #[test]
    fn streams_are_independent() {
        let mut a = Rng::new(42, Stream::Users);
        let mut b = Rng::new(42, Stream::Kafka);
        let same = (0..100).filter(|_| a.next_u64() == b.next_u64()).count();
        assert_eq!(same, 0);
    }

    #[test]
    fn known_first_draws_pin_the_algorithm() {
        // If these change, every trace hash changes: the RNG is part of the
        // format. The numbers were computed outside Rust, from PCG64's and
        // SplitMix64's published definitions (seed 1, the Users stream).
        let mut r = Rng::new(1, Stream::Users);
        let draws = [r.next_u64(), r.next_u64(), r.next_u64()];
        assert_eq!(
            draws,
            [
                0xc0be_3f96_4c36_a5ea,
                0x9762_e925_7190_dc31,
                0x8f4d_fdd4_2818_46df
            ]
        );
        assert_ne!(draws[0], Rng::new(2, Stream::Users).next_u64());
    }

    #[test]
    fn distributions_have_the_right_moments() {
        let mut r = Rng::new(7, Stream::Latency);
        let n = 200_000;
        let mean_exp: f64 = (0..n).map(|_| r.exponential(2.0)).sum::<f64>() / n as f64;
        assert!((mean_exp - 2.0).abs() < 0.03, "{mean_exp}");
        let mean_unit: f64 = (0..n).map(|_| r.unit()).sum::<f64>() / n as f64;
        assert!((mean_unit - 0.5).abs() < 0.005);
        let mut samples: Vec<f64> = (0..n).map(|_| r.lognormal(100.0, 0.5)).collect();
        samples.sort_by(|a, b| a.partial_cmp(b).unwrap());
        let median = samples[n / 2];
        assert!((median - 100.0).abs() < 2.0, "{median}");
        let b: u64 = (0..1000).map(|_| r.binomial(2000, 0.1)).sum();
        let mean_b = b as f64 / 1000.0;
        assert!((mean_b - 200.0).abs() < 2.0, "{mean_b}");
    }

    #[test]
    fn weighted_choice_follows_weights() {
        let mut r = Rng::new(3, Stream::Tasks);
        let weights = [1, 10, 3];
        let mut counts = [0u32; 3];
        for _ in 0..14_000 {
            counts[r.weighted(&weights, 14)] += 1;
        }
        assert!((counts[1] as f64 / 14_000.0 - 10.0 / 14.0).abs() < 0.02);
        assert!((counts[0] as f64 / 14_000.0 - 1.0 / 14.0).abs() < 0.01);
    }
}
