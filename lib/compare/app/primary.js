'use strict';

/**
 * The generated primary of `compare --app`:
 *   node primary.js node|reuseport|shared <workers> <server file>
 * forks <workers> workers of the user's server file, unchanged, with node:cluster (`node`) or
 * this package's cluster with that `balance` (the worker's own listen() goes through the
 * drop-in). Reports on fd 3, one JSON line each: `{ ready: true }` once every worker listens,
 * `{ exit, signal }` when a worker dies before that. The workers inherit PORT (or the chosen
 * variable) from this process's environment.
 */

const fs = require('node:fs');

const [mode, workersArg, file] = process.argv.slice(2);
const workers = Number(workersArg);
const cluster = mode === 'node' ? require('node:cluster') : require('../../cluster').getCluster();

const report = (message) => {
  try {
    fs.writeSync(3, `${JSON.stringify(message)}\n`);
  } catch {
    // the runner is gone
  }
};

cluster.setupPrimary({ exec: file, args: [], ...(mode === 'node' ? {} : { balance: mode }) });
const listening = new Set();
cluster.on('listening', (worker) => {
  listening.add(worker.id);
  if (listening.size === workers) report({ ready: true });
});
cluster.on('exit', (worker, code, signal) => {
  if (listening.size < workers) report({ exit: code, signal });
});
for (let i = 0; i < workers; i++) cluster.fork();
