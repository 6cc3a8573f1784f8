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

/**
 * An error native code reported as data (a task a batch refused) instead of throwing it: the
 * class its code calls for, with native code's message.
 * @param {string} code
 * @param {string} message
 */
function fromNative(code, message) {
  const Base = code === 'ERR_INVALID_ARG_VALUE' || code === 'ERR_INVALID_ARG_TYPE' ? TypeError : code === 'ERR_OUT_OF_RANGE' ? RangeError : Error;
  return makeError(Base, code, message);
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

/** A required argument is missing. */
const missingArgs = (name) => makeError(TypeError, 'ERR_MISSING_ARGS', `The "${name}" argument must be specified`);

/** The IPC channel to a worker (or to the primary) is closed. */
const ipcChannelClosed = () => makeError(Error, 'ERR_IPC_CHANNEL_CLOSED', 'Channel closed');

/** A frame on an IPC channel could not be read; the channel is closed. */
const invalidFrame = (reason, cause) => {
  const err = makeError(Error, 'ERR_INVALID_FRAME', `Invalid IPC frame: ${reason}; the channel was closed`);
  if (cause) err.cause = cause;
  return err;
};

/** A message too large to frame. */
const messageTooLarge = (bytes, max) =>
  makeError(RangeError, 'ERR_OUT_OF_RANGE', `The serialized message is ${bytes} bytes; the largest IPC message is ${max} bytes`);

/** A worker exited while something waited for it. */
const workerExited = (message) => makeError(Error, 'ERR_WORKER_EXITED', message);

/**
 * A ProcessPool worker process ended (crashed, or was killed) while it ran part of a task, or
 * (`started` false) worker processes kept ending before they started it.
 * @param {number | null} exitCode the exit code, or null when a signal ended it
 * @param {string | null} signal the signal's name (e.g. 'SIGSEGV'), or null
 * @param {boolean} [started] whether the worker had started the task's part
 */
const workerProcessExited = (exitCode, signal, started = true) => {
  const how = signal ? `was killed by ${signal}` : `exited with code ${exitCode}`;
  const when = started ? 'while it ran the task' : 'before it started the task, and so did the workers given the task before it';
  const err = makeError(Error, 'ERR_WORKER_EXITED', `A worker process ${how} ${when}`);
  err.exitCode = exitCode;
  err.signal = signal;
  return err;
};

/** A worker crashed more than `restart.maxRestarts` times within `restart.windowMs`. */
const restartLimit = (worker, restarts, windowMs) =>
  makeError(
    Error,
    'ERR_RESTART_LIMIT',
    `Worker ${worker.id} (pid ${worker.process.pid}) exited unexpectedly after ${restarts} restarts within ${windowMs} ms; it will not be restarted`,
  );

/**
 * A failed system call, shaped like Node's own (`code` is the errno name, plus `syscall`).
 * @param {{ code?: string, message?: string }} native the error native code threw
 * @param {string} syscall
 * @param {Record<string, unknown>} [extra] e.g. `{ address, port }`
 */
const systemError = (native, syscall, extra = {}) => {
  const err = makeError(Error, native.code || 'EIO', native.message || `${syscall} failed`);
  err.syscall = syscall;
  Object.assign(err, extra);
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
  fromNative,
  invalidArgType,
  invalidArgValue,
  outOfRange,
  unknownKernel,
  queueFull,
  poolDestroyed,
  nativePanic,
  invalidState,
  unsupportedPlatform,
  missingArgs,
  ipcChannelClosed,
  invalidFrame,
  messageTooLarge,
  workerExited,
  workerProcessExited,
  restartLimit,
  systemError,
};
