//! The models, one module each, with their own tests. The engine
//! (`crate::engine`) wires them to the event queue.

pub mod cfs;
pub mod cgroup;
pub mod go_runtime;
pub mod hpa;
pub mod kafka;
pub mod python;
pub mod routing;
pub mod tcp;
