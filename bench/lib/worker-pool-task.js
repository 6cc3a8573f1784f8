'use strict';

/** The noop task of bench/worker-pool.js, the same for WorkerPool and Piscina. */
module.exports = () => {};
