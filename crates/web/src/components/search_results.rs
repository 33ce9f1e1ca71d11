//! A search's results, live or opened from a file: the Pareto chart (with the student's own
//! networks beside the search's), the hypervolume over trials, the selected candidate, the
//! export button and the table of trials.

use super::candidate_view::CandidateView;
use super::hypervolume_chart::HypervolumeChart;
use super::pareto_chart::ParetoChart;
use super::trial_table::{Column, SortOrder, TrialTable};
use crate::lineage::LineageStep;
use crate::protocol::CurvePoint;
use sparse_core::boards::Board;
use sparse_core::cost::{Budget, CostReport};
use sparse_core::quant::QuantModel;
use sparse_core::{Architecture, TrialRecord};
use std::rc::Rc;
use std::sync::Arc;
use yew::prelude::*;

/// What is known of the selected trial beyond its record.
#[derive(Clone, Default, PartialEq)]
pub struct SelectedDetails {
    /// Its training curve (a live run's).
    pub curve: Vec<CurvePoint>,
    /// Its test confusion matrix, when its worker sent one.
    pub confusion: Option<Vec<Vec<u32>>>,
    /// Its int8 model, while kept.
    pub int8: Option<Rc<QuantModel>>,
    /// Its lineage, oldest first.
    pub lineage: Vec<LineageStep>,
    /// The cost of its network before pruning, for the before → after figure.
    pub before: Option<CostReport>,
}

/// Props of [`SearchResults`].
#[derive(Properties, PartialEq)]
pub struct SearchResultsProps {
    /// The trials.
    pub records: Arc<Vec<TrialRecord>>,
    /// Ids of the Pareto members.
    pub front: Rc<Vec<u64>>,
    /// The budget they are judged against.
    pub budget: Budget,
    /// The selected trial, if any.
    pub selected: Option<u64>,
    /// What is known of the selected trial beyond its record.
    pub details: SelectedDetails,
    /// The table's order.
    pub order: SortOrder,
    /// A trial was selected.
    pub on_select: Callback<u64>,
    /// A table header was clicked.
    pub on_sort: Callback<Column>,
    /// Export was clicked.
    pub on_export: Callback<()>,
    /// "Build on this" was clicked for a candidate: its architecture.
    pub on_design: Callback<Architecture>,
    /// The student's own trained networks, drawn beside the search's.
    #[prop_or_default]
    pub own: Rc<Vec<TrialRecord>>,
    /// The board chosen in the form, whose estimated latency the table and the card show.
    #[prop_or_default]
    pub board: Option<Board>,
}

/// The charts, the selected candidate and the table.
#[function_component]
pub fn SearchResults(props: &SearchResultsProps) -> Html {
    let records = &props.records;
    let hypervolumes = Rc::new(records.iter().map(|r| r.hypervolume).collect::<Vec<_>>());
    let selected = props
        .selected
        .and_then(|id| records.iter().find(|r| r.id == id))
        .cloned();
    let budget = props.budget;
    let on_export = props.on_export.reform(|_| ());
    html! {
        <>
            <ParetoChart records={records.clone()} front={props.front.clone()} {budget}
                selected={props.selected} on_select={props.on_select.clone()} own={props.own.clone()} />
            <p class="hint">{
                "Pareto front: a filled point is a network no other candidate beats on error, \
                 model size and working memory together; a hollow one is beaten by some other on \
                 all three. Each step of mobo weighs the three objectives at random \
                 (a random scalarisation; every third step, the error alone), so over many steps the \
                 whole front gets explored."
            }</p>
            <HypervolumeChart values={hypervolumes} />
            <p class="hint">{
                "Hypervolume: the share of the (error × size/budget × memory/budget) cube the front \
                 dominates. It grows as trials find better networks (a flat stretch: nothing better) and \
                 can dip when a network trained on measures a little worse than before, since \
                 each network counts at its latest measure."
            }</p>
            if let Some(record) = selected {
                <CandidateView record={record.clone()}
                    parent_epochs={record.parent.and_then(|p| records.iter().find(|r| r.id == p)).and_then(|p| p.epochs)}
                    curve={props.details.curve.clone()}
                    confusion={props.details.confusion.clone()}
                    int8={props.details.int8.clone()}
                    lineage={props.details.lineage.clone()}
                    before={props.details.before.clone()}
                    {budget} on_select={props.on_select.clone()} on_design={props.on_design.clone()}
                    board={props.board.clone()} />
            }
            <div class="controls">
                <button class="secondary" data-testid="export-run" onclick={on_export}>
                    { "Export trials (trials.jsonl)" }
                </button>
            </div>
            <TrialTable records={records.clone()} front={props.front.clone()} order={props.order}
                on_sort={props.on_sort.clone()} selected={props.selected} on_select={props.on_select.clone()}
                board={props.board.clone()} />
        </>
    }
}
