//! The event queue, ordered by `(time, seq)`.
//!
//! `seq` is an insertion counter, so events scheduled for the same
//! microsecond run first-in-first-out, as in dslab-core. That tie-break is
//! what makes a run a pure function of its inputs.
//!
//! Inside, a calendar queue: most events fall within seconds of now, so
//! they go into a ring of 8 ms slots (a bitmap finds the next occupied
//! one); only the current slot is kept as a small heap, and events beyond
//! the ring's horizon wait in an overflow heap. FIFO lanes hold timers
//! whose delay is always the same (a client timeout): those arrive already
//! in time order. `pop` takes the smallest `(time, seq)` across all of
//! them, so the order is exactly what one binary heap would give — a test
//! checks that against a plain heap.

use crate::units::SimTime;
use std::cmp::Ordering;
use std::collections::{BinaryHeap, VecDeque};

struct Entry<E> {
    time: u64,
    seq: u64,
    event: E,
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        self.time == other.time && self.seq == other.seq
    }
}
impl<E> Eq for Entry<E> {}
impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Entry<E> {
    /// Reversed so the max-heap pops the earliest `(time, seq)` first.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.time, other.seq).cmp(&(self.time, self.seq))
    }
}

pub const LANES: usize = 4;
/// Width of one calendar slot, in microseconds. 8 ms, not 1: a ring of
/// 16,384 slot headers (384 KiB) was a cache miss at nearly every push, and
/// its allocation a fixed cost of every run; the few more events a wider
/// slot's heap holds cost less (100 users: 4.2 → 2.7 ms a run).
const SLOT_MICROS: u64 = 8_000;
/// Slots in the ring: 16.384 s of horizon.
const SLOTS: usize = 2_048;
const WORDS: usize = SLOTS / 64;
/// Emptied slot buffers kept for reuse, at most.
const MAX_SPARE_BUFFERS: usize = SLOTS;

pub struct EventQueue<E> {
    /// Events of the current slot, ordered.
    current: BinaryHeap<Entry<E>>,
    current_slot: u64,
    ring: Vec<Vec<Entry<E>>>,
    /// Emptied slot buffers, kept with their capacity: a slot takes one
    /// when it is first used, so the ring allocates for the slots occupied
    /// at once, not for every slot it ever touches.
    spare: Vec<Vec<Entry<E>>>,
    occupied: [u64; WORDS],
    in_ring: usize,
    overflow: BinaryHeap<Entry<E>>,
    lanes: [VecDeque<Entry<E>>; LANES],
    next_seq: u64,
    len: usize,
    capacity_limit: usize,
}

impl<E> EventQueue<E> {
    /// `capacity_limit` bounds the pending events: a model that schedules
    /// without bound is a bug, and the limit turns it into a clean stop.
    pub fn new(capacity_limit: usize) -> Self {
        EventQueue {
            current: BinaryHeap::with_capacity(64),
            current_slot: 0,
            ring: (0..SLOTS).map(|_| Vec::new()).collect(),
            spare: Vec::new(),
            occupied: [0; WORDS],
            in_ring: 0,
            overflow: BinaryHeap::new(),
            lanes: Default::default(),
            next_seq: 0,
            len: 0,
            capacity_limit,
        }
    }

    fn place(&mut self, entry: Entry<E>) {
        let slot = entry.time / SLOT_MICROS;
        if slot <= self.current_slot {
            // Now or (never, in a simulation) the past: the current slot.
            self.current.push(entry);
        } else if slot < self.current_slot + SLOTS as u64 {
            let i = (slot % SLOTS as u64) as usize;
            if self.ring[i].capacity() == 0 {
                if let Some(buffer) = self.spare.pop() {
                    self.ring[i] = buffer;
                }
            }
            self.ring[i].push(entry);
            self.occupied[i / 64] |= 1 << (i % 64);
            self.in_ring += 1;
        } else {
            self.overflow.push(entry);
        }
    }

    /// Returns false (and drops the event) when the queue is full.
    pub fn push(&mut self, time: SimTime, event: E) -> bool {
        if self.len >= self.capacity_limit {
            return false;
        }
        let entry = Entry {
            time: time.0,
            seq: self.next_seq,
            event,
        };
        self.next_seq += 1;
        self.len += 1;
        self.place(entry);
        true
    }

