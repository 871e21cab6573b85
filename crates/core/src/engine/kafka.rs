//! Kafka downstream: the fraud-detection consumer's lag and accounting's
//! rows in Postgres (table, WAL, write IOPS).
//!
//! Every fan-out copy carries its order's `order_id`, accounting's primary
//! key: Postgres inserts the heap tuple and WAL-logs it before the unique
//! index refuses the duplicate, so every message costs WAL, but only an
//! order's first copy becomes a row and a commit.

use super::World;
use crate::metrics as m;
use crate::telemetry::{Recorder, SeriesId};

/// The consumer and Postgres service names the series are recorded under.
const CONSUMER: &str = "fraud-detection";
const DATABASE: &str = "postgresql";

pub(super) struct KafkaWorld {
    /// Messages checkout's producer delivered to the topic.
    pub(super) topic: f64,
    /// Of those, orders' main messages: one distinct `order_id` each.
    pub(super) orders_written: f64,
    fraud_consumed: f64,
    /// Messages accounting has tried to insert.
    accounting_consumed: f64,
    accounting_rows: f64,
    db_bytes: f64,
    wal_bytes: f64,
    ids: [SeriesId; 4],
}

impl KafkaWorld {
    pub(super) fn register(rec: &mut Recorder, cap: usize) -> KafkaWorld {
        KafkaWorld {
            topic: 0.0,
            orders_written: 0.0,
            fraud_consumed: 0.0,
            accounting_consumed: 0.0,
            accounting_rows: 0.0,
            db_bytes: 0.0,
            wal_bytes: 0.0,
            ids: [
                rec.add_metric(&m::CONSUMER_LAG, CONSUMER, cap),
                rec.add_metric(&m::DB_SIZE, DATABASE, cap),
                rec.add_metric(&m::WAL_SIZE, DATABASE, cap),
                rec.add_metric(&m::WRITE_IOPS, DATABASE, cap),
            ],
        }
    }
}

impl World {
    /// The consumers read and accounting writes for `dt` seconds.
    pub(super) fn sample_kafka(&mut self, dt: f64) {
        let Some(spec) = self.sc.kafka.clone() else {
            return;
        };
        // fraud-detection sleeps per message while the flag is on.
        let flag_on = self
            .flags
            .iter()
            .any(|f| f.name == "kafkaQueueProblems" && f.served.value() > 0);
        let Some(k) = &mut self.kafka else { return };
        let sleep_s = spec.fraud_detection_sleep.as_secs_f64();
        let fraud_rate = if flag_on && sleep_s > 0.0 {
            1.0 / sleep_s
        } else {
            spec.consumer_msgs_per_s
        };
        k.fraud_consumed = (k.fraud_consumed + fraud_rate * dt).min(k.topic);
        let before = k.accounting_consumed;
        k.accounting_consumed =
            (k.accounting_consumed + spec.accounting_rows_per_s * dt).min(k.topic);
        let attempts = k.accounting_consumed - before;
        // Copies of one order arrive together: accounting has seen the
        // topic's share of distinct orders (never fewer than before).
        let seen = if k.topic > 0.0 {
            k.orders_written * (k.accounting_consumed / k.topic)
        } else {
            0.0
        };
        let total = seen.clamp(k.accounting_rows, k.orders_written.max(k.accounting_rows));
        let rows = total - k.accounting_rows;
        k.accounting_rows = total;
        k.db_bytes += rows * spec.row_bytes.as_f64();
        k.wal_bytes += attempts * spec.wal_bytes_per_row.as_f64();
        let iops = rows / spec.rows_per_write.max(1) as f64 / dt;
        debug_assert!(k.fraud_consumed <= k.topic && k.accounting_consumed <= k.topic);
        debug_assert!(k.accounting_rows <= k.orders_written + 1e-6);
        let values = [k.topic - k.fraud_consumed, k.db_bytes, k.wal_bytes, iops];
        for (id, v) in k.ids.into_iter().zip(values) {
            self.k.rec.push(id, Some(v));
        }
    }
}
