use super::*;
use crate::rng::Stream;

fn healthy(msgs_per_s: f64) -> Broker {
    Broker {
        msgs_per_s,
        down: false,
        error_ratio: 0.0,
        retry_time: SimTime::from_millis(300),
    }
}

#[test]
fn a_healthy_broker_wakes_every_waiter_oldest_first() {
    let mut p = Producer::default();
    let mut rng = Rng::new(1, Stream::Kafka);
    assert_eq!(p.send_main(7, 1), Some(false));
    assert_eq!(p.send_overload(300), 0);
    assert_eq!(p.send_main(8, 1), Some(false));
    let d = p.deliver(SimTime::ZERO, 0.1, healthy(1000.0), &mut rng);
    assert_eq!(d.mains_ok, vec![(7, 1)]);
    assert_eq!(d.overload_woken, 99);
    assert_eq!((p.queued(), p.waiting()), (202, 202));
    let d = p.deliver(SimTime::ZERO, 0.3, healthy(1000.0), &mut rng);
    assert_eq!((d.overload_woken, d.mains_ok.clone()), (201, vec![(8, 1)]));
    assert_eq!((p.queued(), p.waiting(), p.written_total), (0, 0, 302));
}

#[test]
fn an_error_the_logger_takes_leaves_one_waiter_for_good() {
    let mut p = Producer::default();
    let mut rng = Rng::new(2, Stream::Kafka);
    let down = Broker {
        down: true,
        ..healthy(1e6)
    };
    p.send_overload(50);
    let d = p.deliver(SimTime::ZERO, 1.0, down, &mut rng);
    assert_eq!(
        (d.written, d.failed),
        (0, 0),
        "errors wait out their retries"
    );
    let d = p.deliver(SimTime::from_millis(299), 1.0, healthy(1e6), &mut rng);
    assert_eq!(d.failed, 0);
    let d = p.deliver(SimTime::from_millis(300), 1.0, healthy(1e6), &mut rng);
    assert_eq!(d.failed, 50);
    assert!(!p.busy());
    // Nobody but the logger took them: 50 goroutines wait on Successes().
    assert_eq!(p.waiting(), 50);
    // The next burst's successes go to the oldest waiters: the count stays.
    p.send_overload(10);
    let d = p.deliver(SimTime::from_secs(1), 1.0, healthy(1e6), &mut rng);
    assert_eq!((d.overload_woken, p.waiting()), (10, 50));
}

#[test]
fn waiting_mains_compete_with_the_logger_for_errors() {
    let mut rng = Rng::new(3, Stream::Kafka);
    let (mut to_mains, mut sent) = (0, 0);
    for _ in 0..200 {
        let mut p = Producer::default();
        for slot in 0..3 {
            p.send_main(slot, 1);
        }
        let down = Broker {
            down: true,
            ..healthy(1e6)
        };
        p.deliver(SimTime::ZERO, 1.0, down, &mut rng);
        let d = p.deliver(SimTime::from_secs(1), 1.0, healthy(1e6), &mut rng);
        assert_eq!(d.failed, 3);
        to_mains += d.mains_failed.len();
        sent += 3;
        assert_eq!(p.waiting() as usize, 3 - d.mains_failed.len());
    }
    // Mains take most errors but not all: the logger is in line too.
    let share = to_mains as f64 / sent as f64;
    assert!((0.45..0.85).contains(&share), "{share}");
}

#[test]
fn a_main_past_its_deadline_abandons_an_unaccepted_send_and_leaves_a_surplus_otherwise() {
    let mut p = Producer::default();
    let mut rng = Rng::new(4, Stream::Kafka);
    p.send_overload(1000);
    p.send_main(1, 1);
    assert_eq!(p.main_at_deadline(1, 1, 256), MainAtDeadline::NotAccepted);
    assert_eq!((p.queued(), p.waiting()), (1000, 1000));
    p.send_main(2, 1);
    assert_eq!(p.main_at_deadline(2, 1, 2000), MainAtDeadline::Accepted);
    assert_eq!((p.queued(), p.waiting()), (1001, 1000));
    let d = p.deliver(SimTime::ZERO, 1.0, healthy(1e9), &mut rng);
    assert_eq!((d.overload_woken, d.written), (1000, 1001));
    assert_eq!(p.main_at_deadline(2, 1, 2000), MainAtDeadline::Gone);
    // The success nobody took wakes the next goroutine that waits.
    assert_eq!(p.send_overload(5), 1);
    assert_eq!(p.waiting(), 4);
}

#[test]
fn the_writer_blocks_while_a_success_has_no_taker() {
    let mut p = Producer::default();
    let mut rng = Rng::new(5, Stream::Kafka);
    p.send_main(1, 1);
    p.main_at_deadline(1, 1, 256);
    p.deliver(SimTime::ZERO, 1.0, healthy(1e6), &mut rng);
    assert_eq!(p.queued(), 0);
    // Main 2 takes the success nobody took, before its own is written.
    assert_eq!(p.send_main(2, 1), Some(true));
    assert_eq!(p.waiting(), 0);
    let d = p.deliver(SimTime::ZERO, 1.0, healthy(1e6), &mut rng);
    assert_eq!(d.written, 1);
    p.send_overload(3);
    // One success is still owed to nobody: the first goroutine takes it, and
    // the writer, blocked until then, writes the three.
    assert_eq!(p.waiting(), 2);
    let d = p.deliver(SimTime::ZERO, 1.0, healthy(1e6), &mut rng);
    assert_eq!((d.written, d.overload_woken), (3, 2));
}

#[test]
fn fractional_capacity_carries_over() {
    let mut p = Producer::default();
    let mut rng = Rng::new(6, Stream::Kafka);
    p.send_overload(10);
    let total: u64 = (0..10)
        .map(|_| {
            p.deliver(SimTime::ZERO, 0.02, healthy(30.0), &mut rng)
                .overload_woken
        })
        .sum();
    assert_eq!(total, 6);
}
