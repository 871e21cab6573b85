//! A client's connect when its SYN gets no answer: Linux retransmits the
//! SYN on a fixed schedule and gives up with ETIMEDOUT after the last wait.
//!
//! The schedule is the kernel's (`net/ipv4/tcp_timer.c`,
//! `tcp_retransmit_timer` and `tcp_write_timeout`; the defaults in
//! `Documentation/networking/ip-sysctl.rst`): the first wait is the initial
//! RTO, 1 s (`TCP_TIMEOUT_INIT`, RFC 6298); the first
//! `tcp_syn_linear_timeouts` (default 4, Linux 6.5 and later) backoffs keep
//! it at 1 s, every later one doubles it; after `tcp_syn_retries` (default 6)
//! plus the linear count retransmissions the connect fails one more wait
//! later. With the defaults that is SYNs at 0, 1, 2, 3, 4, 5, 7, 11, 19, 35
//! and 67 s and ETIMEDOUT at 131 s ("67 seconds till the last
//! retransmission ... the final timeout ... after 131 seconds"); before 6.5
//! (no linear timeouts) SYNs at 0, 1, 3, 7, 15, 31, 63 s and ETIMEDOUT at
//! 127 s.

use crate::units::SimTime;

/// `TCP_TIMEOUT_INIT`: the first SYN's retransmission timeout.
pub const INITIAL_RTO: SimTime = SimTime::from_secs(1);
/// `net.ipv4.tcp_syn_retries`' default.
pub const SYN_RETRIES_DEFAULT: u32 = 6;
/// `net.ipv4.tcp_syn_linear_timeouts`' default (Linux 6.5 and later).
pub const SYN_LINEAR_TIMEOUTS_DEFAULT: u32 = 4;

/// When each SYN of one connect is sent, from the connect call (the first
/// at 0), and when the connect gives up; `linear` is
/// `tcp_syn_linear_timeouts`, `retries` is `tcp_syn_retries`.
pub fn syn_schedule(linear: u32, retries: u32) -> (Vec<SimTime>, SimTime) {
    let mut sends = vec![SimTime::ZERO];
    let mut at = SimTime::ZERO;
    let mut rto = INITIAL_RTO;
    // Bounded by the sysctls' own maxima (127 retries, 10 linear timeouts).
    let total = retries.min(127) + linear.min(10);
    for backoff in 1..=total {
        at = at.saturating_add(rto);
        sends.push(at);
        if backoff > linear {
            rto = rto.saturating_add(rto);
        }
    }
    (sends, at.saturating_add(rto))
}

/// The default schedule, as a client on a current Linux sees it.
pub fn default_syn_schedule() -> (Vec<SimTime>, SimTime) {
    syn_schedule(SYN_LINEAR_TIMEOUTS_DEFAULT, SYN_RETRIES_DEFAULT)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(v: &[SimTime]) -> Vec<u64> {
        v.iter().map(|t| t.0 / 1_000_000).collect()
    }

    #[test]
    fn linux_6_5_defaults_give_up_after_131_seconds() {
        let (sends, give_up) = default_syn_schedule();
        assert_eq!(secs(&sends), [0, 1, 2, 3, 4, 5, 7, 11, 19, 35, 67]);
        assert_eq!(give_up, SimTime::from_secs(131));
    }

    #[test]
    fn without_linear_timeouts_the_classic_127_seconds() {
        let (sends, give_up) = syn_schedule(0, 6);
        assert_eq!(secs(&sends), [0, 1, 3, 7, 15, 31, 63]);
        assert_eq!(give_up, SimTime::from_secs(127));
    }

    #[test]
    fn no_retries_is_one_syn_and_one_wait() {
        let (sends, give_up) = syn_schedule(0, 0);
        assert_eq!(secs(&sends), [0]);
        assert_eq!(give_up, INITIAL_RTO);
    }
}
