//! The event queue: a binary heap ordered by `(time, seq)`.
//!
//! `seq` is an insertion counter, so events scheduled for the same
//! microsecond run first-in-first-out, as in dslab-core. That tie-break is
//! what makes a run a pure function of its inputs.

use crate::units::SimTime;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

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

pub struct EventQueue<E> {
    heap: BinaryHeap<Entry<E>>,
    next_seq: u64,
    capacity_limit: usize,
}

impl<E> EventQueue<E> {
    /// `capacity_limit` bounds the pending events: a model that schedules
    /// without bound is a bug, and the limit turns it into a clean stop.
    pub fn new(capacity_limit: usize) -> Self {
        EventQueue {
            heap: BinaryHeap::with_capacity(1024),
            next_seq: 0,
            capacity_limit,
        }
    }

    /// Returns false (and drops the event) when the queue is full.
    pub fn push(&mut self, time: SimTime, event: E) -> bool {
        if self.heap.len() >= self.capacity_limit {
            return false;
        }
        self.heap.push(Entry {
            time: time.0,
            seq: self.next_seq,
            event,
        });
        self.next_seq += 1;
        true
    }

    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        self.heap.pop().map(|e| (SimTime(e.time), e.event))
    }

    pub fn peek_time(&self) -> Option<SimTime> {
        self.heap.peek().map(|e| SimTime(e.time))
    }

    pub fn len(&self) -> usize {
        self.heap.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn refuses_past_capacity() {
        let mut q = EventQueue::new(2);
        assert!(q.push(SimTime(1), 1));
        assert!(q.push(SimTime(2), 2));
        assert!(!q.push(SimTime(3), 3));
        assert_eq!(q.len(), 2);
    }
}
