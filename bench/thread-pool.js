#!/usr/bin/env node
'use strict';

/**
 * ThreadPool benchmark (issue: the package and a native ThreadPool). Everything side by side in
 * one run, engines alternated, medians of >= 5 runs after a warm-up, every output checked
 * against the JS reference before its time counts.
 *
 *   node bench/thread-pool.js [--runs N] [--size small|medium|large] [--json FILE]
 *
 * 1. each kernel: native on 1 thread vs the JS reference on the main thread
 * 2. ThreadPool on 2 threads vs 1 thread
 * 3. ThreadPool(2) vs a pool of 2 worker_threads running the reference vs Piscina(2)
 * 4. noop round trip and tasks/s: ThreadPool vs Piscina vs a raw Worker postMessage echo
 * 5. RSS added by a 2-thread ThreadPool vs 2 Workers
 */

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { parseArgs } = require('node:util');
const { Worker } = require('node:worker_threads');
const Table = require('cli-table3');
const { ThreadPool } = require('..');
const reference = require('../lib/reference');
const { WorkerPool } = require('../lib/compare/worker-pool');
const { runSplit } = require('../lib/compare/split');
const { workloads } = require('../lib/compare/workloads');
const { alternate, speedup, summary, fmt, fmtRange, now, ms } = require('./lib/measure');

const { values: args } = parseArgs({
  options: { runs: { type: 'string', default: '7' }, size: { type: 'string', default: 'large' }, json: { type: 'string' } },
});
const RUNS = Number(args.runs);
const results = { machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version }, sections: {} };

function loadPiscina() {
  try {
    return require('piscina').Piscina;
  } catch {
    return null;
  }
}

/** Runs `run(input)` once and checks the result against the reference; returns a timed fn. */
async function verified(name, kernel, w, expected, run) {
  const input = w.make();
  const result = await run(input);
  if (!w.check(kernel === 'primes' ? result : Array.from(result), kernel === 'primes' ? expected : Array.from(expected))) {
    throw new Error(`${name} gave a wrong ${kernel} result`);
  }
  return async () => {
    w.reset?.(input);
    await run(input);
  };
}

function printTable(title, head, rows) {
  const table = new Table({ head, style: { head: [], border: [] } });
  rows.forEach((r) => table.push(r));
  console.log(`\n${title}\n${table.toString()}`);
}

async function kernels(pool1, pool2, workerPool, piscina) {
  const ws = workloads(args.size);
  const rows1 = [];
  const rows3 = [];
  const section = {};
  for (const [kernel, w] of Object.entries(ws)) {
    const expected = reference[kernel](w.make());
    const viaSplit = (runPart) => (input) => runSplit(kernel, input, 2, runPart);
    const engines = {
      js: await verified('js', kernel, w, expected, (input) => reference[kernel](input)),
      'native 1 thread': await verified('native-1', kernel, w, expected, (input) => pool1.run(kernel, input)),
      'native 2 threads': await verified('native-2', kernel, w, expected, (input) => pool2.run(kernel, input)),
      'worker_threads x2': await verified('worker_threads', kernel, w, expected, viaSplit((k, i, p) => workerPool.run(k, i, p))),
    };
    if (piscina) engines['piscina x2'] = await verified('piscina', kernel, w, expected, viaSplit((k, input, part) => piscina.run({ kernel: k, input, part })));
    process.stderr.write(`  ${kernel}...\n`);
    const t = await alternate(engines, { runs: RUNS, warmup: 1 });
    const one = speedup(t.js, t['native 1 thread']);
    const two = speedup(t['native 1 thread'], t['native 2 threads']);
    const vsWorkers = speedup(t['worker_threads x2'], t['native 2 threads']);
    const vsPiscina = piscina ? speedup(t['piscina x2'], t['native 2 threads']) : null;
    section[kernel] = { describe: w.describe, times: Object.fromEntries(Object.entries(t).map(([k, v]) => [k, summary(v)])), native1VsJs: one, native2Vs1: two, native2VsWorkers: vsWorkers, native2VsPiscina: vsPiscina };
    rows1.push([kernel, w.describe, fmtRange(summary(t.js)), fmtRange(summary(t['native 1 thread'])), `${fmt(one.median)}x`, fmtRange(summary(t['native 2 threads'])), `${fmt(two.median)}x`]);
    rows3.push([kernel, fmtRange(summary(t['worker_threads x2'])), piscina ? fmtRange(summary(t['piscina x2'])) : 'n/a', fmtRange(summary(t['native 2 threads'])), `${fmt(vsWorkers.median)}x`, vsPiscina ? `${fmt(vsPiscina.median)}x` : 'n/a']);
  }
  results.sections.kernels = section;
  printTable('1-2. Kernels: ms, median (min-max); speedups are medians of per-run ratios', ['kernel', 'input', 'JS main thread', 'native 1 thread', 'vs JS', 'native 2 threads', '2 vs 1 thread'], rows1);
  printTable('3. Two workers each: ms, median (min-max)', ['kernel', 'worker_threads x2 (JS)', 'Piscina x2 (JS)', 'ThreadPool x2', 'vs worker_threads', 'vs Piscina'], rows3);
}

