'use strict';

/**
 * What the pool's owner and its Workers agree on: outcome and flag numbers, the message keys of
 * the private port, the transferable markers (Piscina's own symbols, so values made for Piscina
 * work here too), and the state a task module reads (`isWorkerThread`, `workerData`).
 * @module native-parallel/lib/worker-pool/common
 */

const { types } = require('node:util');

/** How a task ended, as a Worker reports it. */
const OUTCOME_OK = 0;
const OUTCOME_ERROR = 1;
/** The result went over the private port (it holds a SharedArrayBuffer, or moved values). */
const OUTCOME_PORT = 2;

/** The task's value must be fetched over the private port (SharedArrayBuffer, transferList). */
const FLAG_PORT = 1;

/** The key of the startup message a Worker receives first. */
const kStartup = '__nativeParallelWorkerPoolStartup';

const kTransferable = Symbol.for('Piscina.transferable');
const kValue = Symbol.for('Piscina.valueOf');
const kQueueOptions = Symbol.for('Piscina.queueOptions');
const kMovable = Symbol('native-parallel.WorkerPool.movable');

/** Set by the task-side runtime in each Worker. */
const state = { isWorkerThread: false, workerData: undefined };

/** True if `value` implements the Transferable interface (both marker symbols). */
function isTransferable(value) {
  return value != null && typeof value === 'object' && kTransferable in value && kValue in value;
}

/** True if `value` is a Transferable returned by `WorkerPool.move()`. */
function isMovable(value) {
  return isTransferable(value) && value[kMovable] === true;
}

class DirectlyTransferable {
  #value;
  constructor(value) {
    this.#value = value;
  }
  get [kTransferable]() {
    return this.#value;
  }
  get [kValue]() {
    return this.#value;
  }
}

class ArrayBufferViewTransferable {
  #view;
  constructor(view) {
    this.#view = view;
  }
  get [kTransferable]() {
    return this.#view.buffer;
  }
  get [kValue]() {
    return this.#view;
  }
}

/**
 * Marks a value to be moved (transferred), not copied, as a task or a result: Piscina's
 * `move()`. An ArrayBufferView moves its buffer; other objects (ArrayBuffer, MessagePort, a
 * Transferable) move themselves; anything else is returned as it is.
 * @template T
 * @param {T} value
 * @returns {T}
 */
function move(value) {
  if (value != null && typeof value === 'object') {
    if (!isTransferable(value)) {
      value = types.isArrayBufferView(value) ? new ArrayBufferViewTransferable(value) : new DirectlyTransferable(value);
    }
    Object.defineProperty(value, kMovable, { enumerable: false, configurable: true, writable: true, value: true });
  }
  return value;
}

module.exports = {
  OUTCOME_OK,
  OUTCOME_ERROR,
  OUTCOME_PORT,
  FLAG_PORT,
  kStartup,
  kTransferable,
  kValue,
  kQueueOptions,
  state,
  isTransferable,
  isMovable,
  move,
};
