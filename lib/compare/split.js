'use strict';

/**
 * How the JavaScript engines (worker_threads, Piscina, node:cluster) split one kernel run over
 * N workers: `parts` cuts the input into N pieces, `runPart` computes one piece with the
 * reference kernel (inside a worker), `combine` puts the pieces' results together on the main
 * thread. Inputs and outputs live in SharedArrayBuffers, so workers write results in place;
 * only small per-piece results (histogram counts, prime counts) travel back by message.
 * @module native-parallel/lib/compare/split
 */

const reference = require('../reference');

/** Splits [0, total) into at most n contiguous, nearly equal ranges. */
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

/** Float64Array order: ascending, -0 before +0, NaN last. */
const before = (x, y) => x < y || (y !== y && x === x) || (x === 0 && y === 0 && 1 / x < 1 / y);

/**
 * `output(input, part)`, where present, is the region of the output that the part writes: a
 * process engine (no shared memory) sends it back and the main thread copies it in place.
 * @type {Record<string, {
 *   parts: (input: any, n: number) => any[],
 *   runPart: (input: any, part: any) => any,
 *   output?: (input: any, part: any) => ArrayBufferView,
 *   combine: (input: any, results: any[], parts: any[]) => any,
 * }>}
 */
const splitters = {
  noop: {
    parts: () => [null],
    runPart: () => undefined,
    combine: () => undefined,
  },
  spin: {
    parts: () => [null],
    runPart: (input) => reference.spin(input),
    combine: () => undefined,
  },
  mandelbrot: {
    parts: (input, n) => ranges(input.height, n),
    runPart: (input, [y0, y1]) => {
      reference.mandelbrot(input, y0, y1);
    },
    output: (input, [y0, y1]) => input.out.subarray(y0 * input.width, y1 * input.width),
    combine: (input) => input.out,
  },
  matmul: {
    parts: (input, n) => ranges(input.n, n),
    runPart: ({ a, b, k, m, out }, [r0, r1]) => {
      reference.matmul({ a: a.subarray(r0 * k, r1 * k), b, n: r1 - r0, k, m, out: out.subarray(r0 * m, r1 * m) });
    },
    output: (input, [r0, r1]) => input.out.subarray(r0 * input.m, r1 * input.m),
    combine: (input) => input.out,
  },
  sha256: {
    parts: (input, n) => ranges(Math.ceil(input.data.length / input.chunkSize), n),
    runPart: ({ data, chunkSize, out }, [c0, c1]) => {
      const end = Math.min(data.length, c1 * chunkSize);
      reference.sha256({ data: data.subarray(c0 * chunkSize, end), chunkSize, out: out.subarray(c0 * 32, c1 * 32) });
    },
    output: (input, [c0, c1]) => input.out.subarray(c0 * 32, c1 * 32),
    combine: (input) => input.out,
  },
  blur: {
    // Each band is blurred with `radius` halo rows on each side, which makes its own rows exact.
    parts: (input, n) => ranges(input.height, n),
    runPart: ({ pixels, width, height, radius, out }, [y0, y1]) => {
      const h0 = Math.max(0, y0 - radius);
      const h1 = Math.min(height, y1 + radius);
      const stride = width * 4;
      const band = new Uint8Array((h1 - h0) * stride);
      reference.blur({ pixels: pixels.subarray(h0 * stride, h1 * stride), width, height: h1 - h0, radius, out: band });
      out.set(band.subarray((y0 - h0) * stride, (y1 - h0) * stride), y0 * stride);
    },
    output: (input, [y0, y1]) => input.out.subarray(y0 * input.width * 4, y1 * input.width * 4),
    combine: (input) => input.out,
  },
  histogram: {
    parts: (input, n) => ranges(input.data.length, n),
    runPart: ({ data }, [i0, i1]) => reference.histogram({ data: data.subarray(i0, i1) }),
    combine: (input, results) => {
      const out = input.out ?? new Uint32Array(256);
      out.fill(0);
      for (const counts of results) for (let i = 0; i < 256; i++) out[i] += counts[i];
      return out;
    },
  },
  sort: {
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
  primes: {
    parts: (input, n) => ranges(input.limit, n),
    runPart: (_input, [lo, hi]) => reference.primes.countBetween(lo, hi),
    combine: (_input, results) => ({ count: results.reduce((a, b) => a + b, 0) }),
  },
};

/**
 * Runs a kernel split in `n` parts through `runPart` (which may hand each part to a worker).
 * @param {string} kernel
 * @param {any} input
 * @param {number} n
 * @param {(kernel: string, input: any, part: any) => Promise<any>} runPart
 */
async function runSplit(kernel, input, n, runPart) {
  const splitter = splitters[kernel];
  const parts = splitter.parts(input, n);
  const results = await Promise.all(parts.map((part) => runPart(kernel, input, part)));
  return splitter.combine(input, results, parts);
}

/** Runs one part here (used inside workers). */
const runPartHere = (kernel, input, part) => splitters[kernel].runPart(input, part);

module.exports = { splitters, runSplit, runPartHere, ranges };
