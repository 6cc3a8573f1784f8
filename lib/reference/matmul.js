'use strict';

/**
 * Reference `matmul` kernel: dense row-major `out = a × b` in double precision.
 *
 * Uses the i-k-j loop order so the innermost loop walks one row of `b` and one
 * row of `out` contiguously. Every output element is accumulated in ascending
 * `k` order starting from +0 (naive summation).
 *
 * @param {{
 *   a: Float64Array, b: Float64Array, n: number, k: number, m: number, out: Float64Array
 * }} input `a` is n×k, `b` is k×m, `out` is n×m (all row-major). `out` must not alias `a` or `b`.
 * @returns {Float64Array} `out`, overwritten with the product.
 */
function matmul(input) {
  const { a, b, n, k, m, out } = input;
  for (let i = 0; i < n; i++) {
    const rowOut = i * m;
    const rowA = i * k;
    const rowEnd = rowOut + m;
    out.fill(0, rowOut, rowEnd);
    for (let p = 0; p < k; p++) {
      const aip = a[rowA + p];
      let bj = p * m;
      for (let j = rowOut; j < rowEnd; j++, bj++) {
        out[j] += aip * b[bj];
      }
    }
  }
  return out;
}

module.exports = matmul;
