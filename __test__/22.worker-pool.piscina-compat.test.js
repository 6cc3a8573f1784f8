'use strict';

// WorkerPool against Piscina 5: the same test bodies run on both where WorkerPool mirrors it
// (options, defaults, properties, events, queue limits, move, abort, close), then one test for
// each place where WorkerPool deliberately differs.

const os = require('node:os');
const path = require('node:path');
const { EventEmitter } = require('node:events');
const { Piscina } = require('piscina');
const { WorkerPool } = require('..');

const fixture = (name) => path.join(__dirname, 'fixtures', 'worker-pool', name);
const pools = [];
afterEach(async () => {
  await Promise.all(
    pools.splice(0).map(async (p) => {
      await p.destroy();
      // A Piscina is an EventEmitterAsyncResource whose async resource ends only when it is
      // garbage-collected, so Jest's open-handle check may still see a destroyed one at the end
      // of the run. Ending it here keeps that check about real leaks (WorkerPool has none).
      if (typeof p.emitDestroy === 'function') p.emitDestroy();
    }),
  );
});

describe.each([
  ['Piscina', Piscina],
  ['WorkerPool', WorkerPool],
])('%s', (_, Pool) => {
  const pool = (options) => {
    const p = new Pool(options);
    pools.push(p);
    return p;
  };

  test('is an EventEmitter with Piscina 5 defaults in `options`', () => {
    const p = pool({ filename: fixture('noop.js') });
    const cpus = os.availableParallelism();
    expect(p).toBeInstanceOf(EventEmitter);
    expect(p.options).toMatchObject({
      filename: fixture('noop.js'),
      name: 'default',
      minThreads: Math.max(Math.floor(cpus / 2), 1),
      maxThreads: cpus * 1.5,
      idleTimeout: 0,
      maxQueue: Infinity,
      concurrentTasksPerWorker: 1,
      closeTimeout: 30000,
      recordTiming: true,
    });
  });

  test('minThreads and maxThreads move each other out of the way; maxQueue "auto" is maxThreads squared', () => {
    expect(pool({ maxThreads: 1 }).options.minThreads).toBe(1);
    expect(pool({ minThreads: 64 }).options.maxThreads).toBe(64);
    const p = pool({ minThreads: 0, maxThreads: 3, maxQueue: 'auto' });
    expect(p.options.maxQueue).toBe(9);
    expect(p.maxThreads).toBe(3);
    expect(p.minThreads).toBe(0);
  });

  test('threads start at minThreads and grow to maxThreads under load', async () => {
    const p = pool({ filename: fixture('timers.js'), minThreads: 1, maxThreads: 3 });
    expect(p.threads.length).toBe(1);
    const tasks = Array.from({ length: 6 }, () => p.run({ op: 'sleep', ms: 50 }));
    expect(p.threads.length).toBe(3);
    expect(p.threads.every((w) => typeof w.threadId === 'number')).toBe(true);
    await Promise.all(tasks);
  });

  test('completed, duration, utilization and the histograms', async () => {
    const p = pool({ filename: fixture('eval.js'), maxThreads: 2 });
    expect(p.utilization).toBe(0);
    expect(p.completed).toBe(0);
    await Promise.all(['1', '2', '3'].map((t) => p.run(t)));
    expect(p.completed).toBe(3);
    expect(p.duration).toBeGreaterThan(0);
    expect(p.utilization).toBeGreaterThan(0);
    expect(p.utilization).toBeLessThan(1);
    const { runTime, waitTime } = p.histogram;
    for (const summary of [runTime, waitTime]) {
      expect(Object.keys(summary).sort()).toEqual(
        ['average', 'mean', 'stddev', 'min', 'max', 'p0_001', 'p0_01', 'p0_1', 'p1', 'p2_5', 'p10', 'p25', 'p50', 'p75', 'p90', 'p97_5', 'p99', 'p99_9', 'p99_99', 'p99_999'].sort(),
      );
      expect(summary.max).toBeGreaterThanOrEqual(summary.min);
    }
    p.histogram.resetRunTime();
    expect(p.histogram.runTime.mean).toBeNaN();
  });

  test("'needsDrain' when every Worker is busy, then 'drain'", async () => {
    const p = pool({ filename: fixture('eval.js'), minThreads: 1, maxThreads: 1 });
    const events = [];
    p.on('needsDrain', () => events.push('needsDrain'));
    p.on('drain', () => events.push('drain'));
    const task = p.run('42');
    await new Promise((r) => setImmediate(r));
    expect(p.needsDrain).toBe(true);
    await task;
    await new Promise((r) => setImmediate(r));
    expect(p.needsDrain).toBe(false);
    expect(events[0]).toBe('needsDrain');
    expect(events.at(-1)).toBe('drain');
  });

  test("'message' carries what a task posts on parentPort; 'workerCreate' and 'workerDestroy'", async () => {
    const p = pool({ filename: fixture('eval.js'), minThreads: 1, maxThreads: 1 });
    const created = new Promise((r) => p.once('workerCreate', r));
    const message = new Promise((r) => p.once('message', r));
    await p.run('require("node:worker_threads").parentPort.postMessage({ hi: 1 }); 0');
    expect(await message).toEqual({ hi: 1 });
    expect(typeof (await created).id).toBe('number');
    const destroyed = new Promise((r) => p.once('workerDestroy', r));
    await p.destroy();
    expect(typeof (await destroyed).id).toBe('number');
  });

  test('move(): a moved buffer is transferred (detached here) and arrives whole', async () => {
    const p = pool({ filename: fixture('shared.js'), maxThreads: 1 });
    const view = new Uint8Array(64);
    expect(await p.run(Pool.move(view))).toBe(64);
    expect(view.byteLength).toBe(0);
    const bytes = new Uint8Array(32);
    expect(await p.run({ op: 'length', view: bytes }, { transferList: [bytes.buffer] })).toBe(32);
    expect(bytes.byteLength).toBe(0);
    expect(typeof Pool.transferableSymbol).toBe('symbol');
    expect(typeof Pool.valueSymbol).toBe('symbol');
  });

});

