'use strict';

/**
 * Reference `sort` kernel: sorts a `Float64Array` in place in ascending numeric
 * order using `TypedArray.prototype.sort` (no comparator): -Infinity … -0, +0 … +Infinity,
 * NaN last.
 *
 * @param {{ data: Float64Array }} input
 * @returns {Float64Array} `data`, sorted in place.
 */
function sort(input) {
  return input.data.sort();
}

module.exports = sort;
