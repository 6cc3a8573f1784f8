//! The typed completion channel: how native threads hand finished work to JavaScript. Every
//! engine (ThreadPool, ProcessPool, cluster) uses it the same way:
//!
//! 1. its shared state (the *owner*, held in an `Arc`) holds a [`Channel`] and implements
//!    [`Source`]: `channel()` finds the channel, `drain()` takes what finished since the last
//!    call and returns it as one [`Batch`];
//! 2. [`start`] creates the napi threadsafe function that calls the JavaScript callback;
//! 3. native threads push their results on a queue of the owner's and call
//!    [`Channel::wake`]; the first wake after a drain calls the threadsafe function, later
//!    ones only push, so a burst of completions costs one wake-up;
//! 4. on the JavaScript thread the channel calls `T::drain` and hands what it returned to the
//!    callback: a [`Batch`] as one object `{ width, numbers, messages }` (the default), or an
//!    engine's own [`Delivery`] type (the WorkerPool's records and payloads in one ArrayBuffer).
//!
//! Type erasure happens here and nowhere else (as in rayon-core's `JobRef::new::<T: Job>`):
//! napi keeps one untyped context pointer per threadsafe function, and [`start`] stores it
//! together with `call_js::<T>` and `finalize::<T>`, functions generated for the owner's own
//! type, so the pointer is always read back as the type it was made from.
//!
//! The threadsafe function is created raw so the owner controls exactly when it is called,
//! referenced (keeps the event loop alive) and released.

use std::ffi::c_void;
use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicPtr, Ordering};
use std::sync::{Arc, RwLock};

use napi::bindgen_prelude::ToNapiValue;
use napi::{sys, Env};

use crate::napi_util::{call_global, check, Callback};

/// What one drain hands to JavaScript: `numbers` holds records of `width` numbers each (their
/// layout is the engine's: [`super::task::TaskField`] for the pools), `messages` the string
/// of each record that has one. A large batch's `numbers` reach JavaScript as a
/// `Float64Array` (see the `ToNapiValue` impl below).
#[derive(Debug, Default)]
pub struct Batch {
    /// Numbers per record.
    pub width: u32,
    /// The records, one after the other.
    pub numbers: Vec<f64>,
    /// Messages by record, up to the last record that has one (null for a record without);
    /// records past its end have none. Empty when no record has a message (the usual case:
    /// only failures carry one), so a batch of successes costs no message at all.
    pub messages: Vec<Option<String>>,
}

impl Batch {
    /// An empty batch of records `width` numbers wide, with room for `records` of them.
    pub(crate) fn with_capacity(width: usize, records: usize) -> Self {
        Self {
            width: width as u32,
            numbers: Vec::with_capacity(width * records),
            messages: Vec::new(),
        }
    }

    /// Appends one record (exactly `width` numbers).
    pub(crate) fn push(&mut self, fields: &[f64]) {
        debug_assert_eq!(fields.len(), self.width as usize);
        self.numbers.extend_from_slice(fields);
    }

