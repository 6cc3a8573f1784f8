//! `sort`: sorts a `Float64Array` in place into the order `Float64Array.prototype.sort()` gives.
//!
//! That order is ascending numeric with `-0` before `+0` and every NaN last, which is
//! [`f64::total_cmp`] except that NaNs (whatever their sign bit) are greater than everything and
//! equal to each other. Values that compare equal under it are bit-identical (apart from NaN
//! payloads), so the sorted result is unique and an unstable sort is fine.
//!
//! A library sort cannot be interrupted, so large arrays are sorted as blocks small enough to
//! take about a millisecond each (in parallel), then merged pairwise in rounds; every merge is
//! split into pieces at "merge path" boundaries so that all threads take part in every round and
//! the cancel flag is polled between pieces. The merges ping-pong through one scratch buffer as
//! large as the input.

use std::cmp::Ordering;

use rayon::prelude::*;

use super::Kernel;
use super::{take_views, Cancelled, Ctx, Job, Params, RawView, SharedSlice};

/// Elements per initially sorted block (sorting one takes roughly a millisecond).
const BLOCK: usize = 1 << 15;
/// Output elements per independent piece of a merge (the cancel flag is polled per piece).
const PIECE: usize = 1 << 16;

struct Sort {
    data: SharedSlice<f64>,
}

impl Job for Sort {
    fn run(&mut self, ctx: &Ctx<'_>) -> Result<f64, Cancelled> {
        // SAFETY: view contract (`view.rs`): `data` stays mapped (1), nobody outside the task
        // touches it (2, 3), and it is the task's only view; this is the only slice made from it.
        let data = unsafe { self.data.as_mut() };
        sort_like_js(data, ctx)?;
        Ok(0.0)
    }
}

/// `sort`: no parameters, views `[data]` (sorted in place).
pub static KERNEL: Kernel = Kernel {
    name: "sort",
    prepare,
    outputs: &[0],
    limits: &[],
};

pub(super) fn prepare(_params: &Params<'_>, views: Vec<RawView>) -> Result<Box<dyn Job>, String> {
    let [data] = take_views::<1>("sort", views)?;
    Ok(Box::new(Sort {
        data: data.typed("data")?,
    }))
}

/// The order of `Float64Array.prototype.sort()`: [`f64::total_cmp`], except that every NaN
/// sorts after everything else and equal to any other NaN.
#[inline]
fn js_order(a: &f64, b: &f64) -> Ordering {
    match (a.is_nan(), b.is_nan()) {
        (false, false) => a.total_cmp(b),
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
    }
}

/// Sorts `data` in place into the order `Float64Array.prototype.sort()` gives (ascending,
/// `-0` before `+0`, NaNs last), using the current rayon pool for large arrays (never when
/// `ctx.threads()` is 1). Needs a scratch
/// buffer as large as `data` once it exceeds one block. When cancelled, the contents of `data`
/// are unspecified (a merge round may have overwritten part of it).
pub fn sort_like_js(data: &mut [f64], ctx: &Ctx<'_>) -> Result<(), Cancelled> {
    sort_blocked(data, BLOCK, PIECE, ctx)
}

/// [`sort_like_js`] with the block and piece sizes as parameters (tests use small ones).
fn sort_blocked(
    data: &mut [f64],
    block: usize,
    piece: usize,
    ctx: &Ctx<'_>,
) -> Result<(), Cancelled> {
    ctx.check()?;
    if data.len() <= block {
        data.sort_unstable_by(js_order);
        return Ok(());
    }
    let sort_block = |chunk: &mut [f64]| {
        ctx.check()?;
        chunk.sort_unstable_by(js_order);
        Ok(())
    };
    if ctx.threads() == 1 {
        data.chunks_mut(block).try_for_each(sort_block)?;
    } else {
        data.par_chunks_mut(block).try_for_each(sort_block)?;
    }
    let mut starts: Vec<usize> = (0..data.len()).step_by(block).collect();
    merge_runs(data, &mut starts, piece, ctx)
}

