//! Options given from Python parsed by the CLI's own definitions (clap), so they follow the
//! same rules and are refused with the same messages as on the command line.

use clap::{Args, Parser};

// `T`'s options, parsed alone (a plain comment: a doc comment would be its help text).
#[derive(Parser)]
#[command(no_binary_name = true)]
struct Only<T: Args> {
    #[command(flatten)]
    args: T,
}

/// Parses `argv` (options only, no program name) as `T`, the options of the CLI command
/// `command` (named in the usage of a refusal); a refusal is clap's message, as the CLI's.
pub fn parse<T: Args>(command: &'static str, argv: &[String]) -> anyhow::Result<T> {
    use clap::{CommandFactory, FromArgMatches};
    let mut definition = Only::<T>::command().name(command);
    let matches = definition
        .try_get_matches_from_mut(argv)
        .map_err(|e| anyhow::anyhow!("{}", e.render().to_string().trim_end()))?;
    Ok(Only::<T>::from_arg_matches(&matches)
        .map_err(|e| anyhow::anyhow!("{}", e.render().to_string().trim_end()))?
        .args)
}

/// The options `T` of the CLI command `command`, as its `--help` describes them.
pub fn help<T: Args>(command: &'static str) -> String {
    use clap::CommandFactory;
    Only::<T>::command()
        .name(command)
        .render_long_help()
        .to_string()
}

/// `--name value` for each option given (`None`s left out), for [`parse`].
pub fn options(given: &[(&str, Option<String>)]) -> Vec<String> {
    given
        .iter()
        .filter_map(|(name, value)| Some([format!("--{name}"), value.clone()?]))
        .flatten()
        .collect()
}

/// The budget options `sparse-explorer search` and `cost` share, given as Python keywords.
pub struct Budget {
    /// `--board`.
    pub board: Option<String>,
    /// `--flash-bytes`.
    pub flash_bytes: Option<u64>,
    /// `--sram-bytes`.
    pub sram_bytes: Option<u64>,
    /// `--flash-measure`.
    pub flash_measure: Option<String>,
    /// `--max-latency-ms`.
    pub max_latency_ms: Option<f64>,
    /// `--core`.
    pub core: Option<String>,
    /// `--clock-mhz`.
    pub clock_mhz: Option<f64>,
}

impl Budget {
    /// The options given, as the command line writes them.
    pub fn options(self) -> Vec<String> {
        let text = |v: Option<f64>| v.map(|v| v.to_string());
        options(&[
            ("board", self.board),
            ("flash-bytes", self.flash_bytes.map(|v| v.to_string())),
            ("sram-bytes", self.sram_bytes.map(|v| v.to_string())),
            ("flash-measure", self.flash_measure),
            ("max-latency-ms", text(self.max_latency_ms)),
            ("core", self.core),
            ("clock-mhz", text(self.clock_mhz)),
        ])
    }
}
