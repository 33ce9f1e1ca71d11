//! The `sparse-explorer` command line as a library: each command's options and `run`, and the
//! search's run folder as a [`search::Session`] that any front end can drive, the binary's
//! worker threads or, through the Python package, Ray workers.

pub mod budget;
pub mod cost;
pub mod dataset;
pub mod export;
pub mod largest;
mod mnist;
mod output;
mod run_folder;
mod run_settings;
pub mod search;
mod teacher;
pub mod threads;
pub mod train;
pub mod verify;