/// Merges the sorted runs of `data` that start at `starts` (ascending, the first 0) into one
/// sorted run, pairwise in rounds through a scratch buffer as large as `data`. Serial when
/// `ctx.threads()` is 1. `starts` is left holding `[0]`.
fn merge_runs(
    data: &mut [f64],
    starts: &mut Vec<usize>,
    piece: usize,
    ctx: &Ctx<'_>,
) -> Result<(), Cancelled> {
    if starts.len() <= 1 {
        return Ok(());
    }
    let mut scratch = vec![0.0f64; data.len()];
    let mut in_scratch = false;
    while starts.len() > 1 {
        if in_scratch {
            merge_round(&scratch, data, starts, piece, ctx)?;
        } else {
            merge_round(data, &mut scratch, starts, piece, ctx)?;
        }
        in_scratch = !in_scratch;
        // Each pair of runs became one: keep every other start.
        let mut i = 0;
        starts.retain(|_| {
            i += 1;
            i % 2 == 1
        });
    }
    if in_scratch {
        let copy = |(d, s): (&mut [f64], &[f64])| d.copy_from_slice(s);
        if ctx.threads() == 1 {
            data.copy_from_slice(&scratch);
        } else {
            data.par_chunks_mut(piece)
                .zip(scratch.par_chunks(piece))
                .for_each(copy);
        }
    }
    Ok(())
}

/// Merges sorted runs of `data` starting at `starts` (ascending, the first 0) into one sorted
/// run on the calling thread only: the parent's last step after process-pool children sorted
/// one part each. Needs a scratch buffer as large as `data`.
pub fn merge_sorted_runs(
    data: &mut [f64],
    starts: &[usize],
    ctx: &Ctx<'_>,
) -> Result<(), Cancelled> {
    assert!(
        starts.first() == Some(&0) || starts.is_empty(),
        "the first run starts at 0"
    );
    assert!(
        starts.windows(2).all(|w| w[0] <= w[1]) && starts.last().is_none_or(|&s| s <= data.len()),
        "run starts must be ascending and inside data"
    );
    let serial = Ctx::serial(ctx.cancel);
    merge_runs(data, &mut starts.to_vec(), PIECE, &serial)
}

/// Merges each pair of adjacent sorted runs of `src` (runs start at `starts`; a last run without
/// a partner is copied as it is) into the same positions of `dst`.
fn merge_round(
    src: &[f64],
    dst: &mut [f64],
    starts: &[usize],
    piece: usize,
    ctx: &Ctx<'_>,
) -> Result<(), Cancelled> {
    let serial = ctx.threads() == 1;
    let mut pairs = Vec::with_capacity(starts.len().div_ceil(2));
    let mut rest = dst;
    for k in (0..starts.len()).step_by(2) {
        let lo = starts[k];
        let mid = starts.get(k + 1).copied().unwrap_or(src.len());
        let end = starts.get(k + 2).copied().unwrap_or(src.len());
        let (out, tail) = rest.split_at_mut(end - lo);
        rest = tail;
        pairs.push((&src[lo..mid], &src[mid..end], out));
    }
    let merge_pair = |(a, b, dst): (&[f64], &[f64], &mut [f64])| {
        let piece_of = |(i, out): (usize, &mut [f64])| {
            ctx.check()?;
            let start = i * piece;
            let end = start + out.len();
            let (a0, a1) = (merge_split(a, b, start), merge_split(a, b, end));
            merge_into(&a[a0..a1], &b[start - a0..end - a1], out);
            Ok(())
        };
        if serial {
            dst.chunks_mut(piece).enumerate().try_for_each(piece_of)
        } else {
            dst.par_chunks_mut(piece).enumerate().try_for_each(piece_of)
        }
    };
    if serial {
        pairs.into_iter().try_for_each(merge_pair)
    } else {
        pairs.into_par_iter().try_for_each(merge_pair)
    }
}

/// How many of the first `t` elements of the merge of `a` and `b` come from `a`, when ties are
/// taken from `a` first (`t <= a.len() + b.len()`).
fn merge_split(a: &[f64], b: &[f64], t: usize) -> usize {
    // Binary search for the first i with a[i] > b[t - i - 1]: every a[i'] with i' < i is taken
    // before b[t - i' - 1], so exactly i of the first t outputs are from a.
    let mut lo = t.saturating_sub(b.len());
    let mut hi = t.min(a.len());
    while lo < hi {
        let i = lo + (hi - lo) / 2;
        // lo <= i < hi <= t and i >= t - b.len(), so 0 <= t - i - 1 < b.len().
        if js_order(&a[i], &b[t - i - 1]) == Ordering::Greater {
            hi = i;
        } else {
            lo = i + 1;
        }
    }
    lo
}

