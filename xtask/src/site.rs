//! Building and serving the page with Trunk, offline, with the tools `tools` installed.

use crate::run::{command, status};
use crate::tools::ensure_site_tools;

/// `cargo xtask build`: the static site in `dist/`.
pub fn build() -> Result<(), String> {
    ensure_site_tools()?;
    status(command("trunk").args(["build", "--offline", "--release"]))
}

/// `cargo xtask serve`: build, serve on http://127.0.0.1:8080 and rebuild on change.
pub fn serve() -> Result<(), String> {
    ensure_site_tools()?;
    status(command("trunk").args([
        "serve",
        "--offline",
        "--release",
        "--address",
        "127.0.0.1",
        "--port",
        "8080",
    ]))
}
