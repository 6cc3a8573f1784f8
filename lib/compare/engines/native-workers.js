'use strict';

/**
 * `native-workers`: WorkerPool (the user's JavaScript on worker_threads, scheduled natively)
 * running the JS reference, with the same thread count and the same task file as Piscina.
 */

const path = require('node:path');
const { runSplit } = require('../split');

module.exports = {
  name: 'native-workers',
  kind: 'threads',
  describe: 'WorkerPool running the JS reference (native queue and hand-off), parts in SharedArrayBuffers',
  available: () => {
    try {
      require('../../native').loadNative('WorkerPool');
      return null;
    } catch (err) {
      return err.message;
    }
  },
  async start({ workers }) {
    const { WorkerPool } = require('../../worker-pool');
    const pool = new WorkerPool({ filename: path.join(__dirname, '..', 'worker-entry.js'), minThreads: workers, maxThreads: workers });
    const runPart = (kernel, input, part) => pool.run({ kernel, input, part });
    await Promise.all(Array.from({ length: workers }, () => runPart('noop', null, null)));
    return {
      workers,
      run: (kernel, input) => runSplit(kernel, input, workers, runPart),
      noop: () => runPart('noop', null, null),
      pids: () => [],
      stop: () => pool.destroy(),
    };
  },
  /** The user's task file given to WorkerPool as it is (it takes Piscina's task files), same threads. */
  async startTask({ workers, file, name }) {
    const { WorkerPool } = require('../../worker-pool');
    const pool = new WorkerPool({ filename: file, name, minThreads: workers, maxThreads: workers });
    return { workers, run: (input) => pool.run(input), pids: () => [], stop: () => pool.destroy() };
  },
};
