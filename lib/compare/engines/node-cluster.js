'use strict';

/**
 * `cluster`: node:cluster worker processes running the JS reference, parts sent by IPC with
 * `serialization: 'advanced'` (binary typed arrays, not JSON). See process-workers.js.
 */

const cluster = require('node:cluster');
const path = require('node:path');
const { startProcessWorkers, startTaskProcesses } = require('./process-workers');

const WORKER = path.join(__dirname, '..', 'cluster-worker.js');
const TASK_WORKER = path.join(__dirname, '..', 'task', 'process-entry.js');

module.exports = {
  name: 'cluster',
  kind: 'processes',
  describe: 'node:cluster processes running the JS reference; inputs and outputs copied by IPC',
  available: () => (cluster.isPrimary ? null : 'only from a primary process'),
  async start({ workers }) {
    cluster.setupPrimary({ exec: WORKER, serialization: 'advanced', silent: false });
    return startProcessWorkers(workers, () => cluster.fork());
  },
  /** The user's task: one task per IPC message to the next idle worker process. */
  async startTask({ workers, file, name }) {
    cluster.setupPrimary({ exec: TASK_WORKER, args: [file, name], serialization: 'advanced', silent: false });
    return startTaskProcesses(workers, () => cluster.fork());
  },
};
