//! `matmul`: dense row-major matrix product `out = a · b` of `f64`s.
//!
//! A register-blocked GEMM in the GotoBLAS/BLIS style:
//!
//! - `out` is cut into a grid of independent tasks (blocks of rows by at most [`NC`] columns,
//!   see `Gemm::task_shape`) that rayon shares out over the pool; with several threads there
//!   are at least [`TASKS_PER_THREAD`] per thread, splitting columns as well as rows, so even a
//!   64 x 64 product (or a single row) keeps every thread busy.
//! - A task walks the inner dimension in blocks of at most [`KC`] steps. For each block it packs
//!   its columns of `b` into [`NR`]-wide panels (a `KC x NR` panel is 16 KiB and stays in L1,
//!   the task's `KC x NC` block in L2), then for every [`MC`] of its rows packs their slice of
//!   `a` into [`MR`]-row panels and runs the micro-kernel on every (row panel, column panel)
//!   pair.
//! - The micro-kernel keeps an `MR x NR` (4 x 8) block of `out` in registers: eight `__m256d`
//!   accumulators when the CPU has AVX2 and FMA (detected at run time), otherwise a portable
//!   loop the compiler vectorises. Each step costs one row load of the `b` panel, `MR`
//!   broadcasts from the `a` panel and eight fused multiply-adds, and `out` is read and written
//!   once per inner block instead of once per step.
//! - The packing buffers are cached per thread (at most 704 KiB each), so repeated products do
//!   not allocate — except under a context without thread caches ([`Ctx::thread_caches`], a
//!   forked process-pool child), where each product allocates its own and never touches the
//!   thread-local cache.
//!
//! Accuracy: the result is **not bit-exact** with the JS reference. Every element is still the
//! sum of its products in ascending `p` order, but the AVX2 kernel fuses each multiply-add (one
//! rounding instead of two), and the sum is formed as `KC`-long partial sums added to `out` one
//! after the other. The error is of the same order as the reference's own rounding error (at
//! most about `k · ε · Σ|a·b|`); the unit tests compare against the naive loop within
//! `1e-12 · k · max|a| · max|b|`, and the JS suite within a relative 1e-9. The result does not
//! depend on the number of threads or on how `out` is cut into tasks (the inner dimension is
//! blocked the same way regardless), only on whether the AVX2 + FMA kernel is used.

use std::ops::Range;

use rayon::prelude::*;
use scratch::{Borrowed, Scratch};

use super::{
    ensure_disjoint, ensure_len, take_views, Cancelled, Ctx, Job, Params, RawView, SharedSlice,
};

/// Largest accepted `n`, `k` and `m`.
const MAX_DIM: usize = 1 << 20;
/// Rows of `out` in the micro-kernel's register block.
const MR: usize = 4;
/// Columns of `out` in the micro-kernel's register block (two 4-lane vectors).
const NR: usize = 8;
/// Most inner-dimension steps per block: an `NR`-wide panel of packed `b` is then at most
/// 16 KiB and stays in L1 while it is multiplied with up to `MC / MR` row panels.
const KC: usize = 256;
/// Most rows of `a` packed at once: a task's packed `a` (`MC x KC`, 192 KiB) stays in L2.
const MC: usize = 96;
/// Most output columns per task: a task's packed `b` (`KC x NC`, 512 KiB) stays in L2.
const NC: usize = 256;
/// Rows of `b` packed together, panel by panel.
const PACK_STEPS: usize = 8;
/// Most output rows per task (a task holds one slice per row).
const MAX_TASK_ROWS: usize = 8 * MC;
/// Fewest tasks per thread when splitting the output (for load balance).
const TASKS_PER_THREAD: usize = 2;
/// Estimated cost of packing one value, in multiply-adds.
const COPY_COST: f64 = 8.0;
/// Below this many multiply-adds the product is computed on the calling thread.
const SERIAL_WORK: usize = 1 << 18;

const _: () = assert!(NR == 8 && MC.is_multiple_of(MR) && NC.is_multiple_of(NR));

struct Matmul {
    n: usize,
    k: usize,
    m: usize,
    a: SharedSlice<f64>,
    b: SharedSlice<f64>,
    out: SharedSlice<f64>,
}

