//! What a running search says about itself: one status line (phase, trials, workers,
//! hypervolume, rejections, rate, teacher) and one badge per worker.

use crate::search_run::{Phase, SearchRun};
use yew::prelude::*;

/// The search's status line at `now` (ms), for a run started at `started_ms` and ended at
/// `ended_ms` if it has; `loading` while some worker is still loading the dataset.
pub fn status_line(
    run: &SearchRun,
    loading: bool,
    now: f64,
    started_ms: f64,
    ended_ms: Option<f64>,
) -> String {
    let done = run.records().len();
    let busy = run.busy().iter().flatten().count();
    let minutes = (ended_ms.unwrap_or(now) - started_ms) / 60_000.0;
    let rate = if minutes > 0.0 {
        done as f64 / minutes
    } else {
        0.0
    };
    let teacher = run.teacher();
    let phase = match run.phase() {
        Phase::Running if loading => "Running (workers loading the dataset)".to_string(),
        Phase::Running if teacher.is_some_and(|t| t.model().is_none()) => {
            let done = teacher.and_then(|t| t.training()).map_or(0.0, |(_, f)| f);
            format!("Running: training the teacher first ({:.0}%)", done * 100.0)
        }
        Phase::Running => match run.deadline(now) {
            Some(d) if d.closing() => {
                format!("Running: finishing the leaders ({:.0} s left)", d.left_s())
            }
            Some(d) => format!("Running ({:.0} min left)", d.left_s() / 60.0),
            None => "Running".into(),
        },
        Phase::Paused => "Paused".into(),
        Phase::Stopping => "Stopping".into(),
        Phase::Stopped => "Stopped".into(),
        Phase::Finished => "Finished".into(),
        Phase::Failed(why) => format!("Failed: {why}"),
    };
    let taught = match teacher.map(|t| (t.model(), t.accuracy())) {
        Some((Some(_), Some(accuracy))) => format!(
            " · distilled from a teacher of {:.2}% validation accuracy",
            accuracy * 100.0
        ),
        Some((Some(_), None)) => " · distilled from the saved teacher".into(),
        _ => String::new(),
    };
    format!(
        "{phase} · {done}/{} trials · {busy} of {} workers busy · hypervolume {:.4} · \
         {} draws rejected by the budget · {rate:.1} trials/min{taught}",
        run.setup().trials,
        run.busy().len(),
        run.hypervolume(),
        run.driver().search().rejected(),
    )
}

/// One badge per worker of `run`: loading the dataset (not `ready`), its trial and how far
/// it is, the teacher, or idle.
pub fn worker_badges(run: &SearchRun, ready: impl Fn(usize) -> bool) -> Html {
    run.busy()
        .iter()
        .enumerate()
        .map(|(i, trial)| {
            let teacher = run
                .teacher()
                .and_then(|t| t.training())
                .filter(|(w, _)| *w == i);
            let text = match (ready(i), trial, teacher) {
                (false, _, _) => format!("worker {}: loading the dataset", i + 1),
                (true, Some(id), _) => {
                    let done = run.curve(*id).last().map_or(0.0, |p| p.fraction_done);
                    format!("worker {}: trial {id} ({:.0}%)", i + 1, done * 100.0)
                }
                (true, None, Some((_, done))) => {
                    format!(
                        "worker {}: training the teacher ({:.0}%)",
                        i + 1,
                        done * 100.0
                    )
                }
                (true, None, None) => format!("worker {}: idle", i + 1),
            };
            html! {
                <span class="worker" data-testid="worker-status"
                    data-busy={(trial.is_some() || teacher.is_some()).to_string()}>{ text }</span>
            }
        })
        .collect()
}
