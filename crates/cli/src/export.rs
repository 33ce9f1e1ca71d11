//! `sparse-explorer export`: writes a trained candidate's int8 model as C99 (`model.h`,
//! `model.c`), its JSON and a README into a folder, from a search run or a saved model file.

use crate::search::{int8_path, networks_dir};
use anyhow::{Context, bail};
use clap::Args;
use sparse_core::quant::QuantModel;
use std::path::{Path, PathBuf};

/// Options of `sparse-explorer export`.
#[derive(Args)]
pub struct ExportArgs {
    /// A search run's folder (with `--trial`).
    #[arg(long, value_name = "DIR", requires = "trial", conflicts_with = "model")]
    run: Option<PathBuf>,
    /// The trial of `--run` to export (its id in trials.jsonl and pareto.json).
    #[arg(long, value_name = "ID")]
    trial: Option<u64>,
    /// An int8 model file instead: an exported `model.json`, or a `train --save` file.
    #[arg(long, value_name = "MODEL.json", required_unless_present = "run")]
    model: Option<PathBuf>,
    /// Folder to write model.h, model.c, model.json and README.md into (created if missing).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// What to write beside model.json and README.md: `c` (model.h, model.c), `tflite`
    /// (model.tflite, an int8 TensorFlow Lite model for LiteRT and TensorFlow Lite for
    /// Microcontrollers), or `c,tflite`.
    #[arg(long, value_enum, value_delimiter = ',', default_value = "c")]
    format: Vec<Format>,
    /// Print one JSON object with the sizes as the last line.
    #[arg(long)]
    json: bool,
}

/// `--format` values.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    /// C99: model.h and model.c.
    C,
    /// A TensorFlow Lite flatbuffer: model.tflite.
    Tflite,
}

/// Reads an int8 model file ([`QuantModel::from_model_file`]), naming it in any error.
pub fn read_model(path: &Path) -> anyhow::Result<QuantModel> {
    let name = path.display();
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {name}"))?;
    QuantModel::from_model_file(&text).map_err(|why| anyhow::anyhow!("{name}: {why}"))
}

/// Runs the command.
pub fn run(args: ExportArgs) -> anyhow::Result<()> {
    let (model, title) = match (&args.run, args.trial, &args.model) {
        (Some(dir), Some(id), _) => {
            let path = int8_path(dir, id);
            if !path.exists() {
                bail!(
                    "{} has no int8 model for trial {id}: the run keeps the models of its Pareto \
                     members and of the networks it may still morph (see {}), and trials from \
                     before export existed have none",
                    dir.display(),
                    networks_dir(dir).display()
                );
            }
            let name = dir
                .file_name()
                .map_or("run".into(), |n| n.to_string_lossy());
            (
                read_model(&path)?,
                format!("trial {id} of search run {name}"),
            )
        }
        (_, _, Some(path)) => (read_model(path)?, format!("{}", path.display())),
        _ => bail!("give --run DIR --trial ID, or --model FILE"),
    };
    let export = sparse_export::export(&model, &title)?;
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    let c = args.format.contains(&Format::C);
    let mut files: Vec<(&str, Vec<u8>)> = export
        .files
        .into_iter()
        .filter(|(name, _)| c || !name.ends_with(".h") && !name.ends_with(".c"))
        .collect();
    if args.format.contains(&Format::Tflite) {
        files.push(("model.tflite", sparse_export::tflite::tflite(&model)?));
    }
    for (name, bytes) in &files {
        let path = args.out.join(name);
        std::fs::write(&path, bytes).with_context(|| format!("cannot write {}", path.display()))?;
    }
    let names: Vec<&str> = files.iter().map(|(name, _)| *name).collect();
    crate::output::print(&format!(
        "wrote {} ({}): weights {} B of flash (cost model {} B), arena {} B of SRAM (cost model \
         {} B)",
        args.out.display(),
        names.join(", "),
        export.c.weight_bytes,
        export.cost.flash_bytes,
        export.c.arena_bytes,
        export.cost.sram_bytes
    ))?;
    if args.json {
        let summary = serde_json::json!({
            "out": args.out,
            "weight_bytes": export.c.weight_bytes,
            "arena_bytes": export.c.arena_bytes,
            "cost_flash_bytes": export.cost.flash_bytes,
            "cost_sram_bytes": export.cost.sram_bytes,
            "architecture": model.architecture,
        });
        crate::output::print(&summary.to_string())?;
    }
    Ok(())
}