impl Job for Matmul {
    fn run(&mut self, ctx: &Ctx<'_>) -> Result<f64, Cancelled> {
        // SAFETY: view contract (`view.rs`): `a` and `b` stay mapped (1) and nobody writes
        // them while the task runs, neither outside it (2) nor through `out` (4, checked in
        // `prepare`); they may alias each other, which is fine for shared slices.
        let (a, b) = unsafe { (self.a.as_slice(), self.b.as_slice()) };
        // SAFETY: view contract: `out` stays mapped (1), nobody outside the task touches it
        // (2, 3), it overlaps neither `a` nor `b` (4), and this is the only slice made from it.
        let out = unsafe { self.out.as_mut() };
        matmul(a, b, self.n, self.k, self.m, out, ctx)?;
        Ok(0.0)
    }
}

/// `matmul`: `[n, k, m]`, views `[a, b, out]`.
pub static KERNEL: super::Kernel = super::Kernel {
    name: "matmul",
    prepare,
    outputs: &[2],
    limits: &[
        ("n", MAX_DIM as f64),
        ("k", MAX_DIM as f64),
        ("m", MAX_DIM as f64),
    ],
};

pub(super) fn prepare(params: &Params<'_>, views: Vec<RawView>) -> Result<Box<dyn Job>, String> {
    let n = params.usize(0, "n", MAX_DIM)?;
    let k = params.usize(1, "k", MAX_DIM)?;
    let m = params.usize(2, "m", MAX_DIM)?;
    let size = |x: usize, y: usize, name: &str| {
        x.checked_mul(y)
            .ok_or_else(|| format!("matmul: {name} is too large ({x} x {y} elements)"))
    };
    let (a_len, b_len, out_len) = (size(n, k, "a")?, size(k, m, "b")?, size(n, m, "out")?);
    let [a, b, out] = take_views::<3>("matmul", views)?;
    ensure_len("matmul", "a", &a, a_len)?;
    ensure_len("matmul", "b", &b, b_len)?;
    ensure_len("matmul", "out", &out, out_len)?;
    ensure_disjoint("matmul", &out, &[("a", &a), ("b", &b)])?;
    Ok(Box::new(Matmul {
        n,
        k,
        m,
        a: a.typed("a")?,
        b: b.typed("b")?,
        out: out.typed("out")?,
    }))
}

/// Computes `out = a · b` for row-major `a` (`n x k`), `b` (`k x m`) and `out` (`n x m`),
/// splitting blocks of output rows and columns over the current rayon pool when the product is
/// large enough to pay for it. `out` is overwritten (it need not be zeroed); when cancelled,
/// its contents are unspecified.
pub fn matmul(
    a: &[f64],
    b: &[f64],
    n: usize,
    k: usize,
    m: usize,
    out: &mut [f64],
    ctx: &Ctx<'_>,
) -> Result<(), Cancelled> {
    assert_eq!(n.checked_mul(k), Some(a.len()), "a has the wrong length");
    assert_eq!(k.checked_mul(m), Some(b.len()), "b has the wrong length");
    assert_eq!(
        n.checked_mul(m),
        Some(out.len()),
        "out has the wrong length"
    );
    ctx.check()?;
    let threads = if out.len().saturating_mul(k) < SERIAL_WORK {
        1
    } else {
        ctx.threads()
    };
    Gemm::new(a, b, n, k, m, Kernel::detect(), threads).run(out, ctx)
}

/// `MR x NR` block of `out` computed by one micro-kernel call.
type Tile = [[f64; NR]; MR];

/// One row of an `NR`-wide panel of packed `b`, aligned to a cache line so that the kernel's
/// vector loads never straddle two lines.
#[derive(Debug, Clone, Copy)]
#[repr(C, align(64))]
struct BRow([f64; NR]);

/// The micro-kernel implementation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kernel {
    /// Plain Rust the compiler vectorises for the baseline target (separate multiply and add).
    Portable,
    /// AVX2 + FMA intrinsics. Invariant: only built by [`Kernel::detect`] after checking
    /// that the running CPU supports both features.
    #[cfg(target_arch = "x86_64")]
    Avx2Fma,
}

