//! A search's run folder kept whole through kills and power cuts: each trial's record is
//! appended as one synced line, every other file is replaced atomically, and a resume takes
//! exactly the trials `state.json` told, dropping any line written after the state was saved.

use anyhow::{Context, bail};
use sparse_core::TrialRecord;
use std::collections::BTreeSet;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The log of a run's trials, one JSON record per line.
fn records_path(dir: &Path) -> PathBuf {
    dir.join("trials.jsonl")
}

/// Writes `text` to `path` through a synced temporary file renamed over it, so a kill or a
/// power cut leaves the old file or the new one, never half of one.
pub fn write_atomically(path: &Path, text: &str) -> anyhow::Result<()> {
    let tmp = path.with_extension("tmp");
    let written = File::create(&tmp).and_then(|mut file| {
        file.write_all(text.as_bytes())?;
        file.sync_all()
    });
    written.with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))?;
    // The rename itself survives a power cut once the folder is synced (where the system
    // allows opening a folder; elsewhere the rename is still atomic).
    if let Some(folder) = path.parent().and_then(|p| File::open(p).ok()) {
        let _ = folder.sync_all();
    }
    Ok(())
}

/// `trials.jsonl` open for appending.
pub struct RecordLog {
    file: File,
    path: PathBuf,
}

impl RecordLog {
    /// Opens (or creates) the log of the run in `dir`.
    pub fn open(dir: &Path) -> anyhow::Result<Self> {
        let path = records_path(dir);
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .with_context(|| format!("cannot open {}", path.display()))?;
        Ok(Self { file, path })
    }

    /// Appends `record` as one line in one write, synced before returning, so the state
    /// saved after it never counts a record the disk does not hold.
    pub fn append(&mut self, record: &TrialRecord) -> anyhow::Result<()> {
        let mut line = serde_json::to_string(record)?;
        line.push('\n');
        self.file
            .write_all(line.as_bytes())
            .and_then(|()| self.file.sync_data())
            .with_context(|| format!("cannot write {}", self.path.display()))
    }
}

/// The records of the trials a saved state told (`told`, by id), read from the run's log.
/// Lines after them (appended before a kill that came before the state was saved, perhaps cut
/// short) are removed from the file, and those trials run again. A log that is missing,
/// shorter than the state, or recording other trials is refused: the two are not one run.
pub fn told_records(dir: &Path, told: &BTreeSet<u64>) -> anyhow::Result<Vec<TrialRecord>> {
    let path = records_path(dir);
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && told.is_empty() => Vec::new(),
        Err(e) => {
            return Err(e).with_context(|| {
                format!(
                    "cannot read {}, which should hold the {} trials state.json tells",
                    path.display(),
                    told.len()
                )
            });
        }
    };
    let text = String::from_utf8_lossy(&bytes);
    // The end of each whole (newline-ended), non-blank line.
    let mut ends = text
        .split_inclusive('\n')
        .scan(0, |end, line| {
            *end += line.len();
            Some((*end, line))
        })
        .filter(|(_, line)| line.ends_with('\n') && !line.trim().is_empty())
        .map(|(end, _)| end);
    let kept = if told.is_empty() {
        0
    } else {
        match ends.nth(told.len() - 1) {
            Some(end) => end,
            None => bail!(
                "{} holds fewer records than the {} trials state.json tells: they are not \
                 from one run",
                path.display(),
                told.len()
            ),
        }
    };
    let name = path.display().to_string();
    let records = TrialRecord::parse_jsonl(&name, &text[..kept]).map_err(anyhow::Error::msg)?;
    let ids: BTreeSet<u64> = records.iter().map(|r| r.id).collect();
    if ids != *told || records.len() != told.len() {
        bail!(
            "{} records other trials than state.json tells: they are not from one run",
            path.display()
        );
    }
    if kept < bytes.len() {
        let dropped = text[kept..]
            .lines()
            .filter(|l| !l.trim().is_empty())
            .count();
        write_atomically(&path, &text[..kept])?;
        eprintln!(
            "dropped {dropped} line(s) of {} written after the state was last saved: those \
             trials run again",
            path.display()
        );
    }
    Ok(records)
}

/// Takes the lock of run folder `dir` (the file `DIR/lock`), held until the returned file is
/// dropped; the system releases it when the process ends, killed or not. One process per run:
/// two writing one folder would interleave their trials.
pub fn lock(dir: &Path) -> anyhow::Result<File> {
    let path = dir.join("lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => bail!(
            "another sparse-explorer is running the search in {} (it holds {}): let it finish \
             or stop it first",
            dir.display(),
            path.display()
        ),
        Err(std::fs::TryLockError::Error(e)) => {
            Err(e).with_context(|| format!("cannot lock {}", path.display()))
        }
    }
}

