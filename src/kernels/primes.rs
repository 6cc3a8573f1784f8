//! `primes`: counts the primes below a limit with a segmented sieve of Eratosthenes.
//!
//! Only odd numbers are stored (index `i` stands for `2 * i + 1`), one byte each. The base primes
//! up to `sqrt(limit)` are sieved serially; the odd numbers below the limit are then cut into
//! strips, one per parallel task, and each strip is sieved one cache-sized segment at a time,
//! keeping every base prime's next multiple from segment to segment so only the first segment
//! of a strip pays a division per prime. The cancel flag is polled once per segment.

use rayon::prelude::*;

use super::Kernel;
use super::{take_views, Cancelled, Ctx, Job, Params, RawView};

/// Largest accepted limit.
pub const MAX_LIMIT: usize = 1 << 36;
/// Odd numbers (bytes) per segment: 128 KiB, sized for the L2 cache.
const SEGMENT: usize = 128 << 10;
/// Below this limit everything runs on the calling thread.
const SERIAL_LIMIT: u64 = 1 << 21;
/// Strips per pool thread, so that work stealing can even out the load.
const STRIPS_PER_THREAD: usize = 4;

struct Primes {
    limit: u64,
}

impl Job for Primes {
    fn run(&mut self, ctx: &Ctx<'_>) -> Result<f64, Cancelled> {
        // At most 2^36, so exact as an f64.
        Ok(count_primes(self.limit, ctx)? as f64)
    }
}

/// `primes`: `[limit]`, no views.
pub static KERNEL: Kernel = Kernel {
    name: "primes",
    prepare,
    outputs: &[],
    limits: &[("limit", MAX_LIMIT as f64)],
};

pub(super) fn prepare(params: &Params<'_>, views: Vec<RawView>) -> Result<Box<dyn Job>, String> {
    let limit = params.usize(0, "limit", MAX_LIMIT)? as u64;
    let [] = take_views::<0>("primes", views)?;
    Ok(Box::new(Primes { limit }))
}

/// Counts the primes `p < limit`, sieving segments in parallel on the current rayon pool when
/// the limit is large enough to pay for it (never when `ctx.threads()` is 1).
pub fn count_primes(limit: u64, ctx: &Ctx<'_>) -> Result<u64, Cancelled> {
    let strips = if limit < SERIAL_LIMIT || ctx.threads() == 1 {
        1
    } else {
        ctx.threads() * STRIPS_PER_THREAD
    };
    count_with(limit, SEGMENT, strips, ctx)
}

/// Counts the primes `p` with `lo <= p < hi` on the calling thread only (a process-pool
/// child's share of a count; the shares of adjacent ranges add up to [`count_primes`]).
pub fn count_primes_between(lo: u64, hi: u64, ctx: &Ctx<'_>) -> Result<u64, Cancelled> {
    range_with(lo, hi, SEGMENT, ctx)
}

/// [`count_primes_between`] with the segment length as a parameter.
fn range_with(lo: u64, hi: u64, segment: usize, ctx: &Ctx<'_>) -> Result<u64, Cancelled> {
    ctx.check()?;
    if hi <= lo || hi < 3 {
        return Ok(0);
    }
    // The odd numbers 2i + 1 in [lo, hi) are the indices lo / 2 .. hi / 2.
    let base = odd_primes_through((hi - 1).isqrt(), ctx)?;
    let odd = sieve_strip(&base, lo / 2, hi / 2, segment, ctx)?;
    Ok(odd + u64::from(lo <= 2))
}

/// [`count_primes`] with the segment length and strip count as parameters (tests use small
/// segments to exercise segment and strip boundaries).
fn count_with(limit: u64, segment: usize, strips: usize, ctx: &Ctx<'_>) -> Result<u64, Cancelled> {
    ctx.check()?;
    if limit < 3 {
        return Ok(0);
    }
    // Odd candidates 1, 3, ..., below the limit: indices 0..half.
    let half = limit / 2;
    let base = odd_primes_through((limit - 1).isqrt(), ctx)?;
    let segments = half.div_ceil(segment as u64);
    let strips = (strips.max(1) as u64).min(segments);
    let per_strip = segments.div_ceil(strips);
    let strip = |s: u64| {
        let lo = s * per_strip * segment as u64;
        let hi = ((s + 1) * per_strip * segment as u64).min(half);
        sieve_strip(&base, lo, hi, segment, ctx)
    };
    // One for the prime 2, which the odd-only sieve does not hold.
    let odd = if strips == 1 {
        strip(0)?
    } else {
        (0..strips)
            .into_par_iter()
            .map(strip)
            .try_reduce(|| 0, |a, b| Ok(a + b))?
    };
    Ok(1 + odd)
}

