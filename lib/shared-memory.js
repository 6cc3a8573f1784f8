'use strict';

/**
 * SharedMemory: the public face of `src/shm/`. A memfd mapped MAP_SHARED, exposed as an
 * ArrayBuffer, with futex wait/notify on its 32-bit words that work across threads and
 * processes. Every argument is validated here before native code runs.
 * @module native-parallel/lib/shared-memory
 */

const { constants: bufferConstants } = require('node:buffer');
const errors = require('./errors');
const { loadNative } = require('./native');
const { inPlaceBuffers } = require('./validate');
const { kPin, kUnpin, kId } = require('./internal/symbols');

/** Buffer → its SharedMemory, for the pools. */
const owners = new WeakMap();
/** Called with a SharedMemory's id once it is closed or collected (process pools forget it). */
const releaseListeners = new Set();
const released = new FinalizationRegistry((id) => notifyRelease(id));

function notifyRelease(id) {
  for (const listener of releaseListeners) listener(id);
}

let adopting = null;

/**
 * True when `value` is a SharedMemory of this copy of the package (a brand check, set by the
 * class's static block).
 * @type {(value: unknown) => boolean}
 */
let isSharedMemory;

function native() {
  return loadNative('SharedMemory').NativeSharedMemory;
}

/** The largest size accepted, in bytes (4 GiB on Node 20: Node's largest external buffer). */
function maxBytes() {
  return Math.min(native().maxBytes(), bufferConstants.MAX_LENGTH);
}

/** Node's ToInt32, for a value already checked to be an integer in [-2^31, 2^32). */
const toInt32 = (value) => value | 0;

class SharedMemory {
  /** The largest size `new SharedMemory(bytes)` accepts. */
  static get MAX_BYTES() {
    return maxBytes();
  }

  /**
   * Maps the memory of another SharedMemory through its fd (`shm.fd`), for instance one
   * inherited by a child process or handed to a Worker. The fd is duplicated; the caller keeps
   * its own. Both objects then share the same bytes and futexes.
   * @param {number} fd
   * @returns {SharedMemory}
   */
  static fromFd(fd) {
    if (typeof fd !== 'number') throw errors.invalidArgType('fd', 'of type number', fd);
    if (!Number.isInteger(fd) || fd < 0 || fd > 0x7fffffff) throw errors.outOfRange('fd', 'an integer >= 0 && <= 2147483647', fd);
    adopting = native().fromFd(fd);
    try {
      return new SharedMemory(0);
    } finally {
      adopting = null;
    }
  }

  #native;
  #buffer;

  static {
    isSharedMemory = (value) => value !== null && typeof value === 'object' && #native in value;
  }

  #byteLength;
  #id;
  #closed = false;
  #pins = 0;

