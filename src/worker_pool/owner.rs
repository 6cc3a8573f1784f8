//! The owner's half of a WorkerPool: made by the JavaScript thread that creates the pool; it
//! submits and cancels tasks, registers and retires Workers, and receives the completions.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use napi::bindgen_prelude::{ArrayBuffer, BufferSlice, Float64ArraySlice};
use napi::{CleanupEnvHook, Env};
use napi_derive::napi;

use super::core::{Cancel, Core, Slot, MAX_SLOT};
use super::records::Records;
use super::{destroyed, pools, NEXT_POOL};
use crate::core::completion::{self, Source};
use crate::napi_util::{guard, integer, throw, Arg, Callback, ErrorKind};

/// The owner's half of a `WorkerPool` (the JS facade in `lib/worker-pool/` is the public API).
#[napi]
pub struct NativeWorkerPool {
    core: Arc<Core>,
    id: u32,
    next_slot: u32,
    /// The slots of the Workers that may take tasks, oldest first: the ones a new task may
    /// wake (owner thread only, so looking through them takes no lock).
    slots: Vec<(u32, Arc<Slot>)>,
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
            let Some(first) = self.core.push(id, route, flags, payload.0.to_vec()) else {
                return Err(throw(
                    &env,
                    ErrorKind::Range,
                    "ERR_OUT_OF_RANGE",
                    "a task with this id is still unsettled",
                ));
            };
            if first {
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

    /// Waits up to `spinMicros` for finished tasks on this thread instead of being woken for
    /// them (for a task expected to finish within that time), and returns every finished task
    /// as `onComplete` would get it, with the count in `meta[0]` (0: nothing, and no buffer).
    #[napi]
    pub fn poll<'env>(
        &self,
        env: &'env Env,
        meta: Arg<Float64ArraySlice<'_>>,
        spin_micros: Arg<f64>,
    ) -> napi::Result<Option<ArrayBuffer<'env>>> {
        guard(env, || {
            let spin = integer(env, "spinMicros", spin_micros.0, 0, 1_000_000)? as u64;
            let mut meta = meta.0;
            // SAFETY: this runs synchronously on the JavaScript thread that owns `meta`, so no
            // script touches the array meanwhile (the facade passes its own, non-shared array).
            let meta = unsafe { meta.as_mut() };
            let Some(count_out) = meta.first_mut() else {
                return Err(throw(
                    env,
                    ErrorKind::Range,
                    "ERR_OUT_OF_RANGE",
                    "meta must hold 1 number",
                ));
            };
            *count_out = 0.0;
            let (batch, idle) = self.core.poll(Duration::from_micros(spin));
            if idle {
                self.core.channel().set_referenced(env, false)?;
            }
            if batch.is_empty() {
                return Ok(None);
            }
            let (buffer, count) = Records::of(&batch).into_buffer(env)?;
            *count_out = f64::from(count);
            Ok(Some(buffer))
        })
    }

    fn unref_if_idle(&self, env: &Env) -> napi::Result<()> {
        if self.core.unsettled() == 0 {
            self.core.channel().set_referenced(env, false)?;
        }
        Ok(())
    }
}