/// The odd primes `p <= max` (a plain sieve; `max <= 2^18` for accepted limits).
fn odd_primes_through(max: u64, ctx: &Ctx<'_>) -> Result<Vec<u64>, Cancelled> {
    ctx.check()?;
    let max = max as usize;
    let mut composite = vec![false; max + 1];
    let mut primes = Vec::new();
    for n in (3..=max).step_by(2) {
        if composite[n] {
            continue;
        }
        primes.push(n as u64);
        for multiple in (n * n..=max).step_by(2 * n) {
            composite[multiple] = true;
        }
    }
    Ok(primes)
}

/// Counts the odd primes among the odd-number indices `lo..hi` (index 0, the number 1, never
/// counts), sieving `segment` indices at a time.
fn sieve_strip(
    base: &[u64],
    lo: u64,
    hi: u64,
    segment: usize,
    ctx: &Ctx<'_>,
) -> Result<u64, Cancelled> {
    if lo >= hi {
        return Ok(0);
    }
    // next[k]: index of the next odd multiple of base[k] still to cross off (from p * p on, as
    // smaller multiples have a smaller factor). Odd multiples of p are p apart in index space,
    // and index i is a multiple of p exactly when i = (p - 1) / 2 (mod p).
    let mut next: Vec<u64> = base
        .iter()
        .map(|&p| {
            let first = (p * p - 1) / 2;
            if first >= lo {
                first
            } else {
                let past = (lo - first) % p;
                if past == 0 {
                    lo
                } else {
                    lo + (p - past)
                }
            }
        })
        .collect();
    let mut flags = vec![1u8; segment];
    let mut count = 0u64;
    let mut start = lo;
    while start < hi {
        ctx.check()?;
        let end = (start + segment as u64).min(hi);
        let seg = &mut flags[..(end - start) as usize];
        seg.fill(1);
        if start == 0 {
            seg[0] = 0; // 1 is not prime
        }
        for (&p, n) in base.iter().zip(next.iter_mut()) {
            let mut i = *n;
            while i < end {
                seg[(i - start) as usize] = 0;
                i += p;
            }
            *n = i;
        }
        count += seg.iter().map(|&f| u64::from(f)).sum::<u64>();
        start = end;
    }
    Ok(count)
}

#[cfg(test)]
mod test {
    use std::sync::atomic::AtomicBool;

    use super::*;

    fn count(limit: u64) -> u64 {
        let flag = AtomicBool::new(false);
        count_primes(limit, &Ctx::new(&flag)).unwrap()
    }

    /// A plain sieve: the number of primes below each n in 0..=max.
    fn prefix_counts(max: usize) -> Vec<u64> {
        let mut composite = vec![false; max.max(2)];
        let mut counts = vec![0u64; max + 1];
        let mut primes = 0;
        for n in 0..max {
            counts[n] = primes;
            if n >= 2 && !composite[n] {
                primes += 1;
                for m in (n * n..max).step_by(n) {
                    composite[m] = true;
                }
            }
        }
        counts[max] = primes;
        counts
    }

    #[test]
    fn known_counts() {
        let cases = [
            (0, 0),
            (1, 0),
            (2, 0),
            (3, 1),
            (4, 2),
            (5, 2),
            (10, 4),
            (100, 25),
            (1_000_000, 78_498),
        ];
        for (limit, want) in cases {
            assert_eq!(count(limit), want, "limit {limit}");
        }
    }

    #[test]
    fn ten_million() {
        assert_eq!(count(10_000_000), 664_579);
    }

    #[test]
    fn squares_of_primes_and_their_neighbours() {
        // 49 = 7^2 must be crossed off, so primes below 50 are 15 and below 49 also 15.
        let counts = prefix_counts(10_000);
        for p in [3u64, 5, 7, 11, 13, 97] {
            for limit in [p * p - 1, p * p, p * p + 1, p * p + 2] {
                assert_eq!(count(limit), counts[limit as usize], "limit {limit}");
            }
        }
    }

