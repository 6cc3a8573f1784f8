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
//! 1. Worker (`take` found nothing): set [`PARKED`] in its slot's state; SeqCst fence; look
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
//!    `PARKED` (nothing running, parked, not claimed) to [`RETIRED`]. A Worker that is taking,
//!    running, or was claimed for a wake fails it; a retired one takes nothing more. So a
//!    retired Worker never owes the queue anything: each queued task was either seen by a
//!    Worker that will look at the queue again, or claimed a parked Worker, which then stays.

use std::collections::HashMap;
use std::sync::atomic::{fence, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use crossbeam::queue::SegQueue;

use napi::Env;

use super::records::Records;
use crate::core::completion::{Channel, Source};

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

/// A slot's state word holds the count of tasks its Worker runs now (low bits) and these
/// flags. Set once the slot may take no more tasks (retired idle, or its Worker is gone).
const RETIRED: u32 = 1 << 31;
/// Set by the Worker when it found the queue empty and waits on its own wake word; cleared by
/// the owner that claims it to wake it for a new task, or by the Worker when it takes a task.
const PARKED: u32 = 1 << 30;

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

/// A finished task on its way to the owner thread.
#[derive(Debug)]
pub(crate) struct Completion {
    pub(crate) id: u32,
    /// The Worker that ran it.
    pub(crate) slot: u32,
    pub(crate) outcome: u32,
    pub(crate) run_ms: f64,
    pub(crate) wait_ms: f64,
    pub(crate) bytes: Vec<u8>,
}

/// One Worker's place in the pool.
#[derive(Debug)]
pub(crate) struct Slot {
    /// Tasks the Worker runs now, with [`PARKED`] and [`RETIRED`] (module docs, "Parking").
    state: AtomicU32,
    /// When it last became idle, in nanoseconds since the pool's epoch.
    idle_since_ns: AtomicU64,
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
    routes: Mutex<Vec<(String, String)>>,
    epoch: Instant,
}

impl Source<Records> for Core {
    fn channel(&self) -> &Channel {
        &self.channel
    }

    /// Takes every completion waiting; once no task is left unsettled the pool stops holding
    /// the event loop open.
    fn drain(&self, env: Option<&Env>) -> Records {
        let (batch, idle) = self.take_completions();
        let Some(env) = env else {
            return Records::default();
        };
        if idle {
            let _ = self.channel.set_referenced(env, false);
        }
        Records::of(&batch)
    }
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
            routes: Mutex::new(Vec::new()),
            epoch: Instant::now(),
        }
    }

    fn now_ns(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    /// Queues a task (owner thread). Returns true when it is the only unsettled task (the
    /// caller then makes the pool hold the event loop open).
    pub(crate) fn push(&self, id: u32, route: u32, flags: u32, payload: Vec<u8>) -> bool {
        let state = Arc::new(TaskState::new());
        let first = {
            let mut tasks = lock(&self.tasks);
            tasks.insert(id, state.clone());
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
        first
    }

    /// Tasks waiting for a Worker.
    pub(crate) fn queued(&self) -> usize {
        self.queued.load(Ordering::Acquire)
    }

    /// Whether task `id` was submitted and is not settled.
    pub(crate) fn is_unsettled(&self, id: u32) -> bool {
        lock(&self.tasks).contains_key(&id)
    }

    /// How many routes there are (their numbers are `0..routes()`).
    pub(crate) fn routes(&self) -> usize {
        lock(&self.routes).len()
    }

    /// Tasks submitted and not settled.
    pub(crate) fn unsettled(&self) -> usize {
        lock(&self.tasks).len()
    }

    /// Registers a Worker's slot (owner thread).
    pub(crate) fn add_slot(&self, id: u32) -> Arc<Slot> {
        let slot = Arc::new(Slot {
            state: AtomicU32::new(0),
            idle_since_ns: AtomicU64::new(self.now_ns()),
        });
        lock(&self.slots).insert(id, slot.clone());
        slot
    }

    pub(crate) fn slot(&self, id: u32) -> Option<Arc<Slot>> {
        lock(&self.slots).get(&id).cloned()
    }

    /// Takes the next task for the Worker in `slot` (Worker thread), in submission order.
    /// `Empty` leaves the slot parked: the Worker must then wait on its wake word, with the
    /// value it read *before* this call (module docs, "Parking").
    pub(crate) fn take(&self, slot_id: u32, slot: &Slot) -> Take {
        // Count the task as running *before* looking, so that `retire_if_idle` (which needs
        // the count at zero) can never retire a Worker that is about to run something.
        let mut cur = slot.state.load(Ordering::Acquire);
        loop {
            if cur & RETIRED != 0 {
                return Take::Retired;
            }
            match slot.state.compare_exchange_weak(
                cur,
                cur + 1,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => break,
                Err(now) => cur = now,
            }
        }
        if let Some(task) = self.pop(slot_id) {
            if cur & PARKED != 0 {
                // Not waiting any more (an owner that claims it meanwhile wakes it in vain).
                slot.state.fetch_and(!PARKED, Ordering::AcqRel);
            }
            return Take::Task(task);
        }
        // Parking, step 1: say so, then look once more.
        slot.state.fetch_or(PARKED, Ordering::SeqCst);
        fence(Ordering::SeqCst);
        if let Some(task) = self.pop(slot_id) {
            slot.state.fetch_and(!PARKED, Ordering::AcqRel);
            return Take::Task(task);
        }
        self.release_one(slot);
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
        // Parking, step 2: the task is pushed; now look for a parked Worker.
        fence(Ordering::SeqCst);
        slots.iter().find_map(|(id, slot)| {
            let parked = slot.state.load(Ordering::Relaxed) & (PARKED | RETIRED) == PARKED;
            let claimed = parked && slot.state.fetch_and(!PARKED, Ordering::AcqRel) & PARKED != 0;
            claimed.then_some(*id)
        })
    }

    fn release_one(&self, slot: &Slot) {
        slot.idle_since_ns.store(self.now_ns(), Ordering::Release);
        slot.state.fetch_sub(1, Ordering::AcqRel);
    }

    /// Reports a task the Worker in `slot` finished (Worker thread). Dropped when the owner
    /// already gave up on it (its Worker was declared gone).
    pub(crate) fn complete(&self, slot_id: u32, slot: &Slot, state: &TaskState, done: Completion) {
        if state.swap_if(TAKEN_BASE + slot_id, DONE) {
            self.completions.push(done);
            self.channel.wake();
        }
        self.release_one(slot);
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
            slot.state.fetch_or(RETIRED, Ordering::AcqRel);
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
        let slot = self.slot(slot_id)?;
        if slot.state.load(Ordering::Acquire) != PARKED {
            return Some(f64::INFINITY);
        }
        let now = self.now_ns();
        let since = slot.idle_since_ns.load(Ordering::Acquire);
        let idle_for = now.saturating_sub(since) as f64 / 1e6;
        if idle_for < idle_ms {
            return Some(idle_ms - idle_for);
        }
        match slot
            .state
            .compare_exchange(PARKED, RETIRED, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) => None,
            Err(_) => Some(f64::INFINITY),
        }
    }

    /// Takes every completion waiting (owner thread) and forgets those tasks. The flag says
    /// whether no task is left unsettled.
    pub(crate) fn take_completions(&self) -> (Vec<Completion>, bool) {
        let mut batch = Vec::new();
        while let Some(done) = self.completions.pop() {
            batch.push(done);
        }
        let mut tasks = lock(&self.tasks);
        for done in &batch {
            tasks.remove(&done.id);
        }
        (batch, tasks.is_empty())
    }

    /// The number of a (file, export name) route, adding it if new (owner thread).
    pub(crate) fn route(&self, filename: String, name: String) -> u32 {
        let mut routes = lock(&self.routes);
        if let Some(i) = routes
            .iter()
            .position(|(f, n)| *f == filename && *n == name)
        {
            return i as u32;
        }
        routes.push((filename, name));
        (routes.len() - 1) as u32
    }

    /// The route with this number (Worker thread).
    pub(crate) fn route_of(&self, route: u32) -> Option<(String, String)> {
        lock(&self.routes).get(route as usize).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A core whose completion callback counts as closed (there is no JavaScript here).
    fn core() -> Core {
        let core = Core::new();
        core.channel.mark_closed();
        core
    }

    fn done(id: u32) -> Completion {
        Completion {
            id,
            slot: 0,
            outcome: 0,
            run_ms: 0.0,
            wait_ms: 0.0,
            bytes: vec![id as u8],
        }
    }

    fn take(core: &Core, slot_id: u32, slot: &Slot) -> Option<Taken> {
        match core.take(slot_id, slot) {
            Take::Task(t) => Some(t),
            _ => None,
        }
    }

    #[test]
    fn tasks_are_taken_in_submission_order_and_reported_once() {
        let core = core();
        let slot = core.add_slot(3);
        assert!(core.push(1, 0, 0, vec![1]));
        assert!(!core.push(2, 0, 0, vec![2]));
        assert_eq!(core.queued(), 2);
        let a = take(&core, 3, &slot).expect("a task");
        let b = take(&core, 3, &slot).expect("a task");
        assert_eq!((a.id, b.id), (1, 2));
        assert!(take(&core, 3, &slot).is_none());
        core.complete(3, &slot, &a.state, done(1));
        core.complete(3, &slot, &b.state, done(2));
        let (batch, idle) = core.take_completions();
        assert_eq!(batch.iter().map(|c| c.id).collect::<Vec<_>>(), [1, 2]);
        assert!(idle);
        assert_eq!(slot.state.load(Ordering::Acquire), PARKED);
    }

    #[test]
    fn a_cancelled_task_is_never_taken() {
        let core = core();
        let slot = core.add_slot(0);
        core.push(1, 0, 0, vec![]);
        core.push(2, 0, 0, vec![]);
        assert_eq!(core.cancel(1), Cancel::Dropped);
        assert_eq!(core.queued(), 1);
        let t = take(&core, 0, &slot).expect("task 2");
        assert_eq!(t.id, 2);
        assert_eq!(core.cancel(2), Cancel::Running(0));
        assert_eq!(core.cancel(7), Cancel::Unknown);
    }

    #[test]
    fn a_gone_worker_loses_only_its_own_tasks_and_its_late_completions_are_dropped() {
        let core = core();
        let s0 = core.add_slot(0);
        let s1 = core.add_slot(1);
        core.push(1, 0, 0, vec![]);
        core.push(2, 0, 0, vec![]);
        core.push(3, 0, 0, vec![]);
        let t1 = take(&core, 0, &s0).expect("task");
        let t2 = take(&core, 1, &s1).expect("task");
        assert_eq!(core.worker_gone(0), vec![1]);
        assert!(matches!(core.take(0, &s0), Take::Retired));
        core.complete(0, &s0, &t1.state, done(1));
        core.complete(1, &s1, &t2.state, done(2));
        let (batch, idle) = core.take_completions();
        assert_eq!(batch.iter().map(|c| c.id).collect::<Vec<_>>(), [2]);
        assert!(!idle, "task 3 is still queued");
        assert_eq!(core.cancel_queued(), vec![3]);
        assert_eq!(core.unsettled(), 0);
    }

    #[test]
    fn only_an_idle_parked_unclaimed_slot_is_retired() {
        let core = core();
        let slot = core.add_slot(5);
        core.push(1, 0, 0, vec![]);
        let t = take(&core, 5, &slot).expect("task");
        assert_eq!(core.retire_if_idle(5, 0.0), Some(f64::INFINITY));
        core.complete(5, &slot, &t.state, done(1));
        // Finished but not parked yet: it is about to look at the queue again.
        assert_eq!(core.retire_if_idle(5, 0.0), Some(f64::INFINITY));
        assert!(matches!(core.take(5, &slot), Take::Empty));
        assert!(core.retire_if_idle(5, 60_000.0).is_some_and(|ms| ms > 0.0));
        assert_eq!(core.retire_if_idle(5, 0.0), None);
        core.push(2, 0, 0, vec![]);
        assert!(matches!(core.take(5, &slot), Take::Retired));
        assert_eq!(core.queued(), 1);
    }

    #[test]
    fn a_parked_worker_is_claimed_once_and_a_claimed_one_is_not_retired() {
        let core = core();
        let s0 = core.add_slot(0);
        let s1 = core.add_slot(1);
        let slots = vec![(0, s0.clone()), (1, s1.clone())];
        // Nobody parked yet: Workers that have not looked at the queue are not woken.
        core.push(1, 0, 0, vec![]);
        assert_eq!(core.claim_parked(&slots), None);
        assert_eq!(take(&core, 0, &s0).map(|t| t.id), Some(1));
        assert!(matches!(core.take(1, &s1), Take::Empty));
        // s1 is parked: the next task claims it, and only once.
        core.push(2, 0, 0, vec![]);
        assert_eq!(core.claim_parked(&slots), Some(1));
        assert_eq!(core.claim_parked(&slots), None);
        // Claimed for a wake, it stays however long it was idle.
        assert_eq!(core.retire_if_idle(1, 0.0), Some(f64::INFINITY));
        assert_eq!(take(&core, 1, &s1).map(|t| t.id), Some(2));
    }

    #[test]
    fn a_task_pushed_while_a_worker_parks_is_never_left_behind() {
        // A Worker thread that really waits on its wake word (as the JS runtime does with
        // Atomics.waitAsync), racing an owner that pushes and wakes only a claimed Worker.
        // A lost wake-up leaves a task queued with the Worker asleep: the owner sees no
        // progress and the test fails instead of hanging.
        use std::sync::atomic::AtomicBool;
        use std::time::Duration;
        const ROUNDS: u32 = 20_000;
        let core = Arc::new(core());
        let slot = core.add_slot(0);
        let slots = vec![(0, slot.clone())];
        let wake = Arc::new(AtomicU32::new(0));
        let finished = Arc::new(AtomicU32::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let worker = {
            let (core, slot, wake, finished, stop) = (
                core.clone(),
                slot.clone(),
                wake.clone(),
                finished.clone(),
                stop.clone(),
            );
            std::thread::spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    let seen = wake.load(Ordering::SeqCst);
                    match core.take(0, &slot) {
                        Take::Task(t) => {
                            core.complete(0, &slot, &t.state, done(t.id));
                            finished.fetch_add(1, Ordering::SeqCst);
                        }
                        _ => {
                            while wake.load(Ordering::SeqCst) == seen
                                && !stop.load(Ordering::SeqCst)
                            {
                                std::thread::yield_now();
                            }
                        }
                    }
                }
            })
        };
        let mut lost = None;
        for id in 0..ROUNDS {
            core.push(id, 0, 0, vec![]);
            if core.claim_parked(&slots).is_some() {
                wake.fetch_add(1, Ordering::SeqCst);
            }
            let deadline = Instant::now() + Duration::from_secs(10);
            while finished.load(Ordering::SeqCst) <= id {
                if Instant::now() > deadline {
                    lost = Some(id);
                    break;
                }
                std::thread::yield_now();
            }
            if lost.is_some() {
                break;
            }
        }
        stop.store(true, Ordering::SeqCst);
        worker.join().expect("worker thread");
        assert_eq!(lost, None, "a task stayed queued while its Worker slept");
        assert_eq!(core.take_completions().0.len() as u32, ROUNDS);
    }

    #[test]
    fn concurrent_takers_run_every_task_exactly_once() {
        let core = Arc::new(core());
        const N: u32 = 20_000;
        for id in 0..N {
            core.push(id, 0, 0, vec![]);
        }
        let handles: Vec<_> = (0..4u32)
            .map(|s| {
                let core = core.clone();
                let slot = core.add_slot(s);
                std::thread::spawn(move || {
                    let mut n = 0u32;
                    while let Take::Task(t) = core.take(s, &slot) {
                        core.complete(s, &slot, &t.state, done(t.id));
                        n += 1;
                    }
                    n
                })
            })
            .collect();
        // Cancel some while the takers run: each is either dropped or taken, never both.
        let mut dropped = 0;
        for id in (0..N).step_by(7) {
            if core.cancel(id) == Cancel::Dropped {
                dropped += 1;
            }
        }
        let ran: u32 = handles.into_iter().map(|h| h.join().unwrap_or(0)).sum();
        assert_eq!(ran + dropped, N);
        let (batch, idle) = core.take_completions();
        assert_eq!(batch.len() as u32, ran);
        assert!(idle);
    }

    #[test]
    fn routes_are_numbered_once() {
        let core = core();
        assert_eq!(core.route("a.js".into(), "default".into()), 0);
        assert_eq!(core.route("b.js".into(), "default".into()), 1);
        assert_eq!(core.route("a.js".into(), "default".into()), 0);
        assert_eq!(core.route_of(1), Some(("b.js".into(), "default".into())));
        assert_eq!(core.route_of(2), None);
    }
}
