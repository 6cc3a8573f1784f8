'use strict';

const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { ThreadPool } = require('..');

describe('ThreadPool basics', () => {
  let pool;
  afterEach(async () => {
    await pool?.destroy();
    pool = undefined;
  });

  test('threads defaults to os.availableParallelism()', () => {
    pool = new ThreadPool();
    expect(pool.threads).toBe(os.availableParallelism());
  });

  test('lists its kernels', () => {
    expect(ThreadPool.kernels).toEqual(['noop', 'spin', 'mandelbrot', 'matmul', 'sha256', 'blur', 'histogram', 'sort', 'primes']);
    expect(Object.isFrozen(ThreadPool.kernels)).toBe(true);
  });

  test('noop resolves undefined; spin takes at least its time', async () => {
    pool = new ThreadPool({ threads: 2 });
    expect(pool.threads).toBe(2);
    await expect(pool.run('noop')).resolves.toBeUndefined();
    await expect(pool.run('noop', {})).resolves.toBeUndefined();
    const start = process.hrtime.bigint();
    await expect(pool.run('spin', { micros: 3000 })).resolves.toBeUndefined();
    expect(Number(process.hrtime.bigint() - start) / 1e3).toBeGreaterThanOrEqual(3000);
  });

  test('many tasks in flight all settle, in any order', async () => {
    pool = new ThreadPool({ threads: 2 });
    const results = await Promise.all(Array.from({ length: 5000 }, (_, i) => pool.run('primes', { limit: i % 50 })));
    const naive = (n) => Array.from({ length: n }, (_, x) => x).filter((x) => x > 1 && Array.from({ length: x - 2 }, (_, d) => d + 2).every((d) => x % d)).length;
    results.forEach((r, i) => expect(r.count).toBe(naive(i % 50)));
  });

  test('stats add up', async () => {
    pool = new ThreadPool({ threads: 2 });
    const empty = pool.stats();
    expect(empty).toMatchObject({ threads: 2, queued: 0, running: 0, completed: 0, failed: 0, cancelled: 0 });
    expect(empty.runTime).toEqual({ mean: 0, p50: 0, p99: 0, max: 0 });
    await Promise.all(Array.from({ length: 20 }, () => pool.run('spin', { micros: 200 })));
    const ac = new AbortController();
    const queuedAc = new AbortController();
    const running = pool.run('spin', { micros: 10_000_000 }, { signal: ac.signal });
    const blocker = pool.run('spin', { micros: 10_000_000 }, { signal: ac.signal });
    const queued = pool.run('spin', { micros: 1 }, { signal: queuedAc.signal });
    while (pool.stats().running < 2) await new Promise((r) => setTimeout(r, 5));
    const busy = pool.stats();
    expect(busy.running).toBe(2);
    expect(busy.queued).toBe(1);
    // The queued task first: once a running one stops, its thread would pick the queued one up.
    queuedAc.abort();
    ac.abort();
    await Promise.allSettled([running, blocker, queued]);
    const s = pool.stats();
    expect(s.completed).toBe(20);
    expect(s.cancelled).toBe(3);
    expect(s.failed).toBe(0);
    expect(s.queued + s.running).toBe(0);
    expect(s.runTime.p50).toBeGreaterThanOrEqual(0.2);
    expect(s.runTime.max).toBeGreaterThanOrEqual(s.runTime.p99);
    expect(s.runTime.p99).toBeGreaterThanOrEqual(s.runTime.p50);
    expect(s.waitTime.mean).toBeGreaterThanOrEqual(0);
    expect(s.utilization).toBeGreaterThan(0);
    expect(s.utilization).toBeLessThanOrEqual(1);
  });

  test('Symbol.asyncDispose destroys the pool', async () => {
    const p = new ThreadPool({ threads: 1 });
    const dispose = Symbol.asyncDispose ?? Symbol.for('nodejs.asyncDispose');
    await p[dispose]();
    await expect(p.run('noop')).rejects.toMatchObject({ code: 'ERR_POOL_DESTROYED' });
  });

  test('the ESM entry exports the same class as the CommonJS one', () => {
    const script = `
      import { ThreadPool, AbortError } from 'native-parallel';
      import cjs from 'native-parallel';
      import { createRequire } from 'node:module';
      const require = createRequire(import.meta.url);
      if (ThreadPool !== require('native-parallel').ThreadPool || cjs.AbortError !== AbortError) process.exit(3);
      const pool = new ThreadPool({ threads: 1 });
      const { count } = await pool.run('primes', { limit: 30 });
      await pool.destroy();
      console.log(count);`;
    const res = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: path.join(__dirname, '..'), encoding: 'utf8' });
    expect(res.stderr).toBe('');
    expect(res.status).toBe(0);
    expect(res.stdout.trim()).toBe('10');
  });

  test('maxQueue auto is threads squared', async () => {
    pool = new ThreadPool({ threads: 2, maxQueue: 'auto' });
    const ac = new AbortController();
    const tasks = Array.from({ length: 6 }, () => pool.run('spin', { micros: 10_000_000 }, { signal: ac.signal }));
    await expect(pool.run('noop')).rejects.toMatchObject({ code: 'ERR_QUEUE_FULL' });
    ac.abort();
    await Promise.allSettled(tasks);
  });
});
