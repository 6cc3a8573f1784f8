'use strict';

/**
 * Splits [0, total) into at most n contiguous, nearly equal ranges (one empty range when
 * total is 0).
 * @param {number} total
 * @param {number} n
 * @returns {Array<[number, number]>}
 */
function ranges(total, n) {
  const out = [];
  const count = Math.max(1, Math.min(n, total));
  for (let i = 0; i < count; i++) {
    const start = Math.floor((total * i) / count);
    const end = Math.floor((total * (i + 1)) / count);
    if (end > start || total === 0) out.push([start, end]);
  }
  return out;
}

module.exports = { ranges };
