'use strict';

/**
 * WorkerPool's options: Piscina 5's names, defaults and adjustments, checked with Node-style
 * error codes (Piscina throws bare TypeErrors) before anything starts.
 * @module native-parallel/lib/worker-pool/options
 */

const os = require('node:os');
const { fileURLToPath } = require('node:url');
const errors = require('../errors');

const cpus = os.availableParallelism();

/** Piscina 5's defaults for the options WorkerPool implements. */
const defaults = Object.freeze({
  filename: null,
  name: 'default',
  minThreads: Math.max(Math.floor(cpus / 2), 1),
  maxThreads: cpus * 1.5,
  idleTimeout: 0,
  maxQueue: Infinity,
  concurrentTasksPerWorker: 1,
  atomics: 'sync',
  closeTimeout: 30000,
  recordTiming: true,
  trackUnmanagedFds: true,
  /**
   * Ours, not Piscina's: how long (microseconds) an idle Worker watches the queue before it
   * parks, so a task that comes soon is taken without a wake-up (src/worker_pool/core/spin.rs).
   * 0 turns spinning off.
   */
  spinMicros: 50,
});

/** The longest spin `spinMicros` may ask for (1 ms): past that, parking is cheaper. */
const MAX_SPIN_MICROS = 1000;

/** A path or `file:` URL (string or URL object) as a path. */
function toPath(filename) {
  if (filename instanceof URL) return fileURLToPath(filename);
  return filename.startsWith('file:') ? fileURLToPath(new URL(filename)) : filename;
}

const isString = (v) => typeof v === 'string';
const isNumber = (v) => typeof v === 'number';

/**
 * A number that must be an integer >= min (Infinity allowed when `infinite`).
 * @param {Record<string, any>} o
 * @param {string} key
 * @param {number} min
 * @param {boolean} [infinite]
 */
function integerOption(o, key, min, infinite = false) {
  const value = o[key];
  if (value === undefined) return;
  if (!isNumber(value)) throw errors.invalidArgType(`options.${key}`, 'of type number', value);
  const ok = (Number.isInteger(value) || (infinite && value === Infinity)) && value >= min;
  if (!ok) throw errors.outOfRange(`options.${key}`, `an integer >= ${min}${infinite ? ' (or Infinity)' : ''}`, value);
}

/**
 * Checks `options` and returns them filled in, as Piscina's `pool.options` shows them.
 * @param {unknown} options
 * @returns {Record<string, any>}
 */
function fillOptions(options) {
  if (options === undefined) options = {};
  if (options === null || typeof options !== 'object') throw errors.invalidArgType('options', 'of type object', options);
  // Own properties only: an option is never read through a polluted prototype (as in Piscina).
  const o = Object.assign(Object.create(null), options);

  if (o.filename != null && !isString(o.filename) && !(o.filename instanceof URL)) {
    throw errors.invalidArgType('options.filename', 'of type string or an instance of URL', o.filename);
  }
  if (o.name != null && !isString(o.name)) throw errors.invalidArgType('options.name', 'of type string', o.name);
  integerOption(o, 'minThreads', 0);
  integerOption(o, 'maxThreads', 1);
  if (o.minThreads !== undefined && o.maxThreads !== undefined && o.minThreads > o.maxThreads) {
    throw errors.outOfRange('options.minThreads', `<= options.maxThreads (${o.maxThreads})`, o.minThreads);
  }
  integerOption(o, 'idleTimeout', 0, true);
  if (o.maxQueue !== 'auto') integerOption(o, 'maxQueue', 0, true);
  integerOption(o, 'concurrentTasksPerWorker', 1);
  if (o.atomics != null && !['sync', 'async', 'disabled'].includes(o.atomics)) {
    throw errors.invalidArgValue('options.atomics', o.atomics, "must be 'sync', 'async' or 'disabled'");
  }
  if (o.resourceLimits !== undefined && (o.resourceLimits === null || typeof o.resourceLimits !== 'object')) {
    throw errors.invalidArgType('options.resourceLimits', 'of type object', o.resourceLimits);
  }
  for (const key of ['argv', 'execArgv']) {
    if (o[key] !== undefined && !Array.isArray(o[key])) throw errors.invalidArgType(`options.${key}`, 'an instance of Array', o[key]);
  }
  if (o.env !== undefined && (o.env === null || (typeof o.env !== 'object' && typeof o.env !== 'symbol'))) {
    throw errors.invalidArgType('options.env', 'of type object', o.env);
  }
  integerOption(o, 'closeTimeout', 0, true);
  integerOption(o, 'spinMicros', 0);
  if (o.spinMicros > MAX_SPIN_MICROS) throw errors.outOfRange('options.spinMicros', `an integer from 0 to ${MAX_SPIN_MICROS}`, o.spinMicros);
  for (const key of ['recordTiming', 'trackUnmanagedFds']) {
    if (o[key] !== undefined && typeof o[key] !== 'boolean') throw errors.invalidArgType(`options.${key}`, 'of type boolean', o[key]);
  }

  const filled = Object.assign(Object.create(null), defaults, o, {
    filename: o.filename == null ? null : toPath(o.filename),
    name: o.name ?? defaults.name,
  });
  // Piscina's adjustments: a given bound moves the other default out of its way.
  if (o.maxThreads !== undefined && filled.minThreads >= o.maxThreads) filled.minThreads = o.maxThreads;
  if (o.minThreads !== undefined && filled.maxThreads <= o.minThreads) filled.maxThreads = o.minThreads;
  filled.maxQueue = o.maxQueue === 'auto' ? filled.maxThreads ** 2 : (o.maxQueue ?? defaults.maxQueue);
  return filled;
}

/**
 * Checks `run()`'s options; returns them as an own-properties copy.
 * @param {unknown} options
 */
function runOptions(options) {
  if (options === null || typeof options !== 'object') throw errors.invalidArgType('options', 'of type object', options);
  const o = Object.assign(Object.create(null), options);
  if (o.transferList !== undefined && !Array.isArray(o.transferList)) {
    throw errors.invalidArgType('options.transferList', 'an instance of Array', o.transferList);
  }
  if (o.filename != null && !isString(o.filename) && !(o.filename instanceof URL)) {
    throw errors.invalidArgType('options.filename', 'of type string or an instance of URL', o.filename);
  }
  if (o.name != null && !isString(o.name)) throw errors.invalidArgType('options.name', 'of type string', o.name);
  const signal = o.signal;
  if (signal != null) {
    const target = typeof signal === 'object' && typeof signal.addEventListener === 'function';
    const emitter = typeof signal === 'object' && typeof signal.once === 'function' && typeof signal.off === 'function';
    if (!target && !emitter) throw errors.invalidArgType('options.signal', 'an instance of AbortSignal', signal);
  }
  return o;
}

module.exports = { fillOptions, runOptions, toPath, defaults };
