'use strict';

/**
 * The worker side of the cluster (node:cluster's `child.js`). A worker is started by the
 * primary with its IPC channel on fd 3, its control socket (fd passing) on fd 4,
 * `NODE_UNIQUE_ID` in its environment (so Node's own `net` and `dgram` take their cluster
 * path) and `--require lib/cluster/bootstrap.js`, which calls `setupWorker()` before the user's
 * script runs:
 * - `process.send()` / `process.on('message')` / `process.disconnect()` work over the channel
 *   (`process-channel.js`);
 * - `cluster.worker` is made, here and as `require('node:cluster').worker`;
 * - `require('node:cluster')._getServer`, which `net.Server#listen` and `dgram.Socket#bind` call
 *   in a worker, is ours: a TCP listen is routed through the native balance, a UDP bind gets the
 *   primary's shared socket, pipes, paths and `{ fd }` listen as in a single process;
 * - the worker says `online` at once.
 *
 * The state lives on `globalThis` under a registered symbol, so every copy of the package a
 * worker may load shares one channel.
 * @module native-parallel/lib/cluster/worker
 */

const { EventEmitter } = require('node:events');
const fs = require('node:fs');
const errors = require('../errors');
const { loadNative } = require('../native');
const { Channel } = require('./channel');
const { Worker } = require('./common-worker');
const { installProcessChannel } = require('./process-channel');
const { serverMethods } = require('./worker-servers');
const { kWorkerState: kState } = require('./symbols');
const validate = () => require('./validate');

const ENV = ['NATIVE_PARALLEL_IPC_FD', 'NATIVE_PARALLEL_CONTROL_FD', 'NATIVE_PARALLEL_WORKER_ID', 'NATIVE_PARALLEL_SERIALIZATION', 'NATIVE_PARALLEL_ADDON', 'NATIVE_PARALLEL_SHARED'];
const SCHED_NONE = 1;
const SCHED_RR = 2;

/** True in a process the native cluster started. */
function isWorkerProcess() {
  return globalThis[kState] !== undefined || process.env.NATIVE_PARALLEL_IPC_FD !== undefined;
}

/** `cluster.worker` in a worker: this process, as node:cluster's worker side. */
class ChildWorker extends Worker {
  /**
   * @param {number} id
   * @param {WorkerState} state
   */
  constructor(id, state) {
    super({ id, process, state: 'online' });
    Object.defineProperty(this, kState, { value: state });
  }

  /** This process's pid. */
  get pid() {
    return process.pid;
  }

  /** Stops accepting, lets in-flight requests finish, then closes the channel. */
  disconnect() {
    if (this.state !== 'disconnecting' && this.state !== 'destroying') {
      this.state = 'disconnecting';
      this[kState].disconnect(false);
    }
    return this;
  }

  /** Tells the primary it leaves on purpose, disconnects and exits with code 0 (node:cluster's `kill()`). */
  destroy() {
    if (this.state === 'destroying') return;
    this.exitedAfterDisconnect = true;
    if (!this.isConnected()) {
      process.exit(0);
      return;
    }
    this.state = 'destroying';
    this[kState].channel.sendInternal({ act: 'exitedAfterDisconnect' }, () => {
      if (process.connected) process.disconnect();
    });
    process.once('disconnect', () => process.exit(0));
  }
}

class WorkerState {
  /** @type {Map<number, (reply: any) => void>} */
  pending = new Map();
  /** @type {Set<{ server: any, key: string, drain: (cb: () => void) => void }>} listening servers, for a graceful disconnect */
  servers = new Set();
  /** @type {Map<string, number>} next index per address (node:cluster's `indexes`) */
  indexes = new Map();
  seq = 0;
  tokens = 0;
  disconnecting = false;

