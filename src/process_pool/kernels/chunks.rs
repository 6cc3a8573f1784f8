//! Kernels split into ranges of a flat input (or of numbers, for `primes`).

use crate::kernels::primes::MAX_LIMIT;
use crate::kernels::{self, count_primes_between, Ctx, Params, RawView};

use super::super::protocol::{Reply, COUNTS};
use super::{ranges, Fail, Finish, PView, Plan};

/// Ranges of chunks: each part hashes whole chunks into its slice of `out`.
pub(super) fn plan_sha256(p: &[f64], views: &[PView], n: usize) -> Plan {
    let chunk = p[0] as usize;
    let (data, out) = (&views[0], &views[1]);
    let chunks = data.len.div_ceil(chunk);
    let parts = ranges(chunks, n)
        .into_iter()
        .map(|(c0, c1)| {
            let end = data.len.min(c1 * chunk);
            (
                p.to_vec(),
                vec![data.sub(c0 * chunk, end), out.sub(c0 * 32, c1 * 32)],
            )
        })
        .collect();
    Plan {
        parts,
        finish: Finish::Nothing,
    }
}

/// Children sort one range each; the parent merges the sorted ranges.
pub(super) fn plan_sort(_p: &[f64], views: &[PView], n: usize) -> Plan {
    let data = &views[0];
    let parts: Vec<_> = ranges(data.len, n)
        .into_iter()
        .map(|(a, b)| (vec![], vec![data.sub(a, b)]))
        .collect();
    let starts = ranges(data.len, n).into_iter().map(|(a, _)| a).collect();
    Plan {
        parts,
        finish: Finish::Merge {
            data: data.clone(),
            starts,
        },
    }
}

/// Ranges of numbers below the limit; the parent sums the counts.
pub(super) fn plan_primes(p: &[f64], _views: &[PView], n: usize) -> Plan {
    let limit = p[0] as usize;
    // Below ~a million a single part is faster than splitting (each part sieves its own base
    // primes and costs a round trip).
    let n = if limit < 1 << 20 { 1 } else { n };
    let parts = ranges(limit, n)
        .into_iter()
        .map(|(lo, hi)| (vec![lo as f64, hi as f64], vec![]))
        .collect();
    Plan {
        parts,
        finish: Finish::Sum,
    }
}

pub(super) fn part_primes(p: &[f64], _views: Vec<RawView>, ctx: &Ctx<'_>) -> Result<Reply, Fail> {
    let params = Params::new("primes", p);
    let lo = params.usize(0, "lo", MAX_LIMIT)? as u64;
    let hi = params.usize(1, "hi", MAX_LIMIT)? as u64;
    Ok(Reply::Value(count_primes_between(lo, hi, ctx)? as f64))
}

/// Below this many bytes the data is one part (as ThreadPool counts it on one thread).
const HISTOGRAM_SERIAL_BYTES: usize = 256 << 10;

/// Ranges of `data`: each part counts its range and sends its 256 counts back
/// ([`Reply::Counts`]); the parent adds them up and writes the totals over `out`
/// ([`Finish::Counts`]). With no data there is no part, and `out` becomes all zeros.
pub(super) fn plan_histogram(_p: &[f64], views: &[PView], n: usize) -> Plan {
    let [data, out] = views else {
        return Plan {
            parts: vec![],
            finish: Finish::Nothing,
        };
    };
    let n = if data.len < HISTOGRAM_SERIAL_BYTES {
        1
    } else {
        n
    };
    let parts = ranges(data.len, n)
        .into_iter()
        .map(|(start, end)| (vec![], vec![data.sub(start, end)]))
        .collect();
    Plan {
        parts,
        finish: Finish::Counts {
            out: out.clone(),
            totals: Box::new([0; COUNTS]),
        },
    }
}

pub(super) fn part_histogram(
    _p: &[f64],
    views: Vec<RawView>,
    ctx: &Ctx<'_>,
) -> Result<Reply, Fail> {
    let [data] = kernels::take_views::<1>("histogram", views)?;
    let data = data.typed::<u8>("data")?;
    // SAFETY: `data` is input that nobody writes while the task runs (outputs may not overlap
    // it) and stays mapped (or, for a one-shot child, is its own copy) while the child runs.
    let data = unsafe { data.as_slice() };
    let mut counts = [0u32; COUNTS];
    kernels::histogram(data, &mut counts, ctx)?;
    Ok(Reply::Counts(counts))
}
