//! A candidate's family tree as a row of cards, oldest first: each ancestor with its accuracy,
//! size and epochs, how the next came from it and what was inherited; a click selects it.

use crate::lineage::LineageStep;
use yew::prelude::*;

/// Props of [`LineageView`].
#[derive(Properties, PartialEq)]
pub struct LineageViewProps {
    /// The lineage, oldest first, ending with the selected candidate.
    pub steps: Vec<LineageStep>,
    /// An ancestor was clicked.
    pub on_select: Callback<u64>,
}

/// The lineage, or nothing for a candidate sampled at random.
#[function_component]
pub fn LineageView(props: &LineageViewProps) -> Html {
    if props.steps.len() < 2 {
        return html! {};
    }
    let last = props.steps.len() - 1;
    let nodes: Html = props
        .steps
        .iter()
        .enumerate()
        .map(|(i, step)| {
            let id = step.id;
            let on_select = props.on_select.reform(move |_: MouseEvent| id);
            let measures = match (step.val_accuracy, step.model_size_bytes) {
                (Some(v), Some(size)) => format!(
                    "{:.2}% validation · {size} B · {} epochs",
                    v * 100.0,
                    step.epochs.unwrap_or(0)
                ),
                _ => "failed".to_string(),
            };
            html! {
                <li class={classes!("lineage-node", (i == last).then_some("current"))} data-testid="lineage-node">
                    if let Some(how) = &step.how {
                        <span class="how">{ format!("↳ {how}; inherited {}", step.inherited.clone().unwrap_or_default()) }</span>
                    } else {
                        <span class="how">{ "sampled at random, trained from random weights" }</span>
                    }
                    <button class="link" onclick={on_select}>{ format!("trial {id}") }</button>
                    { format!(" {measures}") }
                </li>
            }
        })
        .collect();
    html! {
        <div>
            <h4>{ "Lineage" }</h4>
            <ol class="lineage" data-testid="lineage" aria-label="Lineage, oldest first">{ nodes }</ol>
        </div>
    }
}