impl Kernel {
    /// The fastest kernel the running CPU supports.
    fn detect() -> Self {
        #[cfg(target_arch = "x86_64")]
        {
            if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
                return Self::Avx2Fma;
            }
        }
        Self::Portable
    }

    /// Computes `a` (a row panel: `MR` values per step) times `b` (a column panel: `NR`
    /// values per step) over their common number of steps, and stores the tile into
    /// `out[r][cols]` for each of the (at most `MR`) rows `out[r]`, or adds it there when
    /// `accumulate` is set. `cols` spans at most `NR` columns; the tile's rows and columns
    /// past `out` and `cols` (zero padding of the panels) are dropped.
    #[inline]
    fn run(
        self,
        a: &[[f64; MR]],
        b: &[BRow],
        out: &mut [&mut [f64]],
        cols: Range<usize>,
        accumulate: bool,
    ) {
        match self {
            Self::Portable => {
                for (row, tile_row) in out.iter_mut().zip(&tile_portable(a, b)) {
                    store_row(&mut row[cols.clone()], tile_row, accumulate);
                }
            }
            #[cfg(target_arch = "x86_64")]
            // SAFETY: `Avx2Fma` is only built by `detect`, after it saw AVX2 and FMA.
            Self::Avx2Fma => unsafe { tile_avx2_fma(a, b, out, cols, accumulate) },
        }
    }
}

/// Stores (or adds, when `accumulate` is set) the first `out.len()` values of a tile row.
#[inline]
fn store_row(out: &mut [f64], tile_row: &[f64; NR], accumulate: bool) {
    if accumulate {
        for (o, &t) in out.iter_mut().zip(tile_row) {
            *o += t;
        }
    } else {
        for (o, &t) in out.iter_mut().zip(tile_row) {
            *o = t;
        }
    }
}

/// Portable micro-kernel: `Σ_p a[p][r] * b[p][c]` for every `(r, c)` of the tile, computed
/// as two `MR x NR/2` halves so that the accumulators fit in 16 SSE2 registers.
fn tile_portable(a: &[[f64; MR]], b: &[BRow]) -> Tile {
    const HALF: usize = NR / 2;
    let mut tile = [[0.0; NR]; MR];
    for half in 0..2 {
        let mut acc = [[0.0; HALF]; MR];
        for (a_step, b_step) in a.iter().zip(b) {
            let y: [f64; HALF] = std::array::from_fn(|c| b_step.0[half * HALF + c]);
            for (acc_row, &x) in acc.iter_mut().zip(a_step) {
                for (c, &y) in acc_row.iter_mut().zip(&y) {
                    *c += x * y;
                }
            }
        }
        for (tile_row, acc_row) in tile.iter_mut().zip(&acc) {
            tile_row[half * HALF..][..HALF].copy_from_slice(acc_row);
        }
    }
    tile
}