    /// Appends one record and its message, if it has one.
    pub(crate) fn push_with_message(&mut self, fields: &[f64], message: Option<String>) {
        self.push(fields);
        if let Some(message) = message {
            let record = self.numbers.len() / self.width as usize - 1;
            self.messages.resize(record, None);
            self.messages.push(Some(message));
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.numbers.is_empty()
    }
}

/// Batches of up to this many numbers go to JavaScript as a plain array: for a few records a
/// fresh `ArrayBuffer` (a V8 backing store to allocate and track) costs more than the
/// property stores it saves.
const SMALL_BATCH: usize = 64;

impl ToNapiValue for Batch {
    /// `{ width, numbers, messages }`, `numbers` a plain array for a small batch and a
    /// `Float64Array` for a large one (JavaScript only indexes it and reads its length).
    ///
    /// # Safety
    /// `env` must be a live env and the call made on its JavaScript thread.
    unsafe fn to_napi_value(env: sys::napi_env, batch: Self) -> napi::Result<sys::napi_value> {
        let mut object = ptr::null_mut();
        // SAFETY: env is live and this is its thread (caller); every value made here belongs
        // to it.
        unsafe {
            let numbers = if batch.numbers.len() <= SMALL_BATCH {
                Vec::<f64>::to_napi_value(env, batch.numbers)?
            } else {
                float64_array(env, &batch.numbers)?
            };
            check(
                sys::napi_create_object(env, &mut object),
                "creating the batch",
            )?;
            let fields = [
                (c"width", u32::to_napi_value(env, batch.width)?),
                (c"numbers", numbers),
                (
                    c"messages",
                    Vec::<Option<String>>::to_napi_value(env, batch.messages)?,
                ),
            ];
            for (name, value) in fields {
                check(
                    sys::napi_set_named_property(env, object, name.as_ptr(), value),
                    "filling the batch",
                )?;
            }
        }
        Ok(object)
    }
}

/// A `Float64Array` holding a copy of `numbers`: one copy into a fresh buffer instead of a
/// boxed number and a property store per element.
///
/// # Safety
/// `env` must be a live env and the call made on its JavaScript thread.
unsafe fn float64_array(env: sys::napi_env, numbers: &[f64]) -> napi::Result<sys::napi_value> {
    let bytes = std::mem::size_of_val(numbers);
    let mut buffer = ptr::null_mut();
    let mut data: *mut c_void = ptr::null_mut();
    let mut array = ptr::null_mut();
    // SAFETY: env is live and this is its thread (caller). napi hands back a fresh buffer of
    // `bytes` bytes at `data`, which the copy fills exactly before anything else can see it.
    unsafe {
        check(
            sys::napi_create_arraybuffer(env, bytes, &mut data, &mut buffer),
            "creating the batch's buffer",
        )?;
        if bytes > 0 {
            ptr::copy_nonoverlapping(numbers.as_ptr().cast::<u8>(), data.cast::<u8>(), bytes);
        }
        check(
            sys::napi_create_typedarray(
                env,
                sys::TypedarrayType::float64_array,
                numbers.len(),
                buffer,
                0,
                &mut array,
            ),
            "creating the batch's numbers",
        )?;
    }
    Ok(array)
}

/// What one drain hands to the JavaScript callback: the arguments it is called with.
pub(crate) trait Delivery: Sized + 'static {
    /// An empty delivery is not handed over.
    fn is_empty(&self) -> bool;

    /// The callback's arguments, made in `env`.
    ///
    /// # Safety
    /// Must run on the JavaScript thread of `env`, inside a napi callback.
    unsafe fn into_args(self, env: &Env) -> napi::Result<Vec<sys::napi_value>>;
}

impl Delivery for Batch {
    fn is_empty(&self) -> bool {
        Batch::is_empty(self)
    }

    unsafe fn into_args(self, env: &Env) -> napi::Result<Vec<sys::napi_value>> {
        // SAFETY: the env is live on this thread (caller).
        Ok(vec![unsafe { Batch::to_napi_value(env.raw(), self) }?])
    }
}

/// The shared state of an engine that reports to JavaScript through a [`Channel`]; `Out` is
/// what one drain hands over ([`Batch`] unless the engine has its own [`Delivery`]).
pub(crate) trait Source<Out: Delivery = Batch>: Send + Sync + Sized + 'static {
    /// The channel stored in this owner.
    fn channel(&self) -> &Channel;

    /// Takes what finished since the last call (JavaScript thread). `env` is `None` while the
    /// env is being torn down: do the bookkeeping only, nothing will be delivered. An empty
    /// delivery is not handed over.
    fn drain(&self, env: Option<&Env>) -> Out;
}

