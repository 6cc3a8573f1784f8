'use strict';

/**
 * WorkerPool: the user's own JavaScript on `worker_threads`, with Piscina 5's API and the queue
 * and hand-off in native code (`src/worker_pool/`). `run()` serializes the task once into the
 * native queue and, when a Worker is parked, wakes that one Worker through its own wake word; it
 * takes the task from the queue without a message.
 * Completions come back in batches, one event-loop wake per batch.
 * @module native-parallel/lib/worker-pool
 */

const { performance } = require('node:perf_hooks');
const errors = require('../errors');
const { loadNative } = require('../native');
const { unpinAll } = require('../shared-memory');
const { PendingTasks } = require('../internal/task');
const common = require('./common');
const ser = require('./serialize');
const { fillOptions, runOptions, toPath } = require('./options');
const { TimingHistograms, histogramView } = require('./histogram');
const { WorkerSet, startWorkers } = require('./workers');
const { aborted, encodeTask } = require('./submit');
const { PiscinaStatics } = require('./statics');

const FIELDS = 7;
const NO_PINS = Object.freeze([]);
/** `run()`'s options when none are given (checked options have no prototype either). */
const NO_RUN_OPTIONS = Object.freeze(Object.create(null));
/**
 * Polls for completions at most this many times between two turns of the event loop: a loop
 * that awaits tiny tasks one after the other then still lets I/O and timers in regularly.
 */
const MAX_POLLS_PER_TURN = 32;
const asyncDispose = Symbol.asyncDispose ?? Symbol.for('nodejs.asyncDispose');

class WorkerPool extends PiscinaStatics {
  #native;
  #options;
  /** the effective thread bound (Piscina's default maxThreads may be fractional) */
  #maxThreads;
  #capacity;
  /** the id of the next task (unique among unsettled tasks) */
  #nextId = 0;
  /** @type {WorkerSet} */
  #workers;
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
    // The minThreads Workers' threads start first, all at once: they boot while this thread loads the addon.
    const started = startWorkers(filled, filled.minThreads);
    try {
      this.#native = new (loadNative('WorkerPool').NativeWorkerPool)((batch, count) => this.#onComplete(batch, count));
      if (filled.filename !== null) this.#defaultRoute = this.#route(filled.filename, filled.name);
    } catch (err) {
      for (const pw of started) pw.terminate();
      throw err;
    }
    this.#workers = new WorkerSet({ native: this.#native, options: filled, maxThreads: this.#maxThreads, route: this.#defaultRoute, host: this.#host() });
    this.#workers.ensure(started);
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

    let encoded;
    try {
      encoded = encodeTask(task, o.transferList);
    } catch (err) {
      return Promise.reject(err);
    }
    const { value, transferList, bytes, flags, pinned } = encoded;
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
    this.#workers.bootFailed = false;
    this.#workers.ensure();
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
      if (pw) this.#workers.remove(pw, errors.makeError(Error, 'ERR_WORKER_EXITED', 'The Worker was terminated because a task it ran was aborted'));
      this.#workers.ensure();
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
    this.#workers.scheduleIdleCheck();
    this.#closed?.();
  }

  // ----- Workers ---------------------------------------------------------------------------

  /** What the Workers ask of the pool (see Host in ./workers.js). */
  #host() {
    return {
      stopping: () => this.#closing !== null || this.#destroying !== null,
      destroying: () => this.#destroying !== null,
      pendingSize: () => this.#pending.size,
      fail: (id, err) => this.#settle(id, err, undefined),
      failQueued: (err) => this.#failQueued(err),
      report: (err) => this.#report(err),
      emit: (event, info) => this.emit(event, info),
      holdOf: (id) => this.#pending.get(id)?.hold,
      changed: () => {
        this.#maybeDrain();
        this.#closed?.();
      },
      exited: () => this.#closed?.(),
    };
  }

  #failQueued(err) {
    for (const id of this.#native.cancelQueued()) this.#settle(id, err, undefined);
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
      const err = errors.poolDestroyed();
      this.#failQueued(err);
      const exits = this.#workers.removeAll(err);
      for (const id of this.#pending.ids()) this.#settle(id, err, undefined);
      await exits;
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
    return this.#workers.threads();
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
    this.#histogramView ??= histogramView(this.#histograms);
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

  static get WorkerPool() {
    return WorkerPool;
  }
}

module.exports = { WorkerPool };