    #[test]
    fn matches_simple_sieve_for_small_limits_and_segments() {
        let max = 3000;
        let counts = prefix_counts(max);
        let flag = AtomicBool::new(false);
        let ctx = Ctx::new(&flag);
        for limit in 0..=max as u64 {
            for (segment, strips) in [(SEGMENT, 1), (1, 1), (7, 3), (16, 5), (64, 2), (5, 1000)] {
                let got = count_with(limit, segment, strips, &ctx).unwrap();
                assert_eq!(
                    got, counts[limit as usize],
                    "limit {limit}, segment {segment}, strips {strips}"
                );
            }
        }
    }

    #[test]
    fn segment_boundary_limits() {
        let counts = prefix_counts(2 * 3 * SEGMENT + 10);
        // A segment holds SEGMENT odd numbers, i.e. spans 2 * SEGMENT integers.
        for k in 1..=3 {
            let edge = (2 * k * SEGMENT) as u64;
            for limit in [edge - 2, edge - 1, edge, edge + 1, edge + 2] {
                assert_eq!(count(limit), counts[limit as usize], "limit {limit}");
            }
        }
    }

    #[test]
    fn parallel_matches_serial() {
        let flag = AtomicBool::new(false);
        let ctx = Ctx::new(&flag);
        for limit in [SERIAL_LIMIT - 1, SERIAL_LIMIT, 3_000_017] {
            let serial = count_with(limit, SEGMENT, 1, &ctx).unwrap();
            for threads in [1, 2, 3] {
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .unwrap();
                assert_eq!(
                    pool.install(|| count(limit)),
                    serial,
                    "limit {limit}, {threads} threads"
                );
                let odd_strips = pool.install(|| count_with(limit, 1000, 7, &ctx)).unwrap();
                assert_eq!(
                    odd_strips, serial,
                    "limit {limit}, {threads} threads, 7 strips"
                );
            }
        }
    }

    #[test]
    fn ranges_add_up_to_the_count_below_their_end() {
        let max = 3000;
        let counts = prefix_counts(max);
        let flag = AtomicBool::new(false);
        let ctx = Ctx::serial(&flag);
        for lo in 0..200u64 {
            for hi in [0, 1, 2, 3, 4, 9, 10, 11, 49, 50, 51, 1000, 2999, 3000] {
                let want =
                    counts[hi as usize].saturating_sub(counts[(lo as usize).min(hi as usize)]);
                for segment in [SEGMENT, 1, 7] {
                    assert_eq!(
                        range_with(lo, hi, segment, &ctx).unwrap(),
                        want,
                        "[{lo}, {hi}) segment {segment}"
                    );
                }
            }
        }
        let split = [0, 1_234_567, 2_000_001, 3_000_017];
        let total: u64 = split
            .windows(2)
            .map(|w| count_primes_between(w[0], w[1], &ctx).unwrap())
            .sum();
        assert_eq!(total, count_primes(3_000_017, &ctx).unwrap());
    }

    #[test]
    fn cancelled_before_start() {
        let flag = AtomicBool::new(true);
        assert_eq!(count_primes(1_000_000, &Ctx::new(&flag)), Err(Cancelled));
        assert_eq!(count_primes(0, &Ctx::new(&flag)), Err(Cancelled));
    }

    #[test]
    fn cancelled_mid_run() {
        // Counting to 2^36 takes far longer than the 20 ms before the flag is set.
        let flag = AtomicBool::new(false);
        let result = std::thread::scope(|s| {
            s.spawn(|| {
                std::thread::sleep(std::time::Duration::from_millis(20));
                flag.store(true, std::sync::atomic::Ordering::Relaxed);
            });
            count_primes(1 << 36, &Ctx::new(&flag))
        });
        assert_eq!(result, Err(Cancelled));
    }

    #[test]
    fn prepare_checks_arguments() {
        let flag = AtomicBool::new(false);
        let ctx = Ctx::new(&flag);
        let mut job = prepare(&Params::new("primes", &[100.0]), vec![]).unwrap();
        assert_eq!(job.run(&ctx), Ok(25.0));
        assert!(prepare(&Params::new("primes", &[68_719_476_736.0]), vec![]).is_ok());
        let err = |p: &'static [f64], v| prepare(&Params::new("primes", p), v).err().unwrap();
        assert!(err(&[68_719_476_737.0], vec![]).contains("limit"));
        assert!(err(&[-1.0], vec![]).contains("limit"));
        assert!(err(&[2.5], vec![]).contains("limit"));
        assert!(err(&[], vec![]).contains("limit"));
        let mut bytes = [0u8; 1];
        assert!(err(&[10.0], vec![RawView::from_slice(&mut bytes)]).contains("expected 0"));
    }
}
