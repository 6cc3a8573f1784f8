'use strict';

/**
 * native-parallel: Node's two concurrency models, backed by native Rust.
 * @module native-parallel
 */

const { ThreadPool } = require('./lib/thread-pool');
const { ProcessPool } = require('./lib/process-pool');
const { SharedMemory } = require('./lib/shared-memory');
const { AbortError } = require('./lib/errors');
const { getCluster } = require('./lib/cluster');

module.exports = { ThreadPool, ProcessPool, SharedMemory, AbortError };
// Loaded on first use, so that a script (a cluster worker, say) pays only for what it uses.
Object.defineProperty(module.exports, 'compare', { enumerable: true, get: () => require('./lib/compare').compare });
// WorkerPool (the user's JavaScript on worker_threads, Piscina's API), loaded on first use.
Object.defineProperty(module.exports, 'WorkerPool', { enumerable: true, get: () => require('./lib/worker-pool').WorkerPool });
// The primary's `cluster` object, or the worker side in a process the cluster started.
Object.defineProperty(module.exports, 'cluster', { enumerable: true, get: getCluster });
