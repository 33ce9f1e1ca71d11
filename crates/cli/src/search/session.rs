//! A search running in its run folder, whoever trains its trials: a [`Session`] gives out
//! [`Job`]s and takes back what they became, writing `trials.jsonl`, `pareto.json`,
//! `state.json` and the kept networks after each. The binary trains jobs in its own threads
//! (`search.rs`); the Python package ships them, with a copy of the [`TrialContext`], to Ray
//! workers.

use super::networks::{keep_network, load_networks};
use super::opening::{Run, start};
use super::trial::{caught, run_trial};
use super::{DEFAULT_TRIALS, SearchArgs, parse_duration};
use crate::run_folder::{RecordLog, write_atomically};
use anyhow::bail;
use sparse_core::quant::QuantModel;
use sparse_core::space::SearchSpace;
use sparse_core::{Dataset, TrialRecord};
use sparse_search::{Candidate, Driver, Limits, Outcome, Search};
use sparse_train::{Network, SoftTargets, TrainConfig};
use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

/// What every trial of a run trains on besides its candidate: the search space, the data
/// split, the run's training settings and its teacher. Plain data, so a front end that trains
/// elsewhere can send a copy where it trains.
pub struct TrialContext {
    /// The space the candidates' genomes come from.
    pub space: SearchSpace,
    /// The images trained on.
    pub train: Dataset,
    /// The images held out to score candidates.
    pub validation: Dataset,
    /// The test images.
    pub test: Dataset,
    /// The run's training settings (its shift among them); each job sets its own seed,
    /// epochs and pruning.
    pub config: TrainConfig,
    /// The teacher's soft targets for `train` and their share of the loss, if the run has one.
    pub teacher: Option<(Arc<SoftTargets>, f64)>,
}

/// A trial a session gave out: what to train, its seed, and the network it starts from
/// (a morphed child's parent, or the network a promotion trains on).
pub struct Job {
    /// The candidate to train.
    pub candidate: Candidate,
    /// The seed of its training.
    pub seed: u64,
    /// The kept network of `candidate.parent`, when it has one.
    pub parent: Option<Arc<Network>>,
}

/// What a job became: its record and, when it trained, its network (for children and
/// promotions) and int8 model (for export).
pub struct Finished {
    /// The trial's record, a line of `trials.jsonl` once told.
    pub record: TrialRecord,
    /// The trained network and its int8 model.
    pub network: Option<(Network, QuantModel)>,
}

impl TrialContext {
    /// Trains `candidate` with training seed `seed` from `parent` (its parent's network, when
    /// it has one) and measures it. A failure or a panic inside becomes the trial's failed
    /// record, never an error.
    pub fn run(&self, candidate: &Candidate, seed: u64, parent: Option<&Network>) -> Finished {
        let config = TrainConfig {
            seed,
            ..self.config.clone()
        };
        let data = (&self.train, &self.validation, &self.test);
        let (record, network) = caught(&self.space, candidate, || {
            run_trial(
                &self.space,
                candidate,
                data,
                parent,
                &config,
                self.teacher.as_ref(),
            )
        });
        Finished { record, network }
    }
}

/// A search open in its run folder (locked while the session lives).
pub struct Session {
    _lock: File,
    dir: PathBuf,
    driver: Driver,
    networks: HashMap<u64, Arc<Network>>,
    log: RecordLog,
    /// When this session began: the teacher's training counts in the time limit.
    started: Instant,
    context: Arc<TrialContext>,
    description: String,
}

impl Session {
    /// Opens the run `args` name (new in `--out`, or `--resume`d), gives `announce` its
    /// description (see [`Session::description`]) before the teacher trains or loads, and
    /// readies the search within `--trials` and `--time-limit`. Refuses, with the reason,
    /// options that are wrong or would change a resumed run, an impossible budget and
    /// unreadable data, before any training.
    pub fn open(args: &SearchArgs, announce: impl FnOnce(&str)) -> anyhow::Result<Self> {
        let time_limit = args.time_limit.as_deref().map(parse_duration).transpose()?;
        let epochs = args.epochs.unwrap_or(1);
        if epochs == 0 {
            bail!("--epochs must be at least 1");
        }
        if args.max_epochs.is_some_and(|m| m < epochs) {
            bail!("--max-epochs must be at least --epochs");
        }
        // The flags' training settings are checked before any folder is made.
        TrainConfig {
            shift: args.shift.unwrap_or(sparse_search::DEFAULT_SHIFT),
            ..TrainConfig::default()
        }
        .check()?;
        let Run {
            _lock,
            dir,
            search,
            settings,
            train,
            validation,
            test,
            test_source,
            records,
        } = start(args)?;
        // Each trial trains its candidate's epochs, seeded by the run's seed and its id.
        let config = TrainConfig {
            seed: search.seed(),
            shift: settings.shift,
            ..TrainConfig::default()
        };
        config.check()?;
        let description = describe(&search, &train, &validation, &test_source);
        announce(&description);
        let limits = Limits {
            trials: match (args.trials, time_limit) {
                (Some(n), _) => Some(n),
                (None, Some(_)) => None,
                (None, None) => Some(DEFAULT_TRIALS),
            },
            time_limit_s: time_limit.map(|limit| limit.as_secs_f64()),
            closing_share: args.closing_share,
            finetune_epochs: args.finetune,
            finetune_top: args.finetune_top,
        };
        let log = RecordLog::open(&dir)?;
        let started = Instant::now();
        let networks = load_networks(&dir)?;
        let teacher =
            crate::teacher::targets(&dir, &train, &validation, config.seed, settings.teacher)?;
        let context = Arc::new(TrialContext {
            space: search.space().clone(),
            train,
            validation,
            test,
            config,
            teacher,
        });
        let driver = Driver::new(search, records, networks.keys().copied(), limits);
        Ok(Self {
            _lock,
            dir,
            driver,
            networks,
            log,
            started,
            context,
            description,
        })
    }

