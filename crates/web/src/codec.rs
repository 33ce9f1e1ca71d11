//! How messages cross between the page and its workers: as structured-clone JS values made
//! by serde-wasm-bindgen. Unlike yew-agent's default (bincode), it is self-describing, so the
//! shared plain types (trial records with optional fields, float models) travel unchanged.

use serde::{Deserialize, Serialize};
use wasm_bindgen::JsValue;
use yew_agent::Codec;

/// serde-wasm-bindgen as a yew-agent codec; 64-bit integers travel as BigInts, losslessly.
pub struct JsCodec;

impl Codec for JsCodec {
    fn encode<I: Serialize>(input: I) -> JsValue {
        let serializer =
            serde_wasm_bindgen::Serializer::new().serialize_large_number_types_as_bigints(true);
        // Every message type is plain data with string keys: serialising cannot fail.
        input
            .serialize(&serializer)
            .expect("worker messages serialise")
    }

    fn decode<O: for<'de> Deserialize<'de>>(input: JsValue) -> O {
        // Both ends are this build: a message that does not decode is a bug, not input.
        serde_wasm_bindgen::from_value(input).expect("worker messages deserialise")
    }
}
