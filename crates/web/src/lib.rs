//! The explorer's browser side: a yew page that renders state, and a Web Worker that trains.
//!
//! The page ([`App`]) owns no computation: it sends [`protocol::ToWorker`] messages to the
//! [`worker::TrainReactor`] and folds each [`protocol::FromWorker`] reply into one reducer
//! ([`state::AppState`]) that every component renders from. The worker downloads the dataset,
//! trains with `sparse-train` in time slices and yields between them, so Stop is read
//! promptly and the page never waits on training.

pub mod codec;
mod components;
pub mod design;
mod download;
mod fetch;
pub mod lineage;
mod link;
pub mod pool;
pub mod protocol;
pub mod run_teacher;
pub mod saved_run;
pub mod search_run;
pub mod search_setup;
pub mod state;
pub mod store;
pub mod upload;
pub mod worker;

pub use components::app::App;