/// AVX2 + FMA micro-kernel with the contract of [`Kernel::run`]: the tile lives in eight
/// `__m256d` accumulators; each step loads one row of the `b` panel (two vectors),
/// broadcasts the `MR` values of `a` and does eight fused multiply-adds. Full rows of the tile
/// go to `out` straight from the registers.
///
/// # Safety
///
/// The running CPU must support AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn tile_avx2_fma(
    a: &[[f64; MR]],
    b: &[BRow],
    out: &mut [&mut [f64]],
    cols: Range<usize>,
    accumulate: bool,
) {
    use std::arch::x86_64::{
        _mm256_add_pd, _mm256_fmadd_pd, _mm256_loadu_pd, _mm256_set1_pd, _mm256_setzero_pd,
        _mm256_storeu_pd,
    };
    let mut acc = [[_mm256_setzero_pd(); 2]; MR];
    for (a_step, b_step) in a.iter().zip(b) {
        let row = b_step.0.as_ptr();
        // SAFETY: `b_step.0` holds NR = 8 values, so the loads of 4 values at offsets 0
        // and 4 stay in bounds (and AVX is enabled for this function).
        let (lo, hi) = unsafe { (_mm256_loadu_pd(row), _mm256_loadu_pd(row.add(4))) };
        for (acc_row, &x) in acc.iter_mut().zip(a_step) {
            let x = _mm256_set1_pd(x);
            acc_row[0] = _mm256_fmadd_pd(x, lo, acc_row[0]);
            acc_row[1] = _mm256_fmadd_pd(x, hi, acc_row[1]);
        }
    }
    for (row, acc_row) in out.iter_mut().zip(&acc) {
        let dst = &mut row[cols.clone()];
        if let Ok(dst) = <&mut [f64; NR]>::try_from(&mut *dst) {
            let dst = dst.as_mut_ptr();
            // SAFETY: `dst` points to NR = 8 values, so the loads and stores of 4 values at
            // offsets 0 and 4 stay in bounds (and AVX is enabled for this function).
            unsafe {
                let (mut lo, mut hi) = (acc_row[0], acc_row[1]);
                if accumulate {
                    lo = _mm256_add_pd(_mm256_loadu_pd(dst), lo);
                    hi = _mm256_add_pd(_mm256_loadu_pd(dst.add(4)), hi);
                }
                _mm256_storeu_pd(dst, lo);
                _mm256_storeu_pd(dst.add(4), hi);
            }
        } else {
            let mut tile_row = [0.0; NR];
            let tile_ptr = tile_row.as_mut_ptr();
            // SAFETY: `tile_row` holds NR = 8 values, so the stores of 4 values at offsets
            // 0 and 4 stay in bounds (and AVX is enabled for this function).
            unsafe {
                _mm256_storeu_pd(tile_ptr, acc_row[0]);
                _mm256_storeu_pd(tile_ptr.add(4), acc_row[1]);
            }
            store_row(dst, &tile_row, accumulate);
        }
    }
}

/// One task: a block of `out`. `rows[i]` is the part of output row `first_row + i` from
/// column `first_col` on (all parts have the same length).
struct Task<'o> {
    first_row: usize,
    first_col: usize,
    rows: Vec<&'o mut [f64]>,
}

/// Splits `chunk`, whole output rows of `m` values starting at row `first_row`, into tasks of
/// at most `cols` columns.
fn tasks_of(first_row: usize, chunk: &mut [f64], m: usize, cols: usize) -> Vec<Task<'_>> {
    let mut tasks: Vec<Task<'_>> = (0..m.div_ceil(cols))
        .map(|block| Task {
            first_row,
            first_col: block * cols,
            rows: Vec::with_capacity(chunk.len() / m),
        })
        .collect();
    for row in chunk.chunks_exact_mut(m) {
        for (task, part) in tasks.iter_mut().zip(row.chunks_mut(cols)) {
            task.rows.push(part);
        }
    }
    tasks
}

/// A product and how it is cut up.
#[derive(Debug)]
struct Gemm<'a> {
    a: &'a [f64],
    b: &'a [f64],
    n: usize,
    k: usize,
    m: usize,
    kernel: Kernel,
    /// Threads to spread the tasks over; 1 computes everything on the calling thread.
    threads: usize,
    /// Length of an inner-dimension block: `k` cut into equal blocks of at most `KC`.
    kc: usize,
}

impl<'a> Gemm<'a> {
    fn new(
        a: &'a [f64],
        b: &'a [f64],
        n: usize,
        k: usize,
        m: usize,
        kernel: Kernel,
        threads: usize,
    ) -> Self {
        let kc = k.div_ceil(k.div_ceil(KC).max(1)).max(1);
        Self {
            a,
            b,
            n,
            k,
            m,
            kernel,
            threads: threads.max(1),
            kc,
        }
    }

