//! The search's pool of training workers: each a Web Worker running [`TrainReactor`], spawned
//! on demand, then sent a dataset and the trials to train. Replies come back tagged with the
//! worker's index.

use crate::codec::JsCodec;
use crate::protocol::{FromWorker, ToWorker};
use crate::worker::TrainReactor;
use futures::channel::mpsc::{UnboundedSender, unbounded};
use futures::{SinkExt, StreamExt};
use wasm_bindgen_futures::spawn_local;
use yew::Callback;
use yew_agent::reactor::ReactorSpawner;

/// What the pool tells the page about one of its workers.
#[derive(Clone, Debug, PartialEq)]
pub enum PoolEvent {
    /// Worker `0` said something.
    Message(usize, FromWorker),
    /// Worker `0` closed: its trial, if any, is lost.
    Closed(usize),
}

/// Workers by index; a worker, once spawned, lives as long as the page.
pub struct WorkerPool {
    senders: Vec<UnboundedSender<ToWorker>>,
    on_event: Callback<PoolEvent>,
}

impl WorkerPool {
    /// An empty pool whose workers will report to `on_event`.
    pub fn new(on_event: Callback<PoolEvent>) -> Self {
        Self {
            senders: Vec::new(),
            on_event,
        }
    }

    /// Workers spawned so far.
    pub fn len(&self) -> usize {
        self.senders.len()
    }

    /// Whether no worker was spawned yet.
    pub fn is_empty(&self) -> bool {
        self.senders.is_empty()
    }

    /// Spawns workers until there are `n` (holding no dataset yet).
    pub fn grow_to(&mut self, n: usize) {
        while self.senders.len() < n {
            let index = self.senders.len();
            let bridge = ReactorSpawner::<TrainReactor, JsCodec>::new()
                .as_module(false)
                .spawn("worker.js");
            let (mut sink, mut stream) = bridge.split();
            let (sender, mut inbox) = unbounded::<ToWorker>();
            spawn_local(async move {
                while let Some(message) = inbox.next().await {
                    if sink.send(message).await.is_err() {
                        break;
                    }
                }
            });
            let on_event = self.on_event.clone();
            spawn_local(async move {
                while let Some(message) = stream.next().await {
                    on_event.emit(PoolEvent::Message(index, message));
                }
                on_event.emit(PoolEvent::Closed(index));
            });
            self.senders.push(sender);
        }
    }

    /// Sends `message` to worker `index` (ignored if there is no such worker).
    pub fn send(&self, index: usize, message: ToWorker) {
        if let Some(sender) = self.senders.get(index) {
            let _ = sender.unbounded_send(message);
        }
    }
}
