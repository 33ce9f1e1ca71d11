//! `sparse-explorer`: the command-line front-end, glue between arguments, files, a progress bar
//! and the compute crates.

mod mnist;
mod train;

use clap::{Parser, Subcommand};

/// Search, train and prune small CNNs for microcontrollers.
#[derive(Parser)]
#[command(name = "sparse-explorer", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Train one network and print its test accuracy.
    Train(train::TrainArgs),
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Train(args) => train::run(args),
    }
}
