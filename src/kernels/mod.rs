//! Compute kernels and the registry that maps their names to them.
//!
//! Every kernel lives in its own file and describes itself once, in a `pub static KERNEL:`
//! [`Kernel`]: its name, its `prepare` function (it checks the numeric parameters and
//! typed-array views it was given — the JS facade has already validated them; this is the
//! second line of defence, so nothing can make a kernel read or write out of bounds — and
//! returns a [`Job`] that a pool thread runs), the views it writes and the limits of its
//! parameters (exported to JavaScript, whose checks read them).
//!
//! Adding a kernel is its file plus its name in the [`registry!`] line below; the ThreadPool
//! and the ProcessPool (as one part per task, unless `src/process_pool/kernels/` splits it)
//! then run it. `docs/adding-a-kernel.md` lists every step.

use std::sync::atomic::{AtomicBool, Ordering};

pub mod view;

pub use blur::{blur, blur_band};
pub use histogram::histogram;
pub use mandelbrot::{mandelbrot, mandelbrot_rows, MandelbrotParams};
pub use matmul::matmul;
pub use primes::{count_primes, count_primes_between};
pub use sha256::sha256_chunks;
pub use sort::{merge_sorted_runs, sort_like_js};
pub use view::{Elem, ElemKind, RawView, SharedSlice};

/// Returned by a kernel that saw its cancel flag set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cancelled;

/// What a kernel can see of the task running it: its cancel flag, how many threads it may
/// use, and whether it may keep per-thread caches.
#[derive(Debug, Clone, Copy)]
pub struct Ctx<'a> {
    cancel: &'a AtomicBool,
    threads: usize,
    thread_caches: bool,
}

impl<'a> Ctx<'a> {
    /// For a kernel running on a rayon pool thread (or a test): it may use every thread of the
    /// current rayon pool.
    pub fn new(cancel: &'a AtomicBool) -> Self {
        Self {
            cancel,
            threads: rayon::current_num_threads(),
            thread_caches: true,
        }
    }

    /// For a kernel that must run on the calling thread only and must not touch rayon at all
    /// (a forked process-pool child, where starting rayon's global pool would spawn threads in
    /// a process that must stay single-threaded). Kernels take their serial path when
    /// [`Ctx::threads`] is 1, and keep no per-thread cache ([`Ctx::thread_caches`] is false).
    pub fn serial(cancel: &'a AtomicBool) -> Self {
        Self {
            cancel,
            threads: 1,
            thread_caches: false,
        }
    }

    /// Threads the kernel may use; 1 means "serial, no rayon calls at all".
    #[inline]
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// Whether the kernel may use a per-thread cache (a `thread_local!` whose value has a
    /// destructor). False under [`Ctx::serial`]: in a forked child the first touch of such a
    /// thread-local registers its destructor with glibc under the dynamic loader's lock, which
    /// another thread of the parent may have held at the fork (`docs/fork.md`). Kernels then
    /// use buffers of their own (plain allocations are fine there).
    #[inline]
    pub fn thread_caches(&self) -> bool {
        self.thread_caches
    }

    /// Kernels call this at least every ~1 ms of work.
    #[inline]
    pub fn check(&self) -> Result<(), Cancelled> {
        if self.cancel.load(Ordering::Relaxed) {
            Err(Cancelled)
        } else {
            Ok(())
        }
    }
}

/// A prepared kernel invocation, ready to run on a pool thread.
pub trait Job: Send {
    /// Runs the kernel. The returned number is the kernel's scalar result (for example the
    /// prime count); kernels that write an output array return 0.
    fn run(&mut self, ctx: &Ctx<'_>) -> Result<f64, Cancelled>;
}

/// Checks a kernel's arguments and builds its job.
pub type Prepare = fn(&Params<'_>, Vec<RawView>) -> Result<Box<dyn Job>, String>;

/// One kernel, described once.
#[derive(Debug)]
pub struct Kernel {
    /// The name JavaScript runs it by (names starting with `__` are internal: tests only).
    pub name: &'static str,
    /// Checks the arguments and builds the job.
    pub prepare: Prepare,
    /// Indices of the views it writes (the ProcessPool requires them in SharedMemory).
    pub outputs: &'static [usize],
    /// The largest value of each numeric parameter, by the name JavaScript gives it; the
    /// facade's checks read them from here (`lib/kernels/index.js`).
    pub limits: &'static [(&'static str, f64)],
}

