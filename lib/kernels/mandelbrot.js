'use strict';

/** `mandelbrot`: escape iteration per pixel, row-major, into `out`. */

const { validateObject, validateInteger, validateFinite, validateTypedArray } = require('../validate');
const { ranges } = require('../internal/ranges');
const reference = require('../reference/mandelbrot');

module.exports = {
  name: 'mandelbrot',
  reference,
  prepare(input, limits) {
    validateObject(input, 'input');
    const width = validateInteger(input.width, 'input.width', 0, limits.width);
    const height = validateInteger(input.height, 'input.height', 0, limits.height);
    const maxIterations = validateInteger(input.maxIterations, 'input.maxIterations', 0, limits.maxIterations);
    const region = ['xMin', 'xMax', 'yMin', 'yMax'].map((key, i) =>
      input[key] === undefined ? [-2, 0.5, -1.25, 1.25][i] : validateFinite(input[key], `input.${key}`),
    );
    const out = validateTypedArray(input.out, 'input.out', 'Uint32Array', width * height);
    return {
      params: [width, height, maxIterations, ...region],
      views: [{ name: 'out', view: out, mode: 'out' }],
      result: () => out,
    };
  },
  workload({ side, sab, equal }) {
    const mw = side(640);
    const mh = side(480);
    return {
      describe: `${mw}x${mh}, 256 iterations`,
      make: () => ({ width: mw, height: mh, maxIterations: 256, out: sab(Uint32Array, mw * mh) }),
      check: equal,
    };
  },
  split: {
    parts: (input, n) => ranges(input.height, n),
    runPart: (input, [y0, y1]) => {
      reference(input, y0, y1);
    },
    output: (input, [y0, y1]) => input.out.subarray(y0 * input.width, y1 * input.width),
    combine: (input) => input.out,
  },
};
