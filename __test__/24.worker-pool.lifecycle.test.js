'use strict';

// WorkerPool lifecycle: idle Workers above minThreads retire after idleTimeout, an idle pool
// never keeps the process alive, destroy() leaves no Worker, close() waits or times out.

const path = require('node:path');
const { WorkerPool } = require('..');
const { runNode } = require('./helpers/node');

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

const once = (emitter, event) => new Promise((resolve) => emitter.once(event, resolve));

describe('WorkerPool lifecycle', () => {
  test('Workers above minThreads retire after idleTimeout; minThreads stay', async () => {
    const p = pool({ filename: fixture('timers.js'), minThreads: 1, maxThreads: 3, idleTimeout: 100 });
    let destroyed = 0;
    const twoRetired = new Promise((resolve) => p.on('workerDestroy', () => ++destroyed === 2 && resolve()));
    const tasks = Array.from({ length: 6 }, () => p.run({ op: 'sleep', ms: 30 }));
    expect(p.threads.length).toBe(3);
    await Promise.all(tasks);
    await twoRetired;
    expect(p.threads.length).toBe(1);
    expect(await p.run({ op: 'sleep', ms: 0, tag: 'still' })).toMatchObject({ tag: 'still' });
  });

  test('destroy() rejects unfinished tasks with ERR_POOL_DESTROYED and leaves no Worker', async () => {
    const p = pool({ filename: fixture('timers.js'), minThreads: 2, maxThreads: 2 });
    const exits = p.threads.map((w) => once(w, 'exit'));
    const tasks = Array.from({ length: 5 }, () => p.run({ op: 'sleep', ms: 1000 }).catch((e) => e));
    await p.destroy();
    for (const t of tasks) expect(await t).toMatchObject({ code: 'ERR_POOL_DESTROYED' });
    await Promise.all(exits);
    expect(p.threads).toEqual([]);
    expect(p.queueSize).toBe(0);
    await p.destroy(); // twice is fine
  });

  test('close() past closeTimeout reports ERR_CLOSE_TIMEOUT on "error" and then destroys', async () => {
    const p = pool({ filename: fixture('timers.js'), minThreads: 1, maxThreads: 1, closeTimeout: 50 });
    const errored = once(p, 'error');
    const closed = once(p, 'close');
    const task = p.run({ op: 'sleep', ms: 5000 }).catch((e) => e);
    await p.close();
    expect(await errored).toMatchObject({ code: 'ERR_CLOSE_TIMEOUT' });
    await closed;
    expect(await task).toMatchObject({ code: 'ERR_POOL_DESTROYED' });
  });

  test('an idle pool never keeps the process alive, and a busy one finishes its work first', async () => {
    const root = JSON.stringify(path.join(__dirname, '..'));
    const file = JSON.stringify(fixture('eval.js'));
    const idle = await runNode(`
      const { WorkerPool } = require(${root});
      const pool = new WorkerPool({ filename: ${file}, minThreads: 2, maxThreads: 2 });
      pool.run('1 + 1').then((v) => console.log('result', v));`);
    expect(idle).toMatchObject({ code: 0, stdout: 'result 2' });
    const untouched = await runNode(`
      const { WorkerPool } = require(${root});
      new WorkerPool({ filename: ${file}, minThreads: 2, maxThreads: 4 });
      console.log('made');`);
    expect(untouched).toMatchObject({ code: 0, stdout: 'made' });
  });
});
