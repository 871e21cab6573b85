//! The checkout's Kafka producer, as the OTel demo's code uses it.
//!
//! PlaceOrder sends its order message and waits (with the request's
//! context) for a success. Then, while `kafkaQueueProblems = N > 0`, it
//! starts N goroutines that each send the message again and wait on
//! `Successes()` — with no timeout. The producer delivers at a bounded
//! rate, first in first out. A delivery that fails returns an error,
//! which a logger goroutine drains: nobody wakes the goroutine waiting for
//! that success, so it stays forever. That is the leak.
//!
//! Two details of the real code matter under overload:
//! * a send blocks while the producer's buffer is full; if the request's
//!   deadline passes before the main message is even accepted, PlaceOrder
//!   returns without the fan-out;
//! * if the deadline passes after acceptance, PlaceOrder still fans out,
//!   and the main message's success later wakes some overload goroutine.

use crate::rng::Rng;
use std::collections::VecDeque;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SegmentKind {
    /// `count` overload messages, one goroutine waiting behind each.
    Overload,
    /// The main message of one PlaceOrder.
    Main { user: u32, gen: u32, orphaned: bool },
}

#[derive(Clone, Copy, Debug)]
struct Segment {
    count: u64,
    kind: SegmentKind,
}

#[derive(Clone, Debug, Default)]
pub struct Producer {
    segments: VecDeque<Segment>,
    /// Messages not yet delivered.
    pub queued: u64,
    pub queued_overload: u64,
    /// Fractional delivery capacity carried between flushes.
    carry: f64,
    pub delivered_total: u64,
    pub lost_total: u64,
    pub flush_scheduled: bool,
}

/// What one flush delivered.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Delivery {
    /// Overload messages that got a success: their goroutines exit.
    pub overload_ok: u64,
    /// Overload messages lost: their goroutines now wait forever.
    pub overload_lost: u64,
    /// Main messages delivered: (user, gen, success, orphaned).
    pub mains: Vec<(u32, u32, bool, bool)>,
    /// Messages that reached the broker (for the consumers).
    pub written: u64,
}

/// Where a main message stands when its request's deadline passes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MainAtDeadline {
    /// Already delivered (the request finished before).
    Gone,
    /// Still blocked in `Input()`: the send is abandoned.
    NotAccepted,
    /// Accepted, waiting for its success: the request stops waiting.
    Accepted,
}

/// Keeps the segment list short: a burst arrives as one segment.
pub const MAX_SEGMENTS: usize = 100_000;

impl Producer {
    pub fn enqueue_main(&mut self, user: u32, gen: u32) -> bool {
        if self.segments.len() >= MAX_SEGMENTS {
            return false;
        }
        self.segments.push_back(Segment {
            count: 1,
            kind: SegmentKind::Main {
                user,
                gen,
                orphaned: false,
            },
        });
        self.queued += 1;
        true
    }

    pub fn enqueue_overload(&mut self, count: u64) {
        if count == 0 {
            return;
        }
        if let Some(last) = self.segments.back_mut() {
            if last.kind == SegmentKind::Overload {
                last.count += count;
                self.queued += count;
                self.queued_overload += count;
                return;
            }
        }
        if self.segments.len() < MAX_SEGMENTS {
            self.segments.push_back(Segment {
                count,
                kind: SegmentKind::Overload,
            });
            self.queued += count;
            self.queued_overload += count;
        }
    }

    /// Called at the request's deadline.
    pub fn main_at_deadline(&mut self, user: u32, gen: u32, buffer: u64) -> MainAtDeadline {
        let mut ahead = 0u64;
        let mut found = None;
        for (i, seg) in self.segments.iter().enumerate() {
            if let SegmentKind::Main {
                user: u, gen: g, ..
            } = seg.kind
            {
                if u == user && g == gen {
                    found = Some(i);
                    break;
                }
            }
            ahead += seg.count;
        }
        let Some(i) = found else {
            return MainAtDeadline::Gone;
        };
        if ahead >= buffer {
            self.segments.remove(i);
            self.queued -= 1;
            MainAtDeadline::NotAccepted
        } else {
            if let SegmentKind::Main { orphaned, .. } = &mut self.segments[i].kind {
                *orphaned = true;
            }
            MainAtDeadline::Accepted
        }
    }

