#!/usr/bin/env node
'use strict';

/**
 * matmul and histogram on the ProcessPool, next to ThreadPool and the JS reference: the
 * workloads of `lib/compare/workloads.js`, engines alternated run by run, medians of N runs
 * after a warm-up, every output checked against the reference before its time counts.
 *
 *   node bench/process-pool-kernels.js [--runs N] [--size small|medium|large]
 *                                      [--workers N] [--json FILE]
 *
 * Engines: `js` (the reference on the main thread), ThreadPool, ProcessPool with its inputs in
 * SharedMemory (persistent workers), and ProcessPool with its inputs in the workloads'
 * SharedArrayBuffers (a worker forked per part, reading a copy-on-write snapshot). Outputs of
 * the ProcessPool live in SharedMemory, as they must.
 */

const fs = require('node:fs');
const os = require('node:os');
const { parseArgs } = require('node:util');
const Table = require('cli-table3');
const { ProcessPool, SharedMemory, ThreadPool } = require('..');
const reference = require('../lib/reference');
const { workloads } = require('../lib/compare/workloads');
const { alternate, speedup, summary, fmt, fmtRange } = require('./lib/measure');

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '7' },
    size: { type: 'string', default: 'medium' },
    workers: { type: 'string', default: '2' },
    json: { type: 'string' },
  },
});
const RUNS = Number(args.runs);
const WORKERS = Number(args.workers);

/** Typed arrays carved out of one SharedMemory. */
function arena(bytes) {
  const shm = new SharedMemory(bytes);
  let at = 0;
  const take = (Ctor, n) => {
    at = Math.ceil(at / 8) * 8;
    const view = new Ctor(shm.buffer, at, n);
    at += n * Ctor.BYTES_PER_ELEMENT;
    return view;
  };
  return { shm, take };
}

/** The same input with every typed array copied into `take`n SharedMemory. */
function inSharedMemory(input, take) {
  const copy = { ...input };
  for (const [key, view] of Object.entries(input)) {
    if (!ArrayBuffer.isView(view)) continue;
    copy[key] = take(view.constructor, view.length);
    copy[key].set(view);
  }
  return copy;
}

async function main() {
  const all = workloads(args.size);
  const threads = new ThreadPool({ threads: WORKERS });
  const processes = new ProcessPool({ processes: WORKERS });
  const results = { machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version }, size: args.size, workers: WORKERS, runs: RUNS, kernels: {} };
  const rows = [];
  try {
    for (const kernel of ['matmul', 'histogram']) {
      const w = all[kernel];
      const input = w.make();
      const expected = reference[kernel](w.make());
      const bytes = Object.values(input).reduce((sum, v) => sum + (ArrayBuffer.isView(v) ? v.byteLength + 8 : 0), 0);
      const { shm, take } = arena(2 * bytes + 64);
      const shmInput = inSharedMemory(input, take);
      // Fork per task: inputs stay in SharedArrayBuffers, the output is in SharedMemory.
      const snapshotInput = { ...input, out: take(input.out.constructor, input.out.length) };
      const check = (engine, result) => {
        if (!w.check(result, expected)) throw new Error(`${engine} returned a wrong ${kernel} result`);
      };
      const engines = {
        js: () => check('js', reference[kernel](input)),
        [`ThreadPool x${WORKERS}`]: async () => check('ThreadPool', await threads.run(kernel, input)),
        [`ProcessPool x${WORKERS}`]: async () => check('ProcessPool', await processes.run(kernel, shmInput)),
        [`ProcessPool x${WORKERS}, fork per task`]: async () => check('ProcessPool (fork per task)', await processes.run(kernel, snapshotInput)),
      };
      const times = await alternate(engines, { runs: RUNS });
      const base = times[`ThreadPool x${WORKERS}`];
      results.kernels[kernel] = { describe: w.describe, engines: {} };
      for (const [engine, t] of Object.entries(times)) {
        const s = summary(t);
        const vsThreads = speedup(base, t);
        const vsJs = speedup(times.js, t);
        results.kernels[kernel].engines[engine] = { ms: s, speedupVsJs: vsJs, vsThreadPool: vsThreads };
        rows.push([`${kernel} (${w.describe})`, engine, fmtRange(s, ' ms'), `${fmt(vsJs.median)}x`, `${fmt(vsThreads.median)}x`]);
      }
      shm.close();
    }
  } finally {
    await Promise.all([threads.destroy(), processes.destroy()]);
  }
  const table = new Table({ head: ['workload', 'engine', 'median (min-max)', 'vs js', 'vs ThreadPool'], style: { head: [], border: [] } });
  rows.forEach((r) => table.push(r));
  console.log(`${os.cpus().length} CPUs, Node ${process.version}, size ${args.size}, ${RUNS} runs after a warm-up (ratios: medians of per-run ratios; > 1 is faster)`);
  console.log(table.toString());
  if (args.json) fs.writeFileSync(args.json, `${JSON.stringify(results, null, 2)}\n`);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
