'use strict';

/**
 * Hooks for this package's own tests; not part of the public API.
 * @module native-parallel/lib/internal/testing
 */

const { kInternalRun } = require('../thread-pool');

/**
 * Runs an internal kernel such as `__panic` on a pool.
 * @param {import('../thread-pool').ThreadPool} pool
 * @param {string} kernel
 * @param {object} [input]
 */
const runInternal = (pool, kernel, input) => pool[kInternalRun](kernel, input);

module.exports = { runInternal };
