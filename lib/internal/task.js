'use strict';

/**
 * The task vocabulary every pool facade shares: the native side's `Outcome` and `TaskField`
 * numbers (exported from Rust, `src/core/task.rs`, never copied here), and the pending task,
 * which owns one task's life from `submit` to its settlement (as Piscina's `TaskInfo` does).
 *
 * Used by ThreadPool, ProcessPool and WorkerPool, so a new pool gets settlement, unpinning and
 * abort wiring from here instead of writing them again.
 * @module native-parallel/lib/internal/task
 */

const errors = require('../errors');
const { loadNative } = require('../native');
const { pinViews, unpinAll } = require('../shared-memory');
const { validateRun } = require('../validate');

/** @type {{ Outcome: Record<string, number>, TaskField: Record<string, number> } | undefined} */
let vocabulary;

/**
 * The addon's `Outcome` (how a task ended) and `TaskField` (where each number of a task's
 * record lies in a completion batch).
 * @param {string} [feature] what the caller wanted, for the error when the addon is missing
 */
function taskVocabulary(feature) {
  if (vocabulary === undefined) {
    const { Outcome, TaskField } = loadNative(feature);
    vocabulary = Object.freeze({ Outcome: Object.freeze({ ...Outcome }), TaskField: Object.freeze({ ...TaskField }) });
  }
  return vocabulary;
}

/**
 * One task handed to native code and not yet settled.
 */
class PendingTask {
  /**
   * @param {{ prepared: any, pinned: any[], signal?: AbortSignal, hold?: any }} parts
   *   `prepared` is the kernel spec's output; `pinned` the SharedMemory pinned for it; `hold`
   *   whatever native code works on that must stay reachable until the task settles
   * @param {(value: any) => void} resolve
   * @param {(err: any) => void} reject
   */
  constructor({ prepared, pinned, signal, hold }, resolve, reject) {
    this.resolve = resolve;
    this.reject = reject;
    this.prepared = prepared;
    this.pinned = pinned;
    this.signal = signal;
    this.hold = hold;
    /** @type {(() => void) | null} */
    this.onAbort = null;
  }

  /**
   * Calls `onAbort` when the task's signal aborts (once); nothing when it has no signal. The
   * signal is an AbortSignal, or an EventEmitter-style one (`once`/`off`, as Piscina accepts).
   * @param {() => void} onAbort
   */
  listen(onAbort) {
    if (!this.signal) return;
    this.onAbort = onAbort;
    if (typeof this.signal.addEventListener === 'function') this.signal.addEventListener('abort', onAbort, { once: true });
    else this.signal.once('abort', onAbort);
  }

  /** Lets go of what the task held: its SharedMemory pins and its abort listener. */
  settle() {
    unpinAll(this.pinned);
    if (this.onAbort) {
      if (typeof this.signal.removeEventListener === 'function') this.signal.removeEventListener('abort', this.onAbort);
      else this.signal.off('abort', this.onAbort);
    }
    this.onAbort = null;
  }

  /**
   * The error a cancelled task rejects with: ERR_POOL_DESTROYED when the pool's destruction
   * cancelled it, an AbortError when its signal did.
   * @param {boolean} destroyed whether the pool is destroyed
   */
  cancelledError(destroyed) {
    return destroyed && !this.signal?.aborted
      ? errors.poolDestroyed()
      : new errors.AbortError(undefined, { cause: this.signal?.reason });
  }
}

/**
 * A pool's tasks in flight, by the id native code gave them.
 */
class PendingTasks {
  /** @type {Map<number, PendingTask>} */
  #tasks = new Map();

  get size() {
    return this.#tasks.size;
  }

  /**
   * The steps every pool's `run()` takes, in order: the checks every pool shares
   * (`validateRun`), the pool's own `check(views)`, an already-aborted signal, pinning the
   * SharedMemory the task works on (it cannot be closed while the task runs), the native
   * submit, and the registration. Any failure rejects the returned promise and leaves nothing
   * pinned.
   * @template R
   * @param {R & { spec: { prepare: (input: any) => any }, input: unknown, options: unknown,
   *   destroyed: boolean, check: (views: any[]) => void }} run
   * @param {(prepared: any, run: R) => { id: number, hold?: any }} submit calls native code
   *   (it gets `run` back, so a pool can pass one function made once); `hold` is kept
   *   reachable until the task settles
   * @param {(id: number, task: PendingTask) => void} onAbort as for `add`
   * @returns {Promise<any>}
   */
  start(run, submit, onAbort) {
    const { spec, input, options, destroyed, check } = run;
    let signal;
    let prepared;
    try {
      ({ signal, prepared } = validateRun(spec, input, options, destroyed));
      check(prepared.views);
    } catch (err) {
      return Promise.reject(err);
    }
    if (signal?.aborted) return Promise.reject(new errors.AbortError(undefined, { cause: signal.reason }));
    const pinned = pinViews(prepared.views);
    let submitted;
    try {
      submitted = submit(prepared, run);
    } catch (err) {
      unpinAll(pinned);
      return Promise.reject(err);
    }
    submitted.prepared = prepared;
    submitted.pinned = pinned;
    submitted.signal = signal;
    return this.add(submitted.id, submitted, onAbort);
  }

  /**
   * Registers a task under `id` and returns the promise it settles. `onAbort(id, task)` runs
   * when the signal (if any) aborts while the task is pending.
   * @param {number} id
   * @param {ConstructorParameters<typeof PendingTask>[0]} parts
   * @param {(id: number, task: PendingTask) => void} onAbort
   * @returns {Promise<any>}
   */
  add(id, parts, onAbort) {
    return new Promise((resolve, reject) => {
      const task = new PendingTask(parts, resolve, reject);
      if (parts.signal) {
        task.listen(() => {
          if (this.#tasks.get(id) === task) onAbort(id, task);
        });
      }
      this.#tasks.set(id, task);
    });
  }

  /**
   * Settles the tasks of a completion batch (`{ width, numbers, messages }`, see
   * `src/core/completion.rs`): for each record whose task is pending, takes the task and
   * calls `settle(task, numbers, at, message)`, where `numbers[at + TaskField.X]` is the
   * record's field X. A throw from `settle` rejects that task.
   * @param {{ width: number, numbers: number[], messages: Array<string | null> }} batch
   * @param {(task: PendingTask, numbers: number[], at: number, message: string | null | undefined) => void} settle
   */
  settleBatch({ width, numbers, messages }, settle) {
    const { TaskField } = taskVocabulary();
    for (let i = 0, at = 0; at < numbers.length; i++, at += width) {
      const task = this.take(numbers[at + TaskField.Id]);
      if (task === undefined) continue;
      try {
        settle(task, numbers, at, messages[i]);
      } catch (err) {
        task.reject(err);
      }
    }
  }

  /**
   * The task `id` while it is pending (it stays registered).
   * @param {number} id
   * @returns {PendingTask | undefined}
   */
  get(id) {
    return this.#tasks.get(id);
  }

  /** The ids of the pending tasks, as they are now (safe to settle them while iterating). */
  ids() {
    return [...this.#tasks.keys()];
  }

  /**
   * Removes the task `id` and lets go of what it held; the caller settles its promise.
   * @param {number} id
   * @returns {PendingTask | undefined}
   */
  take(id) {
    const task = this.#tasks.get(id);
    if (task === undefined) return undefined;
    this.#tasks.delete(id);
    task.settle();
    return task;
  }
}

module.exports = { PendingTask, PendingTasks, taskVocabulary };
