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

use crate::napi_util::{check, guard, integer, throw, Arg, ErrorKind, MAX_SAFE_INTEGER};
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
        SegmentError::Sys(e) => e.throw(env, "", ""),
        SegmentError::Unsuitable(why) => throw(env, ErrorKind::Type, "ERR_INVALID_ARG_VALUE", &why),
    }
}

#[napi]
impl NativeSharedMemory {
    /// A new zero-filled segment of `bytes` bytes (1 to `maxBytes()`).
    #[napi(constructor)]
    pub fn new(env: Env, bytes: Arg<f64>) -> napi::Result<Self> {
        guard(&env, || {
            let bytes = bytes.0;
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
        })
    }

    /// Maps the memfd `fd` (another SharedMemory's, possibly inherited from another process).
    /// The fd is duplicated: the caller keeps its own.
    #[napi(factory)]
    pub fn from_fd(env: Env, fd: Arg<f64>) -> napi::Result<Self> {
        guard(&env, || {
            let fd = integer(&env, "fd", fd.0, 0, i32::MAX.into())? as i32;
            let segment = Segment::open(fd).map_err(|e| segment_error(&env, e))?;
            Ok(Self {
                segment: Some(segment),
                waits: Arc::default(),
            })
        })
    }

    /// The live segment with process-unique id `id` (`shm.id` of a SharedMemory made by any
    /// thread of this process), mapped once and shared: how a WorkerPool task hands a Worker
    /// a SharedMemory view by reference. Throws ERR_INVALID_STATE when it is closed.
    #[napi(factory)]
    pub fn from_id(env: Env, id: Arg<f64>) -> napi::Result<Self> {
        guard(&env, || {
            let id = integer(&env, "id", id.0, 1, MAX_SAFE_INTEGER)? as u64;
            let Some(segment) = Segment::find(id) else {
                return Err(throw(
                    &env,
                    ErrorKind::Error,
                    "ERR_INVALID_STATE",
                    "the SharedMemory is closed",
                ));
            };
            Ok(Self {
                segment: Some(segment),
                waits: Arc::default(),
            })
        })
    }

    /// The largest size accepted, in bytes.
    #[napi]
    pub fn max_bytes(env: Env) -> napi::Result<f64> {
        guard(&env, || Ok(segment::MAX_BYTES as f64))
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
        guard(env, || {
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
        })
    }

    /// Process-unique id of the mapping (the process pool's handle for it).
    #[napi(getter)]
    pub fn id(&self, env: Env) -> napi::Result<f64> {
        guard(&env, || Ok(self.live(&env)?.id() as f64))
    }

    /// The memfd (valid until `close()`).
    #[napi(getter)]
    pub fn fd(&self, env: Env) -> napi::Result<i32> {
        guard(&env, || {
            let segment = self.live(&env)?;
            segment.with_fd(|fd| fd).ok_or_else(|| {
                throw(
                    &env,
                    ErrorKind::Error,
                    "ERR_INVALID_STATE",
                    "the SharedMemory is closed",
                )
            })
        })
    }

    /// Size in bytes.
    #[napi(getter)]
    pub fn byte_length(&self, env: Env) -> napi::Result<f64> {
        guard(&env, || {
            Ok(self.segment.as_ref().map_or(0.0, |s| s.len() as f64))
        })
    }

