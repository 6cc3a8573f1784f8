#!/usr/bin/env node
'use strict';

/**
 * ProcessPool dispatch cost: `noop` round trips one at a time (p50, mean, p99 in us) and a
 * burst of tasks in flight at once (tasks/s), on a pool of 2 processes.
 *
 *   node bench/process-pool-noop.js [--root DIR] [--sequential N] [--burst N] [--json]
 *
 * `--root` loads the package from another checkout (to compare builds side by side; run the
 * two alternately, as the machine's load drifts).
 */

const path = require('node:path');
const { parseArgs } = require('node:util');

const { values: args } = parseArgs({
  options: {
    root: { type: 'string', default: path.join(__dirname, '..') },
    sequential: { type: 'string', default: '4000' },
    burst: { type: 'string', default: '5000' },
    json: { type: 'boolean', default: false },
  },
});
const { ProcessPool } = require(path.resolve(args.root));

const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

async function main() {
  const pool = new ProcessPool({ processes: 2 });
  try {
    for (let i = 0; i < 500; i++) await pool.run('noop');
    const n = Number(args.sequential);
    const us = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const t0 = process.hrtime.bigint();
      await pool.run('noop');
      us[i] = Number(process.hrtime.bigint() - t0) / 1e3;
    }
    const sorted = Array.from(us).sort((a, b) => a - b);
    const burst = Number(args.burst);
    const t0 = process.hrtime.bigint();
    await Promise.all(Array.from({ length: burst }, () => pool.run('noop')));
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const r = {
      root: args.root,
      p50: quantile(sorted, 0.5),
      mean: sorted.reduce((a, b) => a + b, 0) / n,
      p99: quantile(sorted, 0.99),
      tasksPerSecond: burst / seconds,
    };
    const f = (x) => x.toFixed(1);
    console.log(
      args.json
        ? JSON.stringify(r)
        : `${r.root}: sequential noop p50 ${f(r.p50)} us, mean ${f(r.mean)} us, p99 ${f(r.p99)} us; ` +
            `burst of ${burst}: ${Math.round(r.tasksPerSecond)} tasks/s`,
    );
  } finally {
    await pool.destroy();
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