/// Merges sorted `a` and `b` (ties from `a` first) into `out`, which is exactly as long as both.
fn merge_into(a: &[f64], b: &[f64], out: &mut [f64]) {
    debug_assert_eq!(a.len() + b.len(), out.len());
    let (mut i, mut j) = (0, 0);
    for o in out.iter_mut() {
        *o = match (a.get(i), b.get(j)) {
            (Some(&x), Some(&y)) if js_order(&x, &y) != Ordering::Greater => {
                i += 1;
                x
            }
            (_, Some(&y)) => {
                j += 1;
                y
            }
            (Some(&x), None) => {
                i += 1;
                x
            }
            (None, None) => break,
        };
    }
}

#[cfg(test)]
mod test {
    use std::sync::atomic::AtomicBool;

    use super::*;

    const NEG_NAN: u64 = 0xfff8_0000_0000_0000;

    /// Bits of each value, with every NaN mapped to one canonical NaN (NaN order is free).
    fn bits(values: &[f64]) -> Vec<u64> {
        values
            .iter()
            .map(|v| {
                if v.is_nan() {
                    f64::NAN.to_bits()
                } else {
                    v.to_bits()
                }
            })
            .collect()
    }

    fn sorted(values: &[f64], block: usize, piece: usize) -> Vec<f64> {
        let flag = AtomicBool::new(false);
        let mut data = values.to_vec();
        sort_blocked(&mut data, block, piece, &Ctx::new(&flag)).unwrap();
        data
    }

    fn reference(values: &[f64]) -> Vec<f64> {
        let mut data = values.to_vec();
        data.sort_by(js_order);
        data
    }

