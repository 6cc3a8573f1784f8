'use strict';

/**
 * `send(message, handle)` with a `net.Socket` or `net.Server`, as child_process allows: the
 * handle's fd goes over the control socket (SCM_RIGHTS, tagged with a token) before the frame
 * that announces it, and the receiver makes a new socket or server on it.
 * @module native-parallel/lib/cluster/handle-passing
 */

const net = require('node:net');
const errors = require('../errors');

const SOCKET = 1;
const SERVER = 2;

/**
 * The kind and fd of a handle `send()` may pass; throws ERR_INVALID_HANDLE_TYPE otherwise.
 * @param {unknown} handle
 * @returns {{ type: number, fd: number }}
 */
function describe(handle) {
  const inner = /** @type {any} */ (handle)?._handle;
  const fd = inner && typeof inner.fd === 'number' ? inner.fd : -1;
  if (handle instanceof net.Server && fd >= 0) return { type: SERVER, fd };
  if (handle instanceof net.Socket && fd >= 0) return { type: SOCKET, fd };
  throw errors.makeError(TypeError, 'ERR_INVALID_HANDLE_TYPE', 'This handle type cannot be sent');
}

/**
 * The send callback that, once the frame announcing a `net.Socket` is written, closes the socket
 * here (child_process does the same, after the send) unless `keepOpen`, then calls `callback`.
 * Closing it only then lets the same socket be sent twice in a row, as child_process allows
 * (its fd is already on its way: the kernel holds it). A server stays open.
 * @param {any} handle
 * @param {number} type
 * @param {{ keepOpen?: boolean } | undefined} options
 * @param {Function | undefined} callback
 */
function afterSend(handle, type, options, callback) {
  if (type !== SOCKET || (options && options.keepOpen)) return callback;
  return (err) => {
    handle.destroy();
    if (callback) callback(err);
  };
}

/**
 * Makes the received handle: a `net.Socket` at once, a `net.Server` once it listens.
 * @param {number} fd
 * @param {number} type
 * @param {(handle: net.Socket | net.Server) => void} deliver
 */
function adopt(fd, type, deliver) {
  if (type === SOCKET) {
    deliver(new net.Socket({ fd, readable: true, writable: true }));
    return;
  }
  const server = net.createServer();
  server.listen({ fd }, () => deliver(server));
}

/**
 * Normalises `send(message[, handle[, options]][, callback])` as child_process does.
 * @returns {{ handle: any, options: any, callback: Function | undefined }}
 */
function sendArgs(handle, options, callback) {
  if (typeof handle === 'function') {
    callback = handle;
    handle = undefined;
    options = undefined;
  } else if (typeof options === 'function') {
    callback = options;
    options = undefined;
  } else if (options !== undefined && (options === null || typeof options !== 'object')) {
    throw errors.invalidArgType('options', 'of type object', options);
  }
  if (callback !== undefined && typeof callback !== 'function') throw errors.invalidArgType('callback', 'of type function', callback);
  return { handle: handle ?? undefined, options, callback };
}

/**
 * Node's check of a message's type (`process.send`): string, object, number or boolean.
 * @param {unknown} message
 */
function validateMessage(message) {
  if (message === undefined) throw errors.missingArgs('message');
  const t = typeof message;
  if (t !== 'string' && t !== 'object' && t !== 'number' && t !== 'boolean') {
    throw errors.invalidArgType('message', 'one of type string, object, number, or boolean', message);
  }
}

/**
 * True when `send()` was asked for a raw message (`options.raw`): the bytes of a `Buffer`,
 * typed array or DataView go as they are, with no serializer, and arrive as a `Buffer`. An
 * opt-in of this package (node's `send()` has no such option); without it a message is
 * serialized as node:cluster does.
 * @param {unknown} message
 * @param {unknown} handle
 * @param {{ raw?: unknown } | undefined} options
 */
function wantsRaw(message, handle, options) {
  const raw = options === undefined ? undefined : options.raw;
  if (raw === undefined || raw === false) return false;
  if (raw !== true) throw errors.invalidArgType('options.raw', 'of type boolean', raw);
  if (!ArrayBuffer.isView(message)) throw errors.invalidArgType('message', 'an instance of Buffer, TypedArray, or DataView (options.raw is true)', message);
  if (handle !== undefined) throw errors.invalidArgValue('handle', handle, 'cannot be sent with a raw message');
  return true;
}

module.exports = { describe, afterSend, adopt, sendArgs, validateMessage, wantsRaw, SOCKET, SERVER };
