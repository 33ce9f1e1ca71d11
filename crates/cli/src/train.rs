//! `sparse-explorer train`: trains an architecture (the skeleton CNN by default), optionally
//! pruning it, with a progress bar; prints its float and int8 test accuracy and, with
//! `--json`, one JSON object with its costs as the last line.

use crate::dataset;
use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use sparse_core::Architecture;
use sparse_core::cost::cost;
use sparse_core::space::Pruning;
use sparse_train::{BatchReport, RunOutcome, TrainConfig, Trainer, evaluate, quantize};
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::time::Instant;

/// Options of `sparse-explorer train`.
#[derive(Args)]
pub struct TrainArgs {
    #[command(flatten)]
    data: dataset::DatasetArgs,
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
    /// Architecture description to train (JSON, see docs/architecture-format.md); the
    /// skeleton CNN when absent.
    #[arg(long, value_name = "FILE")]
    arch: Option<PathBuf>,
    /// How to prune every conv, dwconv and dense layer.
    #[arg(long, value_enum, default_value_t = PruneMethod::None)]
    prune: PruneMethod,
    /// Fraction of each layer's weights magnitude pruning removes.
    #[arg(long, default_value_t = 0.8)]
    sparsity: f64,
    /// Augmentation: move each training image by up to N pixels each way, drawn per image and
    /// step.
    #[arg(long, value_name = "N", default_value_t = 0)]
    shift: usize,
    /// Train on only the first N training images (a quick run); the test set stays whole.
    #[arg(long, value_name = "N")]
    limit: Option<usize>,
    /// Save the trained model as JSON: the pruned architecture, its float weights and the
    /// int8 model.
    #[arg(long, value_name = "MODEL.json")]
    save: Option<PathBuf>,
    /// Print one JSON object with the results as the last line.
    #[arg(long)]
    json: bool,
}

/// Pruning methods the command offers.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum PruneMethod {
    /// No pruning.
    None,
    /// Gradual magnitude pruning to `--sparsity`.
    Magnitude,
    /// Sparse Variational Dropout: weights whose log α ends above 3 are removed.
    Spvd,
    /// Bayesian Compression: whole filters and units whose log α ends above 3 are removed.
    Bc,
}

/// Trains, evaluates and prints the result.
pub fn run(args: TrainArgs) -> anyhow::Result<()> {
    crate::threads::set_matrix_threads(crate::threads::cores());
    if args.epochs == 0 || args.batch_size == 0 {
        bail!("--epochs and --batch-size must be at least 1");
    }
    let dataset::Splits {
        mut train,
        test,
        test_source,
    } = args.data.load()?;
    if let Some(n) = args.limit {
        if n == 0 {
            bail!("--limit must be at least 1");
        }
        train = train.head(n);
    }
    let architecture = match &args.arch {
        Some(path) => {
            let name = path.display();
            let text =
                std::fs::read_to_string(path).with_context(|| format!("cannot read {name}"))?;
            let arch: Architecture = serde_json::from_str(&text)
                .with_context(|| format!("{name} is not a valid architecture description"))?;
            arch.output_shapes().with_context(|| format!("{name}"))?;
            arch
        }
        None => {
            // The skeleton CNN, fitted to the dataset's images and classes.
            let s = train.shape();
            let mut arch = Architecture {
                input: [s.channels, s.height, s.width],
                classes: train.classes().max(test.classes()),
                ..Architecture::skeleton()
            };
            if let Some(sparse_core::Layer::Dense(d)) = arch.layers.last_mut() {
                d.units = arch.classes;
            }
            arch.output_shapes()
                .context("the default network does not fit these images; give one with --arch")?;
            arch
        }
    };
    if test.classes() > architecture.classes {
        bail!(
            "the test split has labels up to {}, but the architecture classifies into {} classes",
            test.classes() - 1,
            architecture.classes
        );
    }
    if !(0.0..1.0).contains(&args.sparsity) {
        bail!("--sparsity must be in [0, 1), not {}", args.sparsity);
    }
    let setting = match args.prune {
        PruneMethod::None => None,
        PruneMethod::Magnitude => Some(Pruning::Magnitude {
            sparsity: args.sparsity,
        }),
        PruneMethod::Spvd => Some(Pruning::Spvd { log_alpha: 3.0 }),
        PruneMethod::Bc => Some(Pruning::Bc { log_alpha: 3.0 }),
    };
    let pruning = architecture
        .layers
        .iter()
        .map(|l| setting.filter(|_| !l.is_pool()))
        .collect();
    let config = TrainConfig {
        pruning,
        epochs: args.epochs,
        batch_size: args.batch_size,
        learning_rate: args.learning_rate,
        seed: args.seed,
        shift: args.shift,
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
    let mut int8 = quantize(trainer.network(), &train, 1000)?;
    let int8_accuracy = int8.accuracy(&test);
    let pruned = trainer.pruned_architecture()?;
    int8.architecture = pruned.clone();
    let costs = cost(&pruned)?;
    if let Some(path) = &args.save {
        let model = serde_json::json!({
            "architecture": pruned,
            "float": trainer.network().float_layers()?,
            "int8": int8,
        });
        std::fs::write(path, serde_json::to_string(&model)?)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    let images_per_second = images as f64 / train_seconds;
    crate::output::print(&format!(
        "trained {} parameters for {} epoch(s) in {train_seconds:.1} s ({images_per_second:.0} images/s); \
         model size {} B, working memory {} B",
        costs.parameters, args.epochs, costs.model_size_bytes, costs.working_memory_bytes
    ))?;
    crate::output::print(&format!(
        "test accuracy: {:.2}% on {} images from {test_source} (int8: {:.2}%)",
        accuracy * 100.0,
        test.len(),
        int8_accuracy * 100.0
    ))?;
    if args.json {
        let summary = serde_json::json!({
            "test_accuracy": accuracy,
            "int8_test_accuracy": int8_accuracy,
            "train_images": train.len(),
            "test_images": test.len(),
            "test_split": test_source,
            "parameters": costs.parameters,
            "model_size_bytes": costs.model_size_bytes,
            "working_memory_bytes": costs.working_memory_bytes,
            "macs": costs.macs,
            "flash_bytes": costs.flash_bytes,
            "sram_bytes": costs.sram_bytes,
            "architecture": pruned,
            "train_seconds": train_seconds,
            "images_per_second": images_per_second,
        });
        crate::output::print(&summary.to_string())?;
    }
    Ok(())
}
