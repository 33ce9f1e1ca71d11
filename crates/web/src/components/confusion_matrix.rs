//! A candidate's test confusion matrix: true classes down, predicted across, each cell shaded
//! by its share of its row, so the digits a small network mixes up stand out.

use yew::prelude::*;

/// Props of [`ConfusionMatrix`].
#[derive(Properties, PartialEq)]
pub struct ConfusionMatrixProps {
    /// Counts by true class (rows) and predicted class (columns).
    pub counts: Vec<Vec<u32>>,
}

/// The matrix as a table.
#[function_component]
pub fn ConfusionMatrix(props: &ConfusionMatrixProps) -> Html {
    let classes = props.counts.len();
    let header: Html = (0..classes).map(|c| html! { <th>{ c }</th> }).collect();
    let rows: Html = props
        .counts
        .iter()
        .enumerate()
        .map(|(truth, row)| {
            let total = row.iter().sum::<u32>().max(1) as f64;
            let cells: Html = row
                .iter()
                .enumerate()
                .map(|(predicted, &n)| {
                    let share = f64::from(n) / total;
                    let style = if predicted == truth {
                        format!("background: rgba(37, 99, 235, {:.2})", share * 0.8)
                    } else {
                        format!(
                            "background: rgba(180, 35, 24, {:.2})",
                            (share * 4.0).min(0.8)
                        )
                    };
                    html! { <td {style}>{ n }</td> }
                })
                .collect();
            html! { <tr><th>{ truth }</th>{ cells }</tr> }
        })
        .collect();
    html! {
        <figure class="confusion" data-testid="confusion-matrix">
            <table>
                <thead><tr><th>{ "true ↓ / predicted →" }</th>{ header }</tr></thead>
                <tbody>{ rows }</tbody>
            </table>
            <figcaption class="hint">{
                "Test images by true class (rows) and the class this network predicted (columns): \
                 the diagonal is right, red cells show which classes it confuses."
            }</figcaption>
        </figure>
    }
}
