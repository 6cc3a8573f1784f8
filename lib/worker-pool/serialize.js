'use strict';

/**
 * How WorkerPool tasks and results travel through native memory: `v8` serialization
 * (structured clone semantics) with two changes to Node's default:
 * - a view over a SharedMemory buffer is written as a reference (segment id, offset, length),
 *   and read back as a view over the same memory: shared, never copied;
 * - a SharedArrayBuffer (or a view over one) cannot cross isolates through bytes, so meeting one
 *   throws `NEEDS_PORT`: the caller then sends that value over a MessagePort instead.
 * Typed arrays read back get buffers of their own (Node's default makes views into the whole
 * message, whose `.buffer` would expose other bytes of it).
 * @module native-parallel/lib/worker-pool/serialize
 */

const { types } = require('node:util');

/**
 * `lib/shared-memory`, loaded on first use: a Worker that never meets a SharedMemory does not
 * load it (Worker start-up time). A buffer can only belong to a SharedMemory of this thread if
 * that module is loaded here already, which `loadedSharedMemory` checks.
 */
const SHM_PATH = require.resolve('../shared-memory');
let shm = null;
const sharedMemory = () => (shm ??= require(SHM_PATH));
const loadedSharedMemory = () => (shm === null && require.cache[SHM_PATH] === undefined ? null : sharedMemory());

/** Thrown by the serializer when a value must go over a MessagePort. */
const NEEDS_PORT = Symbol('native-parallel.WorkerPool.needsPort');

/** Node's host-object tags for ArrayBufferViews (lib/v8.js), and ours for SharedMemory. */
const VIEW_TYPES = [
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  DataView,
  Buffer,
  BigInt64Array,
  BigUint64Array,
];
const BUFFER_TAG = 10;
const SHARED_MEMORY_TAG = 0x5348; // 'SH'

/** @param {ArrayBufferView} view */
function tagOf(view) {
  if (Buffer.isBuffer(view)) return BUFFER_TAG;
  for (let i = 0; i < VIEW_TYPES.length; i++) {
    if (i !== BUFFER_TAG && view instanceof VIEW_TYPES[i]) return i;
  }
  // A view from another realm: ask util.types.
  if (types.isDataView(view)) return 9;
  const name = Object.prototype.toString.call(view).slice(8, -1);
  const i = VIEW_TYPES.findIndex((C) => C.name === name);
  return i;
}

/**
 * The v8 serializer and deserializer this format uses, made on first use: `node:v8` and these
 * classes cost a starting Worker about a millisecond, and a pool whose tasks and results are
 * primitives never needs them (see the compact form below).
 */
let codec = null;
function v8Codec() {
  if (codec !== null) return codec;
  const v8 = require('node:v8');

  class TaskSerializer extends v8.Serializer {
    constructor() {
      super();
      this._setTreatArrayBufferViewsAsHostObjects(true);
      /** Views over SharedMemory written by reference (the caller pins their memory). */
      this.sharedViews = [];
    }

    _getSharedArrayBufferId() {
      throw NEEDS_PORT;
    }

    /** @param {ArrayBufferView} view */
    _writeHostObject(view) {
      if (types.isSharedArrayBuffer(view.buffer)) throw NEEDS_PORT;
      const tag = tagOf(view);
      if (tag < 0) throw new Error(`Unserializable host object: ${Object.prototype.toString.call(view)}`);
      const owner = loadedSharedMemory()?.sharedMemoryOf(view);
      if (owner !== undefined) {
        this.sharedViews.push({ view });
        this.writeUint32(SHARED_MEMORY_TAG);
        this.writeUint32(tag);
        this.writeDouble(owner[sharedMemory().kId]);
        this.writeDouble(view.byteOffset);
        this.writeDouble(view.byteLength);
        return;
      }
      this.writeUint32(tag);
      this.writeUint32(view.byteLength);
      this.writeRawBytes(new Uint8Array(view.buffer, view.byteOffset, view.byteLength));
    }
  }

  class TaskDeserializer extends v8.Deserializer {
    _readHostObject() {
      let tag = this.readUint32();
      if (tag === SHARED_MEMORY_TAG) {
        tag = this.readUint32();
        const id = this.readDouble();
        const byteOffset = this.readDouble();
        const byteLength = this.readDouble();
        return makeView(tag, sharedMemory().adoptSegment(id), byteOffset, byteLength);
      }
      const byteLength = this.readUint32();
      const at = this._readRawBytes(byteLength);
      const own = new ArrayBuffer(byteLength);
      new Uint8Array(own).set(new Uint8Array(this.buffer.buffer, this.buffer.byteOffset + at, byteLength));
      return makeView(tag, own, 0, byteLength);
    }
  }

  codec = { v8, TaskSerializer, TaskDeserializer };
  return codec;
}

