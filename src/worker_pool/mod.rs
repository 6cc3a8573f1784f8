//! WorkerPool: the user's JavaScript on `worker_threads`, with the queue and the hand-off here.
//!
//! The addon is loaded by the pool's owner and by each of its Workers; statics are per process,
//! so a registry of pools keyed by id lets a Worker attach to its pool's [`core::Core`] and take
//! its next task without a `postMessage`. The owner side is [`NativeWorkerPool`]; each Worker
//! holds a [`NativeWorkerSlot`]. Completions go back through the shared completion channel
//! (`crate::core::completion`) as [`records::Records`]: one wake of the owner's event loop
//! per burst.
//! See `README.md` in this folder for the life of a task.

mod core;
mod records;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};

use napi::bindgen_prelude::{BufferSlice, Float64ArraySlice};
use napi::CleanupEnvHook;
use napi::Env;
use napi_derive::napi;

use self::core::{Cancel, Completion, Core, Take, TaskState, MAX_SLOT};
use crate::core::completion::{self, Source};
use crate::napi_util::{guard, integer, throw, Arg, Callback, ErrorKind};

fn registry() -> &'static Mutex<HashMap<u32, Weak<Core>>> {
    static POOLS: OnceLock<Mutex<HashMap<u32, Weak<Core>>>> = OnceLock::new();
    POOLS.get_or_init(|| Mutex::new(HashMap::new()))
}

fn pools() -> std::sync::MutexGuard<'static, HashMap<u32, Weak<Core>>> {
    registry().lock().unwrap_or_else(|e| e.into_inner())
}

static NEXT_POOL: AtomicU32 = AtomicU32::new(1);

fn destroyed(env: &Env) -> napi::Error {
    throw(
        env,
        ErrorKind::Error,
        "ERR_POOL_DESTROYED",
        "the pool has been destroyed",
    )
}

/// The owner's half of a `WorkerPool` (the JS facade in `lib/worker-pool/` is the public API).
#[napi]
pub struct NativeWorkerPool {
    core: Arc<Core>,
    id: u32,
    next_slot: u32,
    /// The slots of the Workers that may take tasks, oldest first: the ones a new task may
    /// wake (owner thread only, so looking through them takes no lock).
    slots: Vec<(u32, Arc<self::core::Slot>)>,
    open: bool,
    cleanup: Option<CleanupEnvHook<Arc<Core>>>,
}

impl std::fmt::Debug for NativeWorkerPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NativeWorkerPool")
            .field("id", &self.id)
            .field("open", &self.open)
            .finish()
    }
}

#[napi]
impl NativeWorkerPool {
    /// `onComplete(batch, count)` receives finished tasks: `batch` is an ArrayBuffer holding
    /// `count` records of seven doubles (id, outcome, runMs, waitMs, byteOffset, byteLength,
    /// slot) followed by the serialized results the offsets point to.
    #[napi(constructor)]
    pub fn new(env: Env, on_complete: Arg<Callback>) -> napi::Result<Self> {
        guard(&env, || Self::start(&env, on_complete.0))
    }

    fn start(env: &Env, on_complete: Callback) -> napi::Result<Self> {
        let core = Arc::new(Core::new());
        completion::start(&core, env, "native-parallel:WorkerPool", &on_complete)?;
        // The owner's env is going away (its thread ends): nobody is left to call.
        let cleanup = env.add_env_cleanup_hook(core.clone(), |core| {
            core.channel().mark_closed();
        })?;
        let id = NEXT_POOL.fetch_add(1, Ordering::Relaxed);
        pools().insert(id, Arc::downgrade(&core));
        Ok(Self {
            core,
            id,
            next_slot: 0,
            slots: Vec::new(),
            open: true,
            cleanup: Some(cleanup),
        })
    }

    /// The process-wide id Workers attach with.
    #[napi(getter)]
    pub fn id(&self, env: Env) -> napi::Result<u32> {
        guard(&env, || Ok(self.id))
    }

    /// Tasks waiting for a Worker.
    #[napi(getter)]
    pub fn queued(&self, env: Env) -> napi::Result<u32> {
        guard(&env, || Ok(self.core.queued() as u32))
    }

    /// The number of a (file, export name) pair, for `submit`.
    #[napi]
    pub fn route(&self, env: Env, filename: Arg<String>, name: Arg<String>) -> napi::Result<u32> {
        guard(&env, || Ok(self.core.route(filename.0, name.0)))
    }

