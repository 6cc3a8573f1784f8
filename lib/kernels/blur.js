'use strict';

/** `blur`: separable box blur of RGBA `pixels` into `out`, integer math, edges clamped. */

const { validateObject, validateInteger, validateTypedArray } = require('../validate');
const { ranges } = require('../internal/ranges');
const reference = require('../reference/blur');

module.exports = {
  name: 'blur',
  reference,
  prepare(input, limits) {
    validateObject(input, 'input');
    const width = validateInteger(input.width, 'input.width', 0, limits.width);
    const height = validateInteger(input.height, 'input.height', 0, limits.height);
    const radius = validateInteger(input.radius, 'input.radius', 0, limits.radius);
    const pixels = validateTypedArray(input.pixels, 'input.pixels', 'Uint8Array', width * height * 4);
    const out = validateTypedArray(input.out, 'input.out', 'Uint8Array', width * height * 4);
    return {
      params: [width, height, radius],
      views: [
        { name: 'pixels', view: pixels, mode: 'in' },
        { name: 'out', view: out, mode: 'out' },
      ],
      result: () => out,
    };
  },
  workload({ side, sab, fill, equal }) {
    const bw = side(800);
    const bh = side(600);
    const pixels = fill(sab(Uint8Array, bw * bh * 4), 7);
    return {
      describe: `${bw}x${bh} RGBA, radius 8`,
      make: () => ({ pixels, width: bw, height: bh, radius: 8, out: sab(Uint8Array, pixels.length) }),
      check: equal,
    };
  },
  split: {
    // Each band is blurred with `radius` halo rows on each side, which makes its own rows exact.
    parts: (input, n) => ranges(input.height, n),
    runPart: ({ pixels, width, height, radius, out }, [y0, y1]) => {
      const h0 = Math.max(0, y0 - radius);
      const h1 = Math.min(height, y1 + radius);
      const stride = width * 4;
      const band = new Uint8Array((h1 - h0) * stride);
      reference({ pixels: pixels.subarray(h0 * stride, h1 * stride), width, height: h1 - h0, radius, out: band });
      out.set(band.subarray((y0 - h0) * stride, (y1 - h0) * stride), y0 * stride);
    },
    output: (input, [y0, y1]) => input.out.subarray(y0 * input.width * 4, y1 * input.width * 4),
    combine: (input) => input.out,
  },
};