function makeView(tag, buffer, byteOffset, byteLength) {
  if (tag === BUFFER_TAG) return Buffer.from(buffer, byteOffset, byteLength);
  const Ctor = VIEW_TYPES[tag];
  if (Ctor === undefined) throw new Error(`Unknown host object tag ${tag}`);
  if (Ctor === DataView) return new DataView(buffer, byteOffset, byteLength);
  return new Ctor(buffer, byteOffset, byteLength / Ctor.BYTES_PER_ELEMENT);
}

/*
 * Primitives, the usual payload of tiny tasks, skip the v8 serializer (whose per-call set-up
 * costs more than the rest of a hand-off): one tag byte, then the value. v8's format always
 * starts with 0xFF, so the two never mix up.
 */
const RAW_UNDEFINED = 0;
const RAW_NULL = 1;
const RAW_TRUE = 2;
const RAW_FALSE = 3;
const RAW_NUMBER = 4;
const RAW_STRING = 5;
/**
 * An integer that fits in 32 bits: read back as a small integer. Read back as a double, an
 * integral number makes the task's code run on doubles: V8 then compiles `n - 1` and `a + b`
 * for floating point, and a recursive fib(25) ran 1.5x slower than with the same number sent
 * by postMessage.
 */
const RAW_INT32 = 6;
const NO_VIEWS = Object.freeze([]);
const rawConstant = (tag) => Object.freeze({ bytes: Buffer.from([tag]), sharedViews: NO_VIEWS });
const RAW = [rawConstant(RAW_UNDEFINED), rawConstant(RAW_NULL), rawConstant(RAW_TRUE), rawConstant(RAW_FALSE)];
/**
 * A number is written into this one buffer, and this one result returned for it: every caller
 * hands the bytes to native code (which copies them) before it serializes anything else, so a
 * number costs no allocation, which counts when a pool hands off 100k+ tasks a second.
 */
const NUMBER = { bytes: Buffer.alloc(9), sharedViews: NO_VIEWS };
const NUMBER_VIEW = new DataView(NUMBER.bytes.buffer, NUMBER.bytes.byteOffset, 9);
NUMBER.bytes[0] = RAW_NUMBER;
const INT32 = { bytes: Buffer.alloc(5), sharedViews: NO_VIEWS };
const INT32_VIEW = new DataView(INT32.bytes.buffer, INT32.bytes.byteOffset, 5);
INT32.bytes[0] = RAW_INT32;

/**
 * Serializes `value`, or throws NEEDS_PORT (a SharedArrayBuffer is inside) or the clone error.
 * The bytes of a number are only valid until the next call (see NUMBER).
 * @param {unknown} value
 * @returns {{ bytes: Buffer, sharedViews: readonly { view: ArrayBufferView }[] }}
 */
function serialize(value) {
  switch (typeof value) {
    case 'undefined':
      return RAW[RAW_UNDEFINED];
    case 'boolean':
      return RAW[value ? RAW_TRUE : RAW_FALSE];
    case 'number':
      if ((value | 0) === value && !Object.is(value, -0)) {
        INT32_VIEW.setInt32(1, value, true);
        return INT32;
      }
      NUMBER_VIEW.setFloat64(1, value, true);
      return NUMBER;
    case 'string':
      if (value.length < 4096) {
        const bytes = Buffer.allocUnsafe(1 + Buffer.byteLength(value));
        bytes[0] = RAW_STRING;
        bytes.write(value, 1);
        return { bytes, sharedViews: NO_VIEWS };
      }
      break;
    case 'object':
      if (value === null) return RAW[RAW_NULL];
      break;
    default:
  }
  const ser = new (v8Codec().TaskSerializer)();
  ser.writeHeader();
  ser.writeValue(value);
  return { bytes: ser.releaseBuffer(), sharedViews: ser.sharedViews };
}

