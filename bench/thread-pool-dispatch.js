#!/usr/bin/env node
'use strict';

/**
 * ThreadPool dispatch cost, this checkout against another build of the package (a worktree of
 * main, say), in alternating fresh processes (A B B A A B ...), so both see the same machine.
 *
 *   node bench/thread-pool-dispatch.js [--against DIR] [--rounds N] [--threads N] [--json FILE]
 *
 * Each process: 2,000 warm-up noops, then 5,000 noops one at a time (round-trip mean, p50, p90,
 * p99, max in us), then 3 bursts of 50,000 noops in flight (tasks/s, best of 3). Reported:
 * median (min-max) over the rounds of each figure.
 */

const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { parseArgs } = require('node:util');
const Table = require('cli-table3');
const { summary, fmt } = require('./lib/measure');

const { values: args } = parseArgs({
  options: {
    against: { type: 'string' },
    rounds: { type: 'string', default: '6' },
    threads: { type: 'string', default: '2' },
    json: { type: 'string' },
  },
});

/** The measuring program, run in a fresh process against package directory `dir`. */
const PROBE = `
const { ThreadPool } = require(process.argv[1]);
(async () => {
  const pool = new ThreadPool({ threads: Number(process.argv[2]) });
  for (let i = 0; i < 2000; i++) await pool.run('noop');
  const lat = new Float64Array(5000);
  for (let i = 0; i < lat.length; i++) {
    const t0 = process.hrtime.bigint();
    await pool.run('noop');
    lat[i] = Number(process.hrtime.bigint() - t0) / 1000;
  }
  lat.sort();
  const q = (p) => lat[Math.floor(p * (lat.length - 1))];
  let best = 0;
  for (let r = 0; r < 3; r++) {
    const all = new Array(50000);
    const t0 = process.hrtime.bigint();
    for (let j = 0; j < all.length; j++) all[j] = pool.run('noop');
    await Promise.all(all);
    best = Math.max(best, all.length / (Number(process.hrtime.bigint() - t0) / 1e9));
  }
  await pool.destroy();
  const mean = lat.reduce((a, b) => a + b, 0) / lat.length;
  console.log(JSON.stringify({ mean, p50: q(0.5), p90: q(0.9), p99: q(0.99), max: q(1), tasksPerSecond: best }));
})();`;

function probe(dir) {
  return JSON.parse(execFileSync(process.execPath, ['-e', PROBE, dir, args.threads], { encoding: 'utf8' }));
}

function main() {
  const builds = { 'this checkout': path.join(__dirname, '..') };
  if (args.against) builds[`--against ${args.against}`] = path.resolve(args.against);
  const names = Object.keys(builds);
  const runs = Object.fromEntries(names.map((n) => [n, []]));
  const rounds = Number(args.rounds);
  probe(builds[names[0]]); // warm the disk cache
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 ? [...names].reverse() : names;
    for (const name of order) runs[name].push(probe(builds[name]));
    process.stderr.write(`  round ${round + 1}/${rounds}\n`);
  }
  const fields = ['mean', 'p50', 'p90', 'p99', 'max', 'tasksPerSecond'];
  const results = {};
  const table = new Table({ head: ['build', ...fields.map((f) => (f === 'tasksPerSecond' ? 'tasks/s (50k in flight)' : `${f} us`))], style: { head: [], border: [] } });
  for (const name of names) {
    results[name] = Object.fromEntries(fields.map((f) => [f, summary(runs[name].map((r) => r[f]))]));
    table.push([name, ...fields.map((f) => {
      const s = results[name][f];
      return f === 'tasksPerSecond' ? `${fmt(s.median / 1000)}k (${fmt(s.min / 1000)}-${fmt(s.max / 1000)}k)` : `${fmt(s.median)} (${fmt(s.min)}-${fmt(s.max)})`;
    })]);
  }
  console.log(`ThreadPool noop dispatch, ${args.threads} threads, ${rounds} alternating rounds of fresh processes: median (min-max)\n${table.toString()}`);
  if (args.json) fs.writeFileSync(args.json, JSON.stringify({ rounds, threads: Number(args.threads), results, runs }, null, 2));
}

main();
