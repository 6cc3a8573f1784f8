'use strict';

/**
 * In a worker: `process.send()`, `process.on('message')`, `process.connected`,
 * `process.disconnect()`, `process.channel` and the `'disconnect'` event, over the cluster's
 * channel, as child_process gives a forked child. The channel keeps the process alive exactly
 * when Node's would: while `process` has a `'message'` or `'disconnect'` listener (the cluster's
 * own worker object adds both) unless `process.channel.unref()` / `.ref()` said otherwise.
 * @module native-parallel/lib/cluster/process-channel
 */

const { EventEmitter } = require('node:events');
const errors = require('../errors');
const handles = require('./handle-passing');

/** `process.channel`: reference counting of the channel, as child_process's `Control`. */
class Control extends EventEmitter {
  #refs = 0;
  #explicit = false;
  #channel;
  #fd;

  constructor(channel, fd) {
    super();
    this.#channel = channel;
    this.#fd = fd;
  }

  refCounted() {
    if (++this.#refs === 1 && !this.#explicit) this.#channel.ref(true);
  }

  unrefCounted() {
    if (--this.#refs === 0 && !this.#explicit) {
      this.#channel.ref(false);
      this.emit('unref');
    }
  }

  /** Keep the process alive for the channel, whatever listens. */
  ref() {
    this.#explicit = true;
    this.#channel.ref(true);
  }

  /** Never keep the process alive for the channel. */
  unref() {
    this.#explicit = true;
    this.#channel.ref(false);
  }

  get fd() {
    return this.#fd;
  }
}

/**
 * Gives `process` its IPC methods over `channel`.
 * @param {import('./channel').Channel} channel
 * @param {{ ipcFd: number, controlFd: number, native: any, nextToken: () => number }} io
 */
function installProcessChannel(channel, io) {
  const control = new Control(channel, io.ipcFd);
  channel.ref(false);
  let connected = true;
  const proc = /** @type {any} */ (process);
  proc.channel = control;
  Object.defineProperty(proc, 'connected', { configurable: true, enumerable: true, get: () => connected });

  const closed = () => {
    if (!connected) return;
    connected = false;
    proc.channel = undefined;
    process.nextTick(() => process.emit('disconnect'));
  };

  proc.send = function send(message, handle, options, callback) {
    ({ handle, options, callback } = handles.sendArgs(handle, options, callback));
    handles.validateMessage(message);
    const raw = handles.wantsRaw(message, handle, options);
    const passed = handle === undefined ? null : handles.describe(handle);
    if (!connected || !channel.writable) {
      const err = errors.ipcChannelClosed();
      if (callback) process.nextTick(callback, err);
      else process.nextTick(() => process.emit('error', err));
      return false;
    }
    if (raw) return channel.sendRaw(message, callback);
    if (passed === null) return channel.send(message, callback);
    const token = io.nextToken();
    io.native.sendFd(io.controlFd, passed.fd, token);
    return channel.sendWithHandle(message, { type: passed.type, token }, handles.afterSend(handle, passed.type, options, callback));
  };

  proc.disconnect = function disconnect() {
    if (!connected) {
      process.emit('error', errors.makeError(Error, 'ERR_IPC_DISCONNECTED', 'IPC channel is already disconnected'));
      return;
    }
    channel.end();
    closed();
  };

  process.on('newListener', (name) => {
    if (name === 'message' || name === 'disconnect') control.refCounted();
  });
  process.on('removeListener', (name) => {
    if (name === 'message' || name === 'disconnect') control.unrefCounted();
  });

  channel.on('message', (message, passed) => {
    if (passed === null) {
      process.emit('message', message);
      return;
    }
    let fd;
    let token;
    try {
      [fd, token] = io.native.recvFd(io.controlFd);
    } catch (err) {
      process.emit('error', errors.systemError(err, 'recvmsg'));
      return;
    }
    if (token !== passed.token) {
      io.native.closeFd(fd);
      process.emit('error', errors.invalidState(`Received handle ${token}, expected ${passed.token}`));
      return;
    }
    handles.adopt(fd, passed.type, (handle) => process.emit('message', message, handle));
  });
  channel.on('close', closed);
  return control;
}

module.exports = { installProcessChannel, Control };
