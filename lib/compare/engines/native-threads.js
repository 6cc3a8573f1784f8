'use strict';

/** `native-threads`: this package's ThreadPool; one task per run, split over the pool's threads. */

const { ThreadPool } = require('../../thread-pool');
const { loadNative } = require('../../native');

module.exports = {
  name: 'native-threads',
  kind: 'threads',
  describe: 'ThreadPool: Rust kernels on a native thread pool, in place on shared memory',
  available() {
    try {
      loadNative('ThreadPool');
      return null;
    } catch (err) {
      return err.message;
    }
  },
  async start({ workers }) {
    const pool = new ThreadPool({ threads: workers });
    await pool.run('noop');
    return {
      workers,
      run: (kernel, input) => pool.run(kernel, input),
      noop: () => pool.run('noop'),
      pids: () => [],
      stop: () => pool.destroy(),
    };
  },
};
