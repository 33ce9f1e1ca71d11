//! Options given from Python parsed by the CLI's own definitions (clap), so they follow the
//! same rules and are refused with the same messages as on the command line.

use clap::{Args, Parser};

/// `T`'s options, parsed alone.
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

/// The options of `sparse-explorer search` as `--help` describes them.
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
