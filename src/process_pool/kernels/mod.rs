//! The process pool's kernel table: how each kernel is split into parts in the parent
//! ([`ProcKernel::plan`]), how a child computes one part ([`ProcKernel::part`]) and what the
//! parent does once every part has reported ([`Finish`]).
//!
//! Children run every kernel with [`Ctx::serial`]: `ctx.threads()` is 1, so kernels take their
//! serial path and never touch rayon, and `ctx.thread_caches()` is false, so they keep no
//! per-thread cache (matmul packs into buffers of its own instead of its thread-local ones).
//! Nothing a part runs may do what `docs/fork.md` forbids (locks, printing, the environment,
//! a first touch of a thread-local with a destructor); a kernel is added here only once its
//! serial path has been checked against that page.
//!
//! - [`bands`]: kernels split into bands of rows (`mandelbrot`, `blur`, `matmul`).
//! - [`chunks`]: kernels split into ranges of a flat input (`sha256`, `sort`, `histogram`) or
//!   of numbers (`primes`).

mod bands;
mod chunks;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use crate::kernels::{self, merge_sorted_runs, Cancelled, Ctx, ElemKind, Kernel, RawView};
use crate::shm::Segment;

use super::protocol::{Loc, Reply, ViewSpec, COUNTS};
use bands::{part_blur, part_mandelbrot, plan_blur, plan_mandelbrot, plan_matmul};
use chunks::{part_histogram, part_primes, plan_histogram, plan_primes, plan_sha256, plan_sort};

/// A view of a task as the parent holds it.
#[derive(Debug, Clone)]
pub(super) struct PView {
    /// Address in the parent.
    pub(super) addr: usize,
    /// Elements.
    pub(super) len: usize,
    pub(super) kind: ElemKind,
    /// The segment it lies in and its byte offset there (None: ordinary memory).
    pub(super) segment: Option<(Arc<Segment>, usize)>,
}

impl PView {
    /// Elements `start .. end` of this view.
    fn sub(&self, start: usize, end: usize) -> PView {
        debug_assert!(start <= end && end <= self.len);
        let skip = start * self.kind.size();
        PView {
            addr: self.addr + skip,
            len: end - start,
            kind: self.kind,
            segment: self
                .segment
                .as_ref()
                .map(|(s, off)| (s.clone(), off + skip)),
        }
    }

    /// How a child finds this view: through its own mapping of the segment (persistent
    /// children), or at the parent's address (one-shot children, which inherited it all).
    pub(super) fn spec(&self, one_shot: bool) -> ViewSpec {
        let loc = match (&self.segment, one_shot) {
            (Some((segment, offset)), false) => Loc::Segment {
                id: segment.id(),
                offset: *offset as u64,
            },
            _ => Loc::Addr(self.addr as u64),
        };
        ViewSpec {
            loc,
            len: self.len as u64,
            kind: self.kind,
        }
    }
}

/// What the parent does once every part has reported.
#[derive(Debug)]
pub(super) enum Finish {
    /// Nothing: the parts wrote the output.
    Nothing,
    /// The task's value is the sum of the parts' values.
    Sum,
    /// Merge the sorted runs of `data` that start at `starts`.
    Merge { data: PView, starts: Vec<usize> },
    /// The parts send counts ([`Reply::Counts`]); `totals` adds them up bin by bin, modulo
    /// 2^32 (as incrementing a `Uint32Array` does), and they are written over `out` (256
    /// `u32`s in SharedMemory) once every part has succeeded, so a failed or cancelled task
    /// leaves `out` untouched.
    Counts {
        out: PView,
        totals: Box<[u32; COUNTS]>,
    },
}

