'use strict';

// WorkerPool faults and bad input: errors thrown by tasks, Workers that crash or run out of
// memory, aborts of queued and running tasks, tasks that cannot be sent or cannot be found.

const path = require('node:path');
const { execFile } = require('node:child_process');
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

/** A task that tells the main thread (through the pool's 'message' event) that it started. */
const startedThen = (rest) => `require("node:worker_threads").parentPort.postMessage("started"); ${rest}`;

describe('WorkerPool faults', () => {
  test('a task that throws rejects with that error: class, name, message, stack, code and cause kept', async () => {
    const p = pool({ filename: fixture('eval.js'), maxThreads: 1 });
    const err = await p.run('throw Object.assign(new RangeError("bad range"), { code: "E_RANGE", detail: { n: 1 } })').catch((e) => e);
    expect(err).toMatchObject({ name: 'RangeError', message: 'bad range', code: 'E_RANGE', detail: { n: 1 } });
    expect(err.stack).toMatch(/RangeError: bad range\n\s+at /);
    const custom = await p.run('class MyError extends Error { name = "MyError" }; throw new MyError("mine", { cause: "why" })').catch((e) => e);
    expect(custom).toMatchObject({ name: 'MyError', message: 'mine', cause: 'why' });
    const rejected = await p.run('Promise.reject(new TypeError("async bad"))').catch((e) => e);
    expect(rejected).toMatchObject({ name: 'TypeError', message: 'async bad' });
    await expect(p.run('throw 42')).rejects.toBe(42);
    expect(await p.run('"still fine"')).toBe('still fine');
  });

  test('a Worker that exits in a task (process.exit) rejects only its own task and is replaced', async () => {
    const p = pool({ filename: fixture('eval.js'), minThreads: 2, maxThreads: 2, concurrentTasksPerWorker: 1 });
    const slow = Array.from({ length: 4 }, (_, i) => p.run(`new Promise((r) => setTimeout(r, 30, ${i}))`));
    const crash = p.run('process.exit(3)');
    await expect(crash).rejects.toMatchObject({ code: 'ERR_WORKER_EXITED', message: 'worker exited with code: 3' });
    expect(await Promise.all(slow)).toEqual([0, 1, 2, 3]);
    expect(await p.run('"after"')).toBe('after');
    expect(p.threads.length).toBe(2);
  });

  test('a Worker with an uncaught error inside a running task rejects that task with the error', async () => {
    const p = pool({ filename: fixture('eval.js'), maxThreads: 1 });
    const err = await p.run('new Promise(() => setTimeout(() => { throw new SyntaxError("boom") }, 1))').catch((e) => e);
    expect(err).toMatchObject({ name: 'SyntaxError', message: 'boom' });
    expect(await p.run('1')).toBe(1);
  });

  test('resourceLimits exceeded rejects with ERR_WORKER_OUT_OF_MEMORY', async () => {
    const p = pool({ filename: fixture('eval.js'), maxThreads: 1, resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4 } });
    const hog = 'const keep = []; for (;;) keep.push(new Array(1e5).fill({ x: 1 }))';
    await expect(p.run(hog)).rejects.toMatchObject({ code: 'ERR_WORKER_OUT_OF_MEMORY' });
    expect(await p.run('"recovered"')).toBe('recovered');
  });

  test('aborting a running task rejects it at once; its Worker is replaced', async () => {
    const p = pool({ filename: fixture('eval.js'), minThreads: 1, maxThreads: 1 });
    const ac = new AbortController();
    const started = new Promise((r) => p.once('message', r));
    const running = p.run(startedThen('for (;;);'), { signal: ac.signal });
    await started;
    ac.abort('stop');
    await expect(running).rejects.toMatchObject({ name: 'AbortError', code: 'ABORT_ERR', cause: 'stop' });
    expect(await p.run('"next"')).toBe('next');
  });

  test('an EventEmitter-style signal works too', async () => {
    const { EventEmitter } = require('node:events');
    const p = pool({ filename: fixture('timers.js'), minThreads: 1, maxThreads: 1 });
    const running = p.run({ op: 'sleep', ms: 50 });
    const signal = new EventEmitter();
    const queued = p.run({ op: 'sleep' }, { signal });
    signal.emit('abort');
    await expect(queued).rejects.toMatchObject({ name: 'AbortError' });
    await running;
  });

  test('a settled task lets go of its abort listener (AbortSignal and EventEmitter-style)', async () => {
    const { EventEmitter } = require('node:events');
    const { getEventListeners } = require('node:events');
    const p = pool({ filename: fixture('eval.js'), maxThreads: 1 });
    const ac = new AbortController();
    const emitter = new EventEmitter();
    expect(await p.run('1', { signal: ac.signal })).toBe(1);
    await expect(p.run('throw new Error("x")', { signal: emitter })).rejects.toMatchObject({ message: 'x' });
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
    expect(emitter.listenerCount('abort')).toBe(0);
    // Aborting after settlement changes nothing.
    ac.abort();
    emitter.emit('abort');
    expect(await p.run('2')).toBe(2);
  });

  test('an unknown export name and a missing file reject the task', async () => {
    const p = pool({ filename: fixture('multiple.js'), maxThreads: 1 });
    await expect(p.run({}, { name: 'nope' })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_VALUE', message: expect.stringMatching(/No handler function "nope"/) });
    await expect(p.run({}, { filename: fixture('does-not-exist.js') })).rejects.toMatchObject({ code: 'ERR_MODULE_NOT_FOUND' });
    expect(await p.run({}, { name: 'a' })).toBe('a');
  });

  test('a task that cannot be cloned rejects with ERR_INVALID_ARG_VALUE; so does an uncloneable result', async () => {
    const p = pool({ filename: fixture('eval.js'), maxThreads: 1 });
    await expect(p.run({ fn() {} })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
    await expect(p.run('({ f: () => 1 })')).rejects.toMatchObject({ message: expect.stringMatching(/could not be cloned/) });
    expect(await p.run('3')).toBe(3);
  });

  test('bad run() arguments reject with ERR_INVALID_ARG_TYPE / ERR_MISSING_ARGS', async () => {
    const p = pool({ filename: fixture('eval.js'), maxThreads: 1 });
    await expect(p.run('1', null)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    await expect(p.run('1', { transferList: 'x' })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    await expect(p.run('1', { name: 3 })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    await expect(p.run('1', { filename: 3 })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    await expect(p.run('1', { signal: 'x' })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    const bare = pool({ maxThreads: 1 });
    await expect(bare.run('1')).rejects.toMatchObject({ code: 'ERR_MISSING_ARGS' });
    await expect(p.close(null)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    await expect(p.close({ force: 'yes' })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
  });

  test('bad options throw ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE / ERR_INVALID_ARG_VALUE before any thread starts', () => {
    const cases = [
      [null, 'ERR_INVALID_ARG_TYPE'],
      [{ filename: 12 }, 'ERR_INVALID_ARG_TYPE'],
      [{ name: 12 }, 'ERR_INVALID_ARG_TYPE'],
      [{ minThreads: -1 }, 'ERR_OUT_OF_RANGE'],
      [{ maxThreads: 'x' }, 'ERR_INVALID_ARG_TYPE'],
      [{ idleTimeout: -1 }, 'ERR_OUT_OF_RANGE'],
      [{ maxQueue: 'lots' }, 'ERR_INVALID_ARG_TYPE'],
      [{ maxQueue: -1 }, 'ERR_OUT_OF_RANGE'],
      [{ concurrentTasksPerWorker: 0 }, 'ERR_OUT_OF_RANGE'],
      [{ atomics: 'maybe' }, 'ERR_INVALID_ARG_VALUE'],
      [{ resourceLimits: 0 }, 'ERR_INVALID_ARG_TYPE'],
      [{ argv: 'a' }, 'ERR_INVALID_ARG_TYPE'],
      [{ execArgv: 'a' }, 'ERR_INVALID_ARG_TYPE'],
      [{ env: 1 }, 'ERR_INVALID_ARG_TYPE'],
      [{ closeTimeout: -5 }, 'ERR_OUT_OF_RANGE'],
      [{ recordTiming: 1 }, 'ERR_INVALID_ARG_TYPE'],
    ];
    for (const [options, code] of cases) {
      expect(() => new WorkerPool(options)).toThrow(expect.objectContaining({ code }));
    }
  });

  test('a pool made where the addon cannot load throws ERR_UNSUPPORTED_PLATFORM and leaves no Worker behind', async () => {
    // The minThreads Workers start before the addon loads: they must be stopped, or this
    // process would stay alive, its Workers waiting for a pool that never came.
    const root = path.join(__dirname, '..');
    const script = `
      require(${JSON.stringify(path.join(root, 'lib', 'native.js'))}).useBinary('/nonexistent/native-parallel.node');
      const { WorkerPool } = require(${JSON.stringify(root)});
      try {
        new WorkerPool({ filename: ${JSON.stringify(fixture('noop.js'))}, minThreads: 2, maxThreads: 2 });
        console.log('made');
      } catch (err) {
        console.log(err.code);
      }`;
    const { code, stdout } = await new Promise((resolve) => {
      execFile(process.execPath, ['-e', script], { timeout: 30000 }, (err, out) => resolve({ code: err ? (err.code ?? err.signal) : 0, stdout: out }));
    });
    expect(stdout.trim()).toBe('ERR_UNSUPPORTED_PLATFORM');
    expect(code).toBe(0);
  });
});

describe('WorkerPool memory hand-off', () => {
  test('a SharedArrayBuffer is shared by reference, never copied', async () => {
    const p = pool({ filename: fixture('shared.js'), maxThreads: 2 });
    const view = new Int32Array(new SharedArrayBuffer(16));
    await Promise.all([0, 1, 2, 3].map((i) => p.run({ op: 'write', view, index: i, value: i + 10 })));
    expect(Array.from(view)).toEqual([10, 11, 12, 13]);
    const { sab } = await p.run({ op: 'sab' });
    expect(new Int32Array(sab)[0]).toBe(42);
  });

  test('a SharedMemory view is shared by reference, and stays pinned (open) while the task runs', async () => {
    const { SharedMemory } = require('..');
    const shm = new SharedMemory(4096);
    const p = pool({ filename: fixture('shared.js'), maxThreads: 2 });
    const view = new Float64Array(shm.buffer, 64, 8);
    await Promise.all([0, 1, 2].map((i) => p.run({ op: 'write', view, index: i, value: i + 0.5 })));
    expect(Array.from(view.subarray(0, 3))).toEqual([0.5, 1.5, 2.5]);
    shm.close();
  });

  test('transferList moves an ArrayBuffer: detached here, whole there', async () => {
    const p = pool({ filename: fixture('shared.js'), maxThreads: 1 });
    const bytes = new Uint8Array(1024).fill(1);
    expect(await p.run({ op: 'length', view: bytes }, { transferList: [bytes.buffer] })).toBe(1024);
    expect(bytes.byteLength).toBe(0);
    await expect(p.run({ op: 'length', view: new Uint8Array(4) }, { transferList: [{}] })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
  });
});
