//! The dataset: a download bar while MNIST arrives, then its size and a grid of samples.

use super::sample_grid::SampleGrid;
use crate::state::DatasetState;
use yew::prelude::*;

/// Props of [`DatasetPanel`].
#[derive(Properties, PartialEq)]
pub struct DatasetPanelProps {
    /// The dataset's status.
    pub dataset: DatasetState,
}

/// Shows download progress, the loaded dataset, or why it failed.
#[function_component]
pub fn DatasetPanel(props: &DatasetPanelProps) -> Html {
    let body = match &props.dataset {
        DatasetState::Loading {
            loaded_bytes,
            total_bytes,
        } => {
            let mb = |b: u64| b as f64 / 1e6;
            let (percent, text) = match total_bytes {
                Some(total) if *total > 0 => {
                    let pct = (*loaded_bytes as f64 / *total as f64 * 100.0).min(100.0);
                    let text = if loaded_bytes >= total {
                        "Decompressing and parsing…".to_string()
                    } else {
                        format!(
                            "Downloading MNIST: {:.1} of {:.1} MB",
                            mb(*loaded_bytes),
                            mb(*total)
                        )
                    };
                    (pct, text)
                }
                _ => (
                    0.0,
                    format!("Downloading MNIST: {:.1} MB", mb(*loaded_bytes)),
                ),
            };
            html! {
                <div class="loading" data-testid="dataset-loading">
                    <div class="bar" role="progressbar" aria-label="dataset download"
                        aria-valuemin="0" aria-valuemax="100" aria-valuenow={format!("{percent:.0}")}>
                        <div class="fill" style={format!("width: {percent:.1}%")}></div>
                    </div>
                    <p>{ text }</p>
                </div>
            }
        }
        DatasetState::Ready {
            train_images,
            test_images,
            side,
            samples,
        } => html! {
            <>
                <p data-testid="dataset-summary">
                    { format!("MNIST handwritten digits: {train_images} training and {test_images} \
                               test images, {side}×{side} grayscale, 10 classes.") }
                </p>
                <SampleGrid samples={samples.clone()} side={*side} />
            </>
        },
        DatasetState::Failed(message) => html! {
            <p class="error" role="alert" data-testid="dataset-error">
                { format!("The dataset could not be loaded: {message}") }
            </p>
        },
    };
    html! {
        <section class="panel">
            <h2>{ "Dataset" }</h2>
            { body }
        </section>
    }
}
