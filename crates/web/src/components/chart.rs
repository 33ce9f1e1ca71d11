//! The live training curve: loss or batch accuracy against the fraction of training done,
//! drawn as SVG.

use crate::protocol::CurvePoint;
use crate::state::Metric;
use std::rc::Rc;
use yew::prelude::*;

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 220.0;
const PAD: f64 = 36.0;

/// Props of [`Chart`].
#[derive(Properties, PartialEq)]
pub struct ChartProps {
    /// The curve so far.
    pub curve: Rc<Vec<CurvePoint>>,
    /// Which metric to draw.
    pub metric: Metric,
    /// A metric tab was clicked.
    pub on_metric: Callback<Metric>,
}

/// Tabs for the metric and the SVG curve.
#[function_component]
pub fn Chart(props: &ChartProps) -> Html {
    let value = |p: &CurvePoint| match props.metric {
        Metric::Loss => f64::from(p.loss),
        Metric::Accuracy => f64::from(p.accuracy),
    };
    let top = match props.metric {
        Metric::Loss => props
            .curve
            .iter()
            .map(value)
            .fold(0.5, f64::max)
            .ceil()
            .min(10.0),
        Metric::Accuracy => 1.0,
    };
    let x = |f: f64| PAD + f * (WIDTH - 2.0 * PAD);
    let y = |v: f64| HEIGHT - PAD - (v / top).clamp(0.0, 1.0) * (HEIGHT - 2.0 * PAD);
    let points: String = props
        .curve
        .iter()
        .map(|p| format!("{:.1},{:.1} ", x(p.fraction_done), y(value(p))))
        .collect();
    let tab = |metric: Metric, label: &str, testid: &str| {
        let on_metric = props.on_metric.clone();
        html! {
            <button class="tab" data-testid={testid.to_string()}
                aria-pressed={(props.metric == metric).to_string()}
                onclick={Callback::from(move |_: MouseEvent| on_metric.emit(metric))}>
                { label }
            </button>
        }
    };
    let label = match props.metric {
        Metric::Loss => "training loss (cross-entropy)",
        Metric::Accuracy => "training batch accuracy",
    };
    let ticks = [0.0, 0.5, 1.0];
    html! {
        <section class="panel">
            <h2>{ "Learning curve" }</h2>
            <div class="tabs">
                { tab(Metric::Loss, "Loss", "chart-loss") }
                { tab(Metric::Accuracy, "Accuracy", "chart-accuracy") }
            </div>
            <svg class="chart" data-testid="chart" viewBox={format!("0 0 {WIDTH} {HEIGHT}")}
                role="img" aria-label={label}>
                <line class="axis" x1={x(0.0).to_string()} y1={y(0.0).to_string()}
                    x2={x(1.0).to_string()} y2={y(0.0).to_string()} />
                <line class="axis" x1={x(0.0).to_string()} y1={y(0.0).to_string()}
                    x2={x(0.0).to_string()} y2={y(top).to_string()} />
                { for ticks.iter().map(|&t| html! {
                    <text class="tick" x={(x(0.0) - 6.0).to_string()} y={(y(t * top) + 4.0).to_string()}
                        text-anchor="end">{ format!("{}", t * top) }</text>
                }) }
                { for ticks.iter().map(|&t| html! {
                    <text class="tick" x={x(t).to_string()} y={(y(0.0) + 16.0).to_string()}
                        text-anchor="middle">{ format!("{:.0}%", t * 100.0) }</text>
                }) }
                <polyline class="curve" points={points} />
                if props.curve.is_empty() {
                    <text class="label" x={(WIDTH / 2.0).to_string()} y={(HEIGHT / 2.0).to_string()}
                        text-anchor="middle">{ "The curve appears here while the network trains." }</text>
                }
                <text class="label" x={(WIDTH / 2.0).to_string()} y={(HEIGHT - 4.0).to_string()}
                    text-anchor="middle">{ format!("{label} against training done") }</text>
            </svg>
        </section>
    }
}
