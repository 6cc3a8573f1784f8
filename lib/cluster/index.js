'use strict';

/**
 * `cluster`: in the primary a `Primary` (fork, supervise, reload, shutdown); in a process the
 * native cluster started, the worker-side object (`cluster.worker`, `cluster.listen`).
 * @module native-parallel/lib/cluster
 */

const { setupWorker, isWorkerProcess } = require('./worker');

let cluster;

/** The process's `cluster` object (created on first use). */
function getCluster() {
  if (cluster === undefined) {
    cluster = isWorkerProcess() ? setupWorker() : new (require('./primary').Primary)();
  }
  return cluster;
}

module.exports = { getCluster };
