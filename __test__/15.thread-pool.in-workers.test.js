'use strict';

const path = require('node:path');
const { Worker } = require('node:worker_threads');
const { ThreadPool } = require('..');
const reference = require('../lib/reference');

const entry = path.join(__dirname, '..');

function startWorker(source) {
  const worker = new Worker(source, { eval: true, workerData: { entry } });
  const messages = [];
  const waiters = [];
  worker.on('message', (m) => {
    messages.push(m);
    waiters.splice(0).forEach((w) => w());
  });
  const next = async () => {
    while (messages.length === 0) await new Promise((r) => waiters.push(r));
    return messages.shift();
  };
  const exited = new Promise((resolve) => worker.once('exit', resolve));
  return { worker, next, exited };
}

describe('the addon inside worker_threads', () => {
  test('several Workers run tasks at once, each with its own pool', async () => {
    const source = `
      const { parentPort, workerData, threadId } = require('node:worker_threads');
      const { ThreadPool } = require(workerData.entry);
      (async () => {
        const pool = new ThreadPool({ threads: 2 });
        const w = 61, h = 37;
        const out = new Uint32Array(new SharedArrayBuffer(w * h * 4));
        for (let i = 0; i < 20; i++) await pool.run('mandelbrot', { width: w, height: h, maxIterations: 50 + threadId, out });
        const { count } = await pool.run('primes', { limit: 10000 });
        await pool.destroy();
        parentPort.postMessage({ out: Array.from(out), count, maxIterations: 50 + threadId });
      })();`;
    const workers = Array.from({ length: 4 }, () => startWorker(source));
    const results = await Promise.all(workers.map((w) => w.next()));
    for (const r of results) {
      const expected = reference.mandelbrot({ width: 61, height: 37, maxIterations: r.maxIterations, out: new Uint32Array(61 * 37) });
      expect(r.out).toEqual(Array.from(expected));
      expect(r.count).toBe(1229);
    }
    expect(await Promise.all(workers.map((w) => w.exited))).toEqual([0, 0, 0, 0]);
  });

  test('a Worker terminated mid-task does not crash the process', async () => {
    const source = `
      const { parentPort, workerData } = require('node:worker_threads');
      const { ThreadPool } = require(workerData.entry);
      const pool = new ThreadPool({ threads: 2 });
      // Memory owned by this Worker only: it goes away with the Worker.
      const side = 3000;
      const out = new Uint32Array(new SharedArrayBuffer(side * side * 4));
      pool.run('mandelbrot', { width: side, height: side, maxIterations: 1000000, xMin: -0.2, xMax: 0, yMin: -0.1, yMax: 0.1, out });
      pool.run('spin', { micros: 60000000 });
      pool.run('spin', { micros: 60000000 });
      setTimeout(() => parentPort.postMessage('busy'), 50);`;
    for (let round = 0; round < 3; round++) {
      const { worker, next, exited } = startWorker(source);
      expect(await next()).toBe('busy');
      await worker.terminate();
      expect(await exited).toBe(1);
    }
    const pool = new ThreadPool({ threads: 2 });
    await expect(pool.run('primes', { limit: 100 })).resolves.toEqual({ count: 25 });
    await pool.destroy();
  });

  test('a Worker that exits without destroying its pool exits cleanly', async () => {
    const { next, exited } = startWorker(`
      const { parentPort, workerData } = require('node:worker_threads');
      const { ThreadPool } = require(workerData.entry);
      const pool = new ThreadPool({ threads: 1 });
      pool.run('primes', { limit: 1000 }).then((r) => parentPort.postMessage(r.count));`);
    expect(await next()).toBe(168);
    expect(await exited).toBe(0);
  });
});