/// Starts `owner`'s channel: creates the threadsafe function that calls `callback` with each
/// delivery `T::drain` returns. napi holds one strong reference to `owner` until it finalises
/// the function (or none, when creation fails).
pub(crate) fn start<T: Source<Out>, Out: Delivery>(
    owner: &Arc<T>,
    env: &Env,
    label: &str,
    callback: &Callback,
) -> napi::Result<()> {
    let channel = owner.channel();
    let mut name = ptr::null_mut();
    // SAFETY: env is valid for this call; the string is valid UTF-8 of the given length.
    check(
        unsafe {
            sys::napi_create_string_utf8(
                env.raw(),
                label.as_ptr().cast(),
                label.len() as isize,
                &mut name,
            )
        },
        "creating the resource name",
    )?;
    // The one erased pointer: a leaked `Box<Arc<T>>`, read back only by `call_js::<T>` and
    // reclaimed only by `finalize::<T, Out>`, both instantiated for this same `T` below.
    let context: *mut Arc<T> = Box::into_raw(Box::new(owner.clone()));
    let mut raw = ptr::null_mut();
    // SAFETY: all handles are valid for this call (the callback is a function of this env,
    // checked when the argument was converted); `context` is a leaked box that `finalize::<T>` reclaims, and `call_js::<T>` only
    // reads it until then.
    let status = unsafe {
        sys::napi_create_threadsafe_function(
            env.raw(),
            callback.raw(),
            ptr::null_mut(),
            name,
            0,
            1,
            context.cast(),
            Some(finalize::<T, Out>),
            context.cast(),
            Some(call_js::<T, Out>),
            &mut raw,
        )
    };
    if let Err(e) = check(status, "creating the completion callback") {
        // SAFETY: creation failed, so napi never took ownership of `context`.
        drop(unsafe { Box::from_raw(context) });
        return Err(e);
    }
    channel.raw.store(raw, Ordering::Release);
    // A new threadsafe function is referenced; an idle engine must not hold the loop open.
    channel.referenced.store(true, Ordering::Relaxed);
    channel.set_referenced(env, false)
}

/// The native-thread side of one engine's threadsafe function.
#[derive(Debug)]
pub(crate) struct Channel {
    raw: AtomicPtr<sys::napi_threadsafe_function__>,
    /// True once the threadsafe function may no longer be called (released or finalised).
    /// Callers hold the read lock across the call so the finaliser cannot run meanwhile.
    closed: RwLock<bool>,
    /// True while a wake-up is queued and not yet drained.
    wake_pending: AtomicBool,
    /// Whether the threadsafe function currently keeps the event loop alive (JS thread only).
    referenced: AtomicBool,
}

impl Default for Channel {
    fn default() -> Self {
        Self::new()
    }
}

impl Channel {
    pub(crate) fn new() -> Self {
        Self {
            raw: AtomicPtr::new(ptr::null_mut()),
            closed: RwLock::new(false),
            wake_pending: AtomicBool::new(false),
            referenced: AtomicBool::new(false),
        }
    }

    /// Runs `f` with the threadsafe function while it is open, holding the read lock that
    /// `release` and `finalize` take for writing before the handle becomes invalid; `None`
    /// once it is closed (or before `start`).
    fn while_open<R>(&self, f: impl FnOnce(sys::napi_threadsafe_function) -> R) -> Option<R> {
        let closed = self.closed.read().unwrap_or_else(|e| e.into_inner());
        let raw = self.raw.load(Ordering::Acquire);
        if *closed || raw.is_null() {
            return None;
        }
        Some(f(raw))
    }

    /// Called by native threads after pushing a completion.
    pub(crate) fn wake(&self) {
        if self.wake_pending.swap(true, Ordering::AcqRel) {
            return;
        }
        self.while_open(|raw| {
            // SAFETY: the function is open (`while_open`). Non-blocking with an unbounded
            // queue never fails except while closing, which is harmless to ignore.
            unsafe {
                sys::napi_call_threadsafe_function(
                    raw,
                    ptr::null_mut(),
                    sys::ThreadsafeFunctionCallMode::nonblocking,
                )
            }
        });
    }

    /// Makes the engine keep the event loop alive (work in flight) or not (idle). JS thread
    /// only.
    pub(crate) fn set_referenced(&self, env: &Env, on: bool) -> napi::Result<()> {
        if self.referenced.load(Ordering::Relaxed) == on {
            return Ok(());
        }
        let status = self.while_open(|raw| {
            // SAFETY: called on the JS thread that owns `env`, with the function open
            // (`while_open`).
            unsafe {
                if on {
                    sys::napi_ref_threadsafe_function(env.raw(), raw)
                } else {
                    sys::napi_unref_threadsafe_function(env.raw(), raw)
                }
            }
        });
        let Some(status) = status else {
            return Ok(());
        };
        check(status, "changing the hold on the event loop")?;
        self.referenced.store(on, Ordering::Relaxed);
        Ok(())
    }

    /// Marks the function closed without releasing it (the env is going away and will
    /// finalise it). After this no native thread calls it.
    pub(crate) fn mark_closed(&self) {
        *self.closed.write().unwrap_or_else(|e| e.into_inner()) = true;
    }

