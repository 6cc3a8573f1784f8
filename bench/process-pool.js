#!/usr/bin/env node
'use strict';

/**
 * ProcessPool and SharedMemory benchmark. Everything side by side in one run, engines
 * alternated, medians of >= 5 runs after a warm-up, every output checked against the JS
 * reference before its time counts.
 *
 *   node bench/process-pool.js [--runs N] [--size small|medium|large] [--json FILE]
 *                              [--only startup,kernels,memory,roundtrip]
 *
 * 1. time to start a worker: ProcessPool vs cluster.fork() to 'online' vs a new Worker
 * 2. mandelbrot and blur on 2 workers: ProcessPool (inputs in SharedMemory, and fork per task
 *    for blur with its input in a SharedArrayBuffer) vs ThreadPool vs node:cluster running the
 *    JS reference
 * 3. memory added per worker (PSS, USS from /proc/<pid>/smaps_rollup) vs a cluster process
 *    and a Worker, in fresh processes
 * 4. cross-process round trip: futex ping-pong on SharedMemory vs node:cluster IPC echo
 */

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const cluster = require('node:cluster');
const { execFileSync, spawn } = require('node:child_process');
const { parseArgs } = require('node:util');
const { Worker } = require('node:worker_threads');
const Table = require('cli-table3');
const { ProcessPool, SharedMemory, ThreadPool } = require('..');
const reference = require('../lib/reference');
const { workloads } = require('../lib/compare/workloads');
const nodeCluster = require('../lib/compare/engines/node-cluster');
const { alternate, speedup, summary, fmt, fmtRange, now, ms } = require('./lib/measure');

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '7' },
    size: { type: 'string', default: 'large' },
    json: { type: 'string' },
    only: { type: 'string', default: 'startup,kernels,memory,roundtrip' },
  },
});
const RUNS = Number(args.runs);
const results = { machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version }, sections: {} };
const ECHO = path.join(__dirname, 'lib', 'echo-worker.js');
const rssMiB = () => Math.round(process.memoryUsage().rss / 2 ** 20);

function printTable(title, head, rows) {
  const table = new Table({ head, style: { head: [], border: [] } });
  rows.forEach((r) => table.push(r));
  console.log(`\n${title}\n${table.toString()}`);
}

const ratio = (s) => `${fmt(s.median)}x (${fmt(s.min)}-${fmt(s.max)})`;
const fraction = (s) => `1/${fmt(1 / s.median)}`;

/** 1. Starting one worker, until it has answered (or, for cluster, reported 'online'). */
async function startup() {
  const ROUNDS = Math.max(RUNS, 15);
  cluster.setupPrimary({ exec: ECHO, silent: true });
  // Each engine starts one worker and returns how to stop it; stopping is not timed.
  const engines = {
    'ProcessPool (fork + first task)': async (marks) => {
      const pool = new ProcessPool({ processes: 1 });
      marks.constructed = now();
      await pool.run('noop');
      return () => pool.destroy();
    },
    'cluster.fork() to online': async () => {
      const w = cluster.fork();
      await new Promise((r) => w.once('online', r));
      return () => new Promise((r) => w.once('exit', r) && w.kill());
    },
    'new Worker() to first message': async () => {
      const w = new Worker('require("node:worker_threads").parentPort.postMessage(1)', { eval: true });
      await new Promise((r) => w.once('message', r));
      return () => w.terminate();
    },
  };
  const names = Object.keys(engines);
  const times = Object.fromEntries(names.map((n) => [n, []]));
  const constructorOnly = [];
  for (let round = 0; round < 1 + ROUNDS; round++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(round + i) % names.length];
      const marks = {};
      const t0 = now();
      const stop = await engines[name](marks);
      const t = ms(t0, now());
      if (round > 0) {
        times[name].push(t);
        if (marks.constructed) constructorOnly.push(ms(t0, marks.constructed));
      }
      await stop();
    }
  }
  const s = Object.fromEntries(names.map((n) => [n, summary(times[n])]));
  const vsCluster = summary(times[names[0]].map((t, i) => t / times[names[1]][i]));
  const vsWorker = summary(times[names[0]].map((t, i) => t / times[names[2]][i]));
  results.sections.startup = { parentRssMiB: rssMiB(), ms: s, constructorOnlyMs: summary(constructorOnly), processPoolOverCluster: vsCluster, processPoolOverWorker: vsWorker };
  printTable(
    `1. Time to start one worker, ms median (min-max) of ${ROUNDS}; ratios are medians of per-round ratios (parent RSS ${rssMiB()} MiB)`,
    ['engine', 'ms', 'ProcessPool / this'],
    [
      [names[0], fmtRange(s[names[0]]), '1'],
      ['  of which new ProcessPool() (fork, pidfd, supervisor thread)', fmtRange(summary(constructorOnly)), ''],
      [names[1], fmtRange(s[names[1]]), fraction(vsCluster)],
      [names[2], fmtRange(s[names[2]]), fraction(vsWorker)],
    ],
  );
}