    /// The run's folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// What the run searches, in one line: the images and the budget.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// What every trial trains on.
    pub fn context(&self) -> &Arc<TrialContext> {
        &self.context
    }

    /// The search being run, its told records and its limits.
    pub fn driver(&self) -> &Driver {
        &self.driver
    }

    /// The next trial to train, or `None` while the search waits for trials in flight or is
    /// over (over once nothing is in flight either).
    pub fn next_job(&mut self) -> Option<Job> {
        let candidate = self.driver.next(self.started.elapsed().as_secs_f64())?;
        let seed = self.driver.training_seed(candidate.id);
        let parent = candidate
            .parent
            .and_then(|p| self.networks.get(&p).cloned());
        Some(Job {
            candidate,
            seed,
            parent,
        })
    }

    /// Tells the search what a job became and saves it: the record appended to
    /// `trials.jsonl`, the network kept, `pareto.json` and `state.json` rewritten. Returns
    /// the record as told (with the hypervolume after it and the search's seconds).
    pub fn tell(&mut self, finished: Finished) -> anyhow::Result<&TrialRecord> {
        let elapsed = self.started.elapsed().as_secs_f64();
        let id = self.driver.tell(finished.record, elapsed)?.id;
        if let Some(network) = finished.network {
            keep_network(&self.dir, &mut self.networks, id, network, &mut self.driver)?;
        }
        let record = self.driver.records().last().expect("just told");
        self.log.append(record)?;
        write_front(&self.dir, self.driver.search(), self.driver.records())?;
        self.save_state()?;
        Ok(self.driver.records().last().expect("just told"))
    }

    /// Tells the search that trial `id`, given out, failed outside its training (its worker
    /// was lost) for `reason`, and saves it as [`Session::tell`] does.
    pub fn fail(&mut self, id: u64, reason: String) -> anyhow::Result<&TrialRecord> {
        let record = self.driver.failed_record(id, reason);
        self.tell(Finished {
            record,
            network: None,
        })
    }

    /// Job `id`, given out, will not be told in this session (its worker was stopped before it
    /// reported): a later session trains it again, as after a kill.
    pub fn abandon(&mut self, id: u64) {
        self.driver.abandon(id);
    }

    /// The kept network of trial `id`, if the run still keeps it.
    pub fn network(&self, id: u64) -> Option<&Arc<Network>> {
        self.networks.get(&id)
    }

    /// How the search stands, in one line: the best test accuracy of a network that fits,
    /// the hypervolume and the candidates the budget refused.
    pub fn progress(&self) -> String {
        let budget = self.driver.search().budget();
        let best = self
            .driver
            .records()
            .iter()
            .filter(|r| Outcome::of_record(r).fits(budget))
            .filter_map(|r| r.test_accuracy)
            .fold(0.0, f64::max);
        format!(
            "best test accuracy {:.2}%  hypervolume {:.4}  rejected {}",
            best * 100.0,
            self.driver.search().hypervolume(),
            self.driver.search().rejected()
        )
    }

    /// Ends the session once nothing is in flight: the summary printed at the end (trials,
    /// failures, refusals, hypervolume, front, folder), or why the search had to stop early
    /// (its state saved, so a resume draws anew).
    pub fn finish(&self) -> anyhow::Result<serde_json::Value> {
        if let Some(e) = self.driver.failure() {
            // The failed ask's draws are saved, so a resume draws anew instead of replaying
            // the same unlucky stream.
            self.save_state()?;
            return Err(anyhow::Error::new(e.clone()).context(format!(
                "the search stopped after {} trials ({} may draw anew with --resume)",
                self.driver.records().len(),
                self.dir.display()
            )));
        }
        let (search, records) = (self.driver.search(), self.driver.records());
        Ok(serde_json::json!({
            "trials": records.len(),
            "failed": records.iter().filter(|r| r.status != "trained").count(),
            "rejected_by_budget": search.rejected(),
            "hypervolume": search.hypervolume(),
            "pareto": search.pareto_front(),
            "out": self.dir,
        }))
    }

    fn save_state(&self) -> anyhow::Result<()> {
        write_atomically(
            &self.dir.join("state.json"),
            &serde_json::to_string(self.driver.search())?,
        )
    }
}

/// The line that opens a search: its images and its budget.
fn describe(search: &Search, train: &Dataset, validation: &Dataset, test_source: &str) -> String {
    let budget = search.budget();
    let flash = match budget.flash_measure {
        sparse_core::cost::FlashMeasure::Export => "flash",
        sparse_core::cost::FlashMeasure::ModelSize => "model size",
    };
    let latency = budget.latency.map_or(String::new(), |bound| {
        format!(
            ", at most {} ms per image on {} at {} MHz (estimated)",
            bound.max_us as f64 / 1000.0,
            bound.core.name(),
            bound.clock_hz as f64 / 1e6
        )
    });
    format!(
        "searching {} images ({} for validation, test: {test_source}), budget {} B {flash}, {} B SRAM{latency}",
        train.len(),
        validation.len(),
        budget.flash_bytes,
        budget.sram_bytes
    )
}

/// Writes `DIR/pareto.json`: the records of the search's Pareto members.
pub(super) fn write_front(
    dir: &Path,
    search: &Search,
    records: &[TrialRecord],
) -> anyhow::Result<()> {
    let front: Vec<&TrialRecord> = search
        .pareto_front()
        .iter()
        .filter_map(|id| records.iter().find(|r| r.id == *id))
        .collect();
    write_atomically(
        &dir.join("pareto.json"),
        &serde_json::to_string_pretty(&front)?,
    )
}
