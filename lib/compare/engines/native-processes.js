'use strict';

/**
 * `native-processes`: this package's ProcessPool; one task per run, split over fork()ed Rust
 * worker processes. The workloads' arrays live in SharedArrayBuffers, which other processes
 * cannot see, so each run copies its typed-array inputs into SharedMemory and its output back:
 * the honest cost of processes for a caller whose data is not in SharedMemory already. (Leaving
 * the inputs where they are would fork a child per part instead, which costs more in a process
 * this size: see bench/process-pool.js.)
 */

const { specs } = require('../../kernels');
const { ProcessPool } = require('../../process-pool');
const { SharedMemory } = require('../../shared-memory');

/** Copies `input`'s typed arrays into one SharedMemory (grown when too small). */
function stager() {
  let shm = null;
  const stage = (input) => {
    const views = Object.entries(input).filter(([, v]) => ArrayBuffer.isView(v));
    const bytes = views.reduce((sum, [, v]) => sum + Math.ceil(v.byteLength / 8) * 8, 0);
    if (shm === null || shm.byteLength < Math.max(bytes, 8)) {
      shm?.close();
      shm = new SharedMemory(Math.max(bytes, 8));
    }
    const staged = { ...input };
    let at = 0;
    for (const [key, view] of views) {
      const copy = new view.constructor(shm.buffer, at, view.length);
      copy.set(view);
      staged[key] = copy;
      at += Math.ceil(view.byteLength / 8) * 8;
    }
    return staged;
  };
  return { stage, close: () => shm?.close() };
}

module.exports = {
  name: 'native-processes',
  kind: 'processes',
  describe: 'ProcessPool: Rust kernels in fork()ed worker processes, inputs and outputs staged through SharedMemory',
  available() {
    try {
      return ProcessPool.kernels.length > 0 ? null : 'no kernels';
    } catch (err) {
      return err.message;
    }
  },
  async start({ workers }) {
    const pool = new ProcessPool({ processes: workers });
    await pool.run('noop');
    const staging = stager();
    const run = async (kernel, input) => {
      if (input === null || typeof input !== 'object') return pool.run(kernel, input);
      const staged = staging.stage(input);
      const result = await pool.run(kernel, staged);
      // What the kernel wrote (its views not marked 'in') goes back where the caller expects
      // it, and a staged view returned as the result becomes the caller's own.
      const { views } = specs[kernel].prepare(input);
      for (const { name, mode } of views) if (mode !== 'in') input[name].set(staged[name]);
      const returned = views.find(({ name }) => staged[name] === result);
      return returned ? input[returned.name] : result;
    };
    return {
      workers,
      kernels: ProcessPool.kernels,
      run,
      noop: () => pool.run('noop'),
      pids: () => pool.pids,
      stop: async () => {
        await pool.destroy();
        staging.close();
      },
    };
  },
};
