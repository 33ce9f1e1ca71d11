//! The search's main view: every trained candidate as a point of validation error against
//! model size, coloured by working memory as a share of the SRAM budget, Pareto members filled
//! and joined, dominated ones hollow, with the flash budget drawn as a line; and the student's
//! own networks (design mode) as diamonds, to compare with the search's front.

use super::keys::select_on_key;
use sparse_core::TrialRecord;
use sparse_core::cost::Budget;
use sparse_search::Outcome;
use std::rc::Rc;
use std::sync::Arc;
use yew::prelude::*;

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 300.0;
const LEFT: f64 = 52.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 14.0;
const BOTTOM: f64 = 40.0;

/// Props of [`ParetoChart`].
#[derive(Properties, PartialEq)]
pub struct ParetoChartProps {
    /// Finished trials (failed ones are not drawn).
    pub records: Arc<Vec<TrialRecord>>,
    /// Ids of the Pareto members.
    pub front: Rc<Vec<u64>>,
    /// The budget (flash as model size, SRAM as working memory).
    pub budget: Budget,
    /// The selected trial.
    pub selected: Option<u64>,
    /// A point was clicked.
    pub on_select: Callback<u64>,
    /// The student's own trained networks (design mode).
    #[prop_or_default]
    pub own: Rc<Vec<TrialRecord>>,
}

/// A colour from green (little working memory) through amber to red (the whole SRAM budget).
pub fn memory_colour(share: f64) -> String {
    let s = share.clamp(0.0, 1.0);
    let hue = 130.0 * (1.0 - s);
    format!("hsl({hue:.0}, 70%, 42%)")
}

