//! The page's saved state in IndexedDB: one object store of JSON texts by key, wrapped in
//! futures. A search saves itself after every trial here, so a reload can resume it. A write
//! counts as saved only once its transaction commits: a full quota can let the write's own
//! request succeed and abort the transaction after it.

use futures::channel::oneshot;
use std::cell::Cell;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{IdbDatabase, IdbOpenDbRequest, IdbRequest, IdbTransaction, IdbTransactionMode};

const DATABASE: &str = "sparse-explorer";
const STORE: &str = "saved";

/// Waits for `request` to succeed (its result) or fail (its error, in words).
async fn finish(request: &IdbRequest) -> Result<JsValue, String> {
    let (sender, receiver) = oneshot::channel::<Result<(), ()>>();
    let sender = std::rc::Rc::new(std::cell::Cell::new(Some(sender)));
    let ok_sender = sender.clone();
    let on_success = Closure::once(move || {
        if let Some(s) = ok_sender.take() {
            let _ = s.send(Ok(()));
        }
    });
    let on_error = Closure::once(move || {
        if let Some(s) = sender.take() {
            let _ = s.send(Err(()));
        }
    });
    request.set_onsuccess(Some(on_success.as_ref().unchecked_ref()));
    request.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    let outcome = receiver
        .await
        .map_err(|_| "IndexedDB dropped a request".to_string())?;
    request.set_onsuccess(None);
    request.set_onerror(None);
    match outcome {
        Ok(()) => request
            .result()
            .map_err(|_| "IndexedDB gave no result".into()),
        Err(()) => Err(request
            .error()
            .ok()
            .flatten()
            .map_or("IndexedDB failed".into(), |e| e.message())),
    }
}

/// What a refused IndexedDB call threw, in words: `IndexedDB refused WHAT` and the reason.
fn refused(what: &str, thrown: JsValue) -> String {
    let why = js_sys::Reflect::get(&thrown, &JsValue::from_str("message"))
        .ok()
        .and_then(|m| m.as_string());
    match why {
        Some(why) => format!("IndexedDB refused {what}: {why}"),
        None => format!("IndexedDB refused {what}"),
    }
}

/// Waits for `transaction` to commit, or says why it did not.
async fn committed(transaction: &IdbTransaction) -> Result<(), String> {
    let (sender, receiver) = oneshot::channel::<bool>();
    let sender = Rc::new(Cell::new(Some(sender)));
    let settle = |committed: bool| {
        let sender = sender.clone();
        Closure::once(move || {
            if let Some(s) = sender.take() {
                let _ = s.send(committed);
            }
        })
    };
    let (on_complete, on_abort, on_error) = (settle(true), settle(false), settle(false));
    transaction.set_oncomplete(Some(on_complete.as_ref().unchecked_ref()));
    transaction.set_onabort(Some(on_abort.as_ref().unchecked_ref()));
    transaction.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    let outcome = receiver.await;
    transaction.set_oncomplete(None);
    transaction.set_onabort(None);
    transaction.set_onerror(None);
    match outcome {
        Ok(true) => Ok(()),
        Ok(false) => Err(transaction.error().map_or_else(
            || "IndexedDB abandoned the write".to_string(),
            |e| {
                format!(
                    "IndexedDB did not keep the write: {} ({})",
                    e.message(),
                    e.name()
                )
            },
        )),
        Err(_) => Err("IndexedDB dropped a transaction".into()),
    }
}

/// The page's store in a new read-write transaction of `db`.
fn writing(db: &IdbDatabase) -> Result<(IdbTransaction, web_sys::IdbObjectStore), String> {
    let transaction = db
        .transaction_with_str_and_mode(STORE, IdbTransactionMode::Readwrite)
        .map_err(|e| refused("a write", e))?;
    let store = transaction
        .object_store(STORE)
        .map_err(|e| refused("a write", e))?;
    Ok((transaction, store))
}

