'use strict';

/** `primes`: how many primes lie below `limit` (segmented sieve). */

const { validateObject, validateInteger } = require('../validate');
const { ranges } = require('../internal/ranges');
const reference = require('../reference/primes');

module.exports = {
  name: 'primes',
  reference,
  prepare(input, limits) {
    validateObject(input, 'input');
    const limit = validateInteger(input.limit, 'input.limit', 0, limits.limit);
    return { params: [limit], views: [], result: (count) => ({ count }) };
  },
  workload({ count }) {
    return {
      describe: `below ${count(5e6)}`,
      make: () => ({ limit: count(5e6) }),
      check: (r, e) => r.count === e.count,
    };
  },
  split: {
    parts: (input, n) => ranges(input.limit, n),
    runPart: (_input, [lo, hi]) => reference.countBetween(lo, hi),
    combine: (_input, results) => ({ count: results.reduce((a, b) => a + b, 0) }),
  },
};
