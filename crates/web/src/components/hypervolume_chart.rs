//! Hypervolume against trials: how much of the objective space the Pareto front dominates,
//! one point per finished trial, so progress (or a stall) is visible at a glance.

use std::rc::Rc;
use yew::prelude::*;

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 150.0;
const LEFT: f64 = 52.0;
const PAD: f64 = 16.0;
const BOTTOM: f64 = 30.0;

/// Props of [`HypervolumeChart`].
#[derive(Properties, PartialEq)]
pub struct HypervolumeChartProps {
    /// The hypervolume after each finished trial, in order.
    pub values: Rc<Vec<f64>>,
}

/// A line from the first trial to the last.
#[function_component]
pub fn HypervolumeChart(props: &HypervolumeChartProps) -> Html {
    let n = props.values.len().max(2) as f64;
    let top = props.values.iter().copied().fold(0.05, f64::max) * 1.1;
    let x = |i: usize| LEFT + i as f64 / (n - 1.0) * (WIDTH - LEFT - PAD);
    let y = |v: f64| PAD + (1.0 - v / top) * (HEIGHT - PAD - BOTTOM);
    let points: String = props
        .values
        .iter()
        .enumerate()
        .map(|(i, &v)| format!("{:.1},{:.1} ", x(i), y(v)))
        .collect();
    let last = props.values.last().copied().unwrap_or(0.0);
    html! {
        <figure class="chart">
            <svg viewBox={format!("0 0 {WIDTH} {HEIGHT}")} role="img"
                aria-label="Hypervolume after each trial">
                <line class="axis" x1={LEFT.to_string()} y1={(HEIGHT - BOTTOM).to_string()}
                    x2={(WIDTH - PAD).to_string()} y2={(HEIGHT - BOTTOM).to_string()} />
                <line class="axis" x1={LEFT.to_string()} y1={PAD.to_string()}
                    x2={LEFT.to_string()} y2={(HEIGHT - BOTTOM).to_string()} />
                <text class="tick" x={(LEFT - 6.0).to_string()} y={format!("{:.1}", y(top) + 4.0)}
                    text-anchor="end">{ format!("{top:.2}") }</text>
                <text class="tick" x={(LEFT - 6.0).to_string()} y={format!("{:.1}", y(0.0) + 4.0)}
                    text-anchor="end">{ "0" }</text>
                <polyline class="line" points={points} />
                <text class="axis-label" x={format!("{}", (LEFT + WIDTH) / 2.0)}
                    y={(HEIGHT - 8.0).to_string()} text-anchor="middle">
                    { format!("trials ({}), hypervolume now {last:.4}", props.values.len()) }
                </text>
            </svg>
        </figure>
    }
}
