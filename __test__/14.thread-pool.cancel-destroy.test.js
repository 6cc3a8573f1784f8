'use strict';

const { ThreadPool } = require('..');
const { runInternal } = require('../lib/internal/testing');

const LONG = { micros: 30_000_000 };

describe('cancellation', () => {
  let pool;
  beforeEach(() => {
    pool = new ThreadPool({ threads: 1 });
  });
  afterEach(() => pool.destroy());

  test('an already aborted signal rejects at once and runs nothing', async () => {
    const reason = new Error('stop');
    await expect(pool.run('noop', {}, { signal: AbortSignal.abort(reason) })).rejects.toMatchObject({ name: 'AbortError', code: 'ABORT_ERR', cause: reason });
    expect(pool.stats().completed).toBe(0);
  });

  test('a queued task rejects at once and never runs', async () => {
    const blocker = new AbortController();
    const running = pool.run('spin', LONG, { signal: blocker.signal });
    const ac = new AbortController();
    const out = new Uint32Array(new SharedArrayBuffer(4 * 16));
    while (pool.stats().running === 0) await new Promise((r) => setImmediate(r));
    const queued = pool.run('mandelbrot', { width: 4, height: 4, maxIterations: 10, out }, { signal: ac.signal });
    ac.abort();
    await expect(queued).rejects.toMatchObject({ name: 'AbortError' });
    expect(pool.stats().queued).toBe(0);
    blocker.abort();
    await expect(running).rejects.toMatchObject({ name: 'AbortError' });
    expect(Array.from(out).every((v) => v === 0)).toBe(true);
  });

  test('a running task stops at its next check', async () => {
    const ac = new AbortController();
    const task = pool.run('spin', LONG, { signal: ac.signal });
    while (pool.stats().running === 0) await new Promise((r) => setTimeout(r, 5));
    expect(pool.stats().running).toBe(1);
    const aborted = process.hrtime.bigint();
    ac.abort();
    await expect(task).rejects.toMatchObject({ name: 'AbortError', code: 'ABORT_ERR' });
    // Generous bound: the spin polls every iteration; this only proves it did not run 30 s.
    expect(Number(process.hrtime.bigint() - aborted) / 1e6).toBeLessThan(5000);
    await expect(pool.run('primes', { limit: 100 })).resolves.toEqual({ count: 25 });
  });

  test('a running data-parallel kernel can be cancelled', async () => {
    const side = 4096;
    const out = new Uint32Array(new SharedArrayBuffer(side * side * 4));
    const ac = new AbortController();
    const task = pool.run('mandelbrot', { width: side, height: side, maxIterations: 100000, xMin: -0.5, xMax: 0, yMin: -0.25, yMax: 0.25, out }, { signal: ac.signal });
    await new Promise((r) => setTimeout(r, 30));
    ac.abort();
    await expect(task).rejects.toMatchObject({ name: 'AbortError' });
  });

  test('aborting after completion changes nothing', async () => {
    const ac = new AbortController();
    await expect(pool.run('primes', { limit: 10 }, { signal: ac.signal })).resolves.toEqual({ count: 4 });
    ac.abort();
    await expect(pool.run('noop')).resolves.toBeUndefined();
  });
});

describe('queue limit', () => {
  test('maxQueue overflow rejects with ERR_QUEUE_FULL and the pool recovers', async () => {
    const pool = new ThreadPool({ threads: 1, maxQueue: 2 });
    const ac = new AbortController();
    const accepted = [pool.run('spin', LONG, { signal: ac.signal }), pool.run('noop', {}, { signal: ac.signal }), pool.run('noop', {}, { signal: ac.signal })];
    await expect(pool.run('noop')).rejects.toMatchObject({ code: 'ERR_QUEUE_FULL' });
    ac.abort();
    await Promise.allSettled(accepted);
    await expect(pool.run('noop')).resolves.toBeUndefined();
    await pool.destroy();
  });

  test('maxQueue 0 accepts one task per thread', async () => {
    const pool = new ThreadPool({ threads: 1, maxQueue: 0 });
    const ac = new AbortController();
    const running = pool.run('spin', LONG, { signal: ac.signal });
    await expect(pool.run('noop')).rejects.toMatchObject({ code: 'ERR_QUEUE_FULL' });
    ac.abort();
    await expect(running).rejects.toMatchObject({ name: 'AbortError' });
    await pool.destroy();
  });
});

describe('destroy', () => {
  test('thousands queued reject with ERR_POOL_DESTROYED; the running one is cancelled', async () => {
    const pool = new ThreadPool({ threads: 2 });
    const running = [pool.run('spin', LONG), pool.run('spin', LONG)];
    const queued = Array.from({ length: 5000 }, (_, i) => pool.run(i % 2 ? 'noop' : 'primes', { limit: 1000 }));
    while (pool.stats().running < 2) await new Promise((r) => setTimeout(r, 5));
    const destroyed = pool.destroy();
    expect(pool.destroy()).toBe(destroyed);
    const settled = await Promise.allSettled([...running, ...queued]);
    await destroyed;
    expect(settled.every((s) => s.status === 'rejected' && s.reason.code === 'ERR_POOL_DESTROYED')).toBe(true);
    const s = pool.stats();
    expect(s.cancelled).toBe(5002);
    await expect(pool.run('noop')).rejects.toMatchObject({ code: 'ERR_POOL_DESTROYED' });
  });

  test('destroy of an idle pool resolves; run after destroy rejects; destroy twice is fine', async () => {
    const pool = new ThreadPool({ threads: 1 });
    await pool.run('noop');
    await pool.destroy();
    await pool.destroy();
    await expect(pool.run('primes', { limit: 5 })).rejects.toMatchObject({ code: 'ERR_POOL_DESTROYED' });
    expect(pool.stats()).toMatchObject({ queued: 0, running: 0, completed: 1 });
  });

  test('a task that was aborted and then destroyed reports AbortError', async () => {
    const pool = new ThreadPool({ threads: 1 });
    const ac = new AbortController();
    const task = pool.run('spin', LONG, { signal: ac.signal });
    ac.abort();
    const destroyed = pool.destroy();
    await expect(task).rejects.toMatchObject({ name: 'AbortError' });
    await destroyed;
  });
});

describe('panics', () => {
  test('a panicking kernel rejects with ERR_NATIVE_PANIC and the pool keeps working', async () => {
    const pool = new ThreadPool({ threads: 2 });
    const results = await Promise.allSettled([runInternal(pool, '__panic'), pool.run('primes', { limit: 100 }), runInternal(pool, '__panic')]);
    expect(results[0]).toMatchObject({ status: 'rejected', reason: { code: 'ERR_NATIVE_PANIC' } });
    expect(results[0].reason.message).toMatch(/deliberate panic/);
    expect(results[1]).toEqual({ status: 'fulfilled', value: { count: 25 } });
    expect(results[2]).toMatchObject({ status: 'rejected', reason: { code: 'ERR_NATIVE_PANIC' } });
    for (let i = 0; i < 50; i++) await expect(runInternal(pool, '__panic')).rejects.toMatchObject({ code: 'ERR_NATIVE_PANIC' });
    await expect(pool.run('primes', { limit: 1000 })).resolves.toEqual({ count: 168 });
    expect(pool.stats().failed).toBe(52);
    await pool.destroy();
  });
});
