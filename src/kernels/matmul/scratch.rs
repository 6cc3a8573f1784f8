//! `matmul`'s packing buffers, and the per-thread cache that keeps them between products.
//!
//! The cache is a `thread_local!` whose value has a destructor: the first touch on a thread
//! registers that destructor with glibc (`__cxa_thread_atexit_impl`, under the dynamic
//! loader's lock). A forked process-pool child must never do that (`docs/fork.md`), so under
//! a context without thread caches ([`super::Ctx::thread_caches`]) a product takes
//! [`Borrowed::own`] buffers, which never go near the cache.

use std::cell::Cell;

use super::{BRow, MR};

thread_local! {
    /// Packing buffers kept by each thread between tasks (at most `MC x KC + KC x NC` values,
    /// 704 KiB), so that repeated products reuse warm memory instead of allocating, zeroing
    /// and faulting in fresh pages every time.
    pub(super) static SCRATCH: Cell<Scratch> = const { Cell::new(Scratch::new()) };
}

/// Buffers for the packed blocks of `a` and `b`.
#[derive(Debug, Default)]
pub(super) struct Scratch {
    pub(super) a: Vec<[f64; MR]>,
    pub(super) b: Vec<BRow>,
}

impl Scratch {
    pub(super) const fn new() -> Self {
        Self {
            a: Vec::new(),
            b: Vec::new(),
        }
    }
}

/// A [`Scratch`] taken from the current thread's cache (or new, when the cache is in use or
/// gone) and given back to the cache of the thread that drops it; or one of its own that
/// never goes near the cache.
#[derive(Debug)]
pub(super) struct Borrowed {
    pub(super) scratch: Scratch,
    /// Given back to the thread's cache when dropped.
    cached: bool,
}

impl Borrowed {
    pub(super) fn take() -> Self {
        Self {
            scratch: SCRATCH.try_with(Cell::take).unwrap_or_default(),
            cached: true,
        }
    }

    /// Fresh buffers, freed when dropped: the thread-local cache is never touched.
    pub(super) fn own() -> Self {
        Self {
            scratch: Scratch::new(),
            cached: false,
        }
    }
}

impl Drop for Borrowed {
    fn drop(&mut self) {
        if !self.cached {
            return;
        }
        let scratch = std::mem::take(&mut self.scratch);
        // During thread teardown the cache may be gone; the buffers are then just freed.
        let _ = SCRATCH.try_with(|cache| cache.set(scratch));
    }
}
