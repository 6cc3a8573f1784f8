'use strict';

/** `js`: the reference kernel on the main thread, the baseline every speedup is measured against. */

const reference = require('../../reference');
const { loadTask } = require('../task/load');

module.exports = {
  name: 'js',
  kind: 'main thread',
  describe: 'the JS reference on the main thread',
  available: () => null,
  async start() {
    return {
      workers: 1,
      run: (kernel, input) => reference[kernel](input),
      noop: () => undefined,
      pids: () => [],
      stop: async () => {},
    };
  },
  /** The user's task on the main thread (the task runner awaits one task at a time). */
  async startTask({ file, name }) {
    const { fn } = await loadTask(file, name);
    return { workers: 1, run: (input) => fn(input), pids: () => [], stop: async () => {} };
  },
};
