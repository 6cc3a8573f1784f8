'use strict';

/**
 * ProcessPool: the public face of `src/process_pool/`. Rust-only worker processes forked from
 * this one; a task's work is split over them and written into SharedMemory. This file checks
 * every argument (with the same kernel specs as ThreadPool), pins the SharedMemory a task uses,
 * wires AbortSignals and settles the promises when the native side reports.
 * @module native-parallel/lib/process-pool
 */

const os = require('node:os');
const errors = require('./errors');
const { loadNative } = require('./native');
const { specs, internalSpecs } = require('./kernels');
const { signalName } = require('./internal/signals');
const { validateObject, validateInteger, overlaps } = require('./validate');
const { sharedMemoryOf, releaseListeners } = require('./shared-memory');
const { PendingTasks, taskVocabulary } = require('./internal/task');
const { kInternalRun, kId, asyncDispose } = require('./internal/symbols');

function nativeClass() {
  const native = loadNative('ProcessPool');
  if (typeof native.NativeProcessPool !== 'function') throw errors.unsupportedPlatform('ProcessPool');
  return native.NativeProcessPool;
}

let kernelList;
/** Public kernel names the process pool runs (the same as ThreadPool's). */
function publicKernels() {
  kernelList ??= Object.freeze(nativeClass().kernelNames().filter((name) => !name.startsWith('__')));
  return kernelList;
}

/**
 * @typedef {object} ProcessPoolOptions
 * @property {number} [processes] worker processes (default: `os.availableParallelism()`)
 */

class ProcessPool {
  /** Names of the kernels `run` accepts. */
  static get kernels() {
    return publicKernels();
  }

  #native;
  #processes;
  #kernelIds;
  #pending = new PendingTasks();
  #destroyed = false;
  /** @type {Promise<void> | null} */
  #destroying = null;
  #forget;

  /** @param {ProcessPoolOptions} [options] */
  constructor(options = {}) {
    validateObject(options, 'options');
    const processes =
      options.processes === undefined ? os.availableParallelism() : validateInteger(options.processes, 'options.processes', 1, 1024);
    const Native = nativeClass();
    taskVocabulary('ProcessPool');
    this.#processes = processes;
    this.#kernelIds = new Map(Native.kernelNames().map((name, id) => [name, id]));
    this.#native = new Native(processes, (batch) => this.#onComplete(batch));
    this.#forget = (id) => this.#native.forget(id);
    releaseListeners.add(this.#forget);
  }

  /** Number of worker processes. */
  get processes() {
    return this.#processes;
  }

  /** Pids of the live worker processes (empty once destroyed). */
  get pids() {
    return this.#destroyed ? [] : this.#native.pids();
  }

  /**
   * Runs a kernel, split over the worker processes. Outputs must be views over a SharedMemory.
   * When every input is in SharedMemory too, the persistent workers run the task; otherwise a
   * worker is forked for each part and reads this process's memory as it was at this call
   * (copy-on-write).
   * @param {string} kernel one of `ProcessPool.kernels`
   * @param {object} [input] the kernel's input (as for ThreadPool)
   * @param {{ signal?: AbortSignal }} [options]
   * @returns {Promise<any>}
   */
  run(kernel, input, options = undefined) {
    if (typeof kernel !== 'string') return Promise.reject(errors.invalidArgType('kernel', 'of type string', kernel));
    if (!publicKernels().includes(kernel)) return Promise.reject(errors.unknownKernel(kernel, publicKernels()));
    return this.#submit(kernel, specs[kernel], input, options);
  }

  /** Test hook: runs an internal kernel such as `__segfault` (see lib/internal/testing.js). */
  [kInternalRun](kernel, input) {
    if (!this.#kernelIds.has(kernel)) return Promise.reject(errors.unknownKernel(kernel, [...this.#kernelIds.keys()]));
    const spec = internalSpecs[kernel] ?? {
      prepare: (i) => ({ params: i?.code === undefined ? [] : [i.code], views: [], result: () => undefined }),
    };
    return this.#submit(kernel, spec, input, undefined);
  }

  #submit(kernel, spec, input, options) {
    const run = { kernel, spec, input, options, destroyed: this.#destroyed, check: checkViews };
    return this.#pending.start(run, this.#submitNative, this.#onAbort);
  }

  /** Hands a checked task to native code (made once, for `PendingTasks#start`). */
  #submitNative = (prepared, run) => {
    const views = prepared.views.map((v) => v.view);
    const owners = views.map((view) => sharedMemoryOf(view));
    const segments = Float64Array.from(owners, (shm) => (shm ? shm[kId] : 0));
    return { id: this.#native.submit(this.#kernelIds.get(run.kernel), new Float64Array(prepared.params), views, segments) };
  };

  // Running or queued, the task is always reported (cancelled, or finished if it ended first).
  #onAbort = (id) => this.#native.cancel(id);

  #onComplete(batch) {
    const { Outcome, TaskField } = taskVocabulary();
    this.#pending.settleBatch(batch, (task, numbers, at, message) => {
      const outcome = numbers[at + TaskField.Outcome];
      const code = numbers[at + TaskField.Code];
      const signal = numbers[at + TaskField.Signal];
      if (outcome === Outcome.Ok) task.resolve(task.prepared.result(numbers[at + TaskField.Value]));
      else if (outcome === Outcome.Cancelled) task.reject(task.cancelledError(this.#destroyed));
      else if (outcome === Outcome.Panicked) task.reject(errors.nativePanic(message || 'unknown panic'));
      else if (outcome === Outcome.Exited || outcome === Outcome.Lost) {
        const started = outcome === Outcome.Exited;
        task.reject(errors.workerProcessExited(signal ? null : code, signal ? (signalName(signal) ?? `signal ${signal}`) : null, started));
      } else if (outcome === Outcome.Destroyed) task.reject(errors.poolDestroyed());
      else task.reject(errors.invalidState(`A worker process refused the task: ${message}`));
    });
  }

  /**
   * Kills and reaps every worker process. Tasks not yet settled reject with
   * ERR_POOL_DESTROYED. Resolves once no worker is left; the pool then holds nothing open.
   * @returns {Promise<void>}
   */
  destroy() {
    if (this.#destroying) return this.#destroying;
    this.#destroyed = true;
    releaseListeners.delete(this.#forget);
    this.#onComplete(this.#native.close());
    this.#destroying = Promise.resolve();
    return this.#destroying;
  }

  [asyncDispose]() {
    return this.destroy();
  }
}

/** Outputs must be in SharedMemory and must not share memory with any other view. */
function checkViews(views) {
  for (let i = 0; i < views.length; i++) {
    if (views[i].mode === 'in') continue;
    if (sharedMemoryOf(views[i].view) === undefined) {
      throw errors.invalidArgValue(`input.${views[i].name}`, views[i].view, 'must be a view over a SharedMemory (worker processes write their results there)');
    }
    for (let j = 0; j < views.length; j++) {
      if (i !== j && overlaps(views[i].view, views[j].view)) {
        throw errors.invalidArgValue(`input.${views[i].name}`, views[i].view, `must not overlap input.${views[j].name}`);
      }
    }
  }
}

module.exports = { ProcessPool };