/** 2. mandelbrot and blur on two workers. */
async function kernels() {
  const ws = workloads(args.size);
  const pool = new ProcessPool({ processes: 2 });
  const threads = new ThreadPool({ threads: 2 });
  const clusterEngine = await nodeCluster.start({ workers: 2 });
  const section = {};
  const rows = [];
  for (const kernel of ['mandelbrot', 'blur']) {
    const w = ws[kernel];
    const expected = reference[kernel](w.make());
    const check = (name, result) => {
      if (!w.check(Array.from(result), Array.from(expected))) throw new Error(`${name} gave a wrong ${kernel} result`);
    };
    // ProcessPool inputs and outputs in SharedMemory (what a ProcessPool user allocates).
    const sabInput = w.make();
    const shm = new SharedMemory(2 * sabInput.out.byteLength + 64);
    const shmOut = new sabInput.out.constructor(shm.buffer, 0, sabInput.out.length);
    const shmInput = { ...sabInput, out: shmOut };
    if (kernel === 'blur') {
      shmInput.pixels = new Uint8Array(shm.buffer, sabInput.out.byteLength, sabInput.pixels.length);
      shmInput.pixels.set(sabInput.pixels);
    }
    const forkInput = { ...sabInput, out: shmOut }; // blur: pixels stay in a SharedArrayBuffer
    const threadInput = w.make();
    const clusterInput = w.make();
    const engines = {
      'ProcessPool x2': () => pool.run(kernel, shmInput),
      ...(kernel === 'blur' ? { 'ProcessPool x2, fork per task': () => pool.run(kernel, forkInput) } : {}),
      'ThreadPool x2': () => threads.run(kernel, threadInput),
      'node:cluster x2 (JS)': () => clusterEngine.run(kernel, clusterInput),
    };
    for (const [name, run] of Object.entries(engines)) {
      shmOut.fill(0);
      const result = await run();
      check(name, result);
    }
    process.stderr.write(`  ${kernel}...\n`);
    const t = await alternate(engines, { runs: RUNS, warmup: 1 });
    for (const [name, run] of Object.entries(engines)) check(name, await run());
    const base = t['ProcessPool x2'];
    section[kernel] = {
      describe: w.describe,
      ms: Object.fromEntries(Object.entries(t).map(([k, v]) => [k, summary(v)])),
      processPoolVsCluster: speedup(t['node:cluster x2 (JS)'], base),
      processPoolVsThreadPool: speedup(t['ThreadPool x2'], base),
    };
    for (const name of Object.keys(engines)) {
      rows.push([kernel, name, fmtRange(summary(t[name])), name === 'ProcessPool x2' ? '1' : ratio(speedup(t[name], base))]);
    }
    shm.close();
  }
  await Promise.all([pool.destroy(), threads.destroy(), clusterEngine.stop()]);
  section.parentRssMiB = rssMiB();
  results.sections.kernels = section;
  printTable(`2. Two workers, ${args.size} inputs: ms median (min-max); last column: this engine's time / ProcessPool's (per-run ratios; parent RSS ${rssMiB()} MiB: a fork per task copies the page tables of all of it)`, ['kernel', 'engine', 'ms', 'time vs ProcessPool'], rows);
}

