'use strict';

/**
 * `cluster`: node:cluster worker processes running the JS reference, parts sent by IPC with
 * `serialization: 'advanced'` (binary typed arrays, not JSON). See process-workers.js.
 */

const cluster = require('node:cluster');
const path = require('node:path');
const { startProcessWorkers } = require('./process-workers');

const WORKER = path.join(__dirname, '..', 'cluster-worker.js');

module.exports = {
  name: 'cluster',
  kind: 'processes',
  describe: 'node:cluster processes running the JS reference; inputs and outputs copied by IPC',
  available: () => (cluster.isPrimary ? null : 'only from a primary process'),
  async start({ workers }) {
    cluster.setupPrimary({ exec: WORKER, serialization: 'advanced', silent: false });
    return startProcessWorkers(workers, () => cluster.fork());
  },
};
