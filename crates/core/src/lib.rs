//! The pure heart of sparse-explorer: datasets and architecture descriptions, with no web,
//! no candle and no IO.
//!
//! Parsers take bytes and return values ([`idx::parse_idx_pair`] turns an IDX image file and
//! a label file, gzipped or plain, into a [`Dataset`]); an [`Architecture`] describes a CNN in
//! the JSON format of `docs/architecture-format.md` and infers the shape of every layer's
//! output. The trainer builds networks from an [`Architecture`] and trains them on a
//! [`Dataset`]; the page and the CLI fetch or read the bytes.

pub mod architecture;
pub mod boards;
pub mod cost;
pub mod csv;
pub mod dataset;
mod error;
pub mod idx;
pub mod latency;
pub mod model;
pub mod pareto;
pub mod quant;
pub mod record;
pub mod space;

pub use architecture::{Architecture, Layer};
pub use dataset::{Dataset, ImageShape};
pub use error::{Error, Result};
pub use model::FloatModel;
pub use record::TrialRecord;
