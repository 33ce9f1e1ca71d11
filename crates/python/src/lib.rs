//! `sparse_explorer._engine`: the Rust engine as a Python extension module (pyo3, abi3). The
//! package's Python code (`python/sparse_explorer`) re-exports it and builds the Ray Tune
//! searcher on it.

mod args;
mod context;
mod data;
mod measure;
mod run;
mod search;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

/// An engine error as Python's `ValueError`, with the message the CLI prints after
/// `sparse-explorer: ` (the context chain joined by colons).
pub(crate) fn value_error(e: impl Into<anyhow::Error>) -> PyErr {
    PyValueError::new_err(format!("{:#}", e.into()))
}

/// The engine: searches, trials, datasets, the cost model, board presets and run folders.
#[pymodule]
fn _engine(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<search::Search>()?;
    m.add_class::<data::Dataset>()?;
    m.add_class::<context::TrialContext>()?;
    m.add_class::<run::Run>()?;
    m.add_function(wrap_pyfunction!(measure::cost, m)?)?;
    m.add_function(wrap_pyfunction!(measure::boards, m)?)?;
    m.add_function(wrap_pyfunction!(run::search_help, m)?)?;
    Ok(())
}
