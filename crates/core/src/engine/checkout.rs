//! The Go checkout with its Kafka producer: PlaceOrder, the
//! `kafkaQueueProblems` fan-out, the producer's deliveries, and the runtime's
//! collector (`model::go_runtime`, `model::kafka`).

use super::ids::{PodId, Slot};
use super::kernel::Lane;
use super::pods::Rt;
use super::requests::Fail;
use super::service::CheckoutNumbers;
use super::{Cgen, Ev, Rid, World};
use crate::model::go_runtime::{GcOutcome, GoHeap};
use crate::model::kafka::{Broker, Delivery, MainAtDeadline, Producer};
use crate::scenario::{GoSpec, KafkaSpec};
use crate::telemetry::EventType;
use crate::units::{SimTime, KIB};

/// Stack of the goroutine serving one request.
const REQUEST_GOROUTINE_STACK: f64 = (8 * KIB) as f64;
/// CPU one PlaceOrder burns in checkout itself (marshalling, spans).
const PLACE_ORDER_CPU_US: f64 = 2_000.0;
/// Producer CPU per message (encoding, batching).
const MESSAGE_CPU_US: f64 = 15.0;
/// Producer messages the main publish may wait behind when no `kafka`
/// section sets a buffer (sarama's `ChannelBufferSize`).
const DEFAULT_PRODUCER_BUFFER_MSGS: u64 = 256;

pub(super) struct GoPod {
    pub(super) heap: GoHeap,
    pub(super) producer: Producer,
    /// Fan-out goroutines alive (waiting on the producer or stranded).
    pub(super) overload_alive: u64,
    /// The flag value read at start-up, for a checkout that caches it.
    pub(super) flag_cached: i64,
    pub(super) gc_pending: bool,
    pub(super) orders: u64,
    /// PlaceOrders that went on to the fan-out (flag > 0 or not).
    pub(super) fan_outs: u64,
    /// The overload warning is logged once per container.
    pub(super) warned: bool,
    /// GC CPU already charged to the pod's CPU usage.
    pub(super) gc_cpu_accounted_s: f64,
}

impl GoPod {
    pub(super) fn new(go: GoSpec, flag: i64, now: SimTime) -> GoPod {
        GoPod {
            heap: GoHeap::new(&go, now),
            producer: Producer::default(),
            overload_alive: 0,
            flag_cached: flag,
            gc_pending: false,
            orders: 0,
            fan_outs: 0,
            warned: false,
            gc_cpu_accounted_s: 0.0,
        }
    }
}

/// The Go pod of `pod`, for a handler that checked it is one.
macro_rules! go_of {
    ($world:expr, $pod:expr) => {
        match &mut $world.pods[$pod].rt {
            Rt::Go(g) => g,
            _ => return,
        }
    };
}

impl World {
    /// A collection the pacer deferred gets its own event.
    pub(super) fn go_handle(&mut self, pod: PodId, outcome: GcOutcome) {
        if let GcOutcome::DeferredUntil(at) = outcome {
            let cgen = self.pods[pod].cgen;
            if let Rt::Go(g) = &mut self.pods[pod].rt {
                if !g.gc_pending {
                    g.gc_pending = true;
                    self.k.schedule(at, Ev::GoGc { pod, cgen });
                }
            }
        }
    }

    pub(super) fn on_go_gc(&mut self, pod: PodId, cgen: Cgen) {
        if !self.pod_current(pod, cgen) {
            return;
        }
        let now = self.now();
        let g = go_of!(self, pod);
        g.gc_pending = false;
        let outcome = g.heap.maybe_collect(now);
        self.go_account_gc(pod);
        self.go_handle(pod, outcome);
    }

    /// Charges the collector's CPU to the pod's CPU usage.
    pub(super) fn go_account_gc(&mut self, pod: PodId) {
        let p = &mut self.pods[pod];
        if let Rt::Go(g) = &mut p.rt {
            let delta = g.heap.gc_cpu_seconds - g.gc_cpu_accounted_s;
            g.gc_cpu_accounted_s = g.heap.gc_cpu_seconds;
            p.cpu_used_us += delta * 1e6;
        }
    }

