'use strict';

/**
 * The Workers of one WorkerPool, seen from the owner: starts them (at least minThreads, at most
 * maxThreads, as the pending tasks need), replaces one that fails, retires idle ones after
 * idleTimeout, and stops them. The pool (the host) keeps the tasks: this file asks it how many
 * are pending and has it settle the ones a Worker took with it.
 * @module native-parallel/lib/worker-pool/workers
 */

const errors = require('../errors');
const { PoolWorker } = require('./pool-worker');

/**
 * What the Workers need from their pool.
 * @typedef {object} Host
 * @property {() => boolean} stopping true once close() or destroy() was called
 * @property {() => boolean} destroying true once the pool is being destroyed
 * @property {() => number} pendingSize tasks submitted and not settled
 * @property {(id: number, err: Error | null) => void} fail settles task `id` with `err`
 * @property {(err: Error) => void} failQueued rejects every queued task with `err`
 * @property {(err: Error) => void} report an error with no task to reject
 * @property {(event: string, info: object) => void} emit 'workerCreate' / 'workerDestroy' / 'message'
 * @property {(id: number) => any} holdOf the value and transferList kept for port task `id`
 * @property {() => void} changed a Worker failed: 'drain' and the end of close() may follow
 * @property {() => void} exited a Worker exited: the end of close() may follow
 */

/** The error a task gets when its Worker exits while running it. */
function workerExited(code) {
  return errors.makeError(Error, 'ERR_WORKER_EXITED', `worker exited with code: ${code}`);
}

class WorkerSet {
  /** @type {Map<number, PoolWorker>} */
  #workers = new Map();
  #native;
  #options;
  #maxThreads;
  #route;
  /** @type {Host} */
  #host;
  #idleTimer = null;
  /** Set when a Worker died before it started: no new ones until the next run(). */
  bootFailed = false;

  /**
   * @param {{ native: any, options: Record<string, any>, maxThreads: number, route: number, host: Host }} init
   */
  constructor({ native, options, maxThreads, route, host }) {
    this.#native = native;
    this.#options = options;
    this.#maxThreads = maxThreads;
    this.#route = route;
    this.#host = host;
  }

  get size() {
    return this.#workers.size;
  }

  /** @returns {PoolWorker | undefined} */
  get(slot) {
    return this.#workers.get(slot);
  }

