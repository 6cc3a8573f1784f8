#!/usr/bin/env node
'use strict';

/**
 * Node processes that share memory: the primary hands one SharedMemory to every native cluster
 * worker; each worker adds to a counter with Atomics.add and the primary, waiting on the same
 * memory with waitAsync (a futex across processes), wakes when the last one is done.
 *
 *   node examples/shared-counter.js [--workers N] [--count N]
 *
 * node:cluster has no way to do this: its workers can only send each other copies.
 */

const { parseArgs } = require('node:util');
const { cluster, SharedMemory } = require('..');

const COUNTER = 0; // word 0: the sum
const DONE = 1; // word 1: workers finished

if (cluster.isPrimary) {
  const { values } = parseArgs({ options: { workers: { type: 'string', default: '2' }, count: { type: 'string', default: '1000000' } } });
  const workers = Number(values.workers);
  const count = Number(values.count);
  const shm = new SharedMemory(4096);
  const words = new Int32Array(shm.buffer);
  cluster.setupPrimary({ exec: __filename, args: [String(count)], shared: { counter: shm } });
  const started = process.hrtime.bigint();
  for (let i = 0; i < workers; i++) cluster.fork();
  (async () => {
    for (let done = Atomics.load(words, DONE); done < workers; done = Atomics.load(words, DONE)) {
      await shm.waitAsync(DONE, done, 30000);
    }
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    console.log(`${workers} processes added ${Atomics.load(words, COUNTER)} (expected ${workers * count}) in ${ms.toFixed(0)} ms`);
    await cluster.shutdown();
    shm.close();
  })();
} else {
  const count = Number(process.argv[2]);
  const shm = cluster.shared.counter;
  const words = new Int32Array(shm.buffer);
  for (let i = 0; i < count; i++) Atomics.add(words, COUNTER, 1);
  Atomics.add(words, DONE, 1);
  shm.notify(DONE);
}
