'use strict';

/**
 * WorkerPool: the user's own JavaScript on `worker_threads`, with Piscina 5's API and the queue
 * and hand-off in native code (`src/worker_pool/`). `run()` serializes the task once into the
 * native queue and, when a Worker is parked, wakes that one Worker through its own wake word; it
 * takes the task from the queue without a message.
 * Completions come back in batches, one event-loop wake per batch.
 * @module native-parallel/lib/worker-pool
 */

const { EventEmitter } = require('node:events');
const { performance } = require('node:perf_hooks');
const errors = require('../errors');
const { loadNative } = require('../native');
const { pinViews, unpinAll } = require('../shared-memory');
const { PendingTasks } = require('../internal/task');
const common = require('./common');
const ser = require('./serialize');

ser.sharedMemory(); // the owner checks every task's views against its SharedMemory buffers
const { fillOptions, runOptions, toPath } = require('./options');
const { TimingHistograms } = require('./histogram');
const { PoolWorker } = require('./pool-worker');

const FIELDS = 7;
const EMPTY = Buffer.alloc(0);
const NO_PINS = Object.freeze([]);
/** `run()`'s options when none are given (checked options have no prototype either). */
const NO_RUN_OPTIONS = Object.freeze(Object.create(null));
/**
 * Polls for completions at most this many times between two turns of the event loop: a loop
 * that awaits tiny tasks one after the other then still lets I/O and timers in regularly.
 */
const MAX_POLLS_PER_TURN = 32;
const asyncDispose = Symbol.asyncDispose ?? Symbol.for('nodejs.asyncDispose');

const aborted = (signal) => new errors.AbortError('The task has been aborted', { cause: signal.reason });

function cloneError(err) {
  const out = errors.makeError(TypeError, 'ERR_INVALID_ARG_VALUE', `The task could not be cloned: ${err.message}`);
  out.cause = err;
  return out;
}

/** The error a task gets when its Worker exits while running it. */
function workerExited(code) {
  return errors.makeError(Error, 'ERR_WORKER_EXITED', `worker exited with code: ${code}`);
}

class WorkerPool extends EventEmitter {
  #native;
  #options;
  /** the effective thread bound (Piscina's default maxThreads may be fractional) */
  #maxThreads;
  #capacity;
  /** the id of the next task (unique among unsettled tasks) */
  #nextId = 0;
  /** @type {Map<number, PoolWorker>} */
  #workers = new Map();
  /** tasks submitted and not settled; `hold` keeps a port task's value and transferList */
  #pending = new PendingTasks();
  /** `filename\0name` → route number */
  #routes = new Map();
  #defaultRoute = -1;
  #histograms = null;
  #histogramView = null;
  #completed = 0;
  #start = performance.now();
  #needsDrain = false;
  #closing = null;
  #destroying = null;
  #idleTimer = null;
  #bootFailed = false;
  /** running mean of recent tasks' wait + run time (microseconds), to decide on polling */
  #expectedMicros = 0;
  #pollScheduled = false;
  #pollsThisTurn = 0;
  #pollMeta = new Float64Array(1);

  /** @param {Record<string, any>} [options] Piscina 5's options */
  constructor(options = undefined) {
    super();
    const filled = fillOptions(options);
    this.#options = filled;
    this.#maxThreads = Math.ceil(filled.maxThreads);
    this.#capacity = this.#maxThreads * filled.concurrentTasksPerWorker;
    if (filled.recordTiming) this.#histograms = new TimingHistograms();
    this.#native = new (loadNative('WorkerPool').NativeWorkerPool)((batch, count) => this.#onComplete(batch, count));
    if (filled.filename !== null) this.#defaultRoute = this.#route(filled.filename, filled.name);
    this.#ensureWorkers();
  }

  // ----- running tasks -------------------------------------------------------------------

