//! `sparse-explorer search`: joins the ask/tell search to training. Each trial trains the asked
//! genome (inheriting its parent's weights when it was morphed), prunes and quantises it, and
//! tells the search its validation accuracy and pruned costs. After every trial the trial is
//! appended to `DIR/trials.jsonl` and `DIR/pareto.json` and `DIR/state.json` are rewritten, so
//! a killed run loses at most the trial in flight and `--resume DIR` carries on.

use crate::budget::BudgetArgs;
use crate::dataset;
use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use serde::{Deserialize, Serialize};
use sparse_core::cost::cost;
use sparse_core::space::SearchSpace;
use sparse_core::{Architecture, Dataset};
use sparse_search::{Algorithm, Candidate, Objectives, Outcome, Search};
use sparse_train::{Network, TrainConfig, Trainer, evaluate, quantize};
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Every `VALIDATION`-th training image is held out to score candidates.
const VALIDATION: usize = 6;
/// Trained networks kept for their children to inherit from.
const KEPT_NETWORKS: usize = 64;

/// Options of `sparse-explorer search`.
#[derive(Args)]
pub struct SearchArgs {
    #[command(flatten)]
    data: dataset::DatasetArgs,
    /// The budget candidates must fit.
    #[command(flatten)]
    budget: BudgetArgs,
    /// The optimizer.
    #[arg(long, value_enum, default_value_t = AlgorithmArg::Mobo)]
    algorithm: AlgorithmArg,
    /// Trials to run (in total, counting a resumed run's).
    #[arg(long, default_value_t = 20)]
    trials: usize,
    /// Stop starting trials after this long, such as 90s, 30m or 2h.
    #[arg(long, value_name = "DURATION")]
    time_limit: Option<String>,
    /// Epochs each candidate trains.
    #[arg(long, default_value_t = 1)]
    epochs: usize,
    /// Seed of the search and of every trial's training.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Folder for trials.jsonl, pareto.json and state.json.
    #[arg(long, value_name = "DIR", required_unless_present = "resume")]
    out: Option<PathBuf>,
    /// Continue the run saved in DIR.
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

/// One line of trials.jsonl.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct TrialRecord {
    id: u64,
    architecture: Architecture,
    parent: Option<u64>,
    status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
    val_accuracy: Option<f64>,
    test_accuracy: Option<f64>,
    int8_test_accuracy: Option<f64>,
    model_size_bytes: Option<u64>,
    working_memory_bytes: Option<u64>,
    macs: Option<u64>,
    train_seconds: f64,
    /// The search's hypervolume once this trial was told (for plots against trials).
    #[serde(default)]
    hypervolume: f64,
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
    Ok(Duration::from_secs_f64(seconds))
}

/// Trains one candidate and measures it; a failure is an outcome, never an error. Returns the
/// trained network too, for children to inherit from.
fn run_trial(
    search: &Search,
    candidate: &Candidate,
    data: (&Dataset, &Dataset, &Dataset),
    networks: &HashMap<u64, Network>,
    config: &TrainConfig,
) -> (Outcome, TrialRecord, Option<Network>) {
    let (train, validation, test) = data;
    let started = Instant::now();
    let architecture = candidate.genome.architecture(search.space());
    let mut record = TrialRecord {
        id: candidate.id,
        architecture: architecture.clone(),
        parent: candidate.parent,
        status: "failed".into(),
        reason: None,
        val_accuracy: None,
        test_accuracy: None,
        int8_test_accuracy: None,
        model_size_bytes: None,
        working_memory_bytes: None,
        macs: None,
        train_seconds: 0.0,
        hypervolume: 0.0,
    };
    let trained = (|| -> anyhow::Result<(Objectives, Trainer)> {
        let config = TrainConfig {
            pruning: candidate.genome.layer_pruning(),
            seed: config.seed.wrapping_add(candidate.id),
            ..config.clone()
        };
        let mut trainer = Trainer::new(&architecture, train, config)?;
        if let Some(parent) = candidate.parent.and_then(|p| networks.get(&p)) {
            trainer
                .network()
                .inherit_from(parent, &candidate.inherits_from)?;
        }
        while trainer.step(train)?.is_some() {}
        record.train_seconds = started.elapsed().as_secs_f64();
        let pruned = trainer.pruned_architecture()?;
        let costs = cost(&pruned)?;
        let val_accuracy = evaluate(trainer.network(), validation)?;
        record.test_accuracy = Some(evaluate(trainer.network(), test)?);
        record.int8_test_accuracy = Some(quantize(trainer.network(), train, 1000)?.accuracy(test));
        record.architecture = pruned;
        let objectives = Objectives {
            val_accuracy,
            model_size_bytes: costs.model_size_bytes,
            working_memory_bytes: costs.working_memory_bytes,
            macs: costs.macs,
        };
        Ok((objectives, trainer))
    })();
    match trained {
        Ok((o, trainer)) => {
            record.status = "trained".into();
            record.val_accuracy = Some(o.val_accuracy);
            record.model_size_bytes = Some(o.model_size_bytes);
            record.working_memory_bytes = Some(o.working_memory_bytes);
            record.macs = Some(o.macs);
            (Outcome::Trained(o), record, Some(trainer.into_network()))
        }
        Err(e) => {
            record.train_seconds = started.elapsed().as_secs_f64();
            record.reason = Some(format!("{e:#}"));
            let reason = format!("{e:#}");
            (Outcome::Failed { reason }, record, None)
        }
    }
}

