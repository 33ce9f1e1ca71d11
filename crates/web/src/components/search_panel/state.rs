//! The search panel's plain state and the one reducer that changes it, as the page's own
//! `state.rs` does: the setup form, what is wrong, the saved search on offer, an opened run,
//! the selection and the table's order. The live run, the worker pool and IndexedDB are
//! effects the component keeps beside it.

use crate::components::search_form::{Form, FormEdit};
use crate::components::trial_table::{Column, SortOrder};
use crate::saved_run::SavedRun;
use sparse_core::TrialRecord;
use std::rc::Rc;
use std::sync::Arc;
use yew::Reducible;

/// A search saved by an earlier visit, as this page found it.
#[derive(Clone, Debug, PartialEq)]
pub enum Offer {
    /// Nothing saved, or it was resumed or discarded.
    None,
    /// A search that can be resumed.
    Resumable(Rc<SavedRun>),
    /// A saved search that cannot be resumed: its text (offered for download) and why.
    Unreadable {
        /// The saved text as found.
        text: Rc<str>,
        /// Why it cannot be resumed.
        why: String,
    },
}

/// A run opened from a file.
#[derive(Clone, Debug, PartialEq)]
pub struct OpenedRun {
    /// The file's name.
    pub name: String,
    /// Its trials.
    pub records: Arc<Vec<TrialRecord>>,
}

/// Everything the search panel shows apart from the live run.
#[derive(Clone, Debug, PartialEq)]
pub struct PanelState {
    /// The setup as typed.
    pub form: Form,
    /// What is wrong with the setup or the last click, until fixed.
    pub form_error: Option<String>,
    /// What a worker last reported failing.
    pub pool_error: Option<String>,
    /// Why the latest save to IndexedDB failed, while it does.
    pub save_error: Option<String>,
    /// The selected trial.
    pub selected: Option<u64>,
    /// The trial table's order.
    pub order: SortOrder,
    /// A search saved by an earlier visit.
    pub offer: Offer,
    /// A run opened from a file (gone when a search starts).
    pub opened: Option<OpenedRun>,
}

impl PanelState {
    /// The panel as it opens, with `form` from the page's link.
    pub fn new(form: Form) -> Self {
        Self {
            form_error: form.setup().err(),
            form,
            pool_error: None,
            save_error: None,
            selected: None,
            order: SortOrder {
                column: Column::Id,
                ascending: false,
            },
            offer: Offer::None,
            opened: None,
        }
    }
}

/// Something that happened to the panel's plain state.
#[derive(Clone, Debug, PartialEq)]
pub enum PanelAction {
    /// The setup form was edited.
    Edit(FormEdit),
    /// A click could not be carried out, for this reason.
    Refused(String),
    /// A search started or resumed: the offer, an opened run and the selection go.
    Started,
    /// A run file was opened: its name and trials.
    Opened(String, Vec<TrialRecord>),
    /// A search saved by an earlier visit was found (while none runs): checked, or its text
    /// and why it cannot be resumed.
    Found(Result<Rc<SavedRun>, (String, String)>),
    /// The saved search is being read back to resume it.
    Resuming,
    /// The saved search was discarded.
    Discarded,
    /// Saving to IndexedDB worked (`None`) or failed, and why.
    Saved(Option<String>),
    /// A worker reported a failure.
    WorkerFailed(String),
    /// A trial was selected.
    Select(u64),
    /// A table header was clicked.
    Sort(Column),
}

impl Reducible for PanelState {
    type Action = PanelAction;

    /// The next state; `self` itself when nothing changed, so the panel can skip a render.
    fn reduce(self: Rc<Self>, action: PanelAction) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            PanelAction::Edit(edit) => {
                next.form.apply(edit);
                next.form_error = next.form.setup().err();
            }
            PanelAction::Refused(why) => next.form_error = Some(why),
            PanelAction::Started => {
                next.form_error = None;
                next.offer = Offer::None;
                next.opened = None;
                next.selected = None;
            }
            PanelAction::Opened(name, records) => {
                next.form_error = None;
                next.selected = None;
                next.opened = Some(OpenedRun {
                    name,
                    records: Arc::new(records),
                });
            }
            PanelAction::Found(Ok(saved)) => next.offer = Offer::Resumable(saved),
            PanelAction::Found(Err((text, why))) => {
                next.offer = Offer::Unreadable {
                    text: text.into(),
                    why,
                }
            }
            PanelAction::Resuming | PanelAction::Discarded => next.offer = Offer::None,
            PanelAction::Saved(outcome) if outcome == self.save_error => return self,
            PanelAction::Saved(outcome) => next.save_error = outcome,
            PanelAction::WorkerFailed(why) => next.pool_error = Some(why),
            PanelAction::Select(id) => next.selected = Some(id),
            PanelAction::Sort(column) => {
                next.order = SortOrder {
                    column,
                    // A new column starts largest first, but the two memory columns
                    // smallest first (what fits a chip best).
                    ascending: if self.order.column == column {
                        !self.order.ascending
                    } else {
                        column == Column::ModelSize || column == Column::WorkingMemory
                    },
                };
            }
        }
        Rc::new(next)
    }
}

#[cfg(test)]
mod tests;
