//! Entry point of the page: renders [`sparse_web::App`] into the document body.

fn main() {
    yew::Renderer::<sparse_web::App>::new().render();
}
