//! A run folder opened for `search`: a new run in `--out DIR`, its settings saved before any
//! training, or the run in `--resume DIR`, checked against its data and against flags that
//! would change it.

use super::networks::networks_dir;
use super::session::write_front;
use super::{AlgorithmArg, SearchArgs};
use crate::run_folder::write_atomically;
use crate::run_settings::RunSettings;
use anyhow::{Context, bail};
use sparse_core::dataset::VALIDATION_EVERY;
use sparse_core::space::SearchSpace;
use sparse_core::{Dataset, TrialRecord};
use sparse_search::{Algorithm, DEFAULT_MAX_EPOCHS, Schedule, Search, SearchPlan};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// A run to carry on with: its folder, search and settings, its data split for training,
/// validation and test, and the records of the trials told so far.
pub(super) struct Run {
    /// Held while the run goes on: one process per run folder.
    pub(super) _lock: std::fs::File,
    pub(super) dir: PathBuf,
    pub(super) search: Search,
    pub(super) settings: RunSettings,
    pub(super) train: Dataset,
    pub(super) validation: Dataset,
    pub(super) test: Dataset,
    pub(super) test_source: String,
    pub(super) records: Vec<TrialRecord>,
}

/// The training images `train` split into those trained on and those held out to score
/// candidates, or why they are too few to search.
pub fn held_out(train: &Dataset) -> anyhow::Result<(Dataset, Dataset)> {
    let (kept, validation) = train.hold_out(VALIDATION_EVERY);
    if validation.is_empty() {
        bail!(
            "{} training images are too few to search: every {VALIDATION_EVERY}th is held out to \
             score candidates, so at least {VALIDATION_EVERY} are needed",
            train.len()
        );
    }
    Ok((kept, validation))
}

/// The search space for training images `train` and test images `test`: SpArSe's, for their
/// image shape and classes.
pub fn space_of(train: &Dataset, test: &Dataset) -> SearchSpace {
    let s = train.shape();
    let classes = train.classes().max(test.classes());
    SearchSpace::sparse([s.channels, s.height, s.width], classes)
}

/// The search to run: resumed from `--resume DIR`, or new in `--out DIR`.
pub(super) fn start(args: &SearchArgs) -> anyhow::Result<Run> {
    match &args.resume {
        Some(dir) => resume(args, dir),
        None => begin(args),
    }
}

/// The settings the flags ask for (the data's fingerprints still to be taken).
fn settings_of(args: &SearchArgs) -> RunSettings {
    RunSettings {
        dataset: args.data.name().to_string(),
        test: args.data.test.clone(),
        shape: args.data.shape.clone(),
        train_images: args.train_images,
        test_images: args.test_images,
        shift: args.shift.unwrap_or(sparse_search::DEFAULT_SHIFT),
        teacher: !args.no_teacher,
        fingerprints: [0, 0],
    }
}

/// Refuses flags that would change the run saved as `search` (with `saved` settings, absent
/// from runs saved before run.json): a resumed run keeps what it started with.
fn refuse_changes(
    args: &SearchArgs,
    dir: &Path,
    search: &Search,
    saved: Option<&RunSettings>,
) -> anyhow::Result<()> {
    let mut given = args.budget.given();
    let mut check = |flag: &'static str, is_given: bool| {
        if is_given {
            given.push(flag);
        }
    };
    check("--out", args.out.is_some());
    check("--algorithm", args.algorithm.is_some());
    check("--seed", args.seed.is_some());
    check("--max-epochs", args.max_epochs.is_some());
    // A run saved before training by promise has no schedule: --epochs sets it.
    check(
        "--epochs",
        args.epochs.is_some() && search.schedule().is_some(),
    );
    if let Some(saved) = saved {
        let data = &args.data;
        check(
            "--dataset",
            data.dataset.as_ref().is_some_and(|d| *d != saved.dataset),
        );
        check("--test", data.test.is_some());
        check("--shape", data.shape.is_some());
        check("--train-images", args.train_images.is_some());
        check("--test-images", args.test_images.is_some());
        check("--shift", args.shift.is_some());
        check("--teacher", args.teacher);
        check("--no-teacher", args.no_teacher);
    }
    if !given.is_empty() {
        bail!(
            "{} cannot be given with --resume: the run in {} goes on with the settings it \
             started with (only --trials, --time-limit, --closing-share, --workers and \
             --finetune may change)",
            given.join(", "),
            dir.display()
        );
    }
    Ok(())
}

