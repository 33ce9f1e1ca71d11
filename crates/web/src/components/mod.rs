//! The page's components, one per file; each renders props and reports clicks by callbacks.

pub mod app;
mod candidate_view;
mod chart;
mod confusion_matrix;
mod dataset_panel;
mod designer;
mod digit_pad;
mod hypervolume_chart;
mod keys;
mod layer_table;
mod lesson;
mod lineage_view;
mod pareto_chart;
mod pruning_figure;
mod run_status;
mod sample_grid;
mod saved_offer;
mod search_controls;
mod search_form;
mod search_panel;
mod search_results;
mod training_panel;
mod trial_table;
