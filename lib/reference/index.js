'use strict';

/**
 * Plain-JavaScript reference kernels for `native-parallel`.
 *
 * Each kernel takes the same single input object a user passes to
 * `pool.run(kernel, input)` (already validated) and returns its result. They define
 * correctness for the native kernels and are the baseline they are benchmarked against.
 *
 * @module native-parallel/lib/reference
 */

const noop = require('./noop');
const spin = require('./spin');
const mandelbrot = require('./mandelbrot');
const matmul = require('./matmul');
const sha256 = require('./sha256');
const blur = require('./blur');
const histogram = require('./histogram');
const sort = require('./sort');
const primes = require('./primes');

/**
 * Names of all reference kernels, in a stable order.
 *
 * @type {ReadonlyArray<'noop'|'spin'|'mandelbrot'|'matmul'|'sha256'|'blur'|'histogram'|'sort'|'primes'>}
 */
const kernels = Object.freeze([
  'noop',
  'spin',
  'mandelbrot',
  'matmul',
  'sha256',
  'blur',
  'histogram',
  'sort',
  'primes',
]);

module.exports = {
  noop,
  spin,
  mandelbrot,
  matmul,
  sha256,
  blur,
  histogram,
  sort,
  primes,
  kernels,
};
