//! `incident-core`: the deterministic model behind Incident Lab.
//!
//! A run is a pure function `(Scenario, seed) -> Trace`: integer
//! microsecond time, a `(time, seq)` event queue, PCG64 streams per
//! subsystem and `libm` for every transcendental, so the same scenario
//! gives the same trace — and the same hash — natively and in the browser.
//! No I/O, no clock, no async, no web dependency.

pub mod alerts;
pub mod calibration;
pub mod checks;
pub mod claims;
pub mod control;
pub mod decode;
pub mod engine;
pub mod histogram;
pub mod json;
pub mod lesson;
pub mod metrics;
pub mod model;
pub mod number;
pub mod presets;
pub mod problem;
pub mod queries;
pub mod queue;
pub mod rng;
pub mod scenario;
pub mod sweep;
pub mod telemetry;
pub mod toml_reader;
pub mod trace;
pub mod units;
pub mod view;

pub use engine::simulate;
pub use problem::{Problem, Problems};
pub use scenario::Scenario;
pub use trace::{Summary, Trace};
