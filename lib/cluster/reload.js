'use strict';

/**
 * Rolling reload: each worker in turn is replaced by a new one, which must be listening on
 * every address the old one listened on (or be online, for a worker with no server) before the
 * old one is disconnected; then the old one is given `shutdownTimeoutMs` to drain and exit.
 * @module native-parallel/lib/cluster/reload
 */

const os = require('node:os');
const errors = require('../errors');
const { kState } = require('./symbols');

/**
 * @typedef {object} ReloadOps what reload needs of the primary
 * @property {() => boolean} shuttingDown
 * @property {(slot: object, replaces: any) => any} fork forks a replacement for a slot
 * @property {(worker: any) => void} disconnect primary-initiated disconnect
 * @property {(worker: any, signo: number) => boolean} signal
 * @property {() => number} shutdownTimeoutMs
 */

/**
 * Replaces every connected worker of `workers`, one at a time.
 * @param {any[]} workers
 * @param {ReloadOps} ops
 */
async function reloadWorkers(workers, ops) {
  const olds = workers.filter((w) => w.isConnected() && !w.exitedAfterDisconnect);
  for (const old of olds) {
    if (ops.shuttingDown()) throw errors.invalidState('The cluster is shutting down');
    if (!old.isConnected() || old.exitedAfterDisconnect) continue;
    const next = ops.fork(old[kState].slot, old);
    await ready(next, old, ops);
    next[kState].replaces = null;
    ops.disconnect(old);
    await exited(old, ops);
  }
}

/** Resolves once `next` listens on everything `old` listened on (or is online). */
function ready(next, old, ops) {
  const keys = [...old[kState].keys];
  return new Promise((resolve, reject) => {
    const check = () => {
      const ok = keys.length === 0 ? next.state !== 'none' : keys.every((k) => next[kState].keys.has(k));
      if (!ok) return;
      cleanup();
      resolve();
    };
    const fail = () => {
      cleanup();
      const error = errors.workerExited(`Worker ${next.id} (pid ${next.pid}) exited or disconnected before it was ready; worker ${old.id} keeps running`);
      if (next[kState].done) {
        reject(error);
        return;
      }
      // Settle once it is gone, so `cluster.workers` no longer lists it.
      next.once('exit', () => reject(error));
      ops.signal(next, os.constants.signals.SIGKILL);
    };
    const cleanup = () => {
      next.off('online', check);
      next.off('listening', check);
      next.off('disconnect', fail);
      next.off('exit', fail);
    };
    next.on('online', check);
    next.on('listening', check);
    next.on('disconnect', fail);
    next.on('exit', fail);
  });
}

/** Resolves when `worker` has exited; SIGKILLs it after `shutdownTimeoutMs`. */
function exited(worker, ops) {
  if (worker[kState].done) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => ops.signal(worker, os.constants.signals.SIGKILL), ops.shutdownTimeoutMs());
    worker.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

module.exports = { reloadWorkers };
