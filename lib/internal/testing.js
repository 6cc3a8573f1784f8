'use strict';

/**
 * Hooks for this package's own tests; not part of the public API.
 * @module native-parallel/lib/internal/testing
 */

const { kInternalRun } = require('./symbols');

/**
 * Runs an internal kernel on a pool: `__panic` (ThreadPool and ProcessPool), and on a
 * ProcessPool `__segfault`, `__abort` and `__exit` (input `{ code }`), which end the worker
 * process running them; `__report_exit` (writes its result into its mailbox and exits before
 * ringing the doorbell) and `__garbage` (writes garbage results there, then exits with
 * `{ code }`).
 * @param {import('../thread-pool').ThreadPool | import('../process-pool').ProcessPool} pool
 * @param {string} kernel
 * @param {object} [input]
 */
const runInternal = (pool, kernel, input) => pool[kInternalRun](kernel, input);

module.exports = { runInternal };
