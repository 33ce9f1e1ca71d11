//! `sparse-explorer search`: joins the ask/tell search to training. Each trial trains the asked
//! genome (inheriting its parent's weights when it was morphed), prunes and quantises it, and
//! tells the search its validation accuracy and pruned costs. After every trial the trial is
//! appended to `DIR/trials.jsonl` and `DIR/pareto.json` and `DIR/state.json` are rewritten, so
//! a killed run loses at most the trials in flight and `--resume DIR` carries on; trained
//! networks that children may inherit from are kept in `DIR/networks/`. With
//! `--workers N`, N trials train at once, each on its own thread pool; a trial that panics is
//! recorded as failed and the search goes on.

mod networks;
mod opening;
mod session;
mod trial;

pub use networks::{int8_path, networks_dir};
pub use opening::{held_out, space_of};
pub use session::{Finished, Job, Session, TrialContext};

use crate::budget::BudgetArgs;
use crate::dataset;
use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Duration;

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

/// Runs the search and writes its files.
pub fn run(args: SearchArgs) -> anyhow::Result<()> {
    let cores = crate::threads::cores();
    let workers = args.workers.map_or(cores, |w| w as usize);
    let threads_per_worker = (cores / workers).max(1);
    crate::threads::set_matrix_threads(threads_per_worker);
    let mut session = Session::open(&args, |description| eprintln!("{description}"))?;
    let bar = match session.driver().limits().trials {
        None => ProgressBar::no_length().with_style(ProgressStyle::with_template(
            "trial {pos}  {msg}  [{elapsed_precise}]",
        )?),
        Some(trials) => ProgressBar::new(trials as u64).with_style(
            ProgressStyle::with_template("{bar:30} trial {pos}/{len}  {msg}  [{elapsed_precise}]")?
                .progress_chars("=> "),
        ),
    };
    bar.set_position(session.driver().records().len() as u64);
    let context = session.context().clone();
    let (done_tx, done_rx) = mpsc::channel::<Finished>();
    std::thread::scope(|scope| -> anyhow::Result<()> {
        loop {
            while session.driver().in_flight() < workers
                && let Some(job) = session.next_job()
            {
                let done = done_tx.clone();
                let context = &context;
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(threads_per_worker)
                    .build()?;
                scope.spawn(move || {
                    let finished = pool
                        .install(|| context.run(&job.candidate, job.seed, job.parent.as_deref()));
                    // The receiver outlives every worker (both live in this scope).
                    let _ = done.send(finished);
                });
            }
            if session.driver().in_flight() == 0 {
                return Ok(());
            }
            let finished = done_rx.recv().context("a training worker vanished")?;
            session.tell(finished)?;
            bar.set_position(session.driver().records().len() as u64);
            bar.set_message(session.progress());
        }
    })?;
    bar.finish_and_clear();
    crate::output::print(&session.finish()?.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

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