    /// The numbers of a checkout's spec, copied (the spec itself holds a String).
    fn checkout_spec(&self, pod: PodId) -> CheckoutNumbers {
        self.svcs[self.pods[pod].svc].checkout
    }

    /// PlaceOrder arrives: a goroutine and its live memory, the downstream
    /// calls (slower under GC and reclaim), and the caller's deadline.
    pub(super) fn checkout_arrive(&mut self, slot: Slot) {
        let r = self.reqs.slots[slot];
        let pod = r.pod;
        let spec = self.checkout_spec(pod);
        let now = self.now();
        let g = go_of!(self, pod);
        g.heap.spawn_goroutines(1, REQUEST_GOROUTINE_STACK);
        let outcome = g.heap.allocate_live(spec.request_live_bytes, now);
        self.go_handle(pod, outcome);
        if self.check_oom(pod) {
            return;
        }
        let thrash = self.thrash_factor(pod);
        let (factor, assist) = match &mut self.pods[pod].rt {
            Rt::Go(g) => g.heap.mutator_slowdown(now),
            _ => (1.0, SimTime::ZERO),
        };
        self.pods[pod].cpu_used_us += PLACE_ORDER_CPU_US;
        let d = self
            .k
            .rng
            .latency
            .lognormal(spec.downstream_s, spec.downstream_sigma)
            * factor
            * thrash;
        let rid = r.rid;
        let downstream = now + SimTime::from_secs_f64(d) + assist;
        self.k
            .schedule(downstream, Ev::CheckoutDownstream { slot, rid });
        let deadline = now + spec.deadline;
        self.k
            .schedule_lane(Lane::Deadline, deadline, Ev::CheckoutDeadline { slot, rid });
    }

    /// The request's goroutine exits: its live memory becomes garbage.
    fn checkout_cleanup(&mut self, slot: Slot) {
        let pod = self.reqs.slots[slot].pod;
        let spec = self.checkout_spec(pod);
        let now = self.now();
        let g = go_of!(self, pod);
        g.heap.release_live(spec.request_live_bytes);
        g.heap.exit_goroutines(1, REQUEST_GOROUTINE_STACK);
        let outcome = g.heap.allocate_garbage(spec.request_garbage_bytes, now);
        self.go_handle(pod, outcome);
    }

    /// Downstream calls done: the order is placed; publish it to Kafka.
    pub(super) fn on_checkout_downstream(&mut self, slot: Slot, rid: Rid) {
        let Some(r) = self.request(slot, rid) else {
            return;
        };
        if r.stage != 0 {
            return;
        }
        let pod = r.pod;
        let spec = self.checkout_spec(pod);
        let cgen = self.pods[pod].cgen;
        if let Rt::Go(g) = &mut self.pods[pod].rt {
            g.orders += 1;
        }
        if !spec.kafka_configured {
            // No KAFKA_ADDR: no publish, and the flag is never read.
            self.checkout_cleanup(slot);
            self.reply(slot, Ok(()));
            return;
        }
        self.reqs.slots[slot].stage = 1;
        let g = go_of!(self, pod);
        match g.producer.send_main(slot.0, rid) {
            None => {
                self.checkout_cleanup(slot);
                self.reply(slot, Err(Fail::Deadline));
            }
            // A success nobody took was waiting: the send returns at once.
            Some(true) => self.answer_main(pod, slot),
            Some(false) => self.schedule_flush(pod, cgen),
        }
    }

    fn schedule_flush(&mut self, pod: PodId, cgen: Cgen) {
        let g = go_of!(self, pod);
        if !g.producer.flush_scheduled {
            g.producer.flush_scheduled = true;
            self.k.schedule(self.k.now, Ev::ProducerFlush { pod, cgen });
        }
    }

