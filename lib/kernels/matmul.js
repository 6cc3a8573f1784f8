'use strict';

/** `matmul`: `out = a · b`, row-major doubles. */

const { validateObject, validateInteger, validateTypedArray } = require('../validate');
const { ranges } = require('../internal/ranges');
const reference = require('../reference/matmul');

module.exports = {
  name: 'matmul',
  reference,
  prepare(input, limits) {
    validateObject(input, 'input');
    const n = validateInteger(input.n, 'input.n', 0, limits.n);
    const k = validateInteger(input.k, 'input.k', 0, limits.k);
    const m = validateInteger(input.m, 'input.m', 0, limits.m);
    const a = validateTypedArray(input.a, 'input.a', 'Float64Array', n * k);
    const b = validateTypedArray(input.b, 'input.b', 'Float64Array', k * m);
    const out = validateTypedArray(input.out, 'input.out', 'Float64Array', n * m);
    return {
      params: [n, k, m],
      views: [
        { name: 'a', view: a, mode: 'in' },
        { name: 'b', view: b, mode: 'in' },
        { name: 'out', view: out, mode: 'out' },
      ],
      result: () => out,
    };
  },
  workload({ side, sab, fill, close }) {
    const mm = Math.round(side(192));
    const a = fill(sab(Float64Array, mm * mm), 17, 2);
    const b = fill(sab(Float64Array, mm * mm), 19, 2);
    return {
      describe: `${mm}x${mm} · ${mm}x${mm}`,
      make: () => ({ a, b, n: mm, k: mm, m: mm, out: sab(Float64Array, mm * mm) }),
      check: close,
    };
  },
  split: {
    parts: (input, n) => ranges(input.n, n),
    runPart: ({ a, b, k, m, out }, [r0, r1]) => {
      reference({ a: a.subarray(r0 * k, r1 * k), b, n: r1 - r0, k, m, out: out.subarray(r0 * m, r1 * m) });
    },
    output: (input, [r0, r1]) => input.out.subarray(r0 * input.m, r1 * input.m),
    combine: (input) => input.out,
  },
};