  /**
   * @param {number} id
   * @param {number} ipcFd
   * @param {number} controlFd
   * @param {'advanced' | 'json'} serialization
   * @param {string | undefined} addon the addon's path as the primary loaded it
   * @param {[string, number][]} sharedFds SharedMemory fds the primary handed over, by name
   */
  constructor(id, ipcFd, controlFd, serialization, addon, sharedFds) {
    this.id = id;
    this.sharedFds = sharedFds;
    /** @type {Record<string, import('../shared-memory').SharedMemory> | undefined} */
    this.shared = undefined;
    this.ipcFd = ipcFd;
    this.controlFd = controlFd;
    this.serialization = serialization;
    // Our own children must not inherit the channel (they would hold it open). The primary
    // passes the addon's path, saving the platform probe.
    let native;
    try {
      native = addon ? require(addon) : loadNative('cluster');
    } catch {
      native = loadNative('cluster');
    }
    this.native = native.NativeCluster;
    this.native.setCloexec(ipcFd);
    this.native.setCloexec(controlFd);
    for (const [, fd] of sharedFds) this.native.setCloexec(fd);
    this.channel = new Channel(ipcFd, serialization);
    this.control = installProcessChannel(this.channel, { ipcFd, controlFd, native: this.native, nextToken: () => ++this.tokens });
    this.worker = new ChildWorker(id, this);
    this.cluster = new WorkerCluster(this);
    this.channel.on('internal', (message) => {
      const handler = Object.hasOwn(workerHandlers, message.act) ? workerHandlers[message.act] : undefined;
      if (handler) handler(this, message);
    });
    this.channel.on('error', (err) => {
      if (this.worker.listenerCount('error') > 0) this.worker.emit('error', err);
      else process.emitWarning(err.message, { type: err.name, code: err.code });
    });
    this.channel.on('close', () => {
      // As node's child.js: a request the primary never answered (it ignores the listens of a
      // worker that is leaving) is dropped, never settled: that server neither listens nor
      // errors, and nothing of it keeps the process alive.
      for (const [, settle] of this.pending) settle.drop();
      this.pending.clear();
    });
    process.once('disconnect', () => {
      this.worker.emit('disconnect');
      // The primary went away (or closed the channel) without asking: nothing supervises this
      // process any more, so it ends, as a node:cluster worker does.
      if (!this.worker.exitedAfterDisconnect) process.exit(0);
    });
    process.on('exit', () => {
      // A pipe a node:cluster worker listens on belongs to the primary, which removes it when
      // the worker is gone; this worker listens on its own pipes, so it removes them itself
      // (libuv unlinks a listening pipe's path when its handle closes, at once).
      for (const entry of this.servers) {
        if (entry.key === null && typeof entry.server._pipeName === 'string') entry.server._handle?.close();
      }
      try {
        this.channel.flushSync((buf) => fs.writeSync(ipcFd, buf));
      } catch {
        // The primary is gone or the socket is full: nothing more can be done at exit.
      }
    });
    this.channel.sendInternal({ act: 'online' });
    // Now, not at the end of the tick: ticks queued by a --require preload run only after the
    // main script has loaded, and 'online' means the process is up, as in node:cluster.
    this.channel.flushNow();
  }

  /** Maps the SharedMemory the primary handed over (once), closing the inherited fds. */
  openShared() {
    if (this.shared === undefined) {
      const { SharedMemory } = require('../shared-memory');
      const shared = Object.create(null);
      for (const [name, fd] of this.sharedFds) {
        shared[name] = SharedMemory.fromFd(fd);
        // Inherited at exec, not handed out by this process's addon (whose closeFd refuses
        // such fds): ours to close.
        fs.closeSync(fd);
      }
      this.shared = Object.freeze(shared);
    }
    return this.shared;
  }

  /**
   * node:cluster's `_disconnect`: closes every server (draining its connections), then says
   * it leaves on purpose (unless the primary asked) and closes the channel.
   * @param {boolean} primaryInitiated
   */
  disconnect(primaryInitiated) {
    if (this.disconnecting || !this.channel.open) return;
    this.disconnecting = true;
    this.worker.exitedAfterDisconnect = true;
    let left = this.servers.size + 1;
    const leave = () => {
      if (process.connected) process.disconnect();
    };
    const closed = () => {
      if (--left > 0) return;
      // As node's child.js: a worker that leaves by itself closes the channel only once the
      // primary has its 'exitedAfterDisconnect' (so 'disconnect' never fires in the same tick).
      if (primaryInitiated) leave();
      else this.channel.sendInternal({ act: 'exitedAfterDisconnect' }, leave);
    };
    for (const entry of [...this.servers]) entry.drain(closed);
    closed();
  }

  /** Sends an internal request; resolves with the primary's reply. */
  request(message) {
    return new Promise((resolve) => {
      const seq = ++this.seq;
      this.control.refCounted();
      const settle = (reply) => {
        this.control.unrefCounted();
        resolve(reply);
      };
      settle.drop = () => this.control.unrefCounted();
      this.pending.set(seq, settle);
      if (!this.channel.sendInternal({ ...message, seq })) {
        this.pending.delete(seq);
        settle({ error: { code: 'ERR_IPC_CHANNEL_CLOSED', message: 'Channel closed' } });
      }
    });
  }
}

Object.assign(WorkerState.prototype, serverMethods);

/**
 * Internal messages from the primary, by `act`.
 * @type {Record<string, (state: WorkerState, message: any) => void>}
 */
const workerHandlers = {
  disconnect(state) {
    state.disconnect(true);
  },
  listenReply(state, message) {
    const resolve = state.pending.get(message.seq);
    if (!resolve) return;
    state.pending.delete(message.seq);
    resolve(message);
  },
};

/** The `cluster` object in a worker. */
class WorkerCluster extends EventEmitter {
  isPrimary = false;
  isMaster = false;
  isWorker = true;
  settings = {};
  workers = undefined;
  Worker = Worker;
  SCHED_NONE = SCHED_NONE;
  SCHED_RR = SCHED_RR;

