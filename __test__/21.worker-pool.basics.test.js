'use strict';

// WorkerPool: running the user's JavaScript, CommonJS and ESM task files, many tasks at once,
// async tasks and timers between tasks, and a pool used from inside a Worker.

const path = require('node:path');
const { pathToFileURL } = require('node:url');
const { Worker } = require('node:worker_threads');
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

describe('WorkerPool runs task functions', () => {
  test('a CommonJS task file: sync and async results, structured clone of values', async () => {
    const p = pool({ filename: fixture('eval.js'), maxThreads: 2 });
    expect(await p.run('40 + 2')).toBe(42);
    expect(await p.run('Promise.resolve("async")')).toBe('async');
    const value = await p.run('({ n: 1n, d: new Date(0), m: new Map([[1, { s: new Set([2]) }]]), u: new Uint16Array([1, 65535]), b: Buffer.from("hi") })');
    expect(value.n).toBe(1n);
    expect(value.d.getTime()).toBe(0);
    expect(value.m.get(1).s.has(2)).toBe(true);
    expect(Array.from(value.u)).toEqual([1, 65535]);
    expect(value.u.buffer.byteLength).toBe(4); // its own memory, not a view into a batch
    expect(Buffer.isBuffer(value.b) && value.b.toString()).toBe('hi');
    expect(await p.run('undefined')).toBeUndefined();
    expect(await p.run('null')).toBeNull();
    expect(await p.run('"ü€"')).toBe('ü€');
  });

  test('thousands of concurrent tasks all get their own correct result', async () => {
    const p = pool({ filename: fixture('eval.js'), minThreads: 2, maxThreads: 2 });
    const n = 5000;
    const results = await Promise.all(Array.from({ length: n }, (_, i) => p.run(`({ i: ${i}, sq: ${i} * ${i} })`)));
    results.forEach((r, i) => expect(r).toEqual({ i, sq: i * i }));
    expect(p.completed).toBe(n);
  });

  test('task values of every kind travel there and back intact', async () => {
    const p = pool({ filename: fixture('echo.js'), maxThreads: 1 });
    const values = [undefined, null, true, false, 0, -0, 1.5, NaN, -Infinity, 2n ** 70n, '', 'ü€', 'x'.repeat(10000), [1, [2]], { a: { b: [null] } }, new Float64Array([0.5, -1])];
    for (const v of values) expect(await p.run(v)).toEqual(v);
    expect(Object.is(await p.run(-0), -0)).toBe(true);
  });

  test('ESM task files: default export, named exports, file: URLs', async () => {
    const def = pool({ filename: pathToFileURL(fixture('esm-default.mjs')).href, maxThreads: 1 });
    expect(await def.run(7)).toBe(49);
    const named = pool({ filename: fixture('esm-named.mjs'), name: 'add', maxThreads: 1 });
    expect(await named.run({ a: 2, b: 3 })).toBe(5);
    expect(await named.run('abc', { name: 'upper' })).toBe('ABC');
  });

  test('named exports and a filename per run', async () => {
    const p = pool({ filename: fixture('multiple.js'), maxThreads: 1 });
    expect(await p.run({}, { name: 'a' })).toBe('a');
    expect(await p.run({}, { name: 'b' })).toBe('b');
    expect(await p.run({})).toBe('default');
    const bare = pool({ maxThreads: 1 });
    expect(await bare.run('6 * 7', { filename: fixture('eval.js') })).toBe(42);
    expect(await bare.run({}, { filename: pathToFileURL(fixture('multiple.js')), name: 'b' })).toBe('b');
  });

  test('the task module sees isWorkerThread, workerData, env, argv and execArgv', async () => {
    expect(WorkerPool.isWorkerThread).toBe(false);
    expect(WorkerPool.workerData).toBeUndefined();
    const p = pool({
      filename: fixture('worker-state.js'),
      maxThreads: 1,
      workerData: { hello: ['world'] },
      env: { A: 'foo' },
      argv: ['a', 'b'],
      execArgv: ['--no-warnings'],
    });
    const seen = await p.run(null);
    expect(seen).toMatchObject({
      isWorkerThread: true,
      poolWorkerData: { hello: ['world'] },
      workerData: { hello: ['world'] },
      isMainThread: false,
      argv: ['a', 'b'],
      execArgv: ['--no-warnings'],
      envA: 'foo',
    });
    expect(p.threads.map((w) => w.threadId)).toContain(seen.threadId);
  });

  test('tasks start in the order they were given (FIFO), with one thread', async () => {
    const p = pool({ filename: fixture('eval.js'), minThreads: 1, maxThreads: 1 });
    const order = await Promise.all(Array.from({ length: 20 }, (_, i) => p.run(`globalThis.seq = (globalThis.seq ?? 0) + 1; [${i}, globalThis.seq]`)));
    expect(order.map(([i]) => i)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(order.map(([, seq]) => seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });

  test('async tasks keep the Worker event loop running; concurrentTasksPerWorker runs several at once', async () => {
    const p = pool({ filename: fixture('timers.js'), minThreads: 1, maxThreads: 1, concurrentTasksPerWorker: 3 });
    const runs = await Promise.all([1, 2, 3].map((tag) => p.run({ op: 'sleep', ms: 100, tag })));
    // All three were sleeping at the same time on the one Worker: each started before any ended.
    const lastStart = Math.max(...runs.map((r) => r.started));
    const firstEnd = Math.min(...runs.map((r) => r.ended));
    expect(lastStart).toBeLessThanOrEqual(firstEnd);
    expect(new Set(p.threads.map((w) => w.threadId)).size).toBe(1);
  });

  test('a timer a task leaves behind fires while the Worker is idle', async () => {
    const p = pool({ filename: fixture('timers.js'), minThreads: 1, maxThreads: 1 });
    await p.run({ op: 'leave-timer', ms: 20, tag: 'left' });
    // Wait (on the main thread, with the Worker idle) until the timer has had time to fire.
    let fired = [];
    let asked = 0;
    for (let i = 0; i < 200 && fired.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 10));
      asked = Date.now();
      fired = await p.run({ op: 'fired' });
    }
    expect(fired.map((f) => f.tag)).toEqual(['left']);
    // It fired before the task that reads it was even sent: not frozen until a later task.
    expect(fired[0].at).toBeLessThanOrEqual(asked);
  });

  test('a pool can be used from inside a Worker', async () => {
    const source = `
      const { parentPort, workerData } = require('node:worker_threads');
      const { WorkerPool } = require(workerData.entry);
      (async () => {
        const pool = new WorkerPool({ filename: workerData.filename, maxThreads: 2 });
        const out = await Promise.all(Array.from({ length: 200 }, (_, i) => pool.run(i + ' * 3')));
        await pool.destroy();
        parentPort.postMessage(out);
      })();`;
    const worker = new Worker(source, { eval: true, workerData: { entry: path.join(__dirname, '..'), filename: fixture('eval.js') } });
    const [out] = await Promise.all([new Promise((r) => worker.once('message', r)), new Promise((r) => worker.once('exit', r))]);
    expect(out).toEqual(Array.from({ length: 200 }, (_, i) => i * 3));
  });
});
