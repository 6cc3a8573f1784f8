//! `matmul`: dense row-major matrix product `out = a · b` of `f64`s.
//!
//! The loops are tiled over `k` and `m` so a tile of `b` stays in cache while a block of output
//! rows is accumulated; the innermost loop is a contiguous `out_row += a[i][p] * b_row` (an
//! axpy the compiler vectorises). Every output element still adds its products in ascending
//! `p` order starting from `0.0`, exactly like the naive triple loop of the JS reference, and
//! Rust never contracts to FMA, so the result matches the reference bit for bit.

use rayon::prelude::*;

use super::{
    ensure_disjoint, ensure_len, take_views, Cancelled, Ctx, Job, Params, RawView, SharedSlice,
};

/// Largest accepted `n`, `k` and `m`.
const MAX_DIM: usize = 1 << 24;
/// Columns of `b` (and `out`) in one tile.
const TILE_M: usize = 256;
/// Rows of `b` (inner-dimension steps) in one tile: a `TILE_K x TILE_M` tile of `b` is 256 KiB.
const TILE_K: usize = 128;
/// Most output rows in one block; a block times one tile is ~1M multiply-adds between checks.
const ROW_BLOCK: usize = 32;
/// Below this many multiply-adds the product is computed on the calling thread.
const SERIAL_WORK: usize = 1 << 18;

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
        // SAFETY: `a` and `b` are input regions kept alive by the facade until the task
        // settles (see `view.rs`); they may alias each other, which is fine for shared slices,
        // and `prepare` checked that neither overlaps `out`, so nobody writes them meanwhile.
        let (a, b) = unsafe { (self.a.as_slice(), self.b.as_slice()) };
        // SAFETY: `out` is an exclusive output region (disjoint from `a` and `b`, checked in
        // `prepare`) kept alive until the task settles; no other slice over it exists.
        let out = unsafe { self.out.as_mut() };
        matmul(a, b, self.n, self.k, self.m, out, ctx)?;
        Ok(0.0)
    }
}

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
/// splitting blocks of output rows over the current rayon pool when the product is large
/// enough to pay for it. `out` is overwritten (it need not be zeroed).
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
    if out.is_empty() {
        return Ok(());
    }
    let work = out.len().saturating_mul(k);
    let threads = rayon::current_num_threads();
    if work < SERIAL_WORK || threads == 1 {
        return out
            .chunks_mut(ROW_BLOCK * m)
            .enumerate()
            .try_for_each(|(block, rows)| row_block(a, b, k, m, block * ROW_BLOCK, rows, ctx));
    }
    // Enough blocks for every thread to steal from, but never more than ROW_BLOCK rows each.
    let rows_per_block = n.div_ceil(threads * 4).clamp(1, ROW_BLOCK);
    out.par_chunks_mut(rows_per_block * m)
        .enumerate()
        .try_for_each(|(block, rows)| row_block(a, b, k, m, block * rows_per_block, rows, ctx))
}

