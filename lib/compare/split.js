'use strict';

/**
 * How the JavaScript engines (worker_threads, Piscina, node:cluster) split one kernel run over
 * N workers: `parts` cuts the input into N pieces, `runPart` computes one piece with the
 * reference kernel (inside a worker), `combine` puts the pieces' results together on the main
 * thread. Inputs and outputs live in SharedArrayBuffers, so workers write results in place;
 * only small per-piece results (histogram counts, prime counts) travel back by message.
 * @module native-parallel/lib/compare/split
 */

const { kernels } = require('../kernels');
const { ranges } = require('../internal/ranges');

/**
 * Each kernel's split (its descriptor's `split`, `lib/kernels/`). `output(input, part)`,
 * where present, is the region of the output that the part writes: a process engine (no
 * shared memory) sends it back and the main thread copies it in place.
 * @type {Record<string, import('../kernels').Split>}
 */
const splitters = Object.fromEntries(kernels.map((k) => [k.name, k.split]));

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