    /// The caller's deadline: give up on the downstream calls, or on the
    /// publish (whose fan-out still runs once the message is accepted).
    pub(super) fn on_checkout_deadline(&mut self, slot: Slot, rid: Rid) {
        let Some(r) = self.request(slot, rid) else {
            return;
        };
        let pod = r.pod;
        let buffer = self
            .sc
            .kafka
            .as_ref()
            .map(|k| k.producer_buffer_msgs as u64)
            .unwrap_or(DEFAULT_PRODUCER_BUFFER_MSGS);
        match r.stage {
            0 => {
                self.reqs.slots[slot].stage = 2;
                self.checkout_cleanup(slot);
                self.reply(slot, Err(Fail::Deadline));
            }
            1 => {
                let g = go_of!(self, pod);
                match g.producer.main_at_deadline(slot.0, rid, buffer) {
                    MainAtDeadline::Gone => {}
                    MainAtDeadline::NotAccepted => {
                        self.log_once_kafka_deadline(pod);
                        self.checkout_cleanup(slot);
                        self.reply(slot, Err(Fail::Deadline));
                    }
                    MainAtDeadline::Accepted => {
                        // The inner select gives up; the fan-out still runs
                        // (the flag comes from the provider's cache).
                        let cgen = self.pods[pod].cgen;
                        self.checkout_fan_out(pod);
                        if self.pod_current(pod, cgen) {
                            self.checkout_cleanup(slot);
                            self.reply(slot, Err(Fail::Deadline));
                        }
                    }
                }
            }
            _ => {}
        }
    }

    /// A log line once in a while, not once per request.
    fn log_once(&mut self, pod: PodId, reason: &str, lookback: usize, message: &str) {
        let object = self.pod_object(pod);
        let seen = self
            .k
            .log
            .events
            .iter()
            .rev()
            .take(lookback)
            .any(|e| e.reason == reason && e.object == object);
        if !seen {
            let now = self.now();
            self.k
                .log
                .push(now, EventType::Log, &object, reason, message.into());
        }
    }

    fn log_once_kafka_deadline(&mut self, pod: PodId) {
        self.log_once(
            pod,
            "KafkaSendTimeout",
            200,
            "Failed to send message to Kafka within context deadline: context deadline exceeded",
        );
    }

    /// `for range ffValue { go func() { Input() <- &msg; <-Successes() }() }`
    fn checkout_fan_out(&mut self, pod: PodId) {
        let n = self.checkout_flag(pod).max(0) as u64;
        if let Rt::Go(g) = &mut self.pods[pod].rt {
            g.fan_outs += 1;
        }
        if n == 0 {
            return;
        }
        let spec = self.checkout_spec(pod);
        let now = self.now();
        let cgen = self.pods[pod].cgen;
        let g = go_of!(self, pod);
        g.heap.spawn_goroutines(n, spec.goroutine_stack_bytes);
        let outcome = g.heap.allocate_live(n as f64 * spec.waiter_live_bytes, now);
        g.overload_alive += n;
        let woken = g.producer.send_overload(n);
        let first = !g.warned;
        g.warned = true;
        self.go_handle(pod, outcome);
        self.overload_exit(pod, woken);
        self.schedule_flush(pod, cgen);
        if first {
            self.log_overload(pod, n);
        }
        self.check_oom(pod);
    }

    /// Woken fan-out goroutines exit: stacks back to free pages, their
    /// copies and sudogs become garbage.
    fn overload_exit(&mut self, pod: PodId, woken: u64) {
        if woken == 0 {
            return;
        }
        let spec = self.checkout_spec(pod);
        let g = go_of!(self, pod);
        debug_assert!(woken <= g.overload_alive, "only live goroutines wake");
        g.heap.exit_goroutines(woken, spec.goroutine_stack_bytes);
        g.heap.release_live(woken as f64 * spec.waiter_live_bytes);
        g.overload_alive -= woken.min(g.overload_alive);
    }

    fn log_overload(&mut self, pod: PodId, n: u64) {
        let object = self.pod_object(pod);
        let now = self.now();
        let log = &mut self.k.log;
        log.push(
            now,
            EventType::Log,
            &object,
            "FeatureFlag",
            "Warning: FeatureFlag 'kafkaQueueProblems' is activated, overloading queue now.".into(),
        );
        log.push(
            now,
            EventType::Log,
            &object,
            "FeatureFlag",
            format!("Done with #{n} messages for overload simulation."),
        );
    }

