'use strict';

/** `piscina`: Piscina (when installed) with its own defaults and the same thread count. */

const path = require('node:path');
const { runSplit } = require('../split');

function load() {
  try {
    return require('piscina').Piscina;
  } catch {
    return null;
  }
}

module.exports = {
  name: 'piscina',
  kind: 'threads',
  describe: 'Piscina running the JS reference, parts in SharedArrayBuffers',
  available: () => (load() ? null : 'piscina is not installed (npm install piscina to add it)'),
  async start({ workers }) {
    const Piscina = load();
    const pool = new Piscina({ filename: path.join(__dirname, '..', 'worker-entry.js'), minThreads: workers, maxThreads: workers });
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
  /** The user's task file given to Piscina as it is, with its own defaults and the same threads. */
  async startTask({ workers, file, name }) {
    const Piscina = load();
    const pool = new Piscina({ filename: file, name, minThreads: workers, maxThreads: workers });
    return { workers, run: (input) => pool.run(input), pids: () => [], stop: () => pool.destroy() };
  },
};
