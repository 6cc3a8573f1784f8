//! The state one WorkerPool shares between its owner's JavaScript thread and its Workers: the
//! FIFO queue of serialized tasks, each task's state word, each Worker's slot, the completions
//! on their way back, and the routes (file and export name) tasks refer to by number.
//!
//! Who touches what:
//! - the owner thread (the JavaScript thread that made the pool) pushes tasks, cancels them,
//!   drains completions, registers and retires slots;
//! - each Worker thread takes tasks and completes them, through its own [`Slot`].
//!
//! A task's state word is the one place where the owner and a Worker can race (cancel against
//! take, a Worker's exit against its completion); every transition is a compare-exchange, so
//! exactly one side wins:
//!
//! ```text
//! QUEUED ──take (Worker)──▶ TAKEN_BASE + slot ──complete (Worker)──▶ DONE
//!    │                            │
//!    └──cancel (owner)──▶ CANCELLED   └──worker_gone (owner)──▶ DONE (completion dropped)
//! ```
//!
//! Parking. Each Worker waits on a wake word of its own, and the owner wakes exactly the
//! Worker it picked, so a wake-up can never be spent on a Worker that is being retired or
//! terminated (with one shared word and `notify(word, 1)` it could, and the task then sat in
//! the queue while another Worker slept). Each side stores, fences, then loads:
//!
//! 1. Worker (`take` found nothing): set `PARKED` in its slot's state (`slot.rs`); SeqCst fence; look
//!    at the queue again; only then wait.
//! 2. Owner (`push`, then `claim_parked`): push the task; SeqCst fence; clear one slot's
//!    `PARKED`, then bump and notify that Worker's word.
//!
//! By the fences, either the Worker's second look sees the task, or the owner sees `PARKED`
//! (or both: the wake is then spurious, and harmless). The Worker reads its wake word *before*
//! step 1 and waits only while the word still holds that value, so a bump that lands before
//! it starts waiting is not lost either.
//!
//! 3. Retiring an idle Worker is one compare-exchange of its slot's state from exactly
//!    `PARKED` (nothing running, parked, not claimed) to `RETIRED`. A Worker that is taking,
//!    running, or was claimed for a wake fails it; a retired one takes nothing more. So a
//!    retired Worker never owes the queue anything: each queued task was either seen by a
//!    Worker that will look at the queue again, or claimed a parked Worker, which then stays.

