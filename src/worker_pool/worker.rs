//! A Worker's half of a WorkerPool: made inside each Worker by the task-side runtime
//! (`lib/worker-pool/runtime.js`); it takes tasks from the pool's queue and reports them done.

use std::collections::HashMap;
use std::sync::{Arc, Weak};
use std::time::Duration;

use napi::bindgen_prelude::{BufferSlice, Float64ArraySlice, Uint8ArraySlice};
use napi::Env;
use napi_derive::napi;

use super::core::{Completion, Core, Slot, Take, TaskState, MAX_SLOT};
use super::{destroyed, pools};
use crate::napi_util::{guard, integer, throw, Arg, ErrorKind};

/// A Worker's place in its pool (made inside the Worker by the task-side runtime).
#[napi]
pub struct NativeWorkerSlot {
    core: Arc<Core>,
    slot: Arc<Slot>,
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

    /// Takes the next task, watching an empty queue for up to `spinMicros` first (0: park at
    /// once). Fills `meta` with `[1, id, route, flags, waitMs, byteLength]` and writes the
    /// serialized payload into `scratch` when it fits (returning nothing), else returns it in
    /// a new Buffer; returns nothing with `meta[0]` 0 when the queue is empty, -1 when this
    /// Worker was retired.
    #[napi]
    pub fn take<'env>(
        &mut self,
        env: &'env Env,
        meta: Arg<Float64ArraySlice<'_>>,
        spin_micros: Arg<f64>,
        scratch: Arg<Uint8ArraySlice<'_>>,
    ) -> napi::Result<Option<BufferSlice<'env>>> {
        guard(env, || {
            let spin = integer(env, "spinMicros", spin_micros.0, 0, 1_000_000)? as u64;
            self.take_into(env, meta.0, Duration::from_micros(spin), scratch.0)
        })
    }

    fn take_into<'env>(
        &mut self,
        env: &'env Env,
        mut meta: Float64ArraySlice<'_>,
        spin: Duration,
        mut scratch: Uint8ArraySlice<'_>,
    ) -> napi::Result<Option<BufferSlice<'env>>> {
        // SAFETY: this runs synchronously on the JavaScript thread that owns `meta` and
        // `scratch`, so no script touches them meanwhile (the runtime passes arrays of its
        // own, not over shared memory).
        let (meta, scratch) = unsafe { (meta.as_mut(), scratch.as_mut()) };
        if meta.len() < 6 {
            return Err(throw(
                env,
                ErrorKind::Range,
                "ERR_OUT_OF_RANGE",
                "meta must hold 6 numbers",
            ));
        }
        match self.core.take(self.slot_id, &self.slot, spin) {
            Take::Task(t) => {
                let len = t.payload.len();
                meta[..6].copy_from_slice(&[
                    1.0,
                    f64::from(t.id),
                    f64::from(t.route),
                    f64::from(t.flags),
                    t.wait_ms,
                    len as f64,
                ]);
                self.running.insert(t.id, (t.state, t.wait_ms));
                if let Some(room) = scratch.get_mut(..len) {
                    room.copy_from_slice(&t.payload);
                    return Ok(None);
                }
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
