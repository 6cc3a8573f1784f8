'use strict';

/**
 * Errors with Node-style `code`s. Every error the package throws or rejects with is made here,
 * so the codes stay consistent: tests and users check `err.code` / `err.name`.
 * @module native-parallel/lib/errors
 */

const messageFor = (value) => {
  if (value === null) return 'null';
  if (typeof value === 'function') return `function ${value.name || '<anonymous>'}`;
  if (typeof value === 'object') {
    const name = value.constructor && value.constructor.name;
    return name ? `an instance of ${name}` : 'an object';
  }
  if (typeof value === 'string') return `type string ('${value.length > 28 ? `${value.slice(0, 25)}...` : value}')`;
  if (typeof value === 'symbol') return `type symbol (${String(value)})`;
  return `type ${typeof value} (${String(value)})`;
};

/**
 * @param {ErrorConstructor} Base
 * @param {string} code
 * @param {string} message
 * @returns {Error & { code: string }}
 */
function makeError(Base, code, message) {
  const err = new Base(message);
  Object.defineProperty(err, 'code', { value: code, enumerable: true, writable: true, configurable: true });
  return /** @type {Error & { code: string }} */ (err);
}

/** `name` must be `expected`; received `value`. */
const invalidArgType = (name, expected, value) =>
  makeError(TypeError, 'ERR_INVALID_ARG_TYPE', `The "${name}" argument must be ${expected}. Received ${messageFor(value)}`);

/** `name` is of the right type but not an accepted value. */
const invalidArgValue = (name, value, reason) =>
  makeError(TypeError, 'ERR_INVALID_ARG_VALUE', `The argument '${name}' ${reason}. Received ${messageFor(value)}`);

/** A number outside its allowed range. */
const outOfRange = (name, range, value) =>
  makeError(RangeError, 'ERR_OUT_OF_RANGE', `The value of "${name}" is out of range. It must be ${range}. Received ${String(value)}`);

const unknownKernel = (name, known) =>
  makeError(TypeError, 'ERR_UNKNOWN_KERNEL', `Unknown kernel ${messageFor(name)}. Known kernels: ${known.join(', ')}`);

const queueFull = () => makeError(Error, 'ERR_QUEUE_FULL', 'The task queue is full (maxQueue reached)');

const poolDestroyed = () => makeError(Error, 'ERR_POOL_DESTROYED', 'The pool has been destroyed');

const nativePanic = (message) => makeError(Error, 'ERR_NATIVE_PANIC', `A native kernel panicked: ${message}`);

const invalidState = (message) => makeError(Error, 'ERR_INVALID_STATE', message);

const unsupportedPlatform = (what, cause) => {
  const err = makeError(Error, 'ERR_UNSUPPORTED_PLATFORM', `${what} is not available on ${process.platform}-${process.arch}`);
  if (cause) err.cause = cause;
  return err;
};

/** Node's AbortError: `name === 'AbortError'`, `code === 'ABORT_ERR'`. */
class AbortError extends Error {
  /**
   * @param {string} [message]
   * @param {{ cause?: unknown }} [options]
   */
  constructor(message = 'The operation was aborted', options = undefined) {
    super(message, options);
    this.code = 'ABORT_ERR';
    this.name = 'AbortError';
  }
}

module.exports = {
  AbortError,
  makeError,
  invalidArgType,
  invalidArgValue,
  outOfRange,
  unknownKernel,
  queueFull,
  poolDestroyed,
  nativePanic,
  invalidState,
  unsupportedPlatform,
};