// The same bodies, on WorkerPool only: Piscina 5 never destroys the async resource of a task it
// refuses at once (queue full, signal already aborted) or of a pool it closed, and this suite
// fails on any resource left open.
describe.each([['WorkerPool', WorkerPool]])('%s (queue limits, abort, close)', (_, Pool) => {
  const pool = (options) => {
    const p = new Pool(options);
    pools.push(p);
    return p;
  };

  test('maxQueue: a task beyond running + queued capacity is refused', async () => {
    const p = pool({ filename: fixture('timers.js'), minThreads: 1, maxThreads: 1, maxQueue: 1 });
    const first = p.run({ op: 'sleep', ms: 100 });
    const second = p.run({ op: 'sleep', ms: 0 });
    await expect(p.run({ op: 'sleep', ms: 0 })).rejects.toThrow(/Task queue is at limit/);
    await Promise.all([first, second]);
    const none = pool({ filename: fixture('timers.js'), minThreads: 1, maxThreads: 1, maxQueue: 0 });
    const busy = none.run({ op: 'sleep', ms: 50 });
    await expect(none.run({ op: 'sleep', ms: 0 })).rejects.toThrow(/No task queue available and all Workers are busy/);
    await busy;
  });

  test('an aborted queued task rejects with an AbortError; the pool carries on', async () => {
    const p = pool({ filename: fixture('timers.js'), minThreads: 1, maxThreads: 1 });
    const running = p.run({ op: 'sleep', ms: 50 });
    const ac = new AbortController();
    const queued = p.run({ op: 'sleep', ms: 0 }, { signal: ac.signal });
    ac.abort();
    await expect(queued).rejects.toMatchObject({ name: 'AbortError' });
    await running;
    const already = AbortSignal.abort();
    await expect(p.run({ op: 'sleep' }, { signal: already })).rejects.toMatchObject({ name: 'AbortError' });
  });

  test('close() lets running and queued tasks finish; close({ force: true }) aborts the queued ones', async () => {
    const p = pool({ filename: fixture('timers.js'), minThreads: 1, maxThreads: 1 });
    const a = p.run({ op: 'sleep', ms: 30, tag: 'a' });
    const b = p.run({ op: 'sleep', ms: 0, tag: 'b' });
    await p.close();
    expect((await a).tag).toBe('a');
    expect((await b).tag).toBe('b');
    const q = pool({ filename: fixture('eval.js'), minThreads: 1, maxThreads: 1 });
    const started = new Promise((r) => q.once('message', r));
    const running = q.run('require("node:worker_threads").parentPort.postMessage("started"); new Promise((r) => setTimeout(r, 50, "running"))');
    await started;
    const queued = q.run('"queued"');
    const closed = q.close({ force: true });
    await expect(queued).rejects.toMatchObject({ name: 'AbortError' });
    await closed;
    await expect(running).resolves.toBe('running');
  });
});

