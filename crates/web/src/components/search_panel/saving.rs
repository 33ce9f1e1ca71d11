//! The search saved in this browser's IndexedDB as it goes, so a reload resumes it: the run
//! after every trial, the weights and int8 models of the trials it keeps (stale ones deleted),
//! and its teacher; read back when the page opens and when the user resumes.

use crate::saved_run::SavedRun;
use crate::search_run::SearchRun;
use crate::store;
use sparse_core::FloatModel;
use sparse_core::quant::QuantModel;
use std::collections::HashMap;
use std::rc::Rc;
use wasm_bindgen_futures::spawn_local;
use yew::Callback;

/// Where the search saves itself.
const RUN_KEY: &str = "run";
/// Key prefix of a kept trial's weights (`model:ID`).
const MODEL_KEY: &str = "model:";
/// Key prefix of a kept trial's int8 model (for the C export).
const INT8_KEY: &str = "int8:";
/// Key of the search's teacher (its weights), once trained.
const TEACHER_KEY: &str = "teacher";

/// Why a save failed (`None`: it worked).
pub type SaveOutcome = Option<String>;

/// What a resume reads back: the saved search, its kept weights and int8 models, and its
/// teacher if one was saved and is readable (a missing one is trained again).
pub type Restored = (
    Rc<SavedRun>,
    HashMap<u64, FloatModel>,
    HashMap<u64, QuantModel>,
    Option<Box<FloatModel>>,
);

/// Saves `run`, just started on `dataset`, in place of whatever an earlier search saved.
pub fn save_new(run: &SearchRun, dataset: &str, done: Callback<SaveOutcome>) {
    let text = serde_json::to_string(&SavedRun::of(run, dataset)).ok();
    spawn_local(async move {
        let mut saved = store::clear().await;
        if let Some(text) = text {
            saved = saved.and(store::put(RUN_KEY, &text).await);
        }
        done.emit(saved.err());
    });
}

/// Saves `run` on `dataset` after a trial, with trial `new_model`'s weights and int8 model if
/// it keeps them, then deletes the weights of trials it no longer keeps.
pub fn save_after_trial(
    run: &SearchRun,
    dataset: &str,
    new_model: Option<u64>,
    done: Callback<SaveOutcome>,
) {
    let saved = SavedRun::of(run, dataset);
    let kept = saved.kept.clone();
    let text = serde_json::to_string(&saved).ok();
    let model = new_model.and_then(|id| {
        let json = serde_json::to_string(run.model(id)?).ok()?;
        Some((format!("{MODEL_KEY}{id}"), json))
    });
    let int8 = new_model.and_then(|id| {
        let json = serde_json::to_string(run.int8_model(id)?).ok()?;
        Some((format!("{INT8_KEY}{id}"), json))
    });
    spawn_local(async move {
        let mut saved = Ok(());
        for (key, json) in model.into_iter().chain(int8) {
            saved = saved.and(store::put(&key, &json).await);
        }
        if let Some(text) = text {
            saved = saved.and(store::put(RUN_KEY, &text).await);
        }
        // Saved weights stay as many as the search keeps.
        if saved.is_ok() {
            let keys = store::keys().await.unwrap_or_default();
            let stale = store::stale_weight_keys(&keys, &[MODEL_KEY, INT8_KEY], &kept);
            saved = store::delete(&stale).await;
        }
        done.emit(saved.err());
    });
}

/// Saves the search's teacher, once trained.
pub fn save_teacher(model: &FloatModel, done: Callback<SaveOutcome>) {
    let Ok(text) = serde_json::to_string(model) else {
        return;
    };
    spawn_local(async move {
        done.emit(store::put(TEACHER_KEY, &text).await.err());
    });
}

/// Looks for a search saved by an earlier visit: `found` gets it, checked, or its text and
/// why it cannot be resumed.
pub fn look_for_saved(found: Callback<Result<SavedRun, (String, String)>>) {
    spawn_local(async move {
        if let Some(text) = store::get(RUN_KEY).await.ok().flatten() {
            found.emit(SavedRun::parse(&text).map_err(|why| (text, why)));
        }
    });
}

/// Reads back what `saved` kept, for `done` to resume it.
pub fn read_back(saved: Rc<SavedRun>, done: Callback<Restored>) {
    spawn_local(async move {
        let mut models = HashMap::new();
        let mut int8_models = HashMap::new();
        for id in &saved.kept {
            let text = store::get(&format!("{MODEL_KEY}{id}")).await.ok().flatten();
            if let Some(model) = text.and_then(|t| serde_json::from_str(&t).ok()) {
                models.insert(*id, model);
            }
            let text = store::get(&format!("{INT8_KEY}{id}")).await.ok().flatten();
            if let Some(model) = text.and_then(|t| serde_json::from_str(&t).ok()) {
                int8_models.insert(*id, model);
            }
        }
        let text = store::get(TEACHER_KEY).await.ok().flatten();
        let teacher = text.and_then(|t| serde_json::from_str(&t).ok());
        done.emit((saved, models, int8_models, teacher));
    });
}

/// Forgets whatever was saved.
pub fn discard() {
    spawn_local(async {
        let _ = store::clear().await;
    });
}
