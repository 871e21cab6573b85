//! Which ready pod a request goes to: kube-proxy's random mode, uniform
//! over the ready endpoints.

use crate::rng::Rng;

/// The index among `ready` endpoints a request goes to; `None` when none is
/// ready. One endpoint takes no draw, so a single-pod service's stream of
/// random numbers is not spent on routing.
pub fn pick(ready: usize, rng: &mut Rng) -> Option<usize> {
    match ready {
        0 => None,
        1 => Some(0),
        n => Some(rng.below(n as u64) as usize),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Stream;

    #[test]
    fn no_endpoint_none_one_endpoint_no_draw_many_uniform() {
        let mut rng = Rng::new(7, Stream::Routing);
        let mut untouched = Rng::new(7, Stream::Routing);
        assert_eq!(pick(0, &mut rng), None);
        assert_eq!(pick(1, &mut rng), Some(0));
        assert_eq!(rng.below(1000), untouched.below(1000), "no draw for 0 or 1");
        let mut counts = [0u32; 3];
        for _ in 0..30_000 {
            counts[pick(3, &mut rng).unwrap()] += 1;
        }
        assert!(
            counts.iter().all(|c| (9_000..11_000).contains(c)),
            "{counts:?}"
        );
    }
}
