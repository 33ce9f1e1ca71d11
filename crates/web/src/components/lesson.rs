//! The lesson path: five short steps through what the page teaches (what fits a chip; train
//! one network; prune it; let the search work; take it to a chip), each with one thing to do
//! and one thing to notice. Reachable by link (`?lesson=3`), and skippable at any step.

use yew::prelude::*;

/// One step of the lesson.
struct Step {
    title: &'static str,
    what_to_do: &'static str,
    what_to_notice: &'static str,
}

/// The five steps, in order.
const STEPS: [Step; 5] = [
    Step {
        title: "What fits a chip",
        what_to_do: "In \"Build your own network\" below, set the first layer's filters to 16.",
        what_to_notice: "Its working-memory bar crosses the red SRAM line and the page says why \
                         it does not fit: on a microcontroller the activations, not the weights, \
                         are what run out first. Set it back to 4.",
    },
    Step {
        title: "Train one network",
        what_to_do: "Press \"Train this\" and watch the loss fall.",
        what_to_notice: "The test accuracy, and the int8 accuracy beside it: what the chip, \
                         computing with 8-bit integers only, would get. Your network appears \
                         on the Pareto chart as a diamond.",
    },
    Step {
        title: "Prune it",
        what_to_do: "Choose Bayesian Compression as the pruning, and train again.",
        what_to_notice: "Whole filters are removed: the new diamond sits further left (less \
                         flash) for about the same error. Pruning trades a little accuracy for \
                         a lot of memory.",
    },
    Step {
        title: "Let the search work",
        what_to_do: "Press \"Quick demo\" in the search panel.",
        what_to_notice: "Networks nobody designed fill the chart; the filled ones form the \
                         Pareto front. Click one: its lineage shows how it was morphed from \
                         others, and its pruning figure what was removed.",
    },
    Step {
        title: "Take it to a chip",
        what_to_do: "Select a Pareto member and press \"Download C\".",
        what_to_notice: "The card says how much flash and SRAM the C needs; the zip's README \
                         tells how to compile it, and `sparse-explorer verify` checks it gives \
                         the same answers on a Cortex-M4 and an AVR.",
    },
];

/// The step a link asks for (1 to 5), if any.
pub fn linked_step() -> Option<usize> {
    crate::link::param("lesson")
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|n| (1..=STEPS.len()).contains(n))
}

/// The lesson's card at step `step` (1-based), or a button to start it.
#[function_component]
pub fn Lesson() -> Html {
    let step = use_state(linked_step);
    let go = |to: Option<usize>| {
        let step = step.clone();
        Callback::from(move |_: MouseEvent| {
            match to {
                Some(n) => crate::link::set_params(&[("lesson", &n.to_string())]),
                None => crate::link::remove_param("lesson"),
            }
            step.set(to);
        })
    };
    let Some(n) = *step else {
        return html! {
            <p class="hint">
                { "New here? " }
                <button class="link" data-testid="lesson-start" onclick={go(Some(1))}>
                    { "Follow the five-step lesson" }
                </button>
            </p>
        };
    };
    let s = &STEPS[n - 1];
    html! {
        <aside class="panel lesson" data-testid="lesson-step" aria-labelledby="lesson-title">
            <h2 id="lesson-title">{ format!("Lesson {n} of {}: {}", STEPS.len(), s.title) }</h2>
            <p><strong>{ "Do: " }</strong>{ s.what_to_do }</p>
            <p><strong>{ "Notice: " }</strong>{ s.what_to_notice }</p>
            <div class="controls">
                <button class="secondary" data-testid="lesson-back" disabled={n == 1}
                    onclick={go(Some(n.saturating_sub(1).max(1)))}>{ "Back" }</button>
                if n < STEPS.len() {
                    <button data-testid="lesson-next" onclick={go(Some(n + 1))}>{ "Next step" }</button>
                }
                <button class="secondary" data-testid="lesson-close" onclick={go(None)}>
                    { if n < STEPS.len() { "Skip the lesson" } else { "Finish the lesson" } }
                </button>
            </div>
        </aside>
    }
}
