'use strict';

/**
 * `native-cluster`: this package's cluster (workers forked from Rust) running the JS reference,
 * parts sent over its IPC channel (v8 serialization). See process-workers.js.
 */

const path = require('node:path');
const { getCluster } = require('../../cluster');
const { startProcessWorkers } = require('./process-workers');

const WORKER = path.join(__dirname, '..', 'native-cluster-worker.js');

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
};
