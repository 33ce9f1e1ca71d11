//! The dataset: a download bar while MNIST arrives, then its name, sizes, class counts and a
//! grid of samples; and an upload of the user's own data (CSV or an IDX pair), whose refusal is
//! explained beside it while the earlier dataset stays.

use super::sample_grid::SampleGrid;
use crate::state::{DatasetState, UploadState};
use web_sys::HtmlInputElement;
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
    /// The upload's status.
    pub upload: UploadState,
    /// Files were chosen for upload.
    pub on_upload: Callback<Vec<web_sys::File>>,
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
        DatasetState::Ready(info) => {
            let classes = info.class_counts.len();
            let counts = info
                .class_counts
                .iter()
                .enumerate()
                .map(|(label, n)| format!("{label}: {}", thousands(*n)))
                .collect::<Vec<_>>()
                .join(" · ");
            let colour = match info.channels {
                1 => "grayscale".to_string(),
                3 => "colour".to_string(),
                c => format!("{c} channels"),
            };
            html! {
                <>
                    <p data-testid="dataset-summary">
                        { format!("{}: {} training and {} test images, {}×{} {colour}, {classes} classes \
                                   (test images: {}).",
                                  info.name, thousands(info.train_images), thousands(info.test_images),
                                  info.height, info.width, info.test_source) }
                    </p>
                    <p class="hint" data-testid="class-counts">{ format!("Training images per class: {counts}") }</p>
                    <SampleGrid samples={std::rc::Rc::from(info.samples.clone())}
                        shape={[info.channels, info.height, info.width]} />
                </>
            }
        }
        DatasetState::Failed(message) => html! {
            <p class="error" role="alert" data-testid="dataset-error">
                { format!("The dataset could not be loaded: {message}") }
            </p>
        },
    };
    let on_change = {
        let on_upload = props.on_upload.clone();
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            let files = input.files();
            let chosen: Vec<web_sys::File> = (0..files.as_ref().map_or(0, |f| f.length()))
                .filter_map(|i| files.as_ref()?.get(i))
                .collect();
            input.set_value("");
            if !chosen.is_empty() {
                on_upload.emit(chosen);
            }
        })
    };
    let upload_note = match &props.upload {
        UploadState::Idle => html! {},
        UploadState::Parsing(files) => html! {
            <p class="hint">{ format!("Checking {}…", files.iter().map(|f| f.name.as_str()).collect::<Vec<_>>().join(" and ")) }</p>
        },
        UploadState::Rejected(why) => html! {
            <p class="error" role="alert" data-testid="dataset-error">
                { format!("That upload was not used: {why}. The dataset above is still in use.") }
            </p>
        },
    };
    html! {
        <section class="panel">
            <h2>{ "Dataset" }</h2>
            { body }
            <div class="upload">
                <label>{ "Use your own data: one CSV file (one image per row, pixel values, the label \
                          in a column named label or the last one) or two IDX files (images and labels)" }
                    <input type="file" data-testid="dataset-upload" multiple=true
                        accept=".csv,.txt,.gz,.idx,.idx1-ubyte,.idx3-ubyte,application/gzip,text/csv"
                        onchange={on_change} />
                </label>
                { upload_note }
            </div>
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
