//! The dataset: a download bar while MNIST arrives, then its size and a grid of samples.

use super::sample_grid::SampleGrid;
use crate::state::DatasetState;
use yew::prelude::*;

/// `60000` as `60,000`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    out
}

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
                    { format!("MNIST handwritten digits: {} training and {} test images, \
                               {side}×{side} grayscale, 10 classes.",
                              thousands(*train_images), thousands(*test_images)) }
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

#[cfg(test)]
mod tests {
    #[test]
    fn thousands_are_separated() {
        assert_eq!(super::thousands(60000), "60,000");
        assert_eq!(super::thousands(999), "999");
        assert_eq!(super::thousands(1234567), "1,234,567");
    }
}
