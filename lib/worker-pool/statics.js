'use strict';

/**
 * Piscina's static members, the base of WorkerPool: what a task module reads
 * (`isWorkerThread`, `workerData`) and the transferable markers (`move()` and the symbols).
 * @module native-parallel/lib/worker-pool/statics
 */

const { EventEmitter } = require('node:events');
const common = require('./common');

class PiscinaStatics extends EventEmitter {
  /** True inside a WorkerPool Worker. */
  static get isWorkerThread() {
    return common.state.isWorkerThread;
  }

  /** The pool's `workerData`, inside a WorkerPool Worker. */
  static get workerData() {
    return common.state.workerData;
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

module.exports = { PiscinaStatics };
