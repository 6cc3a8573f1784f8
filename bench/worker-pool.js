#!/usr/bin/env node
'use strict';

/**
 * WorkerPool vs Piscina 5, side by side in one run, same thread count, alternating A B A B per
 * round, on the measures of issue 12:
 *   1. noop round trip, one task at a time (mean, p50, p99 of per-task latency, microseconds)
 *   2. noop tasks/s with BURST tasks in flight
 *   3. CPU-bound JS throughput (recursive fib(FIB_N), tasks/s: the median of FIB_BATCHES batches
 *      of FIB_TASKS, after the task file was loaded on every Worker, for both pools alike)
 *   4. memory added per thread (fresh process per sample: lib/compare/probes/memory.js)
 *   5. cold pool: time from `new Pool()` to the first result (ms)
 * Reports the median and spread (min-max) over ROUNDS counted rounds after a warm-up, and the
 * median of the per-round ratios WorkerPool / Piscina.
 *
 *   node bench/worker-pool.js [--threads N] [--rounds N]
 */

const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { parseArgs } = require('node:util');
const { WorkerPool } = require('..');
const { Piscina } = require('piscina');

const { values } = parseArgs({ options: { threads: { type: 'string', default: '2' }, rounds: { type: 'string', default: '5' } } });
const THREADS = Number(values.threads);
const ROUNDS = Number(values.rounds);
const SEQUENTIAL = 2000;
const BURST = 20000;
const FIB_N = 25;
const FIB_TASKS = 100;
const FIB_BATCHES = 5;
const filename = path.join(__dirname, 'lib', 'worker-pool-task.js');
const fibFile = path.join(__dirname, 'lib', 'worker-pool-fib.js');
const pools = { WorkerPool, Piscina };

const now = () => process.hrtime.bigint();
const usSince = (t0) => Number(now() - t0) / 1e3;
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const spread = (xs) => `${median(xs).toFixed(1)} (${Math.min(...xs).toFixed(1)}-${Math.max(...xs).toFixed(1)})`;

async function warmPool(Pool) {
  const pool = new Pool({ filename, minThreads: THREADS, maxThreads: THREADS });
  await Promise.all(Array.from({ length: THREADS * 4 }, () => pool.run(0)));
  return pool;
}

async function roundTrip(pool) {
  for (let i = 0; i < 200; i++) await pool.run(0);
  const lat = new Float64Array(SEQUENTIAL);
  for (let i = 0; i < SEQUENTIAL; i++) {
    const t0 = now();
    await pool.run(0);
    lat[i] = usSince(t0);
  }
  lat.sort();
  return { mean: lat.reduce((a, b) => a + b, 0) / SEQUENTIAL, p50: lat[SEQUENTIAL >> 1], p99: lat[Math.floor(SEQUENTIAL * 0.99)] };
}

async function burst(pool) {
  const t0 = now();
  const all = new Array(BURST);
  for (let i = 0; i < BURST; i++) all[i] = pool.run(0);
  await Promise.all(all);
  return BURST / (usSince(t0) / 1e6);
}

async function fibRate(pool) {
  // Loads the task file on the Workers (untimed): several small tasks per Worker at once.
  const small = await Promise.all(Array.from({ length: THREADS * 8 }, () => pool.run(10, { filename: fibFile })));
  if (!small.every((r) => r === 55)) throw new Error('fib: wrong result');
  const rates = [];
  for (let b = 0; b < FIB_BATCHES; b++) {
    const t0 = now();
    const results = await Promise.all(Array.from({ length: FIB_TASKS }, () => pool.run(FIB_N, { filename: fibFile })));
    rates.push(FIB_TASKS / (usSince(t0) / 1e6));
    if (!results.every((r) => r === 75025)) throw new Error('fib: wrong result');
  }
  return median(rates);
}

async function cold(Pool) {
  const t0 = now();
  const pool = new Pool({ filename, minThreads: THREADS, maxThreads: THREADS });
  await pool.run(0);
  const ms = usSince(t0) / 1e3;
  await pool.destroy();
  return ms;
}

function memoryPerThread(engine) {
  const probe = path.join(__dirname, '..', 'lib', 'compare', 'probes', 'memory.js');
  const out = JSON.parse(execFileSync(process.execPath, [probe, engine, String(THREADS)], { encoding: 'utf8', timeout: 60000 }));
  return out.addedMiB / THREADS;
}

async function main() {
  const names = Object.keys(pools);
  const rows = {};
  for (const name of names) rows[name] = { mean: [], p50: [], p99: [], rate: [], fib: [], memory: [], cold: [] };
  for (let round = 0; round <= ROUNDS; round++) {
    const order = round % 2 ? [...names].reverse() : names;
    for (const name of order) {
      const Pool = pools[name];
      const r = rows[name];
      const c = await cold(Pool);
      const pool = await warmPool(Pool);
      const rt = await roundTrip(pool);
      const rate = await burst(pool);
      const fib = await fibRate(pool);
      await pool.destroy();
      const mem = memoryPerThread(name === 'WorkerPool' ? 'native-workers' : 'piscina');
      if (round === 0) continue; // warm-up
      r.mean.push(rt.mean);
      r.p50.push(rt.p50);
      r.p99.push(rt.p99);
      r.rate.push(rate);
      r.fib.push(fib);
      r.memory.push(mem);
      r.cold.push(c);
    }
    process.stderr.write(`round ${round}/${ROUNDS}\n`);
  }
  const ratio = (key) => median(rows.WorkerPool[key].map((v, i) => v / rows.Piscina[key][i])).toFixed(2);
  console.log(`WorkerPool vs Piscina ${require(path.join(path.dirname(require.resolve('piscina')), '..', 'package.json')).version}, ${THREADS} threads, ${ROUNDS} rounds (median (min-max)); Node ${process.version}`);
  const table = [
    ['noop round trip mean (us)', 'mean', 'lower is better; goal <= 0.25'],
    ['noop round trip p50 (us)', 'p50', ''],
    ['noop round trip p99 (us)', 'p99', ''],
    [`noop tasks/s, ${BURST} in flight`, 'rate', 'goal >= 5'],
    [`fib(${FIB_N}) tasks/s (median of ${FIB_BATCHES} x ${FIB_TASKS})`, 'fib', 'goal >= 1.0'],
    ['memory added per thread (MiB)', 'memory', 'goal <= 1.0'],
    ['cold pool to first result (ms)', 'cold', 'goal <= 1.0'],
  ];
  console.log('| measure | WorkerPool | Piscina | ratio | |');
  console.log('|---|---|---|---|---|');
  for (const [label, key, note] of table) {
    console.log(`| ${label} | ${spread(rows.WorkerPool[key])} | ${spread(rows.Piscina[key])} | ${ratio(key)} | ${note} |`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
