'use strict';

// A forked worker must not pin the parent's memory (docs/fork.md, "the release scan").
const reference = require('../lib/reference');

describe('ProcessPool workers and the parent memory', () => {
  const fs = require('node:fs');
  const { ProcessPool, SharedMemory } = require('..');
  const { runInternal } = require('../lib/internal/testing');
  const rssKb = (pid) => Number(/^Rss:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))[1]);

  test("a worker does not keep the parent's large allocations (it would pin them once the parent frees them)", async () => {
    const shm = new SharedMemory(64 * 48 * 4);
    const out = new Uint32Array(shm.buffer);
    const input = { width: 64, height: 48, maxIterations: 50, out };
    // The same pool made before and after the parent allocates 64 MiB (more than glibc's
    // largest mmap threshold: an allocation with a mapping of its own), filled so it is
    // resident: the worker's resident set must not grow with it.
    const before = new ProcessPool({ processes: 1 });
    let pool;
    try {
      await before.run('mandelbrot', input);
      const baseline = rssKb(before.pids[0]);
      const parentBefore = rssKb(process.pid);
      let big = Buffer.alloc(64 << 20, 7);
      expect(rssKb(process.pid) - parentBefore).toBeGreaterThan(60 << 10);
      pool = new ProcessPool({ processes: 2 });
      await pool.run('mandelbrot', input);
      expect(Array.from(out)).toEqual(Array.from(reference.mandelbrot({ ...input, out: new Uint32Array(out.length) })));
      for (const pid of pool.pids) expect(rssKb(pid) - baseline).toBeLessThan(16 << 10);
      // The parent's copy is untouched, and the workers still report panics as panics (the
      // panic hook lives in memory they kept).
      expect(big[big.length - 1]).toBe(7);
      big = null;
      await expect(runInternal(pool, '__panic')).rejects.toMatchObject({ code: 'ERR_NATIVE_PANIC' });
      await pool.run('mandelbrot', input);
    } finally {
      await Promise.all([before.destroy(), pool?.destroy()]);
      shm.close();
    }
  });
});
