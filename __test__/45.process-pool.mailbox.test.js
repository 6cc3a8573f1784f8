'use strict';

// Parts and results travel through each child's mailbox (shared memory and futexes, see
// src/process_pool/mailbox.rs): what happens when a child dies at the wrong moment or writes
// garbage there, and when many tasks in flight are aborted while a child is killed.

const { ProcessPool } = require('..');
const { runInternal } = require('../lib/internal/testing');
const { waitForNoChildren, zombiesOf } = require('./helpers/processes');

const zombies = () => zombiesOf(process.pid, 'np-process');

/** Waits (bounded) until the pool has 2 children again, exactly one of them not in `before`. */
async function oneReplaced(pool, before) {
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    const pids = pool.pids;
    if (pids.length === 2 && pids.filter((p) => !before.includes(p)).length === 1) return true;
    await new Promise((r) => setTimeout(r, 5));
  }
  return false;
}

describe('ProcessPool: the mailboxes', () => {
  let pool;
  beforeEach(() => {
    pool = new ProcessPool({ processes: 2 });
  });
  afterEach(async () => {
    await pool.destroy();
    expect(await waitForNoChildren()).toEqual([]);
    expect(zombies()).toEqual([]);
  });

  test('a result written by a child that died before ringing the doorbell still counts', async () => {
    for (let round = 0; round < 5; round++) {
      const before = pool.pids;
      // The child writes its result, then exits with code 0 without ringing: only its exit
      // tells the parent to look. Without the look, the task would fail as ERR_WORKER_EXITED.
      await expect(runInternal(pool, '__report_exit', { code: 7 })).resolves.toBeUndefined();
      expect(await oneReplaced(pool, before)).toBe(true);
    }
    await expect(pool.run('primes', { limit: 1000 })).resolves.toEqual({ count: 168 });
  });

  test('garbage in a mailbox is ignored: the task fails as its child exited, the pool goes on', async () => {
    for (let round = 0; round < 3; round++) {
      const before = pool.pids;
      // A length past the record, bytes that are no message, an empty record and a result for
      // another part, each rung; then the child exits with code 3.
      await expect(runInternal(pool, '__garbage', { code: 3 })).rejects.toMatchObject({
        code: 'ERR_WORKER_EXITED',
        exitCode: 3,
        signal: null,
      });
      expect(await oneReplaced(pool, before)).toBe(true);
    }
    const results = await Promise.all(Array.from({ length: 20 }, () => pool.run('primes', { limit: 1000 })));
    expect(results.every((r) => r.count === 168)).toBe(true);
  });

  test('tasks in flight are aborted and a child is killed mid-burst: each task is reported once, rightly', async () => {
    const before = pool.pids;
    const aborted = new Set();
    const tasks = Array.from({ length: 3000 }, (_, i) => {
      const ac = new AbortController();
      const task = pool.run('primes', { limit: 2000 }, { signal: ac.signal });
      if (i % 3 === 0) {
        aborted.add(i);
        // Aborted once handed out: some queued, some posted in a mailbox, some running, some done.
        setImmediate(() => ac.abort());
      }
      return task;
    });
    await tasks[301];
    process.kill(before[0], 'SIGKILL');
    const outcomes = await Promise.allSettled(tasks);
    let exited = 0;
    outcomes.forEach((o, i) => {
      if (o.status === 'fulfilled') {
        expect(o.value).toEqual({ count: 303 });
      } else if (o.reason.code === 'ERR_WORKER_EXITED') {
        // Only the part the killed child had started fails its task.
        expect(o.reason.signal).toBe('SIGKILL');
        exited++;
      } else {
        expect(aborted.has(i)).toBe(true);
        expect(o.reason).toMatchObject({ name: 'AbortError' });
      }
    });
    expect(exited).toBeLessThanOrEqual(1);
    expect(await oneReplaced(pool, before)).toBe(true);
    expect(pool.pids).not.toContain(before[0]);
    await expect(pool.run('primes', { limit: 100 })).resolves.toEqual({ count: 25 });
  });
});
