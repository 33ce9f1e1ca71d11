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

/// The training worker's script: named by the build (`cargo xtask stamp` renames it and tells
/// the page in a `<meta name="sparse-explorer-worker">`), so a page never starts another
/// build's worker; `worker.js` in a page built without the stamp.
pub fn worker_script() -> String {
    web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| {
            d.query_selector("meta[name='sparse-explorer-worker']")
                .ok()
                .flatten()
        })
        .and_then(|meta| meta.get_attribute("content"))
        .unwrap_or_else(|| "worker.js".into())
}

/// What the pool tells the page about one of its workers.
#[derive(Clone, Debug, PartialEq)]
pub enum PoolEvent {
    /// Worker `0` (of generation `1`) said something.
    Message(usize, u32, FromWorker),
    /// Worker `0` (of generation `1`) closed: its trial, if any, is lost.
    Closed(usize, u32),
}

/// Workers by index; a worker lives as long as the page unless it is replaced (after it
/// stopped answering), when its index gets a new generation and the old one's words are
/// ignored.
pub struct WorkerPool {
    senders: Vec<UnboundedSender<ToWorker>>,
    generations: Vec<u32>,
    on_event: Callback<PoolEvent>,
}

impl WorkerPool {
    /// An empty pool whose workers will report to `on_event`.
    pub fn new(on_event: Callback<PoolEvent>) -> Self {
        Self {
            senders: Vec::new(),
            generations: Vec::new(),
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
            self.generations.push(0);
            let sender = self.spawn(index, 0);
            self.senders.push(sender);
        }
    }

    /// Puts a fresh worker (holding no dataset) at `index`, in place of one that stopped
    /// answering; the old one is dropped and whatever it still says is ignored.
    pub fn replace(&mut self, index: usize) {
        if index < self.senders.len() {
            self.generations[index] += 1;
            self.senders[index] = self.spawn(index, self.generations[index]);
        }
    }

    /// The current generation of worker `index`.
    pub fn generation(&self, index: usize) -> Option<u32> {
        self.generations.get(index).copied()
    }

    fn spawn(&self, index: usize, generation: u32) -> UnboundedSender<ToWorker> {
        let bridge = ReactorSpawner::<TrainReactor, JsCodec>::new()
            .as_module(false)
            .spawn(&worker_script());
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
                on_event.emit(PoolEvent::Message(index, generation, message));
            }
            on_event.emit(PoolEvent::Closed(index, generation));
        });
        sender
    }

    /// Sends `message` to worker `index` (ignored if there is no such worker).
    pub fn send(&self, index: usize, message: ToWorker) {
        if let Some(sender) = self.senders.get(index) {
            let _ = sender.unbounded_send(message);
        }
    }
}