  /**
   * Runs the task function on a Worker with `task` (structured-cloned; SharedArrayBuffer and
   * SharedMemory shared, `transferList` moved).
   * @param {any} task
   * @param {{ name?: string | null, filename?: string | URL | null, signal?: AbortSignal | null,
   *   transferList?: any[] }} [options]
   * @returns {Promise<any>}
   */
  run(task, options = NO_RUN_OPTIONS) {
    let o = NO_RUN_OPTIONS;
    try {
      if (options !== NO_RUN_OPTIONS) o = runOptions(options);
    } catch (err) {
      return Promise.reject(err);
    }
    if (this.#closing !== null || this.#destroying !== null) return Promise.reject(errors.poolDestroyed());
    let filename = o.filename ?? this.#options.filename;
    if (filename == null) {
      return Promise.reject(errors.makeError(TypeError, 'ERR_MISSING_ARGS', 'filename must be provided to run() or in options object'));
    }
    filename = toPath(filename);
    const signal = o.signal ?? null;
    if (signal !== null && signal.aborted) return Promise.reject(aborted(signal));
    if (this.#pending.size >= this.#capacity + this.#options.maxQueue) {
      const err = errors.queueFull();
      err.message = this.#options.maxQueue === 0 ? 'No task queue available and all Workers are busy' : 'Task queue is at limit';
      return Promise.reject(err);
    }

    let value = task;
    let transferList = o.transferList;
    if (common.isMovable(task)) {
      transferList = (transferList ?? []).concat(task[common.kTransferable]);
      value = task[common.kValue];
    }
    let bytes = EMPTY;
    let flags = 0;
    let pinned = null;
    if (transferList !== undefined && transferList.length > 0) {
      flags = common.FLAG_PORT;
    } else {
      try {
        const out = ser.serialize(value);
        bytes = out.bytes;
        if (out.sharedViews.length > 0) pinned = pinViews(out.sharedViews);
      } catch (err) {
        if (err !== ser.NEEDS_PORT) return Promise.reject(cloneError(err));
        flags = common.FLAG_PORT;
      }
    }
    const name = o.name ?? this.#options.name;
    const route = filename === this.#options.filename && name === this.#options.name ? this.#defaultRoute : this.#route(filename, name);
    const id = this.#nextId;
    let woken;
    try {
      woken = this.#native.submit(id, route, flags, bytes);
    } catch (err) {
      if (pinned) unpinAll(pinned);
      return Promise.reject(err);
    }
    this.#nextId = (id + 1) >>> 0;
    if (woken >= 0) this.#workers.get(woken)?.wake();

    const hold = flags ? { value, transferList } : null;
    const promise = this.#pending.add(id, { prepared: undefined, pinned: pinned ?? NO_PINS, signal: signal ?? undefined, hold }, this.#onAbort);
    this.#bootFailed = false;
    this.#ensureWorkers();
    this.#maybeDrain();
    this.#maybePoll();
    return promise;
  }

  #route(filename, name) {
    const key = `${filename}\0${name}`;
    let route = this.#routes.get(key);
    if (route === undefined) {
      route = this.#native.route(filename, name);
      this.#routes.set(key, route);
    }
    return route;
  }

  /**
   * With few tasks in flight and recent tasks done within `spinMicros`, waits for this one's
   * completion on this thread, right after the caller's synchronous code, rather than be woken
   * for it (the wake-up costs more than such a task). Bounded: `spinMicros` per poll, and
   * MAX_POLLS_PER_TURN per event-loop turn.
   */
  #maybePoll() {
    const spin = this.#options.spinMicros;
    if (this.#pollScheduled || spin === 0 || this.#expectedMicros >= spin || this.#pending.size > this.#workers.size) return;
    if (this.#pollsThisTurn >= MAX_POLLS_PER_TURN) return;
    if (this.#pollsThisTurn++ === 0) setImmediate(this.#newTurn).unref();
    this.#pollScheduled = true;
    queueMicrotask(this.#poll);
  }

  #newTurn = () => {
    this.#pollsThisTurn = 0;
  };

  #poll = () => {
    this.#pollScheduled = false;
    if (this.#pending.size === 0 || this.#destroying !== null) return;
    const batch = this.#native.poll(this.#pollMeta, this.#options.spinMicros);
    if (batch !== undefined) this.#onComplete(batch, this.#pollMeta[0]);
  };

  /** Settles task `id` (success or failure) if it is pending, and forgets it. */
  #settle(id, error, value) {
    const task = this.#pending.take(id);
    if (task === undefined) return;
    if (error !== null) task.reject(error);
    else task.resolve(value);
  }

  /** Its signal aborted while task `id` was pending (made once, for `PendingTasks#add`). */
  #onAbort = (id, task) => {
    const where = this.#native.cancel(id);
    this.#settle(id, aborted(task.signal), undefined);
    if (where >= 0) {
      // Running: its Worker is stopped (as Piscina does) and replaced.
      const pw = this.#workers.get(where);
      if (pw) this.#removeWorker(pw, errors.makeError(Error, 'ERR_WORKER_EXITED', 'The Worker was terminated because a task it ran was aborted'));
      this.#ensureWorkers();
    }
    this.#maybeDrain();
  };

