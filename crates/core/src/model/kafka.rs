//! The checkout's Kafka producer, as the OTel demo's code uses it
//! (`src/checkout/main.go`, `sendToPostProcessor`; `kafka/producer.go`).
//!
//! sarama's async producer has unbuffered `Input()`, `Successes()` and
//! `Errors()` channels. PlaceOrder sends its order message and then waits
//! for whichever comes first: a success, an error or the caller's context.
//! With `kafkaQueueProblems = N > 0` it then starts N goroutines that each
//! send a copy and wait on `Successes()` alone, with no timeout.
//!
//! `Successes()` is one channel shared by every waiter, and Go wakes a
//! channel's receivers first come, first served: a success goes to the
//! oldest waiter, whichever message it belongs to. Under
//! `RequiredAcks = NoResponse` a message succeeds as soon as it is written.
//! A write that fails is retried (`Producer.Retry.Max`, `Retry.Backoff`)
//! and then returned on `Errors()`, where a logger goroutine and the mains
//! still waiting compete for it. An error taken by the logger wakes nobody:
//! from then on one waiter more than there are successes to come waits for
//! good. That is the leak. A main that stops waiting (its context ended)
//! leaves one success more than waiters: the writer blocks on it until the
//! next waiter arrives.

use crate::rng::Rng;
use crate::units::SimTime;
use std::collections::VecDeque;

/// A message or a waiter: a run of fan-out ones, or one PlaceOrder's main.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Entry {
    Overload(u64),
    Main {
        slot: u32,
        rid: u32,
    },
    /// An order's main message whose sender no longer waits for it.
    Orphan,
}

impl Entry {
    fn count(self) -> u64 {
        match self {
            Entry::Overload(n) => n,
            Entry::Main { .. } | Entry::Orphan => 1,
        }
    }
}

/// A FIFO of entries where a burst of fan-out messages is one run.
#[derive(Clone, Debug, Default)]
struct Fifo {
    entries: VecDeque<Entry>,
    total: u64,
    mains: u64,
}

impl Fifo {
    fn push(&mut self, e: Entry) {
        self.total += e.count();
        match (e, self.entries.back_mut()) {
            (Entry::Overload(n), Some(Entry::Overload(last))) => *last += n,
            (Entry::Main { .. }, _) => {
                self.mains += 1;
                self.entries.push_back(e);
            }
            _ => self.entries.push_back(e),
        }
    }

    /// Takes up to `max` from the front: overloads counted, mains listed,
    /// orphans counted in `orphans`.
    fn pop(&mut self, max: u64, mains: &mut Vec<(u32, u32)>, orphans: &mut u64) -> u64 {
        let mut overload = 0;
        let mut left = max;
        while left > 0 {
            match self.entries.front_mut() {
                None => break,
                Some(Entry::Overload(n)) => {
                    let take = (*n).min(left);
                    *n -= take;
                    overload += take;
                    left -= take;
                    if *n == 0 {
                        self.entries.pop_front();
                    }
                }
                Some(&mut Entry::Main { slot, rid }) => {
                    mains.push((slot, rid));
                    self.mains -= 1;
                    self.entries.pop_front();
                    left -= 1;
                }
                Some(Entry::Orphan) => {
                    *orphans += 1;
                    self.entries.pop_front();
                    left -= 1;
                }
            }
        }
        self.total -= max - left;
        overload
    }

    /// Where one main is: its index and how many messages are ahead of it.
    fn find_main(&self, slot: u32, rid: u32) -> Option<(usize, u64)> {
        let mut ahead = 0;
        for (i, e) in self.entries.iter().enumerate() {
            if *e == (Entry::Main { slot, rid }) {
                return Some((i, ahead));
            }
            ahead += e.count();
        }
        None
    }

    /// Removes one main; false when it is not here.
    fn remove_main(&mut self, slot: u32, rid: u32) -> bool {
        let Some((i, _)) = self.find_main(slot, rid) else {
            return false;
        };
        self.entries.remove(i);
        self.total -= 1;
        self.mains -= 1;
        true
    }

