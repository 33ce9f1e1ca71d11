//! Keyboard activation for things clicked that are not buttons (table rows, chart points):
//! Tab reaches them, Enter or Space does what a click does.

use yew::prelude::*;

/// A key handler that selects `id` through `on_select` on Enter or Space.
pub fn select_on_key(on_select: &Callback<u64>, id: u64) -> Callback<KeyboardEvent> {
    let on_select = on_select.clone();
    Callback::from(move |e: KeyboardEvent| {
        if e.key() == "Enter" || e.key() == " " {
            e.prevent_default();
            on_select.emit(id);
        }
    })
}
