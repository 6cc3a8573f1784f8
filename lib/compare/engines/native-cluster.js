'use strict';

/**
 * `native-cluster`: this package's cluster (workers forked from Rust) running the JS reference,
 * parts sent over its IPC channel (v8 serialization). See process-workers.js.
 */

const path = require('node:path');
const { getCluster } = require('../../cluster');
const { startProcessWorkers, startTaskProcesses } = require('./process-workers');

const WORKER = path.join(__dirname, '..', 'native-cluster-worker.js');
const TASK_WORKER = path.join(__dirname, '..', 'task', 'process-entry.js');

module.exports = {
  name: 'native-cluster',
  kind: 'processes',
  describe: 'native cluster processes running the JS reference; inputs and outputs copied by IPC',
  available() {
    try {
      return getCluster().isPrimary ? null : 'only from a primary process';
    } catch (err) {
      return err.message;
    }
  },
  async start({ workers }) {
    const cluster = getCluster();
    cluster.setupPrimary({ exec: WORKER, serialization: 'advanced' });
    return startProcessWorkers(workers, () => cluster.fork());
  },
  /** The user's task: one task per IPC message (this cluster's channel) to the next idle worker. */
  async startTask({ workers, file, name }) {
    const cluster = getCluster();
    cluster.setupPrimary({ exec: TASK_WORKER, args: [file, name], serialization: 'advanced' });
    return startTaskProcesses(workers, () => cluster.fork());
  },
};