    /// Closes and releases the function (the engine is closed). JS thread only.
    pub(crate) fn release(&self) {
        let mut closed = self.closed.write().unwrap_or_else(|e| e.into_inner());
        if *closed {
            return;
        }
        *closed = true;
        let raw = self.raw.load(Ordering::Acquire);
        if raw.is_null() {
            return;
        }
        // SAFETY: the function is open and this is its one and only release.
        unsafe {
            sys::napi_release_threadsafe_function(raw, sys::ThreadsafeFunctionReleaseMode::release);
        }
    }
}

/// napi's call on the JavaScript thread: drains the owner and hands the delivery over.
///
/// # Safety
/// `context` must be the `Box<Arc<T>>` made by [`start::<T, Out>`] for this same `T`, not yet
/// finalised; `env`/`callback` are what napi hands the callback (null at teardown).
unsafe extern "C" fn call_js<T: Source<Out>, Out: Delivery>(
    env: sys::napi_env,
    callback: sys::napi_value,
    context: *mut c_void,
    _data: *mut c_void,
) {
    // SAFETY: guaranteed by the caller (napi passes back the context `start::<T>` gave it,
    // alive until `finalize::<T>`).
    let owner: &T = unsafe { &*(context as *const Arc<T>) };
    let channel = owner.channel();
    // A swap, not a store: a store may be reordered after the drain's first look at the
    // queue (store-to-load reordering, even on x86), so a completion pushed in between would
    // see the flag still set, skip its wake, and wait for the next burst. As read-modify-
    // writes, this swap and the producer's swap in `wake` are ordered one way or the other:
    // either the producer's swap comes first (and its push is visible to the drain below), or
    // it sees `false` and calls again.
    channel.wake_pending.swap(false, Ordering::AcqRel);
    let live = !env.is_null() && !callback.is_null();
    let env = live.then(|| Env::from_raw(env));
    let out = owner.drain(env.as_ref());
    let Some(env) = env else {
        return;
    };
    if out.is_empty() {
        return;
    }
    // SAFETY: on the JS thread inside a napi callback, with a live env and callback.
    let _ = unsafe { deliver(&env, callback, out) };
}

/// Calls `callback(...out)` with the global object as `this`.
///
/// # Safety
/// Must run on the JavaScript thread of `env`, inside a napi callback; `callback` must be a
/// function of that env.
unsafe fn deliver<Out: Delivery>(
    env: &Env,
    callback: sys::napi_value,
    out: Out,
) -> napi::Result<()> {
    // SAFETY: the env is live for this callback (caller); the arguments belong to it.
    unsafe {
        let args = out.into_args(env)?;
        call_global(
            env.raw(),
            callback,
            &args,
            "calling the completion callback",
        )
    }
}

/// napi's finaliser: the function is gone, so the channel is closed and the strong reference
/// handed over in [`start`] is given back.
///
/// # Safety
/// `data` must be the `Box<Arc<T>>` made by [`start::<T, Out>`] for this same `T`; napi calls
/// the finaliser exactly once.
unsafe extern "C" fn finalize<T: Source<Out>, Out: Delivery>(
    _env: sys::napi_env,
    data: *mut c_void,
    _hint: *mut c_void,
) {
    // SAFETY: guaranteed by the caller.
    let owner = unsafe { Box::from_raw(data as *mut Arc<T>) };
    owner.channel().mark_closed();
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn a_batch_keeps_records_and_messages_in_step() {
        let mut batch = Batch::with_capacity(3, 2);
        assert!(batch.is_empty());
        batch.push_with_message(&[1.0, 2.0, 3.0], None);
        assert!(batch.messages.is_empty(), "no message, no array to fill");
        batch.push_with_message(&[4.0, 5.0, 6.0], Some("boom".into()));
        batch.push_with_message(&[7.0, 8.0, 9.0], None);
        assert!(!batch.is_empty());
        assert_eq!(batch.width, 3);
        assert_eq!(batch.numbers, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]);
        assert_eq!(batch.messages, [None, Some("boom".to_owned())]);
    }

    #[test]
    fn an_unstarted_channel_ignores_wakes_and_releases() {
        // Before `start` (or after it failed) there is no function to call: nothing happens.
        let channel = Channel::new();
        channel.wake();
        channel.release();
        channel.wake();
        assert!(*channel.closed.read().unwrap());
    }
}