/**
 * @param {Uint8Array} bytes
 * @returns {any}
 */
function deserialize(bytes) {
  switch (bytes[0]) {
    case RAW_UNDEFINED:
      return undefined;
    case RAW_NULL:
      return null;
    case RAW_TRUE:
      return true;
    case RAW_FALSE:
      return false;
    case RAW_NUMBER:
      return readDouble(bytes, 1);
    case RAW_INT32:
      return readInt32(bytes, 1);
    case RAW_STRING:
      return Buffer.from(bytes.buffer, bytes.byteOffset + 1, bytes.byteLength - 1).toString();
    default: {
      const des = new (v8Codec().TaskDeserializer)(bytes);
      des.readHeader();
      return des.readValue();
    }
  }
}

/** One double and its bytes, to read a number out of any byte array without a view per value. */
const F64 = new Float64Array(1);
const F64_BYTES = new Uint8Array(F64.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The little-endian double at `bytes[at .. at + 8]`. */
function readDouble(bytes, at) {
  for (let k = 0; k < 8; k++) F64_BYTES[LITTLE_ENDIAN ? k : 7 - k] = bytes[at + k];
  return F64[0];
}

/** The little-endian int32 at `bytes[at .. at + 4]` (a small integer to V8). */
function readInt32(bytes, at) {
  return bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16) | (bytes[at + 3] << 24);
}

/**
 * Reads the value serialized at `bytes[offset .. offset + length]`: primitives other than
 * strings are read in place, with no view made per value. (No DataView: the completion batch
 * comes from the addon's realm, and a DataView of another realm, as under Jest, refuses it.)
 * @param {Uint8Array} bytes
 * @param {number} offset
 * @param {number} length
 */
function deserializeAt(bytes, offset, length) {
  switch (bytes[offset]) {
    case RAW_UNDEFINED:
      return undefined;
    case RAW_NULL:
      return null;
    case RAW_TRUE:
      return true;
    case RAW_FALSE:
      return false;
    case RAW_NUMBER:
      return readDouble(bytes, offset + 1);
    case RAW_INT32:
      return readInt32(bytes, offset + 1);
    default:
      return deserialize(bytes.subarray(offset, offset + length));
  }
}

/** Serialized `undefined`, the most common result: reused rather than made per task. */
const UNDEFINED = RAW[RAW_UNDEFINED].bytes;

/**
 * A thrown value as a record that survives the trip with everything a user checks: the
 * constructor's kind, `name`, `message`, `stack`, `code` and any other own property that can be
 * cloned (`cause` included). A thrown non-error travels as it is.
 * @param {unknown} err
 */
function errorRecord(err) {
  if (err === null || typeof err !== 'object' || !(err instanceof Error || types.isNativeError(err))) {
    return { kind: 'value', value: err };
  }
  const props = {};
  for (const key of Object.getOwnPropertyNames(err)) {
    if (key === 'stack' || key === 'message') continue;
    const value = /** @type {any} */ (err)[key];
    try {
      v8Codec().v8.serialize(value);
      props[key] = value;
    } catch {
      props[key] = String(value);
    }
  }
  const e = /** @type {Error} */ (err);
  return { kind: 'error', ctor: e.constructor?.name, name: e.name, message: e.message, stack: e.stack, props };
}

const ERROR_CTORS = { Error, TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError };

/** Rebuilds the error (or value) a task threw from its record. */
function fromErrorRecord(record) {
  if (record.kind === 'value') return record.value;
  const Ctor = Object.hasOwn(ERROR_CTORS, record.ctor) ? ERROR_CTORS[record.ctor] : Error;
  const err = new Ctor(record.message);
  for (const [key, value] of Object.entries(record.props)) {
    Object.defineProperty(err, key, { value, enumerable: key !== 'name', writable: true, configurable: true });
  }
  if (err.name !== record.name) Object.defineProperty(err, 'name', { value: record.name, writable: true, configurable: true });
  Object.defineProperty(err, 'stack', { value: record.stack, writable: true, configurable: true });
  return err;
}

module.exports = { sharedMemory, NEEDS_PORT, serialize, deserialize, deserializeAt, UNDEFINED, errorRecord, fromErrorRecord };
