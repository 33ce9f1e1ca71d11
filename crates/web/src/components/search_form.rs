//! The search's setup form: what the user types (board or custom budget, an optional latency
//! bound, optimizer, trials, minutes, epochs, shift, seed, teacher, workers), kept in the page's URL so a link reproduces it, and
//! turned into a [`SearchSetup`] (or a reason) when a search starts.

use crate::search_setup::{AlgorithmChoice, SearchSetup};
use sparse_core::boards::Board;
use sparse_core::cost::{Budget, FlashMeasure};
use sparse_core::latency::LatencyBound;
use web_sys::HtmlInputElement;
use yew::prelude::*;

/// The board preset selected when the page opens.
const DEFAULT_BOARD: &str = "arduino-uno";
/// The most workers the page offers.
const MAX_WORKERS: usize = 16;

/// One edit of the form.
#[derive(Clone, Debug, PartialEq)]
pub enum FormEdit {
    /// A board preset (or `custom`) was chosen.
    Board(String),
    /// A text field changed: which, and its text.
    Field(Field, String),
    /// The teacher box was ticked (`true`) or cleared.
    Teacher(bool),
}

/// The setup's text fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    /// Flash budget in bytes.
    Flash,
    /// SRAM budget in bytes.
    Sram,
    /// What the flash budget bounds (a [`FlashMeasure`] id).
    FlashMeasure,
    /// The most milliseconds per image (blank: no bound).
    MaxLatency,
    /// Optimizer id.
    Algorithm,
    /// Trials.
    Trials,
    /// Minutes (blank: no time limit).
    Minutes,
    /// Epochs every new candidate trains first.
    Epochs,
    /// The most epochs a promoted network trains.
    MaxEpochs,
    /// Pixels of shift (augmentation).
    Shift,
    /// Seed.
    Seed,
    /// Workers.
    Workers,
}

/// The setup as typed (checked only when a search starts, so typing is never refused).
#[derive(Clone, Debug, PartialEq)]
pub struct Form {
    board: String,
    flash: String,
    sram: String,
    flash_measure: String,
    max_latency: String,
    algorithm: String,
    trials: String,
    minutes: String,
    epochs: String,
    max_epochs: String,
    shift: String,
    seed: String,
    workers: String,
    teacher: bool,
}

/// Cores the browser reports (at least 1).
pub fn cores() -> usize {
    web_sys::window()
        .map(|w| w.navigator().hardware_concurrency() as usize)
        .unwrap_or(1)
        .clamp(1, MAX_WORKERS)
}

/// Parses a whole number in `range`, or says what `name` must be.
fn number(text: &str, name: &str, low: u64, high: u64) -> Result<u64, String> {
    text.trim()
        .replace(['_', ','], "")
        .parse::<u64>()
        .ok()
        .filter(|v| (low..=high).contains(v))
        .ok_or_else(|| format!("{name} must be a whole number from {low} to {high}, not '{text}'"))
}

impl Form {
    fn for_board(board: &Board, cores: usize) -> Self {
        let budget = board.budget();
        Self {
            board: board.id.clone(),
            flash: budget.flash_bytes.to_string(),
            sram: budget.sram_bytes.to_string(),
            flash_measure: FlashMeasure::default().id().into(),
            max_latency: String::new(),
            algorithm: AlgorithmChoice::Mobo.id().into(),
            trials: "40".into(),
            minutes: String::new(),
            epochs: "1".into(),
            max_epochs: sparse_search::DEFAULT_MAX_EPOCHS.to_string(),
            shift: sparse_search::DEFAULT_SHIFT.to_string(),
            seed: "1".into(),
            workers: cores.to_string(),
            teacher: true,
        }
    }