    /// Blocks until the 32-bit word at `index` is notified, does not hold `expected`, or
    /// `timeoutMs` passes (Infinity: no limit). Returns 'ok', 'not-equal' or 'timed-out'.
    #[napi]
    pub fn wait(
        &self,
        env: Env,
        index: Arg<f64>,
        expected: Arg<f64>,
        timeout_ms: Arg<f64>,
    ) -> napi::Result<&'static str> {
        guard(&env, || {
            let (index, expected, timeout_ms) = wait_args(&env, index.0, expected.0, timeout_ms.0)?;
            let segment = self.live(&env)?;
            let word = word_at(&env, segment, index)?;
            Ok(futex::wait(word, expected, futex::deadline(timeout_ms)).as_str())
        })
    }

    /// `wait` on a native waiter thread: the promise resolves with the same strings, or with
    /// 'closed' when `close()` ends the wait.
    #[napi]
    pub fn wait_async<'env>(
        &self,
        env: &'env Env,
        index: Arg<f64>,
        expected: Arg<f64>,
        timeout_ms: Arg<f64>,
    ) -> napi::Result<Unknown<'env>> {
        guard(env, || {
            let (index, expected, timeout_ms) = wait_args(env, index.0, expected.0, timeout_ms.0)?;
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
        })
    }

    /// Wakes up to `count` waiters on the word at `index`, in any process; returns how many
    /// were woken.
    #[napi]
    pub fn notify(&self, env: Env, index: Arg<f64>, count: Arg<f64>) -> napi::Result<u32> {
        guard(&env, || {
            let index = integer(&env, "index", index.0, 0, u32::MAX.into())? as u32;
            let count = integer(&env, "count", count.0, 0, u32::MAX.into())? as u32;
            let segment = self.live(&env)?;
            Ok(futex::wake(word_at(&env, segment, index)?, count))
        })
    }

    /// Detaches `buffer` (the one `createBuffer` made), closes the memfd and ends pending async
    /// waits. The mapping goes once V8 has let go of the buffer.
    #[napi]
    pub fn close(&mut self, env: Env, buffer: Option<Unknown<'_>>) -> napi::Result<()> {
        guard(&env, || {
            let Some(segment) = self.segment.as_ref() else {
                return Ok(());
            };
            // Checked before anything is closed: a call with the wrong buffer changes nothing.
            let detach = match &buffer {
                Some(buffer) => buffer_to_detach(&env, segment, buffer)?,
                None => false,
            };
            if let Some(buffer) = buffer.filter(|_| detach) {
                // SAFETY: `buffer` is a value of this env handed to this call.
                check(
                    unsafe { sys::napi_detach_arraybuffer(env.raw(), buffer.raw()) },
                    "detaching the buffer",
                )?;
            }
            if let Some(segment) = self.segment.take() {
                segment.close_fd();
            }
            self.waits.cancel_all();
            Ok(())
        })
    }
}

impl Drop for NativeSharedMemory {
    fn drop(&mut self) {
        // Collected without close(): pending waits must not outlive their SharedMemory.
        self.waits.cancel_all();
    }
}

/// Whether `close(buffer)` is to detach `buffer`: true for a live `ArrayBuffer` over this
/// segment's whole mapping (the one `createBuffer` made), false for one detached already.
/// Anything else is refused, so no call can detach memory this SharedMemory does not own.
fn buffer_to_detach(env: &Env, segment: &Segment, buffer: &Unknown<'_>) -> napi::Result<bool> {
    let refuse = || {
        throw(
            env,
            ErrorKind::Type,
            "ERR_INVALID_ARG_VALUE",
            "the buffer must be the ArrayBuffer this SharedMemory made",
        )
    };
    let mut detached = false;
    // SAFETY: `buffer` is a value of this env handed to the current call; the call only reads
    // its type and state.
    let status =
        unsafe { sys::napi_is_detached_arraybuffer(env.raw(), buffer.raw(), &mut detached) };
    if status != sys::Status::napi_ok {
        return Err(refuse());
    }
    if detached {
        return Ok(false);
    }
    let mut data = ptr::null_mut();
    let mut len = 0;
    // SAFETY: as above; napi fails (and writes nothing) when `buffer` is not an ArrayBuffer.
    let status =
        unsafe { sys::napi_get_arraybuffer_info(env.raw(), buffer.raw(), &mut data, &mut len) };
    if status != sys::Status::napi_ok || data.cast::<u8>() != segment.base() || len != segment.len()
    {
        return Err(refuse());
    }
    Ok(true)
}

/// `wait`'s word index (a whole number below 2^32), expected value (an int32, as the facade's
/// `toInt32` gives) and timeout (milliseconds >= 0, or Infinity; NaN, which `Atomics.wait`
/// would take as Infinity, is refused so that no junk value blocks a thread forever).
fn wait_args(env: &Env, index: f64, expected: f64, timeout: f64) -> napi::Result<(u32, i32, f64)> {
    if timeout.is_nan() || timeout < 0.0 {
        return Err(throw(
            env,
            ErrorKind::Range,
            "ERR_OUT_OF_RANGE",
            &format!(
                "The value of \"timeout\" is out of range. It must be >= 0. Received {timeout}"
            ),
        ));
    }
    Ok((
        integer(env, "index", index, 0, u32::MAX.into())? as u32,
        integer(env, "value", expected, i32::MIN.into(), i32::MAX.into())? as i32,
        timeout,
    ))
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
