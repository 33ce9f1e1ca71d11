//! `TrialContext`: what a trial trains on besides its candidate (space, data split, training
//! settings, teacher), and `run`, one trial trained, pruned, quantised and measured with the
//! GIL released. It pickles as raw bytes, so Ray ships it to workers through its object store
//! once per run. Also the conversions between JSON values and Python objects.

use crate::value_error;
use anyhow::Context;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString, PyType};
use serde::{Deserialize, Serialize};
use sparse_cli::search::{self as cli, Finished};
use sparse_core::quant::QuantModel;
use sparse_core::{FloatModel, ImageShape};
use sparse_search::Candidate;
use sparse_train::{Network, SoftTargets, TrainConfig};
use std::sync::Arc;

/// `value` as a Python object (dicts, lists, numbers, strings), by Python's `json`.
pub fn to_python(py: Python<'_>, value: &impl Serialize) -> PyResult<Py<PyAny>> {
    let text = serde_json::to_string(value).map_err(value_error)?;
    Ok(py.import("json")?.call_method1("loads", (text,))?.unbind())
}

/// `object` (a JSON string, or what `json.dumps` takes) read as `T`, refused as not `what`.
pub fn from_python<T: for<'de> Deserialize<'de>>(
    object: &Bound<'_, PyAny>,
    what: &str,
) -> PyResult<T> {
    let text: String = match object.cast::<PyString>() {
        Ok(text) => text.to_string(),
        Err(_) => object
            .py()
            .import("json")?
            .call_method1("dumps", (object,))?
            .extract()?,
    };
    serde_json::from_str(&text)
        .with_context(|| format!("not {what}"))
        .map_err(value_error)
}

/// A trained network as it travels between processes: its float weights (what children
/// inherit) and, when just trained, its int8 model (what export writes).
#[derive(Serialize, Deserialize)]
pub struct Shipped {
    pub float: FloatModel,
    pub int8: Option<QuantModel>,
}

/// What a trial trains on besides its candidate: the search space, the training images with a
/// sixth held out for validation, the test images, the training settings and the teacher's
/// soft targets. `Run.trial_context()` gives a run's; `Dataset.trial_context()` one of its own.
#[pyclass(module = "sparse_explorer._engine", frozen)]
pub struct TrialContext {
    inner: Arc<cli::TrialContext>,
}

/// What `__reduce__` saves besides the raw images: a plain header.
#[derive(Serialize, Deserialize)]
struct Header {
    space: sparse_core::space::SearchSpace,
    config: TrainConfig,
    shape: [usize; 3],
    classes: [usize; 3],
    /// The teacher's classes, temperature and share of the loss.
    teacher: Option<(usize, f64, f64)>,
}

impl TrialContext {
    /// Wraps a run's context.
    pub fn wrap(inner: Arc<cli::TrialContext>) -> Self {
        Self { inner }
    }

    /// The context of a search on `train` and `test` with training `seed` and `shift`, no
    /// teacher.
    pub fn of(
        train: &sparse_core::Dataset,
        test: &sparse_core::Dataset,
        seed: u64,
        shift: usize,
    ) -> anyhow::Result<Self> {
        let config = TrainConfig {
            seed,
            shift,
            ..TrainConfig::default()
        };
        config.check()?;
        let (kept, validation) = cli::held_out(train)?;
        Ok(Self::wrap(Arc::new(cli::TrialContext {
            space: cli::space_of(train, test),
            train: kept,
            validation,
            test: test.clone(),
            config,
            teacher: None,
        })))
    }
}

/// A dataset rebuilt from its parts, counting `classes` classes.
pub fn dataset(
    shape: [usize; 3],
    classes: usize,
    pixels: &[u8],
    labels: &[u8],
) -> anyhow::Result<sparse_core::Dataset> {
    let shape = ImageShape {
        channels: shape[0],
        height: shape[1],
        width: shape[2],
    };
    sparse_core::Dataset::new(shape, pixels.to_vec(), labels.to_vec())?
        .with_classes(classes)
        .context("a label is not below the class count")
}