    /// The fields as `key=value` pairs, in a fixed order, for the page's URL.
    fn pairs(&self) -> [(&'static str, &str); 14] {
        [
            ("board", &self.board),
            ("flash", &self.flash),
            ("sram", &self.sram),
            ("flash-measure", &self.flash_measure),
            ("max-latency-ms", &self.max_latency),
            ("algorithm", &self.algorithm),
            ("trials", &self.trials),
            ("minutes", &self.minutes),
            ("epochs", &self.epochs),
            ("max-epochs", &self.max_epochs),
            ("shift", &self.shift),
            ("seed", &self.seed),
            ("workers", &self.workers),
            ("teacher", if self.teacher { "1" } else { "0" }),
        ]
    }

    /// The form a link describes: a board preset's budget first, then any field the link
    /// sets (checked only when a search starts, like typed text). `param` reads one of the
    /// link's keys; `cores` fills in the workers when the link does not.
    pub fn from_params(param: impl Fn(&str) -> Option<String>, cores: usize) -> Self {
        let board = param("board")
            .and_then(|id| Board::preset(&id))
            .or_else(|| Board::preset(DEFAULT_BOARD))
            .expect("a preset");
        let mut form = Self::for_board(&board, cores);
        if param("board").as_deref() == Some("custom") {
            form.board = "custom".into();
        }
        for (key, slot) in [
            ("flash", &mut form.flash),
            ("sram", &mut form.sram),
            ("flash-measure", &mut form.flash_measure),
            ("max-latency-ms", &mut form.max_latency),
            ("algorithm", &mut form.algorithm),
            ("trials", &mut form.trials),
            ("minutes", &mut form.minutes),
            ("epochs", &mut form.epochs),
            ("max-epochs", &mut form.max_epochs),
            ("shift", &mut form.shift),
            ("seed", &mut form.seed),
            ("workers", &mut form.workers),
        ] {
            if let Some(value) = param(key) {
                *slot = value;
            }
        }
        form.teacher = param("teacher").is_none_or(|v| v != "0");
        form
    }

    /// Puts the form in the page's URL (replacing the entry), so a link reproduces it.
    pub fn write_to_url(&self) {
        crate::link::set_params(&self.pairs());
    }

    /// The budget typed, or what is wrong with it.
    pub fn budget(&self) -> Result<Budget, String> {
        let measure = FlashMeasure::from_id(&self.flash_measure)
            .ok_or_else(|| format!("unknown flash measure '{}'", self.flash_measure))?;
        let budget = Budget::new(
            number(&self.flash, "The flash budget", 1, u64::MAX >> 8)?,
            number(&self.sram, "The SRAM budget", 1, u64::MAX >> 8)?,
        )
        .measuring_flash_as(measure);
        match self.latency_bound()? {
            Some(bound) => Ok(budget.with_latency(bound)),
            None => Ok(budget),
        }
    }

    /// The latency bound typed on the chosen board's core and clock (none when blank), or
    /// what is wrong with it.
    fn latency_bound(&self) -> Result<Option<LatencyBound>, String> {
        let text = self.max_latency.trim();
        if text.is_empty() {
            return Ok(None);
        }
        let ms = text
            .parse::<f64>()
            .ok()
            .filter(|ms| ms.is_finite() && *ms > 0.0 && *ms <= 1e6)
            .ok_or_else(|| {
                format!("The latency bound must be a number of milliseconds above 0, not '{text}'")
            })?;
        let (clock_hz, core) = self
            .board()
            .and_then(|b| Some((b.clock_hz, b.latency_core()?)))
            .ok_or_else(|| {
                "A latency bound needs a board preset whose core the latency model prices (not \
                 a custom budget or the ESP32)"
                    .to_string()
            })?;
        Ok(Some(LatencyBound {
            core,
            clock_hz,
            max_us: (ms * 1000.0).round() as u64,
        }))
    }

    /// The board preset chosen (none for a custom budget).
    pub fn board(&self) -> Option<Board> {
        Board::preset(&self.board)
    }

    /// The workers typed, or what is wrong with them.
    pub fn workers(&self) -> Result<usize, String> {
        Ok(number(&self.workers, "Workers", 1, MAX_WORKERS as u64)? as usize)
    }

    /// The setup the form describes, or what is wrong with it.
    pub fn setup(&self) -> Result<SearchSetup, String> {
        let epochs = number(&self.epochs, "Epochs", 1, 100)? as usize;
        let max_epochs = number(&self.max_epochs, "Most epochs", 1, 1000)? as usize;
        if max_epochs < epochs {
            return Err(format!(
                "Most epochs ({max_epochs}) must be at least the epochs every trial trains first ({epochs})"
            ));
        }
        Ok(SearchSetup {
            budget: self.budget()?,
            algorithm: AlgorithmChoice::from_id(&self.algorithm)
                .ok_or_else(|| format!("unknown optimizer '{}'", self.algorithm))?,
            trials: number(&self.trials, "Trials", 1, 100_000)? as usize,
            minutes: match self.minutes.trim() {
                "" => None,
                _ => Some(number(&self.minutes, "Minutes", 1, 10_000)? as u32),
            },
            epochs,
            max_epochs,
            shift: number(&self.shift, "Shift", 0, sparse_train::MAX_SHIFT as u64)? as usize,
            seed: number(&self.seed, "The seed", 0, u64::MAX)?,
            train_images: None,
            test_images: None,
            workers: self.workers()?,
            teacher: self.teacher,
        })
    }

    /// Applies one edit of the form: a board preset sets both budgets, a typed budget makes
    /// the board custom.
    pub fn apply(&mut self, edit: FormEdit) {
        match edit {
            FormEdit::Board(id) => match Board::preset(&id) {
                Some(board) => {
                    let budget = board.budget();
                    self.board = id;
                    self.flash = budget.flash_bytes.to_string();
                    self.sram = budget.sram_bytes.to_string();
                }
                None => self.board = "custom".into(),
            },
            FormEdit::Field(field, text) => {
                let slot = match field {
                    Field::Flash | Field::Sram => {
                        self.board = "custom".into();
                        if field == Field::Flash {
                            &mut self.flash
                        } else {
                            &mut self.sram
                        }
                    }
                    Field::FlashMeasure => &mut self.flash_measure,
                    Field::MaxLatency => &mut self.max_latency,
                    Field::Algorithm => &mut self.algorithm,
                    Field::Trials => &mut self.trials,
                    Field::Minutes => &mut self.minutes,
                    Field::Epochs => &mut self.epochs,
                    Field::MaxEpochs => &mut self.max_epochs,
                    Field::Shift => &mut self.shift,
                    Field::Seed => &mut self.seed,
                    Field::Workers => &mut self.workers,
                };
                *slot = text;
            }
            FormEdit::Teacher(on) => self.teacher = on,
        }
    }
}

/// Props of [`SetupForm`].
#[derive(Properties, PartialEq)]
pub struct SetupFormProps {
    /// The form as typed.
    pub form: Form,
    /// Whether a search is running (the form is then read-only).
    pub disabled: bool,
    /// Called with every edit.
    pub on_edit: Callback<FormEdit>,
}

/// The search's setup as a form: board or custom budget and what flash counts, optimizer, trials, minutes, epochs, shift,
/// seed, teacher and workers.
#[function_component]
pub fn SetupForm(props: &SetupFormProps) -> Html {
    let form = &props.form;
    let running = props.disabled;
    let field = |f: Field| {
        props.on_edit.reform(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            FormEdit::Field(f, input.value())
        })
    };
    // Typing updates the form at once, so a re-render never puts back an older value.
    let typed = |f: Field| {
        props.on_edit.reform(move |e: InputEvent| {
            let input: HtmlInputElement = e.target_unchecked_into();
            FormEdit::Field(f, input.value())
        })
    };
    let on_board = props.on_edit.reform(|e: Event| {
        let input: HtmlInputElement = e.target_unchecked_into();
        FormEdit::Board(input.value())
    });
    let on_teacher = props.on_edit.reform(|e: Event| {
        let input: HtmlInputElement = e.target_unchecked_into();
        FormEdit::Teacher(input.checked())
    });
    let boards: Html = Board::presets()
        .into_iter()
        .map(|b| {
            let selected = form.board == b.id;
            html! { <option value={b.id.clone()} {selected}>{ format!("{} ({})", b.name, b.mcu) }</option> }
        })
        .collect();
    let algorithms: Html = AlgorithmChoice::ALL
        .into_iter()
        .map(|a| {
            let label = match a {
                AlgorithmChoice::Mobo => "mobo (SpArSe's Bayesian optimisation)",
                AlgorithmChoice::Evolution => "aging evolution",
                AlgorithmChoice::Random => "random search",
            };
            html! { <option value={a.id()} selected={form.algorithm == a.id()}>{ label }</option> }
        })
        .collect();
    let measures: Html = FlashMeasure::ALL
        .into_iter()
        .map(|m| {
            let label = match m {
                FlashMeasure::Export => "the int8 export (what the chip stores)",
                FlashMeasure::ModelSize => "model size (SpArSe: one byte per non-zero weight)",
            };
            html! { <option value={m.id()} selected={form.flash_measure == m.id()}>{ label }</option> }
        })
        .collect();
    html! {
        <fieldset class="setup" disabled={running}>
            <label>{ "Board" }
                <select data-testid="board-select" onchange={on_board}>
                    { boards }
                    <option value="custom" selected={form.board == "custom"}>{ "Custom budget" }</option>
                </select>
            </label>
            <label>{ "Flash for the model (bytes)" }
                <input data-testid="flash-bytes" type="number" min="1" value={form.flash.clone()}
                    oninput={typed(Field::Flash)} />
            </label>
            <label>{ "SRAM for activations (bytes)" }
                <input data-testid="sram-bytes" type="number" min="1" value={form.sram.clone()}
                    oninput={typed(Field::Sram)} />
            </label>
            <label title="The export also stores where the non-zero weights are and each channel's constants, so it needs more flash than SpArSe's model size counts">
                { "Flash counts" }
                <select data-testid="flash-measure" onchange={field(Field::FlashMeasure)}>{ measures }</select>
            </label>
            <label title="Keep only networks that the latency model estimates to classify an image within this many milliseconds on the board's core at its clock (blank: no bound)">
                { "Most ms per image (blank: no bound)" }
                <input data-testid="max-latency" type="number" min="0" step="any"
                    value={form.max_latency.clone()} oninput={typed(Field::MaxLatency)} />
            </label>
            <label>{ "Optimizer" }
                <select data-testid="algorithm-select" onchange={field(Field::Algorithm)}>{ algorithms }</select>
            </label>
            <label>{ "Trials" }
                <input data-testid="trials" type="number" min="1" value={form.trials.clone()}
                    oninput={typed(Field::Trials)} />
            </label>
            <label title="Stop starting trials after this many minutes (blank: when the trials are done); the last 15% train the most accurate networks on to the most epochs">
                { "Minutes (blank: no limit)" }
                <input data-testid="minutes" type="number" min="1" value={form.minutes.clone()}
                    oninput={typed(Field::Minutes)} />
            </label>
            <label>{ "Epochs per new trial" }
                <input data-testid="epochs" type="number" min="1" value={form.epochs.clone()}
                    oninput={typed(Field::Epochs)} />
            </label>
            <label title="The best third of the trials at each rung train on from their own weights to 3× the epochs, then 9×, up to this many in all">
                { "Most epochs (promising trials train on)" }
                <input data-testid="max-epochs" type="number" min="1" value={form.max_epochs.clone()}
                    oninput={typed(Field::MaxEpochs)} />
            </label>
            <label title="Augmentation: each training image moves by up to this many pixels each way, so candidates learn what new handwriting looks like (0: none)">
                { "Shift (pixels)" }
                <input data-testid="shift" type="number" min="0" max={sparse_train::MAX_SHIFT.to_string()} value={form.shift.clone()}
                    oninput={typed(Field::Shift)} />
            </label>
            <label>{ "Seed" }
                <input data-testid="seed" type="number" min="0" value={form.seed.clone()}
                    oninput={typed(Field::Seed)} />
            </label>
            <label>{ format!("Workers (this machine has {} cores)", cores()) }
                <input data-testid="workers" type="number" min="1" max={MAX_WORKERS.to_string()}
                    value={form.workers.clone()} oninput={typed(Field::Workers)} />
            </label>
            <label class="check" title="Knowledge distillation: a larger network, bound by no budget, trains first (a few minutes on MNIST); every candidate then learns from its softened outputs beside the labels">
                <input data-testid="teacher" type="checkbox" checked={form.teacher}
                    onchange={on_teacher} />
                { " Learn from a teacher" }
            </label>
        </fieldset>
    }
}