/** 3. Memory added per worker, measured in fresh processes. */
function memory() {
  const probe = path.join(__dirname, 'process-memory-probe.js');
  const what = ['processpool', 'cluster', 'workers'];
  const samples = Object.fromEntries(what.map((w) => [w, []]));
  const priv = Object.fromEntries(what.map((w) => [w, []]));
  const per = { processpool: [], cluster: [], aged: [] };
  for (let i = 0; i < 5; i++) {
    for (let j = 0; j < what.length; j++) {
      const w = what[(i + j) % what.length];
      const r = JSON.parse(execFileSync(process.execPath, ['--expose-gc', probe, w, '2', '--age'], { encoding: 'utf8' }));
      samples[w].push(r.addedPssKb / 2 / 1024);
      priv[w].push(r.addedPrivateKb / 2 / 1024);
      if (w !== 'workers') per[w].push(...r.perWorker);
      if (r.agedPerWorker) per.aged.push(...r.agedPerWorker);
    }
  }
  const s = Object.fromEntries(what.map((w) => [w, summary(samples[w])]));
  const u = Object.fromEntries(what.map((w) => [w, summary(priv[w])]));
  const field = (list, f) => summary(list.map((x) => x[f] / 1024));
  results.sections.memory = {
    addedPssPerWorkerMiB: s,
    addedPrivatePerWorkerMiB: u,
    processPoolOverCluster: s.processpool.median / s.cluster.median,
    processPoolOverWorker: s.processpool.median / s.workers.median,
    processPoolOverClusterPrivate: u.processpool.median / u.cluster.median,
    processPoolOverWorkerPrivate: u.processpool.median / u.workers.median,
    processPoolChild: { rssMiB: field(per.processpool, 'rssKb'), pssMiB: field(per.processpool, 'pssKb'), ussMiB: field(per.processpool, 'ussKb') },
    processPoolChildAfterParentHeapChurn: { pssMiB: field(per.aged, 'pssKb'), ussMiB: field(per.aged, 'ussKb') },
    clusterChild: { rssMiB: field(per.cluster, 'rssKb'), pssMiB: field(per.cluster, 'pssKb'), ussMiB: field(per.cluster, 'ussKb') },
  };
  const m = results.sections.memory;
  printTable(
    '3. Memory added per worker, MiB median (min-max) of 5 fresh processes x 2 workers, after a warm-up worker of the same engine (PSS sum: all PSS after minus before; private: parent RSS growth + worker USS)',
    ['engine', 'added (PSS sum)', 'ProcessPool / this', 'added (private)', 'ProcessPool / this', 'worker RSS', 'worker PSS', 'worker USS'],
    [
      ['ProcessPool', fmtRange(s.processpool), '1', fmtRange(u.processpool), '1', fmtRange(m.processPoolChild.rssMiB), fmtRange(m.processPoolChild.pssMiB), fmtRange(m.processPoolChild.ussMiB)],
      ['  after the parent rewrote its heap', '', '', '', '', '', fmtRange(m.processPoolChildAfterParentHeapChurn.pssMiB), fmtRange(m.processPoolChildAfterParentHeapChurn.ussMiB)],
      ['cluster.fork()', fmtRange(s.cluster), `1/${fmt(1 / m.processPoolOverCluster)}`, fmtRange(u.cluster), `1/${fmt(1 / m.processPoolOverClusterPrivate)}`, fmtRange(m.clusterChild.rssMiB), fmtRange(m.clusterChild.pssMiB), fmtRange(m.clusterChild.ussMiB)],
      ['worker_threads Worker', fmtRange(s.workers), `1/${fmt(1 / m.processPoolOverWorker)}`, fmtRange(u.workers), `1/${fmt(1 / m.processPoolOverWorkerPrivate)}`, '(same process)', '', ''],
    ],
  );
}