impl Finish {
    /// Takes one successful part's reply into account: its value is added to `sum`, its
    /// counts to `totals`. Fails when the reply does not fit the task (counts for a task
    /// that expects none, or a value where counts are due): a bug, never user input.
    pub(super) fn add(&mut self, reply: &Reply, sum: &mut f64) -> Result<(), &'static str> {
        match (self, reply) {
            (Finish::Counts { totals, .. }, Reply::Counts(counts)) => {
                add_counts(totals, counts);
                Ok(())
            }
            (Finish::Counts { .. }, Reply::Value(_)) => Err("a part sent no counts"),
            (_, Reply::Counts(_)) => Err("a part sent counts its task does not expect"),
            (_, Reply::Value(value)) => {
                *sum += value;
                Ok(())
            }
        }
    }

    /// The parent's last step, once every part has succeeded: the merge of a sort, or
    /// writing a histogram's totals. Runs without the pool's lock (on the supervisor thread,
    /// or on the JavaScript thread for a task with no parts).
    pub(super) fn run(&self) {
        match self {
            Finish::Nothing | Finish::Sum => {}
            Finish::Merge { data, starts } => {
                // SAFETY: the view contract for `data` until `merge_sorted_runs` returns: it lies
                // in a SharedMemory segment the task holds (`Task::segments`) and the facade
                // keeps pinned until the task settles (1); it is the task's only view (4); every
                // child that wrote it has reported, and outside writers are the user's (2, 3).
                let view = unsafe { RawView::from_raw(data.addr as *mut u8, data.len, data.kind) };
                let Ok(slice) = view.typed::<f64>("data") else {
                    return;
                };
                let never = std::sync::atomic::AtomicBool::new(false);
                // SAFETY: the view contract holds for `data` (above), and this is the only
                // slice made from it.
                let data = unsafe { slice.as_mut() };
                let _ = merge_sorted_runs(data, starts, &Ctx::serial(&never));
            }
            Finish::Counts { out, totals } => {
                // SAFETY: the view contract for `out` until it is written: it lies in a
                // SharedMemory segment the task holds and the facade keeps pinned (1); it does
                // not overlap the task's input (4, checked at submit); no child writes it (parts
                // only send counts), and outside readers and writers are the user's (2, 3).
                let view = unsafe { RawView::from_raw(out.addr as *mut u8, out.len, out.kind) };
                let Ok(slice) = view.typed::<u32>("out") else {
                    return;
                };
                // SAFETY: the view contract holds for `out` (above), and this is the only slice
                // made from it.
                let out = unsafe { slice.as_mut() };
                if out.len() == totals.len() {
                    out.copy_from_slice(&totals[..]);
                }
            }
        }
    }
}

/// Adds `counts` to `totals` bin by bin, modulo 2^32: each part's counts are already modulo
/// 2^32, so the totals are the whole input's counts modulo 2^32, as in one pass.
fn add_counts(totals: &mut [u32; COUNTS], counts: &[u32; COUNTS]) {
    for (t, &c) in totals.iter_mut().zip(counts) {
        *t = t.wrapping_add(c);
    }
}

/// A task cut into parts.
#[derive(Debug)]
pub(super) struct Plan {
    /// Parameters and views of each part (views as the parent sees them).
    pub(super) parts: Vec<(Vec<f64>, Vec<PView>)>,
    pub(super) finish: Finish,
}

/// Why a child did not finish a part.
#[derive(Debug)]
pub(super) enum Fail {
    Cancelled,
    Invalid(String),
}

impl From<Cancelled> for Fail {
    fn from(_: Cancelled) -> Self {
        Fail::Cancelled
    }
}

impl From<String> for Fail {
    fn from(m: String) -> Self {
        Fail::Invalid(m)
    }
}

