//! The page's components, one per file; each renders props and reports clicks by callbacks.

pub mod app;
mod candidate_view;
mod chart;
mod confusion_matrix;
mod dataset_panel;
mod digit_pad;
mod hypervolume_chart;
mod pareto_chart;
mod sample_grid;
mod search_form;
mod search_panel;
mod training_panel;
mod trial_table;