describe('where WorkerPool deliberately differs from Piscina 5', () => {
  const pool = (options) => {
    const p = new WorkerPool(options);
    pools.push(p);
    return p;
  };

  test('run() after destroy() or close() rejects with ERR_POOL_DESTROYED (Piscina runs it on a new thread)', async () => {
    const p = pool({ filename: fixture('eval.js'), maxThreads: 1 });
    await p.destroy();
    await expect(p.run('1')).rejects.toMatchObject({ code: 'ERR_POOL_DESTROYED' });
    expect(p.threads).toEqual([]);
    const q = pool({ filename: fixture('eval.js'), maxThreads: 1 });
    const closing = q.close();
    await expect(q.run('1')).rejects.toMatchObject({ code: 'ERR_POOL_DESTROYED' });
    await closing;
  });

  test('errors carry Node-style codes: ERR_QUEUE_FULL, ABORT_ERR, ERR_INVALID_ARG_TYPE, ERR_OUT_OF_RANGE', async () => {
    const p = pool({ filename: fixture('timers.js'), minThreads: 1, maxThreads: 1, maxQueue: 0 });
    const busy = p.run({ op: 'sleep', ms: 30 });
    await expect(p.run({ op: 'sleep' })).rejects.toMatchObject({ code: 'ERR_QUEUE_FULL' });
    await expect(p.run({ op: 'sleep' }, { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'ABORT_ERR', name: 'AbortError' });
    await busy;
    expect(() => new WorkerPool({ maxThreads: 'x' })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => new WorkerPool({ maxThreads: 0 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => new WorkerPool({ minThreads: 1.5 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => new WorkerPool({ minThreads: 3, maxThreads: 2 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  });

  test('tasks start in the order they were given (Piscina 5 interleaves them by default)', async () => {
    const p = pool({ filename: fixture('eval.js'), minThreads: 1, maxThreads: 1 });
    const got = await Promise.all(Array.from({ length: 20 }, (_, i) => p.run(`globalThis.n = (globalThis.n ?? -1) + 1; globalThis.n === ${i}`)));
    expect(got.every(Boolean)).toBe(true);
  });

  test('a task can return WorkerPool.move(value): the result is transferred back', async () => {
    const p = pool({ filename: fixture('shared.js'), maxThreads: 1 });
    const moved = await p.run({ op: 'give-back' });
    expect(Array.from(moved)).toEqual(new Array(16).fill(7));
  });

  test('an error thrown by a Worker after its task settled is a warning when nobody listens for "error" (not a crash)', async () => {
    const p = pool({ filename: fixture('eval.js'), minThreads: 1, maxThreads: 1 });
    let warn;
    const warned = new Promise((resolve) => {
      warn = jest.spyOn(process, 'emitWarning').mockImplementation(resolve);
    });
    await p.run('setTimeout(() => { throw new Error("late") }, 5); 1');
    expect((await warned).message).toBe('late');
    warn.mockRestore();
    // The Worker was replaced: the pool still works.
    expect(await p.run('2')).toBe(2);
  });

  test('utilization is busy time over capacity (Piscina divides it by 1000 once more)', async () => {
    const p = pool({ filename: fixture('timers.js'), minThreads: 1, maxThreads: 1 });
    await p.run({ op: 'sleep', ms: 200 });
    // One thread busy 200 ms of the pool's life so far: a sizeable share, not ~0.0002.
    expect(p.utilization).toBeGreaterThan(0.05);
    expect(p.utilization).toBeLessThanOrEqual(1);
  });
});
