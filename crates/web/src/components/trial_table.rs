//! Every finished trial as a table row, sortable by any column; clicking a row selects it.

use super::keys::select_on_key;
use sparse_core::TrialRecord;
use sparse_core::boards::Board;
use sparse_core::cost::cost;
use std::cmp::Ordering;
use std::rc::Rc;
use std::sync::Arc;
use yew::prelude::*;

/// A sortable column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Column {
    /// Trial id.
    Id,
    /// Validation accuracy.
    Accuracy,
    /// int8 test accuracy.
    Int8,
    /// Model size.
    ModelSize,
    /// Working memory.
    WorkingMemory,
    /// Multiply-accumulates.
    Macs,
    /// Estimated latency on the board chosen.
    Latency,
    /// Epochs trained in all (with the trials it continues).
    Epochs,
    /// Seconds to train and score.
    Seconds,
}

impl Column {
    /// Header text.
    fn title(self) -> &'static str {
        match self {
            Column::Id => "trial",
            Column::Accuracy => "val. acc.",
            Column::Int8 => "int8 test acc.",
            Column::ModelSize => "model size B",
            Column::WorkingMemory => "working mem. B",
            Column::Macs => "MACs",
            Column::Latency => "latency ms",
            Column::Epochs => "epochs",
            Column::Seconds => "seconds",
        }
    }

    /// The value sorted on (missing values sort last); latency on `board`.
    fn key(self, r: &TrialRecord, board: Option<&Board>) -> Option<f64> {
        match self {
            Column::Id => Some(r.id as f64),
            Column::Accuracy => r.val_accuracy,
            Column::Int8 => r.int8_test_accuracy,
            Column::ModelSize => r.model_size_bytes.map(|v| v as f64),
            Column::WorkingMemory => r.working_memory_bytes.map(|v| v as f64),
            Column::Macs => r.macs.map(|v| v as f64),
            Column::Latency => latency_ms(r, board?),
            Column::Epochs => r.epochs.map(|v| v as f64),
            Column::Seconds => Some(r.train_seconds),
        }
    }
}

/// The order of the rows: a column and whether it ascends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SortOrder {
    /// The column sorted on.
    pub column: Column,
    /// Smallest first.
    pub ascending: bool,
}

/// The estimated milliseconds of one inference of a trained trial's network on `board`.
fn latency_ms(r: &TrialRecord, board: &Board) -> Option<f64> {
    let report = cost(&r.architecture).ok()?;
    r.is_trained().then(|| board.latency_ms(&report.workload))?
}

/// Props of [`TrialTable`].
#[derive(Properties, PartialEq)]
pub struct TrialTableProps {
    /// Finished trials.
    pub records: Arc<Vec<TrialRecord>>,
    /// Ids of the Pareto members (marked).
    pub front: Rc<Vec<u64>>,
    /// The row order.
    pub order: SortOrder,
    /// A header was clicked.
    pub on_sort: Callback<Column>,
    /// The selected trial.
    pub selected: Option<u64>,
    /// A row was clicked.
    pub on_select: Callback<u64>,
    /// The board whose estimated latency the table shows (none: no latency column).
    #[prop_or_default]
    pub board: Option<Board>,
}

fn percent(v: Option<f64>) -> String {
    v.map_or("–".into(), |v| format!("{:.2}%", v * 100.0))
}

fn count(v: Option<u64>) -> String {
    v.map_or("–".into(), |v| v.to_string())
}

/// The table.
#[function_component]
pub fn TrialTable(props: &TrialTableProps) -> Html {
    let mut rows: Vec<&TrialRecord> = props.records.iter().collect();
    let order = props.order;
    let board = props.board.as_ref().filter(|b| b.latency_core().is_some());
    rows.sort_by(|a, b| {
        let (ka, kb) = (order.column.key(a, board), order.column.key(b, board));
        match (ka, kb) {
            (Some(x), Some(y)) if order.ascending => x.total_cmp(&y),
            (Some(x), Some(y)) => y.total_cmp(&x),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        }
        .then(a.id.cmp(&b.id))
    });
    let header = |column: Column| {
        let on_sort = props.on_sort.clone();
        let arrow = match (order.column == column, order.ascending) {
            (true, true) => " ▲",
            (true, false) => " ▼",
            (false, _) => "",
        };
        let sort = match (order.column == column, order.ascending) {
            (true, true) => "ascending",
            (true, false) => "descending",
            (false, _) => "none",
        };
        html! {
            <th aria-sort={sort}>
                <button class="sort" onclick={Callback::from(move |_: MouseEvent| on_sort.emit(column))}>
                    { column.title() }{ arrow }
                </button>
            </th>
        }
    };
    let body: Html = rows
        .iter()
        .map(|r| {
            let id = r.id;
            let on_select = props.on_select.clone();
            // Rows take the keyboard too: Tab to one, Enter or Space selects it.
            let on_key = select_on_key(&props.on_select, id);
            let on_front = props.front.contains(&id);
            let class = classes!(
                (props.selected == Some(id)).then_some("selected"),
                (!r.is_trained()).then_some("failed")
            );
            html! {
                <tr data-testid="trial-row" data-trial={id.to_string()} {class} tabindex="0"
                    onclick={Callback::from(move |_: MouseEvent| on_select.emit(id))} onkeydown={on_key}>
                    <td>{ id }{ if on_front { " ★" } else { "" } }</td>
                    <td>{ r.parent.map_or("–".into(), |p| p.to_string()) }</td>
                    <td title={r.reason.clone().unwrap_or_default()}>{ &r.status }</td>
                    <td>{ percent(r.val_accuracy) }</td>
                    <td>{ percent(r.int8_test_accuracy) }</td>
                    <td>{ count(r.model_size_bytes) }</td>
                    <td>{ count(r.working_memory_bytes) }</td>
                    <td>{ count(r.macs) }</td>
                    if let Some(board) = board {
                        <td data-testid="trial-latency">{
                            latency_ms(r, board).map_or("–".into(), |ms| format!("{ms:.1}"))
                        }</td>
                    }
                    <td>{ r.epochs.map_or("–".into(), |e| e.to_string()) }</td>
                    <td>{ format!("{:.1}", r.train_seconds) }</td>
                </tr>
            }
        })
        .collect();
    html! {
        <div class="table-wrap">
            <table class="trials">
                <thead>
                    <tr>
                        { header(Column::Id) }
                        <th>{ "parent" }</th>
                        <th>{ "status" }</th>
                        { header(Column::Accuracy) }
                        { header(Column::Int8) }
                        { header(Column::ModelSize) }
                        { header(Column::WorkingMemory) }
                        { header(Column::Macs) }
                        if board.is_some() {
                            { header(Column::Latency) }
                        }
                        { header(Column::Epochs) }
                        { header(Column::Seconds) }
                    </tr>
                </thead>
                <tbody>{ body }</tbody>
            </table>
        </div>
    }
}