    /// Queues serialized task `id` (unique among the unsettled ones). Returns the slot of a
    /// parked Worker that was picked to take it, or -1; the caller must bump and notify that
    /// Worker's wake word (Workers that are not parked look at the queue on their own).
    #[napi]
    pub fn submit(
        &mut self,
        env: Env,
        id: Arg<f64>,
        route: Arg<f64>,
        flags: Arg<f64>,
        payload: Arg<BufferSlice<'_>>,
    ) -> napi::Result<i64> {
        guard(&env, || {
            let id = integer(&env, "id", id.0, 0, u32::MAX.into())? as u32;
            let routes = self.core.routes() as i64;
            let route = integer(&env, "route", route.0, 0, routes - 1)? as u32;
            let flags = integer(&env, "flags", flags.0, 0, u32::MAX.into())? as u32;
            if !self.open {
                return Err(destroyed(&env));
            }
            if self.core.is_unsettled(id) {
                return Err(throw(
                    &env,
                    ErrorKind::Range,
                    "ERR_OUT_OF_RANGE",
                    "a task with this id is still unsettled",
                ));
            }
            if self.core.push(id, route, flags, payload.0.to_vec()) {
                self.core.channel().set_referenced(&env, true)?;
            }
            Ok(self.core.claim_parked(&self.slots).map_or(-1, i64::from))
        })
    }

    /// Picks parked Workers for the tasks still queued, at most one per task (after a Worker
    /// was removed, which may have been the one picked for some of them). Returns their
    /// slots; the caller must bump and notify their wake words.
    #[napi]
    pub fn wake_for_queued(&self, env: Env) -> napi::Result<Vec<u32>> {
        guard(&env, || {
            let mut woken = Vec::new();
            while woken.len() < self.core.queued() {
                match self.core.claim_parked(&self.slots) {
                    Some(slot) => woken.push(slot),
                    None => break,
                }
            }
            Ok(woken)
        })
    }

    /// Registers a new Worker; returns the slot id it attaches with.
    #[napi]
    pub fn add_worker(&mut self, env: Env) -> napi::Result<u32> {
        guard(&env, || self.add_slot(&env))
    }

    fn add_slot(&mut self, env: &Env) -> napi::Result<u32> {
        let env = *env;
        if !self.open {
            return Err(destroyed(&env));
        }
        if self.next_slot >= MAX_SLOT {
            return Err(throw(
                &env,
                ErrorKind::Range,
                "ERR_OUT_OF_RANGE",
                "too many Workers were started by this pool",
            ));
        }
        let slot = self.next_slot;
        self.next_slot += 1;
        self.slots.push((slot, self.core.add_slot(slot)));
        Ok(slot)
    }

    /// Cancels a task: -1 when it had not started (it never will and is never reported), the
    /// slot of its Worker when it is running, -2 when it is finished or unknown.
    #[napi]
    pub fn cancel(&self, env: Env, id: Arg<f64>) -> napi::Result<i64> {
        guard(&env, || {
            let id = integer(&env, "id", id.0, 0, u32::MAX.into())? as u32;
            let out = match self.core.cancel(id) {
                Cancel::Dropped => -1,
                Cancel::Running(slot) => i64::from(slot),
                Cancel::Unknown => -2,
            };
            self.unref_if_idle(&env)?;
            Ok(out)
        })
    }

    /// Cancels every queued task; returns their ids.
    #[napi]
    pub fn cancel_queued(&self, env: Env) -> napi::Result<Vec<u32>> {
        guard(&env, || {
            let ids = self.core.cancel_queued();
            self.unref_if_idle(&env)?;
            Ok(ids)
        })
    }

    /// A Worker exited: it takes nothing more; returns the ids of the tasks it was running
    /// (their results, if any arrive, are dropped).
    #[napi]
    pub fn worker_gone(&mut self, env: Env, slot: Arg<f64>) -> napi::Result<Vec<u32>> {
        guard(&env, || {
            let slot = integer(&env, "slot", slot.0, 0, MAX_SLOT.into())? as u32;
            self.slots.retain(|(id, _)| *id != slot);
            let ids = self.core.worker_gone(slot);
            self.unref_if_idle(&env)?;
            Ok(ids)
        })
    }

    /// Retires the Worker in `slot` if it ran nothing for `idleMs`: returns -1 when it did
    /// (the Worker takes nothing more), else the milliseconds left (Infinity while busy).
    #[napi]
    pub fn retire_if_idle(
        &mut self,
        env: Env,
        slot: Arg<f64>,
        idle_ms: Arg<f64>,
    ) -> napi::Result<f64> {
        guard(&env, || {
            let slot = integer(&env, "slot", slot.0, 0, MAX_SLOT.into())? as u32;
            let idle_ms = idle_ms.0;
            if idle_ms.is_nan() || idle_ms < 0.0 {
                return Err(throw(
                    &env,
                    ErrorKind::Range,
                    "ERR_OUT_OF_RANGE",
                    "idleMs must be a number >= 0",
                ));
            }
            Ok(match self.core.retire_if_idle(slot, idle_ms) {
                Some(left) => left,
                None => {
                    self.slots.retain(|(id, _)| *id != slot);
                    -1.0
                }
            })
        })
    }

    /// Closes the pool: Workers can no longer attach, and the completion callback is released.
    #[napi]
    pub fn close(&mut self, env: Env) -> napi::Result<()> {
        guard(&env, || {
            if !self.open {
                return Ok(());
            }
            self.open = false;
            pools().remove(&self.id);
            self.core.channel().release();
            if let Some(hook) = self.cleanup.take() {
                env.remove_env_cleanup_hook(hook)?;
            }
            Ok(())
        })
    }

