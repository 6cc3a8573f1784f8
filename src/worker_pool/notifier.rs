//! Wakes the WorkerPool's JavaScript thread when tasks complete.
//!
//! The WorkerPool was written alongside `crate::core::completion` and still uses this older,
//! untyped form of the same channel (its batches are one ArrayBuffer of records and payloads,
//! not a `core::completion::Batch`). Folding it into `core::completion` (a `Source` whose
//! output type is its own) is left to do; until then this is the one other place that reads an
//! owner back from a `*mut c_void`.
//!
//! One napi threadsafe function per pool, created raw so the pool controls exactly when it is
//! called, referenced (keeps the event loop alive) and released. Completions are pushed onto a
//! lock-free queue by pool threads; the first push after a drain calls the threadsafe function,
//! later ones only push, so a burst of completions costs one wake-up.

use std::ffi::c_void;
use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicPtr, Ordering};
use std::sync::{Arc, RwLock};

use napi::{sys, Env};

use crate::napi_util::check;

/// The JS-thread side of a drain: receives the env (null while the env is being torn down),
/// the JavaScript callback the pool was created with, and the owner pointer given to `start`.
pub(crate) type DrainFn =
    unsafe fn(env: sys::napi_env, callback: sys::napi_value, owner: *mut c_void);

/// State shared through an `Arc` that owns the `Notifier` waking its JavaScript callback.
pub(crate) trait HasNotifier: Send + Sync + 'static {
    fn notifier(&self) -> &Notifier;
}

/// Starts `owner`'s notifier: creates the threadsafe function that calls `callback` through
/// `drain`, handing napi one strong reference to `owner` that it gives back when the function
/// is finalised (or at once, when creation fails).
///
/// # Safety
/// `env` and `callback` must be valid for the current napi call, and `drain` must read its
/// `owner` argument as a `*const T` (it stays valid until the function is finalised).
pub(crate) unsafe fn start_for<T: HasNotifier>(
    owner: &Arc<T>,
    env: &Env,
    label: &str,
    callback: sys::napi_value,
    drain: DrainFn,
) -> napi::Result<()> {
    let raw = Arc::into_raw(owner.clone()) as *mut c_void;
    // SAFETY: env and callback are valid (caller); `raw` is a leaked strong reference to the
    // `T` holding this notifier, and `release_arc::<T>` is what gives it back.
    let started = unsafe {
        owner
            .notifier()
            .start(env, label, callback, raw, release_arc::<T>, drain)
    };
    if started.is_err() {
        // SAFETY: creation failed, so the reference handed over was not taken.
        unsafe { release_arc::<T>(raw) };
    }
    started
}

/// Gives back a strong reference leaked by [`start_for`].
///
/// # Safety
/// `owner` must come from `Arc::<T>::into_raw` and be released once.
unsafe fn release_arc<T>(owner: *mut c_void) {
    // SAFETY: guaranteed by the caller.
    drop(unsafe { Arc::from_raw(owner as *const T) });
}

#[derive(Debug)]
pub(crate) struct Notifier {
    raw: AtomicPtr<sys::napi_threadsafe_function__>,
    /// True once the threadsafe function may no longer be called (released or finalised).
    /// Callers hold the read lock across the call so the finaliser cannot run meanwhile.
    closed: RwLock<bool>,
    /// True while a wake-up is queued and not yet drained.
    wake_pending: AtomicBool,
    /// Whether the threadsafe function currently keeps the event loop alive (JS thread only).
    referenced: AtomicBool,
}

impl Notifier {
    pub(crate) fn new() -> Self {
        Self {
            raw: AtomicPtr::new(ptr::null_mut()),
            closed: RwLock::new(false),
            wake_pending: AtomicBool::new(false),
            referenced: AtomicBool::new(false),
        }
    }

    /// Creates the threadsafe function. `owner` must stay valid until `finalize` runs; the
    /// caller hands over one strong reference that `finalize` gives back. Use [`start_for`].
    ///
    /// # Safety
    /// `env` and `callback` must be valid for the current napi call, `self` must be the
    /// `Notifier` stored inside `owner`, and `owner` must be a leaked `Arc` whose release
    /// function is `release_owner`.
    unsafe fn start(
        &self,
        env: &Env,
        label: &str,
        callback: sys::napi_value,
        owner: *mut c_void,
        release_owner: unsafe fn(*mut c_void),
        drain: DrainFn,
    ) -> napi::Result<()> {
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
        let hooks = Box::into_raw(Box::new(Hooks {
            notifier: self as *const Notifier,
            owner,
            release_owner,
            drain,
        }));
        let mut raw = ptr::null_mut();
        // SAFETY: all handles are valid for this call; `hooks` is a leaked box that `finalize`
        // reclaims, and `call_js` only reads it until then.
        let status = unsafe {
            sys::napi_create_threadsafe_function(
                env.raw(),
                callback,
                ptr::null_mut(),
                name,
                0,
                1,
                hooks.cast(),
                Some(finalize),
                hooks.cast(),
                Some(call_js),
                &mut raw,
            )
        };
        if let Err(e) = check(status, "creating the completion callback") {
            // SAFETY: creation failed, so napi never took ownership of `hooks`.
            drop(unsafe { Box::from_raw(hooks) });
            return Err(e);
        }
        self.raw.store(raw, Ordering::Release);
        // A new threadsafe function is referenced; an idle pool must not hold the loop open.
        self.referenced.store(true, Ordering::Relaxed);
        self.set_referenced(env, false)
    }

