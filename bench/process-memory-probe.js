'use strict';

/**
 * Child process for the memory figures of bench/process-pool.js. Starts `what` with `n` workers,
 * runs a task on each, and prints (JSON) what that added, from /proc/<pid>/smaps_rollup:
 * - addedPssKb: (this process's PSS + every worker process's PSS) after, minus this process's
 *   PSS before. PSS splits each shared page between the processes that map it, so the sum is
 *   the memory the system really spends; the difference is what the workers added.
 * - addedPrivateKb: this process's RSS growth plus every worker's USS (private pages): memory
 *   that exists only because of the workers, unaffected by how many other processes share code.
 * - perWorker: each worker process's RSS, PSS and USS (private pages only).
 * - firstUseKb: what starting and stopping one worker first left behind in this process (the
 *   engine's code compiled, modules loaded): paid once, so it is measured apart, before.
 * With `--age`, the ProcessPool figures are taken again after this process has churned its heap
 * (copy-on-write: pages the parent rewrites become private to the child).
 *   node --expose-gc bench/process-memory-probe.js processpool|cluster|workers <n> [--age]
 */

const fs = require('node:fs');
const path = require('node:path');

function rollup(pid) {
  const text = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kb = (field) => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? 0);
  return { rssKb: kb('Rss'), pssKb: kb('Pss'), ussKb: kb('Private_Clean') + kb('Private_Dirty') };
}

const settle = () => new Promise((r) => setTimeout(r, 300));

async function gcSettle() {
  for (let i = 0; i < 3; i++) {
    global.gc?.();
    await settle();
  }
}

async function main() {
  const [what, n, age] = [process.argv[2], Number(process.argv[3] || 2), process.argv.includes('--age')];
  const { ProcessPool, SharedMemory } = require('..');
  const reference = require('../lib/reference');
  // The addon is loaded once per process whatever the engine: count only the workers.
  require('../lib/native').loadNative();
  reference.primes({ limit: 1000 });
  /** Starts `count` workers of the engine and has each answer once. */
  const engines = {
    async processpool(count) {
      const pool = new ProcessPool({ processes: count });
      const shm = new SharedMemory(64 * 64 * 4);
      await Promise.all(Array.from({ length: count }, () => pool.run('mandelbrot', { width: 64, height: 64, maxIterations: 100, out: new Uint32Array(shm.buffer) })));
      return {
        pids: pool.pids,
        stop: async () => {
          await pool.destroy();
          shm.close();
        },
      };
    },
    async cluster(count) {
      const cluster = require('node:cluster');
      cluster.setupPrimary({ exec: path.join(__dirname, 'lib', 'echo-worker.js'), silent: true });
      const workers = Array.from({ length: count }, () => cluster.fork());
      await Promise.all(workers.map((w) => new Promise((r) => w.once('message', r) && w.send('hi'))));
      return {
        pids: workers.map((w) => w.process.pid),
        stop: () => Promise.all(workers.map((w) => new Promise((r) => w.once('exit', r) && w.kill()))),
      };
    },
    async workers(count) {
      const { Worker } = require('node:worker_threads');
      const workers = Array.from(
        { length: count },
        () => new Worker('require("node:worker_threads").parentPort.on("message", (m) => require("node:worker_threads").parentPort.postMessage(m))', { eval: true }),
      );
      await Promise.all(workers.map((w) => new Promise((r) => w.once('message', r) && w.postMessage('hi'))));
      return { pids: [], stop: () => Promise.all(workers.map((w) => w.terminate())) };
    },
  };
  if (!(what in engines)) throw new Error(`unknown engine ${what}`);
  // Warm-up: one worker started and stopped, so that what the engine's first use costs once
  // (its JavaScript compiled, modules loaded, Node's internal state) is not counted per worker.
  await gcSettle();
  const cold = rollup('self');
  await (await engines[what](1)).stop();
  await gcSettle();
  const before = rollup('self');
  const { pids, stop } = await engines[what](n);
  await gcSettle();
  const after = rollup('self');
  const perWorker = pids.map(rollup);
  const addedPssKb = after.pssKb + perWorker.reduce((s, w) => s + w.pssKb, 0) - before.pssKb;
  // Private memory that exists because of the workers: what this process grew by (RSS: pages
  // that became shared with a forked child stay counted) plus each worker's private pages. PSS
  // also moves when a new process maps pages shared system-wide (node's own code, libc), by an
  // amount that depends on how many other processes share them.
  const addedPrivateKb = after.rssKb - before.rssKb + perWorker.reduce((s, w) => s + w.ussKb, 0);
  const out = { what, workers: n, firstUseKb: before.rssKb - cold.rssKb, addedPssKb, addedPrivateKb, perWorker, parentRssDeltaKb: after.rssKb - before.rssKb };
  if (age && what === 'processpool') {
    // Rewrite the heap the children share: allocate, drop and collect ~100 MB of objects.
    for (let round = 0; round < 5; round++) {
      let keep = [];
      for (let i = 0; i < 200000; i++) keep.push({ i, s: `x${i}` });
      keep = null;
      global.gc?.();
    }
    await gcSettle();
    out.agedPerWorker = pids.map(rollup);
  }
  await stop();
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
