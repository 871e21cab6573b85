//! The container's memory cgroup and who restarts it.
//!
//! Memory is anonymous (heap, stacks: cannot be reclaimed without swap)
//! plus page cache (file pages: the kernel can drop them). What
//! `kubectl top` shows is the working set, `usage − inactive_file`.
//! Under pressure the kernel reclaims inactive pages first, then active
//! ones (the binary's own text, which then faults back in: thrashing); the
//! OOM killer fires only when anonymous memory alone leaves no room.

use crate::units::{SimTime, KIB};

/// Hot pages the process cannot run without; below this it thrashes to death.
pub const MIN_RESIDENT_FILE: f64 = (512 * KIB) as f64;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MemoryView {
    pub anon: f64,
    pub file_active: f64,
    pub file_inactive: f64,
}

impl MemoryView {
    /// `memory.current`: everything charged to the cgroup.
    pub fn usage(&self) -> f64 {
        self.anon + self.file_active + self.file_inactive
    }
    /// What the kubelet reports and evicts on: usage minus inactive file.
    pub fn working_set(&self) -> f64 {
        self.anon + self.file_active
    }
}

/// Charges anonymous memory against the limit, letting the kernel squeeze
/// the page cache. Returns `None` when the OOM killer must fire.
pub fn charge(
    limit: f64,
    anon: f64,
    file_active_wanted: f64,
    file_inactive_wanted: f64,
) -> Option<MemoryView> {
    let hot_floor = file_active_wanted.min(MIN_RESIDENT_FILE);
    if anon + hot_floor > limit {
        return None;
    }
    let room = limit - anon;
    let file_active = file_active_wanted.min(room);
    let file_inactive = file_inactive_wanted.min(room - file_active);
    Some(MemoryView {
        anon,
        file_active,
        file_inactive,
    })
}

/// How much of the wanted hot page cache the kernel has taken away, 0..1:
/// the process pays for it in major page faults.
pub fn thrash_fraction(view: &MemoryView, file_active_wanted: f64) -> f64 {
    if file_active_wanted <= 0.0 {
        0.0
    } else {
        (1.0 - view.file_active / file_active_wanted).clamp(0.0, 1.0)
    }
}

/// Kubelet's per-container back-off, as `kuberuntime` implements it: the
/// first crash restarts at once, the next waits 10 s, then 20, 40 … capped
/// at 300 s. The entry expires when its last update is more than 10 min
/// old, which is what "reset after 10 minutes of running" means.
#[derive(Clone, Debug, Default)]
pub struct KubeletBackoff {
    backoff: Option<SimTime>,
    last_update: SimTime,
}

pub const KUBELET_INITIAL_BACKOFF: SimTime = SimTime::from_secs(10);
pub const KUBELET_MAX_BACKOFF: SimTime = SimTime::from_secs(300);
const KUBELET_EXPIRY: SimTime = SimTime::from_secs(600);

impl KubeletBackoff {
    fn live_entry(&self, at: SimTime) -> Option<SimTime> {
        let backoff = self.backoff?;
        if at.saturating_sub(self.last_update) > KUBELET_EXPIRY {
            None
        } else {
            Some(backoff)
        }
    }

    /// Delay between a container exiting at `exited_at` and its restart.
    pub fn delay_after_exit(&self, exited_at: SimTime) -> SimTime {
        self.live_entry(exited_at).unwrap_or(SimTime::ZERO)
    }

    /// Called when the restart happens: advances the back-off.
    pub fn on_restart(&mut self, at: SimTime) {
        let next = match self.live_entry(at) {
            None => KUBELET_INITIAL_BACKOFF,
            Some(current) => SimTime((current.0 * 2).min(KUBELET_MAX_BACKOFF.0)),
        };
        self.backoff = Some(next);
        self.last_update = at;
    }
}

/// Docker's restart policy: 100 ms doubling (capped at one minute), reset
/// when the container stayed up at least 10 s.
#[derive(Clone, Debug, Default)]
pub struct DockerBackoff {
    delay: SimTime,
}

