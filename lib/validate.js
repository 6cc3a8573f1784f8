'use strict';

/**
 * Argument checks shared by the facade. Each throws a TypeError/RangeError with a Node-style
 * code and a message naming the field, before any native code runs.
 * @module native-parallel/lib/validate
 */

const { types } = require('node:util');
const { invalidArgType, invalidArgValue, outOfRange, poolDestroyed } = require('./errors');

/** Buffers native code may work on in place (SharedMemory registers its buffers here). */
const inPlaceBuffers = new WeakSet();

/**
 * @param {unknown} value
 * @param {string} name
 * @returns {Record<string, any>}
 */
function validateObject(value, name) {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw invalidArgType(name, 'of type object', value);
  }
  return /** @type {Record<string, any>} */ (value);
}

/**
 * An integer in [min, max].
 * @param {unknown} value
 * @param {string} name
 * @param {number} min
 * @param {number} max
 * @returns {number}
 */
function validateInteger(value, name, min, max) {
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value);
  if (!Number.isInteger(value)) throw outOfRange(name, 'an integer', value);
  if (value < min || value > max) throw outOfRange(name, `>= ${min} && <= ${max}`, value);
  return value;
}

/**
 * A finite number.
 * @param {unknown} value
 * @param {string} name
 * @returns {number}
 */
function validateFinite(value, name) {
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value);
  if (!Number.isFinite(value)) throw outOfRange(name, 'a finite number', value);
  return value;
}

/** @param {ArrayBufferLike} buffer */
function isDetached(buffer) {
  if (types.isSharedArrayBuffer(buffer)) return false;
  try {
    new Uint8Array(buffer, 0, 0);
    return false;
  } catch {
    return true;
  }
}

const typedArrayChecks = {
  Uint8Array: (v) => types.isUint8Array(v) || types.isUint8ClampedArray(v),
  Uint32Array: (v) => types.isUint32Array(v),
  Float64Array: (v) => types.isFloat64Array(v),
};

/**
 * A typed array of the given kind (a Uint8ClampedArray counts as a Uint8Array), not detached,
 * with exactly `length` elements when `length` is given.
 * @template {keyof typeof typedArrayChecks} K
 * @param {unknown} value
 * @param {string} name
 * @param {K} kind
 * @param {number} [length]
 * @returns {any}
 */
function validateTypedArray(value, name, kind, length) {
  if (!typedArrayChecks[kind](value)) {
    throw invalidArgType(name, `an instance of ${kind}`, value);
  }
  const view = /** @type {ArrayBufferView & { length: number }} */ (value);
  if (isDetached(view.buffer)) throw invalidArgValue(name, value, 'must not be detached');
  if (length !== undefined && view.length !== length) {
    throw outOfRange(`${name}.length`, `${length}`, view.length);
  }
  return view;
}

/**
 * True when native code may work on the view's memory in place.
 * @param {ArrayBufferView} view
 */
function isShareable(view) {
  return types.isSharedArrayBuffer(view.buffer) || inPlaceBuffers.has(view.buffer);
}

/**
 * True when two views share at least one byte.
 * @param {ArrayBufferView} a
 * @param {ArrayBufferView} b
 */
function overlaps(a, b) {
  if (a.buffer !== b.buffer || a.byteLength === 0 || b.byteLength === 0) return false;
  return a.byteOffset < b.byteOffset + b.byteLength && b.byteOffset < a.byteOffset + a.byteLength;
}

/**
 * An optional AbortSignal.
 * @param {unknown} signal
 * @param {string} name
 * @returns {AbortSignal | undefined}
 */
function validateAbortSignal(signal, name) {
  if (signal === undefined) return undefined;
  if (signal === null || typeof signal !== 'object' || !('aborted' in signal) || typeof /** @type {any} */ (signal).addEventListener !== 'function') {
    throw invalidArgType(name, 'an instance of AbortSignal', signal);
  }
  return /** @type {AbortSignal} */ (signal);
}

/**
 * What every pool's `run()` checks before anything is queued, in this order: `options` (an
 * object whose `signal` is an AbortSignal), that the pool is not destroyed, and the kernel's
 * input (`spec.prepare`). Throws the error the returned promise must reject with.
 * @param {{ prepare: (input: any) => any }} spec
 * @param {unknown} input
 * @param {unknown} options
 * @param {boolean} destroyed
 * @returns {{ signal: AbortSignal | undefined, prepared: any }}
 */
function validateRun(spec, input, options, destroyed) {
  const signal = options === undefined ? undefined : validateAbortSignal(validateObject(options, 'options').signal, 'options.signal');
  if (destroyed) throw poolDestroyed();
  return { signal, prepared: spec.prepare(input) };
}

module.exports = {
  inPlaceBuffers,
  validateRun,
  validateObject,
  validateInteger,
  validateFinite,
  validateTypedArray,
  validateAbortSignal,
  isDetached,
  isShareable,
  overlaps,
};
