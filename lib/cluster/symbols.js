'use strict';

/**
 * The symbols the cluster's modules share, in one place.
 * @module native-parallel/lib/cluster/symbols
 */

module.exports = {
  /**
   * A primary-side object's internal state: the Worker's record (channel, control fd, slot,
   * listening keys, exit progress) or the Primary's (native handle, socket handles, restarts).
   */
  kState: Symbol('native-parallel.cluster.state'),
  /** The worker side's state on `globalThis`, shared by every copy of the package in a worker. */
  kWorkerState: Symbol.for('native-parallel.cluster.worker'),
};
