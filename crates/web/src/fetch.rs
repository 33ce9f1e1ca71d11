//! Downloads a file chunk by chunk from inside the Web Worker, so the caller can report
//! progress between chunks.

use js_sys::{Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{ReadableStreamDefaultReader, Response, WorkerGlobalScope};

/// A started download: the response headers have arrived, the body is read by
/// [`Download::read_chunk`].
pub(crate) struct Download {
    url: String,
    reader: ReadableStreamDefaultReader,
    /// The bytes received so far.
    pub bytes: Vec<u8>,
    /// The body's length, when the server sent `Content-Length`.
    pub total: Option<u64>,
}

impl Download {
    /// Sends the request and waits for the response headers.
    pub async fn start(url: &str) -> Result<Self, String> {
        let global: WorkerGlobalScope = js_sys::global()
            .dyn_into()
            .map_err(|_| "downloads run only inside the training worker".to_string())?;
        let response: Response = JsFuture::from(global.fetch_with_str(url))
            .await
            .map_err(|e| format!("could not download {url}: {}", describe(&e)))?
            .unchecked_into();
        if !response.ok() {
            return Err(format!(
                "could not download {url}: the server answered {} {}",
                response.status(),
                response.status_text()
            ));
        }
        let total = response
            .headers()
            .get("content-length")
            .ok()
            .flatten()
            .and_then(|v| v.parse().ok());
        let body = response
            .body()
            .ok_or_else(|| format!("could not download {url}: the response has no body"))?;
        let reader: ReadableStreamDefaultReader = body.get_reader().unchecked_into();
        Ok(Self {
            url: url.to_string(),
            reader,
            bytes: Vec::with_capacity(total.unwrap_or(0) as usize),
            total,
        })
    }

    /// Reads the next chunk of the body into [`Download::bytes`]; `false` once it has ended.
    pub async fn read_chunk(&mut self) -> Result<bool, String> {
        let result = JsFuture::from(self.reader.read())
            .await
            .map_err(|e| format!("download of {} broke off: {}", self.url, describe(&e)))?;
        let done = Reflect::get(&result, &JsValue::from_str("done"))
            .map(|d| d.is_truthy())
            .unwrap_or(true);
        if done {
            return Ok(false);
        }
        let value = Reflect::get(&result, &JsValue::from_str("value")).map_err(|e| describe(&e))?;
        self.bytes
            .extend(value.unchecked_into::<Uint8Array>().to_vec());
        Ok(true)
    }
}

/// A JavaScript exception as text.
fn describe(error: &JsValue) -> String {
    error
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| error.as_string())
        .unwrap_or_else(|| format!("{error:?}"))
}
