'use strict';

/**
 * native-parallel: Node's two concurrency models, backed by native Rust.
 * @module native-parallel
 */

const { ThreadPool } = require('./lib/thread-pool');
const { AbortError } = require('./lib/errors');

/**
 * Runs the same work on Node's built-ins and on the native engines (see lib/compare).
 * @param {import('./index').CompareOptions} [options]
 */
const compare = (options) => require('./lib/compare').compare(options);

module.exports = { ThreadPool, AbortError, compare };
