//! The search's teacher for knowledge distillation: a larger network trained once per run on
//! the search's training images, kept as `DIR/teacher.json` (so `--resume` and every trial use
//! the same one), whose softened outputs every trial learns from beside the labels.

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use sparse_core::{Dataset, FloatModel};
use sparse_train::{
    Distillation, Network, SoftTargets, TEACHER_EPOCHS, TrainConfig, Trainer, evaluate,
    teacher_architecture,
};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where a run keeps its teacher.
pub fn teacher_path(dir: &Path) -> PathBuf {
    dir.join("teacher.json")
}

/// The teacher's soft targets for `train`, with the share of the loss they get: from the run's
/// saved teacher if it has one, else (when `wanted`) from a teacher trained now and saved;
/// `None` for a run without a teacher.
pub fn targets(
    dir: &Path,
    train: &Dataset,
    validation: &Dataset,
    seed: u64,
    wanted: bool,
) -> anyhow::Result<Option<(Arc<SoftTargets>, f64)>> {
    let path = teacher_path(dir);
    let teacher = if path.exists() {
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let model: FloatModel = serde_json::from_str(&text)
            .with_context(|| format!("{} is not a saved teacher", path.display()))?;
        Network::from_float_model(&model).with_context(|| format!("{}", path.display()))?
    } else if wanted {
        let teacher = train_teacher(train, validation, seed)?;
        let text = serde_json::to_string(&teacher.to_float_model()?)?;
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, text).with_context(|| format!("cannot write {}", tmp.display()))?;
        std::fs::rename(&tmp, &path).with_context(|| format!("cannot write {}", path.display()))?;
        teacher
    } else {
        return Ok(None);
    };
    let how = Distillation::default();
    let targets = SoftTargets::of(&teacher, train, how.temperature)
        .context("the saved teacher does not fit this data")?;
    Ok(Some((Arc::new(targets), how.weight)))
}

/// Trains the teacher on `train`, showing a bar, and reports its validation accuracy.
fn train_teacher(train: &Dataset, validation: &Dataset, seed: u64) -> anyhow::Result<Network> {
    let s = train.shape();
    let classes = train.classes().max(validation.classes());
    let architecture = teacher_architecture([s.channels, s.height, s.width], classes);
    let config = TrainConfig {
        epochs: TEACHER_EPOCHS,
        seed,
        ..TrainConfig::default()
    };
    let started = std::time::Instant::now();
    let mut trainer = Trainer::new(&architecture, train, config)?;
    let bar = ProgressBar::new(1000).with_style(ProgressStyle::with_template(
        "teacher {bar:30} {percent}%  [{elapsed_precise}]",
    )?);
    trainer.run(train, &mut |r: &sparse_train::BatchReport| {
        bar.set_position((r.fraction_done * 1000.0) as u64);
        ControlFlow::Continue(())
    })?;
    bar.finish_and_clear();
    let network = trainer.into_network();
    eprintln!(
        "teacher: {:.2}% validation accuracy after {TEACHER_EPOCHS} epochs ({:.0} s), kept for every trial",
        evaluate(&network, validation)? * 100.0,
        started.elapsed().as_secs_f64()
    );
    Ok(network)
}