  /** The `Worker` objects. */
  threads() {
    return [...this.#workers.values()].map((pw) => pw.worker);
  }

  /**
   * Starts Workers up to what the pending tasks need (at least minThreads, at most maxThreads).
   * @param {PoolWorker[]} [started] Workers started already (`startWorkers`), used first
   */
  ensure(started = []) {
    if (this.#host.stopping() || this.bootFailed) return;
    const per = this.#options.concurrentTasksPerWorker;
    const want = Math.max(this.#options.minThreads, Math.min(this.#maxThreads, Math.ceil(this.#host.pendingSize() / per)));
    while (this.#workers.size < want) this.#add(started.shift() ?? new PoolWorker(this.#options));
    for (const pw of started) pw.terminate(); // not needed after all
  }

  /** @param {PoolWorker} pw */
  #add(pw) {
    const host = this.#host;
    const slot = this.#native.addWorker();
    pw.attach({ slot, pool: this.#native.id, route: this.#route, options: this.#options, holdOf: host.holdOf });
    this.#workers.set(slot, pw);
    const { worker } = pw;
    worker.on('message', (message) => host.emit('message', message));
    worker.once('online', () => {
      if (!pw.gone) host.emit('workerCreate', pw.info);
    });
    worker.on('error', (err) => this.#onFailed(pw, err, false));
    worker.once('exit', (code) => {
      if (!pw.gone) this.#onFailed(pw, workerExited(code), true);
      pw.exited = true;
      host.exited();
    });
    pw.info = this.#describe(pw);
    pw.unref(); // after the listeners: adding a 'message' listener refs the Worker's port
  }

  /** What 'workerCreate' and 'workerDestroy' carry (Piscina's PiscinaWorker shape). */
  #describe(pw) {
    const set = this;
    return {
      get id() {
        return pw.threadId;
      },
      get currentUsage() {
        return pw.gone ? 0 : Math.min(set.#options.concurrentTasksPerWorker, set.#host.pendingSize());
      },
      get isRunningAbortableTask() {
        return false;
      },
      histogram: null,
      get terminating() {
        return pw.gone && !pw.exited;
      },
      get destroyed() {
        return pw.gone;
      },
    };
  }

  /**
   * A Worker ended without being asked to (a crash, `process.exit()` in a task, an uncaught
   * error, out of memory). Only its own tasks fail; it is replaced.
   */
  #onFailed(pw, err, fromExit) {
    if (pw.gone) return;
    const host = this.#host;
    const lost = this.#forget(pw);
    for (const id of lost) host.fail(id, err);
    if (lost.length === 0 && !fromExit) host.report(err);
    host.emit('workerDestroy', pw.info);
    if (!pw.online) {
      // It never started (bad execArgv, resourceLimits too small, ...): do not start another
      // over and over; the tasks waiting fail with the reason, the next run() tries again.
      this.bootFailed = true;
      if ([...this.#workers.values()].every((w) => !w.online)) host.failQueued(err);
    }
    this.ensure();
    host.changed();
  }

  /** The pool no longer counts on `pw`; returns the ids of the tasks it was running. */
  #forget(pw) {
    pw.gone = true;
    this.#workers.delete(pw.slot);
    const lost = this.#native.workerGone(pw.slot);
    pw.port.close();
    // It may have been the Worker picked to take some queued tasks: pick others.
    for (const slot of this.#native.wakeForQueued()) this.#workers.get(slot)?.wake();
    return lost;
  }

  /** Stops a Worker on purpose; its running tasks fail with `err`. Resolves once it exited. */
  remove(pw, err) {
    if (pw.gone) return pw.exitPromise;
    for (const id of this.#forget(pw)) this.#host.fail(id, err);
    pw.exitPromise = pw.worker.terminate();
    this.#host.emit('workerDestroy', pw.info);
    return pw.exitPromise;
  }

  /** Stops every Worker; their running tasks fail with `err`. Resolves once all exited. */
  removeAll(err) {
    clearTimeout(this.#idleTimer);
    this.#idleTimer = null;
    return Promise.allSettled([...this.#workers.values()].map((pw) => this.remove(pw, err)));
  }

  /** Retires Workers above minThreads once they have been idle for idleTimeout. */
  scheduleIdleCheck() {
    const { idleTimeout, minThreads } = this.#options;
    if (this.#idleTimer !== null || idleTimeout === Infinity || this.#workers.size <= minThreads) return;
    this.#idleTimer = setTimeout(() => {
      this.#idleTimer = null;
      this.#retireIdle();
    }, idleTimeout).unref();
  }

  #retireIdle() {
    if (this.#host.destroying()) return;
    const { idleTimeout, minThreads } = this.#options;
    // With tasks waiting, no Worker is idle for long: look again later.
    let next = this.#native.queued > 0 ? idleTimeout : Infinity;
    for (const pw of next === Infinity ? [...this.#workers.values()].reverse() : []) {
      if (this.#workers.size <= minThreads) break;
      const left = this.#native.retireIfIdle(pw.slot, idleTimeout);
      // A busy Worker (or one caught between two looks at the queue) is looked at again after
      // idleTimeout: no later completion has to come along to re-arm the check.
      if (left < 0) this.remove(pw, null);
      else next = Math.min(next, left === Infinity ? idleTimeout : left);
    }
    if (next !== Infinity && this.#workers.size > minThreads) {
      this.#idleTimer = setTimeout(() => {
        this.#idleTimer = null;
        this.#retireIdle();
      }, Math.ceil(next)).unref();
    }
  }
}

/**
 * Starts `count` Workers' threads before the pool exists: a new pool calls it before it loads
 * the addon, so that load overlaps the Workers' start (most of a cold pool's time to its first
 * result). Hand them to `ensure()`, or `terminate()` them.
 * @param {Record<string, any>} options the pool's
 * @param {number} count
 * @returns {PoolWorker[]}
 */
function startWorkers(options, count) {
  return Array.from({ length: count }, () => new PoolWorker(options));
}

module.exports = { WorkerSet, startWorkers };