    /// Schedules into a FIFO lane. Falls back to the calendar when `time`
    /// is earlier than the lane's last entry, so order is never violated.
    pub fn push_lane(&mut self, lane: usize, time: SimTime, event: E) -> bool {
        if self.len >= self.capacity_limit {
            return false;
        }
        let in_order = self.lanes[lane]
            .back()
            .is_none_or(|last| last.time <= time.0);
        if !in_order {
            return self.push(time, event);
        }
        self.lanes[lane].push_back(Entry {
            time: time.0,
            seq: self.next_seq,
            event,
        });
        self.next_seq += 1;
        self.len += 1;
        true
    }

    /// The next occupied ring slot after the current one, if any.
    fn next_occupied(&self) -> Option<u64> {
        if self.in_ring == 0 {
            return None;
        }
        let start = ((self.current_slot + 1) % SLOTS as u64) as usize;
        // Scan the bitmap from `start`, wrapping once.
        let mut word = start / 64;
        let mut bits = self.occupied[word] & (!0u64 << (start % 64));
        for step in 0..=WORDS {
            if bits != 0 {
                let i = word * 64 + bits.trailing_zeros() as usize;
                let offset = (i + SLOTS - start) % SLOTS;
                return Some(self.current_slot + 1 + offset as u64);
            }
            if step == WORDS {
                break;
            }
            word = (word + 1) % WORDS;
            bits = self.occupied[word];
            if word == start / 64 {
                // Back at the first word: only the bits before `start`.
                bits &= !(!0u64 << (start % 64));
            }
        }
        None
    }

    /// Makes `current` hold the calendar's earliest events, if it has any.
    fn refill(&mut self) {
        while self.current.is_empty() {
            let ring_next = self.next_occupied();
            let overflow_next = self.overflow.peek().map(|e| e.time / SLOT_MICROS);
            let next = match (ring_next, overflow_next) {
                (None, None) => return,
                (Some(r), None) => r,
                (None, Some(o)) => o,
                (Some(r), Some(o)) => r.min(o),
            };
            self.current_slot = next;
            let i = (next % SLOTS as u64) as usize;
            if self.occupied[i / 64] & (1 << (i % 64)) != 0 && ring_next == Some(next) {
                self.occupied[i / 64] &= !(1 << (i % 64));
                self.in_ring -= self.ring[i].len();
                let mut items = std::mem::take(&mut self.ring[i]);
                self.current.extend(items.drain(..));
                if self.spare.len() < MAX_SPARE_BUFFERS {
                    self.spare.push(items);
                }
            }
            // Overflow events whose slot has come into the horizon.
            while let Some(top) = self.overflow.peek() {
                let slot = top.time / SLOT_MICROS;
                if slot >= self.current_slot + SLOTS as u64 {
                    break;
                }
                let entry = self.overflow.pop().expect("peeked");
                self.place(entry);
            }
        }
    }

    /// The source holding the earliest event: `None` for the calendar, or a lane.
    fn earliest(&mut self) -> Option<(u64, Option<usize>)> {
        self.refill();
        let mut best = self.current.peek().map(|e| (e.time, e.seq, None));
        for (i, lane) in self.lanes.iter().enumerate() {
            if let Some(front) = lane.front() {
                let key = (front.time, front.seq);
                if best.is_none_or(|(t, s, _)| key < (t, s)) {
                    best = Some((front.time, front.seq, Some(i)));
                }
            }
        }
        best.map(|(t, _, source)| (t, source))
    }

