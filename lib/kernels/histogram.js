'use strict';

/** `histogram`: how many times each byte value occurs in `data` (256 counts). */

const { validateObject, validateTypedArray } = require('../validate');
const { ranges } = require('../internal/ranges');
const reference = require('../reference/histogram');

module.exports = {
  name: 'histogram',
  reference,
  prepare(input) {
    validateObject(input, 'input');
    const data = validateTypedArray(input.data, 'input.data', 'Uint8Array');
    const out =
      input.out === undefined ? new Uint32Array(new SharedArrayBuffer(256 * 4)) : validateTypedArray(input.out, 'input.out', 'Uint32Array', 256);
    return {
      params: [],
      views: [
        { name: 'data', view: data, mode: 'in' },
        { name: 'out', view: out, mode: 'out' },
      ],
      result: () => out,
    };
  },
  workload({ count, sab, fill, equal }) {
    const bytes = fill(sab(Uint8Array, count(16 << 20)), 11);
    return {
      describe: `${(bytes.length / 2 ** 20).toFixed(1)} MiB`,
      make: () => ({ data: bytes, out: sab(Uint32Array, 256) }),
      check: equal,
    };
  },
  split: {
    parts: (input, n) => ranges(input.data.length, n),
    runPart: ({ data }, [i0, i1]) => reference({ data: data.subarray(i0, i1) }),
    combine: (input, results) => {
      const out = input.out ?? new Uint32Array(256);
      out.fill(0);
      for (const counts of results) for (let i = 0; i < 256; i++) out[i] += counts[i];
      return out;
    },
  },
};
