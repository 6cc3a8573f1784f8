'use strict';

/**
 * The owner's side of submitting a task: its value made ready for the native queue (serialized
 * once, its SharedMemory views pinned), or marked to go over the Worker's port when it holds
 * what bytes cannot carry (a SharedArrayBuffer, a transferList, a moved value); and the errors a
 * refused task gets.
 * @module native-parallel/lib/worker-pool/submit
 */

const errors = require('../errors');
const { pinViews } = require('../shared-memory');
const common = require('./common');
const ser = require('./serialize');

ser.sharedMemory(); // the owner checks every task's views against its SharedMemory buffers

const EMPTY = Buffer.alloc(0);

/** The error of a task whose signal aborted. */
const aborted = (signal) => new errors.AbortError('The task has been aborted', { cause: signal.reason });

/** The error of a task (or port value) that structured clone refused. */
function cloneError(err) {
  const out = errors.makeError(TypeError, 'ERR_INVALID_ARG_VALUE', `The task could not be cloned: ${err.message}`);
  out.cause = err;
  return out;
}

/**
 * A task's value as the native queue takes it. `flags` is FLAG_PORT when the value must go over
 * the Worker's port (`value` and `transferList` are then kept for it), else `bytes` hold it.
 * Throws the error run() rejects with when the value cannot be cloned.
 * @param {any} task
 * @param {any[] | undefined} transferList
 * @returns {{ value: any, transferList: any[] | undefined, bytes: Buffer, flags: number, pinned: any[] | null }}
 */
function encodeTask(task, transferList) {
  let value = task;
  if (common.isMovable(task)) {
    transferList = (transferList ?? []).concat(task[common.kTransferable]);
    value = task[common.kValue];
  }
  if (transferList !== undefined && transferList.length > 0) return { value, transferList, bytes: EMPTY, flags: common.FLAG_PORT, pinned: null };
  try {
    const out = ser.serialize(value);
    const pinned = out.sharedViews.length > 0 ? pinViews(out.sharedViews) : null;
    return { value, transferList, bytes: out.bytes, flags: 0, pinned };
  } catch (err) {
    if (err !== ser.NEEDS_PORT) throw cloneError(err);
    return { value, transferList, bytes: EMPTY, flags: common.FLAG_PORT, pinned: null };
  }
}

module.exports = { aborted, cloneError, encodeTask };
