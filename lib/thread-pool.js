'use strict';

/**
 * ThreadPool: the public face of the native pool (`src/pool/`). It validates every argument,
 * stages plain-ArrayBuffer views through shared memory, wires AbortSignals, and settles the
 * promises when the native side reports completions.
 * @module native-parallel/lib/thread-pool
 */

const os = require('node:os');
const { types } = require('node:util');
const errors = require('./errors');
const { loadNative } = require('./native');
const { specs, internalSpecs, kernelNames } = require('./kernels');
const { PoolStats } = require('./pool-stats');
const { validateObject, validateInteger, isShareable, overlaps } = require('./validate');
const { PendingTasks, taskVocabulary } = require('./internal/task');
const { kInternalRun, asyncDispose } = require('./internal/symbols');

/** @param {ArrayBufferView} view */
function sharedCopyOf(view) {
  const Ctor = types.isUint8ClampedArray(view)
    ? Uint8ClampedArray
    : types.isUint32Array(view)
      ? Uint32Array
      : types.isFloat64Array(view)
        ? Float64Array
        : Uint8Array;
  return new Ctor(new SharedArrayBuffer(view.byteLength));
}

/** A batch is sent at once when it holds this many tasks, so the pool starts on a long burst
 * of `run()` calls before the burst ends. */
const FLUSH_AT = 256;

/**
 * Tasks waiting to be handed to native code in one `submitBatch` call: per task
 * `[id, kernel, params, views]` (the last two are counts), then every task's params and
 * views one after the other. The arrays are kept and reused from batch to batch.
 */
class SubmitBatch {
  count = 0;
  #tasks = new Float64Array(4 * 64);
  #params = new Float64Array(64);
  #paramCount = 0;
  /** @type {ArrayBufferView[]} */
  views = [];

