'use strict';

/** `worker_threads`: a pool of Node Workers running the JS reference on shared memory. */

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
};
