//! The page's components, one per file; each renders props and reports clicks by callbacks.

pub mod app;
mod chart;
mod dataset_panel;
mod sample_grid;
mod training_panel;
