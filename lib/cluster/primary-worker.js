'use strict';

/**
 * A worker as the primary sees it (`cluster.workers[id]`, the argument of every cluster event),
 * and its `worker.process`. The cluster (`primary.js`) keeps its record under `kState`.
 * @module native-parallel/lib/cluster/primary-worker
 */

const { EventEmitter } = require('node:events');
const net = require('node:net');
const errors = require('../errors');
const { Channel } = require('./channel');
const { validateSignal } = require('./validate');
const { kState } = require('./symbols');

/** Emits an error where someone listens: the worker, else the cluster, else a warning. */
function reportError(cluster, worker, err) {
  if (worker && worker.listenerCount('error') > 0) worker.emit('error', err);
  else if (cluster.listenerCount('error') > 0) cluster.emit('error', err, worker);
  else process.emitWarning(err.message, { type: err.name, code: err.code });
}

/** `worker.process`: the pid, exit status and (with `silent`) output streams of a worker. */
class WorkerProcess {
  /** @type {number | null} */
  exitCode = null;
  /** @type {NodeJS.Signals | null} */
  signalCode = null;

  constructor(worker, pid, stdout, stderr) {
    Object.defineProperty(this, 'worker', { value: worker });
    /** Process id. */
    this.pid = pid;
    /** @type {net.Socket | null} */
    this.stdout = stdout;
    /** @type {net.Socket | null} */
    this.stderr = stderr;
  }

  /** True while the IPC channel is open. */
  get connected() {
    return this.worker.isConnected();
  }

  /** Sends a signal; returns false when the process is already gone. */
  kill(signal = 'SIGTERM') {
    return this.worker[kState].cluster.signal(this.worker, validateSignal(signal, 'signal'));
  }
}

/** A worker process, seen from the primary (`cluster.workers[id]`). */
class Worker extends EventEmitter {
  /** @type {boolean | undefined} true when it left through disconnect() (or reload/shutdown) */
  exitedAfterDisconnect = undefined;
  /** 'none' | 'online' | 'listening' | 'disconnected' | 'dead' */
  state = 'none';

  constructor(cluster, id, spawned, serialization, slot, replaces) {
    super();
    /** The worker's id (1, 2, ...), unique in this primary. */
    this.id = id;
    const pipe = (fd) => (fd === null || fd === undefined ? null : new net.Socket({ fd, readable: true, writable: false }));
    /** Process handle: `pid`, `exitCode`, `signalCode`, `stdout`/`stderr` (silent), `kill()`. */
    this.process = new WorkerProcess(this, spawned.pid, pipe(spawned.stdoutFd), pipe(spawned.stderrFd));
    Object.defineProperty(this, kState, {
      value: {
        cluster,
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
      },
    });
  }

  /** The worker's process id (also `worker.process.pid`). */
  get pid() {
    return this.process.pid;
  }

  /**
   * Sends a message to the worker (`cluster.worker.on('message')` there). Messages are
   * serialized at once: a value that cannot be (a function, a symbol...) throws a TypeError.
   * @param {unknown} message
   * @param {(err: Error | null) => void} [callback] called once written
   * @returns {boolean}
   */
  send(message, callback = undefined) {
    if (callback !== undefined && typeof callback !== 'function') throw errors.invalidArgType('callback', 'of type function', callback);
    const { channel, cluster } = this[kState];
    if (!channel.open) {
      const err = errors.ipcChannelClosed();
      if (message === undefined) throw errors.missingArgs('message');
      if (callback) process.nextTick(callback, err);
      else process.nextTick(() => reportError(cluster, this, err));
      return false;
    }
    return channel.send(message, callback);
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
  kill(signal = 'SIGTERM') {
    const signo = validateSignal(signal, 'signal');
    this[kState].killed = true;
    this[kState].cluster.signal(this, signo);
  }

  /** Same as `kill`. */
  destroy(signal = 'SIGTERM') {
    this.kill(signal);
  }

  /** True once the process has exited. */
  isDead() {
    return this.process.exitCode !== null || this.process.signalCode !== null;
  }

  /** True while the IPC channel is open. */
  isConnected() {
    return this[kState].channel.open;
  }
}

module.exports = {
  Worker,
  WorkerProcess,
  reportError,
};