    /// Delivers up to `rate · dt` messages, first in first out; each is lost
    /// with probability `loss`.
    pub fn deliver(&mut self, rate_per_s: f64, dt_s: f64, loss: f64, rng: &mut Rng) -> Delivery {
        let mut out = Delivery::default();
        let capacity = rate_per_s * dt_s + self.carry;
        // The epsilon keeps 0.6 + 0.4 from flooring to 0 after rounding.
        let mut budget = (capacity + 1e-9).floor() as u64;
        self.carry = (capacity - budget as f64).max(0.0);
        while budget > 0 {
            let Some(front) = self.segments.front_mut() else {
                self.carry = 0.0;
                break;
            };
            match front.kind {
                SegmentKind::Overload => {
                    let take = front.count.min(budget);
                    let lost = rng.binomial(take, loss);
                    out.overload_lost += lost;
                    out.overload_ok += take - lost;
                    out.written += take - lost;
                    front.count -= take;
                    budget -= take;
                    self.queued -= take;
                    self.queued_overload -= take;
                    if front.count == 0 {
                        self.segments.pop_front();
                    }
                }
                SegmentKind::Main {
                    user,
                    gen,
                    orphaned,
                } => {
                    let ok = !rng.chance(loss);
                    if ok {
                        out.written += 1;
                    }
                    out.mains.push((user, gen, ok, orphaned));
                    self.segments.pop_front();
                    budget -= 1;
                    self.queued -= 1;
                }
            }
        }
        let delivered = out.overload_ok + out.overload_lost + out.mains.len() as u64;
        self.delivered_total += delivered;
        self.lost_total += out.overload_lost + out.mains.iter().filter(|m| !m.2).count() as u64;
        out
    }

    /// A crashed process loses everything it had queued.
    pub fn reset(&mut self) {
        *self = Producer::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Stream;

    #[test]
    fn fifo_delivery_with_bounded_rate() {
        let mut p = Producer::default();
        let mut rng = Rng::new(1, Stream::Kafka);
        p.enqueue_main(7, 1);
        p.enqueue_overload(300);
        p.enqueue_main(8, 1);
        let d = p.deliver(1000.0, 0.1, 0.0, &mut rng);
        assert_eq!(d.mains, vec![(7, 1, true, false)]);
        assert_eq!(d.overload_ok, 99);
        assert_eq!(p.queued, 202);
        let d = p.deliver(1000.0, 0.3, 0.0, &mut rng);
        assert_eq!(d.overload_ok, 201);
        assert_eq!(d.mains, vec![(8, 1, true, false)]);
        assert_eq!(p.queued, 0);
    }

    #[test]
    fn losses_follow_the_ratio() {
        let mut p = Producer::default();
        let mut rng = Rng::new(2, Stream::Kafka);
        p.enqueue_overload(100_000);
        let d = p.deliver(1e9, 1.0, 0.08, &mut rng);
        let ratio = d.overload_lost as f64 / 100_000.0;
        assert!((ratio - 0.08).abs() < 0.005, "{ratio}");
        assert_eq!(p.lost_total, d.overload_lost);
    }

    #[test]
    fn deadline_abandons_unaccepted_and_orphans_accepted() {
        let mut p = Producer::default();
        p.enqueue_overload(1000);
        p.enqueue_main(1, 1);
        assert_eq!(p.main_at_deadline(1, 1, 256), MainAtDeadline::NotAccepted);
        assert_eq!(p.queued, 1000);
        p.enqueue_main(2, 1);
        assert_eq!(p.main_at_deadline(2, 1, 2000), MainAtDeadline::Accepted);
        let mut rng = Rng::new(3, Stream::Kafka);
        let d = p.deliver(1e9, 1.0, 0.0, &mut rng);
        assert_eq!(d.mains, vec![(2, 1, true, true)]);
        assert_eq!(p.main_at_deadline(2, 1, 2000), MainAtDeadline::Gone);
    }

    #[test]
    fn fractional_capacity_carries_over() {
        let mut p = Producer::default();
        let mut rng = Rng::new(4, Stream::Kafka);
        p.enqueue_overload(10);
        let mut total = 0;
        for _ in 0..10 {
            total += p.deliver(30.0, 0.02, 0.0, &mut rng).overload_ok;
        }
        assert_eq!(total, 6);
    }
}