pub const DOCKER_INITIAL_DELAY: SimTime = SimTime::from_millis(100);
pub const DOCKER_MAX_DELAY: SimTime = SimTime::from_secs(60);
const DOCKER_RESET_UPTIME: SimTime = SimTime::from_secs(10);

impl DockerBackoff {
    pub fn delay_after_exit(&mut self, uptime: SimTime) -> SimTime {
        if uptime >= DOCKER_RESET_UPTIME || self.delay == SimTime::ZERO {
            self.delay = DOCKER_INITIAL_DELAY;
        } else {
            self.delay = SimTime((self.delay.0 * 2).min(DOCKER_MAX_DELAY.0));
        }
        self.delay
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::units::MIB;

    const M: f64 = MIB as f64;

    #[test]
    fn working_set_excludes_inactive_file_and_kernel_reclaims_it_first() {
        let v = charge(20.0 * M, 10.0 * M, 3.0 * M, 2.0 * M).unwrap();
        assert_eq!(v.working_set(), 13.0 * M);
        assert_eq!(v.usage(), 15.0 * M);
        // More anon: inactive goes first, then active is squeezed.
        let v = charge(20.0 * M, 16.0 * M, 3.0 * M, 2.0 * M).unwrap();
        assert_eq!(v.file_active, 3.0 * M);
        assert_eq!(v.file_inactive, 1.0 * M);
        let v = charge(20.0 * M, 18.5 * M, 3.0 * M, 2.0 * M).unwrap();
        assert_eq!(v.file_active, 1.5 * M);
        assert_eq!(v.file_inactive, 0.0);
        assert!(v.working_set() <= 20.0 * M);
        assert!((thrash_fraction(&v, 3.0 * M) - 0.5).abs() < 1e-9);
    }

    #[test]
    fn oom_only_when_anonymous_memory_leaves_no_room() {
        assert!(charge(20.0 * M, 19.4 * M, 3.0 * M, 0.0).is_some());
        assert!(charge(20.0 * M, 19.6 * M, 3.0 * M, 0.0).is_none());
        assert!(charge(20.0 * M, 20.1 * M, 0.0, 0.0).is_none());
    }

    #[test]
    fn kubelet_backoff_sequence_matches_kuberuntime() {
        let mut b = KubeletBackoff::default();
        let mut t = SimTime::from_secs(100);
        let mut delays = Vec::new();
        for _ in 0..9 {
            let d = b.delay_after_exit(t);
            delays.push(d.0 / 1_000_000);
            t = t + d;
            b.on_restart(t);
            t = t + SimTime::from_secs(5); // runs 5 s, then crashes again
        }
        assert_eq!(delays, vec![0, 10, 20, 40, 80, 160, 300, 300, 300]);
    }

    #[test]
    fn kubelet_backoff_resets_after_ten_minutes() {
        let mut b = KubeletBackoff::default();
        let t0 = SimTime::from_secs(0);
        b.on_restart(t0);
        assert_eq!(
            b.delay_after_exit(SimTime::from_secs(30)),
            SimTime::from_secs(10)
        );
        b.on_restart(SimTime::from_secs(40));
        assert_eq!(
            b.delay_after_exit(SimTime::from_secs(60)),
            SimTime::from_secs(20)
        );
        // Running for more than 10 minutes since the last restart: at once.
        assert_eq!(
            b.delay_after_exit(SimTime::from_secs(40 + 601)),
            SimTime::ZERO
        );
    }

    #[test]
    fn docker_backoff_doubles_and_resets() {
        let mut b = DockerBackoff::default();
        let quick = SimTime::from_secs(1);
        assert_eq!(b.delay_after_exit(quick), SimTime::from_millis(100));
        assert_eq!(b.delay_after_exit(quick), SimTime::from_millis(200));
        assert_eq!(b.delay_after_exit(quick), SimTime::from_millis(400));
        assert_eq!(
            b.delay_after_exit(SimTime::from_secs(30)),
            SimTime::from_millis(100)
        );
    }
}
