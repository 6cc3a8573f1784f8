#!/usr/bin/env node
'use strict';

/**
 * Cold pool, time to first result: WorkerPool vs Piscina 5, each sample in a fresh process,
 * the two alternating (A B B A ...). A sample times `new Pool({ minThreads: N, maxThreads: N })`
 * plus the first `run()` to its result; the library is required before the clock starts.
 * Prints the median and spread (min-max) per side and the median of the per-pair ratios.
 *
 *   node bench/worker-pool-cold.js [--threads N] [--samples N]
 */

const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { parseArgs } = require('node:util');

const filename = path.join(__dirname, 'lib', 'worker-pool-task.js');

if (process.argv[2] === '--child') {
  const [, , , engine, threads] = process.argv;
  const Pool = engine === 'WorkerPool' ? require('..').WorkerPool : require('piscina').Piscina;
  const t0 = process.hrtime.bigint();
  const pool = new Pool({ filename, minThreads: Number(threads), maxThreads: Number(threads) });
  pool.run(0).then(async () => {
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    await pool.destroy();
    process.stdout.write(`${ms}\n`);
  });
} else {
  const { values } = parseArgs({ options: { threads: { type: 'string', default: '2' }, samples: { type: 'string', default: '15' } } });
  const sample = (engine) => Number(execFileSync(process.execPath, [__filename, '--child', engine, values.threads], { encoding: 'utf8', timeout: 60000 }));
  const median = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  };
  const spread = (xs) => `${median(xs).toFixed(1)} (${Math.min(...xs).toFixed(1)}-${Math.max(...xs).toFixed(1)})`;
  const rows = { WorkerPool: [], Piscina: [] };
  const ratios = [];
  sample('WorkerPool'); // warm-up: file caches
  sample('Piscina');
  for (let i = 0; i < Number(values.samples); i++) {
    const order = i % 2 ? ['Piscina', 'WorkerPool'] : ['WorkerPool', 'Piscina'];
    const got = {};
    for (const engine of order) got[engine] = sample(engine);
    rows.WorkerPool.push(got.WorkerPool);
    rows.Piscina.push(got.Piscina);
    ratios.push(got.WorkerPool / got.Piscina);
  }
  console.log(`cold pool to first result, ${values.threads} threads, ${values.samples} fresh processes per side (ms, median (min-max)); Node ${process.version}`);
  console.log(`WorkerPool ${spread(rows.WorkerPool)} | Piscina ${spread(rows.Piscina)} | ratio ${median(ratios).toFixed(2)} (${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)})`);
}
