//! `sparse-explorer`: the command-line front-end, glue between arguments, files, a progress bar
//! and the compute crates.

use clap::{Parser, Subcommand};
use sparse_cli::{cost, export, largest, search, train, verify};
use std::process::ExitCode;

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
    /// Price an architecture for a microcontroller: model size, working memory, MACs, flash
    /// and SRAM, the estimated latency on a board, and whether it fits.
    Cost(cost::CostArgs),
    /// List the board presets with their memories and reservations.
    Boards,
    /// Search architectures and pruning settings within a board's budget (and, optionally, a
    /// latency bound). Boxed: its options are several times the others'.
    Search(Box<search::SearchArgs>),
    /// Find the largest unpruned architecture of the search space (28×28 digits) that fits a
    /// board.
    Largest(largest::LargestArgs),
    /// Write a trained candidate's int8 model as C99 for a microcontroller (model.h, model.c).
    Export(export::ExportArgs),
    /// Compile an exported model for the host, a Cortex-M4, a Cortex-M0 and an ATmega328P, run
    /// it (natively, in qemu-system-arm and in simavr), check its predictions and memory, and
    /// time it against the latency model.
    Verify(verify::VerifyArgs),
}

fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Command::Train(args) => train::run(args),
        Command::Cost(args) => cost::run(args),
        Command::Boards => cost::list_boards(),
        Command::Largest(args) => largest::run(args),
        Command::Search(args) => search::run(*args),
        Command::Export(args) => export::run(args),
        Command::Verify(args) => verify::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line: the context chain joined by colons.
            eprintln!("sparse-explorer: {e:#}");
            ExitCode::FAILURE
        }
    }
}