  /**
   * @param {number} id
   * @param {number} kernel
   * @param {number[]} params
   * @param {ArrayBufferView[]} views
   */
  add(id, kernel, params, views) {
    const at = 4 * this.count;
    if (at + 4 > this.#tasks.length) this.#tasks = grow(this.#tasks, at + 4);
    if (this.#paramCount + params.length > this.#params.length) this.#params = grow(this.#params, this.#paramCount + params.length);
    const tasks = this.#tasks;
    tasks[at] = id;
    tasks[at + 1] = kernel;
    tasks[at + 2] = params.length;
    tasks[at + 3] = views.length;
    for (let i = 0; i < params.length; i++) this.#params[this.#paramCount++] = params[i];
    for (let i = 0; i < views.length; i++) this.views.push(views[i]);
    this.count++;
  }

  /** @type {Float64Array | null} the last view `tasks()` made (reused while it fits) */
  #tasksView = null;
  /** @type {Float64Array | null} */
  #paramsView = null;

  tasks() {
    this.#tasksView = viewOf(this.#tasks, 4 * this.count, this.#tasksView);
    return this.#tasksView;
  }

  params() {
    this.#paramsView = viewOf(this.#params, this.#paramCount, this.#paramsView);
    return this.#paramsView;
  }

  /** The ids, in batch order. */
  ids() {
    const ids = new Array(this.count);
    for (let i = 0; i < this.count; i++) ids[i] = this.#tasks[4 * i];
    return ids;
  }

  clear() {
    this.count = 0;
    this.#paramCount = 0;
    this.views = [];
  }
}

/**
 * The first `length` elements of `array`: `last` again when it is exactly that (a task
 * submitted alone would otherwise make two new views per call).
 * @param {Float64Array} array @param {number} length @param {Float64Array | null} last
 */
function viewOf(array, length, last) {
  return last !== null && last.length === length && last.buffer === array.buffer ? last : array.subarray(0, length);
}

/** @param {Float64Array} array @param {number} atLeast */
function grow(array, atLeast) {
  const bigger = new Float64Array(Math.max(atLeast, 2 * array.length));
  bigger.set(array);
  return bigger;
}

/**
 * @typedef {object} ThreadPoolOptions
 * @property {number} [threads] pool threads (default: `os.availableParallelism()`)
 * @property {number | 'auto'} [maxQueue] tasks that may wait beyond one per thread
 *   (default Infinity; `'auto'` is threads squared, as in Piscina)
 */

class ThreadPool {
  /** Names of the kernels `run` accepts. */
  static get kernels() {
    return kernelNames;
  }

  #native;
  #threads;
  #kernelIds;
  #pending = new PendingTasks();
  #stats = new PoolStats();
  #destroyed = false;
  /** @type {Promise<void> | null} */
  #destroying = null;
  /** @type {(() => void) | null} */
  #destroyed_resolve = null;
  /** Tasks submitted in this microtask, not yet handed to native code. */
  #batch = new SubmitBatch();
  #flushQueued = false;
  /** The id the next task gets (native code takes the facade's ids; they wrap at 2^32). */
  #nextId = 0;

  /** @param {ThreadPoolOptions} [options] */
  constructor(options = {}) {
    validateObject(options, 'options');
    const threads =
      options.threads === undefined ? os.availableParallelism() : validateInteger(options.threads, 'options.threads', 1, 1024);
    let maxQueue = options.maxQueue === undefined ? Infinity : options.maxQueue;
    if (maxQueue === 'auto') maxQueue = threads * threads;
    else if (maxQueue !== Infinity) maxQueue = validateInteger(maxQueue, 'options.maxQueue', 0, Number.MAX_SAFE_INTEGER);
    const native = loadNative('ThreadPool');
    taskVocabulary('ThreadPool');
    this.#threads = threads;
    this.#kernelIds = new Map(native.NativePool.kernelNames().map((name, id) => [name, id]));
    this.#native = new native.NativePool(threads, maxQueue, (batch) => this.#onComplete(batch));
  }

  /** Number of pool threads. */
  get threads() {
    return this.#threads;
  }

  /**
   * Runs a kernel. Views over SharedArrayBuffer (or SharedMemory) are worked on in place; views
   * over a plain ArrayBuffer are copied in and out.
   * @param {string} kernel one of `ThreadPool.kernels`
   * @param {object} [input] the kernel's input (see the README)
   * @param {{ signal?: AbortSignal }} [options]
   * @returns {Promise<any>}
   */
  run(kernel, input, options = undefined) {
    if (typeof kernel !== 'string') return Promise.reject(errors.invalidArgType('kernel', 'of type string', kernel));
    const spec = Object.hasOwn(specs, kernel) ? specs[kernel] : undefined;
    if (spec === undefined) return Promise.reject(errors.unknownKernel(kernel, kernelNames));
    return this.#submit(kernel, spec, input, options);
  }

  /** Test hook: runs an internal kernel (see lib/internal/testing.js). */
  [kInternalRun](kernel, input) {
    // Internal kernels exist only in the test build of the addon (see lib/native.js).
    if (!this.#kernelIds.has(kernel) || !Object.hasOwn(internalSpecs, kernel)) {
      return Promise.reject(errors.unknownKernel(kernel, [...this.#kernelIds.keys()]));
    }
    return this.#submit(kernel, internalSpecs[kernel], input, undefined);
  }

  #submit(kernel, spec, input, options) {
    const run = { kernel, spec, input, options, destroyed: this.#destroyed, check: checkOverlaps };
    return this.#pending.start(run, this.#submitNative, this.#onAbort);
  }

  /**
   * Hands a checked task to native code (made once, for `PendingTasks#start`): queues it in
   * the batch that goes to native code in one call at the end of this microtask (#flush).
   */
  #submitNative = (prepared, run) => {
    // Views over a plain ArrayBuffer are worked on as shared copies; the copies stay
    // reachable (hold) until the task settles.
    const nativeViews = [];
    const copyBack = [];
    for (const { view, mode } of prepared.views) {
      if (isShareable(view)) {
        nativeViews.push(view);
        continue;
      }
      const copy = sharedCopyOf(view);
      if (mode !== 'out') copy.set(view);
      nativeViews.push(copy);
      if (mode !== 'in') copyBack.push(view, copy);
    }
    // A full batch goes now, before this task joins the next one: its promise is not
    // registered yet, so it must not be in a batch that could refuse it synchronously.
    if (this.#batch.count >= FLUSH_AT) this.#flush();
    const id = this.#nextId;
    this.#nextId = (id + 1) >>> 0;
    const kernelId = this.#kernelIds.get(run.kernel);
    if (this.#pending.size === 0 && this.#batch.count === 0) {
      // Nothing in flight: no batch to wait for, so this one goes at once (a task submitted
      // alone pays no microtask), and a refusal is thrown to `PendingTasks#start`.
      this.#batch.add(id, kernelId, prepared.params, nativeViews);
      const failures = this.#sendBatch();
      if (failures.length > 0) throw failures[0].error ?? errors.fromNative(failures[0].code, failures[0].message);
    } else {
      this.#batch.add(id, kernelId, prepared.params, nativeViews);
      if (!this.#flushQueued) {
        this.#flushQueued = true;
        queueMicrotask(this.#flush);
      }
    }
    return { id, hold: { nativeViews, copyBack } };
  };

  /** Sends the batch of tasks submitted since the last flush to native code, in one call. */
  #flush = () => {
    this.#flushQueued = false;
    if (this.#batch.count === 0) return;
    const ids = this.#batch.ids();
    for (const { index, code, message, error } of this.#sendBatch()) {
      this.#pending.take(ids[index])?.reject(error ?? errors.fromNative(code, message));
    }
    this.#maybeFinishDestroy();
  };

  /**
   * Hands the batch to native code and empties it; returns the tasks it refused (all of them,
   * with the error, when the call throws).
   * @returns {Array<{ index: number, code: string, message: string, error?: Error }>}
   */
  #sendBatch() {
    const batch = this.#batch;
    try {
      return this.#native.submitBatch(batch.tasks(), batch.params(), batch.views);
    } catch (err) {
      return Array.from({ length: batch.count }, (_, index) => ({ index, code: err.code, message: err.message, error: err }));
    } finally {
      batch.clear();
    }
  }

  #onAbort = (id) => this.#abort(id);

  #abort(id) {
    this.#flush();
    if (this.#native.cancel(id)) {
      // It had not started: it never will, and native code will not report it.
      const task = this.#pending.take(id);
      this.#stats.record('cancelled');
      task?.reject(new errors.AbortError(undefined, { cause: task.signal?.reason }));
      this.#maybeFinishDestroy();
    }
    // Running: the kernel sees its cancel flag within ~1 ms and is reported as cancelled.
  }

  #onComplete(batch) {
    const { Outcome, TaskField } = taskVocabulary();
    this.#pending.settleBatch(batch, (task, numbers, at, message) => {
      const outcome = numbers[at + TaskField.Outcome];
      const runMs = numbers[at + TaskField.RunMs];
      const waitMs = numbers[at + TaskField.WaitMs];
      if (outcome === Outcome.Ok) {
        this.#stats.record('ok', runMs, waitMs);
        task.resolve(finish(task, numbers[at + TaskField.Value]));
      } else if (outcome === Outcome.Cancelled) {
        this.#stats.record('cancelled', runMs, waitMs);
        task.reject(task.cancelledError(this.#destroyed));
      } else {
        this.#stats.record('failed', runMs, waitMs);
        task.reject(errors.nativePanic(message ?? 'unknown panic'));
      }
    });
    this.#maybeFinishDestroy();
  }


  /**
   * Counters and timings (milliseconds).
   * @returns {import('../index').ThreadPoolStats}
   */
  stats() {
    if (!this.#destroyed) this.#flush();
    const [queued, running, busyMs, aliveMs] = this.#destroyed && this.#destroying === null ? [0, 0, 0, 1] : this.#native.counters();
    const s = this.#stats;
    return {
      threads: this.#threads,
      queued,
      running,
      completed: s.completed,
      failed: s.failed,
      cancelled: s.cancelled,
      utilization: aliveMs > 0 ? Math.min(1, busyMs / (aliveMs * this.#threads)) : 0,
      runTime: s.runTime.summary(),
      waitTime: s.waitTime.summary(),
    };
  }

  /**
   * Stops the pool: queued tasks reject with ERR_POOL_DESTROYED at once; running ones are
   * cancelled (or finish first). Resolves when every thread is idle and released.
   * @returns {Promise<void>}
   */
  destroy() {
    if (this.#destroying) return this.#destroying;
    this.#flush();
    this.#destroyed = true;
    this.#destroying = new Promise((resolve) => {
      this.#destroyed_resolve = resolve;
    });
    for (const id of this.#native.cancelAll()) {
      const task = this.#pending.take(id);
      if (task === undefined) continue;
      this.#stats.record('cancelled');
      task.reject(errors.poolDestroyed());
    }
    this.#maybeFinishDestroy();
    return this.#destroying;
  }

  [asyncDispose]() {
    return this.destroy();
  }

  #maybeFinishDestroy() {
    if (!this.#destroyed || this.#pending.size > 0 || this.#destroyed_resolve === null) return;
    this.#native.close();
    const resolve = this.#destroyed_resolve;
    this.#destroyed_resolve = null;
    resolve();
  }
}

/** Copies staged outputs back and builds the task's result. */
function finish(task, value) {
  const { copyBack } = task.hold;
  for (let i = 0; i < copyBack.length; i += 2) {
    const target = copyBack[i];
    if (target.byteLength === 0 && copyBack[i + 1].byteLength !== 0) {
      throw errors.invalidState('An output array was detached while its task ran; the result was discarded');
    }
    target.set(copyBack[i + 1]);
  }
  return task.prepared.result(value);
}

/** Outputs must not share memory with any other view of the same task. */
function checkOverlaps(views) {
  for (let i = 0; i < views.length; i++) {
    if (views[i].mode === 'in') continue;
    for (let j = 0; j < views.length; j++) {
      if (i !== j && overlaps(views[i].view, views[j].view)) {
        throw errors.invalidArgValue(`input.${views[i].name}`, views[i].view, `must not overlap input.${views[j].name}`);
      }
    }
  }
}

module.exports = { ThreadPool };
