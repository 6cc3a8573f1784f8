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

use crate::kernels::{self, merge_sorted_runs, Cancelled, Ctx, ElemKind, RawView};
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

/// One kernel of the process pool.
#[derive(Debug)]
pub(super) struct ProcKernel {
    pub(super) name: &'static str,
    /// The ThreadPool kernel whose `prepare` checks the task's arguments (None: internal).
    pub(super) checked_as: Option<&'static str>,
    /// Indices of the views the kernel writes: they must be in SharedMemory.
    pub(super) outputs: &'static [usize],
    pub(super) plan: PlanFn,
    pub(super) part: PartFn,
}

/// Every kernel by name; the index is the kernel id. Names starting with `__` are internal
/// and exist in test builds only.
pub(super) const TABLE: &[ProcKernel] = &[
    ProcKernel {
        name: "noop",
        checked_as: Some("noop"),
        outputs: &[],
        plan: |_, _, _| single(vec![]),
        part: |_, _, _| Ok(Reply::Value(0.0)),
    },
    ProcKernel {
        name: "spin",
        checked_as: Some("spin"),
        outputs: &[],
        plan: |p, _, _| single(p.to_vec()),
        part: |p, v, ctx| run_job("spin", p, v, ctx),
    },
    ProcKernel {
        name: "mandelbrot",
        checked_as: Some("mandelbrot"),
        outputs: &[0],
        plan: plan_mandelbrot,
        part: part_mandelbrot,
    },
    ProcKernel {
        name: "matmul",
        checked_as: Some("matmul"),
        outputs: &[2],
        plan: plan_matmul,
        part: |p, v, ctx| run_job("matmul", p, v, ctx),
    },
    ProcKernel {
        name: "sha256",
        checked_as: Some("sha256"),
        outputs: &[1],
        plan: plan_sha256,
        part: |p, v, ctx| run_job("sha256", p, v, ctx),
    },
    ProcKernel {
        name: "blur",
        checked_as: Some("blur"),
        outputs: &[1],
        plan: plan_blur,
        part: part_blur,
    },
    ProcKernel {
        name: "histogram",
        checked_as: Some("histogram"),
        outputs: &[1],
        plan: plan_histogram,
        part: part_histogram,
    },
    ProcKernel {
        name: "sort",
        checked_as: Some("sort"),
        outputs: &[0],
        plan: plan_sort,
        part: |p, v, ctx| run_job("sort", p, v, ctx),
    },
    ProcKernel {
        name: "primes",
        checked_as: Some("primes"),
        outputs: &[],
        plan: plan_primes,
        part: part_primes,
    },
    // Internal kernels for the tests: ways for a child to die. Test builds only (see
    // `crate::kernels::REGISTRY`).
    #[cfg(any(test, feature = "test-kernels"))]
    ProcKernel {
        name: "__panic",
        checked_as: None,
        outputs: &[],
        plan: |_, _, _| single(vec![]),
        part: |_, _, _| panic!("__panic kernel: deliberate panic in a child process"),
    },
    #[cfg(any(test, feature = "test-kernels"))]
    ProcKernel {
        name: "__abort",
        checked_as: None,
        outputs: &[],
        plan: |_, _, _| single(vec![]),
        part: |_, _, _| std::process::abort(),
    },
    #[cfg(any(test, feature = "test-kernels"))]
    ProcKernel {
        name: "__segfault",
        checked_as: None,
        outputs: &[],
        plan: |_, _, _| single(vec![]),
        part: |_, _, _| super::child::segfault(),
    },
    #[cfg(any(test, feature = "test-kernels"))]
    ProcKernel {
        name: "__exit",
        checked_as: None,
        outputs: &[],
        plan: |p, _, _| single(p.to_vec()),
        part: |p, _, _| super::child::exit_now(p.first().copied().unwrap_or(0.0) as i32),
    },
];

/// The kernel with this name.
#[cfg(test)]
pub(super) fn find(name: &str) -> Option<usize> {
    TABLE.iter().position(|k| k.name == name)
}

fn single(params: Vec<f64>) -> Plan {
    Plan {
        parts: vec![(params, vec![])],
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

/// Runs a ThreadPool kernel on the part's own (smaller) views, serially.
fn run_job(name: &str, params: &[f64], views: Vec<RawView>, ctx: &Ctx<'_>) -> Result<Reply, Fail> {
    let index = kernels::REGISTRY
        .iter()
        .position(|(n, _)| *n == name)
        .ok_or_else(|| format!("no kernel {name}"))?;
    let mut job = kernels::prepare(index, params, views)?;
    Ok(Reply::Value(job.run(ctx)?))
}
