//! SharedMemory: a memfd mapped `MAP_SHARED`, exposed to JavaScript as an external
//! `ArrayBuffer`, with futex wait/notify that work across threads and processes.
//!
//! - [`segment`]: the memfd and its mapping, and the registry of live segments.
//! - [`futex`]: shared futex wait/wake with `Atomics.wait`'s results.
//! - [`waiter`]: `waitAsync` on dedicated native threads.
//!
//! Lifetime: the mapping is unmapped when the last `Arc<Segment>` goes. `close()` detaches the
//! JavaScript `ArrayBuffer` (every view becomes zero-length), closes the memfd, ends pending
//! async waits and drops this object's reference; the `ArrayBuffer`'s finaliser drops V8's,
//! so the memory is unmapped only once nothing in JavaScript can reach it.
#![cfg(target_os = "linux")]

pub(crate) mod futex;
pub(crate) mod segment;
mod waiter;

use std::ffi::c_void;
use std::ptr;
use std::sync::Arc;

use napi::bindgen_prelude::Unknown;
use napi::{sys, Env, JsValue};
use napi_derive::napi;

use crate::napi_util::{check, throw, ErrorKind};
pub(crate) use segment::Segment;
use segment::SegmentError;
use waiter::{AsyncWait, Pending};

/// The native half of `SharedMemory` (the public API is `lib/shared-memory.js`, which
/// validates every argument first).
#[napi]
pub struct NativeSharedMemory {
    segment: Option<Arc<Segment>>,
    waits: Arc<Pending>,
}

impl std::fmt::Debug for NativeSharedMemory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NativeSharedMemory")
            .field("segment", &self.segment.as_ref().map(|s| s.id()))
            .finish()
    }
}

fn segment_error(env: &Env, e: SegmentError) -> napi::Error {
    match e {
        SegmentError::Sys(call, errno) => throw(
            env,
            ErrorKind::Error,
            &format!("{errno:?}"),
            &format!("{call} failed: {}", errno.desc()),
        ),
        SegmentError::Unsuitable(why) => throw(env, ErrorKind::Type, "ERR_INVALID_ARG_VALUE", &why),
    }
}

#[napi]
impl NativeSharedMemory {
    /// A new zero-filled segment of `bytes` bytes (1 to `maxBytes()`).
    #[napi(constructor)]
    pub fn new(env: Env, bytes: f64) -> napi::Result<Self> {
        if !(bytes >= 1.0 && bytes <= segment::MAX_BYTES as f64 && bytes.fract() == 0.0) {
            return Err(throw(
                &env,
                ErrorKind::Range,
                "ERR_OUT_OF_RANGE",
                &format!("size must be an integer from 1 to {}", segment::MAX_BYTES),
            ));
        }
        let segment = Segment::create(bytes as usize).map_err(|e| segment_error(&env, e))?;
        Ok(Self {
            segment: Some(segment),
            waits: Arc::default(),
        })
    }

    /// Maps the memfd `fd` (another SharedMemory's, possibly inherited from another process).
    /// The fd is duplicated: the caller keeps its own.
    #[napi(factory)]
    pub fn from_fd(env: Env, fd: i32) -> napi::Result<Self> {
        let segment = Segment::open(fd).map_err(|e| segment_error(&env, e))?;
        Ok(Self {
            segment: Some(segment),
            waits: Arc::default(),
        })
    }

    /// The largest size accepted, in bytes.
    #[napi]
    pub fn max_bytes() -> f64 {
        segment::MAX_BYTES as f64
    }

    fn live(&self, env: &Env) -> napi::Result<&Arc<Segment>> {
        self.segment.as_ref().ok_or_else(|| {
            throw(
                env,
                ErrorKind::Error,
                "ERR_INVALID_STATE",
                "the SharedMemory is closed",
            )
        })
    }

