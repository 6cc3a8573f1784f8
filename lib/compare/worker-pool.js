'use strict';

/**
 * A small fixed pool of `worker_threads` Workers running reference kernel parts: the
 * `worker_threads` engine of the comparisons, written the way a Node developer would (workers
 * started once, one message per part, shared memory for arrays).
 * @module native-parallel/lib/compare/worker-pool
 */

const path = require('node:path');
const { Worker } = require('node:worker_threads');

const ENTRY = path.join(__dirname, 'worker-entry.js');

class WorkerPool {
  #workers = [];
  #idle = [];
  #queue = [];
  #pending = new Map();
  #nextId = 0;

  /** @param {number} size */
  constructor(size) {
    for (let i = 0; i < size; i++) {
      const worker = new Worker(ENTRY, { workerData: { nativeParallelWorker: true } });
      worker.on('message', (msg) => this.#onMessage(worker, msg));
      worker.on('error', (err) => this.#failAll(err));
      this.#workers.push(worker);
      this.#idle.push(worker);
    }
  }

  get size() {
    return this.#workers.length;
  }

  /** Resolves once every worker has started and answered a first task. */
  ready() {
    return Promise.all(this.#workers.map(() => this.run('noop', {}, null)));
  }

  /** Runs one part on the next idle worker. */
  run(kernel, input, part) {
    return new Promise((resolve, reject) => {
      const id = this.#nextId++;
      this.#pending.set(id, { resolve, reject });
      this.#queue.push({ id, kernel, input, part });
      this.#pump();
    });
  }

  #pump() {
    while (this.#idle.length > 0 && this.#queue.length > 0) {
      this.#idle.pop().postMessage(this.#queue.shift());
    }
  }

  #onMessage(worker, { id, result, error }) {
    const task = this.#pending.get(id);
    this.#pending.delete(id);
    this.#idle.push(worker);
    this.#pump();
    if (error) task.reject(Object.assign(new Error(error.message), { stack: error.stack }));
    else task.resolve(result);
  }

  #failAll(err) {
    for (const { reject } of this.#pending.values()) reject(err);
    this.#pending.clear();
  }

  /** Terminates every worker. */
  async destroy() {
    await Promise.all(this.#workers.map((w) => w.terminate()));
    this.#workers = [];
    this.#idle = [];
  }
}

module.exports = { WorkerPool };
