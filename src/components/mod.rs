//! Components: they render what the core computed and dispatch what the
//! learner did. No model logic lives here.

pub mod charts_view;
pub mod chrome;
pub mod controls;
pub mod failure_map;
pub mod landing;
pub mod lesson_panel;
pub mod panels;
