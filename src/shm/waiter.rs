//! `waitAsync`: futex waits on dedicated native threads, never on the libuv pool.
//!
//! Each pending wait occupies one waiter thread (a futex wait cannot be multiplexed with
//! others without `futex_waitv` limits of its own). Threads are kept for a while after their
//! wait ends and reused, so a ping-pong of async waits does not spawn a thread per round.
//! A wait's promise is settled through napi's deferred (a threadsafe function that keeps the
//! event loop alive only while the promise is pending).

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use crossbeam::channel::{self, Receiver, RecvTimeoutError, Sender};
use napi::{Env, JsDeferred};

use super::futex::{self, WaitResult};
use super::segment::Segment;

/// How long an idle waiter thread stays around for the next wait.
const IDLE: Duration = Duration::from_secs(10);
/// Waiter threads only run a futex wait: a small stack is plenty.
const STACK: usize = 64 << 10;

/// What the JavaScript promise resolves with: a wait result, or `"closed"` when the
/// SharedMemory was closed while the wait was pending (the facade turns that into a rejection).
pub(crate) type Settle = Box<dyn FnOnce(Env) -> napi::Result<&'static str> + Send>;
pub(crate) type Deferred = JsDeferred<&'static str, Settle>;

/// One pending `waitAsync`.
pub(crate) struct AsyncWait {
    pub(crate) segment: Arc<Segment>,
    pub(crate) index: usize,
    pub(crate) expected: i32,
    pub(crate) deadline: Option<Instant>,
    /// Set to 1 and woken (privately) to end the wait early.
    pub(crate) cancel: Arc<AtomicU32>,
    pub(crate) deferred: Deferred,
}

impl std::fmt::Debug for AsyncWait {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AsyncWait")
            .field("segment", &self.segment.id())
            .field("index", &self.index)
            .field("expected", &self.expected)
            .finish()
    }
}

impl AsyncWait {
    fn run(self) {
        let outcome = match self.segment.word(self.index) {
            Some(word) => futex::wait_or_cancel(word, self.expected, self.deadline, &self.cancel)
                .map(WaitResult::as_str)
                .unwrap_or("closed"),
            None => "closed",
        };
        // Drop our hold on the mapping before JavaScript hears of it.
        drop(self.segment);
        self.deferred.resolve(Box::new(move |_| Ok(outcome)));
    }
}

#[derive(Debug, Default)]
struct Counts {
    /// Waiter threads alive.
    threads: usize,
    /// Waits queued or running.
    jobs: usize,
}

#[derive(Debug)]
struct Waiters {
    counts: Mutex<Counts>,
    tx: Sender<AsyncWait>,
    rx: Receiver<AsyncWait>,
}

fn waiters() -> &'static Waiters {
    static WAITERS: OnceLock<Waiters> = OnceLock::new();
    WAITERS.get_or_init(|| {
        let (tx, rx) = channel::unbounded();
        Waiters {
            counts: Mutex::new(Counts::default()),
            tx,
            rx,
        }
    })
}

/// Starts a wait on a waiter thread (one is started when none is free). Invariant: there are
/// always at least as many threads as waits, so no wait queues behind another one.
pub(crate) fn submit(wait: AsyncWait) {
    let w = waiters();
    let spawn = {
        let mut counts = w.counts.lock().unwrap_or_else(|e| e.into_inner());
        counts.jobs += 1;
        let spawn = counts.jobs > counts.threads;
        if spawn {
            counts.threads += 1;
        }
        spawn
    };
    if spawn {
        let rx = w.rx.clone();
        let started = std::thread::Builder::new()
            .name("native-parallel-shm-wait".into())
            .stack_size(STACK)
            .spawn(move || waiter_loop(rx));
        if started.is_err() {
            // No thread could be started (the wait cannot run inline: it blocks). Undo the
            // bookkeeping and reject the promise.
            let mut counts = w.counts.lock().unwrap_or_else(|e| e.into_inner());
            counts.threads -= 1;
            counts.jobs -= 1;
            drop(counts);
            wait.deferred.reject(napi::Error::from_reason(
                "could not start a thread for waitAsync",
            ));
            return;
        }
    }
    // The receiver lives in the static, so sending cannot fail.
    let _ = w.tx.send(wait);
}

fn waiter_loop(rx: Receiver<AsyncWait>) {
    let w = waiters();
    loop {
        match rx.recv_timeout(IDLE) {
            Ok(wait) => {
                wait.run();
                w.counts.lock().unwrap_or_else(|e| e.into_inner()).jobs -= 1;
            }
            Err(RecvTimeoutError::Timeout) => {
                let mut counts = w.counts.lock().unwrap_or_else(|e| e.into_inner());
                // Leave only while every queued or running wait still has a thread.
                if counts.jobs < counts.threads {
                    counts.threads -= 1;
                    return;
                }
            }
            Err(RecvTimeoutError::Disconnected) => return,
        }
    }
}

/// The cancel words of one SharedMemory's pending waits.
#[derive(Debug, Default)]
pub(crate) struct Pending {
    words: Mutex<Vec<Arc<AtomicU32>>>,
}

impl Pending {
    /// A cancel word for a new wait (and forgets those of finished waits).
    pub(crate) fn add(&self) -> Arc<AtomicU32> {
        let word = Arc::new(AtomicU32::new(0));
        let mut words = self.words.lock().unwrap_or_else(|e| e.into_inner());
        words.retain(|w| Arc::strong_count(w) > 1);
        words.push(word.clone());
        word
    }

    /// Ends every pending wait early; their promises resolve with "closed".
    pub(crate) fn cancel_all(&self) {
        let words = std::mem::take(&mut *self.words.lock().unwrap_or_else(|e| e.into_inner()));
        for word in words {
            word.store(1, Ordering::SeqCst);
            futex::wake_private(&word);
        }
    }
}
