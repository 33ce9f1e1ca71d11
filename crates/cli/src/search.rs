//! `sparse-explorer search`: joins the ask/tell search to training. Each trial trains the asked
//! genome (inheriting its parent's weights when it was morphed), prunes and quantises it, and
//! tells the search its validation accuracy and pruned costs. After every trial the trial is
//! appended to `DIR/trials.jsonl` and `DIR/pareto.json` and `DIR/state.json` are rewritten, so
//! a killed run loses at most the trials in flight and `--resume DIR` carries on; trained
//! networks that children may inherit from are kept in `DIR/networks/`. With
//! `--workers N`, N trials train at once, each on its own thread pool; a trial that panics is
//! recorded as failed and the search goes on.

use crate::budget::BudgetArgs;
use crate::dataset;
use crate::run_folder::{RecordLog, write_atomically};
use crate::run_settings::{RunData, RunSettings};
use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use sparse_core::cost::{Budget, FlashMeasure};
use sparse_core::dataset::VALIDATION_EVERY;
use sparse_core::quant::QuantModel;
use sparse_core::space::SearchSpace;
use sparse_core::{Dataset, FloatModel, TrialRecord};
use sparse_search::{
    Algorithm, Candidate, DEFAULT_MAX_EPOCHS, Driver, Limits, Outcome, Schedule, Search, SearchPlan,
};
use sparse_train::{Network, SoftTargets, TrainConfig, TrialRun};
use std::collections::{BTreeSet, HashMap};
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

/// Trials a search runs when given neither --trials nor --time-limit.
const DEFAULT_TRIALS: usize = 20;

/// Options of `sparse-explorer search`.
#[derive(Args)]
pub struct SearchArgs {
    #[command(flatten)]
    data: dataset::DatasetArgs,
    /// The budget candidates must fit.
    #[command(flatten)]
    budget: BudgetArgs,
    /// The optimizer (default mobo).
    #[arg(long, value_enum)]
    algorithm: Option<AlgorithmArg>,
    /// Trials to run (in total, counting a resumed run's); default 20, or as many as fit in
    /// --time-limit when one is given.
    #[arg(long)]
    trials: Option<usize>,
    /// Stop starting trials after this long, such as 90s, 30m or 2h.
    #[arg(long, value_name = "DURATION")]
    time_limit: Option<String>,
    /// Epochs every new candidate trains first (default 1). The best third of the trials at
    /// each rung train on from their own weights to 3× the epochs, then 9×, … up to
    /// --max-epochs.
    #[arg(long)]
    epochs: Option<usize>,
    /// The most epochs a promoted network trains in all (default 81, or --epochs if more);
    /// equal to --epochs, no candidate is promoted.
    #[arg(long, value_name = "EPOCHS")]
    max_epochs: Option<usize>,
    /// Augmentation: every trial moves each training image by up to this many pixels each
    /// way, drawn per image and step (default 2; 0: none).
    #[arg(long, value_name = "PIXELS")]
    shift: Option<usize>,
    /// With --time-limit: in its last SHARE (0 to 1; 0: never), new trials train the
    /// most accurate Pareto members on towards --max-epochs (as many epochs as the time left
    /// allows), so the run ends with its leaders fully trained instead of cut off at a low
    /// rung.
    #[arg(long, value_name = "SHARE", value_parser = closing_share,
          default_value_t = sparse_search::DEFAULT_CLOSING_SHARE)]
    closing_share: f64,
    /// After the search (trial count or time limit reached), train the best networks by
    /// validation accuracy this many epochs more, each as one more trial.
    #[arg(long, value_name = "EPOCHS", default_value_t = 0)]
    finetune: usize,
    /// How many of the best networks --finetune trains further.
    #[arg(long, value_name = "K", default_value_t = 4)]
    finetune_top: usize,
    /// Search on only the first N training images (1/6 of them held out for validation), as
    /// the page's quick demo does.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(12..))]
    train_images: Option<u64>,
    /// Score on only the first N test images.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    test_images: Option<u64>,
    /// Trials trained at once, each on an equal share of the cores (default: one per core;
    /// small networks train faster one per core than one on all; at most 256).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=256))]
    workers: Option<u64>,
    /// Distil from a teacher (the default): train a larger network once (kept as
    /// DIR/teacher.json; a resumed run keeps using it) and train every candidate on a mix of
    /// the labels and the teacher's softened outputs (half each, temperature 2).
    #[arg(long, overrides_with = "no_teacher")]
    teacher: bool,
    /// Train candidates on the labels alone, with no teacher.
    #[arg(long, overrides_with = "teacher")]
    no_teacher: bool,
    /// Seed of the search and of every trial's training (default 0).
    #[arg(long)]
    seed: Option<u64>,
    /// Folder for trials.jsonl, pareto.json, state.json and run.json.
    #[arg(long, value_name = "DIR", required_unless_present = "resume")]
    out: Option<PathBuf>,
    /// Continue the run saved in DIR, with the data and settings it started with (only
    /// --trials, --time-limit, --closing-share, --workers and --finetune may be given with
    /// it).
    #[arg(long, value_name = "DIR")]
    resume: Option<PathBuf>,
}

