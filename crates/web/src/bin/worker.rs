//! Entry point of the training Web Worker: registers the reactor that answers the page.

use yew_agent::Registrable;

fn main() {
    // Panics go to the console with their message before the wasm traps.
    console_error_panic_hook::set_once();
    sparse_web::worker::TrainReactor::registrar()
        .encoding::<sparse_web::codec::JsCodec>()
        .register();
}
