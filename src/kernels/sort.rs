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
        // SAFETY: `data` is the task's only view, kept alive by the facade until the task
        // settles (see `view.rs`); no other slice over it exists during this call.
        let data = unsafe { self.data.as_mut() };
        sort_like_js(data, ctx)?;
        Ok(0.0)
    }
}

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
/// `-0` before `+0`, NaNs last), using the current rayon pool for large arrays. Needs a scratch
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
    data.par_chunks_mut(block).try_for_each(|chunk| {
        ctx.check()?;
        chunk.sort_unstable_by(js_order);
        Ok(())
    })?;
    let mut scratch = vec![0.0f64; data.len()];
    let mut run = block;
    let mut in_scratch = false;
    while run < data.len() {
        if in_scratch {
            merge_round(&scratch, data, run, piece, ctx)?;
        } else {
            merge_round(data, &mut scratch, run, piece, ctx)?;
        }
        in_scratch = !in_scratch;
        run = run.saturating_mul(2);
    }
    if in_scratch {
        data.par_chunks_mut(piece)
            .zip(scratch.par_chunks(piece))
            .for_each(|(d, s)| d.copy_from_slice(s));
    }
    Ok(())
}

/// Merges each pair of adjacent sorted runs of length `run` in `src` (the last pair may be
/// short or a lone run) into the same positions of `dst`.
fn merge_round(
    src: &[f64],
    dst: &mut [f64],
    run: usize,
    piece: usize,
    ctx: &Ctx<'_>,
) -> Result<(), Cancelled> {
    let pair = run.saturating_mul(2);
    src.par_chunks(pair)
        .zip(dst.par_chunks_mut(pair))
        .try_for_each(|(src, dst)| {
            let (a, b) = src.split_at(run.min(src.len()));
            dst.par_chunks_mut(piece)
                .enumerate()
                .try_for_each(|(i, out)| {
                    ctx.check()?;
                    let start = i * piece;
                    let end = start + out.len();
                    let (a0, a1) = (merge_split(a, b, start), merge_split(a, b, end));
                    merge_into(&a[a0..a1], &b[start - a0..end - a1], out);
                    Ok(())
                })
        })
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