    fn unref_if_idle(&self, env: &Env) -> napi::Result<()> {
        if self.core.unsettled() == 0 {
            self.core.channel().set_referenced(env, false)?;
        }
        Ok(())
    }
}

/// A Worker's place in its pool (made inside the Worker by the task-side runtime).
#[napi]
pub struct NativeWorkerSlot {
    core: Arc<Core>,
    slot: Arc<self::core::Slot>,
    slot_id: u32,
    running: HashMap<u32, (Arc<TaskState>, f64)>,
}

impl std::fmt::Debug for NativeWorkerSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NativeWorkerSlot")
            .field("slot", &self.slot_id)
            .field("running", &self.running.len())
            .finish()
    }
}

#[napi]
impl NativeWorkerSlot {
    /// Attaches to slot `slot` of pool `pool` (throws ERR_POOL_DESTROYED when either is gone).
    #[napi(factory)]
    pub fn attach(env: Env, pool: Arg<f64>, slot: Arg<f64>) -> napi::Result<Self> {
        guard(&env, || {
            let pool = integer(&env, "pool", pool.0, 0, u32::MAX.into())? as u32;
            let slot = integer(&env, "slot", slot.0, 0, MAX_SLOT.into())? as u32;
            Self::attach_to(&env, pool, slot)
        })
    }

    fn attach_to(env: &Env, pool: u32, slot: u32) -> napi::Result<Self> {
        let env = *env;
        let core = pools().get(&pool).and_then(Weak::upgrade);
        let Some(core) = core else {
            return Err(destroyed(&env));
        };
        let Some(found) = core.slot(slot) else {
            return Err(destroyed(&env));
        };
        Ok(Self {
            core,
            slot: found,
            slot_id: slot,
            running: HashMap::new(),
        })
    }

    /// Takes the next task. Returns its serialized payload and fills `meta` with
    /// `[1, id, route, flags, waitMs]`; returns nothing with `meta[0]` 0 when the queue is
    /// empty, -1 when this Worker was retired.
    #[napi]
    pub fn take<'env>(
        &mut self,
        env: &'env Env,
        meta: Arg<Float64ArraySlice<'_>>,
    ) -> napi::Result<Option<BufferSlice<'env>>> {
        guard(env, || self.take_into(env, meta.0))
    }

    fn take_into<'env>(
        &mut self,
        env: &'env Env,
        mut meta: Float64ArraySlice<'_>,
    ) -> napi::Result<Option<BufferSlice<'env>>> {
        // SAFETY: this runs synchronously on the JavaScript thread that owns `meta`, so no
        // script touches the array meanwhile (the runtime passes its own, non-shared array).
        let meta = unsafe { meta.as_mut() };
        if meta.len() < 5 {
            return Err(throw(
                env,
                ErrorKind::Range,
                "ERR_OUT_OF_RANGE",
                "meta must hold 5 numbers",
            ));
        }
        match self.core.take(self.slot_id, &self.slot) {
            Take::Task(t) => {
                meta[..5].copy_from_slice(&[
                    1.0,
                    f64::from(t.id),
                    f64::from(t.route),
                    f64::from(t.flags),
                    t.wait_ms,
                ]);
                self.running.insert(t.id, (t.state, t.wait_ms));
                BufferSlice::copy_from(env, &t.payload).map(Some)
            }
            Take::Empty => {
                meta[0] = 0.0;
                Ok(None)
            }
            Take::Retired => {
                meta[0] = -1.0;
                Ok(None)
            }
        }
    }

    /// Reports task `id` finished with `outcome` and its serialized result or error.
    #[napi]
    pub fn complete(
        &mut self,
        env: Env,
        id: Arg<f64>,
        outcome: Arg<f64>,
        bytes: Arg<BufferSlice<'_>>,
        run_ms: Arg<f64>,
    ) -> napi::Result<()> {
        guard(&env, || {
            let id = integer(&env, "id", id.0, 0, u32::MAX.into())? as u32;
            let outcome = integer(&env, "outcome", outcome.0, 0, u32::MAX.into())? as u32;
            let Some((state, wait_ms)) = self.running.remove(&id) else {
                return Ok(());
            };
            let done = Completion {
                id,
                slot: self.slot_id,
                outcome,
                run_ms: run_ms.0,
                wait_ms,
                bytes: bytes.0.to_vec(),
            };
            self.core.complete(self.slot_id, &self.slot, &state, done);
            Ok(())
        })
    }

    /// The file and export name of a route number.
    #[napi]
    pub fn route_of(&self, env: Env, route: Arg<f64>) -> napi::Result<Option<Vec<String>>> {
        guard(&env, || {
            let route = integer(&env, "route", route.0, 0, u32::MAX.into())? as u32;
            Ok(self.core.route_of(route).map(|(f, n)| vec![f, n]))
        })
    }
}
