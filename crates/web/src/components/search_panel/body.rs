//! The search panel below its controls: a live run's status line, worker badges and results,
//! an opened run's results, or what the buttons do.

use super::state::OpenedRun;
use super::{Msg, SearchPanel, now_ms};
use crate::components::pareto_chart::ParetoChart;
use crate::components::run_status::{status_line, worker_badges};
use crate::components::search_results::{SearchResults, SelectedDetails};
use crate::design::with_density;
use crate::lineage::lineage;
use sparse_core::TrialRecord;
use sparse_core::cost::{Budget, cost};
use sparse_search::pareto_front_of_records;
use std::rc::Rc;
use std::sync::Arc;
use yew::prelude::*;

impl SearchPanel {
    /// The live run's status and results, an opened run's results, or what the buttons do.
    pub(super) fn view_body(&self, ctx: &Context<Self>) -> Html {
        let link = ctx.link();
        let own = ctx.props().own.clone();
        let on_design = ctx.props().on_design.clone();
        let board = self.state.form.board();
        let results = |records: Arc<Vec<TrialRecord>>, front, budget, details| {
            html! {
                <SearchResults {records} front={Rc::new(front)} {budget} selected={self.state.selected}
                    {details} order={self.state.order} on_select={link.callback(Msg::Select)}
                    on_sort={link.callback(Msg::Sort)} on_export={link.callback(|_| Msg::Export)}
                    own={own.clone()} on_design={on_design.clone()} board={board.clone()} />
            }
        };
        let form_budget = self.state.form.budget().unwrap_or(Budget::new(1, 1));
        match (&self.run, &self.state.opened) {
            (Some(run), _) => {
                let details = self
                    .state
                    .selected
                    .map(|id| {
                        let search = run.driver().search();
                        let before = search.trials().get(id as usize).and_then(|t| {
                            cost(&t.candidate.genome.architecture(search.space())).ok()
                        });
                        SelectedDetails {
                            curve: run.curve(id).to_vec(),
                            confusion: run.confusion(id).cloned(),
                            int8: run.int8_model(id).cloned().map(Rc::new),
                            lineage: lineage(run.records(), id, Some(search)),
                            before,
                        }
                    })
                    .unwrap_or_default();
                let loading = (0..run.busy().len()).any(|w| !self.pool.is_ready(w));
                let status = status_line(run, loading, now_ms(), self.started_ms, self.ended_ms);
                html! {
                    <>
                        <p class="status" data-testid="search-status">{ status }</p>
                        <div class="workers">{ worker_badges(run, |w| self.pool.is_ready(w)) }</div>
                        { results(run.records().clone(), run.pareto_front(), run.budget(), details) }
                    </>
                }
            }
            (None, Some(OpenedRun { name, records })) => {
                let budget = form_budget;
                let front = pareto_front_of_records(records, budget);
                html! {
                    <>
                        <p class="status" data-testid="search-status">{ format!(
                            "Opened {name}: {} trials, judged against the budget above.", records.len()) }</p>
                        { results(records.clone(), front, budget, self.opened_details(records)) }
                    </>
                }
            }
            (None, None) => html! {
                <>
                    <p class="hint">{
                        "Quick demo runs 60 short trials on a slice of MNIST within the budget above, so a \
                         Pareto front appears in seconds and evolves for about a minute; Start search runs \
                         the whole setup on all of MNIST."
                    }</p>
                    if !own.is_empty() {
                        // Only the student's networks so far: the chart the search will fill.
                        <ParetoChart records={Arc::<Vec<TrialRecord>>::default()} front={Rc::new(Vec::new())}
                            budget={form_budget} selected={None::<u64>} on_select={Callback::noop()}
                            own={own.clone()} />
                    }
                </>
            },
        }
    }

    /// What an opened run's records tell of the selected trial: its lineage, and its weights
    /// before pruning (the filters Bayesian Compression removed are not in the file).
    fn opened_details(&self, records: &[TrialRecord]) -> SelectedDetails {
        let Some(id) = self.state.selected else {
            return SelectedDetails::default();
        };
        SelectedDetails {
            lineage: lineage(records, id, None),
            before: records
                .iter()
                .find(|r| r.id == id)
                .and_then(|r| cost(&with_density(&r.architecture, None)).ok()),
            ..SelectedDetails::default()
        }
    }
}
