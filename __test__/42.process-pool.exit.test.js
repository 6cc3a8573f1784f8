'use strict';

const path = require('node:path');
const { runNode, startNode } = require('./helpers/node');
const { waitForGone } = require('./helpers/processes');

const root = path.join(__dirname, '..');

/** The worker pids a script printed as its first line (`pids: 1,2`). */
const printedPids = (stdout) =>
  (/^pids: ([\d,]+)/m.exec(stdout)?.[1] ?? '')
    .split(',')
    .filter(Boolean)
    .map(Number);

describe('process exit with a ProcessPool or SharedMemory', () => {
  test('an idle pool does not keep the process alive, and its workers go with it', async () => {
    const r = await runNode(`
      const { ProcessPool } = require('.');
      const pool = new ProcessPool({ processes: 2 });
      console.log('pids: ' + pool.pids.join(','));`);
    expect(r.code).toBe(0);
    const pids = printedPids(r.stdout);
    expect(pids).toHaveLength(2);
    expect(await waitForGone(pids, 'np-process')).toEqual([]);
  });

  test('a pool that ran tasks and was never destroyed lets the process exit', async () => {
    const r = await runNode(`
      const { ProcessPool, SharedMemory } = require('.');
      const pool = new ProcessPool({ processes: 2 });
      console.log('pids: ' + pool.pids.join(','));
      const shm = new SharedMemory(64 * 64 * 4);
      pool.run('mandelbrot', { width: 64, height: 64, maxIterations: 100, out: new Uint32Array(shm.buffer) })
        .then(() => pool.run('primes', { limit: 100 }))
        .then((r) => console.log(r.count));`);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout.split('\n').pop()).toBe('25');
    expect(await waitForGone(printedPids(r.stdout), 'np-process')).toEqual([]);
  });

  test('a pending task keeps the process alive until it settles', async () => {
    const r = await runNode(`
      const { ProcessPool } = require('.');
      const pool = new ProcessPool({ processes: 1 });
      pool.run('spin', { micros: 200000 }).then(() => console.log('spun'));`);
    expect(r).toMatchObject({ code: 0, stdout: 'spun' });
  });

  test('process.exit while workers run kills them (no orphans)', async () => {
    const r = await runNode(`
      const { ProcessPool } = require('.');
      const pool = new ProcessPool({ processes: 2 });
      console.log('pids: ' + pool.pids.join(','));
      pool.run('spin', { micros: 60000000 });
      pool.run('spin', { micros: 60000000 });
      setTimeout(() => process.exit(7), 50);`);
    expect(r.code).toBe(7);
    expect(await waitForGone(printedPids(r.stdout), 'np-process')).toEqual([]);
  });

  test('a killed parent takes its workers with it', async () => {
    let seen = () => {};
    const firstLine = new Promise((resolve) => {
      seen = resolve;
    });
    const { child, done } = startNode(`const { ProcessPool } = require('.'); const pool = new ProcessPool({ processes: 2 }); console.log('pids: ' + pool.pids.join(',')); pool.run('spin', { micros: 60000000 });`, {
      onLine: (text) => seen(text),
    });
    const line = await firstLine;
    child.kill('SIGKILL');
    await done;
    const pids = printedPids(line);
    expect(pids).toHaveLength(2);
    expect(await waitForGone(pids, 'np-process')).toEqual([]);
  });

  test('a panic in a worker prints nothing and the process exits 0', async () => {
    const r = await runNode(`
      const { ProcessPool } = require('.');
      const { runInternal } = require('./lib/internal/testing');
      const pool = new ProcessPool({ processes: 1 });
      runInternal(pool, '__panic').catch((e) => console.log(e.code));`);
    expect(r).toMatchObject({ code: 0, stdout: 'ERR_NATIVE_PANIC', stderr: '' });
  });

  test('a Worker terminated mid-task takes its workers with it; the process lives on', async () => {
    const r = await runNode(`
      const { Worker } = require('node:worker_threads');
      const { ProcessPool } = require('.');
      const w = new Worker(\`
        const { parentPort } = require('node:worker_threads');
        const { ProcessPool } = require(${JSON.stringify(root)});
        const pool = new ProcessPool({ processes: 2 });
        pool.run('spin', { micros: 60000000 });
        parentPort.postMessage(pool.pids);\`, { eval: true });
      w.once('message', async (pids) => {
        console.log('pids: ' + pids.join(','));
        await w.terminate();
        const pool = new ProcessPool({ processes: 1 });
        const { count } = await pool.run('primes', { limit: 100 });
        await pool.destroy();
        console.log(count);
      });`);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout.split('\n').pop()).toBe('25');
    expect(await waitForGone(printedPids(r.stdout), 'np-process')).toEqual([]);
  });

  test('SharedMemory never closed does not keep the process alive; a pending waitAsync does until it settles', async () => {
    const r = await runNode(`
      const { SharedMemory } = require('.');
      const shm = new SharedMemory(64);
      new Int32Array(shm.buffer)[0] = 1;
      shm.waitAsync(0, 1, 150).then((v) => console.log(v));`);
    expect(r).toMatchObject({ code: 0, stdout: 'timed-out', stderr: '' });
    const idle = await runNode(`const { SharedMemory } = require('.'); const shm = new SharedMemory(1 << 20); console.log(shm.byteLength);`);
    expect(idle).toMatchObject({ code: 0, stdout: String(1 << 20) });
  });

  test('a process that closes SharedMemory with a pending waitAsync exits', async () => {
    const r = await runNode(`
      const { SharedMemory } = require('.');
      const shm = new SharedMemory(64);
      shm.waitAsync(0, 0).catch((e) => console.log(e.code));
      setTimeout(() => shm.close(), 20);`);
    expect(r).toMatchObject({ code: 0, stdout: 'ERR_INVALID_STATE' });
  });
});