  /** @param {WorkerState} state */
  constructor(state) {
    super();
    Object.defineProperty(this, kState, { value: state });
  }

  /** This worker. */
  get worker() {
    return this[kState].worker;
  }

  /**
   * The SharedMemory objects the primary handed to this worker (`cluster.fork(env, { shared })`
   * or `settings.shared`), by name: the same bytes the primary and the other workers see.
   * Mapped on first access.
   * @returns {Record<string, import('../shared-memory').SharedMemory>}
   */
  get shared() {
    return this[kState].openShared();
  }

  /**
   * `server.listen({ port, host, backlog })`, validated: in a worker every TCP listen goes
   * through the cluster's balance (see `setupPrimary`'s `balance`). Errors are emitted on
   * `server` as `'error'`, like `server.listen`.
   * @param {import('node:net').Server} server
   * @param {{ port?: number, host?: string, backlog?: number }} [options]
   * @param {() => void} [callback] added as a `'listening'` listener
   */
  listen(server, options = {}, callback = undefined) {
    const { port, host, backlog } = validate().validateListen(server, options);
    if (callback !== undefined && typeof callback !== 'function') throw errors.invalidArgType('callback', 'of type function', callback);
    server.listen({ port, host, backlog }, callback);
    return server;
  }

  setupPrimary() {
    throw errors.invalidState('setupPrimary() can only be called in the primary');
  }

  setupMaster() {
    return this.setupPrimary();
  }

  fork() {
    throw errors.invalidState('fork() can only be called in the primary');
  }

  reload() {
    return Promise.reject(errors.invalidState('reload() can only be called in the primary'));
  }

  shutdown() {
    return Promise.reject(errors.invalidState('shutdown() can only be called in the primary'));
  }
}

/**
 * Points node:cluster (loaded as a worker because NODE_UNIQUE_ID was set) at this worker:
 * `worker` is ours and `_getServer`, which net and dgram call, is ours.
 * @param {WorkerState} state
 */
function patchNodeCluster(state) {
  const nodeCluster = require('node:cluster');
  if (!nodeCluster.isWorker) return;
  nodeCluster.worker = state.worker;
  nodeCluster._getServer = (obj, options, cb) => state.getServer(obj, options, cb);
}

/**
 * Sets up this worker (once per process): reads and removes the environment the primary
 * passed, opens the channel and says `online`. Returns the worker-side `cluster` object, or
 * undefined when this process is not a cluster worker.
 * @returns {WorkerCluster | undefined}
 */
function setupWorker() {
  const existing = globalThis[kState];
  if (existing) return existing.cluster;
  const env = process.env;
  if (env.NATIVE_PARALLEL_IPC_FD === undefined) return undefined;
  const ipcFd = Number(env.NATIVE_PARALLEL_IPC_FD);
  const controlFd = Number(env.NATIVE_PARALLEL_CONTROL_FD);
  const id = Number(env.NATIVE_PARALLEL_WORKER_ID);
  const serialization = env.NATIVE_PARALLEL_SERIALIZATION === 'advanced' ? 'advanced' : 'json';
  const addon = env.NATIVE_PARALLEL_ADDON;
  const sharedFds = parseShared(env.NATIVE_PARALLEL_SHARED);
  for (const key of ENV) delete env[key];
  // node:cluster's workers see exactly the execArgv they were given: drop our preload.
  const at = process.execArgv.indexOf('--require');
  if (at >= 0 && String(process.execArgv[at + 1]).endsWith(require('node:path').join('lib', 'cluster', 'bootstrap.js'))) process.execArgv.splice(at, 2);
  // node:cluster's worker side listened on process for a channel it does not have: its
  // listeners go before ours come (this preload runs before any other, so they are all its).
  if (require('node:cluster').isWorker) {
    for (const event of ['internalMessage', 'disconnect', 'message', 'error']) process.removeAllListeners(event);
  }
  const state = new WorkerState(id, ipcFd, controlFd, serialization, addon, sharedFds);
  Object.defineProperty(globalThis, kState, { value: state, configurable: false, enumerable: false });
  patchNodeCluster(state);
  return state.cluster;
}

/**
 * `[[name, fd], ...]` from the primary's NATIVE_PARALLEL_SHARED (anything malformed is dropped:
 * it was not written by a primary of this package).
 * @param {string | undefined} text
 * @returns {[string, number][]}
 */
function parseShared(text) {
  if (text === undefined) return [];
  try {
    const list = JSON.parse(text);
    if (!Array.isArray(list)) return [];
    return list.filter((e) => Array.isArray(e) && typeof e[0] === 'string' && Number.isInteger(e[1]) && e[1] > 2);
  } catch {
    return [];
  }
}

module.exports = { setupWorker, isWorkerProcess, WorkerCluster, ChildWorker, patchNodeCluster, SCHED_NONE, SCHED_RR };