    fn run(&self, out: &mut [f64], ctx: &Ctx<'_>) -> Result<(), Cancelled> {
        if out.is_empty() {
            return Ok(());
        }
        if self.k == 0 {
            // Empty sums.
            for chunk in out.chunks_mut(1 << 18) {
                ctx.check()?;
                chunk.fill(0.0);
            }
            return Ok(());
        }
        let (rows, cols) = self.task_shape();
        let m = self.m;
        let run = |scratch: &mut Borrowed, mut task: Task<'_>| {
            self.task(&mut scratch.scratch, &mut task, ctx)
        };
        if self.threads == 1 {
            // A forked child must not touch the thread-local cache (see `Ctx::thread_caches`).
            let mut scratch = if ctx.thread_caches() {
                Borrowed::take()
            } else {
                Borrowed::own()
            };
            return out
                .chunks_mut(rows * m)
                .enumerate()
                .flat_map(|(block, chunk)| tasks_of(block * rows, chunk, m, cols))
                .try_for_each(|task| run(&mut scratch, task));
        }
        out.par_chunks_mut(rows * m)
            .enumerate()
            .flat_map(|(block, chunk)| tasks_of(block * rows, chunk, m, cols))
            .try_for_each_init(Borrowed::take, run)
    }

    /// Rows and columns of `out` per task. A task packs all of `a`'s rows for it (rows x `k`
    /// values) and all of `b`'s columns (`k` x columns), so with `r x c` tasks the packing
    /// reads `r·k·m + c·n·k` values besides the `n·k·m` multiply-adds. Serially that is one
    /// column block per `NC` columns (and at most `MAX_TASK_ROWS` rows). With several threads
    /// the grid minimises the estimated time: multiply-adds plus packing (one copied value
    /// costs about `COPY_COST` multiply-adds), divided by how evenly the tasks share out over
    /// the threads, among grids of at least `TASKS_PER_THREAD` tasks per thread (when `out`
    /// has that many `MR x NR` tiles).
    fn task_shape(&self) -> (usize, usize) {
        let (n, m, threads) = (self.n, self.m, self.threads);
        let shape = |row_blocks: usize, col_blocks: usize| {
            let rows = n.div_ceil(row_blocks).next_multiple_of(MR);
            let cols = m.div_ceil(col_blocks).next_multiple_of(NR);
            (rows, cols)
        };
        let (min_rows, min_cols) = (n.div_ceil(MAX_TASK_ROWS), m.div_ceil(NC));
        if threads == 1 {
            return shape(min_rows, min_cols);
        }
        let tiles = n.div_ceil(MR).saturating_mul(m.div_ceil(NR));
        let target = (threads * TASKS_PER_THREAD).min(tiles);
        let mut best = (f64::INFINITY, shape(min_rows, min_cols));
        for col_blocks in min_cols..=m.div_ceil(NR).min(min_cols + target) {
            let (_, cols) = shape(1, col_blocks);
            // The blocks actually used after rounding to whole tiles.
            let col_blocks = m.div_ceil(cols);
            if n.div_ceil(MR) * col_blocks < target {
                continue;
            }
            // The fewest row blocks that make enough tasks, then a few more (which may share
            // out more evenly).
            let mut tried = 0;
            for row_blocks in target.div_ceil(col_blocks).max(min_rows)..=n.div_ceil(MR) {
                let (rows, _) = shape(row_blocks, 1);
                let row_blocks = n.div_ceil(rows);
                let tasks = row_blocks * col_blocks;
                if tasks < target {
                    continue;
                }
                let copies = row_blocks * m + col_blocks * n;
                let work = (n * m) as f64 + COPY_COST * copies as f64;
                let evenness = tasks as f64 / tasks.next_multiple_of(threads) as f64;
                let time = work / evenness;
                if time < best.0 {
                    best = (time, (rows, cols));
                }
                tried += 1;
                if tried == 4 {
                    break;
                }
            }
        }
        best.1
    }

    /// Computes one task's block of `out`, one inner-dimension block at a time: pack that
    /// slice of the task's columns of `b` (reused by all its rows), then for every `MC` rows
    /// pack their slice of `a` and run the micro-kernel on every (row panel, column panel)
    /// pair, column panel by column panel so each `b` panel is reused from L1 by all row
    /// panels.
    fn task(
        &self,
        scratch: &mut Scratch,
        task: &mut Task<'_>,
        ctx: &Ctx<'_>,
    ) -> Result<(), Cancelled> {
        let width = task.rows.first().map_or(0, |row| row.len());
        let cols = task.first_col..task.first_col + width;
        for p0 in (0..self.k).step_by(self.kc) {
            let depth = p0..(p0 + self.kc).min(self.k);
            let len = depth.len();
            ctx.check()?;
            let b_packed = self.pack_b(depth.clone(), cols.clone(), &mut scratch.b);
            for (sub, rows) in task.rows.chunks_mut(MC).enumerate() {
                let first_row = task.first_row + sub * MC;
                let a_packed = self.pack_a(first_row, rows.len(), depth.clone(), &mut scratch.a);
                for (col, b_panel) in (0..width).step_by(NR).zip(b_packed.chunks_exact(len)) {
                    ctx.check()?;
                    let tile_cols = col..(col + NR).min(width);
                    for (row_group, a_panel) in rows.chunks_mut(MR).zip(a_packed.chunks_exact(len))
                    {
                        let cols = tile_cols.clone();
                        self.kernel.run(a_panel, b_panel, row_group, cols, p0 > 0);
                    }
                }
            }
        }
        Ok(())
    }

    /// Packs `b[depth][cols]` into `buf` as `NR`-column panels (panel `q` holds `depth.len()`
    /// rows of columns `cols.start + q * NR ..`), zero-padding the last panel past
    /// `cols.end`, and returns the packed part of `buf`.
    fn pack_b<'s>(
        &self,
        depth: Range<usize>,
        cols: Range<usize>,
        buf: &'s mut Vec<BRow>,
    ) -> &'s [BRow] {
        let len = depth.len();
        let need = cols.len().div_ceil(NR) * len;
        if buf.len() < need {
            buf.resize(need, BRow([0.0; NR]));
        }
        let packed = &mut buf[..need];
        // A few rows of `b` at a time, panel by panel: the reads stay in L1 and every panel
        // receives a run of consecutive rows (whole cache lines) at once.
        for block in (0..len).step_by(PACK_STEPS) {
            let steps = block..(block + PACK_STEPS).min(len);
            for (panel, j) in packed.chunks_exact_mut(len).zip(cols.clone().step_by(NR)) {
                let width = (cols.end - j).min(NR);
                for (row, p) in panel[steps.clone()]
                    .iter_mut()
                    .zip(depth.start + steps.start..)
                {
                    let src = &self.b[p * self.m + j..][..width];
                    if let Ok(src) = <&[f64; NR]>::try_from(src) {
                        row.0 = *src;
                    } else {
                        row.0[..width].copy_from_slice(src);
                        row.0[width..].fill(0.0);
                    }
                }
            }
        }
        packed
    }

    /// Packs `a[first_row .. first_row + rows][depth]` into `buf` as `MR`-row panels (panel
    /// `i` holds `depth.len()` steps of `MR` values), zero-padding the last panel's missing
    /// rows, and returns the packed part of `buf`.
    fn pack_a<'s>(
        &self,
        first_row: usize,
        rows: usize,
        depth: Range<usize>,
        buf: &'s mut Vec<[f64; MR]>,
    ) -> &'s [[f64; MR]] {
        let len = depth.len();
        let need = rows.div_ceil(MR) * len;
        if buf.len() < need {
            buf.resize(need, [0.0; MR]);
        }
        let k = self.k;
        for (i, panel) in buf[..need].chunks_exact_mut(len).enumerate() {
            let row0 = first_row + i * MR;
            let present = (rows - i * MR).min(MR);
            // Missing rows of the last panel read as zeros.
            let src: [&[f64]; MR] = std::array::from_fn(|r| {
                if r < present {
                    &self.a[(row0 + r) * k + depth.start..][..len]
                } else {
                    &[]
                }
            });
            if present == MR {
                for (step, dst) in panel.iter_mut().enumerate() {
                    *dst = std::array::from_fn(|r| src[r][step]);
                }
            } else {
                for (step, dst) in panel.iter_mut().enumerate() {
                    *dst = std::array::from_fn(|r| src[r].get(step).copied().unwrap_or(0.0));
                }
            }
        }
        &buf[..need]
    }
}

mod scratch;
#[cfg(test)]
mod tests;
