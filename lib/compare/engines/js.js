'use strict';

/** `js`: the reference kernel on the main thread, the baseline every speedup is measured against. */

const reference = require('../../reference');

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
};