impl Kernel {
    /// Checks the arguments and builds the job. More than [`MAX_PARAMS`] numbers or
    /// [`MAX_VIEWS`] arrays are refused whatever the kernel (kernels that take none would
    /// otherwise ignore them).
    pub fn prepare(&self, params: &[f64], views: Vec<RawView>) -> Result<Box<dyn Job>, String> {
        check_counts(self.name, params.len(), views.len())?;
        (self.prepare)(&Params::new(self.name, params), views)
    }
}

/// Declares the kernel modules and lists their descriptors in [`REGISTRY`], in this order
/// (the index is the kernel id JavaScript submits).
/// A kernel may carry attributes (`#[cfg(...)]`).
macro_rules! registry {
    ($($(#[$attr:meta])* $kernel:ident),* $(,)?) => {
        $($(#[$attr])* pub mod $kernel;)*
        /// Every kernel, in registry order.
        pub static REGISTRY: &[&Kernel] = &[$($(#[$attr])* &$kernel::KERNEL),*];
    };
}

// Names starting with `__` are internal: they exist only in test builds (`cargo test`, or the
// `test-kernels` feature `npm test` builds with), never in a release binary, so no call can
// reach them in production.
registry!(
    noop,
    spin,
    mandelbrot,
    matmul,
    sha256,
    blur,
    histogram,
    sort,
    primes,
    #[cfg(any(test, feature = "test-kernels"))]
    testing,
);

/// Most numeric parameters a task may pass (no kernel takes more than 7).
pub const MAX_PARAMS: usize = 12;
/// Most typed arrays a task may pass (no kernel takes more than 3).
pub const MAX_VIEWS: usize = 4;

/// Looks a kernel up by its index in [`REGISTRY`] and prepares a job.
pub fn prepare(kernel: usize, params: &[f64], views: Vec<RawView>) -> Result<Box<dyn Job>, String> {
    REGISTRY
        .get(kernel)
        .ok_or_else(|| format!("unknown kernel #{kernel}"))?
        .prepare(params, views)
}

/// Refuses more than [`MAX_PARAMS`] numbers or [`MAX_VIEWS`] arrays for any kernel.
pub fn check_counts(kernel: &str, params: usize, views: usize) -> Result<(), String> {
    if params > MAX_PARAMS || views > MAX_VIEWS {
        return Err(format!(
            "{kernel}: a task takes at most {MAX_PARAMS} numbers and {MAX_VIEWS} typed arrays, got {params} and {views}"
        ));
    }
    Ok(())
}

/// Numeric kernel parameters, read by position with range checks.
#[derive(Debug)]
pub struct Params<'a> {
    kernel: &'a str,
    values: &'a [f64],
}

impl<'a> Params<'a> {
    pub fn new(kernel: &'a str, values: &'a [f64]) -> Self {
        Self { kernel, values }
    }

    /// A finite number.
    pub fn f64(&self, index: usize, name: &str) -> Result<f64, String> {
        match self.values.get(index) {
            Some(v) if v.is_finite() => Ok(*v),
            Some(v) => Err(format!(
                "{}: {name} must be a finite number, got {v}",
                self.kernel
            )),
            None => Err(format!("{}: {name} is missing", self.kernel)),
        }
    }

    /// An integer in `0..=max`.
    pub fn usize(&self, index: usize, name: &str, max: usize) -> Result<usize, String> {
        let v = self.f64(index, name)?;
        if v < 0.0 || v.fract() != 0.0 || v > max as f64 {
            return Err(format!(
                "{}: {name} must be an integer from 0 to {max}, got {v}",
                self.kernel
            ));
        }
        Ok(v as usize)
    }
}

/// Takes exactly `N` views from a kernel's arguments.
pub fn take_views<const N: usize>(
    kernel: &str,
    views: Vec<RawView>,
) -> Result<[RawView; N], String> {
    let got = views.len();
    views
        .try_into()
        .map_err(|_| format!("{kernel}: expected {N} typed arrays, got {got}"))
}

/// Fails when an output view shares bytes with an input view.
pub fn ensure_disjoint(
    kernel: &str,
    out: &RawView,
    inputs: &[(&str, &RawView)],
) -> Result<(), String> {
    for (name, input) in inputs {
        if out.overlaps(input) {
            return Err(format!("{kernel}: out must not overlap {name}"));
        }
    }
    Ok(())
}

/// Fails unless a view has exactly `want` elements.
pub fn ensure_len(kernel: &str, name: &str, view: &RawView, want: usize) -> Result<(), String> {
    if view.len() != want {
        return Err(format!(
            "{kernel}: {name} must have {want} elements, got {}",
            view.len()
        ));
    }
    Ok(())
}