/// Opens (creating on first use) the page's database.
async fn open() -> Result<IdbDatabase, String> {
    let factory = web_sys::window()
        .and_then(|w| w.indexed_db().ok().flatten())
        .ok_or("this browser offers no IndexedDB")?;
    let request: IdbOpenDbRequest = factory
        .open_with_u32(DATABASE, 1)
        .map_err(|_| "IndexedDB refused to open")?;
    let upgrade = Closure::<dyn FnMut(web_sys::Event)>::new(move |event: web_sys::Event| {
        let db = event
            .target()
            .and_then(|t| t.dyn_into::<IdbOpenDbRequest>().ok())
            .and_then(|r| r.result().ok())
            .and_then(|r| r.dyn_into::<IdbDatabase>().ok());
        if let Some(db) = db
            && !db.object_store_names().contains(STORE)
        {
            let _ = db.create_object_store(STORE);
        }
    });
    request.set_onupgradeneeded(Some(upgrade.as_ref().unchecked_ref()));
    let db = finish(&request).await?;
    request.set_onupgradeneeded(None);
    db.dyn_into()
        .map_err(|_| "IndexedDB opened something else".into())
}

/// The text saved under `key`, if any.
pub async fn get(key: &str) -> Result<Option<String>, String> {
    let db = open().await?;
    let store = db
        .transaction_with_str(STORE)
        .and_then(|t| t.object_store(STORE))
        .map_err(|_| "IndexedDB refused a read")?;
    let request = store
        .get(&JsValue::from_str(key))
        .map_err(|_| "IndexedDB refused a read")?;
    let value = finish(&request).await?;
    db.close();
    Ok(value.as_string())
}

/// Saves `text` under `key`, replacing what was there, once the write has committed.
pub async fn put(key: &str, text: &str) -> Result<(), String> {
    let db = open().await?;
    let (transaction, store) = writing(&db)?;
    store
        .put_with_key(&JsValue::from_str(text), &JsValue::from_str(key))
        .map_err(|e| refused("a write", e))?;
    let outcome = committed(&transaction).await;
    db.close();
    outcome
}

/// Every key saved.
pub async fn keys() -> Result<Vec<String>, String> {
    let db = open().await?;
    let store = db
        .transaction_with_str(STORE)
        .and_then(|t| t.object_store(STORE))
        .map_err(|_| "IndexedDB refused a read")?;
    let request = store
        .get_all_keys()
        .map_err(|_| "IndexedDB refused a read")?;
    let keys = finish(&request).await?;
    db.close();
    Ok(js_sys::Array::from(&keys)
        .iter()
        .filter_map(|k| k.as_string())
        .collect())
}

/// Deletes the texts saved under `keys`.
pub async fn delete(keys: &[String]) -> Result<(), String> {
    if keys.is_empty() {
        return Ok(());
    }
    let db = open().await?;
    let (transaction, store) = writing(&db)?;
    for key in keys {
        store
            .delete(&JsValue::from_str(key))
            .map_err(|e| refused("a write", e))?;
    }
    let outcome = committed(&transaction).await;
    db.close();
    outcome
}

/// The keys among `keys` that hold the weights of a trial no longer kept: those starting with
/// one of `prefixes` and ending in an id outside `kept` (saved weights stay as many as the
/// search keeps, not one set per trial ever kept).
pub fn stale_weight_keys(keys: &[String], prefixes: &[&str], kept: &[u64]) -> Vec<String> {
    keys.iter()
        .filter(|key| {
            prefixes.iter().any(|prefix| {
                key.strip_prefix(prefix)
                    .and_then(|id| id.parse::<u64>().ok())
                    .is_some_and(|id| !kept.contains(&id))
            })
        })
        .cloned()
        .collect()
}

/// Deletes everything saved.
pub async fn clear() -> Result<(), String> {
    let db = open().await?;
    let (transaction, store) = writing(&db)?;
    store.clear().map_err(|e| refused("a write", e))?;
    let outcome = committed(&transaction).await;
    db.close();
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_weights_of_trials_no_longer_kept_are_stale() {
        let keys: Vec<String> = ["run", "model:1", "model:2", "int8:2", "int8:7", "model:x"]
            .iter()
            .map(|k| k.to_string())
            .collect();
        assert_eq!(
            stale_weight_keys(&keys, &["model:", "int8:"], &[2]),
            vec!["model:1".to_string(), "int8:7".to_string()]
        );
    }
}
