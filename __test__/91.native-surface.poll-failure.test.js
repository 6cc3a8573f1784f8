'use strict';

// The threads that watch children (the ProcessPool's supervisor, the cluster's spawner) sleep
// in poll(2). When poll fails with anything but EINTR (ENOMEM, or EINVAL once another process
// lowers RLIMIT_NOFILE with prlimit) they must neither spin nor stop: they sweep every child
// after a pause (src/sys/poll.rs). The test build of the addon can make every poll fail
// (TEST_NATIVE_PARALLEL_POLL_ERRNO), which is how these tests get there.

const { startNode } = require('./helpers/node');

const EINVAL = 22;
const ENOMEM = 12;

const script = `
  const assert = require('node:assert');
  const path = require('node:path');
  const { ProcessPool, SharedMemory, cluster } = require('.');
  const { runInternal } = require('./lib/internal/testing');
  (async () => {
    const pool = new ProcessPool({ processes: 2 });
    // Persistent workers (views in SharedMemory) and one-shot children (plain memory).
    const shm = new SharedMemory(16 * 16 * 4);
    const out = new Uint32Array(shm.buffer);
    await pool.run('mandelbrot', { width: 16, height: 16, maxIterations: 50, out });
    assert.ok(out.some((v) => v > 0));
    assert.deepStrictEqual(await pool.run('primes', { limit: 1000 }), { count: 168 });
    const counts = new Uint32Array(new SharedMemory(256 * 4).buffer);
    await pool.run('histogram', { data: new Uint8Array([1, 1, 2]), out: counts });
    assert.deepStrictEqual([counts[1], counts[2]], [2, 1]);
    // A worker that dies is reaped, reported and replaced.
    await assert.rejects(runInternal(pool, '__exit', { code: 3 }), { code: 'ERR_WORKER_EXITED', exitCode: 3 });
    assert.deepStrictEqual(await pool.run('primes', { limit: 100 }), { count: 25 });
    await pool.destroy();
    shm.close();
    console.log('pool ok');

    cluster.setupPrimary({ exec: path.join('__test__', 'fixtures', 'cluster', 'worker.js'), execArgv: [], args: [] });
    const worker = cluster.fork();
    worker.on('online', () => worker.send({ cmd: 'exit', code: 7 }));
    const [code] = await new Promise((resolve) => worker.on('exit', (...args) => resolve(args)));
    assert.strictEqual(code, 7);
    await cluster.shutdown();
    console.log('cluster ok');
  })().catch((err) => {
    console.error(err);
    process.exit(1);
  });`;

describe('a poll(2) that keeps failing', () => {
  test.each([
    ['EINVAL', EINVAL],
    ['ENOMEM', ENOMEM],
  ])('with %s: the ProcessPool and the cluster still run, reap and report', async (_name, errno) => {
    const r = await startNode(script, { timeoutMs: 60000, env: { ...process.env, TEST_NATIVE_PARALLEL_POLL_ERRNO: String(errno) } }).done;
    expect(r.stderr).toBe('');
    expect({ code: r.code, signal: r.signal, hung: r.hung }).toEqual({ code: 0, signal: null, hung: false });
    expect(r.stdout.split('\n')).toEqual(['pool ok', 'cluster ok']);
  });
});
