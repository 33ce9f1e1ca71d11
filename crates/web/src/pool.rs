//! The search's pool of training workers: each a Web Worker running [`TrainReactor`], spawned
//! on demand, then sent a dataset and the trials to train, with what the page knows of each
//! (the dataset it holds, when it last spoke, so a crashed or hung one is found and replaced).
//! Replies come back tagged with the worker's index and generation.

use crate::codec::JsCodec;
use crate::protocol::{FromWorker, ToWorker};
use crate::state::DatasetSource;
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

/// A busy worker silent this long (ms) is taken for crashed or hung.
const SILENCE_MS: f64 = 60_000.0;
/// The same once an uncaught worker error was seen on the page.
const CRASH_SILENCE_MS: f64 = 1_500.0;

/// One worker as the page knows it.
struct Member {
    sender: UnboundedSender<ToWorker>,
    /// Counts its replacements: words from an older generation are ignored.
    generation: u32,
    /// The dataset version it holds or is loading.
    loaded: Option<u32>,
    /// Whether it said it holds that dataset.
    ready: bool,
    /// When it last said something (ms since the epoch).
    last_heard: f64,
}

/// Workers by index, with what the page knows of each: its generation, the dataset it holds
/// and when it last spoke. A worker lives as long as the page unless it is replaced (after it
/// stopped answering), when its index gets a new generation and the old one's words are
/// ignored.
pub struct WorkerPool {
    members: Vec<Member>,
    on_event: Callback<PoolEvent>,
    /// An uncaught worker error was seen and its worker not yet found.
    crash_seen: bool,
}

impl WorkerPool {
    /// An empty pool whose workers will report to `on_event`.
    pub fn new(on_event: Callback<PoolEvent>) -> Self {
        Self {
            members: Vec::new(),
            on_event,
            crash_seen: false,
        }
    }

    /// Workers spawned so far.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// Whether no worker was spawned yet.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// Spawns workers until there are `n` (holding no dataset yet), at `now` (ms).
    pub fn grow_to(&mut self, n: usize, now: f64) {
        while self.members.len() < n {
            let index = self.members.len();
            self.members.push(Member {
                sender: self.spawn(index, 0),
                generation: 0,
                loaded: None,
                ready: false,
                last_heard: now,
            });
        }
    }

    /// Puts a fresh worker (holding no dataset) at `index` at `now`, in place of one that
    /// stopped answering; the old one is dropped and whatever it still says is ignored.
    pub fn replace(&mut self, index: usize, now: f64) {
        let Some(generation) = self.members.get(index).map(|m| m.generation + 1) else {
            return;
        };
        let sender = self.spawn(index, generation);
        self.members[index] = Member {
            sender,
            generation,
            loaded: None,
            ready: false,
            last_heard: now,
        };
        self.crash_seen = false;
    }

    /// Takes in `event` at `now`: `false` if it comes from a replaced worker (to be ignored);
    /// otherwise its worker was heard, and is ready once it says it holds the dataset.
    pub fn accept(&mut self, event: &PoolEvent, now: f64) -> bool {
        let (PoolEvent::Message(index, generation, _) | PoolEvent::Closed(index, generation)) =
            event;
        let Some(member) = self.members.get_mut(*index) else {
            return false;
        };
        if member.generation != *generation {
            return false;
        }
        member.last_heard = now;
        match event {
            PoolEvent::Message(_, _, FromWorker::DatasetReady { .. }) => member.ready = true,
            PoolEvent::Closed(..) => member.ready = false,
            PoolEvent::Message(..) => {}
        }
        true
    }

    /// Whether worker `index` holds the page's dataset.
    pub fn is_ready(&self, index: usize) -> bool {
        self.members.get(index).is_some_and(|m| m.ready)
    }

    /// Sends worker `index` the dataset `source` (MNIST from `mnist_url`) at `now`, unless it
    /// holds it already.
    pub fn load(&mut self, index: usize, source: &DatasetSource, mnist_url: &str, now: f64) {
        let Some(member) = self.members.get_mut(index) else {
            return;
        };
        if member.loaded == Some(source.version()) {
            return;
        }
        member.loaded = Some(source.version());
        member.ready = false;
        member.last_heard = now;
        self.send(
            index,
            match source {
                DatasetSource::Mnist => ToWorker::LoadMnist {
                    base_url: mnist_url.to_string(),
                },
                DatasetSource::Files { files, .. } => ToWorker::LoadFiles {
                    files: (**files).clone(),
                },
            },
        );
    }

    /// An uncaught worker error was seen on the page: a second of silence is then enough to
    /// tell which worker it was.
    pub fn crash_seen(&mut self) {
        self.crash_seen = true;
    }

    /// Counts every worker as heard at `now` (after a pause, when they said nothing).
    pub fn heard_all(&mut self, now: f64) {
        self.members.iter_mut().for_each(|m| m.last_heard = now);
    }

    /// The ready workers that are `busy` but have been silent too long at `now` (a busy
    /// worker reports ten times a second): crashed or hung.
    pub fn silent(&self, busy: impl Fn(usize) -> bool, now: f64) -> Vec<usize> {
        let patience = if self.crash_seen {
            CRASH_SILENCE_MS
        } else {
            SILENCE_MS
        };
        (0..self.members.len())
            .filter(|&i| {
                let member = &self.members[i];
                busy(i) && member.ready && now - member.last_heard > patience
            })
            .collect()
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

    /// Gives worker `index` work (`message`) at `now`: its silence counts from here, since an
    /// idle worker says nothing for as long as it waits (the first trials wait for the
    /// teacher, a minute or more) and must not be taken for hung the moment it starts.
    pub fn give(&mut self, index: usize, message: ToWorker, now: f64) {
        if let Some(member) = self.members.get_mut(index) {
            member.last_heard = now;
        }
        self.send(index, message);
    }

    /// Sends `message` to worker `index` (ignored if there is no such worker).
    pub fn send(&self, index: usize, message: ToWorker) {
        if let Some(member) = self.members.get(index) {
            let _ = member.sender.unbounded_send(message);
        }
    }
}