/// Refuses to start a new run in `dir` when it holds another run's records or networks but no
/// state to resume them with (a new run would mix its trials with theirs).
pub fn check_unused(dir: &Path, networks: &Path) -> anyhow::Result<()> {
    let records = records_path(dir);
    let has_records = std::fs::metadata(&records).is_ok_and(|m| m.len() > 0);
    let has_networks =
        std::fs::read_dir(networks).is_ok_and(|mut entries| entries.next().is_some());
    if has_records || has_networks {
        bail!(
            "{} holds another run's {} but no state.json to resume it: choose another --out, \
             or empty the folder",
            dir.display(),
            if has_records {
                "trials.jsonl"
            } else {
                "networks"
            }
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use sparse_core::Architecture;

    fn record(id: u64) -> TrialRecord {
        let architecture: Architecture = serde_json::from_value(serde_json::json!({
            "input": [1, 4, 4], "classes": 2, "layers": [{"dense": {"units": 2}}]
        }))
        .unwrap();
        TrialRecord::failed(id, architecture, None, "test".into())
    }

    fn folder(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("run-folder-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn logged(dir: &Path, ids: &[u64]) {
        let mut log = RecordLog::open(dir).unwrap();
        for &id in ids {
            log.append(&record(id)).unwrap();
        }
    }

    fn told(ids: &[u64]) -> BTreeSet<u64> {
        ids.iter().copied().collect()
    }

    #[test]
    fn lines_written_after_the_state_are_dropped_from_the_file_too() {
        let dir = folder("after");
        logged(&dir, &[0, 2, 1]);
        // A kill mid-append left half a line behind the whole ones.
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(records_path(&dir))
            .unwrap();
        file.write_all(b"{\"id\": 3, \"archi").unwrap();
        let records = told_records(&dir, &told(&[0, 2])).unwrap();
        assert_eq!(records, vec![record(0), record(2)]);
        // The file now says what the state says, so a trial run again is not recorded twice.
        assert_eq!(told_records(&dir, &told(&[0, 2])).unwrap(), records);
        logged(&dir, &[1]);
        let all = told_records(&dir, &told(&[0, 1, 2])).unwrap();
        assert_eq!(all, vec![record(0), record(2), record(1)]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_log_that_is_missing_short_or_of_other_trials_is_refused() {
        let dir = folder("refused");
        assert_eq!(told_records(&dir, &told(&[])).unwrap(), vec![]);
        let error = |ids: &[u64]| told_records(&dir, &told(ids)).unwrap_err().to_string();
        assert!(error(&[0]).contains("which should hold the 1 trials"));
        logged(&dir, &[0, 1]);
        assert!(error(&[0, 1, 2]).contains("fewer records than the 3 trials"));
        assert!(error(&[0, 5]).contains("records other trials than state.json tells"));
        logged(&dir, &[1]);
        assert!(error(&[0, 1, 2]).contains("records other trials"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_new_run_is_refused_where_another_left_records_or_networks() {
        let dir = folder("unused");
        let networks = dir.join("networks");
        check_unused(&dir, &networks).unwrap();
        // A run killed before its first trial leaves an empty log: harmless.
        RecordLog::open(&dir).unwrap();
        check_unused(&dir, &networks).unwrap();
        logged(&dir, &[0]);
        let error = check_unused(&dir, &networks).unwrap_err().to_string();
        assert!(error.contains("another run's trials.jsonl"), "{error}");
        std::fs::remove_file(records_path(&dir)).unwrap();
        std::fs::create_dir_all(&networks).unwrap();
        std::fs::write(networks.join("0.json"), "{}").unwrap();
        let error = check_unused(&dir, &networks).unwrap_err().to_string();
        assert!(error.contains("another run's networks"), "{error}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn one_process_at_a_time_holds_a_run_folder() {
        let dir = folder("lock");
        let held = lock(&dir).unwrap();
        let error = lock(&dir).unwrap_err().to_string();
        assert!(
            error.starts_with("another sparse-explorer is running the search in"),
            "{error}"
        );
        drop(held);
        lock(&dir).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn an_atomic_write_replaces_the_whole_file_and_leaves_no_temporary() {
        let dir = folder("atomic");
        let path = dir.join("state.json");
        write_atomically(&path, "first, and longer").unwrap();
        write_atomically(&path, "second").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "second");
        assert!(!path.with_extension("tmp").exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
