'use strict';

/** `worker_threads`: a pool of Node Workers running the JS reference on shared memory. */

const path = require('node:path');
const { WorkerPool } = require('../worker-pool');
const { runSplit } = require('../split');

module.exports = {
  name: 'worker_threads',
  kind: 'threads',
  describe: 'a pool of Node Workers running the JS reference, parts in SharedArrayBuffers',
  available: () => null,
  async start({ workers }) {
    const pool = new WorkerPool(workers);
    await pool.ready();
    const runPart = (kernel, input, part) => pool.run(kernel, input, part);
    return {
      workers,
      run: (kernel, input) => runSplit(kernel, input, workers, runPart),
      noop: () => pool.run('noop', null, null),
      pids: () => [],
      stop: () => pool.destroy(),
    };
  },
  /** The user's task: one task per message to the next idle Worker (task/thread-entry.js). */
  async startTask({ workers, file, name }) {
    const pool = new WorkerPool(workers, { filename: path.join(__dirname, '..', 'task', 'thread-entry.js'), workerData: { file, name } });
    return { workers, run: (input) => pool.call({ input }), pids: () => [], stop: () => pool.destroy() };
  },
};