    /// The main at `i` stays in line but belongs to nobody now.
    fn anonymize(&mut self, i: usize) {
        debug_assert!(matches!(self.entries[i], Entry::Main { .. }));
        self.entries[i] = Entry::Orphan;
        self.mains -= 1;
    }

    /// The oldest main waiting, taken out.
    fn take_oldest_main(&mut self) -> Option<(u32, u32)> {
        let i = self
            .entries
            .iter()
            .position(|e| matches!(e, Entry::Main { .. }))?;
        let Some(Entry::Main { slot, rid }) = self.entries.remove(i) else {
            unreachable!("position found a main");
        };
        self.total -= 1;
        self.mains -= 1;
        Some((slot, rid))
    }
}

/// The broker as the producer sees it during one write step.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Broker {
    /// Messages per second it takes (healthy or slow).
    pub msgs_per_s: f64,
    /// Unreachable: every write fails after its retries.
    pub down: bool,
    /// Share of writes that fail after their retries while it is up.
    pub error_ratio: f64,
    /// How long a failed write takes to come back as an error.
    pub retry_time: SimTime,
}

#[derive(Clone, Debug, Default)]
pub struct Producer {
    /// Messages sent and not yet written: the first `buffer` are accepted,
    /// the rest are senders blocked in `Input()`.
    pipeline: Fifo,
    /// Goroutines waiting on `Successes()`, oldest first.
    waiters: Fifo,
    /// Failed writes waiting out their retries: (due, how many).
    retrying: VecDeque<(SimTime, u64)>,
    /// Successes written while nobody waited: the writer is blocked on them.
    surplus: u64,
    /// Fractional write capacity carried between steps.
    carry: f64,
    pub written_total: u64,
    pub failed_total: u64,
    pub flush_scheduled: bool,
}

/// What one write step did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Delivery {
    /// Fan-out goroutines woken by a success: they exit.
    pub overload_woken: u64,
    /// Mains woken by a success.
    pub mains_ok: Vec<(u32, u32)>,
    /// Mains that took an error off `Errors()`.
    pub mains_failed: Vec<(u32, u32)>,
    /// Messages written to the broker (for the consumers).
    pub written: u64,
    /// Errors returned after retries.
    pub failed: u64,
    /// Of the messages written, orders' main messages (one row each).
    pub orders_written: u64,
}

/// Where a main stands when the caller's context ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MainAtDeadline {
    /// Already answered.
    Gone,
    /// Still blocked in `Input()`: the send is abandoned, no fan-out.
    NotAccepted,
    /// Accepted and waiting: it stops waiting and goes on to the fan-out.
    Accepted,
}

/// Keeps the queues short: a burst is one entry, so only mains count.
pub const MAX_ENTRIES: usize = 100_000;

impl Producer {
    /// Messages sent and not yet written.
    pub fn queued(&self) -> u64 {
        self.pipeline.total
    }

    /// Goroutines waiting on `Successes()` (fan-out ones and mains).
    pub fn waiting(&self) -> u64 {
        self.waiters.total
    }

    /// Something left to do: messages to write or errors to return.
    pub fn busy(&self) -> bool {
        self.pipeline.total > 0 || !self.retrying.is_empty()
    }

    /// A PlaceOrder sends its message and waits: `None` when the queues are
    /// full, `Some(true)` when a success nobody took wakes it at once.
    pub fn send_main(&mut self, slot: u32, rid: u32) -> Option<bool> {
        if self.pipeline.entries.len() >= MAX_ENTRIES || self.waiters.entries.len() >= MAX_ENTRIES {
            return None;
        }
        self.pipeline.push(Entry::Main { slot, rid });
        if self.surplus > 0 {
            self.surplus -= 1;
            let i = self.pipeline.entries.len() - 1;
            self.pipeline.anonymize(i);
            return Some(true);
        }
        self.waiters.push(Entry::Main { slot, rid });
        Some(false)
    }

    /// `count` fan-out goroutines send their copies and wait; returns how
    /// many a success already written (the surplus) wakes at once.
    pub fn send_overload(&mut self, count: u64) -> u64 {
        if count == 0 {
            return 0;
        }
        self.pipeline.push(Entry::Overload(count));
        let woken = self.surplus.min(count);
        self.surplus -= woken;
        if count > woken {
            self.waiters.push(Entry::Overload(count - woken));
        }
        woken
    }