/// Computes the output rows `first_row ..` held in `rows` (a whole number of rows of `m`).
fn row_block(
    a: &[f64],
    b: &[f64],
    k: usize,
    m: usize,
    first_row: usize,
    rows: &mut [f64],
    ctx: &Ctx<'_>,
) -> Result<(), Cancelled> {
    rows.fill(0.0);
    let a_rows = &a[first_row * k..][..(rows.len() / m) * k];
    for j0 in (0..m).step_by(TILE_M) {
        let j1 = (j0 + TILE_M).min(m);
        for p0 in (0..k).step_by(TILE_K) {
            ctx.check()?;
            let p1 = (p0 + TILE_K).min(k);
            for (out_row, a_row) in rows.chunks_exact_mut(m).zip(a_rows.chunks_exact(k)) {
                let out_tile = &mut out_row[j0..j1];
                for (&a_ip, b_row) in a_row[p0..p1].iter().zip(b[p0 * m..p1 * m].chunks_exact(m)) {
                    for (o, &b_pj) in out_tile.iter_mut().zip(&b_row[j0..j1]) {
                        *o += a_ip * b_pj;
                    }
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod test {
    use std::sync::atomic::AtomicBool;

    use super::*;

    /// The JS reference: `sum = 0; for p in 0..k { sum += a[i*k+p] * b[p*m+j] }`.
    fn naive(a: &[f64], b: &[f64], n: usize, k: usize, m: usize) -> Vec<f64> {
        let mut out = vec![0.0; n * m];
        for i in 0..n {
            for j in 0..m {
                let mut sum = 0.0;
                for p in 0..k {
                    sum += a[i * k + p] * b[p * m + j];
                }
                out[i * m + j] = sum;
            }
        }
        out
    }

    /// Deterministic pseudo-random values in [-1, 1).
    fn values(len: usize, seed: u64) -> Vec<f64> {
        let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
        (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state >> 11) as f64 / (1u64 << 52) as f64 - 1.0
            })
            .collect()
    }

    fn run(a: &[f64], b: &[f64], n: usize, k: usize, m: usize) -> Vec<f64> {
        let flag = AtomicBool::new(false);
        let mut out = vec![f64::NAN; n * m];
        matmul(a, b, n, k, m, &mut out, &Ctx::new(&flag)).unwrap();
        out
    }

    fn assert_bits_eq(got: &[f64], want: &[f64], what: &str) {
        assert_eq!(got.len(), want.len(), "{what}");
        for (i, (g, w)) in got.iter().zip(want).enumerate() {
            assert_eq!(g.to_bits(), w.to_bits(), "{what}: element {i}: {g} vs {w}");
        }
    }

    #[test]
    fn small_hand_checked() {
        // [1 2 3; 4 5 6] · [7 8; 9 10; 11 12] = [58 64; 139 154]
        let a = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let b = [7.0, 8.0, 9.0, 10.0, 11.0, 12.0];
        assert_eq!(run(&a, &b, 2, 3, 2), vec![58.0, 64.0, 139.0, 154.0]);
        assert_eq!(run(&[3.0], &[-2.5], 1, 1, 1), vec![-7.5]);
    }

    #[test]
    fn empty_dimensions() {
        assert!(run(&[], &[], 0, 0, 0).is_empty());
        assert!(run(&[], &[1.0, 2.0], 0, 1, 2).is_empty());
        assert!(run(&[1.0, 2.0], &[], 2, 1, 0).is_empty());
        // k = 0: every output element is an empty sum, so 0 (out starts as NaN in `run`).
        assert_eq!(run(&[], &[], 2, 0, 3), vec![0.0; 6]);
    }

    #[test]
    fn matches_naive_on_odd_sizes() {
        for (n, k, m) in [
            (1, 1, 7),
            (3, 5, 7),
            (13, 1, 1),
            (1, 300, 1),
            (37, 131, 263),
            (65, 257, 3),
        ] {
            let a = values(n * k, 1);
            let b = values(k * m, 2);
            assert_bits_eq(
                &run(&a, &b, n, k, m),
                &naive(&a, &b, n, k, m),
                &format!("{n}x{k}x{m}"),
            );
        }
    }

    #[test]
    fn parallel_matches_serial() {
        let (n, k, m) = (67, 139, 301);
        let a = values(n * k, 3);
        let b = values(k * m, 4);
        let want = naive(&a, &b, n, k, m);
        for threads in [1, 2, 3] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let got = pool.install(|| run(&a, &b, n, k, m));
            assert_bits_eq(&got, &want, &format!("{threads} threads"));
        }
    }

    #[test]
    fn a_and_b_may_alias() {
        let a = values(9, 5);
        assert_bits_eq(&run(&a, &a, 3, 3, 3), &naive(&a, &a, 3, 3, 3), "a · a");
    }

    #[test]
    fn non_finite_values_propagate_like_the_reference() {
        let a = [0.0, 1.0, f64::INFINITY, 2.0];
        let b = [f64::INFINITY, 1.0, 3.0, f64::NAN];
        let got = run(&a, &b, 2, 2, 2);
        let want = naive(&a, &b, 2, 2, 2);
        for (g, w) in got.iter().zip(&want) {
            assert!(g == w || (g.is_nan() && w.is_nan()), "{got:?} vs {want:?}");
        }
    }

    #[test]
    fn cancelled_before_start() {
        let flag = AtomicBool::new(true);
        let mut out = vec![0.0; 4];
        let a = [1.0; 4];
        assert_eq!(
            matmul(&a, &a, 2, 2, 2, &mut out, &Ctx::new(&flag)),
            Err(Cancelled)
        );
    }

    #[test]
    fn cancelled_mid_run() {
        // 1200^3 multiply-adds take far longer than the 10 ms before the flag is set.
        let n = 1200;
        let a = values(n * n, 6);
        let mut out = vec![0.0; n * n];
        let flag = AtomicBool::new(false);
        let result = std::thread::scope(|s| {
            s.spawn(|| {
                std::thread::sleep(std::time::Duration::from_millis(10));
                flag.store(true, std::sync::atomic::Ordering::Relaxed);
            });
            matmul(&a, &a, n, n, n, &mut out, &Ctx::new(&flag))
        });
        assert_eq!(result, Err(Cancelled));
    }

    #[test]
    fn prepare_rejects_bad_input() {
        let mut a = vec![0.0f64; 6];
        let mut b = vec![0.0f64; 6];
        let mut out = vec![0.0f64; 4];
        let views = |a: &mut [f64], b: &mut [f64], out: &mut [f64]| {
            vec![
                RawView::from_slice(a),
                RawView::from_slice(b),
                RawView::from_slice(out),
            ]
        };
        let p = |v: &'static [f64]| Params::new("matmul", v);
        assert!(prepare(&p(&[2.0, 3.0, 2.0]), views(&mut a, &mut b, &mut out)).is_ok());
        let err = |r: Result<Box<dyn Job>, String>| r.err().unwrap();
        assert!(err(prepare(
            &p(&[2.0, 3.0, 3.0]),
            views(&mut a, &mut b, &mut out)
        ))
        .contains("b must"));
        assert!(err(prepare(
            &p(&[2.0, 2.5, 2.0]),
            views(&mut a, &mut b, &mut out)
        ))
        .contains('k'));
        assert!(err(prepare(
            &p(&[1e300, 3.0, 2.0]),
            views(&mut a, &mut b, &mut out)
        ))
        .contains('n'));
        let aliased = vec![
            RawView::from_slice(&mut a),
            RawView::from_slice(&mut b),
            RawView::from_slice(&mut a[..4]),
        ];
        assert!(err(prepare(&p(&[2.0, 3.0, 2.0]), aliased)).contains("overlap"));
        let mut bytes = vec![0u8; 4];
        let wrong_kind = vec![
            RawView::from_slice(&mut a),
            RawView::from_slice(&mut b),
            RawView::from_slice(&mut bytes),
        ];
        assert!(prepare(&p(&[2.0, 3.0, 2.0]), wrong_kind).is_err());
    }

    #[test]
    fn huge_dimensions_are_rejected() {
        let empty = || RawView::from_slice::<f64>(&mut []);
        let views = || vec![empty(), empty(), empty()];
        // Over the cap.
        let p = Params::new("matmul", &[33_554_432.0, 0.0, 1.0]);
        assert!(prepare(&p, views()).err().unwrap().contains("n must"));
        // At the cap: sizes fit in usize, but the views are far too short.
        let p = Params::new("matmul", &[16_777_216.0, 16_777_216.0, 16_777_216.0]);
        assert!(prepare(&p, views()).err().unwrap().contains("a must"));
    }
}
