'use strict';

/**
 * Code that runs inside a JavaScript worker: a `worker_threads` Worker of `WorkerPool`, a
 * Piscina worker (which calls the exported function), or a node:cluster worker process (which
 * gets tasks by IPC). Each task is one part of a split kernel run (see split.js).
 */

const { runPartHere } = require('./split');

/** Piscina calls this. */
module.exports = ({ kernel, input, part }) => runPartHere(kernel, input, part);

const { parentPort, workerData } = require('node:worker_threads');
if (parentPort && workerData && workerData.nativeParallelWorker) {
  parentPort.on('message', ({ id, kernel, input, part }) => {
    try {
      parentPort.postMessage({ id, result: runPartHere(kernel, input, part) });
    } catch (err) {
      parentPort.postMessage({ id, error: { message: err.message, stack: err.stack } });
    }
  });
}