    /// The caller's context of a main ended.
    pub fn main_at_deadline(&mut self, slot: u32, rid: u32, buffer: u64) -> MainAtDeadline {
        let Some((i, ahead)) = self.pipeline.find_main(slot, rid) else {
            return if self.waiters.remove_main(slot, rid) {
                MainAtDeadline::Accepted
            } else {
                MainAtDeadline::Gone
            };
        };
        let waited = self.waiters.remove_main(slot, rid);
        debug_assert!(waited, "a main in the pipeline waits for its result");
        if ahead >= buffer {
            self.pipeline.remove_main(slot, rid);
            MainAtDeadline::NotAccepted
        } else {
            // Accepted: the message will be written and its success will go
            // to whoever waits then.
            self.pipeline.anonymize(i);
            MainAtDeadline::Accepted
        }
    }

    /// One write step of `dt`: messages written at the broker's rate, each
    /// success to the oldest waiter, and the errors whose retries are spent.
    pub fn deliver(&mut self, now: SimTime, dt_s: f64, broker: Broker, rng: &mut Rng) -> Delivery {
        let mut out = Delivery::default();
        self.return_errors(now, rng, &mut out);
        let capacity = broker.msgs_per_s * dt_s + self.carry;
        // The epsilon keeps 0.6 + 0.4 from flooring to 0 after rounding.
        let mut budget = (capacity + 1e-9).floor() as u64;
        self.carry = (capacity - budget as f64).max(0.0);
        // The writer blocks while a success has nobody to take it.
        while budget > 0 && self.pipeline.total > 0 && self.surplus == 0 {
            let step = budget.min(self.pipeline.total);
            let (mut mains, mut orphans) = (Vec::new(), 0);
            let overload = self.pipeline.pop(step, &mut mains, &mut orphans);
            let orders = mains.len() as u64 + orphans;
            budget -= overload + orders;
            let (failed_overload, failed_orders) = if broker.down {
                (overload, orders)
            } else {
                let p = broker.error_ratio;
                (rng.binomial(overload, p), rng.binomial(orders, p))
            };
            let failed = failed_overload + failed_orders;
            if failed > 0 {
                self.retrying.push_back((now + broker.retry_time, failed));
            }
            out.orders_written += orders - failed_orders;
            self.succeed(overload + orders - failed, &mut out);
        }
        if self.pipeline.total == 0 {
            self.carry = 0.0;
        }
        out
    }

    /// `n` successes, each to the oldest waiter; the rest wait for one.
    fn succeed(&mut self, n: u64, out: &mut Delivery) {
        out.written += n;
        self.written_total += n;
        let mut orphans = 0;
        out.overload_woken += self.waiters.pop(n, &mut out.mains_ok, &mut orphans);
        debug_assert_eq!(orphans, 0, "waiters are never orphans");
        let served = out.overload_woken + out.mains_ok.len() as u64;
        self.surplus += n.saturating_sub(served);
    }

    /// Errors due by `now` go to `Errors()`: a waiting main takes one
    /// with probability k/(k+1) for k mains waiting (the logger is the
    /// other receiver in line); one the logger takes wakes nobody.
    fn return_errors(&mut self, now: SimTime, rng: &mut Rng, out: &mut Delivery) {
        while let Some(&(due, count)) = self.retrying.front() {
            if due > now {
                break;
            }
            self.retrying.pop_front();
            out.failed += count;
            self.failed_total += count;
            for _ in 0..count {
                let k = self.waiters.mains as f64;
                if k == 0.0 {
                    break;
                }
                if !rng.chance(k / (k + 1.0)) {
                    continue;
                }
                if let Some(main) = self.waiters.take_oldest_main() {
                    out.mains_failed.push(main);
                }
            }
        }
    }

    /// A crashed process loses everything it had queued.
    pub fn reset(&mut self) {
        *self = Producer::default();
    }
}

#[cfg(test)]
#[path = "kafka_tests.rs"]
mod tests;
