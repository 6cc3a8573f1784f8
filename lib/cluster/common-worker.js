'use strict';

/**
 * `cluster.Worker`: the worker object both sides share, as node:cluster's
 * `lib/internal/cluster/worker.js` (a function constructor that also works without `new`).
 * In the primary it wraps a `WorkerProcess`; in a worker it wraps `process`. Each side adds its
 * own `disconnect()` and `destroy()` in a subclass.
 * @module native-parallel/lib/cluster/common-worker
 */

const { EventEmitter } = require('node:events');

/**
 * @constructor
 * @param {{ id?: number, state?: string, process?: any }} [options]
 */
function Worker(options) {
  if (!(this instanceof Worker)) return new Worker(options);
  EventEmitter.call(this);
  if (options === null || typeof options !== 'object') options = {};
  /** @type {boolean | undefined} */
  this.exitedAfterDisconnect = undefined;
  this.state = options.state || 'none';
  this.id = options.id | 0;
  if (options.process) {
    this.process = options.process;
    this.process.on('error', (code, signal) => this.emit('error', code, signal));
    this.process.on('message', (message, handle) => this.emit('message', message, handle));
  }
}

Object.setPrototypeOf(Worker.prototype, EventEmitter.prototype);
Object.setPrototypeOf(Worker, EventEmitter);

/** Same as `destroy()`. */
Worker.prototype.kill = function kill(...args) {
  return this.destroy(...args);
};

/** `process.send()` of the worker's process. */
Worker.prototype.send = function send(...args) {
  return this.process.send(...args);
};

/** True once the process has exited. */
Worker.prototype.isDead = function isDead() {
  return this.process.exitCode != null || this.process.signalCode != null;
};

/** True while the IPC channel is open. */
Worker.prototype.isConnected = function isConnected() {
  return this.process.connected;
};

module.exports = { Worker };
