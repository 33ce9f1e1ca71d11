//! The page's link: the setup form and the design each keep their fields in the URL's query
//! (replacing the history entry), so a link reproduces what the user set up. Each writes only
//! its own keys and keeps the others'.

/// The page's query string (`?…`, or empty).
pub fn query() -> String {
    web_sys::window()
        .and_then(|w| w.location().search().ok())
        .unwrap_or_default()
}

/// The value of `key` in the page's query, if set.
pub fn param(key: &str) -> Option<String> {
    web_sys::UrlSearchParams::new_with_str(&query())
        .ok()
        .and_then(|p| p.get(key))
}

/// Sets `pairs` in the page's query, keeping its other keys.
pub fn set_params(pairs: &[(&str, &str)]) {
    let Ok(params) = web_sys::UrlSearchParams::new_with_str(&query()) else {
        return;
    };
    for (key, value) in pairs {
        params.set(key, value);
    }
    let query = format!("?{}", String::from(params.to_string()));
    if let Some(history) = web_sys::window().and_then(|w| w.history().ok()) {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&query));
    }
}

/// Removes `key` from the page's query, keeping its other keys.
pub fn remove_param(key: &str) {
    let Ok(params) = web_sys::UrlSearchParams::new_with_str(&query()) else {
        return;
    };
    params.delete(key);
    let text = String::from(params.to_string());
    let query = if text.is_empty() {
        web_sys::window()
            .and_then(|w| w.location().pathname().ok())
            .unwrap_or_else(|| "?".into())
    } else {
        format!("?{text}")
    };
    if let Some(history) = web_sys::window().and_then(|w| w.history().ok()) {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&query));
    }
}
