//! The Locust-like load: users, their tasks and each task's steps.

use super::spec::{boolean, duration, each, float, int, section, text, H, MIN, MS};
use crate::units::Dur;
use serde::Serialize;

spec! {
    #[derive(Clone, Debug, PartialEq, Serialize)]
    pub struct ThinkTime {
        min: Dur = required, duration(0.0, 10.0 * MIN, "wait between tasks, minimum");
        max: Dur = required, duration(0.0, 10.0 * MIN, "wait between tasks, maximum");
    }
}

spec! {
    /// One request of a task: `service/route`, optionally repeated.
    #[derive(Clone, Debug, PartialEq, Serialize)]
    pub struct StepSpec {
        call: String = required, text("service/route");
        /// Repeat a random number of times in `[min, max]` (checkout_multi's 2–4 carts).
        #[serde(skip_serializing_if = "Option::is_none")]
        repeat: Option<[u32; 2]> = optional, each(int(1.0, 10.0, "repeat range"));
        /// Locust `catch_response`: a response slower than this counts as a failure.
        #[serde(skip_serializing_if = "Option::is_none")]
        fail_slower_than: Option<Dur> = optional,
            duration(1.0 * MS, 10.0 * MIN, "slower responses count as failures");
    }
}

spec! {
    #[derive(Clone, Debug, PartialEq, Serialize)]
    pub struct TaskSpec {
        name: String = required, text("task name");
        weight: u32 = required, int(0.0, 1000.0, "task weight");
        steps: Vec<StepSpec> = required, each(section(StepSpec::rules));
    }
}

spec! {
    /// Locust-like closed-loop load.
    #[derive(Clone, Debug, PartialEq, Serialize)]
    pub struct WorkloadSpec {
        users: u32 = required, int(0.0, 20_000.0, "concurrent Locust users").log();
        /// Users started per second.
        spawn_rate: f64 = required, float(0.1, 1000.0, "users started per second").log();
        think_time: ThinkTime = required, section(ThinkTime::rules);
        /// When the load starts; absent means only the timeline starts it.
        #[serde(skip_serializing_if = "Option::is_none")]
        start_at: Option<Dur> = optional, duration(0.0, 2.0 * H, "when the load starts");
        #[serde(skip_serializing_if = "Option::is_none")]
        stop_at: Option<Dur> = optional, duration(0.0, 2.0 * H, "when the load stops");
        /// Client timeout for a whole request.
        request_timeout: Dur = default(Dur::secs(60)),
            duration(100.0 * MS, 10.0 * MIN, "client timeout per request").log();
        /// How long a connection attempt waits when no pod is ready.
        connect_timeout: Dur = default(Dur::secs(3)),
            duration(10.0 * MS, 10.0 * MIN, "connect wait when no pod is ready").log();
        /// An unanswered SYN is sent again on Linux's schedule
        /// (`model::tcp`): a connect succeeds at the first SYN a ready pod
        /// sees, and fails at `connect_timeout` or when Linux gives up (131 s),
        /// whichever comes first; `request_timeout` then runs from the
        /// connection. Off: one SYN, one wait of `connect_timeout`.
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        syn_retransmit: bool = default(false),
            boolean("resend an unanswered SYN on Linux's schedule until the connect timeout");
        /// Steps each user runs once when it starts (Locust `on_start`).
        #[serde(skip_serializing_if = "Vec::is_empty")]
        on_start: Vec<StepSpec> = default(Vec::new()), each(section(StepSpec::rules));
        tasks: Vec<TaskSpec> = required, each(section(TaskSpec::rules));
    }
}