  #onComplete(batch, count) {
    const meta = new Float64Array(batch, 0, count * FIELDS);
    const bytes = new Uint8Array(batch);
    for (let i = 0; i < count; i++) {
      const at = i * FIELDS;
      const id = meta[at];
      const task = this.#pending.take(id);
      if (task === undefined) continue;
      const outcome = meta[at + 1];
      this.#expectedMicros += ((meta[at + 2] + meta[at + 3]) * 1000 - this.#expectedMicros) / 8;
      this.#completed++;
      this.#histograms?.record(meta[at + 2], meta[at + 3]);
      if (outcome === common.OUTCOME_PORT) {
        const pw = this.#workers.get(meta[at + 6]);
        const got = pw ? pw.takeResult(id) : { found: false };
        if (got.found) task.resolve(got.value);
        else task.reject(errors.invalidState('The result of the task was lost'));
        continue;
      }
      let value;
      try {
        value = ser.deserializeAt(bytes, meta[at + 4], meta[at + 5]);
      } catch (err) {
        task.reject(err);
        continue;
      }
      if (outcome === common.OUTCOME_OK) task.resolve(value);
      else task.reject(ser.fromErrorRecord(value));
    }
    this.#maybeDrain();
    this.#scheduleIdleCheck();
    this.#closed?.();
  }

  // ----- Workers ---------------------------------------------------------------------------

  /** Starts Workers up to what the pending tasks need (at least minThreads, at most maxThreads). */
  #ensureWorkers() {
    if (this.#closing !== null || this.#destroying !== null || this.#bootFailed) return;
    const per = this.#options.concurrentTasksPerWorker;
    const want = Math.max(this.#options.minThreads, Math.min(this.#maxThreads, Math.ceil(this.#pending.size / per)));
    while (this.#workers.size < want) this.#addWorker();
  }

  #addWorker() {
    const slot = this.#native.addWorker();
    const pw = new PoolWorker({
      slot,
      pool: this.#native.id,
      route: this.#defaultRoute,
      options: this.#options,
      onPortMessage: (w, message) => this.#onPortMessage(w, message),
    });
    this.#workers.set(slot, pw);
    const { worker } = pw;
    worker.on('message', (message) => this.emit('message', message));
    worker.once('online', () => {
      if (!pw.gone) this.emit('workerCreate', pw.info);
    });
    worker.on('error', (err) => this.#onWorkerFailed(pw, err, false));
    worker.once('exit', (code) => {
      if (!pw.gone) this.#onWorkerFailed(pw, workerExited(code), true);
      pw.exited = true;
      this.#closed?.();
    });
    pw.info = this.#describe(pw);
    pw.unref(); // after the listeners: adding a 'message' listener refs the Worker's port
  }

  /** What 'workerCreate' and 'workerDestroy' carry (Piscina's PiscinaWorker shape). */
  #describe(pw) {
    const pool = this;
    return {
      get id() {
        return pw.threadId;
      },
      get currentUsage() {
        return pool.#usageOf(pw);
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

  #usageOf(pw) {
    return pw.gone ? 0 : Math.min(this.#options.concurrentTasksPerWorker, this.#pending.size);
  }

  /**
   * A Worker ended without being asked to (a crash, `process.exit()` in a task, an uncaught
   * error, out of memory). Only its own tasks fail; it is replaced.
   */
  #onWorkerFailed(pw, err, fromExit) {
    if (pw.gone) return;
    const lost = this.#forgetWorker(pw);
    for (const id of lost) this.#settle(id, err, undefined);
    if (lost.length === 0 && !fromExit) this.#report(err);
    this.emit('workerDestroy', pw.info);
    if (!pw.online) {
      // It never started (bad execArgv, resourceLimits too small, ...): do not start another
      // over and over; the tasks waiting fail with the reason, the next run() tries again.
      this.#bootFailed = true;
      if ([...this.#workers.values()].every((w) => !w.online)) this.#failQueued(err);
    }
    this.#ensureWorkers();
    this.#maybeDrain();
    this.#closed?.();
  }

  /** The pool no longer counts on `pw`; returns the ids of the tasks it was running. */
  #forgetWorker(pw) {
    pw.gone = true;
    this.#workers.delete(pw.slot);
    const lost = this.#native.workerGone(pw.slot);
    pw.port.close();
    // It may have been the Worker picked to take some queued tasks: pick others.
    for (const slot of this.#native.wakeForQueued()) this.#workers.get(slot)?.wake();
    return lost;
  }

  /** Stops a Worker on purpose; its running tasks fail with `err`. */
  #removeWorker(pw, err) {
    if (pw.gone) return pw.exitPromise;
    for (const id of this.#forgetWorker(pw)) this.#settle(id, err, undefined);
    pw.exitPromise = pw.worker.terminate();
    this.emit('workerDestroy', pw.info);
    return pw.exitPromise;
  }

  #failQueued(err) {
    for (const id of this.#native.cancelQueued()) this.#settle(id, err, undefined);
  }

  #onPortMessage(pw, message) {
    if (message.pull !== undefined) {
      const hold = this.#pending.get(message.pull)?.hold;
      if (!hold) return;
      try {
        pw.port.postMessage({ id: message.pull, task: hold.value }, hold.transferList ?? []);
      } catch (err) {
        pw.port.postMessage({ id: message.pull, error: ser.errorRecord(cloneError(err)) });
      }
      hold.value = undefined;
      return;
    }
    pw.results.set(message.id, message.result);
  }

  /** Retires Workers above minThreads once they have been idle for idleTimeout. */
  #scheduleIdleCheck() {
    const { idleTimeout, minThreads } = this.#options;
    if (this.#idleTimer !== null || idleTimeout === Infinity || this.#workers.size <= minThreads) return;
    this.#idleTimer = setTimeout(() => {
      this.#idleTimer = null;
      this.#retireIdle();
    }, idleTimeout).unref();
  }

  #retireIdle() {
    if (this.#destroying !== null) return;
    const { idleTimeout, minThreads } = this.#options;
    // With tasks waiting, no Worker is idle for long: look again later.
    let next = this.#native.queued > 0 ? idleTimeout : Infinity;
    for (const pw of next === Infinity ? [...this.#workers.values()].reverse() : []) {
      if (this.#workers.size <= minThreads) break;
      const left = this.#native.retireIfIdle(pw.slot, idleTimeout);
      // A busy Worker (or one caught between two looks at the queue) is looked at again after
      // idleTimeout: no later completion has to come along to re-arm the check.
      if (left < 0) this.#removeWorker(pw, null);
      else next = Math.min(next, left === Infinity ? idleTimeout : left);
    }
    if (next !== Infinity && this.#workers.size > minThreads) {
      this.#idleTimer = setTimeout(() => {
        this.#idleTimer = null;
        this.#retireIdle();
      }, Math.ceil(next)).unref();
    }
  }

  /** An error with no task to reject: 'error' if someone listens, else a warning (never a crash). */
  #report(err) {
    if (this.listenerCount('error') > 0) this.emit('error', err);
    else process.emitWarning(err);
  }

  /** 'needsDrain' when every Worker slot becomes busy, 'drain' when one frees up again. */
  #maybeDrain() {
    const full = this.#pending.size >= this.#capacity;
    if (full && !this.#needsDrain) {
      this.#needsDrain = true;
      queueMicrotask(() => this.emit('needsDrain'));
    } else if (!full && this.#needsDrain) {
      this.#needsDrain = false;
      queueMicrotask(() => this.emit('drain'));
    }
  }

  // ----- ending ----------------------------------------------------------------------------

  /** Resolves the wait of `close()` once nothing is pending (set while closing). */
  #closed = null;

  /**
   * Lets queued and running tasks finish (with `force`, queued ones reject with AbortError),
   * waiting at most `closeTimeout` ms, then destroys the pool. New tasks are refused meanwhile.
   * @param {{ force?: boolean }} [options]
   * @returns {Promise<void>}
   */
  close(options = {}) {
    if (options === null || typeof options !== 'object') return Promise.reject(errors.invalidArgType('options', 'of type object', options));
    const { force = false } = options;
    if (typeof force !== 'boolean') return Promise.reject(errors.invalidArgType('options.force', 'of type boolean', force));
    if (this.#closing !== null) return this.#closing;
    if (this.#destroying !== null) return this.#destroying;
    this.#closing = (async () => {
      if (force) this.#failQueued(new errors.AbortError('pool is closed'));
      let timer = null;
      const flushed = new Promise((resolve) => {
        this.#closed = () => {
          if (this.#pending.size === 0) resolve(true);
        };
        this.#closed();
      });
      const timedOut = new Promise((resolve) => {
        if (this.#options.closeTimeout !== Infinity) timer = setTimeout(resolve, this.#options.closeTimeout, false).unref();
      });
      const ok = await Promise.race([flushed, timedOut]);
      clearTimeout(timer);
      this.#closed = null;
      if (!ok) this.#report(errors.makeError(Error, 'ERR_CLOSE_TIMEOUT', 'Close operation timed out'));
      await this.#destroy();
      this.emit('close');
    })();
    return this.#closing;
  }

  /**
   * Stops every Worker at once: tasks not finished reject with ERR_POOL_DESTROYED. Resolves
   * once every Worker has exited; the pool then holds no thread and no handle.
   * @returns {Promise<void>}
   */
  destroy() {
    return this.#destroy();
  }

  #destroy() {
    if (this.#destroying !== null) return this.#destroying;
    this.#destroying = (async () => {
      clearTimeout(this.#idleTimer);
      this.#idleTimer = null;
      const err = errors.poolDestroyed();
      this.#failQueued(err);
      const exits = [...this.#workers.values()].map((pw) => this.#removeWorker(pw, err));
      for (const id of this.#pending.ids()) this.#settle(id, err, undefined);
      await Promise.allSettled(exits);
      this.#native.close();
    })();
    return this.#destroying;
  }

  [asyncDispose]() {
    return this.close();
  }

  // ----- properties ------------------------------------------------------------------------

  /** The options in effect, filled with the defaults (Piscina's `options`). */
  get options() {
    return this.#options;
  }

  get maxThreads() {
    return this.#options.maxThreads;
  }

  get minThreads() {
    return this.#options.minThreads;
  }

  /** The pool's `Worker` objects. */
  get threads() {
    return [...this.#workers.values()].map((pw) => pw.worker);
  }

  /** Tasks waiting for a Worker. */
  get queueSize() {
    return this.#destroying !== null && this.#closing === null ? 0 : this.#native.queued;
  }

  /** Tasks finished by a Worker (resolved or rejected by the task). */
  get completed() {
    return this.#completed;
  }

  /** Milliseconds since the pool was made. */
  get duration() {
    return performance.now() - this.#start;
  }

  /** Busy time of all tasks / (duration × maxThreads): 0 to 1. */
  get utilization() {
    if (this.#histograms === null) return 0;
    return this.#histograms.runTotalMs / (this.duration * this.#maxThreads);
  }

  /** Piscina 5's `histogram`: `{ runTime, waitTime, resetRunTime(), resetWaitTime() }`. */
  get histogram() {
    if (this.#histogramView === null) {
      const h = this.#histograms;
      this.#histogramView = {
        get runTime() {
          return h?.runTime;
        },
        get waitTime() {
          return h?.waitTime;
        },
        resetRunTime: () => h?.resetRunTime(),
        resetWaitTime: () => h?.resetWaitTime(),
      };
    }
    return this.#histogramView;
  }

  /** Run-time summary (milliseconds), undefined with `recordTiming: false`. */
  get runTime() {
    return this.#histograms?.runTime;
  }

  /** Wait-time summary (milliseconds), undefined with `recordTiming: false`. */
  get waitTime() {
    return this.#histograms?.waitTime;
  }

  /** True while every Worker slot is busy ('needsDrain' was emitted; 'drain' follows). */
  get needsDrain() {
    return this.#needsDrain;
  }

  // ----- statics (Piscina's) ---------------------------------------------------------------

  /** True inside a WorkerPool Worker. */
  static get isWorkerThread() {
    return common.state.isWorkerThread;
  }

  /** The pool's `workerData`, inside a WorkerPool Worker. */
  static get workerData() {
    return common.state.workerData;
  }

  static get WorkerPool() {
    return WorkerPool;
  }

  static move(value) {
    return common.move(value);
  }

  static get transferableSymbol() {
    return common.kTransferable;
  }

  static get valueSymbol() {
    return common.kValue;
  }

  static get queueOptionsSymbol() {
    return common.kQueueOptions;
  }
}

module.exports = { WorkerPool };
