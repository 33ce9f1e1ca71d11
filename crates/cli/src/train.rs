//! `sparse-explorer train`: trains the skeleton CNN with a progress bar and prints its test
//! accuracy (with `--json`, one JSON object as the last line).

use crate::mnist;
use anyhow::bail;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use sparse_core::Architecture;
use sparse_train::{BatchReport, RunOutcome, TrainConfig, Trainer, evaluate, quantize};
use std::ops::ControlFlow;
use std::time::Instant;

/// Options of `sparse-explorer train`.
#[derive(Args)]
pub struct TrainArgs {
    /// Dataset to train on (only the built-in `mnist` so far).
    #[arg(long, default_value = "mnist")]
    dataset: String,
    /// Passes over the training set.
    #[arg(long, default_value_t = TrainConfig::default().epochs)]
    epochs: usize,
    /// Examples per step.
    #[arg(long, default_value_t = TrainConfig::default().batch_size)]
    batch_size: usize,
    /// Adam's learning rate.
    #[arg(long, default_value_t = TrainConfig::default().learning_rate)]
    learning_rate: f64,
    /// Seed for initial weights and shuffling.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Train on only the first N training images (a quick run); the test set stays whole.
    #[arg(long, value_name = "N")]
    limit: Option<usize>,
    /// Print one JSON object with the results as the last line.
    #[arg(long)]
    json: bool,
}

/// Trains, evaluates and prints the result.
pub fn run(args: TrainArgs) -> anyhow::Result<()> {
    if args.dataset != "mnist" {
        bail!(
            "unknown dataset '{}': only 'mnist' is built in",
            args.dataset
        );
    }
    if args.epochs == 0 || args.batch_size == 0 {
        bail!("--epochs and --batch-size must be at least 1");
    }
    let (mut train, test) = mnist::load()?;
    if let Some(n) = args.limit {
        if n == 0 {
            bail!("--limit must be at least 1");
        }
        train = train.head(n);
    }
    let architecture = Architecture::skeleton();
    let config = TrainConfig {
        epochs: args.epochs,
        batch_size: args.batch_size,
        learning_rate: args.learning_rate,
        seed: args.seed,
    };
    let mut trainer = Trainer::new(&architecture, &train, config)?;
    let steps = (trainer.batches_per_epoch() * args.epochs) as u64;
    let bar = ProgressBar::new(steps).with_style(
        ProgressStyle::with_template(
            "{bar:40} {pos}/{len} batches  epoch {prefix}  {msg}  [{elapsed_precise}<{eta}]",
        )?
        .progress_chars("=> "),
    );
    let started = Instant::now();
    let mut images = 0usize;
    let mut smoothed_loss = None::<f32>;
    let outcome = trainer.run(&train, &mut |r: &BatchReport| {
        images += r.examples;
        let loss = smoothed_loss.map_or(r.loss, |s| 0.98 * s + 0.02 * r.loss);
        smoothed_loss = Some(loss);
        bar.set_prefix(format!("{}", r.epoch + 1));
        bar.set_message(format!("loss {loss:.3}"));
        bar.inc(1);
        ControlFlow::Continue(())
    })?;
    let train_seconds = started.elapsed().as_secs_f64();
    bar.finish_and_clear();
    debug_assert_eq!(outcome, RunOutcome::Completed);
    let accuracy = evaluate(trainer.network(), &test)?;
    let int8 = quantize(trainer.network(), &train, 1000)?;
    let int8_accuracy = int8.accuracy(&test);
    let images_per_second = images as f64 / train_seconds;
    crate::output::print(&format!(
        "trained {} parameters for {} epoch(s) in {train_seconds:.1} s ({images_per_second:.0} images/s)",
        trainer.network().parameter_count(),
        args.epochs
    ))?;
    crate::output::print(&format!(
        "test accuracy: {:.2}% on {} images (int8: {:.2}%)",
        accuracy * 100.0,
        test.len(),
        int8_accuracy * 100.0
    ))?;
    if args.json {
        let summary = serde_json::json!({
            "test_accuracy": accuracy,
            "int8_test_accuracy": int8_accuracy,
            "train_images": train.len(),
            "parameters": trainer.network().parameter_count(),
            "architecture": architecture,
            "train_seconds": train_seconds,
            "images_per_second": images_per_second,
        });
        crate::output::print(&summary.to_string())?;
    }
    Ok(())
}