#[pymethods]
impl TrialContext {
    /// Trains `candidate` (a dict from `Search.ask`, `Run.next_job`'s `candidate`, or its
    /// JSON) from `parent` (the JSON of its parent's network, for a morph or a promotion) with
    /// training `seed` (by default the run's seed plus the candidate's id, as a search does) on
    /// `threads` threads, prunes, quantises and measures it, with the GIL released. Returns
    /// `(record, network)`: the record (a dict, a line of `trials.jsonl`; a failure is a record
    /// with status "failed" and its reason) and, when it trained, the network's JSON for
    /// children and export.
    #[pyo3(signature = (candidate, *, seed = None, parent = None, threads = 1))]
    fn run(
        &self,
        py: Python<'_>,
        candidate: &Bound<'_, PyAny>,
        seed: Option<u64>,
        parent: Option<String>,
        threads: usize,
    ) -> PyResult<(Py<PyAny>, Option<String>)> {
        let candidate: Candidate = from_python(candidate, "a candidate")?;
        let seed = seed.unwrap_or(self.inner.config.seed.wrapping_add(candidate.id));
        let context = self.inner.clone();
        let (record, network) = py
            .detach(move || -> anyhow::Result<_> {
                let parent = parent
                    .map(|text| {
                        let shipped: Shipped =
                            serde_json::from_str(&text).context("the parent is not a network")?;
                        Network::from_float_model(&shipped.float).map_err(anyhow::Error::from)
                    })
                    .transpose()?;
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(threads.max(1))
                    .build()?;
                let Finished { record, network } =
                    pool.install(|| context.run(&candidate, seed, parent.as_ref()));
                let network = network
                    .map(|(network, int8)| -> anyhow::Result<String> {
                        let shipped = Shipped {
                            float: network.to_float_model()?,
                            int8: Some(int8),
                        };
                        Ok(serde_json::to_string(&shipped)?)
                    })
                    .transpose()?;
                Ok((record, network))
            })
            .map_err(value_error)?;
        Ok((to_python(py, &record)?, network))
    }

    /// Images trained on, held out for validation, and tested on.
    #[getter]
    fn sizes(&self) -> (usize, usize, usize) {
        let c = &self.inner;
        (c.train.len(), c.validation.len(), c.test.len())
    }

    /// Whether trials learn from a teacher's soft targets too.
    #[getter]
    fn has_teacher(&self) -> bool {
        self.inner.teacher.is_some()
    }

    /// Pickles as a header and the raw images and soft targets.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<(Py<PyAny>, Py<PyAny>)> {
        let py = slf.py();
        let c = &slf.get().inner;
        let s = c.train.shape();
        let header = Header {
            space: c.space.clone(),
            config: c.config.clone(),
            shape: [s.channels, s.height, s.width],
            classes: [c.train.classes(), c.validation.classes(), c.test.classes()],
            teacher: c
                .teacher
                .as_ref()
                .map(|(t, weight)| (t.classes(), t.temperature(), *weight)),
        };
        let bytes = |b: &[u8]| PyBytes::new(py, b).into_any().unbind();
        let teacher = c.teacher.as_ref().map(|(t, _)| {
            let raw: Vec<u8> = t.rows().iter().flat_map(|p| p.to_le_bytes()).collect();
            bytes(&raw)
        });
        let state = (
            serde_json::to_string(&header).map_err(value_error)?,
            [
                bytes(c.train.pixels()),
                bytes(c.train.labels()),
                bytes(c.validation.pixels()),
                bytes(c.validation.labels()),
                bytes(c.test.pixels()),
                bytes(c.test.labels()),
            ],
            teacher,
        );
        let restore = slf.get_type().getattr("_restore")?.unbind();
        Ok((restore, state.into_pyobject(py)?.into_any().unbind()))
    }

    /// The context `__reduce__` saved.
    #[classmethod]
    fn _restore(
        _cls: &Bound<'_, PyType>,
        header: &str,
        parts: Vec<Bound<'_, PyBytes>>,
        teacher: Option<Bound<'_, PyBytes>>,
    ) -> PyResult<Self> {
        let restored = (|| -> anyhow::Result<cli::TrialContext> {
            let h: Header = serde_json::from_str(header)?;
            let [tp, tl, vp, vl, sp, sl] =
                parts.iter().map(|p| p.as_bytes()).collect::<Vec<_>>()[..]
            else {
                anyhow::bail!("{} image parts, not 6", parts.len());
            };
            let teacher = match (h.teacher, teacher) {
                (Some((classes, temperature, weight)), Some(raw)) => {
                    let rows = raw
                        .as_bytes()
                        .chunks_exact(4)
                        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                        .collect();
                    let targets = SoftTargets::from_probabilities(classes, temperature, rows)?;
                    Some((Arc::new(targets), weight))
                }
                _ => None,
            };
            Ok(cli::TrialContext {
                space: h.space,
                config: h.config,
                train: dataset(h.shape, h.classes[0], tp, tl)?,
                validation: dataset(h.shape, h.classes[1], vp, vl)?,
                test: dataset(h.shape, h.classes[2], sp, sl)?,
                teacher,
            })
        })()
        .context("not a pickled trial context")
        .map_err(value_error)?;
        Ok(Self::wrap(Arc::new(restored)))
    }
}
