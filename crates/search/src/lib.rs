//! Multi-objective architecture search as an ask/tell engine.
//!
//! A [`Search`] proposes [`Candidate`]s ([`Search::ask`]) drawn from a
//! [`sparse_core::space::SearchSpace`] and is told how each did ([`Search::tell`]); it never
//! trains anything itself, so the CLI, a pool of browser workers or many machines can run the
//! trials. Candidates that break the flash or SRAM budget are rejected by the cost model before
//! they are ever asked (and counted). The whole state is plain serde data: a search can be
//! saved, resumed and replayed, and is deterministic for a seed and an order of results.
//! Optimizers: [`Algorithm::Random`], [`Algorithm::Evolution`] (aging evolution, Real et al.
//! 2019, as μNAS uses it) and [`Algorithm::Mobo`], SpArSe's multi-objective Bayesian
//! optimisation: a Gaussian process per objective over a genome encoding, a fresh random
//! scalarisation at every step (Paria et al. 2019) of the objectives with error on a log scale
//! and each stretched over its observed range, and an acquisition minimised over random
//! samples and over morphisms of the current Pareto members, whose children inherit weights.
//! Trials train by promise (successive halving over rungs of epochs, `fidelity.rs`), and a
//! time-limited run spends its closing minutes finishing its leaders ([`leader_to_finish`]).
//! A [`Driver`] runs one search for a front end (the CLI and the page share it): what trains
//! next, the records told, the networks kept.
//! The Gaussian processes fit at most a bounded set of trials (`surrogate_set.rs`), so a search
//! of thousands of trials still chooses quickly.

mod closing;
mod driver;
mod encode;
mod fidelity;
mod gp;
mod scale;
mod search;
mod surrogate_set;
mod trial;

pub use closing::{DEFAULT_CLOSING_SHARE, Deadline, leader_to_finish};
pub use driver::{Driver, Limits, SearchPlan};
pub use fidelity::{DEFAULT_MAX_EPOCHS, DEFAULT_SHIFT, PROMOTION_FACTOR, Schedule};
pub use search::{Algorithm, Error, KEPT_PARENTS, Search, pareto_front_of_records};
pub use trial::{Candidate, Objectives, Outcome, Trial};
