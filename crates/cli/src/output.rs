//! Writing results to standard output without panicking when the reader goes away
//! (`sparse-explorer cost x.json | head`).

use std::io::{ErrorKind, Write};

/// Prints `text` and a newline; a closed pipe ends output quietly.
pub fn print(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{text}").and_then(|()| out.flush()) {
        Err(e) if e.kind() == ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}