/// Optimizers offered on the command line.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum AlgorithmArg {
    /// Independent random samples.
    Random,
    /// Aging evolution with morphisms and weight inheritance.
    Evolution,
    /// SpArSe's multi-objective Bayesian optimisation with random scalarisations and morphisms
    /// of the Pareto front.
    Mobo,
}

/// A trial a worker has finished.
struct Finished {
    record: TrialRecord,
    network: Option<(Network, QuantModel)>,
}

/// Parses `--closing-share`: a fraction of the time limit, from 0 to 1.
fn closing_share(text: &str) -> Result<f64, String> {
    text.parse::<f64>()
        .ok()
        .filter(|share| (0.0..=1.0).contains(share))
        .ok_or_else(|| format!("a share of the time limit from 0 to 1, not '{text}'"))
}

/// Parses `90s`, `30m`, `2h` (or plain seconds).
fn parse_duration(text: &str) -> anyhow::Result<Duration> {
    let (number, unit) = text.split_at(text.trim_end_matches(char::is_alphabetic).len());
    let value: f64 = number
        .parse()
        .ok()
        .filter(|v: &f64| *v > 0.0 && v.is_finite())
        .with_context(|| format!("--time-limit must look like 90s, 30m or 2h, not '{text}'"))?;
    let seconds = match unit {
        "" | "s" => value,
        "m" => value * 60.0,
        "h" => value * 3600.0,
        _ => bail!("--time-limit must look like 90s, 30m or 2h, not '{text}'"),
    };
    Duration::try_from_secs_f64(seconds)
        .with_context(|| format!("--time-limit {text} is longer than any run could last"))
}

/// Runs `trial`, a trial of `candidate`, recording a panic inside it as the trial's failure
/// (with the panic's message), so that one broken trial neither stops nor hangs the search.
fn caught(
    space: &SearchSpace,
    candidate: &Candidate,
    trial: impl FnOnce() -> (TrialRecord, Option<(Network, QuantModel)>),
) -> (TrialRecord, Option<(Network, QuantModel)>) {
    std::panic::catch_unwind(AssertUnwindSafe(trial)).unwrap_or_else(|panic| {
        let message = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "no message".into());
        let architecture = candidate.genome.architecture(space);
        let reason = format!("training panicked: {message}");
        let record = TrialRecord::failed(candidate.id, architecture, candidate.parent, reason);
        (record, None)
    })
}

/// Trains one candidate and measures it; a failure is an outcome, never an error. Returns the
/// trained network too, for children to inherit from, and its int8 model, for export.
fn run_trial(
    space: &SearchSpace,
    candidate: &Candidate,
    data: (&Dataset, &Dataset, &Dataset),
    parent: Option<&Network>,
    config: &TrainConfig,
    teacher: Option<&(Arc<SoftTargets>, f64)>,
) -> (TrialRecord, Option<(Network, QuantModel)>) {
    let (train, validation, test) = data;
    let started = Instant::now();
    let architecture = candidate.genome.architecture(space);
    let config = TrainConfig {
        epochs: candidate.epochs,
        pruning: candidate.genome.layer_pruning(),
        ..config.clone()
    };
    let started_run = match (candidate.continues, parent) {
        (true, Some(parent)) => TrialRun::continuing(parent, train, config),
        (true, None) => {
            let reason = "the network it would train on is no longer kept".to_string();
            return (
                TrialRecord::failed(candidate.id, architecture, candidate.parent, reason),
                None,
            );
        }
        (false, parent) => {
            let parent = parent.map(|p| (p, candidate.inherits_from.as_slice()));
            TrialRun::new(&architecture, train, config, parent)
        }
    };
    let trained = started_run.and_then(|mut run| {
        if let Some((targets, weight)) = teacher {
            run.distil_from(targets.clone(), *weight)?;
        }
        run.train_to_end(train)?;
        run.finish(train, validation, test)
    });
    let seconds = started.elapsed().as_secs_f64();
    match trained {
        Ok((measures, network)) => (
            measures.record(candidate.id, candidate.parent, seconds),
            Some((network, measures.int8)),
        ),
        Err(e) => {
            let mut record =
                TrialRecord::failed(candidate.id, architecture, candidate.parent, e.to_string());
            record.train_seconds = seconds;
            (record, None)
        }
    }
}

