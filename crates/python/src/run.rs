//! `Run`: a search in its run folder, opened with `sparse-explorer search`'s options and
//! driven by whoever trains its jobs (the Ray Tune searcher): the same folder, files and
//! rules as the CLI, so `sparse-explorer search --resume` carries it on.

use crate::context::{Shipped, TrialContext, from_python, to_python};
use crate::value_error;
use anyhow::Context;
use pyo3::prelude::*;
use sparse_cli::search::{Finished, SearchArgs, Session};
use sparse_core::TrialRecord;
use sparse_train::Network;

/// A search run in its folder: `Run(["--board", "arduino-uno", "--out", "runs/a"])` opens a
/// new one (or `["--resume", "runs/a"]` a saved one), trains or loads its teacher, and holds
/// the folder's lock until `close()`. Give out jobs with `next_job()`; `tell()` each result.
#[pyclass(module = "sparse_explorer._engine")]
pub struct Run {
    session: Option<Session>,
}

impl Run {
    fn session(&self) -> PyResult<&Session> {
        self.session.as_ref().ok_or_else(closed)
    }

    fn session_mut(&mut self) -> PyResult<&mut Session> {
        self.session.as_mut().ok_or_else(closed)
    }
}

fn closed() -> PyErr {
    value_error(anyhow::anyhow!("the run is closed"))
}

/// The options of `sparse-explorer search`, as its `--help` prints them.
#[pyfunction]
pub fn search_help() -> String {
    crate::args::help::<SearchArgs>("sparse-explorer search")
}

#[pymethods]
impl Run {
    /// Opens the run `argv` describes: the options of `sparse-explorer search` (without the
    /// command), refused with its messages. With `announce`, prints its description to
    /// standard error as the CLI does, before the teacher trains. Trains the run's teacher,
    /// unless it has one or `--no-teacher` is given (the GIL released meanwhile).
    #[new]
    #[pyo3(signature = (argv, *, announce = false))]
    fn new(py: Python<'_>, argv: Vec<String>, announce: bool) -> PyResult<Self> {
        let args: SearchArgs =
            crate::args::parse("sparse-explorer search", &argv).map_err(value_error)?;
        let session = py
            .detach(|| {
                Session::open(&args, |description| {
                    if announce {
                        eprintln!("{description}");
                    }
                })
            })
            .map_err(value_error)?;
        Ok(Self {
            session: Some(session),
        })
    }

    /// The run folder.
    #[getter]
    fn dir(&self) -> PyResult<std::path::PathBuf> {
        Ok(self.session()?.dir().to_path_buf())
    }

    /// What the run searches, in one line (images, budget).
    #[getter]
    fn description(&self) -> PyResult<String> {
        Ok(self.session()?.description().to_string())
    }

    /// How it stands, in one line (best test accuracy, hypervolume, refusals).
    #[getter]
    fn progress(&self) -> PyResult<String> {
        Ok(self.session()?.progress())
    }

    /// Trials given out and not yet told.
    #[getter]
    fn in_flight(&self) -> PyResult<usize> {
        Ok(self.session()?.driver().in_flight())
    }

    /// Trials told, over every session of the run.
    #[getter]
    fn told(&self) -> PyResult<usize> {
        Ok(self.session()?.driver().records().len())
    }

    /// The trials the run will have told when done (`None`: as many as `--time-limit` allows).
    #[getter]
    fn trials(&self) -> PyResult<Option<usize>> {
        Ok(self.session()?.driver().limits().trials)
    }

    /// Whether the run is over: nothing in flight and nothing more to give out (its trials or
    /// time used up, or an ask failed, and any fine-tune done). Not over after Tune returned:
    /// the search was interrupted.
    #[getter]
    fn is_over(&self) -> PyResult<bool> {
        Ok(self.session()?.driver().is_over())
    }

    /// What every trial trains on, to send where trials train.
    fn trial_context(&self) -> PyResult<TrialContext> {
        Ok(TrialContext::wrap(self.session()?.context().clone()))
    }

    /// The next job, or `None` while the search waits for trials in flight or is over (over
    /// once `in_flight` is 0 too). A job is a dict: `id`, `candidate` (for
    /// `TrialContext.run`), its `seed`, and `parent`, the trial whose kept network it starts
    /// from (`network(parent)`), or `None`.
    fn next_job(&mut self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        let Some(job) = self.session_mut()?.next_job() else {
            return Ok(None);
        };
        let parent = job.parent.as_ref().and(job.candidate.parent);
        let value = serde_json::json!({
            "id": job.candidate.id,
            "candidate": job.candidate,
            "seed": job.seed,
            "parent": parent,
        });
        Ok(Some(to_python(py, &value)?))
    }

    /// The JSON of trial `id`'s kept network (for `TrialContext.run`'s `parent`), or `None`
    /// if the run no longer keeps it.
    fn network(&self, py: Python<'_>, id: u64) -> PyResult<Option<String>> {
        let Some(network) = self.session()?.network(id).cloned() else {
            return Ok(None);
        };
        py.detach(|| -> anyhow::Result<String> {
            let shipped = Shipped {
                float: network.to_float_model()?,
                int8: None,
            };
            Ok(serde_json::to_string(&shipped)?)
        })
        .map(Some)
        .map_err(value_error)
    }

    /// Whether the run still keeps trial `id`'s network (for children and promotions).
    fn keeps(&self, id: u64) -> PyResult<bool> {
        Ok(self.session()?.network(id).is_some())
    }

    /// Tells the search what a job became: its `record` (from `TrialContext.run`) and its
    /// `network` JSON when it trained. Saves the folder (`trials.jsonl`, `pareto.json`,
    /// `state.json`, `networks/`) and returns the record as told.
    #[pyo3(signature = (record, network = None))]
    fn tell(
        &mut self,
        py: Python<'_>,
        record: &Bound<'_, PyAny>,
        network: Option<String>,
    ) -> PyResult<Py<PyAny>> {
        let record: TrialRecord = from_python(record, "a trial record")?;
        let network = network
            .map(|text| -> anyhow::Result<_> {
                let shipped: Shipped =
                    serde_json::from_str(&text).context("not a trained network")?;
                let int8 = shipped.int8.context("the network has no int8 model")?;
                Ok((Network::from_float_model(&shipped.float)?, int8))
            })
            .transpose()
            .map_err(value_error)?;
        let told = self
            .session_mut()?
            .tell(Finished { record, network })
            .map_err(value_error)?;
        to_python(py, told)
    }

    /// Tells the search that job `id` failed outside its training (its worker was lost) for
    /// `reason`: recorded as a failed trial. Returns the record.
    fn fail(&mut self, py: Python<'_>, id: u64, reason: String) -> PyResult<Py<PyAny>> {
        let told = self.session_mut()?.fail(id, reason).map_err(value_error)?;
        to_python(py, told)
    }

    /// Job `id`, given out, will not be told in this session (Tune stopped it before it
    /// reported): a later session trains it again, as after a kill.
    fn abandon(&mut self, id: u64) -> PyResult<()> {
        self.session_mut()?.abandon(id);
        Ok(())
    }

    /// The summary the CLI prints at the end (trials, failed, rejected_by_budget,
    /// hypervolume, pareto, out); raises ValueError if the search had to stop early.
    fn finish(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let summary = self.session()?.finish().map_err(value_error)?;
        to_python(py, &summary)
    }

    /// Releases the run folder (its lock); the run can then be resumed.
    fn close(&mut self) {
        self.session = None;
    }
}
