//! What a search in the page is asked to do: the optimizer, the budget, trials, minutes,
//! epochs by rung, augmentation, seed, data slices, workers and teacher, as the setup form and
//! the quick demo give them, turned into the engine's plan and limits.

use serde::{Deserialize, Serialize};
use sparse_core::cost::Budget;
use sparse_core::space::SearchSpace;
use sparse_search::{Algorithm, Limits, Schedule, SearchPlan};

/// The optimizers offered in the page.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AlgorithmChoice {
    /// SpArSe's multi-objective Bayesian optimisation.
    Mobo,
    /// Aging evolution.
    Evolution,
    /// Random search.
    Random,
}

impl AlgorithmChoice {
    /// Every choice, in the order shown.
    pub const ALL: [AlgorithmChoice; 3] = [Self::Mobo, Self::Evolution, Self::Random];

    /// The short name used in the page and the URL.
    pub fn id(self) -> &'static str {
        match self {
            Self::Mobo => "mobo",
            Self::Evolution => "evolution",
            Self::Random => "random",
        }
    }

    /// The choice named `id`.
    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.id() == id)
    }

    /// The engine's optimizer with its defaults.
    pub fn algorithm(self) -> Algorithm {
        match self {
            Self::Mobo => Algorithm::mobo(),
            Self::Evolution => Algorithm::evolution(),
            Self::Random => Algorithm::Random,
        }
    }
}

/// Everything a search needs besides the data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SearchSetup {
    /// Bytes of flash (model size, as SpArSe counts it) and SRAM (working memory) allowed.
    pub budget: Budget,
    /// The optimizer.
    pub algorithm: AlgorithmChoice,
    /// Trials to run.
    pub trials: usize,
    /// Minutes the search may start trials for, if limited (counted while it runs, afresh
    /// after a reload, as the CLI's --time-limit is per session); its last 15% finish the
    /// leaders ([`sparse_search::leader_to_finish`]).
    #[serde(default)]
    pub minutes: Option<u32>,
    /// Epochs every new candidate trains first.
    pub epochs: usize,
    /// The most epochs a promoted network trains in all (the best third of each rung trains
    /// on to 3× the epochs, 9×, … up to this); at most `epochs`: no promotion.
    #[serde(default)]
    pub max_epochs: usize,
    /// Pixels each way every trial moves each training image (augmentation; runs saved
    /// before it trained without).
    #[serde(default)]
    pub shift: usize,
    /// Seed of the search and of every trial's training.
    pub seed: u64,
    /// Train on only the first this many training images, if set.
    pub train_images: Option<usize>,
    /// Score on only the first this many test images, if set.
    pub test_images: Option<usize>,
    /// Workers training at once.
    pub workers: usize,
    /// Whether candidates learn from a teacher too (knowledge distillation, trained by a
    /// worker before the first trial; runs saved before it had none).
    #[serde(default)]
    pub teacher: bool,
}

impl SearchSetup {
    /// Epochs by rung: the first `epochs`, the best third of each rung on to 3× as many, up to
    /// `max_epochs`.
    pub fn schedule(&self) -> Schedule {
        Schedule::by_promise(self.epochs, self.max_epochs)
    }

    /// The engine's plan for this setup over `space`: the CLI builds its search the same way,
    /// so the same settings ask the same candidates.
    pub fn plan(&self, space: SearchSpace) -> SearchPlan {
        SearchPlan {
            space,
            budget: self.budget,
            algorithm: self.algorithm.algorithm(),
            seed: self.seed,
            schedule: self.schedule(),
        }
    }

    /// How long the search goes on: its trials, within its minutes if limited (counted per
    /// session, as the CLI's --time-limit).
    pub fn limits(&self) -> Limits {
        Limits {
            time_limit_s: self.minutes.map(|minutes| f64::from(minutes) * 60.0),
            ..Limits::trials(self.trials)
        }
    }

    /// A search small enough to show a Pareto front within seconds and evolve it for about a
    /// minute: 60 trials on 6,000 training images (1,000 of them held out for validation),
    /// each first trained one epoch, the promising ones on to 3 and 9, scored on 1,000 test
    /// images, under `budget`; no teacher (its training would take a third of the minute).
    pub fn quick_demo(budget: Budget, workers: usize) -> Self {
        Self {
            budget,
            algorithm: AlgorithmChoice::Mobo,
            trials: 60,
            minutes: None,
            epochs: 1,
            max_epochs: 9,
            shift: sparse_search::DEFAULT_SHIFT,
            seed: 1,
            train_images: Some(6000),
            test_images: Some(1000),
            workers,
            teacher: false,
        }
    }
}