async function dispatch(pool, piscina) {
  const echo = new Worker('require("node:worker_threads").parentPort.on("message", (m) => require("node:worker_threads").parentPort.postMessage(m));', { eval: true });
  const echoOnce = () => new Promise((resolve) => {
    echo.once('message', resolve);
    echo.postMessage(0);
  });
  const engines = {
    ThreadPool: () => pool.run('noop'),
    Piscina: piscina ? () => piscina.run({ kernel: 'noop', input: null, part: null }) : null,
    'Worker postMessage': echoOnce,
  };
  const names = Object.keys(engines).filter((n) => engines[n]);
  const latency = Object.fromEntries(names.map((n) => [n, []]));
  const throughput = Object.fromEntries(names.map((n) => [n, []]));
  const SEQ = 2000;
  const BURST = 50000;
  for (let round = 0; round < 1 + RUNS; round++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(round + i) % names.length];
      const fn = engines[name];
      for (let j = 0; j < SEQ; j++) {
        const t0 = now();
        await fn();
        if (round > 0) latency[name].push(ms(t0, now()) * 1000);
      }
      const t0 = now();
      if (name === 'Worker postMessage') {
        await new Promise((resolve) => {
          let left = BURST;
          const onMessage = () => {
            if (--left === 0) {
              echo.off('message', onMessage);
              resolve();
            }
          };
          echo.on('message', onMessage);
          for (let j = 0; j < BURST; j++) echo.postMessage(j);
        });
      } else {
        const all = new Array(BURST);
        for (let j = 0; j < BURST; j++) all[j] = fn();
        await Promise.all(all);
      }
      if (round > 0) throughput[name].push(BURST / (ms(t0, now()) / 1000));
    }
  }
  await echo.terminate();
  const pct = (xs, q) => [...xs].sort((a, b) => a - b)[Math.floor(q * (xs.length - 1))];
  const section = {};
  const rows = names.map((name) => {
    const l = latency[name];
    const tput = summary(throughput[name]);
    const mean = l.reduce((a, b) => a + b, 0) / l.length;
    section[name] = { roundTripUs: { mean, p50: pct(l, 0.5), p99: pct(l, 0.99), max: pct(l, 1) }, tasksPerSecond: tput };
    return [name, fmt(mean), fmt(pct(l, 0.5)), fmt(pct(l, 0.99)), `${fmt(tput.median / 1000)}k (${fmt(tput.min / 1000)}-${fmt(tput.max / 1000)}k)`];
  });
  if (section.Piscina) {
    section.latencyVsPiscina = section.ThreadPool.roundTripUs.p50 / section.Piscina.roundTripUs.p50;
    section.throughputVsPiscina = section.ThreadPool.tasksPerSecond.median / section.Piscina.tasksPerSecond.median;
  }
  results.sections.dispatch = section;
  printTable(`4. Tiny tasks: noop round trip (us, ${SEQ * RUNS} sequential) and tasks/s (${BURST} in flight)`, ['engine', 'mean us', 'p50 us', 'p99 us', 'tasks/s median (min-max)'], rows);
}

function memory() {
  const probe = path.join(__dirname, 'rss-probe.js');
  const samples = { threadpool: [], workers: [] };
  for (let i = 0; i < 5; i++) {
    for (const what of i % 2 ? ['workers', 'threadpool'] : ['threadpool', 'workers']) {
      samples[what].push(JSON.parse(execFileSync(process.execPath, [probe, what, '2'], { encoding: 'utf8' })).addedKb / 1024);
    }
  }
  const tp = summary(samples.threadpool);
  const wk = summary(samples.workers);
  results.sections.memory = { threadPoolMiB: tp, workersMiB: wk, ratio: tp.median / wk.median };
  printTable('5. RSS added by 2 workers (MiB, median (min-max) of 5 fresh processes)', ['ThreadPool 2 threads', '2 worker_threads Workers', 'ratio'], [[fmtRange(tp), fmtRange(wk), `1/${fmt(wk.median / tp.median)}`]]);
}

async function main() {
  console.log(`ThreadPool benchmark: ${results.machine.cpus} CPUs (${results.machine.model}), Node ${process.version}, ${RUNS} runs, size ${args.size}`);
  const Piscina = loadPiscina();
  const pool1 = new ThreadPool({ threads: 1 });
  const pool2 = new ThreadPool({ threads: 2 });
  const workerPool = new WorkerPool(2);
  await workerPool.ready();
  const piscina = Piscina ? new Piscina({ filename: path.join(__dirname, '..', 'lib', 'compare', 'worker-entry.js'), minThreads: 2, maxThreads: 2 }) : null;
  if (piscina) await Promise.all([0, 1].map(() => piscina.run({ kernel: 'noop', input: null, part: null })));
  else console.log('(piscina is not installed: its columns are skipped)');
  await kernels(pool1, pool2, workerPool, piscina);
  await dispatch(pool2, piscina);
  memory();
  await Promise.all([pool1.destroy(), pool2.destroy(), workerPool.destroy(), piscina?.destroy()]);
  const file = args.json ?? path.join(__dirname, 'results', 'thread-pool.json');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(results, null, 2));
  console.log(`\nwrote ${path.relative(process.cwd(), file)}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
