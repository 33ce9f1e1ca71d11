//! `Search`: SpArSe's ask/tell engine on its own (space, budget, algorithm, seed), for callers
//! that train candidates their own way; its state is JSON, to save and to send between
//! processes (and it pickles through that JSON).

use crate::args::{Budget, parse};
use crate::value_error;
use anyhow::Context;
use pyo3::prelude::*;
use pyo3::types::PyType;
use sparse_cli::budget::BudgetArgs;
use sparse_core::TrialRecord;
use sparse_core::space::SearchSpace;
use sparse_search::{Algorithm, DEFAULT_MAX_EPOCHS, Outcome, Schedule, SearchPlan};

/// A multi-objective search of CNN architectures and pruning settings within a
/// microcontroller's budget. `ask()` gives a candidate to train, `tell(id, record)` says how
/// it did; `to_json()` and `Search.from_json()` save and restore it.
#[pyclass(module = "sparse_explorer._engine")]
pub struct Search {
    inner: sparse_search::Search,
}

/// The optimizer named as on the command line.
fn algorithm(name: &str) -> anyhow::Result<Algorithm> {
    Ok(match name {
        "random" => Algorithm::Random,
        "evolution" => Algorithm::evolution(),
        "mobo" => Algorithm::mobo(),
        _ => anyhow::bail!("algorithm must be 'random', 'evolution' or 'mobo', not '{name}'"),
    })
}

#[pymethods]
impl Search {
    /// A new search for images of shape `input` (channels, height, width) in `classes`
    /// classes, within a board's budget (`board`, or `flash_bytes` and `sram_bytes`, with
    /// `flash_measure`, and optionally `max_latency_ms` with `core` and `clock_mhz`: the
    /// options of `sparse-explorer search`, refused with its messages). New candidates train
    /// `epochs`; the best are promoted up to `max_epochs`.
    #[new]
    #[pyo3(signature = (*, input = (1, 28, 28), classes = 10, board = None, flash_bytes = None,
        sram_bytes = None, flash_measure = None, max_latency_ms = None, core = None,
        clock_mhz = None, algorithm = "mobo", seed = 0, epochs = 1, max_epochs = None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        input: (usize, usize, usize),
        classes: usize,
        board: Option<String>,
        flash_bytes: Option<u64>,
        sram_bytes: Option<u64>,
        flash_measure: Option<String>,
        max_latency_ms: Option<f64>,
        core: Option<String>,
        clock_mhz: Option<f64>,
        algorithm: &str,
        seed: u64,
        epochs: usize,
        max_epochs: Option<usize>,
    ) -> PyResult<Self> {
        let built = (|| {
            let budget = Budget {
                board,
                flash_bytes,
                sram_bytes,
                flash_measure,
                max_latency_ms,
                core,
                clock_mhz,
            };
            let budget_args: BudgetArgs = parse("sparse-explorer search", &budget.options())?;
            let board = budget_args
                .board()?
                .context("give a budget: board, or flash_bytes and sram_bytes")?;
            if epochs == 0 {
                anyhow::bail!("epochs must be at least 1");
            }
            let max_epochs = max_epochs.unwrap_or(DEFAULT_MAX_EPOCHS.max(epochs));
            if max_epochs < epochs {
                anyhow::bail!("max_epochs must be at least epochs");
            }
            let plan = SearchPlan {
                space: SearchSpace::sparse([input.0, input.1, input.2], classes),
                budget: budget_args.budget_of(&board)?,
                algorithm: self::algorithm(algorithm)?,
                seed,
                schedule: Schedule::by_promise(epochs, max_epochs),
            };
            plan.check()?;
            Ok(plan.search())
        })();
        Ok(Self {
            inner: built.map_err(value_error)?,
        })
    }

    /// The next candidate to train, as a dict: its `id`, `genome`, `architecture` (the JSON of
    /// docs/architecture-format.md), `epochs`, and for a morph or a promotion its `parent`.
    /// Raises ValueError when no candidate can be asked (the budget admits none).
    fn ask(&mut self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let candidate = self.inner.ask().map_err(value_error)?;
        let mut value = serde_json::to_value(&candidate).map_err(value_error)?;
        value["architecture"] =
            serde_json::to_value(candidate.genome.architecture(self.inner.space()))
                .map_err(value_error)?;
        crate::context::to_python(py, &value)
    }

    /// Tells the search how candidate `id` did: `record`, a trial record (a dict or its JSON,
    /// a line of `trials.jsonl`, as `TrialContext.run` returns).
    fn tell(&mut self, id: u64, record: &Bound<'_, PyAny>) -> PyResult<()> {
        let record: TrialRecord = crate::context::from_python(record, "a trial record")?;
        self.inner
            .tell(id, Outcome::of_record(&record))
            .map_err(value_error)
    }

    /// The ids of the Pareto members among the trained trials that fit.
    fn pareto_front(&self) -> Vec<u64> {
        self.inner.pareto_front()
    }

    /// The hypervolume the Pareto front dominates (of the objectives scaled to the budget).
    fn hypervolume(&self) -> f64 {
        self.inner.hypervolume()
    }

    /// The seed every draw of this search derives from.
    #[getter]
    fn seed(&self) -> u64 {
        self.inner.seed()
    }

    /// The search's whole state as JSON (`state.json` of a run folder).
    fn to_json(&self) -> PyResult<String> {
        serde_json::to_string(&self.inner).map_err(value_error)
    }

    /// A search restored from `to_json()`'s text, checked: an edited or damaged state is
    /// refused with what is wrong.
    #[classmethod]
    fn from_json(_cls: &Bound<'_, PyType>, text: &str) -> PyResult<Self> {
        let inner: sparse_search::Search = serde_json::from_str(text)
            .context("not a saved search")
            .map_err(value_error)?;
        inner
            .check()
            .context("the saved search cannot be resumed")
            .map_err(value_error)?;
        Ok(Self { inner })
    }

    /// Pickles as its JSON.
    fn __reduce__(slf: &Bound<'_, Self>) -> PyResult<(Py<PyAny>, (String,))> {
        let from_json = slf.get_type().getattr("from_json")?.unbind();
        Ok((from_json, (slf.borrow().to_json()?,)))
    }

    fn __len__(&self) -> usize {
        self.inner.trials().len()
    }
}
