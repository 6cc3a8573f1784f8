'use strict';

const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { Worker } = require('node:worker_threads');
const { ProcessPool, SharedMemory, ThreadPool } = require('..');
const { runInternal } = require('../lib/internal/testing');
const reference = require('../lib/reference');
const { childrenOf, endlessTask, waitForNoChildren, zombiesOf } = require('./helpers/processes');

const fdCount = () => fs.readdirSync('/proc/self/fd').length;
/** Unreaped children of ours (the test runner's own children are not our business). */
const zombies = () => zombiesOf(process.pid, 'np-process');

/** Waits (bounded) until the pool has `n` children again, none of them in `gone`. */
async function replaced(pool, n, gone = []) {
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    const pids = pool.pids;
    if (pids.length === n && !pids.some((p) => gone.includes(p))) return pids;
    await new Promise((r) => setTimeout(r, 5));
  }
  return pool.pids;
}

describe('ProcessPool: a crashing child takes only its task', () => {
  let pool;
  beforeEach(() => {
    pool = new ProcessPool({ processes: 2 });
  });
  afterEach(async () => {
    await pool.destroy();
    expect(await waitForNoChildren()).toEqual([]);
    expect(zombies()).toEqual([]);
  });

  test.each([
    ['a segmentation fault', '__segfault', undefined, { exitCode: null, signal: 'SIGSEGV' }],
    ['abort()', '__abort', undefined, { exitCode: null, signal: 'SIGABRT' }],
    ['an exit with code 3', '__exit', { code: 3 }, { exitCode: 3, signal: null }],
  ])('%s rejects the task with ERR_WORKER_EXITED; the child is replaced', async (_, kernel, input, how) => {
    const before = pool.pids;
    await expect(runInternal(pool, kernel, input)).rejects.toMatchObject({ code: 'ERR_WORKER_EXITED', ...how });
    const after = await replaced(pool, 2);
    expect(after.filter((p) => !before.includes(p))).toHaveLength(1);
    await expect(pool.run('primes', { limit: 1000 })).resolves.toEqual({ count: 168 });
  });

  test('a panic rejects with ERR_NATIVE_PANIC and its message', async () => {
    await expect(runInternal(pool, '__panic')).rejects.toMatchObject({
      code: 'ERR_NATIVE_PANIC',
      message: expect.stringContaining('deliberate panic in a child process'),
    });
    expect(await replaced(pool, 2)).toHaveLength(2);
    await expect(pool.run('noop')).resolves.toBeUndefined();
  });

  test('a child killed from outside mid-task (SIGKILL) rejects that task only', async () => {
    const single = new ProcessPool({ processes: 1 });
    const endless = endlessTask(single, { SharedMemory });
    try {
      const [pid] = single.pids;
      const other = pool.run('primes', { limit: 100_000 });
      // Killed before it took the part, the child would leave the task to its replacement.
      await endless.started();
      process.kill(pid, 'SIGKILL');
      await expect(endless.task).rejects.toMatchObject({ code: 'ERR_WORKER_EXITED', signal: 'SIGKILL', exitCode: null });
      await expect(other).resolves.toEqual({ count: 9592 });
      expect(await replaced(single, 1, [pid])).toHaveLength(1);
      await expect(single.run('primes', { limit: 100 })).resolves.toEqual({ count: 25 });
    } finally {
      await single.destroy();
      endless.shm.close();
    }
  });

  test('when one part of a split task dies, the task rejects once the other part has stopped', async () => {
    const [first, second] = pool.pids;
    // The first child gets the first band (children are handed parts in order).
    const { task, started, shm } = endlessTask(pool, { SharedMemory }, 2);
    await started(0);
    process.kill(first, 'SIGKILL');
    await expect(task).rejects.toMatchObject({ code: 'ERR_WORKER_EXITED', signal: 'SIGKILL' });
    // The survivor stopped its part (cancel flag) and kept running: it is still there.
    const pids = await replaced(pool, 2, [first]);
    expect(pids).toContain(second);
    shm.close();
  });

  test('an idle child killed from outside is replaced', async () => {
    for (let round = 0; round < 20; round++) {
      const [victim] = pool.pids;
      process.kill(victim, 'SIGKILL');
      expect(await replaced(pool, 2, [victim])).not.toContain(victim);
    }
    const results = await Promise.all(Array.from({ length: 10 }, () => pool.run('primes', { limit: 1000 })));
    expect(results.every((r) => r.count === 168)).toBe(true);
    expect(zombies()).toEqual([]);
  });
});