/// Whether `record` trained and its pruned network fits `budget`.
fn fits(record: &TrialRecord, budget: Budget) -> bool {
    matches!(Outcome::of_record(record), Outcome::Trained(o) if o.fits(budget))
}

/// Where a run keeps the trained networks children may inherit from, one `ID.json` each,
/// and beside each its int8 model, `ID.int8.json`, for `sparse-explorer export`.
pub fn networks_dir(dir: &Path) -> PathBuf {
    dir.join("networks")
}

/// The file of trial `id`'s int8 model in run `dir`.
pub fn int8_path(dir: &Path, id: u64) -> PathBuf {
    networks_dir(dir).join(format!("{id}.int8.json"))
}

/// Keeps `network` (trial `id`) in memory and on disk, so its children inherit its weights
/// even after `--resume`, with its int8 model, and drops the network the search says is least
/// needed (never a Pareto member's).
fn keep_network(
    dir: &Path,
    networks: &mut HashMap<u64, Arc<Network>>,
    id: u64,
    (network, int8): (Network, QuantModel),
    driver: &mut Driver,
) -> anyhow::Result<()> {
    let folder = networks_dir(dir);
    std::fs::create_dir_all(&folder)
        .with_context(|| format!("cannot create {}", folder.display()))?;
    let model = network.to_float_model()?;
    write_atomically(
        &folder.join(format!("{id}.json")),
        &serde_json::to_string(&model)?,
    )?;
    write_atomically(&int8_path(dir, id), &serde_json::to_string(&int8)?)?;
    networks.insert(id, Arc::new(network));
    if let Some(dropped) = driver.keep(id) {
        networks.remove(&dropped);
        let _ = std::fs::remove_file(folder.join(format!("{dropped}.json")));
        let _ = std::fs::remove_file(int8_path(dir, dropped));
    }
    Ok(())
}

/// The networks a saved run kept (none for a new run).
fn load_networks(dir: &Path) -> anyhow::Result<HashMap<u64, Arc<Network>>> {
    let mut networks = HashMap::new();
    let Ok(entries) = std::fs::read_dir(networks_dir(dir)) else {
        return Ok(networks);
    };
    for entry in entries {
        let path = entry?.path();
        let Some(id) = path
            .file_stem()
            .and_then(|s| s.to_str())
            .and_then(|s| s.parse::<u64>().ok())
            .filter(|_| path.extension().is_some_and(|e| e == "json"))
        else {
            continue;
        };
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let model: FloatModel = serde_json::from_str(&text)
            .with_context(|| format!("{} is not a saved network", path.display()))?;
        let network =
            Network::from_float_model(&model).with_context(|| format!("{}", path.display()))?;
        networks.insert(id, Arc::new(network));
    }
    Ok(networks)
}

/// A run to carry on with: its folder, search and settings, its data split for training,
/// validation and test, and the records of the trials told so far.
struct Run {
    /// Held while the run goes on: one process per run folder.
    _lock: std::fs::File,
    dir: PathBuf,
    search: Search,
    settings: RunSettings,
    train: Dataset,
    validation: Dataset,
    test: Dataset,
    test_source: String,
    records: Vec<TrialRecord>,
}

/// `data`'s images split into those trained on and those held out to score candidates, or why
/// they are too few to search.
fn held_out(data: &RunData) -> anyhow::Result<(Dataset, Dataset)> {
    let (train, validation) = data.train.hold_out(VALIDATION_EVERY);
    if validation.is_empty() {
        bail!(
            "{} training images are too few to search: every {VALIDATION_EVERY}th is held out to \
             score candidates, so at least {VALIDATION_EVERY} are needed",
            data.train.len()
        );
    }
    Ok((train, validation))
}

