'use strict';

/**
 * One Worker of a WorkerPool, seen from the owner: starts it (the task-side runtime, with the
 * user's `workerData`), then, once the pool gave it a slot, hands it the startup message and
 * the private port, and forwards its events. The Worker never holds the owner's event loop open: the pool's native completion
 * callback does that while tasks are in flight.
 * @module native-parallel/lib/worker-pool/pool-worker
 */

const path = require('node:path');
const { Worker, MessageChannel, receiveMessageOnPort } = require('node:worker_threads');
const { kStartup } = require('./common');
const { binaryPath } = require('../native');
const { errorRecord } = require('./serialize');
const { cloneError } = require('./submit');

const RUNTIME = path.join(__dirname, 'runtime.js');

class PoolWorker {
  /** Set once the pool stopped counting on this Worker (exited, or being terminated). */
  gone = false;
  /** Set once the Worker is running JavaScript. */
  online = false;
  /** task id → a result that came over the port before its completion was seen */
  results = new Map();

  /**
   * Starts the Worker's thread; it waits for `attach()` before it takes tasks.
   * @param {Record<string, any>} options the pool's
   */
  constructor(options) {
    /** This Worker's own wake word (a cache line of its own): bumped and notified to wake it. */
    this.wakeWord = new Int32Array(new SharedArrayBuffer(64), 0, 1);
    this.worker = new Worker(RUNTIME, {
      env: options.env,
      argv: options.argv,
      execArgv: options.execArgv,
      resourceLimits: options.resourceLimits,
      workerData: options.workerData,
      trackUnmanagedFds: options.trackUnmanagedFds,
    });
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.#peerPort = port2;
    port1.on('message', (message) => this.#receive(message));
    port1.unref();
    this.worker.once('online', () => {
      this.online = true;
    });
  }

  /** The Worker's end of the private port, until `attach()` hands it over. */
  #peerPort;

  /**
   * Gives the Worker its slot in the native pool: the startup message it waits for.
   * @param {{ slot: number, pool: number, route: number, options: Record<string, any>,
   *   holdOf: (id: number) => { value: any, transferList?: any[] } | null | undefined }} init
   */
  attach({ slot, pool, route, options, holdOf }) {
    this.slot = slot;
    this.holdOf = holdOf;
    const port = this.#peerPort;
    this.#peerPort = null;
    const startup = { addon: binaryPath(), pool, slot, wake: this.wakeWord, route, concurrency: options.concurrentTasksPerWorker, spinMicros: options.spinMicros, port };
    this.worker.postMessage({ [kStartup]: startup }, [port]);
  }

  /** Lets the process exit while this Worker lives (call after adding every listener). */
  unref() {
    this.worker.unref();
    this.port.unref();
  }

  /** Wakes the Worker (the pool picked it to take a task: src/worker_pool/core/mod.rs, "Parking"). */
  wake() {
    Atomics.add(this.wakeWord, 0, 1);
    Atomics.notify(this.wakeWord, 0, 1);
  }

  get threadId() {
    return this.worker.threadId;
  }

  /**
   * The result of task `id` that the Worker posted on the port before it reported the task
   * done: already received, or waiting in the port (read now, without an event-loop turn).
   * @param {number} id
   * @returns {{ found: boolean, value?: any }}
   */
  takeResult(id) {
    for (;;) {
      if (this.results.has(id)) {
        const value = this.results.get(id);
        this.results.delete(id);
        return { found: true, value };
      }
      const entry = receiveMessageOnPort(this.port);
      if (entry === undefined) return { found: false };
      this.#receive(entry.message);
    }
  }

  /**
   * A message on the port: the Worker asks for a task's value (one that holds a
   * SharedArrayBuffer or moves values), or sends a result that bytes could not carry.
   */
  #receive(message) {
    if (message.pull !== undefined) {
      const hold = this.holdOf(message.pull);
      if (!hold) return;
      try {
        this.port.postMessage({ id: message.pull, task: hold.value }, hold.transferList ?? []);
      } catch (err) {
        this.port.postMessage({ id: message.pull, error: errorRecord(cloneError(err)) });
      }
      hold.value = undefined;
      return;
    }
    this.results.set(message.id, message.result);
  }

  /** Stops the Worker; resolves once it exited. */
  terminate() {
    this.gone = true;
    this.port.close();
    return this.worker.terminate();
  }
}

module.exports = { PoolWorker };