describe('ProcessPool: forking under load', () => {
  /** An exited child is reaped soon after it reported (its task settles on the report). */
  async function reaped() {
    const deadline = Date.now() + 5000;
    while (zombies().length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    return zombies();
  }

  test('1,000 forks in a row while a ThreadPool is busy, V8 collects garbage and Workers run pools of their own', async () => {
    const startFds = fdCount();
    const threads = new ThreadPool({ threads: 2 });
    let busy = true;
    const spinners = [0, 1].map(async () => {
      while (busy) await threads.run('spin', { micros: 1000 });
    });
    // Workers allocate constantly (their GC runs meanwhile) and fork children of their own.
    const workers = [0, 1].map(() => {
      const worker = new Worker(
        `
        const { parentPort, workerData } = require('node:worker_threads');
        const { ProcessPool } = require(workerData.entry);
        const pool = new ProcessPool({ processes: 1 });
        let stop = false, keep = [], rounds = 0;
        parentPort.once('message', () => (stop = true));
        (async () => {
          while (!stop) {
            for (let i = 0; i < 500; i++) keep.push({ i, s: 'x'.repeat(40) });
            if (keep.length > 50000) keep = [];
            const { count } = await pool.run('primes', { limit: 1000 });
            if (count !== 168) throw new Error('wrong count');
            rounds++;
          }
          await pool.destroy();
          parentPort.postMessage(rounds);
        })();`,
        { eval: true, workerData: { entry: path.join(__dirname, '..') } },
      );
      // Listen from the start: a Worker may report and exit before the other one reports.
      const rounds = new Promise((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      });
      const exited = new Promise((resolve) => worker.once('exit', resolve));
      return { worker, rounds, exited };
    });
    const pool = new ProcessPool({ processes: 2 });
    const shm = new SharedMemory(32 * 8);
    try {
      const out = new Uint8Array(shm.buffer);
      // Input outside SharedMemory: every task forks one child per part (2 parts here).
      const data = new Uint8Array(new SharedArrayBuffer(8 * 1024));
      let garbage = [];
      let forks = 0;
      let lingering = [];
      for (let i = 0; forks < 1000; i++) {
        crypto.randomFillSync(data);
        for (let j = 0; j < 200; j++) garbage.push(new Float64Array(16));
        if (garbage.length > 20000) garbage = [];
        await pool.run('sha256', { data, chunkSize: 1024, out });
        forks += 2;
        const want = reference.sha256({ data, chunkSize: 1024, out: new Uint8Array(32 * 8) });
        if (!Buffer.from(out).equals(Buffer.from(want))) throw new Error(`wrong digest in round ${i}`);
        if (i % 100 === 0) {
          // Every exited child is reaped: a zombie seen here was never reaped if it is still
          // here 100 rounds later. (One that lingers a few seconds on a starved machine is not a
          // leak; on two loaded cores that was seen a few times in hundreds of runs, cause not
          // known, so the pids are kept to tell the two apart.)
          const now = await reaped();
          expect(now.filter((pid) => lingering.includes(pid))).toEqual([]);
          lingering = now;
        }
      }
      expect(forks).toBe(1000);
      busy = false;
      await Promise.all(spinners);
      for (const w of workers) w.worker.postMessage('stop');
      const rounds = await Promise.all(workers.map((w) => w.rounds));
      expect(rounds.every((r) => r > 0)).toBe(true);
      expect(await Promise.all(workers.map((w) => w.exited))).toEqual([0, 0]);
    } finally {
      busy = false;
      await Promise.all(workers.map((w) => w.worker.terminate()));
      await pool.destroy();
      await Promise.allSettled(spinners);
      await threads.destroy();
      shm.close();
    }
    expect(await waitForNoChildren()).toEqual([]);
    expect(zombies()).toEqual([]);
    expect(fdCount()).toBe(startFds);
    expect(childrenOf()).toEqual([]);
  });
});