/// The run saved in `dir`, checked against its data, with the records of its told trials.
fn resume(args: &SearchArgs, dir: &Path) -> anyhow::Result<Run> {
    let path = dir.join("state.json");
    if !path.exists() {
        bail!("cannot resume: no {}", path.display());
    }
    let lock = crate::run_folder::lock(dir)?;
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot resume: no {}", path.display()))?;
    let mut search: Search = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a saved search", path.display()))?;
    search
        .check()
        .with_context(|| format!("{} cannot be resumed", path.display()))?;
    let saved = RunSettings::read(dir)?;
    refuse_changes(args, dir, &search, saved.as_ref())?;
    if search.schedule().is_none() {
        // Saved before training by promise: every trial trained --epochs.
        search.set_schedule(Schedule::fixed(args.epochs.unwrap_or(1)));
    }
    let mut settings = saved.clone().unwrap_or_else(|| settings_of(args));
    let data = settings.load()?;
    let space = space_of(&data.train, &data.test);
    if search.space().input != space.input || search.space().classes != space.classes {
        bail!("the saved search is for other data: resume it with the same --dataset");
    }
    match &saved {
        Some(saved) => saved.check_same_data(&data)?,
        None => {
            // A run saved before run.json: from now on its data is pinned too, and it has a
            // teacher exactly when it kept one (teachers were not the default then).
            settings.teacher = crate::teacher::teacher_path(dir).exists();
            settings.fingerprints = data.fingerprints();
            settings.write(dir)?;
        }
    }
    let (train, validation) = held_out(&data.train)?;
    let told: BTreeSet<u64> = search
        .trials()
        .iter()
        .filter(|t| t.outcome.is_some())
        .map(|t| t.candidate.id)
        .collect();
    let records = crate::run_folder::told_records(dir, &told)?;
    // pareto.json may have been written for a record the state never counted.
    write_front(dir, &search, &records)?;
    Ok(Run {
        _lock: lock,
        dir: dir.to_path_buf(),
        search,
        settings,
        train,
        validation,
        test: data.test,
        test_source: data.test_source,
        records,
    })
}

/// A new run in `--out DIR`, its settings saved before any training.
fn begin(args: &SearchArgs) -> anyhow::Result<Run> {
    let dir = args
        .out
        .clone()
        .context("give --out DIR (or --resume DIR)")?;
    if dir.join("state.json").exists() {
        bail!(
            "{} already holds a search: continue it with --resume {0}, or choose another --out",
            dir.display()
        );
    }
    crate::run_folder::check_unused(&dir, &networks_dir(&dir))?;
    let board = args
        .budget
        .board()?
        .context("give a budget: --board ID, or --flash-bytes N --sram-bytes N")?;
    let budget = args.budget.budget_of(&board)?;
    let mut settings = settings_of(args);
    let data = settings.load()?;
    settings.fingerprints = data.fingerprints();
    let (train, validation) = held_out(&data.train)?;
    let algorithm = match args.algorithm.unwrap_or(AlgorithmArg::Mobo) {
        AlgorithmArg::Random => Algorithm::Random,
        AlgorithmArg::Evolution => Algorithm::evolution(),
        AlgorithmArg::Mobo => Algorithm::mobo(),
    };
    let epochs = args.epochs.unwrap_or(1);
    let schedule = Schedule::by_promise(epochs, args.max_epochs.unwrap_or(DEFAULT_MAX_EPOCHS));
    let plan = SearchPlan {
        space: space_of(&data.train, &data.test),
        budget,
        algorithm,
        seed: args.seed.unwrap_or(0),
        schedule,
    };
    // An impossible budget is refused before any folder is made.
    plan.check()?;
    let search = plan.search();
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let lock = crate::run_folder::lock(&dir)?;
    // No state yet: a teacher here was left by a run killed before it saved one, trained for
    // that run's data and seed, not necessarily this one's.
    let _ = std::fs::remove_file(crate::teacher::teacher_path(&dir));
    settings.write(&dir)?;
    // From here on a kill leaves a run that --resume continues.
    write_atomically(&dir.join("state.json"), &serde_json::to_string(&search)?)?;
    Ok(Run {
        _lock: lock,
        dir,
        search,
        settings,
        train,
        validation,
        test: data.test,
        test_source: data.test_source,
        records: Vec::new(),
    })
}