    /// One write step of the producer: writes at the broker's rate (slower
    /// under GC and reclaim), woken goroutines, answered publishes.
    pub(super) fn on_producer_flush(&mut self, pod: PodId, cgen: Cgen) {
        if !self.pod_current(pod, cgen) {
            return;
        }
        let Some(kafka) = self.sc.kafka.clone() else {
            return;
        };
        let Some(delivery) = self.producer_deliver(pod, &kafka) else {
            return;
        };
        self.overload_exit(pod, delivery.overload_woken);
        self.charge_messages(pod, delivery.written + delivery.failed);
        if let Some(k) = &mut self.kafka {
            k.topic += delivery.written as f64;
            k.orders_written += delivery.orders_written as f64;
        }
        if !self.answer_publishes(pod, cgen, &delivery) {
            return;
        }
        let g = go_of!(self, pod);
        if g.producer.busy() {
            let at = self.k.now + kafka.flush_interval.0;
            self.k.schedule(at, Ev::ProducerFlush { pod, cgen });
        } else {
            g.producer.flush_scheduled = false;
        }
    }

    /// The broker at this moment: its window's rate, or down.
    fn broker_now(&self, kafka: &KafkaSpec) -> Broker {
        let now = self.now();
        let window = kafka
            .broker_windows
            .iter()
            .find(|w| w.from.0 <= now && now < w.until.0);
        let retries = kafka.retry_max as f64 * kafka.retry_backoff.as_secs_f64();
        Broker {
            msgs_per_s: window.map_or(kafka.throughput_msgs_per_s, |w| w.msgs_per_s),
            down: window.is_some_and(|w| w.msgs_per_s == 0.0),
            error_ratio: kafka.error_ratio,
            retry_time: SimTime::from_secs_f64(retries),
        }
    }

    fn producer_deliver(&mut self, pod: PodId, kafka: &KafkaSpec) -> Option<Delivery> {
        let now = self.now();
        let thrash = self.thrash_factor(pod);
        let dt = kafka.flush_interval.as_secs_f64();
        let mut broker = self.broker_now(kafka);
        if broker.down {
            // Unreachable: failures come back at the rate the writer tries.
            broker.msgs_per_s = kafka.throughput_msgs_per_s;
        }
        let Rt::Go(g) = &mut self.pods[pod].rt else {
            return None;
        };
        let (factor, _) = g.heap.mutator_slowdown(now);
        broker.msgs_per_s /= factor * thrash;
        Some(g.producer.deliver(now, dt, broker, &mut self.k.rng.kafka))
    }

    /// The producer's CPU and garbage for the messages it handled.
    fn charge_messages(&mut self, pod: PodId, messages: u64) {
        if messages == 0 {
            return;
        }
        let spec = self.checkout_spec(pod);
        let now = self.now();
        let g = go_of!(self, pod);
        let gc = g
            .heap
            .allocate_garbage(messages as f64 * spec.message_garbage_bytes, now);
        self.pods[pod].cpu_used_us += messages as f64 * MESSAGE_CPU_US;
        self.go_handle(pod, gc);
    }

    /// Answers the PlaceOrders woken by a success or an error; each then
    /// starts its fan-out. Returns false when the container died meanwhile.
    fn answer_publishes(&mut self, pod: PodId, cgen: Cgen, delivery: &Delivery) -> bool {
        if !delivery.mains_failed.is_empty() {
            self.log_once(
                pod,
                "KafkaError",
                50,
                "Failed to write message: kafka: Failed to deliver 1 messages.",
            );
        }
        let mains = delivery.mains_ok.iter().chain(&delivery.mains_failed);
        for &(slot, rid) in mains {
            let slot = Slot(slot);
            if self.request(slot, rid).is_none() {
                continue;
            }
            self.answer_main(pod, slot);
            if !self.pod_current(pod, cgen) {
                return false;
            }
        }
        self.pod_current(pod, cgen)
    }

    /// A main's wait is over: the fan-out, then PlaceOrder returns.
    fn answer_main(&mut self, pod: PodId, slot: Slot) {
        let cgen = self.pods[pod].cgen;
        self.reqs.slots[slot].stage = 2;
        self.checkout_fan_out(pod);
        if self.pod_current(pod, cgen) {
            self.checkout_cleanup(slot);
            self.reply(slot, Ok(()));
        }
    }
}
