//! Entry point of the training Web Worker: registers the reactor that answers the page.

use yew_agent::Registrable;

fn main() {
    sparse_web::worker::TrainReactor::registrar().register();
}
