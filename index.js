'use strict';

/**
 * native-parallel: Node's two concurrency models, backed by native Rust.
 * @module native-parallel
 */

const { ThreadPool } = require('./lib/thread-pool');
const { AbortError } = require('./lib/errors');

module.exports = { ThreadPool, AbortError };
