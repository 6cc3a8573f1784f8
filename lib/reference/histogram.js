'use strict';

/**
 * Reference `histogram` kernel: counts occurrences of each byte value.
 *
 * @param {{ data: Uint8Array, out?: Uint32Array }} input `out`, if given, has length 256
 *   and is overwritten; otherwise a new `Uint32Array(256)` is allocated.
 * @returns {Uint32Array} The 256 counts (`out` when provided).
 */
function histogram(input) {
  const data = input.data;
  const counts = input.out === undefined || input.out === null ? new Uint32Array(256) : input.out;
  counts.fill(0);
  const len = data.length;
  for (let i = 0; i < len; i++) {
    counts[data[i]]++;
  }
  return counts;
}

module.exports = histogram;
