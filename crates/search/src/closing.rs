//! A time-limited search's closing minutes. Training by promise leaves the newest leaders at a
//! low rung when the time runs out (on MNIST's SpArSe budget, the hour's most accurate network
//! had trained 9 of its 81 epochs). In the last share of the time, each new trial instead
//! trains the most accurate Pareto member not yet fully trained on towards the top rung, as far
//! as the time left allows, so a run ends with its leaders trained to convergence. The CLI and
//! the page both ask here.

use crate::Search;
use sparse_core::TrialRecord;

/// The share of a time limit spent finishing the leaders unless the user says otherwise. On
/// MNIST's SpArSe budget a leader takes 3 to 5 minutes of one core from 9 epochs to 81.
pub const DEFAULT_CLOSING_SHARE: f64 = 0.15;

/// A search's time limit and how much of it has gone.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Deadline {
    /// Seconds the search may start trials for.
    pub limit_s: f64,
    /// Seconds gone.
    pub elapsed_s: f64,
    /// The last share of `limit_s` (0 to 1) spent finishing the leaders.
    pub closing_share: f64,
}

impl Deadline {
    /// Seconds left (none once the limit has passed).
    pub fn left_s(&self) -> f64 {
        (self.limit_s - self.elapsed_s).max(0.0)
    }

    /// Whether the limit has passed: no new trial starts.
    pub fn passed(&self) -> bool {
        self.elapsed_s >= self.limit_s
    }

    /// Whether the search is in its closing share.
    pub fn closing(&self) -> bool {
        self.left_s() <= self.limit_s * self.closing_share
    }
}

/// In the closing share of `deadline`: the most accurate Pareto member of `search` not yet
/// fully trained ([`Search::unfinished_leader`]) whose network the driver keeps (`kept`), with
/// the epochs to train it on: to the top rung, or as many as the time left allows at the pace
/// its last trial trained (`records`' `train_seconds`), at least one. `None` before the
/// closing share, after the limit, and when no leader is left to finish.
pub fn leader_to_finish(
    search: &Search,
    records: &[TrialRecord],
    kept: impl Fn(u64) -> bool,
    deadline: Deadline,
) -> Option<(u64, usize)> {
    if deadline.passed() || !deadline.closing() {
        return None;
    }
    let (of, epochs) = search.unfinished_leader()?;
    if !kept(of) {
        return None;
    }
    let trained = search.trials()[of as usize].candidate.epochs.max(1) as f64;
    let per_epoch = records.iter().find(|r| r.id == of)?.train_seconds / trained;
    let affordable = if per_epoch > 0.0 {
        (deadline.left_s() / per_epoch).floor() as usize
    } else {
        epochs
    };
    Some((of, epochs.min(affordable).max(1)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Algorithm, Objectives, Outcome, Schedule};
    use sparse_core::boards::Board;
    use sparse_core::cost::cost;
    use sparse_core::space::SearchSpace;

    /// A search of three one-epoch trials (most accurate last), each trained in 10 s, and
    /// their records.
    fn three_trials() -> (Search, Vec<TrialRecord>) {
        let budget = Board::preset("arduino-uno").unwrap().budget();
        let space = SearchSpace::sparse([1, 28, 28], 10);
        let mut search = Search::new(space, budget, Algorithm::Random, 4)
            .with_schedule(Schedule::by_promise(1, 27));
        let mut records = Vec::new();
        for i in 0..3 {
            let c = search.ask().unwrap();
            let architecture = c.genome.architecture(search.space());
            let report = cost(&architecture).unwrap();
            let objectives = Objectives {
                val_accuracy: 0.9 + 0.01 * i as f64,
                // Of one size and memory, so only the most accurate is on the front.
                model_size_bytes: 1000,
                working_memory_bytes: 1000,
                macs: report.macs,
                flash_bytes: None,
                work: None,
            };
            search.tell(c.id, Outcome::Trained(objectives)).unwrap();
            let mut record = TrialRecord::failed(c.id, architecture, None, String::new());
            record.train_seconds = 10.0;
            records.push(record);
        }
        (search, records)
    }

    fn deadline(elapsed_s: f64) -> Deadline {
        Deadline {
            limit_s: 3000.0,
            elapsed_s,
            closing_share: DEFAULT_CLOSING_SHARE,
        }
    }

    #[test]
    fn only_the_closing_share_finishes_leaders_as_far_as_the_time_left_allows() {
        let (search, records) = three_trials();
        let kept = |_| true;
        // The closing share is the last 450 s of 3000.
        assert_eq!(
            leader_to_finish(&search, &records, kept, deadline(2500.0)),
            None
        );
        // 400 s left at 10 s an epoch: to the top rung, 26 epochs on.
        assert_eq!(
            leader_to_finish(&search, &records, kept, deadline(2600.0)),
            Some((2, 26))
        );
        // 95 s left: 9 epochs on.
        assert_eq!(
            leader_to_finish(&search, &records, kept, deadline(2905.0)),
            Some((2, 9))
        );
        // Almost no time left: still one.
        assert_eq!(
            leader_to_finish(&search, &records, kept, deadline(2999.0)),
            Some((2, 1))
        );
        assert_eq!(
            leader_to_finish(&search, &records, kept, deadline(3000.0)),
            None
        );
        // A leader whose network was dropped cannot be trained on.
        assert_eq!(
            leader_to_finish(&search, &records, |id| id != 2, deadline(2900.0)),
            None
        );
    }

    #[test]
    fn a_closing_share_of_nothing_never_closes() {
        let (search, records) = three_trials();
        let never = Deadline {
            closing_share: 0.0,
            ..deadline(2990.0)
        };
        assert!(!never.closing());
        assert_eq!(leader_to_finish(&search, &records, |_| true, never), None);
    }
}