    fn pattern(len: usize, seed: u64) -> Vec<f64> {
        let special = [
            0.0,
            -0.0,
            f64::NAN,
            f64::from_bits(NEG_NAN),
            f64::INFINITY,
            f64::NEG_INFINITY,
            1.5,
        ];
        let mut state = seed | 1;
        (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                match state % 16 {
                    0..=6 => special[(state >> 8) as usize % special.len()],
                    7..=9 => ((state >> 20) % 50) as f64 - 25.0,
                    _ => f64::from_bits(state >> 2) * if state & 1 == 0 { 1.0 } else { -1.0 },
                }
            })
            .collect()
    }

    #[test]
    fn signed_zeros_nans_and_infinities() {
        let neg_nan = f64::from_bits(NEG_NAN);
        let input = [
            f64::NAN,
            1.0,
            -0.0,
            neg_nan,
            f64::INFINITY,
            0.0,
            -1.0,
            f64::NEG_INFINITY,
            -0.0,
            0.0,
        ];
        let got = sorted(&input, BLOCK, PIECE);
        let want = [
            f64::NEG_INFINITY,
            -1.0,
            -0.0,
            -0.0,
            0.0,
            0.0,
            1.0,
            f64::INFINITY,
            f64::NAN,
            f64::NAN,
        ];
        assert_eq!(bits(&got), bits(&want));
    }

    #[test]
    fn small_cases() {
        assert!(sorted(&[], BLOCK, PIECE).is_empty());
        assert_eq!(sorted(&[3.0], BLOCK, PIECE), vec![3.0]);
        assert_eq!(sorted(&[2.0, 1.0], BLOCK, PIECE), vec![1.0, 2.0]);
        assert_eq!(
            sorted(&[5.0, 5.0, 1.0, 5.0], BLOCK, PIECE),
            vec![1.0, 5.0, 5.0, 5.0]
        );
        // Numeric, not lexicographic like Array.prototype.sort without a comparator.
        assert_eq!(
            sorted(&[10.0, 9.0, 100.0], BLOCK, PIECE),
            vec![9.0, 10.0, 100.0]
        );
    }

    #[test]
    fn merge_split_matches_a_serial_merge() {
        let a = [-0.0, 0.0, 1.0, 1.0, 3.0, f64::NAN];
        let b = [-1.0, 0.0, 1.0, 2.0, f64::NAN];
        let mut merged = vec![0.0; a.len() + b.len()];
        merge_into(&a, &b, &mut merged);
        assert_eq!(bits(&merged), bits(&reference(&[&a[..], &b[..]].concat())));
        // Replay the merge, counting elements taken from a after each output.
        let (mut i, mut j) = (0, 0);
        for t in 0..=merged.len() {
            assert_eq!(merge_split(&a, &b, t), i, "t = {t}");
            if t < merged.len() {
                if j >= b.len() || (i < a.len() && js_order(&a[i], &b[j]) != Ordering::Greater) {
                    i += 1;
                } else {
                    j += 1;
                }
            }
        }
    }

    #[test]
    fn many_sizes_block_boundaries_and_rounds() {
        // Tiny blocks and pieces exercise many merge rounds, lone trailing runs and pieces
        // that straddle runs, at sizes that do not divide evenly.
        for len in [0, 1, 2, 3, 7, 8, 9, 31, 64, 65, 127, 1000, 1009] {
            let values = pattern(len, len as u64 + 1);
            let want = bits(&reference(&values));
            for (block, piece) in [(1, 1), (2, 3), (4, 4), (7, 5), (16, 64)] {
                assert_eq!(
                    bits(&sorted(&values, block, piece)),
                    want,
                    "len {len} block {block} piece {piece}"
                );
            }
        }
    }

    #[test]
    fn sorted_reversed_and_duplicates() {
        let ascending: Vec<f64> = (0..5000).map(f64::from).collect();
        let descending: Vec<f64> = ascending.iter().rev().copied().collect();
        let duplicates: Vec<f64> = (0..5000).map(|i| f64::from(i % 3) - 1.0).collect();
        for values in [&ascending, &descending, &duplicates] {
            assert_eq!(bits(&sorted(values, 64, 100)), bits(&reference(values)));
        }
    }

    #[test]
    fn parallel_matches_serial() {
        let values = pattern(3 * BLOCK + 4321, 77);
        let want = bits(&reference(&values));
        for threads in [1, 2, 3] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            assert_eq!(
                bits(&pool.install(|| sorted(&values, BLOCK, PIECE))),
                want,
                "{threads} threads"
            );
            assert_eq!(
                bits(&pool.install(|| sorted(&values, 1000, 777))),
                want,
                "{threads} threads, small"
            );
        }
    }

    #[test]
    fn serial_matches_the_reference() {
        let flag = AtomicBool::new(false);
        for len in [0, 5, 1000, 3 * 64 + 7] {
            let values = pattern(len, 5);
            let mut data = values.clone();
            sort_blocked(&mut data, 64, 50, &Ctx::serial(&flag)).unwrap();
            assert_eq!(bits(&data), bits(&reference(&values)), "len {len}");
        }
    }

    #[test]
    fn merging_sorted_parts_matches_the_reference() {
        let flag = AtomicBool::new(false);
        let values = pattern(10_007, 9);
        let want = bits(&reference(&values));
        for parts in [1, 2, 3, 5, 8] {
            let mut data = values.clone();
            let starts: Vec<usize> = (0..parts).map(|i| data.len() * i / parts).collect();
            let mut bounds = starts.clone();
            bounds.push(data.len());
            for w in bounds.windows(2) {
                data[w[0]..w[1]].sort_unstable_by(js_order);
            }
            merge_sorted_runs(&mut data, &starts, &Ctx::new(&flag)).unwrap();
            assert_eq!(bits(&data), want, "{parts} parts");
        }
        // Empty parts (more parts than elements) are fine too.
        let mut tiny = vec![2.0, 1.0];
        merge_sorted_runs(&mut tiny, &[0, 0, 1, 1], &Ctx::new(&flag)).unwrap();
        assert_eq!(tiny, vec![1.0, 2.0]);
        let mut one = vec![3.0];
        merge_sorted_runs(&mut one, &[0, 0, 1], &Ctx::new(&flag)).unwrap();
        assert_eq!(one, vec![3.0]);
    }

    #[test]
    fn cancelled_before_start() {
        let flag = AtomicBool::new(true);
        let mut data = vec![3.0, 1.0, 2.0];
        assert_eq!(sort_like_js(&mut data, &Ctx::new(&flag)), Err(Cancelled));
        assert_eq!(data, vec![3.0, 1.0, 2.0]);
    }

    #[test]
    fn prepare_checks_arguments() {
        let p = Params::new("sort", &[]);
        let mut floats = vec![1.0f64; 4];
        assert!(prepare(&p, vec![RawView::from_slice(&mut floats)]).is_ok());
        let mut bytes = vec![0u8; 4];
        assert!(prepare(&p, vec![RawView::from_slice(&mut bytes)])
            .err()
            .unwrap()
            .contains("data"));
        assert!(prepare(&p, vec![]).err().unwrap().contains("expected 1"));
    }
}
