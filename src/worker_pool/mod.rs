//! WorkerPool: the user's JavaScript on `worker_threads`, with the queue and the hand-off here.
//!
//! The addon is loaded by the pool's owner and by each of its Workers; statics are per process,
//! so a registry of pools keyed by id lets a Worker attach to its pool's [`core::Core`] and take
//! its next task without a `postMessage`. The owner side is `NativeWorkerPool` (`owner.rs`);
//! each Worker holds a `NativeWorkerSlot` (`worker.rs`). Completions go back through the
//! shared completion channel (`crate::core::completion`) as [`records::Records`]: one wake of
//! the owner's event loop per burst. The queue, the task state words and parking are in
//! `core/`.
//! See `README.md` in this folder for the life of a task.

mod core;
mod owner;
mod records;
mod worker;

use std::collections::HashMap;
use std::sync::atomic::AtomicU32;
use std::sync::{Mutex, OnceLock, Weak};

use napi::Env;

use self::core::Core;
use crate::napi_util::{throw, ErrorKind};

fn registry() -> &'static Mutex<HashMap<u32, Weak<Core>>> {
    static POOLS: OnceLock<Mutex<HashMap<u32, Weak<Core>>>> = OnceLock::new();
    POOLS.get_or_init(|| Mutex::new(HashMap::new()))
}

pub(super) fn pools() -> std::sync::MutexGuard<'static, HashMap<u32, Weak<Core>>> {
    registry().lock().unwrap_or_else(|e| e.into_inner())
}

pub(super) static NEXT_POOL: AtomicU32 = AtomicU32::new(1);

pub(super) fn destroyed(env: &Env) -> napi::Error {
    throw(
        env,
        ErrorKind::Error,
        "ERR_POOL_DESTROYED",
        "the pool has been destroyed",
    )
}