mod completions;
mod routes;
mod slot;
mod spin;
#[cfg(test)]
mod test;

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::sync::atomic::{fence, AtomicBool, AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crossbeam::queue::SegQueue;

use crate::core::completion::Channel;
pub(crate) use completions::Completion;
use routes::Routes;
pub(crate) use slot::Slot;
use spin::Spinners;

/// Waiting in the queue.
const QUEUED: u32 = 0;
/// Aborted before any Worker took it: it will never run.
const CANCELLED: u32 = 1;
/// Finished (or given up on because its Worker is gone): nothing more happens to it.
const DONE: u32 = 2;
/// `TAKEN_BASE + slot`: running on the Worker with that slot.
const TAKEN_BASE: u32 = 16;
/// Slot ids stay below this, so `TAKEN_BASE + slot` never overflows.
pub(crate) const MAX_SLOT: u32 = u32::MAX - TAKEN_BASE;

/// One task's state word (see the module docs).
#[derive(Debug)]
pub(crate) struct TaskState(AtomicU32);

impl TaskState {
    fn new() -> Self {
        Self(AtomicU32::new(QUEUED))
    }

    fn swap_if(&self, from: u32, to: u32) -> bool {
        self.0
            .compare_exchange(from, to, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }
}

/// A task in the queue.
#[derive(Debug)]
struct Queued {
    id: u32,
    route: u32,
    flags: u32,
    payload: Vec<u8>,
    state: Arc<TaskState>,
    enqueued: Instant,
}

/// A task a Worker took.
#[derive(Debug)]
pub(crate) struct Taken {
    pub(crate) id: u32,
    pub(crate) route: u32,
    pub(crate) flags: u32,
    pub(crate) payload: Vec<u8>,
    pub(crate) wait_ms: f64,
    pub(crate) state: Arc<TaskState>,
}

/// What [`Core::take`] found.
#[derive(Debug)]
pub(crate) enum Take {
    Task(Taken),
    Empty,
    /// The slot was retired (idle timeout, or the pool is closing): the Worker should stop.
    Retired,
}

/// What [`Core::cancel`] did.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Cancel {
    /// It had not started; it never will and is never reported.
    Dropped,
    /// It is running on the Worker with this slot.
    Running(u32),
    /// Finished or unknown.
    Unknown,
}

#[derive(Debug)]
pub(crate) struct Core {
    queue: SegQueue<Queued>,
    /// Tasks in `queue` that are still `QUEUED` (cancelled ones are subtracted at once).
    queued: AtomicUsize,
    completions: SegQueue<Completion>,
    channel: Channel,
    /// Tasks submitted and not yet settled, by id (owner thread only: uncontended).
    tasks: Mutex<HashMap<u32, Arc<TaskState>>>,
    slots: Mutex<HashMap<u32, Arc<Slot>>>,
    routes: Routes,
    spinners: Spinners,
    /// True while the owner waits for a completion in [`Core::poll`]: no wake needed.
    owner_watching: AtomicBool,
    epoch: Instant,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Core {
    pub(crate) fn new() -> Self {
        Self {
            queue: SegQueue::new(),
            queued: AtomicUsize::new(0),
            completions: SegQueue::new(),
            channel: Channel::new(),
            tasks: Mutex::new(HashMap::new()),
            slots: Mutex::new(HashMap::new()),
            routes: Routes::default(),
            spinners: Spinners::new(),
            owner_watching: AtomicBool::new(false),
            epoch: Instant::now(),
        }
    }

    fn now_ns(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    /// Queues a task (owner thread). Returns true when it is the only unsettled task (the
    /// caller then makes the pool hold the event loop open); `None`, queueing nothing, when a
    /// task with this id is still unsettled.
    pub(crate) fn push(&self, id: u32, route: u32, flags: u32, payload: Vec<u8>) -> Option<bool> {
        let state = Arc::new(TaskState::new());
        let first = {
            let mut tasks = lock(&self.tasks);
            match tasks.entry(id) {
                Entry::Occupied(_) => return None,
                Entry::Vacant(slot) => slot.insert(state.clone()),
            };
            tasks.len() == 1
        };
        self.queued.fetch_add(1, Ordering::AcqRel);
        self.queue.push(Queued {
            id,
            route,
            flags,
            payload,
            state,
            enqueued: Instant::now(),
        });
        Some(first)
    }

    /// Tasks waiting for a Worker.
    pub(crate) fn queued(&self) -> usize {
        self.queued.load(Ordering::Acquire)
    }

    /// How many routes there are (their numbers are `0..routes()`).
    pub(crate) fn routes(&self) -> usize {
        self.routes.len()
    }

    /// Tasks submitted and not settled.
    pub(crate) fn unsettled(&self) -> usize {
        lock(&self.tasks).len()
    }

    /// Registers a Worker's slot (owner thread).
    pub(crate) fn add_slot(&self, id: u32) -> Arc<Slot> {
        let slot = Arc::new(Slot::new(self.now_ns()));
        lock(&self.slots).insert(id, slot.clone());
        slot
    }

    pub(crate) fn slot(&self, id: u32) -> Option<Arc<Slot>> {
        lock(&self.slots).get(&id).cloned()
    }

    /// Takes the next task for the Worker in `slot` (Worker thread), in submission order,
    /// watching the queue for up to `spin` when it is empty (`spin.rs`). `Empty` leaves the
    /// slot parked: the Worker must then wait on its wake word, with the value it read
    /// *before* this call (module docs, "Parking").
    pub(crate) fn take(&self, slot_id: u32, slot: &Slot, spin: Duration) -> Take {
        let Some(was_parked) = slot.enter() else {
            return Take::Retired;
        };
        if let Some(task) = self.pop(slot_id) {
            if was_parked {
                slot.unpark();
            }
            return Take::Task(task);
        }
        let spun = self.spinners.spin(spin, || {
            if self.queued.load(Ordering::Relaxed) == 0 {
                return None;
            }
            self.pop(slot_id)
        });
        if let Some(task) = spun {
            if was_parked {
                slot.unpark();
            }
            return Take::Task(task);
        }
        // Parking, step 1: say so, then look once more.
        slot.park();
        if let Some(task) = self.pop(slot_id) {
            slot.unpark();
            return Take::Task(task);
        }
        slot.leave(self.now_ns());
        Take::Empty
    }

    /// The next task still queued, marked taken by `slot_id`.
    fn pop(&self, slot_id: u32) -> Option<Taken> {
        while let Some(q) = self.queue.pop() {
            // A cancelled task is dropped here (its count was taken off when it was cancelled).
            if q.state.swap_if(QUEUED, TAKEN_BASE + slot_id) {
                self.queued.fetch_sub(1, Ordering::AcqRel);
                return Some(Taken {
                    id: q.id,
                    route: q.route,
                    flags: q.flags,
                    payload: q.payload,
                    wait_ms: q.enqueued.elapsed().as_secs_f64() * 1e3,
                    state: q.state,
                });
            }
        }
        None
    }

    /// Picks a parked Worker to wake for a task just pushed (owner thread), trying `slots` in
    /// order. Returns its slot id; the caller must then bump and notify its wake word.
    pub(crate) fn claim_parked(&self, slots: &[(u32, Arc<Slot>)]) -> Option<u32> {
        // Parking, step 2: the task is pushed; now look for a parked Worker, unless the
        // Workers spinning will see every queued task (`spin.rs`).
        fence(Ordering::SeqCst);
        if self.queued() <= self.spinners.now() {
            return None;
        }
        slots
            .iter()
            .find_map(|(id, slot)| slot.claim().then_some(*id))
    }

    /// Cancels a task (owner thread).
    pub(crate) fn cancel(&self, id: u32) -> Cancel {
        let mut tasks = lock(&self.tasks);
        let Some(state) = tasks.get(&id) else {
            return Cancel::Unknown;
        };
        if state.swap_if(QUEUED, CANCELLED) {
            tasks.remove(&id);
            self.queued.fetch_sub(1, Ordering::AcqRel);
            return Cancel::Dropped;
        }
        match state.0.load(Ordering::Acquire) {
            s if s >= TAKEN_BASE => Cancel::Running(s - TAKEN_BASE),
            _ => Cancel::Unknown,
        }
    }

    /// Cancels every task still queued (owner thread); returns their ids.
    pub(crate) fn cancel_queued(&self) -> Vec<u32> {
        let mut tasks = lock(&self.tasks);
        let mut dropped = Vec::new();
        tasks.retain(|id, state| {
            let drop = state.swap_if(QUEUED, CANCELLED);
            if drop {
                dropped.push(*id);
            }
            !drop
        });
        self.queued.fetch_sub(dropped.len(), Ordering::AcqRel);
        dropped
    }

    /// The Worker in `slot_id` is gone (exited, crashed or terminated; owner thread): it takes
    /// no more tasks, and the tasks it was running are given up on. Returns their ids.
    pub(crate) fn worker_gone(&self, slot_id: u32) -> Vec<u32> {
        if let Some(slot) = lock(&self.slots).remove(&slot_id) {
            slot.retire();
        }
        let mut tasks = lock(&self.tasks);
        let mut lost = Vec::new();
        tasks.retain(|id, state| {
            let gone = state.swap_if(TAKEN_BASE + slot_id, DONE);
            if gone {
                lost.push(*id);
            }
            !gone
        });
        lost
    }

    /// Retires the Worker in `slot_id` if it has run nothing for `idle_ms` (owner thread).
    /// Returns `None` when it was retired, else how many more milliseconds it must stay idle
    /// (infinite while it runs something or was claimed for a wake: "Parking", step 3).
    pub(crate) fn retire_if_idle(&self, slot_id: u32, idle_ms: f64) -> Option<f64> {
        self.slot(slot_id)?.retire_if_idle(self.now_ns(), idle_ms)
    }

    /// Takes every completion waiting (owner thread) and forgets those tasks. The flag says
    /// whether no task is left unsettled.
    /// The number of a (file, export name) route, adding it if new (owner thread).
    pub(crate) fn route(&self, filename: String, name: String) -> u32 {
        self.routes.number(filename, name)
    }

    /// The route with this number (Worker thread).
    pub(crate) fn route_of(&self, route: u32) -> Option<(String, String)> {
        self.routes.get(route)
    }
}
