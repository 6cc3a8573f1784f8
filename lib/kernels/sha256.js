'use strict';

/** `sha256`: each `chunkSize` chunk of `data` hashed on its own into `out`. */

const { validateObject, validateInteger, validateTypedArray } = require('../validate');
const { ranges } = require('../internal/ranges');
const reference = require('../reference/sha256');

module.exports = {
  name: 'sha256',
  reference,
  prepare(input, limits) {
    validateObject(input, 'input');
    const data = validateTypedArray(input.data, 'input.data', 'Uint8Array');
    const chunkSize = validateInteger(input.chunkSize, 'input.chunkSize', 1, limits.chunkSize);
    const out = validateTypedArray(input.out, 'input.out', 'Uint8Array', 32 * Math.ceil(data.length / chunkSize));
    return {
      params: [chunkSize],
      views: [
        { name: 'data', view: data, mode: 'in' },
        { name: 'out', view: out, mode: 'out' },
      ],
      result: () => out,
    };
  },
  workload({ count, sab, fill, equal }) {
    const shaBytes = fill(sab(Uint8Array, count(4 << 20)), 13);
    return {
      describe: `${(shaBytes.length / 2 ** 20).toFixed(1)} MiB in 64 KiB chunks`,
      make: () => ({ data: shaBytes, chunkSize: 65536, out: sab(Uint8Array, 32 * Math.ceil(shaBytes.length / 65536)) }),
      check: equal,
    };
  },
  split: {
    parts: (input, n) => ranges(Math.ceil(input.data.length / input.chunkSize), n),
    runPart: ({ data, chunkSize, out }, [c0, c1]) => {
      const end = Math.min(data.length, c1 * chunkSize);
      reference({ data: data.subarray(c0 * chunkSize, end), chunkSize, out: out.subarray(c0 * 32, c1 * 32) });
    },
    output: (input, [c0, c1]) => input.out.subarray(c0 * 32, c1 * 32),
    combine: (input) => input.out,
  },
};