    /// Creates the external `ArrayBuffer` over the whole mapping (the facade calls this once
    /// and keeps the buffer). The buffer holds the mapping until V8 collects it.
    #[napi]
    pub fn create_buffer<'env>(&self, env: &'env Env) -> napi::Result<Unknown<'env>> {
        let segment = self.live(env)?;
        let hint = Box::into_raw(Box::new(segment.clone()));
        let mut value = ptr::null_mut();
        // SAFETY: base/len describe a live mapping that the boxed Arc passed as the hint keeps
        // alive until `release_mapping` runs, which napi calls once V8 frees the buffer.
        let status = unsafe {
            sys::napi_create_external_arraybuffer(
                env.raw(),
                segment.base().cast(),
                segment.len(),
                Some(release_mapping),
                hint.cast(),
                &mut value,
            )
        };
        if status == sys::Status::napi_no_external_buffers_allowed {
            // Refused before napi took the hint: give the reference back.
            // SAFETY: `hint` came from Box::into_raw above and napi did not keep it.
            drop(unsafe { Box::from_raw(hint) });
            return Err(throw(
                env,
                ErrorKind::Error,
                "ERR_UNSUPPORTED_PLATFORM",
                "this runtime does not allow external ArrayBuffers, which SharedMemory needs",
            ));
        }
        // On any other failure napi may or may not have called the finaliser already, so the
        // hint is left to it (at worst one mapping stays mapped): never a double free.
        check(status, "creating the ArrayBuffer")?;
        // SAFETY: `value` is the ArrayBuffer napi just created in this env.
        Ok(unsafe { Unknown::from_raw_unchecked(env.raw(), value) })
    }

    /// Process-unique id of the mapping (the process pool's handle for it).
    #[napi(getter)]
    pub fn id(&self, env: Env) -> napi::Result<f64> {
        Ok(self.live(&env)?.id() as f64)
    }

    /// The memfd (valid until `close()`).
    #[napi(getter)]
    pub fn fd(&self, env: Env) -> napi::Result<i32> {
        let segment = self.live(&env)?;
        segment.with_fd(|fd| fd).ok_or_else(|| {
            throw(
                &env,
                ErrorKind::Error,
                "ERR_INVALID_STATE",
                "the SharedMemory is closed",
            )
        })
    }

    /// Size in bytes.
    #[napi(getter)]
    pub fn byte_length(&self) -> f64 {
        self.segment.as_ref().map_or(0.0, |s| s.len() as f64)
    }

    /// Blocks until the 32-bit word at `index` is notified, does not hold `expected`, or
    /// `timeoutMs` passes (Infinity: no limit). Returns 'ok', 'not-equal' or 'timed-out'.
    #[napi]
    pub fn wait(
        &self,
        env: Env,
        index: u32,
        expected: i32,
        timeout_ms: f64,
    ) -> napi::Result<&'static str> {
        let segment = self.live(&env)?;
        let word = word_at(&env, segment, index)?;
        Ok(futex::wait(word, expected, futex::deadline(timeout_ms)).as_str())
    }

    /// `wait` on a native waiter thread: the promise resolves with the same strings, or with
    /// 'closed' when `close()` ends the wait.
    #[napi]
    pub fn wait_async<'env>(
        &self,
        env: &'env Env,
        index: u32,
        expected: i32,
        timeout_ms: f64,
    ) -> napi::Result<Unknown<'env>> {
        let segment = self.live(env)?;
        word_at(env, segment, index)?;
        let (deferred, promise) = env.create_deferred::<&'static str, waiter::Settle>()?;
        waiter::submit(AsyncWait {
            segment: segment.clone(),
            index: index as usize,
            expected,
            deadline: futex::deadline(timeout_ms),
            cancel: self.waits.add(),
            deferred,
        });
        // SAFETY: `promise` is a live value of this env.
        Ok(unsafe { Unknown::from_raw_unchecked(env.raw(), promise.raw()) })
    }

    /// Wakes up to `count` waiters on the word at `index`, in any process; returns how many
    /// were woken.
    #[napi]
    pub fn notify(&self, env: Env, index: u32, count: u32) -> napi::Result<u32> {
        let segment = self.live(&env)?;
        Ok(futex::wake(word_at(&env, segment, index)?, count))
    }

    /// Detaches `buffer` (the one `createBuffer` made), closes the memfd and ends pending async
    /// waits. The mapping goes once V8 has let go of the buffer.
    #[napi]
    pub fn close(&mut self, env: Env, buffer: Option<Unknown<'_>>) -> napi::Result<()> {
        let Some(segment) = self.segment.take() else {
            return Ok(());
        };
        if let Some(buffer) = buffer {
            // SAFETY: `buffer` is a value of this env handed to this call.
            check(
                unsafe { sys::napi_detach_arraybuffer(env.raw(), buffer.raw()) },
                "detaching the buffer",
            )?;
        }
        segment.close_fd();
        self.waits.cancel_all();
        Ok(())
    }
}

impl Drop for NativeSharedMemory {
    fn drop(&mut self) {
        // Collected without close(): pending waits must not outlive their SharedMemory.
        self.waits.cancel_all();
    }
}

fn word_at<'a>(
    env: &Env,
    segment: &'a Segment,
    index: u32,
) -> napi::Result<&'a std::sync::atomic::AtomicI32> {
    segment.word(index as usize).ok_or_else(|| {
        throw(
            env,
            ErrorKind::Range,
            "ERR_OUT_OF_RANGE",
            &format!(
                "index must be below {} (the number of 32-bit words)",
                segment.len() / 4
            ),
        )
    })
}

/// The external ArrayBuffer's finaliser: drops V8's reference to the mapping.
///
/// # Safety
/// Called by napi only, once, with the `hint` given to `napi_create_external_arraybuffer`.
unsafe extern "C" fn release_mapping(_env: sys::napi_env, _data: *mut c_void, hint: *mut c_void) {
    // SAFETY: `hint` is the boxed Arc made in `create_buffer`; napi calls this exactly once.
    drop(unsafe { Box::from_raw(hint.cast::<Arc<Segment>>()) });
}