/// Writes `text` to `path` through a temporary file, so a kill never leaves half a file.
fn write_atomically(path: &Path, text: &str) -> anyhow::Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))
}

/// The records of a saved run, one per told trial.
fn read_records(dir: &Path) -> anyhow::Result<Vec<TrialRecord>> {
    let path = dir.join("trials.jsonl");
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l).with_context(|| format!("{}, line {}", path.display(), i + 1))
        })
        .collect()
}

/// The search to run: resumed from `--resume DIR`, or new in `--out DIR`.
fn start(
    args: &SearchArgs,
    space: SearchSpace,
) -> anyhow::Result<(PathBuf, Search, Vec<TrialRecord>)> {
    if let Some(dir) = &args.resume {
        let path = dir.join("state.json");
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot resume: no {}", path.display()))?;
        let search: Search = serde_json::from_str(&text)
            .with_context(|| format!("{} is not a saved search", path.display()))?;
        if search.space().input != space.input || search.space().classes != space.classes {
            bail!("the saved search is for other data: resume it with the same --dataset");
        }
        let mut records = read_records(dir)?;
        // A trial appended just before a kill but never saved in the state is run again.
        let told: usize = search
            .trials()
            .iter()
            .filter(|t| t.outcome.is_some())
            .count();
        records.truncate(told);
        return Ok((dir.clone(), search, records));
    }
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
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let budget = args
        .budget
        .board()?
        .context("give a budget: --board ID, or --flash-bytes N --sram-bytes N")?
        .budget();
    let algorithm = match args.algorithm {
        AlgorithmArg::Random => Algorithm::Random,
        AlgorithmArg::Evolution => Algorithm::evolution(),
        AlgorithmArg::Mobo => Algorithm::mobo(),
    };
    Ok((
        dir,
        Search::new(space, budget, algorithm, args.seed),
        Vec::new(),
    ))
}

/// Runs the search and writes its files.
pub fn run(args: SearchArgs) -> anyhow::Result<()> {
    let time_limit = args.time_limit.as_deref().map(parse_duration).transpose()?;
    if args.epochs == 0 {
        bail!("--epochs must be at least 1");
    }
    let splits = args.data.load()?;
    let (train, validation) = splits.train.hold_out(VALIDATION);
    let s = train.shape();
    let classes = train.classes().max(splits.test.classes());
    let space = SearchSpace::sparse([s.channels, s.height, s.width], classes);
    let (dir, mut search, mut records) = start(&args, space)?;
    eprintln!(
        "searching {} images ({} for validation, test: {}), budget {} B flash, {} B SRAM",
        train.len(),
        validation.len(),
        splits.test_source,
        search.budget().flash_bytes,
        search.budget().sram_bytes
    );
    let config = TrainConfig {
        epochs: args.epochs,
        seed: args.seed,
        ..TrainConfig::default()
    };
    let bar = ProgressBar::new(args.trials as u64).with_style(
        ProgressStyle::with_template("{bar:30} trial {pos}/{len}  {msg}  [{elapsed_precise}]")?
            .progress_chars("=> "),
    );
    bar.set_position(records.len() as u64);
    let started = Instant::now();
    let mut networks: HashMap<u64, Network> = HashMap::new();
    let mut log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("trials.jsonl"))
        .context("cannot open trials.jsonl")?;
    while search
        .trials()
        .iter()
        .filter(|t| t.outcome.is_some())
        .count()
        < args.trials
    {
        if time_limit.is_some_and(|limit| started.elapsed() >= limit) {
            break;
        }
        let candidate = search.ask()?;
        let data = (&train, &validation, &splits.test);
        let (outcome, mut record, network) =
            run_trial(&search, &candidate, data, &networks, &config);
        search.tell(candidate.id, outcome)?;
        record.hypervolume = search.hypervolume();
        if let Some(network) = network {
            networks.insert(candidate.id, network);
            if networks.len() > KEPT_NETWORKS {
                let oldest = *networks.keys().min().expect("not empty");
                networks.remove(&oldest);
            }
        }
        writeln!(log, "{}", serde_json::to_string(&record)?)?;
        log.flush()?;
        records.push(record);
        let front: Vec<&TrialRecord> = search
            .pareto_front()
            .iter()
            .filter_map(|id| records.iter().find(|r| r.id == *id))
            .collect();
        write_atomically(
            &dir.join("pareto.json"),
            &serde_json::to_string_pretty(&front)?,
        )?;
        write_atomically(&dir.join("state.json"), &serde_json::to_string(&search)?)?;
        let best = records
            .iter()
            .filter_map(|r| r.test_accuracy)
            .fold(0.0, f64::max);
        bar.set_position(records.len() as u64);
        bar.set_message(format!(
            "best test accuracy {:.2}%  hypervolume {:.4}  rejected {}",
            best * 100.0,
            search.hypervolume(),
            search.rejected()
        ));
    }
    bar.finish_and_clear();
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