type PlanFn = fn(&[f64], &[PView], usize) -> Plan;
type PartFn = fn(&[f64], Vec<RawView>, &Ctx<'_>) -> Result<Reply, Fail>;

/// How a child computes a part.
#[derive(Debug, Clone, Copy)]
enum Part {
    /// Runs the kernel's own job on the part's views, serially.
    Job(&'static Kernel),
    /// A part function of the split's own.
    Custom(PartFn),
}

/// How the process pool runs one kernel. Every kernel of [`kernels::REGISTRY`] gets one (the
/// same id as in the registry): as a single part running its own job, unless [`SPLITS`] cuts
/// it into parts; the internal kernels of [`INTERNAL`] follow.
#[derive(Debug, Clone, Copy)]
pub(super) struct ProcKernel {
    pub(super) name: &'static str,
    /// The kernel's descriptor, whose `prepare` checks a task's arguments in the parent
    /// (None: an internal kernel that only ends its child).
    pub(super) kernel: Option<&'static Kernel>,
    /// Indices of the views the kernel writes: they must be in SharedMemory.
    pub(super) outputs: &'static [usize],
    pub(super) plan: PlanFn,
    part: Part,
}

impl ProcKernel {
    /// How the process pool runs `kernel`: its entry in [`SPLITS`] if it has one (found by
    /// the descriptor's address, never by name), else one part running its own job.
    fn of(kernel: &'static Kernel) -> Self {
        let split = SPLITS.iter().find(|s| std::ptr::eq(s.kernel, kernel));
        Self {
            name: kernel.name,
            kernel: Some(kernel),
            outputs: kernel.outputs,
            plan: split.map_or(whole as PlanFn, |s| s.plan),
            part: match split.and_then(|s| s.part) {
                Some(part) => Part::Custom(part),
                None => Part::Job(kernel),
            },
        }
    }

    /// Computes one part in a child.
    pub(super) fn part(
        &self,
        params: &[f64],
        views: Vec<RawView>,
        ctx: &Ctx<'_>,
    ) -> Result<Reply, Fail> {
        match self.part {
            Part::Custom(part) => part(params, views, ctx),
            Part::Job(kernel) => {
                let mut job = kernel.prepare(params, views)?;
                Ok(Reply::Value(job.run(ctx)?))
            }
        }
    }
}

/// The kernel with this id: the registry's kernels first, then [`INTERNAL`]. No allocation
/// and no lock, so a child may call it.
pub(super) fn kernel(id: usize) -> Option<ProcKernel> {
    match kernels::REGISTRY.get(id) {
        Some(k) => Some(ProcKernel::of(k)),
        None => INTERNAL.get(id - kernels::REGISTRY.len()).copied(),
    }
}

/// How many kernels there are (ids are `0..count()`).
pub(super) fn count() -> usize {
    kernels::REGISTRY.len() + INTERNAL.len()
}

/// Every kernel's name, by id.
pub(super) fn names() -> Vec<&'static str> {
    kernels::REGISTRY
        .iter()
        .map(|k| k.name)
        .chain(INTERNAL.iter().map(|k| k.name))
        .collect()
}

/// A kernel the process pool cuts into parts of its own: `plan` splits a task in the parent;
/// `part` computes one part in a child (None: the kernel's own job on the part's views).
#[derive(Debug)]
struct Split {
    kernel: &'static Kernel,
    plan: PlanFn,
    part: Option<PartFn>,
}

/// The kernels split over several children. A kernel missing here runs as one part.
static SPLITS: &[Split] = &[
    Split {
        kernel: &kernels::mandelbrot::KERNEL,
        plan: plan_mandelbrot,
        part: Some(part_mandelbrot),
    },
    Split {
        kernel: &kernels::matmul::KERNEL,
        plan: plan_matmul,
        part: None,
    },
    Split {
        kernel: &kernels::sha256::KERNEL,
        plan: plan_sha256,
        part: None,
    },
    Split {
        kernel: &kernels::blur::KERNEL,
        plan: plan_blur,
        part: Some(part_blur),
    },
    Split {
        kernel: &kernels::histogram::KERNEL,
        plan: plan_histogram,
        part: Some(part_histogram),
    },
    Split {
        kernel: &kernels::sort::KERNEL,
        plan: plan_sort,
        part: None,
    },
    Split {
        kernel: &kernels::primes::KERNEL,
        plan: plan_primes,
        part: Some(part_primes),
    },
    // The test kernel says where it panicked.
    #[cfg(any(test, feature = "test-kernels"))]
    Split {
        kernel: &kernels::testing::KERNEL,
        plan: whole,
        part: Some(|_, _, _| panic!("__panic kernel: deliberate panic in a child process")),
    },
];

/// Internal kernels for the tests: ways for a child to die. Test builds only (see
/// `crate::kernels::REGISTRY`).
static INTERNAL: &[ProcKernel] = &[
    #[cfg(any(test, feature = "test-kernels"))]
    ProcKernel {
        name: "__abort",
        kernel: None,
        outputs: &[],
        plan: whole,
        part: Part::Custom(|_, _, _| std::process::abort()),
    },
    #[cfg(any(test, feature = "test-kernels"))]
    #[cfg(any(test, feature = "test-kernels"))]
    ProcKernel {
        name: "__segfault",
        kernel: None,
        outputs: &[],
        plan: whole,
        part: Part::Custom(|_, _, _| super::child::segfault()),
    },
    #[cfg(any(test, feature = "test-kernels"))]
    #[cfg(any(test, feature = "test-kernels"))]
    ProcKernel {
        name: "__exit",
        kernel: None,
        outputs: &[],
        plan: whole,
        part: Part::Custom(|p, _, _| {
            super::child::exit_now(p.first().copied().unwrap_or(0.0) as i32)
        }),
    },
    // Writes its result (the number `code`) into the mailbox and exits before ringing.
    #[cfg(any(test, feature = "test-kernels"))]
    ProcKernel {
        name: "__report_exit",
        kernel: None,
        outputs: &[],
        plan: whole,
        part: Part::Custom(|p, _, _| {
            super::child::report_then_exit(p.first().copied().unwrap_or(0.0))
        }),
    },
    // Writes garbage results into the mailbox, then exits with `code`.
    #[cfg(any(test, feature = "test-kernels"))]
    ProcKernel {
        name: "__garbage",
        kernel: None,
        outputs: &[],
        plan: whole,
        part: Part::Custom(|p, _, _| {
            super::child::garbage_then_exit(p.first().copied().unwrap_or(0.0) as i32)
        }),
    },
];

/// The kernel with this name.
#[cfg(test)]
pub(super) fn find(name: &str) -> Option<ProcKernel> {
    (0..).map_while(kernel).find(|k| k.name == name)
}

/// The whole task as one part: every parameter and every view.
fn whole(params: &[f64], views: &[PView], _processes: usize) -> Plan {
    Plan {
        parts: vec![(params.to_vec(), views.to_vec())],
        finish: Finish::Nothing,
    }
}

/// `[0, total)` cut into at most `n` contiguous, nearly equal, non-empty ranges.
fn ranges(total: usize, n: usize) -> Vec<(usize, usize)> {
    let n = n.clamp(1, total.max(1));
    (0..n)
        .map(|i| (total * i / n, total * (i + 1) / n))
        .filter(|(a, b)| b > a)
        .collect()
}