/// The scatter plot with its axes, budget line and legend.
#[function_component]
pub fn ParetoChart(props: &ParetoChartProps) -> Html {
    let trained: Vec<&TrialRecord> = props.records.iter().filter(|r| r.is_trained()).collect();
    let own: Vec<&TrialRecord> = props.own.iter().filter(|r| r.is_trained()).collect();
    let size = |r: &TrialRecord| r.model_size_bytes.unwrap_or(0) as f64;
    let error = |r: &TrialRecord| 1.0 - r.val_accuracy.unwrap_or(0.0);
    let fits = |r: &TrialRecord| Outcome::of_record(r).fits(props.budget);
    // The axis spans the budget, unless the networks are all far smaller: then it zooms to
    // them and the budget line becomes a label at the edge, so points are not crowded left.
    let largest = trained
        .iter()
        .chain(&own)
        .map(|r| size(r))
        .fold(1.0, f64::max);
    let budget = props.budget.flash_bytes as f64;
    let budget_shown = budget <= largest * 4.0;
    let max_x = if budget_shown {
        largest.max(budget)
    } else {
        largest
    } * 1.05;
    let max_y = trained
        .iter()
        .chain(&own)
        .map(|r| error(r))
        .fold(0.1, f64::max)
        .min(1.0)
        * 1.05;
    let x = |v: f64| LEFT + v / max_x * (WIDTH - LEFT - RIGHT);
    let y = |v: f64| TOP + (1.0 - v / max_y) * (HEIGHT - TOP - BOTTOM);
    let mut front: Vec<&TrialRecord> = trained
        .iter()
        .copied()
        .filter(|r| props.front.contains(&r.id))
        .collect();
    front.sort_by(|a, b| size(a).total_cmp(&size(b)));
    // The front as a staircase over size: the best error reachable within each size.
    let mut best = f64::INFINITY;
    let stairs: String = front
        .iter()
        .filter(|r| {
            let better = error(r) < best;
            best = best.min(error(r));
            better
        })
        .map(|r| format!("{:.1},{:.1} ", x(size(r)), y(error(r))))
        .collect();
    let budget_x = x(props.budget.flash_bytes as f64);
    let ticks_x: Html = (0..=4)
        .map(|i| {
            let v = max_x * i as f64 / 4.0;
            html! {
                <text x={format!("{:.1}", x(v))} y={format!("{}", HEIGHT - BOTTOM + 16.0)}
                    class="tick" text-anchor="middle">{ format!("{:.0}", v) }</text>
            }
        })
        .collect();
    let ticks_y: Html = (0..=4)
        .map(|i| {
            let v = max_y * i as f64 / 4.0;
            html! {
                <text x={format!("{}", LEFT - 6.0)} y={format!("{:.1}", y(v) + 4.0)}
                    class="tick" text-anchor="end">{ format!("{:.0}%", v * 100.0) }</text>
            }
        })
        .collect();
    let points: Html = trained
        .iter()
        .map(|r| {
            let share =
                r.working_memory_bytes.unwrap_or(0) as f64 / props.budget.sram_bytes.max(1) as f64;
            // Only an opened run (searched under another budget) can hold such points.
            let feasible = fits(r);
            let on_front = feasible && props.front.contains(&r.id);
            let colour = memory_colour(share);
            let (fill, stroke) = match (feasible, on_front) {
                (false, _) => ("white".to_string(), "#b42318".to_string()),
                (true, true) => (colour.clone(), colour),
                (true, false) => ("white".to_string(), "#9aa4b2".to_string()),
            };
            let id = r.id;
            let on_select = props.on_select.clone();
            let selected = props.selected == Some(id);
            // Pareto members take the keyboard (Tab, then Enter or Space); every trial, these
            // included, is also a row of the table below.
            let (tabindex, role, on_key) = if on_front {
                (
                    Some("0"),
                    Some("button"),
                    Some(select_on_key(&props.on_select, id)),
                )
            } else {
                (None, None, None)
            };
            let title = format!(
                "trial {id}: {:.2}% validation accuracy, {} B model size, {} B working memory{}",
                r.val_accuracy.unwrap_or(0.0) * 100.0,
                r.model_size_bytes.unwrap_or(0),
                r.working_memory_bytes.unwrap_or(0),
                match (feasible, on_front) {
                    (false, _) => " (over the budget)",
                    (true, true) => " (Pareto member)",
                    (true, false) => " (dominated)",
                }
            );
            let label = on_front.then(|| title.clone());
            html! {
                // Keyed by trial, so a focused point stays that trial's as others arrive.
                <circle key={id} data-testid="pareto-point" data-trial={id.to_string()}
                    data-front={on_front.to_string()} data-feasible={feasible.to_string()}
                    stroke-dasharray={if feasible { "none" } else { "2 2" }}
                    class={classes!("point", selected.then_some("selected"))}
                    cx={format!("{:.1}", x(size(r)))} cy={format!("{:.1}", y(error(r)))}
                    r={if selected { "7" } else { "5" }} fill={fill} stroke={stroke}
                    {tabindex} {role} aria-label={label}
                    onclick={Callback::from(move |_: MouseEvent| on_select.emit(id))}
                    onkeydown={on_key}>
                    <title>{ title }</title>
                </circle>
            }
        })
        .collect();
    let own_points: Html = own
        .iter()
        .enumerate()
        .map(|(n, r)| {
            let (cx, cy) = (x(size(r)), y(error(r)));
            let feasible = fits(r);
            let title = format!(
                "your network {}: {:.2}% validation accuracy, {} B model size, {} B working \
                 memory{}",
                n + 1,
                r.val_accuracy.unwrap_or(0.0) * 100.0,
                r.model_size_bytes.unwrap_or(0),
                r.working_memory_bytes.unwrap_or(0),
                if feasible { "" } else { " (over the budget)" }
            );
            html! {
                <path data-testid="pareto-point-own" data-feasible={feasible.to_string()} class="point own"
                    d={format!("M{cx:.1} {:.1} L{:.1} {cy:.1} L{cx:.1} {:.1} L{:.1} {cy:.1} Z",
                               cy - 7.0, cx + 7.0, cy + 7.0, cx - 7.0)}>
                    <title>{ title }</title>
                </path>
            }
        })
        .collect();
    html! {
        <figure class="chart pareto">
            <svg viewBox={format!("0 0 {WIDTH} {HEIGHT}")} role="group"
                aria-label="Validation error against model size for every trained candidate; \
                            Tab reaches the Pareto members">
                <line class="axis" x1={LEFT.to_string()} y1={(HEIGHT - BOTTOM).to_string()}
                    x2={(WIDTH - RIGHT).to_string()} y2={(HEIGHT - BOTTOM).to_string()} />
                <line class="axis" x1={LEFT.to_string()} y1={TOP.to_string()}
                    x2={LEFT.to_string()} y2={(HEIGHT - BOTTOM).to_string()} />
                { ticks_x }
                { ticks_y }
                if budget_shown {
                    <line class="budget" x1={format!("{budget_x:.1}")} y1={TOP.to_string()}
                        x2={format!("{budget_x:.1}")} y2={(HEIGHT - BOTTOM).to_string()} />
                    <text class="budget-label" x={format!("{:.1}", budget_x - 4.0)} y={(TOP + 12.0).to_string()}
                        text-anchor="end">{ "flash budget" }</text>
                } else {
                    <text class="budget-label" x={(WIDTH - RIGHT).to_string()} y={(TOP + 12.0).to_string()}
                        text-anchor="end">{ format!("flash budget {budget:.0} B, off the chart →") }</text>
                }
                <polyline class="front" points={stairs} />
                { points }
                { own_points }
                <text class="axis-label" x={format!("{}", (LEFT + WIDTH - RIGHT) / 2.0)}
                    y={(HEIGHT - 6.0).to_string()} text-anchor="middle">
                    { "model size (bytes of non-zero int8 parameters)" }
                </text>
                <text class="axis-label" transform={format!("translate(13 {}) rotate(-90)", (TOP + HEIGHT - BOTTOM) / 2.0)}
                    text-anchor="middle">{ "validation error" }</text>
            </svg>
            <figcaption class="legend">
                <span><svg width="12" height="12"><circle cx="6" cy="6" r="5" fill={memory_colour(0.1)} /></svg>
                    { " Pareto member, colour = working memory: " }</span>
                <span class="gradient" />
                <span>{ " little → the whole SRAM budget; " }</span>
                <span><svg width="12" height="12"><circle cx="6" cy="6" r="5" fill="white" stroke="#9aa4b2" /></svg>
                    { " dominated; " }</span>
                <span><svg width="12" height="12"><circle cx="6" cy="6" r="5" fill="white" stroke="#b42318" stroke-dasharray="2 2" /></svg>
                    { " over the budget (opened runs); " }</span>
                <span><svg width="14" height="14"><path class="point own" d="M7 1 L13 7 L7 13 L1 7 Z" /></svg>
                    { " your own networks (Build your own)" }</span>
            </figcaption>
        </figure>
    }
}
