'use strict';

/** `sort`: sorts `data` in place in `Float64Array.prototype.sort` order. */

const { validateObject, validateTypedArray } = require('../validate');
const { ranges } = require('../internal/ranges');
const reference = require('../reference/sort');

/** Float64Array order: ascending, -0 before +0, NaN last. */
const before = (x, y) => x < y || (y !== y && x === x) || (x === 0 && y === 0 && 1 / x < 1 / y);

module.exports = {
  name: 'sort',
  reference,
  prepare(input) {
    validateObject(input, 'input');
    const data = validateTypedArray(input.data, 'input.data', 'Float64Array');
    return { params: [], views: [{ name: 'data', view: data, mode: 'inout' }], result: () => data };
  },
  workload({ count, sab, fill, equal }) {
    const unsorted = fill(new Float64Array(count(1 << 20)), 23, 1e6);
    return {
      describe: `${unsorted.length} doubles`,
      make: () => {
        const data = sab(Float64Array, unsorted.length);
        data.set(unsorted);
        return { data };
      },
      reset: (input) => input.data.set(unsorted),
      check: equal,
    };
  },
  split: {
    // Each worker sorts its run in place; the main thread merges the runs.
    parts: (input, n) => ranges(input.data.length, n),
    runPart: ({ data }, [i0, i1]) => {
      data.subarray(i0, i1).sort();
    },
    output: (input, [i0, i1]) => input.data.subarray(i0, i1),
    combine: (input, _results, parts) => {
      const { data } = input;
      if (parts.length < 2) return data;
      const merged = new Float64Array(data.length);
      const heads = parts.map(([start]) => start);
      for (let o = 0; o < merged.length; o++) {
        let best = -1;
        for (let r = 0; r < parts.length; r++) {
          if (heads[r] < parts[r][1] && (best < 0 || before(data[heads[r]], data[heads[best]]))) best = r;
        }
        merged[o] = data[heads[best]++];
      }
      data.set(merged);
      return data;
    },
  },
};