  /** @param {number} bytes size, an integer from 1 to `SharedMemory.MAX_BYTES` */
  constructor(bytes) {
    if (adopting !== null) {
      this.#native = adopting;
      adopting = null;
    } else {
      if (typeof bytes !== 'number') throw errors.invalidArgType('bytes', 'of type number', bytes);
      const max = maxBytes();
      if (!Number.isInteger(bytes) || bytes < 1 || bytes > max) {
        throw errors.outOfRange('bytes', `an integer >= 1 && <= ${max}`, bytes);
      }
      this.#native = new (native())(bytes);
    }
    this.#buffer = this.#native.createBuffer();
    this.#byteLength = this.#native.byteLength;
    this.#id = this.#native.id;
    inPlaceBuffers.add(this.#buffer);
    owners.set(this.#buffer, this);
    released.register(this, this.#id, this);
    adopted.set(this.#id, new WeakRef(this.#buffer)); // WorkerPool results come back to this buffer
  }

  /** The memory, as an ArrayBuffer (zero-length once closed). */
  get buffer() {
    return this.#buffer;
  }

  /** Size in bytes (0 once closed). */
  get byteLength() {
    return this.#closed ? 0 : this.#byteLength;
  }

  /** True once `close()` was called. */
  get closed() {
    return this.#closed;
  }

  /**
   * The memfd behind the memory: pass it to a child process (as an inherited fd) or a Worker,
   * and map it there with `SharedMemory.fromFd`. Valid until `close()`.
   */
  get fd() {
    this.#checkOpen();
    return this.#native.fd;
  }

  /**
   * Like `Atomics.wait` on an Int32Array over the whole buffer: blocks until the word at
   * `index` is notified (`'ok'`), does not hold `value` (`'not-equal'`), or `timeout`
   * milliseconds pass (`'timed-out'`). Works across processes.
   * @param {number} index word index (byte offset / 4)
   * @param {number} value an int32 (or uint32, taken modulo 2^32)
   * @param {number} [timeout] milliseconds, >= 0 (default Infinity)
   * @returns {'ok' | 'not-equal' | 'timed-out'}
   */
  wait(index, value, timeout = Infinity) {
    this.#checkOpen();
    this.#checkIndex(index);
    checkValue(value);
    checkTimeout(timeout);
    return this.#native.wait(index, toInt32(value), timeout);
  }

  /**
   * `wait` without blocking the event loop: resolves with the same strings. The wait runs on
   * a native thread (never on libuv's pool). `close()` rejects pending waits with
   * ERR_INVALID_STATE.
   * @param {number} index
   * @param {number} value
   * @param {number} [timeout]
   * @returns {Promise<'ok' | 'not-equal' | 'timed-out'>}
   */
  waitAsync(index, value, timeout = Infinity) {
    try {
      this.#checkOpen();
      this.#checkIndex(index);
      checkValue(value);
      checkTimeout(timeout);
    } catch (err) {
      return Promise.reject(err);
    }
    // Keeps `this` (and so the native object) reachable while the wait is pending.
    return this.#native.waitAsync(index, toInt32(value), timeout).then((result) => {
      if (result === 'closed') throw errors.invalidState('The SharedMemory was closed while waitAsync was pending');
      return result;
    });
  }

  /**
   * Like `Atomics.notify`: wakes up to `count` waiters on the word at `index`, in any process.
   * @param {number} index
   * @param {number} [count] default Infinity (all)
   * @returns {number} how many waiters were woken
   */
  notify(index, count = Infinity) {
    this.#checkOpen();
    this.#checkIndex(index);
    if (typeof count !== 'number') throw errors.invalidArgType('count', 'of type number', count);
    if (count !== Infinity && (!Number.isInteger(count) || count < 0)) {
      throw errors.outOfRange('count', 'an integer >= 0 or Infinity', count);
    }
    return this.#native.notify(index, Math.min(count, 0xffffffff));
  }

  /**
   * Detaches the buffer (every view over it becomes zero-length), closes the fd and rejects
   * pending `waitAsync` calls. The memory is unmapped once V8 lets go of the buffer, so a use
   * after close is an error, never a crash. Throws ERR_INVALID_STATE while a pool task uses
   * the memory. Closing twice does nothing.
   */
  close() {
    if (this.#closed) return;
    if (this.#pins > 0) {
      throw errors.invalidState(`The SharedMemory is in use by ${this.#pins} running task${this.#pins === 1 ? '' : 's'}; close it once they settle`);
    }
    this.#closed = true;
    released.unregister(this);
    this.#native.close(this.#buffer);
    notifyRelease(this.#id);
  }

  /** Pools: the memory is used by a task (close() refuses until unpinned). */
  [kPin]() {
    this.#checkOpen();
    this.#pins++;
  }

  [kUnpin]() {
    this.#pins--;
  }

  get [kId]() {
    return this.#id;
  }

  #checkOpen() {
    if (this.#closed) throw errors.invalidState('The SharedMemory is closed');
  }

  #checkIndex(index) {
    if (typeof index !== 'number') throw errors.invalidArgType('index', 'of type number', index);
    const words = Math.floor(this.#byteLength / 4);
    if (!Number.isInteger(index) || index < 0 || index >= words) {
      throw errors.outOfRange('index', words > 0 ? `an integer >= 0 && < ${words}` : 'a word index, but the memory holds no whole 32-bit word', index);
    }
  }
}

function checkValue(value) {
  if (typeof value !== 'number') throw errors.invalidArgType('value', 'of type number', value);
  if (!Number.isInteger(value) || value < -(2 ** 31) || value >= 2 ** 32) {
    throw errors.outOfRange('value', 'an integer >= -2147483648 && < 4294967296', value);
  }
}

function checkTimeout(timeout) {
  if (typeof timeout !== 'number') throw errors.invalidArgType('timeout', 'of type number', timeout);
  if (Number.isNaN(timeout) || timeout < 0) throw errors.outOfRange('timeout', '>= 0 (milliseconds, or Infinity)', timeout);
}

/**
 * The SharedMemory whose buffer `view` is over, or undefined.
 * @param {ArrayBufferView} view
 * @returns {SharedMemory | undefined}
 */
const sharedMemoryOf = (view) => owners.get(view.buffer);

/**
 * Pins the SharedMemory behind any of a task's views (its `close()` then refuses until they
 * are unpinned); returns what was pinned, for `unpinAll`.
 * @param {{ view: ArrayBufferView }[]} views
 * @returns {SharedMemory[]}
 */
function pinViews(views) {
  const pinned = [...new Set(views.map(({ view }) => owners.get(view.buffer)).filter(Boolean))];
  for (const shm of pinned) shm[kPin]();
  return pinned;
}

/** @param {SharedMemory[]} pinned */
function unpinAll(pinned) {
  for (const shm of pinned) shm[kUnpin]();
}

/** This thread's SharedMemory for each segment adopted by id (a WorkerPool task's views). */
const adopted = new Map();

/**
 * The buffer of the live SharedMemory segment with process-unique id `id`, in this thread
 * (made once per thread and reused while it lives). Throws ERR_INVALID_STATE when it is closed.
 * @param {number} id
 * @returns {ArrayBuffer}
 */
function adoptSegment(id) {
  const known = adopted.get(id)?.deref();
  if (known !== undefined && known.byteLength > 0) return known;
  adopting = native().fromId(id);
  let shm;
  try {
    shm = new SharedMemory(0);
  } finally {
    adopting = null;
  }
  adopted.set(id, new WeakRef(shm.buffer));
  return shm.buffer;
}

module.exports = { SharedMemory, isSharedMemory, sharedMemoryOf, pinViews, unpinAll, releaseListeners, kId, adoptSegment };
