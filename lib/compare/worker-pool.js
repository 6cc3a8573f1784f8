'use strict';

/**
 * A small fixed pool of `worker_threads` Workers: the `worker_threads` engine of the
 * comparisons, written the way a Node developer would (workers started once, one message per
 * task, shared memory for arrays). By default its Workers run reference kernel parts
 * (worker-entry.js); given another `filename`, they run whatever that entry runs (the user's
 * task, task/thread-entry.js). A Worker answers `{ id, result }` or `{ id, error }`.
 * @module native-parallel/lib/compare/worker-pool
 */

const path = require('node:path');
const { Worker } = require('node:worker_threads');

const ENTRY = path.join(__dirname, 'worker-entry.js');

class WorkerPool {
  #workers = [];
  #idle = [];
  #queue = [];
  #busy = new Map(); // worker -> { id, resolve, reject }
  #nextId = 0;

  /**
   * @param {number} size
   * @param {{ filename?: string, workerData?: object }} [options]
   */
  constructor(size, { filename = ENTRY, workerData = { nativeParallelWorker: true } } = {}) {
    for (let i = 0; i < size; i++) {
      const worker = new Worker(filename, { workerData });
      worker.on('message', (msg) => this.#onMessage(worker, msg));
      worker.on('error', (err) => this.#fail(worker, err));
      worker.on('exit', (code) => this.#fail(worker, new Error(`worker thread exited (${code}) while it ran a task`)));
      this.#workers.push(worker);
      this.#idle.push(worker);
    }
  }

  get size() {
    return this.#workers.length;
  }

  /** Resolves once every worker has started and answered a first kernel task. */
  ready() {
    return Promise.all(this.#workers.map(() => this.run('noop', {}, null)));
  }

  /** Runs one kernel part on the next idle worker. */
  run(kernel, input, part) {
    return this.call({ kernel, input, part });
  }

  /** Sends `message` (plus an `id`) to the next idle worker; resolves with its `result`. */
  call(message) {
    return new Promise((resolve, reject) => {
      this.#queue.push({ id: this.#nextId++, message, resolve, reject });
      this.#pump();
    });
  }

  #pump() {
    while (this.#idle.length > 0 && this.#queue.length > 0) {
      const worker = this.#idle.pop();
      const task = this.#queue.shift();
      this.#busy.set(worker, task);
      worker.postMessage({ id: task.id, ...task.message });
    }
  }

  #onMessage(worker, { id, result, error, described }) {
    const task = this.#busy.get(worker);
    if (!task || task.id !== id) return;
    this.#busy.delete(worker);
    this.#idle.push(worker);
    this.#pump();
    if (error) task.reject(typeof error === 'string' ? Object.assign(new Error(error), described ? { described: error } : {}) : Object.assign(new Error(error.message), { stack: error.stack }));
    else task.resolve(result);
  }

  /** A worker that failed or exited: its task rejects, and so does the queue if none is left. */
  #fail(worker, err) {
    const task = this.#busy.get(worker);
    this.#busy.delete(worker);
    const i = this.#idle.indexOf(worker);
    if (i >= 0) this.#idle.splice(i, 1);
    const w = this.#workers.indexOf(worker);
    if (w >= 0) this.#workers.splice(w, 1);
    task?.reject(err);
    if (this.#workers.length === 0) for (const t of this.#queue.splice(0)) t.reject(err);
  }

  /** Terminates every worker. */
  async destroy() {
    const workers = this.#workers;
    this.#workers = [];
    this.#idle = [];
    for (const w of workers) w.removeAllListeners('exit');
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

module.exports = { WorkerPool };
