//! Entry point of the page: renders [`sparse_web::App`] into the document body.

fn main() {
    // Panics go to the console with their message before the wasm traps.
    console_error_panic_hook::set_once();
    yew::Renderer::<sparse_web::App>::new().render();
}
