'use strict';

/**
 * A worker as the primary sees it (`cluster.workers[id]`, the argument of every cluster event),
 * and its `worker.process`, shaped like the ChildProcess node:cluster gives: `pid`, `kill()`,
 * `connected`, `disconnect()`, `send()`, `exitCode`, `signalCode`, and the `'message'`,
 * `'disconnect'` and `'exit'` events the primary (`primary.js`) listens to, as node:cluster's
 * primary listens to its ChildProcess. The cluster keeps its record of a worker under `kState`.
 * @module native-parallel/lib/cluster/primary-worker
 */

const { EventEmitter } = require('node:events');
const net = require('node:net');
const errors = require('../errors');
const { loadNative } = require('../native');
const { Channel } = require('./channel');
const { Worker } = require('./common-worker');
const handles = require('./handle-passing');
const { validateSignal } = require('./validate');
const { kState } = require('./symbols');

/** Emits an error where someone listens: the worker, else the cluster, else a warning. */
function reportError(cluster, worker, err) {
  if (worker && worker.listenerCount('error') > 0) worker.emit('error', err);
  else if (cluster.listenerCount('error') > 0) cluster.emit('error', err, worker);
  else process.emitWarning(err.message, { type: err.name, code: err.code });
}

/** `worker.process`: a ChildProcess-like view of a worker's process and its channel. */
class WorkerProcess extends EventEmitter {
  /** @type {number | null} */
  exitCode = null;
  /** @type {NodeJS.Signals | null} */
  signalCode = null;
  /** True once `kill()` delivered a signal. */
  killed = false;
  stdin = null;
  #disconnecting = false;

  /**
   * @param {any} record the worker's record (channel, control fd, cluster)
   * @param {{ pid: number, stdoutFd?: number | null, stderrFd?: number | null }} spawned
   * @param {string[]} spawnargs
   */
  constructor(record, spawned, spawnargs) {
    super();
    Object.defineProperty(this, kState, { value: record });
    const pipe = (fd) => (fd === null || fd === undefined ? null : new net.Socket({ fd, readable: true, writable: false }));
    /** Process id. */
    this.pid = spawned.pid;
    /** @type {net.Socket | null} */
    this.stdout = pipe(spawned.stdoutFd);
    /** @type {net.Socket | null} */
    this.stderr = pipe(spawned.stderrFd);
    this.stdio = [null, this.stdout, this.stderr];
    this.spawnfile = process.execPath;
    this.spawnargs = spawnargs;
  }

  /** True while the IPC channel is open (false from the moment `disconnect()` is called). */
  get connected() {
    return this[kState].channel.writable && !this.#disconnecting;
  }

  /** The channel, while connected (as ChildProcess#channel; only its presence is meaningful). */
  get channel() {
    return this.connected ? this[kState].channel : undefined;
  }

  /**
   * Sends a signal (default SIGTERM); returns false when the process is already gone.
   * Unknown signals throw ERR_UNKNOWN_SIGNAL, as ChildProcess#kill does.
   * @param {NodeJS.Signals | number} [signal]
   */
  kill(signal = 'SIGTERM') {
    const sent = this[kState].cluster.signal(this[kState].worker, validateSignal(signal, 'signal'));
    if (sent) this.killed = true;
    return sent;
  }

  /**
   * Sends a message, and optionally a `net.Socket` or `net.Server`, to the worker
   * (`process.on('message')` there). Messages are serialized at once: a value that cannot be
   * throws. With `options.raw`, a `Buffer`/typed array/DataView is sent as its bytes (no
   * serializer) and arrives as a `Buffer` (an opt-in of this package).
   * @param {unknown} message
   * @param {any} [handle]
   * @param {{ keepOpen?: boolean, raw?: boolean }} [options]
   * @param {(err: Error | null) => void} [callback] called once written
   * @returns {boolean}
   */
  send(message, handle, options, callback) {
    ({ handle, options, callback } = handles.sendArgs(handle, options, callback));
    handles.validateMessage(message);
    const raw = handles.wantsRaw(message, handle, options);
    const passed = handle === undefined ? null : handles.describe(handle);
    const record = this[kState];
    if (!this.connected) {
      const err = errors.ipcChannelClosed();
      if (callback) process.nextTick(callback, err);
      else process.nextTick(() => this.emit('error', err));
      return false;
    }
    if (raw) return record.channel.sendRaw(message, callback);
    if (passed === null) return record.channel.send(message, callback);
    const token = ++record.cluster[kState].tokens;
    loadNative('cluster').NativeCluster.sendFd(record.controlFd, passed.fd, token);
    return record.channel.sendWithHandle(message, { type: passed.type, token }, handles.afterSend(handle, passed.type, options, callback));
  }