    fn take(&mut self, source: Option<usize>) -> Option<(SimTime, E)> {
        let entry = match source {
            None => self.current.pop(),
            Some(lane) => self.lanes[lane].pop_front(),
        }?;
        self.len -= 1;
        Some((SimTime(entry.time), entry.event))
    }

    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        let (_, source) = self.earliest()?;
        self.take(source)
    }

    /// Pops the earliest event if it is due at or before `limit`.
    pub fn pop_until(&mut self, limit: SimTime) -> Option<(SimTime, E)> {
        let (time, source) = self.earliest()?;
        if time > limit.0 {
            return None;
        }
        self.take(source)
    }

    pub fn peek_time(&mut self) -> Option<SimTime> {
        self.earliest().map(|(t, _)| SimTime(t))
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn pops_in_time_order_and_fifo_on_ties() {
        let mut q = EventQueue::new(100);
        q.push(SimTime(5), 'c');
        q.push(SimTime(1), 'a');
        q.push(SimTime(5), 'd');
        q.push(SimTime(3), 'b');
        q.push(SimTime(5), 'e');
        let order: Vec<char> = std::iter::from_fn(|| q.pop().map(|(_, e)| e)).collect();
        assert_eq!(order, vec!['a', 'b', 'c', 'd', 'e']);
    }

    #[test]
    fn far_events_wait_in_overflow_and_come_back_in_order() {
        let mut q = EventQueue::new(100);
        let hour = 3_600_000_000u64;
        q.push(SimTime(hour), 'c');
        q.push(SimTime(2 * hour), 'd');
        q.push(SimTime(10), 'a');
        q.push(SimTime(20_000_000), 'b');
        let order: Vec<char> = std::iter::from_fn(|| q.pop().map(|(_, e)| e)).collect();
        assert_eq!(order, vec!['a', 'b', 'c', 'd']);
    }

    #[test]
    fn out_of_order_lane_pushes_fall_back_to_the_calendar() {
        let mut q = EventQueue::new(10);
        q.push_lane(0, SimTime(10), 'b');
        q.push_lane(0, SimTime(5), 'a');
        assert_eq!(q.pop(), Some((SimTime(5), 'a')));
        assert_eq!(q.pop(), Some((SimTime(10), 'b')));
        assert!(q.is_empty());
    }

    #[test]
    fn refuses_past_capacity() {
        let mut q = EventQueue::new(2);
        assert!(q.push(SimTime(1), 1));
        assert!(q.push_lane(1, SimTime(2), 2));
        assert!(!q.push(SimTime(3), 3));
        assert_eq!(q.len(), 2);
    }

    /// A reference: one binary heap over (time, seq).
    struct Reference {
        heap: BinaryHeap<std::cmp::Reverse<(u64, u64, u32)>>,
        seq: u64,
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// Interleaved pushes (heap and lanes) and pops, as a simulation
        /// makes them: never scheduling before the last popped time.
        #[test]
        fn same_order_as_a_single_heap(ops in prop::collection::vec((0u8..6, 0u64..40_000_000), 1..600)) {
            let mut q = EventQueue::new(1_000_000);
            let mut reference = Reference { heap: BinaryHeap::new(), seq: 0 };
            let mut now = 0u64;
            let mut lane_last = [0u64; 2];
            let mut id = 0u32;
            for (kind, delta) in ops {
                match kind {
                    0..=2 => {
                        // A near or far event on the calendar.
                        let t = now + if kind == 2 { delta * 50 } else { delta % 3_000_000 };
                        q.push(SimTime(t), id);
                        reference.heap.push(std::cmp::Reverse((t, reference.seq, id)));
                    }
                    3 => {
                        // A fixed-delay timer in a lane.
                        let lane = (delta % 2) as usize;
                        let t = (now + 15_000_000).max(lane_last[lane]);
                        lane_last[lane] = t;
                        q.push_lane(lane, SimTime(t), id);
                        reference.heap.push(std::cmp::Reverse((t, reference.seq, id)));
                    }
                    _ => {
                        let got = q.pop();
                        let want = reference.heap.pop().map(|std::cmp::Reverse((t, _, i))| (SimTime(t), i));
                        prop_assert_eq!(got, want);
                        if let Some((t, _)) = got {
                            now = t.0;
                        }
                        continue;
                    }
                }
                reference.seq += 1;
                id += 1;
            }
            loop {
                let got = q.pop();
                let want = reference.heap.pop().map(|std::cmp::Reverse((t, _, i))| (SimTime(t), i));
                prop_assert_eq!(got, want);
                if got.is_none() {
                    break;
                }
            }
        }
    }
}
