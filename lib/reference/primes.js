'use strict';

/** Segment size in bytes; one byte per odd number, so a segment spans 2 * SEGMENT integers. */
const SEGMENT = 32 * 1024;

/**
 * Odd primes p with p * p < limit, via a plain sieve of Eratosthenes.
 * The bound is at most 2**18 for limit <= 2**36, so 32-bit ints are safe here.
 *
 * @param {number} limit
 * @returns {Int32Array}
 */
function oddBasePrimes(limit) {
  let root = Math.floor(Math.sqrt(limit));
  while (root * root >= limit) root--; // largest root with root*root < limit
  if (root < 3) return new Int32Array(0);
  const composite = new Uint8Array(root + 1);
  let count = 0;
  for (let i = 3; i <= root; i += 2) {
    if (composite[i] === 0) {
      count++;
      for (let j = i * i; j <= root; j += 2 * i) composite[j] = 1;
    }
  }
  const primes = new Int32Array(count);
  for (let i = 3, n = 0; i <= root; i += 2) if (composite[i] === 0) primes[n++] = i;
  return primes;
}

/**
 * Counts the primes p with `from <= p < to`, with an odd-only segmented sieve of Eratosthenes.
 *
 * Base primes up to sqrt(to) are sieved first; then the odd numbers in [max(3, from), to) are
 * processed in segments of 32 KiB (one byte per odd number) in a single reused `Uint8Array`.
 * Each base prime carries its next-multiple offset from one segment to the next, and becomes
 * active only once its square falls below the current segment's end, so inactive primes cost
 * nothing. Values above 2**31 are handled with plain double arithmetic, never bitwise ops.
 * A range lets a pool of workers split one count.
 *
 * @param {number} from inclusive, a non-negative integer
 * @param {number} to exclusive, an integer <= 2**53
 * @returns {number}
 */
function countBetween(from, to) {
  let count = from <= 2 && to > 2 ? 1 : 0; // the prime 2
  let first = from > 3 ? from : 3;
  if (first % 2 === 0) first++;
  if (first >= to) return count;

  const base = oddBasePrimes(to);
  const nBase = base.length;
  // offsets[i]: index (in the current segment) of the next odd multiple of base[i] to cross off.
  const offsets = new Float64Array(nBase);
  const seg = new Uint8Array(SEGMENT);
  let active = 0;

  // seg[j] represents the odd number low + 2j.
  for (let low = first; low < to; low += 2 * SEGMENT) {
    const remaining = Math.ceil((to - low) / 2);
    const n = remaining < SEGMENT ? remaining : SEGMENT;
    const high = low + 2 * n; // exclusive
    seg.fill(0, 0, n);

    // Activate base primes whose square lies below this segment's end: start at p*p or at the
    // first odd multiple of p in this segment, whichever is larger.
    while (active < nBase && base[active] * base[active] < high) {
      const p = base[active];
      let start = Math.ceil(low / p) * p;
      if (start % 2 === 0) start += p;
      if (start < p * p) start = p * p;
      offsets[active] = (start - low) / 2;
      active++;
    }

    for (let i = 0; i < active; i++) {
      const p = base[i];
      let j = offsets[i];
      for (; j < n; j += p) seg[j] = 1;
      offsets[i] = j - SEGMENT; // only meaningful when n === SEGMENT (i.e. not the last segment)
    }

    for (let j = 0; j < n; j++) if (seg[j] === 0) count++;
  }
  return count;
}

/**
 * Reference `primes` kernel: counts the primes strictly below `limit` (see `countBetween`).
 *
 * @param {{ limit: number }} input `limit` is a non-negative integer (<= 2**53).
 * @returns {{ count: number }} The number of primes p with p < limit.
 */
function primes(input) {
  return { count: countBetween(0, input.limit) };
}

primes.countBetween = countBetween;
module.exports = primes;
