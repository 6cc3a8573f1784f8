'use strict';

/**
 * Restart policy: a worker that crashed (the primary did not ask it to leave) is forked again
 * after `backoffMs`, doubling with each restart of the same slot within `windowMs` (at most
 * 30 s); past `maxRestarts` within `windowMs` the cluster reports ERR_RESTART_LIMIT and stops.
 * @module native-parallel/lib/cluster/restart
 */

const errors = require('../errors');

/** Backoff between restarts grows by doubling up to this. */
const MAX_BACKOFF_MS = 30000;

class Restarts {
  /** @type {Set<NodeJS.Timeout>} */
  #timers = new Set();

  /** Restarts not yet due. */
  get pending() {
    return this.#timers.size;
  }

  /**
   * Schedules the restart of `worker`'s slot under `policy`.
   * @param {{ maxRestarts: number, windowMs: number, backoffMs: number } | false | undefined} policy
   * @param {import('./primary-worker').Worker} worker the worker that crashed
   * @param {{ restarts: number[] }} slot what its replacement inherits (restart times included)
   * @param {(error: Error) => void} onLimit called instead when the limit is reached
   * @param {() => void} restart forks the replacement when the backoff is over
   */
  schedule(policy, worker, slot, onLimit, restart) {
    if (!policy) return;
    const now = Date.now();
    slot.restarts = slot.restarts.filter((t) => now - t < policy.windowMs);
    if (slot.restarts.length >= policy.maxRestarts) {
      onLimit(errors.restartLimit(worker, slot.restarts.length, policy.windowMs));
      return;
    }
    const delay = Math.min(policy.backoffMs * 2 ** slot.restarts.length, Math.max(MAX_BACKOFF_MS, policy.backoffMs));
    slot.restarts.push(now);
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      restart();
    }, delay);
    this.#timers.add(timer);
  }

  /** Cancels every pending restart. */
  cancel() {
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
  }
}

module.exports = { Restarts, MAX_BACKOFF_MS };
