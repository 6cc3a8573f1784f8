'use strict';

// WorkerPool hand-off: Workers that watch the queue before parking (spinMicros), the owner
// that waits for a tiny task's completion instead of being woken, and their bounds. The same
// behaviour is checked with spinning on and off; speed is the benchmark's business.

const path = require('node:path');
const { WorkerPool } = require('..');

const fixture = (name) => path.join(__dirname, 'fixtures', 'worker-pool', name);
const pools = [];
const pool = (options) => {
  const p = new WorkerPool(options);
  pools.push(p);
  return p;
};
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.destroy()));
});

describe('WorkerPool spinMicros', () => {
  test('defaults to 50 and takes an integer from 0 to 1000', () => {
    expect(pool({ filename: fixture('echo.js') }).options.spinMicros).toBe(50);
    expect(pool({ filename: fixture('echo.js'), spinMicros: 0 }).options.spinMicros).toBe(0);
    expect(pool({ filename: fixture('echo.js'), spinMicros: 1000 }).options.spinMicros).toBe(1000);
    expect(() => new WorkerPool({ spinMicros: '10' })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    for (const bad of [-1, 1.5, 1001, NaN, Infinity]) {
      expect(() => new WorkerPool({ spinMicros: bad })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    }
  });
});

describe.each([
  ['spinning off', 0],
  ['spinning on', 50],
  ['the longest spin', 1000],
])('WorkerPool hand-off, %s', (_, spinMicros) => {
  test('tasks one at a time: each gets its own result, whatever its kind', async () => {
    const p = pool({ filename: fixture('echo.js'), minThreads: 2, maxThreads: 2, spinMicros });
    const values = [undefined, null, true, false, 0, -0, 1.5, NaN, 'x', '', { a: 1 }, [1, 2], 2n ** 70n];
    for (let i = 0; i < 600; i++) {
      const value = i % 3 === 0 ? i : values[i % values.length];
      expect(await p.run(value)).toStrictEqual(value);
    }
    expect(p.completed).toBe(600);
  });

  test('thousands of concurrent tasks, in waves and all at once, all correct', async () => {
    const p = pool({ filename: fixture('echo.js'), minThreads: 2, maxThreads: 2, spinMicros });
    const all = Array.from({ length: 5000 }, (_, i) => p.run(i % 2 ? i : `s${i}`));
    const results = await Promise.all(all);
    expect(results.every((r, i) => r === (i % 2 ? i : `s${i}`))).toBe(true);
    for (let wave = 0; wave < 20; wave++) {
      const n = 1 + wave * 13;
      const got = await Promise.all(Array.from({ length: n }, (_, i) => p.run(wave * 1000 + i)));
      expect(got).toEqual(Array.from({ length: n }, (_, i) => wave * 1000 + i));
    }
    expect(p.queueSize).toBe(0);
  });

  test('payloads small and large, and tasks taken while their function still loads, keep their own values', async () => {
    // A Worker takes several tasks (concurrentTasksPerWorker) before the task file has loaded:
    // each must keep its own bytes, though small payloads arrive in one reused buffer.
    const p = pool({ minThreads: 1, maxThreads: 1, concurrentTasksPerWorker: 8, spinMicros });
    const values = [1, 'two', { three: 3 }, 'x'.repeat(5000), [5], 6.5, Buffer.alloc(6000, 7), null];
    const got = await Promise.all(values.map((v) => p.run(v, { filename: fixture('echo.js') })));
    expect(got).toEqual(values);
  });

  test('numbers at the edges of the compact int32 form come back exactly', async () => {
    const p = pool({ filename: fixture('echo.js'), minThreads: 1, maxThreads: 1, spinMicros });
    const numbers = [0, -0, 1, -1, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, -(2 ** 31) - 1, 2 ** 53, 0.5, -1e-300, 1e300, NaN, Infinity, -Infinity];
    for (const n of numbers) expect(Object.is(await p.run(n), n)).toBe(true);
  });

  test('tasks still start in the order given, with one thread', async () => {
    const p = pool({ filename: fixture('echo.js'), minThreads: 1, maxThreads: 1, spinMicros, concurrentTasksPerWorker: 1 });
    const order = [];
    await Promise.all(Array.from({ length: 200 }, (_, i) => p.run(i).then((v) => order.push(v))));
    expect(order).toEqual(Array.from({ length: 200 }, (_, i) => i));
  });

  test('a loop awaiting tiny tasks one after another still lets the event loop turn', async () => {
    const p = pool({ filename: fixture('echo.js'), minThreads: 1, maxThreads: 1, spinMicros });
    await p.run(0);
    let ranAt = -1;
    let i = 0;
    setImmediate(() => {
      ranAt = i;
    });
    // The bound is not the 32 waits alone: a completion that arrives by a wake-up runs in a
    // threadsafe-function callback, and Node runs up to 1,000 of those queued meanwhile before
    // it lets the loop go on (a busy machine makes long runs of them). So the loop turns within
    // 32 + 1,000 tasks at the latest: 2,500 leaves no doubt that it turns, and not by chance.
    const tasks = 2500;
    for (; i < tasks; i++) await p.run(i);
    expect(ranAt).toBeGreaterThanOrEqual(0);
    expect(ranAt).toBeLessThan(tasks);
  });

  test('async tasks and timers between tasks behave as without spinning', async () => {
    const p = pool({ filename: fixture('timers.js'), minThreads: 1, maxThreads: 1, concurrentTasksPerWorker: 4, spinMicros });
    const slept = await Promise.all([1, 2, 3, 4].map((tag) => p.run({ op: 'sleep', ms: 20, tag })));
    expect(slept.map((r) => r.tag)).toEqual([1, 2, 3, 4]);
    await p.run({ op: 'leave-timer', ms: 10, tag: 'left' });
    let fired = [];
    while (fired.length === 0) fired = await p.run({ op: 'fired' });
    expect(fired[0].tag).toBe('left');
  });

  test('aborting a queued task and destroying the pool mid-burst leave nothing behind', async () => {
    const p = pool({ filename: fixture('echo.js'), minThreads: 2, maxThreads: 2, spinMicros });
    const ac = new AbortController();
    const burst = Array.from({ length: 2000 }, (_, i) => p.run(i, i === 1999 ? { signal: ac.signal } : {}));
    ac.abort();
    const settled = await Promise.allSettled(burst);
    expect(settled[1999]).toMatchObject({ status: 'rejected', reason: { name: 'AbortError' } });
    expect(settled.slice(0, 1999).every((s, i) => s.status === 'fulfilled' && s.value === i)).toBe(true);
    const more = Promise.allSettled(Array.from({ length: 500 }, (_, i) => p.run(i)));
    await p.destroy();
    const after = await more;
    expect(after.every((s) => s.status === 'fulfilled' || s.reason.code === 'ERR_POOL_DESTROYED')).toBe(true);
  });
});