  /** Closes the channel; the worker (as a node:cluster worker) then exits. */
  disconnect() {
    if (!this.connected) {
      this.emit('error', errors.makeError(Error, 'ERR_IPC_DISCONNECTED', 'IPC channel is already disconnected'));
      return;
    }
    this.#disconnecting = true;
    this[kState].channel.end();
  }

  /** @internal A message from the worker, with the handle it passed (if any). */
  deliver(message, passed) {
    if (passed === null) {
      this.emit('message', message);
      return;
    }
    const record = this[kState];
    const { NativeCluster } = loadNative('cluster');
    let fd;
    let token;
    try {
      [fd, token] = NativeCluster.recvFd(record.controlFd);
    } catch (err) {
      reportError(record.cluster, record.worker, errors.systemError(err, 'recvmsg'));
      return;
    }
    if (token !== passed.token) {
      NativeCluster.closeFd(fd);
      reportError(record.cluster, record.worker, errors.invalidState(`Received handle ${token}, expected ${passed.token}`));
      return;
    }
    handles.adopt(fd, passed.type, (handle) => this.emit('message', message, handle));
  }
}

/** A worker process, seen from the primary (`cluster.workers[id]`); an instance of `cluster.Worker`. */
class PrimaryWorker extends Worker {
  /**
   * @param {any} cluster the Primary
   * @param {number} id
   * @param {any} spawned what the native spawner returned
   * @param {'advanced' | 'json'} serialization
   * @param {object} slot what a restarted or reloaded replacement inherits
   * @param {PrimaryWorker | null} replaces
   * @param {string[]} spawnargs
   */
  constructor(cluster, id, spawned, serialization, slot, replaces, spawnargs) {
    const record = {
      cluster,
      /** @type {PrimaryWorker | null} */
      worker: null,
      channel: new Channel(spawned.ipcFd, serialization),
      /** The control socket (fd passing), -1 once closed. */
      controlFd: spawned.controlFd,
      /** What a restarted or reloaded replacement inherits: env, shared memory, restart times. */
      slot,
      /** The worker this one replaces in a reload, until it is ready. */
      replaces,
      /** `kill()` was called: never restarted. */
      killed: false,
      /** The addresses it listens on. */
      keys: new Set(),
      /** Set when its process was reaped: `{ timer }` while its channel drains. */
      exit: null,
      /** Its exit has been reported. */
      done: false,
      /** The balance mode it was forked under. */
      balance: 'reuseport',
    };
    super({ id, process: new WorkerProcess(record, spawned, spawnargs) });
    record.worker = this;
    Object.defineProperty(this, kState, { value: record });
  }

  /** The worker's process id (also `worker.process.pid`). */
  get pid() {
    return this.process.pid;
  }

  /** Asks the worker to stop accepting, finish in-flight requests and close its channel. */
  disconnect() {
    this[kState].cluster.disconnectWorker(this);
    return this;
  }

  /**
   * Kills the worker with `signal` (default SIGTERM). A killed worker is not restarted.
   * @param {NodeJS.Signals | number} [signal]
   */
  destroy(signal = 'SIGTERM') {
    const signo = validateSignal(signal, 'signal');
    this[kState].killed = true;
    this.process.kill(signo);
  }
}

module.exports = { Worker: PrimaryWorker, PrimaryWorker, WorkerProcess, reportError };
