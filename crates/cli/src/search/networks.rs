//! The trained networks a run keeps in `DIR/networks/`: those children may still inherit from
//! and every Pareto member's, each beside its int8 model for `sparse-explorer export`.

use crate::run_folder::write_atomically;
use anyhow::Context;
use sparse_core::FloatModel;
use sparse_core::quant::QuantModel;
use sparse_search::Driver;
use sparse_train::Network;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where a run keeps the trained networks children may inherit from, one `ID.json` each,
/// and beside each its int8 model, `ID.int8.json`, for `sparse-explorer export`.
pub fn networks_dir(dir: &Path) -> PathBuf {
    dir.join("networks")
}

/// The file of trial `id`'s int8 model in run `dir`.
pub fn int8_path(dir: &Path, id: u64) -> PathBuf {
    networks_dir(dir).join(format!("{id}.int8.json"))
}

/// Keeps `network` (trial `id`) in memory and on disk, so its children inherit its weights
/// even after `--resume`, with its int8 model, and drops the network the search says is least
/// needed (never a Pareto member's).
pub(super) fn keep_network(
    dir: &Path,
    networks: &mut HashMap<u64, Arc<Network>>,
    id: u64,
    (network, int8): (Network, QuantModel),
    driver: &mut Driver,
) -> anyhow::Result<()> {
    let folder = networks_dir(dir);
    std::fs::create_dir_all(&folder)
        .with_context(|| format!("cannot create {}", folder.display()))?;
    let model = network.to_float_model()?;
    write_atomically(
        &folder.join(format!("{id}.json")),
        &serde_json::to_string(&model)?,
    )?;
    write_atomically(&int8_path(dir, id), &serde_json::to_string(&int8)?)?;
    networks.insert(id, Arc::new(network));
    if let Some(dropped) = driver.keep(id) {
        networks.remove(&dropped);
        let _ = std::fs::remove_file(folder.join(format!("{dropped}.json")));
        let _ = std::fs::remove_file(int8_path(dir, dropped));
    }
    Ok(())
}

/// The networks a saved run kept (none for a new run).
pub(super) fn load_networks(dir: &Path) -> anyhow::Result<HashMap<u64, Arc<Network>>> {
    let mut networks = HashMap::new();
    let Ok(entries) = std::fs::read_dir(networks_dir(dir)) else {
        return Ok(networks);
    };
    for entry in entries {
        let path = entry?.path();
        let Some(id) = path
            .file_stem()
            .and_then(|s| s.to_str())
            .and_then(|s| s.parse::<u64>().ok())
            .filter(|_| path.extension().is_some_and(|e| e == "json"))
        else {
            continue;
        };
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let model: FloatModel = serde_json::from_str(&text)
            .with_context(|| format!("{} is not a saved network", path.display()))?;
        let network =
            Network::from_float_model(&model).with_context(|| format!("{}", path.display()))?;
        networks.insert(id, Arc::new(network));
    }
    Ok(networks)
}