/** 4. Round trips between two processes: futex ping-pong vs node:cluster IPC. */
async function roundTrips() {
  const N = 2000;
  const SPIN = 2000;
  const shm = new SharedMemory(16);
  const words = new Int32Array(shm.buffer);
  // The partner answers every odd value of word 0 with the next even one, until it reads -1.
  // Word 2 is how many times either side re-reads the word before sleeping in the futex (0:
  // sleep at once), so both the pure futex and the usual spin-then-wait are measured.
  const partner = spawn(
    process.execPath,
    [
      '-e',
      `const { SharedMemory } = require(${JSON.stringify(path.join(__dirname, '..'))});
       const shm = SharedMemory.fromFd(3); const w = new Int32Array(shm.buffer);
       Atomics.store(w, 1, 1); shm.notify(1);
       for (;;) {
         let v = Atomics.load(w, 0);
         for (let s = Atomics.load(w, 2); s > 0 && v % 2 === 0 && v !== -1; s--) v = Atomics.load(w, 0);
         if (v === -1) break;
         if (v % 2 === 1) { Atomics.store(w, 0, v + 1); shm.notify(0); continue; }
         shm.wait(0, v);
       }`,
    ],
    { stdio: ['ignore', 'inherit', 'inherit', shm.fd] },
  );
  while (Atomics.load(words, 1) !== 1) await shm.waitAsync(1, 0);
  cluster.setupPrimary({ exec: ECHO, silent: true });
  const echo = cluster.fork();
  await new Promise((r) => echo.once('online', r));
  let value = 0;
  const pingPong = (spin) => {
    Atomics.store(words, 2, spin);
    for (let i = 0; i < N; i++) {
      Atomics.store(words, 0, ++value);
      shm.notify(0);
      value++;
      for (let s = spin; s > 0 && Atomics.load(words, 0) !== value; s--);
      while (Atomics.load(words, 0) !== value) shm.wait(0, value - 1);
    }
  };
  const engines = {
    'futex: wait/notify, sleeping at once': () => pingPong(0),
    [`futex: spin ${SPIN} reads, then wait`]: () => pingPong(SPIN),
    'futex: awaiting waitAsync here': async () => {
      Atomics.store(words, 2, 0);
      for (let i = 0; i < N; i++) {
        Atomics.store(words, 0, ++value);
        shm.notify(0);
        value++;
        while (Atomics.load(words, 0) !== value) await shm.waitAsync(0, value - 1);
      }
    },
    'node:cluster IPC echo (process.send)': async () => {
      for (let i = 0; i < N; i++) {
        await new Promise((r) => {
          echo.once('message', r);
          echo.send(i);
        });
      }
    },
  };
  const t = await alternate(engines, { runs: RUNS, warmup: 1 });
  const names = Object.keys(engines);
  const us = Object.fromEntries(names.map((n) => [n, summary(t[n].map((x) => (x * 1000) / N))]));
  Atomics.store(words, 0, -1);
  shm.notify(0);
  await new Promise((r) => partner.once('exit', r));
  await new Promise((r) => echo.once('exit', r) && echo.kill());
  shm.close();
  const ipcName = names[names.length - 1];
  const ipc = t[ipcName];
  results.sections.roundTrip = {
    us,
    overIpc: Object.fromEntries(names.slice(0, -1).map((n) => [n, summary(t[n].map((x, i) => x / ipc[i]))])),
  };
  printTable(
    `4. Round trip between two processes, us median (min-max) of ${RUNS} runs of ${N}; last column: per-run ratio`,
    ['mechanism', 'us per round trip', 'time vs cluster IPC'],
    names.map((n) => [n, fmtRange(us[n]), n === ipcName ? '1' : fraction(results.sections.roundTrip.overIpc[n])]),
  );
}

async function main() {
  console.log(`ProcessPool benchmark: ${results.machine.cpus} CPUs (${results.machine.model}), Node ${process.version}, ${RUNS} runs, size ${args.size}`);
  const only = new Set(args.only.split(','));
  if (only.has('startup')) await startup();
  if (only.has('kernels')) await kernels();
  if (only.has('memory')) memory();
  if (only.has('roundtrip')) await roundTrips();
  const file = args.json ?? path.join(__dirname, 'results', 'process-pool.json');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(results, null, 2));
  console.log(`\nwrote ${path.relative(process.cwd(), file)}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