/// The search space for `data`: SpArSe's, for its image shape and classes.
fn space_of(data: &RunData) -> SearchSpace {
    let s = data.train.shape();
    let classes = data.train.classes().max(data.test.classes());
    SearchSpace::sparse([s.channels, s.height, s.width], classes)
}

/// The search to run: resumed from `--resume DIR`, or new in `--out DIR`.
fn start(args: &SearchArgs) -> anyhow::Result<Run> {
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
    let space = space_of(&data);
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
    let (train, validation) = held_out(&data)?;
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
    let budget = args.budget.budget_of(&board);
    let mut settings = settings_of(args);
    let data = settings.load()?;
    settings.fingerprints = data.fingerprints();
    let (train, validation) = held_out(&data)?;
    let algorithm = match args.algorithm.unwrap_or(AlgorithmArg::Mobo) {
        AlgorithmArg::Random => Algorithm::Random,
        AlgorithmArg::Evolution => Algorithm::evolution(),
        AlgorithmArg::Mobo => Algorithm::mobo(),
    };
    let epochs = args.epochs.unwrap_or(1);
    let schedule = Schedule::by_promise(epochs, args.max_epochs.unwrap_or(DEFAULT_MAX_EPOCHS));
    let plan = SearchPlan {
        space: space_of(&data),
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

/// Writes `DIR/pareto.json`: the records of the search's Pareto members.
fn write_front(dir: &Path, search: &Search, records: &[TrialRecord]) -> anyhow::Result<()> {
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

/// Runs the search and writes its files.
pub fn run(args: SearchArgs) -> anyhow::Result<()> {
    let cores = crate::threads::cores();
    let workers = args.workers.map_or(cores, |w| w as usize);
    let threads_per_worker = (cores / workers).max(1);
    crate::threads::set_matrix_threads(threads_per_worker);
    let time_limit = args.time_limit.as_deref().map(parse_duration).transpose()?;
    let epochs = args.epochs.unwrap_or(1);
    if epochs == 0 {
        bail!("--epochs must be at least 1");
    }
    if args.max_epochs.is_some_and(|m| m < epochs) {
        bail!("--max-epochs must be at least --epochs");
    }
    // The flags' training settings are checked before any folder is made.
    let shift = args.shift.unwrap_or(sparse_search::DEFAULT_SHIFT);
    TrainConfig {
        shift,
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
    } = start(&args)?;
    // Each trial trains its candidate's epochs, seeded by the run's seed and its id.
    let config = TrainConfig {
        seed: search.seed(),
        shift: settings.shift,
        ..TrainConfig::default()
    };
    config.check()?;
    let budget = search.budget();
    let flash = match budget.flash_measure {
        FlashMeasure::Export => "flash",
        FlashMeasure::ModelSize => "model size",
    };
    eprintln!(
        "searching {} images ({} for validation, test: {}), budget {} B {flash}, {} B SRAM",
        train.len(),
        validation.len(),
        test_source,
        budget.flash_bytes,
        budget.sram_bytes
    );
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
    let bar = match limits.trials {
        None => ProgressBar::no_length().with_style(ProgressStyle::with_template(
            "trial {pos}  {msg}  [{elapsed_precise}]",
        )?),
        Some(trials) => ProgressBar::new(trials as u64).with_style(
            ProgressStyle::with_template("{bar:30} trial {pos}/{len}  {msg}  [{elapsed_precise}]")?
                .progress_chars("=> "),
        ),
    };
    bar.set_position(records.len() as u64);
    let mut log = RecordLog::open(&dir)?;
    // The teacher's training counts in the time limit.
    let started = Instant::now();
    let mut networks = load_networks(&dir)?;
    let teacher =
        crate::teacher::targets(&dir, &train, &validation, config.seed, settings.teacher)?;
    let teacher = teacher.as_ref();
    let space = search.space().clone();
    let mut driver = Driver::new(search, records, networks.keys().copied(), limits);
    let (done_tx, done_rx) = mpsc::channel::<Finished>();
    std::thread::scope(|scope| -> anyhow::Result<()> {
        loop {
            while driver.in_flight() < workers
                && let Some(candidate) = driver.next(started.elapsed().as_secs_f64())
            {
                let config = TrainConfig {
                    seed: driver.training_seed(candidate.id),
                    ..config.clone()
                };
                let parent = candidate.parent.and_then(|p| networks.get(&p).cloned());
                let done = done_tx.clone();
                let space = &space;
                let data = (&train, &validation, &test);
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(threads_per_worker)
                    .build()?;
                scope.spawn(move || {
                    let (record, network) = caught(space, &candidate, || {
                        pool.install(|| {
                            run_trial(space, &candidate, data, parent.as_deref(), &config, teacher)
                        })
                    });
                    // The receiver outlives every worker (both live in this scope).
                    let _ = done.send(Finished { record, network });
                });
            }
            if driver.in_flight() == 0 {
                return match driver.failure() {
                    None => Ok(()),
                    // The failed ask's draws are saved, so a resume draws anew instead of
                    // replaying the same unlucky stream.
                    Some(e) => {
                        write_atomically(
                            &dir.join("state.json"),
                            &serde_json::to_string(driver.search())?,
                        )?;
                        Err(anyhow::Error::new(e.clone()).context(format!(
                            "the search stopped after {} trials ({} may draw anew with --resume)",
                            driver.records().len(),
                            dir.display()
                        )))
                    }
                };
            }
            let finished = done_rx.recv().context("a training worker vanished")?;
            let record = driver
                .tell(finished.record, started.elapsed().as_secs_f64())?
                .clone();
            if let Some(network) = finished.network {
                keep_network(&dir, &mut networks, record.id, network, &mut driver)?;
            }
            log.append(&record)?;
            write_front(&dir, driver.search(), driver.records())?;
            write_atomically(
                &dir.join("state.json"),
                &serde_json::to_string(driver.search())?,
            )?;
            let best = driver
                .records()
                .iter()
                .filter(|r| fits(r, budget))
                .filter_map(|r| r.test_accuracy)
                .fold(0.0, f64::max);
            bar.set_position(driver.records().len() as u64);
            bar.set_message(format!(
                "best test accuracy {:.2}%  hypervolume {:.4}  rejected {}",
                best * 100.0,
                driver.search().hypervolume(),
                driver.search().rejected()
            ));
        }
    })?;
    bar.finish_and_clear();
    let (search, records) = (driver.search(), driver.records());
    let summary = serde_json::json!({
        "trials": records.len(),
        "failed": records.iter().filter(|r| r.status != "trained").count(),
        "rejected_by_budget": search.rejected(),
        "hypervolume": search.hypervolume(),
        "pareto": search.pareto_front(),
        "out": dir,
    });
    crate::output::print(&summary.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trial_that_panics_is_recorded_as_failed_with_the_panic_message() {
        let space = SearchSpace::sparse([1, 28, 28], 10);
        let budget = sparse_core::boards::Board::custom(64_000, 64_000).budget();
        let mut search = Search::new(space.clone(), budget, Algorithm::Random, 3);
        let candidate = search.ask().unwrap();
        let (record, network) = caught(&space, &candidate, || panic!("a kernel broke"));
        assert!(network.is_none());
        assert_eq!(record.id, candidate.id);
        assert_eq!(record.status, "failed");
        assert_eq!(
            record.reason.as_deref(),
            Some("training panicked: a kernel broke")
        );
        // The search takes it as any failed trial and goes on.
        search.tell(record.id, Outcome::of_record(&record)).unwrap();
        assert_eq!(search.ask().unwrap().id, candidate.id + 1);
    }

    #[test]
    fn durations_parse_with_their_units_and_impossible_ones_are_explained() {
        assert_eq!(parse_duration("90").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("90s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("30m").unwrap(), Duration::from_secs(1800));
        assert_eq!(parse_duration("1.5h").unwrap(), Duration::from_secs(5400));
        let error = |text: &str| parse_duration(text).unwrap_err().to_string();
        assert_eq!(
            error("1e300s"),
            "--time-limit 1e300s is longer than any run could last"
        );
        for bad in ["NaN", "-5m", "0", "5d", "m", "inf"] {
            assert!(
                error(bad).contains("must look like 90s, 30m or 2h"),
                "{bad}"
            );
        }
    }
}