    /// Called by native threads after pushing a completion.
    pub(crate) fn wake(&self) {
        if self.wake_pending.swap(true, Ordering::AcqRel) {
            return;
        }
        let closed = self.closed.read().unwrap_or_else(|e| e.into_inner());
        if *closed {
            return;
        }
        // SAFETY: the function is open (checked under the read lock, which `close`/`finalize`
        // must take for writing before the handle becomes invalid). Non-blocking with an
        // unbounded queue never fails except while closing, which is harmless to ignore.
        unsafe {
            sys::napi_call_threadsafe_function(
                self.raw.load(Ordering::Acquire),
                ptr::null_mut(),
                sys::ThreadsafeFunctionCallMode::nonblocking,
            );
        }
    }

    /// Makes the pool keep the event loop alive (tasks in flight) or not (idle). JS thread only.
    pub(crate) fn set_referenced(&self, env: &Env, on: bool) -> napi::Result<()> {
        if self.referenced.load(Ordering::Relaxed) == on {
            return Ok(());
        }
        let closed = self.closed.read().unwrap_or_else(|e| e.into_inner());
        if *closed {
            return Ok(());
        }
        let raw = self.raw.load(Ordering::Acquire);
        // SAFETY: called on the JS thread that owns `env`, with the function still open.
        let status = unsafe {
            if on {
                sys::napi_ref_threadsafe_function(env.raw(), raw)
            } else {
                sys::napi_unref_threadsafe_function(env.raw(), raw)
            }
        };
        check(status, "changing the pool's hold on the event loop")?;
        self.referenced.store(on, Ordering::Relaxed);
        Ok(())
    }

    /// Marks the function closed without releasing it (the env is going away and will
    /// finalise it). After this no pool thread calls it.
    pub(crate) fn mark_closed(&self) {
        *self.closed.write().unwrap_or_else(|e| e.into_inner()) = true;
    }

    /// Closes and releases the function (pool destroyed). JS thread only.
    pub(crate) fn release(&self) {
        let mut closed = self.closed.write().unwrap_or_else(|e| e.into_inner());
        if *closed {
            return;
        }
        *closed = true;
        // SAFETY: the function is open and this is its one and only release.
        unsafe {
            sys::napi_release_threadsafe_function(
                self.raw.load(Ordering::Acquire),
                sys::ThreadsafeFunctionReleaseMode::release,
            );
        }
    }
}

struct Hooks {
    notifier: *const Notifier,
    owner: *mut c_void,
    release_owner: unsafe fn(*mut c_void),
    drain: DrainFn,
}

unsafe extern "C" fn call_js(
    env: sys::napi_env,
    callback: sys::napi_value,
    context: *mut c_void,
    _data: *mut c_void,
) {
    // SAFETY: `context` is the `Hooks` box made in `start`, alive until `finalize`, and the
    // notifier it points to lives inside `owner`, which the hooks keep alive.
    let hooks = unsafe { &*(context as *const Hooks) };
    // SAFETY: as above.
    let notifier = unsafe { &*hooks.notifier };
    // A swap, not a store: a store may be reordered after the drain's first look at the
    // queue (store-to-load reordering, even on x86), so a completion pushed in between would
    // see the flag still set, skip its wake, and wait for the next burst. As a read-modify-
    // write, this swap and the pool thread's swap in `wake` are ordered one way or the other:
    // either that thread's swap comes first (and its push is visible to the drain below), or
    // it sees `false` and calls again.
    notifier.wake_pending.swap(false, Ordering::AcqRel);
    // SAFETY: env/callback are what napi handed this callback (env may be null at teardown,
    // which `drain` handles); the owner is alive until `finalize`.
    unsafe { (hooks.drain)(env, callback, hooks.owner) };
}

unsafe extern "C" fn finalize(_env: sys::napi_env, data: *mut c_void, _hint: *mut c_void) {
    // SAFETY: `data` is the `Hooks` box from `start`; napi calls the finaliser exactly once.
    let hooks = unsafe { Box::from_raw(data as *mut Hooks) };
    // SAFETY: the owner is still alive (we hold its reference until the line below).
    unsafe { (*hooks.notifier).mark_closed() };
    // SAFETY: gives back the strong reference handed over in `start`.
    unsafe { (hooks.release_owner)(hooks.owner) };
}
