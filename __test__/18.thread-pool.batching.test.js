'use strict';

// run() calls made in one microtask reach native code as one batch (lib/thread-pool.js,
// src/pool/submit.rs), and a FIFO queue feeds the pool threads (src/pool/runners.rs). These
// check that batching changes nothing a user can see: every task gets its own result, tasks
// start in order, and cancel, destroy, maxQueue and panics behave as for a task alone.

const { ThreadPool } = require('..');
const reference = require('../lib/reference');
const { runInternal } = require('../lib/internal/testing');
const { runNode } = require('./helpers/node');

const LONG = { micros: 30_000_000 };
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('batched submission', () => {
  let pool;
  afterEach(() => pool?.destroy());

  test('50,000 noops in flight all resolve, each once', async () => {
    pool = new ThreadPool({ threads: 2 });
    const N = 50_000;
    const settled = new Uint8Array(N);
    const all = [];
    for (let i = 0; i < N; i++) {
      all.push(
        pool.run('noop').then((value) => {
          settled[i]++;
          return value;
        }),
      );
    }
    const values = await Promise.all(all);
    expect(values.every((v) => v === undefined)).toBe(true);
    expect(settled.every((n) => n === 1)).toBe(true);
    const stats = pool.stats();
    expect(stats).toMatchObject({ completed: N, failed: 0, cancelled: 0, queued: 0, running: 0 });
  });

  test('on one thread, 50,000 tasks settle in the order they were given', async () => {
    pool = new ThreadPool({ threads: 1 });
    const N = 50_000;
    const order = [];
    const all = [];
    for (let i = 0; i < N; i++) all.push(pool.run('noop').then(() => order.push(i)));
    await Promise.all(all);
    expect(order.length).toBe(N);
    expect(order.every((v, i) => v === i)).toBe(true);
  });

  test('every task of a mixed batch gets its own result, equal to the reference', async () => {
    pool = new ThreadPool({ threads: 2 });
    const jobs = [];
    for (let i = 0; i < 400; i++) {
      switch (i % 4) {
        case 0: {
          const input = { width: 5 + (i % 7), height: 3 + (i % 5), maxIterations: 20 + i, out: null };
          input.out = new Uint32Array(input.width * input.height);
          jobs.push({ kernel: 'mandelbrot', input, expected: Array.from(reference.mandelbrot({ ...input, out: new Uint32Array(input.out.length) })) });
          break;
        }
        case 1: {
          const data = Uint8Array.from({ length: 50 + i }, (_, k) => (k * 31 + i) & 255);
          jobs.push({ kernel: 'histogram', input: { data }, expected: Array.from(reference.histogram({ data })) });
          break;
        }
        case 2:
          jobs.push({ kernel: 'primes', input: { limit: i * 10 }, expected: reference.primes({ limit: i * 10 }) });
          break;
        default:
          jobs.push({ kernel: 'noop', input: {}, expected: undefined });
      }
    }
    const results = await Promise.all(jobs.map(({ kernel, input }) => pool.run(kernel, input)));
    results.forEach((result, i) => {
      const { kernel, expected } = jobs[i];
      if (kernel === 'mandelbrot' || kernel === 'histogram') expect([i, Array.from(result)]).toEqual([i, expected]);
      else expect([i, result]).toEqual([i, expected]);
    });
  });

  test('tasks aborted before and after their batch was sent reject; the rest resolve', async () => {
    pool = new ThreadPool({ threads: 1 });
    const blocker = new AbortController();
    const running = pool.run('spin', LONG, { signal: blocker.signal });
    const controllers = [];
    const all = [];
    for (let i = 0; i < 1000; i++) {
      const ac = new AbortController();
      controllers.push(ac);
      all.push(pool.run('noop', {}, { signal: ac.signal }).then(() => 'ok', (err) => err.name));
      // Every 3rd aborts before its batch leaves this microtask.
      if (i % 3 === 0) ac.abort();
    }
    await nextTurn();
    // Every 3rd + 1 aborts once queued natively, behind the running task.
    for (let i = 1; i < 1000; i += 3) controllers[i].abort();
    blocker.abort();
    await expect(running).rejects.toMatchObject({ name: 'AbortError' });
    const outcomes = await Promise.all(all);
    outcomes.forEach((outcome, i) => expect([i, outcome]).toEqual([i, i % 3 === 2 ? 'ok' : 'AbortError']));
    expect(pool.stats()).toMatchObject({ queued: 0, running: 0 });
  });

  test('destroy() in the same microtask as a batch rejects its queued tasks with ERR_POOL_DESTROYED', async () => {
    pool = new ThreadPool({ threads: 1 });
    const blocker = pool.run('spin', LONG);
    const all = [];
    for (let i = 0; i < 1000; i++) all.push(pool.run('noop').then(() => 'ok', (err) => err.code));
    const destroyed = pool.destroy();
    expect(await Promise.all(all)).toEqual(new Array(1000).fill('ERR_POOL_DESTROYED'));
    await expect(blocker).rejects.toMatchObject({ code: 'ERR_POOL_DESTROYED' });
    await destroyed;
    await expect(pool.run('noop')).rejects.toMatchObject({ code: 'ERR_POOL_DESTROYED' });
  });

  test('destroy() after batches were sent lets what ran resolve and rejects the rest', async () => {
    pool = new ThreadPool({ threads: 2 });
    const all = [];
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 2000; i++) all.push(pool.run('noop').then(() => 'ok', (err) => err.code));
      await nextTurn();
    }
    await pool.destroy();
    const outcomes = await Promise.all(all);
    expect(outcomes.every((o) => o === 'ok' || o === 'ERR_POOL_DESTROYED')).toBe(true);
    expect(pool.stats().completed).toBe(outcomes.filter((o) => o === 'ok').length);
  });

  test('maxQueue counts the tasks of a batch one by one', async () => {
    pool = new ThreadPool({ threads: 1, maxQueue: 2 });
    const blocker = new AbortController();
    const all = [pool.run('spin', LONG, { signal: blocker.signal }).catch((err) => err.name)];
    for (let i = 0; i < 10; i++) all.push(pool.run('noop').then(() => 'ok', (err) => err.code));
    // The first 3 are admitted (1 running + 2 queued) while the spin runs; the rest are full.
    while (pool.stats().running === 0) await nextTurn();
    blocker.abort();
    expect(await Promise.all(all)).toEqual(['AbortError', 'ok', 'ok', ...new Array(8).fill('ERR_QUEUE_FULL')]);
    expect(await pool.run('noop')).toBeUndefined();
  });

  test('a panic in a batch rejects that task only', async () => {
    pool = new ThreadPool({ threads: 2 });
    const all = [];
    for (let i = 0; i < 30; i++) all.push((i % 10 === 5 ? runInternal(pool, '__panic') : pool.run('noop')).then(() => 'ok', (err) => err.code));
    const outcomes = await Promise.all(all);
    outcomes.forEach((o, i) => expect([i, o]).toEqual([i, i % 10 === 5 ? 'ERR_NATIVE_PANIC' : 'ok']));
  });

  test('after a burst, an idle pool that is never destroyed lets the process exit', async () => {
    // The pool's runners retire when the queue is empty: nothing may hold the process open.
    const r = await runNode(`
      const { ThreadPool } = require('.');
      const pool = new ThreadPool({ threads: 2 });
      Promise.all(Array.from({ length: 20000 }, () => pool.run('noop'))).then((all) => console.log(all.length));`);
    expect(r).toMatchObject({ code: 0, stdout: '20000' });
  });
});
